/* dist: per-run latency distributions and their summary (see dist.h). */
#include "dist.h"
#include "stats.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hvb_side_add_dist(struct hvb_side *s, double v, const struct result_dist *d)
{
	struct hvb_dist *x;
	size_t k = 0;

	hvb_side_add(s, v); /* grows s->dist with the samples once it exists */
	if (!d || !d->has)
		return;
	if (!s->dist) {
		s->dist = hvb_xmalloc(s->cap * sizeof(*s->dist));
		memset(s->dist, 0, s->cap * sizeof(*s->dist));
	}
	x = &s->dist[s->n - 1];
	x->valid = 1;
	x->min = d->min;
	x->p50 = d->p50;
	x->p99 = d->p99;
	x->max = d->max;
	x->overflow = (uint64_t)d->overflow;
	for (size_t i = 0; i < RESULT_HIST_MAX; i++)
		k += d->hist[i] > 0;
	x->nhist = k;
	x->hist = hvb_xmalloc(k * sizeof(*x->hist));
	k = 0;
	for (size_t i = 0; i < RESULT_HIST_MAX; i++)
		if (d->hist[i] > 0)
			x->hist[k++] = (struct hvb_bucket){(uint32_t)i, (uint64_t)d->hist[i]};
}

void hvb_side_free_dists(struct hvb_side *s)
{
	if (s->dist)
		for (size_t i = 0; i < s->n; i++)
			free(s->dist[i].hist);
	free(s->dist);
	s->dist = NULL;
}

size_t dist_count(const struct hvb_side *s)
{
	size_t k = 0;

	if (s->dist)
		for (size_t i = 0; i < s->n; i++)
			k += s->dist[i].valid != 0;
	return k;
}

/* The per-run values of one statistic (offset into struct hvb_dist), in
 * run order; returns how many. */
static size_t stat_of_runs(const struct hvb_side *s, size_t off, double *out)
{
	size_t k = 0;

	if (s->dist)
		for (size_t i = 0; i < s->n; i++)
			if (s->dist[i].valid)
				out[k++] = *(const double *)(const void *)((const char *)&s->dist[i] +
									   off);
	return k;
}

int dist_summarise(const struct hvb_side *s, struct dist_summary *out)
{
	size_t n = dist_count(s);
	double *v;

	memset(out, 0, sizeof(*out));
	out->min = out->p50 = out->p99 = out->max = (double)NAN;
	out->p50_lo = out->p50_hi = out->p99_lo = out->p99_hi = (double)NAN;
	if (!n)
		return -1;
	v = hvb_xmalloc(n * sizeof(*v));
	out->nruns = n;
	stat_of_runs(s, offsetof(struct hvb_dist, p50), v);
	out->p50 = stats_median(v, n);
	stats_median_ci95(v, n, STATS_RESAMPLES, STATS_SEED, &out->p50_lo, &out->p50_hi);
	stat_of_runs(s, offsetof(struct hvb_dist, p99), v);
	out->p99 = stats_median(v, n);
	stats_median_ci95(v, n, STATS_RESAMPLES, STATS_SEED, &out->p99_lo, &out->p99_hi);
	free(v);
	/* The worst case is the worst of every run, not a typical run's. */
	for (size_t i = 0; i < s->n; i++) {
		const struct hvb_dist *d = &s->dist[i];

		if (!d->valid)
			continue;
		out->min = isnan(out->min) ? d->min : fmin(out->min, d->min);
		out->max = isnan(out->max) ? d->max : fmax(out->max, d->max);
		for (size_t j = 0; j < d->nhist; j++)
			if (d->hist[j].us < RESULT_HIST_MAX) {
				out->hist[d->hist[j].us] += d->hist[j].count;
				out->total += d->hist[j].count;
			}
		out->overflow += d->overflow;
		out->total += d->overflow;
	}
	return 0;
}

