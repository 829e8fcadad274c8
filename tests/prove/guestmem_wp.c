/*
 * The guest-memory choke point, proved with WP (tests/prove/README.md):
 * the contract of gm_ptr(), given here on its prototype and merged by
 * Frama-C with the definition in src/vmm/guestmem.c.
 *
 * What gm_ptr promises: for a guestmem that describes its mapping (gm_ok),
 * the pointer it returns is the host address of gpa in the guest-physical
 * layout of guestmem.h (low RAM at `base`, 0 on a PC, the rest at 4 GiB), the whole range
 * [gpa, gpa + len) is inside the mapping, and it returns NULL for every
 * range that is not wholly RAM in one region, including len 0 and ranges
 * that wrap the 64-bit address space (ACSL integers do not wrap, so
 * gpa + len below is the true sum).
 */
#include "guestmem.h"

/* gm_ok, gm_in_low, gm_in_high and gm_inside are in guestmem.h, where
 * the proofs of the modules that call gm_ptr() see them too. */

/* C11 6.2.5p9: unsigned arithmetic is modulo 2^64. WP's integer theory
 * leaves conversions to uint64_t abstract outside the type's range (only
 * the range and the identity inside it are given), so the one instance
 * gm_ptr's wrap check relies on, a sum of two uint64_t that reaches 2^64
 * once, is given here as an axiom: it is the C semantics, not a property
 * of our code. */
/*@ axiomatic C_unsigned_wrap {
      axiom u64_wrap_once:
        \forall integer x; 18446744073709551616 <= x < 36893488147419103232 ==>
          (uint64_t)x == x - 18446744073709551616;
    }
*/

/*@ requires gm_ok(gm);
    assigns \result \from gm->host, gm->size, gm->low_size, gm->base, gpa, len;
    ensures in_ram: \result != \null ==> \valid((uint8_t *)\result + (0 .. len - 1));
    ensures inside: \result != \null ==> gm_inside(gm, (uint8_t *)\result, len);
    behavior low:
      assumes gm_in_low(gm, gpa, len);
      ensures \result == gm->host + (gpa - gm->base);
    behavior high:
      assumes gm_in_high(gm, gpa, len);
      ensures \result == gm->host + gm->low_size + (gpa - GM_HIGH_BASE);
    behavior outside:
      assumes !gm_in_low(gm, gpa, len) && !gm_in_high(gm, gpa, len);
      ensures \result == \null;
    complete behaviors;
    disjoint behaviors;
*/
void *gm_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len);
