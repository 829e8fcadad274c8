/*
 * kernel (arm64): the benchmark guest's EL1 part: the device tree, an
 * identity map with the MMU and caches on, the GIC (v3 or v2), the generic timer,
 * PCI configuration through the ECAM and the virtio functions' INTx,
 * a small preemptive round-robin scheduler, system calls, fault reports
 * and the way out (debug exit or PSCI SYSTEM_OFF).
 *
 * It is the x86 kernel (src/guest/arch/x86/kernel.c) on another
 * architecture, with the same constraints: as little EL1 work as it can,
 * the timer armed only when a thread sleeps or a second one is runnable,
 * interrupts off in the kernel except in the idle loop, RAM arriving
 * zeroed. The scheduler, its locks and their system calls are shared with
 * the x86 kernel (src/guest/sched.c, behind karch.h). The machine is the one src/common/arm64map.h describes,
 * which is also QEMU's `virt`.
 */
#include <stddef.h>
#include <stdint.h>

#include "arm64map.h"
#include "con.h"
#include "fdt.h"
#include "guest.h"
#include "sched.h"
#include "sysreg.h"
#include "trapframe.h"

void kmain(uint64_t dtb);
void trap(struct trapframe *tf);
void swtch(uint64_t *save_sp, uint64_t new_sp);
void fp_save(uint8_t *buf);
void fp_restore(const uint8_t *buf);
void user_entry(const struct guest_info *gi); /* user.c: the first thread */
extern void trap_return(void);
extern char _start[], _etext[], _end[];

static inline void w32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}
static inline uint32_t r32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}
static inline void w64(uint64_t a, uint64_t v)
{
	*(volatile uint64_t *)a = v;
}
static inline uint64_t now(void)
{
	isb();
	return sysreg_read(cntvct_el0);
}

/* ---- console: polled PL011 (PL011 TRM, UARTFR.TXFF is bit 5); the
 * helpers over con_putc are src/guest/con.c ---- */
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_CR 0x030
void con_putc(char c)
{
	while (r32(ARM64_PL011_BASE + UART_FR) & (1u << 5))
		;
	w32(ARM64_PL011_BASE + UART_DR, (uint8_t)c);
}

/* ---- the way out ----
 * The monitor's debug-exit device (a 32-bit store of V ends vmm with
 * status (V << 1) | 1) when the device tree names one; otherwise PSCI
 * SYSTEM_OFF (PSCI 1.1, DEN0022, 5.10; function 0x84000008) through the
 * conduit /psci names. QEMU has no debug exit, so the value is printed
 * first: a powered-off QEMU exits 0 whatever the guest meant. */
static struct fdt_facts dt;

static __attribute__((noreturn)) void debug_exit(uint32_t value)
{
	if (dt.debug_exit) {
		w32(dt.debug_exit, value);
	} else {
		con_puts("benchguest: exit ");
		con_dec(value);
		con_puts(" (no debug-exit device: PSCI SYSTEM_OFF)\n");
		register uint64_t x0 __asm__("x0") = 0x84000008u;
		if (dt.psci_smc)
			__asm__ volatile("smc #0" : "+r"(x0)::"memory");
		else
			__asm__ volatile("hvc #0" : "+r"(x0)::"memory");
	}
	for (;;)
		__asm__ volatile("msr daifset, #0xf; wfi");
}

/* ---- the identity map (Arm ARM D8, VMSAv8-64, 4 KiB granule) ----
 * A 4 GiB input range (TCR_EL1.T0SZ = 32: the walk starts at level 1):
 *  - 0 .. 1 GiB, the devices: one level-1 block, Device-nGnRE, never
 *    executable, EL0 read/write so the workloads reach the GPIO as the
 *    x86 guest's CPL3 reaches its BAR;
 *  - RAM, from ARM64_RAM_BASE, up to 1 GiB of it in 2 MiB level-2 blocks,
 *    Normal write-back, inner shareable: the blocks holding the text
 *    read-only and executable at EL1 and EL0 (writable at EL0 would make
 *    them privileged-execute-never, D8.4.1.2), the rest read/write at both
 *    and never executable;
 *  - nothing else: the rest faults. */
