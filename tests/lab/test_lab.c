/*
 * Lab tests: each case boots the nested lab through lab/run.sh (QEMU TCG
 * with an emulated AMD-V CPU, kvm_amd loaded inside) and checks what our
 * static monitor did there, under real SVM semantics: the KVM kind it
 * reports, the tiny test guests' exit statuses, and Debian's Linux kernel
 * booting to its /init, running sysbench and powering off, on one vCPU and
 * on two, and as vmlinux through its PVH entry; and that the boot-timing comparison of vmm with QEMU/KVM on the
 * same guest runs to the end under both; the benchmark guest as a
 * real-time VM with HLT exits disabled. A case skips, with the reason,
 * when QEMU or the lab's images are missing (lab/fetch.sh could not reach
 * the Debian archive). The first three cases share one boot.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lablib.h"

/* The wall-clock limit run.sh gives QEMU. */
#define LAB_TIMEOUT_S 300

static void run_lab(struct cmd_result *r, const char *const opts[])
{
	run_lab_for(r, LAB_TIMEOUT_S, opts);
}

/* The first three cases read one lab boot (info, then the tiny guests,
 * then the benchmark guest), made by the first of them that runs: a boot
 * of the lab machine costs more than what each of them does in it. */
static struct cmd_result *small_boot(void)
{
	static struct cmd_result r;
	static bool done;
	require_lab();
	if (!done) {
		const char *opts[] = {"info,guests,benchguest", NULL};
		done = true;
		run_lab(&r, opts);
	}
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	return &r;
}

static void lab_info_reports_amd_v(void **state)
{
	(void)state;
	struct cmd_result *r = small_boot();
	assert_non_null(strstr(r->out, "LAB: kvm_amd loaded"));
	assert_non_null(strstr(r->out, "kvm kind: hardware AMD-V (kvm_amd)"));
	assert_int_equal(vmm_status_after(r->out, "LAB: test info begin"), 0);
}

/* `needle` is in the console; where it is not, the notes show the part of
 * the console from `marker` (a guest's run, up to 1500 bytes), so that a
 * failure in CI shows what the guest and the monitor printed instead. */
static void assert_console_has(const char *out, const char *marker, const char *needle)
{
	if (strstr(out, needle))
		return;
	const char *p = strstr(out, marker);
	test_note("console has no \"%s\"; from \"%s\":\n%.1500s", needle, marker,
		  p ? p : "(not there either)");
	fail_msg("no \"%s\" on the lab's console", needle);
}

static void lab_tiny_guests_under_svm(void **state)
{
	(void)state;
	const struct cmd_result *r = small_boot();
	/* The same statuses as tests/kvm/test_boot.c, now under SVM. */
	assert_console_has(r->out, "LAB: guest hello64", "hello from elf64, cmdline: lab guest hello64");
	assert_int_equal(vmm_status_after(r->out, "LAB: guest hello64"), (0x10 << 1) | 1);
	assert_console_has(r->out, "LAB: guest hellomb",
			   "hello from multiboot, cmdline: lab guest hellomb");
	assert_int_equal(vmm_status_after(r->out, "LAB: guest hellomb"), (0x11 << 1) | 1);
	assert_console_has(r->out, "LAB: guest triple64", "about to triple fault");
	assert_int_equal(vmm_status_after(r->out, "LAB: guest triple64"), 4);
	/* KVM on AMD INITs a vCPU that shuts down before vmm can read it:
	 * the dump must say that its registers are the INIT state, not
	 * those of the fault (vcpu_x86.c). */
	assert_console_has(r->out, "LAB: guest triple64", "the registers below are the INIT state");
	assert_console_has(r->out, "LAB: guest triple64", "rip 000000000000fff0");
	assert_console_has(r->out, "LAB: guest unclaimed64", "unclaimed reads all-ones");
	assert_int_equal(vmm_status_after(r->out, "LAB: guest unclaimed64"), 1);
}

/* The benchmark guest under SVM: the same image as on the software KVM
 * must run correctly with hardware virtualisation semantics. */
