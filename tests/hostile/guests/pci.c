/*
 * Hostile guest: PCI configuration space (PCI Local Bus Specification 3.0,
 * sections 3.2.2.3.2 and 6.1-6.2).
 *
 * 1. Every offset at every width (1, 2, 4; unaligned ones included) of
 *    every present function is read, and written with patterns; read-only
 *    identity bytes must not change. Absent devices and functions, bus 1-255
 *    and a cleared enable bit must read all-ones. (The short run writes one
 *    pattern; full=1 writes five.)
 * 2. CONFIG_ADDRESS by byte and word, CONFIG_DATA straddling 0xcff, 0xcf9
 *    (a PC's reset control register).
 * 3. Every memory BAR is sized with decode on (not as Linux does), moved
 *    onto RAM, onto the LAPIC and IOAPIC, onto every other BAR, to 0 and to
 *    the top of 4 GiB, with sizing and COMMAND toggles interleaved; each
 *    move is followed by accesses there. The LAPIC and RAM must still
 *    answer as themselves, and the GPIO (01.0) must work again at its
 *    original address afterwards.
 */
#include "hlib.h"

#define GPIO_ID 0x4f495047u

struct bar {
	unsigned dev, idx;
	uint32_t addr, size;
};
static struct bar bars[32 * 6];
static unsigned nbars;

static bool present(unsigned dev)
{
	return (pci_read(0, dev, 0, 0, 4) & 0xffff) != 0xffff;
}

static void sweep_function(unsigned dev)
{
	static const uint32_t pat_full[] = {0xffffffffu, 0, 0x55aa55aau, 0xa55aa55au, 0x12345678u};
	unsigned npat = hl_full ? 5 : 1;
	uint32_t id = pci_read(0, dev, 0, 0, 4);
	uint32_t class = pci_read(0, dev, 0, 8, 4);
	uint32_t bar_save[6];
	for (unsigned i = 0; i < 6; i++)
		bar_save[i] = pci_read(0, dev, 0, 0x10 + 4 * i, 4);
	uint32_t cmd_save = pci_read(0, dev, 0, 4, 2);
	for (unsigned w = 1; w <= 4; w *= 2)
		for (unsigned off = 0; off < 256; off++) {
			uint32_t v = pci_read(0, dev, 0, off, w);
			/* A width that runs past 0xcff cannot be claimed. */
			if ((off & 3) + w > 4 && v != (w == 2 ? 0xffffu : 0xffffffffu))
				hl_fail("straddling CONFIG_DATA read", (uint64_t)off << 8 | w);
			for (unsigned p = 0; p < npat; p++) {
				if (off >= 0x40 && off < 0x4c)
					continue; /* MSI: a wrong address is another attack */
				pci_write(0, dev, 0, off, w, p == 0 ? hl_rand() : pat_full[p]);
			}
		}
	HL_CHECK(pci_read(0, dev, 0, 0, 4) == id, "vendor/device changed", id);
	HL_CHECK(pci_read(0, dev, 0, 8, 4) == class, "class/revision changed", class);
	HL_CHECK(pci_read(0, dev, 0, 0x0e, 1) == 0, "header type changed", dev);
	/* Put the decode back as firmware left it. */
	pci_write(0, dev, 0, 4, 2, 0);
	for (unsigned i = 0; i < 6; i++)
		pci_write(0, dev, 0, 0x10 + 4 * i, 4, bar_save[i]);
	pci_write(0, dev, 0, 4, 2, cmd_save);
}

static void absent_read_ones(void)
{
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			if (fn == 0 && present(dev))
				continue;
			unsigned off = (unsigned)(hl_rand() & 0xfc);
			HL_CHECK(pci_read(0, dev, fn, 0, 4) == 0xffffffffu, "absent fn reads", dev << 3 | fn);
			HL_CHECK(pci_read(0, dev, fn, off, 2) == 0xffff, "absent fn word", dev << 3 | fn);
			pci_write(0, dev, fn, off, 4, 0);
		}
	unsigned nbus = hl_full ? 256 : 16;
	for (unsigned b = 1; b < nbus; b++) {
		HL_CHECK(pci_read(b, 0, 0, 0, 4) == 0xffffffffu, "bus reads", b);
		pci_write(b, 0, 0, 4, 2, 0xffff);
	}
	/* Enable bit clear: not a configuration cycle. */
	outl(0xcf8, 0x00000000u);
	HL_CHECK(inl(0xcfc) == 0xffffffffu, "disabled CONFIG_ADDRESS reads", 0);
	outl(0xcf8, 0x7f000000u); /* reserved bits only */
	HL_CHECK(inl(0xcfc) == 0xffffffffu, "reserved-bit CONFIG_ADDRESS reads", 0);
	/* CONFIG_ADDRESS is a dword register only. */
	outb(0xcf8, 0x80);
	outw(0xcf8, 0x8000);
	HL_CHECK(inb(0xcf8) == 0xff, "byte CONFIG_ADDRESS read", 0);
	HL_CHECK(inw(0xcfa) == 0xffff, "word CONFIG_ADDRESS read", 0);
	outb(0xcf9, 0x06); /* a PC's reset control: must not reset here */
	outl(0xcf8, 0x80000000u);
	HL_CHECK(inl(0xcfe) == 0xffffffffu, "CONFIG_DATA dword past 0xcff", 0);
	outl(0xcfd, 0xffffffffu);
	HL_CHECK((inl(0xcfc) & 0xffff) == 0x1b36, "host bridge after straddle write", inl(0xcfc));
}

