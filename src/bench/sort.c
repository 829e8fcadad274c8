/*
 * sort: bench_qsort, the sort the qsort workload times (MiBench's qsort
 * programs call the C library's qsort; ours must run without one).
 * Introsort (Musser 1997): quicksort with a median-of-three pivot, short
 * partitions left to one final insertion sort, heapsort as the fallback
 * when the depth passes 2*log2(n).
 */
#include "sort.h"

#include <stdint.h>

#define SORT_SHORT 12

/* Swaps two elements: 8 bytes at a time when size and alignment allow,
 * which is the common case (pointers, structs of doubles). */
static inline void sort_swap(char *a, char *b, size_t size)
{
	if (a == b)
		return;
	if ((size & 7) == 0 && (((uintptr_t)a | (uintptr_t)b) & 7) == 0) {
		uint64_t *x = (uint64_t *)(void *)a, *y = (uint64_t *)(void *)b;
		for (size_t i = 0; i < size / 8; i++) {
			uint64_t t = x[i];
			x[i] = y[i];
			y[i] = t;
		}
		return;
	}
	for (size_t i = 0; i < size; i++) {
		char t = a[i];
		a[i] = b[i];
		b[i] = t;
	}
}

static void sort_sift_down(char *base, size_t root, size_t n, size_t size, sort_cmp_fn cmp)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		sort_swap(base + root * size, base + child * size, size);
		root = child;
	}
}

static void sort_heap(char *base, size_t n, size_t size, sort_cmp_fn cmp)
{
	for (size_t i = n / 2; i-- > 0;)
		sort_sift_down(base, i, n, size, cmp);
	for (size_t end = n; end-- > 1;) {
		sort_swap(base, base + end * size, size);
		sort_sift_down(base, 0, end, size, cmp);
	}
}

/* Leaves runs of <= SORT_SHORT elements unsorted but in place: every
 * element of a run is >= those of earlier runs and <= those of later ones. */
static void sort_intro(char *lo, size_t n, size_t size, sort_cmp_fn cmp, unsigned depth)
{
	while (n > SORT_SHORT) {
		if (depth-- == 0) {
			sort_heap(lo, n, size, cmp);
			return;
		}
		char *mid = lo + (n / 2) * size;
		char *hi = lo + (n - 1) * size;
		/* order lo <= mid <= hi; mid becomes the pivot */
		if (cmp(mid, lo) < 0)
			sort_swap(mid, lo, size);
		if (cmp(hi, mid) < 0) {
			sort_swap(hi, mid, size);
			if (cmp(mid, lo) < 0)
				sort_swap(mid, lo, size);
		}
		/* park the pivot at lo+size; lo and hi are sentinels */
		char *piv = lo + size;
		sort_swap(mid, piv, size);
		char *i = piv, *j = hi;
		for (;;) {
			do
				i += size;
			while (cmp(i, piv) < 0);
			do
				j -= size;
			while (cmp(piv, j) < 0);
			if (i >= j)
				break;
			sort_swap(i, j, size);
		}
		sort_swap(piv, j, size);
		/* [lo, j) <= pivot at j <= (j, hi]; recurse on the smaller side */
		size_t nl = (size_t)(j - lo) / size;
		size_t nr = n - nl - 1;
		if (nl < nr) {
			sort_intro(lo, nl, size, cmp, depth);
			lo = j + size;
			n = nr;
		} else {
			sort_intro(j + size, nr, size, cmp, depth);
			n = nl;
		}
	}
}

static void sort_insertion(char *base, size_t n, size_t size, sort_cmp_fn cmp)
{
	for (size_t i = 1; i < n; i++) {
		char *p = base + i * size;
		while (p > base && cmp(p - size, p) > 0) {
			sort_swap(p - size, p, size);
			p -= size;
		}
	}
}

void bench_qsort(void *base, size_t n, size_t size, sort_cmp_fn cmp)
{
	unsigned depth = 0;

	if (n < 2 || size == 0)
		return;
	for (size_t m = n; m; m >>= 1)
		depth += 2;
	sort_intro(base, n, size, cmp, depth);
	sort_insertion(base, n, size, cmp);
}
