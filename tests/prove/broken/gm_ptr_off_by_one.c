/*
 * A deliberately broken copy of gm_ptr() (src/vmm/guestmem.c), kept as a
 * test input of `make prove`: the low-RAM bound is off by one (<= low_size
 * + 1), so a range that ends one byte past low RAM is accepted. The proof
 * of tests/prove/guestmem_wp.c must fail on it; tests/prove/prove.py
 * checks that it does, so the proof is shown to check the bound.
 */
#include "guestmem.h"

void *gm_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	if (gpa >= gm->base && gpa - gm->base + len <= gm->low_size + 1)
		return gm->host + (gpa - gm->base);
	uint64_t high = gm->size - gm->low_size;
	if (gpa >= GM_HIGH_BASE && gpa - GM_HIGH_BASE <= high &&
	    len <= high - (gpa - GM_HIGH_BASE))
		return gm->host + gm->low_size + (gpa - GM_HIGH_BASE);
	return NULL;
}
