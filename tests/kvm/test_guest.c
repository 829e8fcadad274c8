/*
 * KVM tests of the benchmark guest (build/guest/benchguest.elf): every
 * workload runs at a small size under build/vmm, prints a RESULT line whose
 * self-check passed, and ends with status 1 (debug-exit value 0); a fault
 * in a workload is reported with its vector and status 7; a bad command
 * line ends with status 5. Skipped where /dev/kvm cannot run a VM.
 */
#include <stdio.h>
#include <string.h>

#include "testlib.h"

static void guest_run(const char *cmdline, struct cmd_result *r)
{
	const char *argv[] = {build_path("vmm"), "run", "--kernel",
			      build_path("guest/benchguest.elf"), "--cmdline", cmdline, NULL};
	run_cmd(argv, 300, r);
	test_note("%s -> status %d\n%.1500s\n%.500s", cmdline, r->status, r->out, r->err);
}

static void workload(const char *cmdline, const char *name)
{
	REQUIRE_KVM();
	struct cmd_result r;
	char want[96];
	guest_run(cmdline, &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want), "RESULT {\"benchmark\":\"%s\"", name);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "benchguest: tsc "));
	assert_null(strstr(r.out, "WARNING"));
	cmd_result_free(&r);
}

#define WL(fn, cmd, name)                    \
	static void fn(void **state)         \
	{                                    \
		(void)state;                 \
		workload(cmd, name);         \
	}
WL(cpu, "run cpu time_ms=100", "cpu")
WL(memory, "run memory total_size=64M", "memory")
WL(memory_rnd_read, "run memory total_size=16M oper=read access=rnd", "memory")
WL(threads, "run threads events=2 threads=3", "threads")
WL(mutex, "run mutex mutex_locks=200 threads=3", "mutex")
WL(basicmath, "run basicmath size=tiny", "basicmath")
WL(bitcount, "run bitcount size=tiny", "bitcount")
WL(qsort, "run qsort size=tiny", "qsort")
WL(susan_smoothing, "run susan-smoothing size=tiny", "susan-smoothing")
WL(susan_edges, "run susan-edges size=tiny", "susan-edges")
WL(susan_corners, "run susan-corners size=tiny", "susan-corners")
WL(timer_latency, "run timer-latency loops=10", "timer-latency")

/* The GPIO loopback interrupt arrives on both delivery paths. */
WL(irq_latency_user, "run irq-latency-user loops=200", "irq-latency-user")
WL(irq_latency_irqfd, "run irq-latency-irqfd loops=200", "irq-latency-irqfd")

static void fault_reported(const char *kind, const char *vector)
{
	REQUIRE_KVM();
	struct cmd_result r;
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "fault %s", kind);
	guest_run(cmd, &r);
	assert_int_equal(r.status, 7);
	assert_non_null(strstr(r.out, vector));
	assert_non_null(strstr(r.out, "in user mode"));
	cmd_result_free(&r);
}

static void fault_ud(void **state)
{
	(void)state;
	fault_reported("ud", "FAULT vector 6 (#UD");
}

static void fault_pf(void **state)
{
	(void)state;
	fault_reported("pf", "FAULT vector 14 (#PF");
}

static void fault_gp(void **state)
{
	(void)state;
	fault_reported("gp", "FAULT vector 13 (#GP");
}

static void bad_command_line(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	guest_run("run no-such-workload", &r);
	assert_int_equal(r.status, 5);
	assert_non_null(strstr(r.out, "unknown workload 'no-such-workload'"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpu),
		cmocka_unit_test(memory),
		cmocka_unit_test(memory_rnd_read),
		cmocka_unit_test(threads),
		cmocka_unit_test(mutex),
		cmocka_unit_test(basicmath),
		cmocka_unit_test(bitcount),
		cmocka_unit_test(qsort),
		cmocka_unit_test(susan_smoothing),
		cmocka_unit_test(susan_edges),
		cmocka_unit_test(susan_corners),
		cmocka_unit_test(timer_latency),
		cmocka_unit_test(irq_latency_user),
		cmocka_unit_test(irq_latency_irqfd),
		cmocka_unit_test(fault_ud),
		cmocka_unit_test(fault_pf),
		cmocka_unit_test(fault_gp),
		cmocka_unit_test(bad_command_line),
	};
	return cmocka_run_group_tests_name("guest", tests, NULL, NULL);
}
