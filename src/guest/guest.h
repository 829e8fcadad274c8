/*
 * guest: the interface between the benchmark guest's kernel (CPL0) and its
 * user side (CPL3): system call numbers, exit values, the trap frame.
 *
 * System calls are INT3 (the breakpoint trap, vector 3, whose gate is
 * open to CPL3) with the number in RAX, arguments in RDI, RSI, RDX and the
 * result in RAX: the same entry path as interrupts and exceptions, so one
 * trap frame and one return path serve them all. Why not INT 0x80 or
 * SYSCALL: the software KVM this project is developed on (kvm_pvm) raises
 * #UD for INT n and enters the SYSCALL target without leaving CPL3, while
 * it delivers exceptions, INT3's included, as the architecture says. INT3
 * is equally correct on hardware virtualisation, so one guest serves both.
 * On arm64 (src/guest/arch/arm64) the same numbers go through SVC #0, the
 * number in x8, arguments in x0-x2, the result in x0; the vectors and the
 * trap frame below are x86's.
 */
#ifndef GUEST_H
#define GUEST_H

#define SYS_WRITE 0        /* (buf, len) -> 0 */
#define SYS_EXIT 1         /* (value) -> never returns; ends the VM */
#define SYS_YIELD 2        /* () -> 0 */
#define SYS_THREAD_NEW 3   /* (entry, arg, stack_top) -> tid or -1 */
#define SYS_THREAD_EXIT 4  /* () -> never returns */
#define SYS_JOIN 5         /* (tid) -> 0 or -1 */
#define SYS_SLEEP_UNTIL 6  /* (tsc deadline) -> 0 */
#define SYS_MUTEX_LOCK 7   /* (lock word) -> 0, lock held */
#define SYS_MUTEX_UNLOCK 8 /* (lock word) -> 0 */
#define SYS_INFO 9         /* () -> address of the kernel's struct guest_info */
#define SYS_GPIO_SETUP 10  /* () -> GPIO BAR0 address with MSI on (arm64: the PL061's, its SPI routed), or -1 */
#define SYS_PCI_READ 11    /* (bdf, reg) -> configuration dword, or -1 */
#define SYS_PCI_WRITE 12   /* (bdf, reg, value) -> 0 or -1 */
#define SYS_PORT_LOOP 13  /* (kind, n, ticks[]) -> reads that differed, or -1 (monwl.c) */
#define SYS_HOSTTIME 14   /* (tsc) -> the host's CLOCK_REALTIME in ns at that TSC (kvmclock), or -1 */
/* (bdf, ISR address, first vector index) -> 0, or -1 (x86: always; it
 * uses MSI-X): arm64 routes the virtio function's INTx SPI to this CPU;
 * its handler reads the ISR (which deasserts the line) and counts bit 0
 * as vector index + 1, bit 1 as the index itself (src/guest/virtio.c) */
#define SYS_PCI_INTX 15
/* Or'd into SYS_PCI_INTX's third argument: the function is a channel
 * (src/guest/chan.c) and the address its PENDING register (RW1C); the
 * handler clears it and counts the channel's interrupt (chan_irq_count). */
#define PCI_INTX_CHAN (1ull << 63)
#define SYS_MAX 16

#define SYSCALL_VECTOR 3 /* #BP, raised by INT3 */
#define TIMER_VECTOR 0x30
#define SPURIOUS_VECTOR 0xff
#define GPIO_VECTOR 0x40
#define CHANNEL_VECTOR 0x50 /* a VM's first channel (vmm system) */
/* MSI-X vectors of the virtio driver (src/guest/virtio.c): VIRTIO_VECTOR
 * + i for i < VIRTIO_NVEC, each stamped and counted like the GPIO's. */
#define VIRTIO_VECTOR 0x60
#define VIRTIO_NVEC 4

/* Values written to the debug-exit port; vmm exits with (V << 1) | 1. */
#define GUEST_EXIT_OK 0       /* status 1: the workload ran and passed */
#define GUEST_EXIT_FAILED 1   /* status 3: the workload failed its self-check */
#define GUEST_EXIT_USAGE 2    /* status 5: bad command line */
#define GUEST_EXIT_FAULT 3    /* status 7: an exception in the guest */
#define GUEST_EXIT_BROKEN 4   /* status 9: the platform is unusable (no timer...) */
#define GUEST_EXIT_UNAVAILABLE 5 /* status 11: the workload needs a device this machine lacks */

#define GUEST_MAX_THREADS 64

#ifndef __ASSEMBLER__
#include <stdint.h>

/* What the kernel tells the user side (SYS_INFO). */
struct guest_info {
	uint64_t tsc_khz;    /* TSC frequency in use */
	uint64_t tsc_boot;   /* TSC at kernel entry: plat_now_ns() origin */
	uint64_t heap_start; /* first free byte above the image, page aligned */
	uint64_t heap_end;   /* end of usable RAM */
	const char *cmdline;
	/* The GPIO interrupt's TSC stamp and count (entry.S vec_gpio). */
	volatile uint64_t *gpio_irq_tsc;
	volatile uint64_t *gpio_irq_count;
	/* The same for the first channel's doorbell (vec_chan). */
	volatile uint64_t *chan_irq_tsc;
	volatile uint64_t *chan_irq_count;
	/* The virtio vectors' stamps and counts, VIRTIO_NVEC of each. */
	volatile uint64_t *virtio_irq_tsc;
	volatile uint64_t *virtio_irq_count;
	/* arm64: the GPIO doorbell's address (hvvmm,gpio-doorbell in the
	 * device tree), 0: none. */
	uint64_t gpio_doorbell;
	/* x86: the TSC at the guest's first instruction (entry.S). */
	uint64_t tsc_entry;
};

#ifdef __x86_64__
/* Register state at any kernel entry, lowest address first (entry.S);
 * arm64's is src/guest/arch/arm64/trapframe.h. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
#endif
#endif

#endif
