/*
 * KVM tests of `vmm run --io-cpus LIST` (cpulist.h): while a guest runs,
 * every device worker thread (named after its sandbox role, virtio-blk0,
 * virtio-rng) is allowed only the CPUs of LIST and every vCPU thread only
 * the process's other CPUs, as /proc/PID/task/TID/status says
 * (Cpus_allowed_list); a CPU the process may not use, or a list that
 * leaves the vCPUs none, stops at start-up with status 2 and a message
 * naming the option. With --io-poll the disk workloads still read the
 * image's pattern and write theirs, with completions by interrupt and by
 * polling, and with far fewer notifications than requests. Skipped where
 * /dev/kvm cannot run a VM, and the placement and polling parts where this
 * process may use only one CPU.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "cpulist.h"
#include "../../src/bench/diskpat.h"

/* A guest that runs until stopped. */
#define LONG_CMDLINE "run memory total_size=16000G block_size=1M oper=read"

static char dir[64], img[96];

#define IMG_SIZE (8u << 20)
static uint8_t filebuf[IMG_SIZE];

/* Generation 0 of the pattern (diskpat.h), as hvbench makes it. */
static void make_image(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-io-cpus-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	int fd = open(img, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	diskpat_fill(filebuf, 0, IMG_SIZE, 0);
	assert_int_equal(pwrite(fd, filebuf, IMG_SIZE, 0), IMG_SIZE);
	close(fd);
}

/* The lowest CPU this process may use, or -1 when it may use only one. */
static int io_cpu(void)
{
	cpu_set_t allowed;
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	if (CPU_COUNT(&allowed) < 2)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed))
			return c;
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	if (dir[0]) {
		unlink(img);
		rmdir(dir);
		dir[0] = '\0';
	}
	return 0;
}

/* Reads Cpus_allowed_list of each thread of pid into the per-name slots;
 * returns how many of the named threads were found. */
struct thr {
	const char *comm;
	char cpus[64];
};

static int read_threads(pid_t pid, struct thr *t, int n)
{
	char path[320];
	int found = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	for (int i = 0; i < n; i++)
		t[i].cpus[0] = '\0';
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char comm[32] = "", line[256];
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		for (int i = 0; i < n; i++) {
			if (strcmp(comm, t[i].comm))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				if (!strncmp(line, "Cpus_allowed_list:", 18)) {
					char *v = line + 18;
					v += strspn(v, " \t");
					v[strcspn(v, "\n")] = '\0';
					snprintf(t[i].cpus, sizeof(t[i].cpus), "%s", v);
					found++;
				}
			fclose(f);
		}
	}
	closedir(d);
	return found;
}

static void places_threads(void **state)
{
	(void)state;
	REQUIRE_KVM();
	cpu_set_t allowed, io, vcpus;
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	if (CPU_COUNT(&allowed) < 2)
		skip_because("this process may use one CPU only: no CPU to move the I/O to");
	CPU_ZERO(&io);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed)) {
			CPU_SET(c, &io); /* the lowest allowed CPU */
			break;
		}
	CPU_XOR(&vcpus, &allowed, &io);
	char want_io[64], want_vcpu[64];
	cpulist_format(&io, want_io, sizeof(want_io));
	cpulist_format(&vcpus, want_vcpu, sizeof(want_vcpu));
	make_image();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		execl(build_path("vmm"), "vmm", "run", "--kernel", build_path("guest/benchguest.elf"),
		      "--cpus", "2", "--disk", img, "--rng", "--io-cpus", want_io, "--cmdline",
		      LONG_CMDLINE, (char *)NULL);
		_exit(127);
	}
	struct thr t[] = {{"vcpu0", ""}, {"vcpu1", ""}, {"virtio-blk0", ""}, {"virtio-rng", ""}};
	int n = (int)(sizeof(t) / sizeof(t[0])), ok = 0;
	/* The placement happens before the guest starts; names are given a
	 * little earlier, so look until it holds (or 10 s). */
	for (int tries = 0; tries < 200 && !ok; tries++) {
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
		ok = read_threads(pid, t, n) == n && !strcmp(t[0].cpus, want_vcpu) &&
		     !strcmp(t[1].cpus, want_vcpu) && !strcmp(t[2].cpus, want_io) &&
		     !strcmp(t[3].cpus, want_io);
	}
	test_note("want vCPUs on %s, workers on %s; vcpu0 %s, vcpu1 %s, virtio-blk0 %s, "
		  "virtio-rng %s", want_vcpu, want_io, t[0].cpus, t[1].cpus, t[2].cpus, t[3].cpus);
	int st;
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(ok);
	/* and it still stops as asked */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 143);
}

