/* The channel's PCI function (chanpci.h): identity and configuration
 * space as uio_pci_generic and our guest see them, the register page, the
 * PCI 2.3 Interrupt Status / Interrupt Disable pair, and the kernel paths
 * (doorbell ioeventfd, incoming irqfd) kept in step with BAR0, MSI and bus
 * mastering. KVM is replaced by recorders. */
#include <string.h>

#include "channel.h"
#include "chanpci.h"
#include "testlib.h"

#define BAR2 0xe0000000u
#define SIZE 0x10000u
#define BAR0 (BAR2 + SIZE)

static struct {
	int level, level_changes;
	int map_on, map_off;
	uint64_t map_gpa;
	int bell_on, bell_off, bell_fail;
	uint64_t bell_addr, bell_off_addr;
	int kp_on, kp_off, kp_fail, kp_tries;
	uint64_t kp_addr;
	uint32_t kp_data;
	int msis;
	uint32_t msi_data;
	int rings, wakes;
} rec;

static void rec_irq(void *ctx, unsigned gsi, int level)
{
	(void)ctx;
	assert_int_equal(gsi, 18);
	if (level != rec.level)
		rec.level_changes++;
	rec.level = level;
}

static int rec_map(void *ctx, unsigned idx, bool on, uint64_t gpa)
{
	(void)ctx;
	assert_int_equal(idx, 1);
	if (on)
		rec.map_on++, rec.map_gpa = gpa;
	else
		rec.map_off++;
	return 0;
}

static int rec_bell(void *ctx, unsigned idx, bool on, uint64_t addr)
{
	(void)ctx;
	(void)idx;
	if (!on) {
		rec.bell_off++;
		rec.bell_off_addr = addr;
		return 0;
	}
	if (rec.bell_fail)
		return -1;
	rec.bell_on++;
	rec.bell_addr = addr;
	return 0;
}

static int rec_kpath(void *ctx, unsigned idx, bool on, uint64_t addr, uint32_t data)
{
	(void)ctx;
	(void)idx;
	if (!on) {
		rec.kp_off++;
		return 0;
	}
	rec.kp_tries++;
	if (rec.kp_fail)
		return -1;
	rec.kp_on++;
	rec.kp_addr = addr;
	rec.kp_data = data;
	return 0;
}

static int rec_msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	(void)addr;
	rec.msis++;
	rec.msi_data = data;
	return 0;
}

static int rec_ring(void *ctx, unsigned idx)
{
	(void)ctx;
	(void)idx;
	rec.rings++;
	return 0;
}

static void rec_wake(void *ctx)
{
	(void)ctx;
	rec.wakes++;
}

static struct bus mmio = BUS_INIT("mmio");
static struct pci_bus pci;
static struct chanpci ch;
static uint8_t shm[SIZE];
static unsigned slot, cap;

static uint32_t cfg(unsigned reg, unsigned len)
{
	return pci_cfg_read(&pci, slot, 0, reg, len);
}

static void cfgw(unsigned reg, unsigned len, uint32_t v)
{
	pci_cfg_write(&pci, slot, 0, reg, len, v);
}

static int setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof(rec));
	memset(shm, 0, sizeof(shm));
	mmio = (struct bus)BUS_INIT("mmio");
	pci_init(&pci);
	chanpci_init(&ch, 1, shm, SIZE, "pp", "pong", &mmio, (struct irq_line){rec_irq, NULL, 18},
		     (struct chanpci_ops){rec_map, rec_bell, rec_kpath, rec_msi, rec_ring, rec_wake,
					  NULL});
	int s = pci_add(&pci, &ch.pci);
	assert_true(s > 0);
	slot = (unsigned)s;
	assert_int_equal(chanpci_add_caps(&ch), 0);
	cap = cfg(0x34, 1);
	cfgw(0x3c, 1, 18);
	/* Firmware's placement, as the machine does it. */
	cfgw(0x18, 4, BAR2);
	cfgw(0x10, 4, BAR0);
	cfgw(0x04, 2, 0x6);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bus_free(&mmio);
	return 0;
}

