/*
 * workloads: the workload table entries and the computational kernels the
 * unit tests check directly (tests/bench/). Each kernel is the timed inner
 * part of one workload, callable without the timing and reporting around it.
 */
#ifndef BENCH_WORKLOADS_H
#define BENCH_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

extern const struct bench_workload wl_cpu, wl_memory, wl_threads, wl_mutex;
extern const struct bench_workload wl_basicmath, wl_bitcount, wl_qsort;
extern const struct bench_workload wl_susan_smoothing, wl_susan_edges, wl_susan_corners;
extern const struct bench_workload wl_timer_latency;
extern const struct bench_workload wl_disk_seq_read, wl_disk_seq_write, wl_disk_rand_read,
	wl_disk_rand_iops;

/* cpu: one sysbench cpu event: how many of 3 .. max_prime-1 are prime. */
uint64_t cpu_event(uint64_t max_prime);

/* basicmath: real roots of a*x^3 + b*x^2 + c*x + d (a != 0) into x[0..2];
 * returns how many (1 or 3). */
int basicmath_cubic(double a, double b, double c, double d, double x[3]);
/* floor(sqrt(v)) by the bit-at-a-time method. */
uint32_t basicmath_isqrt(uint64_t v);
/* One pass of the workload: ncubic * 1100 cubics, integer square roots of
 * 0 .. nsqrt-1 and of as many large numbers, nangle degree->radian and
 * radian->degree conversions. Returns the checksum (sum of all roots and
 * converted values); *bad counts results that failed their own check. */
double basicmath_pass(unsigned ncubic, unsigned nsqrt, unsigned nangle, uint64_t *bad);

/* bitcount: the seven counting methods, by index 0..6. */
#define BITCOUNT_NMETHODS 7
extern const char *const bitcount_names[BITCOUNT_NMETHODS];
unsigned bitcount_method(int m, uint32_t x);

/* SUSAN on an 8-bit greyscale image, w x h, row-major. */
struct susan_image {
	unsigned w, h;
	uint8_t *pix;
};
/* The deterministic test picture: gradients, shapes and noise. */
void susan_make_image(struct susan_image *img, uint64_t seed);
/* USAN area (in units of 1/100 of a pixel, the brightness-similarity
 * function scaled to 100) at (x, y), 3 <= x < w-3, 3 <= y < h-3, with
 * brightness threshold t. */
unsigned susan_usan(const struct susan_image *img, unsigned x, unsigned y, unsigned t);
/* out gets the smoothed image; returns 0, or -1 if out of memory. */
int susan_smooth(const struct susan_image *in, struct susan_image *out, unsigned t);
/* Marks edge (resp. corner) pixels with 255 in mark (w*h bytes, zeroed by
 * the caller); returns how many. -1 if out of memory. */
long susan_edges(const struct susan_image *img, uint8_t *mark, unsigned t);
long susan_corners(const struct susan_image *img, uint8_t *mark, unsigned t);

#endif
