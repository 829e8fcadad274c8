/* test_uart: the PC16550D register model, through its bus handler. */
#include "testlib.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uart16550.h"

struct rec {
	int level; /* last level set */
	int calls;
	int redundant; /* calls that did not change the level */
	uint8_t tx[64];
	size_t ntx;
	size_t room; /* bytes the line takes before it is busy; 0: no limit */
};

static void rec_irq(void *ctx, unsigned gsi, int level)
{
	struct rec *r = ctx;
	assert_int_equal(gsi, UART_COM1_IRQ);
	if (level == r->level)
		r->redundant++;
	r->level = level;
	r->calls++;
}

static bool rec_tx(void *ctx, uint8_t b)
{
	struct rec *r = ctx;
	if (r->ntx < sizeof(r->tx))
		r->tx[r->ntx++] = b;
	return !r->room || r->ntx < r->room;
}

struct fix {
	struct rec r;
	struct uart *u;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct irq_line l = {rec_irq, &f->r, UART_COM1_IRQ};
	f->u = uart_new(l, rec_tx, &f->r);
	assert_non_null(f->u);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	/* Every test: the line was only ever set when its level changed. */
	assert_int_equal(f->r.redundant, 0);
	uart_free(f->u);
	free(f);
	return 0;
}

static uint8_t rd(struct fix *f, unsigned reg)
{
	uint8_t b = 0;
	uart_io(f->u, reg, &b, 1, false);
	return b;
}

static void wr(struct fix *f, unsigned reg, uint8_t v)
{
	uart_io(f->u, reg, &v, 1, true);
}

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static void test_reset_state(void **state)
{
	struct fix *f = *state;
	assert_int_equal(rd(f, IER), 0);
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(rd(f, LCR), 0);
	assert_int_equal(rd(f, MCR), 0);
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(rd(f, MSR), 0xb0);
	assert_int_equal(f->r.calls, 0);
}

static void test_thre_on_etbei_enable(void **state)
{
	struct fix *f = *state;
	wr(f, MCR, 0x08);
	wr(f, IER, 0x02);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, IIR), 0x02); /* reported, and so acknowledged */
	assert_int_equal(f->r.level, 0);
	assert_int_equal(rd(f, IIR), 0x01);
	/* Writing IER again with ETBEI already on is not an enable edge. */
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR), 0x01);
	/* Off then on again is. */
	wr(f, IER, 0x00);
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR), 0x02);
	assert_int_equal(f->r.calls, 4);
}

static void test_thre_after_thr_write(void **state)
{
	struct fix *f = *state;
	wr(f, MCR, 0x08);
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR), 0x02);
	wr(f, RBR, 'A');
	wr(f, RBR, 'B');
	assert_int_equal(f->r.ntx, 2);
	assert_memory_equal(f->r.tx, "AB", 2);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(rd(f, IIR), 0x02);
	assert_int_equal(f->r.level, 0);
	assert_int_equal(rd(f, IIR), 0x01);
	/* With ETBEI off a THR write raises nothing. */
	wr(f, IER, 0);
	wr(f, RBR, 'C');
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(f->r.level, 0);
}

/* A full host line: the transmitter stays busy (THRE and TEMT clear, no
 * THRE interrupt) until the host has room; a THR write meanwhile is lost
 * and counted, as on a UART whose THR is overwritten. */
static void test_busy_line(void **state)
{
	struct fix *f = *state;
	f->r.room = 2;
	wr(f, MCR, 0x08);
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR), 0x02);
	assert_int_equal(f->r.level, 0);
	wr(f, RBR, 'A');
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(rd(f, IIR), 0x02); /* THR empty again */
	wr(f, RBR, 'B');                    /* the line is now full */
	assert_int_equal(rd(f, LSR), 0x00);
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(f->r.level, 0);
	wr(f, RBR, 'C'); /* lost */
	assert_int_equal(f->r.ntx, 2);
	assert_int_equal(uart_tx_lost(f->u), 1);
	/* Enabling ETBEI again raises nothing while busy. */
	wr(f, IER, 0);
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR), 0x01);
	/* The host drains: THR empty, interrupt raised. */
	f->r.room = 0;
	uart_tx_ready(f->u);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(rd(f, IIR), 0x02);
	assert_int_equal(f->r.level, 0);
	wr(f, RBR, 'D');
	assert_int_equal(f->r.ntx, 3);
	assert_memory_equal(f->r.tx, "ABD", 3);
	/* Ready when not busy changes nothing. */
	uart_tx_ready(f->u);
	assert_int_equal(uart_tx_lost(f->u), 1);
}

