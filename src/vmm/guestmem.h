/*
 * guestmem: guest RAM and the one choke point through which the monitor
 * touches it.
 *
 * Owns: the anonymous mapping that backs guest RAM and the guest-physical
 * layout of that RAM (low RAM from 0 up to the PCI hole, the rest above
 * 4 GiB), and the E820 map that describes it to the guest.
 *
 * Every access to guest memory goes through gm_ptr(), which checks the whole
 * [gpa, gpa + len) range; nothing else in the monitor computes host pointers
 * into guest RAM.
 */
#ifndef GUESTMEM_H
#define GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

/* Guest-physical layout. RAM above GM_LOW_LIMIT is relocated to 4 GiB so
 * that [GM_LOW_LIMIT, 4 GiB) stays free for MMIO: PCI BARs, the IOAPIC at
 * 0xfec00000 and the LAPIC at 0xfee00000. */
#define GM_LOW_LIMIT 0xc0000000ull
#define GM_HIGH_BASE 0x100000000ull
#define GM_MMIO_BASE GM_LOW_LIMIT
/* The legacy hole: the EBDA, VGA window and BIOS area are not RAM to a PC
 * guest. It is reported reserved in the E820 map. */
#define GM_EBDA_START 0x9fc00ull
#define GM_BIOS_END 0x100000ull
/* Smallest and largest guest we accept. */
#define GM_MIN_SIZE (2ull << 20)
#define GM_MAX_SIZE (64ull << 30)

struct guestmem {
	uint8_t *host;     /* mapping of all guest RAM, low part first */
	uint64_t size;     /* bytes of RAM */
	uint64_t base;     /* gpa of the low part: 0 on a PC */
	uint64_t low_size; /* bytes mapped at gpa `base` */
};

/* The layout above in ACSL, for the proofs of tests/prove/ (README.md
 * there): gm_ok holds of a guestmem that describes its mapping (what
 * gm_init establishes), gm_in_low/gm_in_high of a range wholly in one RAM
 * region, gm_inside of host memory wholly inside the mapping. */
/*@ predicate gm_ok(struct guestmem *gm) =
      \valid_read(gm) &&
      gm->low_size <= gm->size && gm->size <= GM_MAX_SIZE &&
      gm->base + gm->low_size <= GM_HIGH_BASE + GM_MAX_SIZE &&
      (gm->size > gm->low_size ==> gm->low_size == GM_LOW_LIMIT && gm->base == 0) &&
      \valid(gm->host + (0 .. gm->size - 1));

    predicate gm_in_low(struct guestmem *gm, integer gpa, integer len) =
      len > 0 && gpa >= gm->base && gpa + len <= gm->base + gm->low_size;

    predicate gm_in_high(struct guestmem *gm, integer gpa, integer len) =
      len > 0 && gpa >= GM_HIGH_BASE &&
      gpa + len <= GM_HIGH_BASE + (gm->size - gm->low_size);

    predicate gm_ram_inside(uint8_t *host, integer size, uint8_t *p, integer len) =
      \base_addr(p) == \base_addr(host) && host <= p && p + len <= host + size;

    predicate gm_inside(struct guestmem *gm, uint8_t *p, integer len) =
      gm_ram_inside(gm->host, gm->size, p, len);
*/

/* E820 types (ACPI spec, "Address Range Types"). */
enum { E820_RAM = 1, E820_RESERVED = 2 };

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Maps `size` bytes of zeroed RAM. Returns 0, or -1 with errno set (EINVAL
 * for a size outside [GM_MIN_SIZE, GM_MAX_SIZE] or not a multiple of 4 KiB,
 * ENOMEM when the host cannot map it). */
int gm_init(struct guestmem *gm, uint64_t size);
/* RAM in one piece at gpa `base` (arm64: arm64map.h), no hole. */
int gm_init_at(struct guestmem *gm, uint64_t base, uint64_t size);
void gm_free(struct guestmem *gm);

/* The choke point: a host pointer for [gpa, gpa + len), or NULL unless the
 * whole range is RAM within one contiguous region. len 0 is refused. */
void *gm_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len);

/* Fills `out` (capacity `max`) with the guest's memory map, sorted and
 * non-overlapping; returns the number of entries. */
size_t gm_e820(const struct guestmem *gm, struct e820_entry *out, size_t max);

/* Parses a size such as "256M", "1G", "65536K" or "1048576" (bytes).
 * Returns 0, or -1 on a malformed or overflowing value. */
int gm_parse_size(const char *s, uint64_t *out);

#endif
