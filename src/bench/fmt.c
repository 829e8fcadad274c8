/*
 * fmt: bounded string building for RESULT lines (see fmt.h). Freestanding:
 * integer and fixed-point conversion are done digit by digit here.
 */
#include "fmt.h"

void fmt_init(struct fmt *f, char *buf, size_t cap)
{
	f->buf = buf;
	f->cap = cap;
	f->len = 0;
	f->overflow = false;
	buf[0] = '\0';
}

void fmt_char(struct fmt *f, char c)
{
	if (f->len + 1 >= f->cap) {
		f->overflow = true;
		return;
	}
	f->buf[f->len++] = c;
	f->buf[f->len] = '\0';
}

void fmt_mem(struct fmt *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fmt_char(f, s[i]);
}

void fmt_str(struct fmt *f, const char *s)
{
	while (*s)
		fmt_char(f, *s++);
}

void fmt_u64(struct fmt *f, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		fmt_char(f, tmp[--n]);
}

void fmt_i64(struct fmt *f, int64_t v)
{
	if (v < 0) {
		fmt_char(f, '-');
		/* negate in unsigned arithmetic: INT64_MIN has no positive twin */
		fmt_u64(f, 0 - (uint64_t)v);
	} else {
		fmt_u64(f, (uint64_t)v);
	}
}

static const double fmt_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
};

/* Scientific form for large magnitudes: 7 significant digits. */
static void fmt_f64_sci(struct fmt *f, double v)
{
	int e = 0;

	while (v >= 10.0) {
		v /= 10.0;
		e++;
	}
	uint64_t m = (uint64_t)(v * 1e6 + 0.5);
	if (m >= 10000000) { /* rounding carried into a new digit */
		m /= 10;
		e++;
	}
	fmt_u64(f, m / 1000000);
	fmt_char(f, '.');
	char d[6];
	uint64_t frac = m % 1000000;
	for (int i = 5; i >= 0; i--) {
		d[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	fmt_mem(f, d, 6);
	fmt_str(f, "e+");
	fmt_u64(f, (uint64_t)e);
}

void fmt_f64(struct fmt *f, double v, unsigned decimals)
{
	if (v != v || v - v != 0.0) { /* NaN, or infinity (inf - inf is NaN) */
		fmt_str(f, "null");
		return;
	}
	if (decimals > 9)
		decimals = 9;
	bool neg = v < 0;
	if (neg)
		v = -v;
	if (v >= 1e15) {
		if (neg)
			fmt_char(f, '-');
		fmt_f64_sci(f, v);
		return;
	}
	/* v * 10^decimals < 1e24 may not fit in 64 bits: split the integer
	 * part off first, then scale only the fraction. */
	uint64_t ip = (uint64_t)v;
	double frac = v - (double)ip;
	uint64_t scale = (uint64_t)fmt_pow10[decimals];
	uint64_t fp = (uint64_t)(frac * (double)scale + 0.5);
	if (fp >= scale) {
		ip++;
		fp -= scale;
	}
	if (neg && (ip || fp))
		fmt_char(f, '-');
	fmt_u64(f, ip);
	if (decimals) {
		char d[9];
		fmt_char(f, '.');
		for (int i = (int)decimals - 1; i >= 0; i--) {
			d[i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		fmt_mem(f, d, decimals);
	}
}

void fmt_json_str(struct fmt *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	fmt_char(f, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"':
			fmt_str(f, "\\\"");
			break;
		case '\\':
			fmt_str(f, "\\\\");
			break;
		case '\n':
			fmt_str(f, "\\n");
			break;
		case '\r':
			fmt_str(f, "\\r");
			break;
		case '\t':
			fmt_str(f, "\\t");
			break;
		case '\b':
			fmt_str(f, "\\b");
			break;
		case '\f':
			fmt_str(f, "\\f");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fmt_str(f, "\\u00");
				fmt_char(f, hex[c >> 4]);
				fmt_char(f, hex[c & 15]);
			} else {
				fmt_char(f, (char)c);
			}
		}
	}
	fmt_char(f, '"');
}

size_t fmt_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

bool fmt_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}
