/*
 * cmos: the MC146818 real-time clock and its 128 bytes of CMOS RAM, at
 * ports 0x70 (index) and 0x71 (data).
 *
 * Owns: the index latch, the 128 bytes, the time registers (read from the
 * host clock, UTC, plus an offset the guest can change by writing the time)
 * and the PC BIOS memory-size bytes.
 *
 * Register B selects BCD or binary (bit 2, DM) and 24- or 12-hour mode
 * (bit 1). While register B's SET bit (7) is 1 the clock is frozen: reads
 * return the time at which SET was written and writes change that frozen
 * time; clearing SET starts the clock again from the time so set. Writes
 * to time registers with SET clear take effect at once. The guest's date
 * stays within 0000-01-01 .. 9999-12-31 (a BCD century): a write that
 * would move it further holds it at the bound.
 *
 * No interrupts: this version raises no periodic, alarm or update-ended
 * interrupt on IRQ 8. Register C always reads 0 and register A's UIP bit
 * is always 0 (a time read is always consistent).
 *
 * Thread safety: each entry point takes the device's own mutex.
 */
#ifndef CMOS_H
#define CMOS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CMOS_BASE 0x70
#define CMOS_NPORTS 2

struct cmos;

/* low_ram: guest RAM from address 0 up (below the 32-bit hole); high_ram:
 * RAM from 4 GiB up. They fill the memory-size bytes (0x15-0x18,
 * 0x30/0x31, 0x34/0x35, 0x5b-0x5d) the way PC firmware reads them. */
struct cmos *cmos_new(uint64_t low_ram, uint64_t high_ram);
void cmos_free(struct cmos *c);

/* Bus handler for ports 0x70-0x71 (offset 0 index, 1 data). Accesses wider
 * than a byte act on the first port; their other bytes read all-ones. */
void cmos_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
	     bool is_write);

/* For tests: replaces the host clock (time(NULL)) with now(ctx). */
void cmos_set_clock(struct cmos *c, time_t (*now)(void *ctx), void *ctx);

#endif
