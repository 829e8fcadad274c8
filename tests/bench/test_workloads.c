/*
 * test_workloads: each workload's kernel against an answer computed here
 * independently (libm, __builtin_popcount, direct formulas), and every
 * workload run at a tiny size through `build/bench run`, its RESULT line
 * parsed as JSON with the required fields; plus the CLI's usage errors.
 */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "diskpat.h"
#include "rng.h"
#include "workloads.h"

static void test_cpu_primes(void **state)
{
	(void)state;
	/* sysbench counts primes from 3: 1228 below 10000, 1229 with 2 */
	assert_int_equal(cpu_event(10000), 1228);
	assert_int_equal(cpu_event(3), 0);
	assert_int_equal(cpu_event(4), 1);   /* 3 */
	assert_int_equal(cpu_event(100), 24); /* 25 primes below 100 */
	/* against plain trial division written the obvious way */
	for (uint64_t max = 3; max < 3000; max += 37) {
		uint64_t n = 0;
		for (uint64_t c = 2; c < max; c++) {
			bool prime = true;
			for (uint64_t d = 2; d * d <= c; d++)
				prime &= c % d != 0;
			n += prime;
		}
		assert_int_equal(cpu_event(max) + 1, n);
	}
}

static void test_bitcount_methods(void **state)
{
	struct rng r;

	(void)state;
	uint32_t fixed[] = { 0, 1, 0x80000000u, 0xffffffffu, 0x7fffffffu, 0xaaaaaaaau, 0x01010101u };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		for (int m = 0; m < BITCOUNT_NMETHODS; m++)
			assert_int_equal(bitcount_method(m, fixed[i]), __builtin_popcount(fixed[i]));
	rng_seed(&r, 1);
	for (int i = 0; i < 200000; i++) {
		uint32_t x = (uint32_t)rng_next(&r);
		if (i & 1)
			x &= (uint32_t)rng_next(&r); /* sparser */
		for (int m = 0; m < BITCOUNT_NMETHODS; m++)
			assert_int_equal(bitcount_method(m, x), __builtin_popcount(x));
	}
}

/* The roots libm's functions give by the same closed form, and each root
 * checked to solve its equation. */
static double ref_cubic_sum(double a, double b, double c, double d)
{
	double a1 = b / a, a2 = c / a, a3 = d / a;
	double q = (a1 * a1 - 3 * a2) / 9, r = (2 * a1 * a1 * a1 - 9 * a1 * a2 + 27 * a3) / 54;

	if (r * r < q * q * q) {
		double th = acos(r / sqrt(q * q * q)), s = 0;
		for (int k = 0; k < 3; k++)
			s += -2 * sqrt(q) * cos((th + 2 * M_PI * k) / 3) - a1 / 3;
		return s;
	}
	double A = -copysign(cbrt(fabs(r) + sqrt(r * r - q * q * q)), r);
	return A + (A != 0 ? q / A : 0) - a1 / 3;
}

