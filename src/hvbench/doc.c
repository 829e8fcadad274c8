/* doc: the results model of hvbench.h: memory helpers, per-result statistics
 * (hvb_result_finish) and the results.json schema "hvbench/1" in both
 * directions. This file is the one place that knows the JSON layout. */
#include "hvbench.h"
#include "dist.h"
#include "escape.h"
#include "neighbour.h"
#include "result.h"
#include "stats.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *hvb_json_text(json_t *root, int digits)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(digits));
	json_decref(root);
	if (!text)
		abort(); /* out of memory */
	size_t n = strlen(text);
	char *out = hvb_xmalloc(n + 2);
	memcpy(out, text, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(text);
	return out;
}

void *hvb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

void *hvb_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *hvb_xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		abort();
	return d;
}

int hvb_result_is(const struct hvb_result *r, const char *st)
{
	return r->status && !strcmp(r->status, st);
}

const char *hvb_str_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

void hvb_buf_add(struct hvb_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = hvb_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void hvb_buf_puts(struct hvb_buf *b, const char *s)
{
	hvb_buf_add(b, s, strlen(s));
}

void hvb_buf_vprintf(struct hvb_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		abort();
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->p = hvb_xrealloc(b->p, b->cap);
	}
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void hvb_buf_printf(struct hvb_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hvb_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *hvb_buf_take(struct hvb_buf *b)
{
	char *p = b->p ? b->p : hvb_xstrdup("");

	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void hvb_side_add(struct hvb_side *s, double v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->samples = hvb_xrealloc(s->samples, s->cap * sizeof(*s->samples));
		if (s->dist)
			s->dist = hvb_xrealloc(s->dist, s->cap * sizeof(*s->dist));
	}
	if (s->dist)
		memset(&s->dist[s->n], 0, sizeof(*s->dist));
	s->samples[s->n++] = v;
}

static void side_init(struct hvb_side *s)
{
	memset(s, 0, sizeof(*s));
	s->median = s->ci_lo = s->ci_hi = (double)NAN;
}

struct hvb_result *hvb_doc_add(struct hvb_doc *d, const char *benchmark, const char *group)
{
	struct hvb_result *r;

	d->results = hvb_xrealloc(d->results, (d->nresults + 1) * sizeof(*d->results));
	r = &d->results[d->nresults++];
	memset(r, 0, sizeof(*r));
	r->benchmark = hvb_xstrdup(benchmark);
	r->group = hvb_xstrdup(group);
	r->has_native = 1;
	side_init(&r->native);
	side_init(&r->virt);
	side_init(&r->virt_nb);
	r->nb_change = r->nb_lo = r->nb_hi = (double)NAN;
	r->overhead = r->ov_lo = r->ov_hi = (double)NAN;
	r->status = hvb_xstrdup(HVB_ST_NOT_RUN);
	return r;
}

static void result_free(struct hvb_result *r)
{
	free(r->benchmark);
	free(r->group);
	free(r->metric);
	free(r->unit);
	free(r->native.samples);
	free(r->virt.samples);
	free(r->virt_nb.samples);
	hvb_side_free_dists(&r->native);
	hvb_side_free_dists(&r->virt);
	hvb_side_free_dists(&r->virt_nb);
	free(r->status);
	free(r->error);
}

void hvb_doc_free(struct hvb_doc *d)
{
	struct hvb_host *h = &d->host;
	struct hvb_config *c = &d->config;

	for (size_t i = 0; i < d->nresults; i++)
		result_free(&d->results[i]);
	free(d->results);
	free(h->hostname);
	free(h->cpu_model);
	free(h->arch);
	free(h->kernel);
	free(h->kvm);
	free(h->kvm_kind);
	free(h->governor);
	free(h->date);
	free(h->revision);
	free(c->size);
	free(c->guest);
	free(c->vmm);
	free(c->monitor);
	free(c->kernel);
	free(c->initrd);
	free(c->native_only_reason);
	free(c->native_cmd);
	free(c->virt_cmd);
	free(c->stopped_by);
	free(c->nb_llc_source);
	memset(d, 0, sizeof(*d));
}

void hvb_result_set_error(struct hvb_result *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(r->error);
	r->error = hvb_xstrdup(msg);
	free(r->status);
	r->status = hvb_xstrdup(HVB_ST_FAILED);
}

static void side_finish(struct hvb_side *s)
{
	s->median = stats_median(s->samples, s->n);
	stats_median_ci95(s->samples, s->n, STATS_RESAMPLES, STATS_SEED, &s->ci_lo, &s->ci_hi);
}

static void set_status(struct hvb_result *r, const char *st)
{
	free(r->status);
	r->status = hvb_xstrdup(st);
}

void hvb_result_finish(struct hvb_result *r, int incomplete)
{
	enum stats_better b = r->better_higher ? STATS_HIGHER : STATS_LOWER;
	/* A failure, and a workload the monitor cannot run, keep their
	 * status whatever was measured. */
	int failed = r->status && (!strcmp(r->status, HVB_ST_FAILED) ||
				   !strcmp(r->status, HVB_ST_UNAVAILABLE));
	int noisy;

	if (r->has_native)
		side_finish(&r->native);
	if (r->has_virt)
		side_finish(&r->virt);
	if (r->has_nb) {
		side_finish(&r->virt_nb);
		if (r->virt.n && r->virt_nb.n) {
			r->nb_change = stats_overhead_of(r->virt.median, r->virt_nb.median, b);
			stats_overhead_ci95(r->virt.samples, r->virt.n, r->virt_nb.samples,
					    r->virt_nb.n, b, STATS_RESAMPLES, STATS_SEED,
					    &r->nb_lo, &r->nb_hi);
		}
	}
	r->overhead = r->ov_lo = r->ov_hi = (double)NAN;
	if (r->has_native && r->has_virt && r->native.n && r->virt.n) {
		r->overhead = stats_overhead_of(r->native.median, r->virt.median, b);
		stats_overhead_ci95(r->native.samples, r->native.n, r->virt.samples, r->virt.n,
				    b, STATS_RESAMPLES, STATS_SEED, &r->ov_lo, &r->ov_hi);
	}
	if (failed)
		return;
	if ((!r->has_native || r->native.n == 0) && (!r->has_virt || r->virt.n == 0)) {
		/* Nothing measured: cut short during its warm-up, or never run. */
		set_status(r, incomplete ? HVB_ST_INCOMPLETE : HVB_ST_NOT_RUN);
		return;
	}
	if (incomplete) {
		set_status(r, HVB_ST_INCOMPLETE);
		return;
	}
	noisy = r->has_native &&
		stats_side_noisy(r->native.median, r->native.ci_lo, r->native.ci_hi);
	if (r->has_virt)
		noisy = noisy || stats_side_noisy(r->virt.median, r->virt.ci_lo, r->virt.ci_hi) ||
			stats_overhead_noisy(r->ov_lo, r->ov_hi);
	set_status(r, noisy ? HVB_ST_NOISY : HVB_ST_OK);
}

/* ---- JSON out ---- */

/* jansson cannot hold NaN or infinities: an undefined number is null. */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Free text (host, configuration, errors) is written as the loader will
 * accept it: control characters, invalid UTF-8 (which json_string would
 * refuse) and overlong strings are made harmless here, once. */
static json_t *jtext(const char *s)
{
	char *c = esc_text_clean(s);
	json_t *v = jstr(c);

	free(c);
	return v;
}

static json_t *jpair(double lo, double hi)
{
	if (!isfinite(lo) || !isfinite(hi))
		return json_null();
	return json_pack("[oo]", json_real(lo), json_real(hi));
}

static json_t *side_json(const struct hvb_side *s)
{
	json_t *samples = json_array();

	json_t *o;

	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(samples, jnum(s->samples[i]));
	o = json_pack("{s:o,s:o,s:o}", "samples", samples, "median", jnum(s->median), "ci95",
		      jpair(s->ci_lo, s->ci_hi));
	dist_to_json(s, o);
	return o;
}

static const char *const nb_rel_names[] = {"smt_sibling", "same_package", "other"};

/* config.interference: which neighbours ran, where, and (llc, host) the
 * cache their working set was sized from, so two runs can be told apart. */
static json_t *interference_json(const struct hvb_config *c)
{
	unsigned kinds = c->nb_kinds ? c->nb_kinds : HVB_NB_MEMORY;
	struct hvb_buf b = {0};
	json_t *o, *names = json_array();

	nb_describe(&b, c);
	o = json_pack("{s:s,s:i}", "neighbour", b.p ? b.p : "", "cpu", c->nb_cpu);
	free(b.p);
	for (size_t k = 0; k < NB_MAX; k++)
		if (kinds & (1u << k))
			json_array_append_new(names, json_string(nb_kind_names[k]));
	json_object_set_new(o, "neighbours", names);
	if (kinds & (HVB_NB_LLC | HVB_NB_HOST)) {
		json_object_set_new(o, "llc", json_pack("{s:I,s:i,s:o}", "bytes",
							(json_int_t)c->nb_llc_bytes, "level",
							c->nb_llc_level, "source",
							jtext(c->nb_llc_source)));
		json_object_set_new(o, "working_set_bytes", json_integer(c->nb_ws_bytes));
	}
	json_t *used = json_object();
	for (size_t k = 0; k < NB_MAX; k++)
		if (kinds & (1u << k))
			json_object_set_new(used, nb_kind_names[k], jnum(c->nb_cpu_s[k]));
	json_object_set_new(o, "cpu_seconds", used);
	if (kinds & HVB_NB_HOST) {
		json_object_set_new(o, "host_cpu", json_integer(c->nb_host_cpu));
		json_object_set_new(o, "host_cpu_is",
				    json_string(nb_rel_names[c->nb_host_rel >= 0 && c->nb_host_rel <= 2
								   ? c->nb_host_rel
								   : HVB_NB_REL_OTHER]));
	}
	return o;
}

static json_t *result_json(const struct hvb_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "benchmark", jstr(r->benchmark));
	json_object_set_new(o, "group", jstr(r->group));
	json_object_set_new(o, "metric", jstr(r->metric));
	json_object_set_new(o, "unit", jstr(r->unit));
	json_object_set_new(o, "better", json_string(r->better_higher ? "higher" : "lower"));
	json_object_set_new(o, "status", jstr(r->status));
	if (r->error)
		json_object_set_new(o, "error", jtext(r->error));
	json_object_set_new(o, "native", r->has_native ? side_json(&r->native) : json_null());
	json_object_set_new(o, "virt", r->has_virt ? side_json(&r->virt) : json_null());
	if (r->has_nb) { /* only in --interference runs */
		json_object_set_new(o, "virt_neighbour", side_json(&r->virt_nb));
		json_object_set_new(o, "neighbour_change_pct", jnum(r->nb_change));
		json_object_set_new(o, "neighbour_change_ci95", jpair(r->nb_lo, r->nb_hi));
	}
	json_object_set_new(o, "overhead_pct", jnum(r->overhead));
	json_object_set_new(o, "overhead_ci95", jpair(r->ov_lo, r->ov_hi));
	return o;
}

char *hvb_doc_to_json(const struct hvb_doc *d)
{
	const struct hvb_host *h = &d->host;
	const struct hvb_config *c = &d->config;
	json_t *root = json_object(), *host = json_object(), *cfg = json_object();
	json_t *results = json_array(), *benches = json_array();

	json_object_set_new(root, "schema", json_string(HVB_SCHEMA));
	json_object_set_new(host, "hostname", jtext(h->hostname));
	json_object_set_new(host, "cpu_model", jtext(h->cpu_model));
	json_object_set_new(host, "arch", jtext(h->arch));
	json_object_set_new(host, "cpus", json_integer(h->cpus));
	json_object_set_new(host, "kernel", jtext(h->kernel));
	json_object_set_new(host, "kvm", jtext(h->kvm));
	json_object_set_new(host, "kvm_kind", jtext(h->kvm_kind));
	json_object_set_new(host, "cpufreq_governor", jtext(h->governor));
	json_object_set_new(host, "date", jtext(h->date));
	json_object_set_new(host, "hvbench_revision", jtext(h->revision));
	json_object_set_new(root, "host", host);

	for (size_t i = 0; i < d->nresults; i++)
		json_array_append_new(benches, json_string(d->results[i].benchmark));
	json_object_set_new(cfg, "benchmarks", benches);
	json_object_set_new(cfg, "reps", json_integer(c->reps));
	json_object_set_new(cfg, "warmup", json_integer(c->warmup));
	json_object_set_new(cfg, "size", jtext(c->size));
	json_object_set_new(cfg, "cpu", c->cpu >= 0 ? json_integer(c->cpu) : json_null());
	json_object_set_new(cfg, "timeout_s", json_integer(c->timeout_s));
	json_object_set_new(cfg, "guest", jtext(c->guest));
	json_object_set_new(cfg, "vmm", jtext(c->vmm));
	json_object_set_new(cfg, "monitor", jtext(c->monitor));
	json_object_set_new(cfg, "kernel", jtext(c->kernel));
	json_object_set_new(cfg, "initrd", jtext(c->initrd));
	json_object_set_new(cfg, "native_only", json_boolean(c->native_only));
	json_object_set_new(cfg, "native_only_reason", jtext(c->native_only_reason));
	json_object_set_new(cfg, "runners", json_pack("{s:o,s:o}", "native", jtext(c->native_cmd),
						      "virt", jtext(c->virt_cmd)));
	if (c->realtime) /* only in --realtime runs: older files stay as they were */
		json_object_set_new(cfg, "realtime", json_true());
	if (c->io_placed)
		json_object_set_new(cfg, "device_io",
				    json_pack("{s:i,s:i,s:i}", "native_cpu", c->cpu, "vcpu_cpu", c->cpu,
					      "io_thread_cpu", c->io_cpu));
	if (c->interference)
		json_object_set_new(cfg, "interference", interference_json(c));
	json_object_set_new(cfg, "incomplete", json_boolean(c->incomplete));
	json_object_set_new(cfg, "stopped_by", jtext(c->stopped_by));
	json_object_set_new(root, "config", cfg);

	for (size_t i = 0; i < d->nresults; i++)
		json_array_append_new(results, result_json(&d->results[i]));
	json_object_set_new(root, "results", results);

	/* 15 significant digits: round-trips every value a workload prints and
	 * keeps 0.1 from becoming 0.10000000000000001. */
	return hvb_json_text(root, 15);
}

/* ---- JSON in ---- */

/* results.json may have been edited by hand, or made by someone else to
 * attack whoever renders it: check every type, never trust a field to be
 * present, and refuse any string that breaks the rule hvbench writes it
 * by. (Numbers of the wrong type are rendered as unknown.) */

/* "WHERE.KEY: "VALUE" WHY": the value as it is (cut to 80 bytes); whoever
 * prints the message escapes it for the terminal. */
static int refuse(char *err, size_t errlen, const char *where, const char *key,
		  const char *value, const char *why)
{
	snprintf(err, errlen, "%s%s%s: \"%.80s\"%s %s", where, where[0] ? "." : "", key, value,
		 strlen(value) > 80 ? "..." : "", why);
	return -1;
}

enum field_rule {
	FIELD_TEXT, /* free text: esc_text_check */
	FIELD_WORD, /* benchmark, group, metric */
	FIELD_UNIT,
	FIELD_STATUS, /* one of HVB_ST_* */
	FIELD_BETTER, /* "lower" or "higher" */
};

/* A string field: absent or null leaves *out NULL; a string that meets the
 * rule is copied to *out; anything else is refused. Returns 0 or -1. */
static int get_field(json_t *o, const char *where, const char *key, enum field_rule rule,
		     char **out, char *err, size_t errlen)
{
	static const char *const statuses[] = {HVB_ST_OK, HVB_ST_NOISY, HVB_ST_FAILED,
					       HVB_ST_INCOMPLETE, HVB_ST_NOT_RUN,
					       HVB_ST_UNAVAILABLE};
	json_t *v = json_object_get(o, key);
	const char *s, *why = NULL;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s%s%s: not a string", where, where[0] ? "." : "", key);
		return -1;
	}
	s = json_string_value(v);
	switch (rule) {
	case FIELD_TEXT:
		if ((why = esc_text_check(s)))
			return refuse(err, errlen, where, key, s, why);
		break;
	case FIELD_WORD:
	case FIELD_UNIT:
		why = result_check_name(rule == FIELD_UNIT ? RESULT_NAME_UNIT : RESULT_NAME_WORD, s,
					json_string_length(v));
		if (why) {
			char msg[400];

			snprintf(msg, sizeof(msg), "breaks the name rule hvbench writes it by: %s",
				 why);
			return refuse(err, errlen, where, key, s, msg);
		}
		break;
	case FIELD_STATUS: {
		size_t i;

		for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
			if (!strcmp(s, statuses[i]))
				break;
		if (i == sizeof(statuses) / sizeof(statuses[0]))
			return refuse(err, errlen, where, key, s, "is not a status hvbench writes "
				      "(ok, noisy, failed, incomplete, not_run)");
		break;
	}
	case FIELD_BETTER:
		if (strcmp(s, "lower") && strcmp(s, "higher"))
			return refuse(err, errlen, where, key, s, "is neither \"lower\" nor "
				      "\"higher\"");
		break;
	}
	*out = hvb_xstrdup(s);
	return 0;
}

