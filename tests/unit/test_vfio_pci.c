/* test_vfio_pci: a passed-through function's configuration space, BAR
 * slots and MSI-X table trap, over a file standing in for the VFIO
 * device (its config region and BAR regions at their offsets) and hooks
 * that record what would reach KVM and VFIO. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "bus.h"
#include "pci.h"
#include "vfio_pci.h"

#define BAR0_OFF 0x10000
#define BAR0_SIZE 0x4000
#define BAR2_OFF 0x20000
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000

struct call {
	char what[16];
	unsigned a, b, c;
	uint64_t x, y;
	bool on;
};

struct fix {
	struct pci_bus bus;
	struct bus mmio;
	struct vfio_pci vp;
	int slot;
	FILE *file;
	uint8_t *bar0; /* the "mmap" of BAR 0 */
	struct call calls[64];
	unsigned ncalls;
	int fds[4];
};

static void rec(struct fix *f, const char *what, unsigned a, unsigned b, unsigned c, uint64_t x,
		uint64_t y, bool on)
{
	if (f->ncalls < 64) {
		struct call *k = &f->calls[f->ncalls++];
		snprintf(k->what, sizeof(k->what), "%s", what);
		k->a = a, k->b = b, k->c = c, k->x = x, k->y = y, k->on = on;
	}
}

static const struct call *find(struct fix *f, const char *what, unsigned a)
{
	for (unsigned i = f->ncalls; i-- > 0;)
		if (!strcmp(f->calls[i].what, what) && f->calls[i].a == a)
			return &f->calls[i];
	return NULL;
}

static int h_set_irqs(void *ctx, enum vfio_irq index, enum vfio_irq_action act, unsigned start,
		      unsigned count, const int *fds)
{
	(void)fds;
	rec(ctx, act == VFIO_ACT_UNMASK ? "unmask" : "trigger", (unsigned)index, start, count, 0,
	    0, count > 0);
	return 0;
}

static int h_route(void *ctx, unsigned gsi, uint64_t addr, uint32_t data)
{
	rec(ctx, "route", gsi, 0, 0, addr, data, true);
	return 0;
}

static int h_irqfd(void *ctx, int fd, unsigned gsi, int resample_fd, bool assign)
{
	rec(ctx, "irqfd", gsi, (unsigned)fd, resample_fd >= 0, 0, 0, assign);
	return 0;
}

