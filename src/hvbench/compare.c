/* compare: two results documents, workload by workload (see compare.h). */
#include "compare.h"
#include "escape.h"
#include "report.h"
#include "stats.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void diff_add(char *diff, size_t n, const char *field, const char *a, const char *b)
{
	size_t len = strlen(diff);
	if (len + 1 < n)
		snprintf(diff + len, n - len, "%s%s: %s vs %s", len ? "; " : "", field, a, b);
}

int compare_host_diff(const struct hvb_doc *a, const struct hvb_doc *b, char *diff, size_t n)
{
	const struct {
		const char *field, *va, *vb;
	} f[] = {
		{"hostname", a->host.hostname, b->host.hostname},
		{"arch", a->host.arch, b->host.arch},
		{"cpu_model", a->host.cpu_model, b->host.cpu_model},
		{"kvm", a->host.kvm, b->host.kvm},
		{"kvm_kind", a->host.kvm_kind, b->host.kvm_kind},
	};
	int k = 0;

	diff[0] = '\0';
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(hvb_str_or(f[i].va, "?"), hvb_str_or(f[i].vb, "?"))) {
			diff_add(diff, n, f[i].field, hvb_str_or(f[i].va, "?"), hvb_str_or(f[i].vb, "?"));
			k++;
		}
	if (a->host.cpus != b->host.cpus) {
		char ca[16], cb[16];
		snprintf(ca, sizeof(ca), "%d", a->host.cpus);
		snprintf(cb, sizeof(cb), "%d", b->host.cpus);
		diff_add(diff, n, "cpus", ca, cb);
		k++;
	}
	return k;
}

static int has_virt_side(const struct hvb_doc *d)
{
	return !d->config.native_only && d->config.monitor;
}

static const struct hvb_result *find(const struct hvb_doc *d, const char *name)
{
	for (size_t i = 0; i < d->nresults; i++)
		if (d->results[i].benchmark && !strcmp(d->results[i].benchmark, name))
			return &d->results[i];
	return NULL;
}

static const struct hvb_side *side_of(const struct hvb_result *r, int virt)
{
	if (!r)
		return NULL;
	if (virt)
		return r->has_virt ? &r->virt : NULL;
	return r->has_native ? &r->native : NULL;
}

/* Why a result has nothing to compare, or NULL (static storage: one call
 * per side at a time, copied out by the caller). */
static const char *unusable(const struct hvb_result *r, const struct hvb_side *s, char *buf,
			    size_t n)
{
	static const char *const bad[] = {HVB_ST_FAILED, HVB_ST_NOT_RUN, HVB_ST_UNAVAILABLE};

	if (!r)
		return "not in this document";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (r->status && !strcmp(r->status, bad[i])) {
			snprintf(buf, n, "%s%s%s", bad[i], r->error ? " (" : "",
				 r->error ? r->error : "");
			if (r->error)
				snprintf(buf + strlen(buf), n - strlen(buf), ")");
			return buf;
		}
	if (!s || s->n < COMPARE_MIN_SAMPLES) {
		snprintf(buf, n, "%zu sample%s on this side; a CI needs at least %d", s ? s->n : 0,
			 s && s->n == 1 ? "" : "s", COMPARE_MIN_SAMPLES);
		return buf;
	}
	return NULL;
}

