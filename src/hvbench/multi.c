/* multi: a column per monitor (see multi.h). */
#include "multi.h"
#include "compare.h"
#include "escape.h"
#include "report.h"
#include "stats.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL 240

/* A monitor's cell: its median, and Equation 1 against native where the
 * workload has a native side; what it is when there is no number. */
static void monitor_cell(char *buf, size_t n, const struct hvb_result *r)
{
	char med[64], pct[64];

	if (hvb_result_is(r, HVB_ST_UNAVAILABLE)) {
		snprintf(buf, n, "not available");
		return;
	}
	if (hvb_result_is(r, HVB_ST_FAILED)) {
		snprintf(buf, n, "failed");
		return;
	}
	if (!r->has_virt || !r->virt.n) {
		snprintf(buf, n, "%s", hvb_str_or(r->status, "-"));
		return;
	}
	compare_fmt_num(med, sizeof(med), r->virt.median);
	if (isfinite(r->overhead)) {
		report_fmt_pct(pct, sizeof(pct), r->overhead);
		snprintf(buf, n, "%s (%s vs native)", med, pct);
	} else {
		snprintf(buf, n, "%s", med);
	}
}

/* Monitor k against the first: compare's change, CI, rank test, verdict. */
static void vs_cell(char *buf, size_t n, const struct compare_row *w)
{
	char pct[64], ci[96];

	if (!w || !strcmp(w->verdict, CMP_NA)) {
		snprintf(buf, n, "not comparable");
		return;
	}
	report_fmt_pct(pct, sizeof(pct), w->change);
	report_fmt_ci(ci, sizeof(ci), w->lo, w->hi);
	snprintf(buf, n, "%s %s, p %.3g: %s", pct, ci, w->p, w->verdict);
}

static const struct compare_row *row_of(const struct compare *c, const char *name)
{
	for (size_t i = 0; c && i < c->nrows; i++)
		if (c->rows[i].benchmark && name && !strcmp(c->rows[i].benchmark, name))
			return &c->rows[i];
	return NULL;
}

static const struct hvb_result *result_of(const struct hvb_doc *d, const char *name)
{
	for (size_t i = 0; i < d->nresults; i++)
		if (d->results[i].benchmark && name && !strcmp(d->results[i].benchmark, name))
			return &d->results[i];
	return NULL;
}

/* The whole table as cells: a header row, then a row per workload of the
 * first document. */
struct grid {
	size_t ncol, nrow;
	char (*cell)[CELL]; /* nrow * ncol */
	struct compare *cmp; /* n - 1 comparisons with the first */
	size_t ncmp;
};

static char *at(struct grid *g, size_t row, size_t col)
{
	return g->cell[row * g->ncol + col];
}

static void grid_build(struct grid *g, const struct hvb_doc *d, const char *const *names,
		       size_t n)
{
	const struct hvb_doc *d0 = &d[0];

	g->ncol = 3 + n + (n - 1);
	g->nrow = d0->nresults + 1;
	g->cell = hvb_xmalloc(g->ncol * g->nrow * sizeof(*g->cell));
	g->ncmp = n - 1;
	g->cmp = hvb_xmalloc((g->ncmp ? g->ncmp : 1) * sizeof(*g->cmp));
	for (size_t k = 1; k < n; k++) {
		memset(&g->cmp[k - 1], 0, sizeof(g->cmp[k - 1]));
		compare_build(&g->cmp[k - 1], d0, &d[k], CMP_SIDE_VIRT, 0);
	}
	snprintf(at(g, 0, 0), CELL, "benchmark");
	snprintf(at(g, 0, 1), CELL, "metric");
	snprintf(at(g, 0, 2), CELL, "native");
	for (size_t k = 0; k < n; k++)
		snprintf(at(g, 0, 3 + k), CELL, "%s", names[k]);
	for (size_t k = 1; k < n; k++)
		snprintf(at(g, 0, 3 + n + k - 1), CELL, "%s vs %s", names[k], names[0]);
	for (size_t i = 0; i < d0->nresults; i++) {
		const struct hvb_result *r = &d0->results[i];
		size_t row = i + 1;

		snprintf(at(g, row, 0), CELL, "%s", hvb_str_or(r->benchmark, "?"));
		if (r->metric)
			snprintf(at(g, row, 1), CELL, "%s (%s, %s)", r->metric, hvb_str_or(r->unit, ""),
				 r->better_higher ? "higher=better" : "lower=better");
		else
			snprintf(at(g, row, 1), CELL, "-");
		if (r->has_native && r->native.n)
			compare_fmt_num(at(g, row, 2), CELL, r->native.median);
		else
			snprintf(at(g, row, 2), CELL, "-");
		for (size_t k = 0; k < n; k++) {
			const struct hvb_result *rk = k ? result_of(&d[k], r->benchmark) : r;
			if (rk)
				monitor_cell(at(g, row, 3 + k), CELL, rk);
			else
				snprintf(at(g, row, 3 + k), CELL, "-");
		}
		for (size_t k = 1; k < n; k++)
			vs_cell(at(g, row, 3 + n + k - 1), CELL, row_of(&g->cmp[k - 1], r->benchmark));
	}
}

