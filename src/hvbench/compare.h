/* compare: `hvbench compare A B`, two results documents side by side (two
 * builds of a monitor, two monitors, two hosts, two configurations): per
 * workload the median of each, the change from A to B in percent with a
 * bootstrap 95% confidence interval, and a verdict.
 *
 * The change is Equation 1 with A in the place of native: (cost_B -
 * cost_A) / cost_A * 100 on the cost form of the metric (stats.h), so a
 * positive change always means B is slower, whatever the metric's
 * direction. Its CI is stats_overhead_ci95() over the two sample sets.
 *
 * The verdict rule (COMPARE_RULE): `slower` when the whole 95% CI lies
 * above +T% and the two-sided Mann-Whitney U test (stats_mann_whitney)
 * rejects "one distribution" at STATS_ALPHA, `faster` when the CI lies
 * below -T% and the test rejects, otherwise `no change`; T is --threshold
 * (default 0). The bootstrap CI alone is too generous with 3 to 5 samples
 * (a percentile bootstrap of a tiny sample is narrow); the rank test says
 * whether the samples tell the two apart at all. A workload one side did not
 * measure (failed, not run, not available on its monitor, fewer than
 * COMPARE_MIN_SAMPLES samples) or whose metric differs gets `not
 * comparable` with the reason.
 *
 * Documents from different machines or kinds of KVM (compare_host_diff)
 * are compared only when forced, and the output says so. Every string
 * from the documents goes out through the escapers (escape.h). */
#ifndef HVB_COMPARE_H
#define HVB_COMPARE_H

#include "hvbench.h"

#define COMPARE_SCHEMA "hvbench-compare/2" /* 2: mwu_u, mwu_p, alpha */
#define COMPARE_RULE                                                                       \
	"slower: the 95% bootstrap CI of the change lies wholly above +T% and the "         \
	"two-sided Mann-Whitney U test gives p < 0.05; faster: the CI wholly below -T% "    \
	"and p < 0.05; otherwise no change (T = --threshold)"

/* Fewer samples on a side give a percentile bootstrap CI that is no
 * confidence interval at all (one sample: a point). */
#define COMPARE_MIN_SAMPLES 3

#define CMP_FASTER "faster"
#define CMP_SLOWER "slower"
#define CMP_SAME "no change"
#define CMP_NA "not comparable"

enum compare_side { CMP_SIDE_AUTO, CMP_SIDE_NATIVE, CMP_SIDE_VIRT };

struct compare_row {
	const char *benchmark, *metric, *unit; /* the documents' own strings */
	int better_higher;
	size_t na, nb;       /* samples on each side */
	double a, b;         /* medians, NaN when not measured */
	double change;       /* %, NaN when not comparable */
	double lo, hi;       /* its 95% CI */
	double u, p;         /* Mann-Whitney U of A and its two-sided p, NaN when none */
	const char *verdict; /* CMP_* */
	char why[256];       /* reason for CMP_NA, else "" */
};

struct compare {
	const struct hvb_doc *a, *b;
	const char *a_name, *b_name; /* the paths given, for the header */
	const char *side;            /* "virt" or "native" */
	double threshold;            /* T in percent */
	int forced;                  /* host differences overridden */
	char host_diff[1024];        /* "" or the fields that differ */
	struct compare_row *rows;
	size_t nrows;
	size_t nslower, nfaster, ncompared;
};

/* The host fields that must agree (hostname, CPU model, CPU count, KVM,
 * KVM kind), the differing ones written to diff as "field: A vs B; ...".
 * Returns how many differ. */
int compare_host_diff(const struct hvb_doc *a, const struct hvb_doc *b, char *diff, size_t n);

/* Fills c: every workload of A, in A's order, then those only B has.
 * side: which column of each document (auto: virt when both documents
 * ran a virtualised side, else native). */
void compare_build(struct compare *c, const struct hvb_doc *a, const struct hvb_doc *b,
		   enum compare_side side, double threshold);
void compare_free(struct compare *c);

/* The terminal table, Markdown and JSON; each malloc'd. */
char *compare_table(const struct compare *c);
char *compare_markdown(const struct compare *c);
char *compare_json(const struct compare *c);

#endif
