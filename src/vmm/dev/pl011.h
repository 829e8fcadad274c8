/*
 * pl011: the ARM PrimeCell UART (PL011), the arm64 machine's console, as
 * the ARM PrimeCell UART (PL011) Technical Reference Manual r1p5
 * (DDI 0183G) describes it; trap-and-emulate, one 4 KiB MMIO page.
 *
 * Owns: the registers of chapter 3 (DR, RSR/ECR, FR, ILPR, IBRD, FBRD,
 * LCR_H, CR, IFLS, IMSC, RIS, MIS, ICR, DMACR, the PrimeCell ID), the
 * 32-entry receive FIFO (one entry with LCR_H.FEN clear), and the
 * interrupt line: the combined UARTINTR, high while RIS & IMSC is not 0.
 *
 * Transmission is at once: a byte written to DR goes to the sink. A sink
 * that refuses a byte (its queue full) keeps it, and until
 * pl011_tx_ready() the UART shows a full transmit FIFO (FR.TXFF) and no
 * transmit interrupt; a byte the guest writes anyway is counted as lost
 * (pl011_tx_lost), as a real FIFO overrun would lose it. The vCPU never
 * waits for the host. Bytes from the host arrive through pl011_receive().
 * Baud rate, line control and the modem lines are kept and read back but
 * change nothing. Thread-safe: vCPUs and the main loop call in.
 */
#ifndef PL011_H
#define PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq.h"

#define PL011_SIZE 0x1000
#define PL011_FIFO 32

/* Register offsets (TRM table 3-1). */
enum {
	PL011_DR = 0x000,
	PL011_RSR = 0x004,
	PL011_FR = 0x018,
	PL011_ILPR = 0x020,
	PL011_IBRD = 0x024,
	PL011_FBRD = 0x028,
	PL011_LCR_H = 0x02c,
	PL011_CR = 0x030,
	PL011_IFLS = 0x034,
	PL011_IMSC = 0x038,
	PL011_RIS = 0x03c,
	PL011_MIS = 0x040,
	PL011_ICR = 0x044,
	PL011_DMACR = 0x048,
	PL011_PERIPH_ID0 = 0xfe0,
};

/* FR bits (TRM 3.3.3) and interrupt bits (TRM 3.3.13). */
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)
#define PL011_INT_RX (1u << 4)
#define PL011_INT_TX (1u << 5)
#define PL011_INT_RT (1u << 6)
#define PL011_INT_ALL 0x7ffu
#define PL011_LCRH_FEN (1u << 4)

struct pl011;
typedef bool (*pl011_tx_fn)(void *ctx, uint8_t byte);

/* NULL when out of memory. */
struct pl011 *pl011_new(struct irq_line irq, pl011_tx_fn tx, void *tx_ctx);
void pl011_free(struct pl011 *u);
/* Bus handler for the 4 KiB page. */
void pl011_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Takes up to n bytes into the receive FIFO; returns how many fitted. */
size_t pl011_receive(struct pl011 *u, const uint8_t *buf, size_t n);
/* The sink has room again: the kept byte goes out, the FIFO shows empty. */
void pl011_tx_ready(struct pl011 *u);
uint64_t pl011_tx_lost(struct pl011 *u);

#endif
