/*
 * utf8: the one UTF-8 decoder of the host programs. hvbench's free-text
 * rule and escapers (src/hvbench/escape.c) and the console server's
 * terminal escaping (src/system/console.c) both read text through it, so
 * they agree on what is valid and on what a display would reorder. Inline
 * in a header, as vmmstatus.h, because those are separate programs.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one character at s (n >= 1 bytes left). Returns its length and
 * stores the code point in *cp, or returns 0 when the bytes at s do not
 * start a valid, shortest-form character (RFC 3629 section 3: no overlong
 * forms, no surrogates, nothing above U+10FFFF, no cut-off sequence). */
static inline size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], v, min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* The code points that reorder text on a display rather than show as
 * themselves (Unicode UAX #9: ALM, LRM, RLM and the explicit embedding,
 * override and isolate characters). */
static inline int utf8_bidi_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

#endif
