/* report: rendering a results document (see report.h). The table layout
 * follows the study's figures: one row per workload with native and
 * virtualised medians and the overhead of Equation 1, here with its 95%
 * confidence interval and flags. */
#include "report.h"
#include "devwl.h"
#include "dist.h"
#include "escape.h"
#include "latreport.h"
#include "neighbour.h"
#include "runner.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Groups in the order the study presents them; others follow as seen. */
static const char *const known_groups[] = {"synthetic", "mibench", "latency"};

static int software_kvm(const struct hvb_doc *d)
{
	return d->host.kvm_kind && !strcmp(d->host.kvm_kind, "software");
}

/* Workloads whose guest side runs guest-kernel code (system calls,
 * scheduling, interrupt handlers): on a software KVM that code is emulated,
 * so their overhead measures the host's emulation, not our monitor. The
 * device workloads (disk-*, rng-read) take an MSI-X interrupt per
 * completion in the guest's kernel. */
static int kernel_bound(const struct hvb_result *r)
{
	return (r->benchmark && (!strcmp(r->benchmark, "threads") ||
				 !strcmp(r->benchmark, "mutex") ||
				 !strcmp(r->benchmark, "sysbench-threads") ||
				 !strcmp(r->benchmark, "sysbench-mutex") ||
				 !strcmp(r->benchmark, "rng-read"))) ||
	       (r->group && (!strcmp(r->group, "latency") || !strcmp(r->group, "disk")));
}

/* The monitor that produced the virt column, for people. */
static const char *monitor_name(const struct hvb_doc *d)
{
	const char *m = d->config.monitor;

	if (!m)
		return "?";
	return !strcmp(m, "qemu") ? "QEMU/KVM (peer)" : !strcmp(m, "vmm") ? "vmm" : m;
}

static int emulated_flag(const struct hvb_doc *d, const struct hvb_result *r)
{
	/* A Linux guest (booted there only with --force) takes timer
	 * interrupts and page faults in its emulated kernel under every
	 * workload, so all of its rows are flagged. */
	int linux = d->config.guest && !strcmp(d->config.guest, "linux");

	return software_kvm(d) && r->has_virt && !hvb_result_is(r, HVB_ST_UNAVAILABLE) &&
	       (linux || kernel_bound(r));
}

/* A metric value with four significant digits, and no exponent for the
 * large counts rates reach. */
static void fmt_val(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (fabs(v) >= 10000)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.4g", v);
}

void report_fmt_pct(char *buf, size_t n, double v)
{
	if (isfinite(v))
		snprintf(buf, n, "%+.2f%%", v);
	else
		snprintf(buf, n, "-");
}

void report_fmt_ci(char *buf, size_t n, double lo, double hi)
{
	if (isfinite(lo) && isfinite(hi))
		snprintf(buf, n, "[%+.2f, %+.2f]", lo, hi);
	else
		snprintf(buf, n, "-");
}

static void flags_of(const struct hvb_doc *d, const struct hvb_result *r, char *buf, size_t n)
{
	const char *st = r->status ? r->status : "";

	buf[0] = '\0';
	if (!strcmp(st, HVB_ST_FAILED))
		snprintf(buf, n, "FAILED");
	else if (!strcmp(st, HVB_ST_NOT_RUN))
		snprintf(buf, n, "not run");
	else if (!strcmp(st, HVB_ST_UNAVAILABLE))
		snprintf(buf, n, "not available");
	else if (strcmp(st, HVB_ST_OK))
		snprintf(buf, n, "%s", st);
	if (emulated_flag(d, r))
		snprintf(buf + strlen(buf), n - strlen(buf), "%semulated", buf[0] ? " " : "");
}

#define NCOLS 7

struct row {
	char cell[NCOLS][160];
};

static const char *const col_head[NCOLS] = {"benchmark", "metric", "native", "virt",
					    "overhead", "95% CI", "flags"};
/* Numbers right-aligned, text left-aligned. */
static const int col_right[NCOLS] = {0, 0, 1, 1, 1, 0, 0};
/* Columns that hold text from the results file; the others hold only
 * numbers hvbench formatted itself (fmt_val, fmt_pct, fmt_ci). */
static const int col_text[NCOLS] = {1, 1, 0, 0, 0, 0, 1};

static void make_row(const struct hvb_doc *d, const struct hvb_result *r, struct row *w)
{
	snprintf(w->cell[0], sizeof(w->cell[0]), "%s", r->benchmark ? r->benchmark : "?");
	if (r->metric)
		snprintf(w->cell[1], sizeof(w->cell[1]), "%s (%s, %s)", r->metric,
			 r->unit && r->unit[0] ? r->unit : "-",
			 r->better_higher ? "higher=better" : "lower=better");
	else
		snprintf(w->cell[1], sizeof(w->cell[1]), "-");
	fmt_val(w->cell[2], sizeof(w->cell[2]), r->has_native ? r->native.median : (double)NAN);
	fmt_val(w->cell[3], sizeof(w->cell[3]), r->has_virt ? r->virt.median : (double)NAN);
	report_fmt_pct(w->cell[4], sizeof(w->cell[4]), r->overhead);
	report_fmt_ci(w->cell[5], sizeof(w->cell[5]), r->ov_lo, r->ov_hi);
	flags_of(d, r, w->cell[6], sizeof(w->cell[6]));
}

