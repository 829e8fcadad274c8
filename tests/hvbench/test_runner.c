/* test_runner: the runner templates (argv expansion for the native and the
 * bare-guest side), the vmm exit-status mapping, running a child with
 * output capture and a time limit, and the host's KVM-kind probe. */
#include "testlib.h"
#include "host.h"
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void native_template(void **state)
{
	struct runner r;
	const char *params[] = {"time_ms=100", "max_prime=50"};
	char *argv[16], *d;

	(void)state;
	runner_native(&r, "build/bench");
	assert_int_equal(runner_expand(&r, "cpu", params, 2, argv, 16), 5);
	assert_string_equal(argv[0], "build/bench");
	assert_string_equal(argv[1], "run");
	assert_string_equal(argv[2], "cpu");
	assert_string_equal(argv[3], "time_ms=100");
	assert_string_equal(argv[4], "max_prime=50");
	assert_null(argv[5]);
	runner_free_argv(argv);
	/* No parameters: the placeholder vanishes. */
	assert_int_equal(runner_expand(&r, "cpu", NULL, 0, argv, 16), 3);
	runner_free_argv(argv);
	/* Too small an argv is refused, not overrun. */
	assert_int_equal(runner_expand(&r, "cpu", params, 2, argv, 4), -1);
	d = runner_describe(&r);
	assert_string_equal(d, "build/bench run {name} {params}");
	free(d);
}

static void bare_template(void **state)
{
	struct runner r;
	const char *params[] = {"size=1"};
	char *argv[16], *d;

	(void)state;
	runner_bare(&r, "build/vmm", "build/guest/benchguest.elf");
	assert_int_equal(runner_expand(&r, "qsort", params, 1, argv, 16), 6);
	assert_string_equal(argv[0], "build/vmm");
	assert_string_equal(argv[2], "--kernel");
	assert_string_equal(argv[3], "build/guest/benchguest.elf");
	assert_string_equal(argv[4], "--cmdline");
	assert_string_equal(argv[5], "run qsort size=1");
	runner_free_argv(argv);
	d = runner_describe(&r);
	assert_non_null(strstr(d, "--cmdline \"run {name} {params}\""));
	free(d);
}

static void exit_mapping(void **state)
{
	struct runner nat, vm;
	struct runner_run res;
	char empty[] = "";

	(void)state;
	runner_native(&nat, "x");
	runner_bare(&vm, "x", "y");
	memset(&res, 0, sizeof(res));
	res.outcome = RUN_EXITED;
	res.err = empty;
	/* Debug-exit value 0 is (0 << 1) | 1 = 1: success. */
	assert_int_equal(RUNNER_VMM_STATUS_OK, 1);
	res.status = 1;
	assert_null(runner_judge(&vm, &res));
	assert_non_null(runner_judge(&nat, &res));
	res.status = 0;
	assert_null(runner_judge(&nat, &res));
	assert_non_null(strstr(runner_judge(&vm, &res), "powered off"));
	res.status = 7; /* value 3 */
	assert_non_null(strstr(runner_judge(&vm, &res), "debug-exit value 3"));
	res.status = 2;
	assert_non_null(strstr(runner_judge(&vm, &res), "monitor failed"));
	res.status = 128 + 11;
	res.signalled = 1;
	assert_non_null(strstr(runner_judge(&nat, &res), "crashed"));
	res.signalled = 0;
	res.outcome = RUN_TIMEOUT;
	nat.timeout_s = 5;
	assert_non_null(strstr(runner_judge(&nat, &res), "timed out after 5 s"));
}

static void exec_capture(void **state)
{
	char sh[] = "/bin/sh", c[] = "-c";
	char script[] = "echo out; echo err >&2; printf 'a\\0b'; exit 3";
	char *argv[] = {sh, c, script, NULL};
	struct runner_run res;

	(void)state;
	runner_exec(argv, -1, 10, NULL, NULL, &res);
	assert_int_equal(res.outcome, RUN_EXITED);
	assert_int_equal(res.status, 3);
	assert_int_equal(res.out_len, 7); /* "out\n" "a\0b" */
	assert_memory_equal(res.out, "out\na\0b", 7);
	assert_string_equal(res.err, "err\n");
	runner_run_free(&res);
}