/* All five sources at once, taken in the datasheet's priority order, each
 * cleared by its own action. */
static void test_iir_priorities(void **state)
{
	struct fix *f = *state;
	wr(f, FCR, 0x01); /* FIFOs on, trigger 1 */
	/* Loopback with only OUT2: CTS and DSR drop -> DCTS and DDSR. */
	wr(f, MCR, 0x18);
	assert_int_equal(rd(f, MSR) & 0xf0, 0x80);
	wr(f, MCR, 0x18);
	wr(f, MCR, 0x1a); /* RTS -> CTS: a modem status change */
	wr(f, IER, 0x0f);
	for (int i = 0; i < 17; i++)
		wr(f, RBR, (uint8_t)('a' + i)); /* the 17th overruns */
	assert_int_equal(f->r.ntx, 0);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, IIR), 0xc6);
	assert_int_equal(rd(f, LSR), 0x63);
	assert_int_equal(rd(f, IIR), 0xc4);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(f, RBR), 'a' + i);
	assert_int_equal(rd(f, IIR), 0xc2); /* and acknowledged */
	assert_int_equal(rd(f, IIR), 0xc0);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, MSR), 0x91);
	assert_int_equal(rd(f, IIR), 0xc1);
	assert_int_equal(f->r.level, 0);
}

static void test_line_status_needs_elsi(void **state)
{
	struct fix *f = *state;
	wr(f, MCR, 0x18);
	wr(f, IER, 0x00);
	wr(f, RBR, 1);
	wr(f, RBR, 2); /* 16450 mode: overrun, 2 replaces 1 */
	assert_int_equal(rd(f, IIR), 0x01);
	wr(f, IER, 0x04);
	assert_int_equal(rd(f, IIR), 0x06);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, LSR), 0x63);
	assert_int_equal(rd(f, LSR), 0x61); /* OE cleared by the read */
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(rd(f, RBR), 2);
	assert_int_equal(rd(f, LSR), 0x60);
}

static void test_timeout_and_triggers(void **state)
{
	struct fix *f = *state;
	static const struct {
		uint8_t fcr;
		unsigned level;
	} t[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};
	uint8_t buf[16];
	memset(buf, 0x5a, sizeof(buf));
	wr(f, IER, 0x01);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wr(f, FCR, t[i].fcr | 0x02);
		assert_int_equal(uart_rx_level(f->u), 0);
		assert_int_equal(rd(f, IIR), 0xc1);
		if (t[i].level > 1) {
			assert_int_equal(uart_receive(f->u, buf, t[i].level - 1),
					 t[i].level - 1);
			assert_int_equal(rd(f, IIR), 0xcc); /* timeout, at once */
		}
		assert_int_equal(uart_receive(f->u, buf, 1), 1);
		assert_int_equal(rd(f, IIR), 0xc4);
		if (t[i].level > 1) {
			rd(f, RBR);
			assert_int_equal(rd(f, IIR), 0xcc);
		}
	}
}

static void test_rx_fifo_order_and_capacity(void **state)
{
	struct fix *f = *state;
	uint8_t in[20];
	for (int i = 0; i < 20; i++)
		in[i] = (uint8_t)(i + 1);
	wr(f, FCR, 0x07);
	assert_int_equal(uart_receive(f->u, in, 20), 16);
	assert_int_equal(uart_receive(f->u, in + 16, 4), 0);
	assert_int_equal(uart_rx_level(f->u), 16);
	assert_int_equal(rd(f, LSR), 0x61); /* full, but no overrun */
	for (int i = 0; i < 16; i++) {
		assert_int_equal(rd(f, LSR) & 1, 1);
		assert_int_equal(rd(f, RBR), i + 1);
	}
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(uart_receive(f->u, in + 16, 4), 4);
	for (int i = 16; i < 20; i++)
		assert_int_equal(rd(f, RBR), i + 1);
	/* 16450 mode holds one byte. */
	wr(f, FCR, 0x00);
	assert_int_equal(uart_receive(f->u, in, 3), 1);
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(rd(f, RBR), 1);
	assert_int_equal(uart_receive(f->u, in + 1, 2), 1);
}