#define PTE_VALID 1ull
#define PTE_TABLE 3ull
#define PTE_BLOCK 1ull
#define PTE_ATTR(i) ((uint64_t)(i) << 2) /* MAIR_EL1 index */
#define PTE_AP_EL0 (1ull << 6)           /* AP[1]: EL0 access */
#define PTE_AP_RO (1ull << 7)            /* AP[2]: read-only */
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54)
#define MAIR_DEVICE 0 /* attr0 = 0x04 Device-nGnRE */
#define MAIR_NORMAL 1 /* attr1 = 0xff Normal, inner/outer write-back RW-allocate */
#define RAM_MAPPED_MAX (1ull << 30)
#define BLOCK_2M (2ull << 20)

static uint64_t pt_l1[512] __attribute__((aligned(4096)));
static uint64_t pt_l2[512] __attribute__((aligned(4096)));

/* Invalidates the data cache over [a, b) to the point of coherency: lines
 * a loader may have left there are stale against what we wrote with the
 * MMU off (non-cacheable). */
static void dcache_inval(uint64_t a, uint64_t b)
{
	uint64_t line = 4ull << ((sysreg_read(ctr_el0) >> 16) & 0xf); /* CTR_EL0.DminLine */
	for (a &= ~(line - 1); a < b; a += line)
		__asm__ volatile("dc ivac, %0" ::"r"(a) : "memory");
	dsb(sy);
}

static void mmu_on(uint64_t ram_size)
{
	uint64_t text_lo = (uint64_t)_start & ~(BLOCK_2M - 1);
	uint64_t text_hi = ((uint64_t)_etext + BLOCK_2M - 1) & ~(BLOCK_2M - 1);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t pa = ARM64_RAM_BASE + i * BLOCK_2M, e = 0;
		if (i * BLOCK_2M < ram_size) {
			e = pa | PTE_BLOCK | PTE_ATTR(MAIR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_AP_EL0;
			if (pa >= text_lo && pa < text_hi)
				e |= PTE_AP_RO;
			else
				e |= PTE_PXN | PTE_UXN;
		}
		pt_l2[i] = e;
	}
	for (unsigned i = 0; i < 512; i++)
		pt_l1[i] = 0;
	pt_l1[0] = /* PA 0 */ PTE_BLOCK | PTE_ATTR(MAIR_DEVICE) | PTE_AF | PTE_AP_EL0 | PTE_PXN | PTE_UXN;
	pt_l1[ARM64_RAM_BASE >> 30] = (uint64_t)pt_l2 | PTE_TABLE;
	dcache_inval((uint64_t)_start, (uint64_t)_end);

	sysreg_write(mair_el1, 0x04ull << (8 * MAIR_DEVICE) | 0xffull << (8 * MAIR_NORMAL));
	/* T0SZ 32, walks write-back cacheable inner shareable (IRGN0 = ORGN0
	 * = 1, SH0 = 3), TG0 4 KiB, TTBR1 walks off (EPD1), TG1 4 KiB, IPS
	 * 4 GiB (every address used is below it). */
	sysreg_write(tcr_el1, 32ull | 1ull << 8 | 1ull << 10 | 3ull << 12 | 1ull << 23 | 2ull << 30);
	sysreg_write(ttbr0_el1, (uint64_t)pt_l1);
	isb();
	__asm__ volatile("tlbi vmalle1; ic iallu" ::: "memory");
	dsb(nsh);
	isb();
	/* SCTLR_EL1 (D17.2.118): M, C, SA, SA0, I, DZE, UCT, nTWI, nTWE,
	 * UCI, SPAN (PSTATE.PAN stays clear on exceptions), and the bits
	 * that are RES1 in ARMv8.0 (11, 20, 22, 28, 29). A (alignment
	 * faults) off, as Linux runs user space. */
	uint64_t sctlr = 1ull << 0 | 1ull << 2 | 1ull << 3 | 1ull << 4 | 1ull << 12 | 1ull << 14 |
			 1ull << 15 | 1ull << 16 | 1ull << 18 | 1ull << 26 | 1ull << 23 | 1ull << 11 |
			 1ull << 20 | 1ull << 22 | 1ull << 28 | 1ull << 29;
	sysreg_write(sctlr_el1, sctlr);
	isb();
	/* PAN (FEAT_PAN, ID_AA64MMFR1_EL1.PAN) would forbid the kernel the
	 * EL0-accessible RAM it lives in: clear it where it exists (MSR PAN,
	 * #0, spelled as its encoding for assemblers without ARMv8.1). */
	if ((sysreg_read(id_aa64mmfr1_el1) >> 20) & 0xf)
		__asm__ volatile(".inst 0xd500409f" ::: "memory");
}

