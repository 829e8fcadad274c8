/*
 * wl_latency: cyclictest's measurement (rt-tests): a thread repeatedly
 * sleeps until an absolute deadline (clock_nanosleep with TIMER_ABSTIME on
 * CLOCK_MONOTONIC, cyclictest's default and its -n mode), the deadlines
 * `interval_us` apart, and records how late it woke: wake-up time minus
 * deadline. Like cyclictest, the next deadline is the previous one plus
 * the interval, whatever the lateness. Reported, as cyclictest does, the
 * min/avg/max latency in microseconds ("value" is the average, like its
 * Avg column), plus the median, 99th percentile and a histogram with 1 us
 * buckets (cyclictest -h) up to hist_us, later samples counted in
 * "hist_overflow".
 */
#include "platform.h"
#include "sort.h"
#include "workloads.h"

struct lat_job {
	uint64_t loops, interval_ns;
	uint64_t *lat_ns;
	uint64_t early; /* wake-ups before the deadline: a platform bug */
};

static void lat_thread(void *arg)
{
	struct lat_job *j = arg;
	uint64_t next = plat_now_ns() + j->interval_ns;

	for (uint64_t i = 0; i < j->loops; i++) {
		plat_sleep_until_ns(next);
		uint64_t now = plat_now_ns();
		if (now < next) {
			j->early++;
			now = next;
		}
		j->lat_ns[i] = now - next;
		next += j->interval_ns;
	}
}

static int lat_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The samples' mean in us, and the samples sorted in place. */
static double latency_sort(uint64_t *lat_ns, uint64_t n)
{
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += lat_ns[i];
	bench_qsort(lat_ns, n, sizeof(uint64_t), lat_cmp);
	return (double)sum / (double)n / 1e3;
}

int latency_report(const struct bench_args *a, const char *metric, uint64_t *lat_ns, uint64_t n,
		   uint64_t hmax, uint64_t elapsed_ns)
{
	struct bench_result r;
	latency_begin(&r, a, metric, lat_ns, n, hmax, elapsed_ns);
	return result_end(&r);
}

void latency_begin(struct bench_result *r, const struct bench_args *a, const char *metric,
		   uint64_t *lat_ns, uint64_t n, uint64_t hmax, uint64_t elapsed_ns)
{
	double avg = latency_sort(lat_ns, n);
	result_begin(r, a, metric, "us", "lower", avg, 3);
	result_u64(r, "check", n);
	result_f64(r, "min", (double)lat_ns[0] / 1e3, 3);
	result_f64(r, "avg", avg, 3);
	result_f64(r, "p50", (double)lat_ns[n / 2] / 1e3, 3);
	result_f64(r, "p99", (double)lat_ns[(n * 99) / 100] / 1e3, 3);
	result_f64(r, "max", (double)lat_ns[n - 1] / 1e3, 3);
	/* histogram as [bucket_us, count] pairs, empty buckets left out; the
	 * samples are sorted, so each bucket is one run */
	result_key(r, "hist");
	fmt_char(&r->f, '[');
	uint64_t i = 0, over = 0;
	bool first = true;
	while (i < n) {
		uint64_t b = lat_ns[i] / 1000;
		if (b >= hmax) {
			over = n - i;
			break;
		}
		uint64_t k = 0;
		while (i < n && lat_ns[i] / 1000 == b) {
			k++;
			i++;
		}
		if (!first)
			fmt_char(&r->f, ',');
		first = false;
		fmt_char(&r->f, '[');
		fmt_u64(&r->f, b);
		fmt_char(&r->f, ',');
		fmt_u64(&r->f, k);
		fmt_char(&r->f, ']');
	}
	fmt_char(&r->f, ']');
	result_u64(r, "hist_overflow", over);
	result_f64(r, "time_ms", bench_ns_to_ms(elapsed_ns), 3);
}

static int timer_latency_run(const struct bench_args *a)
{
	struct lat_job j = {
		.loops = bench_arg(a, "loops"),
		.interval_ns = bench_arg(a, "interval_us") * 1000,
	};
	uint64_t hmax = bench_arg(a, "hist_us");
	size_t bytes = j.loops * sizeof(uint64_t);

	j.lat_ns = plat_alloc(bytes);
	if (!j.lat_ns)
		return bench_fail(a, "out of memory");
	uint64_t t0 = plat_now_ns();
	struct plat_thread *t = plat_thread_create(lat_thread, &j);
	if (!t) {
		plat_free(j.lat_ns, bytes);
		return bench_fail(a, "could not create the timer thread");
	}
	plat_thread_join(t);
	uint64_t t1 = plat_now_ns();
	if (j.early) {
		plat_free(j.lat_ns, bytes);
		return bench_fail(a, "woke before the deadline");
	}

	int rc = latency_report(a, "latency_avg", j.lat_ns, j.loops, hmax, t1 - t0);
	plat_free(j.lat_ns, bytes);
	return rc;
}

static const struct bench_param latency_params[] = {
	{ "interval_us", BENCH_P_UINT, "1000", "wake-up interval (cyclictest -i)", 10, 10000000,
	  NULL },
	{ "loops", BENCH_P_UINT, "200", "wake-ups (cyclictest -l)", 1, 100000000, NULL },
	{ "hist_us", BENCH_P_UINT, "100", "histogram range in us (cyclictest -h)", 1, 200,
	  NULL },
	{ 0 },
};

const struct bench_workload wl_timer_latency = {
	"timer-latency", "latency", "cyclictest: lateness of absolute-deadline timer sleeps; us",
	latency_params, timer_latency_run,
};
