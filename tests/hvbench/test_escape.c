/* test_escape: the free-text rule, the name rule and the one escaper per
 * target language (terminal, Markdown, gnuplot, libconfig, CSV), each fed
 * the strings an attacker would put in a results.json; and, where gnuplot
 * is installed, a hostile string through esc_gnuplot run by gnuplot itself,
 * which must print it and create nothing. */
#include "testlib.h"
#include "escape.h"
#include "result.h"
#include "runner.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A quote, a newline and a gnuplot system call: what made `hvbench report`
 * create a file before the rule and the escapers. */
#define HOSTILE "x'\nsystem 'touch PWNED'\n#"

static char *term(const char *s)
{
	struct hvb_buf b = {0};

	esc_term(&b, s);
	return hvb_buf_take(&b);
}

static char *md(const char *s, enum esc_md_ctx ctx)
{
	struct hvb_buf b = {0};

	esc_md(&b, s, ctx);
	return hvb_buf_take(&b);
}

static char *gp(const char *s)
{
	struct hvb_buf b = {0};

	esc_gnuplot(&b, s);
	return hvb_buf_take(&b);
}

static char *cfg(const char *s)
{
	struct hvb_buf b = {0};

	esc_cfg(&b, s);
	return hvb_buf_take(&b);
}

static char *csv(const char *s)
{
	struct hvb_buf b = {0};

	esc_csv(&b, s);
	return hvb_buf_take(&b);
}