/* ---- the GIC: GICv3 (IHI 0069) or GICv2 (IHI 0048) ----
 * Whichever the device tree describes, at the addresses it gives
 * (default: the map's). A GICv3 is driven through its system-register
 * CPU interface with group 1 interrupts; a GICv2 (what a Cortex-A53 board
 * such as the study's ZCU102 has, a GIC-400) through its memory-mapped
 * CPU interface with group 0 interrupts, which a GIC without the Security
 * Extensions signals as IRQ. Every interrupt goes to this CPU. */
#define GICD_CTLR 0x0000
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800 /* v2 */
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000 /* v3 */
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000 /* SGI_base frame */
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_IPRIORITYR 0x0400
#define GICC_CTLR 0x0000 /* v2 CPU interface */
#define GICC_PMR 0x0004
#define GICC_BPR 0x0008
#define GICC_IAR 0x000c
#define GICC_EOIR 0x0010
#define GIC_PRIO 0x80
#define GIC_SPURIOUS 1020

static unsigned gic_v;            /* 2 or 3 */
static uint64_t gicd, gicr, gicc; /* distributor; v3 redistributor; v2 CPU interface */

static void gic_wait_rwp(void)
{
	for (unsigned i = 0; gic_v == 3 && i < 1000000 && (r32(gicd + GICD_CTLR) & (1u << 31)); i++)
		;
}

static void gic_init(void)
{
	gic_v = dt.gic_version == 2 ? 2 : 3;
	gicd = dt.gic_dist ? dt.gic_dist : ARM64_GICD_BASE;
	if (gic_v == 2) {
		gicc = dt.gic_cpu ? dt.gic_cpu : ARM64_GICC_BASE;
		/* Distributor and CPU interface on for both groups (GICv2
		 * 4.3.1, 4.4.1), every priority let through. */
		w32(gicd + GICD_CTLR, 3);
		w32(gicc + GICC_PMR, 0xff);
		w32(gicc + GICC_BPR, 0);
		w32(gicc + GICC_CTLR, 3);
		return;
	}
	gicr = dt.gic_cpu ? dt.gic_cpu : ARM64_GICR_BASE;
	/* The distributor: affinity routing and group 1 on. The value sets
	 * ARE, EnableGrp1 and EnableGrp0 in the single-security-state layout
	 * (DS = 1, as KVM's vGIC and QEMU's virt without EL3 have), which is
	 * ARE_NS, EnableGrp1A and EnableGrp1 in the non-secure view (12.9.4). */
	w32(gicd + GICD_CTLR, 0);
	gic_wait_rwp();
	w32(gicd + GICD_CTLR, 0x13);
	gic_wait_rwp();
	/* This CPU's redistributor (the first) awake: ProcessorSleep off,
	 * then wait for ChildrenAsleep to clear (9.11.41). */
	w32(gicr + GICR_WAKER, r32(gicr + GICR_WAKER) & ~2u);
	for (unsigned i = 0; i < 1000000 && (r32(gicr + GICR_WAKER) & 4u); i++)
		;
	/* The CPU interface by system registers (ICC_SRE_EL1.SRE), every
	 * priority let through, group 1 on. */
	sysreg_write_x(ICC_SRE_EL1, sysreg_read_x(ICC_SRE_EL1) | 1);
	isb();
	sysreg_write_x(ICC_PMR_EL1, 0xff);
	sysreg_write_x(ICC_BPR1_EL1, 0);
	sysreg_write_x(ICC_CTLR_EL1, 0); /* EOImode 0: EOIR drops priority and deactivates */
	sysreg_write_x(ICC_IGRPEN1_EL1, 1);
	isb();
}

/* A PPI (16-31) of this CPU: in its redistributor (v3) or the banked
 * first registers of the distributor (v2). */
static void gic_enable_ppi(unsigned intid)
{
	if (gic_v == 2) {
		*(volatile uint8_t *)(gicd + GICD_IPRIORITYR + intid) = GIC_PRIO;
		w32(gicd + GICD_ISENABLER, 1u << intid);
		return;
	}
	uint64_t sgi = gicr + GICR_SGI;
	w32(sgi + GICR_IGROUPR0, r32(sgi + GICR_IGROUPR0) | 1u << intid);
	*(volatile uint8_t *)(sgi + GICR_IPRIORITYR + intid) = GIC_PRIO;
	w32(sgi + GICR_ISENABLER0, 1u << intid);
}

