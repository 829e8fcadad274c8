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
