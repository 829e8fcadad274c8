/* virtq: the split virtqueue from the device's side (virtio 1.2 section 2.7). */
#include "virtq.h"

#include <string.h>

/* Ring layouts (2.7, "Virtqueue Part" table): the descriptor table is
 * 16 * size bytes, 16-aligned; the available ring flags, idx, ring[size],
 * used_event (2-aligned); the used ring flags, idx, ring[size] of
 * {le32 id, le32 len}, avail_event (4-aligned). */
#define DESC_SIZE 16u
#define AVAIL_RING 4u
#define USED_RING 4u
#define USED_ELEM 8u

/*@ assigns \nothing;
    ensures \result == 4 + 2 * size + 2; */
static uint64_t avail_bytes(uint16_t size)
{
	return AVAIL_RING + 2ull * size + 2;
}

/*@ assigns \nothing;
    ensures \result == 4 + 8 * size + 2; */
static uint64_t used_bytes(uint16_t size)
{
	return USED_RING + (uint64_t)USED_ELEM * size + 2;
}

/* The driver writes idx fields while we run: one atomic access each, with
 * acquire on the available index (the ring entries and descriptors it
 * publishes are read after it) and release on the used index (the used
 * element is visible before it). 2.7.13.3.1 and 2.7.8. */
/*@ requires \valid_read(p + (0 .. 1));
    assigns \result \from p[0 .. 1]; */
static uint16_t load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

/* A store that is also a full barrier (an xchg on x86): what follows it
 * reads the driver's fields only after the store is visible. Both sides
 * of notification suppression need this store-then-load order (2.7.10,
 * 2.7.13.4); an exchange gives it where a fence is not accepted (TSan). */
/*@ requires \valid(p + (0 .. 1));
    assigns p[0 .. 1] \from v; */
static void store16_full(uint8_t *p, uint16_t v)
{
	(void)__atomic_exchange_n((uint16_t *)(void *)p, v, __ATOMIC_SEQ_CST);
}

/*@ assigns \nothing;
    ensures \result != 0 ==> v != 0 && (v & (v - 1)) == 0; */
static bool pow2(uint16_t v)
{
	return v && !(v & (v - 1));
}

int virtq_init(struct virtq *q, const struct guestmem *gm, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used, bool event_idx, bool indirect)
{
	/* Every field, by name: what a memset of the struct did, less its
	 * padding, which nothing reads. A store of the whole struct (a memset
	 * or a compound literal) is beyond what WP proves in reasonable time
	 * (tests/prove/README.md); a field added to struct virtq is added
	 * here. */
	q->gm = gm;
	q->size = 0;
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled = 0;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->polling = false;
	q->broken = true;
	q->why = NULL;
	if (!pow2(size) || size > VIRTQ_MAX_SIZE) {
		q->why = "queue size is not a power of two up to the maximum";
		return -1;
	}
	if ((desc & 15) || (avail & 1) || (used & 3)) {
		q->why = "a ring is not aligned (2.7: 16, 2, 4 bytes)";
		return -1;
	}
	q->desc = gm_ptr(gm, desc, (uint64_t)DESC_SIZE * size);
	q->avail = gm_ptr(gm, avail, avail_bytes(size));
	q->used = gm_ptr(gm, used, used_bytes(size));
	if (!q->desc || !q->avail || !q->used) {
		q->why = "a ring is not wholly in guest RAM";
		return -1;
	}
	q->size = size;
	q->broken = false;
	q->why = NULL;
	return 0;
}

/*@ requires \valid(q);
    assigns q->broken, q->why;
    ensures q->broken && \result == -1; */
static int fail(struct virtq *q, const char *why)
{
	q->broken = true;
	q->why = why;
	return -1;
}

/*@ requires \valid_read(table + (0 .. 16 * i + 15));
    requires \valid(d);
    assigns *d \from table[16 * i .. 16 * i + 15]; */
static void read_desc(const uint8_t *table, uint32_t i, struct virtq_desc *d)
{
	/* One copy: later reads of the same descriptor see our copy, not
	 * whatever the guest writes meanwhile. */
	memcpy(d, table + (size_t)i * DESC_SIZE, sizeof(*d));
}