static void test_receive_irq(void **state)
{
	struct fix *f = *state;
	uint8_t b = 'x';
	wr(f, MCR, 0x08);
	wr(f, IER, 0x01);
	assert_int_equal(uart_receive(f->u, &b, 1), 1);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, IIR), 0x04);
	assert_int_equal(rd(f, RBR), 'x');
	assert_int_equal(f->r.level, 0);
	assert_int_equal(f->r.calls, 2);
}

static void test_dlab(void **state)
{
	struct fix *f = *state;
	uint8_t b = 'q';
	wr(f, IER, 0x05);
	assert_int_equal(uart_receive(f->u, &b, 1), 1);
	wr(f, LCR, 0x83);
	wr(f, 0, 0x01);
	wr(f, 1, 0x02);
	assert_int_equal(f->r.ntx, 0); /* a DLL write is not a THR write */
	assert_int_equal(rd(f, 0), 0x01);
	assert_int_equal(rd(f, 1), 0x02);
	assert_int_equal(uart_rx_level(f->u), 1); /* a DLL read pops nothing */
	wr(f, LCR, 0x03);
	assert_int_equal(rd(f, IER), 0x05);
	assert_int_equal(rd(f, RBR), 'q');
	wr(f, LCR, 0x83);
	assert_int_equal(rd(f, 0), 0x01);
	assert_int_equal(rd(f, 1), 0x02);
	assert_int_equal(rd(f, LCR), 0x83);
}

static void test_fcr_clears(void **state)
{
	struct fix *f = *state;
	uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	wr(f, FCR, 0x01);
	assert_int_equal(uart_receive(f->u, in, 8), 8);
	wr(f, FCR, 0x05); /* clear XMIT only */
	assert_int_equal(uart_rx_level(f->u), 8);
	wr(f, FCR, 0x03);
	assert_int_equal(uart_rx_level(f->u), 0);
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(uart_receive(f->u, in, 8), 8);
	wr(f, FCR, 0x00); /* leaving FIFO mode clears too */
	assert_int_equal(uart_rx_level(f->u), 0);
	assert_int_equal(rd(f, IIR) & 0xc0, 0);
	assert_int_equal(uart_receive(f->u, in, 1), 1);
	wr(f, FCR, 0x01); /* and entering it */
	assert_int_equal(uart_rx_level(f->u), 0);
	assert_int_equal(rd(f, IIR), 0xc1);
}

static void test_loopback(void **state)
{
	struct fix *f = *state;
	/* Linux's 8250 autoconfig check: LOOP | OUT2 | RTS gives DCD | CTS. */
	wr(f, MCR, 0x1a);
	assert_int_equal(rd(f, MSR) & 0xf0, 0x90);
	wr(f, MCR, 0x1f);
	assert_int_equal(rd(f, MSR), 0xf2); /* DSR back, RI on: DDSR only */
	wr(f, MCR, 0x10);
	assert_int_equal(rd(f, MSR), 0x0f); /* RI fell: TERI */
	wr(f, FCR, 0x01);
	wr(f, RBR, 'L');
	wr(f, RBR, 'B');
	assert_int_equal(f->r.ntx, 0);
	assert_int_equal(rd(f, LSR), 0x61);
	assert_int_equal(rd(f, RBR), 'L');
	assert_int_equal(rd(f, RBR), 'B');
	wr(f, MCR, 0x00);
	assert_int_equal(rd(f, MSR), 0xbb);
	assert_int_equal(rd(f, MSR), 0xb0);
	wr(f, RBR, 'T');
	assert_int_equal(f->r.ntx, 1);
	assert_int_equal(uart_rx_level(f->u), 0);
}

