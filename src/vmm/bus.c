/* bus: sorted, non-overlapping device ranges on one address space. */
#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Index of the first range whose end is above addr (ranges are sorted and
 * disjoint, so ends are sorted too). */
static size_t first_ending_after(const struct bus *b, uint64_t addr)
{
	size_t lo = 0, hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->r[mid].base + b->r[mid].len - 1 < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int register_locked(struct bus *b, uint64_t base, uint64_t len, bus_handler fn,
			   void *opaque, const char *name, bool fixed)
{
	if (len == 0 || base + (len - 1) < base || !fn) {
		errno = EINVAL;
		return -1;
	}
	size_t i = first_ending_after(b, base);
	if (i < b->n && b->r[i].base <= base + (len - 1)) {
		errno = EEXIST;
		return -1;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *r = realloc(b->r, cap * sizeof(*r));
		if (!r)
			return -1;
		b->r = r;
		b->cap = cap;
	}
	memmove(&b->r[i + 1], &b->r[i], (b->n - i) * sizeof(*b->r));
	b->r[i] = (struct bus_range){base, len, fn, opaque, name, fixed};
	b->n++;
	return 0;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_handler fn,
		 void *opaque, const char *name)
{
	pthread_rwlock_wrlock(&b->lock);
	int r = register_locked(b, base, len, fn, opaque, name, false);
	pthread_rwlock_unlock(&b->lock);
	return r;
}

int bus_register_fixed(struct bus *b, uint64_t base, uint64_t len, bus_handler fn,
		       void *opaque, const char *name)
{
	pthread_rwlock_wrlock(&b->lock);
	int r = register_locked(b, base, len, fn, opaque, name, true);
	pthread_rwlock_unlock(&b->lock);
	return r;
}

int bus_unregister(struct bus *b, uint64_t base)
{
	int ret = 0;
	pthread_rwlock_wrlock(&b->lock);
	size_t i = first_ending_after(b, base);
	if (i == b->n || b->r[i].base != base) {
		errno = ENOENT;
		ret = -1;
	} else if (b->r[i].fixed) {
		errno = EBUSY;
		ret = -1;
	} else {
		memmove(&b->r[i], &b->r[i + 1], (b->n - i - 1) * sizeof(*b->r));
		b->n--;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

static const struct bus_range *find_locked(const struct bus *b, uint64_t addr, uint32_t len)
{
	if (len == 0 || addr + (len - 1) < addr)
		return NULL;
	size_t i = first_ending_after(b, addr);
	if (i == b->n || b->r[i].base > addr)
		return NULL;
	const struct bus_range *r = &b->r[i];
	if (addr + (len - 1) > r->base + (r->len - 1))
		return NULL; /* straddles the end of the device */
	return r;
}

bool bus_find(struct bus *b, uint64_t addr, uint32_t len, struct bus_range *out)
{
	pthread_rwlock_rdlock(&b->lock);
	const struct bus_range *r = find_locked(b, addr, len);
	if (r)
		*out = *r;
	pthread_rwlock_unlock(&b->lock);
	return r != NULL;
}

bool bus_access(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	pthread_rwlock_rdlock(&b->lock);
	const struct bus_range *r = find_locked(b, addr, len);
	struct bus_range fixed = {0};
	bool found = r != NULL;
	if (r && r->fixed)
		fixed = *r; /* called below, once the lock is dropped */
	else if (r)
		r->fn(r->opaque, addr - r->base, data, len, is_write);
	pthread_rwlock_unlock(&b->lock);
	if (fixed.fn)
		fixed.fn(fixed.opaque, addr - fixed.base, data, len, is_write);
	return found;
}

void bus_free(struct bus *b)
{
	free(b->r);
	b->r = NULL;
	b->n = b->cap = 0;
}