static void row_fill(struct compare_row *w, const struct hvb_result *ra,
		     const struct hvb_result *rb, int virt, double threshold)
{
	const struct hvb_result *r = ra ? ra : rb;
	const struct hvb_side *sa = side_of(ra, virt), *sb = side_of(rb, virt);
	char bufa[128], bufb[128];
	const char *ua = unusable(ra, sa, bufa, sizeof(bufa));
	const char *ub = unusable(rb, sb, bufb, sizeof(bufb));
	enum stats_better better;

	memset(w, 0, sizeof(*w));
	w->verdict = CMP_NA;
	if (!r)
		abort(); /* our bug: a row needs one of the two */
	w->benchmark = r->benchmark;
	w->metric = r->metric;
	w->unit = r->unit;
	w->better_higher = r->better_higher;
	w->na = sa ? sa->n : 0;
	w->nb = sb ? sb->n : 0;
	w->a = sa && sa->n ? sa->median : (double)NAN;
	w->b = sb && sb->n ? sb->median : (double)NAN;
	w->change = w->lo = w->hi = w->u = w->p = (double)NAN;
	w->verdict = CMP_NA;
	if (ua || ub || !ra || !rb) { /* a missing side is unusable: ua or ub says so */
		snprintf(w->why, sizeof(w->why), "%s%s%s%s%s", ua ? "A: " : "", ua ? ua : "",
			 ua && ub ? "; " : "", ub ? "B: " : "", ub ? ub : "");
		return;
	}
	if (!ra->metric || !rb->metric || strcmp(ra->metric, rb->metric) ||
	    strcmp(hvb_str_or(ra->unit, ""), hvb_str_or(rb->unit, "")) ||
	    ra->better_higher != rb->better_higher) {
		snprintf(w->why, sizeof(w->why), "the metric differs");
		return;
	}
	better = r->better_higher ? STATS_HIGHER : STATS_LOWER;
	w->change = stats_overhead_of(sa->median, sb->median, better);
	if (!isfinite(w->change) ||
	    stats_overhead_ci95(sa->samples, sa->n, sb->samples, sb->n, better, STATS_RESAMPLES,
				STATS_SEED, &w->lo, &w->hi)) {
		w->change = w->lo = w->hi = (double)NAN;
		snprintf(w->why, sizeof(w->why), "the change is undefined (a median of 0)");
		return;
	}
	if (stats_mann_whitney(sa->samples, sa->n, sb->samples, sb->n, &w->u, &w->p))
		w->u = w->p = (double)NAN; /* a sample that is no number: the test says nothing */
	if (w->lo > threshold && w->p < STATS_ALPHA)
		w->verdict = CMP_SLOWER;
	else if (w->hi < -threshold && w->p < STATS_ALPHA)
		w->verdict = CMP_FASTER;
	else
		w->verdict = CMP_SAME;
}

void compare_build(struct compare *c, const struct hvb_doc *a, const struct hvb_doc *b,
		   enum compare_side side, double threshold)
{
	int virt = side == CMP_SIDE_VIRT ||
		   (side == CMP_SIDE_AUTO && has_virt_side(a) && has_virt_side(b));
	size_t cap = a->nresults + b->nresults;

	c->a = a;
	c->b = b;
	c->side = virt ? "virt" : "native";
	c->threshold = threshold;
	c->rows = hvb_xmalloc((cap ? cap : 1) * sizeof(*c->rows));
	c->nrows = c->nslower = c->nfaster = c->ncompared = 0;
	for (size_t i = 0; i < a->nresults; i++) {
		const struct hvb_result *ra = &a->results[i];
		row_fill(&c->rows[c->nrows++], ra, find(b, ra->benchmark), virt, threshold);
	}
	for (size_t i = 0; i < b->nresults; i++)
		if (!find(a, b->results[i].benchmark))
			row_fill(&c->rows[c->nrows++], NULL, &b->results[i], virt, threshold);
	for (size_t i = 0; i < c->nrows; i++) {
		c->ncompared += strcmp(c->rows[i].verdict, CMP_NA) != 0;
		c->nslower += !strcmp(c->rows[i].verdict, CMP_SLOWER);
		c->nfaster += !strcmp(c->rows[i].verdict, CMP_FASTER);
	}
}

void compare_free(struct compare *c)
{
	free(c->rows);
	c->rows = NULL;
	c->nrows = 0;
}

/* ---- numbers, formatted by us: no escaping needed (compare.h) ---- */

void compare_fmt_num(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-3))
		snprintf(buf, n, "%.4g", v);
	else if (fabs(v) >= 100)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.4g", v);
}

static const char *monitor_of(const struct hvb_doc *d)
{
	if (d->config.native_only)
		return "native only";
	return hvb_str_or(d->config.monitor, "?");
}

/* ---- terminal ---- */

#define NCOL 8
static const char *const head[NCOL] = {"benchmark", "metric", "A",      "B",
				       "change",    "95% CI", "p (MWU)", "verdict"};
static const int right[NCOL] = {0, 0, 1, 1, 1, 0, 1, 0};

static void term_line(struct hvb_buf *b, const char *s)
{
	esc_term(b, s);
	hvb_buf_puts(b, "\n");
}

