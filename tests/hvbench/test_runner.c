/* test_runner: the runner templates (argv expansion for the native, the
 * real-tool, the bare-guest and the Linux-guest side under vmm and QEMU),
 * the bench.args encoding of the kernel command line, the exit-status
 * mapping of each runner, the refusal of a Linux guest on a software KVM, running a child with
 * output capture and a time limit, and the host's KVM-kind probe. */
#include "testlib.h"
#include "host.h"
#include "run.h"
#include "runner.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static void realtool_template(void **state)
{
	struct runner r;
	const char *params[] = {"loops=20"};
	char *argv[16];

	(void)state;
	runner_realtool(&r, "lab/realtool.sh");
	assert_int_equal(runner_expand(&r, "cyclictest", params, 1, argv, 16), 4);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[1], "lab/realtool.sh");
	assert_string_equal(argv[2], "cyclictest");
	assert_string_equal(argv[3], "loops=20");
	runner_free_argv(argv);
	assert_int_equal(runner_ok_status(&r), 0);
}

static void linux_template(void **state)
{
	struct runner r;
	const char *params[] = {"max_prime=2000", "events=20"};
	char *argv[40], *d;

	(void)state;
	runner_linux(&r, "build/vmm", "vmlinuz", "inner.cpio.gz");
	assert_int_equal(runner_expand(&r, "sysbench-cpu", params, 2, argv, 40), 12);
	assert_string_equal(argv[0], "build/vmm");
	assert_string_equal(argv[1], "run");
	assert_string_equal(argv[2], "--kernel");
	assert_string_equal(argv[3], "vmlinuz");
	assert_string_equal(argv[4], "--initrd");
	assert_string_equal(argv[5], "inner.cpio.gz");
	assert_string_equal(argv[6], "--mem");
	assert_string_equal(argv[7], "512M");
	assert_string_equal(argv[8], "--cpus");
	assert_string_equal(argv[9], "1");
	assert_string_equal(argv[10], "--cmdline");
	assert_string_equal(argv[11], "console=ttyS0 quiet panic=-1 bench=sysbench-cpu "
				      "bench.args=max_prime=2000,events=20");
	assert_null(argv[12]);
	runner_free_argv(argv);
	/* No parameters: bench.args= stays, empty (it marks an hvbench run). */
	assert_int_equal(runner_expand(&r, "cpu", NULL, 0, argv, 40), 12);
	assert_string_equal(argv[11], "console=ttyS0 quiet panic=-1 bench=cpu bench.args=");
	runner_free_argv(argv);
	d = runner_describe(&r);
	assert_string_equal(d, "build/vmm run --kernel vmlinuz --initrd inner.cpio.gz --mem 512M "
			       "--cpus 1 --cmdline \"console=ttyS0 quiet panic=-1 bench={name} "
			       "bench.args={params,}\"");
	free(d);
	assert_string_equal(r.monitor, "vmm");
	assert_int_equal(runner_ok_status(&r), 0);
}

static void qemu_template(void **state)
{
	struct runner r;
	const char *params[] = {"loops=20"};
	const char *want[] = {"/usr/bin/qemu-system-x86_64", "-accel", "kvm", "-cpu", "host",
			      "-m", "512M", "-smp", "1", "-nographic", "-no-reboot",
			      "-nodefaults", "-serial", "stdio", "-monitor", "none", "-kernel",
			      "vmlinuz", "-initrd", "inner.cpio.gz", "-append",
			      "console=ttyS0 quiet panic=-1 bench=cyclictest bench.args=loops=20"};
	char *argv[40];
	size_t n = sizeof(want) / sizeof(want[0]);

	(void)state;
	runner_qemu(&r, "/usr/bin/qemu-system-x86_64", NULL, "vmlinuz", "inner.cpio.gz");
	assert_int_equal(runner_expand(&r, "cyclictest", params, 1, argv, 40), (int)n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[n]);
	runner_free_argv(argv);
	assert_string_equal(r.monitor, "qemu");
	assert_int_equal(runner_ok_status(&r), 0);
}

