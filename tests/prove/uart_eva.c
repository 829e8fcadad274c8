/*
 * The UART register model under EVA (tests/prove/README.md): one UART,
 * then any sequence, of any length, of what the guest and the host can do
 * to it: a guest access of any width and direction at any offset of its
 * port range (and past it), with any data; host input of any bytes and
 * length; the host line becoming free. The loop is unbounded, so EVA's
 * result covers every sequence (it widens to a state that holds after any
 * number of steps).
 *
 * The IRQ line and the transmit callback are stubs: the line records
 * nothing, the host line takes or refuses each byte at random.
 */
#include "uart16550.h"
#include "__fc_builtin.h"

static void irq_stub(void *ctx, unsigned gsi, int level)
{
	(void)ctx;
	(void)gsi;
	(void)level;
}

static bool tx_stub(void *ctx, uint8_t byte)
{
	(void)ctx;
	(void)byte;
	return Frama_C_nondet(0, 1);
}

int main(void)
{
	struct irq_line irq = {irq_stub, 0, UART_COM1_IRQ};
	struct uart *u = uart_new(irq, tx_stub, 0);
	if (!u)
		return 0;
	uint8_t data[8], in[32];
	while (Frama_C_nondet(0, 1)) {
		switch (Frama_C_interval(0, 3)) {
		case 0: {
			uint32_t len = (uint32_t)Frama_C_interval(0, sizeof data);
			Frama_C_make_unknown((char *)data, sizeof data);
			uart_io(u, (uint64_t)Frama_C_interval(0, 15), data, len, Frama_C_nondet(0, 1));
			break;
		}
		case 1: {
			size_t n = (size_t)Frama_C_interval(0, sizeof in);
			Frama_C_make_unknown((char *)in, sizeof in);
			(void)uart_receive(u, in, n);
			break;
		}
		case 2:
			uart_tx_ready(u);
			break;
		default:
			(void)uart_peek(u, (unsigned)Frama_C_interval(0, 7));
			(void)uart_rx_level(u);
		}
	}
	uart_free(u);
	return 0;
}
