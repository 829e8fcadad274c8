/*
 * Hostile guest: the i8042 keyboard controller (src/vmm/arch/x86/i8042.c; IBM
 * PC/AT Technical Reference, "Keyboard Controller").
 *
 * Every command byte except the ones that reset the machine (0xf0-0xff
 * with bit 0 clear), each followed by every data byte (full=1) or 8 random
 * ones, with status and data reads in between; controller RAM written and
 * read back through 0x60-0x7f / 0x20-0x3f; the output port written with the
 * reset bit set; words and dwords on both ports and 0x61-0x63. Then the
 * state machine must still answer the self test (0xaa -> 0x55), and the
 * guest ends with the documented reset (command 0xfe): vmm exits 0.
 */
#include "hlib.h"

static void cmd(uint8_t c)
{
	outb(0x64, c);
}

static uint8_t data_in(void)
{
	return inb(0x60);
}

int hostile_main(void)
{
	unsigned nval = hl_full ? 256 : 8;
	for (unsigned c = 0; c < 256; c++) {
		if ((c & 0xf0) == 0xf0 && !(c & 1))
			continue; /* pulses the reset line */
		for (unsigned k = 0; k < nval; k++) {
			uint8_t v = hl_full ? (uint8_t)k : (uint8_t)hl_rand();
			if (c == 0xd1)
				v |= 1; /* output port with reset deasserted */
			cmd((uint8_t)c);
			(void)inb(0x64);
			outb(0x60, v);
			(void)inb(0x64);
			(void)data_in();
		}
	}
	for (unsigned i = 1; i < 32; i++) {
		cmd((uint8_t)(0x60 + i));
		outb(0x60, (uint8_t)(i * 7));
	}
	for (unsigned i = 1; i < 32; i++) {
		cmd((uint8_t)(0x20 + i));
		HL_CHECK((inb(0x64) & 1) && data_in() == (uint8_t)(i * 7), "controller RAM", i);
	}
	outw(0x60, 0xffff);
	outl(0x60, 0xffffffffu);
	(void)inl(0x60);
	(void)inw(0x64);
	for (uint16_t p = 0x61; p < 0x64; p++) {
		outb(p, 0xff);
		(void)inb(p);
	}
	(void)data_in();
	cmd(0xaa);
	HL_CHECK((inb(0x64) & 1) && data_in() == 0x55, "self test after the sweep", 0);
	HL_CHECK(!(inb(0x64) & 2), "input buffer stuck full", inb(0x64));
	hl_puts("i8042: state machine held\n");
	cmd(0xfe);
	hl_fail("0xfe did not reset", 0);
}
