/*
 * wl_basicmath: MiBench automotive "basicmath" (Guthaus et al., "MiBench: A
 * free, commercially representative embedded benchmark suite", WWC 2001):
 * solve many cubic equations, take integer square roots of a range of
 * numbers, and convert angles between degrees and radians, with the
 * elementary functions of bmath.c in place of libm. The coefficient sweep
 * mirrors the program's nested loops over a, b, c, d.
 */
#include "bmath.h"
#include "platform.h"
#include "workloads.h"

/* Real roots of a x^3 + b x^2 + c x + d by the trigonometric / Cardano
 * method: with a1 = b/a, a2 = c/a, a3 = d/a, Q = (a1^2 - 3 a2) / 9 and
 * R = (2 a1^3 - 9 a1 a2 + 27 a3) / 54, three real roots exist when
 * R^2 < Q^3 (x = -2 sqrt(Q) cos((theta + 2 pi k) / 3) - a1/3 with
 * theta = acos(R / sqrt(Q^3))), otherwise one (x = A + Q/A - a1/3 with
 * A = -sign(R) cbrt(|R| + sqrt(R^2 - Q^3))). */
int basicmath_cubic(double a, double b, double c, double d, double x[3])
{
	double a1 = b / a, a2 = c / a, a3 = d / a;
	double q = (a1 * a1 - 3.0 * a2) / 9.0;
	double r = (2.0 * a1 * a1 * a1 - 9.0 * a1 * a2 + 27.0 * a3) / 54.0;
	double q3 = q * q * q;

	if (r * r < q3) {
		double theta = bm_acos(r / bm_sqrt(q3));
		double s = -2.0 * bm_sqrt(q);
		x[0] = s * bm_cos(theta / 3.0) - a1 / 3.0;
		x[1] = s * bm_cos((theta + 2.0 * BM_PI) / 3.0) - a1 / 3.0;
		x[2] = s * bm_cos((theta + 4.0 * BM_PI) / 3.0) - a1 / 3.0;
		return 3;
	}
	double big = bm_cbrt(bm_sqrt(r * r - q3) + bm_fabs(r));
	if (r > 0)
		big = -big;
	x[0] = big + (big != 0.0 ? q / big : 0.0) - a1 / 3.0;
	return 1;
}

/* floor(sqrt(v)), one result bit at a time from the top (the digit-by-
 * digit method MiBench's usqrt uses), with no floating point. */
uint32_t basicmath_isqrt(uint64_t v)
{
	uint64_t rem = v, root = 0, bit = 1ULL << 62;

	while (bit > v)
		bit >>= 2;
	while (bit) {
		if (rem >= root + bit) {
			rem -= root + bit;
			root = (root >> 1) + bit;
		} else {
			root >>= 1;
		}
		bit >>= 2;
	}
	return (uint32_t)root;
}

/* |p(x)| small against the size of its terms: the root really is one. */
static bool basicmath_root_ok(double a, double b, double c, double d, double x)
{
	double p = ((a * x + b) * x + c) * x + d;
	double scale = bm_fabs(a * x * x * x) + bm_fabs(b * x * x) + bm_fabs(c * x) + bm_fabs(d);

	return bm_fabs(p) <= 1e-9 * scale + 1e-12;
}

static double basicmath_solve(double a, double b, double c, double d, uint64_t *bad)
{
	double x[3], sum = 0;
	int n = basicmath_cubic(a, b, c, d, x);

	for (int i = 0; i < n; i++) {
		*bad += !basicmath_root_ok(a, b, c, d, x[i]);
		sum += x[i];
	}
	return sum;
}

double basicmath_pass(unsigned ncubic, unsigned nsqrt, unsigned nangle, uint64_t *bad)
{
	double sum = 0;

	/* the program's four fixed equations, then its sweep over a, b, c, d */
	sum += basicmath_solve(1.0, -10.5, 32.0, -30.0, bad);
	sum += basicmath_solve(1.0, -4.5, 17.0, -30.0, bad);
	sum += basicmath_solve(1.0, -3.5, 22.0, -31.0, bad);
	sum += basicmath_solve(1.0, -13.7, 1.0, -35.0, bad);
	for (unsigned ia = 1; ia <= ncubic; ia++)
		for (double b = 10.0; b > 0.0; b -= 1.0)
			for (double c = 5.0; c < 15.5; c += 1.0)
				for (double d = -1.0; d > -10.5; d -= 1.0)
					sum += basicmath_solve((double)ia, b, c, d, bad);

	for (uint64_t i = 0; i < nsqrt; i++) {
		uint64_t v[2] = { i, 0x3fed0169ULL + i * 7919 };
		for (int k = 0; k < 2; k++) {
			uint64_t r = basicmath_isqrt(v[k]);
			*bad += !(r * r <= v[k] && (r + 1) * (r + 1) > v[k]);
			sum += (double)r;
		}
	}

	/* degrees -> radians over a full turn, and back */
	for (unsigned i = 0; i < nangle; i++) {
		double deg = 360.0 * (double)i / (double)nangle;
		double rad = deg * (BM_PI / 180.0);
		double back = rad * (180.0 / BM_PI);
		*bad += bm_fabs(back - deg) > 1e-9 * (deg + 1.0);
		sum += rad + back;
	}
	return sum;
}

static const char *const bm_sizes[] = { "tiny", "small", "large", NULL };

static int basicmath_run(const struct bench_args *a)
{
	static const unsigned sz[3][4] = {
		/* ncubic, nsqrt, nangle, reps */
		{ 1, 1000, 360, 1 },
		{ 10, 100000, 36000, 12 },
		{ 10, 100000, 36000, 60 },
	};
	const unsigned *p = sz[bench_arg(a, "size")];
	uint64_t bad = 0;
	double check = 0;

	uint64_t t0 = plat_now_ns();
	for (unsigned rep = 0; rep < p[3]; rep++) {
		double s = basicmath_pass(p[0], p[1], p[2], &bad);
		if (rep == 0)
			check = s;
		else
			bad += s != check;
	}
	uint64_t t1 = plat_now_ns();
	if (bad)
		return bench_fail(a, "a root, square root or conversion failed its check");

	struct bench_result r;
	result_begin(&r, a, "time", "ms", "lower", bench_ns_to_ms(t1 - t0), 3);
	result_f64(&r, "check", check, 6);
	result_u64(&r, "reps", p[3]);
	return result_end(&r);
}

static const struct bench_param basicmath_params[] = {
	{ "size", BENCH_P_CHOICE, "small", "problem size", 0, 0, bm_sizes },
	{ 0 },
};

const struct bench_workload wl_basicmath = {
	"basicmath", "mibench", "MiBench basicmath: cubics, integer sqrt, angles; ms",
	basicmath_params, basicmath_run,
};
