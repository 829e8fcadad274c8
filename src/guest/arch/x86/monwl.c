/*
 * monwl: the workloads that the monitor decides, not the CPU, run in the
 * benchmark guest under any monitor (vmm, QEMU/KVM), so that monitors can
 * be compared with each other (there is no native side: the host has no
 * monitor):
 *
 *   startup-entry:    the host's time at the monitor's spawn (t0=, ns of
 *                     CLOCK_REALTIME, passed by hvbench) to the guest's first
 *                     instruction (entry.S stamps the TSC there), in the
 *                     host's clock through kvmclock (kernel.c SYS_HOSTTIME);
 *   startup-workload: the same to the first instruction of the workload at
 *                     CPL3, the kernel's set-up included;
 *   exit-port:        one write to the UART's scratch register (0x3ff), the
 *                     port write of `make bench-roundtrip`: a trap to the
 *                     monitor and back;
 *   exit-uart:        one read of the UART's line status register (0x3fd),
 *                     checked (THR empty), a read round trip;
 *   exit-pci:         one PCI configuration read of 00:00.0 through
 *                     mechanism #1's data port (0xcfc; PCI Local Bus 3.0
 *                     3.2.2.3.2), the address written once before the loop;
 *                     UNAVAILABLE on a machine with no host bridge there
 *                     (QEMU's microvm);
 *   monitor-memory:   prints MONITOR_MEMORY_READY and idles hold_ms at CPL3,
 *                     touching nothing: hvbench reads the monitor's RSS and
 *                     the guest RAM's resident part from /proc meanwhile and
 *                     puts their difference in place of this RESULT's value
 *                     (0 here).
 *
 * The exit loops run in the kernel (SYS_PORT_LOOP, kernel.c says why), each
 * round trip timed alone with the TSC; the RESULT is latency_report()'s
 * (mean, percentiles, histogram). On a software KVM the two RDTSCs around
 * the access are emulated CPL0 instructions too, the same under every
 * monitor.
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guest.h"
#include "guestarch.h"
#include "guestwl.h"
#include "platform.h"

#define MONITOR_MEMORY_READY "HVBENCH-MONITOR-MEMORY-READY\n"

static const struct bench_param start_params[] = {
	{"t0", BENCH_P_UINT, "0", "host CLOCK_REALTIME at the monitor's spawn, ns (hvbench sets it)",
	 0, UINT64_MAX >> 1, NULL},
	{0},
};
static const struct bench_param exit_params[] = {
	{"loops", BENCH_P_UINT, "10000", "round trips measured", 1, 10000000, NULL},
	{"hist_us", BENCH_P_UINT, "200", "histogram range in us", 1, 1000, NULL},
	{0},
};
static const struct bench_param mem_params[] = {
	{"hold_ms", BENCH_P_UINT, "500", "how long the guest idles while it is measured", 1,
	 600000, NULL},
	{0},
};

static int start_run(const struct bench_args *a);
static int exit_run(const struct bench_args *a);
static int mem_run(const struct bench_args *a);

const struct bench_workload mon_start_entry = {
	"startup-entry", "monitor",
	"monitor spawn to the guest's first instruction, host clock via kvmclock (guest only); ms",
	start_params, start_run,
};
const struct bench_workload mon_start_wl = {
	"startup-workload", "monitor",
	"monitor spawn to the workload's first instruction at CPL3 (guest only); ms",
	start_params, start_run,
};
const struct bench_workload mon_exit_port = {
	"exit-port", "monitor", "UART scratch-register write from CPL3, one exit round trip; us",
	exit_params, exit_run,
};
const struct bench_workload mon_exit_uart = {
	"exit-uart", "monitor", "UART line-status read from CPL3, one exit round trip; us",
	exit_params, exit_run,
};
const struct bench_workload mon_exit_pci = {
	"exit-pci", "monitor", "PCI configuration read (0xcfc) from CPL3, one exit round trip; us",
	exit_params, exit_run,
};
const struct bench_workload mon_memory = {
	"monitor-memory", "monitor",
	"the monitor's RSS minus the guest RAM it holds, read by hvbench from /proc; KiB",
	mem_params, mem_run,
};

static const struct guest_info *gi;

void monwl_init(const struct guest_info *info)
{
	gi = info;
}

static int unavailable(const struct bench_args *a, const char *why)
{
	char line[256];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "UNAVAILABLE ");
	fmt_str(&f, a->w->name);
	fmt_str(&f, ": ");
	fmt_str(&f, why);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	return GUESTWL_UNAVAILABLE;
}

static int start_run(const struct bench_args *a)
{
	/* The workload's start: its first instruction that matters. */
	uint64_t tsc_wl = guest_counter();
	uint64_t t0 = bench_arg(a, "t0");
	if (!t0)
		return bench_fail(a, "t0= (the host's time at the monitor's spawn) is not given");
	int64_t h_entry = sys3(SYS_HOSTTIME, gi->tsc_entry, 0, 0);
	int64_t h_wl = sys3(SYS_HOSTTIME, tsc_wl, 0, 0);
	if (h_entry < 0 || h_wl < 0 || !gi->tsc_entry)
		return unavailable(a, "no kvmclock (KVM's paravirtual clock) to read the host's time");
	if ((uint64_t)h_entry < t0 || h_wl < h_entry)
		return bench_fail(a, "the guest's first instruction came before the monitor's spawn "
				     "(host and guest clocks disagree)");
	double entry_ms = (double)((uint64_t)h_entry - t0) / 1e6;
	double wl_ms = (double)((uint64_t)h_wl - t0) / 1e6;
	struct bench_result r;
	result_begin(&r, a, a->w == &mon_start_entry ? "to_entry" : "to_workload", "ms", "lower",
		     a->w == &mon_start_entry ? entry_ms : wl_ms, 3);
	result_f64(&r, "entry_ms", entry_ms, 3);
	result_f64(&r, "workload_ms", wl_ms, 3);
	result_u64(&r, "check", 1);
	return result_end(&r);
}

