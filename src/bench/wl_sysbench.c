/*
 * wl_sysbench: the four sysbench 1.0 tests the study ran (cpu, memory,
 * threads, mutex), reimplemented from sysbench's documented behaviour so
 * they run on the platform API. Parameter names and defaults follow
 * sysbench's options (--cpu-max-prime, --memory-block-size, ...), written
 * key=value.
 */
#include "bmath.h"
#include "platform.h"
#include "rng.h"
#include "workloads.h"

static const char *const wl_opers[] = { "write", "read", NULL };
static const char *const wl_access[] = { "seq", "rnd", NULL };

/* ---- cpu ---------------------------------------------------------------
 * sysbench cpu: one event tests every c in 3 .. max_prime-1 for primality
 * by trial division by l = 2, 3, ... while l <= sqrt(c), and counts the
 * primes (so 2 is not counted: 1228 for the default 10000). Like sysbench,
 * c and l are 64-bit and the bound is compared as a double, which decides
 * the instruction mix (a 64-bit divide per step). The run lasts time_ms,
 * checking the clock between events, or exactly `events` events. */
uint64_t cpu_event(uint64_t max_prime)
{
	uint64_t n = 0;

	for (uint64_t c = 3; c < max_prime; c++) {
		double t = bm_sqrt((double)c);
		uint64_t l;
		for (l = 2; (double)l <= t; l++)
			if (c % l == 0)
				break;
		if ((double)l > t)
			n++;
	}
	return n;
}

/* Primes below n by the sieve of Eratosthenes: the independent answer the
 * trial-division count is checked against. */
static int64_t cpu_sieve_count(uint64_t n)
{
	uint8_t *composite = plat_alloc(n + 1);
	int64_t count = 0;

	if (!composite)
		return -1;
	for (uint64_t i = 2; i < n; i++) {
		if (composite[i])
			continue;
		count++;
		for (uint64_t j = i * i; j < n; j += i)
			composite[j] = 1;
	}
	plat_free(composite, n + 1);
	return count;
}

static int cpu_run(const struct bench_args *a)
{
	uint64_t max_prime = bench_arg(a, "max_prime");
	uint64_t limit_ns = bench_arg(a, "time_ms") * 1000000ULL;
	uint64_t want = bench_arg(a, "events");
	uint64_t events = 0, bad = 0, primes = 0;
	int64_t expect = cpu_sieve_count(max_prime);

	if (expect < 0)
		return bench_fail(a, "out of memory for the sieve");
	uint64_t t0 = plat_now_ns(), t1 = t0;
	uint64_t c0 = plat_rdtsc();
	for (;;) {
		primes = cpu_event(max_prime);
		bad += primes + 1 != (uint64_t)expect;
		events++;
		if (want) {
			if (events == want)
				break;
		} else if ((t1 = plat_now_ns()) - t0 >= limit_ns) {
			break;
		}
	}
	if (want)
		t1 = plat_now_ns();
	uint64_t cycles = plat_rdtsc() - c0;
	if (bad)
		return bench_fail(a, "prime count differs from the sieve");

	struct bench_result r;
	double secs = (double)(t1 - t0) / 1e9;
	result_begin(&r, a, "events_per_s", "events/s", "higher", (double)events / secs, 2);
	result_u64(&r, "check", primes + 1); /* primes below max_prime, 2 included */
	result_u64(&r, "events", events);
	result_f64(&r, "time_ms", bench_ns_to_ms(t1 - t0), 3);
	result_u64(&r, "tsc_cycles", cycles);
	return result_end(&r);
}

static const struct bench_param cpu_params[] = {
	{ "max_prime", BENCH_P_UINT, "10000", "upper limit for primes (sysbench --cpu-max-prime)",
	  3, 100000000, NULL },
	{ "time_ms", BENCH_P_UINT, "1000", "run time when events=0", 1, 3600000, NULL },
	{ "events", BENCH_P_UINT, "0", "run exactly this many events (0: use time_ms)",
	  0, UINT64_MAX, NULL },
	{ 0 },
};

const struct bench_workload wl_cpu = {
	"cpu", "synthetic", "sysbench cpu: primes by trial division, events/s",
	cpu_params, cpu_run,
};

/* ---- memory ------------------------------------------------------------
 * sysbench memory (1.0): one buffer of block_size bytes (scope global, one
 * thread); each event passes over the whole block once, as machine words
 * (8 bytes), until total_size / block_size events are done. Each access is
 * a volatile load or store, so it is neither dropped nor merged into wider
 * vector accesses. Sequential writes store the number of words left to the
 * end of the block, as sysbench does, and the final contents are verified;
 * reads are summed and checked. Random
 * access makes block_size/8 accesses at uniform random word indices (our
 * splitmix64 in place of sysbench's random double, so rnd is comparable
 * across our runs, not cycle for cycle with sysbench). */
