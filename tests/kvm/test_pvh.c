/*
 * KVM tests of the PVH boot path: the tiny PVH kernel (tests/guests/
 * pvh64.S, which checks the documented entry state itself) under vmm with
 * and without an initrd, the benchmark guest forced through its PVH entry
 * under vmm, and the same image under QEMU/KVM (microvm), which knows
 * only PVH for an ELF. Skipped where /dev/kvm cannot run a VM, and the
 * QEMU test where QEMU is not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define TIMEOUT_S 120

static void vmm(const char *const *extra, struct cmd_result *r)
{
	const char *argv[16] = {build_path("vmm"), "run"};
	int n = 2;
	while (*extra && n < 15)
		argv[n++] = *extra++;
	argv[n] = NULL;
	run_cmd(argv, TIMEOUT_S, r);
	test_note("status %d\n%.1500s\n%.500s", r->status, r->out, r->err);
}

static void tiny_pvh_kernel(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	const char *args[] = {"--kernel", build_path("tests/guests/pvh64.elf"), "--cmdline",
			      "pvh a=1", NULL};
	vmm(args, &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 37); /* (0x12 << 1) | 1: every check passed */
	assert_non_null(strstr(r.out, "hello from pvh, cmdline: pvh a=1\n"));
	assert_non_null(strstr(r.out, "memmap entries: 3\n"));
	assert_non_null(strstr(r.out, "modules: 0\n"));
	cmd_result_free(&r);
}

static void tiny_pvh_kernel_initrd_is_module_0(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char path[] = "/tmp/test_pvh_initrd_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char block[5000];
	memset(block, 'i', sizeof(block));
	assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	close(fd);
	struct cmd_result r;
	const char *args[] = {"--kernel", build_path("tests/guests/pvh64.elf"), "--initrd", path,
			      NULL};
	vmm(args, &r);
	unlink(path);
	assert_int_equal(r.status, 37);
	assert_non_null(strstr(r.out, "modules: 1\nmodule size: 5000\n"));
	cmd_result_free(&r);
}

/* The image offers both entries; --boot pvh takes the PVH one, and the
 * guest builds the ELF64 entry state and its boot information itself. */
static void benchguest_through_pvh(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	const char *args[] = {"--boot", "pvh", "--cpus", "2", "--kernel",
			      build_path("guest/benchguest.elf"), "--cmdline", "run cpu time_ms=100",
			      NULL};
	vmm(args, &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "RESULT {\"benchmark\":\"cpu\""));
	assert_non_null(strstr(r.out, "benchguest: tsc "));
	assert_null(strstr(r.out, "WARNING"));
	cmd_result_free(&r);
	/* A bad command line still reaches the guest's parser: status 5. */
	const char *bad[] = {"--boot", "pvh", "--kernel", build_path("guest/benchguest.elf"),
			     "--cmdline", "run no-such-workload", NULL};
	vmm(bad, &r);
	assert_int_equal(r.status, 5);
	cmd_result_free(&r);
}

/* --boot pvh on an image without the note is refused at start-up. */
static void boot_pvh_needs_the_note(void **state)
{
	(void)state;
	struct cmd_result r;
	const char *args[] = {"--boot", "pvh", "--kernel", build_path("tests/guests/hello64.elf"),
			      NULL};
	vmm(args, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "has no PVH entry note"));
	cmd_result_free(&r);
}

/* QEMU/KVM boots the same image through PVH and it ends through the
 * isa-debug-exit port: QEMU's status is then (V << 1) | 1 as vmm's. The
 * -cpu model is the first this host's QEMU takes (hvbench probes the same
 * list: src/hvbench/qemu.c). */
static void benchguest_under_qemu(void **state)
{
	(void)state;
	REQUIRE_KVM();
	const char *qemu = "/usr/bin/qemu-system-x86_64";
	if (access(qemu, X_OK))
		skip_because("%s is not installed (Debian package qemu-system-x86)", qemu);
	const char *cpus[] = {"host", "host,-arch-capabilities"};
	struct cmd_result r = {0};
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		const char *argv[] = {qemu, "-accel", "kvm", "-cpu", cpus[i], "-M", "microvm",
				      "-m", "256M", "-smp", "1", "-nographic", "-no-reboot",
				      "-nodefaults", "-serial", "stdio", "-monitor", "none",
				      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
				      "-kernel", build_path("guest/benchguest.elf"), "-append",
				      "run cpu time_ms=100", NULL};
		run_cmd(argv, TIMEOUT_S, &r);
		test_note("-cpu %s: status %d\n%.1500s\n%.500s", cpus[i], r.status, r.out, r.err);
		if (r.status == 1)
			break;
		cmd_result_free(&r);
		r = (struct cmd_result){0};
	}
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "RESULT {\"benchmark\":\"cpu\""));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tiny_pvh_kernel),
		cmocka_unit_test(tiny_pvh_kernel_initrd_is_module_0),
		cmocka_unit_test(benchguest_through_pvh),
		cmocka_unit_test(boot_pvh_needs_the_note),
		cmocka_unit_test(benchguest_under_qemu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
