/* latreport: latency distributions in the report (see latreport.h). The
 * way real-time work quotes latency: cyclictest prints min/avg/max and a
 * histogram, and a worst case is the worst sample ever seen, so "max" here
 * is the maximum over every run, not a typical run's maximum. p50 and p99
 * are each the median over runs of that run's percentile. */
#include "latreport.h"
#include "dist.h"
#include "escape.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int latreport_has(const struct hvb_result *r)
{
	return (r->has_native && dist_count(&r->native)) || (r->has_virt && dist_count(&r->virt)) ||
	       (r->has_nb && dist_count(&r->virt_nb));
}

static void fmt_us(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (v >= 1000)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.4g", v);
}

static void fmt_ov(char *buf, size_t n, double v, double lo, double hi)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (isfinite(lo) && isfinite(hi))
		snprintf(buf, n, "%+.1f%% [%+.1f, %+.1f]", v, lo, hi);
	else
		snprintf(buf, n, "%+.1f%%", v);
}

/* One row: a label and three cells. */
struct lat_row {
	const char *side;
	char runs[16], p50[64], p99[64], max[64];
};

static void side_row(struct lat_row *w, const char *label, const struct hvb_side *s)
{
	struct dist_summary sum;

	memset(w, 0, sizeof(*w));
	w->side = label;
	dist_summarise(s, &sum);
	snprintf(w->runs, sizeof(w->runs), "%zu", sum.nruns);
	fmt_us(w->p50, sizeof(w->p50), sum.p50);
	fmt_us(w->p99, sizeof(w->p99), sum.p99);
	fmt_us(w->max, sizeof(w->max), sum.max);
}

static void ov_row(struct lat_row *w, const char *label, const struct hvb_side *a,
		   const struct hvb_side *b)
{
	struct dist_overhead o;

	memset(w, 0, sizeof(*w));
	w->side = label;
	dist_overhead(a, b, &o);
	fmt_ov(w->p50, sizeof(w->p50), o.p50, o.p50_lo, o.p50_hi);
	fmt_ov(w->p99, sizeof(w->p99), o.p99, o.p99_lo, o.p99_hi);
	fmt_ov(w->max, sizeof(w->max), o.max, (double)NAN, (double)NAN);
}

/* The rows of one result: each side with a distribution, then Equation 1
 * of virt against native and of virt+neighbour against virt alone. */
static size_t rows_of(const struct hvb_result *r, struct lat_row w[5])
{
	size_t n = 0;
	int nat = r->has_native && dist_count(&r->native);
	int virt = r->has_virt && dist_count(&r->virt);
	int nb = r->has_nb && dist_count(&r->virt_nb);

	if (nat)
		side_row(&w[n++], "native", &r->native);
	if (virt)
		side_row(&w[n++], nb ? "virt (alone)" : "virt", &r->virt);
	if (nat && virt)
		ov_row(&w[n++], "overhead (Eq. 1)", &r->native, &r->virt);
	if (nb)
		side_row(&w[n++], "virt+neighbour", &r->virt_nb);
	if (virt && nb)
		ov_row(&w[n++], "neighbour change (Eq. 1)", &r->virt, &r->virt_nb);
	return n;
}

