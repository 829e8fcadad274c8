/*
 * KVM tests of `vmm run --realtime` (src/vmm/rt.c) with the benchmark
 * guest: while a timer-latency run goes on, the vCPU thread is read back
 * from /proc (SCHED_FIFO at the priority asked for, allowed only on the
 * CPU asked for) and the guest RAM is locked (VmLck); with CAP_SYS_NICE or
 * CAP_IPC_LOCK dropped (setpriv) and the limits at 0 / 1 MiB, vmm refuses
 * at start-up with exit status 2 and a message naming RLIMIT_RTPRIO or
 * RLIMIT_MEMLOCK. Skipped where /dev/kvm cannot run a VM, and the refusals
 * where setpriv is missing. vmm system passes a description's real-time
 * keys on (the same read-back); an idle real-time guest, and a working
 * ordinary one, get no exit of the monitor's own over 5 s (vmm run
 * --kick-stats counts them).
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* The stat fields of a task: rt_priority (40) and policy (41). */
static int task_sched(const char *path, int *prio, int *policy)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	size_t n;
	char *p;
	int field = 2;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* after comm, which may hold spaces */
	if (!p)
		return -1;
	for (p++; *p && field < 40; p++)
		if (*p == ' ')
			field++;
	return sscanf(p, "%d %d", prio, policy) == 2 ? 0 : -1;
}

/* What the vCPU threads of vmm process pid look like now: how many are
 * SCHED_FIFO at prio, how many of those are allowed on `cpu` only, and
 * the process's locked memory in kB. */
static void rt_threads(pid_t pid, int prio_want, int cpu, int *fifo, int *pinned, long *locked)
{
	char path[512], line[256];

	*fifo = *pinned = 0;
	*locked = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		int prio, policy;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, e->d_name);
		if (task_sched(path, &prio, &policy) || policy != 1 /* SCHED_FIFO */)
			continue;
		*fifo += prio == prio_want;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			char want[64];

			snprintf(want, sizeof(want), "Cpus_allowed_list:\t%d\n", cpu);
			*pinned += !strcmp(line, want);
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmLck:", 6))
			*locked = atol(line + 6);
	if (f)
		fclose(f);
}

static void threads_and_memory(void **state)
{
	const char *kernel = build_path("guest/benchguest.elf"), *vmm = build_path("vmm");
	int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0, fifo = 0, pinned = 0;
	char pin[8];
	long locked = 0;
	pid_t pid;

	(void)state;
	REQUIRE_KVM();
	snprintf(pin, sizeof(pin), "%d", cpu);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(vmm, "vmm", "run", "--kernel", kernel, "--realtime", "--pin", pin,
		      "--rt-prio", "9", "--cmdline", "run timer-latency loops=2000", (char *)NULL);
		_exit(127);
	}
	/* Read while the guest runs (2 s of wake-ups). */
	struct timespec t = {0, 800000000};
	nanosleep(&t, NULL);
	rt_threads(pid, 9, cpu, &fifo, &pinned, &locked);
	int st;
	waitpid(pid, &st, 0);
	test_note("SCHED_FIFO 9 threads %d, pinned %d, VmLck %ld kB, status %d", fifo, pinned,
		  locked, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	assert_true(fifo >= 1);
	assert_true(pinned >= 1);
	assert_true(locked >= 256 * 1024); /* the default 256 MiB of guest RAM */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1); /* the guest's verdict */
}

/* The parent's pid in /proc/PID/stat (field 4). */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	int ppid;
	return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

/* A real-time VM of a system description (realtime, pin, rt_prio): vmm
 * system passes them on, and its VM's vCPU thread runs at SCHED_FIFO 7
 * on the CPU asked for, with its RAM locked. */
