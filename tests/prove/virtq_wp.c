/*
 * The virtqueue walker, proved with WP (tests/prove/README.md): the
 * contract of virtq_pop(), given here on its prototype and merged by
 * Frama-C with the definition in src/vmm/virtio/virtq.c, whose static
 * helpers (fail, read_desc, walk) carry their own contracts and the
 * walk's loop invariant in that file.
 *
 * What virtq_pop promises: on a queue that is broken, not set up, or set
 * up by virtq_init (its rings wholly in guest RAM: virtq_ok), whatever
 * the guest wrote in the rings, it returns -1 (and nothing else on a
 * broken or unset queue), 0 or 1, touches only the chain, the queue's
 * own state and the two bytes of avail_event in the used ring, leaves a
 * set-up queue set up or broken, and when it returns
 * 1 the chain's head is inside the table and every buffer it hands the
 * device is non-empty and lies wholly inside guest RAM (virtq_chain_ok),
 * at most `size` of them.
 */
#include "virtq.h"

/* The available ring's index is masked with size - 1 (2.7: sizes are
 * powers of two). The provers have no theory of bitwise and on integers,
 * so its one fact used here is given as an axiom: a bitwise and of two
 * non-negative integers is at most either (each bit of it is a bit of
 * both). It is arithmetic, not a property of our code. */
/*@ axiomatic Bitwise_and_bound {
      axiom land_le: \forall integer a, m; 0 <= a && 0 <= m ==>
        0 <= (a & m) && (a & m) <= a && (a & m) <= m;
    }
*/

/* virtq_init: whatever size and ring addresses the driver gave, it
 * writes only *q, and on 0 the queue is virtq_ok (the predicate every
 * proof below assumes) with the given size and features, its rings inside
 * guest RAM over the lengths virtq_ok reads, its shadow indices at 0; on
 * -1 it is not set up (size 0) and broken, with the reason. */
/*@ requires \valid(q) && gm_ok(gm) && \separated(q, gm);
    assigns *q;
    ensures fields: q->gm == gm && q->event_idx == event_idx && q->indirect == indirect &&
      q->last_avail == 0 && q->used_idx == 0 && q->signalled == 0 && !q->polling;
    ensures result: \result == 0 || \result == -1;
    ensures ok: \result == 0 ==> virtq_ok(q) && q->size == size && !q->broken &&
      q->why == \null;
    ensures inside: \result == 0 ==> gm_inside(gm, q->desc, 16 * size) &&
      gm_inside(gm, q->avail, 4 + 2 * size + 2) && gm_inside(gm, q->used, 4 + 8 * size + 2);
    ensures pow2: \result == 0 ==> (size & (size - 1)) == 0;
    ensures aligned: \result == 0 ==> (desc & 15) == 0 && (avail & 1) == 0 && (used & 3) == 0;
    ensures failed: \result == -1 ==> q->size == 0 && q->broken && q->why != \null;
*/
int virtq_init(struct virtq *q, const struct guestmem *gm, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used, bool event_idx, bool indirect);