static void lab_benchguest_under_svm(void **state)
{
	(void)state;
	const struct cmd_result *r = small_boot();
	static const char *const names[] = {"cpu", "threads", "mutex", "timer-latency",
					    "irq-latency-user", "irq-latency-irqfd", "basicmath"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char want[96], marker[96];
		snprintf(want, sizeof(want), "RESULT {\"benchmark\":\"%s\"", names[i]);
		snprintf(marker, sizeof(marker), "LAB: benchguest run %s", names[i]);
		assert_non_null(strstr(r->out, want));
		assert_int_equal(vmm_status_after(r->out, marker), 1);
	}
	assert_non_null(strstr(r->out, "FAULT vector 6 (#UD"));
	assert_int_equal(vmm_status_after(r->out, "LAB: benchguest fault ud"), 7);
	/* --realtime with HLT exits disabled: kvm_amd offers it (no warning
	 * that the exits stay), and the halted guest is still woken by its
	 * timer and by the MSI. */
	static const char *const rt[] = {"timer-latency", "irq-latency-irqfd"};
	for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		char marker[96];
		snprintf(marker, sizeof(marker), "LAB: benchguest realtime run %s", rt[i]);
		const char *m = strstr(r->out, marker);
		assert_non_null(m);
		char want[96];
		snprintf(want, sizeof(want), "RESULT {\"benchmark\":\"%s\"", rt[i]);
		assert_non_null(strstr(m, want));
		assert_int_equal(vmm_status_after(r->out, marker), 1);
	}
	assert_null(strstr(r->out, "cannot disable HLT/PAUSE exits"));
}

/* The console of lab_linux_boots_one_cpu's boot, whose linux:pvh test
 * also boots the kernel as vmlinux through PVH after the bzImage run;
 * lab_linux_boots_vmlinux_through_pvh reads that second run from it, so
 * that it costs no lab boot of its own. */
static char *linux_pvh_console;

/* Boots Debian's kernel under vmm in the lab with bench=cpu and checks
 * every layer: /init reached, the CPU count, sysbench's result, our bench
 * runner's RESULT line when the image has it, power-off and status 0.
 * TEST is linux, or linux:pvh to keep the console for the PVH case. */
static void boot_linux(const char *cpus, const char *test)
{
	require_lab();
	struct cmd_result r;
	const char *opts[] = {"--cpus", cpus, "--inner", "console=ttyS0 bench=cpu", test, NULL};
	run_lab(&r, opts);
	if (!strcmp(test, "linux:pvh")) {
		free(linux_pvh_console);
		linux_pvh_console = strdup(r.out);
	}
	assert_false(r.timed_out);
	assert_non_null(strstr(r.out, "INIT: reached /init"));

	char want[64];
	snprintf(want, sizeof(want), "INIT: nproc %s\n", cpus);
	if (!strstr(r.out, want)) {
		const char *seen = strstr(r.out, "INIT: nproc ");
		test_note("the guest was given --cpus %s but sees %.16s: the monitor must describe "
			  "every vCPU to Linux (ACPI MADT processor entries) and start the "
			  "application processors (INIT/SIPI through the in-kernel LAPIC)",
			  cpus, seen ? seen + strlen("INIT: nproc ") : "no nproc line");
		fail_msg("Linux sees the wrong number of CPUs");
	}

	assert_non_null(strstr(r.out, "Prime numbers limit: 2000"));
	assert_non_null(strstr(r.out, "total number of events:              200"));
	assert_non_null(strstr(r.out, "INIT: sysbench exit status 0"));
	if (strstr(r.out, "INIT: workload cpu: bench")) {
		assert_non_null(strstr(r.out, "RESULT {\"benchmark\":\"cpu\""));
		assert_non_null(strstr(r.out, "INIT: bench exit status 0"));
	}
	assert_non_null(strstr(r.out, "INIT: done"));
	char begin[64];
	snprintf(begin, sizeof(begin), "LAB: test %s begin", test);
	assert_int_equal(vmm_status_after(r.out, begin), 0);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
}