static void term_line(struct hvb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void term_line(struct hvb_buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	esc_term(b, line);
	hvb_buf_puts(b, "\n");
}

void latreport_block(struct hvb_buf *b, const struct hvb_doc *d, int md)
{
	int any = 0;

	for (size_t i = 0; i < d->nresults; i++)
		any = any || latreport_has(&d->results[i]);
	if (!any)
		return;
	if (md)
		hvb_buf_puts(b, "## Latency distributions\n\n"
				"Each latency run reports its own distribution (min, p50, p99, "
				"max and a 1 us histogram, as cyclictest does). p50 and p99: the "
				"median over the runs of each run's percentile. max: the worst "
				"single sample over all runs, the worst case. Each overhead is "
				"Equation 1 on that statistic, with a bootstrap 95% CI over the "
				"runs for p50 and p99; a worst case has no interval.\n\n"
				"| benchmark | side | runs | p50 (us) | p99 (us) | max, worst of all "
				"runs (us) |\n| --- | --- | ---: | ---: | ---: | ---: |\n");
	else
		term_line(b, "latency (us): p50 and p99 are medians over runs; max is the worst "
			     "of all runs");
	for (size_t i = 0; i < d->nresults; i++) {
		const struct hvb_result *r = &d->results[i];
		struct lat_row w[5];
		size_t n;

		if (!latreport_has(r))
			continue;
		n = rows_of(r, w);
		for (size_t k = 0; k < n; k++) {
			if (md) {
				hvb_buf_puts(b, "| ");
				esc_md(b, r->benchmark ? r->benchmark : "?", ESC_MD_TEXT);
				hvb_buf_printf(b, " | %s | %s | %s | %s | %s |\n", w[k].side,
					       w[k].runs, w[k].p50, w[k].p99, w[k].max);
			} else {
				term_line(b, "  %-18s %-25s p50 %-24s p99 %-24s max %s",
					  k ? "" : (r->benchmark ? r->benchmark : "?"), w[k].side,
					  w[k].p50, w[k].p99, w[k].max);
			}
		}
	}
	if (md)
		hvb_buf_puts(b, "\n");
}

/* ---- charts ---- */

/* A zero count cannot sit on a log scale: it is drawn at this floor,
 * below the lowest real count (1), so an empty bucket reads as empty. */
#define LAT_FLOOR 0.5

static const struct {
	const char *label, *colour;
} lat_sides[3] = {{"native", "#3a6ea5"}, {"virt", "#c0392b"}, {"virt+neighbour", "#7d8c2a"}};

char *latreport_chart_script(const struct hvb_result *r)
{
	const struct hvb_side *sides[3] = {r->has_native ? &r->native : NULL,
					   r->has_virt ? &r->virt : NULL,
					   r->has_nb ? &r->virt_nb : NULL};
	struct dist_summary *sum = hvb_xmalloc(3 * sizeof(*sum));
	struct hvb_buf b = {0}, title = {0};
	int have[3] = {0};
	size_t top = 0;

	if (!latreport_has(r)) {
		free(sum);
		return NULL;
	}
	for (int k = 0; k < 3; k++) {
		have[k] = sides[k] && !dist_summarise(sides[k], &sum[k]);
		for (size_t u = 0; have[k] && u < RESULT_HIST_MAX; u++)
			if (sum[k].hist[u] && u + 1 > top)
				top = u + 1;
	}
	hvb_buf_puts(&b, "set terminal svg size 800,440 noenhanced font 'sans,12' "
			 "background '#ffffff'\nset title ");
	hvb_buf_printf(&title, "Latency histogram: %s (all runs, 1 us buckets)",
		       r->benchmark ? r->benchmark : "?");
	esc_gnuplot(&b, title.p);
	hvb_buf_printf(&b, "\nset xlabel 'latency (us)'\n"
			   "set ylabel 'samples (log scale)'\n"
			   "set logscale y\n"
			   "set yrange [%g:*]\n"
			   "set xrange [0:%zu]\n"
			   "set grid\n"
			   "set key top right\n",
		       LAT_FLOOR, top + 1);
	for (int k = 0; k < 3; k++) {
		if (!have[k])
			continue;
		hvb_buf_printf(&b, "$%s << EOD\n", k == 0 ? "n" : k == 1 ? "v" : "w");
		for (size_t u = 0; u <= top; u++)
			hvb_buf_printf(&b, "%zu %g\n", u,
				       u < RESULT_HIST_MAX && sum[k].hist[u] ? (double)sum[k].hist[u]
									     : LAT_FLOOR);
		hvb_buf_puts(&b, "EOD\n");
	}
	hvb_buf_puts(&b, "plot");
	for (int k = 0, first = 1; k < 3; k++) {
		char key[160];

		if (!have[k])
			continue;
		/* The samples beyond the histogram's range are said in the key. */
		snprintf(key, sizeof(key), "%s: %llu samples, %llu beyond the range, max %.1f us",
			 lat_sides[k].label, (unsigned long long)sum[k].total,
			 (unsigned long long)sum[k].overflow, sum[k].max);
		hvb_buf_printf(&b, "%s $%s using 1:2 with histeps linewidth 2 linecolor rgb '%s' "
				   "title ",
			       first ? "" : ",", k == 0 ? "n" : k == 1 ? "v" : "w",
			       lat_sides[k].colour);
		esc_gnuplot(&b, key);
		first = 0;
	}
	hvb_buf_puts(&b, "\n");
	free(title.p);
	free(sum);
	return hvb_buf_take(&b);
}

void latreport_charts(const struct hvb_doc *d, const char *dir, const char *gnuplot,
		      struct report_charts *c)
{
	for (size_t i = 0; i < d->nresults && c->nlat < REPORT_MAX_LATENCY; i++) {
		const struct hvb_result *r = &d->results[i];
		char safe[64], file[96];
		char *script = latreport_chart_script(r);

		if (!script)
			continue;
		report_safe_name(safe, sizeof(safe), r->benchmark ? r->benchmark : "?");
		snprintf(file, sizeof(file), "latency_%s.svg", safe);
		if (report_draw_svg(gnuplot, script, dir, file, c) == 0) {
			snprintf(c->lat_files[c->nlat], sizeof(c->lat_files[0]), "%s", file);
			snprintf(c->lat_names[c->nlat], sizeof(c->lat_names[0]), "%s", safe);
			c->nlat++;
		}
		free(script);
	}
}

void latreport_md_charts(struct hvb_buf *b, const struct report_charts *c)
{
	/* The file name is report_safe_name's: it needs no escape as a link. */
	for (size_t i = 0; i < c->nlat; i++) {
		hvb_buf_puts(b, "![latency histogram, ");
		esc_md(b, c->lat_names[i], ESC_MD_TEXT);
		hvb_buf_printf(b, "](%s)\n\n", c->lat_files[i]);
	}
}
