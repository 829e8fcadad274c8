/* stats: median, bootstrap CIs, Equation 1 and the noisy rule (see stats.h).
 * Pure functions: everything here depends only on the arguments. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void sort_doubles(double *x, size_t n)
{
	qsort(x, n, sizeof(*x), cmp_double);
}

/* Median of an already sorted array. */
static double median_sorted(const double *s, size_t n)
{
	if (n == 0)
		return (double)NAN;
	if (n % 2)
		return s[n / 2];
	return (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

double stats_median(const double *x, size_t n)
{
	double *s, m;

	if (n == 0)
		return (double)NAN;
	s = malloc(n * sizeof(*s));
	if (!s)
		return (double)NAN;
	memcpy(s, x, n * sizeof(*s));
	sort_doubles(s, n);
	m = median_sorted(s, n);
	free(s);
	return m;
}

double stats_quantile_sorted(const double *s, size_t n, double q)
{
	double pos, frac;
	size_t i;

	if (n == 0 || !(q >= 0.0 && q <= 1.0))
		return (double)NAN;
	pos = q * (double)(n - 1);
	i = (size_t)pos;
	if (i >= n - 1)
		return s[n - 1];
	frac = pos - (double)i;
	return s[i] + (s[i + 1] - s[i]) * frac;
}

double stats_cost(double value, enum stats_better better)
{
	if (!isfinite(value))
		return (double)NAN;
	if (better == STATS_HIGHER)
		return value > 0.0 ? 1.0 / value : (double)NAN;
	return value;
}

double stats_overhead_pct(double cost_native, double cost_virt)
{
	if (!isfinite(cost_native) || !isfinite(cost_virt) || cost_native <= 0.0)
		return (double)NAN;
	return (cost_virt - cost_native) / cost_native * 100.0;
}

double stats_overhead_of(double native, double virt, enum stats_better better)
{
	return stats_overhead_pct(stats_cost(native, better), stats_cost(virt, better));
}

void stats_rng_seed(struct stats_rng *r, uint64_t seed)
{
	r->state = seed;
}

/* splitmix64: tiny, fast, passes the usual batteries, and has no bad seeds. */
uint64_t stats_rng_next(struct stats_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t stats_rng_below(struct stats_rng *r, size_t n)
{
	/* Reject the top sliver of the range that would favour small values. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % (uint64_t)n;
	uint64_t v;

	do
		v = stats_rng_next(r);
	while (v >= limit);
	return (size_t)(v % (uint64_t)n);
}

/* One bootstrap resample of x into buf, returning its median (buf sorted). */
static double resample_median(struct stats_rng *r, const double *x, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[stats_rng_below(r, n)];
	sort_doubles(buf, n);
	return median_sorted(buf, n);
}

int stats_median_ci95(const double *x, size_t n, unsigned resamples, uint64_t seed,
		      double *lo, double *hi)
{
	struct stats_rng r;
	double *buf, *meds;

	*lo = *hi = (double)NAN;
	if (n == 0 || resamples == 0)
		return -1;
	buf = malloc(n * sizeof(*buf));
	meds = malloc(resamples * sizeof(*meds));
	if (!buf || !meds) {
		free(buf);
		free(meds);
		return -1;
	}
	stats_rng_seed(&r, seed);
	for (unsigned k = 0; k < resamples; k++)
		meds[k] = resample_median(&r, x, n, buf);
	sort_doubles(meds, resamples);
	*lo = stats_quantile_sorted(meds, resamples, 0.025);
	*hi = stats_quantile_sorted(meds, resamples, 0.975);
	free(buf);
	free(meds);
	return 0;
}

int stats_overhead_ci95(const double *native, size_t nn, const double *virt, size_t nv,
			enum stats_better better, unsigned resamples, uint64_t seed,
			double *lo, double *hi)
{
	struct stats_rng r;
	double *bn, *bv, *ovh;
	size_t m = 0;
	int rc = -1;

	*lo = *hi = (double)NAN;
	if (nn == 0 || nv == 0 || resamples == 0)
		return -1;
	bn = malloc(nn * sizeof(*bn));
	bv = malloc(nv * sizeof(*bv));
	ovh = malloc(resamples * sizeof(*ovh));
	if (!bn || !bv || !ovh)
		goto out;
	stats_rng_seed(&r, seed);
	for (unsigned k = 0; k < resamples; k++) {
		double mn = resample_median(&r, native, nn, bn);
		double mv = resample_median(&r, virt, nv, bv);
		double o = stats_overhead_of(mn, mv, better);

		/* An undefined resample (a zero native cost) cannot be ranked. */
		if (isfinite(o))
			ovh[m++] = o;
	}
	/* If most resamples are undefined the interval means nothing. */
	if (m < resamples / 2 || m == 0)
		goto out;
	sort_doubles(ovh, m);
	*lo = stats_quantile_sorted(ovh, m, 0.025);
	*hi = stats_quantile_sorted(ovh, m, 0.975);
	rc = 0;
out:
	free(bn);
	free(bv);
	free(ovh);
	return rc;
}

int stats_side_noisy(double median, double lo, double hi)
{
	if (!isfinite(median) || !isfinite(lo) || !isfinite(hi))
		return 0;
	return (hi - lo) / 2.0 > STATS_NOISY_SIDE_FRAC * fabs(median);
}

int stats_overhead_noisy(double lo, double hi)
{
	if (!isfinite(lo) || !isfinite(hi))
		return 0;
	return hi - lo > STATS_NOISY_OVERHEAD_SPAN;
}

/* ---- Mann-Whitney U ---- */

struct mwu_item {
	double v;
	int from_a;
};

static int cmp_item(const void *x, const void *y)
{
	return cmp_double(&((const struct mwu_item *)x)->v, &((const struct mwu_item *)y)->v);
}

/* P(U <= u) for samples of m and n without ties: the number of
 * arrangements of m A-ranks among m + n with U <= u, over C(m + n, m).
 * f[k] counts the arrangements with U = k, built one B element at a time
 * by the recurrence f(m, n, k) = f(m - 1, n, k - n) + f(m, n - 1, k). */
static double mwu_exact_cdf(size_t m, size_t n, double u)
{
	size_t umax = m * n, kmax = (size_t)floor(u);
	/* g[i][k] for i A elements and the current j B elements. */
	double *g = calloc((m + 1) * (umax + 1), sizeof(*g)), total = 0, below = 0;

	if (!g)
		return (double)NAN;
	/* j = 0: one arrangement of i A elements, U = 0. */
	for (size_t i = 0; i <= m; i++)
		g[i * (umax + 1)] = 1;
	for (size_t j = 1; j <= n; j++)
		/* i ascending reads row i - 1 of this j, already updated: U of
		 * an arrangement whose largest element is an A is its rest's U
		 * plus j (it beats every B); with a B on top it is the rest's. */
		for (size_t i = 1; i <= m; i++)
			for (size_t k = umax + 1; k-- > 0;)
				g[i * (umax + 1) + k] += k >= j ? g[(i - 1) * (umax + 1) + k - j] : 0;
	for (size_t k = 0; k <= umax; k++) {
		total += g[m * (umax + 1) + k];
		if (k <= kmax)
			below += g[m * (umax + 1) + k];
	}
	free(g);
	return below / total;
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u,
		       double *p)
{
	size_t n = na + nb;
	struct mwu_item *it;
	double ra = 0, ties = 0;
	int tied = 0;

	*u = *p = (double)NAN;
	if (!na || !nb)
		return -1;
	it = malloc(n * sizeof(*it));
	if (!it)
		return -1;
	for (size_t i = 0; i < n; i++) {
		it[i].v = i < na ? a[i] : b[i - na];
		it[i].from_a = i < na;
		if (!isfinite(it[i].v)) {
			free(it);
			return -1;
		}
	}
	qsort(it, n, sizeof(*it), cmp_item);
	/* Mid-ranks: a run of t equal values at ranks i+1..i+t gets their mean. */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && it[j].v == it[i].v)
			j++;
		double t = (double)(j - i), rank = ((double)i + 1 + (double)j) / 2.0;
		for (size_t k = i; k < j; k++)
			if (it[k].from_a)
				ra += rank;
		if (t > 1) {
			ties += t * t * t - t;
			tied = 1;
		}
		i = j;
	}
	free(it);
	*u = ra - (double)na * ((double)na + 1) / 2.0;
	if (!tied && na * nb <= STATS_MWU_EXACT_MAX) {
		/* U is symmetric about na*nb/2: the smaller tail, doubled. */
		double lo = *u <= (double)(na * nb) / 2.0 ? *u : (double)(na * nb) - *u;
		double c = mwu_exact_cdf(na, nb, lo);
		if (!isfinite(c))
			return -1;
		*p = fmin(1.0, 2.0 * c);
		return 0;
	}
	{
		double dn = (double)n, mu = (double)na * (double)nb / 2.0;
		double var = (double)na * (double)nb / 12.0 * ((dn + 1) - ties / (dn * (dn - 1)));
		double z;

		if (!(var > 0)) { /* every sample equal: nothing tells them apart */
			*p = 1.0;
			return 0;
		}
		z = fmax(0.0, fabs(*u - mu) - 0.5) / sqrt(var);
		*p = fmin(1.0, erfc(z / sqrt(2.0)));
	}
	return 0;
}