/*
 * The walk (2.7.5, 2.7.5.3). `table` is the descriptor table being walked
 * (the queue's, or one indirect table), `n` its number of entries. Every
 * buffer descriptor counts towards the bound of `size` buffers, so a NEXT
 * loop is refused after at most size + 1 steps plus the single indirect
 * descriptor.
 */
/*@ requires virtq_ok(q) && head < q->size;
    requires \valid(c) && \separated(c, q, q->gm);
    assigns *c, q->broken, q->why;
    ensures \result == 0 || (\result == -1 && q->broken);
    ensures \result == 0 ==> virtq_chain_ok(q->gm, c, q->size); */
static int walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	const uint8_t *table = q->desc;
	uint32_t n = q->size, i = head;
	unsigned count = 0, nbuf = 0;
	bool in_indirect = false, seen_write = false;
	uint64_t total = 0;

	c->head = head;
	c->nr = c->nw = 0;
	c->rlen = c->wlen = 0;
	/* The buffers kept so far are the chain's contract; count bounds
	 * them and, with the one switch to an indirect table, the loop. */
	/*@ loop invariant table: 0 < n <= q->size && i < n &&
	      \valid_read(table + (0 .. 16 * n - 1));
	    loop invariant bound: nbuf == c->nr + c->nw && nbuf <= count <= q->size;
	    loop invariant total: total <= VIRTQ_MAX_CHAIN_BYTES;
	    loop invariant gm: q->gm == \at(q->gm, Pre) && q->size == \at(q->size, Pre) &&
	      q->gm->host == \at(q->gm->host, Pre) && q->gm->size == \at(q->gm->size, Pre);
	    loop invariant bufs: \forall integer k; 0 <= k < nbuf ==>
	      c->buf[k].len > 0 && \valid(c->buf[k].host + (0 .. c->buf[k].len - 1)) &&
	      gm_ram_inside(\at(q->gm->host, Pre), \at(q->gm->size, Pre),
			    c->buf[k].host, c->buf[k].len);
	    loop assigns table, n, i, count, nbuf, in_indirect, seen_write, total,
	      c->nr, c->nw, c->rlen, c->wlen, c->buf[0 .. VIRTQ_MAX_SIZE - 1];
	    loop variant 2 * (q->size - count) + (in_indirect ? 0 : 1); */
	for (;;) {
		struct virtq_desc d;
		read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return fail(q, "indirect descriptor, feature not negotiated");
			if (in_indirect)
				return fail(q, "indirect descriptor inside an indirect table");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return fail(q, "indirect descriptor with NEXT set");
			if (d.len == 0 || d.len % DESC_SIZE)
				return fail(q, "indirect table length not a multiple of 16");
			/* Every entry must be a buffer within the bound, so a
			 * table larger than `size` entries cannot be used whole;
			 * its length bounds the gm_ptr range below. */
			if (d.len / DESC_SIZE > q->size)
				return fail(q, "indirect table longer than the queue size");
			table = gm_ptr(q->gm, d.addr, d.len);
			if (!table)
				return fail(q, "indirect table outside guest RAM");
			n = d.len / DESC_SIZE;
			i = 0;
			in_indirect = true;
			continue;
		}
		if (++count > q->size)
			return fail(q, "descriptor chain longer than the queue size (a loop?)");
		bool w = d.flags & VIRTQ_DESC_F_WRITE;
		if (w)
			seen_write = true;
		else if (seen_write)
			return fail(q, "device-readable descriptor after a device-writable one");
		total += d.len;
		if (total > VIRTQ_MAX_CHAIN_BYTES)
			return fail(q, "descriptor chain longer than the byte limit");
		if (d.len) {
			uint8_t *host = gm_ptr(q->gm, d.addr, d.len);
			if (!host)
				return fail(q, "descriptor buffer outside guest RAM");
			c->buf[nbuf].host = host;
			c->buf[nbuf].len = d.len;
			nbuf++;
			if (w) {
				c->nw++;
				c->wlen += d.len;
			} else {
				c->nr++;
				c->rlen += d.len;
			}
		}
		/*@ assert kept: nbuf == c->nr + c->nw && nbuf <= q->size &&
		      q->gm->host == \at(q->gm->host, Pre) && q->gm->size == \at(q->gm->size, Pre) &&
		      \forall integer k; 0 <= k < nbuf ==>
		        c->buf[k].len > 0 && \valid(c->buf[k].host + (0 .. c->buf[k].len - 1)) &&
		        gm_ram_inside(\at(q->gm->host, Pre), \at(q->gm->size, Pre),
				      c->buf[k].host, c->buf[k].len); */
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= n)
			return fail(q, in_indirect ? "NEXT leads out of the indirect table"
						   : "NEXT beyond the descriptor table");
	}
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	if (q->broken || !q->size)
		return -1;
	uint16_t avail_idx = load16(q->avail + 2);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0 && q->event_idx && !q->polling) {
		/* 2.7.10: ask for a notification once the driver adds past
		 * what we have taken, then look again, since it may have added
		 * one before it could see avail_event. */
		store16_full(q->used + USED_RING + USED_ELEM * q->size, q->last_avail);
		avail_idx = load16(q->avail + 2);
		pending = (uint16_t)(avail_idx - q->last_avail);
	}
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return fail(q, "available index ran more than the queue size ahead");
	uint16_t head;
	/*@ assert masked: 0 <= (q->last_avail & (q->size - 1u)) < q->size; */
	memcpy(&head, q->avail + AVAIL_RING + 2u * (q->last_avail & (q->size - 1u)), 2);
	if (head >= q->size)
		return fail(q, "available ring names a head outside the table");
	if (walk(q, head, c))
		return -1;
	q->last_avail++;
	return 1;
}

