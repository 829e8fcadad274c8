/*
 * KVM tests of hvbench with several VMs: `--interference` measures the
 * virtualised side alone and again beside a memory-heavy neighbour VM, and
 * results.json and report.md carry both and the change (and the usage
 * error for --interference with --native-only); channel-ping's round trip
 * between two guests under `vmm system` is reported like any workload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void neighbour_measured_and_reported(void **state)
{
	(void)state;
	REQUIRE_KVM();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip_because("the neighbour VM needs a second CPU");
	char dir[] = "/tmp/hvb-itf-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	const char *argv[] = {build_path("hvbench"), "run", "--interference", "--bench", "cpu",
			      "--reps", "2", "--size", "small", "--out", dir, NULL};
	struct cmd_result r;
	run_cmd(argv, 300, &r);
	test_note("status %d\n%.1500s\n%.1500s", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "interference: neighbours memory: memory: a benchmark guest VM"));
	assert_non_null(strstr(r.err, "virt+neighbour"));
	snprintf(path, sizeof(path), "%s/results.json", dir);
	char *j = slurp(path);
	assert_non_null(j);
	assert_non_null(strstr(j, "\"virt_neighbour\""));
	assert_non_null(strstr(j, "\"neighbour_change_pct\""));
	assert_non_null(strstr(j, "\"interference\""));
	snprintf(path, sizeof(path), "%s/report.md", dir);
	char *md = slurp(path);
	assert_non_null(md);
	assert_non_null(strstr(md, "## Interference"));
	cmd_result_free(&r);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void channel_round_trip_reported(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char dir[] = "/tmp/hvb-chan-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	const char *argv[] = {build_path("hvbench"), "run", "--bench", "channel-ping", "--reps",
			      "2", "--out", dir, NULL};
	struct cmd_result r;
	run_cmd(argv, 300, &r);
	test_note("status %d\n%.1500s\n%.1500s", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "channel-ping"));
	snprintf(path, sizeof(path), "%s/results.json", dir);
	char *j = slurp(path);
	assert_non_null(j);
	const char *res = strstr(j, "\"benchmark\": \"channel-ping\"");
	assert_non_null(res);
	assert_non_null(strstr(res, "\"metric\": \"rtt_avg\""));
	assert_non_null(strstr(res, "\"native\": null"));
	assert_null(strstr(res, "\"status\": \"failed\""));
	cmd_result_free(&r);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void refused_with_native_only(void **state)
{
	(void)state;
	const char *argv[] = {build_path("hvbench"), "run", "--interference", "--native-only",
			      NULL};
	struct cmd_result r;
	run_cmd(argv, 60, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--interference"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(neighbour_measured_and_reported),
		cmocka_unit_test(channel_round_trip_reported),
		cmocka_unit_test(refused_with_native_only),
	};
	return cmocka_run_group_tests_name("interference", tests, NULL, NULL);
}
