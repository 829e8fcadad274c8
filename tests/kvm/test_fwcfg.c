/*
 * KVM tests of what a guest written for QEMU finds: fw_cfg through its
 * ports (signature, ID, CPU counts and RAM size against --cpus and --mem,
 * the file directory, etc/e820) and through DMA, a multiboot kernel linked
 * at 0x8000, and the ACPI PM timer against the TSC. They skip where
 * /dev/kvm cannot run a VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define TIMEOUT_S 60
#ifndef TEST_VMM
#define TEST_VMM "vmm"
#endif

static void run_vmm(struct cmd_result *r, const char *guest, const char *const *extra)
{
	const char *argv[16];
	int n = 0;
	argv[n++] = build_path(TEST_VMM);
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = build_path(guest);
	for (; extra && *extra && n < 15; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	run_cmd(argv, TIMEOUT_S, r);
	test_note("status %d, stdout: %.600s", r->status, r->out);
	test_note("stderr: %.600s", r->err);
}

static void fwcfg_ports_match_cpus_and_mem(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	const char *const a[] = {"--cpus", "2", "--mem", "96M", NULL};
	run_vmm(&r, "tests/guests/fwcfgmb.elf", a);
	assert_false(r.timed_out);
	assert_int_equal(r.status, (0x12 << 1) | 1);
	assert_non_null(strstr(r.out, "fw_cfg signature QEMU\n"));
	assert_non_null(strstr(r.out, "id 00000003\n"));
	assert_non_null(strstr(r.out, "cpus 00000002\n"));
	assert_non_null(strstr(r.out, "max cpus 00000002\n"));
	assert_non_null(strstr(r.out, "ram 00000000:06000000\n")); /* 96 MiB */
	assert_non_null(strstr(r.out, "file etc/e820 size 00000014 key 00000020\n"));
	assert_non_null(strstr(r.out, "file etc/acpi/rsdp size 00000024"));
	assert_non_null(strstr(r.out, "file etc/acpi/tables size "));
	assert_non_null(strstr(r.out, "file etc/table-loader size "));
	assert_non_null(strstr(r.out, "e820 RAM adds up to RAM_SIZE\n"));
	cmd_result_free(&r);

	/* One vCPU and RAM above 4 GiB: two e820 blocks. */
	const char *const b[] = {"--mem", "3584M", NULL};
	run_vmm(&r, "tests/guests/fwcfgmb.elf", b);
	assert_int_equal(r.status, (0x12 << 1) | 1);
	assert_non_null(strstr(r.out, "cpus 00000001\n"));
	assert_non_null(strstr(r.out, "ram 00000000:e0000000\n"));
	assert_non_null(strstr(r.out, "file etc/e820 size 00000028"));
	assert_non_null(strstr(r.out, "e820 RAM adds up to RAM_SIZE\n"));
	cmd_result_free(&r);
}

static void fwcfg_dma(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/fwdmamb.elf", NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, (0x13 << 1) | 1);
	assert_non_null(strstr(r.out, "dma: etc/acpi/rsdp starts RSD PTR\n"));
	assert_non_null(strstr(r.out, "dma: write refused with the error bit\n"));
	assert_non_null(strstr(r.out, "dma: all checks passed\n"));
	/* No unclaimed accesses: the guest touched only fw_cfg and COM1. */
	assert_null(strstr(r.err, "unclaimed"));
	cmd_result_free(&r);
}

static void multiboot_below_1mib(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char rd[] = "/tmp/fwcfg-initrd-XXXXXX";
	int fd = mkstemp(rd);
	assert_true(fd >= 0);
	char buf[5000];
	memset(buf, 0x42, sizeof(buf));
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	struct cmd_result r;
	const char *const a[] = {"--cmdline", "low test", "--initrd", rd, NULL};
	run_vmm(&r, "tests/guests/lowmb.elf", a);
	unlink(rd);
	assert_false(r.timed_out);
	assert_int_equal(r.status, (0x14 << 1) | 1);
	assert_non_null(strstr(r.out, "hello from below 1 MiB, cmdline: low test\n"));
	/* The module at 1 MiB, the information structure after it. */
	assert_non_null(strstr(r.out, "info at 00102000 module 00100000-00101388\n"));
	cmd_result_free(&r);

	const char *const b[] = {"--cmdline", "no module", NULL};
	run_vmm(&r, "tests/guests/lowmb.elf", b);
	assert_int_equal(r.status, (0x14 << 1) | 1);
	assert_non_null(strstr(r.out, "cmdline: no module\ninfo at 00100000\n"));
	cmd_result_free(&r);
}

static void pm_timer_runs_at_3_58_mhz(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_vmm(&r, "tests/guests/pmtimer64.elf", NULL);
	assert_false(r.timed_out);
	assert_int_equal(r.status, (0x15 << 1) | 1);
	assert_non_null(strstr(r.out, "pm timer: rate ok\n"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fwcfg_ports_match_cpus_and_mem),
		cmocka_unit_test(fwcfg_dma),
		cmocka_unit_test(multiboot_below_1mib),
		cmocka_unit_test(pm_timer_runs_at_3_58_mhz),
	};
	return cmocka_run_group_tests_name("fwcfg", tests, NULL, NULL);
}