static void test_basicmath(void **state)
{
	double x[3];

	(void)state;
	/* (x-1)(x-2)(x-3) */
	assert_int_equal(basicmath_cubic(1, -6, 11, -6, x), 3);
	double lo = fmin(x[0], fmin(x[1], x[2])), hi = fmax(x[0], fmax(x[1], x[2]));
	assert_true(fabs(lo - 1) < 1e-12 && fabs(hi - 3) < 1e-12 &&
		    fabs(x[0] + x[1] + x[2] - 6) < 1e-12);
	/* x^3 - 8: one real root */
	assert_int_equal(basicmath_cubic(1, 0, 0, -8, x), 1);
	assert_true(fabs(x[0] - 2) < 1e-12);

	for (uint64_t v = 0; v < 200000; v++)
		assert_int_equal(basicmath_isqrt(v), (uint32_t)floor(sqrt((double)v)));
	for (uint64_t v = 1; v < (1ULL << 62); v = v * 3 + 1) {
		uint64_t s = basicmath_isqrt(v);
		assert_true(s * s <= v && (s + 1) * (s + 1) > v);
	}

	/* the whole pass against the same sweep recomputed with libm */
	unsigned ncubic = 2, nsqrt = 3000, nangle = 720;
	double ref = 0;
	ref += ref_cubic_sum(1.0, -10.5, 32.0, -30.0) + ref_cubic_sum(1.0, -4.5, 17.0, -30.0) +
	       ref_cubic_sum(1.0, -3.5, 22.0, -31.0) + ref_cubic_sum(1.0, -13.7, 1.0, -35.0);
	for (unsigned ia = 1; ia <= ncubic; ia++)
		for (int b = 10; b > 0; b--)
			for (int c = 5; c <= 15; c++)
				for (int d = -1; d >= -10; d--)
					ref += ref_cubic_sum(ia, b, c, d);
	for (uint64_t i = 0; i < nsqrt; i++)
		ref += floor(sqrt((double)i)) + floor(sqrt((double)(0x3fed0169ULL + i * 7919)));
	for (unsigned i = 0; i < nangle; i++) {
		double deg = 360.0 * i / nangle;
		ref += deg * M_PI / 180 + deg;
	}
	uint64_t bad = 0;
	double got = basicmath_pass(ncubic, nsqrt, nangle, &bad);
	assert_int_equal(bad, 0);
	if (fabs(got - ref) > 1e-9 * fabs(ref))
		fail_msg("basicmath checksum %.12f, reference %.12f", got, ref);
}

static struct susan_image new_image(unsigned w, unsigned h, uint8_t fill)
{
	struct susan_image im = { w, h, malloc((size_t)w * h) };

	assert_non_null(im.pix);
	memset(im.pix, fill, (size_t)w * h);
	return im;
}

static void test_susan_usan(void **state)
{
	struct susan_image im = { 64, 48, malloc(64 * 48) };

	(void)state;
	susan_make_image(&im, 9);
	for (unsigned y = 3; y < im.h - 3; y += 3) {
		for (unsigned x = 3; x < im.w - 3; x += 2) {
			/* direct: the 37 pixels within radius 3.4, libm's exp */
			unsigned n = 0;
			int i0 = im.pix[y * im.w + x];
			for (int dy = -3; dy <= 3; dy++)
				for (int dx = -3; dx <= 3; dx++) {
					if (dx * dx + dy * dy > 11) /* 3.4^2 = 11.56 */
						continue;
					double u = (im.pix[(y + dy) * im.w + x + dx] - i0) / 20.0;
					n += (unsigned)(100 * exp(-pow(u, 6)) + 0.5);
				}
			assert_int_equal(susan_usan(&im, x, y, 20), n);
		}
	}
	free(im.pix);
}

static void test_susan_flat_and_square(void **state)
{
	struct susan_image flat = new_image(40, 40, 90), out = new_image(40, 40, 0);
	uint8_t mark[40 * 40];

	(void)state;
	assert_int_equal(susan_smooth(&flat, &out, 20), 0);
	assert_memory_equal(flat.pix, out.pix, 40 * 40); /* nothing to smooth */
	memset(mark, 0, sizeof(mark));
	assert_int_equal(susan_edges(&flat, mark, 20), 0);
	assert_int_equal(susan_corners(&flat, mark, 20), 0);
	assert_int_equal(susan_usan(&flat, 20, 20, 20), 3700);

	/* a bright square [12, 28) x [12, 28) on a dark ground */
	struct susan_image sq = new_image(40, 40, 50);
	for (int y = 12; y < 28; y++)
		memset(sq.pix + y * 40 + 12, 200, 16);
	memset(mark, 0, sizeof(mark));
	long corners = susan_corners(&sq, mark, 20);
	assert_int_equal(corners, 4);
	for (int y = 0; y < 40; y++)
		for (int x = 0; x < 40; x++)
			if (mark[y * 40 + x]) {
				int cx = x < 20 ? 12 : 27, cy = y < 20 ? 12 : 27;
				if (abs(x - cx) > 2 || abs(y - cy) > 2)
					fail_msg("corner at (%d,%d) far from the square's", x, y);
			}
	memset(mark, 0, sizeof(mark));
	long edges = susan_edges(&sq, mark, 20);
	assert_true(edges >= 4 * 12);
	for (int y = 0; y < 40; y++)
		for (int x = 0; x < 40; x++)
			if (mark[y * 40 + x]) {
				/* within a pixel of the square's boundary */
				int inx = x >= 11 && x <= 28, iny = y >= 11 && y <= 28;
				int near_side = (abs(x - 12) <= 1 || abs(x - 27) <= 1) && iny;
				int near_top = (abs(y - 12) <= 1 || abs(y - 27) <= 1) && inx;
				if (!near_side && !near_top)
					fail_msg("edge at (%d,%d) off the square's boundary", x, y);
			}
	/* smoothing leaves a noise-free step alone: no neighbour across it is
	 * similar at t = 20 */
	assert_int_equal(susan_smooth(&sq, &out, 20), 0);
	assert_memory_equal(sq.pix, out.pix, 40 * 40);
	free(flat.pix);
	free(out.pix);
	free(sq.pix);
}