static int h_map(void *ctx, unsigned slot, uint64_t gpa, uint64_t size, void *host)
{
	struct fix *f = ctx;
	rec(ctx, "map", slot, 0, 0, gpa, size, size > 0);
	if (size)
		assert_ptr_equal(host, f->bar0 + (gpa & (BAR0_SIZE - 1)));
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t file_byte(struct fix *f, long off)
{
	uint8_t b = 0;
	fflush(f->file);
	assert_int_equal(pread(fileno(f->file), &b, 1, off), 1);
	return b;
}

static int start(void **state, const uint8_t *c, unsigned nvec);

static int setup(void **state)
{
	/* A virtio-rng-like function: PM at 0x40, MSI at 0x50 (to hide),
	 * MSI-X at 0x60 (2 vectors, table and PBA in BAR 0), vendor at 0x70. */
	uint8_t c[256] = {0};
	put16(c + 0, 0x1af4);
	put16(c + 2, 0x1044);
	c[0x06] = 0x18; /* capabilities list, interrupt status */
	c[0x0b] = 0xff;
	c[0x0e] = 0x80; /* multi-function */
	put32(c + 0x10, 0xc); /* 64-bit, prefetchable */
	put32(c + 0x18, 0x1); /* I/O */
	put32(c + 0x30, 0xfffe0000u); /* a ROM we do not offer */
	c[0x34] = 0x40;
	c[0x3d] = 1;
	c[0x40] = 0x01, c[0x41] = 0x50, c[0x44] = 0x08;
	c[0x50] = 0x05, c[0x51] = 0x60;
	c[0x60] = 0x11, c[0x61] = 0x70;
	put16(c + 0x62, 1);
	put32(c + 0x64, TABLE_OFF | 0);
	put32(c + 0x68, PBA_OFF | 0);
	c[0x70] = 0x09, c[0x71] = 0x00, c[0x72] = 0x10, c[0x73] = 0x01;
	return start(state, c, 2);
}

/* An edu-like function (QEMU's teaching device): MSI and no MSI-X, MSI at
 * 0x40 (64-bit capable; with per-vector masking when `pvm`) then PM. */
static void msi_config(uint8_t *c, bool pvm)
{
	memset(c, 0, 256);
	put16(c + 0, 0x1234);
	put16(c + 2, 0x11e8);
	c[0x06] = 0x10;
	put32(c + 0x10, 0x0); /* 32-bit memory */
	c[0x34] = 0x40;
	c[0x3d] = 1;
	unsigned pm = pvm ? 0x58 : 0x50;
	c[0x40] = 0x05, c[0x41] = (uint8_t)pm;
	put16(c + 0x42, pvm ? 0x0186 : 0x0086); /* 64-bit, 8 vectors capable */
	put32(c + 0x44, 0xdeadbee0u);            /* what the device holds: not shown */
	c[pm] = 0x01, c[pm + 1] = 0x00, c[pm + 2] = 0x03;
}

static int setup_msi(void **state)
{
	uint8_t c[256];
	msi_config(c, false);
	return start(state, c, 1);
}

static int setup_msi_pvm(void **state)
{
	uint8_t c[256];
	msi_config(c, true);
	return start(state, c, 1);
}

static int start(void **state, const uint8_t *c, unsigned nvec)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pci_init(&f->bus);
	f->mmio = (struct bus)BUS_INIT("mmio");
	f->file = tmpfile();
	assert_non_null(f->file);
	assert_int_equal(pwrite(fileno(f->file), c, 256, 0), 256);
	uint8_t bar0[BAR0_SIZE];
	for (unsigned i = 0; i < sizeof(bar0); i++)
		bar0[i] = (uint8_t)i;
	assert_int_equal(pwrite(fileno(f->file), bar0, sizeof(bar0), BAR0_OFF),
			 (ssize_t)sizeof(bar0));
	f->bar0 = aligned_alloc(4096, BAR0_SIZE);
	assert_non_null(f->bar0);

	struct vfio_pci *vp = &f->vp;
	vp->fd = fileno(f->file);
	vp->cfg_region = (struct vfio_region){0, 256, NULL};
	vp->region[0] = (struct vfio_region){BAR0_OFF, BAR0_SIZE, f->bar0};
	vp->region[2] = (struct vfio_region){BAR2_OFF, 32, NULL};
	vp->hooks = (struct vfio_pci_hooks){h_set_irqs, h_route, h_irqfd, h_map, f};
	vp->mmio = &f->mmio;
	vp->bdf = "0000:00:04.0";
	vp->gsi_base = 128;
	vp->slot_base = 20;
	vp->cfg_lock = &f->bus.lock;
	vp->intx_fd = 100, vp->intx_resample_fd = 101;
	for (unsigned v = 0; v < VFIO_MAX_VECTORS; v++)
		vp->vec_fd[v] = v < nvec ? (int)(200 + v) : -1;
	char err[256];
	assert_int_equal(vfio_pci_init(vp, err, sizeof(err)), 0);
	f->slot = pci_add(&f->bus, &vp->pci);
	assert_true(f->slot > 0);
	assert_int_equal(vfio_pci_setup(vp, (unsigned)f->slot, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	vfio_pci_teardown(&f->vp);
	bus_free(&f->mmio);
	fclose(f->file);
	free(f->bar0);
	free(f);
	return 0;
}

static uint32_t rd(struct fix *f, unsigned reg, unsigned len)
{
	return pci_cfg_read(&f->bus, (unsigned)f->slot, 0, reg, len);
}

static void wr(struct fix *f, unsigned reg, unsigned len, uint32_t v)
{
	pci_cfg_write(&f->bus, (unsigned)f->slot, 0, reg, len, v);
}

static void test_identity_and_caps(void **state)
{
	struct fix *f = *state;
	assert_int_equal(rd(f, 0, 4), 0x10441af4);
	assert_int_equal(rd(f, 0x0e, 1), 0x00); /* one function shown */
	assert_int_equal(rd(f, 0x06, 1) & 0x18, 0x10);
	assert_int_equal(rd(f, 0x30, 4), 0); /* no ROM */
	/* The list as the guest walks it: PM, vendor, MSI-X; MSI is gone. */
	unsigned seen[8], n = 0;
	for (unsigned p = rd(f, 0x34, 1); p && n < 8; p = rd(f, p + 1, 1))
		seen[n++] = p;
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], 0x40);
	assert_int_equal(seen[1], 0x70);
	assert_int_equal(seen[2], 0x60);
	assert_int_equal(rd(f, 0x60, 1), 0x11);
	assert_int_equal(rd(f, 0x62, 2), 1); /* two vectors */
	assert_int_equal(rd(f, 0x64, 4), TABLE_OFF);
	/* Bodies of kept capabilities pass through. */
	assert_int_equal(rd(f, 0x72, 2), 0x0110);
	assert_int_equal(rd(f, 0x44, 1), 0x08);
	/* INTx on the slot's _PRT route. */
	assert_int_equal(rd(f, 0x3d, 1), 1);
	assert_int_equal(rd(f, 0x3c, 1), ACPI_PCI_INTX_GSI((unsigned)f->slot, 1));
	const struct call *k = find(f, "irqfd", ACPI_PCI_INTX_GSI((unsigned)f->slot, 1));
	assert_non_null(k);
	assert_true(k->on && k->c); /* with a resample fd */
	assert_non_null(find(f, "trigger", VFIO_IRQ_INTX));
	assert_non_null(find(f, "unmask", VFIO_IRQ_INTX));
}

