/*
 * fuzz_fwcfg: drives the fw_cfg device (PC items, a small kernel and
 * initrd) with guest port accesses and DMA transfers whose access
 * structures come from the input, and checks that no item ever changes
 * (all are read-only), that every answered DMA structure reads 0 or the
 * error bit, and that the offset never passes the selected item's end.
 *
 * Input format, one operation after another (tests/fuzz/make_fwcfg_seeds.py
 * writes seeds in it). Operation byte `op`, n = op >> 3:
 *   op & 7 == 0   select: the next 2 bytes (little-endian) to the selector
 *   op & 7 == 1   read n + 1 bytes from the data port
 *   op & 7 == 2   DMA: the next 16 bytes are the FWCfgDmaAccess, stored at
 *                 ACC; its address is written high half, then low half
 *   op & 7 == 3   DMA at an address from the next 8 bytes (big-endian)
 *   op & 7 == 4   any access: offset = next byte & 15, length 1 << (n & 3),
 *                 write when n & 4, the value from the next 8 bytes
 *   op & 7 == 5   the next n bytes into guest RAM at ACC + 16 * next byte
 *   op & 7 == 6   a 2-byte selector write from the next 2 bytes through
 *                 fwcfg_io's generic path with length n & 7 (1..8 or 0 -> 2)
 *   op & 7 == 7   DMA of a structure with control from the next 4 bytes,
 *                 length the next 2, to ACC + 0x100
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ACC 0x8000u

static uint64_t hash_items(const struct fwcfg *f)
{
	uint64_t h = 1469598103934665603ull;
	for (unsigned i = 0; i < f->nitems; i++) {
		const struct fwcfg_item *it = &f->items[i];
		h = (h ^ it->key ^ ((uint64_t)it->len << 16)) * 1099511628211ull;
		for (uint32_t k = 0; k < it->len; k++)
			h = (h ^ it->data[k]) * 1099511628211ull;
	}
	return h;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void dma_to(struct fwcfg *f, const struct guestmem *gm, uint64_t addr)
{
	uint8_t hi[4], lo[4];
	put_be(hi, addr >> 32, 4);
	put_be(lo, (uint32_t)addr, 4);
	fwcfg_io(f, 4, hi, 4, true);
	fwcfg_io(f, 8, lo, 4, true);
	const uint8_t *a = gm_ptr(gm, addr, 4);
	/* An answered structure holds 0 or the error bit, unless the
	 * transfer itself overwrote it after the answer: it cannot, the
	 * answer is written last. */
	if (a && !(a[0] == 0 && a[1] == 0 && a[2] == 0 && (a[3] == 0 || a[3] == FWCFG_DMA_ERROR)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guestmem gm;
	static struct fwcfg f;
	static uint8_t kernel[0x1200], initrd[300];
	static uint64_t want;
	static int ready;
	if (!ready) {
		if (gm_init(&gm, GM_MIN_SIZE))
			abort();
		for (size_t i = 0; i < sizeof(kernel); i++)
			kernel[i] = (uint8_t)(i * 7);
		memcpy(kernel + 0x202, "HdrS", 4);
		kernel[0x1f1] = 2;
		memset(initrd, 0xa5, sizeof(initrd));
		fwcfg_init(&f, &gm);
		struct fwcfg_pc pc = {
			.ncpus = 3, .max_cpus = 3, .kernel = kernel, .kernel_size = sizeof(kernel),
			.initrd = initrd, .initrd_size = sizeof(initrd), .cmdline = "fuzz",
			.bootorder = "/pci@i0cf8/scsi@1/disk@0,0\n",
		};
		char err[128];
		if (fwcfg_add_pc(&f, &pc, err, sizeof(err)))
			abort();
		want = hash_items(&f);
		ready = 1;
	}
	/* Each input starts from a selected nothing and zeroed RAM. */
	memset(gm.host, 0, gm.size);
	uint8_t z[2] = {0xff, 0xff};
	fwcfg_io(&f, 0, z, 2, true);

	size_t i = 0;
	while (i < size) {
		uint8_t op = data[i++];
		unsigned n = op >> 3;
		uint8_t b[16] = {0};
		switch (op & 7) {
		case 0: {
			size_t k = size - i < 2 ? size - i : 2;
			memcpy(b, data + i, k);
			i += k;
			fwcfg_io(&f, 0, b, 2, true);
			break;
		}
		case 1:
			for (unsigned k = 0; k <= n; k++)
				fwcfg_io(&f, 1, b, 1, false);
			break;
		case 2: {
			size_t k = size - i < 16 ? size - i : 16;
			memcpy(b, data + i, k);
			i += k;
			memcpy(gm_ptr(&gm, ACC, 16), b, 16);
			dma_to(&f, &gm, ACC);
			break;
		}
		case 3: {
			uint64_t a = 0;
			for (unsigned k = 0; k < 8 && i < size; k++)
				a = a << 8 | data[i++];
			dma_to(&f, &gm, a);
			break;
		}
		case 4: {
			uint8_t off = i < size ? data[i++] & 15 : 0;
			uint32_t len = 1u << (n & 3);
			size_t k = size - i < 8 ? size - i : 8;
			memcpy(b, data + i, k);
			i += k;
			fwcfg_io(&f, off, b, len, n & 4);
			break;
		}
		case 5: {
			uint8_t where = i < size ? data[i++] : 0;
			size_t k = size - i < n ? size - i : n;
			memcpy(gm_ptr(&gm, ACC + 16u * where, 32), data + i, k);
			i += k;
			break;
		}
		case 6: {
			size_t k = size - i < 2 ? size - i : 2;
			memcpy(b, data + i, k);
			i += k;
			fwcfg_io(&f, 0, b, (n & 7) ? (n & 7) : 2, true);
			break;
		}
		default: {
			uint8_t *a = gm_ptr(&gm, ACC + 0x100, 16);
			memset(a, 0, 16);
			size_t k = size - i < 6 ? size - i : 6;
			memcpy(a, data + i, k < 4 ? k : 4);
			if (k > 4)
				memcpy(a + 6, data + i + 4, k - 4); /* low bytes of the length */
			i += k;
			put_be(a + 8, ACC + 0x200, 8);
			dma_to(&f, &gm, ACC + 0x100);
			break;
		}
		}
		if (f.cur >= (int)f.nitems || (f.cur >= 0 && f.off > f.items[f.cur].len) ||
		    (f.cur < 0 && f.off != 0))
			abort();
	}
	if (hash_items(&f) != want)
		abort(); /* a guest changed an item */
	return 0;
}
