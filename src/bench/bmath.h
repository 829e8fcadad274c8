/*
 * bmath: the elementary functions the MiBench workloads need, freestanding.
 *
 * Owns: sqrt (the SSE2 instruction), cos, sin, atan, acos, cbrt, exp,
 * fabs. Accurate to about 1e-15 relative on the ranges the workloads use
 * (the unit tests hold them to 1e-12 of libm). Argument reduction for
 * cos/sin is exact enough for |x| < 1e6; beyond that they lose accuracy.
 * Written from the textbook methods named at each function: no libm.
 */
#ifndef BENCH_BMATH_H
#define BENCH_BMATH_H

#define BM_PI 3.14159265358979323846

/* Compiles to one sqrtsd when -fno-math-errno is in force (bench.mk). */
static inline double bm_sqrt(double x)
{
	return __builtin_sqrt(x);
}

static inline double bm_fabs(double x)
{
	return x < 0 ? -x : x;
}

double bm_sin(double x);
double bm_cos(double x);
double bm_atan(double x);
double bm_acos(double x);
double bm_cbrt(double x);
double bm_exp(double x);

#endif
