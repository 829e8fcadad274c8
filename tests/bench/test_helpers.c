/*
 * test_helpers: the freestanding helpers of src/bench held to independent
 * answers: the formatter against hand-written strings, the elementary
 * functions against libm, the sort against a sortedness and permutation
 * check, and the command-line parsers against good and bad input.
 */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bmath.h"
#include "fmt.h"
#include "rng.h"
#include "sort.h"

static char out[256];

static const char *f64s(double v, unsigned dec)
{
	struct fmt f;

	fmt_init(&f, out, sizeof(out));
	fmt_f64(&f, v, dec);
	return out;
}

static void test_fmt_integers(void **state)
{
	struct fmt f;

	(void)state;
	fmt_init(&f, out, sizeof(out));
	fmt_u64(&f, 0);
	fmt_char(&f, ' ');
	fmt_u64(&f, UINT64_MAX);
	fmt_char(&f, ' ');
	fmt_i64(&f, INT64_MIN);
	fmt_char(&f, ' ');
	fmt_i64(&f, -42);
	assert_string_equal(out, "0 18446744073709551615 -9223372036854775808 -42");
	assert_false(f.overflow);
}

static void test_fmt_doubles(void **state)
{
	(void)state;
	assert_string_equal(f64s(0.0, 2), "0.00");
	assert_string_equal(f64s(1.5, 0), "2");
	assert_string_equal(f64s(-2.5, 0), "-3");
	assert_string_equal(f64s(3.14159, 3), "3.142");
	assert_string_equal(f64s(-0.0004, 3), "0.000"); /* no "-0.000" */
	assert_string_equal(f64s(0.9996, 3), "1.000");
	assert_string_equal(f64s(123456.789, 1), "123456.8");
	assert_string_equal(f64s(4509.79, 2), "4509.79");
	assert_string_equal(f64s(1e-9, 9), "0.000000001");
	assert_string_equal(f64s(nan(""), 2), "null");
	assert_string_equal(f64s(HUGE_VAL, 2), "null");
	assert_string_equal(f64s(-HUGE_VAL, 2), "null");
	assert_string_equal(f64s(2.5e20, 2), "2.500000e+20");
	assert_string_equal(f64s(-1e15, 0), "-1.000000e+15");
	/* many values: printf's %.3f agrees whenever the value is not within
	 * rounding noise of a half */
	struct rng r;
	rng_seed(&r, 5);
	for (int i = 0; i < 20000; i++) {
		double v = (rng_double(&r) - 0.5) * pow(10, (double)rng_below(&r, 14));
		char ref[64];
		snprintf(ref, sizeof(ref), "%.3f", v);
		double scaled = fabs(v) * 1000;
		if (fabs(scaled - floor(scaled) - 0.5) < 1e-3)
			continue;
		if (strcmp(ref, "-0.000") == 0)
			strcpy(ref, "0.000");
		assert_string_equal(f64s(v, 3), ref);
	}
}

static void test_fmt_json_and_overflow(void **state)
{
	struct fmt f;
	char small[8];

	(void)state;
	fmt_init(&f, out, sizeof(out));
	fmt_json_str(&f, "a\"b\\c\nd\te\x01\x1f\x7f\xc3\xa9");
	assert_string_equal(out, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f\xc3\xa9\"");
	fmt_init(&f, small, sizeof(small));
	fmt_str(&f, "0123456789");
	assert_true(f.overflow);
	assert_string_equal(small, "0123456");
	assert_int_equal(fmt_strlen("abc"), 3);
	assert_true(fmt_streq("abc", "abc"));
	assert_false(fmt_streq("abc", "abd"));
	assert_false(fmt_streq("ab", "abc"));
}

static void test_rng(void **state)
{
	struct rng a, b;

	(void)state;
	rng_seed(&a, 99);
	rng_seed(&b, 99);
	for (int i = 0; i < 1000; i++)
		assert_true(rng_next(&a) == rng_next(&b));
	unsigned hist[10] = { 0 };
	for (int i = 0; i < 100000; i++) {
		uint64_t v = rng_below(&a, 10);
		assert_true(v < 10);
		hist[v]++;
		double d = rng_double(&a);
		assert_true(d >= 0.0 && d < 1.0);
	}
	for (int i = 0; i < 10; i++)
		assert_true(hist[i] > 9000 && hist[i] < 11000);
}

/* |got - ref| within 1e-12 relative, or 1e-15 absolute near zeros of the
 * function (where any method's rounding of the argument dominates). */