/* Direct SUSAN smoothing: Gaussian (sigma 2) times exp(-(dI/t)^2) weights
 * over the 7x7 window without the nucleus, each weight an integer out of
 * 100 as in the method's lookup tables; median of the 8 neighbours when
 * no weight is left. */
static int cmp_u8(const void *a, const void *b)
{
	return *(const uint8_t *)a - *(const uint8_t *)b;
}

static void test_susan_smoothing_reference(void **state)
{
	struct susan_image im = { 64, 48, malloc(64 * 48) }, out = new_image(64, 48, 0);
	unsigned t = 20;

	(void)state;
	susan_make_image(&im, 77);
	assert_int_equal(susan_smooth(&im, &out, t), 0);
	for (unsigned y = 0; y < im.h; y++) {
		for (unsigned x = 0; x < im.w; x++) {
			int i0 = im.pix[y * im.w + x], want;
			if (x < 3 || y < 3 || x + 3 >= im.w || y + 3 >= im.h) {
				want = i0;
			} else {
				long sum = 0, wsum = 0;
				for (int dy = -3; dy <= 3; dy++)
					for (int dx = -3; dx <= 3; dx++) {
						if (!dx && !dy)
							continue;
						int v = im.pix[(y + dy) * im.w + x + dx];
						long sp = lround(100 * exp(-(dx * dx + dy * dy) / 8.0));
						double u = (double)(v - i0) / t;
						long br = lround(100 * exp(-u * u));
						sum += sp * br * v;
						wsum += sp * br;
					}
				if (wsum) {
					want = (int)((sum + wsum / 2) / wsum);
				} else {
					uint8_t n8[8];
					int k = 0;
					for (int dy = -1; dy <= 1; dy++)
						for (int dx = -1; dx <= 1; dx++)
							if (dx || dy)
								n8[k++] = im.pix[(y + dy) * im.w + x + dx];
					qsort(n8, 8, 1, cmp_u8);
					want = (n8[3] + n8[4] + 1) / 2;
				}
			}
			if (out.pix[y * im.w + x] != want)
				fail_msg("smoothed (%u,%u) = %d, want %d", x, y, out.pix[y * im.w + x],
					 want);
		}
	}
	free(im.pix);
	free(out.pix);
}

/* Runs build/bench with up to five arguments (the first NULL ends them). */
static void run_bench(struct cmd_result *r, const char *a1, const char *a2, const char *a3,
		      const char *a4, const char *a5)
{
	const char *const words[] = { build_path("bench"), a1, a2, a3, a4, a5, NULL };

	run_cmd(words, 60, r);
}

/* The line parses as JSON and has the fields every RESULT must have. */
static void check_result_json(const char *line, const char *name)
{
	static const char script[] =
		"import json,sys\n"
		"d=json.loads(sys.argv[1][len('RESULT '):])\n"
		"for k in ('benchmark','metric','unit','better','value','check','params'):\n"
		"    assert k in d, k\n"
		"assert d['benchmark']==sys.argv[2]\n"
		"assert d['better'] in ('lower','higher')\n"
		"assert isinstance(d['value'],(int,float)) and d['value']>=0\n"
		"assert isinstance(d['params'],dict)\n";
	const char *const words[] = { "/usr/bin/python3", "-c", script, line, name, NULL };
	struct cmd_result r;

	run_cmd(words, 30, &r);
	if (r.status != 0)
		fail_msg("RESULT of %s is not valid: %s\n%s", name, r.err, line);
	cmd_result_free(&r);
}

