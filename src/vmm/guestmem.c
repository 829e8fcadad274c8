/* guestmem: guest RAM mapping and the gpa -> host pointer choke point. */
#include "guestmem.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

int gm_init(struct guestmem *gm, uint64_t size)
{
	gm->host = NULL;
	gm->size = gm->low_size = gm->base = 0;
	if (size < GM_MIN_SIZE || size > GM_MAX_SIZE || (size & 0xfff)) {
		errno = EINVAL;
		return -1;
	}
	/* MAP_NORESERVE: the guest touches what it uses; the host commits
	 * pages lazily, so a 256 MiB guest that uses 8 MiB costs 8 MiB. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	gm->host = p;
	gm->size = size;
	gm->low_size = size < GM_LOW_LIMIT ? size : GM_LOW_LIMIT;
	return 0;
}

int gm_init_at(struct guestmem *gm, uint64_t base, uint64_t size)
{
	if (gm_init(gm, size))
		return -1;
	gm->base = base;
	gm->low_size = size;
	return 0;
}

void gm_free(struct guestmem *gm)
{
	if (gm->host)
		munmap(gm->host, gm->size);
	gm->host = NULL;
	gm->size = gm->low_size = gm->base = 0;
}

void *gm_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	if (gpa >= gm->base && gpa - gm->base + len <= gm->low_size)
		return gm->host + (gpa - gm->base);
	uint64_t high = gm->size - gm->low_size;
	if (gpa >= GM_HIGH_BASE && gpa - GM_HIGH_BASE <= high &&
	    len <= high - (gpa - GM_HIGH_BASE))
		return gm->host + gm->low_size + (gpa - GM_HIGH_BASE);
	return NULL;
}

size_t gm_e820(const struct guestmem *gm, struct e820_entry *out, size_t max)
{
	struct e820_entry all[4];
	size_t n = 0;
	all[n++] = (struct e820_entry){0, GM_EBDA_START, E820_RAM};
	all[n++] = (struct e820_entry){GM_EBDA_START, GM_BIOS_END - GM_EBDA_START,
				       E820_RESERVED};
	if (gm->low_size > GM_BIOS_END)
		all[n++] = (struct e820_entry){GM_BIOS_END, gm->low_size - GM_BIOS_END,
					       E820_RAM};
	if (gm->size > gm->low_size)
		all[n++] = (struct e820_entry){GM_HIGH_BASE, gm->size - gm->low_size,
					       E820_RAM};
	size_t i;
	for (i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return i;
}

int gm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -1;
	}
	if (*end == 'i' && shift) /* accept "MiB"-style suffixes too */
		end++;
	if ((*end == 'B' || *end == 'b') && shift)
		end++;
	if (*end != '\0' || (shift && v > (~0ull >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}