/* An SPI (32+), level-sensitive or rising-edge, to this CPU. */
static void gic_enable_spi(unsigned intid, int edge)
{
	unsigned word = intid / 32, bit = intid % 32;
	if (gic_v == 3)
		w32(gicd + GICD_IGROUPR + 4 * word, r32(gicd + GICD_IGROUPR + 4 * word) | 1u << bit);
	*(volatile uint8_t *)(gicd + GICD_IPRIORITYR + intid) = GIC_PRIO;
	uint64_t cfg = gicd + GICD_ICFGR + 4 * (intid / 16);
	/* Int_config, the upper bit of each field: 1 edge, 0 level. */
	w32(cfg, (r32(cfg) & ~(3u << (2 * (intid % 16)))) | (edge ? 2u : 0u) << (2 * (intid % 16)));
	if (gic_v == 3)
		w64(gicd + GICD_IROUTER + 8 * intid, 0);
	else
		*(volatile uint8_t *)(gicd + GICD_ITARGETSR + intid) = 1; /* CPU interface 0 */
	w32(gicd + GICD_ISENABLER + 4 * word, 1u << bit);
	gic_wait_rwp();
}

/* Acknowledges the highest-priority pending interrupt: returns the IAR
 * value for the EOI, its INTID in *intid (>= 1020: spurious). */
static uint64_t gic_ack(unsigned *intid)
{
	if (gic_v == 2) {
		uint32_t iar = r32(gicc + GICC_IAR);
		*intid = iar & 0x3ff;
		return iar;
	}
	uint64_t iar = sysreg_read_x(ICC_IAR1_EL1);
	*intid = (unsigned)iar & 0xffffff;
	return iar;
}

static void gic_eoi(uint64_t iar)
{
	if (gic_v == 2)
		w32(gicc + GICC_EOIR, (uint32_t)iar);
	else
		sysreg_write_x(ICC_EOIR1_EL1, iar);
}

static struct guest_info info;
static char cmdline[4096];

/* ---- threads (src/guest/sched.c) ---- */
#define SLICE_US 10000 /* preemption quantum when several threads run */

void karch_switch(struct thread *prev, struct thread *next)
{
	/* Nothing to point at the new kernel stack: SP_EL1 is the stack
	 * itself, left empty by the ERET that returns to next's user code. */
	fp_save(prev->fp);
	fp_restore(next->fp);
	swtch(&prev->ksp, next->ksp);
}

/* A new thread "returns" from swtch into trap_return and from there to
 * EL0 at entry(arg) on stack_top, interrupts unmasked (SPSR = EL0t). */
uint64_t karch_thread_frame(struct thread *th, uint64_t entry, uint64_t arg, uint64_t stack_top)
{
	struct trapframe *tf = (struct trapframe *)(th->kstack + KARCH_KSTACK_SIZE) - 1;
	*tf = (struct trapframe){0};
	tf->elr = entry;
	tf->x[0] = arg;
	tf->sp_el0 = stack_top & ~0xfull; /* AAPCS64: SP 16-byte aligned */
	tf->spsr = 0;
	uint64_t *sw = (uint64_t *)((uint8_t *)tf - SW_SIZE);
	for (int i = 0; i < SW_SIZE / 8; i++)
		sw[i] = 0;
	sw[SW_SIZE / 8 - 1] = (uint64_t)trap_return; /* x30 */
	for (int i = 0; i < KARCH_FP_SIZE; i++)
		th->fp[i] = 0; /* FPCR 0: round to nearest, no traps */
	return (uint64_t)sw;
}

void karch_start(struct thread *th)
{
	uint64_t dummy;
	fp_restore(th->fp);
	swtch(&dummy, th->ksp);
}

/* ---- fault reports (ESR_EL1.EC, Arm ARM D17.2.40) ---- */
static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case 0x00: return "undefined instruction";
	case 0x07: return "FP/SIMD access trapped";
	case 0x0e: return "illegal execution state";
	case 0x15: return "SVC";
	case 0x18: return "system register access trapped";
	case 0x20: return "instruction abort from EL0";
	case 0x21: return "instruction abort";
	case 0x22: return "PC alignment";
	case 0x24: return "data abort from EL0";
	case 0x25: return "data abort";
	case 0x26: return "SP alignment";
	case 0x2f: return "SError";
	case 0x3c: return "BRK";
	default: return "?";
	}
}

