/*
 * KVM tests of the virtio devices as a guest finds them: a tiny guest
 * (tests/guests/pciscan64.S) walks PCI bus 0 and prints each function's
 * IDs, class, interrupt pin and capabilities, and for virtio functions
 * reads the feature words, queue count and size, and the first word of
 * the device configuration through BAR0. Also: a bad --disk stops vmm
 * with status 2 before the guest runs. The end-to-end I/O tests are the
 * benchmark guest's driver's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define TIMEOUT_S 60
#define SCAN_DONE ((0x20 << 1) | 1)

static char img_a[64], img_b[64];

static void make_image(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(img_a, sizeof(img_a), "/tmp/vmm-kvm-virtio-a-%d.img", (int)getpid());
	snprintf(img_b, sizeof(img_b), "/tmp/vmm-kvm-virtio-b-%d.img", (int)getpid());
	make_image(img_a, 1 << 20);
	make_image(img_b, 4 << 20);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(img_a);
	unlink(img_b);
	return 0;
}

static void run_guest(struct cmd_result *r, const char *guest, const char *const *extra)
{
	const char *argv[16];
	int n = 0;
	argv[n++] = build_path("vmm");
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = build_path(guest);
	while (*extra && n < 15)
		argv[n++] = *extra++;
	argv[n] = NULL;
	run_cmd(argv, TIMEOUT_S, r);
	test_note("status %d, stdout:\n%s", r->status, r->out);
	test_note("stderr: %.600s", r->err);
}

static void run(struct cmd_result *r, const char *const *extra)
{
	run_guest(r, "tests/guests/pciscan64.elf", extra);
}

/* The line the guest printed for PCI device `dev`, or NULL. */
static const char *dev_line(const char *out, unsigned dev, char *buf, size_t len)
{
	char key[16];
	snprintf(key, sizeof(key), "dev %02x ", dev);
	const char *p = strstr(out, key);
	if (!p)
		return NULL;
	size_t n = strcspn(p, "\n");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
	return buf;
}

/* The capabilities every modern virtio function carries (virtio 1.2
 * 4.1.4): common (type 1, 0x40 bytes at 0), notify (type 2 at 0x3000,
 * multiplier 4), ISR (type 3 at 0x1000), MSI-X with 2 vectors (table
 * size - 1 = 1) in BAR0 at 0x4000/0x5000. */
#define COMMON_CAPS                                                            \
	"caps: c09:01:00000000+00000040 c09:02:00003000+00000004*00000004 "  \
	"c09:03:00001000+00000001 "
#define MSIX_CAP "c11:0001:00004000:00005000"

static void devices_enumerate(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char ro[80];
	snprintf(ro, sizeof(ro), "%s,readonly", img_b);
	const char *extra[] = {"--disk", img_a, "--rng", "--disk", ro, NULL};
	struct cmd_result r;
	run(&r, extra);
	assert_false(r.timed_out);
	assert_int_equal(r.status, SCAN_DONE);
	assert_non_null(strstr(r.out, "scan done"));
	char line[512];
	/* vda: writable, 1 MiB = 0x800 sectors. Features word 0: SIZE_MAX,
	 * SEG_MAX, FLUSH, INDIRECT_DESC, EVENT_IDX (DISCARD where /tmp can
	 * punch holes); word 1: VERSION_1. One queue of 256. */
	assert_non_null(dev_line(r.out, 2, line, sizeof(line)));
	assert_non_null(strstr(line, "id 10421af4 sub 11001af4 class 01000001"));
	assert_non_null(strstr(line, COMMON_CAPS "c09:04:00002000+0000003c " MSIX_CAP));
	assert_non_null(strstr(line, " f1 00000001 nq 0001 qs 0100 cfg 00000800"));
	unsigned long f0 = strtoul(strstr(line, " f0 ") + 4, NULL, 16);
	assert_int_equal(f0 & ~(1ul << 13), 0x30000206);
	/* vdb: read-only (F_RO, no DISCARD), 4 MiB = 0x2000 sectors. */
	assert_non_null(dev_line(r.out, 3, line, sizeof(line)));
	assert_non_null(strstr(line, "id 10421af4"));
	assert_non_null(strstr(line, " f0 30000226 f1 00000001 nq 0001 qs 0100 cfg 00002000"));
	/* The entropy device after the disks: ID 4, no device config. */
	assert_non_null(dev_line(r.out, 4, line, sizeof(line)));
	assert_non_null(strstr(line, "id 10441af4 sub 11001af4 class ff000001"));
	assert_non_null(strstr(line, COMMON_CAPS MSIX_CAP " f0 30000000 f1 00000001 nq 0001 qs 0040"));
	/* Interrupt pin A on the _PRT's GSI for each slot: 16 + (slot & 7). */
	assert_non_null(strstr(r.out, "dev 02 id 10421af4 sub 11001af4 class 01000001 irq 00000112"));
	assert_non_null(strstr(r.out, "dev 04 id 10441af4 sub 11001af4 class ff000001 irq 00000114"));
	assert_null(dev_line(r.out, 5, line, sizeof(line)));
	cmd_result_free(&r);
}

