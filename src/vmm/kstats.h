/*
 * kstats: KVM's binary statistics of a vCPU (KVM API 4.131,
 * KVM_GET_STATS_FD; Linux 5.14 and later), read without disturbing it.
 *
 * Owns: the one counter the monitor's liveness check needs, `exits` (every
 * exit of the vCPU from guest mode, handled in the kernel or not). The
 * main thread reads it with pread(2) on the statistics fd while the vCPU
 * runs; the vCPU takes no exit and no signal for it. A vCPU whose counter
 * moved since the last look has run guest code since: it is alive, and
 * the check need not kick it (machine.c, dead_check).
 */
#ifndef KSTATS_H
#define KSTATS_H

#include <stdint.h>

struct kstats {
	int fd;           /* the statistics fd, -1 where the host has none */
	uint64_t exits_at; /* byte offset of the `exits` counter in it */
};

/* Opens vcpu_fd's statistics and finds `exits`. Returns 0, or -1 (k->fd is
 * then -1: the host lacks them, or they have no such counter). */
int kstats_open(struct kstats *k, int vcpu_fd);
/* The counter now. Returns 0, or -1 when it cannot be read. */
int kstats_exits(const struct kstats *k, uint64_t *out);
void kstats_close(struct kstats *k);

#endif