static void grid_free(struct grid *g)
{
	for (size_t k = 0; k < g->ncmp; k++)
		compare_free(&g->cmp[k]);
	free(g->cmp);
	free(g->cell);
}

/* The lines under the table: where each monitor's results are, why a
 * workload has no number on a monitor, the rule. */
static void notes(struct hvb_buf *out, const struct hvb_doc *d, const char *const *names,
		  const char *const *folders, size_t n, void (*line)(struct hvb_buf *, const char *))
{
	struct hvb_buf t = {0};

	hvb_buf_printf(&t, "host: %s, %s, KVM %s (%s)", hvb_str_or(d[0].host.hostname, "?"),
		       hvb_str_or(d[0].host.cpu_model, "?"), hvb_str_or(d[0].host.kvm, "?"),
		       hvb_str_or(d[0].host.kvm_kind, "?"));
	line(out, t.p);
	free(hvb_buf_take(&t));
	for (size_t k = 0; k < n; k++) {
		hvb_buf_printf(&t, "%s: %s/results.json; %s", names[k], folders[k],
			       hvb_str_or(d[k].config.virt_cmd, "?"));
		line(out, t.p);
		free(hvb_buf_take(&t));
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < d[k].nresults; i++) {
			const struct hvb_result *r = &d[k].results[i];
			if (!r->error)
				continue;
			hvb_buf_printf(&t, "%s on %s: %s", hvb_str_or(r->benchmark, "?"), names[k],
				       r->error);
			line(out, t.p);
			free(hvb_buf_take(&t));
		}
	hvb_buf_printf(&t, "each monitor's column: its median, and Equation 1 against native "
		       "where the workload has a native side; \"X vs %s\": (cost X - cost %s) / "
		       "cost %s * 100 with its 95%% CI, the Mann-Whitney p and compare's verdict "
		       "(%s)", names[0], names[0], names[0], COMPARE_RULE);
	line(out, t.p);
	free(hvb_buf_take(&t));
	if (d[0].host.kvm_kind && !strcmp(d[0].host.kvm_kind, "software")) {
		hvb_buf_printf(&t, "measured on a software KVM (%s): exits, guest kernel code and "
			       "start-up are this host's emulation as much as the monitors'",
			       hvb_str_or(d[0].host.kvm, "?"));
		line(out, t.p);
		free(hvb_buf_take(&t));
	}
}

static void term_line(struct hvb_buf *b, const char *s)
{
	esc_term(b, s);
	hvb_buf_puts(b, "\n");
}

static void md_line(struct hvb_buf *b, const char *s)
{
	hvb_buf_puts(b, "- ");
	esc_md(b, s, ESC_MD_TEXT);
	hvb_buf_puts(b, "\n");
}

char *multi_table(const struct hvb_doc *d, const char *const *names,
		  const char *const *folders, size_t n)
{
	struct grid g;
	struct hvb_buf b = {0};
	size_t *width;

	grid_build(&g, d, names, n);
	width = calloc(g.ncol, sizeof(*width));
	if (!width)
		abort();
	for (size_t r = 0; r < g.nrow; r++)
		for (size_t c = 0; c < g.ncol; c++) {
			struct hvb_buf e = {0};
			esc_term(&e, at(&g, r, c));
			if (e.len > width[c])
				width[c] = e.len;
			free(hvb_buf_take(&e));
		}
	hvb_buf_puts(&b, "one column per monitor\n");
	for (size_t r = 0; r < g.nrow; r++) {
		struct hvb_buf line = {0};
		for (size_t c = 0; c < g.ncol; c++) {
			struct hvb_buf e = {0};
			esc_term(&e, at(&g, r, c));
			if (c)
				hvb_buf_puts(&line, "  ");
			hvb_buf_add(&line, e.p, e.len);
			if (c + 1 < g.ncol)
				hvb_buf_printf(&line, "%*s", (int)(width[c] - e.len), "");
			free(hvb_buf_take(&e));
		}
		while (line.len && line.p[line.len - 1] == ' ')
			line.p[--line.len] = '\0';
		hvb_buf_printf(&b, "%s\n", line.p);
		free(hvb_buf_take(&line));
	}
	notes(&b, d, names, folders, n, term_line);
	free(width);
	grid_free(&g);
	return hvb_buf_take(&b);
}

