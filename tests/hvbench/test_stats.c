/* test_stats: the statistics of hvbench against hand-computed cases:
 * medians, quantiles, Equation 1 in both metric directions, bootstrap CIs
 * (contain the median, deterministic) and the noisy rule. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
