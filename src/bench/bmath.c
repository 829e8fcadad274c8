/*
 * bmath: freestanding elementary functions for the MiBench workloads
 * (basicmath's cubic solver needs acos, cos and cube roots; SUSAN's
 * brightness table needs exp). Methods: argument reduction to a short
 * interval, then a truncated Taylor series evaluated by Horner's rule, with
 * enough terms that truncation is below 1e-17 relative. Constants were
 * derived from pi and ln 2 to 80 digits and written as hexadecimal floats.
 */
#include "bmath.h"

#include <stdint.h>

/* pi/2 in three pieces of 33, 33 and 53 bits (Cody and Waite): k * piece
 * is exact for |k| < 2^20, so x - k*pi/2 keeps ~100 bits of pi. */
static const double BM_PIO2_1 = 0x1.921fb54400000p+0;
static const double BM_PIO2_2 = 0x1.0b4611a600000p-34;
static const double BM_PIO2_3 = 0x1.3198a2e037073p-69;
static const double BM_INV_PIO2 = 0x1.45f306dc9c883p-1;
static const double BM_PIO2 = 0x1.921fb54442d18p+0;
static const double BM_PIO6 = 0x1.0c152382d7366p-1;
static const double BM_SQRT3 = 0x1.bb67ae8584caap+0;
static const double BM_TAN_PI12 = 0x1.126145e9ecd56p-2; /* 2 - sqrt(3) */
/* ln 2 in a 42-bit and a 53-bit piece: k * hi is exact for |k| < 2^11. */
static const double BM_LN2_HI = 0x1.62e42fefa3800p-1;
static const double BM_LN2_LO = 0x1.ef35793c76730p-45;
static const double BM_INV_LN2 = 0x1.71547652b82fep+0;

static inline uint64_t bm_bits(double x)
{
	uint64_t u;

	__builtin_memcpy(&u, &x, sizeof(u));
	return u;
}

static inline double bm_from_bits(uint64_t u)
{
	double x;

	__builtin_memcpy(&x, &u, sizeof(x));
	return x;
}

static inline double bm_round(double x)
{
	return (double)(int64_t)(x < 0 ? x - 0.5 : x + 0.5);
}

/* 2^k for -1022 <= k <= 1023, exactly. */
static inline double bm_pow2(int k)
{
	return bm_from_bits((uint64_t)(k + 1023) << 52);
}

/* sin r for |r| <= pi/4: r - r^3/3! + ... + r^17/17! (next term < 1e-19). */
static double bm_sin_core(double r)
{
	/* (-1)^k / (2k+1)! for k = 8 down to 1 */
	static const double c[] = {
		1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
		-1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0,
	};
	double z = r * r;
	double p = c[0];

	for (int i = 1; i < 8; i++)
		p = p * z + c[i];
	return r + r * z * p;
}

/* cos r for |r| <= pi/4: 1 - r^2/2! + ... - r^18/18! (next term < 1e-20). */
static double bm_cos_core(double r)
{
	/* (-1)^k / (2k)! for k = 9 down to 1 */
	static const double c[] = {
		-1.0 / 6402373705728000.0, 1.0 / 20922789888000.0, -1.0 / 87178291200.0,
		1.0 / 479001600.0, -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0,
		1.0 / 24.0, -1.0 / 2.0,
	};
	double z = r * r;
	double p = c[0];

	for (int i = 1; i < 9; i++)
		p = p * z + c[i];
	return 1.0 + z * p;
}

/* x = k * pi/2 + r with |r| <= pi/4 (a hair more after rounding); returns
 * r and k mod 4. */
static double bm_reduce_pio2(double x, unsigned *quadrant)
{
	double k = bm_round(x * BM_INV_PIO2);
	double r = ((x - k * BM_PIO2_1) - k * BM_PIO2_2) - k * BM_PIO2_3;

	*quadrant = (unsigned)((int64_t)k & 3);
	return r;
}

double bm_sin(double x)
{
	unsigned q;
	double r;

	if (bm_fabs(x) < 0x1p-26) /* sin x = x to double precision; keeps -0 */
		return x;
	r = bm_reduce_pio2(x, &q);
	switch (q) {
	case 0:
		return bm_sin_core(r);
	case 1:
		return bm_cos_core(r);
	case 2:
		return -bm_sin_core(r);
	default:
		return -bm_cos_core(r);
	}
}

