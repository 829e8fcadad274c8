/*
 * bus: the address spaces that trapped guest accesses are dispatched on.
 *
 * Owns: the list of device ranges on one address space (the port-I/O space
 * or the MMIO space). Devices register (base, length, handler, opaque);
 * registration refuses a zero length, a range that wraps, and any overlap.
 * Lookups are a binary search over ranges kept sorted.
 *
 * Locking: lookups take the bus's read lock, registration its write lock,
 * so a PCI BAR can move while other vCPUs run. A handler runs under the
 * read lock of its own bus and so must not register on that bus (moving a
 * BAR from a port-I/O config write is fine: another bus), except the
 * handler of a fixed range (bus_register_fixed), which runs outside the
 * lock: a PCI ECAM window, whose config writes move BARs on the same MMIO
 * bus. Each device serialises its own state.
 */
#ifndef BUS_H
#define BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

/* A device's view of one access: `offset` is relative to the base the
 * device registered, `data` holds `len` bytes (1, 2, 4 or 8) in guest
 * (little-endian) order. On a read the handler fills `data`. */
typedef void (*bus_handler)(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_handler fn;
	void *opaque;
	const char *name;
	bool fixed; /* bus_register_fixed: never removed, handler unlocked */
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct bus_range *r;
	size_t n, cap;
};

#define BUS_INIT(nm) {.name = (nm), .lock = PTHREAD_RWLOCK_INITIALIZER}

/* Returns 0, or -1 with errno EINVAL (zero length or wrap-around), EEXIST
 * (overlap with a registered range) or ENOMEM. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_handler fn,
		 void *opaque, const char *name);
/* The same for a range that stays for the bus's life: its handler runs
 * outside the bus lock, so it may register and unregister other ranges. */
int bus_register_fixed(struct bus *b, uint64_t base, uint64_t len, bus_handler fn,
		       void *opaque, const char *name);
/* Removes the range registered at exactly `base`; returns 0 or -1 (ENOENT,
 * or EBUSY for a fixed range). */
int bus_unregister(struct bus *b, uint64_t base);
/* Copies the range that holds the whole access [addr, addr + len) to *out;
 * returns false when there is none. */
bool bus_find(struct bus *b, uint64_t addr, uint32_t len, struct bus_range *out);
/* Dispatches one access. Returns false when no device claims it; the caller
 * then applies the architectural answer (reads return all-ones). */
bool bus_access(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len,
		bool is_write);
void bus_free(struct bus *b);

#endif
