/*
 * pl061: the ARM PrimeCell General Purpose Input/Output (PL061), as the
 * PL061 Technical Reference Manual (DDI 0190B) describes it, with its
 * eight outputs looped back to its eight inputs: output bit n drives
 * input bit n, as the GPIO output wired to a GPIO input in the ZCU102's
 * fabric does in the study this machine reproduces. Trap-and-emulate,
 * one 4 KiB MMIO page.
 *
 * Owns: GPIODATA (address bits [9:2] mask the access, TRM 3.3.1),
 * GPIODIR, the interrupt registers GPIOIS, GPIOIBE, GPIOIEV, GPIOIE,
 * GPIORIS, GPIOMIS, GPIOIC, GPIOAFSEL, the PrimeCell ID, and the combined
 * interrupt line GPIOINTR, high while GPIOMIS is not 0.
 *
 * A write to GPIODATA changes the output latch of the pins that are
 * outputs (GPIODIR bit set) among those the address selects; a read
 * returns the input pins, which are the latch. Edge interrupts latch in
 * GPIORIS until GPIOIC clears them; level interrupts follow the pin.
 * Thread-safe: vCPUs call in from their threads.
 */
#ifndef PL061_H
#define PL061_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "irq.h"

#define PL061_SIZE 0x1000

/* Register offsets (TRM table 3-1). */
enum {
	PL061_DATA = 0x000, /* 0x000-0x3fc: the address masks the access */
	PL061_DIR = 0x400,
	PL061_IS = 0x404,
	PL061_IBE = 0x408,
	PL061_IEV = 0x40c,
	PL061_IE = 0x410,
	PL061_RIS = 0x414,
	PL061_MIS = 0x418,
	PL061_IC = 0x41c,
	PL061_AFSEL = 0x420,
	PL061_PERIPH_ID0 = 0xfe0,
};

struct pl061 {
	pthread_mutex_t lock;
	struct irq_line irq;
	uint8_t out, dir, is, ibe, iev, ie, edge_ris, afsel;
	int level;
};

void pl061_init(struct pl061 *g, struct irq_line irq);
void pl061_destroy(struct pl061 *g);
void pl061_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
