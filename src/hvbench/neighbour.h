/* neighbour: the --interference neighbours, the loads that run beside the
 * measured VM while its virtualised side is measured a second time, each
 * aimed at what hurts latency (issue 13; the method of the RTAS 2023
 * comparison of embedded hypervisors):
 *   memory  a benchmark guest VM streaming writes through 64 MiB (the
 *           first neighbour, still the default of a bare --interference);
 *   llc     a benchmark guest VM streaming writes through twice the host's
 *           last-level cache, read from sysfs, so the cache is evicted;
 *   io      a benchmark guest VM doing port I/O in a loop (port-io-loop),
 *           every access an exit to its monitor: the exit path, the
 *           host's interrupts and scheduler;
 *   host    a host process (the native runner's memory workload, the same
 *           working set as llc) on the measured CPU's SMT sibling, or on
 *           another core of its package when it has none.
 * Chosen with --interference=LIST and recorded in results.json (config
 * .interference) and the report. */
#ifndef HVB_NEIGHBOUR_H
#define HVB_NEIGHBOUR_H

#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

#include "hvbench.h"

#define NB_MAX 4

/* The names of the HVB_NB_* bits, in bit order ("memory", "llc", ...). */
extern const char *const nb_kind_names[NB_MAX];

/* Parses a comma-separated list of neighbour names; NULL or "" is memory
 * (the default). Returns 0 with the bits, or -1 with why in err. */
int nb_parse(const char *list, unsigned *kinds, char *err, size_t errlen);

/* The names of kinds, comma-separated in bit order, into buf. */
void nb_names(unsigned kinds, char *buf, size_t n);

/* The last-level cache of CPU cpu as sysfs describes it under sysroot
 * ("/sys" on a real host; tests give a folder of their own): the highest
 * level of devices/system/cpu/cpuN/cache/index* whose type is Unified or
 * Data. Returns its size in bytes with *level and the size file's path,
 * or -1 when sysfs says nothing. */
long long nb_llc(const char *sysroot, int cpu, int *level, char *path, size_t pathlen);

/* The CPU for the host neighbour: the first CPU of `allowed` other than
 * cpu in its thread_siblings_list (*rel HVB_NB_REL_SMT), else in its
 * package (core_siblings_list; HVB_NB_REL_PACKAGE), else any other
 * allowed CPU (HVB_NB_REL_OTHER). -1 when there is no other CPU. */
int nb_host_cpu(const char *sysroot, int cpu, const cpu_set_t *allowed, int *rel);

/* The working set of the llc and host neighbours: twice the cache, in
 * whole MiB. */
long long nb_working_set(long long llc_bytes);
/* The largest working set a neighbour VM is given (its RAM stays below
 * the 32-bit MMIO hole). */
#define NB_WS_MAX (2048LL << 20)

/* One sentence on what ran beside the measured VM (the report's and
 * results.json's description), from the recorded configuration. */
void nb_describe(struct hvb_buf *b, const struct hvb_config *c);

/* The neighbours of one measured run, started for it and stopped after. */
struct nb_set {
	pid_t pid[NB_MAX];
	unsigned kind[NB_MAX]; /* its HVB_NB_* bit */
	size_t n;
};

/* Starts every neighbour c->nb_kinds names (VMs on c->nb_cpu, the host
 * process on c->nb_host_cpu), each in its own process group and killed
 * if hvbench dies, and waits for them to settle. Returns 0, or -1 with
 * the ones started stopped again and why in err. */
int nb_start(struct nb_set *s, const struct hvb_config *c, const char *vmm,
	     const char *guest_image, const char *bench, char *err, size_t errlen);

/* Whether every neighbour is still running (they run until stopped).
 * Returns 0, or -1 with the one that ended in err. */
int nb_check(struct nb_set *s, char *err, size_t errlen);

/* Stops and reaps them (runner_stop: SIGTERM, then SIGKILL), adding the
 * CPU time each used (/proc/PID/stat utime + stime, all its threads) to
 * cpu_s[bit index] when cpu_s is not NULL. */
void nb_stop(struct nb_set *s, double cpu_s[NB_MAX]);

/* The CPU time of process pid in seconds, -1 when unknown. */
double nb_proc_cpu_s(pid_t pid);

#endif
