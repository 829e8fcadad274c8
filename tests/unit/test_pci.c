/* test_pci: configuration mechanism #1, the host bridge, BARs and the
 * bar_moved notifications. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "pci.h"

struct move {
	int bar;
	uint32_t addr;
	bool enabled;
};

struct fix {
	struct pci_bus bus;
	struct pci_dev dev;
	int devno;
	struct move moves[16];
	int nmoves;
};

static void rec_moved(struct pci_dev *d, int bar, uint32_t addr, bool enabled)
{
	struct fix *f = d->opaque;
	if (f->nmoves < 16)
		f->moves[f->nmoves] = (struct move){bar, addr, enabled};
	f->nmoves++;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pci_init(&f->bus);
	f->dev.vendor_id = 0x1af4;
	f->dev.device_id = 0x1000;
	f->dev.class_code = 0x02;
	f->dev.revision = 0x01;
	f->dev.irq_pin = 1;
	f->dev.irq_line = 11;
	f->dev.bar[0].kind = PCI_BAR_MEM32;
	f->dev.bar[0].size = 4096;
	f->dev.bar[1].kind = PCI_BAR_IO;
	f->dev.bar[1].size = 32;
	f->dev.bar_moved = rec_moved;
	f->dev.opaque = f;
	f->devno = pci_add(&f->bus, &f->dev);
	assert_int_equal(f->devno, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	pthread_mutex_destroy(&f->bus.lock);
	free(f);
	return 0;
}

static uint32_t io_read(struct fix *f, unsigned off, unsigned len)
{
	uint8_t d[4] = {0};
	pci_io(&f->bus, off, d, len, false);
	uint32_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static void io_write(struct fix *f, unsigned off, unsigned len, uint32_t v)
{
	uint8_t d[4];
	for (unsigned i = 0; i < 4; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	pci_io(&f->bus, off, d, len, true);
}

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

/* Through the ports: select, then read CONFIG_DATA. */
static uint32_t cfg_rd(struct fix *f, unsigned dev, unsigned reg, unsigned len)
{
	io_write(f, 0, 4, cfg_addr(0, dev, 0, reg & 0xfc));
	return io_read(f, 4 + (reg & 3), len);
}

static void cfg_wr(struct fix *f, unsigned dev, unsigned reg, unsigned len, uint32_t v)
{
	io_write(f, 0, 4, cfg_addr(0, dev, 0, reg & 0xfc));
	io_write(f, 4 + (reg & 3), len, v);
}

static void test_host_bridge_ids(void **state)
{
	struct fix *f = *state;
	assert_int_equal(cfg_rd(f, 0, 0x00, 4), 0x00081b36);
	assert_int_equal(cfg_rd(f, 0, 0x08, 4), 0x06000000);
	assert_int_equal(cfg_rd(f, 0, 0x0e, 1), 0x00);
	assert_int_equal(cfg_rd(f, 0, 0x2c, 4), 0x11001af4); /* QEMU's subsystem */
	assert_int_equal(cfg_rd(f, 0, 0x10, 4), 0);
	/* The added device, with its subsystem IDs and interrupt fields. */
	assert_int_equal(cfg_rd(f, 1, 0x00, 4), 0x10001af4);
	assert_int_equal(cfg_rd(f, 1, 0x08, 4), 0x02000001);
	assert_int_equal(cfg_rd(f, 1, 0x2c, 4), 0x10001af4);
	assert_int_equal(cfg_rd(f, 1, 0x3c, 2), 0x010b);
	assert_int_equal(pci_cfg_read(&f->bus, 0, 0, 0x02, 2), 0x0008);
}

static void test_config_address_latch(void **state)
{
	struct fix *f = *state;
	io_write(f, 0, 4, 0x80001234);
	assert_int_equal(io_read(f, 0, 4), 0x80001234);
	io_write(f, 0, 4, 0xffffffff); /* reserved bits 30:24 and 1:0 read 0 */
	assert_int_equal(io_read(f, 0, 4), 0x80fffffc);
	/* Byte and word accesses to 0xcf8-0xcfb are not the register. */
	io_write(f, 0, 4, 0x80000000);
	io_write(f, 3, 1, 0x01);
	io_write(f, 0, 2, 0x1234);
	assert_int_equal(io_read(f, 0, 4), 0x80000000);
	assert_int_equal(io_read(f, 0, 1), 0xff);
	assert_int_equal(io_read(f, 2, 2), 0xffff);
	assert_int_equal(io_read(f, 3, 1), 0xff);
}

