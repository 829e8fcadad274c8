/*
 * fuzz_virtq: the split virtqueue walker (src/vmm/virtio/virtq.c) on rings
 * the input writes, with the walker's promises checked on every chain:
 * at most `size` buffers, at most VIRTQ_MAX_CHAIN_BYTES, every buffer
 * wholly inside guest RAM, readable buffers before writable ones, and a
 * refused ring stays refused. Loops must end (libFuzzer's timeout).
 *
 * Input format: byte 0: queue size 1 << (b & 7), EVENT_IDX if b & 8,
 * INDIRECT_DESC if b & 16. The rest is copied to guest-physical 0x1000:
 * the descriptor table (16 * size bytes) followed at once by the
 * available ring (flags, idx, ring[size], used_event); descriptors may
 * point anywhere, including at the input itself (an indirect table). The
 * used ring is at 0x8000.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guestmem.h"
#include "virtq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RING_GPA 0x1000u
#define USED_GPA 0x8000u
#define MAX_INPUT 0x6000u

static struct guestmem gm;
static struct virtq_chain chain;

static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	if (c->nr + c->nw > q->size || c->rlen + c->wlen > VIRTQ_MAX_CHAIN_BYTES)
		abort();
	if (c->head >= q->size)
		abort();
	uint64_t r = 0, w = 0;
	for (unsigned k = 0; k < c->nr + c->nw; k++) {
		const struct virtq_buf *b = &c->buf[k];
		if (!b->len || b->host < gm.host || b->host + b->len > gm.host + gm.size)
			abort();
		if (k < c->nr)
			r += b->len;
		else
			w += b->len;
	}
	if (r != c->rlen || w != c->wlen)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!gm.host && gm_init(&gm, 2u << 20))
		abort();
	if (size < 1)
		return 0;
	uint16_t qsize = (uint16_t)(1u << (data[0] & 7));
	bool event_idx = data[0] & 8, indirect = data[0] & 16;
	memset(gm.host, 0, 0x10000);
	size_t n = size - 1 < MAX_INPUT ? size - 1 : MAX_INPUT;
	memcpy(gm.host + RING_GPA, data + 1, n);
	struct virtq q;
	uint64_t avail = RING_GPA + 16u * qsize;
	if (virtq_init(&q, &gm, qsize, RING_GPA, avail, USED_GPA, event_idx, indirect))
		abort(); /* the layout is valid by construction */
	for (unsigned i = 0; i < 4u * qsize + 4; i++) {
		int r = virtq_pop(&q, &chain);
		if (r == 0)
			break;
		if (r < 0) {
			if (!q.broken || !q.why || virtq_pop(&q, &chain) != -1)
				abort();
			break;
		}
		check_chain(&q, &chain);
		virtq_push(&q, chain.head, (uint32_t)chain.wlen);
		(void)virtq_need_notify(&q);
	}
	return 0;
}