static uint32_t rd(uint64_t off)
{
	uint8_t d[4];
	assert_true(bus_access(&mmio, BAR0 + off, d, 4, false));
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wr(uint64_t off, uint32_t v)
{
	uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	assert_true(bus_access(&mmio, BAR0 + off, d, 4, true));
}

static void enable_msi(uint32_t addr, uint16_t data)
{
	cfgw(cap + 4, 4, addr);
	cfgw(cap + 8, 2, data);
	cfgw(cap + 2, 2, 1);
}

/* What lspci and uio_pci_generic read: identity, class RAM, two 32-bit
 * non-prefetchable memory BARs that size right, INTA#, one MSI. */
static void identity_and_bars(void **state)
{
	(void)state;
	assert_int_equal(cfg(0x00, 2), CHANPCI_VENDOR);
	assert_int_equal(cfg(0x02, 2), CHANPCI_DEVICE);
	assert_int_equal(cfg(0x0b, 1), 0x05);
	assert_int_equal(cfg(0x0a, 1), 0x00);
	assert_int_equal(cfg(0x0e, 1), 0x00); /* type 0 header */
	assert_int_equal(cfg(0x3d, 1), 1);    /* INTA# */
	assert_int_equal(cfg(0x3c, 1), 18);
	assert_int_equal(cfg(0x10, 4), BAR0); /* bits 3:0 = 0: memory, 32-bit, not prefetchable */
	assert_int_equal(cfg(0x18, 4), BAR2);
	assert_int_equal(cfg(0x14, 4), 0);
	assert_int_equal(cfg(0x1c, 4), 0);
	/* Sizing with decode off, as Linux's __pci_read_base does it. */
	cfgw(0x04, 2, 0);
	cfgw(0x10, 4, 0xffffffffu);
	assert_int_equal(cfg(0x10, 4), ~(CHANPCI_BAR0_SIZE - 1));
	cfgw(0x18, 4, 0xffffffffu);
	assert_int_equal(cfg(0x18, 4), ~(SIZE - 1));
	cfgw(0x10, 4, BAR0);
	cfgw(0x18, 4, BAR2);
	cfgw(0x04, 2, 0x6);
	/* The MSI capability: 32-bit address, one vector. */
	assert_int_equal(cfg(0x06, 2) & 0x10, 0x10);
	assert_int_equal(cfg(cap, 1), 0x05);
	assert_int_equal(cfg(cap + 1, 1), 0);
	assert_int_equal(cfg(cap + 2, 2), 0);
	cfgw(cap + 2, 2, 0xffff); /* only Enable is writable */
	assert_int_equal(cfg(cap + 2, 2), 1);
	cfgw(cap + 2, 2, 0);
	assert_int_equal(chanpci_bar_size(12288), 16384);
	assert_int_equal(chanpci_bar_size(4096), 4096);
}

static void register_page(void **state)
{
	(void)state;
	assert_int_equal(rd(CHANPCI_ID_REG), CHANPCI_ID);
	assert_int_equal(rd(CHANPCI_VERSION), 1);
	assert_int_equal(rd(CHANPCI_SIZE_LO), SIZE);
	assert_int_equal(rd(CHANPCI_SIZE_HI), 0);
	assert_int_equal(rd(CHANPCI_INDEX), 1);
	assert_int_equal(rd(CHANPCI_DOORBELL), 0);
	assert_int_equal(rd(CHANPCI_NAME), 'p' | 'p' << 8);
	uint8_t s[8];
	assert_true(bus_access(&mmio, BAR0 + CHANPCI_PEER, s, 8, false));
	assert_memory_equal(s, "pong\0\0\0\0", 8);
	assert_true(bus_access(&mmio, BAR0 + CHANPCI_PEER + 31, s, 1, false));
	assert_int_equal(s[0], 0);
	/* Registers take aligned 4-byte accesses only; elsewhere all-ones. */
	assert_true(bus_access(&mmio, BAR0 + CHANPCI_ID_REG, s, 1, false));
	assert_int_equal(s[0], 0xff);
	assert_true(bus_access(&mmio, BAR0 + CHANPCI_NAME + 1, s, 2, false));
	assert_int_equal(s[0], 0xff);
	assert_int_equal(rd(0x1c), 0); /* reserved register */
	assert_int_equal(rd(0x80), 0xffffffffu); /* past the page's contents */
	assert_int_equal(rd(0xffc), 0xffffffffu);
	/* Read-only registers ignore writes. */
	wr(CHANPCI_ID_REG, 0);
	wr(CHANPCI_SIZE_LO, 1);
	wr(CHANPCI_NAME, 0);
	assert_int_equal(rd(CHANPCI_ID_REG), CHANPCI_ID);
	assert_int_equal(rd(CHANPCI_SIZE_LO), SIZE);
	assert_int_equal(rd(CHANPCI_NAME), 'p' | 'p' << 8);
	assert_int_equal(rec.rings, 0);
}

/* uio_pci_generic's contract (Linux drivers/uio/uio_pci_generic.c and
 * pci_check_and_mask_intx): Interrupt Disable can be flipped and read
 * back; Interrupt Status says whether the interrupt is ours whatever
 * Interrupt Disable says; with Interrupt Disable set the line is low. */
static void intx_status_and_disable(void **state)
{
	(void)state;
	assert_true(chanpci_monitor_reads(&ch));
	uint16_t cmd = (uint16_t)cfg(0x04, 2);
	cfgw(0x04, 2, cmd ^ 0x400);
	assert_int_equal(cfg(0x04, 2), cmd ^ 0x400);
	cfgw(0x04, 2, cmd);
	assert_int_equal(cfg(0x04, 2), cmd);
	assert_int_equal(cfg(0x06, 2) & 0x08, 0);

	chanpci_incoming(&ch);
	assert_int_equal(cfg(0x06, 2) & 0x08, 0x08);
	assert_int_equal(rec.level, 1);
	assert_int_equal(rd(CHANPCI_PENDING), 1);
	/* The handler masks: the line drops, the status stays. */
	cfgw(0x04, 2, cmd | 0x400);
	assert_int_equal(rec.level, 0);
	assert_int_equal(cfg(0x04, 4) >> 16 & 0x08, 0x08);
	/* Status is read-only: writing it changes nothing. */
	cfgw(0x06, 2, 0x08);
	assert_int_equal(cfg(0x06, 2) & 0x08, 0x08);
	/* User space acknowledges, then unmasks: no new interrupt. */
	wr(CHANPCI_PENDING, 1);
	assert_int_equal(rd(CHANPCI_PENDING), 0);
	assert_int_equal(cfg(0x06, 2) & 0x08, 0);
	cfgw(0x04, 2, cmd);
	assert_int_equal(rec.level, 0);
	/* A doorbell while masked is kept and raises the line on unmask. */
	cfgw(0x04, 2, cmd | 0x400);
	chanpci_incoming(&ch);
	assert_int_equal(rec.level, 0);
	assert_int_equal(cfg(0x06, 2) & 0x08, 0x08);
	cfgw(0x04, 2, cmd);
	assert_int_equal(rec.level, 1);
	/* Writing 0 to PENDING clears nothing. */
	wr(CHANPCI_PENDING, 0);
	assert_int_equal(rd(CHANPCI_PENDING), 1);
	wr(CHANPCI_PENDING, 1);
	assert_int_equal(rec.level, 0);
	assert_int_equal(rec.msis, 0);
}

/* MSI with bus mastering: the incoming doorbell is the kernel's (irqfd),
 * INTx is off; without bus mastering no message goes out at all. */
static void msi_kernel_path(void **state)
{
	(void)state;
	enable_msi(0xfee00000u, 0x50);
	assert_int_equal(rec.kp_on, 1);
	assert_int_equal(rec.kp_addr, 0xfee00000u);
	assert_int_equal(rec.kp_data, 0x50);
	assert_false(chanpci_monitor_reads(&ch));
	assert_true(rec.wakes >= 1);
	/* A count the monitor read just before the irqfd took over: sent. */
	chanpci_incoming(&ch);
	assert_int_equal(rec.msis, 1);
	assert_int_equal(rec.msi_data, 0x50);
	assert_int_equal(rec.level, 0);
	assert_int_equal(cfg(0x06, 2) & 0x08, 0);
	/* A new message reprograms the route. */
	cfgw(cap + 8, 2, 0x51);
	assert_int_equal(rec.kp_on, 2);
	assert_int_equal(rec.kp_data, 0x51);
	/* Bus mastering off: the path goes, the monitor reads, nothing is sent. */
	int wakes = rec.wakes;
	cfgw(0x04, 2, 0x2);
	assert_int_equal(rec.kp_off, 1);
	assert_true(chanpci_monitor_reads(&ch));
	assert_int_equal(rec.wakes, wakes + 1);
	chanpci_incoming(&ch);
	assert_int_equal(rec.msis, 1);
	assert_int_equal(rec.level, 0);
	assert_int_equal(ch.irqs_lost, 1);
	/* A message outside the interrupt window is a memory write: none. */
	cfgw(0x04, 2, 0x6);
	assert_int_equal(rec.kp_on, 3);
	cfgw(cap + 4, 4, 0x12345678u);
	assert_int_equal(rec.kp_off, 2);
	assert_true(chanpci_monitor_reads(&ch));
	chanpci_incoming(&ch);
	assert_int_equal(rec.msis, 1);
	assert_int_equal(ch.irqs_lost, 2);
	cfgw(cap + 4, 4, 0xfee00000u);
	assert_int_equal(rec.kp_on, 4);
	/* MSI off again: INTx. */
	cfgw(0x04, 2, 0x6);
	cfgw(cap + 2, 2, 0);
	assert_true(chanpci_monitor_reads(&ch));
	chanpci_incoming(&ch);
	assert_int_equal(rec.level, 1);
}

/* A host that refuses the irqfd: the monitor delivers, and is not asked
 * again for the same message. */
static void msi_refused(void **state)
{
	(void)state;
	rec.kp_fail = 1;
	enable_msi(0xfee00000u, 0x50);
	assert_int_equal(rec.kp_tries, 1);
	assert_true(chanpci_monitor_reads(&ch));
	cfgw(cap + 8, 2, 0x50);
	cfgw(0x04, 2, 0x6);
	assert_int_equal(rec.kp_tries, 1);
	chanpci_incoming(&ch);
	assert_int_equal(rec.msis, 1);
	cfgw(cap + 8, 2, 0x52);
	assert_int_equal(rec.kp_tries, 2);
}

/* The outgoing doorbell follows BAR0; without the ioeventfd the write
 * exits and the monitor rings. */
static void doorbell_follows_bar0(void **state)
{
	(void)state;
	assert_int_equal(rec.bell_on, 1);
	assert_int_equal(rec.bell_addr, BAR0);
	cfgw(0x10, 4, 0xd0000000u);
	assert_int_equal(rec.bell_off, 1);
	assert_int_equal(rec.bell_off_addr, BAR0);
	assert_int_equal(rec.bell_on, 2);
	assert_int_equal(rec.bell_addr, 0xd0000000u);
	cfgw(0x04, 2, 0x4); /* decode off */
	assert_int_equal(rec.bell_off, 2);
	uint8_t d[4] = {1, 0, 0, 0};
	assert_false(bus_access(&mmio, 0xd0000000u, d, 4, true));
	rec.bell_fail = 1;
	cfgw(0x04, 2, 0x6);
	assert_int_equal(rec.bell_on, 2);
	assert_true(bus_access(&mmio, 0xd0000000u, d, 4, true));
	assert_int_equal(rec.rings, 1);
	/* Refused for this address: not asked again on the next write. */
	cfgw(0x04, 2, 0x6);
	assert_int_equal(rec.bell_on, 2);
}

/* BAR2: the region's memory slot follows it; what exits is served from
 * the mapping, and past the region reads all-ones. */
static void shared_region_follows_bar2(void **state)
{
	(void)state;
	assert_int_equal(rec.map_on, 1);
	assert_int_equal(rec.map_gpa, BAR2);
	uint8_t d[4] = {1, 2, 3, 4};
	assert_true(bus_access(&mmio, BAR2 + 8, d, 4, true));
	assert_memory_equal(shm + 8, d, 4);
	memset(d, 0, 4);
	assert_true(bus_access(&mmio, BAR2 + 8, d, 4, false));
	assert_int_equal(d[3], 4);
	cfgw(0x04, 2, 0x4);
	assert_int_equal(rec.map_off, 1);
	assert_false(bus_access(&mmio, BAR2 + 8, d, 4, false));
	cfgw(0x18, 4, 0xd1000000u);
	cfgw(0x04, 2, 0x6);
	assert_int_equal(rec.map_on, 2);
	assert_int_equal(rec.map_gpa, 0xd1000000u);
}

/* A region smaller than its BAR: the tail reads all-ones, writes vanish. */
static void bar2_tail(void **state)
{
	(void)state;
	static uint8_t small[12288];
	struct bus b = BUS_INIT("mmio");
	struct pci_bus p;
	struct chanpci c;
	pci_init(&p);
	chanpci_init(&c, 0, small, sizeof(small), NULL, NULL, &b, (struct irq_line){0},
		     (struct chanpci_ops){rec_map, rec_bell, rec_kpath, rec_msi, rec_ring, NULL,
					  NULL});
	assert_int_equal(c.pci.bar[CHANPCI_SHM].size, 16384);
	uint8_t d[4] = {9, 9, 9, 9};
	chanpci_shm_io(&c, 12288, d, 4, true);
	chanpci_shm_io(&c, 12286, d, 4, true); /* straddles the end: dropped */
	chanpci_shm_io(&c, 12288, d, 4, false);
	assert_int_equal(d[0], 0xff);
	assert_int_equal(small[12287], 0);
	chanpci_shm_io(&c, 12284, d, 4, false);
	assert_int_equal(d[0], 0);
	bus_free(&b);
	(void)p;
}

/* --channel: the names for the register page, the BAR rule, and the old
 * fixed vector gone (the guest programs MSI itself now). */
static void channel_option(void **state)
{
	(void)state;
	struct channel_cfg c;
	char err[256];
	assert_int_equal(channel_parse("gpa=0xe0000000,size=64K,mem=10,out=11,in=12,name=pp,"
				       "peer=pong-1.b_c", &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "pp");
	assert_string_equal(c.peer, "pong-1.b_c");
	assert_int_equal(channel_parse("gpa=0xe0000000,size=64K,mem=10,out=11,in=12", &c, err,
				       sizeof(err)), 0);
	assert_string_equal(c.name, "");
	assert_int_equal(channel_parse("gpa=0xe0000000,size=64K,mem=10,out=11,in=12,vector=80", &c,
				       err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown key 'vector'"));
	assert_int_equal(channel_parse("gpa=0xe0000000,size=64K,mem=10,out=11,in=12,name=a b", &c,
				       err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a name"));
	assert_int_equal(channel_parse("gpa=0xe0000000,size=64K,mem=10,out=11,in=12,"
				       "name=0123456789012345678901234567890123", &c, err,
				       sizeof(err)), -1);
	assert_int_equal(channel_parse("gpa=0xe0000000,size=12K,mem=10,out=11,in=12", &c, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "PCI BAR"));
	assert_int_equal(channel_parse("gpa=0xe0008000,size=64K,mem=10,out=11,in=12", &c, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "PCI BAR"));
	assert_int_equal(channel_check_one(0xe0000000ull, 0x10000), 0);
	assert_int_equal(channel_check_one(0xe0008000ull, 0x10000), CHANNEL_BAD_BAR);
	assert_int_equal(channel_check_one(0xe0000000ull, 0x3000), CHANNEL_BAD_BAR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(identity_and_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(register_page, setup, teardown),
		cmocka_unit_test_setup_teardown(intx_status_and_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(msi_kernel_path, setup, teardown),
		cmocka_unit_test_setup_teardown(msi_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(doorbell_follows_bar0, setup, teardown),
		cmocka_unit_test_setup_teardown(shared_region_follows_bar2, setup, teardown),
		cmocka_unit_test(bar2_tail),
		cmocka_unit_test(channel_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
