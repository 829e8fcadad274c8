/*
 * Hostile guest: the GPIO controller (src/vmm/dev/gpio.h) and its
 * interrupts.
 *
 * 1. Every register offset of the 4 KiB BAR is read and written with
 *    random values at width 4, and (every 16th offset in the short run,
 *    every offset with full=1) at widths 1, 2 and 8, unaligned, and
 *    straddling the end of the BAR. ID must still read "GPIO".
 * 2. An MSI storm: MSI to vector 0x40 on, every pin enabled, OUT toggled
 *    and DOORBELL rung thousands of times with interrupts on; the handler
 *    counts, and at least one interrupt must arrive.
 * 3. An INTx storm: MSI off, the GSI in Interrupt Line routed level-
 *    triggered through the IOAPIC to vector 0x41; the handler lets the
 *    line stay asserted for many re-deliveries before it clears IRQ_STAT.
 * 4. MSI enable toggled and the MSI address/data rewritten with random
 *    values (fixed, lowest-priority and NMI delivery; interrupts off, so
 *    whatever lands stays pending) between bursts of OUT and DOORBELL.
 * With doorbell=1 only: with MSI off and INTx routed, a DOORBELL write
 *    must raise an interrupt, as gpio.h promises.
 */
#include "hlib.h"

#define GPIO_OUT 0x00
#define GPIO_IN 0x04
#define GPIO_IRQ_EN 0x08
#define GPIO_IRQ_STAT 0x0c
#define GPIO_DOORBELL 0x10
#define GPIO_ID_REG 0x14
#define GPIO_ID 0x4f495047u
#define MSI_CAP 0x40

static unsigned gdev;
static uint32_t bar;
static volatile unsigned n_msi, n_intx;

static void irq(unsigned v)
{
	if (v == 0x40)
		n_msi++;
	if (v == 0x41 && ++n_intx % 200 == 0)
		wr32(bar + GPIO_IRQ_STAT, 0xffffffffu); /* let the line drop now and then */
}

static uint64_t exc(unsigned v, uint64_t err, uint64_t rip)
{
	(void)err;
	return v == 2 ? rip : 0; /* an NMI the random MSI asked for */
}

static void find(void)
{
	for (unsigned d = 0; d < 32; d++)
		if (pci_read(0, d, 0, 0, 4) == 0x67701234u) {
			gdev = d;
			bar = pci_read(0, d, 0, 0x10, 4) & 0xfffffff0u;
			return;
		}
	hl_fail("no GPIO on bus 0", 0);
}

static void msi(bool on, uint32_t addr, uint32_t data)
{
	pci_write(0, gdev, 0, MSI_CAP + 4, 4, addr);
	pci_write(0, gdev, 0, MSI_CAP + 8, 2, data);
	pci_write(0, gdev, 0, MSI_CAP + 2, 2, on ? 1 : 0);
}

static void ioapic_route(unsigned gsi, uint32_t low)
{
	wr32(IOAPIC_BASE, 0x10 + 2 * gsi + 1);
	wr32(IOAPIC_BASE + 0x10, 0); /* destination APIC ID 0 */
	wr32(IOAPIC_BASE, 0x10 + 2 * gsi);
	wr32(IOAPIC_BASE + 0x10, low);
}

static void registers(void)
{
	for (uint32_t off = 0; off < 0x1000; off += 4) {
		(void)rd32(bar + off);
		if (off != GPIO_IRQ_EN)
			wr32(bar + off, (uint32_t)hl_rand());
	}
	unsigned step = hl_full ? 1 : 16;
	for (uint32_t off = 0; off < 0x1000; off += step) {
		(void)rd8(bar + off);
		wr8(bar + off, (uint8_t)hl_rand());
		if (off + 2 <= 0x1000) {
			(void)rd16(bar + off);
			wr16(bar + off, (uint16_t)hl_rand());
		}
		if (off + 8 <= 0x1000) {
			(void)rd64(bar + off);
			wr64(bar + off, hl_rand());
		}
		if (off % 4 && off + 4 <= 0x1000) {
			(void)rd32(bar + off);
			wr32(bar + off, (uint32_t)hl_rand());
		}
	}
	/* Straddling the end of the BAR: half in, half in the hole. */
	(void)rd32(bar + 0xffe);
	wr32(bar + 0xffe, 0xffffffffu);
	(void)rd64(bar + 0xffc);
	wr64(bar + 0xffc, ~0ull);
	HL_CHECK(rd32(bar + GPIO_ID_REG) == GPIO_ID, "ID after the register sweep",
		 rd32(bar + GPIO_ID_REG));
	/* Narrow and unaligned accesses are ignored and read all-ones. */
	HL_CHECK(rd8(bar + GPIO_ID_REG) == 0xff, "byte read of ID", rd8(bar + GPIO_ID_REG));
	HL_CHECK(rd32(bar + GPIO_ID_REG + 1) == 0xffffffffu, "unaligned read of ID", 0);
	wr32(bar + GPIO_OUT, 0x12345678u);
	HL_CHECK(rd32(bar + GPIO_IN) == 0x12345678u, "the loopback", rd32(bar + GPIO_IN));
}

