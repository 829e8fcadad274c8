/*
 * Hostile guest: COM1, the 16550A (PC16550D datasheet, "Registers").
 *
 * 1. A flood of `bytes` bytes to THR (no LSR polling, as fast as the exits
 *    go), with DLAB switched on and the divisor rewritten every 997 bytes,
 *    loopback switched on every 1499 bytes for a burst that overruns the
 *    receive FIFO, FCR/IER rewritten and IIR/LSR/MSR read in between. The
 *    runner reads stdout and samples the monitor's RSS during the flood.
 * 2. Every value written to every register, with DLAB off and on (writes
 *    to THR reach stdout; the runner discards them).
 * 3. The UART must still behave: scratch register, LSR THRE, IIR reads a
 *    valid identification, and the final line arrives.
 */
#include "hlib.h"

#define COM1 0x3f8
#define THR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static void loop_burst(void)
{
	outb(COM1 + MCR, 0x1f); /* loopback, OUT2 */
	for (int i = 0; i < 40; i++)
		outb(COM1 + THR, (uint8_t)i); /* 16-byte FIFO: overruns */
	for (int i = 0; i < 8; i++) {
		(void)inb(COM1 + LSR);
		(void)inb(COM1 + THR);
	}
	outb(COM1 + MCR, 0x0b);
}

int hostile_main(void)
{
	uint64_t n = hl_arg("bytes", 20000);
	for (uint64_t i = 0; i < n; i++) {
		outb(COM1 + THR, (uint8_t)('a' + i % 26));
		if (i % 64 == 63)
			outb(COM1 + THR, '\n');
		if (i % 997 == 0) {
			outb(COM1 + LCR, 0x83);
			outb(COM1 + THR, (uint8_t)hl_rand()); /* DLL */
			outb(COM1 + IER, (uint8_t)hl_rand()); /* DLM */
			outb(COM1 + THR, 'X'); /* still DLAB: not a character */
			outb(COM1 + LCR, 0x03);
		}
		if (i % 1499 == 0)
			loop_burst();
		if (i % 211 == 0) {
			outb(COM1 + FCR, (uint8_t)(hl_rand() | 1));
			outb(COM1 + IER, (uint8_t)hl_rand());
			(void)inb(COM1 + IIR);
			(void)inb(COM1 + LSR);
			(void)inb(COM1 + MSR);
		}
	}
	outb(COM1 + IER, 0);
	outb(COM1 + THR, '\n');
	for (unsigned dlab = 0; dlab < 2; dlab++)
		for (unsigned reg = 0; reg < 8; reg++)
			for (unsigned v = 0; v < 256; v++) {
				if (reg == LCR)
					outb(COM1 + LCR, (uint8_t)((v & 0x7f) | dlab << 7));
				else
					outb(COM1 + reg, (uint8_t)v);
				(void)inb(COM1 + reg);
				if (reg == MCR && (v & 0x10))
					(void)inb(COM1 + THR); /* drain loopback */
			}
	outb(COM1 + LCR, 0x03);
	outb(COM1 + MCR, 0x0b);
	outb(COM1 + IER, 0);
	outb(COM1 + FCR, 0x07);
	outb(COM1 + SCR, 0x5a);
	HL_CHECK(inb(COM1 + SCR) == 0x5a, "scratch register", inb(COM1 + SCR));
	HL_CHECK(inb(COM1 + LSR) & 0x20, "LSR.THRE after the flood", inb(COM1 + LSR));
	uint8_t iir = inb(COM1 + IIR);
	HL_CHECK((iir & 0x30) == 0, "IIR reserved bits", iir);
	HL_CHECK(!(inb(COM1 + MCR) & 0xe0), "MCR bits 7:5", inb(COM1 + MCR));
	hl_puts("\nuart: ");
	hl_putd(n);
	hl_puts(" bytes flooded\n");
	return HL_PASS;
}
