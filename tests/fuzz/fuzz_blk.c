/*
 * fuzz_blk: virtio-blk requests (src/vmm/virtio/blk.c) as chains the input
 * builds, served against a 64 KiB in-memory image, with the device's
 * promises checked: it answers every chain that has a writable byte
 * (status OK, IOERR or UNSUPP in the last writable byte), never claims to
 * have written more than the chain holds, never grows the image, and a
 * read-only disk's image never changes.
 *
 * Input format: byte 0: bit 0 read-only, bit 1 discard offered; byte 1:
 * number of buffers (1 + b % 8); then per buffer 2 bytes of length (le,
 * % 2049) and a flags byte (bit 0: device-writable). Readable buffers are
 * put before writable ones, as the walker guarantees. The remaining bytes
 * fill the buffers in order (the header first).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DISK (64u << 10)
#define MAXB 8
#define MAXLEN 2048

static struct virtio_blk b;
static uint8_t bufs[MAXB][MAXLEN + 1];
static uint8_t before[DISK], after[DISK];
static struct virtq_chain c;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (b.sectors == 0) {
		b.fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
		if (b.fd < 0 || ftruncate(b.fd, DISK))
			abort();
		b.sectors = DISK / 512;
		memcpy(b.id, "fuzz-disk", 9);
	}
	if (size < 2)
		return 0;
	b.readonly = data[0] & 1;
	b.discard = data[0] & 2;
	unsigned n = 1 + data[1] % MAXB;
	size_t i = 2;
	struct {
		uint32_t len;
		bool w;
	} spec[MAXB];
	for (unsigned k = 0; k < n; k++) {
		uint16_t len = 0;
		bool w = false;
		if (i + 3 <= size) {
			len = (uint16_t)(data[i] | data[i + 1] << 8);
			w = data[i + 2] & 1;
			i += 3;
		}
		spec[k].len = len % (MAXLEN + 1);
		spec[k].w = w;
	}
	memset(&c, 0, sizeof(c));
	unsigned nb = 0;
	for (int pass = 0; pass < 2; pass++)
		for (unsigned k = 0; k < n; k++) {
			if (spec[k].w != (pass == 1) || !spec[k].len)
				continue;
			uint8_t *p = bufs[nb];
			size_t take = size - i < spec[k].len ? size - i : spec[k].len;
			memset(p, 0, spec[k].len);
			memcpy(p, data + i, take);
			i += take;
			c.buf[nb++] = (struct virtq_buf){p, spec[k].len};
			if (pass) {
				c.nw++;
				c.wlen += spec[k].len;
			} else {
				c.nr++;
				c.rlen += spec[k].len;
			}
		}
	if (b.readonly && pread(b.fd, before, DISK, 0) != DISK)
		abort();
	uint32_t written = 0;
	int r = virtio_blk_serve(&b, 0, &c, &written);
	if (r < 0) {
		if (c.wlen)
			abort(); /* there was somewhere to answer */
		return 0;
	}
	if (!c.wlen || written > c.wlen || written < 1)
		abort();
	const struct virtq_buf *last = &c.buf[c.nr + c.nw - 1];
	uint8_t st = last->host[last->len - 1];
	if (st > VIRTIO_BLK_S_UNSUPP)
		abort();
	struct stat sb;
	if (fstat(b.fd, &sb) || sb.st_size != DISK)
		abort();
	if (b.readonly && (pread(b.fd, after, DISK, 0) != DISK || memcmp(before, after, DISK)))
		abort();
	return 0;
}
