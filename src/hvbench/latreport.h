/* latreport: the latency part of the report, from the per-run
 * distributions of dist.h: a table of median p50, p99 and the worst case
 * (the maximum over all runs) per side, with Equation 1 on each statistic,
 * the virtualised side alone and beside the --interference neighbour side by
 * side; and one cyclictest-style histogram chart per latency workload
 * (1 us buckets, log-scale counts, the sides overlaid). */
#ifndef HVB_LATREPORT_H
#define HVB_LATREPORT_H

#include "hvbench.h"
#include "report.h"

/* Whether r has a distribution on any side. */
int latreport_has(const struct hvb_result *r);
/* The table: plain lines escaped for the terminal (md 0) or a Markdown
 * section (md 1). Nothing when no result has a distribution. */
void latreport_block(struct hvb_buf *b, const struct hvb_doc *d, int md);
/* The gnuplot script of r's histogram chart (SVG to stdout), or NULL when
 * r has no distribution. Every string in it is an esc_gnuplot literal; the
 * data blocks hold only numbers. Caller frees. */
char *latreport_chart_script(const struct hvb_result *r);
/* Draws latency_NAME.svg for each latency workload into dir, listed in
 * c->lat_files (failures noted in c->note). */
void latreport_charts(const struct hvb_doc *d, const char *dir, const char *gnuplot,
		      struct report_charts *c);
/* report.md's links to those charts. */
void latreport_md_charts(struct hvb_buf *b, const struct report_charts *c);

#endif
