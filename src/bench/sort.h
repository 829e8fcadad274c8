/*
 * sort: a qsort-style generic sort the workloads can run in the guest.
 *
 * Owns: bench_qsort, with the ISO C qsort contract (ascending by cmp, not
 * stable). Introsort: median-of-three quicksort, insertion sort for short
 * runs, heapsort if the recursion gets too deep, so it is O(n log n) on
 * any input and needs O(log n) stack.
 */
#ifndef BENCH_SORT_H
#define BENCH_SORT_H

#include <stddef.h>

typedef int (*sort_cmp_fn)(const void *a, const void *b);

void bench_qsort(void *base, size_t n, size_t size, sort_cmp_fn cmp);

#endif
