/*
 * KVM tests: tiny guests built in the tree run under build/vmm; each test
 * checks the serial output and the exit status. They skip, with the
 * reason, where /dev/kvm cannot run a VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include "testlib.h"

#define TIMEOUT_S 60

static void run_vmm(struct cmd_result *r, const char *guest, const char *cmdline,
		    const char *extra)
{
	const char *argv[12];
	int n = 0;
	argv[n++] = build_path("vmm");
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = build_path(guest);
	if (cmdline) {
		argv[n++] = "--cmdline";
		argv[n++] = cmdline;
	}
	if (extra)
		argv[n++] = extra;
	argv[n] = NULL;
	run_cmd(argv, TIMEOUT_S, r);
	test_note("status %d, stdout: %.300s", r->status, r->out);
	test_note("stderr: %.600s", r->err);
}


static void elf64_prints_and_debug_exit(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/hello64.elf", "console=ttyS0 quiet", NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, (0x10 << 1) | 1);
	assert_non_null(strstr(r.out, "hello from elf64, cmdline: console=ttyS0 quiet\n"));
	assert_non_null(strstr(r.out, "mem MiB: 256\n"));
	cmd_result_free(&r);
}

static void multiboot_prints_and_debug_exit(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/hellomb.elf", "mb test", NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, (0x11 << 1) | 1);
	assert_non_null(strstr(r.out, "hello from multiboot, cmdline: mb test\n"));
	assert_non_null(strstr(r.out, "mmap entries: 3\n"));
	cmd_result_free(&r);
}

static void unclaimed_reads_all_ones(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/unclaimed64.elf", NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "unclaimed reads all-ones"));
	/* Logged once per address, not once per access. */
	const char *first = strstr(r.err, "port 0x304");
	assert_non_null(first);
	assert_null(strstr(first + 1, "port 0x304"));
	cmd_result_free(&r);
}

static void strict_io_stops_with_dump(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/unclaimed64.elf", NULL, "--strict-io");
	assert_int_equal(r.status, 10);
	assert_non_null(strstr(r.err, "port 0x300"));
	assert_non_null(strstr(r.err, "rip "));
	cmd_result_free(&r);
}

static void triple_fault_ends_with_status_4(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/triple64.elf", NULL, NULL);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.out, "about to triple fault"));
	assert_non_null(strstr(r.err, "triple fault"));
	/* The dump shows the faulting instruction: ud2 is 0f 0b. */
	assert_non_null(strstr(r.err, "code at 10000c: 0f 0b"));
	cmd_result_free(&r);
}

static void halt_with_interrupts_off_ends_with_status_6(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/halt64.elf", NULL, NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 6);
	assert_non_null(strstr(r.err, "halted with interrupts disabled"));
	cmd_result_free(&r);
}

/* Reading the RTC (what every OS does at boot) works under the sandbox:
 * the clock's first use must not need a system call the policy forbids. */
static void rtc_read_under_sandbox(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/rtc64.elf", NULL, NULL);
	assert_int_equal(r.status, (0x12 << 1) | 1);
	assert_non_null(strstr(r.out, "rtc year "));
	assert_null(strstr(r.err, "sandbox"));
	cmd_result_free(&r);
}

static void two_vcpus_boot(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/hello64.elf", "smp", "--cpus=2");
	assert_int_equal(r.status, (0x10 << 1) | 1);
	cmd_result_free(&r);
}

static void serial_to_file(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char path[] = "/tmp/vmm-serial-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char opt[64];
	snprintf(opt, sizeof(opt), "--serial=file:%s", path);
	struct cmd_result r;
	run_vmm(&r, "tests/guests/hello64.elf", "to file", opt);
	assert_int_equal(r.status, (0x10 << 1) | 1);
	assert_null(strstr(r.out, "hello"));
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	close(fd);
	unlink(path);
	assert_non_null(strstr(buf, "hello from elf64, cmdline: to file"));
	cmd_result_free(&r);
}

/* SIGINT and SIGTERM stop a running guest cleanly with 130 and 143. */
static void signal_stops_with_status(int sig, int want)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execl(build_path("vmm"), "vmm", "run", "--kernel",
		      build_path("guest/benchguest.elf"), "--cmdline", "run cpu time_ms=60000",
		      (char *)NULL);
		_exit(127);
	}
	struct timespec t = {0, 500 * 1000 * 1000};
	nanosleep(&t, NULL);
	kill(pid, sig);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), want);
}

static void sigint_and_sigterm_stop_cleanly(void **state)
{
	(void)state;
	REQUIRE_KVM();
	signal_stops_with_status(SIGINT, 130);
	signal_stops_with_status(SIGTERM, 143);
}

/* Start-up errors need no KVM: they must fail before a VM exists. */
static void bad_inputs_fail_clearly(void **state)
{
	(void)state;
	struct cmd_result r;
	const char *missing[] = {build_path("vmm"), "run", "--kernel",
			   "/nonexistent/kernel", NULL};
	run_cmd(missing, TIMEOUT_S, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "/nonexistent/kernel"));
	cmd_result_free(&r);

	const char *badmem[] = {build_path("vmm"), "run", "--kernel",
			  "x", "--mem", "12Q", NULL};
	run_cmd(badmem, TIMEOUT_S, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--mem '12Q'"));
	cmd_result_free(&r);

	const char *nokernel[] = {build_path("vmm"), "run", NULL};
	run_cmd(nokernel, TIMEOUT_S, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--kernel"));
	cmd_result_free(&r);

	const char *badserial[] = {build_path("vmm"), "run", "--kernel",
			     build_path("tests/guests/hello64.elf"), "--serial",
			     "tcp:1", NULL};
	run_cmd(badserial, TIMEOUT_S, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--serial tcp:1"));
	cmd_result_free(&r);
}

static void info_names_kvm_kind(void **state)
{
	(void)state;
	struct cmd_result r;
	const char *argv[] = {build_path("vmm"), "info", NULL};
	run_cmd(argv, TIMEOUT_S, &r);
	assert_non_null(strstr(r.out, "kvm kind: "));
	if (!kvm_unusable()) {
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "IRQCHIP"));
	}
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_inputs_fail_clearly),
		cmocka_unit_test(info_names_kvm_kind),
		cmocka_unit_test(elf64_prints_and_debug_exit),
		cmocka_unit_test(multiboot_prints_and_debug_exit),
		cmocka_unit_test(unclaimed_reads_all_ones),
		cmocka_unit_test(strict_io_stops_with_dump),
		cmocka_unit_test(triple_fault_ends_with_status_4),
		cmocka_unit_test(halt_with_interrupts_off_ends_with_status_6),
		cmocka_unit_test(rtc_read_under_sandbox),
		cmocka_unit_test(two_vcpus_boot),
		cmocka_unit_test(serial_to_file),
		cmocka_unit_test(sigint_and_sigterm_stop_cleanly),
	};
	return cmocka_run_group_tests_name("kvm", tests, NULL, NULL);
}
