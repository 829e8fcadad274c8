/*
 * sched: see sched.h.
 */
#include "sched.h"

static struct thread threads[GUEST_MAX_THREADS];
static int cur;
static int runq[GUEST_MAX_THREADS], rq_head, rq_len;
static uint64_t slice_end, slice_ticks, wseq, armed, user_lo, user_hi;
static int nsleepers;

void sched_init(uint64_t slice, uint64_t lo, uint64_t hi)
{
	slice_ticks = slice;
	user_lo = lo;
	user_hi = hi;
}

int sched_current(void)
{
	return cur;
}

int sched_user_range_ok(uint64_t p, uint64_t len)
{
	return p >= user_lo && p + len >= p && p + len <= user_hi;
}

/* The timer's deadline, written only when it changes (0: disarmed). */
static void timer_arm(uint64_t deadline)
{
	if (deadline == armed)
		return;
	armed = deadline;
	karch_timer_set(deadline);
}

static void rq_push(int t)
{
	runq[(rq_head + rq_len++) % GUEST_MAX_THREADS] = t;
}
static int rq_pop(void)
{
	int t = runq[rq_head];
	rq_head = (rq_head + 1) % GUEST_MAX_THREADS;
	rq_len--;
	return t;
}

static void make_runnable(int t)
{
	if (threads[t].st == T_SLEEPING)
		nsleepers--;
	threads[t].st = T_RUNNABLE;
	rq_push(t);
}

/* Timer policy: the earliest sleeper's deadline, and the end of the
 * running thread's slice when another thread is waiting to run. */
static void timer_update(void)
{
	uint64_t next = 0;
	if (nsleepers)
		for (int i = 0; i < GUEST_MAX_THREADS; i++)
			if (threads[i].st == T_SLEEPING && (!next || threads[i].wake < next))
				next = threads[i].wake;
	if (rq_len && (!next || slice_end < next))
		next = slice_end;
	timer_arm(next);
}

static void wake_sleepers(uint64_t now)
{
	for (int i = 0; nsleepers && i < GUEST_MAX_THREADS; i++)
		if (threads[i].st == T_SLEEPING && threads[i].wake <= now)
			make_runnable(i);
}

/* Picks the next thread and switches to it. The caller has already put
 * the current thread where it belongs (run queue, or blocked). With
 * nothing runnable, idles with interrupts on until a timer wakes one. */
static void schedule(void)
{
	while (!rq_len) {
		timer_update();
		karch_idle();
		wake_sleepers(karch_now());
	}
	int prev = cur, next = rq_pop();
	slice_end = karch_now() + slice_ticks;
	timer_update();
	if (next == prev)
		return;
	cur = next;
	karch_switch(&threads[prev], &threads[next]);
}

static void yield(void)
{
	make_runnable(cur);
	schedule();
}

static int thread_new(uint64_t entry, uint64_t arg, uint64_t stack_top)
{
	int t;
	for (t = 0; t < GUEST_MAX_THREADS; t++)
		if (threads[t].st == T_FREE)
			break;
	if (t == GUEST_MAX_THREADS)
		return -1;
	threads[t].ksp = karch_thread_frame(&threads[t], entry, arg, stack_top);
	threads[t].joiner = -1;
	make_runnable(t);
	return t;
}

void sched_start(uint64_t entry, uint64_t arg, uint64_t stack_top)
{
	cur = thread_new(entry, arg, stack_top);
	if (cur < 0)
		return;
	rq_pop();
	karch_start(&threads[cur]);
}

/* Lock word states, shared with user.c: 0 free, 1 held, 2 held with
 * waiters. The user side takes and drops an uncontended lock with one
 * atomic instruction; these slow paths run with interrupts off on our
 * single CPU, so they are atomic with respect to every user thread.
 * Unlock hands the lock to the longest waiter (FIFO), so a thread that
 * yields while holding a lock cannot starve the others. */
static void mutex_lock(volatile uint32_t *w)
{
	if (*w == 0) {
		*w = 1;
		return;
	}
	*w = 2;
	threads[cur].st = T_MUTEX;
	threads[cur].waddr = (uint64_t)w;
	threads[cur].wseq = ++wseq;
	schedule(); /* resumed holding the lock */
}

static void mutex_unlock(volatile uint32_t *w)
{
	int best = -1, more = 0;
	for (int i = 0; i < GUEST_MAX_THREADS; i++) {
		if (threads[i].st != T_MUTEX || threads[i].waddr != (uint64_t)w)
			continue;
		if (best < 0 || threads[i].wseq < threads[best].wseq) {
			more += best >= 0;
			best = i;
		} else {
			more++;
		}
	}
	if (best < 0) {
		*w = 0;
		return;
	}
	*w = more ? 2 : 1;
	make_runnable(best);
}

int64_t sched_syscall(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, int *handled)
{
	*handled = 1;
	switch (nr) {
	case SYS_YIELD:
		yield();
		return 0;
	case SYS_THREAD_NEW:
		return thread_new(a, b, c);
	case SYS_THREAD_EXIT:
		threads[cur].st = T_ZOMBIE;
		if (threads[cur].joiner >= 0)
			make_runnable(threads[cur].joiner);
		schedule();
		return 0; /* not reached: nobody schedules a zombie */
	case SYS_JOIN:
		if (a >= GUEST_MAX_THREADS || (int)a == cur || threads[a].st == T_FREE ||
		    threads[a].joiner >= 0)
			return -1;
		if (threads[a].st != T_ZOMBIE) {
			threads[a].joiner = cur;
			threads[cur].st = T_JOIN;
			schedule();
		}
		threads[a].st = T_FREE;
		return 0;
	case SYS_SLEEP_UNTIL:
		if (a <= karch_now())
			return 0;
		threads[cur].st = T_SLEEPING;
		threads[cur].wake = a;
		nsleepers++;
		schedule();
		return 0;
	case SYS_MUTEX_LOCK:
	case SYS_MUTEX_UNLOCK:
		if (!sched_user_range_ok(a, 4) || (a & 3))
			return -1;
		if (nr == SYS_MUTEX_LOCK)
			mutex_lock((volatile uint32_t *)a);
		else
			mutex_unlock((volatile uint32_t *)a);
		return 0;
	default:
		*handled = 0;
		return -1;
	}
}

void sched_timer_irq(int from_user)
{
	armed = 0; /* fired: disarmed (a TSC-deadline timer does it itself) */
	uint64_t now = karch_now();
	wake_sleepers(now);
	/* Preempt only user code; the kernel's idle loop (the one place
	 * interrupts are on in the kernel) goes back to its own loop. */
	if (from_user && rq_len && now >= slice_end)
		yield();
	else if (from_user)
		timer_update();
}