static void test_cli_runs_every_workload(void **state)
{
	/* workload and up to three parameters: tiny sizes */
	static const char *const runs[][4] = {
		{ "cpu", "events=3", NULL, NULL },
		{ "cpu", "time_ms=20", "max_prime=1000", NULL },
		{ "memory", "total_size=16M", NULL, NULL },
		{ "memory", "total_size=4M", "oper=read", NULL },
		{ "memory", "block_size=64K", "total_size=1M", "access=rnd" },
		{ "memory", "total_size=1M", "oper=read", "access=rnd" },
		{ "threads", "events=4", "yields=10", NULL },
		{ "mutex", "mutex_locks=1000", "mutex_loops=100", "threads=3" },
		{ "basicmath", "size=tiny", NULL, NULL },
		{ "bitcount", "size=tiny", NULL, NULL },
		{ "qsort", "size=tiny", NULL, NULL },
		{ "qsort", "size=tiny", "data=points", NULL },
		{ "susan-smoothing", "size=tiny", NULL, NULL },
		{ "susan-edges", "size=tiny", NULL, NULL },
		{ "susan-corners", "size=tiny", NULL, NULL },
		{ "timer-latency", "loops=5", "interval_us=200", NULL },
	};
	bool seen[64] = { false };

	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct cmd_result r;
		run_bench(&r, "run", runs[i][0], runs[i][1], runs[i][2], runs[i][3]);
		if (r.status != 0 || strncmp(r.out, "RESULT {", 8) != 0)
			fail_msg("bench run %s %s: status %d\nstdout: %s\nstderr: %s", runs[i][0],
				 runs[i][1], r.status, r.out, r.err);
		/* exactly one line, ending in the object's brace */
		size_t len = strlen(r.out);
		assert_true(len > 2 && r.out[len - 1] == '\n' && r.out[len - 2] == '}');
		assert_ptr_equal(strchr(r.out, '\n'), r.out + len - 1);
		r.out[len - 1] = '\0';
		check_result_json(r.out, runs[i][0]);
		for (size_t k = 0; k < bench_nworkloads; k++)
			if (strcmp(bench_workloads[k]->name, runs[i][0]) == 0)
				seen[k] = true;
		cmd_result_free(&r);
	}
	for (size_t k = 0; k < bench_nworkloads; k++) /* disk: test_disk_workloads */
		if (!seen[k] && strcmp(bench_workloads[k]->group, "disk") != 0)
			fail_msg("workload %s has no CLI run here", bench_workloads[k]->name);
}

/* The disk workloads on an image file: each reads the pattern back and
 * reports; a write of another generation lands in the file exactly; a
 * damaged sector, or no --disk at all, fails the self-check. */
#define TEST_DISK_SIZE (4u << 20)

static int disk_run(const char *img, const char *name, const char *p1, const char *p2,
		    struct cmd_result *r)
{
	const char *const words[] = { build_path("bench"), "--disk", img, "run", name, p1, p2,
				      NULL };
	run_cmd(words, 60, r);
	return r->status;
}

