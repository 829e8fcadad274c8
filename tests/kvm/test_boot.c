/*
 * KVM tests: tiny guests built in the tree run under build/vmm; each test
 * checks the serial output and the exit status. They skip, with the
 * reason, where /dev/kvm cannot run a VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define TIMEOUT_S 60
/* The monitor under test, in the build directory: a sanitizer build of
 * these tests names its own. */
#ifndef TEST_VMM
#define TEST_VMM "vmm"
#endif

static void run_vmm(struct cmd_result *r, const char *guest, const char *cmdline,
		    const char *extra)
{
	const char *argv[12];
	int n = 0;
	argv[n++] = build_path(TEST_VMM);
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

/* The monitor's own exit counters (--kick-stats): hello64 polls LSR once
 * and writes THR once per byte it prints (the monitor's UART is never busy
 * for so little), then writes the debug-exit port, so its port I/O exits
 * are exactly 2 per byte of its output plus 1, for a short and a long
 * command line alike; it touches no MMIO. */
static void exits_to_monitor_counted(const char *cmdline)
{
	struct cmd_result r;
	run_vmm(&r, "tests/guests/hello64.elf", cmdline, "--kick-stats");
	assert_int_equal(r.status, (0x10 << 1) | 1);
	const char *p = strstr(r.err, "vCPU 0: ");
	p = p ? strstr(p + 1, "vCPU 0: ") : NULL;
	assert_non_null(p);
	unsigned long long all, io, mmio, other;
	unsigned sig;
	assert_int_equal(sscanf(p, "vCPU 0: %llu exits to the monitor (port I/O %llu, MMIO %llu, "
				   "signal %u, other %llu)",
				&all, &io, &mmio, &sig, &other),
			 5);
	assert_int_equal(io, 2 * strlen(r.out) + 1);
	assert_int_equal(mmio, 0);
	assert_int_equal(other, 0);
	assert_int_equal(all, io + mmio + sig + other);
	cmd_result_free(&r);
}

static void monitor_counts_its_exits(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char longer[128];
	memset(longer, 'x', 100);
	longer[100] = '\0';
	exits_to_monitor_counted("a");
	exits_to_monitor_counted(longer);
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

/* Code at the very end of RAM: the dump shows the bytes that are there. */
static void dump_shows_code_at_the_end_of_ram(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/edgeud64.elf", NULL, "--mem=2M");
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.out, "jumping to the end of RAM"));
	assert_non_null(strstr(r.err, "code at 1ffffe: 0f 0b\n"));
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

/* Debug-exit values: 0..63 are carried as (V << 1) | 1; a value the status
 * cannot carry ends with VMM_EXIT_DEBUG_RANGE (14) and says so, instead of
 * wrapping (128 read as 1, "passed") or landing on a signal's status (71
 * read as 143, "SIGTERM"). */
static void debug_exit_value(const char *v, int want, const char *msg)
{
	struct cmd_result r;
	run_vmm(&r, "tests/guests/exitval64.elf", v, NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, want);
	if (msg)
		assert_non_null(strstr(r.err, msg));
	else
		assert_null(strstr(r.err, "debug-exit"));
	cmd_result_free(&r);
}

static void debug_exit_values_the_status_cannot_carry(void **state)
{
	(void)state;
	REQUIRE_KVM();
	debug_exit_value("0", 1, NULL);
	debug_exit_value("63", 127, NULL);
	debug_exit_value("64", 14,
			 "vmm: guest wrote 64 to the debug-exit port; exit statuses carry only "
			 "0..63");
	debug_exit_value("71", 14, "vmm: guest wrote 71 to the debug-exit port");
	debug_exit_value("128", 14, "vmm: guest wrote 128 to the debug-exit port");
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A pipe whose read end the test keeps open and never reads, shrunk to
 * one page so that it fills at once. */
static void unread_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
}

/* Starts vmm on `guest` with stdout `out` and stderr `err`, lets it run
 * for run_ms, sends SIGTERM and waits at most wait_s for it to end.
 * Returns its exit status, or -1 when it did not end (it is then killed). */
static int sigterm_after(const char *guest, const char *cmdline, int out, int err, int run_ms,
			 int wait_s, double *took)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(out >= 0 ? out : nul, 1);
		dup2(err >= 0 ? err : nul, 2);
		execl(build_path(TEST_VMM), "vmm", "run", "--kernel", build_path(guest), "--cmdline",
		      cmdline, (char *)NULL);
		_exit(127);
	}
	struct timespec t = {run_ms / 1000, (long)(run_ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
	double t0 = now_s();
	kill(pid, SIGTERM);
	int st = 0;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (now_s() - t0 > wait_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			*took = now_s() - t0;
			test_note("vmm did not end within %d s of SIGTERM", wait_s);
			return -1;
		}
		struct timespec d = {0, 20 * 1000 * 1000};
		nanosleep(&d, NULL);
	}
	*took = now_s() - t0;
	test_note("SIGTERM to exit: %.3f s, wait status %#x", *took, (unsigned)st);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A guest printing without end into a stdout nobody reads: no vCPU may be
 * stuck in a host write, so SIGTERM ends the run with 143 once the final
 * flush gives up (OUTQ_FLUSH_IDLE_MS, 2 s), and the output it could not
 * write is reported, not lost in silence. */
static void sigterm_with_stdout_never_read(void **state)
{
	(void)state;
	REQUIRE_KVM();
	int p[2];
	double took;
	unread_pipe(p);
	char path[] = "/tmp/test_boot_err.XXXXXX";
	int err = mkstemp(path);
	assert_true(err >= 0);
	unlink(path);
	int st = sigterm_after("tests/guests/flood64.elf", "", p[1], err, 1500, 10, &took);
	close(p[0]);
	close(p[1]);
	char log[8192] = "";
	ssize_t n = pread(err, log, sizeof(log) - 1, 0);
	close(err);
	log[n > 0 ? n : 0] = '\0';
	assert_int_equal(st, 143);
	assert_true(took < 5.0);
	if (!strstr(log, "of the guest's output not written: its destination took no more in time"))
		fail_msg("no report of the output left unwritten; stderr: %s", log);
}

/* A guest touching every unclaimed port while stderr is a pipe nobody
 * reads: neither the unclaimed-access log on the vCPU nor machine_stop's
 * message may wait for it. */
static void sigterm_with_stderr_never_read(void **state)
{
	(void)state;
	REQUIRE_KVM();
	int p[2];
	double took;
	unread_pipe(p);
	int st = sigterm_after("tests/guests/allports64.elf", "spin", -1, p[1], 4000, 10, &took);
	close(p[0]);
	close(p[1]);
	assert_int_equal(st, 143);
	assert_true(took < 3.0);
}

/* Logging a guest can cause is bounded as a whole: touching all 65536
 * ports prints the first few unclaimed accesses and then one line with
 * the count of the rest. */
static void all_ports_give_bounded_stderr(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/allports64.elf", "", NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "all ports read"));
	size_t len = strlen(r.err);
	test_note("stderr: %zu bytes", len);
	assert_true(len < 8192);
	const char *more = strstr(r.err, "vmm: further ");
	assert_non_null(more);
	unsigned long n = strtoul(more + strlen("vmm: further "), NULL, 10);
	assert_true(n > 60000 && n < 65536);
	assert_non_null(strstr(more, "unclaimed accesses not logged"));
	cmd_result_free(&r);
}

/* INIT to itself restarts the vCPU at the reset vector 0xfffffff0; the
 * firmware stub there asks for a reset, so the run ends as a reboot
 * (status 0), not as a KVM error. */
static void init_to_self_ends_as_reset(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/init64.elf", NULL, NULL);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.out, "sending INIT to myself"));
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.err, "KVM internal error"));
	cmd_result_free(&r);
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
		cmocka_unit_test(monitor_counts_its_exits),
		cmocka_unit_test(multiboot_prints_and_debug_exit),
		cmocka_unit_test(unclaimed_reads_all_ones),
		cmocka_unit_test(strict_io_stops_with_dump),
		cmocka_unit_test(triple_fault_ends_with_status_4),
		cmocka_unit_test(dump_shows_code_at_the_end_of_ram),
		cmocka_unit_test(halt_with_interrupts_off_ends_with_status_6),
		cmocka_unit_test(rtc_read_under_sandbox),
		cmocka_unit_test(two_vcpus_boot),
		cmocka_unit_test(serial_to_file),
		cmocka_unit_test(sigint_and_sigterm_stop_cleanly),
		cmocka_unit_test(debug_exit_values_the_status_cannot_carry),
		cmocka_unit_test(sigterm_with_stdout_never_read),
		cmocka_unit_test(sigterm_with_stderr_never_read),
		cmocka_unit_test(all_ports_give_bounded_stderr),
		cmocka_unit_test(init_to_self_ends_as_reset),
	};
	return cmocka_run_group_tests_name("kvm", tests, NULL, NULL);
}