static void header_lines(struct hvb_buf *out, const struct compare *c,
			 void (*line)(struct hvb_buf *, const char *))
{
	struct hvb_buf t = {0};

	hvb_buf_printf(&t, "A: %s (%s, %s guest, %s, %s)", hvb_str_or(c->a_name, "A"),
		       monitor_of(c->a), hvb_str_or(c->a->config.guest, "?"),
		       hvb_str_or(c->a->host.date, "?"), hvb_str_or(c->a->host.revision, "?"));
	line(out, t.p);
	free(hvb_buf_take(&t));
	hvb_buf_printf(&t, "B: %s (%s, %s guest, %s, %s)", hvb_str_or(c->b_name, "B"),
		       monitor_of(c->b), hvb_str_or(c->b->config.guest, "?"),
		       hvb_str_or(c->b->host.date, "?"), hvb_str_or(c->b->host.revision, "?"));
	line(out, t.p);
	free(hvb_buf_take(&t));
	hvb_buf_printf(&t, "host: %s, %s, KVM %s (%s)", hvb_str_or(c->a->host.hostname, "?"),
		       hvb_str_or(c->a->host.cpu_model, "?"), hvb_str_or(c->a->host.kvm, "?"),
		       hvb_str_or(c->a->host.kvm_kind, "?"));
	line(out, t.p);
	free(hvb_buf_take(&t));
	if (c->host_diff[0]) {
		hvb_buf_printf(&t, "FORCED: the documents come from different hosts or KVMs (%s); "
			       "the changes mix the two", c->host_diff);
		line(out, t.p);
		free(hvb_buf_take(&t));
	}
	hvb_buf_printf(&t, "compared: the %s side's medians; change = (cost B - cost A) / cost A "
		       "* 100, positive = B slower", c->side);
	line(out, t.p);
	free(hvb_buf_take(&t));
}

static void cells(const struct compare_row *w, char cell[NCOL][200])
{
	snprintf(cell[0], 200, "%s", hvb_str_or(w->benchmark, "?"));
	if (w->metric)
		snprintf(cell[1], 200, "%s (%s, %s)", w->metric, hvb_str_or(w->unit, ""),
			 w->better_higher ? "higher=better" : "lower=better");
	else
		snprintf(cell[1], 200, "-");
	compare_fmt_num(cell[2], 200, w->a);
	compare_fmt_num(cell[3], 200, w->b);
	report_fmt_pct(cell[4], 200, w->change);
	report_fmt_ci(cell[5], 200, w->lo, w->hi);
	if (isfinite(w->p))
		snprintf(cell[6], 200, "%.3g", w->p);
	else
		snprintf(cell[6], 200, "-");
	snprintf(cell[7], 200, "%s", w->verdict);
}

char *compare_table(const struct compare *c)
{
	struct hvb_buf b = {0};
	size_t width[NCOL];
	char (*all)[NCOL][200] = hvb_xmalloc((c->nrows ? c->nrows : 1) * sizeof(*all));

	header_lines(&b, c, term_line);
	for (size_t k = 0; k < NCOL; k++)
		width[k] = strlen(head[k]);
	for (size_t i = 0; i < c->nrows; i++) {
		cells(&c->rows[i], all[i]);
		for (size_t k = 0; k < NCOL; k++) {
			/* Widths of the escaped text, which is what is shown. */
			struct hvb_buf e = {0};
			esc_term(&e, all[i][k]);
			if (e.len > width[k])
				width[k] = e.len;
			free(hvb_buf_take(&e));
		}
	}
	for (size_t i = 0; i <= c->nrows; i++) {
		struct hvb_buf line = {0};
		for (size_t k = 0; k < NCOL; k++) {
			struct hvb_buf e = {0};
			esc_term(&e, i ? all[i - 1][k] : head[k]);
			size_t pad = width[k] - e.len;
			if (k)
				hvb_buf_puts(&line, "  ");
			if (right[k])
				hvb_buf_printf(&line, "%*s", (int)pad, "");
			hvb_buf_add(&line, e.p, e.len);
			if (!right[k] && k + 1 < NCOL)
				hvb_buf_printf(&line, "%*s", (int)pad, "");
			free(hvb_buf_take(&e));
		}
		while (line.len && line.p[line.len - 1] == ' ')
			line.p[--line.len] = '\0';
		hvb_buf_printf(&b, "%s\n", line.p);
		free(hvb_buf_take(&line));
	}
	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].why[0]) {
			struct hvb_buf t = {0};
			hvb_buf_printf(&t, "not comparable %s: %s", hvb_str_or(c->rows[i].benchmark, "?"),
				       c->rows[i].why);
			term_line(&b, t.p);
			free(hvb_buf_take(&t));
		}
	hvb_buf_printf(&b, "verdict rule (T = %.2f%%): %s\n", c->threshold, COMPARE_RULE);
	hvb_buf_printf(&b, "%zu slower, %zu faster, %zu of %zu compared\n", c->nslower,
		       c->nfaster, c->ncompared, c->nrows);
	free(all);
	return hvb_buf_take(&b);
}

/* ---- Markdown ---- */

