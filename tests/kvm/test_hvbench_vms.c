/*
 * KVM tests of hvbench with several VMs: `--interference` measures the
 * virtualised side alone and again beside a memory-heavy neighbour VM, and
 * results.json and report.md carry both and the change (and the usage
 * error for --interference with --native-only); --interference=llc,io,host
 * starts, records and stops its neighbours, and port-io-loop (the io
 * neighbour's load) exits to the monitor; channel-ping's round trip
 * between two guests under `vmm system` is reported like any workload.
 */
#include <dirent.h>
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

/* The processes whose argv[0] starts with "hvbench-neighbour" (the name
 * each neighbour runs under). */
static int neighbours_left(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[64] = "";
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t got = fread(buf, 1, sizeof(buf) - 1, f);
		buf[got] = '\0';
		fclose(f);
		n += !strncmp(buf, "hvbench-neighbour", 17);
	}
	closedir(d);
	return n;
}

/* The CPU seconds results.json gives neighbour `name` (config.interference
 * .cpu_seconds), -1 when absent. */
static double cpu_seconds(const char *j, const char *name)
{
	const char *p = strstr(j, "\"cpu_seconds\"");
	char key[32];
	if (!p)
		return -1;
	snprintf(key, sizeof(key), "\"%s\": ", name);
	const char *end = strchr(p, '}');
	p = strstr(p, key);
	if (!p || (end && p > end))
		return -1;
	return strtod(p + strlen(key), NULL);
}

/* --interference=llc,io,host beside both latency paths: each neighbour
 * starts and runs (its CPU time is recorded), none is left when hvbench
 * ends, and the choice, the cache and the working set are in results.json
 * and the report with the p99 and max change. */
static void chosen_neighbours_run_and_stop(void **state)
{
	(void)state;
	REQUIRE_KVM();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip_because("the neighbours need a second CPU");
	assert_int_equal(neighbours_left(), 0);
	char dir[] = "/tmp/hvb-nbs-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	const char *argv[] = {build_path("hvbench"), "run", "--interference=llc,io,host", "--bench",
			      "timer-latency,irq-latency-irqfd", "--reps", "2", "--size", "small",
			      "--out", dir, NULL};
	struct cmd_result r;
	run_cmd(argv, 300, &r);
	test_note("status %d\n%.2000s\n%.1500s", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_int_equal(neighbours_left(), 0);
	assert_non_null(strstr(r.out, "interference: neighbours llc,io,host: llc: a benchmark "
				      "guest VM streaming writes through"));
	snprintf(path, sizeof(path), "%s/results.json", dir);
	char *j = slurp(path);
	assert_non_null(j);
	assert_non_null(strstr(j, "\"neighbours\": [\n        \"llc\",\n        \"io\",\n"
				  "        \"host\"\n      ]"));
	assert_non_null(strstr(j, "\"working_set_bytes\": "));
	assert_non_null(strstr(j, "/cache/index"));
	assert_non_null(strstr(j, "\"host_cpu_is\": \""));
	/* Each ran beside the measured VM: 2 workloads x 3 runs x 0.5 s or more. */
	for (int k = 0; k < 3; k++) {
		static const char *const n[] = {"llc", "io", "host"};
		double s = cpu_seconds(j, n[k]);
		test_note("%s neighbour: %.2f CPU seconds", n[k], s);
		assert_true(s > 0.1);
	}
	assert_true(cpu_seconds(j, "memory") < 0); /* not chosen, not run */
	snprintf(path, sizeof(path), "%s/report.md", dir);
	char *md = slurp(path);
	assert_non_null(md);
	assert_non_null(strstr(md, "| p99 change | max change |"));
	assert_non_null(strstr(md, "| irq-latency-irqfd |"));
	cmd_result_free(&r);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A two-VM round trip is a latency workload too: both its VMs are
 * measured again beside the neighbour. */
static void channel_ping_beside_neighbour(void **state)
{
	(void)state;
	REQUIRE_KVM();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip_because("the neighbour needs a second CPU");
	char dir[] = "/tmp/hvb-nbch-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	const char *argv[] = {build_path("hvbench"), "run", "--interference=io", "--bench",
			      "channel-ping", "--reps", "1", "--out", dir, NULL};
	struct cmd_result r;
	run_cmd(argv, 300, &r);
	test_note("status %d\n%.1500s\n%.1500s", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_int_equal(neighbours_left(), 0);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	char *j = slurp(path);
	assert_non_null(j);
	const char *res = strstr(j, "\"benchmark\": \"channel-ping\"");
	assert_non_null(res);
	assert_non_null(strstr(res, "\"virt_neighbour\": {"));
	assert_non_null(strstr(res, "\"neighbour_change_pct\": "));
	assert_true(cpu_seconds(j, "io") > 0.1);
	cmd_result_free(&r);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The io neighbour's load: port I/O in a loop, each access an exit that
 * the monitor answers (the host bridge's ID comes back). */
static void port_io_loop_exits(void **state)
{
	(void)state;
	REQUIRE_KVM();
	const char *argv[] = {build_path("vmm"), "run", "--kernel",
			      build_path("guest/benchguest.elf"), "--mem", "32M", "--cmdline",
			      "run port-io-loop time_ms=300", NULL};
	struct cmd_result r;
	run_cmd(argv, 60, &r);
	test_note("status %d\n%.1500s\n%.500s", r.status, r.out, r.err);
	assert_int_equal(r.status, 1); /* the guest's debug-exit 0: (0 << 1) | 1 */
	const char *p = strstr(r.out, "RESULT {\"benchmark\":\"port-io-loop\"");
	assert_non_null(p);
	p = strstr(p, "\"value\":");
	assert_non_null(p);
	assert_true(strtod(p + 8, NULL) > 100); /* accesses per second */
	assert_null(strstr(r.out, "\"host_bridge_id\":4294967295"));
	cmd_result_free(&r);
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
		cmocka_unit_test(chosen_neighbours_run_and_stop),
		cmocka_unit_test(port_io_loop_exits),
		cmocka_unit_test(channel_ping_beside_neighbour),
	};
	return cmocka_run_group_tests_name("interference", tests, NULL, NULL);
}
