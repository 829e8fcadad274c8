/*
 * test_dtb: the arm64 device tree (dtb.h). Each tree is checked twice:
 * through libfdt (what Linux's early code walks) and decompiled by dtc
 * (Debian device-tree-compiler), whose text is what a person reviews; the
 * dtc part skips when dtc is missing.
 */
#include "testlib.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arm64map.h"
#include "dtb.h"

static uint8_t blob[DTB_MAX_SIZE];

static struct dtb_machine base_machine(void)
{
	return (struct dtb_machine){
		.ram_base = ARM64_RAM_BASE, .ram_size = 256ull << 20, .ncpus = 2,
		.gic_version = 3, .bootargs = "console=ttyAMA0 root=/dev/vda",
		.initrd_start = 0x48000000, .initrd_end = 0x48100000, .gpio = true,
		.debug_exit = true,
	};
}

static int build(const struct dtb_machine *d)
{
	char err[128];
	int n = dtb_build(d, blob, sizeof(blob), err, sizeof(err));
	assert_true(n > 0);
	assert_int_equal(fdt_check_header(blob), 0);
	return n;
}

static uint64_t prop_u64(const char *path, const char *name, int cell)
{
	int off = fdt_path_offset(blob, path);
	assert_true(off >= 0);
	int len;
	const fdt32_t *p = fdt_getprop(blob, off, name, &len);
	assert_non_null(p);
	assert_true(len >= (cell + 2) * 4);
	return (uint64_t)fdt32_to_cpu(p[cell]) << 32 | fdt32_to_cpu(p[cell + 1]);
}

static void test_nodes_through_libfdt(void **state)
{
	(void)state;
	struct dtb_machine d = base_machine();
	build(&d);
	assert_int_equal(prop_u64("/memory@40000000", "reg", 0), ARM64_RAM_BASE);
	assert_int_equal(prop_u64("/memory@40000000", "reg", 2), 256ull << 20);
	assert_int_equal(prop_u64("/chosen", "linux,initrd-start", 0), 0x48000000);
	assert_int_equal(prop_u64("/chosen", "linux,initrd-end", 0), 0x48100000);
	int chosen = fdt_path_offset(blob, "/chosen");
	assert_string_equal(fdt_getprop(blob, chosen, "bootargs", NULL),
			    "console=ttyAMA0 root=/dev/vda");
	assert_string_equal(fdt_getprop(blob, chosen, "stdout-path", NULL), "/pl011@9000000");
	assert_true(fdt_path_offset(blob, "/cpus/cpu@0") >= 0);
	assert_true(fdt_path_offset(blob, "/cpus/cpu@1") >= 0);
	assert_true(fdt_path_offset(blob, "/cpus/cpu@2") < 0);
	int gic = fdt_node_offset_by_compatible(blob, -1, "arm,gic-v3");
	assert_true(gic >= 0);
	assert_true(fdt_getprop(blob, gic, "interrupt-controller", NULL) != NULL);
	assert_int_equal(fdt_get_phandle(blob, gic), 1);
	assert_int_equal(prop_u64("/intc@8000000", "reg", 6), 2 * ARM64_GICR_SIZE_PER_CPU);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "arm,pl061") >= 0);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "hvvmm,debug-exit") >= 0);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "pci-host-ecam-generic") >= 0);
	int psci = fdt_path_offset(blob, "/psci");
	assert_string_equal(fdt_getprop(blob, psci, "method", NULL), "hvc");
	assert_int_equal(fdt_node_check_compatible(blob, psci, "arm,psci-0.2"), 0);
}

