/*
 * irqlat: the study's GPIO interrupt-latency test, in the guest. An output
 * pin of the monitor's loopback GPIO controller (src/vmm/dev/gpio.h) is set;
 * the looped-back input raises an MSI; the latency is the TSC at the
 * handler's first instruction (entry.S vec_gpio) minus the TSC just before
 * the write. Two paths, two workloads:
 *   irq-latency-user:  the OUT register: the write exits to vmm, which
 *                      injects the MSI (the study's kernel -> VMM -> guest
 *                      path);
 *   irq-latency-irqfd: the DOORBELL register: KVM's ioeventfd and irqfd
 *                      complete it in the host kernel.
 * The workload waits for each interrupt by polling the handler's counter
 * at CPL3, so no scheduling is in the measured interval. Guest-only: there
 * is no native counterpart (the native interrupt latency is timer-latency).
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guest.h"
#include "guestwl.h"
#include "platform.h"
#include "virtio.h"

static const struct bench_param irqlat_params[] = {
	{"loops", BENCH_P_UINT, "1000", "interrupts measured", 1, 10000000, NULL},
	{"hist_us", BENCH_P_UINT, "200", "histogram range in us", 1, 1000, NULL},
	{0},
};

static int irqlat_run(const struct bench_args *a);

const struct bench_workload irqlat_user = {
	"irq-latency-user", "latency",
	"GPIO loopback, injected by vmm: set pin to handler entry (guest only); us",
	irqlat_params, irqlat_run,
};
const struct bench_workload irqlat_irqfd = {
	"irq-latency-irqfd", "latency",
	"GPIO loopback, ioeventfd+irqfd in the host kernel: set pin to handler entry "
	"(guest only); us",
	irqlat_params, irqlat_run,
};

static const struct guest_info *gi;

const struct bench_workload *guestwl_find(const char *name)
{
	static const struct bench_workload *const all[] = {&irqlat_user, &irqlat_irqfd,
							    &chan_ping, &chan_pong, &vrng_read,
							    &vnet_ping, &vnet_pong, &vnet_bulk,
							    &vnet_sink, &vsock_ping, &vsock_pong,
							    &vsock_bulk, &vsock_sink,
							    &mon_start_entry, &mon_start_wl,
							    &mon_exit_port, &mon_exit_uart,
							    &mon_exit_pci, &mon_memory, &portio_loop};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (fmt_streq(name, all[i]->name))
			return all[i];
	return NULL;
}

void guestwl_init(const struct guest_info *info)
{
	gi = info;
	monwl_init(info);
	chan_init(info);
	virtio_set_info(info);
}

static int irqlat_run(const struct bench_args *a)
{
	int64_t bar = irqlat_gpio_setup();
	if (bar < 0)
		return bench_fail(a, "no GPIO controller with MSI on PCI bus 0 (vmm too old?)");
	volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)bar;
	if (regs[0x14 / 4] != 0x4f495047u)
		return bench_fail(a, "the GPIO controller's ID register is wrong");
	bool user = a->w == &irqlat_user;
	uint64_t n = bench_arg(a, "loops"), hmax = bench_arg(a, "hist_us");
	size_t bytes = n * sizeof(uint64_t);
	uint64_t *lat = plat_alloc(bytes);
	if (!lat)
		return bench_fail(a, "out of memory");
	regs[0x08 / 4] = 1; /* IRQ_EN: pin 0 */
	regs[0x00 / 4] = 0;
	uint64_t khz = gi->tsc_khz, t_start = plat_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t count = *gi->gpio_irq_count;
		uint64_t t0 = plat_rdtsc();
		if (user)
			regs[0x00 / 4] = 1; /* OUT: pin 0 rises, looped back */
		else
			regs[0x10 / 4] = 1; /* DOORBELL */
		uint64_t spin = 0;
		while (*gi->gpio_irq_count == count) {
			if (++spin > 2000000000ull) {
				plat_free(lat, bytes);
				return bench_fail(a, "the interrupt never arrived");
			}
		}
		uint64_t t1 = *gi->gpio_irq_tsc;
		lat[i] = t1 > t0 ? (t1 - t0) * 1000000ull / khz : 0;
		if (user)
			regs[0x00 / 4] = 0; /* pin 0 falls: ready for the next edge */
	}
	int rc = latency_report(a, "latency_avg", lat, n, hmax, plat_now_ns() - t_start);
	plat_free(lat, bytes);
	return rc;
}
