/*
 * vcpu: the run loop of one vCPU and the one switch on KVM exit reasons.
 *
 * Each vCPU thread calls KVM_RUN until the machine stops. Port I/O and MMIO
 * exits go to the buses; an access no device claims gets the architectural
 * answer (reads all-ones, writes dropped), logged once per address within
 * the run's budget for such messages (vlog.h), or stops the run under
 * --strict-io. Exits that mean the guest cannot go on
 * (shutdown, failed entry, internal error) stop the run with a message,
 * the registers and a distinct status. The main thread kicks a vCPU out of
 * KVM_RUN with SIGUSR1 plus kvm_run.immediate_exit (KVM API, "immediate_exit"),
 * which cannot be lost whether the signal lands inside or outside KVM_RUN.
 * immediate_exit is shared by the kicking thread, the vCPU thread and KVM,
 * so both threads access it atomically.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "machine.h"
#include "vlog.h"

/* A test build only (make build/vmm-slowexit): every MMIO exit takes this
 * many microseconds more, spun in the vCPU thread, so `hvbench run --ab`
 * can be shown to find a slower exit path and nothing else. */
#ifdef VMM_TEST_EXIT_DELAY_US
#include <time.h>
static void test_exit_delay(void)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) <
	       VMM_TEST_EXIT_DELAY_US * 1000L);
}
#else
static inline void test_exit_delay(void) {}
#endif

void vcpu_kick(struct machine *m, unsigned idx)
{
	struct kvm_vcpu_ctx *c = &m->kvm.vcpu[idx];
	if (!m->vs[idx].started)
		return;
	__atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(m->vs[idx].tid, SIGUSR1);
}

/* Stops the run and dumps this vCPU's registers. */
static void stop_with_dump(struct machine *m, unsigned idx, int status, const char *what)
{
	struct vcpu_regs r;
	int fd = m->kvm.vcpu[idx].fd;
	if (!machine_stop(m, status, "vCPU %u: %s", idx, what))
		return; /* another reason came first: its dump, not ours */
	if (vcpu_arch_regs(fd, &r) == 0)
		vcpu_dump(m, &r, fd);
}

/* Whether an unclaimed access at this address still needs telling: not if
 * it was logged already (once per address). A new address takes a place
 * in the table while there is one; the table is as large as vlog's budget
 * for these messages, and past it vlog only counts them. */
static bool log_new_address(struct machine *m, bool pio, uint64_t addr)
{
	const unsigned max = sizeof(m->logged) / sizeof(m->logged[0]);
	bool fresh = true;
	pthread_mutex_lock(&m->log_lock);
	for (unsigned i = 0; i < m->nlogged && fresh; i++)
		if (m->logged[i].addr == addr && m->logged[i].pio == pio)
			fresh = false;
	if (fresh && m->nlogged < max) {
		m->logged[m->nlogged].addr = addr;
		m->logged[m->nlogged].pio = pio;
		m->nlogged++;
	}
	pthread_mutex_unlock(&m->log_lock);
	return fresh;
}

static void unclaimed(struct machine *m, unsigned idx, bool pio, uint64_t addr, uint8_t *data,
		      uint32_t len, bool is_write)
{
	char what[160];
	snprintf(what, sizeof(what), "%s %s of %u byte%s at %s%#" PRIx64 ", which no device claims",
		 pio ? "port" : "MMIO", is_write ? "write" : "read", len, len == 1 ? "" : "s",
		 pio ? "port " : "address ", addr);
	if (m->strict_io) {
		stop_with_dump(m, idx, VMM_EXIT_STRICT_IO, what);
		return;
	}
	if (!is_write)
		memset(data, 0xff, len);
	if (log_new_address(m, pio, addr))
		vlog_guest(VLOG_UNCLAIMED, "vCPU %u: %s: %s (logged once per address)", idx, what,
			   is_write ? "ignored" : "reads all-ones");
}

