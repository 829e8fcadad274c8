/* result: parsing the output of one workload run (native runner or serial
 * console of a guest) into one measurement. The output is untrusted: it may
 * be truncated, interleaved with console noise, contain NUL bytes or be
 * plain garbage; the parser must bound everything and never crash. */
#ifndef HVB_RESULT_H
#define HVB_RESULT_H

#include <stddef.h>

#define RESULT_NAME_MAX 64
#define RESULT_UNIT_MAX 32
#define RESULT_REASON_MAX 256
/* A RESULT line longer than this is rejected rather than parsed. */
#define RESULT_LINE_MAX (256 * 1024)

/* The name rule: what a benchmark, group or metric name (RESULT_NAME_WORD)
 * or a unit (RESULT_NAME_UNIT) may be. Names go into file names, table
 * cells, gnuplot scripts and command lines, so the rule is narrow: a word is
 * 1 to RESULT_NAME_MAX - 1 bytes of A-Z a-z 0-9 . _ - starting with a letter
 * or a digit; a unit is empty or 1 to RESULT_UNIT_MAX - 1 bytes of the same
 * and / %, starting with a letter, digit or %. hvbench applies it to every
 * name it takes in (`bench list`, RESULT lines) and to every name it loads
 * from results.json. Returns NULL when the n bytes at s meet it, otherwise
 * the rule in words for a message (static text). */
enum result_name { RESULT_NAME_WORD, RESULT_NAME_UNIT };
const char *result_check_name(enum result_name kind, const char *s, size_t n);

/* The latency workloads' distribution (src/bench/wl_latency.c,
 * latency_begin): min/p50/p99/max in us and a histogram of 1 us buckets
 * [bucket_us, count], empty buckets left out, later samples counted in
 * hist_overflow. A bucket is below RESULT_HIST_MAX (the widest hist_us a
 * workload takes). Held densely here: one run's line, bounded. */
#define RESULT_HIST_MAX 1000
/* A count or bucket above this is refused: beyond it a double no longer
 * holds every integer exactly (2^53). */
#define RESULT_COUNT_MAX 9007199254740992.0

struct result_dist {
	int has; /* 0: the line has no distribution (not a latency workload) */
	double min, p50, p99, max;
	double hist[RESULT_HIST_MAX]; /* counts, integers */
	double overflow;
};

struct result_sample {
	char benchmark[RESULT_NAME_MAX];
	char metric[RESULT_NAME_MAX];
	char unit[RESULT_UNIT_MAX];
	int better_higher;
	double value;
	struct result_dist dist;
};

/* Reads a distribution from a parsed RESULT object or a results.json run
 * (the same keys: min, p50, p99, max, hist, hist_overflow). Returns 0 with
 * d->has = 0 when none of p50, p99, hist, hist_overflow is there (min, avg
 * and max alone are cyclictest's summary), 0 with d->has = 1 when all are
 * and meet the contract (finite, 0 <= min <= p50 <= p99 <= max, buckets
 * strictly increasing integers below RESULT_HIST_MAX, counts integers),
 * otherwise -1 with the reason in err. o is a json_t *. */
int result_dist_parse(const void *o, struct result_dist *d, char *err, size_t errlen);

enum result_status {
	RESULT_OK = 0,
	RESULT_NONE,      /* no RESULT line at all */
	RESULT_MALFORMED, /* a RESULT line that does not meet the contract */
	RESULT_FAILED,    /* the workload said `FAIL name: reason` or check=false */
};

/* Parses one RESULT payload (the text after "RESULT ", without the newline).
 * On error returns RESULT_MALFORMED or RESULT_FAILED with a reason in err. */
enum result_status result_parse_json(const char *json, size_t len, struct result_sample *s,
				     char *err, size_t errlen);

/* Scans a whole output buffer (len bytes, NUL bytes allowed) for the
 * measurement of workload `expect` (NULL: any). A `FAIL ...` line (or an
 * `UNAVAILABLE name: reason` line, reported as "unavailable: name: reason")
 * wins over any RESULT line; otherwise the first RESULT line that parses is taken; a
 * RESULT line naming another workload is an error. Returns RESULT_OK with *s
 * filled, or another status with a reason in err. */
enum result_status result_scan(const char *out, size_t len, const char *expect,
			       struct result_sample *s, char *err, size_t errlen);

#endif
