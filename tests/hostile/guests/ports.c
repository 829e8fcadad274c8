/*
 * Hostile guest: every one of the 65536 ports read once, at each width
 * (byte, word, dword; the short run reads every port by byte and every
 * 16th by word and dword). No read has an effect the test must avoid
 * (reads of 0xf4, 0x60 and 0x3f8 are harmless). The monitor must survive
 * it and keep its logging of unclaimed ports bounded as a whole (issue 9
 * item 11: one "logged once" line per port was 65536 lines). Which ports
 * answer is not checked here: devices come and go (unclaimed64 and the
 * mmio attack check the all-ones answer); the guest prints how many did.
 */
#include "hlib.h"

int hostile_main(void)
{
	unsigned answered = 0;
	for (unsigned p = 0; p < 0x10000; p++) {
		uint8_t v = inb((uint16_t)p);
		if (v != 0xff)
			answered++;
		if (hl_full || p % 16 == 0) {
			(void)inw((uint16_t)p);
			(void)inl((uint16_t)p);
		}
	}
	hl_puts("ports: all 65536 read, ");
	hl_putd(answered);
	hl_puts(" answered other than 0xff\n");
	return HL_PASS;
}
