/* qemu: probing the host's QEMU for the peer runner, and the workloads it
 * cannot run (see qemu.h). */
#include "qemu.h"
#include "hvbench.h"
#include "result.h"
#include "runner.h"

#include <stdio.h>
#include <string.h>

const char *const qemu_machines[] = {"microvm", "pc", NULL};
const char *const qemu_cpus[] = {"host", "host,-arch-capabilities", "max", NULL};

/* The probe's workload: the cheapest one that still prints a RESULT line. */
#define PROBE_WORKLOAD "cpu"
#define PROBE_PARAM "time_ms=1"

/* Appends "-M MACHINE -cpu CPU: WHY" to the log, "; "-separated. */
static void log_add(struct qemu_probe *p, const char *machine, const char *cpu,
		    const char *why)
{
	size_t n = strlen(p->log);
	if (n + 1 < sizeof(p->log))
		snprintf(p->log + n, sizeof(p->log) - n, "%s-M %s -cpu %s: %s", n ? "; " : "",
			 machine, cpu, why);
}

int qemu_probe(const char *qemu, const char *guest, int cpu_pin, int timeout_s,
	       struct qemu_probe *p)
{
	const char *const params[] = {PROBE_PARAM};

	memset(p, 0, sizeof(*p));
	for (size_t m = 0; qemu_machines[m]; m++) {
		for (size_t c = 0; qemu_cpus[c]; c++) {
			struct runner r;
			struct runner_run res;
			struct result_sample s;
			char *argv[RUNNER_MAX_ARGS + 8], why[RESULT_REASON_MAX];
			const char *bad;
			enum result_status st;

			runner_qemu_bare(&r, qemu, qemu_cpus[c], qemu_machines[m], guest);
			r.cpu = cpu_pin;
			r.timeout_s = timeout_s;
			if (runner_expand(&r, PROBE_WORKLOAD, params, 1, argv,
					  sizeof(argv) / sizeof(argv[0])) < 0)
				continue; /* cannot happen: the template is fixed */
			runner_exec(argv, r.cpu, r.timeout_s, NULL, NULL, &res);
			runner_free_argv(argv);
			if (res.outcome == RUN_INTERRUPTED) {
				runner_run_free(&res);
				log_add(p, qemu_machines[m], qemu_cpus[c], "stopped");
				return -1;
			}
			st = result_scan(res.out, res.out_len, PROBE_WORKLOAD, &s, why, sizeof(why));
			bad = runner_judge(&r, &res);
			if (!bad && st == RESULT_OK) {
				p->cpu = qemu_cpus[c];
				p->machine = qemu_machines[m];
				runner_run_free(&res);
				return 0;
			}
			log_add(p, qemu_machines[m], qemu_cpus[c], bad ? bad : why);
			runner_run_free(&res);
		}
	}
	return -1;
}

/* Workloads that need a device only vmm has. Each row: the workload and
 * the device, as the report says it. A disk workload that needs vmm's
 * virtio-blk adds its row here unless the QEMU runner gets the same disk. */
static const struct {
	const char *workload, *needs;
} vmm_only[] = {
	{"irq-latency-user", "vmm's loopback GPIO controller"},
	{"irq-latency-irqfd", "vmm's loopback GPIO controller"},
	{"channel-ping", "vmm's inter-VM channel (vmm system)"},
	{"net-ping", "vmm's net link between VMs (vmm system)"},
	{"net-bulk", "vmm's net link between VMs (vmm system)"},
};

const char *qemu_unavailable(const char *monitor, const char *workload)
{
	static char why[160];

	if (!monitor || strcmp(monitor, "qemu") || !workload)
		return NULL;
	for (size_t i = 0; i < sizeof(vmm_only) / sizeof(vmm_only[0]); i++)
		if (!strcmp(vmm_only[i].workload, workload)) {
			snprintf(why, sizeof(why), "not available on QEMU: needs %s",
				 vmm_only[i].needs);
			return why;
		}
	return NULL;
}