/* The one switch on the exit reason. Returns false when the vCPU must stop. */
static bool handle_exit(struct machine *m, unsigned idx, struct kvm_run *run)
{
	char what[200];
	struct vcpu_state *v = &m->vs[idx];
	if (run->exit_reason == KVM_EXIT_IO)
		v->io_exits++;
	else if (run->exit_reason == KVM_EXIT_MMIO)
		v->mmio_exits++;
	else if (run->exit_reason != KVM_EXIT_INTR)
		v->other_exits++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		/* String I/O (INS/OUTS with REP) arrives as `count` items of
		 * `size` bytes, back to back in the kvm_run page. */
		uint8_t *p = (uint8_t *)run + run->io.data_offset;
		bool wr = run->io.direction == KVM_EXIT_IO_OUT;
		for (uint32_t i = 0; i < run->io.count; i++, p += run->io.size)
			if (!bus_access(&m->pio, run->io.port, p, run->io.size, wr))
				unclaimed(m, idx, true, run->io.port, p, run->io.size, wr);
		return true;
	}
	case KVM_EXIT_MMIO: {
		uint32_t len = run->mmio.len;
		test_exit_delay();
		if (len == 0 || len > 8) /* KVM never does this; be safe anyway */
			len = 8;
		if (!bus_access(&m->mmio, run->mmio.phys_addr, run->mmio.data, len,
				run->mmio.is_write))
			unclaimed(m, idx, false, run->mmio.phys_addr, run->mmio.data, len,
				  run->mmio.is_write);
		return true;
	}
	case KVM_EXIT_INTR:
		atomic_fetch_add_explicit(&m->vs[idx].sig_exits, 1, memory_order_relaxed);
		return true; /* a kick; the loop looks at why */
	case KVM_EXIT_HLT:
		/* Only seen without an in-kernel LAPIC; we always have one. */
		stop_with_dump(m, idx, VMM_EXIT_HALTED, "halted (KVM_EXIT_HLT)");
		return false;
	case KVM_EXIT_SHUTDOWN:
		stop_with_dump(m, idx, VMM_EXIT_TRIPLE_FAULT,
			       "guest shut down (triple fault: an exception while delivering a "
			       "double fault)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			machine_stop(m, VMM_EXIT_OK, NULL);
			return false;
		case KVM_SYSTEM_EVENT_RESET:
			machine_stop(m, VMM_EXIT_OK, NULL);
			return false;
		default:
			snprintf(what, sizeof(what), "system event %u", run->system_event.type);
			stop_with_dump(m, idx, VMM_EXIT_KVM_ERROR, what);
			return false;
		}
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what),
			 "VM entry failed (hardware reason %#llx): the vCPU state is invalid",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		stop_with_dump(m, idx, VMM_EXIT_KVM_ERROR, what);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error (suberror %u%s)",
			 run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				 ? ": an instruction KVM cannot emulate"
				 : "");
		stop_with_dump(m, idx, VMM_EXIT_KVM_ERROR, what);
		return false;
	default:
		snprintf(what, sizeof(what), "exit reason %u, which this monitor does not handle",
			 run->exit_reason);
		stop_with_dump(m, idx, VMM_EXIT_KVM_ERROR, what);
		return false;
	}
}

/* Answers the main thread's liveness question: is this vCPU halted with
 * interrupts disabled (only an NMI or INIT could wake it, and nothing in
 * this machine sends those), or an AP never started (on arm64: stopped,
 * waiting for a PSCI CPU_ON)? */
static void report_liveness(struct machine *m, unsigned idx)
{
	struct vcpu_state *v = &m->vs[idx];
	int fd = m->kvm.vcpu[idx].fd;
	struct kvm_mp_state mp;
	int dead = 0, hif0 = 0;
	if (ioctl(fd, KVM_GET_MP_STATE, &mp) == 0 && vcpu_arch_regs(fd, &v->regs) == 0) {
		hif0 = mp.mp_state == KVM_MP_STATE_HALTED && vcpu_arch_masked(&v->regs);
		dead = hif0 || mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
		       mp.mp_state == KVM_MP_STATE_INIT_RECEIVED ||
		       mp.mp_state == KVM_MP_STATE_STOPPED;
	}
	atomic_store(&v->halted_if0, hif0);
	atomic_store(&v->idle_dead, dead);
}

void *vcpu_thread(void *arg)
{
	struct vcpu_arg *a = arg;
	struct machine *m = a->m;
	unsigned idx = a->idx;
	struct kvm_vcpu_ctx *c = &m->kvm.vcpu[idx];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&m->stopping)) {
		if (atomic_exchange(&m->vs[idx].check, 0))
			report_liveness(m, idx);
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				atomic_fetch_add_explicit(&m->vs[idx].sig_exits, 1,
							  memory_order_relaxed);
				__atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			char what[120];
			snprintf(what, sizeof(what), "KVM_RUN failed: %s", strerror(errno));
			stop_with_dump(m, idx, VMM_EXIT_KVM_ERROR, what);
			break;
		}
		if (!handle_exit(m, idx, c->run))
			break;
	}
	return NULL;
}