static uint64_t mem_pattern(uint64_t i)
{
	return i * 0x9e3779b97f4a7c15ULL ^ 0x5bd1e9955bd1e995ULL;
}

static int memory_run(const struct bench_args *a)
{
	uint64_t block = bench_arg(a, "block_size");
	uint64_t total = bench_arg(a, "total_size");
	bool write = bench_arg_is(a, "oper", "write");
	bool rnd = bench_arg_is(a, "access", "rnd");
	uint64_t n = block / 8, events = total / block;
	uint64_t sum = 0, expect = 0;
	struct rng rg;

	if (block % 8)
		return bench_fail(a, "block_size must be a multiple of 8");
	if (events == 0)
		return bench_fail(a, "total_size is smaller than block_size");
	uint64_t *buf = plat_alloc(block);
	volatile uint64_t *vb = buf;
	if (!buf)
		return bench_fail(a, "out of memory for the block");
	if (!write)
		for (uint64_t i = 0; i < n; i++)
			buf[i] = mem_pattern(i);
	rng_seed(&rg, 42);

	uint64_t t0 = plat_now_ns(), c0 = plat_rdtsc();
	for (uint64_t e = 0; e < events; e++) {
		if (write && !rnd) {
			/* each word gets the number of words from it to the end
			 * of the block, as sysbench stores; unrolled eight
			 * ways by hand as Debian's sysbench binary has it, so
			 * loop overhead is the same in both */
			volatile uint64_t *p = vb, *end = vb + n;
			for (; p + 8 <= end; p += 8) {
				p[0] = (uint64_t)(end - p);
				p[1] = (uint64_t)(end - (p + 1));
				p[2] = (uint64_t)(end - (p + 2));
				p[3] = (uint64_t)(end - (p + 3));
				p[4] = (uint64_t)(end - (p + 4));
				p[5] = (uint64_t)(end - (p + 5));
				p[6] = (uint64_t)(end - (p + 6));
				p[7] = (uint64_t)(end - (p + 7));
			}
			for (; p < end; p++)
				*p = (uint64_t)(end - p);
		} else if (write) {
			for (uint64_t i = 0; i < n; i++) {
				uint64_t idx = rng_below(&rg, n);
				vb[idx] = mem_pattern(idx);
			}
		} else if (!rnd) {
			/* unrolled, with four sums so the adds do not chain
			 * the loads; sysbench's (unrolled) loop discards them */
			uint64_t s1 = 0, s2 = 0, s3 = 0, i = 0;
			for (; i + 8 <= n; i += 8) {
				sum += vb[i] + vb[i + 4];
				s1 += vb[i + 1] + vb[i + 5];
				s2 += vb[i + 2] + vb[i + 6];
				s3 += vb[i + 3] + vb[i + 7];
			}
			for (; i < n; i++)
				sum += vb[i];
			sum += s1 + s2 + s3;
		} else {
			for (uint64_t i = 0; i < n; i++)
				sum += vb[rng_below(&rg, n)];
		}
	}
	uint64_t t1 = plat_now_ns(), cycles = plat_rdtsc() - c0;

	/* Verification, outside the timed region. */
	bool ok = true;
	if (write && !rnd) {
		for (uint64_t i = 0; i < n; i++)
			ok &= buf[i] == n - i;
		sum = events * n;
	} else if (write) {
		for (uint64_t i = 0; i < n; i++) {
			ok &= buf[i] == 0 || buf[i] == mem_pattern(i);
			sum += buf[i] != 0;
		}
	} else if (!rnd) {
		for (uint64_t i = 0; i < n; i++)
			expect += mem_pattern(i);
		ok = sum == expect * events;
	} else {
		rng_seed(&rg, 42);
		for (uint64_t e = 0; e < events; e++)
			for (uint64_t i = 0; i < n; i++)
				expect += mem_pattern(rng_below(&rg, n));
		ok = sum == expect;
	}
	plat_free(buf, block);
	if (!ok)
		return bench_fail(a, write ? "block does not hold what was written" :
				  "sum of values read is wrong");

	struct bench_result r;
	double mib = (double)(events * block) / (1024.0 * 1024.0);
	result_begin(&r, a, "throughput", "MiB/s", "higher", mib / ((double)(t1 - t0) / 1e9), 2);
	result_u64(&r, "check", sum);
	result_u64(&r, "events", events);
	result_f64(&r, "mib", mib, 2);
	result_f64(&r, "time_ms", bench_ns_to_ms(t1 - t0), 3);
	result_u64(&r, "tsc_cycles", cycles);
	return result_end(&r);
}

