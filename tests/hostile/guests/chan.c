/*
 * Hostile guest: a channel (src/vmm/dev/chanpci.h), a PCI function whose
 * BAR2 firmware put at gpa=0xc2000000 (8 KiB) and BAR0, the register page,
 * just above it: its outgoing doorbell (a 4-byte write at offset 0, taken
 * by an ioeventfd) and the incoming doorbell (MSI vector 0x50, which the
 * guest programs; rung by the test's runner in a loop while it runs).
 *
 * The region is written through (the runner checks the shared memory
 * afterwards: "CHANNEL!" at offset 0 and the last bytes). The doorbell is
 * rung thousands of times at width 4, then hit at widths 1, 2 and 8,
 * unaligned, read, and straddled from the region's last bytes; the whole
 * register page is swept. The GPIO's BAR is moved onto the region and onto
 * the register page and back; the channel's own BARs onto RAM and back;
 * MSI and INTx are switched under a ringing peer. INTx is then used the
 * way uio_pci_generic uses it (STATUS bit 3, COMMAND bit 10, PENDING):
 * three interrupts must arrive. Incoming MSIs are counted with interrupts
 * on; at least one must arrive.
 */
#include "hlib.h"

#define G 0xc2000000ull
#define SIZE 0x2000ull
#define BELL (G + SIZE)

static volatile unsigned n_in, n_intx, n_intx_bad, n_intx_again;
static unsigned chan_devno;

/* What uio_pci_generic's handler does (pci_check_and_mask_intx): the line
 * is ours if STATUS bit 3 is set; then COMMAND's Interrupt Disable. Only
 * those count. On the software KVM of our build machines each delivery on
 * the level-triggered pin is followed by a second one after its EOI with
 * the line already low (also with the device asserting only on changes):
 * counted apart, like the interrupts a shared line brings that are not
 * the handler's. A delivery that finds STATUS bit 3 set and the line
 * already masked (the same re-delivery, before the test acknowledged
 * PENDING) is the handler's but masks nothing: counted apart too, so
 * n_intx is the number of times the handler masked the line, which only
 * the test's unmasking lets grow. */
static void irq(unsigned v)
{
	if (v == 0x50)
		n_in++;
	if (v == 0x51) {
		uint32_t cs = pci_read(0, chan_devno, 0, 0x04, 4);
		if (!(cs & (0x08u << 16))) {
			n_intx_bad++; /* IRQ_NONE: left as it is */
			return;
		}
		if (cs & 0x400) {
			n_intx_again++;
			return;
		}
		pci_write(0, chan_devno, 0, 0x04, 2, (cs & 0xffff) | 0x400);
		n_intx++;
	}
}

static void ioapic_route(unsigned gsi, uint32_t low)
{
	wr32(IOAPIC_BASE, 0x10 + 2 * gsi + 1);
	wr32(IOAPIC_BASE + 0x10, 0); /* destination APIC ID 0 */
	wr32(IOAPIC_BASE, 0x10 + 2 * gsi);
	wr32(IOAPIC_BASE + 0x10, low);
}

/* The channel function on bus 0 (1234:6368), or -1. */
static int chan_dev(void)
{
	for (unsigned d = 0; d < 32; d++)
		if (pci_read(0, d, 0, 0, 4) == 0x63681234u)
			return (int)d;
	return -1;
}

