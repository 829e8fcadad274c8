/* pl011: ARM PrimeCell UART (PL011) TRM r1p5, DDI 0183G. */
#include "pl011.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* PrimeCell identification, TRM 3.3.15-3.3.16: part 0x011, designer ARM
 * (0x41), revision r1p5 (3), then the PrimeCell ID 0xb105f00d. Linux's
 * AMBA bus reads them to find the driver. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

struct pl011 {
	pthread_mutex_t lock;
	struct irq_line irq;
	pl011_tx_fn tx;
	void *tx_ctx;
	uint8_t fifo[PL011_FIFO];
	unsigned head, count;
	uint32_t ris_tx;   /* the latched transmit interrupt (TRM 3.4.4) */
	bool tx_busy;      /* the sink refused held_byte */
	uint8_t held_byte;
	uint64_t lost;
	uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr;
	int level; /* last level driven on the line */
};

static unsigned fifo_depth(const struct pl011 *u)
{
	return (u->lcr_h & PL011_LCRH_FEN) ? PL011_FIFO : 1;
}

/* The receive trigger (IFLS bits 5:3, TRM 3.3.12): 1/8, 1/4, 1/2, 3/4 or
 * 7/8 full; a reserved value acts as 1/2. Without the FIFO, one byte. */
static unsigned rx_trigger(const struct pl011 *u)
{
	static const unsigned eighths[8] = {1, 2, 4, 6, 7, 4, 4, 4};
	if (!(u->lcr_h & PL011_LCRH_FEN))
		return 1;
	return PL011_FIFO * eighths[(u->ifls >> 3) & 7] / 8;
}

/* Raw interrupt status. The receive interrupt follows the FIFO level; the
 * receive timeout (TRM 3.4.3: data in the FIFO and the line idle for 32
 * bit periods) is raised at once, since bytes from the host arrive in
 * bursts that have already ended; both drop as the guest reads. */
static uint32_t ris(const struct pl011 *u)
{
	uint32_t r = u->ris_tx;
	if (u->count >= rx_trigger(u))
		r |= PL011_INT_RX;
	if (u->count)
		r |= PL011_INT_RT;
	return r;
}

static void update_irq(struct pl011 *u)
{
	int level = (ris(u) & u->imsc) != 0;
	if (level != u->level) {
		u->level = level;
		irq_set_level(&u->irq, level);
	}
}

static uint32_t read_fr(const struct pl011 *u)
{
	uint32_t fr = 0;
	if (u->count == 0)
		fr |= PL011_FR_RXFE;
	if (u->count >= fifo_depth(u))
		fr |= PL011_FR_RXFF;
	if (u->tx_busy)
		fr |= PL011_FR_TXFF | PL011_FR_BUSY;
	else
		fr |= PL011_FR_TXFE;
	return fr;
}

static void write_dr(struct pl011 *u, uint8_t byte)
{
	if (u->tx_busy) {
		u->lost++; /* a full FIFO drops what is written to it */
		return;
	}
	if (u->tx(u->tx_ctx, byte)) {
		u->ris_tx = PL011_INT_TX; /* the FIFO is empty again at once */
		return;
	}
	u->tx_busy = true;
	u->held_byte = byte;
	u->ris_tx = 0;
}

static uint32_t reg_read(struct pl011 *u, uint64_t off)
{
	switch (off) {
	case PL011_DR: {
		if (u->count == 0)
			return 0;
		uint8_t b = u->fifo[u->head];
		u->head = (u->head + 1) % PL011_FIFO;
		u->count--;
		return b; /* no framing, parity, break or overrun errors */
	}
	case PL011_RSR: return 0;
	case PL011_FR: return read_fr(u);
	case PL011_ILPR: return u->ilpr;
	case PL011_IBRD: return u->ibrd;
	case PL011_FBRD: return u->fbrd;
	case PL011_LCR_H: return u->lcr_h;
	case PL011_CR: return u->cr;
	case PL011_IFLS: return u->ifls;
	case PL011_IMSC: return u->imsc;
	case PL011_RIS: return ris(u);
	case PL011_MIS: return ris(u) & u->imsc;
	case PL011_DMACR: return u->dmacr;
	default:
		if (off >= PL011_PERIPH_ID0 && off < PL011_SIZE && (off & 3) == 0)
			return pl011_id[(off - PL011_PERIPH_ID0) / 4];
		return 0; /* reserved and ICR (write-only) read as zero */
	}
}

