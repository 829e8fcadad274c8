/*
 * fuzz_uart: drives the 16550 model with a sequence of guest register
 * accesses and host input, and checks its invariants after every step.
 *
 * Input format, one operation after another (tests/fuzz/make_device_seeds.py
 * writes seeds in it). Operation byte `op`, r = (op >> 3) & 7:
 *   op & 7 == 0, 1   read register r (1 byte)
 *   op & 7 == 2, 3   write register r with the next input byte
 *   op & 7 == 4      host input: the next (op >> 3) bytes to uart_receive
 *   op & 7 == 5      an odd access: length 2, 4 or 8 (next byte bits 1:0),
 *                    offset (op >> 3) (0-31, so also out of range), write
 *                    if next byte bit 2 (its value the byte after)
 *   op & 7 == 6      uart_wait_rx_space with a zero timeout, then
 *                    uart_tx_ready (the host line has room again)
 * The tx sink reports the line full after every fifth byte, so the busy
 * transmitter (THRE clear, THR writes lost) is reached too.
 *   op & 7 == 7      peek register r (must have no side effects)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uart16550.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rec {
	int level;
	size_t ntx;
	bool busy; /* the sink said the line is full */
};

static void rec_irq(void *ctx, unsigned gsi, int level)
{
	struct rec *r = ctx;
	if (gsi != UART_COM1_IRQ || (level != 0 && level != 1))
		abort();
	/* The line is level: set only when it changes. */
	if (level == r->level)
		abort();
	r->level = level;
}

static bool rec_tx(void *ctx, uint8_t b)
{
	struct rec *r = ctx;
	(void)b;
	if (r->busy)
		abort(); /* called while the transmitter was busy */
	r->ntx++;
	r->busy = r->ntx % 5 == 0;
	return !r->busy;
}

static void check(struct uart *u, const struct rec *r)
{
	uint8_t regs[UART_NREGS], again[UART_NREGS];
	for (unsigned i = 0; i < UART_NREGS; i++)
		regs[i] = uart_peek(u, i);
	for (unsigned i = 0; i < UART_NREGS; i++)
		again[i] = uart_peek(u, i);
	if (memcmp(regs, again, sizeof(regs)))
		abort(); /* peeking changed something */
	uint8_t iir = regs[2], mcr = regs[4], lsr = regs[5];
	/* The line is up exactly when an interrupt is pending and OUT2 is
	 * set (DLAB does not affect offsets 2 and 4). */
	int want = !(iir & 0x01) && (mcr & 0x08);
	if (r->level != want)
		abort();
	unsigned n = uart_rx_level(u);
	bool fifo = (iir & 0xc0) == 0xc0;
	if ((iir & 0xc0) != 0 && !fifo)
		abort();
	if (n > UART_FIFO_SIZE || (!fifo && n > 1))
		abort();
	if ((iir & 0x30) != 0 || (mcr & 0xe0) != 0)
		abort();
	switch (iir & 0x0f) {
	case 0x01:
	case 0x06:
	case 0x04:
	case 0x02:
	case 0x00:
		break;
	case 0x0c:
		if (!fifo)
			abort();
		break;
	default:
		abort();
	}
	/* THRE and TEMT together: set unless the line is busy. */
	if ((lsr & 0x60) != (r->busy ? 0 : 0x60) || (lsr & 0x9c) != 0 || !(lsr & 0x01) != !n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec r = {0, 0, false};
	struct irq_line l = {rec_irq, &r, UART_COM1_IRQ};
	struct uart *u = uart_new(l, rec_tx, &r);
	if (!u)
		abort();
	size_t i = 0;
	while (i < size) {
		uint8_t op = data[i++];
		unsigned reg = (op >> 3) & 7;
		uint8_t b = 0, d[8];
		switch (op & 7) {
		case 0:
		case 1:
			uart_io(u, reg, &b, 1, false);
			break;
		case 2:
		case 3: {
			if (i < size)
				b = data[i++];
			/* A THR write transmits exactly one byte unless in
			 * loopback, the line is busy (the byte is lost), or
			 * DLAB makes it a DLL write. */
			bool thr = reg == 0 && !(uart_peek(u, 3) & 0x80);
			bool loop = uart_peek(u, 4) & 0x10;
			size_t before = r.ntx;
			bool busy = r.busy;
			uint64_t lost = uart_tx_lost(u);
			uart_io(u, reg, &b, 1, true);
			if (r.ntx != before + (thr && !loop && !busy))
				abort();
			if (uart_tx_lost(u) != lost + (thr && !loop && busy))
				abort();
			break;
		}
		case 4: {
			size_t k = op >> 3;
			if (k > size - i)
				k = size - i;
			unsigned before = uart_rx_level(u);
			size_t took = uart_receive(u, data + i, k);
			if (took > k || uart_rx_level(u) != before + took)
				abort();
			i += k;
			break;
		}
		case 5: {
			uint8_t how = i < size ? data[i++] : 0;
			static const uint32_t lens[4] = {2, 4, 8, 1};
			uint32_t len = lens[how & 3];
			bool wr = how & 4;
			memset(d, wr && i < size ? data[i++] : 0x00, sizeof(d));
			uart_io(u, op >> 3, d, len, wr);
			if (!wr)
				for (uint32_t k = 1; k < len; k++)
					if (d[k] != 0xff)
						abort();
			break;
		}
		case 6:
			uart_wait_rx_space(u, 0);
			r.busy = false;
			uart_tx_ready(u);
			break;
		default:
			uart_peek(u, reg);
			break;
		}
		check(u, &r);
	}
	uart_free(u);
	return 0;
}
