/* fw_cfg: every PC item through the data port and through DMA, the file
 * directory, DMA reads that straddle the end of an item, skips, writes
 * (refused), hostile lengths and addresses, and the selector's bits. */
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "fw_cfg.h"
#include "testlib.h"

#define RAM (16u << 20)
#define ACC 0x10000u /* where the tests put a FWCfgDmaAccess */
#define BUF 0x20000u

struct fx {
	struct guestmem gm;
	struct fwcfg f;
	uint8_t kernel[0x1400];
	uint8_t initrd[100];
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	assert_int_equal(gm_init(&x->gm, RAM), 0);
	fwcfg_init(&x->f, &x->gm);
	/* A bzImage-like kernel: "HdrS" at 0x202, setup_sects 3. */
	for (size_t i = 0; i < sizeof(x->kernel); i++)
		x->kernel[i] = (uint8_t)(i * 13);
	memcpy(x->kernel + 0x202, "HdrS", 4);
	x->kernel[0x1f1] = 3;
	memset(x->initrd, 0x5a, sizeof(x->initrd));
	struct fwcfg_pc pc = {
		.ncpus = 2, .max_cpus = 2, .kernel = x->kernel, .kernel_size = sizeof(x->kernel),
		.initrd = x->initrd, .initrd_size = sizeof(x->initrd), .cmdline = "console=ttyS0",
		.bootorder = "/pci@i0cf8/scsi@2/disk@0,0\n",
	};
	char err[128];
	assert_int_equal(fwcfg_add_pc(&x->f, &pc, err, sizeof(err)), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	fwcfg_free(&x->f);
	gm_free(&x->gm);
	free(x);
	return 0;
}

static void sel(struct fx *x, uint16_t key)
{
	uint8_t d[2] = {(uint8_t)key, (uint8_t)(key >> 8)};
	fwcfg_io(&x->f, 0, d, 2, true);
}

static void rd(struct fx *x, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fwcfg_io(&x->f, 1, &out[i], 1, false);
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t item_u(struct fx *x, uint16_t key, unsigned n)
{
	uint8_t b[8];
	sel(x, key);
	rd(x, b, n);
	return le(b, n);
}

/* Runs one DMA transfer with the structure at `acc`; returns its control
 * word afterwards. */
static uint32_t dma_at(struct fx *x, uint64_t acc, uint32_t control, uint32_t len, uint64_t addr)
{
	uint8_t *a = gm_ptr(&x->gm, acc, 16);
	if (a) {
		put_be(a, control, 4);
		put_be(a + 4, len, 4);
		put_be(a + 8, addr, 8);
	}
	uint8_t hi[4], lo[4];
	put_be(hi, acc >> 32, 4);
	put_be(lo, (uint32_t)acc, 4);
	fwcfg_io(&x->f, 4, hi, 4, true);
	fwcfg_io(&x->f, 8, lo, 4, true);
	return a ? (uint32_t)be(a, 4) : 0xffffffffu;
}

static uint32_t dma(struct fx *x, uint32_t control, uint32_t len, uint64_t addr)
{
	return dma_at(x, ACC, control, len, addr);
}

/* The directory's entry for `name`: its key, and its size in *size. */
static int dir_find(struct fx *x, const char *name, uint32_t *size)
{
	uint8_t c[4], e[64];
	sel(x, FWCFG_FILE_DIR);
	rd(x, c, 4);
	for (uint32_t i = 0; i < be(c, 4); i++) {
		rd(x, e, 64);
		assert_int_equal(e[63], 0);
		if (!strcmp((const char *)e + 8, name)) {
			*size = (uint32_t)be(e, 4);
			return (int)be(e + 4, 2);
		}
	}
	return -1;
}

static void signature_id_and_numbers(void **state)
{
	struct fx *x = *state;
	uint8_t b[8];
	sel(x, FWCFG_SIGNATURE);
	rd(x, b, 6);
	assert_memory_equal(b, "QEMU\0\0", 6); /* 0s past the end */
	assert_int_equal(item_u(x, FWCFG_ID, 4), FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA);
	assert_int_equal(item_u(x, FWCFG_NB_CPUS, 2), 2);
	assert_int_equal(item_u(x, FWCFG_MAX_CPUS, 2), 2);
	assert_int_equal(item_u(x, FWCFG_RAM_SIZE, 8), RAM);
	assert_int_equal(item_u(x, FWCFG_NOGRAPHIC, 2), 1);
	assert_int_equal(item_u(x, FWCFG_BOOT_DEVICE, 2), 'c');
	/* The write-channel bit selects the same item. */
	assert_int_equal(item_u(x, FWCFG_NB_CPUS | FWCFG_WRITE_CHANNEL, 2), 2);
	/* An unknown key and the arch-local space read 0. */
	assert_int_equal(item_u(x, 0x1234, 8), 0);
	assert_int_equal(item_u(x, FWCFG_ARCH_LOCAL | FWCFG_NB_CPUS, 8), 0);
	/* The DMA port reads "QEMU CFG" at any width and offset. */
	uint8_t d[4];
	fwcfg_io(&x->f, 4, d, 4, false);
	assert_memory_equal(d, "QEMU", 4);
	fwcfg_io(&x->f, 9, d, 2, false);
	assert_memory_equal(d, "CF", 2);
	fwcfg_io(&x->f, 10, d, 4, false); /* past the register */
	assert_int_equal(le(d, 4), 0xffffffffu);
	fwcfg_io(&x->f, 0, d, 2, false); /* the selector is write-only */
	assert_int_equal(le(d, 2), 0xffff);
}

static void directory_lists_every_file(void **state)
{
	struct fx *x = *state;
	static const char *const names[] = {"etc/e820", ACPI_RSDP_FILE, ACPI_TABLES_FILE,
					    ACPI_LOADER_FILE, "bootorder"};
	uint8_t c[4];
	sel(x, FWCFG_FILE_DIR);
	rd(x, c, 4);
	assert_int_equal(be(c, 4), 5);
	for (size_t i = 0; i < 5; i++) {
		uint32_t size = 0;
		int key = dir_find(x, names[i], &size);
		assert_int_equal(key, FWCFG_FILE_FIRST + (int)i);
		const struct fwcfg_item *it = fwcfg_find(&x->f, (uint16_t)key);
		assert_non_null(it);
		assert_int_equal(it->len, size);
	}
	uint32_t size;
	assert_int_equal(dir_find(x, "etc/nothing", &size), -1);
	/* etc/e820: one RAM block of 16 MiB from 0. */
	int key = dir_find(x, "etc/e820", &size);
	assert_int_equal(size, 20);
	uint8_t e[20];
	sel(x, (uint16_t)key);
	rd(x, e, 20);
	assert_int_equal(le(e, 8), 0);
	assert_int_equal(le(e + 8, 8), RAM);
	assert_int_equal(le(e + 16, 4), E820_RAM);
	key = dir_find(x, "bootorder", &size);
	char bo[64] = "";
	sel(x, (uint16_t)key);
	rd(x, (uint8_t *)bo, size);
	assert_string_equal(bo, "/pci@i0cf8/scsi@2/disk@0,0\n");
	/* Names: too long, empty, or taken are refused. */
	char lng[FWCFG_NAME_MAX + 1];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[FWCFG_NAME_MAX] = 0;
	assert_int_equal(fwcfg_add_file(&x->f, lng, "x", 1, true), -1);
	assert_int_equal(fwcfg_add_file(&x->f, "", "x", 1, true), -1);
	assert_int_equal(fwcfg_add_file(&x->f, "bootorder", "x", 1, true), -1);
	assert_int_equal(fwcfg_add(&x->f, FWCFG_NB_CPUS, "x", 1, true), -1);
	assert_int_equal(fwcfg_add(&x->f, FWCFG_FILE_FIRST, "x", 1, true), -1);
}

static void kernel_initrd_cmdline(void **state)
{
	struct fx *x = *state;
	const uint32_t setup_bytes = 4 * 512;
	assert_int_equal(item_u(x, FWCFG_SETUP_SIZE, 4), setup_bytes);
	assert_int_equal(item_u(x, FWCFG_KERNEL_SIZE, 4), sizeof(x->kernel) - setup_bytes);
	assert_int_equal(item_u(x, FWCFG_INITRD_SIZE, 4), sizeof(x->initrd));
	assert_int_equal(item_u(x, FWCFG_CMDLINE_SIZE, 4), 14);
	uint8_t b[sizeof(x->kernel)];
	sel(x, FWCFG_SETUP_DATA);
	rd(x, b, setup_bytes);
	assert_memory_equal(b, x->kernel, setup_bytes);
	sel(x, FWCFG_KERNEL_DATA);
	rd(x, b, sizeof(x->kernel) - setup_bytes);
	assert_memory_equal(b, x->kernel + setup_bytes, sizeof(x->kernel) - setup_bytes);
	sel(x, FWCFG_INITRD_DATA);
	rd(x, b, sizeof(x->initrd));
	assert_memory_equal(b, x->initrd, sizeof(x->initrd));
	sel(x, FWCFG_CMDLINE_DATA);
	rd(x, b, 14);
	assert_memory_equal(b, "console=ttyS0", 14);
}

static void dma_reads_straddle_and_skip(void **state)
{
	struct fx *x = *state;
	uint8_t *buf = gm_ptr(&x->gm, BUF, 64);
	/* Select + read 8 of the 4-byte signature: 4 zeros after it. */
	memset(buf, 0xee, 64);
	assert_int_equal(dma(x, FWCFG_SIGNATURE << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 8, BUF),
			 0);
	assert_memory_equal(buf, "QEMU\0\0\0\0", 8);
	assert_int_equal(buf[8], 0xee);
	/* Reads go on from the offset the data port left, and the other way. */
	sel(x, FWCFG_CMDLINE_DATA);
	uint8_t c;
	rd(x, &c, 1);
	assert_int_equal(dma(x, FWCFG_DMA_READ, 3, BUF), 0);
	assert_memory_equal(buf, "ons", 3);
	rd(x, &c, 1);
	assert_int_equal(c, 'o');
	/* Skip, then read. */
	assert_int_equal(dma(x, FWCFG_CMDLINE_DATA << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_SKIP, 8, 0),
			 0);
	assert_int_equal(dma(x, FWCFG_DMA_READ, 6, BUF), 0);
	assert_memory_equal(buf, "ttyS0\0", 6);
	/* Select alone (no read/skip/write bit) transfers nothing. */
	memset(buf, 0xee, 8);
	assert_int_equal(dma(x, FWCFG_NB_CPUS << 16 | FWCFG_DMA_SELECT, 8, BUF), 0);
	assert_int_equal(buf[0], 0xee);
	rd(x, &c, 1);
	assert_int_equal(c, 2);
	/* A whole file by DMA matches the item. */
	const struct fwcfg_item *t = fwcfg_find(&x->f, FWCFG_FILE_FIRST + 2);
	assert_non_null(t);
	uint8_t *big = gm_ptr(&x->gm, 0x100000, t->len);
	assert_int_equal(dma(x, (uint32_t)t->key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, t->len,
			     0x100000),
			 0);
	assert_memory_equal(big, t->data, t->len);
	/* An unknown key DMA-reads zeros. */
	memset(buf, 0xee, 8);
	assert_int_equal(dma(x, 0x3333u << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 8, BUF), 0);
	assert_memory_equal(buf, "\0\0\0\0\0\0\0\0", 8);
}

static void dma_hostile(void **state)
{
	struct fx *x = *state;
	uint8_t *buf = gm_ptr(&x->gm, BUF, 64);
	/* Writes are refused with the error bit; the item is unchanged. */
	memset(buf, 0x77, 8);
	assert_int_equal(dma(x, FWCFG_NB_CPUS << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE, 2, BUF),
			 FWCFG_DMA_ERROR);
	assert_int_equal(item_u(x, FWCFG_NB_CPUS, 2), 2);
	/* Read wins over write when both are set. */
	assert_int_equal(dma(x, FWCFG_NB_CPUS << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ |
				 FWCFG_DMA_WRITE, 2, BUF),
			 0);
	assert_int_equal(buf[0], 2);
	/* Destinations that are not RAM: past the end, in the hole, wrapping,
	 * and a read that starts in RAM and runs out of it. */
	const uint64_t bad[] = {RAM, GM_MMIO_BASE, UINT64_MAX - 3, RAM - 2};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(dma(x, FWCFG_SIGNATURE << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ,
				     4, bad[i]),
				 FWCFG_DMA_ERROR);
	uint8_t *end = gm_ptr(&x->gm, RAM - 2, 2);
	assert_int_equal(end[0], 0);
	/* A huge length: the item's bytes, then zeros that do not fit. */
	assert_int_equal(dma(x, FWCFG_SIGNATURE << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ,
			     0xffffffffu, BUF),
			 FWCFG_DMA_ERROR);
	/* Skipping any length is fine and leaves the offset at the end. */
	assert_int_equal(dma(x, FWCFG_SIGNATURE << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_SKIP,
			     0xffffffffu, UINT64_MAX),
			 0);
	uint8_t c = 0xee;
	fwcfg_io(&x->f, 1, &c, 1, false);
	assert_int_equal(c, 0);
	/* An access structure outside RAM: nothing happens, nothing breaks. */
	dma_at(x, RAM - 8, FWCFG_DMA_READ, 4, BUF);
	dma_at(x, 0xfffffffffffffff8ull, FWCFG_DMA_READ, 4, BUF);
	/* The low half alone is a 32-bit address: the high half is cleared
	 * after each transfer. */
	uint8_t hi[4] = {0, 0, 0, 1}, lo[4];
	fwcfg_io(&x->f, 4, hi, 4, true);
	put_be(lo, RAM + 0x1000, 4);
	fwcfg_io(&x->f, 8, lo, 4, true); /* 4 GiB + ...: not RAM, ignored */
	assert_int_equal(dma(x, FWCFG_SIGNATURE << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, 4, BUF),
			 0);
	/* Data port writes and odd widths change nothing. */
	uint8_t w[4] = {9, 9, 9, 9};
	sel(x, FWCFG_NB_CPUS);
	fwcfg_io(&x->f, 1, w, 1, true);
	fwcfg_io(&x->f, 0, w, 1, true); /* a 1-byte selector write: ignored */
	fwcfg_io(&x->f, 0, w, 4, true);
	fwcfg_io(&x->f, 1, w, 2, false); /* a 2-byte data read: all-ones, no byte taken */
	assert_int_equal(le(w, 2), 0xffff);
	fwcfg_io(&x->f, 1, &c, 1, false);
	assert_int_equal(c, 2);
	/* The structure may be the destination itself: control still ends 0. */
	assert_int_equal(dma_at(x, BUF, FWCFG_SIGNATURE << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ,
				16, BUF),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(signature_id_and_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_lists_every_file, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_initrd_cmdline, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_reads_straddle_and_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_hostile, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
