/*
 * kernel: the benchmark guest's CPL0 part: descriptor tables, SSE, the
 * LAPIC timer, the TSC check, system calls, and fault reports; the
 * scheduler, its locks and their system calls are src/guest/sched.c,
 * shared with the arm64 kernel.
 *
 * Design constraints (README, "The benchmark guest"): on software KVM
 * (PVM) every CPL0 instruction is emulated at about 1 us, so the kernel
 * does as little as it can. It uses the monitor's identity map as it is
 * (user-accessible, so workloads need no page tables of their own), relies
 * on RAM arriving zeroed (no .bss clearing), and arms its timer only when
 * it has a reason: with one runnable thread and no sleeper there are no
 * interrupts at all, so single-threaded workloads run without a kernel in
 * the way. The kernel is not preemptible: it runs with interrupts off,
 * except in the idle loop.
 */
#include <stddef.h>
#include <stdint.h>

#include "guest.h"
#include "hvboot.h"
#include "sched.h"

void kmain(const struct hvboot_info *bi);
void trap(struct trapframe *tf);
void swtch(uint64_t *save_sp, uint64_t new_sp);
void user_entry(const struct guest_info *gi); /* user.c: the first thread */
extern void trap_return(void);
extern const uint64_t trap_vectors[];
extern void vec_gpio(void), vec_chan(void);
extern void vec_virtio0(void), vec_virtio1(void), vec_virtio2(void), vec_virtio3(void);
extern volatile uint64_t gpio_irq_tsc, gpio_irq_count, chan_irq_tsc, chan_irq_count;
extern volatile uint64_t virtio_irq_tsc[VIRTIO_NVEC], virtio_irq_count[VIRTIO_NVEC];

/* ---- port and MSR access (Intel SDM vol. 2) ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* ---- console: polled COM1 (16550 LSR bit 5, THR empty) ---- */
static void con_putc(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, (uint8_t)c);
}
static void con_write(const char *s, size_t n)
{
	while (n--)
		con_putc(*s++);
}
static void con_puts(const char *s)
{
	while (*s)
		con_putc(*s++);
}
static void con_hex(uint64_t v)
{
	char b[19] = "0x";
	for (int i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	b[18] = 0;
	con_puts(b);
}
static void con_dec(uint64_t v)
{
	char b[21];
	int i = 20;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	con_puts(b + i);
}

static __attribute__((noreturn)) void debug_exit(uint32_t value)
{
	outl(0xf4, value);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- descriptor tables (SDM vol. 3A ch. 3, 6, 7) ---- */
struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

struct __attribute__((packed)) idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type_attr;
	uint16_t off1;
	uint32_t off2, reserved;
};

#define SEL_TSS 0x30
static uint64_t gdt[8] __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));

static void set_gate(unsigned vec, uint64_t handler, unsigned dpl)
{
	idt[vec] = (struct idt_gate){
		.off0 = (uint16_t)handler, .sel = HVBOOT_SEL_CODE64, .ist = 0,
		.type_attr = (uint8_t)(0x80 | (dpl << 5) | 0xe), /* present, interrupt gate */
		.off1 = (uint16_t)(handler >> 16), .off2 = (uint32_t)(handler >> 32),
	};
}

static void tables_init(void)
{
	/* The boot GDT's layout (hvboot.h) plus a TSS, so the selectors in
	 * use stay valid across the lgdt. */
	gdt[HVBOOT_SEL_CODE32 / 8] = 0x00cf9b000000ffffull;
	gdt[HVBOOT_SEL_CODE64 / 8] = 0x00af9b000000ffffull;
	gdt[HVBOOT_SEL_DATA / 8] = 0x00cf93000000ffffull;
	gdt[HVBOOT_SEL_UDATA / 8] = 0x00cff3000000ffffull;
	gdt[HVBOOT_SEL_UCODE64 / 8] = 0x00affb000000ffffull;
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			   (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: CPL3 has no ports */
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gp = {sizeof(gdt) - 1, (uint64_t)gdt}, ip = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lgdt %0; ltr %w1" ::"m"(gp), "r"(SEL_TSS));
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, trap_vectors[v], v == SYSCALL_VECTOR ? 3 : 0);
	set_gate(TIMER_VECTOR, trap_vectors[32], 0);
	set_gate(SPURIOUS_VECTOR, trap_vectors[33], 0);
	set_gate(GPIO_VECTOR, (uint64_t)vec_gpio, 0);
	set_gate(CHANNEL_VECTOR, (uint64_t)vec_chan, 0);
	set_gate(VIRTIO_VECTOR + 0, (uint64_t)vec_virtio0, 0);
	set_gate(VIRTIO_VECTOR + 1, (uint64_t)vec_virtio1, 0);
	set_gate(VIRTIO_VECTOR + 2, (uint64_t)vec_virtio2, 0);
	set_gate(VIRTIO_VECTOR + 3, (uint64_t)vec_virtio3, 0);
	__asm__ volatile("lidt %0" ::"m"(ip));
}

