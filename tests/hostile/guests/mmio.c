/*
 * Hostile guest: MMIO over the whole PCI hole (3-4 GiB) and far above RAM.
 *
 * The hole is walked with a stride of 1 MiB (full=1: 64 KiB), reading and
 * writing at widths 1, 2, 4 and 8, plus the last bytes below 4 GiB (the
 * reset vector) and accesses straddling each stride boundary. Everything
 * nobody claims must read all-ones; the GPIO's BAR must still read its ID.
 * The LAPIC and IOAPIC pages are only read (writes there would program
 * the guest's own interrupt controllers, another attack). The firmware
 * ROM (the top 64 KiB, with the reset stub at 0xfffffff0) is written at
 * every width and must read back unchanged. Above RAM, pages
 * from the end of RAM to the guest's MAXPHYADDR are mapped (2 MiB windows)
 * and accessed; past MAXPHYADDR the access must fault (reserved bit), not
 * reach the monitor.
 */
#include "hlib.h"

static volatile unsigned faults;
static uint64_t resume;

static uint64_t exc(unsigned v, uint64_t err, uint64_t rip)
{
	(void)err;
	(void)rip;
	if (v != 14 || !resume)
		return 0;
	faults++;
	uint64_t r = resume;
	resume = 0;
	return r;
}

static uint32_t gpio_bar;

#define ROM_BASE 0xffff0000ull

static bool claimed(uint64_t a)
{
	return (a >= ROM_BASE && a < 0x100000000ull) || (a >= gpio_bar && a < gpio_bar + 0x1000) || (a >> 12) == (LAPIC_BASE >> 12) ||
	       (a >> 12) == (IOAPIC_BASE >> 12);
}

static void probe(uint64_t a, bool write)
{
	if (claimed(a) || claimed(a + 7))
		return;
	HL_CHECK(rd8(a) == 0xff, "unclaimed MMIO byte", a);
	HL_CHECK(rd16(a) == 0xffff, "unclaimed MMIO word", a);
	HL_CHECK(rd32(a) == 0xffffffffu, "unclaimed MMIO dword", a);
	HL_CHECK(rd64(a) == ~0ull, "unclaimed MMIO qword", a);
	if (write) {
		wr8(a, 0);
		wr16(a + 2, 0);
		wr32(a + 4, 0);
		wr64(a, 0);
		HL_CHECK(rd32(a) == 0xffffffffu, "unclaimed MMIO after a write", a);
	}
}

static void rom_write(uint64_t a)
{
	uint64_t v = rd64(a);
	wr8(a, 0);
	wr16(a + 2, 0);
	wr32(a + 4, 0);
	wr64(a, 0);
	HL_CHECK(rd64(a) == v, "the firmware ROM took a write", a);
}

/* A load that may fault: returns true when it faulted. */
static bool try_read(uint64_t a)
{
	unsigned f0 = faults;
	uint64_t v;
	__asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, %[res]\n\tmov (%[a]), %[v]\n1:"
			 : [v] "=r"(v), [res] "=m"(resume)
			 : [a] "r"(a)
			 : "rax", "memory");
	resume = 0;
	return faults != f0;
}

int hostile_main(void)
{
	hl_exc_hook = exc;
	for (unsigned d = 0; d < 32; d++)
		if (pci_read(0, d, 0, 0, 4) == 0x67701234u)
			gpio_bar = pci_read(0, d, 0, 0x10, 4) & 0xfffffff0u;
	uint64_t stride = hl_full ? 0x10000 : 0x100000;
	for (uint64_t a = 0xc0000000ull; a < 0x100000000ull; a += stride) {
		probe(a, true);
		if (a + stride < 0x100000000ull)
			probe(a + stride - 4, true); /* straddles into the next stride */
	}
	/* The ROM: writes are dropped at every width. */
	for (uint64_t a = ROM_BASE; a < 0x100000000ull; a += hl_full ? 0x100 : 0x1000)
		rom_write(a);
	rom_write(0xfffffff0ull); /* the reset stub */
	rom_write(0xfffffff8ull);
	(void)rd32(LAPIC_BASE + 0x30);
	(void)rd64(LAPIC_BASE + 0x20);
	(void)rd8(IOAPIC_BASE + 0x10);
	if (gpio_bar)
		HL_CHECK(rd32(gpio_bar + 0x14) == 0x4f495047u, "GPIO ID amid the sweep", gpio_bar);

	/* Above RAM. */
	uint64_t mem = hl_info->mem_size;
	uint64_t top = mem > 0xc0000000ull ? 0x100000000ull + (mem - 0xc0000000ull) : 0x100000000ull;
	unsigned maxphy = hl_maxphyaddr();
	uint64_t limit = 1ull << maxphy;
	uint64_t places[] = {top, top + 0x200000, 0x100000000ull * 16, 1ull << 39, limit / 2,
			     limit - 0x200000};
	for (unsigned i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		uint64_t a = places[i] & ~0x1fffffull;
		if (a < top || a >= limit)
			continue;
		uint64_t va = hl_window(a);
		probe(va, true);
		probe(va + 0x1ffff8, true);
	}
	/* Past MAXPHYADDR the page-table entry itself is invalid. */
	if (maxphy < 52)
		HL_CHECK(try_read(hl_window(limit)), "no fault past MAXPHYADDR", limit);
	hl_puts("mmio: hole and high addresses held, MAXPHYADDR ");
	hl_putd(maxphy);
	hl_puts("\n");
	return HL_PASS;
}