static __attribute__((noreturn)) void fault(const struct trapframe *tf)
{
	unsigned ec = (unsigned)(tf->esr >> 26) & 0x3f;
	con_puts("\nFAULT ec ");
	con_hex(ec);
	con_puts(" (");
	con_puts(tf->kind == TF_KIND_SERROR ? "SError" : tf->kind == TF_KIND_BAD ? "unexpected vector"
										  : ec_name(ec));
	con_puts(") in ");
	con_puts(tf->kind == TF_KIND_SYNC_EL0 || tf->kind == TF_KIND_IRQ_EL0 ? "user" : "kernel");
	con_puts(" mode, thread ");
	con_dec((uint64_t)sched_current());
	const struct con_reg regs[] = {
		{"elr", tf->elr}, {"sp_el0", tf->sp_el0}, {"esr", tf->esr}, {"far", tf->far},
		{"spsr", tf->spsr}, {"x0", tf->x[0]}, {"x1", tf->x[1]}, {"x2", tf->x[2]},
		{"x8", tf->x[8]}, {"x29", tf->x[29]}, {"x30", tf->x[30]}, {"kind", tf->kind},
	};
	con_regs(regs, sizeof(regs) / sizeof(regs[0]));
	con_puts("\n");
	debug_exit(GUEST_EXIT_FAULT);
}

/* ---- the PL061 (PL061 TRM, DDI 0190) and the GPIO doorbell ----
 * SYS_GPIO_SETUP routes their SPIs to this CPU and returns the PL061's
 * base; the workload (irqlat.c) programs the pins itself from EL0. The
 * PL061's interrupt is level while GPIOMIS is non-zero: the handler clears
 * it (GPIOIC) before the EOI. The doorbell's (the monitor's, arm64map.h)
 * is an edge: nothing to clear. Both are stamped and counted alike, as
 * the x86 GPIO's one vector serves both of its paths. */
#define GPIO_MIS 0x418
#define GPIO_IC 0x41c
static volatile uint64_t gpio_irq_tsc, gpio_irq_count;
static volatile uint64_t chan_irq_tsc, chan_irq_count;
static volatile uint64_t virtio_irq_tsc[VIRTIO_NVEC], virtio_irq_count[VIRTIO_NVEC];
static int gpio_routed;

static int64_t gpio_setup(void)
{
	if (!dt.gpio_base)
		return -1;
	if (!gpio_routed) {
		gic_enable_spi(ARM64_PL061_INTID, 0);
		if (dt.gpio_doorbell)
			gic_enable_spi(dt.gpio_doorbell_intid, 1);
		gpio_routed = 1;
	}
	return (int64_t)dt.gpio_base;
}

static void gpio_irq(uint64_t stamp, int doorbell)
{
	if (!doorbell) {
		uint32_t mis = r32(dt.gpio_base + GPIO_MIS);
		w32(dt.gpio_base + GPIO_IC, mis);
	}
	gpio_irq_tsc = stamp;
	gpio_irq_count++;
}

/* ---- PCI: configuration space through the ECAM, and INTx ----
 * SYS_PCI_READ/WRITE, the x86 kernel's configuration cycles on this
 * machine: the host bridge's ECAM window from the device tree
 * (pci-host-ecam-generic), function bdf's 4 KiB at bdf << 12 (PCIe base
 * 4.0, 7.2.2: bus 27:20, device 19:15, function 14:12). A register not
 * dword-aligned, beyond the window, or beyond the identity map's device
 * GiB (QEMU's virt puts its ECAM above 256 GiB) is refused. */
#define DEVICE_MAP_END (1ull << 30)

static uint64_t ecam_addr(uint64_t bdf, uint64_t reg)
{
	if (!dt.pci_ecam || bdf > 0xffff || reg > 0xffc || (reg & 3))
		return 0;
	uint64_t off = bdf << 12 | reg;
	if (off >= dt.pci_ecam_size || dt.pci_ecam + off >= DEVICE_MAP_END)
		return 0;
	return dt.pci_ecam + off;
}

/* Memory BARs get addresses when nobody gave any, as Linux's generic
 * host bridge driver does where no firmware ran (QEMU's virt booting us
 * as its kernel). Our monitor assigns every BAR itself (firmware's job,
 * as on the PC): once any BAR of bus 0 has an address, nothing is
 * touched, so under it this only reads. Function 0 of each slot; each
 * BAR sized with memory decoding off (PCI 3.0, 6.2.5.1), naturally
 * aligned, from a bump pointer in the 32-bit window (arm64map.h, QEMU's
 * virt's too). Done once, at the first configuration access. */
