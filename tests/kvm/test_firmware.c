/*
 * Firmware boot (vmm run --firmware): Debian's SeaBIOS boots a raw disk
 * image made here from tests/guests/biosboot.S (an MBR boot sector that
 * prints through int 10h, reads its second sector through int 13h from
 * the virtio-blk disk and ends with debug-exit 0x15), on one and two
 * vCPUs and with both SeaBIOS images; and the start-up errors of the
 * options (status 2, a message naming the input), which need no KVM. The
 * boots skip where /dev/kvm cannot run a VM or the seabios package is not
 * installed.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define TIMEOUT_S 180
#ifndef TEST_VMM
#define TEST_VMM "vmm"
#endif
#define SEABIOS_DIR "/usr/share/seabios/"
#define STATUS_BOOTED ((0x15 << 1) | 1)

struct fx {
	char dir[64];
	char disk[128], log[128], bad[128];
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	strcpy(x->dir, "/tmp/test_firmware.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->disk, sizeof(x->disk), "%s/disk.img", x->dir);
	snprintf(x->log, sizeof(x->log), "%s/seabios.log", x->dir);
	snprintf(x->bad, sizeof(x->bad), "%s/bad.bin", x->dir);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	unlink(x->disk);
	unlink(x->log);
	unlink(x->bad);
	rmdir(x->dir);
	free(x);
	return 0;
}

/* The disk: the two sectors of the boot sector guest, padded to 1 MiB. */
static void make_disk(const struct fx *x)
{
	char buf[1024];
	FILE *in = fopen(build_path("tests/guests/biosboot.bin"), "rb");
	assert_non_null(in);
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	assert_int_equal(n, 1024);
	int fd = open(x->disk, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
}

static char *slurp(const char *path)
{
	static char b[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(b, 1, sizeof(b) - 1, f) : 0;
	if (f)
		fclose(f);
	b[n] = '\0';
	return b;
}

static void run_vmm(struct cmd_result *r, const char *const *args)
{
	const char *argv[24];
	int n = 0;
	argv[n++] = build_path(TEST_VMM);
	argv[n++] = "run";
	for (; *args && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	run_cmd(argv, TIMEOUT_S, r);
	test_note("status %d, stdout: %.400s", r->status, r->out);
	test_note("stderr: %.600s", r->err);
}

static void boot(struct fx *x, const char *image, const char *cpus, bool acpi_log)
{
	REQUIRE_KVM();
	if (access(image, R_OK))
		skip_because("%s is missing (Debian package seabios)", image);
	make_disk(x);
	struct cmd_result r;
	const char *const a[] = {"--firmware", image, "--firmware-log", x->log, "--disk", x->disk,
				 "--cpus", cpus, NULL};
	run_vmm(&r, a);
	const char *log = slurp(x->log);
	test_note("firmware log: %.1500s", log);
	assert_false(r.timed_out);
	assert_int_equal(r.status, STATUS_BOOTED);
	/* SeaBIOS's int 10h text reached COM1 (etc/sercon-port), before and
	 * after the boot sector's own int 13h read. */
	assert_non_null(strstr(r.out, "SeaBIOS (version"));
	assert_non_null(strstr(r.out, "biosboot: boot sector running\r\n"));
	assert_non_null(strstr(r.out, "biosboot: sector 2 read through int 13h\r\n"));
	/* What it found, in its debug log (port 0x402): fw_cfg with DMA, the
	 * ACPI tables through the table loader (bios-256k.bin says so; the
	 * 128 KiB build has no DSDT parser), our disk in modern virtio mode
	 * and first in the boot order. */
	assert_non_null(strstr(log, "Found QEMU fw_cfg\n"));
	assert_non_null(strstr(log, "QEMU fw_cfg DMA interface supported\n"));
	if (acpi_log)
		assert_non_null(strstr(log, "ACPI: parse DSDT at "));
	assert_non_null(strstr(log, "using modern (1.0) virtio mode\n"));
	assert_non_null(strstr(log, "1: /pci@i0cf8/scsi@"));
	assert_null(strstr(log, "\n2: \n"));
	char want[64];
	snprintf(want, sizeof(want), "Found %s cpu(s)", cpus);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "Booting from Hard Disk...\n"));
	cmd_result_free(&r);
}

static void seabios_256k_boots_disk(void **state)
{
	boot(*state, SEABIOS_DIR "bios-256k.bin", "1", true);
}

static void seabios_128k_boots_disk(void **state)
{
	boot(*state, SEABIOS_DIR "bios.bin", "1", false);
}

static void seabios_two_cpus(void **state)
{
	boot(*state, SEABIOS_DIR "bios-256k.bin", "2", true);
}

/* Start-up errors: status 2 and a message naming the input, before any
 * VM exists (so no KVM needed). */
static void bad_options(void **state)
{
	struct fx *x = *state;
	struct cmd_result r;
	int fd = open(x->bad, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1000), 0);
	close(fd);
	const char *const size[] = {"--firmware", x->bad, "--disk", x->bad, NULL};
	run_vmm(&r, size);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "bad.bin: size 1000 is not a non-zero multiple of 64 KiB"));
	cmd_result_free(&r);

	fd = open(x->bad, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 32 << 20), 0);
	close(fd);
	run_vmm(&r, size);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "bad.bin: size 33554432 is over the 16 MiB"));
	cmd_result_free(&r);

	const char *const nodisk[] = {"--firmware", x->bad, NULL};
	run_vmm(&r, nodisk);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "bad.bin: no --disk to boot from"));
	cmd_result_free(&r);

	const char *const kernel[] = {"--firmware", x->bad, "--kernel", x->bad, NULL};
	run_vmm(&r, kernel);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--firmware "));
	assert_non_null(strstr(r.err, "bad.bin and --kernel: the firmware boots the disk's"));
	cmd_result_free(&r);

	const char *const cmdline[] = {"--firmware", x->bad, "--cmdline", "quiet", NULL};
	run_vmm(&r, cmdline);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "and --cmdline:"));
	cmd_result_free(&r);

	const char *const nofw[] = {"--firmware-log", x->log, "--kernel", x->bad, NULL};
	run_vmm(&r, nofw);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "seabios.log: needs --firmware"));
	cmd_result_free(&r);

	const char *const missing[] = {"--firmware", "/nonexistent/bios.bin", "--disk", x->bad,
				       NULL};
	run_vmm(&r, missing);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--firmware /nonexistent/bios.bin: No such file"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_options, setup, teardown),
		cmocka_unit_test_setup_teardown(seabios_256k_boots_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(seabios_128k_boots_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(seabios_two_cpus, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
