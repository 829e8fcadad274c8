/*
 * KVM tests of `vmm system`: two benchmark guests exchange messages over a
 * channel; consoles reach their log files with a prefix on the terminal;
 * a VM whose process makes a forbidden system call is stopped by its
 * sandbox and reported while its neighbour finishes; the restart policy.
 * Skipped where /dev/kvm cannot run a VM.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static char dir[64], guest[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmm-system-XXXXXX");
	if (!mkdtemp(dir) || !realpath(build_path("guest/benchguest.elf"), guest))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes a description with the two VMs' settings and runs it. */
static void run_system(const char *vms, const char *channels, struct cmd_result *r)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/sys.cfg", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "log_dir = \"%s/logs\";\nvms = (%s);\n%s\n", dir, vms, channels);
	fclose(f);
	const char *argv[] = {build_path("vmm"), "system", path, NULL};
	run_cmd(argv, 120, r);
	test_note("status %d\nstdout: %.2000s\nstderr: %.2000s", r->status, r->out, r->err);
}

static char *slurp(const char *name)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/logs/%s.log", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void channel_ping_pong(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char vms[3 * PATH_MAX];
	snprintf(vms, sizeof(vms),
		 "{ name = \"ping\"; kernel = \"%s\"; cmdline = \"run channel-ping loops=200\";"
		 " mem = \"32M\"; on_exit = \"stop-all\"; },"
		 "{ name = \"pong\"; kernel = \"%s\"; cmdline = \"run channel-pong loops=200\";"
		 " mem = \"32M\"; on_exit = \"ignore\"; }", guest, guest);
	struct cmd_result r;
	run_system(vms, "channels = ({ name = \"pp\"; between = [\"ping\", \"pong\"];"
			" gpa = \"0xe0000000\"; size = \"64K\"; });", &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "[ping] RESULT {\"benchmark\":\"channel-ping\""));
	assert_non_null(strstr(r.out, "[pong] PONG echoed 200 messages"));
	assert_non_null(strstr(r.err, "vmm system: VM ping ended: debug-exit value 0"));
	/* The consoles reached their own logs, unprefixed. */
	char *log = slurp("ping");
	assert_non_null(log);
	assert_non_null(strstr(log, "RESULT {\"benchmark\":\"channel-ping\""));
	assert_null(strstr(log, "PONG"));
	log = slurp("pong");
	assert_non_null(log);
	assert_non_null(strstr(log, "PONG echoed 200 messages"));
	cmd_result_free(&r);
}

static void forbidden_call_stops_only_that_vm(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char vms[3 * PATH_MAX];
	snprintf(vms, sizeof(vms),
		 "{ name = \"bad\"; kernel = \"%s\"; cmdline = \"run cpu time_ms=5000\";"
		 " mem = \"32M\"; on_exit = \"ignore\"; test_forbidden_syscall = 1; },"
		 "{ name = \"good\"; kernel = \"%s\"; cmdline = \"run cpu time_ms=2500\";"
		 " mem = \"32M\"; on_exit = \"ignore\"; }", guest, guest);
	struct cmd_result r;
	run_system(vms, "", &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1); /* not every VM ended cleanly */
	assert_non_null(strstr(r.err, "[bad] vmm: sandbox: forbidden system call"));
	assert_non_null(strstr(r.err, "vmm system: VM bad ended: stopped by its sandbox"));
	assert_non_null(strstr(r.out, "[good] RESULT {\"benchmark\":\"cpu\""));
	assert_null(strstr(r.out, "[bad] RESULT"));
	assert_non_null(strstr(r.err, "vmm system: VM good ended: debug-exit value 0"));
	cmd_result_free(&r);
}

/* One VM fills its RAM with a marker; the other reads every 64 KiB of
 * guest-physical space outside its own RAM and must not find it. */
static void neighbour_memory_is_out_of_reach(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char vms[3 * PATH_MAX];
	snprintf(vms, sizeof(vms),
		 "{ name = \"owner\"; kernel = \"%s\"; cmdline = \"fill 3\"; mem = \"64M\";"
		 " on_exit = \"ignore\"; },"
		 "{ name = \"snoop\"; kernel = \"%s\"; cmdline = \"scan\"; mem = \"32M\";"
		 " on_exit = \"ignore\"; }", guest, guest);
	struct cmd_result r;
	run_system(vms, "", &r);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.out, "[owner] FILL done"));
	const char *scan = strstr(r.out, "[snoop] SCAN probes=");
	assert_non_null(scan);
	assert_true(atol(scan + strlen("[snoop] SCAN probes=")) > 40000);
	assert_non_null(strstr(scan, " found=0\n"));
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
}

static void restart_policy(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char vms[2 * PATH_MAX];
	snprintf(vms, sizeof(vms),
		 "{ name = \"again\"; kernel = \"%s\"; cmdline = \"run cpu time_ms=50\";"
		 " mem = \"32M\"; on_exit = \"restart\"; restarts = 2; }", guest);
	struct cmd_result r;
	run_system(vms, "", &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "restarting VM again (1 of 2)"));
	assert_non_null(strstr(r.err, "restarting VM again (2 of 2)"));
	assert_null(strstr(r.err, "(3 of 2)"));
	/* Three runs, three results. */
	const char *p = r.out;
	int n = 0;
	while ((p = strstr(p, "[again] RESULT")))
		n++, p++;
	assert_int_equal(n, 3);
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(channel_ping_pong, setup, teardown),
		cmocka_unit_test_setup_teardown(forbidden_call_stops_only_that_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(restart_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(neighbour_memory_is_out_of_reach, setup, teardown),
	};
	return cmocka_run_group_tests_name("system", tests, NULL, NULL);
}
