/* test_realtool: lab/realtool.sh, the converter from the real tools'
 * reports to RESULT lines. The captured outputs in golden/realtool/ come
 * from Debian 12's sysbench 1.0.20 and rt-tests 2.4 cyclictest (V 2.40).
 * Its parsing part (`--parse NAME FILE`) is fed the captured outputs in
 * golden/realtool/, once with this host's awk and once with busybox's awk
 * (the Linux guest's image has nothing else), and each line must satisfy
 * hvbench's own RESULT parser; broken or truncated outputs must give FAIL
 * and a non-zero exit. Last, a real native run of sysbench cpu at a tiny
 * size, the way hvbench's realtool runner starts it. */
#include "testlib.h"
#include "result.h"
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCRIPT "lab/realtool.sh"
#define GOLDEN "tests/hvbench/golden/realtool/"
#define BUSYBOX "lab/cache/busybox"

static char bbdir[] = "/tmp/hvbench-bb-XXXXXX";
static char bbpath[600];

/* A folder whose `awk` is busybox's, put first in PATH for the busybox runs. */
static int setup(void **state)
{
	char link[512], target[512];

	(void)state;
	if (access(BUSYBOX, X_OK) || !mkdtemp(bbdir)) {
		bbdir[0] = '\0';
		return 0;
	}
	if (!realpath(BUSYBOX, target))
		return -1;
	snprintf(link, sizeof(link), "%s/awk", bbdir);
	if (symlink(target, link))
		return -1;
	snprintf(bbpath, sizeof(bbpath), "PATH=%s:/usr/bin:/bin", bbdir);
	return 0;
}

static int teardown(void **state)
{
	char link[512];

	(void)state;
	if (!bbdir[0])
		return 0;
	snprintf(link, sizeof(link), "%s/awk", bbdir);
	unlink(link);
	rmdir(bbdir);
	return 0;
}

/* Runs `realtool.sh --parse NAME FILE [param]`, with busybox's awk when
 * `busybox` is set. */
static void parse(int busybox, const char *name, const char *file, const char *param,
		  struct runner_run *res)
{
	const char *words[10];
	char *argv[10];
	int n = 0;

	if (busybox) {
		words[n++] = "/usr/bin/env";
		words[n++] = bbpath;
	}
	words[n++] = "/bin/sh";
	words[n++] = SCRIPT;
	words[n++] = "--parse";
	words[n++] = name;
	words[n++] = file;
	if (param)
		words[n++] = param;
	for (int i = 0; i < n; i++)
		argv[i] = strdup(words[i]);
	argv[n] = NULL;
	runner_exec(argv, -1, 30, NULL, NULL, res);
	for (int i = 0; i < n; i++)
		free(argv[i]);
}

struct golden_case {
	const char *name, *file, *param;
	const char *metric, *unit;
	int higher;
	double value;
	const char *extra; /* a further fragment the line must hold */
};

static const struct golden_case cases[] = {
	{"sysbench-cpu", GOLDEN "sysbench-cpu.out", "events=200", "events_per_s", "events/s", 1,
	 37872.12, "\"tool\":\"sysbench 1.0.20\",\"events\":200,"},
	{"sysbench-memory", GOLDEN "sysbench-memory.out", "total_size=256M", "throughput",
	 "MiB/s", 1, 28698.61, "\"mib\":256.00,"},
	/* 100 events in 0.0323 s */
	{"sysbench-threads", GOLDEN "sysbench-threads.out", "events=100", "events_per_s",
	 "events/s", 1, 3095.98, "\"events\":100,"},
	{"sysbench-mutex", GOLDEN "sysbench-mutex.out", "mutex_locks=5000", "time", "ms", 0, 17.6,
	 "\"mutex_locks\":5000"},
	{"cyclictest", GOLDEN "cyclictest.out", "loops=50", "latency_avg", "us", 0, 64.762,
	 "\"min\":62.317,\"avg\":64.762,\"max\":71.155"},
};

static void check_golden(int busybox)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct golden_case *c = &cases[i];
		struct runner_run res;
		struct result_sample s;
		char why[RESULT_REASON_MAX];

		parse(busybox, c->name, c->file, c->param, &res);
		if (res.status != 0)
			fail_msg("%s: exit %d, out '%s', err '%s'", c->name, res.status, res.out,
				 res.err);
		if (result_scan(res.out, res.out_len, c->name, &s, why, sizeof(why)) != RESULT_OK)
			fail_msg("%s: %s in '%s'", c->name, why, res.out);
		assert_string_equal(s.metric, c->metric);
		assert_string_equal(s.unit, c->unit);
		assert_int_equal(s.better_higher, c->higher);
		assert_float_equal(s.value, c->value, 1e-9);
		if (!strstr(res.out, c->extra))
			fail_msg("%s: no '%s' in '%s'", c->name, c->extra, res.out);
		runner_run_free(&res);
	}
}