/* SSE for the workloads: CR0.EM off, CR0.MP on, CR4.OSFXSR and
 * OSXMMEXCPT on (SDM vol. 3A sec. 13.1.3). */
static uint8_t fx_initial[512] __attribute__((aligned(16)));
static void sse_init(void)
{
	uint64_t cr0, cr4;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr0 = (cr0 & ~(1ull << 2)) | (1ull << 1);
	cr4 |= (1ull << 9) | (1ull << 10);
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
	__asm__ volatile("fninit; fxsave %0" : "=m"(fx_initial));
}

/* ---- LAPIC in TSC-deadline mode (SDM vol. 3A sec. 10.5.4.1) ---- */
#define LAPIC_BASE 0xfee00000ull
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define MSR_TSC_DEADLINE 0x6e0
static inline void lapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

static struct guest_info info;

/* The TSC frequency the monitor handed over, checked against the i8254
 * PIT, a clock the host drives independently of the guest's TSC: channel
 * 2 counts down from 0xffff at 1.193182 MHz with its gate on (port 0x61
 * bit 0) and is read with latch commands (i8254 datasheet, "Counter
 * Latch Command"). Over ~20 ms the two must agree within 2%; if the
 * monitor gave no frequency the PIT's measurement is used. */
static uint16_t pit_read2(void)
{
	outb(0x43, 0x80); /* latch counter 2 */
	uint8_t lo = inb(0x42);
	return (uint16_t)(lo | (inb(0x42) << 8));
}

static void tsc_check(uint64_t khz_vmm)
{
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(0x43, 0xb0);                                   /* ch2, lo/hi, mode 0 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	uint16_t p0 = pit_read2();
	uint64_t t0 = rdtsc(), t1;
	uint16_t p1;
	do { /* about 20 ms of PIT ticks, well inside one 55 ms period */
		p1 = pit_read2();
		t1 = rdtsc();
	} while ((uint16_t)(p0 - p1) < 23864 && p1 <= p0);
	uint64_t ticks = (uint16_t)(p0 - p1);
	uint64_t khz_pit = ticks ? (t1 - t0) * 1193182ull / ticks / 1000 : 0;
	con_puts("benchguest: tsc ");
	if (khz_vmm) {
		con_dec(khz_vmm);
		con_puts(" kHz from vmm, PIT measures ");
		con_dec(khz_pit);
		con_puts(" kHz");
		uint64_t diff = khz_pit > khz_vmm ? khz_pit - khz_vmm : khz_vmm - khz_pit;
		if (khz_pit && diff * 50 > khz_vmm)
			con_puts(" (WARNING: more than 2% apart; timings use vmm's value)");
		info.tsc_khz = khz_vmm;
	} else {
		con_dec(khz_pit);
		con_puts(" kHz measured against the PIT (vmm gave none)");
		info.tsc_khz = khz_pit;
	}
	con_puts("\n");
}

/* ---- threads (src/guest/sched.c) ---- */
#define SLICE_US 10000 /* preemption quantum when several threads run */

void karch_switch(struct thread *prev, struct thread *next)
{
	tss.rsp0 = (uint64_t)(next->kstack + KARCH_KSTACK_SIZE);
	/* The kernel itself never touches x87/SSE state (-mgeneral-regs-only),
	 * so the user state can be swapped here, before the stacks are. */
	__asm__ volatile("fxsave %0" : "=m"(prev->fp));
	__asm__ volatile("fxrstor %0" ::"m"(next->fp));
	swtch(&prev->ksp, next->ksp);
}

/* A new thread "returns" from swtch into trap_return and from there to
 * user mode at entry(arg) on stack_top, interrupts enabled. */