static void storm(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		wr32(bar + GPIO_OUT, 0);
		wr32(bar + GPIO_OUT, 0xffffffffu);
		wr32(bar + GPIO_DOORBELL, i);
	}
}

int hostile_main(void)
{
	unsigned n = hl_full ? 20000 : 2000;
	find();
	hl_lapic_enable();
	hl_irq_hook = irq;
	hl_exc_hook = exc;
	registers();

	if (hl_arg("doorbell", 0)) {
		unsigned gsi = pci_read(0, gdev, 0, 0x3c, 1);
		msi(false, 0, 0);
		wr32(bar + GPIO_IRQ_EN, 0);
		wr32(bar + GPIO_IRQ_STAT, 0xffffffffu);
		ioapic_route(gsi, 0x41 | 1u << 15);
		hl_sti();
		wr32(bar + GPIO_DOORBELL, 1);
		for (int i = 0; i < 10000 && !n_intx; i++)
			__asm__ volatile("pause");
		hl_cli();
		HL_CHECK(n_intx > 0, "DOORBELL with MSI off raised no interrupt", 0);
		return HL_PASS;
	}

	/* 2. MSI storm. */
	msi(true, LAPIC_BASE, 0x40);
	wr32(bar + GPIO_IRQ_EN, 0xffffffffu);
	hl_sti();
	storm(n);
	for (int i = 0; i < 100000 && !n_msi; i++)
		__asm__ volatile("pause");
	hl_cli();
	HL_CHECK(n_msi > 0, "no MSI arrived in the storm", n_msi);
	hl_puts("gpio: MSI storm, interrupts handled: ");
	hl_putd(n_msi);
	hl_puts("\n");

	/* 3. INTx storm, level-triggered. */
	unsigned gsi = pci_read(0, gdev, 0, 0x3c, 1);
	msi(false, 0, 0);
	ioapic_route(gsi, 0x41 | 1u << 15);
	hl_sti();
	storm(n / 4);
	for (int i = 0; i < 1000; i++)
		__asm__ volatile("pause");
	hl_cli();
	wr32(bar + GPIO_IRQ_STAT, 0xffffffffu);
	ioapic_route(gsi, 1u << 16); /* masked again */
	hl_puts("gpio: INTx storm, interrupts handled: ");
	hl_putd(n_intx);
	hl_puts("\n");

	/* 4. MSI reprogrammed at random under load, interrupts off. */
	for (unsigned i = 0; i < n / 8; i++) {
		static const uint32_t modes[] = {0, 1, 4};
		uint32_t addr = (uint32_t)hl_rand();
		if (i & 1)
			addr = LAPIC_BASE | (addr & 0xffff0u);
		uint32_t data = ((uint32_t)hl_rand() & 0xc0ffu) | modes[i % 3] << 8;
		if ((data & 0xff) < 0x20)
			data |= 0x20; /* vectors below 32 are not interrupts */
		msi(hl_rand() & 1, addr, data);
		storm(4);
	}
	msi(false, 0, 0);
	wr32(bar + GPIO_IRQ_EN, 0);
	wr32(bar + GPIO_IRQ_STAT, 0xffffffffu);
	HL_CHECK(rd32(bar + GPIO_ID_REG) == GPIO_ID, "ID after the storms", rd32(bar + GPIO_ID_REG));
	return HL_PASS;
}
