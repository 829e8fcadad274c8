/*
 * i8042: just enough of the 8042 keyboard controller for a guest to reset
 * the machine and for Linux's i8042 probe to find a harmless, empty
 * controller. Ports 0x60 (data) and 0x64 (status read, command write).
 *
 * Owns: the controller's command byte (and the rest of its 32-byte RAM),
 * the one-byte output buffer, the output port, and the pending command
 * awaiting a data byte on port 0x60. No keyboard or mouse is attached:
 * bytes written to port 0x60 without a pending command are dropped. No
 * IRQ 1 or IRQ 12 is raised: replies are read by polling the status port.
 * Port 0x61 (system control port B) is not part of this model.
 *
 * Thread safety: each entry point takes the device's own mutex; the reset
 * callback runs after it is released.
 */
#ifndef I8042_H
#define I8042_H

#include <stdbool.h>
#include <stdint.h>

#define I8042_BASE 0x60
#define I8042_NPORTS 5 /* 0x60-0x64; offsets 1-3 read 0xff */

struct i8042;

/* reset(ctx) is called when the guest pulses the CPU reset line (command
 * 0xFE, or an output port written through 0xD1 with bit 0 clear). */
struct i8042 *i8042_new(void (*reset)(void *ctx), void *ctx);
void i8042_free(struct i8042 *k);

/* Bus handler for ports 0x60-0x64. Accesses wider than a byte act on the
 * first port; their other bytes read all-ones. */
void i8042_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
	      bool is_write);

#endif
