/*
 * KVM tests of virtio-blk and virtio-rng, driven by the benchmark guest's
 * own virtio driver (src/guest/virtio.c: the transport paths Linux's
 * virtio_pci takes): the guest reads the pattern the test wrote into a
 * --disk image, writes another generation and flushes, and the test finds
 * it in the file; a read-only disk refuses a write with
 * VIRTIO_BLK_S_IOERR and the file stays as it was; a reset with requests
 * in flight recovers; --rng gives bytes that are not constant; the disk
 * workloads run in both completion modes. Each guest boots in well under
 * a second here. Skipped where /dev/kvm cannot run a VM.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "../../src/bench/diskpat.h"

#define IMG_SIZE (16u << 20)

static char dir[64], img[96];
static uint8_t filebuf[IMG_SIZE];

/* A fresh image of generation 0 in a private folder. */
static void make_image(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-virtio-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	int fd = open(img, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	diskpat_fill(filebuf, 0, IMG_SIZE, 0);
	assert_int_equal(pwrite(fd, filebuf, IMG_SIZE, 0), IMG_SIZE);
	close(fd);
}

static void drop_image(void)
{
	if (!dir[0])
		return;
	unlink(img);
	rmdir(dir);
	dir[0] = img[0] = '\0';
}

/* Also after a failed assertion, which leaves the test early. */
static int teardown(void **state)
{
	(void)state;
	drop_image();
	return 0;
}

static void read_image(void)
{
	int fd = open(img, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, filebuf, IMG_SIZE, 0), IMG_SIZE);
	close(fd);
}

/* vmm run --kernel GUEST [DEVOPT [DEVARG]] --cmdline CMD */
static void guest(const char *devopt, const char *devarg, const char *cmd, struct cmd_result *r)
{
	const char *argv[10] = {build_path("vmm"), "run", "--kernel",
				build_path("guest/benchguest.elf")};
	int n = 4;
	if (devopt)
		argv[n++] = devopt;
	if (devarg)
		argv[n++] = devarg;
	argv[n++] = "--cmdline";
	argv[n++] = cmd;
	argv[n] = NULL;
	run_cmd(argv, 120, r);
	test_note("%s %s: %s -> status %d\n%.2000s\n%.800s", devopt ? devopt : "",
		  devarg ? devarg : "", cmd, r->status, r->out, r->err);
}

static void expect_result(const char *devopt, const char *devarg, const char *cmd,
			  const char *name)
{
	struct cmd_result r;
	char want[96];
	guest(devopt, devarg, cmd, &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want), "RESULT {\"benchmark\":\"%s\"", name);
	assert_non_null(strstr(r.out, want));
	cmd_result_free(&r);
}

static void blk_reads_pattern(void **state)
{
	(void)state;
	REQUIRE_KVM();
	make_image();
	expect_result("--disk", img, "run disk-seq-read total=16M verify=full", "disk-seq-read");
	expect_result("--disk", img, "run disk-seq-read total=4M qd=8 wait=poll", "disk-seq-read");
	expect_result("--disk", img, "run disk-rand-read ios=300", "disk-rand-read");
	expect_result("--disk", img, "run disk-rand-read ios=300 wait=poll", "disk-rand-read");
	expect_result("--disk", img, "run disk-rand-iops ios=2000 qd=32", "disk-rand-iops");
	drop_image();
}

/* The guest's writes (generation 5) and flush reach the file; the rest of
 * the image is untouched; the guest reads its own writes back. */
static void blk_write_flush(void **state)
{
	(void)state;
	REQUIRE_KVM();
	make_image();
	expect_result("--disk", img, "run disk-seq-write total=3M gen=5", "disk-seq-write");
	read_image();
	assert_int_equal(diskpat_check(filebuf, 0, 3u << 20, 5, 1), 0);
	assert_int_equal(diskpat_check(filebuf + (3u << 20), 3u << 20, IMG_SIZE - (3u << 20), 0, 1),
			 0);
	expect_result("--disk", img, "run disk-seq-read total=3M gen=5 verify=full",
		      "disk-seq-read");
	/* QD 8, and a write that ends at the disk's last sector */
	expect_result("--disk", img, "run disk-seq-write total=16M qd=8 gen=6", "disk-seq-write");
	read_image();
	assert_int_equal(diskpat_check(filebuf, 0, IMG_SIZE, 6, 1), 0);
	drop_image();
}

