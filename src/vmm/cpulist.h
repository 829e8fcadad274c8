/*
 * cpulist: CPU lists on the command line ("0", "2-3", "0,2-3", the list
 * format of cpuset(7) and `taskset -c`), and the placement of the monitor's
 * threads on them.
 *
 * Owns: `vmm run --io-cpus LIST`. Every device worker thread (the I/O
 * thread of each virtio device, virtio_pci.h) runs on the CPUs of LIST,
 * and every vCPU thread on the process's other allowed CPUs. Why: a
 * device thread that shares a CPU with a vCPU takes that CPU away from
 * the guest whenever it works (and a guest that spins waiting for a
 * completion then keeps it from working until the scheduler steps in),
 * and a real-time configuration needs device and I/O threads kept off
 * the CPUs of its vCPUs. LIST must be inside the CPUs this process may
 * use (sched_getaffinity(2): `taskset`, cgroups) and leave at least one
 * of them for the vCPUs; both are start-up errors.
 */
#ifndef CPULIST_H
#define CPULIST_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

/* Parses LIST into *set: comma-separated CPU numbers and ranges A-B
 * (A <= B), each below CPU_SETSIZE, no blanks. Returns 0, or -1 with a
 * message naming `opt` in err. */
int cpulist_parse(const char *opt, const char *s, cpu_set_t *set, char *err, size_t errlen);

/* The same list read in order into cpus[0..*n) (at most max, each CPU
 * once), for placements where the i-th CPU belongs to the i-th thread
 * (--pin: one per vCPU). Returns 0, or -1 with why in err. */
int cpulist_parse_ordered(const char *s, int *cpus, unsigned max, unsigned *n, char *err,
			  size_t errlen);

/* Writes set in list format ("0,2-3") into buf. Returns buf. */
char *cpulist_format(const cpu_set_t *set, char *buf, size_t len);

/* The --io-cpus placement, checked against the CPUs the process may use
 * (`allowed`): io is inside it and leaves some for the vCPUs, whose CPUs
 * (allowed minus io) go to *vcpus. Returns 0, or -1 with a message. */
int cpulist_split(const char *opt, const cpu_set_t *io, const cpu_set_t *allowed,
		  cpu_set_t *vcpus, char *err, size_t errlen);

/* pthread_setaffinity_np with a message naming the thread: 0 or -1. */
int cpulist_pin(pthread_t t, const char *name, const cpu_set_t *set, char *err, size_t errlen);

#endif