int hostile_main(void)
{
	hl_irq_hook = irq;
	hl_lapic_enable();
	int cd = chan_dev();
	HL_CHECK(cd >= 0, "no channel function on bus 0", 0);
	unsigned dev = (unsigned)cd, cap = pci_read(0, dev, 0, 0x34, 1);
	chan_devno = dev;
	HL_CHECK(pci_read(0, dev, 0, 0x18, 4) == G, "BAR2 where firmware put it",
		 pci_read(0, dev, 0, 0x18, 4));
	HL_CHECK(pci_read(0, dev, 0, 0x10, 4) == BELL, "BAR0 right above the region",
		 pci_read(0, dev, 0, 0x10, 4));
	/* The channel's BARs onto RAM, the IOAPIC and each other, then home:
	 * nothing may break (a refused BAR just does not decode). */
	pci_write(0, dev, 0, 0x18, 4, 0x100000);
	pci_write(0, dev, 0, 0x10, 4, 0xfec00000u);
	pci_write(0, dev, 0, 0x10, 4, (uint32_t)G);
	pci_write(0, dev, 0, 0x18, 4, (uint32_t)G);
	pci_write(0, dev, 0, 0x10, 4, (uint32_t)BELL);
	pci_write(0, dev, 0, 0x04, 2, 0);
	pci_write(0, dev, 0, 0x04, 2, 0xffff);
	/* INTx, MSI with garbage, MSI off, back and forth. */
	for (unsigned i = 0; i < 50; i++) {
		pci_write(0, dev, 0, cap + 4, 4, i & 1 ? 0xfee00000u : 0x12345678u);
		pci_write(0, dev, 0, cap + 8, 2, 0x60 + i); /* not an exception vector */
		pci_write(0, dev, 0, cap + 2, 2, i & 2 ? 1 : 0xffff);
		pci_write(0, dev, 0, 0x04, 2, i & 4 ? 0x406 : 0x2);
	}
	pci_write(0, dev, 0, 0x10, 4, (uint32_t)BELL);
	pci_write(0, dev, 0, 0x18, 4, (uint32_t)G);
	/* INTx as uio_pci_generic uses it, with the runner ringing: level-
	 * triggered through the IOAPIC to 0x51; the handler masks with
	 * Interrupt Disable, we acknowledge PENDING and unmask, thrice. */
	unsigned gsi = pci_read(0, dev, 0, 0x3c, 1);
	pci_write(0, dev, 0, cap + 2, 2, 0);
	pci_write(0, dev, 0, 0x04, 2, 0x2);
	ioapic_route(gsi, 0x51 | 1u << 15);
	for (unsigned want = 1; want <= 3; want++) {
		hl_sti();
		for (int i = 0; i < 3000000 && n_intx < want; i++)
			__asm__ volatile("pause");
		hl_cli();
		HL_CHECK(n_intx == want, "one INTx masked per unmasking", n_intx);
		HL_CHECK((pci_read(0, dev, 0, 0x04, 2) & 0x400) != 0, "the handler's mask", 0);
		/* PENDING acknowledged. The runner rings every 20 ms on its
		 * own: a ring between the ack and the read (a vCPU thread
		 * descheduled on a loaded host) sets the bit again, so the
		 * ack is retried; one that does not clear never passes. */
		unsigned st = 0;
		for (int i = 0; i < 100; i++) {
			wr32(BELL + 4, 1);
			st = pci_read(0, dev, 0, 0x06, 2);
			if (!(st & 0x08))
				break;
		}
		HL_CHECK((st & 0x08) == 0, "Interrupt Status after the ack", st);
		pci_write(0, dev, 0, 0x04, 2, 0x2); /* unmasked */
	}
	ioapic_route(gsi, 1u << 16);
	hl_puts("chan: INTx interrupts ");
	hl_putd(n_intx);
	hl_puts(", with Interrupt Status clear (not ours, as a shared line's handler sees them) ");
	hl_putd(n_intx_bad);
	hl_puts(", again while masked ");
	hl_putd(n_intx_again);
	hl_puts("\n");
	pci_write(0, dev, 0, cap + 4, 4, 0xfee00000u);
	pci_write(0, dev, 0, cap + 8, 2, 0x50);
	pci_write(0, dev, 0, cap + 2, 2, 1);
	pci_write(0, dev, 0, 0x04, 2, 0x406); /* memory, bus master, INTx off */
	HL_CHECK(rd32(BELL + 8) == 0x4e414843u, "the channel's ID register", rd32(BELL + 8));
	for (uint64_t a = G; a < G + SIZE; a += 8)
		wr64(a, a);
	for (uint64_t a = G; a < G + SIZE; a += 8)
		HL_CHECK(rd64(a) == a, "channel region readback", a);
	const char *magic = "CHANNEL!";
	for (int i = 0; i < 8; i++)
		wr8(G + (uint64_t)i, (uint8_t)magic[i]);
	unsigned n = hl_full ? 20000 : 2000;
	hl_sti();
	for (unsigned i = 0; i < n; i++)
		wr32(BELL, i);
	for (int i = 0; i < 200000 && !n_in; i++)
		__asm__ volatile("pause");
	hl_cli();
	HL_CHECK(n_in > 0, "no incoming doorbell interrupt", n_in);
	/* Odd widths and places: not the doorbell, ignored. */
	wr8(BELL, 1);
	wr16(BELL, 1);
	wr64(BELL, 1);
	wr32(BELL + 1, 1);
	HL_CHECK(rd32(BELL) == 0, "a read of the doorbell", rd32(BELL));
	wr64(BELL - 4, ~0ull); /* half region, half doorbell */
	for (uint64_t a = BELL + 4; a < BELL + 0x1000; a += 4)
		wr32(a, (uint32_t)a);
	/* The GPIO's BAR onto the region and the doorbell page. */
	for (unsigned d = 0; d < 32; d++) {
		if (pci_read(0, d, 0, 0, 4) != 0x67701234u)
			continue;
		uint32_t bar = pci_read(0, d, 0, 0x10, 4);
		pci_write(0, d, 0, 0x10, 4, (uint32_t)G);
		HL_CHECK(rd64(G + 8) == G + 8, "region under the GPIO's BAR", rd64(G + 8));
		pci_write(0, d, 0, 0x10, 4, (uint32_t)BELL);
		wr32(BELL, 7);
		wr32(BELL + 0x10, 7); /* the GPIO's DOORBELL there */
		(void)rd32(BELL + 0x14);
		pci_write(0, d, 0, 0x10, 4, bar);
		HL_CHECK(rd32(bar + 0x14) == 0x4f495047u, "GPIO back home", rd32(bar + 0x14));
	}
	wr32(BELL, 0xdead);
	wr8(G + SIZE - 1, 0x5a);
	hl_puts("chan: incoming interrupts ");
	hl_putd(n_in);
	hl_puts("\n");
	return HL_PASS;
}
