/* test_stats: the statistics of hvbench against hand-computed cases:
 * medians, quantiles, Equation 1 in both metric directions, bootstrap CIs
 * (contain the median, deterministic), the noisy rule and the Mann-Whitney
 * U test (exact and tie-corrected p-values worked out by hand below). */
#include "testlib.h"
#include "stats.h"

#include <math.h>

static void median_odd_even(void **state)
{
	const double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2}, one[] = {7.5};
	const double unsorted[] = {10, -1, 5, 5, 100};

	(void)state;
	assert_true(stats_median(odd, 3) == 2.0);
	assert_true(stats_median(even, 4) == 2.5);
	assert_true(stats_median(one, 1) == 7.5);
	assert_true(stats_median(unsorted, 5) == 5.0);
	assert_true(isnan(stats_median(odd, 0)));
	/* The input is left as it was. */
	assert_true(odd[0] == 3 && odd[1] == 1 && odd[2] == 2);
}

static void quantiles(void **state)
{
	const double s[] = {1, 2, 3, 4, 5};

	(void)state;
	assert_true(stats_quantile_sorted(s, 5, 0.0) == 1.0);
	assert_true(stats_quantile_sorted(s, 5, 1.0) == 5.0);
	assert_true(stats_quantile_sorted(s, 5, 0.5) == 3.0);
	/* 0.1 * 4 = 0.4 of the way from 1 to 2. */
	assert_true(fabs(stats_quantile_sorted(s, 5, 0.1) - 1.4) < 1e-12);
	assert_true(isnan(stats_quantile_sorted(s, 0, 0.5)));
	assert_true(isnan(stats_quantile_sorted(s, 5, 1.5)));
}

static void equation1_lower_is_better(void **state)
{
	(void)state;
	/* A time: 10 s natively, 11 s in the VM: 10% overhead. */
	assert_true(stats_cost(10.0, STATS_LOWER) == 10.0);
	assert_true(fabs(stats_overhead_of(10.0, 11.0, STATS_LOWER) - 10.0) < 1e-9);
	/* Faster in the VM is a negative overhead. */
	assert_true(fabs(stats_overhead_of(10.0, 9.0, STATS_LOWER) + 10.0) < 1e-9);
	/* The study's x86 latency: +855% means 9.55x the native latency. */
	assert_true(fabs(stats_overhead_pct(52.0, 52.0 * 9.55) - 855.0) < 1e-9);
	assert_true(stats_overhead_of(5.0, 5.0, STATS_LOWER) == 0.0);
}

static void equation1_higher_is_better(void **state)
{
	(void)state;
	/* A rate: 100 events/s natively, 80 in the VM. Cost per event goes
	 * from 1/100 to 1/80: 25% overhead (not 20%). */
	assert_true(fabs(stats_cost(4.0, STATS_HIGHER) - 0.25) < 1e-15);
	assert_true(fabs(stats_overhead_of(100.0, 80.0, STATS_HIGHER) - 25.0) < 1e-9);
	assert_true(fabs(stats_overhead_of(100.0, 125.0, STATS_HIGHER) + 20.0) < 1e-9);
	/* A rate of zero has no cost form. */
	assert_true(isnan(stats_cost(0.0, STATS_HIGHER)));
	assert_true(isnan(stats_overhead_of(0.0, 1.0, STATS_HIGHER)));
}

static void equation1_undefined(void **state)
{
	(void)state;
	assert_true(isnan(stats_overhead_pct(0.0, 1.0)));
	assert_true(isnan(stats_overhead_pct(-1.0, 1.0)));
	assert_true(isnan(stats_overhead_pct(1.0, (double)INFINITY)));
	assert_true(isnan(stats_overhead_pct((double)NAN, 1.0)));
}

static void rng_is_deterministic_and_bounded(void **state)
{
	struct stats_rng a, b;

	(void)state;
	stats_rng_seed(&a, 42);
	stats_rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++) {
		size_t x = stats_rng_below(&a, 7);

		assert_true(x < 7);
		assert_int_equal(x, stats_rng_below(&b, 7));
	}
	assert_int_equal(stats_rng_below(&a, 1), 0);
}

