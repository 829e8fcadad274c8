/*
 * irqlat (arm64): the study's GPIO interrupt-latency test on its own
 * ground: a PL061 output looped back to its input, as the study's ZCU102
 * wired it in the FPGA fabric. Pin 0 is made an output with a
 * rising-edge interrupt; the latency is the counter at the IRQ vector's
 * third instruction (entry.S) minus the counter just before the store
 * that raises the pin. Two paths, as on x86 (src/guest/arch/x86/irqlat.c):
 *   irq-latency-user:  GPIODATA: the store exits to the monitor, whose
 *                      loopback sets the input and raises the SPI;
 *   irq-latency-irqfd: the monitor's GPIO doorbell (hvvmm,gpio-doorbell in
 *                      the device tree, src/common/arm64map.h): the store
 *                      is an ioeventfd, its edge SPI an irqfd, both in the
 *                      host kernel.
 * Without a loopback (QEMU's PL061 raises input interrupts only from its
 * input pins) or without a doorbell, the workload says it is unavailable
 * and measures nothing. The counter is CNTVCT_EL0 at CNTFRQ_EL0, so the
 * resolution is 1/CNTFRQ (16 ns at 62.5 MHz), not a CPU cycle.
 */
#include <stddef.h>
#include <stdint.h>

#include "arm64map.h"
#include "bench.h"
#include "guest.h"
#include "guestwl.h"
#include "platform.h"
#include "virtio.h"

/* PL061 registers (PL061 TRM, DDI 0190B, 3.2). GPIODATA is addressed
 * through a mask in address bits 9:2: pin 0 alone is offset 0x004. */
#define GPIO_DATA_PIN0 0x004
#define GPIO_DIR 0x400
#define GPIO_IS 0x404
#define GPIO_IBE 0x408
#define GPIO_IEV 0x40c
#define GPIO_IE 0x410
#define GPIO_IC 0x41c
#define GPIO_PERIPHID0 0xfe0
#define GPIO_PCELLID0 0xff0

static const struct bench_param irqlat_params[] = {
	{"loops", BENCH_P_UINT, "1000", "interrupts measured", 1, 10000000, NULL},
	{"hist_us", BENCH_P_UINT, "200", "histogram range in us", 1, 1000, NULL},
	{0},
};

static int irqlat_run(const struct bench_args *a);

const struct bench_workload irqlat_user = {
	"irq-latency-user", "latency",
	"PL061 loopback, through the monitor: set pin to IRQ vector (guest only); us",
	irqlat_params, irqlat_run,
};
const struct bench_workload irqlat_irqfd = {
	"irq-latency-irqfd", "latency",
	"GPIO doorbell, ioeventfd+irqfd in the host kernel: store to IRQ vector "
	"(guest only); us",
	irqlat_params, irqlat_run,
};

/* A test hook, not a measurement: waits for an input pin's rising edge,
 * so a test can check the PL061 -> GICv3 SPI -> handler path where no
 * loopback exists. QEMU's virt drives PL061 input 3 from its power
 * button (gpio-keys), which the QMP command system_powerdown presses
 * (tests/arm64/test_guest_qemu.py). */
static const struct bench_param gpio_wait_params[] = {
	{"pin", BENCH_P_UINT, "3", "input pin", 0, 7, NULL},
	{"timeout_ms", BENCH_P_UINT, "10000", "how long to wait", 1, 600000, NULL},
	{0},
};
static int gpio_wait_run(const struct bench_args *a);
static const struct bench_workload gpio_wait = {
	"gpio-input-wait", "test", "test hook: wait for a PL061 input pin's rising edge",
	gpio_wait_params, gpio_wait_run,
};

static const struct guest_info *gi;

const struct bench_workload *guestwl_find(const char *name)
{
	static const struct bench_workload *const all[] = {
		&irqlat_user, &irqlat_irqfd, &gpio_wait,  &vrng_read,  &vnet_ping, &vnet_pong,
		&vnet_bulk,   &vnet_sink,    &vsock_ping, &vsock_pong, &vsock_bulk, &vsock_sink,
		&chan_ping,   &chan_pong};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (fmt_streq(name, all[i]->name))
			return all[i];
	return NULL;
}

void guestwl_init(const struct guest_info *info)
{
	gi = info;
	virtio_set_info(info);
	chan_init(info);
}

static inline void w32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}
static inline uint32_t r32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}

/* Whether the four PrimeCell ID bytes and the part number say PL061. */
static int is_pl061(uintptr_t b)
{
	static const uint8_t cell[4] = {0x0d, 0xf0, 0x05, 0xb1};
	for (unsigned i = 0; i < 4; i++)
		if ((r32(b + GPIO_PCELLID0 + 4 * i) & 0xff) != cell[i])
			return 0;
	return (r32(b + GPIO_PERIPHID0) & 0xff) == 0x61 &&
	       (r32(b + GPIO_PERIPHID0 + 4) & 0xf) == 0x0;
}

/* Why a doorbell's interrupt did not come, as the distributor sees it
 * (GICD_ISENABLER, GICD_ISPENDR, GICD_ICFGR: the same offsets in GICv2
 * and GICv3), for the FAIL line: the store may not have reached the GIC,
 * or the GIC may hold it. */