static void test_passthrough_writes(void **state)
{
	struct fix *f = *state;
	wr(f, 0x44, 1, 0x03); /* PM control: the device's */
	assert_int_equal(file_byte(f, 0x44), 0x03);
	wr(f, 0x3d, 1, 0x04); /* Interrupt Pin: read-only, ours */
	assert_int_equal(rd(f, 0x3d, 1), 1);
	assert_int_equal(file_byte(f, 0x3d), 1);
	wr(f, 0x60, 1, 0x05); /* a capability ID: ours, read-only */
	assert_int_equal(rd(f, 0x60, 1), 0x11);
	assert_int_equal(file_byte(f, 0x60), 0x11);
	wr(f, 0x04, 2, 0x0006); /* COMMAND: ours and forwarded */
	assert_int_equal(rd(f, 0x04, 2), 0x0006);
	assert_int_equal(file_byte(f, 0x04), 0x06);
}

static void test_bar_sizing(void **state)
{
	struct fix *f = *state;
	wr(f, 0x10, 4, 0xffffffffu);
	wr(f, 0x14, 4, 0xffffffffu);
	wr(f, 0x18, 4, 0xffffffffu);
	assert_int_equal(rd(f, 0x10, 4), (uint32_t)~(BAR0_SIZE - 1) | 0xc);
	assert_int_equal(rd(f, 0x14, 4), 0xffffffffu);
	assert_int_equal(rd(f, 0x18, 4), 0xffffffe1u);
	assert_int_equal(rd(f, 0x1c, 4), 0); /* absent */
	/* Sizing with decode off maps nothing. */
	assert_null(find(f, "map", 20));
}

static void test_bar_slots_and_moves(void **state)
{
	struct fix *f = *state;
	wr(f, 0x10, 4, 0xe0000000u);
	wr(f, 0x14, 4, 0);
	wr(f, 0x04, 2, 0x2);
	/* One slot below the MSI-X pages; the table and PBA pages trap. */
	const struct call *k = find(f, "map", 20);
	assert_non_null(k);
	assert_true(k->on);
	assert_int_equal(k->x, 0xe0000000u);
	assert_int_equal(k->y, TABLE_OFF);
	assert_null(find(f, "map", 21));
	struct bus_range r;
	assert_true(bus_find(&f->mmio, 0xe0000000u + TABLE_OFF, 4, &r));
	assert_int_equal(r.base, 0xe0000000u + TABLE_OFF);
	assert_int_equal(r.len, BAR0_SIZE - TABLE_OFF);
	assert_false(bus_find(&f->mmio, 0xe0000000u, 4, &r));
	/* The guest moves it: the slot follows, the trap too. */
	wr(f, 0x10, 4, 0xe0100000u);
	k = find(f, "map", 20);
	assert_int_equal(k->x, 0xe0100000u);
	assert_true(k->on);
	assert_false(bus_find(&f->mmio, 0xe0000000u + TABLE_OFF, 4, &r));
	assert_true(bus_find(&f->mmio, 0xe0100000u + TABLE_OFF, 4, &r));
	/* Decode off: all gone. */
	wr(f, 0x04, 2, 0x0);
	k = find(f, "map", 20);
	assert_false(k->on);
	assert_false(bus_find(&f->mmio, 0xe0100000u + TABLE_OFF, 4, &r));
}

static void mmio32(struct fix *f, uint64_t gpa, uint32_t v)
{
	uint8_t d[4];
	put32(d, v);
	assert_true(bus_access(&f->mmio, gpa, d, 4, true));
}