static void test_absent_read_all_ones(void **state)
{
	struct fix *f = *state;
	assert_int_equal(cfg_rd(f, 5, 0, 4), 0xffffffff);
	assert_int_equal(cfg_rd(f, 31, 0, 2), 0xffff);
	io_write(f, 0, 4, cfg_addr(1, 0, 0, 0)); /* bus 1 */
	assert_int_equal(io_read(f, 4, 4), 0xffffffff);
	io_write(f, 0, 4, cfg_addr(0, 0, 1, 0)); /* function 1 */
	assert_int_equal(io_read(f, 4, 4), 0xffffffff);
	io_write(f, 0, 4, 0x00000000); /* enable clear */
	assert_int_equal(io_read(f, 4, 4), 0xffffffff);
	assert_int_equal(io_read(f, 6, 1), 0xff);
	/* ...and writes there go nowhere. */
	io_write(f, 0, 4, 0x0000083c); /* dev 1 reg 0x3c, enable clear */
	io_write(f, 4, 1, 0x55);
	io_write(f, 0, 4, cfg_addr(1, 1, 0, 0x3c)); /* bus 1 */
	io_write(f, 4, 1, 0x66);
	io_write(f, 0, 4, cfg_addr(0, 1, 1, 0x3c)); /* function 1 */
	io_write(f, 4, 1, 0x77);
	assert_int_equal(pci_cfg_read(&f->bus, 1, 0, 0x3c, 1), 11);
	assert_int_equal(pci_cfg_read(&f->bus, 7, 0, 0, 4), 0xffffffff);
	assert_int_equal(pci_cfg_read(&f->bus, 40, 0, 0, 1), 0xff);
	assert_int_equal(pci_cfg_read(&f->bus, 0, 2, 0, 2), 0xffff);
}

static void test_byte_word_offsets(void **state)
{
	struct fix *f = *state;
	io_write(f, 0, 4, cfg_addr(0, 0, 0, 0x00));
	assert_int_equal(io_read(f, 4, 1), 0x36);
	assert_int_equal(io_read(f, 5, 1), 0x1b);
	assert_int_equal(io_read(f, 6, 2), 0x0008);
	assert_int_equal(io_read(f, 5, 2), 0x081b);
	assert_int_equal(io_read(f, 7, 1), 0x00);
	io_write(f, 0, 4, cfg_addr(0, 0, 0, 0x08));
	assert_int_equal(io_read(f, 7, 1), 0x06);
	/* Word write at 0xcfe reaches register + 2: the device's 0x3e/0x3f
	 * are read-only, 0x3c via 0xcfc is writable. */
	io_write(f, 0, 4, cfg_addr(0, 1, 0, 0x3c));
	io_write(f, 6, 2, 0xffff);
	io_write(f, 4, 1, 0x05);
	assert_int_equal(io_read(f, 4, 4), 0x00000105);
	/* Wrong sizes and accesses past the window: all-ones / dropped. */
	assert_int_equal(io_read(f, 6, 4), 0xffffffff);
	io_write(f, 5, 4, 0);
	assert_int_equal(io_read(f, 4, 4), 0x00000105);
}

static void test_bar_sizing(void **state)
{
	struct fix *f = *state;
	assert_int_equal(cfg_rd(f, 1, 0x10, 4), 0x00000000);
	assert_int_equal(cfg_rd(f, 1, 0x14, 4), 0x00000001);
	cfg_wr(f, 1, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f, 1, 0x10, 4), 0xfffff000);
	cfg_wr(f, 1, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f, 1, 0x14, 4), 0xffffffe1);
	for (unsigned r = 0x18; r <= 0x24; r += 4) {
		cfg_wr(f, 1, r, 4, 0xffffffff);
		assert_int_equal(cfg_rd(f, 1, r, 4), 0);
	}
	/* Decode was off: sizing moved nothing. */
	assert_int_equal(f->nmoves, 0);
	/* Low bits are dropped: the address stays size-aligned. */
	cfg_wr(f, 1, 0x10, 4, 0xfebf1234);
	assert_int_equal(cfg_rd(f, 1, 0x10, 4), 0xfebf1000);
	cfg_wr(f, 1, 0x14, 4, 0x0000c01f);
	assert_int_equal(cfg_rd(f, 1, 0x14, 4), 0x0000c001);
	/* Byte writes to one byte of a BAR. */
	cfg_wr(f, 1, 0x13, 1, 0xe0);
	assert_int_equal(cfg_rd(f, 1, 0x10, 4), 0xe0bf1000);
	cfg_wr(f, 1, 0x10, 1, 0xff);
	assert_int_equal(cfg_rd(f, 1, 0x10, 4), 0xe0bf1000);
}

