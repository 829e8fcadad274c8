/*
 * uart16550: a National Semiconductor PC16550D UART (the PC's COM port).
 *
 * Owns: the register model (RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR,
 * DLL/DLM behind LCR.DLAB), the 16-byte receive FIFO, interrupt
 * identification and priority, and the level of the device's IRQ line.
 * Bytes the guest transmits go to a sink callback at once; bytes from the
 * host arrive through uart_receive().
 *
 * A slow line: the sink says when it cannot take another byte (a full host
 * queue). The transmitter is then busy, as a real UART's is while its
 * shift register works through a slow line: LSR.THRE and TEMT read 0 and
 * no THRE interrupt is raised until the host calls uart_tx_ready(). A
 * guest that polls THRE (every console driver) waits; a byte written to
 * THR while it is busy is lost, as on hardware, and counted
 * (uart_tx_lost). The vCPU itself never waits for the host.
 *
 * Thread safety: every entry point takes the device's own mutex, so the
 * vCPU thread and the host input thread may call in concurrently. The IRQ
 * callback and the tx sink are invoked with that mutex held; they must not
 * call back in.
 *
 * With FIFOs disabled (16450 mode) the receiver holds one byte, so
 * uart_receive() then takes at most one byte until the guest reads RBR.
 */
#ifndef UART16550_H
#define UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq.h"

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4
#define UART_NREGS 8
#define UART_FIFO_SIZE 16

struct uart;

/* tx(ctx, byte) is called for every byte the guest transmits while the
 * transmitter is not busy; it returns true when the line can take the
 * next byte at once, false when it is busy until uart_tx_ready(). */
typedef bool (*uart_tx_fn)(void *ctx, uint8_t byte);
struct uart *uart_new(struct irq_line irq, uart_tx_fn tx, void *tx_ctx);
void uart_free(struct uart *u);

/* The bus handler for the 8 registers at the port base. Accesses wider than
 * one byte are treated as byte accesses to the first register. */
void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	     bool is_write);

/* Offers host input; returns how many bytes the receive FIFO took (it takes
 * none when full: the caller retries after uart_wait_rx_space()). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n);
/* Blocks until the FIFO has room or `timeout_ms` passes (a negative
 * timeout waits without limit). */
void uart_wait_rx_space(struct uart *u, int timeout_ms);

/* The host side of the line has room again: the transmitter is free
 * (THRE, TEMT, and the THRE interrupt if enabled). */
void uart_tx_ready(struct uart *u);
/* Bytes the guest wrote to THR while the transmitter was busy. */
uint64_t uart_tx_lost(struct uart *u);

/* Debug and test hooks, free of side effects: what a guest read of register
 * `reg` (0-7, DLAB honoured) would return, without popping RBR, clearing
 * LSR.OE or MSR deltas, or acknowledging a THRE interrupt; and how many
 * bytes the receive FIFO holds. */
uint8_t uart_peek(struct uart *u, unsigned reg);
unsigned uart_rx_level(struct uart *u);

#endif