static void test_msix_trap(void **state)
{
	struct fix *f = *state;
	const uint64_t base = 0xe0000000u;
	wr(f, 0x10, 4, (uint32_t)base);
	wr(f, 0x04, 2, 0x6);
	/* Vector 1: address, data, unmasked. */
	mmio32(f, base + TABLE_OFF + 16, 0xfee01000u);
	mmio32(f, base + TABLE_OFF + 20, 0);
	mmio32(f, base + TABLE_OFF + 24, 0x41);
	mmio32(f, base + TABLE_OFF + 28, 0);
	assert_null(find(f, "route", 129)); /* MSI-X still off */
	wr(f, 0x62, 2, 0x8000); /* enable */
	/* INTx handed back, MSI-X given to VFIO with both vectors. */
	const struct call *k = find(f, "trigger", VFIO_IRQ_MSIX);
	assert_non_null(k);
	assert_int_equal(k->c, 2);
	k = find(f, "trigger", VFIO_IRQ_INTX);
	assert_false(k->on);
	k = find(f, "route", 129);
	assert_non_null(k);
	assert_int_equal(k->x, 0xfee01000u);
	assert_int_equal(k->y, 0x41);
	k = find(f, "irqfd", 129);
	assert_true(k->on);
	assert_int_equal(k->b, 201);
	assert_null(find(f, "irqfd", 128)); /* vector 0 is masked */
	/* Masking detaches the irqfd (the eventfd keeps what comes meanwhile). */
	mmio32(f, base + TABLE_OFF + 28, 1);
	k = find(f, "irqfd", 129);
	assert_false(k->on);
	/* Reading the table back is ours, not the device's. */
	uint8_t d[4];
	assert_true(bus_access(&f->mmio, base + TABLE_OFF + 24, d, 4, false));
	assert_int_equal(d[0], 0x41);
	/* The rest of a trapped page reaches the device's region. */
	assert_true(bus_access(&f->mmio, base + PBA_OFF + 0x800, d, 4, false));
	assert_int_equal(d[0], (uint8_t)(PBA_OFF + 0x800));
	/* Disable: VFIO's MSI-X off, INTx back. */
	wr(f, 0x62, 2, 0x0000);
	k = find(f, "trigger", VFIO_IRQ_MSIX);
	assert_false(k->on);
	k = find(f, "trigger", VFIO_IRQ_INTX);
	assert_true(k->on);
}

/* MSI on a function without MSI-X: the capability is shown, one vector,
 * no per-vector masking, and its Enable arms VFIO's MSI index with the
 * vector's eventfd behind an irqfd on an MSI route. */
static void test_msi_cap_shown(void **state)
{
	struct fix *f = *state;
	assert_true(f->vp.has_msi);
	assert_false(f->vp.has_msix);
	assert_true(rd(f, 0x06, 2) & 0x10);
	assert_int_equal(rd(f, 0x34, 1), 0x40);
	assert_int_equal(rd(f, 0x40, 1), 0x05);
	assert_int_equal(rd(f, 0x41, 1), 0x50); /* then PM */
	assert_int_equal(rd(f, 0x50, 1), 0x01);
	/* 64-bit capable, Multiple Message Capable 0, no masking, off. */
	assert_int_equal(rd(f, 0x42, 2), 0x0080);
	assert_int_equal(rd(f, 0x44, 4), 0); /* ours, not the device's */
	/* Only Enable is writable in Message Control: MME stays 0. */
	wr(f, 0x42, 2, 0xfffe);
	assert_int_equal(rd(f, 0x42, 2), 0x0080);
	wr(f, 0x44, 4, 0xffffffffu);
	assert_int_equal(rd(f, 0x44, 4), 0xfffffffcu);
	wr(f, 0x48, 4, 0x12345678u);
	assert_int_equal(rd(f, 0x48, 4), 0x12345678u);
	wr(f, 0x4c, 2, 0xabcd);
	assert_int_equal(rd(f, 0x4c, 2), 0xabcd);
	/* The device's own capability is never written by the guest. */
	assert_int_equal(file_byte(f, 0x44), 0xe0);
	assert_int_equal(file_byte(f, 0x42), 0x86);
	assert_null(find(f, "trigger", VFIO_IRQ_MSI));
}