static int exit_run(const struct bench_args *a)
{
	uint64_t n = bench_arg(a, "loops"), hmax = bench_arg(a, "hist_us");
	size_t bytes = n * sizeof(uint64_t);
	uint64_t kind = a->w == &mon_exit_port ? 0 : a->w == &mon_exit_uart ? 1 : 2;
	uint64_t *lat = plat_alloc(bytes);
	if (!lat)
		return bench_fail(a, "out of memory");
	/* One access first: is the device there at all? */
	int64_t bad = sys3(SYS_PORT_LOOP, kind, 1, (uint64_t)(uintptr_t)lat);
	if (kind == 2 && bad == 0) {
		/* 00:00.0 answered all-ones (mechanism #1 with nothing behind it)? */
		bad = sys3(SYS_PCI_READ, 0, 0, 0) == 0xffffffffll ? 1 : 0;
		if (bad) {
			plat_free(lat, bytes);
			return unavailable(a, "no PCI host bridge at 00:00.0 through 0xcf8/0xcfc");
		}
	}
	if (kind == 1 && bad) {
		plat_free(lat, bytes);
		return unavailable(a, "no 16550 UART at 0x3f8 (its line status shows no empty THR)");
	}
	uint64_t khz = gi->tsc_khz, t_start = plat_now_ns();
	bad = sys3(SYS_PORT_LOOP, kind, n, (uint64_t)(uintptr_t)lat);
	if (bad) {
		plat_free(lat, bytes);
		return bench_fail(a, bad < 0 ? "the kernel refused the port loop"
					     : "a read gave a wrong value");
	}
	for (uint64_t i = 0; i < n; i++)
		lat[i] = lat[i] * 1000000ull / khz;
	int rc = latency_report(a, "roundtrip_avg", lat, n, hmax, plat_now_ns() - t_start);
	plat_free(lat, bytes);
	return rc;
}

static int mem_run(const struct bench_args *a)
{
	uint64_t hold = bench_arg(a, "hold_ms");
	plat_write(MONITOR_MEMORY_READY, sizeof(MONITOR_MEMORY_READY) - 1);
	uint64_t end = plat_now_ns() + hold * 1000000ull;
	while (plat_now_ns() < end)
		__asm__ volatile("pause");
	struct bench_result r;
	result_begin(&r, a, "own_memory", "KiB", "lower", 0, 0);
	result_str(&r, "measured_by", "host");
	result_u64(&r, "check", 1);
	return result_end(&r);
}