static double get_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : (double)NAN;
}

static int get_int(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void get_pair(json_t *o, const char *key, double *lo, double *hi)
{
	json_t *v = json_object_get(o, key);

	*lo = *hi = (double)NAN;
	if (json_is_array(v) && json_array_size(v) == 2 &&
	    json_is_number(json_array_get(v, 0)) && json_is_number(json_array_get(v, 1))) {
		*lo = json_number_value(json_array_get(v, 0));
		*hi = json_number_value(json_array_get(v, 1));
	}
}

static int side_from_json(json_t *o, struct hvb_side *s, char *err, size_t errlen,
			  const char *where)
{
	json_t *samples = json_object_get(o, "samples"), *v;
	size_t i;

	if (!json_is_object(o) || !json_is_array(samples)) {
		snprintf(err, errlen, "%s: expected an object with a \"samples\" array", where);
		return -1;
	}
	json_array_foreach(samples, i, v) {
		if (!json_is_number(v)) {
			snprintf(err, errlen, "%s: sample %zu is not a number", where, i);
			return -1;
		}
		hvb_side_add(s, json_number_value(v));
	}
	s->median = get_num(o, "median");
	get_pair(o, "ci95", &s->ci_lo, &s->ci_hi);
	return dist_from_json(o, s, where, err, errlen);
}

static int result_from_json(json_t *o, struct hvb_doc *d, size_t idx, char *err, size_t errlen)
{
	struct hvb_result *r;
	json_t *virt, *native, *nb;
	char where[64], side[96], *name, *group, *better;

	snprintf(where, sizeof(where), "results[%zu]", idx);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: not an object", where);
		return -1;
	}
	if (get_field(o, where, "benchmark", FIELD_WORD, &name, err, errlen))
		return -1;
	if (!name) {
		snprintf(err, errlen, "%s: no \"benchmark\" string", where);
		return -1;
	}
	if (get_field(o, where, "group", FIELD_WORD, &group, err, errlen)) {
		free(name);
		return -1;
	}
	r = hvb_doc_add(d, name, group ? group : "other");
	free(name);
	free(group);
	free(r->status);
	r->status = NULL;
	if (get_field(o, where, "better", FIELD_BETTER, &better, err, errlen))
		return -1;
	r->better_higher = better && !strcmp(better, "higher");
	free(better);
	/* The others belong to r, which hvb_doc_free frees on failure. */
	if (get_field(o, where, "metric", FIELD_WORD, &r->metric, err, errlen) ||
	    get_field(o, where, "unit", FIELD_UNIT, &r->unit, err, errlen) ||
	    get_field(o, where, "status", FIELD_STATUS, &r->status, err, errlen) ||
	    get_field(o, where, "error", FIELD_TEXT, &r->error, err, errlen))
		return -1;
	if (!r->status)
		r->status = hvb_xstrdup(HVB_ST_OK);
	snprintf(side, sizeof(side), "%s.native", where);
	native = json_object_get(o, "native");
	r->has_native = !json_is_null(native);
	if (r->has_native && side_from_json(native, &r->native, err, errlen, side))
		return -1;
	virt = json_object_get(o, "virt");
	if (virt && !json_is_null(virt)) {
		r->has_virt = 1;
		snprintf(side, sizeof(side), "%s.virt", where);
		if (side_from_json(virt, &r->virt, err, errlen, side))
			return -1;
	}
	r->overhead = get_num(o, "overhead_pct");
	get_pair(o, "overhead_ci95", &r->ov_lo, &r->ov_hi);
	nb = json_object_get(o, "virt_neighbour");
	if (nb && !json_is_null(nb)) {
		r->has_nb = 1;
		snprintf(side, sizeof(side), "%s.virt_neighbour", where);
		if (side_from_json(nb, &r->virt_nb, err, errlen, side))
			return -1;
		r->nb_change = get_num(o, "neighbour_change_pct");
		get_pair(o, "neighbour_change_ci95", &r->nb_lo, &r->nb_hi);
	}
	return 0;
}