static void system_passes_realtime(void **state)
{
	int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0, fifo = 0, pinned = 0;
	char dir[] = "/tmp/vmm-rtsys-XXXXXX", cfg[128], text[1024];
	long locked = 0;
	pid_t sup, vm = -1;

	(void)state;
	REQUIRE_KVM();
	assert_non_null(mkdtemp(dir));
	snprintf(cfg, sizeof(cfg), "%s/rt.cfg", dir);
	snprintf(text, sizeof(text),
		 "log_dir = \"%s\";\n"
		 "vms = ( { name = \"rt\"; kernel = \"%s\"; mem = \"64M\";\n"
		 "  cmdline = \"run timer-latency loops=2000\"; realtime = true; pin = [ %d ];\n"
		 "  rt_prio = 7; halt_poll = 0; } );\n",
		 dir, build_path("guest/benchguest.elf"), cpu);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	sup = fork();
	assert_true(sup >= 0);
	if (sup == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(build_path("vmm"), "vmm", "system", cfg, (char *)NULL);
		_exit(127);
	}
	/* The VM's monitor is the supervisor's child. */
	for (int tries = 0; tries < 40 && vm < 0; tries++) {
		struct timespec t = {0, 50000000};
		nanosleep(&t, NULL);
		DIR *d = opendir("/proc");
		assert_non_null(d);
		for (struct dirent *e; (e = readdir(d));) {
			pid_t p = (pid_t)atoi(e->d_name);
			if (p > 0 && parent_of(p) == sup)
				vm = p;
		}
		closedir(d);
	}
	assert_true(vm > 0);
	struct timespec t = {0, 800000000};
	nanosleep(&t, NULL);
	rt_threads(vm, 7, cpu, &fifo, &pinned, &locked);
	int st;
	waitpid(sup, &st, 0);
	test_note("system: SCHED_FIFO 7 threads %d, pinned %d, VmLck %ld kB, status %d", fifo,
		  pinned, locked, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_true(fifo >= 1);
	assert_true(pinned >= 1);
	assert_true(locked >= 64 * 1024);
}

static void refuse(const char *drop, const char *limit, const char *opts, const char *word)
{
	char cmd[1024];
	struct cmd_result r;
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	if (access("/usr/bin/setpriv", X_OK))
		skip_because("setpriv is not installed (util-linux)");
	snprintf(cmd, sizeof(cmd),
		 "%s; exec setpriv --inh-caps=-%s --bounding-set=-%s %s run --kernel %s "
		 "--realtime %s --cmdline 'run timer-latency'",
		 limit, drop, drop, build_path("vmm"), build_path("guest/benchguest.elf"), opts);
	run_cmd(argv, 60, &r);
	test_note("%s -> %d: %s", cmd, r.status, r.err);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, word));
	cmd_result_free(&r);
}

static void refused_without_rtprio(void **state)
{
	(void)state;
	REQUIRE_KVM();
	refuse("sys_nice", "ulimit -r 0", "--rt-prio 20", "RLIMIT_RTPRIO");
}

static void refused_without_memlock(void **state)
{
	(void)state;
	REQUIRE_KVM();
	refuse("ipc_lock", "ulimit -l 1024", "--mem 64M", "RLIMIT_MEMLOCK is 1024 KiB");
}

static void pin_list_checked(void **state)
{
	struct cmd_result r;
	const char *argv[] = {build_path("vmm"), "run", "--kernel",
			      build_path("guest/benchguest.elf"), "--pin", "0,1", NULL};

	(void)state;
	run_cmd(argv, 30, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "one host CPU per vCPU"));
	cmd_result_free(&r);
}

/* The monitor's own exits of vCPU 0 over a guest of about 5 s, as `vmm run
 * --kick-stats` counts them. */
static void guest_kicks(const char *opts, const char *cmdline, unsigned *kicks, unsigned *sig)
{
	char cmd[1024];
	struct cmd_result r;
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	snprintf(cmd, sizeof(cmd), "exec %s run --kernel %s --mem 64M --kick-stats %s --cmdline '%s'",
		 build_path("vmm"), build_path("guest/benchguest.elf"), opts, cmdline);
	run_cmd(argv, 60, &r);
	const char *p = strstr(r.err, "vCPU 0: ");
	test_note("%s %s -> %d: %s", opts, cmdline, r.status, p ? p : r.err);
	assert_non_null(p);
	assert_int_equal(sscanf(p, "vCPU 0: %u liveness kick%*[^,], %u KVM_RUN", kicks, sig), 2);
	assert_int_equal(r.status, 1); /* the guest's verdict: it ran to the end */
	cmd_result_free(&r);
}

/* The monitor makes no exits of its own on an idle real-time guest over
 * 5 s (one timer wake-up a second), nor on a working ordinary one (5 s of
 * wake-ups at 1 kHz, 4 s of computing): its liveness check reads KVM's
 * exit counters instead of kicking (kstats.h). A guest that makes no exit
 * for seconds (one 5 s sleep) is still checked, by a kick a second, which
 * shows that the count counts. */
static void no_monitor_exits_on_idle_realtime_guest(void **state)
{
	char opts[64];
	unsigned kicks, sig;

	(void)state;
	REQUIRE_KVM();
	snprintf(opts, sizeof(opts), "--realtime --pin %d",
		 sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
	guest_kicks(opts, "run timer-latency loops=5 interval_us=1000000", &kicks, &sig);
	assert_int_equal(kicks, 0);
	assert_int_equal(sig, 0);
	guest_kicks("", "run timer-latency loops=5000 interval_us=1000", &kicks, &sig);
	assert_int_equal(kicks, 0);
	assert_int_equal(sig, 0);
	guest_kicks("", "run cpu time_ms=4000", &kicks, &sig);
	assert_int_equal(kicks, 0);
	assert_int_equal(sig, 0);
	guest_kicks("", "run timer-latency loops=1 interval_us=5000000", &kicks, &sig);
	assert_true(kicks >= 2);
	assert_true(sig >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_and_memory),
		cmocka_unit_test(refused_without_rtprio),
		cmocka_unit_test(refused_without_memlock),
		cmocka_unit_test(pin_list_checked),
		cmocka_unit_test(system_passes_realtime),
		cmocka_unit_test(no_monitor_exits_on_idle_realtime_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