uint64_t karch_thread_frame(struct thread *th, uint64_t entry, uint64_t arg, uint64_t stack_top)
{
	uint64_t *sp = (uint64_t *)(th->kstack + KARCH_KSTACK_SIZE);
	struct trapframe *tf = (struct trapframe *)sp - 1;
	*tf = (struct trapframe){0};
	tf->rip = entry;
	tf->rdi = arg;
	tf->cs = HVBOOT_SEL_UCODE64 | 3;
	tf->ss = HVBOOT_SEL_UDATA | 3;
	tf->rflags = 0x202; /* IF */
	/* SysV: at function entry RSP + 8 is 16-byte aligned. */
	tf->rsp = (stack_top & ~0xfull) - 8;
	sp = (uint64_t *)tf;
	*--sp = (uint64_t)trap_return;
	for (int i = 0; i < 6; i++) /* rbp rbx r12-r15 for swtch */
		*--sp = 0;
	for (int i = 0; i < KARCH_FP_SIZE; i++)
		th->fp[i] = fx_initial[i];
	return (uint64_t)sp;
}

void karch_start(struct thread *th)
{
	uint64_t dummy;
	tss.rsp0 = (uint64_t)(th->kstack + KARCH_KSTACK_SIZE);
	__asm__ volatile("fxrstor %0" ::"m"(th->fp));
	swtch(&dummy, th->ksp);
}

/* ---- fault reports ---- */
static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD exception",
	"#VE virtualization", "#CP control protection",
};

static __attribute__((noreturn)) void fault(const struct trapframe *tf)
{
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	con_puts("\nFAULT vector ");
	con_dec(tf->vector);
	con_puts(" (");
	con_puts(tf->vector < 32 && exc_names[tf->vector] ? exc_names[tf->vector] : "?");
	con_puts(") in ");
	con_puts((tf->cs & 3) ? "user" : "kernel");
	con_puts(" mode, thread ");
	con_dec((uint64_t)sched_current());
	const struct {
		const char *name;
		uint64_t v;
	} regs[] = {
		{"rip", tf->rip}, {"rsp", tf->rsp}, {"error", tf->error}, {"cr2", cr2},
		{"rax", tf->rax}, {"rbx", tf->rbx}, {"rcx", tf->rcx}, {"rdx", tf->rdx},
		{"rsi", tf->rsi}, {"rdi", tf->rdi}, {"rbp", tf->rbp}, {"rflags", tf->rflags},
	};
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		con_puts(i % 4 ? " " : "\n  ");
		con_puts(regs[i].name);
		con_puts(" ");
		con_hex(regs[i].v);
	}
	con_puts("\n");
	debug_exit(GUEST_EXIT_FAULT);
}

/* ---- the GPIO controller (src/vmm/dev/gpio.h) ----
 * Found on PCI bus 0 by configuration mechanism #1, its BAR0 is where the
 * monitor (our firmware) put it; its MSI is aimed at this CPU's LAPIC
 * (address 0xfee00000, destination APIC 0; data = fixed delivery, edge,
 * GPIO_VECTOR: SDM vol. 3A sec. 10.11). Done only when the irq-latency
 * workload asks, so other workloads pay no boot time for it. */
static uint32_t pci_read(unsigned dev, unsigned reg)
{
	outl(0xcf8, 0x80000000u | (dev << 11) | reg);
	return inl(0xcfc);
}
static void pci_write(unsigned dev, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | (dev << 11) | reg);
	outl(0xcfc, v);
}

/* SYS_PCI_READ/WRITE: any function's configuration dword for the user
 * side's virtio driver (CPL3 has no I/O ports). A bus/device/function
 * above 0xffff or a register not dword-aligned in the 256-byte space is
 * refused; the rest is mechanism #1 itself (PCI Local Bus 3.0, 3.2.2.3.2:
 * bus in bits 23:16, device 15:11, function 10:8). */
static int64_t pci_cfg(uint64_t bdf, uint64_t reg, int write, uint32_t v)
{
	if (bdf > 0xffff || reg > 0xfc || (reg & 3))
		return -1;
	outl(0xcf8, 0x80000000u | (uint32_t)(bdf << 8) | (uint32_t)reg);
	if (write) {
		outl(0xcfc, v);
		return 0;
	}
	return inl(0xcfc);
}