static void exec_stdin_and_dir(void **state)
{
	char sh[] = "/bin/sh", c[] = "-c", script[] = "pwd; cat";
	char *argv[] = {sh, c, script, NULL};
	struct runner_run res;

	(void)state;
	runner_exec(argv, 0, 10, "/", "hello from stdin\n", &res);
	assert_int_equal(res.outcome, RUN_EXITED);
	assert_string_equal(res.out, "/\nhello from stdin\n");
	runner_run_free(&res);
}

static void exec_timeout_kills_group(void **state)
{
	char sh[] = "/bin/sh", c[] = "-c", script[] = "sleep 100 & sleep 100; echo never";
	char *argv[] = {sh, c, script, NULL};
	struct runner_run res;

	(void)state;
	runner_exec(argv, -1, 1, NULL, NULL, &res);
	assert_int_equal(res.outcome, RUN_TIMEOUT);
	assert_true(res.wall_s < 5);
	assert_null(strstr(res.out, "never"));
	runner_run_free(&res);
}

static void exec_errors(void **state)
{
	char bad[] = "/nonexistent/prog";
	char *argv[] = {bad, NULL};
	struct runner_run res;

	(void)state;
	runner_exec(argv, -1, 5, NULL, NULL, &res);
	assert_int_equal(res.outcome, RUN_SPAWN_ERROR);
	assert_non_null(strstr(res.err, "/nonexistent/prog"));
	runner_run_free(&res);
	runner_exec(argv, 100000, 5, NULL, NULL, &res);
	assert_int_equal(res.outcome, RUN_SPAWN_ERROR);
	runner_run_free(&res);
}

static void last_line(void **state)
{
	char buf[16];

	(void)state;
	runner_last_line("a\nsecond line\n\n", 15, buf, sizeof(buf));
	assert_string_equal(buf, "second line");
	runner_last_line("x\ty", 3, buf, sizeof(buf));
	assert_string_equal(buf, "x?y");
	runner_last_line("a very long line indeed", 23, buf, 5);
	assert_string_equal(buf, "a ve");
	runner_last_line(NULL, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void kvm_kind(void **state)
{
	char dir[] = "/tmp/hvbench-mod-XXXXXX", sub[64];
	char *kvm, *kind;

	(void)state;
	host_kvm_kind("processor\t: 0\nflags\t\t: fpu vmx sse\n", NULL, &kvm, &kind);
	assert_string_equal(kvm, "VT-x");
	assert_string_equal(kind, "hardware");
	free(kvm);
	free(kind);
	host_kvm_kind("flags : fpu svm\n", NULL, &kvm, &kind);
	assert_string_equal(kvm, "AMD-V");
	free(kvm);
	free(kind);
	/* "vmxx" is not "vmx": fall back to the modules. */
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/kvm", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/kvm_pvm", dir);
	mkdir(sub, 0700);
	host_kvm_kind("flags : fpu vmxx\n", dir, &kvm, &kind);
	assert_string_equal(kvm, "kvm_pvm");
	assert_string_equal(kind, "software");
	free(kvm);
	free(kind);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/kvm", dir);
	rmdir(sub);
	host_kvm_kind("flags : fpu\n", dir, &kvm, &kind);
	assert_string_equal(kvm, "none");
	assert_string_equal(kind, "none");
	free(kvm);
	free(kind);
	rmdir(dir);
	host_kvm_kind(NULL, "/nonexistent", &kvm, &kind);
	assert_string_equal(kvm, "none");
	free(kvm);
	free(kind);
}

static void iso_date(void **state)
{
	char buf[32];

	(void)state;
	host_iso_date(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	host_iso_date(1767323045, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-02T03:04:05Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_template),
		cmocka_unit_test(bare_template),
		cmocka_unit_test(exit_mapping),
		cmocka_unit_test(exec_capture),
		cmocka_unit_test(exec_stdin_and_dir),
		cmocka_unit_test(exec_timeout_kills_group),
		cmocka_unit_test(exec_errors),
		cmocka_unit_test(last_line),
		cmocka_unit_test(kvm_kind),
		cmocka_unit_test(iso_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