static void lab_linux_boots_one_cpu(void **state)
{
	(void)state;
	boot_linux("1", "linux:pvh");
}

static void lab_linux_boots_two_cpus(void **state)
{
	(void)state;
	boot_linux("2", "linux");
}

/* The same Debian kernel, uncompressed (lab/mkinitrd.sh extracts vmlinux
 * from the bzImage's xz payload), booted through its PVH entry (the
 * XEN_ELFNOTE_PHYS32_ENTRY note; src/vmm/arch/x86/pvh.c) with the same
 * inner image: it reaches /init, runs sysbench and powers off, and vmm
 * exits 0. Read from lab_linux_boots_one_cpu's console. */
static void lab_linux_boots_vmlinux_through_pvh(void **state)
{
	(void)state;
	require_lab();
	if (!linux_pvh_console)
		fail_msg("no console of lab_linux_boots_one_cpu's linux:pvh boot to read");
	const char *run = strstr(linux_pvh_console, "LAB: linux pvh begin");
	if (!run)
		fail_msg("the lab boot did not get to the PVH run");
	const char *bad = strstr(run, "LAB: FAIL linux pvh");
	if (bad)
		fail_msg("%.200s", bad);
	const char *end = strstr(run, "LAB: linux pvh end");
	assert_non_null(end);
	size_t len = (size_t)(end - run);
	char *part = strndup(run, len);
	assert_non_null(part);
	assert_non_null(strstr(part, "LAB: vmm start: vmm run --kernel /lab/vmlinux --boot pvh"));
	assert_non_null(strstr(part, "INIT: reached /init"));
	assert_non_null(strstr(part, "INIT: sysbench exit status 0"));
	assert_non_null(strstr(part, "INIT: done"));
	assert_int_equal(vmm_status_after(part, "LAB: linux pvh begin"), 0);
	free(part);
}

/* A guest reboot ends vmm with 0. Linux reboots a hardware-reduced ACPI
 * machine without EFI through the BIOS reset vector; vmm's stub there
 * must turn that into a reset. */
static void lab_linux_reboot_ends_run(void **state)
{
	(void)state;
	require_lab();
	struct cmd_result r;
	const char *opts[] = {"--inner", "console=ttyS0 quiet bench=none off=reboot", "linux",
			      NULL};
	run_lab(&r, opts);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.out, "INIT: done"));
	assert_non_null(strstr(r.out, "turning off by reboot"));
	assert_int_equal(vmm_status_after(r.out, "LAB: test linux begin"), 0);
	cmd_result_free(&r);
}

/* The boot-timing test with 2 runs per monitor: every run, under vmm and
 * under QEMU/KVM, reaches the guest's /init and ends by its power-off
 * with status 0, and both summaries are printed. The timings are only
 * reported: under TCG they compare the two monitors with each other and
 * mean nothing on their own. */
static void lab_boot_timing_vmm_and_qemu(void **state)
{
	(void)state;
	require_lab();
	struct cmd_result r;
	const char *opts[] = {"timing:2", NULL};
	run_lab(&r, opts);
	assert_false(r.timed_out);
	char line[256];
	if (find_line(r.out, "LAB: FAIL timing", line, sizeof(line)))
		fail_msg("%s", line);
	static const char *const monitors[] = {"vmm", "qemu"};
	for (int run = 1; run <= 2; run++) {
		for (size_t m = 0; m < 2; m++) {
			char prefix[64], init[32], off[32];
			int status = -1;
			snprintf(prefix, sizeof(prefix), "LAB: timing run %d/2 %s init_ms=", run,
				 monitors[m]);
			if (!find_line(r.out, prefix, line, sizeof(line)))
				fail_msg("no line '%s...'", prefix);
			test_note("%s", line);
			assert_int_equal(sscanf(line + strlen(prefix), "%31s off_ms=%31s status=%d",
						init, off, &status),
					 3);
			if (strcmp(init, "none") == 0)
				fail_msg("run %d under %s did not reach /init", run, monitors[m]);
			if (status != 0)
				fail_msg("run %d under %s exited with status %d, want 0 (power-off)",
					 run, monitors[m], status);
		}
	}
	for (size_t m = 0; m < 2; m++) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "LAB: timing %s init_ms=", monitors[m]);
		if (!find_line(r.out, prefix, line, sizeof(line)))
			fail_msg("no summary '%s...'", prefix);
		test_note("%s", line);
		assert_non_null(strstr(line, " runs=2 init=2 exit0=2"));
	}
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
}