static int64_t gpio_setup(void)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (pci_read(dev, 0) != (0x6770u << 16 | 0x1234u))
			continue;
		uint32_t bar = pci_read(dev, 0x10) & ~0xfu;
		unsigned cap = pci_read(dev, 0x34) & 0xfc;
		if (!bar || !cap || (pci_read(dev, cap) & 0xff) != 0x05)
			return -1;
		pci_write(dev, cap + 4, 0xfee00000u);
		pci_write(dev, cap + 8, GPIO_VECTOR);
		pci_write(dev, cap, pci_read(dev, cap) | (1u << 16)); /* MSI enable */
		pci_write(dev, 0x04, pci_read(dev, 0x04) | 0x2);     /* memory decode */
		return bar;
	}
	return -1;
}

/* ---- kvmclock: the host's wall clock, for the start-up workloads ----
 * KVM's paravirtual clock (Linux Documentation/virt/kvm/x86/msr.rst):
 * writing a guest-physical address to MSR_KVM_WALL_CLOCK_NEW makes KVM
 * store there the host's CLOCK_REALTIME at kvmclock 0; writing one (bit 0
 * set: enable) to MSR_KVM_SYSTEM_TIME_NEW makes it keep a
 * pvclock_vcpu_time_info there, from which kvmclock at any TSC value
 * follows: system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32. So
 * the guest can say, in the host's clock, when its first instruction ran:
 * what start-up is measured against (the host passes its time at the
 * monitor's spawn). Both MSRs are KVM's, handled in the kernel whatever
 * the monitor, and set up only when a workload asks. */
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u

static volatile struct {
	uint32_t version, sec, nsec;
} __attribute__((aligned(16))) kvm_wall;
static volatile struct {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags, pad[2];
} __attribute__((aligned(64))) kvm_time;

static uint64_t pv_scale(uint64_t delta, int8_t shift, uint32_t mul)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static int64_t host_time_at(uint64_t tsc)
{
	static int on;
	uint32_t v, wv;
	uint64_t ts, st, wall;
	uint32_t mul;
	int8_t shift;

	if (!on) {
		wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)(uintptr_t)&kvm_wall);
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&kvm_time | 1);
		on = 1;
	}
	for (int tries = 0;; tries++) { /* odd version: KVM is writing it */
		v = kvm_time.version;
		wv = kvm_wall.version;
		__asm__ volatile("" ::: "memory");
		ts = kvm_time.tsc_timestamp;
		st = kvm_time.system_time;
		mul = kvm_time.mul;
		shift = kvm_time.shift;
		wall = (uint64_t)kvm_wall.sec * 1000000000ull + kvm_wall.nsec;
		__asm__ volatile("" ::: "memory");
		if (!(v & 1) && !(wv & 1) && v == kvm_time.version && wv == kvm_wall.version)
			break;
		if (tries > 1000000)
			return -1;
	}
	if (!v || !mul || !kvm_wall.sec) /* never written: no kvmclock here */
		return -1;
	if (tsc >= ts)
		st += pv_scale(tsc - ts, shift, mul);
	else
		st -= pv_scale(ts - tsc, shift, mul);
	return (int64_t)(wall + st);
}

/* SYS_PORT_LOOP: the exit workloads' loop (monwl.c), n accesses to one
 * port of a device every monitor emulates, each timed alone with the TSC
 * into ticks[]. Here at CPL0 because this software KVM (kvm_pvm) does not
 * keep IOPL 3 for a CPL3 thread across IRETQ, so the user side cannot
 * reach the ports itself; the two RDTSCs bracket the access alone. kind 0:
 * write the UART scratch register (0x3ff); 1: read the UART line status
 * (0x3fd); 2: read 00:00.0's dword 0 through 0xcfc (the address written
 * once first). Returns how many reads were wrong (line status without an
 * empty THR, a configuration dword other than the first), or -1. */
static int64_t port_loop(uint64_t kind, uint64_t n, uint64_t ticks)
{
	uint64_t *t = (uint64_t *)ticks, bad = 0;
	uint32_t first = 0;

	if (kind > 2 || !n || n > (1ull << 24) || !sched_user_range_ok(ticks, n * 8))
		return -1;
	if (kind == 2) {
		outl(0xcf8, 0x80000000u);
		first = inl(0xcfc);
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		if (kind == 0)
			outb(0x3ff, (uint8_t)i);
		else if (kind == 1)
			bad += !(inb(0x3fd) & 0x20); /* THR empty: a 16550 that sends at once */
		else
			bad += inl(0xcfc) != first;
		t[i] = rdtsc() - t0;
	}
	return (int64_t)bad;
}