static void pci_assign(void)
{
	static int done;
	uint64_t next = ARM64_PCI_MMIO_BASE, end = ARM64_PCI_MMIO_BASE + ARM64_PCI_MMIO_SIZE;
	uint32_t todo[32] = {0}; /* per slot: BARs to assign */
	if (done)
		return;
	done = 1;
	for (unsigned dev = 0; dev < 32; dev++) {
		uint64_t f = ecam_addr(dev << 3, 0);
		if (!f || r32(f) == 0xffffffffu || (r32(f + 0xc) >> 16 & 0x7f) != 0)
			continue; /* absent, or not a type 0 header */
		for (unsigned b = 0; b < 6; b++) {
			uint32_t lo = r32(f + 0x10 + 4 * b);
			int is64 = (lo & 7) == 4;
			if (lo & 1)
				continue; /* I/O: there is no I/O window here */
			uint64_t a = lo & ~0xfull;
			if (is64 && b < 5)
				a |= (uint64_t)r32(f + 0x14 + 4 * b) << 32;
			if (a)
				return; /* assigned already: all of them are */
			todo[dev] |= 1u << b;
			b += (unsigned)is64;
		}
	}
	for (unsigned dev = 0; dev < 32; dev++) {
		uint64_t f = ecam_addr(dev << 3, 0);
		for (unsigned b = 0; todo[dev] && b < 6; b++) {
			if (!(todo[dev] & 1u << b))
				continue;
			uint32_t cmd = r32(f + 4), lo = r32(f + 0x10 + 4 * b);
			w32(f + 4, cmd & ~2u);
			w32(f + 0x10 + 4 * b, 0xffffffffu);
			uint64_t size = (~(uint64_t)(r32(f + 0x10 + 4 * b) & ~0xfu) + 1) & 0xffffffffull;
			uint64_t at = (next + size - 1) & ~(size - 1);
			if (size >= 16 && at + size <= end) {
				w32(f + 0x10 + 4 * b, (uint32_t)at);
				if ((lo & 7) == 4 && b < 5)
					w32(f + 0x14 + 4 * b, 0);
				next = at + size;
			} else {
				w32(f + 0x10 + 4 * b, lo); /* does not fit: left unassigned */
			}
			w32(f + 4, cmd);
		}
	}
}

static int64_t pci_cfg(uint64_t bdf, uint64_t reg, int write, uint32_t v)
{
	pci_assign();
	uint64_t a = ecam_addr(bdf, reg);
	if (!a)
		return -1;
	if (write) {
		w32(a, v);
		return 0;
	}
	return (int64_t)r32(a);
}

/* SYS_PCI_INTX: the virtio driver's interrupts where there is no MSI (no
 * ITS here). A function on bus 0 with interrupt pin P (1-4: INTA-D) in
 * slot S raises SPI 3 + (S + P - 1) % 4, the swizzle of the PCI-to-PCI
 * bridge spec 1.2, 9.1, which the monitor's interrupt-map and QEMU's virt
 * both use (arm64map.h). The line is level and shared: the handler reads
 * the ISR of each function on it (virtio 1.2, 4.1.4.5: the read clears it
 * and deasserts the line) before the EOI, and stamps and counts bit 0
 * (a used buffer) as virtio vector vec + 1, bit 1 (a configuration
 * change) as vec. The ISR must lie in the PCI window. With PCI_INTX_CHAN
 * in vec the function is a channel (chanpci.h): "isr" is its PENDING
 * register, which the handler clears (RW1C; the monitor then deasserts
 * INTA#) and counts as the channel's interrupt. */
#define INTX_MAX 8
static struct {
	uint64_t bdf, isr;
	unsigned intid, vec, chan;
} intx[INTX_MAX];
static unsigned nintx;

static int64_t pci_intx(uint64_t bdf, uint64_t isr, uint64_t vec)
{
	uint64_t a = ecam_addr(bdf, 0x3c);
	unsigned pin = a ? (r32(a) >> 8) & 0xff : 0;
	unsigned chan = (vec & PCI_INTX_CHAN) != 0;
	vec &= ~PCI_INTX_CHAN;
	if (!pin || pin > 4 || bdf > 0xff || vec + 1 >= VIRTIO_NVEC || isr < ARM64_PCI_MMIO_BASE ||
	    isr > ARM64_PCI_MMIO_BASE + ARM64_PCI_MMIO_SIZE - 4 || (chan && (isr & 3)))
		return -1;
	unsigned i = 0;
	while (i < nintx && intx[i].bdf != bdf)
		i++;
	if (i == INTX_MAX)
		return -1;
	if (i == nintx)
		nintx++;
	unsigned slot = (unsigned)(bdf >> 3) & 31;
	intx[i].bdf = bdf;
	intx[i].isr = isr;
	intx[i].vec = (unsigned)vec;
	intx[i].chan = chan;
	intx[i].intid = ARM64_PCI_INTX_INTID + (slot + pin - 1) % 4;
	gic_enable_spi(intx[i].intid, 0);
	return 0;
}