#define EXPECT(fn, in, want)                                                                   \
	do {                                                                                   \
		char *got_ = fn;                                                               \
		if (strcmp(got_, want))                                                        \
			fail_msg("%s(\"%s\"): got [%s], want [%s]", #fn, in, got_, want);      \
		free(got_);                                                                    \
	} while (0)

static void terminal(void **state)
{
	(void)state;
	EXPECT(term("plain text 1/s"), "plain", "plain text 1/s");
	EXPECT(term(HOSTILE), "hostile", "x'\\nsystem 'touch PWNED'\\n#");
	/* Clear screen, a title, a cursor move that hides a prefix. */
	EXPECT(term("\x1b[2J\x1b]0;owned\x07\r[peer] hi"), "esc",
	       "\\x1b[2J\\x1b]0;owned\\x07\\r[peer] hi");
	EXPECT(term("a\\b\tc\x7f"), "bs", "a\\\\b\\tc\\x7f");
	/* UTF-8 text stays; C1 CSI (U+009B), a right-to-left override and
	 * invalid bytes do not. */
	EXPECT(term("caf\xc3\xa9"), "utf8", "caf\xc3\xa9");
	EXPECT(term("\xc2\x9b" "2J"), "c1", "\\u{009b}2J");
	EXPECT(term("ab\xe2\x80\xae" "cd"), "rlo", "ab\\u{202e}cd");
	EXPECT(term("\xff\xc3"), "invalid", "\\xff\\xc3");
	EXPECT(term("\xc0\xaf"), "overlong", "\\xc0\\xaf");
	EXPECT(term("\xed\xa0\x80"), "surrogate", "\\xed\\xa0\\x80");
	EXPECT(term(NULL), "NULL", "");
}

static void markdown(void **state)
{
	(void)state;
	EXPECT(md("events_per_s (1/s, higher=better)", ESC_MD_TEXT), "plain",
	       "events_per_s (1/s, higher=better)");
	EXPECT(md("a|b\nc\rd", ESC_MD_TEXT), "cell", "a\\|b c d");
	EXPECT(md("<img src=x onerror=alert(1)>", ESC_MD_TEXT), "html",
	       "\\<img src=x onerror=alert(1)>");
	EXPECT(md("[click](javascript:x) ![i](http://t/x.png)", ESC_MD_TEXT), "link",
	       "\\[click\\](javascript:x) !\\[i\\](http://t/x.png)");
	EXPECT(md("*b* _i_ a_b `c` ~s~ &lt; $x$ \\", ESC_MD_TEXT), "inline",
	       "\\*b\\* \\_i\\_ a_b \\`c\\` \\~s\\~ \\&lt; \\$x\\$ \\\\");
	EXPECT(md("\x1b[2J", ESC_MD_TEXT), "control", "?\\[2J");
	EXPECT(md("build/bench run {name}", ESC_MD_CODE), "code", "`build/bench run {name}`");
	EXPECT(md("a`b``c", ESC_MD_CODE), "ticks", "```a`b``c```");
	EXPECT(md("`x", ESC_MD_CODE), "edge", "`` `x ``");
	EXPECT(md("a\nb", ESC_MD_CODE), "newline", "`a b`");
}

static void gnuplot_literal(void **state)
{
	(void)state;
	EXPECT(gp("overhead_cpu.svg"), "plain", "'overhead_cpu.svg'");
	EXPECT(gp(HOSTILE), "hostile",
	       "('x'.\"'\".'?system '.\"'\".'touch PWNED'.\"'\".'?#')");
	EXPECT(gp("''x"), "quotes", "(''.\"'\".''.\"'\".'x')");
	EXPECT(gp("`touch BQ` @m \"q\""), "subst", "'`touch BQ` @m \"q\"'");
	EXPECT(gp(""), "empty", "''");
}

static void libconfig_literal(void **state)
{
	(void)state;
	EXPECT(cfg("run channel-ping loops=10"), "plain", "\"run channel-ping loops=10\"");
	EXPECT(cfg("a\"; kernel = \"/x"), "quote", "\"a\\\"; kernel = \\\"/x\"");
	EXPECT(cfg("back\\slash\nnl"), "bs", "\"back\\\\slash\\x0anl\"");
}

static void csv_field(void **state)
{
	(void)state;
	EXPECT(csv("plain"), "plain", "plain");
	EXPECT(csv(NULL), "NULL", "");
	EXPECT(csv("a,b"), "comma", "\"a,b\"");
	EXPECT(csv("say \"hi\""), "quote", "\"say \"\"hi\"\"\"");
	EXPECT(csv("=HYPERLINK(\"http://x\")"), "formula", "\"'=HYPERLINK(\"\"http://x\"\")\"");
	EXPECT(csv("@SUM(A1)"), "at", "\"'@SUM(A1)\"");
	EXPECT(csv("-2+3"), "minus", "\"'-2+3\"");
}

static void text_rule(void **state)
{
	char *c;

	(void)state;
	assert_null(esc_text_check("Linux 6.1.0 #1 SMP PREEMPT_DYNAMIC x86_64"));
	assert_null(esc_text_check("caf\xc3\xa9"));
	assert_non_null(esc_text_check(HOSTILE));
	assert_non_null(esc_text_check("\x1b[2J"));
	assert_non_null(esc_text_check("\xc2\x9b"));
	assert_non_null(esc_text_check("\xe2\x80\xae"));
	assert_non_null(esc_text_check("\xff"));
	c = esc_text_clean("a\nb\xc2\x9b" "c\xff");
	assert_string_equal(c, "a?b?c?");
	assert_null(esc_text_check(c));
	free(c);
	assert_null(esc_text_clean(NULL));
}

static void name_rule(void **state)
{
	static const char *const good[] = {"cpu", "susan-edges", "sysbench-cpu", "irq-latency-user",
					   "events_per_s", "latency_avg", "v1.2"};
	static const char *const bad[] = {"", HOSTILE, "a b", "a|b", "a,b", "a\"b", "-x", ".x",
					  "_x", "caf\xc3\xa9", "a/b", "a'b", "=1"};
	static const char *const units[] = {"", "ms", "1/s", "MiB/s", "events/s", "us", "%"};
	static const char *const bad_units[] = {"/s", "-1", "a b", "m's", "u\ns"};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (result_check_name(RESULT_NAME_WORD, good[i], strlen(good[i])))
			fail_msg("name '%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!result_check_name(RESULT_NAME_WORD, bad[i], strlen(bad[i])))
			fail_msg("name '%s' accepted", bad[i]);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (result_check_name(RESULT_NAME_UNIT, units[i], strlen(units[i])))
			fail_msg("unit '%s' refused", units[i]);
	for (size_t i = 0; i < sizeof(bad_units) / sizeof(bad_units[0]); i++)
		if (!result_check_name(RESULT_NAME_UNIT, bad_units[i], strlen(bad_units[i])))
			fail_msg("unit '%s' accepted", bad_units[i]);
	/* 63 bytes is a name, 64 is not. */
	{
		char n[65];

		memset(n, 'a', 64);
		n[64] = '\0';
		assert_non_null(result_check_name(RESULT_NAME_WORD, n, 64));
		assert_null(result_check_name(RESULT_NAME_WORD, n, 63));
	}
}

/* gnuplot runs a script that prints the literal: the text comes back
 * (newlines as '?') and the folder stays empty. */
static void gnuplot_runs_nothing(void **state)
{
	char dir[] = "/tmp/hvbench-gp-XXXXXX", prog[] = "gnuplot";
	char *argv[] = {prog, NULL};
	struct hvb_buf script = {0};
	struct runner_run res;
	DIR *dd;
	struct dirent *e;
	int files = 0;

	(void)state;
	if (system("command -v gnuplot >/dev/null 2>&1"))
		skip_because("gnuplot is not installed");
	assert_non_null(mkdtemp(dir));
	hvb_buf_puts(&script, "set print '-'\nprint ");
	esc_gnuplot(&script, HOSTILE " `touch BQ` 'it''s' '''");
	hvb_buf_puts(&script, "\n");
	runner_exec(argv, -1, 30, dir, script.p, &res);
	free(script.p);
	if (res.outcome != RUN_EXITED || res.status != 0)
		fail_msg("gnuplot failed: %s", res.err);
	assert_string_equal(res.out, "x'?system 'touch PWNED'?# `touch BQ` 'it''s' '''\n");
	runner_run_free(&res);
	dd = opendir(dir);
	assert_non_null(dd);
	while ((e = readdir(dd)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			files++;
	closedir(dd);
	rmdir(dir);
	assert_int_equal(files, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(terminal),
		cmocka_unit_test(markdown),
		cmocka_unit_test(gnuplot_literal),
		cmocka_unit_test(libconfig_literal),
		cmocka_unit_test(csv_field),
		cmocka_unit_test(text_rule),
		cmocka_unit_test(name_rule),
		cmocka_unit_test(gnuplot_runs_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
