/* The arm64 benchmark guest's device-tree reader (src/guest/arch/arm64/
 * fdt.c), built for this host: trees as QEMU's virt and our monitor write
 * them, made here by a small flattened-tree writer (DT spec 0.4, ch. 5),
 * and malformed ones, which must read as absent, never past the buffer
 * (the ASan build checks that), including a few thousand mutations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdt.h"
#include "testlib.h"

/* ---- a flattened-tree writer ---- */
struct tree {
	uint8_t st[4096], str[1024], out[8192];
	size_t nst, nstr, nout;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void st32(struct tree *t, uint32_t v)
{
	put32(t->st + t->nst, v);
	t->nst += 4;
}

static void st_bytes(struct tree *t, const void *p, size_t n)
{
	memcpy(t->st + t->nst, p, n);
	t->nst += n;
	while (t->nst % 4)
		t->st[t->nst++] = 0;
}

static void begin(struct tree *t, const char *name)
{
	st32(t, 1);
	st_bytes(t, name, strlen(name) + 1);
}

static void end(struct tree *t)
{
	st32(t, 2);
}

static uint32_t strref(struct tree *t, const char *name)
{
	for (size_t i = 0; i < t->nstr; i += strlen((char *)t->str + i) + 1)
		if (!strcmp((char *)t->str + i, name))
			return (uint32_t)i;
	size_t off = t->nstr;
	memcpy(t->str + off, name, strlen(name) + 1);
	t->nstr += strlen(name) + 1;
	return (uint32_t)off;
}

static void prop(struct tree *t, const char *name, const void *v, size_t len)
{
	st32(t, 3);
	st32(t, (uint32_t)len);
	st32(t, strref(t, name));
	st_bytes(t, v, len);
}

static void prop_str(struct tree *t, const char *name, const char *s, size_t len)
{
	prop(t, name, s, len ? len : strlen(s) + 1);
}

static void prop_cells(struct tree *t, const char *name, const uint32_t *c, size_t n)
{
	uint8_t b[64];
	for (size_t i = 0; i < n; i++)
		put32(b + 4 * i, c[i]);
	prop(t, name, b, 4 * n);
}

/* Header (40 bytes), an empty memory reservation map, structure, strings. */
static const uint8_t *finish(struct tree *t)
{
	st32(t, 9);
	size_t off_rsv = 40, off_st = off_rsv + 16, off_str = off_st + t->nst;
	t->nout = off_str + t->nstr;
	memset(t->out, 0, off_st);
	put32(t->out, FDT_MAGIC);
	put32(t->out + 4, (uint32_t)t->nout);
	put32(t->out + 8, (uint32_t)off_st);
	put32(t->out + 12, (uint32_t)off_str);
	put32(t->out + 16, (uint32_t)off_rsv);
	put32(t->out + 20, 17); /* version */
	put32(t->out + 24, 16); /* last compatible version */
	put32(t->out + 32, (uint32_t)t->nstr);
	put32(t->out + 36, (uint32_t)t->nst);
	memcpy(t->out + off_st, t->st, t->nst);
	memcpy(t->out + off_str, t->str, t->nstr);
	return t->out;
}

/* The tree QEMU 7.2's virt writes, in the parts the guest reads. */
static const uint8_t *qemu_virt(struct tree *t, unsigned gic)
{
	static const char pl061[] = "arm,pl061\0arm,primecell";
	memset(t, 0, sizeof(*t));
	begin(t, "");
	prop_cells(t, "#address-cells", (uint32_t[]){2}, 1);
	prop_cells(t, "#size-cells", (uint32_t[]){2}, 1);
	begin(t, "psci");
	prop_str(t, "compatible", "arm,psci-1.0", 0);
	prop_str(t, "method", "hvc", 0);
	end(t);
	begin(t, "memory@40000000");
	prop_str(t, "device_type", "memory", 0);
	prop_cells(t, "reg", (uint32_t[]){0, 0x40000000, 0, 0x10000000}, 4);
	end(t);
	begin(t, "pl061@9030000");
	prop_cells(t, "reg", (uint32_t[]){0, 0x09030000, 0, 0x1000}, 4);
	prop_str(t, "compatible", pl061, sizeof(pl061));
	end(t);
	begin(t, "intc@8000000");
	if (gic == 3) {
		prop_cells(t, "reg", (uint32_t[]){0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0,
						  0xf60000}, 8);
		prop_str(t, "compatible", "arm,gic-v3", 0);
		begin(t, "its@8080000"); /* a child: its reg is not the GIC's */
		prop_str(t, "compatible", "arm,gic-v3-its", 0);
		prop_cells(t, "reg", (uint32_t[]){0, 0x08080000, 0, 0x20000}, 4);
		end(t);
	} else {
		prop_cells(t, "reg", (uint32_t[]){0, 0x08000000, 0, 0x10000, 0, 0x08010000, 0,
						  0x10000}, 8);
		prop_str(t, "compatible", "arm,cortex-a15-gic", 0);
	}
	end(t);
	/* QEMU's virt puts its ECAM high (highmem-ecam), above 256 GiB */
	begin(t, "pcie@10000000");
	prop_str(t, "compatible", "pci-host-ecam-generic", 0);
	prop_cells(t, "#address-cells", (uint32_t[]){3}, 1);
	prop_cells(t, "reg", (uint32_t[]){0x40, 0x10000000, 0, 0x10000000}, 4);
	end(t);
	begin(t, "chosen");
	prop_str(t, "bootargs", "run cpu time_ms=50", 0);
	end(t);
	end(t);
	return finish(t);
}

static void reads_qemu_virt(void **state)
{
	struct tree t;
	struct fdt_facts f = {0};
	(void)state;
	const uint8_t *p = qemu_virt(&t, 3);
	assert_true(fdt_valid(p));
	assert_int_equal(fdt_read(p, &f), 0);
	assert_int_equal(f.size, t.nout);
	assert_int_equal(f.mem_base, 0x40000000);
	assert_int_equal(f.mem_size, 0x10000000);
	assert_int_equal(f.gpio_base, 0x09030000);
	assert_int_equal(f.gpio_doorbell, 0);
	assert_int_equal(f.debug_exit, 0);
	assert_int_equal(f.psci_smc, 0);
	assert_int_equal(f.gic_version, 3);
	assert_int_equal(f.gic_dist, 0x08000000);
	assert_int_equal(f.gic_cpu, 0x080a0000);
	assert_int_equal(f.pci_ecam, 0x4010000000ull);
	assert_int_equal(f.pci_ecam_size, 0x10000000);
	assert_non_null(f.bootargs);
	assert_string_equal(f.bootargs, "run cpu time_ms=50");

	memset(&f, 0, sizeof(f));
	p = qemu_virt(&t, 2);
	assert_int_equal(fdt_read(p, &f), 0);
	assert_int_equal(f.gic_version, 2);
	assert_int_equal(f.gic_cpu, 0x08010000);
}

/* Our monitor's extras, and one-cell addresses and sizes. */
static void reads_monitor_tree(void **state)
{
	struct tree t;
	struct fdt_facts f = {0};
	(void)state;
	memset(&t, 0, sizeof(t));
	begin(&t, "");
	prop_cells(&t, "#address-cells", (uint32_t[]){1}, 1);
	prop_cells(&t, "#size-cells", (uint32_t[]){1}, 1);
	begin(&t, "debug-exit@90f0000");
	prop_str(&t, "compatible", "hvvmm,debug-exit", 0);
	prop_cells(&t, "reg", (uint32_t[]){0x090f0000, 0x1000}, 2);
	end(&t);
	begin(&t, "gpio@9030000");
	prop_str(&t, "compatible", "arm,pl061", 0);
	prop_cells(&t, "reg", (uint32_t[]){0x09030000, 0x1000}, 2);
	end(&t);
	begin(&t, "gpio-doorbell@90e0000");
	prop_str(&t, "compatible", "hvvmm,gpio-doorbell", 0);
	prop_cells(&t, "reg", (uint32_t[]){0x090e0000, 0x1000}, 2);
	prop_cells(&t, "interrupts", (uint32_t[]){0, 8, 1}, 3);
	end(&t);
	begin(&t, "memory");
	prop_cells(&t, "reg", (uint32_t[]){0x40000000, 0x20000000}, 2);
	end(&t);
	begin(&t, "pcie@3f000000");
	prop_str(&t, "compatible", "pci-host-ecam-generic", 0);
	prop_cells(&t, "reg", (uint32_t[]){0x3f000000, 0x1000000}, 2);
	end(&t);
	begin(&t, "psci");
	prop_str(&t, "method", "smc", 0);
	end(&t);
	begin(&t, "intc@8000000");
	prop_str(&t, "compatible", "arm,gic-400", 0);
	prop_cells(&t, "reg", (uint32_t[]){0x08000000, 0x1000, 0x08010000, 0x2000}, 4);
	end(&t);
	end(&t);
	assert_int_equal(fdt_read(finish(&t), &f), 0);
	assert_int_equal(f.debug_exit, 0x090f0000);
	assert_int_equal(f.gpio_doorbell, 0x090e0000);
	assert_int_equal(f.gpio_doorbell_intid, 40);
	assert_int_equal(f.mem_size, 0x20000000);
	assert_int_equal(f.pci_ecam, 0x3f000000);
	assert_int_equal(f.pci_ecam_size, 0x1000000);
	assert_int_equal(f.psci_smc, 1);
	assert_int_equal(f.gic_version, 2);
	assert_int_equal(f.gic_cpu, 0x08010000);
	assert_null(f.bootargs);
}

/* Nodes that only look like ours: a memory node below the root, an
 * unterminated bootargs, a compatible that is a prefix. */
static void ignores_lookalikes(void **state)
{
	struct tree t;
	struct fdt_facts f = {0};
	(void)state;
	memset(&t, 0, sizeof(t));
	begin(&t, "");
	begin(&t, "soc");
	begin(&t, "memory@80000000");
	prop_cells(&t, "reg", (uint32_t[]){0, 0x80000000, 0x1000}, 3);
	end(&t);
	end(&t);
	begin(&t, "memoryx");
	prop_cells(&t, "reg", (uint32_t[]){0, 0x80000000, 0x1000}, 3);
	end(&t);
	begin(&t, "chosen");
	prop_str(&t, "bootargs", "abc", 3); /* no NUL */
	end(&t);
	begin(&t, "d@0");
	prop_str(&t, "compatible", "hvvmm,debug", 0);
	prop_cells(&t, "reg", (uint32_t[]){0, 0x090f0000, 0x1000}, 3);
	end(&t);
	end(&t);
	assert_int_equal(fdt_read(finish(&t), &f), 0);
	assert_int_equal(f.mem_size, 0);
	assert_null(f.bootargs);
	assert_int_equal(f.debug_exit, 0);
}

static void refuses_malformed(void **state)
{
	struct tree t;
	struct fdt_facts f;
	uint8_t *p;
	(void)state;

	qemu_virt(&t, 3);
	p = t.out;
	put32(p, 0xd00dfeee);
	assert_false(fdt_valid(p));
	/* The structure block said to run past the tree. */
	qemu_virt(&t, 3);
	put32(p + 36, (uint32_t)t.nout);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fdt_read(p, &f), -1);
	/* An unknown token. */
	qemu_virt(&t, 3);
	put32(p + 56, 7);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fdt_read(p, &f), -1);
	/* A property longer than the block. */
	qemu_virt(&t, 3);
	put32(p + 56 + 4 + 4 + 4, 0x7ffffff0); /* the first property's len */
	memset(&f, 0, sizeof(f));
	assert_int_equal(fdt_read(p, &f), -1);
	/* A name offset past the strings. */
	qemu_virt(&t, 3);
	put32(p + 56 + 4 + 4 + 8, 0xffff);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fdt_read(p, &f), -1);
	/* An old version. */
	qemu_virt(&t, 3);
	put32(p + 20, 16);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fdt_read(p, &f), -1);
	/* Nesting deeper than the reader keeps. */
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 20; i++)
		begin(&t, "n");
	for (int i = 0; i < 20; i++)
		end(&t);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fdt_read(finish(&t), &f), -1);
	/* No END token: the block just stops. */
	qemu_virt(&t, 3);
	put32(p + 36, (uint32_t)t.nst - 4);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fdt_read(p, &f), -1);
}

/* Thousands of one- to four-byte corruptions of a real tree, each read
 * from an exact-size heap copy, so ASan sees any read past the tree. */
static void survives_mutations(void **state)
{
	struct tree t;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	(void)state;
	qemu_virt(&t, 3);
	for (int round = 0; round < 4000; round++) {
		uint8_t *p = malloc(t.nout);
		assert_non_null(p);
		memcpy(p, t.out, t.nout);
		for (int k = 0; k <= round % 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[x % t.nout] = (uint8_t)(x >> 32);
		}
		/* Keep the header's total size honest: the reader trusts the
		 * buffer to be that long (the monitor's contract). */
		put32(p + 4, (uint32_t)t.nout);
		struct fdt_facts f = {0};
		if (fdt_valid(p))
			(void)fdt_read(p, &f);
		if (f.bootargs)
			assert_true(memchr(f.bootargs, 0, t.nout - (size_t)(f.bootargs - (char *)p)));
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_qemu_virt),
		cmocka_unit_test(reads_monitor_tree),
		cmocka_unit_test(ignores_lookalikes),
		cmocka_unit_test(refuses_malformed),
		cmocka_unit_test(survives_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