static void no_options_no_devices(void **state)
{
	(void)state;
	REQUIRE_KVM();
	const char *extra[] = {NULL};
	struct cmd_result r;
	run(&r, extra);
	assert_int_equal(r.status, SCAN_DONE);
	/* No virtio function (vendor 1af4 in the ID; the host bridge has it
	 * as its subsystem vendor, as on QEMU's PC). */
	assert_null(strstr(r.out, "1af4 sub"));
	cmd_result_free(&r);
}

static void bad_disk_stops_before_the_guest(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char odd[64];
	snprintf(odd, sizeof(odd), "/tmp/vmm-kvm-virtio-odd-%d.img", (int)getpid());
	make_image(odd, 1000);
	const struct {
		const char *arg, *want;
	} cases[] = {
		{"/nonexistent/disk.img", "--disk /nonexistent/disk.img: cannot open"},
		{"/tmp", "--disk /tmp: is a directory"},
		{odd, "not a multiple of 512 bytes; pad it with 'truncate -s %512"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *extra[] = {"--disk", cases[i].arg, NULL};
		struct cmd_result r;
		run(&r, extra);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, cases[i].want));
		assert_null(strstr(r.out, "dev 00")); /* the guest never ran */
		cmd_result_free(&r);
	}
	unlink(odd);
	/* The same image twice, writable: the lock refuses the second. */
	const char *extra[] = {"--disk", img_a, "--disk", img_a, NULL};
	struct cmd_result r;
	run(&r, extra);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "locked"));
	cmd_result_free(&r);
}

/* One request each through the real paths, polled by the guest: the
 * ioeventfd, the device's worker inside the sandbox, preadv into guest
 * memory, the used ring. (Interrupts and whole drivers: the benchmark
 * guest's driver tests.) */
static void requests_by_polling(void **state)
{
	(void)state;
	REQUIRE_KVM();
	int fd = open(img_a, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "ABCD", 4, 0), 4);
	close(fd);
	const char *extra[] = {"--disk", img_a, "--rng", NULL};
	struct cmd_result r;
	run_guest(&r, "tests/guests/virtio64.elf", extra);
	assert_int_equal(r.status, (0x21 << 1) | 1);
	/* Status OK, 512 data bytes + status, the bytes the host wrote. */
	assert_non_null(strstr(r.out, "blk status 00 used 00000201 data 44434241\n"));
	assert_non_null(strstr(r.out, "rng used 00000020\n"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(devices_enumerate),
		cmocka_unit_test(no_options_no_devices),
		cmocka_unit_test(bad_disk_stops_before_the_guest),
		cmocka_unit_test(requests_by_polling),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