static void md_line(struct hvb_buf *b, const char *s)
{
	hvb_buf_puts(b, "- ");
	esc_md(b, s, ESC_MD_TEXT);
	hvb_buf_puts(b, "\n");
}

char *compare_markdown(const struct compare *c)
{
	struct hvb_buf b = {0};

	hvb_buf_puts(&b, "# hvbench compare\n\n");
	header_lines(&b, c, md_line);
	hvb_buf_puts(&b, "\n| benchmark | metric | A | B | change | 95% CI | p (MWU) | verdict |\n"
			 "| --- | --- | ---: | ---: | ---: | --- | ---: | --- |\n");
	for (size_t i = 0; i < c->nrows; i++) {
		char cell[NCOL][200];

		cells(&c->rows[i], cell);
		hvb_buf_puts(&b, "|");
		for (size_t k = 0; k < NCOL; k++) {
			hvb_buf_puts(&b, " ");
			esc_md(&b, cell[k], ESC_MD_TEXT);
			hvb_buf_puts(&b, " |");
		}
		hvb_buf_puts(&b, "\n");
	}
	hvb_buf_puts(&b, "\n");
	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].why[0]) {
			struct hvb_buf t = {0};
			hvb_buf_printf(&t, "not comparable %s: %s", hvb_str_or(c->rows[i].benchmark, "?"),
				       c->rows[i].why);
			md_line(&b, t.p);
			free(hvb_buf_take(&t));
		}
	hvb_buf_printf(&b, "- Verdict rule (T = %.2f%%): ", c->threshold);
	esc_md(&b, COMPARE_RULE, ESC_MD_TEXT);
	hvb_buf_printf(&b, ".\n- %zu slower, %zu faster, %zu of %zu compared.\n", c->nslower,
		       c->nfaster, c->ncompared, c->nrows);
	return hvb_buf_take(&b);
}

/* ---- JSON ---- */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jdoc(const struct hvb_doc *d, const char *name)
{
	json_t *o = json_object();
	json_object_set_new(o, "path", jstr(name));
	json_object_set_new(o, "monitor", jstr(d->config.monitor));
	json_object_set_new(o, "guest", jstr(d->config.guest));
	json_object_set_new(o, "date", jstr(d->host.date));
	json_object_set_new(o, "revision", jstr(d->host.revision));
	json_object_set_new(o, "virt_cmd", jstr(d->config.virt_cmd));
	return o;
}

char *compare_json(const struct compare *c)
{
	json_t *root = json_object(), *rows = json_array();

	json_object_set_new(root, "schema", json_string(COMPARE_SCHEMA));
	json_object_set_new(root, "a", jdoc(c->a, c->a_name));
	json_object_set_new(root, "b", jdoc(c->b, c->b_name));
	json_object_set_new(root, "side", json_string(c->side));
	json_object_set_new(root, "threshold_pct", json_real(c->threshold));
	json_object_set_new(root, "rule", json_string(COMPARE_RULE));
	json_object_set_new(root, "alpha", json_real(STATS_ALPHA));
	json_object_set_new(root, "forced", json_boolean(c->forced));
	json_object_set_new(root, "host_differences", c->host_diff[0] ? json_string(c->host_diff)
								      : json_null());
	for (size_t i = 0; i < c->nrows; i++) {
		const struct compare_row *w = &c->rows[i];
		json_t *o = json_object(), *ci = json_array();

		json_object_set_new(o, "benchmark", jstr(w->benchmark));
		json_object_set_new(o, "metric", jstr(w->metric));
		json_object_set_new(o, "unit", jstr(w->unit));
		json_object_set_new(o, "better", json_string(w->better_higher ? "higher" : "lower"));
		json_object_set_new(o, "a_n", json_integer((json_int_t)w->na));
		json_object_set_new(o, "b_n", json_integer((json_int_t)w->nb));
		json_object_set_new(o, "a_median", jnum(w->a));
		json_object_set_new(o, "b_median", jnum(w->b));
		json_object_set_new(o, "change_pct", jnum(w->change));
		json_array_append_new(ci, jnum(w->lo));
		json_array_append_new(ci, jnum(w->hi));
		json_object_set_new(o, "change_ci95", ci);
		json_object_set_new(o, "mwu_u", jnum(w->u));
		json_object_set_new(o, "mwu_p", jnum(w->p));
		json_object_set_new(o, "verdict", json_string(w->verdict));
		json_object_set_new(o, "reason", w->why[0] ? json_string(w->why) : json_null());
		json_array_append_new(rows, o);
	}
	json_object_set_new(root, "results", rows);
	return hvb_json_text(root, 10);
}