/* Whether intid is a routed INTx line: then every ISR on it is read. */
static int intx_irq(unsigned intid, uint64_t stamp)
{
	int mine = 0;
	for (unsigned i = 0; i < nintx; i++) {
		if (intx[i].intid != intid)
			continue;
		mine = 1;
		if (intx[i].chan) {
			volatile uint32_t *pending = (volatile uint32_t *)intx[i].isr;
			if (*pending & 1) {
				*pending = 1;
				chan_irq_tsc = stamp;
				chan_irq_count++;
			}
			continue;
		}
		uint8_t isr = *(volatile uint8_t *)intx[i].isr;
		if (isr & 1) {
			virtio_irq_tsc[intx[i].vec + 1] = stamp;
			virtio_irq_count[intx[i].vec + 1]++;
		}
		if (isr & 2) {
			virtio_irq_tsc[intx[i].vec] = stamp;
			virtio_irq_count[intx[i].vec]++;
		}
	}
	return mine;
}

/* ---- system calls ---- */
static int64_t syscall(struct trapframe *tf)
{
	uint64_t a = tf->x[0], b = tf->x[1], c = tf->x[2];
	switch (tf->x[8]) {
	case SYS_WRITE:
		if (!sched_user_range_ok(a, b))
			return -1;
		con_write((const char *)a, b);
		return 0;
	case SYS_EXIT:
		debug_exit((uint32_t)a);
	case SYS_INFO:
		return (int64_t)(uint64_t)&info;
	case SYS_GPIO_SETUP:
		return gpio_setup();
	case SYS_PCI_READ:
		return pci_cfg(a, b, 0, 0);
	case SYS_PCI_WRITE:
		return pci_cfg(a, b, 1, (uint32_t)c);
	case SYS_PCI_INTX:
		return pci_intx(a, b, c);
	default: {
		int handled;
		return sched_syscall(tf->x[8], a, b, c, &handled);
	}
	}
}

static void irq(struct trapframe *tf)
{
	unsigned intid;
	uint64_t iar = gic_ack(&intid);
	if (intid >= GIC_SPURIOUS)
		return; /* spurious: no EOI (GICv3 4.1.1, GICv2 3.4.2) */
	if ((intid == ARM64_PL061_INTID && dt.gpio_base) ||
	    (intid == dt.gpio_doorbell_intid && dt.gpio_doorbell)) {
		gpio_irq(tf->stamp, intid != ARM64_PL061_INTID);
		gic_eoi(iar);
		return;
	}
	if (intid >= ARM64_PCI_INTX_INTID && intid < ARM64_PCI_INTX_INTID + 4 &&
	    intx_irq(intid, tf->stamp)) {
		gic_eoi(iar);
		return;
	}
	if (intid != ARM64_TIMER_VIRT_INTID) {
		gic_eoi(iar); /* nobody asked for it */
		return;
	}
	/* The timer's PPI is level: disarm it before the EOI, or it fires
	 * again at once (a TSC-deadline timer disarms itself). */
	karch_timer_set(0);
	gic_eoi(iar);
	sched_timer_irq(tf->kind == TF_KIND_IRQ_EL0);
}

void trap(struct trapframe *tf)
{
	switch (tf->kind) {
	case TF_KIND_SYNC_EL0:
		if (((tf->esr >> 26) & 0x3f) == 0x15) { /* SVC from AArch64 */
			tf->x[0] = (uint64_t)syscall(tf);
			return;
		}
		fault(tf);
	case TF_KIND_IRQ_EL0:
	case TF_KIND_IRQ_EL1:
		irq(tf);
		return;
	default:
		fault(tf);
	}
}

/* The DTB: where x0 says, or at the RAM base where QEMU puts it for an
 * ELF kernel (hw/arm/boot.c gives such a kernel x0 = 0). */