/* The host and configuration strings: free text, each checked. */
struct text_field {
	const char *key;
	size_t off; /* of the char * in struct hvb_host or struct hvb_config */
};

static const struct text_field host_text[] = {
	{"hostname", offsetof(struct hvb_host, hostname)},
	{"cpu_model", offsetof(struct hvb_host, cpu_model)},
	{"arch", offsetof(struct hvb_host, arch)},
	{"kernel", offsetof(struct hvb_host, kernel)},
	{"kvm", offsetof(struct hvb_host, kvm)},
	{"kvm_kind", offsetof(struct hvb_host, kvm_kind)},
	{"cpufreq_governor", offsetof(struct hvb_host, governor)},
	{"date", offsetof(struct hvb_host, date)},
	{"hvbench_revision", offsetof(struct hvb_host, revision)},
};

static const struct text_field config_text[] = {
	{"size", offsetof(struct hvb_config, size)},
	{"guest", offsetof(struct hvb_config, guest)},
	{"vmm", offsetof(struct hvb_config, vmm)},
	{"monitor", offsetof(struct hvb_config, monitor)},
	{"kernel", offsetof(struct hvb_config, kernel)},
	{"initrd", offsetof(struct hvb_config, initrd)},
	{"native_only_reason", offsetof(struct hvb_config, native_only_reason)},
	{"stopped_by", offsetof(struct hvb_config, stopped_by)},
};

