/*
 * rt: the real-time VM configuration of `vmm run --realtime`. Each part is
 * a documented Linux or KVM interface, applied before the guest runs and
 * before the sandbox is loaded, so the sandbox policy needs no new call:
 *
 *  - vCPU threads pinned one per host CPU (--pin LIST): sched_setaffinity
 *    (pthread_setaffinity_np), so the scheduler never migrates a vCPU and
 *    its caches and TLB stay warm;
 *  - vCPU threads at SCHED_FIFO priority --rt-prio N (sched(7)):
 *    pthread_setschedparam; refused unless RLIMIT_RTPRIO allows N or the
 *    process has CAP_SYS_NICE, said as such;
 *  - guest RAM populated and locked (mlock(2)): every page is faulted in
 *    before the guest starts and is never swapped or migrated, so the
 *    real-time path takes no host page fault; refused with RLIMIT_MEMLOCK
 *    and the size needed when the limit is lower;
 *  - HLT, PAUSE (and MWAIT when the host allows it) exits disabled with
 *    KVM_CAP_X86_DISABLE_EXITS (KVM API 7.14), enabled on the VM before any
 *    vCPU exists: a halted guest then waits on its own CPU instead of
 *    being descheduled and woken by KVM, which is what a pinned, dedicated
 *    CPU is for; where the host lacks it, a warning and the run goes on;
 *  - KVM's halt polling per VM with KVM_CAP_HALT_POLL (KVM API 7.34,
 *    --halt-poll NS), when asked for;
 *  - no periodic kick of the monitor's own: the once-a-second dead-guest
 *    check kicks a vCPU out of KVM_RUN only when KVM's exit counters say
 *    no vCPU has run since the last check (kstats.h); a real-time VM
 *    skips it altogether.
 *    --kick-stats counts what the monitor itself costs each vCPU (the
 *    kicks it sent, the KVM_RUN calls a signal ended) and prints it when
 *    the run ends, so a test can show a real-time vCPU gets none; beside
 *    it every exit to the monitor by reason (port I/O, MMIO, signal,
 *    other) and KVM's count of all exits, so the lab can show a device's
 *    interrupts cost the monitor none (docs/passthrough.md).
 *
 * A VM without --realtime keeps today's behaviour.
 */
#ifndef RT_H
#define RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"
#include "kvm.h"

#define RT_PRIO_DEFAULT 50

struct rt_cfg {
	bool realtime;
	int prio;                  /* SCHED_FIFO priority, 1..99 */
	int pin[KVM_MAX_VCPUS];    /* host CPU per vCPU */
	unsigned npin;             /* 0: not pinned */
	int disable_exits;         /* -1: with --realtime; 0 no; 1 yes */
	long long halt_poll_ns;    /* -1: the host's default */
	bool kick_stats;           /* --kick-stats: print the monitor's own exits at the end */
};

void rt_cfg_init(struct rt_cfg *c);


/* Checks the configuration against the vCPU count (one CPU per vCPU, each
 * one this process may use). Returns 0 or -1 with err. */
int rt_check(const struct rt_cfg *c, unsigned ncpus, char *err, size_t errlen);

/* On the new VM, before any vCPU: disabled exits and halt polling. A part
 * the host lacks is a warning on stderr; a host refusal of what it offers
 * is an error. Returns 0 or -1 with err. */
int rt_vm_setup(const struct rt_cfg *c, struct kvm_vm *vm, char *err, size_t errlen);

/* Locks (and so populates) guest RAM. Returns 0 or -1 with err. */
int rt_lock_memory(const struct rt_cfg *c, const struct guestmem *gm, char *err, size_t errlen);

/* Pins vCPU thread idx and sets its policy, from the main thread while the
 * vCPU waits at the sandbox gate. Returns 0 or -1 with err. */
int rt_vcpu_setup(const struct rt_cfg *c, unsigned idx, unsigned long tid, char *err,
		  size_t errlen);

/* For `vmm info`: each part and whether this host offers it. */
void rt_info(const struct kvm_vm *vm);

#endif