static void test_msi_pvm_hidden(void **state)
{
	struct fix *f = *state;
	assert_true(f->vp.has_msi);
	assert_int_equal(f->vp.msi_len, 24);
	assert_int_equal(rd(f, 0x41, 1), 0x58);
	assert_int_equal(rd(f, 0x42, 2), 0x0080); /* masking not offered */
	/* The mask and pending words read 0 and take no writes. */
	wr(f, 0x50, 4, 0xffffffffu);
	assert_int_equal(rd(f, 0x50, 4), 0);
	assert_int_equal(rd(f, 0x58, 1), 0x01);
}

static void test_msi_enable_wires_irqfd(void **state)
{
	struct fix *f = *state;
	wr(f, 0x44, 4, 0xfee00000u);
	wr(f, 0x48, 4, 0);
	wr(f, 0x4c, 2, 0x40);
	assert_null(find(f, "route", 128)); /* still off */
	wr(f, 0x42, 2, 0x0001);
	/* INTx off, VFIO's MSI on with the one eventfd, routed, irqfd on. */
	const struct call *k = find(f, "trigger", VFIO_IRQ_INTX);
	assert_non_null(k);
	assert_false(k->on);
	k = find(f, "trigger", VFIO_IRQ_MSI);
	assert_non_null(k);
	assert_true(k->on);
	assert_int_equal(k->c, 1);
	k = find(f, "route", 128);
	assert_non_null(k);
	assert_int_equal(k->x, 0xfee00000u);
	assert_int_equal(k->y, 0x40);
	k = find(f, "irqfd", 128);
	assert_non_null(k);
	assert_true(k->on);
	assert_int_equal(k->b, 200);
	assert_int_equal(k->c, 0); /* edge: no resample fd */
	/* A new message while enabled: the route follows, VFIO untouched. */
	unsigned before = f->ncalls;
	wr(f, 0x48, 4, 0x1);
	wr(f, 0x4c, 2, 0x51);
	k = find(f, "route", 128);
	assert_int_equal(k->x, 0x1fee00000ull);
	assert_int_equal(k->y, 0x51);
	for (unsigned i = before; i < f->ncalls; i++)
		assert_string_not_equal(f->calls[i].what, "trigger");
	/* Disable: irqfd off, VFIO's MSI off, INTx back. */
	wr(f, 0x42, 2, 0x0000);
	k = find(f, "irqfd", 128);
	assert_false(k->on);
	k = find(f, "trigger", VFIO_IRQ_MSI);
	assert_false(k->on);
	k = find(f, "trigger", VFIO_IRQ_INTX);
	assert_true(k->on);
	/* On again, then teardown switches VFIO's MSI off. */
	wr(f, 0x42, 2, 0x0001);
	assert_true(find(f, "trigger", VFIO_IRQ_MSI)->on);
	vfio_pci_teardown(&f->vp);
	assert_false(find(f, "trigger", VFIO_IRQ_MSI)->on);
	assert_false(find(f, "irqfd", 128)->on);
}

/* Beside MSI-X, MSI stays hidden (the first fixture has both). */
static void test_msi_hidden_beside_msix(void **state)
{
	struct fix *f = *state;
	assert_false(f->vp.has_msi);
	wr(f, 0x52, 2, 0x0001);
	assert_null(find(f, "trigger", VFIO_IRQ_MSI));
}

static void test_io_bar_window(void **state)
{
	struct fix *f = *state;
	uint8_t d[4] = {0};
	struct vfio_pci *devs[2] = {&f->vp, NULL};
	assert_int_equal(pwrite(fileno(f->file), "\x5a", 1, BAR2_OFF + 4), 1);
	wr(f, 0x18, 4, VFIO_IO_BASE + 0x20);
	vfio_pci_io_window(devs, 0x24, d, 1, false);
	assert_int_equal(d[0], 0xff); /* decode off */
	wr(f, 0x04, 2, 0x1);
	vfio_pci_io_window(devs, 0x24, d, 1, false);
	assert_int_equal(d[0], 0x5a);
	d[0] = 0x77;
	vfio_pci_io_window(devs, 0x25, d, 1, true);
	assert_int_equal(file_byte(f, BAR2_OFF + 5), 0x77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passthrough_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_slots_and_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_trap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_bar_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_cap_shown, setup_msi, teardown),
		cmocka_unit_test_setup_teardown(test_msi_pvm_hidden, setup_msi_pvm, teardown),
		cmocka_unit_test_setup_teardown(test_msi_enable_wires_irqfd, setup_msi, teardown),
		cmocka_unit_test_setup_teardown(test_msi_hidden_beside_msix, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
