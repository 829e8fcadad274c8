/* escape: the free-text rule and the one escaper per target language (see
 * escape.h). */
#include "escape.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Characters the free-text rule refuses: controls, and the ones that
 * reorder text on a display (Unicode UAX #9, explicit directional
 * formatting characters). */
static int refused_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || utf8_bidi_control(cp);
}

const char *esc_text_check(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	if (n >= ESC_TEXT_MAX)
		return "it is longer than 8191 bytes";
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (!len)
			return "it is not valid UTF-8";
		if (refused_cp(cp))
			return "it holds a control character";
		i += len;
	}
	return NULL;
}

char *esc_text_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct hvb_buf b = {0};
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	hvb_buf_puts(&b, "");
	for (size_t i = 0; i < n && b.len + 4 < ESC_TEXT_MAX;) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (!len || refused_cp(cp)) {
			hvb_buf_add(&b, "?", 1);
			i += len ? len : 1;
		} else {
			hvb_buf_add(&b, s + i, len);
			i += len;
		}
	}
	return hvb_buf_take(&b);
}

void esc_term(struct hvb_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0;

	hvb_buf_puts(b, "");
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (!len) {
			hvb_buf_printf(b, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (cp == '\\')
			hvb_buf_puts(b, "\\\\");
		else if (cp == '\n')
			hvb_buf_puts(b, "\\n");
		else if (cp == '\t')
			hvb_buf_puts(b, "\\t");
		else if (cp == '\r')
			hvb_buf_puts(b, "\\r");
		else if (cp < 0x80 && refused_cp(cp))
			hvb_buf_printf(b, "\\x%02x", cp);
		else if (refused_cp(cp))
			hvb_buf_printf(b, "\\u{%04x}", cp);
		else
			hvb_buf_add(b, s + i, len);
		i += len;
	}
}

void esc_vline(struct hvb_buf *b, const char *fmt, va_list ap)
{
	struct hvb_buf raw = {0};

	hvb_buf_vprintf(&raw, fmt, ap);
	esc_term(b, raw.p);
	hvb_buf_puts(b, "\n");
	free(raw.p);
}

void esc_println(FILE *f, const char *fmt, ...)
{
	struct hvb_buf out = {0};
	va_list ap;

	va_start(ap, fmt);
	esc_vline(&out, fmt, ap);
	va_end(ap);
	fputs(out.p, f);
	free(out.p);
}

static int isalnum_ascii(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void md_code(struct hvb_buf *b, const char *s)
{
	size_t run = 0, longest = 0, n = strlen(s);
	int pad;

	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	/* A span that begins or ends with a backtick needs a space between
	 * it and the fence; CommonMark strips one space on each side. */
	pad = n && (s[0] == '`' || s[n - 1] == '`' || (s[0] == ' ' && s[n - 1] == ' '));
	for (size_t i = 0; i <= longest; i++)
		hvb_buf_add(b, "`", 1);
	if (pad)
		hvb_buf_add(b, " ", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\r' || c == '\t')
			hvb_buf_add(b, " ", 1);
		else if (c < 0x20 || c == 0x7f)
			hvb_buf_add(b, "?", 1);
		else
			hvb_buf_add(b, s + i, 1);
	}
	if (pad)
		hvb_buf_add(b, " ", 1);
	for (size_t i = 0; i <= longest; i++)
		hvb_buf_add(b, "`", 1);
}

void esc_md(struct hvb_buf *b, const char *s, enum esc_md_ctx ctx)
{
	if (!s)
		s = "";
	hvb_buf_puts(b, "");
	if (ctx == ESC_MD_CODE) {
		md_code(b, s);
		return;
	}
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '_') {
			int inword = i > 0 && isalnum_ascii((unsigned char)s[i - 1]) &&
				     isalnum_ascii((unsigned char)s[i + 1]);

			hvb_buf_puts(b, inword ? "_" : "\\_");
		} else if (strchr("\\`*[]<&|~$", c)) {
			hvb_buf_add(b, "\\", 1);
			hvb_buf_add(b, s + i, 1);
		} else if (c == '\n' || c == '\r' || c == '\t') {
			hvb_buf_add(b, " ", 1);
		} else if (c < 0x20 || c == 0x7f) {
			hvb_buf_add(b, "?", 1);
		} else {
			hvb_buf_add(b, s + i, 1);
		}
	}
}

void esc_gnuplot(struct hvb_buf *b, const char *s)
{
	int quotes = s && strchr(s, '\'') != NULL;

	/* gnuplot 5.4 reads '' inside single quotes as a quote only when it is
	 * not next to another quote: 'it''''s' does not parse. So a quote is
	 * written as a double-quoted string of its own, concatenated, as in
	 * ('it'."'".'s'); "'" holds no backquote, so nothing is substituted. */
	if (quotes)
		hvb_buf_add(b, "(", 1);
	hvb_buf_add(b, "'", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\'')
			hvb_buf_puts(b, "'.\"'\".'");
		else if (c < 0x20 || c == 0x7f)
			hvb_buf_add(b, "?", 1);
		else
			hvb_buf_add(b, s, 1);
	}
	hvb_buf_add(b, "'", 1);
	if (quotes)
		hvb_buf_add(b, ")", 1);
}

void esc_cfg(struct hvb_buf *b, const char *s)
{
	hvb_buf_add(b, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			hvb_buf_add(b, "\\", 1);
			hvb_buf_add(b, s, 1);
		} else if (c < 0x20 || c == 0x7f) {
			hvb_buf_printf(b, "\\x%02x", c);
		} else {
			hvb_buf_add(b, s, 1);
		}
	}
	hvb_buf_add(b, "\"", 1);
}

void esc_csv(struct hvb_buf *b, const char *s)
{
	int formula;

	hvb_buf_puts(b, "");
	if (!s || !*s)
		return;
	/* OWASP's advice for CSV injection: a leading quote makes a
	 * spreadsheet show the cell as text. */
	formula = strchr("=+-@\t\r", s[0]) != NULL;
	if (!formula && !strpbrk(s, ",\"\r\n")) {
		hvb_buf_puts(b, s);
		return;
	}
	hvb_buf_puts(b, formula ? "\"'" : "\"");
	for (; *s; s++) {
		if (*s == '"')
			hvb_buf_add(b, "\"", 1); /* a quote is written twice */
		hvb_buf_add(b, s, 1);
	}
	hvb_buf_puts(b, "\"");
}