double bm_cos(double x)
{
	unsigned q;
	double r = bm_reduce_pio2(x, &q);

	switch (q) {
	case 0:
		return bm_cos_core(r);
	case 1:
		return -bm_sin_core(r);
	case 2:
		return -bm_cos_core(r);
	default:
		return bm_sin_core(r);
	}
}

/* atan u for |u| <= 2 - sqrt(3) = 0.268: u - u^3/3 + ... - u^31/31
 * (next term < 1e-19 relative). */
static double bm_atan_series(double u)
{
	double z = u * u;
	double p = -1.0 / 31.0;

	for (int k = 14; k >= 1; k--)
		p = p * z + ((k & 1) ? -1.0 : 1.0) / (double)(2 * k + 1);
	return u + u * z * p;
}

/* atan t for 0 <= t <= 1: above tan(pi/12), shift by pi/6 with the
 * addition formula atan t = pi/6 + atan((t*sqrt3 - 1) / (t + sqrt3)),
 * which maps [tan(pi/12), 1] onto [-tan(pi/12), tan(pi/12)]. */
static double bm_atan_unit(double t)
{
	if (t <= BM_TAN_PI12)
		return bm_atan_series(t);
	return BM_PIO6 + bm_atan_series((t * BM_SQRT3 - 1.0) / (t + BM_SQRT3));
}

double bm_atan(double x)
{
	double a = bm_fabs(x), r;

	if (a > 1.0)
		r = BM_PIO2 - bm_atan_unit(1.0 / a); /* atan a = pi/2 - atan(1/a) */
	else
		r = bm_atan_unit(a);
	return x < 0 ? -r : r;
}

/* acos x = 2 atan(sqrt((1 - x) / (1 + x))): the half-angle identity, well
 * conditioned at both ends (1 - x and 1 + x are exact near +1 and -1). */
double bm_acos(double x)
{
	if (!(x >= -1.0 && x <= 1.0))
		return (x - x) / (x - x); /* NaN, as libm's domain error */
	return 2.0 * bm_atan(bm_sqrt((1.0 - x) / (1.0 + x)));
}

/* Cube root: split off the exponent (x = m * 2^(3q + s), 1 <= m < 2,
 * s in 0..2), a quadratic first guess for cbrt(m * 2^s) in [1, 2) (within
 * 20%), five Newton steps (the error squares each time: 0.2 -> 0.04 ->
 * 2e-3 -> 3e-6 -> 1e-11 -> 1e-22), then scale by 2^q exactly. */
double bm_cbrt(double x)
{
	double a = bm_fabs(x);
	int adj = 0;

	if (a == 0.0 || a - a != 0.0) /* zero keeps its sign; inf and NaN */
		return x;
	if (a < 0x1p-1022) {          /* subnormal: scale up by 2^54 = (2^18)^3 */
		a *= 0x1p54;
		adj = -18;
	}
	uint64_t u = bm_bits(a);
	int e = (int)(u >> 52) - 1023;
	double m = bm_from_bits((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
	int q = e >= 0 ? e / 3 : -((-e + 2) / 3); /* floor(e / 3) */
	int s = e - 3 * q;
	double v = m * (double)(1 << s);           /* 1 <= v < 8 */
	double y = 0.6 + v * (0.45 - v * 0.028);

	for (int i = 0; i < 5; i++)
		y -= (y * y * y - v) / (3.0 * y * y);
	y *= bm_pow2(q + adj);
	return x < 0 ? -y : y;
}

/* exp x: x = k ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln 2), e^r by
 * its Taylor series to r^13/13! (next term < 1e-17), times 2^k. */
double bm_exp(double x)
{
	if (x != x)
		return x;
	if (x > 709.782712893384)
		return __builtin_inf();
	if (x < -745.2)
		return 0.0;
	double k = bm_round(x * BM_INV_LN2);
	double r = (x - k * BM_LN2_HI) - k * BM_LN2_LO;
	/* Horner on 1 + r(1 + r/2(1 + r/3(1 + ... (1 + r/13)))) */
	double s = 1.0;

	for (int n = 13; n >= 1; n--)
		s = 1.0 + r * s / (double)n;
	int ki = (int)k;
	if (ki > 1023)
		return s * bm_pow2(1023) * bm_pow2(ki - 1023);
	if (ki < -1022)
		return s * bm_pow2(ki + 54) * 0x1p-54;
	return s * bm_pow2(ki);
}