static const double nat[] = {10.0, 10.2, 9.9, 10.1, 10.0, 9.8, 10.3, 10.0, 10.1, 9.9};
static const double vir[] = {11.0, 11.1, 10.9, 11.2, 11.0, 10.8, 11.0, 11.1, 10.9, 11.0};

static void median_ci(void **state)
{
	double lo, hi, lo2, hi2, m = stats_median(nat, 10);
	const double same[] = {4, 4, 4};

	(void)state;
	assert_int_equal(stats_median_ci95(nat, 10, STATS_RESAMPLES, STATS_SEED, &lo, &hi), 0);
	assert_true(lo <= m && m <= hi);
	assert_true(lo >= 9.8 && hi <= 10.3);
	/* Same samples, same seed: the same interval, to the bit. */
	assert_int_equal(stats_median_ci95(nat, 10, STATS_RESAMPLES, STATS_SEED, &lo2, &hi2), 0);
	assert_true(lo == lo2 && hi == hi2);
	/* No spread, no interval width. */
	assert_int_equal(stats_median_ci95(same, 3, 500, 1, &lo, &hi), 0);
	assert_true(lo == 4.0 && hi == 4.0);
	assert_int_equal(stats_median_ci95(nat, 0, 500, 1, &lo, &hi), -1);
	assert_true(isnan(lo) && isnan(hi));
}

static void overhead_ci(void **state)
{
	double lo, hi, lo2, hi2;
	double o = stats_overhead_of(stats_median(nat, 10), stats_median(vir, 10), STATS_LOWER);

	(void)state;
	assert_true(fabs(o - 10.0) < 1e-9);
	assert_int_equal(stats_overhead_ci95(nat, 10, vir, 10, STATS_LOWER, STATS_RESAMPLES,
					     STATS_SEED, &lo, &hi), 0);
	assert_true(lo <= o && o <= hi);
	assert_true(lo > 5.0 && hi < 15.0);
	assert_int_equal(stats_overhead_ci95(nat, 10, vir, 10, STATS_LOWER, STATS_RESAMPLES,
					     STATS_SEED, &lo2, &hi2), 0);
	assert_true(lo == lo2 && hi == hi2);
	/* As rates the sign flips: the VM side is "faster". */
	assert_int_equal(stats_overhead_ci95(nat, 10, vir, 10, STATS_HIGHER, STATS_RESAMPLES,
					     STATS_SEED, &lo, &hi), 0);
	assert_true(hi < 0);
	/* Unequal sample counts are fine; an empty side is not. */
	assert_int_equal(stats_overhead_ci95(nat, 10, vir, 3, STATS_LOWER, 200, 1, &lo, &hi), 0);
	assert_int_equal(stats_overhead_ci95(nat, 10, vir, 0, STATS_LOWER, 200, 1, &lo, &hi), -1);
}

static void noisy_rule(void **state)
{
	(void)state;
	/* Half-width 0.5 on a median of 10 is exactly 5%: not noisy. */
	assert_false(stats_side_noisy(10.0, 9.5, 10.5));
	assert_true(stats_side_noisy(10.0, 9.4, 10.5));
	assert_false(stats_side_noisy(10.0, 10.0, 10.0));
	assert_false(stats_side_noisy((double)NAN, 1, 2));
	/* An overhead CI of 10 points is allowed, more is noisy. */
	assert_false(stats_overhead_noisy(-2.0, 8.0));
	assert_true(stats_overhead_noisy(-2.0, 8.5));
	assert_false(stats_overhead_noisy((double)NAN, 8.5));
}

/* Exact p-values: with no ties every arrangement of the ranks is equally
 * likely under the null, so a complete separation of m and n samples has
 * P(U = 0) = 1 / C(m + n, m), doubled for two sides. */
