/*
 * fuzz_bus: register, unregister and look up ranges on one bus, against a
 * brute-force model (a list of ranges); the bus must agree with it on
 * every step.
 *
 * Input: operations of a control byte `c` and 8 + 8 bytes (base, length;
 * little-endian; missing bytes read 0). The length is cut to the bits of
 * c >> 2 & 63 so that small, huge and wrapping ranges all occur; the base
 * is taken near an existing range's edge when c & 0x80:
 *   c & 3 == 0  bus_register(base, len); refused exactly when len is 0,
 *               the range wraps, or it overlaps a model range
 *   c & 3 == 1  bus_unregister(base): succeeds exactly when a model range
 *               starts there
 *   c & 3 == 2  bus_find(base, len & 15): the model range holding the
 *               whole access, or none
 *   c & 3 == 3  bus_access(base, len % 9): the handler sees the right
 *               device and offset
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXR 64

struct mrange {
	uint64_t base, len;
};

static struct mrange model[MAXR];
static size_t nmodel;
static uint64_t seen_off;
static void *seen_dev;

static void handler(void *opaque, uint64_t off, uint8_t *d, uint32_t len, bool is_write)
{
	(void)d;
	(void)len;
	(void)is_write;
	seen_dev = opaque;
	seen_off = off;
}

static uint64_t get64(const uint8_t *p, size_t avail)
{
	uint64_t v = 0;
	for (size_t i = 0; i < 8 && i < avail; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static bool overlaps(uint64_t base, uint64_t len)
{
	for (size_t i = 0; i < nmodel; i++)
		if (base <= model[i].base + (model[i].len - 1) &&
		    model[i].base <= base + (len - 1))
			return true;
	return false;
}

static const struct mrange *holder(uint64_t addr, uint64_t len)
{
	if (len == 0 || addr + (len - 1) < addr)
		return NULL;
	for (size_t i = 0; i < nmodel; i++)
		if (addr >= model[i].base && addr + (len - 1) <= model[i].base + (model[i].len - 1))
			return &model[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bus b = BUS_INIT("fuzz");
	nmodel = 0;
	for (size_t i = 0; i < size; i += 17) {
		uint8_t c = data[i];
		size_t avail = size - i - 1;
		uint64_t base = get64(data + i + 1, avail);
		uint64_t len = get64(data + i + 9, avail > 8 ? avail - 8 : 0);
		unsigned bits = (c >> 2) & 63;
		len &= bits == 0 ? 0 : (~0ull >> (64 - bits));
		if ((c & 0x80) && nmodel) {
			const struct mrange *r = &model[base % nmodel];
			base = (base & 0x100) ? r->base + r->len + (int8_t)(base >> 16)
					      : r->base + (int8_t)(base >> 16);
		}
		switch (c & 3) {
		case 0: {
			bool ok = len != 0 && base + (len - 1) >= base && !overlaps(base, len);
			if (ok && nmodel == MAXR)
				break;
			int r = bus_register(&b, base, len, handler, (void *)(uintptr_t)(nmodel + 1), "r");
			if ((r == 0) != ok)
				abort();
			if (ok)
				model[nmodel++] = (struct mrange){base, len};
			break;
		}
		case 1: {
			size_t j;
			for (j = 0; j < nmodel && model[j].base != base; j++)
				;
			int r = bus_unregister(&b, base);
			if ((r == 0) != (j < nmodel))
				abort();
			if (j < nmodel)
				model[j] = model[--nmodel];
			break;
		}
		case 2: {
			uint32_t l = (uint32_t)(len & 15);
			struct bus_range out;
			bool found = bus_find(&b, base, l, &out);
			const struct mrange *m = holder(base, l);
			if (found != (m != NULL))
				abort();
			if (found && (out.base != m->base || out.len != m->len))
				abort();
			break;
		}
		default: {
			uint32_t l = (uint32_t)(len % 9);
			uint8_t buf[8] = {0};
			seen_dev = NULL;
			const struct mrange *m = holder(base, l);
			bool hit = bus_access(&b, base, buf, l, (c & 4) != 0);
			if (hit != (m != NULL))
				abort();
			if (hit && seen_off != base - m->base)
				abort();
			break;
		}
		}
	}
	bus_free(&b);
	return 0;
}
