/*
 * portio: port-io-loop, the --interference neighbour that stresses exits
 * and interrupts rather than caches. It reads the host bridge's vendor and
 * device ID through configuration mechanism #1 (PCI Local Bus 3.0,
 * 3.2.2.3.2: an OUT to 0xcf8, an IN from 0xcfc) in a loop, each pair
 * through SYS_PCI_READ (CPL3 has no I/O ports). Every port access is a
 * KVM_EXIT_IO that the monitor answers in user space, so the loop keeps
 * the host's exit path and its scheduler busy. Runs for time_ms and
 * reports the port accesses per second; guest-only, and not one of
 * hvbench's measured workloads (it is a neighbour's load, like
 * channel-pong).
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guest.h"
#include "guestarch.h"
#include "guestwl.h"
#include "platform.h"

static const struct bench_param portio_params[] = {
	{"time_ms", BENCH_P_UINT, "1000", "how long to loop", 1, 1000000000, NULL},
	{0},
};

static int portio_run(const struct bench_args *a);

const struct bench_workload portio_loop = {
	"port-io-loop", "synthetic",
	"PCI configuration reads (OUT 0xcf8, IN 0xcfc) in a loop, each an exit to vmm "
	"(guest only; the --interference io neighbour); port accesses/s",
	portio_params, portio_run,
};

static int portio_run(const struct bench_args *a)
{
	uint64_t limit = bench_arg(a, "time_ms") * 1000000ull;
	uint64_t t0 = plat_now_ns(), t = t0, calls = 0;
	uint32_t id = 0;

	while (t - t0 < limit) {
		/* bus 0, device 0, function 0, register 0 */
		id = (uint32_t)sys3(SYS_PCI_READ, 0, 0, 0);
		calls++;
		if ((calls & 15) == 0)
			t = plat_now_ns();
	}
	t = plat_now_ns();
	if (id == 0xffffffffu || id == 0)
		return bench_fail(a, "no function at 00:00.0 answered the configuration read");
	struct bench_result r;
	double secs = (double)(t - t0) / 1e9;
	result_begin(&r, a, "port_io_rate", "accesses/s", "higher", (double)(2 * calls) / secs, 1);
	result_u64(&r, "check", calls);
	result_u64(&r, "host_bridge_id", id);
	result_f64(&r, "time_ms", bench_ns_to_ms(t - t0), 3);
	return result_end(&r);
}