static void find_bars(void)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (!present(dev))
			continue;
		for (unsigned i = 0; i < 6; i++) {
			unsigned reg = 0x10 + 4 * i;
			uint32_t a = pci_read(0, dev, 0, reg, 4);
			if (a & 1)
				continue; /* I/O BAR */
			/* Sizing with decode still on: the BAR flies to the top
			 * of 4 GiB for a moment, as a careless guest makes it. */
			pci_write(0, dev, 0, reg, 4, 0xffffffffu);
			uint32_t m = pci_read(0, dev, 0, reg, 4);
			pci_write(0, dev, 0, reg, 4, a);
			if ((m & 0xfffffff0u) == 0)
				continue;
			bars[nbars++] = (struct bar){dev, i, a & 0xfffffff0u, ~(m & 0xfffffff0u) + 1};
			if (((m >> 1) & 3) == 2)
				i++; /* 64-bit BAR: the next register is its high half */
		}
	}
}

static void move(const struct bar *b, uint32_t addr)
{
	pci_write(0, b->dev, 0, 0x10 + 4 * b->idx, 4, addr);
}

static void poke(uint32_t addr)
{
	(void)rd32(addr);
	(void)rd32(addr + 0x14);
	wr32(addr + 0x0c, 0); /* a write-1-to-clear register on the GPIO: harmless */
}

static void bar_attacks(void)
{
	uint32_t lapic_ver = rd32(LAPIC_BASE + 0x30);
	wr32(0x300000, 0xc0ffee00u);
	for (unsigned k = 0; k < nbars; k++) {
		const struct bar *b = &bars[k];
		const unsigned cmd = 4; /* COMMAND */
		uint32_t targets[] = {0x300000, LAPIC_BASE, IOAPIC_BASE, 0, 0xfffff000u & ~(b->size - 1),
				      0xc0000000u, 0xd0000000u};
		for (unsigned t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
			move(b, targets[t]);
			if (targets[t] == 0x300000) {
				/* RAM wins over a BAR placed on it. */
				HL_CHECK(rd32(0x300000) == 0xc0ffee00u, "RAM under a BAR", rd32(0x300000));
			} else if (targets[t] == LAPIC_BASE) {
				HL_CHECK(rd32(LAPIC_BASE + 0x30) == lapic_ver, "LAPIC under a BAR",
					 rd32(LAPIC_BASE + 0x30));
			} else if (targets[t] == IOAPIC_BASE) {
				wr32(IOAPIC_BASE, 1); /* IOREGSEL = version */
				(void)rd32(IOAPIC_BASE + 0x10);
			} else if (targets[t] != 0) {
				poke(targets[t]);
			}
			/* Interleaved: size while decoded, flip decode, size again. */
			pci_write(0, b->dev, 0, 0x10 + 4 * b->idx, 4, 0xffffffffu);
			pci_write(0, b->dev, 0, cmd, 2, 0);
			(void)pci_read(0, b->dev, 0, 0x10 + 4 * b->idx, 4);
			pci_write(0, b->dev, 0, cmd, 2, 2);
			move(b, targets[t]);
			pci_write(0, b->dev, 0, cmd, 2, 0);
			pci_write(0, b->dev, 0, cmd, 2, 2);
		}
		/* Onto every other BAR, and every other onto this one. */
		for (unsigned j = 0; j < nbars; j++) {
			move(b, bars[j].addr);
			move(&bars[j], b->addr);
			poke(b->addr);
		}
		for (unsigned j = 0; j < nbars; j++)
			move(&bars[j], bars[j].addr);
		/* A few random places in the hole and below. */
		unsigned nrand = hl_full ? 200 : 20;
		for (unsigned r = 0; r < nrand; r++) {
			uint32_t a = (uint32_t)hl_rand() & ~(b->size - 1);
			move(b, a);
			if (a >= 0xc0000000u && (a < IOAPIC_BASE || a >= 0xff000000u))
				poke(a);
		}
		move(b, b->addr);
	}
	for (unsigned k = 0; k < nbars; k++)
		pci_write(0, bars[k].dev, 0, 4, 2, 2);
	HL_CHECK(rd32(LAPIC_BASE + 0x30) == lapic_ver, "LAPIC after the BAR storm", lapic_ver);
}

int hostile_main(void)
{
	absent_read_ones();
	for (unsigned dev = 0; dev < 32; dev++)
		if (present(dev))
			sweep_function(dev);
	find_bars();
	HL_CHECK(nbars >= 1, "no memory BAR found", nbars);
	bar_attacks();
	/* The GPIO (01.0) answers at its BAR again. */
	for (unsigned k = 0; k < nbars; k++) {
		uint32_t id = pci_read(0, bars[k].dev, 0, 0, 4);
		if (id == 0x67701234u)
			HL_CHECK(rd32(bars[k].addr + 0x14) == GPIO_ID, "GPIO after the attack",
				 rd32(bars[k].addr + 0x14));
	}
	hl_puts("pci: ");
	hl_putd(nbars);
	hl_puts(" memory BARs attacked\n");
	return HL_PASS;
}