char *multi_markdown(const struct hvb_doc *d, const char *const *names,
		     const char *const *folders, size_t n)
{
	struct grid g;
	struct hvb_buf b = {0};

	grid_build(&g, d, names, n);
	hvb_buf_puts(&b, "# hvbench: one column per monitor\n\n");
	for (size_t r = 0; r < g.nrow; r++) {
		hvb_buf_puts(&b, "|");
		for (size_t c = 0; c < g.ncol; c++) {
			hvb_buf_puts(&b, " ");
			esc_md(&b, at(&g, r, c), ESC_MD_TEXT);
			hvb_buf_puts(&b, " |");
		}
		hvb_buf_puts(&b, "\n");
		if (r == 0) {
			hvb_buf_puts(&b, "|");
			for (size_t c = 0; c < g.ncol; c++)
				hvb_buf_puts(&b, c >= 2 ? " ---: |" : " --- |");
			hvb_buf_puts(&b, "\n");
		}
	}
	hvb_buf_puts(&b, "\n");
	notes(&b, d, names, folders, n, md_line);
	grid_free(&g);
	return hvb_buf_take(&b);
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

char *multi_json(const struct hvb_doc *d, const char *const *names,
		 const char *const *folders, size_t n)
{
	json_t *root = json_object(), *mons = json_array(), *rows = json_array();
	struct grid g;

	grid_build(&g, d, names, n);
	json_object_set_new(root, "schema", json_string(MULTI_SCHEMA));
	json_object_set_new(root, "rule", json_string(COMPARE_RULE));
	json_object_set_new(root, "alpha", json_real(STATS_ALPHA));
	for (size_t k = 0; k < n; k++) {
		json_t *m = json_object();
		json_object_set_new(m, "monitor", jstr(names[k]));
		json_object_set_new(m, "folder", jstr(folders[k]));
		json_object_set_new(m, "vmm", jstr(d[k].config.vmm));
		json_object_set_new(m, "virt_cmd", jstr(d[k].config.virt_cmd));
		json_array_append_new(mons, m);
	}
	json_object_set_new(root, "monitors", mons);
	for (size_t i = 0; i < d[0].nresults; i++) {
		const struct hvb_result *r = &d[0].results[i];
		json_t *o = json_object(), *per = json_array();

		json_object_set_new(o, "benchmark", jstr(r->benchmark));
		json_object_set_new(o, "group", jstr(r->group));
		json_object_set_new(o, "metric", jstr(r->metric));
		json_object_set_new(o, "unit", jstr(r->unit));
		json_object_set_new(o, "better", json_string(r->better_higher ? "higher" : "lower"));
		json_object_set_new(o, "native_median",
				    jnum(r->has_native && r->native.n ? r->native.median : (double)NAN));
		for (size_t k = 0; k < n; k++) {
			const struct hvb_result *rk = k ? result_of(&d[k], r->benchmark) : r;
			const struct compare_row *w = k ? row_of(&g.cmp[k - 1], r->benchmark) : NULL;
			json_t *m = json_object(), *ci = json_array();

			json_object_set_new(m, "monitor", jstr(names[k]));
			json_object_set_new(m, "status", jstr(rk ? rk->status : NULL));
			json_object_set_new(m, "median",
					    jnum(rk && rk->virt.n ? rk->virt.median : (double)NAN));
			json_object_set_new(m, "overhead_pct", jnum(rk ? rk->overhead : (double)NAN));
			json_array_append_new(ci, jnum(w ? w->lo : (double)NAN));
			json_array_append_new(ci, jnum(w ? w->hi : (double)NAN));
			json_object_set_new(m, "vs_first_pct", jnum(w ? w->change : (double)NAN));
			json_object_set_new(m, "vs_first_ci95", ci);
			json_object_set_new(m, "vs_first_mwu_p", jnum(w ? w->p : (double)NAN));
			json_object_set_new(m, "vs_first_verdict", w ? jstr(w->verdict) : json_null());
			json_array_append_new(per, m);
		}
		json_object_set_new(o, "monitors", per);
		json_array_append_new(rows, o);
	}
	json_object_set_new(root, "results", rows);
	grid_free(&g);
	return hvb_json_text(root, 10);
}
