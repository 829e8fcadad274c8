/*
 * wl_qsort: MiBench automotive "qsort": qsort_small sorts a list of words
 * with strcmp, qsort_large sorts 3-D points by their distance from the
 * origin (computed once per point when it is read). Our inputs are
 * generated from the PRNG instead of read from files, and the sort is
 * bench_qsort (sort.c), since the guest has no C library. Only the sorting
 * is timed; each repetition sorts a freshly generated input.
 */
#include "bmath.h"
#include "platform.h"
#include "rng.h"
#include "sort.h"
#include "workloads.h"

struct qs_point {
	double x, y, z, dist;
};

#define QS_WORD_MAX 16 /* bytes per word slot, NUL included */

static int qs_cmp_str(const void *a, const void *b)
{
	const unsigned char *s = *(const unsigned char *const *)a;
	const unsigned char *t = *(const unsigned char *const *)b;

	while (*s && *s == *t) {
		s++;
		t++;
	}
	return (int)*s - (int)*t;
}

static int qs_cmp_point(const void *a, const void *b)
{
	double x = ((const struct qs_point *)a)->dist, y = ((const struct qs_point *)b)->dist;

	return (x > y) - (x < y);
}

/* An order-independent fingerprint of one element: the multiset of the
 * input equals that of the output when the sums of fingerprints agree. */
static uint64_t qs_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t qs_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return qs_mix(h);
}

static uint64_t qs_hash_point(const struct qs_point *p)
{
	uint64_t u[3];

	__builtin_memcpy(u, p, sizeof(u));
	return qs_mix(u[0] ^ qs_mix(u[1] ^ qs_mix(u[2])));
}

static const char *const qs_sizes[] = { "tiny", "small", "large", NULL };
static const char *const qs_data[] = { "auto", "strings", "points", NULL };

static int qsort_run(const struct bench_args *a)
{
	/* elements and repetitions per size: MiBench's small input has about
	 * 10000 words, its large one 60000 points */
	static const uint64_t sz[3][2] = { { 1000, 2 }, { 10000, 40 }, { 60000, 30 } };
	unsigned size = (unsigned)bench_arg(a, "size");
	uint64_t n = sz[size][0], reps = sz[size][1];
	bool points = bench_arg_is(a, "data", "points") ||
		      (bench_arg_is(a, "data", "auto") && size == 2);
	size_t elem = points ? sizeof(struct qs_point) : sizeof(char *);
	char *arr = plat_alloc(n * elem);
	char *pool = points ? NULL : plat_alloc(n * QS_WORD_MAX);
	uint64_t sort_ns = 0, check = 0, bad = 0;
	struct rng rg;

	if (!arr || (!points && !pool)) {
		plat_free(arr, n * elem);
		plat_free(pool, n * QS_WORD_MAX);
		return bench_fail(a, "out of memory");
	}
	rng_seed(&rg, 1234);
	for (uint64_t rep = 0; rep < reps; rep++) {
		uint64_t before = 0, after = 0;
		for (uint64_t i = 0; i < n; i++) {
			if (points) {
				struct qs_point *p = (struct qs_point *)(void *)arr + i;
				p->x = rng_double(&rg) * 2000.0 - 1000.0;
				p->y = rng_double(&rg) * 2000.0 - 1000.0;
				p->z = rng_double(&rg) * 2000.0 - 1000.0;
				p->dist = bm_sqrt(p->x * p->x + p->y * p->y + p->z * p->z);
				before += qs_hash_point(p);
			} else {
				/* a word of 3..12 letters, skewed towards common ones */
				char *w = pool + i * QS_WORD_MAX;
				unsigned len = 3 + (unsigned)rng_below(&rg, 10);
				for (unsigned k = 0; k < len; k++) {
					uint64_t r = rng_below(&rg, 26 * 26);
					w[k] = (char)('a' + (r < 26 * 13 ? r % 13 : r % 26));
				}
				w[len] = '\0';
				((char **)(void *)arr)[i] = w;
				before += qs_hash_str(w);
			}
		}
		uint64_t t0 = plat_now_ns();
		bench_qsort(arr, n, elem, points ? qs_cmp_point : qs_cmp_str);
		sort_ns += plat_now_ns() - t0;
		for (uint64_t i = 0; i < n; i++) {
			char *e = arr + i * elem;
			if (points)
				after += qs_hash_point((struct qs_point *)(void *)e);
			else
				after += qs_hash_str(*(char **)(void *)e);
			if (i && (points ? qs_cmp_point : qs_cmp_str)(e - elem, e) > 0)
				bad++;
		}
		bad += before != after;
		check += after;
	}
	plat_free(arr, n * elem);
	plat_free(pool, n * QS_WORD_MAX);
	if (bad)
		return bench_fail(a, "output not sorted, or not a permutation of the input");

	struct bench_result r;
	result_begin(&r, a, "time", "ms", "lower", bench_ns_to_ms(sort_ns), 3);
	result_u64(&r, "check", check);
	result_str(&r, "data", points ? "points" : "strings");
	result_u64(&r, "elements", n);
	result_u64(&r, "reps", reps);
	return result_end(&r);
}

static const struct bench_param qsort_params[] = {
	{ "size", BENCH_P_CHOICE, "small", "input size", 0, 0, qs_sizes },
	{ "data", BENCH_P_CHOICE, "auto",
	  "strings or points (auto: strings for tiny/small, points for large, as MiBench)",
	  0, 0, qs_data },
	{ 0 },
};

const struct bench_workload wl_qsort = {
	"qsort", "mibench", "MiBench qsort: words by strcmp or 3-D points by distance; ms",
	qsort_params, qsort_run,
};
