/* Stubs for the host, for Frama-C only (tests/prove/prove.py force-includes
 * this file before every analysed source). Each is an assumption of the
 * proofs; README.md lists them.
 *
 * - Frama-C's libc has no MAP_NORESERVE (gm_init's mmap flag); its value
 *   does not matter to anything proved.
 * - The GCC __atomic builtins are unknown to Frama-C: a load is a plain
 *   read of the 16-bit field and an exchange a plain write that returns the
 *   old value. This is what they do on one thread; what they order between
 *   threads is ThreadSanitizer's business (make tsan), not these proofs'.
 */
#ifndef PROVE_STUBS_H
#define PROVE_STUBS_H

#define MAP_NORESERVE 0x4000

#define __atomic_load_n(p, order) (*(p))
#define __atomic_exchange_n(p, v, order) prove_xchg16((p), (v))

#include <stdint.h>
/*@ requires \valid(p);
    assigns *p \from v;
    ensures *p == v && \result == \old(*p); */
static inline uint16_t prove_xchg16(uint16_t *p, uint16_t v)
{
	uint16_t old = *p;
	*p = v;
	return old;
}

#endif
