/* result: the RESULT-line parser (see result.h). It owns the workload output
 * contract: `RESULT {json}` with benchmark, metric, unit, better and value,
 * `FAIL name: reason` for a failed self-check, and `UNAVAILABLE name:
 * reason` from a guest workload whose device the machine lacks (the arm64
 * guest's GPIO loopback under QEMU). */
#include "result.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MARK "RESULT "

static int name_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const char *result_check_name(enum result_name kind, const char *s, size_t n)
{
	int unit = kind == RESULT_NAME_UNIT;

	if (unit && n == 0)
		return NULL;
	if (n == 0 || n >= (unit ? RESULT_UNIT_MAX : RESULT_NAME_MAX))
		return unit ? "a unit is at most 31 characters" : "a name is 1 to 63 characters";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int ok = name_alnum(c) || (i > 0 && (c == '.' || c == '_' || c == '-')) ||
			 (unit && (c == '%' || (i > 0 && c == '/')));

		if (!ok)
			return unit ? "a unit may hold only letters, digits and . _ - / %, starting "
				      "with a letter, a digit or %: no spaces, separators or control "
				      "characters"
				    : "a name may hold only letters, digits and . _ -, starting with "
				      "a letter or a digit: no spaces, separators or control "
				      "characters";
	}
	return NULL;
}

/* Copies a JSON string field into dst, requiring it to meet the name rule,
 * so that names can go into tables, scripts and file names safely. */
static int copy_field(json_t *o, const char *key, char *dst, size_t dstlen,
		      enum result_name kind, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s, *why;
	size_t n;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "\"%s\" is missing or not a string", key);
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	why = result_check_name(kind, s, n);
	if (why || n >= dstlen) {
		snprintf(err, errlen, "\"%s\" breaks the name rule: %s", key,
			 why ? why : "too long");
		return -1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int dist_num(json_t *o, const char *key, double *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
	    json_number_value(v) > RESULT_COUNT_MAX) {
		snprintf(err, errlen, "\"%s\" is missing or not a finite number >= 0", key);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

static int is_count(json_t *v)
{
	double x;

	if (!json_is_number(v))
		return 0;
	x = json_number_value(v);
	return isfinite(x) && x >= 0 && x <= RESULT_COUNT_MAX && x == floor(x);
}

int result_dist_parse(const void *obj, struct result_dist *d, char *err, size_t errlen)
{
	/* min, avg and max alone are cyclictest's own summary (the real tool,
	 * lab/realtool.sh): no distribution. Any of these makes one, whole. */
	static const char *const keys[] = {"p50", "p99", "hist", "hist_overflow"};
	json_t *o = (json_t *)(uintptr_t)obj, *hist, *pair;
	size_t i, found = 0;
	double last = -1;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		found += json_object_get(o, keys[i]) != NULL;
	if (!found)
		return 0;
	if (dist_num(o, "min", &d->min, err, errlen) || dist_num(o, "p50", &d->p50, err, errlen) ||
	    dist_num(o, "p99", &d->p99, err, errlen) || dist_num(o, "max", &d->max, err, errlen))
		return -1;
	if (!(d->min <= d->p50 && d->p50 <= d->p99 && d->p99 <= d->max)) {
		snprintf(err, errlen, "latency distribution out of order: min %g, p50 %g, p99 %g, "
			 "max %g", d->min, d->p50, d->p99, d->max);
		return -1;
	}
	if (!is_count(json_object_get(o, "hist_overflow"))) {
		snprintf(err, errlen, "\"hist_overflow\" is missing or not a count");
		return -1;
	}
	d->overflow = json_number_value(json_object_get(o, "hist_overflow"));
	hist = json_object_get(o, "hist");
	if (!json_is_array(hist)) {
		snprintf(err, errlen, "\"hist\" is missing or not an array");
		return -1;
	}
	json_array_foreach(hist, i, pair) {
		json_t *b = json_array_get(pair, 0), *c = json_array_get(pair, 1);
		double us;

		if (!json_is_array(pair) || json_array_size(pair) != 2 || !is_count(b) ||
		    !is_count(c)) {
			snprintf(err, errlen, "\"hist\"[%zu] is not a pair [bucket_us, count]", i);
			return -1;
		}
		us = json_number_value(b);
		if (us >= RESULT_HIST_MAX || us <= last) {
			snprintf(err, errlen, "\"hist\"[%zu]: bucket %g is not below %d and above "
				 "the one before", i, us, RESULT_HIST_MAX);
			return -1;
		}
		last = us;
		d->hist[(size_t)us] = json_number_value(c);
	}
	d->has = 1;
	return 0;
}

enum result_status result_parse_json(const char *json, size_t len, struct result_sample *s,
				     char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o, *v, *check;
	const char *better;
	enum result_status rc = RESULT_MALFORMED;

	memset(s, 0, sizeof(*s));
	if (len > RESULT_LINE_MAX) {
		snprintf(err, errlen, "RESULT line longer than %d bytes", RESULT_LINE_MAX);
		return RESULT_MALFORMED;
	}
	/* No JSON_ALLOW_NUL: an embedded NUL is malformed, not a short string.
	 * Depth is bounded by jansson itself (JSON_PARSER_MAX_DEPTH). */
	/* Integers as reals: a workload may print a 64-bit unsigned checksum,
	 * which jansson would otherwise reject as too big. */
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!o) {
		snprintf(err, errlen, "RESULT is not valid JSON: %s (column %d)", jerr.text,
			 jerr.column);
		return RESULT_MALFORMED;
	}
	if (!json_is_object(o)) {
		snprintf(err, errlen, "RESULT is not a JSON object");
		goto out;
	}
	if (copy_field(o, "benchmark", s->benchmark, sizeof(s->benchmark), RESULT_NAME_WORD, err,
		       errlen) ||
	    copy_field(o, "metric", s->metric, sizeof(s->metric), RESULT_NAME_WORD, err, errlen) ||
	    copy_field(o, "unit", s->unit, sizeof(s->unit), RESULT_NAME_UNIT, err, errlen))
		goto out;
	better = json_string_value(json_object_get(o, "better"));
	if (better && !strcmp(better, "lower")) {
		s->better_higher = 0;
	} else if (better && !strcmp(better, "higher")) {
		s->better_higher = 1;
	} else {
		snprintf(err, errlen, "\"better\" must be \"lower\" or \"higher\"");
		goto out;
	}
	v = json_object_get(o, "value");
	if (!json_is_number(v)) {
		snprintf(err, errlen, "\"value\" is missing or not a number");
		goto out;
	}
	s->value = json_number_value(v);
	/* The cost form needs a finite value, and a positive one for rates. */
	if (!isfinite(s->value) || s->value < 0 || (s->better_higher && s->value == 0)) {
		snprintf(err, errlen, "\"value\" %g is out of range for a %s-is-better metric",
			 s->value, s->better_higher ? "higher" : "lower");
		goto out;
	}
	/* A workload that reports its self-check as false has failed, even if
	 * it printed a number. */
	check = json_object_get(o, "check");
	if (json_is_false(check) ||
	    (json_is_string(check) && (!strcmp(json_string_value(check), "fail") ||
				       !strcmp(json_string_value(check), "failed")))) {
		snprintf(err, errlen, "%s: self-check failed", s->benchmark);
		rc = RESULT_FAILED;
		goto out;
	}
	if (result_dist_parse(o, &s->dist, err, errlen))
		goto out;
	rc = RESULT_OK;
out:
	json_decref(o);
	return rc;
}

/* Finds needle in the first n bytes of hay (NULs allowed in hay). */
static const char *find_bytes(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	if (m > n)
		return NULL;
	for (size_t i = 0; i + m <= n; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, m))
			return hay + i;
	return NULL;
}