static struct row *make_rows(const struct hvb_doc *d)
{
	struct row *rows = hvb_xmalloc((d->nresults + 1) * sizeof(*rows));

	for (size_t c = 0; c < NCOLS; c++)
		snprintf(rows[0].cell[c], sizeof(rows[0].cell[c]), "%s", col_head[c]);
	for (size_t i = 0; i < d->nresults; i++)
		make_row(d, &d->results[i], &rows[i + 1]);
	return rows;
}

/* One line of the terminal table's notes: formatted, then escaped whole
 * (its fields come from the results file), then a newline. */
static void term_line(struct hvb_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void term_line(struct hvb_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	esc_vline(b, fmt, ap);
	va_end(ap);
}

/* --interference: which neighbours ran, then each result's virtualised
 * median alone and beside them, and the change (Equation 1 of the second
 * against the first) with its interval; for a latency workload also the
 * change of its p99 and of its worst case, where latency hurts (issue 13).
 * Written as plain lines, or as a Markdown table when md is set. Nothing
 * when the run had no neighbour. */
static void interference_block(struct hvb_buf *b, const struct hvb_doc *d, int md)
{
	struct hvb_buf what = {0};
	char names[64];

	if (!d->config.interference)
		return;
	nb_names(d->config.nb_kinds ? d->config.nb_kinds : HVB_NB_MEMORY, names, sizeof(names));
	nb_describe(&what, &d->config);
	if (md) {
		hvb_buf_puts(b, "## Interference\n\nThe virtualised side measured again beside "
				"the neighbours ");
		esc_md(b, names, ESC_MD_CODE);
		hvb_buf_puts(b, " (");
		esc_md(b, what.p ? what.p : "", ESC_MD_TEXT);
		hvb_buf_puts(b, "). Change: Equation 1 of the run beside the neighbours against "
				"the run alone, on the median and, for latency, on the p99 (median "
				"over runs) and the max (worst of all runs).\n\n");
	} else {
		term_line(b, "interference: neighbours %s: %s", names, what.p ? what.p : "");
	}
	free(what.p);
	/* The CPU time each used: that it ran beside the measured VM. */
	{
		struct hvb_buf used = {0};
		for (size_t k = 0; k < NB_MAX; k++)
			if ((d->config.nb_kinds ? d->config.nb_kinds : HVB_NB_MEMORY) & (1u << k) &&
			    !isnan(d->config.nb_cpu_s[k]))
				hvb_buf_printf(&used, "%s%s %.1f s", used.len ? ", " : "",
					       nb_kind_names[k], d->config.nb_cpu_s[k]);
		if (used.len && md)
			hvb_buf_printf(b, "CPU time the neighbours used over the run: %s.\n\n",
				       used.p);
		else if (used.len)
			term_line(b, "  neighbours' CPU time: %s", used.p);
		free(used.p);
	}
	if (md)
		hvb_buf_puts(b, "| benchmark | virt | virt+neighbour | change | 95% CI | p99 change "
				"| max change |\n| --- | ---: | ---: | ---: | --- | ---: | ---: |\n");
	for (size_t i = 0; i < d->nresults; i++) {
		const struct hvb_result *r = &d->results[i];
		char v[40], vn[40], ch[40], ci[64], p99[40] = "-", mx[40] = "-";
		struct dist_overhead o;
		if (!r->has_nb)
			continue;
		fmt_val(v, sizeof(v), r->virt.median);
		fmt_val(vn, sizeof(vn), r->virt_nb.median);
		report_fmt_pct(ch, sizeof(ch), r->nb_change);
		report_fmt_ci(ci, sizeof(ci), r->nb_lo, r->nb_hi);
		if (dist_count(&r->virt) && dist_count(&r->virt_nb)) {
			dist_overhead(&r->virt, &r->virt_nb, &o);
			report_fmt_pct(p99, sizeof(p99), o.p99);
			report_fmt_pct(mx, sizeof(mx), o.max);
		}
		if (md) {
			hvb_buf_puts(b, "| ");
			esc_md(b, r->benchmark, ESC_MD_TEXT);
			hvb_buf_printf(b, " | %s | %s | %s | %s | %s | %s |\n", v, vn, ch, ci, p99,
				       mx);
		} else {
			term_line(b, "  %-18s virt %10s  +neighbour %10s  change %9s  %s  p99 %s  "
				     "max %s", r->benchmark, v, vn, ch, ci, p99, mx);
		}
	}
	if (md)
		hvb_buf_puts(b, "\n");
}

char *report_table(const struct hvb_doc *d)
{
	struct row *rows = make_rows(d);
	size_t width[NCOLS] = {0};
	struct hvb_buf b = {0};

	/* Every cell made safe for the terminal before it is measured. */
	for (size_t i = 0; i <= d->nresults; i++)
		for (size_t c = 0; c < NCOLS; c++) {
			struct hvb_buf e = {0};
			char *t;

			esc_term(&e, rows[i].cell[c]);
			t = hvb_buf_take(&e);
			snprintf(rows[i].cell[c], sizeof(rows[i].cell[c]), "%s", t);
			free(t);
		}
	for (size_t i = 0; i <= d->nresults; i++)
		for (size_t c = 0; c < NCOLS; c++)
			if (strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	for (size_t i = 0; i <= d->nresults; i++) {
		struct hvb_buf line = {0};
		char *s;

		for (size_t c = 0; c < NCOLS; c++)
			hvb_buf_printf(&line, "%s%*s%s", c ? "  " : "",
				       col_right[c] ? (int)width[c] : -(int)width[c],
				       rows[i].cell[c], "");
		s = hvb_buf_take(&line);
		/* No trailing blanks: the last column is padded for nothing. */
		for (size_t n = strlen(s); n && s[n - 1] == ' '; n--)
			s[n - 1] = '\0';
		hvb_buf_printf(&b, "%s\n", s);
		free(s);
	}
	free(rows);
	/* What the flags mean for this run, below the table. */
	for (size_t i = 0; i < d->nresults; i++) {
		const struct hvb_result *r = &d->results[i];

		if (hvb_result_is(r, HVB_ST_FAILED))
			term_line(&b, "FAILED %s: %s", r->benchmark,
				  r->error ? r->error : "no reason recorded");
		else if (hvb_result_is(r, HVB_ST_UNAVAILABLE))
			term_line(&b, "not available %s: %s", r->benchmark,
				  r->error ? r->error : "no reason recorded");
	}
	if (d->config.native_only)
		term_line(&b, "native only: %s",
			  d->config.native_only_reason ? d->config.native_only_reason : "?");
	else if (d->config.monitor)
		term_line(&b, "virt: %s guest under %s", d->config.guest ? d->config.guest : "?",
			  monitor_name(d));
	if (d->config.realtime)
		term_line(&b, "realtime: the measured VM ran as vmm run --realtime (pinned, "
			      "SCHED_FIFO, RAM locked, HLT/PAUSE exits disabled where offered)");
	interference_block(&b, d, 0);
	latreport_block(&b, d, 0);
	if (d->config.incomplete)
		term_line(&b, "incomplete: stopped by %s",
			  d->config.stopped_by ? d->config.stopped_by : "a signal");
	for (size_t i = 0; i < d->nresults; i++) {
		if (!emulated_flag(d, &d->results[i]))
			continue;
		term_line(&b, "emulated: on this software KVM (%s) guest-kernel code is "
			      "emulated; see report.md", d->host.kvm ? d->host.kvm : "?");
		break;
	}
	return hvb_buf_take(&b);
}

/* ---- CSV (RFC 4180) ---- */

static void csv_num(struct hvb_buf *b, double v)
{
	if (isfinite(v))
		hvb_buf_printf(b, "%.15g", v);
}

static void csv_side(struct hvb_buf *b, const struct hvb_side *s, int present)
{
	if (present) {
		hvb_buf_printf(b, ",%zu,", s->n);
		csv_num(b, s->median);
		hvb_buf_puts(b, ",");
		csv_num(b, s->ci_lo);
		hvb_buf_puts(b, ",");
		csv_num(b, s->ci_hi);
	} else {
		hvb_buf_puts(b, ",,,,");
	}
}

/* A latency side's p50, p99 (medians over runs) and worst case (the
 * maximum over all runs); empty cells where the side has no distribution. */
static void csv_dist(struct hvb_buf *b, const struct hvb_side *s, int present)
{
	struct dist_summary ds;

	if (!present || dist_summarise(s, &ds)) {
		hvb_buf_puts(b, ",,,");
		return;
	}
	hvb_buf_puts(b, ",");
	csv_num(b, ds.p50);
	hvb_buf_puts(b, ",");
	csv_num(b, ds.p99);
	hvb_buf_puts(b, ",");
	csv_num(b, ds.max);
}

char *report_csv(const struct hvb_doc *d)
{
	struct hvb_buf b = {0};

	hvb_buf_puts(&b, "benchmark,group,metric,unit,better,status,native_n,native_median,"
			 "native_ci_lo,native_ci_hi,virt_n,virt_median,virt_ci_lo,virt_ci_hi,"
			 "overhead_pct,overhead_ci_lo,overhead_ci_hi,error,"
			 /* Added after the first columns, so readers by position
			  * keep working: latency distributions, the neighbour. */
			 "native_p50,native_p99,native_max,virt_p50,virt_p99,virt_max,"
			 "p50_overhead_pct,p99_overhead_pct,max_overhead_pct,"
			 "virt_neighbour_median,virt_neighbour_p50,virt_neighbour_p99,"
			 "virt_neighbour_max,neighbour_change_pct\n");
	for (size_t i = 0; i < d->nresults; i++) {
		const struct hvb_result *r = &d->results[i];

		esc_csv(&b, r->benchmark);
		hvb_buf_puts(&b, ",");
		esc_csv(&b, r->group);
		hvb_buf_puts(&b, ",");
		esc_csv(&b, r->metric);
		hvb_buf_puts(&b, ",");
		esc_csv(&b, r->unit);
		hvb_buf_printf(&b, ",%s,", r->better_higher ? "higher" : "lower");
		esc_csv(&b, r->status);
		csv_side(&b, &r->native, r->has_native);
		csv_side(&b, &r->virt, r->has_virt);
		hvb_buf_puts(&b, ",");
		csv_num(&b, r->overhead);
		hvb_buf_puts(&b, ",");
		csv_num(&b, r->ov_lo);
		hvb_buf_puts(&b, ",");
		csv_num(&b, r->ov_hi);
		hvb_buf_puts(&b, ",");
		esc_csv(&b, r->error);
		csv_dist(&b, &r->native, r->has_native);
		csv_dist(&b, &r->virt, r->has_virt);
		struct dist_overhead ov;
		dist_overhead(&r->native, &r->virt, &ov);
		if (!r->has_native || !r->has_virt)
			ov.p50 = ov.p99 = ov.max = (double)NAN;
		hvb_buf_puts(&b, ",");
		csv_num(&b, ov.p50);
		hvb_buf_puts(&b, ",");
		csv_num(&b, ov.p99);
		hvb_buf_puts(&b, ",");
		csv_num(&b, ov.max);
		hvb_buf_puts(&b, ",");
		if (r->has_nb)
			csv_num(&b, r->virt_nb.median);
		csv_dist(&b, &r->virt_nb, r->has_nb);
		hvb_buf_puts(&b, ",");
		if (r->has_nb)
			csv_num(&b, r->nb_change);
		hvb_buf_puts(&b, "\n");
	}
	return hvb_buf_take(&b);
}

/* ---- Markdown ---- */

/* Text from the results file in running text, list items and table cells. */
static void md_text(struct hvb_buf *b, const char *s)
{
	esc_md(b, s, ESC_MD_TEXT);
}

/* A whole code span: commands, paths, module names. */
static void md_code(struct hvb_buf *b, const char *s)
{
	esc_md(b, s, ESC_MD_CODE);
}

static void md_kv(struct hvb_buf *b, const char *k, const char *v)
{
	hvb_buf_printf(b, "| %s | ", k);
	md_text(b, v ? v : "unknown");
	hvb_buf_puts(b, " |\n");
}

static void md_kvm_line(struct hvb_buf *b, const struct hvb_doc *d)
{
	const char *kvm = d->host.kvm ? d->host.kvm : "unknown";
	const char *kind = d->host.kvm_kind ? d->host.kvm_kind : "unknown";

	hvb_buf_puts(b, "KVM: this run was made on ");
	if (!strcmp(kind, "hardware")) {
		hvb_buf_puts(b, "hardware virtualisation (");
		md_text(b, kvm);
		hvb_buf_puts(b, ").\n");
	} else if (!strcmp(kind, "software")) {
		hvb_buf_puts(b, "a software KVM (");
		md_code(b, kvm);
		hvb_buf_puts(b, "), without VT-x/AMD-V.\n");
	} else {
		hvb_buf_puts(b, "a host without KVM (");
		md_text(b, kvm);
		hvb_buf_puts(b, ").\n");
	}
	if (software_kvm(d)) {
		hvb_buf_puts(b, "\n> **Warning:** ");
		if (!strcmp(kvm, "kvm_pvm"))
			hvb_buf_puts(b, "this host's KVM is PVM (software KVM by shadow paging). ");
		else
			hvb_buf_puts(b, "this host's KVM is a software KVM. ");
		hvb_buf_puts(b, "Guest user-mode code runs at native speed, but guest-kernel "
				"code (system calls, scheduling, interrupt handlers) is emulated. "
				"On this host `threads`, `mutex` and the latency tests measure "
				"that emulation more than the monitor (flag `emulated`); their "
				"true cost must come from a host with VT-x/AMD-V.\n");
	}
}

static void md_host(struct hvb_buf *b, const struct hvb_doc *d)
{
	const struct hvb_host *h = &d->host;
	char cpus[32];

	snprintf(cpus, sizeof(cpus), "%d", h->cpus);
	hvb_buf_puts(b, "## Host\n\n| | |\n| --- | --- |\n");
	md_kv(b, "hostname", h->hostname);
	md_kv(b, "architecture", h->arch);
	md_kv(b, "CPU", h->cpu_model);
	md_kv(b, "CPUs online", cpus);
	md_kv(b, "kernel", h->kernel);
	md_kv(b, "KVM", h->kvm);
	md_kv(b, "KVM kind", h->kvm_kind);
	md_kv(b, "cpufreq governor", h->governor ? h->governor : "none (no cpufreq)");
	md_kv(b, "date (UTC)", h->date);
	md_kv(b, "hvbench revision", h->revision);
	hvb_buf_puts(b, "\n");
	md_kvm_line(b, d);
	hvb_buf_puts(b, "\n");
}

/* Where the device workloads' threads ran (devwl_place_io). */
static void md_device_io(struct hvb_buf *b, const struct hvb_doc *d)
{
	const struct hvb_config *c = &d->config;
	int any = 0;

	for (size_t i = 0; i < d->nresults; i++)
		any |= devwl_is_device(&d->results[i]) && d->results[i].has_virt;
	if (!any)
		return;
	if (c->io_placed)
		hvb_buf_printf(b, "- device workloads: native on CPU %d; in the guest the vCPU on "
				  "CPU %d and vmm's device I/O threads on CPU %d (`--io-cpus %d`)\n",
			       c->cpu, c->cpu, c->io_cpu, c->io_cpu);
	else if (c->cpu >= 0)
		hvb_buf_puts(b, "- device workloads: no second CPU, so vmm's device I/O threads "
				"share the measurement CPU with the vCPU\n");
}

static void md_config(struct hvb_buf *b, const struct hvb_doc *d)
{
	const struct hvb_config *c = &d->config;

	hvb_buf_puts(b, "## Configuration\n\n");
	hvb_buf_printf(b, "- repetitions per side: %d, after %d discarded warm-up run%s per side; "
			  "native and virtualised runs interleaved (N, V, N, V, ...)\n",
		       c->reps, c->warmup, c->warmup == 1 ? "" : "s");
	hvb_buf_puts(b, "- workload size: ");
	md_text(b, c->size ? c->size : "default");
	hvb_buf_puts(b, "\n");
	if (c->cpu >= 0)
		hvb_buf_printf(b, "- every run pinned to CPU %d\n", c->cpu);
	else
		hvb_buf_puts(b, "- runs not pinned to a CPU\n");
	md_device_io(b, d);
	hvb_buf_printf(b, "- time limit per run: %d s\n", c->timeout_s);
	if (c->realtime)
		hvb_buf_puts(b, "- **real-time VM**: the measured VM ran as `vmm run --realtime "
				"--pin CPU` (vCPU pinned, SCHED_FIFO, guest RAM locked, HLT/PAUSE "
				"exits disabled where KVM offers it, no periodic kick)\n");
	if (c->interference) {
		struct hvb_buf what = {0};
		nb_describe(&what, c);
		hvb_buf_puts(b, "- **interference**: the virtualised side also measured beside ");
		md_text(b, what.p ? what.p : "");
		hvb_buf_puts(b, "\n");
		free(what.p);
	}
	hvb_buf_puts(b, "- native runner: ");
	md_code(b, c->native_cmd ? c->native_cmd : "?");
	hvb_buf_puts(b, "\n");
	if (c->native_only) {
		hvb_buf_puts(b, "- **native only**: ");
		md_text(b, c->native_only_reason ? c->native_only_reason : "no reason recorded");
		hvb_buf_puts(b, "\n");
	} else {
		hvb_buf_puts(b, "- virtualised runner (");
		md_text(b, c->guest ? c->guest : "?");
		hvb_buf_puts(b, " guest): ");
		md_code(b, c->virt_cmd ? c->virt_cmd : "?");
		hvb_buf_puts(b, "\n");
		if (c->monitor) {
			hvb_buf_puts(b, "- the virt column ran under: ");
			md_text(b, monitor_name(d));
			hvb_buf_puts(b, "\n");
		}
		if (c->kernel) {
			hvb_buf_puts(b, "- Linux guest kernel: ");
			md_code(b, c->kernel);
			hvb_buf_puts(b, ", initramfs: ");
			md_code(b, c->initrd ? c->initrd : "?");
			hvb_buf_puts(b, "\n");
		}
	}
	if (c->incomplete) {
		hvb_buf_puts(b, "- **incomplete**: stopped by ");
		md_text(b, c->stopped_by ? c->stopped_by : "a signal");
		hvb_buf_puts(b, "; the results hold what was measured until then\n");
	}
	hvb_buf_puts(b, "\n");
}

static void md_results(struct hvb_buf *b, const struct hvb_doc *d)
{
	struct row *rows = make_rows(d);

	hvb_buf_puts(b, "## Results\n\n");
	for (size_t i = 0; i <= d->nresults; i++) {
		hvb_buf_puts(b, "|");
		for (size_t c = 0; c < NCOLS; c++) {
			hvb_buf_puts(b, " ");
			if (col_text[c] || i == 0)
				md_text(b, rows[i].cell[c]);
			else
				hvb_buf_puts(b, rows[i].cell[c]);
			hvb_buf_puts(b, " |");
		}
		hvb_buf_puts(b, "\n");
		if (i == 0) {
			hvb_buf_puts(b, "|");
			for (size_t c = 0; c < NCOLS; c++)
				hvb_buf_puts(b, col_right[c] ? " ---: |" : " --- |");
			hvb_buf_puts(b, "\n");
		}
	}
	free(rows);
	hvb_buf_puts(b, "\nNative and virt are medians of the repetitions. Overhead is the "
			"study's Equation 1 on the cost form of the metric (the value for "
			"lower-is-better metrics, 1/value for rates), so a positive overhead "
			"always means slower in the VM. 95% CI: percentile bootstrap "
			"(2000 resamples, fixed seed) resampling both sides.\n\n");
}

static void md_notes(struct hvb_buf *b, const struct hvb_doc *d)
{
	size_t nfail = 0, nnoisy = 0, nemul = 0;

	for (size_t i = 0; i < d->nresults; i++) {
		nfail += hvb_result_is(&d->results[i], HVB_ST_FAILED);
		nnoisy += hvb_result_is(&d->results[i], HVB_ST_NOISY);
		nemul += (size_t)emulated_flag(d, &d->results[i]);
	}
	hvb_buf_puts(b, "## Notes\n\n");
	hvb_buf_printf(b, "- Each side had %d warm-up run%s per workload, discarded.\n",
		       d->config.warmup, d->config.warmup == 1 ? "" : "s");
	hvb_buf_printf(b, "- `noisy`: a side's 95%% CI half-width exceeds %.0f%% of its "
			  "median, or the overhead's 95%% CI spans more than %.0f points. "
			  "%zu result%s flagged.\n",
		       STATS_NOISY_SIDE_FRAC * 100, STATS_NOISY_OVERHEAD_SPAN, nnoisy,
		       nnoisy == 1 ? "" : "s");
	if (nemul)
		hvb_buf_puts(b, "- `emulated`: guest-kernel-bound workload on a software KVM "
				"(see the warning above).\n");
	if (d->config.native_only)
		hvb_buf_puts(b, "- Native-only run: no virtualised side, so no overhead.\n");
	for (size_t i = 0; i < d->nresults; i++) {
		const struct hvb_result *r = &d->results[i];

		if (!hvb_result_is(r, HVB_ST_UNAVAILABLE))
			continue;
		hvb_buf_puts(b, "- `not available` **");
		md_text(b, r->benchmark);
		hvb_buf_puts(b, "**: ");
		md_text(b, r->error ? r->error : "no reason recorded");
		hvb_buf_puts(b, "\n");
	}
	hvb_buf_puts(b, "\n## Failures\n\n");
	if (!nfail)
		hvb_buf_puts(b, "None.\n");
	for (size_t i = 0; i < d->nresults; i++) {
		const struct hvb_result *r = &d->results[i];

		if (!hvb_result_is(r, HVB_ST_FAILED))
			continue;
		hvb_buf_puts(b, "- **");
		md_text(b, r->benchmark);
		hvb_buf_puts(b, "**: ");
		md_text(b, r->error ? r->error : "no reason recorded");
		hvb_buf_puts(b, "\n");
	}
	hvb_buf_puts(b, "\n");
}

char *report_markdown(const struct hvb_doc *d, const struct report_charts *c)
{
	struct hvb_buf b = {0};

	hvb_buf_puts(&b, "# hvbench report\n\n");
	md_host(&b, d);
	md_config(&b, d);
	md_results(&b, d);
	latreport_block(&b, d, 1);
	interference_block(&b, d, 1);
	md_notes(&b, d);
	hvb_buf_puts(&b, "## Charts\n\n");
	if (c) {
		/* The file name is safe_name's: letters, digits, . _ - only, so
		 * it needs no escape as a link destination. */
		for (size_t i = 0; i < c->n; i++) {
			hvb_buf_puts(&b, "![overhead, ");
			md_text(&b, c->groups[i]);
			hvb_buf_printf(&b, "](%s)\n\n", c->files[i]);
		}
		latreport_md_charts(&b, c);
		if (c->note[0]) {
			md_text(&b, c->note);
			hvb_buf_puts(&b, "\n");
		} else if (!c->n && !c->nlat) {
			hvb_buf_puts(&b, "No overhead to chart.\n");
		}
	} else {
		hvb_buf_puts(&b, "Not drawn.\n");
	}
	return hvb_buf_take(&b);
}

/* ---- charts ---- */

const char *report_find_gnuplot(void)
{
	static char path[4096];
	const char *env = getenv("HVBENCH_GNUPLOT"), *p;

	if (env)
		return !*env || !strcmp(env, "none") ? NULL : env;
	p = getenv("PATH");
	if (!p)
		p = "/usr/bin:/bin";
	while (*p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n && n + sizeof("/gnuplot") < sizeof(path)) {
			memcpy(path, p, n);
			memcpy(path + n, "/gnuplot", sizeof("/gnuplot"));
			if (access(path, X_OK) == 0)
				return path;
		}
		p += n + (end ? 1 : 0);
	}
	return NULL;
}

static int isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Names from a results file go into file names and gnuplot strings: keep
 * only characters that are harmless in both. */
void report_safe_name(char *dst, size_t n, const char *s)
{
	size_t j = 0;

	for (; s && *s && j + 1 < n; s++)
		dst[j++] = (isalnum_ascii(*s) || *s == '-' || *s == '_' || *s == '.') ? *s : '_';
	dst[j] = '\0';
}

/* Groups present in d, known ones first in the study's order. */
static size_t groups_of(const struct hvb_doc *d, const char *out[REPORT_MAX_GROUPS])
{
	size_t n = 0;

	for (size_t k = 0; k < sizeof(known_groups) / sizeof(known_groups[0]); k++)
		for (size_t i = 0; i < d->nresults; i++)
			if (d->results[i].group && !strcmp(d->results[i].group, known_groups[k])) {
				out[n++] = known_groups[k];
				break;
			}
	for (size_t i = 0; i < d->nresults && n < REPORT_MAX_GROUPS; i++) {
		const char *g = d->results[i].group;
		size_t j;

		if (!g)
			continue;
		for (j = 0; j < n && strcmp(out[j], g); j++)
			;
		if (j == n)
			out[n++] = g;
	}
	return n;
}

static void note_chart_failed(struct report_charts *c, const char *file, const char *why)
{
	size_t len = strlen(c->note);

	snprintf(c->note + len, sizeof(c->note) - len, "Chart %s could not be drawn (%s). ", file,
		 why);
}

/* One bar per workload with a defined overhead, its CI as the error bar.
 * The y range always includes 0 so bar lengths compare honestly. Every
 * string in the script (the title, the bar labels) is an esc_gnuplot
 * literal; the data block holds only numbers; the SVG goes to stdout. */
static char *chart_script(const struct hvb_doc *d, const char *group, size_t *nbars)
{
	struct hvb_buf data = {0}, tics = {0}, title = {0}, b = {0};
	double lo = 0, hi = 0, pad;

	*nbars = 0;
	for (size_t i = 0; i < d->nresults; i++) {
		const struct hvb_result *r = &d->results[i];
		double l, h;

		if (!r->group || strcmp(r->group, group) || !isfinite(r->overhead))
			continue;
		l = isfinite(r->ov_lo) ? r->ov_lo : r->overhead;
		h = isfinite(r->ov_hi) ? r->ov_hi : r->overhead;
		lo = fmin(lo, fmin(l, r->overhead));
		hi = fmax(hi, fmax(h, r->overhead));
		hvb_buf_printf(&data, "%zu %.6g %.6g %.6g\n", *nbars, r->overhead, l, h);
		/* A histogram puts row k at x = k. */
		hvb_buf_puts(&tics, *nbars ? ", " : "");
		esc_gnuplot(&tics, r->benchmark ? r->benchmark : "?");
		hvb_buf_printf(&tics, " %zu", *nbars);
		(*nbars)++;
	}
	pad = (hi - lo) * 0.1;
	if (pad <= 0)
		pad = 1;
	hvb_buf_puts(&b, "set terminal svg size 800,440 noenhanced font 'sans,12' "
			 "background '#ffffff'");
	hvb_buf_printf(&title, "Virtualisation overhead: %s (median, Equation 1, 95%% CI)", group);
	hvb_buf_puts(&b, "\nset title ");
	esc_gnuplot(&b, title.p);
	hvb_buf_printf(&b,
		       "\nset ylabel 'overhead (%%), positive = slower in the VM'\n"
		       "set style data histograms\n"
		       "set style histogram errorbars gap 2 lw 1\n"
		       "set style fill solid 0.7 border -1\n"
		       "set boxwidth 0.8\n"
		       "set grid ytics\n"
		       "set xzeroaxis lt -1\n"
		       "set key off\n"
		       "set bmargin 4\n"
		       "set xtics nomirror font ',10' (%s)\n"
		       "set yrange [%.6g:%.6g]\n"
		       "$data << EOD\n%sEOD\n"
		       "plot $data using 2:3:4 linecolor rgb '#3a6ea5'\n",
		       tics.p ? tics.p : "", lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : pad,
		       data.p ? data.p : "");
	free(data.p);
	free(tics.p);
	free(title.p);
	return hvb_buf_take(&b);
}

int report_draw_svg(const char *gnuplot, const char *script, const char *dir, const char *file,
		    struct report_charts *c)
{
	char prog[4096], last[200];
	char *argv[] = {prog, NULL};
	struct runner_run res;
	int rc = -1;

	snprintf(prog, sizeof(prog), "%s", gnuplot); /* argv words are not const */
	/* gnuplot writes the SVG to its stdout and we write the file, by
	 * report_write_file: gnuplot's own `set output` would follow a
	 * link planted in a shared results folder. */
	runner_exec(argv, -1, 60, NULL, script, &res);
	runner_last_line(res.err, res.err_len, last, sizeof(last));
	if (res.outcome == RUN_EXITED && res.status == 0 && res.out_len &&
	    res.out_len < RUNNER_OUT_MAX && !memchr(res.out, '\0', res.out_len)) {
		char path[4200], why[4400];

		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if (report_write_file(path, res.out, why, sizeof(why)))
			note_chart_failed(c, file, why);
		else
			rc = 0;
	} else {
		note_chart_failed(c, file, last[0] ? last : "gnuplot failed");
	}
	runner_run_free(&res);
	return rc;
}

void report_charts(const struct hvb_doc *d, const char *dir, const char *gnuplot,
		   struct report_charts *c)
{
	const char *groups[REPORT_MAX_GROUPS];
	size_t ng = groups_of(d, groups);

	memset(c, 0, sizeof(*c));
	if (!gnuplot) {
		snprintf(c->note, sizeof(c->note),
			 "Charts skipped: gnuplot is not installed (Debian package gnuplot-nox).");
		return;
	}
	for (size_t g = 0; g < ng; g++) {
		char safe[64], file[80];
		size_t nbars;
		char *script;

		report_safe_name(safe, sizeof(safe), groups[g]);
		snprintf(file, sizeof(file), "overhead_%s.svg", safe);
		script = chart_script(d, groups[g], &nbars);
		if (!nbars) {
			free(script);
			continue;
		}
		if (report_draw_svg(gnuplot, script, dir, file, c) == 0) {
			snprintf(c->files[c->n], sizeof(c->files[0]), "%s", file);
			snprintf(c->groups[c->n], sizeof(c->groups[0]), "%s", safe);
			c->n++;
		}
		free(script);
	}
	latreport_charts(d, dir, gnuplot, c);
}

/* ---- files ---- */

int report_mkdirs(const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp)) {
		snprintf(err, errlen, "cannot create %s: bad path", path);
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0777) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
			return -1;
		}
		tmp[i] = path[i];
	}
	{
		struct stat st;

		if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "cannot create %s: not a directory", path);
			return -1;
		}
	}
	return 0;
}