static void reg_write(struct pl011 *u, uint64_t off, uint32_t v)
{
	switch (off) {
	case PL011_DR: write_dr(u, (uint8_t)v); break;
	case PL011_RSR: break; /* ECR: clears errors we never have */
	case PL011_ILPR: u->ilpr = v & 0xff; break;
	case PL011_IBRD: u->ibrd = v & 0xffff; break;
	case PL011_FBRD: u->fbrd = v & 0x3f; break;
	case PL011_LCR_H:
		/* Turning the FIFO off or on flushes it (TRM 3.3.7, FEN). */
		if ((v ^ u->lcr_h) & PL011_LCRH_FEN)
			u->count = 0;
		u->lcr_h = v & 0xff;
		break;
	case PL011_CR: u->cr = v & 0xff87; break;
	case PL011_IFLS: u->ifls = v & 0x3f; break;
	case PL011_IMSC: u->imsc = v & PL011_INT_ALL; break;
	case PL011_ICR: u->ris_tx &= ~v; break; /* RX/RT follow the FIFO */
	case PL011_DMACR: u->dmacr = v & 7; break;
	default: break; /* read-only and reserved: ignored */
	}
}

void pl011_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pl011 *u = opaque;
	/* Registers are 32 bits wide and word aligned (TRM 3.2); Linux uses
	 * 32-bit accesses (some use 8 or 16 bits for DR): any width up to 4
	 * acts on the word, a wider or misaligned one is ignored. */
	uint32_t v = 0;
	bool ok = len >= 1 && len <= 4 && (offset & 3) + len <= 4;
	uint64_t reg = offset & ~3ull;
	pthread_mutex_lock(&u->lock);
	if (ok && is_write) {
		memcpy(&v, data, len);
		reg_write(u, reg, v << (8 * (offset & 3)));
	} else if (ok) {
		v = reg_read(u, reg) >> (8 * (offset & 3));
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (!is_write) {
		if (ok)
			memcpy(data, &v, len);
		else
			memset(data, 0, len);
	}
}

size_t pl011_receive(struct pl011 *u, const uint8_t *buf, size_t n)
{
	size_t took = 0;
	pthread_mutex_lock(&u->lock);
	while (took < n && u->count < fifo_depth(u)) {
		u->fifo[(u->head + u->count) % PL011_FIFO] = buf[took++];
		u->count++;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return took;
}

void pl011_tx_ready(struct pl011 *u)
{
	pthread_mutex_lock(&u->lock);
	if (u->tx_busy && u->tx(u->tx_ctx, u->held_byte)) {
		u->tx_busy = false;
		u->ris_tx = PL011_INT_TX;
		update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

uint64_t pl011_tx_lost(struct pl011 *u)
{
	pthread_mutex_lock(&u->lock);
	uint64_t n = u->lost;
	pthread_mutex_unlock(&u->lock);
	return n;
}

struct pl011 *pl011_new(struct irq_line irq, pl011_tx_fn tx, void *tx_ctx)
{
	struct pl011 *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->irq = irq;
	u->tx = tx;
	u->tx_ctx = tx_ctx;
	/* Reset values, TRM table 3-1: CR has TXE and RXE set, IFLS 1/2. */
	u->cr = 0x300;
	u->ifls = 0x12;
	return u;
}

void pl011_free(struct pl011 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}
