/*
 * KVM tests with two vCPUs: the paths where the monitor's threads meet
 * (kicks and immediate_exit, liveness reports, the stop, COM1's output
 * queue, the message budget). Built twice: against build/vmm, and against
 * the ThreadSanitizer monitor build/tsan/vmm (TEST_VMM), where any data
 * race makes the monitor exit 66 instead of the status checked here.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef TEST_VMM
#define TEST_VMM "vmm"
#endif
/* The TSan runtime makes system calls of its own (its background thread,
 * shadow memory) that the sandbox policy does not list and should not:
 * its build runs with the sandbox off (the Makefile defines this). */
#ifdef TEST_VMM_NO_SANDBOX
#define SANDBOX_OPT "--no-sandbox"
#else
#define SANDBOX_OPT "--cpus=2"
#endif
#define TIMEOUT_S 120

static void run2(struct cmd_result *r, const char *guest, const char *cmdline)
{
	const char *argv[] = {build_path(TEST_VMM), "run", "--cpus=2", SANDBOX_OPT, "--kernel",
			      build_path(guest), "--cmdline", cmdline, NULL};
	run_cmd(argv, TIMEOUT_S, r);
	test_note("%s: status %d, stdout: %.200s", TEST_VMM, r->status, r->out);
	test_note("stderr: %.1500s", r->err);
	assert_false(r->timed_out);
	assert_null(strstr(r->err, "ThreadSanitizer"));
}

static void two_vcpus_print_and_exit(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run2(&r, "tests/guests/hello64.elf", "smp");
	assert_int_equal(r.status, (0x10 << 1) | 1);
	assert_non_null(strstr(r.out, "hello from elf64, cmdline: smp"));
	cmd_result_free(&r);
}

/* The dead-guest check asks both vCPUs for reports, then dumps vCPU 0. */
static void two_vcpus_dead_guest(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run2(&r, "tests/guests/halt64.elf", "");
	assert_int_equal(r.status, 6);
	assert_non_null(strstr(r.err, "rip "));
	cmd_result_free(&r);
}

/* Unclaimed accesses through the message budget; debug-exit out of range. */
static void two_vcpus_messages(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run2(&r, "tests/guests/allports64.elf", "");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "unclaimed accesses not logged"));
	cmd_result_free(&r);
	run2(&r, "tests/guests/exitval64.elf", "200");
	assert_int_equal(r.status, 14);
	cmd_result_free(&r);
}

/* COM1 flooding into a pipe the test reads slowly, then SIGTERM: the
 * vCPU thread fills the queue while the main loop drains it. */
static void two_vcpus_flood_then_sigterm(void **state)
{
	(void)state;
	REQUIRE_KVM();
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(p[1], 1);
		execl(build_path(TEST_VMM), "vmm", "run", "--cpus=2", SANDBOX_OPT, "--kernel",
		      build_path("tests/guests/flood64.elf"), (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[4096];
	size_t got = 0;
	for (int i = 0; i < 40; i++) { /* about 2 s of slow reading */
		ssize_t n = read(p[0], buf, sizeof(buf));
		if (n > 0)
			got += (size_t)n;
		struct timespec t = {0, 50 * 1000 * 1000};
		nanosleep(&t, NULL);
	}
	kill(pid, SIGTERM);
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	test_note("read %zu bytes; wait status %#x", got, (unsigned)st);
	assert_true(got > 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 143);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_vcpus_print_and_exit),
		cmocka_unit_test(two_vcpus_dead_guest),
		cmocka_unit_test(two_vcpus_messages),
		cmocka_unit_test(two_vcpus_flood_then_sigterm),
	};
	return cmocka_run_group_tests_name("smp", tests, NULL, NULL);
}
