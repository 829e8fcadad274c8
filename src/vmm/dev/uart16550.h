/*
 * uart16550: a National Semiconductor PC16550D UART (the PC's COM port).
 *
 * Owns: the register model (RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR,
 * DLL/DLM behind LCR.DLAB), the 16-byte receive FIFO, interrupt
 * identification and priority, and the level of the device's IRQ line.
 * Bytes the guest transmits go to a sink callback at once (the transmitter
 * is always ready); bytes from the host arrive through uart_receive().
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

/* tx(ctx, byte) is called for every byte the guest transmits. */
struct uart *uart_new(struct irq_line irq, void (*tx)(void *ctx, uint8_t byte),
		      void *tx_ctx);
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

/* Debug and test hooks, free of side effects: what a guest read of register
 * `reg` (0-7, DLAB honoured) would return, without popping RBR, clearing
 * LSR.OE or MSR deltas, or acknowledging a THRE interrupt; and how many
 * bytes the receive FIFO holds. */
uint8_t uart_peek(struct uart *u, unsigned reg);
unsigned uart_rx_level(struct uart *u);

#endif
