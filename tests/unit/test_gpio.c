/* The loopback GPIO controller: registers, INTx levels, the MSI
 * capability programmed through configuration space, and the kernel
 * path kept in step with BAR0 and the MSI settings. KVM is replaced by
 * recorders. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "gpio.h"
#include "testlib.h"

static struct {
	int level, level_changes;
	int msis;
	uint64_t msi_addr;
	uint32_t msi_data;
	int kp_on, kp_off, kp_fail, kp_tries;
	atomic_int torn;
	uint64_t kp_bell;
} rec;

static void rec_irq(void *ctx, unsigned gsi, int level)
{
	(void)ctx;
	assert_int_equal(gsi, 17);
	rec.level = level;
	rec.level_changes++;
}

static int rec_msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	/* The race test programs only these two values. */
	if (data != 0x40 && data != 0x1111 && data != 0x2222)
		atomic_fetch_add(&rec.torn, 1);
	rec.msis++;
	rec.msi_addr = addr;
	rec.msi_data = data;
	return 0;
}

static int rec_kpath(void *ctx, bool on, uint64_t bell, uint64_t addr, uint32_t data)
{
	(void)ctx;
	(void)addr;
	(void)data;
	if (!on) {
		rec.kp_off++;
		return 0;
	}
	rec.kp_tries++;
	if (rec.kp_fail)
		return -1;
	rec.kp_on++;
	rec.kp_bell = bell;
	return 0;
}

static struct bus mmio = BUS_INIT("mmio");
static struct pci_bus pci;
static struct gpio g;
static int slot;

static int setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof(rec));
	mmio = (struct bus)BUS_INIT("mmio");
	pci_init(&pci);
	gpio_init(&g, &mmio, (struct irq_line){rec_irq, NULL, 17},
		  (struct gpio_ops){rec_msi, rec_kpath, NULL});
	slot = pci_add(&pci, &g.pci);
	assert_true(slot > 0);
	gpio_add_caps(&g);
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x10, 4, 0xc0001000u);
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x04, 2, 0x6); /* memory, bus master */
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
	assert_true(bus_access(&mmio, 0xc0001000u + off, d, 4, false));
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wr(uint64_t off, uint32_t v)
{
	uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	assert_true(bus_access(&mmio, 0xc0001000u + off, d, 4, true));
}

static void enable_msi(uint32_t addr, uint16_t data)
{
	pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 4, 4, addr);
	pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 8, 2, data);
	pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 2, 2, 1);
}

static void registers_and_loopback(void **state)
{
	(void)state;
	assert_int_equal(rd(GPIO_ID_REG), GPIO_ID);
	wr(GPIO_OUT, 0xa5);
	assert_int_equal(rd(GPIO_IN), 0xa5);
	assert_int_equal(rd(GPIO_OUT), 0xa5);
	/* Only 32-bit accesses are registers. */
	uint8_t b = 0;
	assert_true(bus_access(&mmio, 0xc0001000u, &b, 1, false));
	assert_int_equal(b, 0xff);
	/* The capability list is there for the guest to walk. */
	assert_int_equal(pci_cfg_read(&pci, (unsigned)slot, 0, 0x06, 2) & 0x10, 0x10);
	assert_int_equal(pci_cfg_read(&pci, (unsigned)slot, 0, 0x34, 1), GPIO_MSI_CAP);
	assert_int_equal(pci_cfg_read(&pci, (unsigned)slot, 0, GPIO_MSI_CAP, 1), 0x05);
	assert_int_equal(pci_cfg_read(&pci, (unsigned)slot, 0, 0x3c, 1), 17);
}

static void intx_level_follows_status(void **state)
{
	(void)state;
	wr(GPIO_OUT, 1); /* not enabled: no interrupt */
	assert_int_equal(rd(GPIO_IRQ_STAT), 0);
	assert_int_equal(rec.level, 0);
	wr(GPIO_OUT, 0);
	wr(GPIO_IRQ_EN, 1);
	wr(GPIO_OUT, 1);
	assert_int_equal(rd(GPIO_IRQ_STAT), 1);
	assert_int_equal(rec.level, 1);
	wr(GPIO_OUT, 3); /* pin 0 stays high: no new edge on it */
	assert_int_equal(rd(GPIO_IRQ_STAT), 1);
	wr(GPIO_IRQ_STAT, 1); /* write 1 to clear */
	assert_int_equal(rd(GPIO_IRQ_STAT), 0);
	assert_int_equal(rec.level, 0);
	assert_int_equal(rec.msis, 0);
}

static void msi_replaces_intx(void **state)
{
	(void)state;
	enable_msi(0xfee00000u, 0x40);
	wr(GPIO_IRQ_EN, 1);
	wr(GPIO_OUT, 1);
	assert_int_equal(rec.msis, 1);
	assert_int_equal(rec.msi_addr, 0xfee00000u);
	assert_int_equal(rec.msi_data, 0x40);
	assert_int_equal(rec.level, 0);
	wr(GPIO_OUT, 0);
	wr(GPIO_OUT, 1);
	assert_int_equal(rec.msis, 2);
	/* The kernel path is installed on the doorbell of the decoded BAR. */
	assert_int_equal(rec.kp_on, 1);
	assert_int_equal(rec.kp_bell, 0xc0001000u + GPIO_DOORBELL);
}