static void run_expect_config_error(const char *list, const char *msg)
{
	struct cmd_result r;
	const char *argv[] = {build_path("vmm"), "run", "--kernel",
			      build_path("guest/benchguest.elf"), "--rng", "--io-cpus", list,
			      "--cmdline", "run rng-read total=4K", NULL};
	run_cmd(argv, 60, &r);
	test_note("--io-cpus %s -> %d: %s", list, r.status, r.err);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--io-cpus"));
	assert_non_null(strstr(r.err, msg));
	cmd_result_free(&r);
}

/* vmm run --io-cpus N --io-poll 1000 --disk IMG --cmdline CMD: the RESULT
 * line, and how many notifications the guest sent. */
static long polled_run(const char *cmd, const char *name)
{
	char cpu[16], want[96];
	struct cmd_result r;
	snprintf(cpu, sizeof(cpu), "%d", io_cpu());
	const char *argv[] = {build_path("vmm"), "run", "--kernel",
			      build_path("guest/benchguest.elf"), "--disk", img, "--io-cpus", cpu,
			      "--io-poll", "1000", "--cmdline", cmd, NULL};
	run_cmd(argv, 120, &r);
	test_note("%s -> %d\n%.1500s\n%.500s", cmd, r.status, r.out, r.err);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want), "RESULT {\"benchmark\":\"%s\"", name);
	assert_non_null(strstr(r.out, want));
	const char *n = strstr(r.out, "\"notifies\":");
	assert_non_null(n);
	long v = strtol(n + 11, NULL, 10);
	cmd_result_free(&r);
	return v;
}

/* The polling worker serves correctly: the pattern read back (full
 * check), the guest's writes in the file, both completion modes; with a
 * polling guest the worker's window hides most notifications. */
static void polling_worker_serves(void **state)
{
	(void)state;
	REQUIRE_KVM();
	if (io_cpu() < 0)
		skip_because("this process may use one CPU only: --io-poll needs --io-cpus");
	make_image();
	polled_run("run disk-seq-read total=8M verify=full", "disk-seq-read");
	long n = polled_run("run disk-seq-read total=8M verify=full wait=poll", "disk-seq-read");
	assert_true(n < 64); /* of 64 requests; typically a handful (a window that
			      * runs out while the worker waits for its CPU costs one) */
	polled_run("run disk-rand-iops ios=2000 qd=32 wait=poll", "disk-rand-iops");
	polled_run("run disk-seq-write total=8M gen=3 qd=4", "disk-seq-write");
	int fd = open(img, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, filebuf, IMG_SIZE, 0), IMG_SIZE);
	close(fd);
	assert_int_equal(diskpat_check(filebuf, 0, IMG_SIZE, 3, 1), 0);
}

/* A CPU outside the process's set, every allowed CPU, and a bad list. */
static void refuses_bad_placement(void **state)
{
	(void)state;
	REQUIRE_KVM();
	cpu_set_t allowed;
	char list[64];
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	int outside = -1;
	for (int c = CPU_SETSIZE - 1; c >= 0 && outside < 0; c--)
		if (!CPU_ISSET(c, &allowed))
			outside = c;
	if (outside >= 0) {
		snprintf(list, sizeof(list), "%d", outside);
		run_expect_config_error(list, "is not one this process may use");
	}
	cpulist_format(&allowed, list, sizeof(list));
	run_expect_config_error(list, "none is left for the vCPUs");
	run_expect_config_error("1-0", "expected a CPU list");
	struct cmd_result r;
	const char *argv[] = {build_path("vmm"), "run", "--kernel",
			      build_path("guest/benchguest.elf"), "--io-poll", "10", NULL};
	run_cmd(argv, 60, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--io-poll needs --io-cpus"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(places_threads, teardown),
		cmocka_unit_test(refuses_bad_placement),
		cmocka_unit_test_teardown(polling_worker_serves, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
