/* qemu: QEMU/KVM as the peer monitor of `hvbench run --vmm qemu`. Which
 * -cpu model and machine this host's QEMU accepts is found out, not
 * assumed: a QEMU that cannot set an MSR the host's KVM refuses (Debian's
 * with `-cpu host` on some software KVMs aborts with "failed to set MSR
 * 0x10a", the arch-capabilities MSR) must not fail every run. qemu_probe()
 * boots the benchmark guest once per candidate, in order, and keeps the
 * first that runs a tiny workload to its RESULT line and the debug-exit
 * success status; hvbench does it once per run and records the command it
 * then uses in results.json (config.virt_cmd). It also says which
 * workloads need a device only vmm has. */
#ifndef HVB_QEMU_H
#define HVB_QEMU_H

#include <stddef.h>

/* The candidates, in the order they are tried: the machine the study's
 * comparison wants (microvm: no firmware to speak of, like vmm) before pc
 * (SeaBIOS, seconds of emulated firmware on a software KVM), and for each
 * the host's CPU as vmm shows it, then without the arch-capabilities MSR,
 * then QEMU's "max". NULL-terminated. */
extern const char *const qemu_machines[];
extern const char *const qemu_cpus[];

struct qemu_probe {
	const char *cpu;     /* from qemu_cpus[], NULL when none worked */
	const char *machine; /* from qemu_machines[] */
	char log[2048];      /* each try and its outcome, "; "-separated */
};

/* Tries the candidates with `guest` (the benchmark guest) pinned to
 * `cpu_pin` (-1: not pinned), each try limited to timeout_s. Returns 0
 * with p->cpu and p->machine set, or -1 with p->log saying what failed. */
int qemu_probe(const char *qemu, const char *guest, int cpu_pin, int timeout_s,
	       struct qemu_probe *p);

/* Why a workload cannot run on monitor `monitor` ("vmm", "qemu"): the
 * device it needs that only vmm has, as a sentence for the report; NULL
 * when it can. */
const char *qemu_unavailable(const char *monitor, const char *workload);

#endif