static void kernel_path_follows_bar_and_msi(void **state)
{
	(void)state;
	enable_msi(0xfee00000u, 0x40);
	assert_int_equal(rec.kp_on, 1);
	/* Moving the BAR moves the doorbell. */
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x10, 4, 0xc0008000u);
	assert_int_equal(rec.kp_off, 1);
	assert_int_equal(rec.kp_on, 2);
	assert_int_equal(rec.kp_bell, 0xc0008000u + GPIO_DOORBELL);
	uint8_t d[4];
	assert_false(bus_access(&mmio, 0xc0001000u, d, 4, false));
	assert_true(bus_access(&mmio, 0xc0008014u, d, 4, false));
	/* New MSI data re-installs it; disabling MSI removes it. */
	pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 8, 2, 0x41);
	assert_int_equal(rec.kp_on, 3);
	pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 2, 2, 0);
	assert_int_equal(rec.kp_off, 3);
	/* Memory decode off: no BAR, no doorbell. */
	enable_msi(0xfee00000u, 0x40);
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x04, 2, 0x4);
	assert_false(bus_access(&mmio, 0xc0008014u, d, 4, false));
	assert_int_equal(rec.kp_off, 4);
}

static void doorbell_served_by_monitor_without_kernel_path(void **state)
{
	(void)state;
	rec.kp_fail = 1;
	enable_msi(0xfee00000u, 0x40);
	assert_int_equal(rec.kp_on, 0);
	wr(GPIO_DOORBELL, 1); /* ungated by IRQ_EN */
	assert_int_equal(rec.msis, 1);
	assert_int_equal(rd(GPIO_IRQ_STAT), 0);
}

/* With MSI off the doorbell is an INTx interrupt the guest acknowledges
 * in DB_STAT (it used to latch nothing at all). */
static void doorbell_without_msi_raises_intx(void **state)
{
	(void)state;
	wr(GPIO_DOORBELL, 0); /* ungated by IRQ_EN */
	assert_int_equal(rd(GPIO_DB_STAT), 1);
	assert_int_equal(rd(GPIO_IRQ_STAT), 0);
	assert_int_equal(rec.level, 1);
	wr(GPIO_DB_STAT, 1);
	assert_int_equal(rd(GPIO_DB_STAT), 0);
	assert_int_equal(rec.level, 0);
	assert_int_equal(rec.msis, 0);
}

/* COMMAND bit 10 keeps INTx deasserted while set; the status stays. */
static void intx_disable_is_honoured(void **state)
{
	(void)state;
	wr(GPIO_IRQ_EN, 1);
	wr(GPIO_OUT, 1);
	assert_int_equal(rec.level, 1);
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x04, 2, 0x406);
	assert_int_equal(rec.level, 0);
	wr(GPIO_DOORBELL, 0);
	assert_int_equal(rec.level, 0);
	assert_int_equal(rd(GPIO_IRQ_STAT), 1);
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x04, 2, 0x006);
	assert_int_equal(rec.level, 1);
}

/* No bus mastering, no MSI (PCI 3.0 sec. 6.8.1), by either path: the
 * monitor sends none and the kernel path is not installed. */
static void no_msi_without_bus_master(void **state)
{
	(void)state;
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x04, 2, 0x2);
	enable_msi(0xfee00000u, 0x40);
	assert_int_equal(rec.kp_on, 0);
	wr(GPIO_IRQ_EN, 1);
	wr(GPIO_OUT, 1);
	wr(GPIO_DOORBELL, 0);
	assert_int_equal(rec.msis, 0);
	assert_int_equal(rec.level, 0); /* MSI on: no INTx either */
	assert_int_equal(g.msi_blocked, 2);
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x04, 2, 0x6);
	assert_int_equal(rec.kp_on, 1);
	wr(GPIO_DOORBELL, 0);
	assert_int_equal(rec.msis, 1);
	/* Turning it off again removes the kernel path. */
	pci_cfg_write(&pci, (unsigned)slot, 0, 0x04, 2, 0x2);
	assert_int_equal(rec.kp_off, 1);
}

/* A kernel path that failed is not tried again for the same doorbell and
 * MSI, however often the guest rewrites them (each try printed before). */
static void failed_kernel_path_tried_once(void **state)
{
	(void)state;
	rec.kp_fail = 1;
	enable_msi(0xfee00000u, 0x40);
	for (int i = 0; i < 100; i++)
		pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 8, 2, 0x40);
	assert_int_equal(rec.kp_tries, 1);
	/* A new MSI is worth one new try. */
	pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 8, 2, 0x41);
	assert_int_equal(rec.kp_tries, 2);
}

/* The MSI data is written byte by byte under the PCI lock while another
 * vCPU raises interrupts under the device lock: each MSI sent carries
 * one of the values programmed, never half of each. */
static atomic_int race_stop;

static void *reprogram(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&race_stop); i++)
		pci_cfg_write(&pci, (unsigned)slot, 0, GPIO_MSI_CAP + 8, 2, i & 1 ? 0x1111 : 0x2222);
	return NULL;
}

static void msi_never_torn(void **state)
{
	(void)state;
	rec.kp_fail = 1; /* the monitor sends every MSI */
	enable_msi(0xfee00000u, 0x1111);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reprogram, NULL), 0);
	for (int i = 0; i < 50000; i++)
		wr(GPIO_DOORBELL, 0);
	atomic_store(&race_stop, 1);
	pthread_join(t, NULL);
	assert_int_equal(rec.msis, 50000);
	assert_int_equal(atomic_load(&rec.torn), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(registers_and_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(intx_level_follows_status, setup, teardown),
		cmocka_unit_test_setup_teardown(msi_replaces_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_path_follows_bar_and_msi, setup, teardown),
		cmocka_unit_test_setup_teardown(doorbell_served_by_monitor_without_kernel_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(doorbell_without_msi_raises_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(intx_disable_is_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(no_msi_without_bus_master, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_kernel_path_tried_once, setup, teardown),
		cmocka_unit_test_setup_teardown(msi_never_torn, setup, teardown),
	};
	return cmocka_run_group_tests_name("gpio", tests, NULL, NULL);
}