uint16_t virtq_pending(const struct virtq *q)
{
	if (q->broken || !q->size)
		return 0;
	return (uint16_t)(load16(q->avail + 2) - q->last_avail);
}

void virtq_notify_off(struct virtq *q)
{
	if (q->broken || !q->size || q->polling)
		return;
	q->polling = true;
	if (q->event_idx) {
		/* The driver notifies when its index moves past avail_event
		 * (2.7.10.1); 0x8000 ahead of what we took, it never does
		 * before we look again. */
		store16_full(q->used + USED_RING + USED_ELEM * q->size,
			     (uint16_t)(q->last_avail + 0x8000u));
	} else {
		store16_full(q->used, (uint16_t)(load16(q->used) | VIRTQ_USED_F_NO_NOTIFY));
	}
}

bool virtq_notify_on(struct virtq *q)
{
	if (q->broken || !q->size || !q->polling)
		return false;
	q->polling = false;
	/* The store is a full barrier: the driver either sees it (and
	 * notifies) or published before it, which the load below sees. */
	if (q->event_idx) {
		store16_full(q->used + USED_RING + USED_ELEM * q->size, q->last_avail);
	} else {
		store16_full(q->used, (uint16_t)(load16(q->used) & ~VIRTQ_USED_F_NO_NOTIFY));
	}
	return virtq_pending(q) != 0;
}

/* A le32 field of a used element (2.7.8), byte by byte: the bytes a copy
 * of the little-endian host's value writes. */
/*@ requires \valid(p + (0 .. 3));
    assigns p[0 .. 3] \from v; */
static void store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	if (!q->size)
		return;
	/*@ assert masked: 0 <= (q->used_idx & (q->size - 1u)) < q->size; */
	uint8_t *e = q->used + USED_RING + USED_ELEM * (q->used_idx & (q->size - 1u));
	store32(e, head);
	store32(e + 4, written);
	q->used_idx++;
	/* Release for the element above; full for virtq_need_notify below. */
	store16_full(q->used + 2, q->used_idx);
}