/*@ requires \valid(q) && \valid(c);
    behavior off:
      assumes q->broken || q->size == 0;
      assigns \nothing;
      ensures \result == -1;
    behavior on:
      assumes !q->broken && q->size != 0;
      requires virtq_ok(q);
      requires \separated(c, q, q->gm);
      requires \separated(q->used + (0 .. 4 + 8 * q->size + 1), q, q->gm, c);
      assigns *c, q->broken, q->why, q->last_avail,
        q->used[4 + 8 * q->size .. 4 + 8 * q->size + 1];
      ensures q->broken || virtq_ok(q);
      ensures \result == -1 || \result == 0 || \result == 1;
      ensures \result == -1 ==> q->broken;
      ensures \result == 1 ==> c->head < q->size && virtq_chain_ok(q->gm, c, q->size);
    complete behaviors;
    disjoint behaviors;
*/
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* What virtq_pop's chain gives the chain copies below: a chain
 * virtq_chain_ok of any queue (size at most VIRTQ_MAX_SIZE) has its
 * buffers' host memory valid, at most VIRTQ_MAX_SIZE of them
 * (virtq_bufs_ok, which the copies require). Stated as the contract of a
 * function that does nothing, so that the chain copies' run proves it
 * (WP's function selection leaves lemmas out). */
/*@ requires size <= VIRTQ_MAX_SIZE && virtq_chain_ok(gm, c, size);
    assigns \nothing;
    ensures virtq_bufs_ok(c); */
void prove_chain_bufs(struct guestmem *gm, struct virtq_chain *c, unsigned size)
{
	(void)gm;
	(void)c;
	(void)size;
}

/*
 * The rest of the queue's guest-facing entry points. Each reads and
 * writes guest memory only inside the rings virtq_ok says are valid,
 * whose lengths are exactly those virtq_init translated (the available
 * ring 4 + 2 * size + 2 bytes with used_event, the used ring
 * 4 + 8 * size + 2 with avail_event, with or without EVENT_IDX). A queue
 * not set up (size 0) is not touched; a set-up queue, also one a pop
 * found broken, still has its rings (virtq_pop writes none of the
 * fields virtq_ok reads), so it is virtq_ok whenever size is not 0.
 */

/*@ requires \valid(q);
    behavior unset:
      assumes q->size == 0;
      assigns \nothing;
    behavior set:
      assumes q->size != 0;
      requires virtq_ok(q);
      requires \separated(q->used + (0 .. 4 + 8 * q->size + 1), q, q->gm);
      assigns q->used_idx, q->used[2 .. 3],
        q->used[4 + 8 * (q->used_idx & (q->size - 1)) ..
                4 + 8 * (q->used_idx & (q->size - 1)) + 7];
      ensures q->used_idx == (uint16_t)(\old(q->used_idx) + 1);
      ensures virtq_ok(q);
    complete behaviors;
    disjoint behaviors;
*/
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/*@ requires \valid(q);
    behavior unset:
      assumes q->size == 0;
      assigns \nothing;
      ensures \result == 0;
    behavior set:
      assumes q->size != 0;
      requires virtq_ok(q);
      assigns q->signalled;
      ensures q->signalled == q->used_idx;
      ensures \result != 0 ==> \old(q->signalled) != q->used_idx;
    complete behaviors;
    disjoint behaviors;
*/
bool virtq_need_notify(struct virtq *q);

/*@ requires \valid_read(q);
    assigns \nothing;
    behavior off:
      assumes q->broken || q->size == 0;
      ensures \result == 0;
    behavior on:
      assumes !q->broken && q->size != 0;
      requires virtq_ok((struct virtq *)q);
    complete behaviors;
    disjoint behaviors;
*/
uint16_t virtq_pending(const struct virtq *q);

/*@ requires \valid(q);
    behavior off:
      assumes q->broken || q->size == 0 || q->polling;
      assigns \nothing;
    behavior event:
      assumes !q->broken && q->size != 0 && !q->polling && q->event_idx;
      requires virtq_ok(q);
      requires \separated(q->used + (0 .. 4 + 8 * q->size + 1), q, q->gm);
      assigns q->polling, q->used[4 + 8 * q->size .. 4 + 8 * q->size + 1];
      ensures q->polling && virtq_ok(q);
    behavior flags:
      assumes !q->broken && q->size != 0 && !q->polling && !q->event_idx;
      requires virtq_ok(q);
      requires \separated(q->used + (0 .. 4 + 8 * q->size + 1), q, q->gm);
      assigns q->polling, q->used[0 .. 1];
      ensures q->polling && virtq_ok(q);
    complete behaviors;
    disjoint behaviors;
*/
void virtq_notify_off(struct virtq *q);

/*@ requires \valid(q);
    behavior off:
      assumes q->broken || q->size == 0 || !q->polling;
      assigns \nothing;
      ensures \result == 0;
    behavior event:
      assumes !q->broken && q->size != 0 && q->polling && q->event_idx;
      requires virtq_ok(q);
      requires \separated(q->used + (0 .. 4 + 8 * q->size + 1), q, q->gm);
      assigns q->polling, q->used[4 + 8 * q->size .. 4 + 8 * q->size + 1];
      ensures !q->polling && virtq_ok(q);
    behavior flags:
      assumes !q->broken && q->size != 0 && q->polling && !q->event_idx;
      requires virtq_ok(q);
      requires \separated(q->used + (0 .. 4 + 8 * q->size + 1), q, q->gm);
      assigns q->polling, q->used[0 .. 1];
      ensures !q->polling && virtq_ok(q);
    complete behaviors;
    disjoint behaviors;
*/
bool virtq_notify_on(struct virtq *q);

/*
 * The chain copies, on a chain virtq_pop returned (virtq_bufs_ok, by the
 * lemma above): every byte they touch is inside one of the chain's
 * buffers of the part named (readable: buf[0 .. nr), writable:
 * buf[nr .. nr + nw)) or inside the caller's len bytes, and they return
 * at most len. The caller's buffer is the monitor's own memory, apart
 * from the chain (memcpy's own precondition) and from *c.
 */
/*@ requires \valid_read(c) && virtq_bufs_ok(c);
    requires \valid((uint8_t *)dst + (0 .. len - 1));
    requires \separated((uint8_t *)dst + (0 .. len - 1), c);
    requires \forall integer k; 0 <= k < c->nr ==>
      \separated((uint8_t *)dst + (0 .. len - 1), c->buf[k].host + (0 .. c->buf[k].len - 1));
    assigns ((uint8_t *)dst)[0 .. len - 1];
    ensures \result <= len;
*/
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len);

/*@ requires \valid_read(c) && virtq_bufs_ok(c);
    requires \valid_read((uint8_t *)src + (0 .. len - 1));
    requires \forall integer k; c->nr <= k < c->nr + c->nw ==>
      \separated(c->buf[k].host + (0 .. c->buf[k].len - 1), c,
                 (uint8_t *)src + (0 .. len - 1));
    assigns { c->buf[k].host[j] | integer k, j;
              c->nr <= k < c->nr + c->nw && 0 <= j < c->buf[k].len };
    ensures \result <= len;
*/
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src,
			 size_t len);

/*@ requires \valid_read(c) && virtq_bufs_ok(c);
    requires \valid(iov + (0 .. max - 1));
    requires \separated(iov + (0 .. max - 1), c);
    assigns iov[0 .. max - 1];
    ensures \result == -1 || 0 <= \result <= max;
    ensures \forall integer j; 0 <= j < \result ==>
      iov[j].iov_len > 0 &&
      \exists integer k, o;
        (writable ? c->nr : 0) <= k < (writable ? c->nr + c->nw : c->nr) &&
        0 <= o && o + iov[j].iov_len <= c->buf[k].len &&
        (uint8_t *)iov[j].iov_base == c->buf[k].host + o;
*/
int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, unsigned max);
