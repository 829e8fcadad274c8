/*
 * virtq: the split virtqueue (virtio 1.2 section 2.7), seen from the device.
 * Every virtio device uses this one module to take requests from the guest
 * and give them back.
 *
 * Owns: the device's view of one queue: the host pointers of its
 * descriptor table, available ring and used ring (each translated once,
 * for its whole length, through gm_ptr() when the queue is set up), the
 * device's shadow indices (next available entry to take, next used entry
 * to fill), EVENT_IDX notification suppression (2.7.7.2, 2.7.10), and the
 * walk of a descriptor chain into a list of host buffers.
 *
 * Everything in the rings is hostile guest data. A chain is accepted only
 * if every descriptor's buffer lies wholly in guest RAM (gm_ptr over its
 * whole length), it has at most `size` buffers (2.7.5.3.1; this bound also
 * ends any loop), its total length is at most VIRTQ_MAX_CHAIN_BYTES, every
 * device-readable buffer comes before every device-writable one (2.7.4.2),
 * and an indirect descriptor (2.7.5.3) is used only when negotiated, never
 * with NEXT, never inside an indirect table, has a length that is a
 * non-zero multiple of 16, and its table's NEXT links stay inside it.
 * Indices are masked with size - 1 (sizes are powers of two, 2.7); an
 * available index that runs more than `size` ahead, or a head outside the
 * table, is refused too. A refused ring marks the queue broken: it pops
 * nothing more until it is set up again, and the transport puts the device
 * in DEVICE_NEEDS_RESET (2.1.2). Nothing here asserts, loops unbounded or
 * reads a guest value twice.
 *
 * Threads: a queue belongs to one thread (the device's worker) from
 * virtq_init() on; nothing here locks.
 *
 * The host is x86-64, little-endian like virtio's fields: they are read
 * and written in place.
 */
#ifndef VIRTQ_H
#define VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guestmem.h"
#include "virtio_spec.h" /* the ring flags (2.7.5, 2.7.6, 2.7.8) */

#define VIRTQ_MAX_SIZE 256u                /* the largest queue a device offers */
#define VIRTQ_MAX_CHAIN_BYTES (64u << 20)  /* cap on one chain's total length */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* One guest buffer of a chain, as host memory. */
struct virtq_buf {
	uint8_t *host;
	uint32_t len;
};

/* A chain taken from the available ring: the device-readable buffers
 * buf[0 .. nr), then the device-writable ones buf[nr .. nr + nw).
 * Zero-length descriptors are skipped. */
struct virtq_chain {
	uint16_t head; /* what goes back in the used ring */
	unsigned nr, nw;
	uint64_t rlen, wlen; /* total bytes readable, writable */
	struct virtq_buf buf[VIRTQ_MAX_SIZE];
};

/* virtq_init sets every field by name (no memset: the proof's model,
 * tests/prove/README.md): a field added here is added there. */
struct virtq {
	const struct guestmem *gm;
	uint16_t size; /* 0: not set up */
	uint8_t *desc, *avail, *used;
	uint16_t last_avail; /* next available entry to take */
	uint16_t used_idx;   /* next used entry to fill */
	uint16_t signalled;  /* used_idx when the driver was last notified */
	bool event_idx;      /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;       /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool polling;        /* notifications off: the device polls (virtq_notify_off) */
	bool broken;
	const char *why; /* what was wrong, once broken */
};

/* For the proofs of tests/prove/ (README.md there), in ACSL: virtq_ok
 * holds of a queue virtq_init set up (its rings wholly in guest RAM),
 * virtq_chain_ok of a chain every buffer of which is non-empty and lies
 * wholly inside guest RAM, at most `size` of them. */
/*@ predicate virtq_ok(struct virtq *q) =
      \valid(q) && gm_ok(q->gm) && 0 < q->size <= VIRTQ_MAX_SIZE &&
      \valid_read(q->desc + (0 .. 16 * q->size - 1)) &&
      \valid(q->avail + (0 .. 4 + 2 * q->size + 1)) &&
      \valid(q->used + (0 .. 4 + 8 * q->size + 1));

    predicate virtq_chain_ok(struct guestmem *gm, struct virtq_chain *c, integer size) =
      c->nr + c->nw <= size &&
      \forall integer k; 0 <= k < c->nr + c->nw ==>
        c->buf[k].len > 0 && gm_inside(gm, c->buf[k].host, c->buf[k].len) &&
        \valid(c->buf[k].host + (0 .. c->buf[k].len - 1));

    // What the chain copies need of a chain: the buffers' host memory
    // (virtq_chain_ok gives it: prove_chain_bufs in virtq_wp.c).
    predicate virtq_bufs_ok(struct virtq_chain *c) =
      c->nr + c->nw <= VIRTQ_MAX_SIZE &&
      \forall integer k; 0 <= k < c->nr + c->nw ==>
        c->buf[k].len > 0 && \valid(c->buf[k].host + (0 .. c->buf[k].len - 1));
*/

/* Sets q up on the rings the driver gave (2.7 and 4.1.4.3: queue_desc,
 * queue_driver, queue_device). Returns 0, or -1 with q->why set when the
 * size is not a power of two in 1..VIRTQ_MAX_SIZE, a ring is misaligned
 * (2.7: 16, 2 and 4 bytes) or not wholly in RAM. */
int virtq_init(struct virtq *q, const struct guestmem *gm, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used, bool event_idx, bool indirect);

/* Takes the next available chain into *c. Returns 1, 0 when the ring is
 * empty (with EVENT_IDX, avail_event is then set so the driver notifies on
 * its next buffer), or -1 when the ring is malformed (q->broken). */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Chains the driver has made available and we have not taken (what
 * virtq_pop would take), without touching the notification state; 0 when
 * the queue is broken or not set up. A count above the queue size is the
 * driver's error, which the next virtq_pop reports. */
uint16_t virtq_pending(const struct virtq *q);

/* Notification suppression while the device polls the ring itself
 * (2.7.10 with EVENT_IDX: avail_event is moved half the index space away
 * from the driver's index, so no index the driver reaches next passes
 * it; 2.7.7 without: VIRTQ_USED_F_NO_NOTIFY). virtq_pop then leaves it so
 * when the ring runs empty. virtq_notify_on asks for notifications again
 * (avail_event = the next entry, or the flag cleared) and returns whether
 * chains arrived meanwhile: their notification may have been suppressed,
 * so the caller must serve them before it sleeps. */
void virtq_notify_off(struct virtq *q);
bool virtq_notify_on(struct virtq *q);

/* Returns chain `head` with `written` bytes written into its writable
 * buffers (2.7.8). */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* After pushes: whether the driver wants a used buffer notification now
 * (EVENT_IDX: used_event, 2.7.10; otherwise VIRTQ_AVAIL_F_NO_INTERRUPT).
 * False when nothing was pushed since the last notification. */
bool virtq_need_notify(struct virtq *q);

/* Copies up to len bytes at byte offset off of the chain's readable part
 * into dst / from src into its writable part. Return the bytes copied. */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src,
			 size_t len);
/* Fills iov (capacity max) with the byte range [off, off + len) of the
 * writable (or readable) part. Returns the number of entries, or -1 when
 * the range is not wholly in that part or needs more than max entries. */
int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, unsigned max);

#endif
