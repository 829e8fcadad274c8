/* test_pl011: the PL011 UART model (pl011.h), through its bus handler. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "pl011.h"

struct rec {
	int level, calls, redundant;
	uint8_t tx[64];
	size_t ntx;
	size_t room; /* bytes the sink takes before refusing; 0: no limit */
};

static void rec_irq(void *ctx, unsigned gsi, int level)
{
	struct rec *r = ctx;
	assert_int_equal(gsi, 33);
	if (level == r->level)
		r->redundant++;
	r->level = level;
	r->calls++;
}

static bool rec_tx(void *ctx, uint8_t b)
{
	struct rec *r = ctx;
	if (r->room && r->ntx >= r->room)
		return false;
	if (r->ntx < sizeof(r->tx))
		r->tx[r->ntx++] = b;
	return true;
}

struct fix {
	struct rec r;
	struct pl011 *u;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->u = pl011_new((struct irq_line){rec_irq, &f->r, 33}, rec_tx, &f->r);
	assert_non_null(f->u);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	assert_int_equal(f->r.redundant, 0); /* the line is set only on a change */
	pl011_free(f->u);
	free(f);
	return 0;
}

static uint32_t rd(struct fix *f, uint64_t off)
{
	uint8_t b[4];
	pl011_io(f->u, off, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(struct fix *f, uint64_t off, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	pl011_io(f->u, off, b, 4, true);
}

/* Linux's AMBA bus matches the driver by these (TRM 3.3.15-3.3.16). */
static void test_ids_and_reset(void **state)
{
	struct fix *f = *state;
	static const uint32_t id[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(f, 0xfe0 + 4 * i), id[i]);
	assert_int_equal(rd(f, PL011_CR), 0x300);
	assert_int_equal(rd(f, PL011_IFLS), 0x12);
	assert_int_equal(rd(f, PL011_FR), PL011_FR_RXFE | PL011_FR_TXFE);
	assert_int_equal(rd(f, PL011_RIS), 0);
	assert_int_equal(rd(f, 0x100), 0); /* reserved reads zero */
	assert_int_equal(f->r.level, 0);
}

static void test_tx_and_tx_interrupt(void **state)
{
	struct fix *f = *state;
	wr(f, PL011_DR, 'h');
	wr(f, PL011_DR, 'i');
	assert_int_equal(f->r.ntx, 2);
	assert_memory_equal(f->r.tx, "hi", 2);
	assert_int_equal(rd(f, PL011_RIS) & PL011_INT_TX, PL011_INT_TX);
	assert_int_equal(f->r.level, 0); /* masked */
	wr(f, PL011_IMSC, PL011_INT_TX);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, PL011_MIS), PL011_INT_TX);
	wr(f, PL011_ICR, PL011_INT_TX);
	assert_int_equal(f->r.level, 0);
	assert_int_equal(rd(f, PL011_RIS) & PL011_INT_TX, 0);
}

/* A sink that refuses: the FIFO shows full, no transmit interrupt, a
 * byte written anyway is counted lost; tx_ready sends the kept byte. */
static void test_busy_sink(void **state)
{
	struct fix *f = *state;
	f->r.room = 1;
	wr(f, PL011_IMSC, PL011_INT_TX);
	wr(f, PL011_DR, 'a');
	assert_int_equal(f->r.level, 1);
	wr(f, PL011_ICR, PL011_INT_TX);
	wr(f, PL011_DR, 'b'); /* refused: kept */
	assert_int_equal(rd(f, PL011_FR) & (PL011_FR_TXFF | PL011_FR_TXFE), PL011_FR_TXFF);
	wr(f, PL011_DR, 'c'); /* lost */
	assert_int_equal(pl011_tx_lost(f->u), 1);
	assert_int_equal(f->r.level, 0);
	f->r.room = 0;
	pl011_tx_ready(f->u);
	assert_int_equal(f->r.ntx, 2);
	assert_memory_equal(f->r.tx, "ab", 2);
	assert_int_equal(rd(f, PL011_FR) & PL011_FR_TXFE, PL011_FR_TXFE);
	assert_int_equal(f->r.level, 1);
}