/* Optional parts go away; GICv2 has its CPU interface and PPI masks. */
static void test_variants(void **state)
{
	(void)state;
	struct dtb_machine d = base_machine();
	d.gpio = d.debug_exit = false;
	d.bootargs = NULL;
	d.initrd_start = d.initrd_end = 0;
	d.gic_version = 2;
	d.ncpus = 1;
	build(&d);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "arm,pl061") < 0);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "hvvmm,debug-exit") < 0);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "hvvmm,gpio-doorbell") < 0);
	int chosen = fdt_path_offset(blob, "/chosen");
	assert_null(fdt_getprop(blob, chosen, "bootargs", NULL));
	assert_null(fdt_getprop(blob, chosen, "linux,initrd-start", NULL));
	assert_true(fdt_node_offset_by_compatible(blob, -1, "arm,cortex-a15-gic") >= 0);
	assert_int_equal(prop_u64("/intc@8000000", "reg", 4), ARM64_GICC_BASE);
	int t = fdt_path_offset(blob, "/timer");
	int len;
	const fdt32_t *irq = fdt_getprop(blob, t, "interrupts", &len);
	assert_int_equal(len, 48);
	assert_int_equal(fdt32_to_cpu(irq[2]), 0x104); /* one CPU, level high */
	/* One CPU: no enable method needed (booting.rst). */
	assert_null(fdt_getprop(blob, fdt_path_offset(blob, "/cpus/cpu@0"), "enable-method",
				NULL));
}

static void test_too_small(void **state)
{
	(void)state;
	struct dtb_machine d = base_machine();
	char err[128] = "";
	assert_int_equal(dtb_build(&d, blob, 256, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "device tree"));
}

/* The swizzle: slot s pin p on SPI 3 + (s + p - 1) % 4. */
static void test_intx_swizzle(void **state)
{
	(void)state;
	assert_int_equal(dtb_pci_intx_spi(0, 1), 3);
	assert_int_equal(dtb_pci_intx_spi(1, 1), 4);
	assert_int_equal(dtb_pci_intx_spi(3, 2), 3);
	assert_int_equal(dtb_pci_intx_spi(6, 4), 4);
}

/* The ITS (arm,gic-v3.yaml; pci-msi.txt): under the GIC, which maps its
 * children 1:1; the host bridge's requester IDs go to it unchanged. No
 * ITS asked, or a GICv2: neither node nor msi-map, and Linux stays on
 * INTx. */
static void test_its(void **state)
{
	(void)state;
	struct dtb_machine d = base_machine();
	build(&d);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "arm,gic-v3-its") < 0);
	int pci = fdt_node_offset_by_compatible(blob, -1, "pci-host-ecam-generic");
	assert_null(fdt_getprop(blob, pci, "msi-map", NULL));
	assert_null(fdt_getprop(blob, pci, "msi-parent", NULL));

	d.its = true;
	build(&d);
	int its = fdt_path_offset(blob, "/intc@8000000/its@8080000");
	assert_true(its >= 0);
	assert_int_equal(fdt_node_check_compatible(blob, its, "arm,gic-v3-its"), 0);
	assert_non_null(fdt_getprop(blob, its, "msi-controller", NULL));
	int len;
	const fdt32_t *c = fdt_getprop(blob, its, "#msi-cells", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(c[0]), 1);
	assert_int_equal(prop_u64("/intc@8000000/its@8080000", "reg", 0), ARM64_GITS_BASE);
	assert_int_equal(prop_u64("/intc@8000000/its@8080000", "reg", 2), 0x20000);
	/* Just below the redistributors, clear of them. */
	assert_true(ARM64_GITS_BASE + ARM64_GITS_SIZE <= ARM64_GICR_BASE);
	assert_true(ARM64_GITS_BASE >= ARM64_GICD_BASE + ARM64_GICD_SIZE);
	int gic = fdt_parent_offset(blob, its);
	assert_non_null(fdt_getprop(blob, gic, "ranges", &len));
	assert_int_equal(len, 0);
	pci = fdt_node_offset_by_compatible(blob, -1, "pci-host-ecam-generic");
	const fdt32_t *m = fdt_getprop(blob, pci, "msi-map", &len);
	assert_non_null(m);
	assert_int_equal(len, 16);
	assert_int_equal(fdt32_to_cpu(m[0]), 0);                    /* rid-base */
	assert_int_equal(fdt32_to_cpu(m[1]), fdt_get_phandle(blob, its));
	assert_int_equal(fdt32_to_cpu(m[2]), 0);                    /* msi-base */
	assert_int_equal(fdt32_to_cpu(m[3]), 0x10000);              /* every RID */
	assert_true(fdt_get_phandle(blob, its) != fdt_get_phandle(blob, gic));

	d.gic_version = 2;
	build(&d);
	assert_true(fdt_node_offset_by_compatible(blob, -1, "arm,gic-v3-its") < 0);
	pci = fdt_node_offset_by_compatible(blob, -1, "pci-host-ecam-generic");
	assert_null(fdt_getprop(blob, pci, "msi-map", NULL));
}

