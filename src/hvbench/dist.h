/* dist: latency as a distribution. A latency workload's RESULT line carries
 * its run's min/p50/p99/max and a 1 us histogram (result.h, result_dist);
 * this module keeps one per run beside the run's sample (struct hvb_side),
 * writes and reads them in results.json, and sums a side's runs up the way
 * the report shows them: the median over runs of p50 and of p99, the worst
 * case (the maximum over all runs, said as such), and the runs' histograms
 * merged (bucket counts added). Equation 1 is applied to each statistic. */
#ifndef HVB_DIST_H
#define HVB_DIST_H

#include "hvbench.h"
#include "result.h"

#include <stdint.h>

struct hvb_bucket {
	uint32_t us;    /* [us, us + 1) microseconds */
	uint64_t count;
};

/* One run's distribution, its histogram held sparse (only the buckets that
 * were hit), so memory follows the size of the input. */
struct hvb_dist {
	int valid; /* 0: this run reported none */
	double min, p50, p99, max;
	uint64_t overflow;
	size_t nhist;
	struct hvb_bucket *hist;
};

/* Adds a sample with its run's distribution (d NULL or !d->has: none). The
 * side's dist array is created at the first distribution and then kept one
 * per sample. */
void hvb_side_add_dist(struct hvb_side *s, double v, const struct result_dist *d);
void hvb_side_free_dists(struct hvb_side *s);
/* How many of the side's runs carry a distribution. */
size_t dist_count(const struct hvb_side *s);

/* One side summed up over its runs. */
struct dist_summary {
	size_t nruns;                       /* runs with a distribution */
	double min, p50, p99, max;          /* min and max over runs; medians */
	double p50_lo, p50_hi, p99_lo, p99_hi; /* bootstrap 95% CI of the medians */
	uint64_t hist[RESULT_HIST_MAX];     /* merged */
	uint64_t overflow, total;
};
/* Returns 0, or -1 (s has no distribution; out is then zeroed with NaNs). */
int dist_summarise(const struct hvb_side *s, struct dist_summary *out);

/* Equation 1 on each statistic, native (or alone) against virt (or beside
 * a neighbour); NaN where a side is missing. CIs resample the runs. */
struct dist_overhead {
	double p50, p99, max;
	double p50_lo, p50_hi, p99_lo, p99_hi;
};
void dist_overhead(const struct hvb_side *a, const struct hvb_side *b,
		   struct dist_overhead *out);

/* results.json: the side's "runs" array (each {min,p50,p99,max,hist,
 * hist_overflow}, null for a run without one) and "latency" summary, added
 * to the side object o (a json_t *) when the side has a distribution. */
void dist_to_json(const struct hvb_side *s, void *o);
/* Reads "runs" back, every field checked (result_dist_parse); its length
 * must match the samples'. Returns 0 (also when absent) or -1 with err. */
int dist_from_json(const void *o, struct hvb_side *s, const char *where, char *err,
		   size_t errlen);

#endif
