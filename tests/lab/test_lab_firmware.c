/*
 * Lab test of firmware boot: in the nested lab (real SVM semantics), vmm
 * runs Debian's SeaBIOS (`vmm run --firmware`) on the lab machine's disk,
 * which lab/mkbootdisk.sh made from Debian packages (SYSLINUX's MBR, a FAT
 * partition with SYSLINUX, the lab's kernel and the inner image). SeaBIOS
 * boots the disk through SYSLINUX to Debian's kernel on two vCPUs (SeaBIOS
 * starts the second with INIT/SIPI and describes both to Linux), which
 * reaches its /init, sees both CPUs and powers off: vmm then ends with
 * status 0. A program of its own
 * so that tests/run.py gives its slow boot its own time limit. Skips with
 * the reason when the lab or the disk cannot be made here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lablib.h"

/* QEMU's limit: SeaBIOS and SYSLINUX run at CPL0 under nested SVM inside
 * TCG, and read the 8 MiB kernel and the inner image through int 13h. */
#define FIRMWARE_TIMEOUT_S 540

static void lab_seabios_boots_syslinux_disk_two_cpus(void **state)
{
	(void)state;
	require_lab();
	const char *disk = build_path("lab/bootdisk.img");
	if (access(disk, R_OK)) {
		char why[512] = "not made";
		FILE *f = fopen(build_path("lab/bootdisk.unavailable"), "r");
		if (f) {
			size_t n = fread(why, 1, sizeof(why) - 1, f);
			why[n] = '\0';
			fclose(f);
		}
		skip_because("%s: %s", disk, why);
	}
	struct cmd_result r;
	const char *opts[] = {"--cpus", "2", "--drive", disk, "firmware", NULL};
	run_lab_for(&r, FIRMWARE_TIMEOUT_S, opts);
	assert_false(r.timed_out);
	if (!strstr(r.out, "INIT: done") || vmm_status_after(r.out, "LAB: test firmware begin"))
		lab_note_run(r.out, "LAB: test firmware begin", 40);
	/* Every layer: the firmware, the disk's boot loader, Linux's /init,
	 * its power-off. */
	assert_non_null(strstr(r.out, "SeaBIOS (version"));
	assert_non_null(strstr(r.out, "SYSLINUX"));
	assert_non_null(strstr(r.out, "INIT: reached /init"));
	assert_non_null(strstr(r.out, "INIT: nproc 2\n"));
	assert_non_null(strstr(r.out, "INIT: done"));
	assert_int_equal(vmm_status_after(r.out, "LAB: test firmware begin"), 0);
	/* The firmware's log: it found fw_cfg and the virtio disk. */
	assert_non_null(strstr(r.out, "LAB: firmware log:"));
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lab_seabios_boots_syslinux_disk_two_cpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