static void test_bar_moved(void **state)
{
	struct fix *f = *state;
	cfg_wr(f, 1, 0x10, 4, 0xfebf0000);
	cfg_wr(f, 1, 0x14, 4, 0xc000);
	assert_int_equal(f->nmoves, 0);
	cfg_wr(f, 1, 0x04, 2, 0x0003); /* IO and MEM decode on */
	assert_int_equal(f->nmoves, 2);
	assert_int_equal(f->moves[0].bar, 0);
	assert_int_equal(f->moves[0].addr, 0xfebf0000);
	assert_true(f->moves[0].enabled);
	assert_int_equal(f->moves[1].bar, 1);
	assert_int_equal(f->moves[1].addr, 0xc000);
	assert_true(f->moves[1].enabled);
	/* Same value again: nothing moved. */
	cfg_wr(f, 1, 0x10, 4, 0xfebf0000);
	cfg_wr(f, 1, 0x04, 2, 0x0003);
	assert_int_equal(f->nmoves, 2);
	/* Moving while decoded. */
	cfg_wr(f, 1, 0x10, 4, 0xfebe0000);
	assert_int_equal(f->nmoves, 3);
	assert_int_equal(f->moves[2].bar, 0);
	assert_int_equal(f->moves[2].addr, 0xfebe0000);
	assert_true(f->moves[2].enabled);
	/* MEM decode off: BAR 0 goes, BAR 1 stays. */
	cfg_wr(f, 1, 0x04, 2, 0x0001);
	assert_int_equal(f->nmoves, 4);
	assert_int_equal(f->moves[3].bar, 0);
	assert_int_equal(f->moves[3].addr, 0xfebe0000);
	assert_false(f->moves[3].enabled);
	/* Moving a BAR whose decode is off reports nothing... */
	cfg_wr(f, 1, 0x10, 4, 0xfe000000);
	assert_int_equal(f->nmoves, 4);
	/* ...until decode comes back on. Bus master changes nothing. */
	cfg_wr(f, 1, 0x04, 1, 0x07);
	assert_int_equal(f->nmoves, 5);
	assert_int_equal(f->moves[4].addr, 0xfe000000);
	assert_true(f->moves[4].enabled);
	cfg_wr(f, 1, 0x04, 2, 0x0000);
	assert_int_equal(f->nmoves, 7);
	assert_false(f->moves[5].enabled);
	assert_false(f->moves[6].enabled);
	assert_int_equal(f->moves[6].bar, 1);
	assert_int_equal(f->moves[6].addr, 0xc000);
}

static void test_read_only_fields(void **state)
{
	struct fix *f = *state;
	uint8_t before[256], after[256];
	for (unsigned r = 0; r < 256; r++)
		before[r] = (uint8_t)pci_cfg_read(&f->bus, 1, 0, r, 1);
	cfg_wr(f, 1, 0x00, 4, 0xffffffff); /* IDs */
	cfg_wr(f, 1, 0x06, 2, 0xffff); /* status */
	cfg_wr(f, 1, 0x08, 4, 0xffffffff); /* revision, class */
	cfg_wr(f, 1, 0x0c, 4, 0xffffffff); /* header type etc. */
	cfg_wr(f, 1, 0x2c, 4, 0xffffffff); /* subsystem */
	cfg_wr(f, 1, 0x30, 4, 0xffffffff); /* no expansion ROM */
	cfg_wr(f, 1, 0x3d, 1, 0x04); /* interrupt pin */
	for (unsigned r = 0x40; r < 256; r += 4)
		cfg_wr(f, 1, r, 4, 0xffffffff);
	for (unsigned r = 0; r < 256; r++)
		after[r] = (uint8_t)pci_cfg_read(&f->bus, 1, 0, r, 1);
	assert_memory_equal(before, after, 256);
	/* COMMAND: only IO, MEM, bus master and INTx disable stick. */
	pci_cfg_write(&f->bus, 1, 0, 0x04, 2, 0xffff);
	assert_int_equal(pci_cfg_read(&f->bus, 1, 0, 0x04, 2), 0x0407);
	pci_cfg_write(&f->bus, 1, 0, 0x04, 2, 0);
	/* Interrupt line: writable; pin read-only. */
	cfg_wr(f, 1, 0x3c, 2, 0xff0a);
	assert_int_equal(cfg_rd(f, 1, 0x3c, 2), 0x010a);
	/* The host bridge's IDs are read-only too. */
	cfg_wr(f, 0, 0x00, 4, 0);
	assert_int_equal(cfg_rd(f, 0, 0x00, 4), 0x00081b36);
	/* Direct reads that run off the end of the space. */
	assert_int_equal(pci_cfg_read(&f->bus, 1, 0, 0xfe, 4), 0xffff0000);
	assert_int_equal(pci_cfg_read(&f->bus, 1, 0, 0, 3), 0xffffffff);
}

