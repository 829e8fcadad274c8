/*
 * sched: the benchmark guest kernel's threads, its preemptive round-robin
 * scheduler, its locks and the system calls on them, shared by the x86
 * (src/guest/arch/x86/kernel.c) and arm64 (src/guest/arch/arm64/kernel.c)
 * kernels. It runs with interrupts off on the guest's one CPU, which makes
 * every function here atomic with respect to the user threads.
 *
 * The timer is armed only when it has a reason: the earliest sleeper's
 * deadline, and the end of the running thread's slice when another thread
 * waits to run. With one runnable thread and no sleeper there are no
 * interrupts at all, so single-threaded workloads run without a kernel in
 * the way.
 *
 * What the architecture provides: karch.h in its folder (the counter, the
 * timer, the idle wait, inline) and the two functions declared at the end
 * (the context switch, the first frame of a thread).
 */
#ifndef SCHED_H
#define SCHED_H

#include <stdint.h>

#include "guest.h"
#include "karch.h"

enum tstate { T_FREE, T_RUNNABLE, T_SLEEPING, T_MUTEX, T_JOIN, T_ZOMBIE };

struct thread {
	uint64_t ksp;   /* saved kernel stack pointer (swtch) */
	enum tstate st;
	uint64_t wake;  /* T_SLEEPING: counter deadline */
	uint64_t waddr; /* T_MUTEX: lock word; T_JOIN: thread awaited */
	uint64_t wseq;  /* FIFO order among mutex waiters */
	int joiner;     /* thread waiting in join, or -1 */
	uint8_t fp[KARCH_FP_SIZE] __attribute__((aligned(16)));      /* user FP/SIMD state */
	uint8_t kstack[KARCH_KSTACK_SIZE] __attribute__((aligned(16)));
};

/* Sets the preemption quantum (counter ticks) and the RAM user pointers
 * may name, [lo, hi). */
void sched_init(uint64_t slice_ticks, uint64_t user_lo, uint64_t user_hi);
/* Makes the first thread, entry(arg) in user mode on stack_top, and runs
 * it. Returns only if no thread could be made. */
void sched_start(uint64_t entry, uint64_t arg, uint64_t stack_top);
/* The running thread's index, for fault reports. */
int sched_current(void);
/* Whether [p, p + len) lies in the RAM user pointers may name. */
int sched_user_range_ok(uint64_t p, uint64_t len);

/* The scheduler's system calls (guest.h): SYS_YIELD, SYS_THREAD_NEW,
 * SYS_THREAD_EXIT, SYS_JOIN, SYS_SLEEP_UNTIL, SYS_MUTEX_LOCK,
 * SYS_MUTEX_UNLOCK. Sets *handled to 0 for any other number. */
int64_t sched_syscall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, int *handled);
/* The timer fired (its interrupt acknowledged, the timer disarmed by the
 * hardware or by the caller): wakes sleepers and, when it interrupted
 * user code whose slice is over, switches to the next thread. */
void sched_timer_irq(int from_user);

/* ---- provided by the architecture's kernel ---- */
/* Switches from prev to next: the user FP state, whatever the CPU needs
 * to enter next's kernel stack on its next trap, then swtch. */
void karch_switch(struct thread *prev, struct thread *next);
/* Lays out th's kernel stack so that switching to it enters user mode at
 * entry(arg) on stack_top with interrupts on, and gives it the initial FP
 * state. Returns the stack pointer to switch to. */
uint64_t karch_thread_frame(struct thread *th, uint64_t entry, uint64_t arg, uint64_t stack_top);
/* Enters the first thread (nothing to save). */
void karch_start(struct thread *th);

#endif