/* The mode a plain creat(2) would give: 0666 less the umask. */
static mode_t file_mode(void)
{
	mode_t m = umask(0);

	umask(m);
	return 0666 & ~m;
}

int report_write_file(const char *path, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text), done = 0;
	char tmp[4200];
	int fd, bad = 0;

	/* A fresh, unpredictable name created with O_EXCL (mkostemp): a name
	 * such as PATH.tmp could be a link planted by another user of a shared
	 * folder such as /tmp, and writing through it would overwrite the file
	 * it points to. rename() replaces PATH itself, never a link's target. */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "cannot write %s: path too long", path);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	/* ENOSPC may surface at write or close: check both. */
	if (fchmod(fd, file_mode()))
		bad = 1;
	while (!bad && done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			bad = 1;
		else
			done += (size_t)n;
	}
	if (bad) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int write_in(const char *dir, const char *name, const char *text, char *err,
		    size_t errlen, int *failed)
{
	char path[4096], why[4400];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (report_write_file(path, text, why, sizeof(why)) == 0)
		return 0;
	if (!*failed)
		snprintf(err, errlen, "%s", why);
	*failed = 1;
	return -1;
}

int report_write_dir(const struct hvb_doc *d, const char *dir, int with_json,
		     const char *gnuplot, char *err, size_t errlen)
{
	struct report_charts charts;
	int failed = 0;
	char *text;

	if (report_mkdirs(dir, err, errlen))
		return -1;
	if (with_json) {
		text = hvb_doc_to_json(d);
		write_in(dir, "results.json", text, err, errlen, &failed);
		free(text);
	}
	text = report_csv(d);
	write_in(dir, "results.csv", text, err, errlen, &failed);
	free(text);
	report_charts(d, dir, gnuplot, &charts);
	text = report_markdown(d, &charts);
	write_in(dir, "report.md", text, err, errlen, &failed);
	free(text);
	return failed ? -1 : 0;
}
