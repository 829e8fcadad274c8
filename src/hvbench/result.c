/* result: the RESULT-line parser (see result.h). It owns the workload output
 * contract: `RESULT {json}` with benchmark, metric, unit, better and value,
 * and `FAIL name: reason` for a failed self-check. */
#include "result.h"

#include <jansson.h>
#include <math.h>
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
