/* test_vfio_startup: `vmm run --vfio BDF` stops at start-up, exit 2, with
 * the message that names what the host lacks, before any guest runs. On
 * a host without an IOMMU (this one: /sys/kernel/iommu_groups empty) that
 * is the "no IOMMU" message; elsewhere the test says why it skips. The
 * other messages (VFIO missing, wrong driver, group not viable, memlock)
 * are unit-tested on a fake sysfs (tests/unit/test_vfio_host.c). */
#include "testlib.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool iommu_groups_empty(void)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	if (!d)
		return true;
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			empty = false;
	closedir(d);
	return empty;
}

static void run_vfio(const char *bdf, struct cmd_result *r)
{
	const char *argv[] = {build_path("vmm"), "run", "--kernel",
			      build_path("tests/guests/hello64.elf"), "--vfio", bdf, NULL};
	run_cmd(argv, 30, r);
}

static void test_no_iommu(void **state)
{
	(void)state;
	if (!iommu_groups_empty())
		skip_because("this host has an IOMMU; the lab tests passthrough itself");
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char bdf[64] = "";
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strlen(e->d_name) == 12) {
			snprintf(bdf, sizeof(bdf), "%s", e->d_name);
			break;
		}
	if (d)
		closedir(d);
	if (!bdf[0])
		skip_because("no PCI functions in /sys/bus/pci/devices");
	struct cmd_result r;
	run_vfio(bdf, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "no IOMMU on this host"));
	assert_null(strstr(r.out, "hello"));
	cmd_result_free(&r);
}

static void test_bad_address(void **state)
{
	(void)state;
	struct cmd_result r;
	run_vfio("00:04.0", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "expected a PCI address DDDD:BB:DD.F"));
	cmd_result_free(&r);
	run_vfio("0000:7f:1f.7", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "no PCI function 0000:7f:1f.7"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_iommu),
		cmocka_unit_test(test_bad_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
