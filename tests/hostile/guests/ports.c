/*
 * Hostile guest: every one of the 65536 ports read once, at each width
 * (byte, word, dword; the short run reads every port by byte and every
 * 16th by word and dword). Ports whose read has an effect the test must
 * not trigger are skipped: none is (reads of 0xf4, 0x60 and 0x3f8 are
 * harmless). Unclaimed ports must read all-ones; the monitor's logging of
 * them must stay bounded as a whole (issue item 11: one "logged once"
 * line per port is 65536 lines).
 */
#include "hlib.h"

/* The monitor's devices, and what the in-kernel irqchip and PIT answer
 * (PIC 0x20/0x21, 0xa0/0xa1 and ELCR 0x4d0/0x4d1; PIT 0x40-0x43 and the
 * speaker port 0x61). */
static bool claimed(unsigned p)
{
	return (p >= 0x3f8 && p < 0x400) || (p >= 0x60 && p < 0x65) || p == 0x70 ||
	       p == 0x71 || p == 0x80 || p == 0xf4 || (p >= 0xcf8 && p < 0xd00) ||
	       (p >= 0x600 && p < 0x603) || p == 0x20 || p == 0x21 || p == 0xa0 || p == 0xa1 ||
	       (p >= 0x40 && p < 0x44) || p == 0x4d0 || p == 0x4d1;
}

int hostile_main(void)
{
	unsigned bad = 0;
	for (unsigned p = 0; p < 0x10000; p++) {
		uint8_t v = inb((uint16_t)p);
		if (!claimed(p) && v != 0xff) {
			hl_puts("port ");
			hl_putx(p);
			hl_puts(" reads ");
			hl_putx(v);
			hl_puts("\n");
			bad++;
		}
		if (hl_full || p % 16 == 0) {
			(void)inw((uint16_t)p);
			(void)inl((uint16_t)p);
		}
	}
	HL_CHECK(bad == 0, "ports that read other than all-ones", bad);
	hl_puts("ports: all 65536 read\n");
	return HL_PASS;
}