static void test_disk_workloads(void **state)
{
	char img[] = "/tmp/test-disk-XXXXXX";
	int fd = mkstemp(img);
	struct cmd_result r;
	static uint64_t buf[TEST_DISK_SIZE / 8];

	(void)state;
	assert_true(fd >= 0);
	diskpat_fill(buf, 0, TEST_DISK_SIZE, 0);
	assert_int_equal(pwrite(fd, buf, TEST_DISK_SIZE, 0), TEST_DISK_SIZE);
	static const char *const runs[][3] = {
		{ "disk-seq-read", "total=8M", "verify=full" },
		{ "disk-seq-read", "total=1M", "qd=4" },
		{ "disk-seq-write", "total=1M", NULL },
		{ "disk-rand-read", "ios=200", NULL },
		{ "disk-rand-iops", "ios=500", "bs=8K" },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		if (disk_run(img, runs[i][0], runs[i][1], runs[i][2], &r) != 0 ||
		    strncmp(r.out, "RESULT {", 8) != 0)
			fail_msg("%s %s: status %d\n%s%s", runs[i][0], runs[i][1], r.status, r.out,
				 r.err);
		r.out[strcspn(r.out, "\n")] = '\0';
		check_result_json(r.out, runs[i][0]);
		cmd_result_free(&r);
	}

	/* 1.5 MiB of generation 7 from the start, the rest still 0 */
	assert_int_equal(disk_run(img, "disk-seq-write", "total=1536K", "gen=7", &r), 0);
	cmd_result_free(&r);
	assert_int_equal(pread(fd, buf, TEST_DISK_SIZE, 0), TEST_DISK_SIZE);
	assert_int_equal(diskpat_check(buf, 0, 1536 << 10, 7, 1), 0);
	assert_int_equal(diskpat_check((uint8_t *)buf + (1536 << 10), 1536 << 10,
				       TEST_DISK_SIZE - (1536 << 10), 0, 1), 0);
	assert_int_equal(disk_run(img, "disk-seq-read", "total=1536K", "gen=7", &r), 0);
	cmd_result_free(&r);
	assert_int_equal(disk_run(img, "disk-seq-read", "total=4M", "gen=7", &r), 1);
	assert_non_null(strstr(r.out, "FAIL disk-seq-read: data read back do not match"));
	cmd_result_free(&r);

	/* one damaged word inside a sector: only a full check sees it */
	uint64_t bad = 0x5a;
	assert_int_equal(pwrite(fd, &bad, 8, 2 * 512 + 8), 8);
	assert_int_equal(disk_run(img, "disk-seq-read", "total=4K", "gen=7", &r), 0);
	cmd_result_free(&r);
	assert_int_equal(disk_run(img, "disk-seq-read", "total=4K", "verify=full", &r), 1);
	cmd_result_free(&r);

	run_bench(&r, "run", "disk-seq-read", NULL, NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "FAIL disk-seq-read: no disk"));
	cmd_result_free(&r);
	close(fd);
	unlink(img);
}

static void test_cli_errors_and_list(void **state)
{
	struct cmd_result r;

	(void)state;
	run_bench(&r, "run", "nosuch", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown workload 'nosuch'"));
	assert_non_null(strstr(r.err, "cpu, memory, threads"));
	assert_string_equal(r.out, "");
	cmd_result_free(&r);

	run_bench(&r, "run", "cpu", "bogus=1", NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown parameter 'bogus' for cpu; valid: max_prime"));
	cmd_result_free(&r);

	run_bench(&r, "run", "memory", "oper=copy", NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "one of write|read"));
	cmd_result_free(&r);

	run_bench(&r, "run", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	cmd_result_free(&r);

	run_bench(&r, "frobnicate", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
	cmd_result_free(&r);

	run_bench(&r, NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage:"));
	cmd_result_free(&r);

	run_bench(&r, "--help", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "bench run NAME"));
	assert_non_null(strstr(r.out, "max_prime=10000"));
	cmd_result_free(&r);

	run_bench(&r, "list", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	int lines = 0;
	for (char *p = r.out, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
		*nl = '\0';
		char *t1 = strchr(p, '\t');
		assert_non_null(t1);
		char *t2 = strchr(t1 + 1, '\t');
		assert_non_null(t2);
		*t2 = '\0';
		assert_true(strcmp(t1 + 1, "synthetic") == 0 || strcmp(t1 + 1, "mibench") == 0 ||
			    strcmp(t1 + 1, "latency") == 0 || strcmp(t1 + 1, "disk") == 0);
	}
	assert_int_equal(lines, (int)bench_nworkloads);
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_primes),
		cmocka_unit_test(test_disk_workloads),
		cmocka_unit_test(test_bitcount_methods),
		cmocka_unit_test(test_basicmath),
		cmocka_unit_test(test_susan_usan),
		cmocka_unit_test(test_susan_flat_and_square),
		cmocka_unit_test(test_susan_smoothing_reference),
		cmocka_unit_test(test_cli_runs_every_workload),
		cmocka_unit_test(test_cli_errors_and_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