static void cmdline_encoding(void **state)
{
	const char *params[] = {"a=1", "b=x y,z%\"'\t\xc3\xa9", "c=A-Z.0_9+:/="};
	char *e, *c, *argv[40];
	char big[3000];
	const char *huge[] = {big};
	struct runner r;

	(void)state;
	e = runner_encode_args(params, 3);
	assert_string_equal(e, "a=1,b=x%20y%2Cz%25%22%27%09%C3%A9,c=A-Z.0_9+:/=");
	free(e);
	e = runner_encode_args(NULL, 0);
	assert_string_equal(e, "");
	free(e);
	/* Longer than Linux's COMMAND_LINE_SIZE: refused, not truncated. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(runner_linux_cmdline("cpu", huge, 1));
	runner_linux(&r, "vmm", "k", "i");
	assert_int_equal(runner_expand(&r, "cpu", huge, 1, argv, 40), -1);
	c = runner_linux_cmdline("cpu", params, 1);
	assert_string_equal(c, "console=ttyS0 quiet panic=-1 bench=cpu bench.args=a=1");
	free(c);
}

/* The encoding is reversed by lab/realtool.sh --decode, which the Linux
 * guest's /init runs: one parameter a line, byte for byte. */
static void cmdline_decodes_in_script(void **state)
{
	const char *params[] = {"a=1", "b=x y,z%\"'\xc3\xa9", "size=small"};
	char sh[] = "/bin/sh", script[] = "lab/realtool.sh", dec[] = "--decode";
	char *enc = runner_encode_args(params, 3);
	char *argv[] = {sh, script, dec, enc, NULL};
	struct runner_run res;

	(void)state;
	if (access(script, R_OK))
		skip_because("run from the top of the source tree (no %s)", script);
	runner_exec(argv, -1, 30, NULL, NULL, &res);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.out, "a=1\nb=x y,z%\"'\xc3\xa9\nsize=small\n");
	runner_run_free(&res);
	free(enc);
}

static void exit_mapping_linux(void **state)
{
	struct runner lin, peer;
	struct runner_run res;
	char empty[] = "";

	(void)state;
	runner_linux(&lin, "vmm", "k", "i");
	runner_qemu(&peer, "qemu", NULL, "k", "i");
	memset(&res, 0, sizeof(res));
	res.outcome = RUN_EXITED;
	res.err = empty;
	/* The guest powered off: 0 under both monitors (the bare guest's is 1). */
	assert_int_equal(RUNNER_POWEROFF_STATUS_OK, 0);
	res.status = 0;
	assert_null(runner_judge(&lin, &res));
	assert_null(runner_judge(&peer, &res));
	res.status = 1;
	assert_non_null(strstr(runner_judge(&lin, &res), "debug-exit port instead of powering"));
	assert_non_null(strstr(runner_judge(&peer, &res), "qemu failed (exit status 1)"));
	res.status = 4;
	assert_non_null(strstr(runner_judge(&lin, &res),
			       "vmm failed: guest triple-faulted (exit status 4)"));
	/* 143 is odd but not a debug-exit value: vmm was stopped. */
	res.status = 143;
	assert_non_null(strstr(runner_judge(&lin, &res),
			       "vmm failed: stopped by SIGTERM (exit status 143)"));
}

static void linux_refusal(void **state)
{
	const char *why;

	(void)state;
	assert_null(run_linux_refusal("hardware", "VT-x"));
	assert_null(run_linux_refusal("none", "none"));
	why = run_linux_refusal("software", "kvm_pvm");
	assert_non_null(why);
	assert_non_null(strstr(why, "kvm_pvm"));
	assert_non_null(strstr(why, "emulates guest kernel code"));
	assert_non_null(strstr(why, "--force"));
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
	res.status = -1;
	res.signalled = 1;
	res.sig = 11;
	assert_non_null(strstr(runner_judge(&nat, &res), "crashed (killed by signal 11"));
	res.signalled = 0;
	res.outcome = RUN_TIMEOUT;
	nat.timeout_s = 5;
	assert_non_null(strstr(runner_judge(&nat, &res), "timed out after 5 s"));
}

/* Runs `sh -c script` and judges its real wait status as the bare guest's
 * monitor. */
static const char *judge_sh(const struct runner *r, const char *script, struct runner_run *res)
{
	char sh[] = "/bin/sh", c[] = "-c", s[256];
	char *argv[] = {sh, c, s, NULL};

	snprintf(s, sizeof(s), "%s", script);
	runner_exec(argv, -1, 10, NULL, NULL, res);
	assert_int_equal(res->outcome, RUN_EXITED);
	return runner_judge(r, res);
}

