/* rt: the real-time VM configuration (see rt.h). */
#include "rt.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/kvm.h>

/* Older headers: the values are the KVM API's (include/uapi/linux/kvm.h). */
#ifndef KVM_CAP_HALT_POLL
#define KVM_CAP_HALT_POLL 182
#endif
#ifndef KVM_X86_DISABLE_EXITS_MWAIT
#define KVM_X86_DISABLE_EXITS_MWAIT (1 << 0)
#define KVM_X86_DISABLE_EXITS_HLT (1 << 1)
#define KVM_X86_DISABLE_EXITS_PAUSE (1 << 2)
#endif

void rt_cfg_init(struct rt_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->prio = RT_PRIO_DEFAULT;
	c->disable_exits = -1;
	c->halt_poll_ns = -1;
}

int rt_check(const struct rt_cfg *c, unsigned ncpus, char *err, size_t errlen)
{
	cpu_set_t allowed;

	if (!c->npin)
		return 0;
	if (c->npin != ncpus) {
		snprintf(err, errlen, "--pin: %u CPU%s for %u vCPU%s: give one host CPU per vCPU",
			 c->npin, c->npin == 1 ? "" : "s", ncpus, ncpus == 1 ? "" : "s");
		return -1;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return 0; /* the pinning itself will say */
	for (unsigned i = 0; i < c->npin; i++)
		if (!CPU_ISSET((size_t)c->pin[i], &allowed)) {
			snprintf(err, errlen, "--pin: this process may not run on CPU %d "
				 "(see its affinity: taskset -p %d)", c->pin[i], (int)getpid());
			return -1;
		}
	return 0;
}

static int enable_cap(struct kvm_vm *vm, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap ec = {.cap = cap, .args = {arg0}};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &ec);
}

