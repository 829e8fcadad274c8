/*
 * fmt: a freestanding text formatter for RESULT lines and messages.
 *
 * Owns: appending strings, integers, fixed-point doubles and JSON strings
 * to a caller-supplied buffer. Never writes past the buffer: on overflow it
 * keeps what fits, NUL-terminates, and sets `overflow` so the caller can
 * tell. No allocation, no libc.
 */
#ifndef BENCH_FMT_H
#define BENCH_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fmt {
	char *buf;
	size_t cap;     /* bytes in buf, including room for the NUL */
	size_t len;     /* bytes used, excluding the NUL */
	bool overflow;  /* something did not fit */
};

/* Starts an empty string in buf[cap] (cap >= 1). */
void fmt_init(struct fmt *f, char *buf, size_t cap);
void fmt_char(struct fmt *f, char c);
void fmt_str(struct fmt *f, const char *s);
void fmt_mem(struct fmt *f, const char *s, size_t n);
void fmt_u64(struct fmt *f, uint64_t v);
void fmt_i64(struct fmt *f, int64_t v);
/* `v` rounded half away from zero to `decimals` (0..9) digits after the
 * point, e.g. fmt_f64(f, -2.5, 0) -> "-3", fmt_f64(f, 1.005, 1) -> "1.0".
 * Values of magnitude >= 1e15 are written as d.ddddddde+XX, NaN and
 * infinities as null (all three forms are valid JSON numbers/literals). */
void fmt_f64(struct fmt *f, double v, unsigned decimals);
/* `s` as a JSON string with its quotes: ", \ and control characters
 * escaped (\n \t \r \b \f, others as \u00XX); bytes >= 0x80 pass through. */
void fmt_json_str(struct fmt *f, const char *s);

/* Length of a NUL-terminated string, and equality of two; the workloads'
 * replacements for strlen/strcmp. */
size_t fmt_strlen(const char *s);
bool fmt_streq(const char *a, const char *b);

#endif