/* The monitor's status read by src/common/vmmstatus.h: only a vmm that
 * exited 1 passes; a debug-exit value too large to carry (14), an exit
 * with 143 and a vmm killed by SIGKILL are failures, each named for what
 * it is. The RESULT line on stdout changes nothing. */
static void exit_statuses_of_vmm(void **state)
{
	struct runner vm, sys;
	struct runner_run res;
	const char *why;

	(void)state;
	runner_bare(&vm, "vmm", "guest");
	runner_system(&sys, "vmm", "cfg");
	assert_null(judge_sh(&vm, "echo RESULT; exit 1", &res));
	runner_run_free(&res);
	why = judge_sh(&vm, "exit 14", &res);
	assert_non_null(why);
	assert_non_null(strstr(why, "debug-exit value too large for an exit status (exit "
				    "status 14)"));
	runner_run_free(&res);
	why = judge_sh(&vm, "exit 143", &res);
	assert_non_null(why);
	assert_non_null(strstr(why, "stopped by SIGTERM (exit status 143)"));
	assert_false(res.signalled);
	runner_run_free(&res);
	why = judge_sh(&vm, "echo last words >&2; kill -KILL $$", &res);
	assert_non_null(why);
	assert_true(res.signalled);
	assert_int_equal(res.sig, 9);
	assert_non_null(strstr(why, "vmm killed by signal 9"));
	assert_non_null(strstr(why, "last words"));
	runner_run_free(&res);
	why = judge_sh(&vm, "exit 129", &res); /* odd, yet not value 64 */
	assert_non_null(why);
	assert_null(strstr(why, "debug-exit value 64"));
	runner_run_free(&res);
	/* vmm system's 1 is "a VM did not end cleanly", not value 0. */
	why = judge_sh(&sys, "exit 1", &res);
	assert_non_null(why);
	assert_non_null(strstr(why, "a VM did not end cleanly"));
	runner_run_free(&res);
	assert_null(judge_sh(&sys, "exit 0", &res));
	runner_run_free(&res);
	why = judge_sh(&sys, "kill -KILL $$", &res);
	assert_non_null(why);
	assert_non_null(strstr(why, "vmm system killed by signal 9"));
	runner_run_free(&res);
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

/* Pinned to two CPUs (the device workloads' guest: vCPU and I/O thread). */
static void exec_pins_two_cpus(void **state)
{
	char sh[] = "/bin/sh", c[] = "-c", script[] = "grep Cpus_allowed_list /proc/self/status";
	char *argv[] = {sh, c, script, NULL};
	struct runner_run res;
	cpu_set_t set;
	int cpus[2], n = 0;
	char want[96];

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	if (n < 2)
		skip_because("this process may use one CPU only");
	runner_exec_on(argv, cpus[1], cpus[0], 10, NULL, NULL, &res);
	assert_int_equal(res.outcome, RUN_EXITED);
	snprintf(want, sizeof(want), "Cpus_allowed_list:\t%d%c%d\n", cpus[0],
		 cpus[1] == cpus[0] + 1 ? '-' : ',', cpus[1]);
	assert_string_equal(res.out, want);
	runner_run_free(&res);
	runner_exec_on(argv, cpus[1], -1, 10, NULL, NULL, &res);
	snprintf(want, sizeof(want), "Cpus_allowed_list:\t%d\n", cpus[1]);
	assert_string_equal(res.out, want);
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

static void arch_name(void **state)
{
	(void)state;
	assert_string_equal(host_arch_name("aarch64"), "arm64");
	assert_string_equal(host_arch_name("arm64"), "arm64");
	assert_string_equal(host_arch_name("x86_64"), "x86_64");
	assert_string_equal(host_arch_name("amd64"), "x86_64");
	assert_string_equal(host_arch_name("riscv64"), "riscv64");
	assert_string_equal(host_arch_name(""), "unknown");
	assert_string_equal(host_arch_name(NULL), "unknown");
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

/* arm64's /proc/cpuinfo names no virtualisation flag: KVM built into the
 * kernel (/sys/module/kvm) is the hardware's EL2; without it, none. */
static void kvm_kind_arm64(void **state)
{
	char dir[] = "/tmp/hvbench-mod-XXXXXX", sub[64];
	const char *cpuinfo = "processor\t: 0\nBogoMIPS\t: 125.00\nFeatures\t: fp asimd\n"
			      "CPU implementer\t: 0x41\nCPU part\t: 0xd03\n";
	char *kvm, *kind;

	(void)state;
	assert_non_null(mkdtemp(dir));
	host_kvm_kind(cpuinfo, dir, &kvm, &kind);
	assert_string_equal(kvm, "none");
	assert_string_equal(kind, "none");
	free(kvm);
	free(kind);
	snprintf(sub, sizeof(sub), "%s/kvm", dir);
	mkdir(sub, 0700);
	host_kvm_kind(cpuinfo, dir, &kvm, &kind);
	assert_string_equal(kvm, "EL2");
	assert_string_equal(kind, "hardware");
	free(kvm);
	free(kind);
	/* An x86 cpuinfo with the kvm module but no vmx/svm stays none. */
	host_kvm_kind("flags : fpu\n", dir, &kvm, &kind);
	assert_string_equal(kvm, "none");
	free(kvm);
	free(kind);
	rmdir(sub);
	rmdir(dir);
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

/* The monitor-memory workload's sampling: VmRSS and the resident part of
 * the mapping whose size is the guest RAM's, here a mapping of an odd size
 * (3076 KiB) of which exactly 1 MiB is touched, in this process and then in
 * a child that prints the marker; before the marker nothing is sampled,
 * and the probe is the next run's alone. */
#define ODD_KIB 3076

static void memory_probe(void **state)
{
	long long rss, guest;
	char *m;
	struct runner_run res;
	char py[] = "python3", dash_c[] = "-c";
	char code[] = "import mmap,time\nm=mmap.mmap(-1,3076*1024)\nm[:1048576]=b'x'*1048576\n"
		      "print('before',flush=True)\ntime.sleep(0.2)\nprint('MEM-READY',flush=True)\n"
		      "time.sleep(0.5)\n";
	char *argv[] = {py, dash_c, code, NULL};

	(void)state;
	m = mmap(NULL, ODD_KIB * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	madvise(m, ODD_KIB * 1024, MADV_NOHUGEPAGE); /* 4 KiB pages: Rss is what we touch */
	memset(m, 1, 1 << 20);
	assert_int_equal(runner_mem_sample(getpid(), ODD_KIB, &rss, &guest), 0);
	assert_true(guest == 1024);
	assert_true(rss >= guest);
	/* No mapping of that size: no number. */
	assert_int_equal(runner_mem_sample(getpid(), ODD_KIB - 1, &rss, &guest), -1);
	munmap(m, ODD_KIB * 1024);

	if (access("/usr/bin/python3", X_OK))
		skip_because("python3 is not installed");
	runner_probe_memory("MEM-READY", ODD_KIB);
	runner_exec(argv, -1, 30, NULL, NULL, &res);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.mem_sampled, 1);
	/* The child's touched MiB (its pages may be huge: at most the mapping). */
	assert_true(res.mem_guest_kib >= 1024 && res.mem_guest_kib <= ODD_KIB);
	assert_true(res.mem_rss_kib > res.mem_guest_kib);
	runner_run_free(&res);
	/* The probe was that run's: the next one samples nothing. */
	runner_exec(argv, -1, 30, NULL, NULL, &res);
	assert_int_equal(res.mem_sampled, 0);
	runner_run_free(&res);
	/* A marker that never comes: nothing sampled either. */
	runner_probe_memory("NEVER-SAID", ODD_KIB);
	runner_exec(argv, -1, 30, NULL, NULL, &res);
	assert_int_equal(res.mem_sampled, 0);
	runner_run_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_template),
		cmocka_unit_test(bare_template),
		cmocka_unit_test(exit_mapping),
		cmocka_unit_test(exit_statuses_of_vmm),
		cmocka_unit_test(realtool_template),
		cmocka_unit_test(linux_template),
		cmocka_unit_test(qemu_template),
		cmocka_unit_test(cmdline_encoding),
		cmocka_unit_test(cmdline_decodes_in_script),
		cmocka_unit_test(exit_mapping_linux),
		cmocka_unit_test(linux_refusal),
		cmocka_unit_test(exec_capture),
		cmocka_unit_test(exec_stdin_and_dir),
		cmocka_unit_test(exec_pins_two_cpus),
		cmocka_unit_test(exec_timeout_kills_group),
		cmocka_unit_test(exec_errors),
		cmocka_unit_test(memory_probe),
		cmocka_unit_test(last_line),
		cmocka_unit_test(arch_name),
		cmocka_unit_test(kvm_kind),
		cmocka_unit_test(kvm_kind_arm64),
		cmocka_unit_test(iso_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