static void require_script(void)
{
	if (access(SCRIPT, R_OK) || access(GOLDEN "sysbench-cpu.out", R_OK))
		skip_because("run from the top of the source tree (no %s)", SCRIPT);
}

static void golden_host_awk(void **state)
{
	(void)state;
	require_script();
	check_golden(0);
}

static void golden_busybox_awk(void **state)
{
	(void)state;
	require_script();
	if (!bbdir[0])
		skip_because("%s not fetched (make lab-fetch)", BUSYBOX);
	check_golden(1);
}

/* Outputs that must not become numbers. */
static void broken_outputs(void **state)
{
	static const struct {
		const char *name, *file, *param, *why;
	} bad[] = {
		/* sysbench refused its options */
		{"sysbench-cpu", GOLDEN "sysbench-fatal.out", NULL, "Invalid value"},
		/* a report cut short: no summary line */
		{"sysbench-cpu", "/dev/null", NULL, "no \"events per second\""},
		{"cyclictest", "/dev/null", NULL, "no \"T: 0\" summary line"},
		/* fewer wake-ups than asked for */
		{"cyclictest", GOLDEN "cyclictest.out", "loops=200", "50 wake-ups counted"},
		/* not the tool the name says */
		{"sysbench-memory", GOLDEN "sysbench-cpu.out", NULL, "no \"MiB transferred\""},
		/* parameters are checked before anything runs */
		{"sysbench-cpu", GOLDEN "sysbench-cpu.out", "events=1;reboot", "not a whole number"},
		{"sysbench-cpu", GOLDEN "sysbench-cpu.out", "frob=1", "unknown parameter 'frob'"},
		{"nosuch", GOLDEN "sysbench-cpu.out", NULL, "unknown workload"},
	};

	(void)state;
	require_script();
	for (int bb = 0; bb < (bbdir[0] ? 2 : 1); bb++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct runner_run res;
			struct result_sample s;
			char why[RESULT_REASON_MAX];

			parse(bb, bad[i].name, bad[i].file, bad[i].param, &res);
			if (res.status != 1 || strncmp(res.out, "FAIL ", 5) ||
			    !strstr(res.out, bad[i].why))
				fail_msg("case %zu (%s awk): exit %d, out '%s', wanted FAIL with '%s'",
					 i, bb ? "busybox" : "host", res.status, res.out, bad[i].why);
			assert_int_equal(result_scan(res.out, res.out_len, bad[i].name, &s, why,
						     sizeof(why)),
					 RESULT_FAILED);
			runner_run_free(&res);
		}
}

/* A real native run, the way hvbench's realtool runner starts it. */
static void native_sysbench_cpu(void **state)
{
	const char *params[] = {"max_prime=2000", "events=20", "time_ms=0"};
	struct runner r;
	struct runner_run res;
	struct result_sample s;
	char *argv[16], why[RESULT_REASON_MAX];

	(void)state;
	require_script();
	if (system("command -v sysbench >/dev/null 2>&1"))
		skip_because("sysbench is not installed (Debian package sysbench)");
	runner_realtool(&r, SCRIPT);
	assert_true(runner_expand(&r, "sysbench-cpu", params, 3, argv, 16) > 0);
	runner_exec(argv, -1, 60, NULL, NULL, &res);
	runner_free_argv(argv);
	assert_null(runner_judge(&r, &res));
	if (result_scan(res.out, res.out_len, "sysbench-cpu", &s, why, sizeof(why)) != RESULT_OK)
		fail_msg("%s in '%s' (stderr '%s')", why, res.out, res.err);
	assert_string_equal(s.metric, "events_per_s");
	assert_true(s.value > 0);
	assert_non_null(strstr(res.out, "\"events\":20,"));
	assert_non_null(strstr(res.out, "\"params\":{\"max_prime\":2000,\"time_ms\":0,"
					"\"events\":20}"));
	runner_run_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden_host_awk),
		cmocka_unit_test(golden_busybox_awk),
		cmocka_unit_test(broken_outputs),
		cmocka_unit_test(native_sysbench_cpu),
	};
	return cmocka_run_group_tests_name("realtool", tests, setup, teardown);
}