static void test_out2_gates_irq(void **state)
{
	struct fix *f = *state;
	wr(f, IER, 0x02);
	assert_int_equal(uart_peek(f->u, IIR), 0x02);
	assert_int_equal(f->r.calls, 0);
	wr(f, MCR, 0x08);
	assert_int_equal(f->r.level, 1);
	wr(f, MCR, 0x0b); /* other bits change nothing */
	assert_int_equal(f->r.calls, 1);
	wr(f, MCR, 0x03);
	assert_int_equal(f->r.level, 0);
	assert_int_equal(f->r.calls, 2);
	wr(f, MCR, 0x08);
	assert_int_equal(f->r.level, 1);
	rd(f, IIR);
	assert_int_equal(f->r.level, 0);
	assert_int_equal(f->r.calls, 4);
}

static void test_level_only_on_change(void **state)
{
	struct fix *f = *state;
	uint8_t in[4] = {1, 2, 3, 4};
	wr(f, MCR, 0x08);
	wr(f, FCR, 0x01);
	wr(f, IER, 0x0f); /* THRE: raise */
	assert_int_equal(f->r.calls, 1);
	/* More sources while pending: no further calls. */
	uart_receive(f->u, in, 4);
	wr(f, RBR, 'z');
	rd(f, LSR);
	rd(f, IIR);
	for (int i = 0; i < 4; i++)
		rd(f, RBR);
	assert_int_equal(f->r.calls, 1);
	assert_int_equal(rd(f, IIR), 0xc2);
	assert_int_equal(f->r.calls, 2);
	assert_int_equal(f->r.level, 0);
}

struct waiter {
	struct uart *u;
	int done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	uart_wait_rx_space(w->u, -1);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_wait_rx_space(void **state)
{
	struct fix *f = *state;
	uint8_t in[16] = {0};
	wr(f, FCR, 0x01);
	assert_int_equal(uart_receive(f->u, in, 16), 16);
	uart_wait_rx_space(f->u, 20); /* full: returns after the timeout */
	assert_int_equal(uart_rx_level(f->u), 16);
	struct waiter w = {f->u, 0};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	struct timespec ts = {0, 20 * 1000000L};
	nanosleep(&ts, NULL);
	assert_int_equal(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0);
	rd(f, RBR);
	pthread_join(t, NULL);
	assert_int_equal(w.done, 1);
	assert_int_equal(uart_receive(f->u, in, 16), 1);
	/* Clearing the FIFO wakes a waiter too. */
	w.done = 0;
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	wr(f, FCR, 0x03);
	pthread_join(t, NULL);
	assert_int_equal(w.done, 1);
	uart_wait_rx_space(f->u, 0); /* room: returns at once */
}

static void test_misc_registers(void **state)
{
	struct fix *f = *state;
	wr(f, SCR, 0xa5);
	assert_int_equal(rd(f, SCR), 0xa5);
	wr(f, IER, 0xff);
	assert_int_equal(rd(f, IER), 0x0f);
	wr(f, MCR, 0xff);
	assert_int_equal(rd(f, MCR), 0x1f);
	wr(f, MCR, 0);
	rd(f, MSR);
	wr(f, LSR, 0x00);
	wr(f, MSR, 0x00);
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(rd(f, MSR), 0xb0);
	/* Wide accesses act on the first register; the rest reads 0xff. */
	uint8_t d[4] = {0};
	uart_io(f->u, SCR, d, 2, false);
	assert_int_equal(d[0], 0xa5);
	assert_int_equal(d[1], 0xff);
	d[0] = 0x11;
	d[1] = 0x22;
	uart_io(f->u, SCR, d, 2, true);
	assert_int_equal(rd(f, SCR), 0x11);
	/* Out of range: all-ones, writes dropped. */
	uart_io(f->u, 8, d, 4, false);
	assert_int_equal(d[0], 0xff);
	assert_int_equal(d[3], 0xff);
	uart_io(f->u, 9, d, 1, true);
	/* peek has no side effects. */
	wr(f, MCR, 0x18);
	wr(f, RBR, 7);
	wr(f, RBR, 8);
	assert_int_equal(uart_peek(f->u, LSR), 0x63);
	assert_int_equal(uart_peek(f->u, RBR), 8);
	assert_int_equal(uart_peek(f->u, LSR), 0x63);
	assert_int_equal(uart_rx_level(f->u), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_on_etbei_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_after_thr_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_priorities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_status_needs_elsi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_fifo_order_and_capacity, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_receive_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fcr_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out2_gates_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_only_on_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_rx_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc_registers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
