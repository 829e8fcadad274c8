/* Stubs for the host, for Frama-C only (tests/prove/prove.py force-includes
 * this file before every analysed source). Each is an assumption of the
 * proofs; README.md lists them.
 *
 * - Frama-C's libc has no MAP_NORESERVE (gm_init's mmap flag); its value
 *   does not matter to anything proved.
 * - The GCC __atomic builtins are unknown to Frama-C. Every one in the
 *   proved code is a 16-bit access to a ring field in guest memory, so
 *   each is a contract on the two bytes it touches: a load reads them and
 *   returns any value (the driver writes them at any time, so nothing may
 *   be assumed of it), an exchange writes them. What they order between
 *   threads is ThreadSanitizer's subject (make tsan), not these proofs'.
 *   The contracts take byte pointers: WP's typed memory model does not
 *   see two bytes of guest memory as one uint16_t, and the casts to and
 *   from uint16_t * around them keep the pointer's value.
 */
#ifndef PROVE_STUBS_H
#define PROVE_STUBS_H

#define MAP_NORESERVE 0x4000

#define __atomic_load_n(p, order) prove_load16((const void *)(p))
#define __atomic_exchange_n(p, v, order) prove_xchg16((void *)(p), (v))

#include <stdint.h>
/*@ requires \valid_read((const uint8_t *)p + (0 .. 1));
    assigns \result \from ((const uint8_t *)p)[0 .. 1]; */
uint16_t prove_load16(const void *p);

/*@ requires \valid((uint8_t *)p + (0 .. 1));
    assigns ((uint8_t *)p)[0 .. 1] \from v; */
uint16_t prove_xchg16(void *p, uint16_t v);

#endif
