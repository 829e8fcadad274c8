/*
 * KVM tests of `hvbench run --vmm build/vmm --vmm qemu`: the runs of both
 * monitors interleave with the native ones in one run, the table has a
 * column per monitor and a column of QEMU against vmm, and each monitor's
 * results.json is written (vmm's in the folder, QEMU's in DIR/qemu). The
 * monitor's own workloads run on both: start-up to the first instruction
 * and to the workload (the guest measures against the host's spawn time),
 * the exit round trips and the monitor's memory, each a number on both,
 * except exit-pci on QEMU's microvm machine, which has no PCI host bridge:
 * `not available`, never a number. hvbench finds what this host's QEMU
 * accepts (src/hvbench/qemu.c) and records it. Skipped where /dev/kvm
 * cannot run a VM or QEMU is not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define QEMU "/usr/bin/qemu-system-x86_64"

/* The line of the table that starts with `bench `, copied into buf. */
static const char *row(const char *out, const char *bench, char *buf, size_t n)
{
	const char *p = strstr(out, "one column per monitor\n");
	size_t len = strlen(bench);

	while (p && (p = strstr(p, bench))) {
		if (p[-1] == '\n' && p[len] == ' ') {
			const char *eol = strchr(p, '\n');
			size_t l = eol ? (size_t)(eol - p) : strlen(p);
			if (l >= n)
				l = n - 1;
			memcpy(buf, p, l);
			buf[l] = '\0';
			return buf;
		}
		p += len;
	}
	return NULL;
}

/* The status of `bench` in a results.json, read as text. */
static int status_is(const char *json, const char *bench, const char *status)
{
	char key[96], want[96];
	const char *p, *next;

	snprintf(key, sizeof(key), "\"benchmark\": \"%s\"", bench);
	snprintf(want, sizeof(want), "\"status\": \"%s\"", status);
	p = strstr(json, key);
	if (!p)
		return 0;
	next = strstr(p + 1, "\"benchmark\":");
	p = strstr(p, want);
	return p && (!next || p < next);
}

static void two_monitors_one_run(void **state)
{
	char dir[] = "/tmp/hvb-mon-XXXXXX", path[128], buf[1024], cmd[96];
	struct cmd_result r;
	char *qjson, *mjson;

	(void)state;
	REQUIRE_KVM();
	if (access(QEMU, X_OK))
		skip_because("%s is not installed (Debian package qemu-system-x86)", QEMU);
	assert_non_null(mkdtemp(dir));
	const char *argv[] = {build_path("hvbench"), "run", "--vmm", build_path("vmm"), "--vmm",
			      "qemu", "--bench", "monitor,cpu", "--reps", "3", "--size", "small",
			      "--out", dir, NULL};
	setenv("HVBENCH_QEMU", QEMU, 1);
	run_cmd(argv, 900, &r);
	test_note("status %d\n%.4000s\n%.1500s", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	/* Interleaved: one run, both monitors' sides in its progress. */
	assert_non_null(strstr(r.err, "rep 1/3 virt (vmm)"));
	assert_non_null(strstr(r.err, "rep 1/3 virt (qemu)"));
	assert_non_null(row(r.out, "benchmark", buf, sizeof(buf)));
	assert_non_null(strstr(buf, "vmm"));
	assert_non_null(strstr(buf, "qemu vs vmm"));
	static const char *const numbered[] = {"startup-entry", "startup-workload", "exit-port",
					       "exit-uart", "monitor-memory", "cpu"};
	snprintf(path, sizeof(path), "%s/qemu/results.json", dir);
	qjson = test_read_file(path);
	assert_non_null(qjson);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	mjson = test_read_file(path);
	assert_non_null(mjson);
	for (size_t i = 0; i < sizeof(numbered) / sizeof(numbered[0]); i++) {
		assert_non_null(row(r.out, numbered[i], buf, sizeof(buf)));
		assert_null(strstr(buf, "not comparable"));
		assert_true(status_is(mjson, numbered[i], "ok") ||
			    status_is(mjson, numbered[i], "noisy"));
		assert_true(status_is(qjson, numbered[i], "ok") ||
			    status_is(qjson, numbered[i], "noisy"));
	}
	/* The PCI read: a number under vmm; under QEMU's microvm (no PCI
	 * host bridge) not available, with the guest's reason. */
	assert_true(status_is(mjson, "exit-pci", "ok") || status_is(mjson, "exit-pci", "noisy"));
	if (strstr(qjson, "-M microvm")) {
		assert_true(status_is(qjson, "exit-pci", "not_available"));
		assert_non_null(row(r.out, "exit-pci", buf, sizeof(buf)));
		assert_non_null(strstr(buf, "not available"));
		assert_non_null(strstr(r.out, "exit-pci on qemu: not available on qemu: no PCI"));
	}
	/* The command QEMU ran with is recorded, as the probe found it. */
	assert_non_null(strstr(qjson, "\"monitor\": \"qemu\""));
	assert_non_null(strstr(qjson, "-accel kvm -cpu "));
	free(qjson);
	free(mjson);
	snprintf(path, sizeof(path), "%s/monitors.md", dir);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/monitors.json", dir);
	assert_int_equal(access(path, R_OK), 0);
	cmd_result_free(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Several monitors run the bare guest only, and at most four. */
static void several_monitors_usage(void **state)
{
	const char *lin[] = {build_path("hvbench"), "run", "--vmm", build_path("vmm"), "--vmm",
			     "qemu", "--guest", "linux", "--kernel", "/dev/null", "--initrd",
			     "/dev/null", NULL};
	const char *five[] = {build_path("hvbench"), "run", "--vmm", "a", "--vmm", "b", "--vmm",
			      "c", "--vmm", "d", "--vmm", "e", NULL};
	const char *missing[] = {build_path("hvbench"), "run", "--vmm", build_path("vmm"),
				 "--vmm", "/nonexistent/vmm", "--bench", "cpu", "--reps", "1",
				 NULL};

	(void)state;
	expect_usage_error(lin, 60, "cannot go with --guest linux");
	expect_usage_error(five, 60, "at most 4 monitors");
	REQUIRE_KVM();
	expect_usage_error(missing, 120, "/nonexistent/vmm is not installed or not executable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(several_monitors_usage),
		cmocka_unit_test(two_monitors_one_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
