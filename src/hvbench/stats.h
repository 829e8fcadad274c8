/* stats: the numbers hvbench reports, as pure functions over arrays of
 * samples: median, a bootstrap confidence interval of the median, the study's
 * Equation 1 on the cost form of a metric, and the "noisy" rule. No I/O, no
 * global state: the bootstrap PRNG is seeded by the caller, so every result
 * is reproducible from its samples. */
#ifndef HVB_STATS_H
#define HVB_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_RESAMPLES 2000
#define STATS_SEED 0x68766265u /* "hvbe": any fixed value; fixed so CIs repeat */

/* The noisy rule (docs/hvbench.md): a side is noisy when its 95% CI
 * half-width exceeds 5% of its median; an overhead is noisy when its 95% CI
 * spans more than 10 percentage points. */
#define STATS_NOISY_SIDE_FRAC 0.05
#define STATS_NOISY_OVERHEAD_SPAN 10.0

enum stats_better { STATS_LOWER, STATS_HIGHER };

/* Median of x[0..n-1] (mean of the two middle values when n is even); NaN
 * when n == 0. x is not modified. */
double stats_median(const double *x, size_t n);

/* Quantile q in [0,1] of sorted s[0..n-1], linear interpolation between
 * closest ranks; NaN when n == 0. */
double stats_quantile_sorted(const double *s, size_t n, double q);

/* Cost form of a metric value: the value itself when lower is better, its
 * reciprocal when higher is better (so that cost always grows with slowness).
 * NaN when a higher-is-better value is not positive. */
double stats_cost(double value, enum stats_better better);

/* Equation 1: (cost_virt - cost_native) / cost_native * 100. NaN when the
 * native cost is not positive or either input is not finite. */
double stats_overhead_pct(double cost_native, double cost_virt);

/* Overhead of two sides given their metric values (medians), via the cost
 * form. */
double stats_overhead_of(double native, double virt, enum stats_better better);

/* Deterministic PRNG (splitmix64) so bootstrap intervals are reproducible. */
struct stats_rng {
	uint64_t state;
};
void stats_rng_seed(struct stats_rng *r, uint64_t seed);
uint64_t stats_rng_next(struct stats_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
size_t stats_rng_below(struct stats_rng *r, size_t n);

/* Percentile bootstrap 95% CI of the median: `resamples` resamples of size n
 * with replacement. Returns 0 and sets *lo, *hi; -1 when n == 0 or memory
 * runs out (lo/hi set to NaN). */
int stats_median_ci95(const double *x, size_t n, unsigned resamples, uint64_t seed,
		      double *lo, double *hi);

/* Bootstrap 95% CI of Equation 1: each resample draws both sides
 * independently and takes the overhead of their medians. Returns 0, or -1
 * when a side is empty, memory runs out or the overhead is undefined. */
int stats_overhead_ci95(const double *native, size_t nn, const double *virt, size_t nv,
			enum stats_better better, unsigned resamples, uint64_t seed,
			double *lo, double *hi);

/* Mann-Whitney U (Wilcoxon rank-sum) test of "A and B come from one
 * distribution", two-sided. *u is U of A: the number of pairs (a, b) with
 * a > b, a tie counting one half. Without ties and with na * nb at most
 * STATS_MWU_EXACT_MAX the p-value is exact (the distribution of U counted
 * over every arrangement of the ranks, Mann and Whitney 1947); otherwise it
 * is the normal approximation with the tie correction of the variance and
 * a continuity correction of 0.5 (as R's wilcox.test with exact = FALSE).
 * All samples equal (no spread at all): p = 1. Returns 0, or -1 when a side
 * is empty, a sample is not finite or memory runs out (*u, *p NaN). */
#define STATS_MWU_EXACT_MAX 400
#define STATS_ALPHA 0.05 /* the significance compare states and uses */
int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u,
		       double *p);

/* The noisy rule for one side: half-width of [lo,hi] > 5% of |median|. */
int stats_side_noisy(double median, double lo, double hi);
/* The noisy rule for an overhead CI: hi - lo > 10 points. */
int stats_overhead_noisy(double lo, double hi);

#endif