static int get_texts(json_t *o, const char *where, const struct text_field *f, size_t n,
		     void *base, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (get_field(o, where, f[i].key, FIELD_TEXT, (char **)((char *)base + f[i].off),
			      err, errlen))
			return -1;
	return 0;
}

/* config.interference back into c (absent "neighbours": a file from before
 * the choice was recorded, whose one neighbour was memory). */
static int interference_from_json(json_t *itf, struct hvb_config *c, char *err, size_t errlen)
{
	json_t *names = json_object_get(itf, "neighbours"), *v, *llc;
	size_t i;

	c->interference = 1;
	c->nb_cpu = get_int(itf, "cpu", 0);
	c->nb_kinds = json_is_array(names) ? 0 : HVB_NB_MEMORY;
	json_array_foreach(names, i, v) {
		const char *n = json_string_value(v);
		size_t k;

		for (k = 0; n && k < NB_MAX; k++)
			if (!strcmp(n, nb_kind_names[k]))
				break;
		if (!n || k == NB_MAX) {
			snprintf(err, errlen, "config.interference.neighbours[%zu]: not one of "
				 "memory, llc, io, host", i);
			return -1;
		}
		c->nb_kinds |= 1u << k;
	}
	if (!c->nb_kinds)
		c->nb_kinds = HVB_NB_MEMORY;
	for (size_t k = 0; k < NB_MAX; k++)
		c->nb_cpu_s[k] = get_num(json_object_get(itf, "cpu_seconds"), nb_kind_names[k]);
	llc = json_object_get(itf, "llc");
	if (json_is_object(llc)) {
		json_t *by = json_object_get(llc, "bytes");

		c->nb_llc_bytes = json_is_integer(by) ? (long long)json_integer_value(by) : -1;
		c->nb_llc_level = get_int(llc, "level", 0);
		if (get_field(llc, "config.interference.llc", "source", FIELD_TEXT,
			      &c->nb_llc_source, err, errlen))
			return -1;
	}
	v = json_object_get(itf, "working_set_bytes");
	c->nb_ws_bytes = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
	c->nb_host_cpu = get_int(itf, "host_cpu", -1);
	c->nb_host_rel = HVB_NB_REL_OTHER;
	for (size_t k = 0; k < 3; k++)
		if (json_is_string(json_object_get(itf, "host_cpu_is")) &&
		    !strcmp(json_string_value(json_object_get(itf, "host_cpu_is")), nb_rel_names[k]))
			c->nb_host_rel = (int)k;
	return 0;
}