static void mwu_exact(void **state)
{
	const double a3[] = {1, 2, 3}, b3[] = {4, 5, 6};
	const double a5[] = {1, 2, 3, 4, 5}, b5[] = {6, 7, 8, 9, 10};
	const double a4[] = {7, 1, 5, 3}, b4[] = {2, 8, 4, 6};
	const double one_a[] = {1}, one_b[] = {2};
	double u, p;

	(void)state;
	assert_int_equal(stats_mann_whitney(a3, 3, b3, 3, &u, &p), 0);
	assert_true(u == 0);
	assert_true(fabs(p - 2.0 / 20) < 1e-12); /* C(6,3) = 20 */
	assert_int_equal(stats_mann_whitney(b3, 3, a3, 3, &u, &p), 0);
	assert_true(u == 9); /* the other side of the same test */
	assert_true(fabs(p - 0.1) < 1e-12);
	assert_int_equal(stats_mann_whitney(a5, 5, b5, 5, &u, &p), 0);
	assert_true(fabs(p - 2.0 / 252) < 1e-12); /* C(10,5) = 252 */
	/* Interleaved: A's ranks 1, 3, 5, 7 of 8, so U = 16 - 10 = 6; the
	 * arrangements of 4 among 8 with U <= 6 are 1,1,2,3,5,5,7 for U = 0..6:
	 * 24 of 70, p = 48 / 70. */
	assert_int_equal(stats_mann_whitney(a4, 4, b4, 4, &u, &p), 0);
	assert_true(u == 6);
	assert_true(fabs(p - 48.0 / 70) < 1e-12);
	/* The tiniest samples: one each, two equally likely orders, p = 1. */
	assert_int_equal(stats_mann_whitney(one_a, 1, one_b, 1, &u, &p), 0);
	assert_true(u == 0 && p == 1.0);
	assert_int_equal(stats_mann_whitney(one_a, 0, one_b, 1, &u, &p), -1);
	assert_true(isnan(u) && isnan(p));
}

/* Ties: mid-ranks, the variance's tie correction and the continuity
 * correction. {1,2,2,3} against {2,3,4,5}: mid-ranks 1, 3, 3, 5.5 for A, so
 * U = 12.5 - 10 = 2.5; mean 8; variance 16/12 * (9 - (24 + 6) / 56);
 * z = (5.5 - 0.5) / sqrt(variance), p = erfc(z / sqrt 2) = 0.1366582477. */
static void mwu_ties(void **state)
{
	const double a[] = {1, 2, 2, 3}, b[] = {2, 3, 4, 5};
	const double five[] = {5, 5, 5, 5, 5}, six[] = {6, 6, 6, 6, 6};
	const double same[] = {7, 7, 7}, nan_b[] = {1, (double)NAN};
	double u, p;

	(void)state;
	assert_int_equal(stats_mann_whitney(a, 4, b, 4, &u, &p), 0);
	assert_true(u == 2.5);
	assert_true(fabs(p - 0.13665824773814753) < 1e-12);
	/* Two constant samples apart: every B beats every A, U = 0; ties only
	 * within the sides: variance 25/12 * (11 - 240/90), p = 0.0039767517. */
	assert_int_equal(stats_mann_whitney(five, 5, six, 5, &u, &p), 0);
	assert_true(u == 0);
	assert_true(fabs(p - 0.003976751709788652) < 1e-12);
	/* Identical samples: no variance at all, nothing to tell apart. */
	assert_int_equal(stats_mann_whitney(same, 3, same, 3, &u, &p), 0);
	assert_true(u == 4.5 && p == 1.0);
	assert_int_equal(stats_mann_whitney(five, 5, five, 5, &u, &p), 0);
	assert_true(p == 1.0);
	assert_int_equal(stats_mann_whitney(same, 3, nan_b, 2, &u, &p), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(median_odd_even),
		cmocka_unit_test(quantiles),
		cmocka_unit_test(equation1_lower_is_better),
		cmocka_unit_test(equation1_higher_is_better),
		cmocka_unit_test(equation1_undefined),
		cmocka_unit_test(rng_is_deterministic_and_bounded),
		cmocka_unit_test(median_ci),
		cmocka_unit_test(overhead_ci),
		cmocka_unit_test(noisy_rule),
		cmocka_unit_test(mwu_exact),
		cmocka_unit_test(mwu_ties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