static int doorbell_fail(const struct bench_args *a)
{
	unsigned id = ARM64_GPIO_DOORBELL_INTID;
	uintptr_t d = (uintptr_t)ARM64_GICD_BASE;
	uint32_t bit = 1u << (id % 32);
	char line[200];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "the doorbell's interrupt never arrived (distributor: INTID ");
	fmt_u64(&f, id);
	fmt_str(&f, (r32(d + 0x100 + 4 * (id / 32)) & bit) ? " enabled" : " disabled");
	fmt_str(&f, (r32(d + 0x200 + 4 * (id / 32)) & bit) ? ", pending" : ", not pending");
	fmt_str(&f, (r32(d + 0xc00 + 4 * (id / 16)) >> (2 * (id % 16)) & 2) ? ", edge)" : ", level)");
	return bench_fail(a, f.buf);
}

/* Waits until the interrupt count passes `count`, for at most limit_ns. */
static int wait_irq(uint64_t count, uint64_t limit_ns)
{
	uint64_t t0 = plat_now_ns();
	while (*gi->gpio_irq_count == count)
		if (plat_now_ns() - t0 > limit_ns)
			return -1;
	return 0;
}

static int irqlat_run(const struct bench_args *a)
{
	int64_t base = irqlat_gpio_setup();
	if (base < 0)
		return guestwl_unavailable(a, "no PL061 (arm,pl061) in the device tree");
	uintptr_t b = (uintptr_t)base;
	if (!is_pl061(b))
		return bench_fail(a, "the device tree's arm,pl061 does not have the PL061's ID");
	int user = a->w == &irqlat_user;
	if (!user && !gi->gpio_doorbell)
		return guestwl_unavailable(a, "no GPIO doorbell (hvvmm,gpio-doorbell) in the device tree: "
				      "not this project's monitor");
	uint64_t n = bench_arg(a, "loops"), hmax = bench_arg(a, "hist_us");
	size_t bytes = n * sizeof(uint64_t);
	uint64_t *lat = plat_alloc(bytes);
	if (!lat)
		return bench_fail(a, "out of memory");
	/* Pin 0: output, edge-sensitive, rising edge, unmasked. */
	w32(b + GPIO_IE, 0);
	w32(b + GPIO_DATA_PIN0, 0);
	w32(b + GPIO_DIR, r32(b + GPIO_DIR) | 1);
	w32(b + GPIO_IS, r32(b + GPIO_IS) & ~1u);
	w32(b + GPIO_IBE, r32(b + GPIO_IBE) & ~1u);
	w32(b + GPIO_IEV, r32(b + GPIO_IEV) | 1);
	w32(b + GPIO_IC, 1);
	w32(b + GPIO_IE, 1);
	uint64_t khz = gi->tsc_khz, t_start = plat_now_ns();
	int rc = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t count = *gi->gpio_irq_count;
		uint64_t t0 = plat_rdtsc();
		if (user)
			w32(b + GPIO_DATA_PIN0, 1); /* pin 0 rises, looped back */
		else
			w32((uintptr_t)gi->gpio_doorbell, 1);
		/* The first interrupt says whether there is a loopback at all:
		 * 100 ms is ages for one, even emulated. */
		if (wait_irq(count, i ? 2000000000ull : 100000000ull)) {
			rc = !user ? doorbell_fail(a)
			     : i   ? bench_fail(a, "the interrupt never arrived")
				   : guestwl_unavailable(a, "no loopback: the PL061 raised no interrupt "
						    "when its output pin 0 rose (QEMU's PL061 "
						    "does not loop outputs back to inputs)");
			break;
		}
		uint64_t t1 = *gi->gpio_irq_tsc;
		lat[i] = t1 > t0 ? (t1 - t0) * 1000000ull / khz : 0;
		if (user)
			w32(b + GPIO_DATA_PIN0, 0); /* pin 0 falls: ready for the next edge */
	}
	w32(b + GPIO_IE, 0);
	w32(b + GPIO_DATA_PIN0, 0);
	if (rc == 0)
		rc = latency_report(a, "latency_avg", lat, n, hmax, plat_now_ns() - t_start);
	plat_free(lat, bytes);
	return rc;
}

static int gpio_wait_run(const struct bench_args *a)
{
	int64_t base = irqlat_gpio_setup();
	if (base < 0)
		return guestwl_unavailable(a, "no PL061 (arm,pl061) in the device tree");
	uintptr_t b = (uintptr_t)base;
	uint32_t pin = 1u << bench_arg(a, "pin");
	w32(b + GPIO_IE, 0);
	w32(b + GPIO_DIR, r32(b + GPIO_DIR) & ~pin);
	w32(b + GPIO_IS, r32(b + GPIO_IS) & ~pin);
	w32(b + GPIO_IBE, r32(b + GPIO_IBE) & ~pin);
	w32(b + GPIO_IEV, r32(b + GPIO_IEV) | pin);
	w32(b + GPIO_IC, pin);
	uint64_t count = *gi->gpio_irq_count;
	w32(b + GPIO_IE, pin);
	char line[128];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "GPIO READY pin ");
	fmt_u64(&f, bench_arg(a, "pin"));
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	int rc = wait_irq(count, bench_arg(a, "timeout_ms") * 1000000ull);
	w32(b + GPIO_IE, 0);
	if (rc)
		return bench_fail(a, "no interrupt from the input pin");
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "GPIO IRQ pin ");
	fmt_u64(&f, bench_arg(a, "pin"));
	fmt_str(&f, " count ");
	fmt_u64(&f, *gi->gpio_irq_count - count);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	return 0;
}