static const void *find_dtb(uint64_t x0)
{
	if (x0 >= ARM64_RAM_BASE && !(x0 & 7) && fdt_valid((const void *)x0))
		return (const void *)x0;
	if (fdt_valid((const void *)ARM64_RAM_BASE))
		return (const void *)ARM64_RAM_BASE;
	return NULL;
}

void kmain(uint64_t x0)
{
	w32(ARM64_PL011_BASE + UART_CR, 0x301); /* UARTEN, TXE, RXE */
	if (((sysreg_read(CurrentEL) >> 2) & 3) != 1) {
		con_puts("benchguest: not entered at EL1; cannot run\n");
		debug_exit(GUEST_EXIT_BROKEN);
	}
	const void *fdt = find_dtb(x0);
	if (!fdt || fdt_read(fdt, &dt) || !dt.mem_size || dt.mem_base != ARM64_RAM_BASE) {
		con_puts("benchguest: no usable device tree (x0 ");
		con_hex(x0);
		con_puts("): need /memory at ");
		con_hex(ARM64_RAM_BASE);
		con_puts("\n");
		debug_exit(GUEST_EXIT_BROKEN);
	}
	/* A doorbell whose interrupt is not an SPI is not one we can route. */
	if (dt.gpio_doorbell_intid < 32 || dt.gpio_doorbell_intid >= GIC_SPURIOUS)
		dt.gpio_doorbell = 0;
	/* The command line is copied out: the DTB's RAM (our monitor puts
	 * it in the last 2 MiB) becomes heap and the first thread's stack. */
	size_t n = 0;
	for (const char *c = dt.bootargs; c && *c && n < sizeof(cmdline) - 1; c++)
		cmdline[n++] = *c;
	cmdline[n] = '\0';
	uint64_t ram_size = dt.mem_size < RAM_MAPPED_MAX ? dt.mem_size : RAM_MAPPED_MAX;
	mmu_on(ram_size);

	uint64_t frq = sysreg_read(cntfrq_el0);
	frq &= 0xffffffffu; /* CNTFRQ_EL0 is 32 bits wide */
	if (frq < 1000) {
		con_puts("benchguest: CNTFRQ_EL0 is not set; cannot run\n");
		debug_exit(GUEST_EXIT_BROKEN);
	}
	/* EL0 reads the virtual count (CNTKCTL_EL1.EL0VCTEN) for plat_now_ns. */
	sysreg_write(cntkctl_el1, (sysreg_read(cntkctl_el1) & ~0x3ull) | 0x2);
	sysreg_write(cntv_ctl_el0, 0);
	info.tsc_khz = frq / 1000;
	info.tsc_boot = now();
	info.gpio_irq_tsc = &gpio_irq_tsc;
	info.gpio_irq_count = &gpio_irq_count;
	info.chan_irq_tsc = &chan_irq_tsc;
	info.chan_irq_count = &chan_irq_count;
	info.virtio_irq_tsc = virtio_irq_tsc;
	info.virtio_irq_count = virtio_irq_count;
	info.gpio_doorbell = dt.gpio_doorbell;
	info.cmdline = cmdline;
	info.heap_start = ((uint64_t)_end + 0xfff) & ~0xfffull;
	info.heap_end = ARM64_RAM_BASE + ram_size;
	con_puts("benchguest: arm64, counter ");
	con_dec(info.tsc_khz);
	con_puts(" kHz (CNTFRQ_EL0), ");
	con_dec(ram_size >> 20);
	con_puts(" MiB RAM mapped, GICv");
	con_dec(dt.gic_version == 2 ? 2 : 3);
	con_puts(", ");
	uint64_t sctlr = sysreg_read(sctlr_el1);
	con_puts((sctlr & 0x1005) == 0x1005 ? "MMU and caches on, " : "WARNING: MMU or caches off, ");
	con_puts(dt.debug_exit ? "debug-exit device\n" : "no debug-exit device (PSCI off at the end)\n");

	gic_init();
	gic_enable_ppi(ARM64_TIMER_VIRT_INTID);
	sched_init(info.tsc_khz * SLICE_US / 1000, ARM64_RAM_BASE, info.heap_end);

	/* Thread 0 runs the user side; its stack is the top of the heap. */
	uint64_t stack_top = info.heap_end;
	info.heap_end -= 1 << 20;
	sched_start((uint64_t)user_entry, (uint64_t)&info, stack_top);
	debug_exit(GUEST_EXIT_BROKEN);
}
