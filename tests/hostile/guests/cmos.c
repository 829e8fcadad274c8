/*
 * Hostile guest: the MC146818 RTC/CMOS (src/vmm/arch/x86/cmos.c; MC146818A
 * datasheet, registers A-D).
 *
 * Every index (bit 7, the NMI mask, set and clear) is selected and written
 * with every value (full=1) or 16 random values (short run), with register
 * B's SET, DM (binary/BCD) and 24/12-hour bits flipped in between so the
 * clock is frozen and released with garbage in every time field (BCD
 * digits above 9, hour 0xff, month 0, century 0x99). Port 0x70 is read,
 * words and dwords go to both ports. Afterwards: register C reads 0, D
 * reads VRT, A never shows UIP, CMOS RAM bytes keep what was written, and
 * a clock set to a known time reads it back. Last, the year register is
 * written 0xff (165 in BCD) 300 times, each write a century on: the date
 * must stop at 9999-12-31 rather than walk on towards overflow.
 */
#include "hlib.h"

static uint8_t rd(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void wr(uint8_t idx, uint8_t v)
{
	outb(0x70, idx);
	outb(0x71, v);
}

int hostile_main(void)
{
	unsigned nval = hl_full ? 256 : 16;
	for (unsigned idx = 0; idx < 256; idx++) {
		for (unsigned k = 0; k < nval; k++) {
			uint8_t v = hl_full ? (uint8_t)k : (uint8_t)hl_rand();
			wr((uint8_t)idx, v);
			(void)rd((uint8_t)idx);
		}
		if (idx % 7 == 0)
			wr(0x0b, (uint8_t)(hl_rand() | 0x80)); /* freeze */
		if (idx % 7 == 3)
			wr(0x0b, (uint8_t)(hl_rand() & 0x7f)); /* release garbage */
	}
	/* Garbage in every time field, then released, in each mode. */
	for (unsigned mode = 0; mode < 4; mode++) {
		wr(0x0b, (uint8_t)(0x80 | mode << 1));
		static const uint8_t reg[] = {0, 2, 4, 6, 7, 8, 9, 0x32};
		for (unsigned r = 0; r < sizeof(reg); r++)
			wr(reg[r], r & 1 ? 0xff : 0x00);
		wr(0x0b, (uint8_t)(mode << 1));
		for (unsigned r = 0; r < sizeof(reg); r++)
			(void)rd(reg[r]);
	}
	(void)inb(0x70);
	outw(0x70, 0xffff);
	outl(0x70, 0xffffffffu);
	(void)inl(0x70);
	(void)inw(0x71);
	for (int i = 0; i < 100; i++)
		HL_CHECK(!(rd(0x0a) & 0x80), "register A shows UIP", rd(0x0a));
	HL_CHECK(rd(0x0c) == 0, "register C", rd(0x0c));
	HL_CHECK(rd(0x0d) == 0x80, "register D", rd(0x0d));
	HL_CHECK(rd(0x8d) == 0x80, "register D with the NMI mask bit", rd(0x8d));
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr((uint8_t)i, (uint8_t)(i ^ 0xa5));
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			HL_CHECK(rd((uint8_t)i) == (uint8_t)(i ^ 0xa5), "CMOS RAM byte", i);
	/* Set 2031-12-31 23:59:50 in binary 24-hour mode, read it back. */
	wr(0x0b, 0x86);
	wr(0x00, 50);
	wr(0x02, 59);
	wr(0x04, 23);
	wr(0x07, 31);
	wr(0x08, 12);
	wr(0x09, 31);
	wr(0x32, 20);
	wr(0x0b, 0x06);
	HL_CHECK(rd(0x09) == 31 && rd(0x32) == 20, "year after setting the clock", rd(0x09));
	HL_CHECK(rd(0x08) == 12 || rd(0x08) == 1, "month after setting the clock", rd(0x08));
	wr(0x0b, 0x02); /* BCD 24 h, as firmware leaves it */
	for (int i = 0; i < 300; i++)
		wr(0x09, 0xff);
	HL_CHECK(rd(0x32) == 0x99 && rd(0x09) == 0x99, "year ratchet not held at 9999",
		 (uint64_t)rd(0x32) << 8 | rd(0x09));
	hl_puts("cmos: state machine held\n");
	return HL_PASS;
}