bool virtq_need_notify(struct virtq *q)
{
	if (!q->size)
		return false;
	uint16_t now = q->used_idx, old = q->signalled;
	if (now == old)
		return false;
	/* The used index is visible (store16_full in virtq_push) before we
	 * read the driver's suppression state, so neither side misses the
	 * other. */
	if (q->event_idx) {
		uint16_t ev = load16(q->avail + AVAIL_RING + 2u * q->size);
		q->signalled = now;
		/* 2.7.10.1: notify when used_event lies in [old, now). */
		return (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
	}
	q->signalled = now;
	return !(load16(q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* memcpy between guest and host buffers, as bytes: the proof's typed
 * model sees memcpy's void pointers as char, and this says it in uint8_t. */
/*@ requires bytes: n > 0 && \valid(to + (0 .. n - 1)) && \valid_read(from + (0 .. n - 1));
    requires \separated(to + (0 .. n - 1), from + (0 .. n - 1));
    assigns to[0 .. n - 1] \from from[0 .. n - 1]; */
static void copy_bytes(uint8_t *to, const uint8_t *from, size_t n)
{
	memcpy(to, from, n);
}

/* Walks the readable (first nr) or writable (next nw) buffers from byte
 * off of that part: copies into dst when reading, from src when writing
 * (the other is NULL). */
/*@ requires \valid_read(c) && virtq_bufs_ok(c);
    requires !writable ==> \valid(dst + (0 .. len - 1)) &&
      \separated(dst + (0 .. len - 1), c) &&
      \forall integer k; 0 <= k < c->nr ==>
        \separated(dst + (0 .. len - 1), c->buf[k].host + (0 .. c->buf[k].len - 1));
    requires writable ==> \valid_read(src + (0 .. len - 1)) &&
      \forall integer k; c->nr <= k < c->nr + c->nw ==>
        \separated(c->buf[k].host + (0 .. c->buf[k].len - 1), c, src + (0 .. len - 1));
    assigns { dst[j] | integer j; !writable && 0 <= j < len },
      { c->buf[k].host[j] | integer k, j;
        writable && c->nr <= k < c->nr + c->nw && 0 <= j < c->buf[k].len };
    ensures \result <= len; */
static size_t chain_copy(const struct virtq_chain *c, bool writable, uint64_t off,
			 uint8_t *dst, const uint8_t *src, size_t len)
{
	unsigned first = writable ? c->nr : 0, n = writable ? c->nw : c->nr;
	size_t done = 0;
	/* Each step takes at least one byte or moves to the next buffer; k
	 * ends the loop, since there are at most VIRTQ_MAX_SIZE buffers. */
	/*@ loop invariant part: first == (writable ? c->nr : 0) &&
	      first + n == (writable ? c->nr + c->nw : c->nr);
	    loop invariant k: first <= k <= first + n;
	    loop invariant done: done <= len;
	    loop assigns k, off, done, { dst[j] | integer j; !writable && 0 <= j < len },
	      { c->buf[i].host[j] | integer i, j;
	        writable && c->nr <= i < c->nr + c->nw && 0 <= j < c->buf[i].len };
	    loop variant first + n - k; */
	for (unsigned k = first; k < first + n && done < len; k++) {
		const struct virtq_buf *b = &c->buf[k];
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		size_t take = b->len - (size_t)off;
		if (take > len - done)
			take = len - done;
		if (writable)
			copy_bytes(b->host + off, src + done, take);
		else
			copy_bytes(dst + done, b->host + off, take);
		done += take;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len)
{
	return chain_copy(c, false, off, dst, NULL, len);
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src,
			 size_t len)
{
	return chain_copy(c, true, off, NULL, src, len);
}

int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, unsigned max)
{
	unsigned first = writable ? c->nr : 0, n = writable ? c->nw : c->nr;
	unsigned cnt = 0;
	/*@ loop invariant part: first == (writable ? c->nr : 0) &&
	      first + n == (writable ? c->nr + c->nw : c->nr);
	    loop invariant k: first <= k <= first + n;
	    loop invariant cnt: cnt <= max && cnt <= k - first;
	    loop invariant iov: \forall integer j; 0 <= j < cnt ==>
	      iov[j].iov_len > 0 &&
	      \exists integer m, o; first <= m < first + n &&
	        0 <= o && o + iov[j].iov_len <= c->buf[m].len &&
	        (uint8_t *)iov[j].iov_base == c->buf[m].host + o;
	    loop assigns k, off, len, cnt, iov[0 .. max - 1];
	    loop variant first + n - k; */
	for (unsigned k = first; k < first + n && len; k++) {
		const struct virtq_buf *b = &c->buf[k];
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		uint64_t take = b->len - off;
		if (take > len)
			take = len;
		if (cnt == max)
			return -1;
		iov[cnt++] = (struct iovec){b->host + off, (size_t)take};
		len -= take;
		off = 0;
	}
	return len ? -1 : (int)cnt;
}