static void near(const char *what, double x, double got, double ref)
{
	double err = fabs(got - ref);

	if (isnan(ref)) {
		if (!isnan(got))
			fail_msg("%s(%.17g) = %.17g, want NaN", what, x, got);
		return;
	}
	if (isinf(ref)) {
		if (got != ref)
			fail_msg("%s(%.17g) = %.17g, want %g", what, x, got, ref);
		return;
	}
	if (err > 1e-12 * fabs(ref) && err > 1e-15)
		fail_msg("%s(%.17g) = %.17g, libm %.17g", what, x, got, ref);
}

static void test_math_against_libm(void **state)
{
	struct rng r;

	(void)state;
	for (double x = -50; x <= 50; x += 0.00731) {
		near("sin", x, bm_sin(x), sin(x));
		near("cos", x, bm_cos(x), cos(x));
		near("atan", x, bm_atan(x), atan(x));
		near("cbrt", x, bm_cbrt(x), cbrt(x));
		near("exp", x, bm_exp(x), exp(x));
		near("sqrt", fabs(x), bm_sqrt(fabs(x)), sqrt(fabs(x)));
	}
	for (double x = -1; x <= 1; x += 0.0000731)
		near("acos", x, bm_acos(x), acos(x));
	rng_seed(&r, 3);
	for (int i = 0; i < 200000; i++) {
		double x = (rng_double(&r) - 0.5) * pow(10, (double)rng_below(&r, 12) - 4);
		near("sin", x, bm_sin(x), sin(x));
		near("cos", x, bm_cos(x), cos(x));
		near("atan", x, bm_atan(x), atan(x));
		near("cbrt", x, bm_cbrt(x), cbrt(x));
	}
	for (double x = 1e-310; x < 1e308; x *= 3.7) {
		near("cbrt", x, bm_cbrt(x), cbrt(x));
		near("cbrt", -x, bm_cbrt(-x), cbrt(-x));
		near("atan", x, bm_atan(x), atan(x));
	}
	for (double x = -740; x < 709; x += 0.173)
		near("exp", x, bm_exp(x), exp(x));
	/* special values */
	near("acos", 1, bm_acos(1), 0);
	near("acos", -1, bm_acos(-1), M_PI);
	near("acos", 2, bm_acos(2), nan(""));
	near("atan", HUGE_VAL, bm_atan(HUGE_VAL), M_PI / 2);
	near("atan", -HUGE_VAL, bm_atan(-HUGE_VAL), -M_PI / 2);
	near("exp", 1000, bm_exp(1000), HUGE_VAL);
	assert_true(bm_exp(-1000) == 0.0);
	assert_true(bm_cbrt(0.0) == 0.0 && bm_cbrt(-27.0) == -3.0 && bm_cbrt(8.0) == 2.0);
	assert_true(isinf(bm_cbrt(HUGE_VAL)) && isnan(bm_cbrt(nan(""))));
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

struct triple {
	uint8_t key;
	uint8_t tag[2];
};

static int cmp_triple(const void *a, const void *b)
{
	return (int)((const struct triple *)a)->key - (int)((const struct triple *)b)->key;
}

static void test_sort(void **state)
{
	static int v[5000], ref[5000];
	struct rng r;

	(void)state;
	rng_seed(&r, 11);
	for (int shape = 0; shape < 6; shape++) {
		for (size_t n = 0; n <= 5000; n = n < 40 ? n + 1 : n * 3) {
			for (size_t i = 0; i < n; i++) {
				switch (shape) {
				case 0: v[i] = (int)rng_below(&r, 1000000); break;
				case 1: v[i] = (int)i; break;
				case 2: v[i] = (int)(n - i); break;
				case 3: v[i] = (int)rng_below(&r, 3); break;
				case 4: v[i] = 7; break;
				default: v[i] = (int)(i % 2 ? i : n - i); break; /* organ pipe */
				}
				ref[i] = v[i];
			}
			bench_qsort(v, n, sizeof(int), cmp_int);
			qsort(ref, n, sizeof(int), cmp_int);
			assert_memory_equal(v, ref, n * sizeof(int));
		}
	}
	/* odd element size, unaligned: the byte-wise swap */
	struct triple t[1000];
	unsigned tags = 0;
	for (int i = 0; i < 1000; i++) {
		t[i] = (struct triple){ (uint8_t)rng_below(&r, 256), { (uint8_t)i, (uint8_t)(i >> 8) } };
		tags += (unsigned)i;
	}
	bench_qsort(t, 1000, sizeof(t[0]), cmp_triple);
	for (int i = 1; i < 1000; i++)
		assert_true(t[i - 1].key <= t[i].key);
	for (int i = 0; i < 1000; i++)
		tags -= t[i].tag[0] | (unsigned)t[i].tag[1] << 8;
	assert_int_equal(tags, 0);
}

static int parse(const char *name, const char *line, struct bench_args *a, char *msg)
{
	char buf[512], *tok[16];
	struct fmt f;

	strcpy(buf, line);
	int n = bench_split(buf, tok, 16);
	assert_true(n >= 0);
	fmt_init(&f, msg, 512);
	return bench_parse_params(bench_find(name), n, (const char *const *)tok, a, &f);
}

static void test_params(void **state)
{
	struct bench_args a;
	char msg[512];

	(void)state;
	assert_int_equal(parse("memory", "", &a, msg), 0);
	assert_true(bench_arg(&a, "block_size") == 1 << 20);
	assert_true(bench_arg(&a, "total_size") == 4ULL << 30);
	assert_string_equal(bench_arg_str(&a, "oper"), "write");
	assert_int_equal(parse("memory", "  block_size=64k  oper=read access=rnd ", &a, msg), 0);
	assert_true(bench_arg(&a, "block_size") == 65536);
	assert_true(bench_arg_is(&a, "oper", "read"));
	assert_true(bench_arg_is(&a, "access", "rnd"));
	assert_true(a.given[0] && !a.given[1]);
	assert_true(bench_arg_given(&a, "block_size") && bench_arg_given(&a, "oper"));
	assert_false(bench_arg_given(&a, "total_size"));
	assert_int_equal(parse("memory", "total_size=2G", &a, msg), 0);
	assert_true(bench_arg(&a, "total_size") == 2ULL << 30);
	assert_true(bench_arg_given(&a, "total_size") && !bench_arg_given(&a, "block_size"));

	assert_int_equal(parse("cpu", "max_prim=5", &a, msg), 2);
	assert_non_null(strstr(msg, "unknown parameter 'max_prim'"));
	assert_non_null(strstr(msg, "max_prime, time_ms, events"));
	assert_int_equal(parse("cpu", "max_prime=abc", &a, msg), 2);
	assert_non_null(strstr(msg, "bad value 'abc' for max_prime"));
	assert_int_equal(parse("cpu", "max_prime=2", &a, msg), 2);       /* below min */
	assert_int_equal(parse("cpu", "max_prime=", &a, msg), 2);
	assert_int_equal(parse("cpu", "max_prime=-5", &a, msg), 2);
	assert_int_equal(parse("cpu", "max_prime=1e4", &a, msg), 2);
	assert_int_equal(parse("cpu", "max_prime=99999999999999999999999", &a, msg), 2);
	assert_int_equal(parse("cpu", "events=18446744073709551615", &a, msg), 0);
	assert_int_equal(parse("cpu", "events=18446744073709551616", &a, msg), 2);
	assert_int_equal(parse("cpu", "max_prime", &a, msg), 2);
	assert_non_null(strstr(msg, "expected key=value"));
	assert_int_equal(parse("cpu", "=5", &a, msg), 2);
	assert_int_equal(parse("cpu", "time_ms=5 time_ms=6", &a, msg), 2);
	assert_non_null(strstr(msg, "given twice"));
	assert_int_equal(parse("memory", "oper=copy", &a, msg), 2);
	assert_non_null(strstr(msg, "one of write|read"));
	assert_int_equal(parse("memory", "block_size=16G", &a, msg), 2);  /* above max */
	assert_int_equal(parse("memory", "block_size=99999999999999999G", &a, msg), 2);
	assert_int_equal(parse("memory", "block_size=K", &a, msg), 2);
	assert_int_equal(parse("cpu", "max_prime=10000K", &a, msg), 2);   /* no suffix on UINT */

	char line[] = " run  cpu\tx=1\n", *tok[2];
	assert_int_equal(bench_split(line, tok, 2), -1);
	char line2[] = "", *tok2[1];
	assert_int_equal(bench_split(line2, tok2, 1), 0);
	assert_null(bench_find("nope"));
}

/* Every workload's own table: defaults parse, keys unique, groups known. */
static void test_registry(void **state)
{
	(void)state;
	assert_int_equal(bench_nworkloads, 15);
	for (size_t i = 0; i < bench_nworkloads; i++) {
		const struct bench_workload *w = bench_workloads[i];
		struct bench_args a;
		char msg[512];
		struct fmt f;
		fmt_init(&f, msg, sizeof(msg));
		assert_int_equal(bench_parse_params(w, 0, NULL, &a, &f), 0);
		assert_true(strcmp(w->group, "synthetic") == 0 || strcmp(w->group, "mibench") == 0 ||
			    strcmp(w->group, "latency") == 0 || strcmp(w->group, "disk") == 0);
		assert_ptr_equal(bench_find(w->name), w);
		for (int j = 0; w->params[j].key; j++)
			for (int k = 0; k < j; k++)
				assert_string_not_equal(w->params[j].key, w->params[k].key);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_integers),
		cmocka_unit_test(test_fmt_doubles),
		cmocka_unit_test(test_fmt_json_and_overflow),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_math_against_libm),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