static double overhead_ci(const struct hvb_side *a, const struct hvb_side *b, size_t off,
			  double *lo, double *hi)
{
	size_t na = dist_count(a), nb = dist_count(b);
	double *va = hvb_xmalloc((na + 1) * sizeof(*va)), *vb = hvb_xmalloc((nb + 1) * sizeof(*vb));
	double ov = (double)NAN;

	*lo = *hi = (double)NAN;
	if (na && nb) {
		stat_of_runs(a, off, va);
		stat_of_runs(b, off, vb);
		ov = stats_overhead_of(stats_median(va, na), stats_median(vb, nb), STATS_LOWER);
		stats_overhead_ci95(va, na, vb, nb, STATS_LOWER, STATS_RESAMPLES, STATS_SEED, lo,
				    hi);
	}
	free(va);
	free(vb);
	return ov;
}

void dist_overhead(const struct hvb_side *a, const struct hvb_side *b, struct dist_overhead *out)
{
	struct dist_summary sa, sb;

	out->p50 = overhead_ci(a, b, offsetof(struct hvb_dist, p50), &out->p50_lo, &out->p50_hi);
	out->p99 = overhead_ci(a, b, offsetof(struct hvb_dist, p99), &out->p99_lo, &out->p99_hi);
	out->max = (double)NAN;
	if (!dist_summarise(a, &sa) && !dist_summarise(b, &sb))
		out->max = stats_overhead_of(sa.max, sb.max, STATS_LOWER);
}

/* ---- results.json ---- */

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

void dist_to_json(const struct hvb_side *s, void *obj)
{
	json_t *o = obj, *runs;
	struct dist_summary sum;

	if (!dist_count(s))
		return;
	runs = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct hvb_dist *d = &s->dist[i];
		json_t *hist;

		if (!d->valid) {
			json_array_append_new(runs, json_null());
			continue;
		}
		hist = json_array();
		for (size_t j = 0; j < d->nhist; j++)
			json_array_append_new(hist, json_pack("[II]", (json_int_t)d->hist[j].us,
							      (json_int_t)d->hist[j].count));
		json_array_append_new(runs, json_pack("{s:o,s:o,s:o,s:o,s:o,s:I}", "min",
						      num(d->min), "p50", num(d->p50), "p99",
						      num(d->p99), "max", num(d->max), "hist", hist,
						      "hist_overflow", (json_int_t)d->overflow));
	}
	json_object_set_new(o, "runs", runs);
	dist_summarise(s, &sum);
	/* For readers of the file; the report recomputes it from the runs. */
	json_object_set_new(o, "latency",
			    json_pack("{s:I,s:o,s:o,s:o,s:o}", "runs", (json_int_t)sum.nruns,
				      "p50_median", num(sum.p50), "p99_median", num(sum.p99),
				      "max_of_runs", num(sum.max), "min_of_runs", num(sum.min)));
}

int dist_from_json(const void *obj, struct hvb_side *s, const char *where, char *err,
		   size_t errlen)
{
	json_t *o = (json_t *)(uintptr_t)obj, *runs = json_object_get(o, "runs"), *v;
	struct result_dist *d;
	size_t i, n;

	if (!runs || json_is_null(runs))
		return 0;
	if (!json_is_array(runs) || json_array_size(runs) != s->n) {
		snprintf(err, errlen, "%s.runs: expected an array of one entry per sample", where);
		return -1;
	}
	/* The samples are in; put each run's distribution beside its sample. */
	n = s->n;
	d = hvb_xmalloc(sizeof(*d));
	s->n = 0;
	json_array_foreach(runs, i, v) {
		char why[200] = "";

		if (json_is_null(v)) {
			hvb_side_add_dist(s, s->samples[i], NULL);
			continue;
		}
		if (!json_is_object(v) || result_dist_parse(v, d, why, sizeof(why)) || !d->has) {
			snprintf(err, errlen, "%s.runs[%zu]: %s", where, i,
				 !json_is_object(v) ? "not an object"
				 : d->has || why[0] ? why : "no distribution");
			s->n = n;
			hvb_side_free_dists(s);
			free(d);
			return -1;
		}
		hvb_side_add_dist(s, s->samples[i], d);
	}
	free(d);
	return 0;
}