static const struct bench_param memory_params[] = {
	{ "block_size", BENCH_P_SIZE, "1M", "bytes per event (sysbench --memory-block-size)",
	  8, 1ULL << 30, NULL },
	{ "total_size", BENCH_P_SIZE, "4G", "bytes to transfer (sysbench --memory-total-size)",
	  8, 1ULL << 44, NULL },
	{ "oper", BENCH_P_CHOICE, "write", "operation (sysbench --memory-oper)", 0, 0, wl_opers },
	{ "access", BENCH_P_CHOICE, "seq", "access mode (sysbench --memory-access-mode)",
	  0, 0, wl_access },
	{ 0 },
};

const struct bench_workload wl_memory = {
	"memory", "synthetic", "sysbench memory: passes over a block in words, MiB/s",
	memory_params, memory_run,
};

/* ---- threads -----------------------------------------------------------
 * sysbench threads: `threads` workers take events from a shared counter;
 * event number k uses mutex k % locks of `locks` and does `yields` times
 * (lock it, yield the CPU, unlock it), so runnable threads are pushed
 * through the scheduler's run queue. A fixed number of events is done (not
 * a fixed time) so native and guest runs do the same work. */
#define WL_MAX_THREADS 64

struct threads_slot {
	struct plat_mutex m;
	uint64_t count; /* lock acquisitions, counted under m */
};

struct threads_job {
	struct threads_slot *slots;
	uint64_t locks, yields, events;
	uint64_t next; /* next event number, atomically claimed */
	uint64_t done[WL_MAX_THREADS];
};

struct threads_worker {
	struct threads_job *job;
	unsigned id;
};

static void threads_worker_fn(void *arg)
{
	struct threads_worker *wk = arg;
	struct threads_job *j = wk->job;

	for (;;) {
		uint64_t e = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		if (e >= j->events)
			break;
		struct threads_slot *s = &j->slots[e % j->locks];
		for (uint64_t i = 0; i < j->yields; i++) {
			plat_mutex_lock(&s->m);
			s->count++;
			plat_yield();
			plat_mutex_unlock(&s->m);
		}
		j->done[wk->id]++;
	}
}

/* Runs fn on `n` threads (the caller's counts as none: it only waits) and
 * returns 0, or -1 if a thread could not be made (the ones made are
 * joined first). */
static int wl_run_threads(unsigned n, plat_thread_fn fn, void *args, size_t arg_size)
{
	struct plat_thread *t[WL_MAX_THREADS];
	unsigned made;

	for (made = 0; made < n; made++) {
		t[made] = plat_thread_create(fn, (char *)args + made * arg_size);
		if (!t[made])
			break;
	}
	for (unsigned i = 0; i < made; i++)
		plat_thread_join(t[i]);
	return made == n ? 0 : -1;
}

static int threads_run(const struct bench_args *a)
{
	unsigned nthreads = (unsigned)bench_arg(a, "threads");
	struct threads_job *j = plat_alloc(sizeof(*j));
	struct threads_worker wk[WL_MAX_THREADS];

	if (!j)
		return bench_fail(a, "out of memory");
	j->locks = bench_arg(a, "locks");
	j->yields = bench_arg(a, "yields");
	j->events = bench_arg(a, "events");
	j->slots = plat_alloc(j->locks * sizeof(struct threads_slot));
	if (!j->slots) {
		plat_free(j, sizeof(*j));
		return bench_fail(a, "out of memory");
	}
	for (uint64_t i = 0; i < j->locks; i++)
		plat_mutex_init(&j->slots[i].m);
	for (unsigned i = 0; i < nthreads; i++)
		wk[i] = (struct threads_worker){ j, i };

	uint64_t t0 = plat_now_ns();
	int err = wl_run_threads(nthreads, threads_worker_fn, wk, sizeof(wk[0]));
	uint64_t t1 = plat_now_ns();

	uint64_t events = 0, acquired = 0;
	for (unsigned i = 0; i < nthreads; i++)
		events += j->done[i];
	for (uint64_t i = 0; i < j->locks; i++)
		acquired += j->slots[i].count;
	bool ok = events == j->events && acquired == j->events * j->yields;
	uint64_t want_events = j->events;
	plat_free(j->slots, j->locks * sizeof(struct threads_slot));
	plat_free(j, sizeof(*j));
	if (err)
		return bench_fail(a, "could not create the threads");
	if (!ok)
		return bench_fail(a, "event or lock count is wrong");

	struct bench_result r;
	double secs = (double)(t1 - t0) / 1e9;
	result_begin(&r, a, "events_per_s", "events/s", "higher", (double)events / secs, 2);
	result_u64(&r, "check", acquired);
	result_u64(&r, "events", want_events);
	result_f64(&r, "time_ms", bench_ns_to_ms(t1 - t0), 3);
	return result_end(&r);
}

