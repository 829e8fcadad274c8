/*
 * The virtqueue walker, proved with WP (tests/prove/README.md): the
 * contract of virtq_pop(), given here on its prototype and merged by
 * Frama-C with the definition in src/vmm/virtio/virtq.c, whose static
 * helpers (fail, read_desc, walk) carry their own contracts and the
 * walk's loop invariant in that file.
 *
 * What virtq_pop promises: on a queue that is broken, not set up, or set
 * up by virtq_init (its rings wholly in guest RAM: virtq_ok), whatever
 * the guest wrote in the rings, it returns -1, 0 or 1, touches only the
 * chain, the queue's own state and the two bytes of avail_event in the
 * used ring, leaves the queue in one of those states, and when it returns
 * 1 the chain's head is inside the table and every buffer it hands the
 * device is non-empty and lies wholly inside guest RAM (virtq_chain_ok),
 * at most `size` of them.
 */
#include "virtq.h"

/*@ predicate virtq_state(struct virtq *q) =
      \valid(q) && (q->broken || q->size == 0 || virtq_ok(q));

    predicate virtq_rings_apart(struct virtq *q, struct virtq_chain *c) =
      q->broken || q->size == 0 ||
      \separated(q->used + (0 .. 4 + 8 * q->size + 1), q, q->gm, c);
*/

/*@ requires virtq_state(q);
    requires \valid(c) && \separated(c, q, q->gm);
    requires virtq_rings_apart(q, c);
    assigns *c, q->broken, q->why, q->last_avail,
      q->used[4 + 8 * q->size .. 4 + 8 * q->size + 1];
    ensures virtq_state(q);
    ensures \result == -1 || \result == 0 || \result == 1;
    ensures \result == -1 ==> q->broken;
    ensures \result == 1 ==> c->head < q->size && virtq_chain_ok(q->gm, c, q->size);
*/
int virtq_pop(struct virtq *q, struct virtq_chain *c);
