/* host: what hvbench records about the machine a run happened on: CPU
 * model, kernel, the kind of KVM (hardware VT-x/AMD-V or a software KVM such
 * as kvm_pvm), cpufreq governor, date, hostname and our own revision. */
#ifndef HVB_HOST_H
#define HVB_HOST_H

#include <sys/types.h>

#include "hvbench.h"

/* Fills h (all strings malloc'd). `cpu` is the CPU runs are pinned to, for
 * the governor (-1: CPU 0). */
void host_probe(struct hvb_host *h, int cpu);

/* The KVM kind from a /proc/cpuinfo text and a /sys/module directory:
 * sets *kvm ("VT-x", "AMD-V", "EL2" for an arm64 kernel with KVM, a kvm_*
 * module name, "none") and *kind ("hardware", "software", "none"), both
 * malloc'd. Split out for tests. */
void host_kvm_kind(const char *cpuinfo, const char *sys_module, char **kvm, char **kind);

/* host_kvm_kind on this machine's /proc/cpuinfo and /sys/module. */
void host_kvm_probe(char **kvm, char **kind);

/* The architecture's name in results.json from uname's machine field:
 * "arm64" for Linux's "aarch64" (and "arm64"), "x86_64" for "x86_64" and
 * "amd64", anything else as it is ("unknown" for NULL or ""). A static
 * string or `machine` itself. */
const char *host_arch_name(const char *machine);

/* The UTC time t as ISO 8601 ("2026-01-02T03:04:05Z") into buf. */
void host_iso_date(long long t, char *buf, size_t n);

/* What hvbench reads of a process from /proc/PID/stat (proc(5)). */
struct host_proc_stat {
	pid_t ppid;                /* field 4 */
	unsigned long long utime;  /* field 14, clock ticks */
	unsigned long long stime;  /* field 15, clock ticks */
	unsigned long long start;  /* field 22, clock ticks after boot: with
				    * the pid it names one process, never a
				    * later one given the same pid */
};

/* Reads pid's stat line into *st. Returns 0, or -1 when the process is
 * gone or the line cannot be read. */
int host_proc_stat(pid_t pid, struct host_proc_stat *st);

#endif