static void test_rx_fifo_and_interrupts(void **state)
{
	struct fix *f = *state;
	uint8_t in[40];
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('A' + i);
	/* Without the FIFO (FEN clear, the reset value) one byte fits. */
	assert_int_equal(pl011_receive(f->u, in, 3), 1);
	assert_int_equal(rd(f, PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
	assert_int_equal(rd(f, PL011_DR), 'A');
	assert_int_equal(rd(f, PL011_DR), 0); /* empty reads zero */
	wr(f, PL011_LCR_H, PL011_LCRH_FEN | 0x60);
	wr(f, PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	assert_int_equal(pl011_receive(f->u, in, 3), 3);
	/* Below the 1/2 trigger (16 bytes): the timeout interrupt only. */
	assert_int_equal(rd(f, PL011_RIS) & (PL011_INT_RX | PL011_INT_RT), PL011_INT_RT);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(pl011_receive(f->u, in + 3, sizeof(in) - 3), 29);
	assert_int_equal(rd(f, PL011_RIS) & PL011_INT_RX, PL011_INT_RX);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(rd(f, PL011_DR), 'A' + i);
	assert_int_equal(rd(f, PL011_RIS) & (PL011_INT_RX | PL011_INT_RT), 0);
	assert_int_equal(f->r.level, 0);
	/* ICR cannot clear what the FIFO level holds. */
	assert_int_equal(pl011_receive(f->u, in, 1), 1);
	wr(f, PL011_ICR, PL011_INT_ALL);
	assert_int_equal(rd(f, PL011_MIS), PL011_INT_RT);
	/* Turning the FIFO off flushes it. */
	wr(f, PL011_LCR_H, 0x60);
	assert_int_equal(rd(f, PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
	assert_int_equal(f->r.level, 0);
}

static void test_trigger_levels(void **state)
{
	struct fix *f = *state;
	static const unsigned want[5] = {4, 8, 16, 24, 28};
	uint8_t in[32] = {0};
	wr(f, PL011_LCR_H, PL011_LCRH_FEN);
	for (unsigned t = 0; t < 5; t++) {
		wr(f, PL011_IFLS, t << 3);
		assert_int_equal(pl011_receive(f->u, in, want[t] - 1), want[t] - 1);
		assert_int_equal(rd(f, PL011_RIS) & PL011_INT_RX, 0);
		assert_int_equal(pl011_receive(f->u, in, 1), 1);
		assert_int_equal(rd(f, PL011_RIS) & PL011_INT_RX, PL011_INT_RX);
		while (!(rd(f, PL011_FR) & PL011_FR_RXFE))
			(void)rd(f, PL011_DR);
	}
}

/* Byte accesses reach the word; odd ones are ignored, reads give 0. */
static void test_access_widths(void **state)
{
	struct fix *f = *state;
	uint8_t b = 'z';
	pl011_io(f->u, PL011_DR, &b, 1, true);
	assert_int_equal(f->r.ntx, 1);
	uint8_t w[8];
	memset(w, 0xaa, sizeof(w));
	pl011_io(f->u, PL011_CR, w, 8, false);
	for (int i = 0; i < 8; i++)
		assert_int_equal(w[i], 0);
	pl011_io(f->u, PL011_CR + 2, w, 4, true); /* crosses the word: ignored */
	assert_int_equal(rd(f, PL011_CR), 0x300);
	wr(f, PL011_IBRD, 0x12345678);
	assert_int_equal(rd(f, PL011_IBRD), 0x5678);
	wr(f, PL011_FR, 0); /* read-only */
	assert_int_equal(rd(f, PL011_FR), PL011_FR_RXFE | PL011_FR_TXFE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_and_tx_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_sink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_fifo_and_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_widths, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
