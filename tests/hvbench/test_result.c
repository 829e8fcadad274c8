/* test_result: the RESULT-line parser against good output, console noise
 * and malformed or hostile lines; it must classify each and never crash. */
#include "testlib.h"
#include "result.h"

#include <stdlib.h>
#include <string.h>

#define GOOD "RESULT {\"benchmark\":\"cpu\",\"metric\":\"events_per_s\",\"unit\":\"1/s\"," \
	     "\"better\":\"higher\",\"value\":1234.5,\"check\":true,\"params\":{\"x\":1}}"

static enum result_status scan(const char *out, const char *expect, struct result_sample *s,
			       char *err)
{
	return result_scan(out, strlen(out), expect, s, err, 256);
}

static void good_line(void **state)
{
	struct result_sample s;
	char err[256];

	(void)state;
	assert_int_equal(scan(GOOD "\n", "cpu", &s, err), RESULT_OK);
	assert_string_equal(s.benchmark, "cpu");
	assert_string_equal(s.metric, "events_per_s");
	assert_string_equal(s.unit, "1/s");
	assert_int_equal(s.better_higher, 1);
	assert_true(s.value == 1234.5);
	/* No newline at the end, and any expected name. */
	assert_int_equal(scan(GOOD, NULL, &s, err), RESULT_OK);
}

static void console_noise(void **state)
{
	struct result_sample s;
	char err[256];
	const char *out = "booting\r\n[    0.1] something\r\nnoise" GOOD "\r\nguest: bye\r\n";
	const char *lat = "x\nRESULT {\"benchmark\":\"timer-latency\",\"metric\":\"p99\","
			  "\"unit\":\"us\",\"better\":\"lower\",\"value\":12,\"min\":1,"
			  "\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[1,2],[3,1]],"
			  "\"hist_overflow\":0}\n";

	(void)state;
	assert_int_equal(scan(out, "cpu", &s, err), RESULT_OK);
	assert_true(s.value == 1234.5);
	/* A 64-bit unsigned checksum, beyond jansson's integers, is fine. */
	const char *big = "RESULT {\"benchmark\":\"qsort\",\"metric\":\"time\","
			  "\"unit\":\"ms\",\"better\":\"lower\",\"value\":80,"
			  "\"check\":10527891069114069633}\n";

	assert_int_equal(scan(big, "qsort", &s, err), RESULT_OK);
	assert_true(s.value == 80);
	assert_int_equal(scan(lat, "timer-latency", &s, err), RESULT_OK);
	assert_int_equal(s.better_higher, 0);
	assert_true(s.value == 12);
}

static void fail_lines(void **state)
{
	struct result_sample s;
	char err[256];

	(void)state;
	assert_int_equal(scan("FAIL qsort: order wrong at 17\n", "qsort", &s, err), RESULT_FAILED);
	assert_string_equal(err, "qsort: order wrong at 17");
	/* FAIL wins over a RESULT line. */
	assert_int_equal(scan(GOOD "\nFAIL cpu: bad\n", "cpu", &s, err), RESULT_FAILED);
	/* A workload that says its device is missing measured nothing. */
	assert_int_equal(scan("UNAVAILABLE irq-latency-user: no loopback\n", "irq-latency-user",
			      &s, err), RESULT_FAILED);
	assert_string_equal(err, "unavailable: irq-latency-user: no loopback");
	assert_int_equal(scan(GOOD "\nUNAVAILABLE cpu: x\n", "cpu", &s, err), RESULT_FAILED);
	/* A self-check reported as false is a failure too. */
	assert_int_equal(scan("RESULT {\"benchmark\":\"cpu\",\"metric\":\"m\",\"unit\":\"s\","
			      "\"better\":\"lower\",\"value\":1,\"check\":false}\n", "cpu",
			      &s, err), RESULT_FAILED);
}

static void first_good_line_wins(void **state)
{
	struct result_sample s;
	char err[256];
	const char *out = "RESULT {\"benchmark\":\n" GOOD "\n"
			  "RESULT {\"benchmark\":\"cpu\",\"metric\":\"events_per_s\","
			  "\"unit\":\"1/s\",\"better\":\"higher\",\"value\":1}\n";

	(void)state;
	assert_int_equal(scan(out, "cpu", &s, err), RESULT_OK);
	assert_true(s.value == 1234.5);
}

static void wrong_benchmark(void **state)
{
	struct result_sample s;
	char err[256];

	(void)state;
	assert_int_equal(scan(GOOD "\n", "qsort", &s, err), RESULT_MALFORMED);
	assert_non_null(strstr(err, "expected \"qsort\""));
}

static void nothing(void **state)
{
	struct result_sample s;
	char err[256];

	(void)state;
	assert_int_equal(scan("", "cpu", &s, err), RESULT_NONE);
	assert_int_equal(scan("hello\nRESULT\nRESULT x\n", "cpu", &s, err), RESULT_NONE);
	assert_int_equal(result_scan(NULL, 0, NULL, &s, err, sizeof(err)), RESULT_NONE);
}

