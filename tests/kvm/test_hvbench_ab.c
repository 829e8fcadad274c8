/*
 * KVM tests of `hvbench run --ab OLD NEW`: OLD's and NEW's runs interleave
 * with the native ones and the run ends with compare's verdict table. An
 * A/B of vmm against itself says `no change` for every workload; against
 * build/vmm-slowexit (the same monitor built with VMM_TEST_EXIT_DELAY_US,
 * 300 us more on every MMIO exit: make builds it) it says `slower` for
 * irq-latency-user, whose interrupt is raised by an MMIO write that exits
 * to the monitor, and nothing else: not irq-latency-irqfd (its doorbell is
 * completed in the host kernel), not the compute workload. A threshold of
 * 100% keeps this software KVM's noise out of the verdicts (on a busy host
 * irq-latency-irqfd of a monitor against itself has come out -32%, its CI
 * reaching -50%, with p < 0.01); the delay costs ten times that (about 27
 * against 330 us). Skipped where /dev/kvm cannot run a VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define AB_BENCH "irq-latency-user,irq-latency-irqfd,cpu"

/* The verdict on benchmark's row of the table, or NULL. */
static const char *verdict_of(const char *out, const char *bench, char *buf, size_t n)
{
	const char *table = strstr(out, "verdict\n"), *p = table;
	size_t len = strlen(bench);

	while (p && (p = strstr(p, bench))) {
		if ((p == out || p[-1] == '\n') && p[len] == ' ') {
			const char *eol = strchr(p, '\n');
			size_t l = eol ? (size_t)(eol - p) : strlen(p);
			if (l >= n)
				l = n - 1;
			memcpy(buf, p, l);
			buf[l] = '\0';
			return strstr(buf, "no change") ? "no change"
			       : strstr(buf, "slower")	 ? "slower"
			       : strstr(buf, "faster")	 ? "faster"
							 : "not comparable";
		}
		p += len;
	}
	return NULL;
}

static void ab(const char *new_vmm, struct cmd_result *r, char *dir)
{
	const char *argv[] = {build_path("hvbench"), "run", "--ab", build_path("vmm"), new_vmm,
			      "--threshold", "100", "--bench", AB_BENCH, "--reps", "5", "--size",
			      "small", "--out", dir, NULL};

	run_cmd(argv, 600, r);
	test_note("status %d\n%.3000s\n%.800s", r->status, r->out, r->err);
}

static void cleanup(const char *dir)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void ab_against_itself_no_change(void **state)
{
	char dir[] = "/tmp/hvb-ab-XXXXXX", path[96], row[512];
	struct cmd_result r;

	(void)state;
	REQUIRE_KVM();
	assert_non_null(mkdtemp(dir));
	ab(build_path("vmm"), &r, dir);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "verdict rule"));
	static const char *const all[] = {"irq-latency-user", "irq-latency-irqfd", "cpu"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *v = verdict_of(r.out, all[i], row, sizeof(row));
		assert_non_null(v);
		assert_string_equal(v, "no change");
	}
	assert_non_null(strstr(r.out, "0 slower, 0 faster, 3 of 3 compared"));
	/* Both documents and the verdicts are kept. */
	snprintf(path, sizeof(path), "%s/new/results.json", dir);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/compare.json", dir);
	assert_int_equal(access(path, R_OK), 0);
	cmd_result_free(&r);
	cleanup(dir);
}

static void ab_finds_a_slower_exit_path(void **state)
{
	char dir[] = "/tmp/hvb-ab-XXXXXX", row[512];
	const char *slow = build_path("vmm-slowexit");
	struct cmd_result r;

	(void)state;
	REQUIRE_KVM();
	if (access(slow, X_OK))
		fail_msg("%s is missing: make build/vmm-slowexit", slow);
	assert_non_null(mkdtemp(dir));
	ab(slow, &r, dir);
	assert_int_equal(r.status, 1); /* a workload slower beyond the threshold */
	const char *v = verdict_of(r.out, "irq-latency-user", row, sizeof(row));
	assert_non_null(v);
	assert_string_equal(v, "slower");
	v = verdict_of(r.out, "irq-latency-irqfd", row, sizeof(row));
	assert_non_null(v);
	assert_string_equal(v, "no change");
	v = verdict_of(r.out, "cpu", row, sizeof(row));
	assert_non_null(v);
	assert_string_equal(v, "no change");
	assert_non_null(strstr(r.out, "1 slower, 0 faster, 3 of 3 compared"));
	cmd_result_free(&r);
	cleanup(dir);
}

/* --ab takes two monitors and refuses what it cannot compare. */
static void ab_usage(void **state)
{
	const char *one[] = {build_path("hvbench"), "run", "--ab", build_path("vmm"), NULL};
	const char *qemu[] = {build_path("hvbench"), "run", "--ab", build_path("vmm"),
			      build_path("vmm"), "--vmm", "qemu", NULL};

	(void)state;
	expect_usage_error(one, 30, "--ab OLD_VMM NEW_VMM");
	expect_usage_error(qemu, 30, "cannot go with --vmm");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ab_usage),
		cmocka_unit_test(ab_against_itself_no_change),
		cmocka_unit_test(ab_finds_a_slower_exit_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