/* The Linux guest's side of `hvbench run --guest linux`: bench=NAME with
 * bench.args= (hvbench's encoding, see lab/realtool.sh) makes the inner
 * /init run that one workload, the real tools through /bin/realtool.sh and
 * ours through /bin/bench, print its RESULT line and power off (vmm status
 * 0). Tiny sizes: only the conversion and the protocol are checked. */
static void hvbench_in_linux(const char *name, const char *args, const char *metric,
			     const char *params)
{
	require_lab();
	struct cmd_result r;
	char inner[256], result[128], status[128];
	snprintf(inner, sizeof(inner), "console=ttyS0 quiet bench=%s bench.args=%s", name, args);
	snprintf(result, sizeof(result), "RESULT {\"benchmark\":\"%s\",\"metric\":\"%s\"", name,
		 metric);
	snprintf(status, sizeof(status), "INIT: workload %s exit status 0", name);
	const char *opts[] = {"--inner", inner, "--expect", result, "linux", NULL};
	run_lab(&r, opts);
	assert_false(r.timed_out);
	const char *line = strstr(r.out, result);
	if (!line)
		fail_msg("no '%s' line on the console", result);
	size_t len = strcspn(line, "\n");
	char copy[1024];
	snprintf(copy, sizeof(copy), "%.*s", (int)(len < sizeof(copy) ? len : sizeof(copy) - 1),
		 line);
	test_note("%s", copy);
	if (!strstr(copy, params))
		fail_msg("the RESULT line lacks '%s': the parameters did not arrive", params);
	assert_null(strstr(r.out, "\nFAIL "));
	assert_non_null(strstr(r.out, status));
	assert_int_equal(vmm_status_after(r.out, "LAB: test linux begin"), 0);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
}

static void lab_linux_realtool_sysbench_cpu(void **state)
{
	(void)state;
	hvbench_in_linux("sysbench-cpu", "max_prime=2000,events=20,time_ms=0", "events_per_s",
			 "\"params\":{\"max_prime\":2000,\"time_ms\":0,\"events\":20}");
}

static void lab_linux_realtool_cyclictest(void **state)
{
	(void)state;
	hvbench_in_linux("cyclictest", "loops=20,interval_us=1000", "latency_avg",
			 "\"check\":20,");
}

static void lab_linux_bench_with_args(void **state)
{
	(void)state;
	hvbench_in_linux("cpu", "max_prime=2000,events=20", "events_per_s",
			 "\"params\":{\"max_prime\":2000,\"time_ms\":1000,\"events\":20}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lab_info_reports_amd_v),
		cmocka_unit_test(lab_tiny_guests_under_svm),
		cmocka_unit_test(lab_benchguest_under_svm),
		cmocka_unit_test(lab_linux_boots_one_cpu),
		cmocka_unit_test(lab_linux_boots_vmlinux_through_pvh),
		cmocka_unit_test(lab_linux_boots_two_cpus),
		cmocka_unit_test(lab_linux_reboot_ends_run),
		cmocka_unit_test(lab_linux_realtool_sysbench_cpu),
		cmocka_unit_test(lab_linux_realtool_cyclictest),
		cmocka_unit_test(lab_linux_bench_with_args),
		cmocka_unit_test(lab_boot_timing_vmm_and_qemu),
	};
	/* LAB_TESTS=PATTERN runs only the cases it matches (cmocka's * and ?
	 * wildcards), to check a few without booting the lab for all. */
	const char *only = getenv("LAB_TESTS");
	if (only && only[0])
		cmocka_set_test_filter(only);
	int rc = cmocka_run_group_tests_name("lab", tests, NULL, NULL);
	free(linux_pvh_console);
	return rc;
}
