/*
 * test_console: the console server's parts (src/system/console.h): what a
 * guest's bytes look like on the terminal, the bounded queues, and a
 * terminal that takes nothing.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "console.h"

static const char *esc(const char *in)
{
	static char out[CONSOLE_ESCAPED_MAX(256)];
	size_t n = strlen(in);
	assert_true(n <= 256);
	size_t len = console_escape((const unsigned char *)in, n, out);
	assert_int_equal(len, strlen(out));
	return out;
}

static void test_escape_controls(void **state)
{
	(void)state;
	assert_string_equal(esc("plain text, tabs\tstay"), "plain text, tabs\tstay");
	/* A CR that would move the cursor back over the prefix. */
	assert_string_equal(esc("\r[peer] fake"), "\\r[peer] fake");
	/* A CRLF line ending shows as the line. */
	assert_string_equal(esc("line\r"), "line");
	assert_string_equal(esc("a\rb\r\r"), "a\\rb");
	/* Title, clear screen, cursor moves, bell, backspace, DEL, NUL is
	 * the end of the C string here. */
	assert_string_equal(esc("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
	assert_string_equal(esc("\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
	assert_string_equal(esc("ab\bc\x7f"), "ab\\x08c\\x7f");
	assert_string_equal(esc("\x01\x1f"), "\\x01\\x1f");
	assert_string_equal(esc("back\\slash"), "back\\slash");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	/* Valid UTF-8 passes: é, €, U+1F600. */
	assert_string_equal(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* C1 controls, raw and UTF-8 encoded (U+009B is CSI). */
	assert_string_equal(esc("\x9b" "2J"), "\\x9b2J");
	assert_string_equal(esc("\xc2\x9b" "2J"), "\\xc2\\x9b2J");
	/* Bidirectional overrides reorder what the operator sees. */
	assert_string_equal(esc("a\xe2\x80\xae" "b"), "a\\xe2\\x80\\xaeb");
	/* Invalid: a lone continuation byte, an overlong '/', a surrogate,
	 * above U+10FFFF, a truncated sequence, 0xff. */
	assert_string_equal(esc("\x80"), "\\x80");
	assert_string_equal(esc("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	assert_string_equal(esc("\xe2\x82"), "\\xe2\\x82");
	assert_string_equal(esc("\xe2\x82x"), "\\xe2\\x82x");
	assert_string_equal(esc("\xff"), "\\xff");
}

static void test_escape_worst_case_fits(void **state)
{
	(void)state;
	unsigned char in[CONSOLE_LINE_MAX];
	static char out[CONSOLE_ESCAPED_MAX(CONSOLE_LINE_MAX)];
	memset(in, 0x1b, sizeof(in));
	assert_int_equal(console_escape(in, sizeof(in), out), 4 * sizeof(in));
	memset(in, 0xff, sizeof(in));
	assert_int_equal(console_escape(in, sizeof(in), out), 4 * sizeof(in));
}

static void test_stream_lines(void **state)
{
	(void)state;
	struct cstream s = {.name = "vm"};
	assert_int_equal(cq_init(&s.q, 256), 0);
	cstream_feed(&s, "one\r\ntw", 7, 0);
	cstream_feed(&s, "o\x1b[1m\n", 6, 0);
	cstream_feed(&s, "prompt> ", 8, 0);
	assert_int_equal(s.q.len, strlen("[vm] one\n[vm] two\\x1b[1m\n"));
	assert_memory_equal(s.q.buf + s.q.head, "[vm] one\n[vm] two\\x1b[1m\n", s.q.len);
	cstream_flush(&s); /* a partial line is shown after a quiet spell */
	assert_memory_equal(s.q.buf + s.q.head + s.q.len - 14, "[vm] prompt> \n", 14);
	/* Whole lines that do not fit are dropped and counted. */
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	size_t before = s.q.len;
	cstream_feed(&s, big, sizeof(big), 0);
	assert_int_equal(s.q.len, before);
	assert_int_equal(s.q.dropped, strlen("[vm] ") + sizeof(big));
	assert_int_equal(s.q.dropped_units, 1);
	cq_free(&s.q);
}

static void test_queue_bound(void **state)
{
	(void)state;
	struct cq q;
	assert_int_equal(cq_init(&q, 16), 0);
	assert_true(cq_push(&q, "0123456789", 10));
	assert_false(cq_push(&q, "0123456789", 10));
	assert_int_equal(q.dropped, 10);
	cq_consume(&q, 8);
	/* Room again at the front: the data moves down. */
	assert_true(cq_push(&q, "abcdefghij", 10));
	assert_int_equal(q.len, 12);
	assert_memory_equal(q.buf + q.head, "89abcdefghij", 12);
	cq_push_some(&q, "klmnopq", 7);
	assert_int_equal(q.len, 16);
	assert_int_equal(q.dropped, 13);
	cq_discard(&q);
	assert_int_equal(q.len, 0);
	assert_int_equal(q.dropped, 29);
	cq_free(&q);
}

/* A pipe nobody reads: the writer fills it and returns, never waits, and
 * never leaves half a line of one queue followed by another's. */
static void test_terminal_that_takes_nothing(void **state)
{
	(void)state;
	int p[2];
	signal(SIGPIPE, SIG_IGN); /* as the supervisor does */
	assert_int_equal(pipe(p), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	struct cq a, b, *qs[] = {&a, &b};
	assert_int_equal(cq_init(&a, 65536), 0);
	assert_int_equal(cq_init(&b, 65536), 0);
	char line[100];
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 100; i++)
		assert_true(cq_push(&a, line, sizeof(line)));
	memset(line, 'b', sizeof(line) - 1);
	for (int i = 0; i < 100; i++)
		assert_true(cq_push(&b, line, sizeof(line)));
	struct tout o = {.qs = qs, .nq = 2, .busy = -1};
	term_open(&o.t, p[1]);
	assert_true(o.t.own); /* a descriptor of its own, O_NONBLOCK */
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	tout_pump(&o);
	assert_true(tout_pending(&o));
	/* Read it all: every line is whole and of one letter. */
	char buf[8192];
	ssize_t n = read(p[0], buf, sizeof(buf));
	assert_true(n > 0);
	for (;;) {
		tout_pump(&o);
		ssize_t k = read(p[0], buf + n, sizeof(buf) - (size_t)n);
		if (k <= 0 || (size_t)n + (size_t)k >= sizeof(buf) - 100)
			break;
		n += k;
	}
	for (ssize_t i = 0; i + 100 <= n; i += 100) {
		for (int j = 1; j < 99; j++)
			assert_int_equal(buf[i + j], buf[i]);
		assert_int_equal(buf[i + 99], '\n');
	}
	term_close(&o.t);
	/* A terminal that is gone takes everything, counted as dropped. */
	close(p[0]);
	term_open(&o.t, p[1]);
	tout_pump(&o);
	assert_false(tout_pending(&o));
	assert_true(a.dropped + b.dropped > 0);
	term_close(&o.t);
	close(p[1]);
	cq_free(&a);
	cq_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_escape_worst_case_fits),
		cmocka_unit_test(test_stream_lines),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_terminal_that_takes_nothing),
	};
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