static void test_pci_add_errors(void **state)
{
	struct fix *f = *state;
	static struct pci_dev devs[PCI_MAX_DEVICES];
	struct pci_dev bad;
	assert_int_equal(pci_add(NULL, &devs[0]), -1);
	assert_int_equal(pci_add(&f->bus, NULL), -1);
	assert_int_equal(pci_add(&f->bus, &f->dev), -1); /* already there */
	static const struct {
		enum pci_bar_kind kind;
		uint32_t size;
	} sizes[] = {
		{PCI_BAR_MEM32, 0}, {PCI_BAR_MEM32, 8}, {PCI_BAR_MEM32, 4096 + 16},
		{PCI_BAR_IO, 2}, {PCI_BAR_IO, 24}, {PCI_BAR_IO, 512},
		{(enum pci_bar_kind)7, 16},
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&bad, 0, sizeof(bad));
		bad.bar[3].kind = sizes[i].kind;
		bad.bar[3].size = sizes[i].size;
		assert_int_equal(pci_add(&f->bus, &bad), -1);
	}
	memset(&bad, 0, sizeof(bad));
	bad.irq_pin = 5;
	assert_int_equal(pci_add(&f->bus, &bad), -1);
	/* Largest legal sizes are fine; fill the bus. */
	devs[0].bar[0].kind = PCI_BAR_MEM32;
	devs[0].bar[0].size = 0x80000000u;
	devs[0].bar[1].kind = PCI_BAR_IO;
	devs[0].bar[1].size = 256;
	for (int i = 2; i < PCI_MAX_DEVICES; i++)
		assert_int_equal(pci_add(&f->bus, &devs[i - 2]), i);
	assert_int_equal(pci_add(&f->bus, &devs[PCI_MAX_DEVICES - 2]), -1);
	assert_int_equal(pci_cfg_read(&f->bus, 2, 0, 0x10, 4), 0);
	pci_cfg_write(&f->bus, 2, 0, 0x10, 4, 0xffffffff);
	assert_int_equal(pci_cfg_read(&f->bus, 2, 0, 0x10, 4), 0x80000000);
	pci_cfg_write(&f->bus, 2, 0, 0x14, 4, 0xffffffff);
	assert_int_equal(pci_cfg_read(&f->bus, 2, 0, 0x14, 4), 0xffffff01);
}

/* pci_cap_add links entries and refuses what does not fit, whatever the
 * list's bytes and the length asked: a pointer of 0xff (an entry whose
 * next pointer would be cfg[256]) is taken as software must (its two low
 * bits masked), and a length that would wrap `at + len` is refused. */
static void test_cap_add(void **state)
{
	(void)state;
	static struct pci_dev d;
	memset(&d, 0, sizeof(d));
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_VENDOR, 1), -1);
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_VENDOR, 5), 0x40);
	assert_int_equal(d.cfg[0x34], 0x40);
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_MSI, 8), 0x48);
	assert_int_equal(d.cfg[0x41], 0x48);
	assert_int_equal(d.cfg[0x49], 0);
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_MSIX, 0xfffffff0u), -1);
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_MSIX, 256 - 0x50 + 1), -1);
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_MSIX, 256 - 0x50), 0x50);
	assert_int_equal(d.cap_end, 0xff);
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_MSIX, 2), -1);

	/* A list whose first entry points at 0xff. */
	memset(&d, 0, sizeof(d));
	d.cap_end = 0x44;
	d.cfg[0x34] = 0x40;
	d.cfg[0x40] = PCI_CAP_ID_VENDOR;
	d.cfg[0x41] = 0xff;
	d.cfg[0xfd] = 0;
	assert_int_equal(pci_cap_add(&d, PCI_CAP_ID_MSI, 8), 0x44);
	assert_int_equal(d.wmask[0], 0); /* cfg[256] would be here */
	assert_int_equal(d.cfg[0xfd], 0x44);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_address_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_read_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_word_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_add_errors, setup, teardown),
		cmocka_unit_test(test_cap_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