struct bad_case {
	const char *line;
	const char *why; /* substring of the error */
};

static void malformed(void **state)
{
	/* Most cases: a valid head (H) and "better" (L), then the flaw. */
#define H "RESULT {\"benchmark\":\"cpu\",\"metric\":\"m\",\"unit\":\"s\","
#define L "\"better\":\"lower\","
	static const struct bad_case cases[] = {
		{"RESULT {\"benchmark\":\"cpu\"", "not valid JSON"},
		{"RESULT {} trailing", "not valid JSON"},
		{"RESULT {\"metric\":\"m\",\"unit\":\"s\"," L "\"value\":1}", "benchmark"},
		{"RESULT {\"benchmark\":7,\"metric\":\"m\",\"unit\":\"s\"," L "\"value\":1}",
		 "benchmark"},
		{"RESULT {\"benchmark\":\"\",\"metric\":\"m\",\"unit\":\"s\"," L "\"value\":1}",
		 "benchmark"},
		{"RESULT {\"benchmark\":\"cpu\",\"unit\":\"s\"," L "\"value\":1}", "metric"},
		{"RESULT {\"benchmark\":\"cpu\",\"metric\":\"m\"," L "\"value\":1}", "unit"},
		{H "\"better\":\"up\",\"value\":1}", "better"},
		{H "\"value\":1}", "better"},
		{H "\"better\":\"lower\"}", "value"},
		{H L "\"value\":\"1\"}", "value"},
		{H L "\"value\":-1}", "out of range"},
		{H "\"better\":\"higher\",\"value\":0}", "out of range"},
		{H L "\"value\":1e999}", "not valid JSON"},
		{"RESULT {\"benchmark\":\"c|u\",\"metric\":\"m\",\"unit\":\"s\"," L "\"value\":1}",
		 "separator"},
		{"RESULT {\"benchmark\":\"cpu\",\"metric\":\"a\\nb\",\"unit\":\"s\"," L
		 "\"value\":1}", "control"},
		{H "\"benchmark\":\"cpu\"," L "\"value\":1}", "not valid JSON"},
		{"RESULT {\"benchmark\":\"cpu\",\"metric\":\"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
		 "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\",\"unit\":\"s\"," L "\"value\":1}",
		 "metric"},
	};
#undef H
#undef L
	struct result_sample s;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum result_status st = scan(cases[i].line, NULL, &s, err);

		if (st != RESULT_MALFORMED || !strstr(err, cases[i].why))
			fail_msg("case %zu: status %d, error '%s', wanted '%s'", i, st, err,
				 cases[i].why);
	}
}

static void hostile_bytes(void **state)
{
	struct result_sample s;
	char err[256];
	/* A NUL inside the line: the JSON text ends early, which is malformed,
	 * and the scan must not stop at the NUL either. */
	static const char nul[] = "RESULT {\"benchmark\":\"cpu\0\",\"metric\":\"m\"}\n" GOOD "\n";
	size_t big = RESULT_LINE_MAX + 100;
	char *line = malloc(big + 1);
	char *deep = malloc(100010);

	(void)state;
	assert_int_equal(result_scan(nul, sizeof(nul) - 1, "cpu", &s, err, sizeof(err)),
			 RESULT_OK);
	/* Longer than the limit: rejected without parsing. */
	memset(line, ' ', big);
	memcpy(line, "RESULT {", 8);
	line[big - 1] = '}';
	line[big] = '\0';
	assert_int_equal(scan(line, NULL, &s, err), RESULT_MALFORMED);
	/* Deep nesting: jansson's depth limit, not our stack, ends it. */
	memcpy(deep, "RESULT {\"a\":", 12);
	memset(deep + 12, '[', 99990);
	deep[100002] = '\0';
	assert_int_equal(scan(deep, NULL, &s, err), RESULT_MALFORMED);
	/* Only a JSON object is a RESULT payload. */
	assert_int_equal(result_parse_json("[1,2,3]", 7, &s, err, sizeof(err)), RESULT_MALFORMED);
	assert_non_null(strstr(err, "not a JSON object"));
	assert_int_equal(scan("RESULT [1,2,3]\n", NULL, &s, err), RESULT_NONE);
	/* Tiny error buffer. */
	assert_int_equal(result_scan("x", 1, NULL, &s, err, 4), RESULT_NONE);
	assert_int_equal(strlen(err), 3);
	free(line);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_line),
		cmocka_unit_test(console_noise),
		cmocka_unit_test(fail_lines),
		cmocka_unit_test(first_good_line_wins),
		cmocka_unit_test(wrong_benchmark),
		cmocka_unit_test(nothing),
		cmocka_unit_test(malformed),
		cmocka_unit_test(hostile_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
