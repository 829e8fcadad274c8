/* test_vfio_host: the --vfio address form and the start-up checks of a
 * passed-through function, on a fake sysfs and /dev tree in a temp dir. */
#include "testlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio_host.h"

#define BDF "0000:00:04.0"
#define GB (1ull << 30)

struct tree {
	char root[64];
	char sys[96], dev[96];
	struct vfio_host_paths p;
};

static void mkdirs(const char *path)
{
	char b[PATH_MAX];
	snprintf(b, sizeof(b), "%s", path);
	for (char *s = b + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(b, 0755);
			*s = '/';
		}
	mkdir(b, 0755);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A PCI function in sysfs, its IOMMU group (or none: group < 0) and its
 * driver (or none: NULL). */
static void add_fn(struct tree *t, const char *bdf, int group, const char *drv)
{
	char p[1024], q[PATH_MAX];
	snprintf(p, sizeof(p), "%s/devices/pci0000:00/%s", t->sys, bdf);
	mkdirs(p);
	snprintf(q, sizeof(q), "%s/vendor", p);
	put(q, "0x8086\n");
	snprintf(q, sizeof(q), "%s/device", p);
	put(q, "0x100e\n");
	snprintf(q, sizeof(q), "%s/class", p);
	put(q, "0x020000\n");
	snprintf(q, sizeof(q), "%s/bus/pci/devices", t->sys);
	mkdirs(q);
	snprintf(q, sizeof(q), "%s/bus/pci/devices/%s", t->sys, bdf);
	assert_int_equal(symlink(p, q), 0);
	if (drv) {
		char d[1024];
		snprintf(d, sizeof(d), "%s/bus/pci/drivers/%s", t->sys, drv);
		mkdirs(d);
		snprintf(q, sizeof(q), "%s/driver", p);
		assert_int_equal(symlink(d, q), 0);
	}
	if (group >= 0) {
		char g[1024];
		snprintf(g, sizeof(g), "%s/kernel/iommu_groups/%d/devices", t->sys, group);
		mkdirs(g);
		snprintf(q, sizeof(q), "%s/%s", g, bdf);
		assert_int_equal(symlink(p, q), 0);
		snprintf(g, sizeof(g), "%s/kernel/iommu_groups/%d", t->sys, group);
		snprintf(q, sizeof(q), "%s/iommu_group", p);
		assert_int_equal(symlink(g, q), 0);
	}
}

static void add_vfio(struct tree *t, int group)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/vfio", t->dev);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/vfio/vfio", t->dev);
	put(p, "");
	if (group >= 0) {
		snprintf(p, sizeof(p), "%s/vfio/%d", t->dev, group);
		put(p, "");
	}
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/test_vfio_host.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	mkdirs(t->sys);
	mkdirs(t->dev);
	t->p = (struct vfio_host_paths){t->sys, t->dev};
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static const struct vfio_limits unlimited = {UINT64_MAX, false};

static int check(struct tree *t, const char *bdf, uint64_t ram, const struct vfio_limits *l,
		 struct vfio_host_dev *d, char *err)
{
	err[0] = '\0';
	return vfio_host_check(&t->p, bdf, ram, l, d, err, 1024);
}

static void test_parse_bdf(void **state)
{
	(void)state;
	char out[VFIO_BDF_LEN];
	assert_int_equal(vfio_parse_bdf("0000:00:04.0", out), 0);
	assert_string_equal(out, "0000:00:04.0");
	assert_int_equal(vfio_parse_bdf("0001:3A:1f.7", out), 0);
	assert_string_equal(out, "0001:3a:1f.7");
	const char *bad[] = {"", "00:04.0", "0000:00:04", "0000:00:20.0", "0000:00:04.8",
			     "0000-00:04.0", "0000:00:04.0 ", "000g:00:04.0", "0000:00:4.00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vfio_parse_bdf(bad[i], out), -1);
	assert_int_equal(vfio_parse_bdf(NULL, out), -1);
}

static void test_no_such_function(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "no PCI function 0000:00:04.0"));
	assert_int_equal(check(t, "00:04.0", GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "expected a PCI address"));
}

/* This machine's case: PCI functions, but no IOMMU groups and no VFIO. */
static void test_no_iommu(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, -1, "virtio-pci");
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "no IOMMU on this host"));
	assert_non_null(strstr(err, "intel_iommu=on"));
}

static void test_no_vfio(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, 3, "vfio-pci");
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "VFIO is not available"));
	assert_non_null(strstr(err, "modprobe vfio-pci"));
}

static void test_wrong_driver(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, 3, "e1000");
	add_vfio(t, 3);
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "bound to e1000, not to vfio-pci"));
	assert_non_null(strstr(err, "echo vfio-pci > /sys/bus/pci/devices/0000:00:04.0/"
				    "driver_override"));
	assert_non_null(strstr(err, "echo 0000:00:04.0 > /sys/bus/pci/devices/0000:00:04.0/"
				    "driver/unbind"));
	assert_non_null(strstr(err, "drivers_probe"));
}

static void test_unbound(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, 3, NULL);
	add_vfio(t, 3);
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "bound to no driver"));
	assert_null(strstr(err, "unbind"));
}

static void test_group_not_viable(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, 5, "vfio-pci");
	add_fn(t, "0000:00:04.1", 5, "snd_hda_intel");
	add_fn(t, "0000:00:03.0", 5, "pcieport"); /* a bridge: fine */
	add_fn(t, "0000:00:04.2", 5, NULL);      /* unbound: fine */
	add_vfio(t, 5);
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "IOMMU group 5 is not viable"));
	assert_non_null(strstr(err, "0000:00:04.1 (driver snd_hda_intel)"));
	assert_null(strstr(err, "0000:00:03.0"));
	assert_null(strstr(err, "0000:00:04.2"));
}

static void test_memlock(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, 7, "vfio-pci");
	add_vfio(t, 7);
	struct vfio_limits low = {8u << 20, false};
	assert_int_equal(check(t, BDF, 256ull << 20, &low, &d, err), -1);
	assert_non_null(strstr(err, "RLIMIT_MEMLOCK is 8192 KiB"));
	assert_non_null(strstr(err, "at least 262144 KiB"));
	assert_non_null(strstr(err, "ulimit -l 262144"));
	/* CAP_IPC_LOCK: the limit does not apply. */
	struct vfio_limits cap = {8u << 20, true};
	assert_int_equal(check(t, BDF, 256ull << 20, &cap, &d, err), 0);
	/* Enough. */
	struct vfio_limits enough = {256ull << 20, false};
	assert_int_equal(check(t, BDF, 256ull << 20, &enough, &d, err), 0);
}

static void test_ok(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, 7, "vfio-pci");
	add_vfio(t, 7);
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), 0);
	assert_int_equal(d.group, 7);
	assert_int_equal(d.vendor, 0x8086);
	assert_int_equal(d.device, 0x100e);
	assert_int_equal(d.class_code, 0x020000);
	assert_string_equal(d.driver, "vfio-pci");
	assert_string_equal(d.bdf, BDF);
}

static void test_group_node_missing(void **state)
{
	struct tree *t = *state;
	struct vfio_host_dev d;
	char err[1024];
	add_fn(t, BDF, 7, "vfio-pci");
	add_vfio(t, -1);
	assert_int_equal(check(t, BDF, GB, &unlimited, &d, err), -1);
	assert_non_null(strstr(err, "/vfio/7 is missing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bdf),
		cmocka_unit_test_setup_teardown(test_no_such_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_iommu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_vfio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_not_viable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_node_missing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