static void blk_readonly_refuses_write(void **state)
{
	(void)state;
	REQUIRE_KVM();
	make_image();
	char spec[128];
	struct cmd_result r;
	snprintf(spec, sizeof(spec), "%s,readonly", img);
	guest("--disk", spec, "vtest ro-write", &r);
	assert_int_equal(r.status, 1);
	/* read-only offered (VIRTIO_BLK_F_RO), the write answered IOERR (1) */
	assert_non_null(strstr(r.out, "VTEST ro-write readonly/status a=1 b=1"));
	cmd_result_free(&r);
	guest("--disk", spec, "run disk-seq-write total=1M", &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "FAIL disk-seq-write: the disk is read-only"));
	cmd_result_free(&r);
	read_image();
	assert_int_equal(diskpat_check(filebuf, 0, IMG_SIZE, 0, 1), 0);
	expect_result("--disk", spec, "run disk-seq-read total=2M", "disk-seq-read");
	drop_image();
}

static void blk_reset_mid_io(void **state)
{
	(void)state;
	REQUIRE_KVM();
	make_image();
	struct cmd_result r;
	guest("--disk", img, "vtest reset", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "VTEST reset reread-ok"));
	cmd_result_free(&r);
	/* and the disk the guest had reset still holds the image */
	read_image();
	assert_int_equal(diskpat_check(filebuf, 0, IMG_SIZE, 0, 1), 0);
	drop_image();
}

static void rng_gives_bytes(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	guest("--rng", NULL, "vtest rng", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "VTEST rng got="));
	cmd_result_free(&r);
	expect_result("--rng", NULL, "run rng-read total=256K", "rng-read");
	expect_result("--rng", NULL, "run rng-read total=256K qd=4 wait=poll", "rng-read");
}

/* hvbench end to end with the real monitor: it makes the image in the
 * results folder, runs both sides of a disk workload against it and the
 * guest-only rng-read with --rng, and leaves no image behind. */
static void hvbench_device_workloads(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char out[64] = "/tmp/test-virtio-hvb-XXXXXX", res[96], json[128];
	assert_non_null(mkdtemp(out));
	snprintf(res, sizeof(res), "%s/r", out);
	snprintf(json, sizeof(json), "%s/r.json", out);
	const char *argv[] = {build_path("hvbench"), "run", "--bench",
			      "disk-seq-read,disk-rand-read,rng-read", "--reps", "1", "--size",
			      "small", "--out", res, "--json", json, NULL};
	struct cmd_result r;
	run_cmd(argv, 300, &r);
	test_note("hvbench -> %d\n%.1500s\n%.2000s", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	static const char script[] =
		"import json,sys\n"
		"d=json.load(open(sys.argv[1]))\n"
		"r={x['benchmark']:x for x in d['results']}\n"
		"for b in ('disk-seq-read','disk-rand-read'):\n"
		"    assert r[b]['native']['samples'] and r[b]['virt']['samples'], b\n"
		"assert r['rng-read']['native'] is None and r['rng-read']['virt']['samples']\n";
	const char *py[] = {"/usr/bin/python3", "-c", script, json, NULL};
	run_cmd(py, 30, &r);
	test_note("%s", r.err);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	DIR *rd = opendir(res);
	assert_non_null(rd);
	for (struct dirent *e; (e = readdir(rd));)
		assert_null(strstr(e->d_name, ".img"));
	closedir(rd);
	char rm[160];
	snprintf(rm, sizeof(rm), "rm -rf '%s'", out);
	assert_int_equal(system(rm), 0);
}

/* Without the device the workloads say what is missing. */
static void missing_devices_named(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	guest(NULL, NULL, "run disk-seq-read", &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "no virtio-blk function"));
	cmd_result_free(&r);
	guest(NULL, NULL, "run rng-read", &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "no virtio-rng function"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_devices_named),
		cmocka_unit_test_teardown(blk_reads_pattern, teardown),
		cmocka_unit_test_teardown(blk_write_flush, teardown),
		cmocka_unit_test_teardown(blk_readonly_refuses_write, teardown),
		cmocka_unit_test_teardown(blk_reset_mid_io, teardown),
		cmocka_unit_test(rng_gives_bytes),
		cmocka_unit_test(hvbench_device_workloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
