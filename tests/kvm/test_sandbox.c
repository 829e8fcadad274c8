/*
 * KVM tests of the sandbox (src/vmm/sandbox.c) under build/vmm: a guest
 * runs to its RESULT with the sandbox on; a system call outside the policy
 * (--test-forbidden-syscall) ends the run with status 12 and a message
 * naming the call; --no-sandbox turns it off; every thread of a running
 * vmm is filtered with no_new_privs, and fds it inherited are closed.
 * Skipped where /dev/kvm cannot run a VM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static void guest(struct cmd_result *r, const char *cmdline, const char *opt1,
		  const char *opt2)
{
	const char *argv[10];
	int n = 0;
	argv[n++] = build_path("vmm");
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = build_path("guest/benchguest.elf");
	argv[n++] = "--cmdline";
	argv[n++] = cmdline;
	if (opt1)
		argv[n++] = opt1;
	if (opt2)
		argv[n++] = opt2;
	argv[n] = NULL;
	run_cmd(argv, 120, r);
	test_note("%s %s -> status %d\n%.800s\n%.800s", cmdline, opt1 ? opt1 : "", r->status,
		  r->out, r->err);
}

static void guest_result_with_sandbox(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	guest(&r, "run cpu time_ms=100", NULL, NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "RESULT {\"benchmark\":\"cpu\""));
	assert_null(strstr(r.err, "sandbox"));
	cmd_result_free(&r);
}

/* The guest runs for 4 s; the main loop makes the forbidden call after 1. */
static void forbidden_call_stops_the_vm(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	guest(&r, "run cpu time_ms=4000", "--test-forbidden-syscall=1", NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 12);
	assert_non_null(strstr(r.out, "benchguest: tsc")); /* it did run */
	assert_null(strstr(r.out, "RESULT"));              /* and did not finish */
	assert_non_null(strstr(r.err, "vmm: sandbox: forbidden system call openat ("));
	assert_non_null(strstr(r.err, ") in thread main; stopping this VM\n"));
	cmd_result_free(&r);
}

static void no_sandbox_allows_it(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	guest(&r, "run cpu time_ms=2000", "--test-forbidden-syscall=1", "--no-sandbox");
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "RESULT {\"benchmark\":\"cpu\""));
	assert_non_null(strstr(r.err, "openat(/etc/hostname) was allowed (no sandbox)"));
	cmd_result_free(&r);
}

/* One line of /proc/PID/task/TID/status, e.g. "Seccomp:", as a number. */
static long status_field(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* Counts the threads of pid whose `key` reads `want`; *total gets all.
 * Only vmm's own threads: newer kernels add a worker of KVM's to the
 * thread group (kvm-nx-lpage-recovery, a vhost_task), named otherwise. */
static int tasks_with(pid_t pid, const char *key, long want, int *total)
{
	char dir[64], path[128], comm[32];
	int n = 0;
	*total = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%.20s/comm", dir, e->d_name);
		FILE *f = fopen(path, "r");
		/* vmm's threads: the main one, and the named vCPUs and device
		 * workers (not the kernel's helpers KVM starts in the process) */
		bool ours = f && fgets(comm, sizeof(comm), f) &&
			    (!strcmp(comm, "vmm\n") || !strncmp(comm, "vcpu", 4) ||
			     !strncmp(comm, "virtio-", 7));
		if (f)
			fclose(f);
		if (!ours)
			continue;
		snprintf(path, sizeof(path), "%s/%.20s/status", dir, e->d_name);
		++*total;
		n += status_field(path, key) == want;
	}
	closedir(d);
	return n;
}

/* Starts vmm with two vCPUs and an extra inherited fd (the test's own
 * open of /etc/hostname, without O_CLOEXEC). */
static pid_t start_vmm(const char *extra)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		int leak = open("/etc/hostname", O_RDONLY);
		(void)leak;
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		const char *argv[] = {build_path("vmm"), "run", "--kernel",
				      build_path("guest/benchguest.elf"), "--cpus", "2",
				      "--cmdline", "run cpu time_ms=8000", extra, NULL};
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	return pid;
}

static int stop_vmm(pid_t pid)
{
	int st;
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* Does any fd of pid point at `target`? -1 when /proc/PID/fd is closed to
 * us (a non-dumpable process, and we are not privileged). */
static int has_fd_to(pid_t pid, const char *target)
{
	char dir[64], path[128], link[256];
	int found = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));) {
		snprintf(path, sizeof(path), "%s/%.20s", dir, e->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found |= strcmp(link, target) == 0;
		}
	}
	closedir(d);
	return found;
}

static void every_thread_filtered(void **state)
{
	(void)state;
	REQUIRE_KVM();
	pid_t pid = start_vmm(NULL);
	int total = 0, filtered = 0;
	/* main + 2 vCPU threads, each in seccomp mode 2 (filter). */
	for (int i = 0; i < 100 && !(total == 3 && filtered == 3); i++) {
		sleep_ms(50);
		filtered = tasks_with(pid, "Seccomp:", 2, &total);
	}
	int nnp = tasks_with(pid, "NoNewPrivs:", 1, &total);
	int leaked = has_fd_to(pid, "/etc/hostname");
	int status = stop_vmm(pid);
	test_note("threads %d, filtered %d, no_new_privs %d, inherited fd open %d, status %d",
		  total, filtered, nnp, leaked, status);
	assert_int_equal(total, 3);
	assert_int_equal(filtered, 3);
	assert_int_equal(nnp, 3);
	assert_int_not_equal(leaked, 1);
	assert_int_equal(status, 143); /* SIGTERM still stops it cleanly */
}

static void no_sandbox_leaves_threads_unfiltered(void **state)
{
	(void)state;
	REQUIRE_KVM();
	pid_t pid = start_vmm("--no-sandbox");
	int total = 0, unfiltered = 0;
	for (int i = 0; i < 100 && total != 3; i++) {
		sleep_ms(50);
		unfiltered = tasks_with(pid, "Seccomp:", 0, &total);
	}
	int leaked = has_fd_to(pid, "/etc/hostname");
	int status = stop_vmm(pid);
	test_note("threads %d, unfiltered %d, inherited fd open %d", total, unfiltered, leaked);
	assert_int_equal(total, 3);
	assert_int_equal(unfiltered, 3);
	assert_int_equal(leaked, 1);
	assert_int_equal(status, 143);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guest_result_with_sandbox),
		cmocka_unit_test(forbidden_call_stops_the_vm),
		cmocka_unit_test(no_sandbox_allows_it),
		cmocka_unit_test(every_thread_filtered),
		cmocka_unit_test(no_sandbox_leaves_threads_unfiltered),
	};
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