/* Copies at most one line of printable text for an error message. */
static void copy_reason(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 1 < dstlen; i++)
		dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[j] = '\0';
}

enum result_status result_scan(const char *out, size_t len, const char *expect,
			       struct result_sample *s, char *err, size_t errlen)
{
	char first_err[RESULT_REASON_MAX] = "";
	int have = 0;
	size_t pos = 0;

	memset(s, 0, sizeof(*s));
	while (pos < len) {
		const char *line = out + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		const char *mark;

		pos += n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r') /* serial consoles send CRLF */
			n--;
		if (n >= 5 && !memcmp(line, "FAIL ", 5)) {
			char reason[RESULT_REASON_MAX];

			copy_reason(reason, sizeof(reason), line + 5, n - 5);
			snprintf(err, errlen, "%s", reason);
			return RESULT_FAILED;
		}
		if (n >= 12 && !memcmp(line, "UNAVAILABLE ", 12)) {
			char reason[RESULT_REASON_MAX];

			copy_reason(reason, sizeof(reason), line + 12, n - 12);
			snprintf(err, errlen, "unavailable: %s", reason);
			return RESULT_FAILED;
		}
		/* On a console other output can share the line: take the marker
		 * wherever it starts. */
		mark = find_bytes(line, n, MARK "{");
		if (!mark || have)
			continue;
		{
			struct result_sample t;
			char why[RESULT_REASON_MAX];
			size_t off = (size_t)(mark - line) + strlen(MARK);
			enum result_status st = result_parse_json(line + off, n - off, &t, why,
								  sizeof(why));

			if (st == RESULT_FAILED) {
				snprintf(err, errlen, "%s", why);
				return RESULT_FAILED;
			}
			if (st != RESULT_OK) {
				if (!first_err[0])
					snprintf(first_err, sizeof(first_err), "%s", why);
				continue;
			}
			if (expect && strcmp(t.benchmark, expect)) {
				snprintf(err, errlen,
					 "RESULT names benchmark \"%s\", expected \"%s\"",
					 t.benchmark, expect);
				return RESULT_MALFORMED;
			}
			*s = t;
			have = 1;
		}
	}
	if (have)
		return RESULT_OK;
	if (first_err[0]) {
		snprintf(err, errlen, "%s", first_err);
		return RESULT_MALFORMED;
	}
	snprintf(err, errlen, "no RESULT line in the output");
	return RESULT_NONE;
}