int rt_vm_setup(const struct rt_cfg *c, struct kvm_vm *vm, char *err, size_t errlen)
{
	int want = c->disable_exits < 0 ? c->realtime : c->disable_exits;

	if (want) {
		/* The cap's value is the set of exits this host lets a VM
		 * disable; MWAIT is in it only where KVM deems MWAIT in the
		 * guest safe (KVM API, KVM_CAP_X86_DISABLE_EXITS). */
		int offer = kvm_check_cap(vm, KVM_CAP_X86_DISABLE_EXITS);
		uint32_t mask = (uint32_t)(offer > 0 ? offer : 0) &
				(KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE |
				 KVM_X86_DISABLE_EXITS_MWAIT);

		if (!mask)
			fprintf(stderr, "vmm: realtime: this host's KVM cannot disable HLT/PAUSE "
					"exits (no KVM_CAP_X86_DISABLE_EXITS); they stay\n");
		else if (enable_cap(vm, KVM_CAP_X86_DISABLE_EXITS, mask) < 0) {
			snprintf(err, errlen, "KVM_ENABLE_CAP X86_DISABLE_EXITS %#x: %s", mask,
				 strerror(errno));
			return -1;
		}
	}
	if (c->halt_poll_ns >= 0) {
		if (kvm_check_cap(vm, KVM_CAP_HALT_POLL) <= 0)
			fprintf(stderr, "vmm: --halt-poll: this host's KVM has no per-VM halt "
					"polling (KVM_CAP_HALT_POLL); its module default stays\n");
		else if (enable_cap(vm, KVM_CAP_HALT_POLL, (uint64_t)c->halt_poll_ns) < 0) {
			snprintf(err, errlen, "--halt-poll %lld: KVM_ENABLE_CAP HALT_POLL: %s",
				 c->halt_poll_ns, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int rt_lock_memory(const struct rt_cfg *c, const struct guestmem *gm, char *err, size_t errlen)
{
	struct rlimit rl;

	if (!c->realtime)
		return 0;
	/* mlock faults every page in (populating it) and keeps it resident. */
	if (mlock(gm->host, gm->size) == 0)
		return 0;
	int e = errno;
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		rl.rlim_cur = 0;
	if (e == ENOMEM || e == EPERM || e == EAGAIN) {
		char lim[32];

		if (rl.rlim_cur == RLIM_INFINITY)
			snprintf(lim, sizeof(lim), "unlimited");
		else
			snprintf(lim, sizeof(lim), "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
		snprintf(err, errlen,
			 "--realtime: cannot lock %llu KiB of guest RAM (%s): RLIMIT_MEMLOCK is %s; "
			 "raise it to at least %llu KiB (ulimit -l, limits.conf memlock) or give the "
			 "process CAP_IPC_LOCK, or lower --mem",
			 (unsigned long long)gm->size / 1024, strerror(e), lim,
			 (unsigned long long)gm->size / 1024);
	} else {
		snprintf(err, errlen, "--realtime: mlock of guest RAM: %s", strerror(e));
	}
	return -1;
}

int rt_vcpu_setup(const struct rt_cfg *c, unsigned idx, unsigned long tid, char *err,
		  size_t errlen)
{
	pthread_t t = (pthread_t)tid;
	int e;

	if (c->npin) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((size_t)c->pin[idx], &set);
		e = pthread_setaffinity_np(t, sizeof(set), &set);
		if (e) {
			snprintf(err, errlen, "--pin: vCPU %u to CPU %d: %s", idx, c->pin[idx],
				 strerror(e));
			return -1;
		}
	}
	if (c->realtime) {
		struct sched_param sp = {.sched_priority = c->prio};
		struct rlimit rl;

		e = pthread_setschedparam(t, SCHED_FIFO, &sp);
		if (e == EPERM) {
			if (getrlimit(RLIMIT_RTPRIO, &rl))
				rl.rlim_cur = 0;
			snprintf(err, errlen,
				 "--realtime: this process may not run vCPU threads at SCHED_FIFO "
				 "priority %d: RLIMIT_RTPRIO is %llu and it lacks CAP_SYS_NICE; raise "
				 "the limit (ulimit -r %d, limits.conf rtprio) or lower --rt-prio",
				 c->prio, (unsigned long long)rl.rlim_cur, c->prio);
			return -1;
		}
		if (e) {
			snprintf(err, errlen, "--realtime: SCHED_FIFO %d for vCPU %u: %s", c->prio, idx,
				 strerror(e));
			return -1;
		}
	}
	return 0;
}

void rt_info(const struct kvm_vm *vm)
{
	int offer = kvm_check_cap(vm, KVM_CAP_X86_DISABLE_EXITS);
	struct rlimit rt, ml;

	printf("realtime (vmm run --realtime):\n");
	if (offer > 0)
		printf("  disable exits   present  HLT %s, PAUSE %s, MWAIT %s "
		       "(KVM_CAP_X86_DISABLE_EXITS)\n",
		       offer & KVM_X86_DISABLE_EXITS_HLT ? "yes" : "no",
		       offer & KVM_X86_DISABLE_EXITS_PAUSE ? "yes" : "no",
		       offer & KVM_X86_DISABLE_EXITS_MWAIT ? "yes" : "no (host deems it unsafe)");
	else
		printf("  disable exits   absent   HLT/PAUSE exits stay: no "
		       "KVM_CAP_X86_DISABLE_EXITS\n");
	printf("  halt polling    %-8s per VM with --halt-poll NS (KVM_CAP_HALT_POLL)\n",
	       kvm_check_cap(vm, KVM_CAP_HALT_POLL) > 0 ? "present" : "absent");
	if (getrlimit(RLIMIT_RTPRIO, &rt) == 0)
		printf("  SCHED_FIFO      RLIMIT_RTPRIO %llu%s\n", (unsigned long long)rt.rlim_cur,
		       rt.rlim_cur ? "" : " (needs CAP_SYS_NICE)");
	if (getrlimit(RLIMIT_MEMLOCK, &ml) == 0) {
		if (ml.rlim_cur == RLIM_INFINITY)
			printf("  locked RAM      RLIMIT_MEMLOCK unlimited\n");
		else
			printf("  locked RAM      RLIMIT_MEMLOCK %llu KiB (more needs "
			       "CAP_IPC_LOCK)\n", (unsigned long long)ml.rlim_cur / 1024);
	}
}