/* The tree of d, decompiled by dtc into dts (static, NUL-terminated). */
static const char *decompile(const struct dtb_machine *d)
{
	int n = build(d);
	char dtb[] = "/tmp/test_dtb.XXXXXX";
	int fd = mkstemp(dtb);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, blob, (size_t)n), n);
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts %s", dtb);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	static char dts[65536];
	size_t len = fread(dts, 1, sizeof(dts) - 1, p);
	dts[len] = '\0';
	assert_int_equal(pclose(p), 0);
	unlink(dtb);
	return dts;
}

static void need_dtc(void)
{
	if (system("command -v dtc >/dev/null 2>&1") != 0)
		skip_because("dtc not installed (Debian device-tree-compiler; lab/deps.sh)");
}

static void want_all(const char *dts, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strstr(dts, want[i])) {
			print_error("missing in the decompiled tree: %s\n%s\n", want[i], dts);
			fail();
		}
}

/* dtc -I dtb -O dts: the text a reviewer reads, with the values Linux's
 * bindings ask for. */
static void test_decompiled_by_dtc(void **state)
{
	(void)state;
	need_dtc();
	struct dtb_machine d = base_machine();
	const char *dts = decompile(&d);
	static const char *const want[] = {
		"compatible = \"linux,dummy-virt\";",
		"memory@40000000 {",
		"reg = <0x00 0x40000000 0x00 0x10000000>;",
		"compatible = \"arm,gic-v3\";",
		"reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x40000>;",
		"compatible = \"arm,armv8-timer\";",
		"interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>;",
		"compatible = \"arm,pl011\\0arm,primecell\";",
		"interrupts = <0x00 0x01 0x04>;",
		"compatible = \"arm,pl061\\0arm,primecell\";",
		"interrupts = <0x00 0x07 0x04>;",
		"debug-exit@90f0000 {",
		"gpio-doorbell@90e0000 {",
		"interrupts = <0x00 0x08 0x01>;",
		"compatible = \"pci-host-ecam-generic\";",
		"bus-range = <0x00 0x0f>;",
		"reg = <0x00 0x3f000000 0x00 0x1000000>;",
		"ranges = <0x2000000 0x00 0x10000000 0x00 0x10000000 0x00 0x2eff0000>;",
		"interrupt-map-mask = <0x1800 0x00 0x00 0x07>;",
		"method = \"hvc\";",
		"enable-method = \"psci\";",
		"bootargs = \"console=ttyAMA0 root=/dev/vda\";",
	};
	want_all(dts, want, sizeof(want) / sizeof(want[0]));
	assert_null(strstr(dts, "gic-v3-its"));
	assert_null(strstr(dts, "msi-map"));
}

/* The ITS as dtc shows it: the node Linux's irq-gic-v3-its probes, and
 * the host bridge's msi-map pointing at it. */
static void test_its_decompiled_by_dtc(void **state)
{
	(void)state;
	need_dtc();
	struct dtb_machine d = base_machine();
	d.its = true;
	const char *dts = decompile(&d);
	static const char *const want[] = {
		"its@8080000 {",
		"compatible = \"arm,gic-v3-its\";",
		"msi-controller;",
		"#msi-cells = <0x01>;",
		"reg = <0x00 0x8080000 0x00 0x20000>;",
		"phandle = <0x03>;",
		"msi-map = <0x00 0x03 0x00 0x10000>;",
		"ranges;",
	};
	want_all(dts, want, sizeof(want) / sizeof(want[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes_through_libfdt),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_intx_swizzle),
		cmocka_unit_test(test_decompiled_by_dtc),
		cmocka_unit_test(test_its),
		cmocka_unit_test(test_its_decompiled_by_dtc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