static const struct bench_param threads_params[] = {
	{ "threads", BENCH_P_UINT, "2", "worker threads (sysbench --threads)", 1, WL_MAX_THREADS,
	  NULL },
	{ "events", BENCH_P_UINT, "1000", "events in all", 1, UINT64_MAX / 1000000, NULL },
	{ "yields", BENCH_P_UINT, "1000", "lock/yield/unlock per event (--thread-yields)",
	  1, 1000000, NULL },
	{ "locks", BENCH_P_UINT, "8", "mutexes (--thread-locks)", 1, 1000000, NULL },
	{ 0 },
};

const struct bench_workload wl_threads = {
	"threads", "synthetic", "sysbench threads: lock, yield, unlock; events/s",
	threads_params, threads_run,
};

/* ---- mutex -------------------------------------------------------------
 * sysbench mutex: each of `threads` threads does one event of mutex_locks
 * rounds: pick one of mutex_num mutexes at random, spin mutex_loops empty
 * iterations outside any lock, then lock it, increment a counter, unlock.
 * Reported is the wall time of the whole run. sysbench increments a single
 * global under whichever mutex it picked, a data race; here the counter
 * lives in the picked mutex's slot (each slot padded as in sysbench), so
 * it is protected and the total can be checked: threads * mutex_locks. */
struct mutex_slot {
	struct plat_mutex m;
	uint64_t count;
	char pad[256];
};

struct mutex_job {
	struct mutex_slot *slots;
	uint64_t num, locks, loops;
};

struct mutex_worker {
	struct mutex_job *job;
	uint64_t seed;
};

static void mutex_worker_fn(void *arg)
{
	struct mutex_worker *wk = arg;
	struct mutex_job *j = wk->job;
	struct rng rg;

	rng_seed(&rg, wk->seed);
	for (uint64_t n = 0; n < j->locks; n++) {
		struct mutex_slot *s = &j->slots[rng_below(&rg, j->num)];
		for (uint64_t i = 0; i < j->loops; i++)
			__asm__ volatile("" ::: "memory"); /* an empty loop kept */
		plat_mutex_lock(&s->m);
		s->count++;
		plat_mutex_unlock(&s->m);
	}
}

static int mutex_run(const struct bench_args *a)
{
	unsigned nthreads = (unsigned)bench_arg(a, "threads");
	struct mutex_job j = {
		.num = bench_arg(a, "mutex_num"),
		.locks = bench_arg(a, "mutex_locks"),
		.loops = bench_arg(a, "mutex_loops"),
	};
	struct mutex_worker wk[WL_MAX_THREADS];
	size_t bytes = j.num * sizeof(struct mutex_slot);

	j.slots = plat_alloc(bytes);
	if (!j.slots)
		return bench_fail(a, "out of memory");
	for (uint64_t i = 0; i < j.num; i++)
		plat_mutex_init(&j.slots[i].m);
	for (unsigned i = 0; i < nthreads; i++)
		wk[i] = (struct mutex_worker){ &j, 1000 + i };

	uint64_t t0 = plat_now_ns();
	int err = wl_run_threads(nthreads, mutex_worker_fn, wk, sizeof(wk[0]));
	uint64_t t1 = plat_now_ns();

	uint64_t total = 0;
	for (uint64_t i = 0; i < j.num; i++)
		total += j.slots[i].count;
	plat_free(j.slots, bytes);
	if (err)
		return bench_fail(a, "could not create the threads");
	if (total != nthreads * j.locks)
		return bench_fail(a, "counter is not threads * mutex_locks");

	struct bench_result r;
	result_begin(&r, a, "time", "ms", "lower", bench_ns_to_ms(t1 - t0), 3);
	result_u64(&r, "check", total);
	return result_end(&r);
}

static const struct bench_param mutex_params[] = {
	{ "threads", BENCH_P_UINT, "2", "threads, one event each (sysbench --threads)",
	  1, WL_MAX_THREADS, NULL },
	{ "mutex_num", BENCH_P_UINT, "4096", "mutexes (--mutex-num)", 1, 1000000, NULL },
	{ "mutex_locks", BENCH_P_UINT, "50000", "locks per thread (--mutex-locks)",
	  1, 1ULL << 40, NULL },
	{ "mutex_loops", BENCH_P_UINT, "10000", "empty loops before each lock (--mutex-loops)",
	  0, 1ULL << 40, NULL },
	{ 0 },
};

const struct bench_workload wl_mutex = {
	"mutex", "synthetic", "sysbench mutex: random lock, increment, unlock; ms",
	mutex_params, mutex_run,
};