/* ---- system calls ---- */
static int64_t syscall(struct trapframe *tf)
{
	switch (tf->rax) {
	case SYS_WRITE:
		if (!sched_user_range_ok(tf->rdi, tf->rsi))
			return -1;
		con_write((const char *)tf->rdi, tf->rsi);
		return 0;
	case SYS_EXIT:
		debug_exit((uint32_t)tf->rdi);
	case SYS_INFO:
		return (int64_t)(uint64_t)&info;
	case SYS_GPIO_SETUP:
		return gpio_setup();
	case SYS_PCI_READ:
		return pci_cfg(tf->rdi, tf->rsi, 0, 0);
	case SYS_PCI_WRITE:
		return pci_cfg(tf->rdi, tf->rsi, 1, (uint32_t)tf->rdx);
	case SYS_PORT_LOOP:
		return port_loop(tf->rdi, tf->rsi, tf->rdx);
	case SYS_HOSTTIME:
		return host_time_at(tf->rdi);
	default: {
		int handled;
		return sched_syscall(tf->rax, tf->rdi, tf->rsi, tf->rdx, &handled);
	}
	}
}

void trap(struct trapframe *tf)
{
	switch (tf->vector) {
	case SYSCALL_VECTOR:
		tf->rax = (uint64_t)syscall(tf);
		return;
	case TIMER_VECTOR: {
		lapic_write(LAPIC_EOI, 0);
		sched_timer_irq((tf->cs & 3) != 0);
		return;
	}
	case SPURIOUS_VECTOR:
		return; /* no EOI for a spurious interrupt (SDM 10.9) */
	default:
		fault(tf);
	}
}

void kmain(const struct hvboot_info *bi)
{
	tables_init();
	sse_init();
	if (bi->magic != HVBOOT_MAGIC) {
		con_puts("benchguest: no boot information from the monitor\n");
		debug_exit(GUEST_EXIT_BROKEN);
	}
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 24))) {
		con_puts("benchguest: this vCPU has no TSC-deadline timer; cannot run\n");
		debug_exit(GUEST_EXIT_BROKEN);
	}
	extern uint64_t entry_tsc;
	info.tsc_entry = entry_tsc;
	info.tsc_boot = rdtsc();
	info.gpio_irq_tsc = &gpio_irq_tsc;
	info.gpio_irq_count = &gpio_irq_count;
	info.chan_irq_tsc = &chan_irq_tsc;
	info.chan_irq_count = &chan_irq_count;
	info.virtio_irq_tsc = virtio_irq_tsc;
	info.virtio_irq_count = virtio_irq_count;
	info.cmdline = (const char *)bi->cmdline;
	info.heap_start = (bi->image_end + 0xfff) & ~0xfffull;
	/* Usable RAM: the region the image sits in, capped at the identity
	 * map's 4 GiB. */
	info.heap_end = info.heap_start;
	const struct hvboot_mmap_entry *mm = (const void *)bi->mmap;
	for (uint32_t i = 0; i < bi->mmap_count; i++)
		if (mm[i].type == 1 && mm[i].addr <= info.heap_start &&
		    mm[i].addr + mm[i].size > info.heap_start)
			info.heap_end = mm[i].addr + mm[i].size;
	if (info.heap_end > 0x100000000ull)
		info.heap_end = 0x100000000ull;

	/* Interrupt controllers: the PICs masked (ICW-less mask write), the
	 * LAPIC on with LINT0 masked and its timer in TSC-deadline mode. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	lapic_write(LAPIC_SVR, 0x100 | SPURIOUS_VECTOR);
	lapic_write(LAPIC_LVT_LINT0, 1u << 16);
	lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR | (2u << 17));
	tsc_check(bi->tsc_khz);
	sched_init(info.tsc_khz * SLICE_US / 1000, HVBOOT_KERNEL_MIN, info.heap_end);

	/* Thread 0 runs the user side; its stack is the top of the heap. */
	uint64_t stack_top = info.heap_end;
	info.heap_end -= 1 << 20;
	sched_start((uint64_t)user_entry, (uint64_t)&info, stack_top);
	debug_exit(GUEST_EXIT_BROKEN);
}