int hvb_doc_from_json(const char *text, size_t len, struct hvb_doc *d, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *host, *cfg, *runners, *results, *v, *itf;
	const char *schema;
	size_t i;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -1;
	}
	schema = json_string_value(json_object_get(root, "schema"));
	if (!schema || strcmp(schema, HVB_SCHEMA)) {
		snprintf(err, errlen, "not an %s document (\"schema\" is %.40s)", HVB_SCHEMA,
			 schema ? schema : "missing");
		goto out;
	}
	host = json_object_get(root, "host");
	cfg = json_object_get(root, "config");
	results = json_object_get(root, "results");
	if (!json_is_object(host) || !json_is_object(cfg) || !json_is_array(results)) {
		snprintf(err, errlen, "\"host\", \"config\" and \"results\" must all be present");
		goto out;
	}
	if (get_texts(host, "host", host_text, sizeof(host_text) / sizeof(host_text[0]),
		      &d->host, err, errlen) ||
	    get_texts(cfg, "config", config_text, sizeof(config_text) / sizeof(config_text[0]),
		      &d->config, err, errlen))
		goto out;
	d->host.cpus = get_int(host, "cpus", 0);
	d->config.reps = get_int(cfg, "reps", 0);
	d->config.warmup = get_int(cfg, "warmup", 0);
	d->config.cpu = get_int(cfg, "cpu", -1);
	d->config.timeout_s = get_int(cfg, "timeout_s", 0);
	d->config.native_only = json_is_true(json_object_get(cfg, "native_only"));
	d->config.realtime = json_is_true(json_object_get(cfg, "realtime"));
	itf = json_object_get(cfg, "device_io");
	if (json_is_object(itf)) {
		d->config.io_placed = 1;
		d->config.io_cpu = get_int(itf, "io_thread_cpu", -1);
	}
	itf = json_object_get(cfg, "interference");
	if (json_is_object(itf) && interference_from_json(itf, &d->config, err, errlen))
		goto out;
	runners = json_object_get(cfg, "runners");
	if (json_is_object(runners) &&
	    (get_field(runners, "config.runners", "native", FIELD_TEXT, &d->config.native_cmd, err,
		       errlen) ||
	     get_field(runners, "config.runners", "virt", FIELD_TEXT, &d->config.virt_cmd, err,
		       errlen)))
		goto out;
	d->config.incomplete = json_is_true(json_object_get(cfg, "incomplete"));

	json_array_foreach(results, i, v) {
		if (result_from_json(v, d, i, err, errlen))
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc)
		hvb_doc_free(d);
	return rc;
}
