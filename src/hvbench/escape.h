/* escape: text that hvbench did not write itself (a results.json from
 * someone else, a workload's or a tool's output, a path on the command
 * line) on its way into another language. It owns the free-text rule that
 * results.json strings must meet, and exactly one escaper per target
 * language: the terminal, Markdown, a gnuplot script, a system description
 * for `vmm system` (libconfig) and CSV. Every writer of such text calls
 * these; none quotes by hand. (The name rule for benchmark, group, metric
 * and unit is the RESULT contract's: result_check_name() in result.h.) */
#ifndef HVB_ESCAPE_H
#define HVB_ESCAPE_H

#include "hvbench.h"

#include <stdio.h>

/* The longest free-text string results.json may hold, in bytes. */
#define ESC_TEXT_MAX 8192

/* The free-text rule (host and configuration strings, error messages):
 * valid UTF-8 of at most ESC_TEXT_MAX bytes without C0 or C1 control
 * characters, DEL, or the Unicode controls that reorder text on a display
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069). Returns NULL
 * when s meets it, otherwise why not (static text). */
const char *esc_text_check(const char *s);
/* A copy of s that meets the rule: every byte or character it refuses
 * becomes '?', and it is cut to ESC_TEXT_MAX - 1 bytes. NULL stays NULL;
 * the caller frees. */
char *esc_text_clean(const char *s);

/* Terminal: printable ASCII and the UTF-8 the rule accepts are shown as
 * they are; '\' as "\\", newline, tab and CR as "\n", "\t", "\r", other
 * refused bytes as "\xNN" and refused characters as "\u{NNNN}". Nothing
 * it writes can move the cursor, change the title or clear the screen. */
void esc_term(struct hvb_buf *b, const char *s);
/* Formats one line, escapes all of it with esc_term into b and ends it
 * with a newline. */
void esc_vline(struct hvb_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* esc_vline, written to f: the way hvbench prints anything to stdout or
 * stderr. */
void esc_println(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum esc_md_ctx {
	ESC_MD_TEXT, /* running text, a list item or a table cell */
	ESC_MD_CODE, /* a whole code span, backticks included (not in tables) */
};
/* Markdown (CommonMark with GitHub's tables): the text renders as itself.
 * In ESC_MD_TEXT every character that can start inline markup (\ ` * [ ]
 * < & | ~ $, and '_' unless between two letters or digits, where it cannot
 * open or close emphasis: CommonMark 0.30 section 6.2) is
 * backslash-escaped; newlines and tabs become spaces and other control
 * characters '?'. ESC_MD_CODE writes a code span whose backtick fence is
 * longer than any backtick run inside (CommonMark section 6.1). */
void esc_md(struct hvb_buf *b, const char *s, enum esc_md_ctx ctx);

/* A gnuplot string: a single-quoted literal ('...'), or, when the text
 * holds a quote, a parenthesised concatenation of such literals and "'"
 * (gnuplot 5.4 misreads '' next to another quote). gnuplot does no
 * backquote (shell) or macro substitution inside single quotes, and a
 * newline would end the command, so control characters become '?'. */
void esc_gnuplot(struct hvb_buf *b, const char *s);

/* A libconfig double-quoted string literal, quotes included, as `vmm
 * system` reads its description: '"' and '\' backslash-escaped, control
 * characters as \xNN. */
void esc_cfg(struct hvb_buf *b, const char *s);

/* A CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF,
 * with quotes doubled. A field that a spreadsheet would take for a formula
 * (it begins with = + - @, a tab or CR) is written with a leading "'" so
 * that opening results.csv runs nothing. NULL writes an empty field. */
void esc_csv(struct hvb_buf *b, const char *s);

#endif
