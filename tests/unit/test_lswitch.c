/*
 * test_lswitch: the learning switch of net links between three or more
 * VMs: learning, flooding (broadcast, multicast and unknown unicast to the
 * other ports only), filtering, ageing, a full table, runts and giants,
 * a bounded queue per port, a VM sending from a MAC not its own, the
 * link-down message forgetting a port's addresses, and, over real
 * socketpairs through the process's loop, a port whose VM never reads
 * not slowing the others.
 */
#include "testlib.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linkmsg.h"
#include "lswitch.h"

static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void mac_of(unsigned i, uint8_t m[6])
{
	m[0] = 0x02, m[1] = 0, m[2] = (uint8_t)(i >> 24), m[3] = (uint8_t)(i >> 16);
	m[4] = (uint8_t)(i >> 8), m[5] = (uint8_t)i;
}

/* A 60-byte frame from src to dst, its last byte a tag. */
static size_t frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint8_t tag)
{
	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[59] = tag;
	return 60;
}

static unsigned queued(const struct lsw *sw, unsigned p)
{
	return sw->port[p].nq;
}

static void drain(struct lsw *sw)
{
	for (unsigned p = 0; p < sw->nports; p++)
		while (lsw_peek(sw, p))
			lsw_pop(sw, p);
}

static struct lsw *new_sw(unsigned n)
{
	struct lsw *sw = malloc(sizeof(*sw));
	assert_non_null(sw);
	lsw_init(sw, n);
	return sw;
}

static void test_learn_and_flood(void **state)
{
	(void)state;
	struct lsw *sw = new_sw(3);
	uint8_t a[6], b[6], c[6], f[60];
	mac_of(1, a), mac_of(2, b), mac_of(3, c);
	/* Broadcast from A on port 0: to 1 and 2, not back to 0. */
	lsw_input(sw, 0, f, frame(f, BCAST, a, 1), 1000);
	assert_int_equal(queued(sw, 0), 0);
	assert_int_equal(queued(sw, 1), 1);
	assert_int_equal(queued(sw, 2), 1);
	assert_int_equal(lsw_lookup(sw, a, 1000), 0);
	assert_int_equal(lsw_peek(sw, 1)->data[59], 1);
	drain(sw);
	/* B on port 1 to A: only port 0 (learnt). */
	lsw_input(sw, 1, f, frame(f, a, b, 2), 1001);
	assert_int_equal(queued(sw, 0), 1);
	assert_int_equal(queued(sw, 1), 0);
	assert_int_equal(queued(sw, 2), 0);
	assert_int_equal(lsw_lookup(sw, b, 1001), 1);
	drain(sw);
	/* To C, not learnt yet: flooded to 0 and 2, not to 1. */
	lsw_input(sw, 1, f, frame(f, c, b, 3), 1002);
	assert_int_equal(queued(sw, 0), 1);
	assert_int_equal(queued(sw, 1), 0);
	assert_int_equal(queued(sw, 2), 1);
	assert_int_equal(sw->port[1].st.flooded, 1);
	drain(sw);
	/* Multicast (01:00:5e:...) is flooded too, and a group address as a
	 * source is never learnt. */
	uint8_t mc[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	lsw_input(sw, 2, f, frame(f, mc, mc, 4), 1003);
	assert_int_equal(queued(sw, 0), 1);
	assert_int_equal(queued(sw, 1), 1);
	assert_int_equal(queued(sw, 2), 0);
	assert_int_equal(lsw_lookup(sw, mc, 1003), -1);
	drain(sw);
	/* A unicast to an address on its own port is filtered. */
	uint8_t a2[6];
	mac_of(11, a2);
	lsw_input(sw, 0, f, frame(f, BCAST, a2, 5), 1004);
	drain(sw);
	lsw_input(sw, 0, f, frame(f, a2, a, 6), 1005);
	for (unsigned p = 0; p < 3; p++)
		assert_int_equal(queued(sw, p), 0);
	assert_int_equal(sw->port[0].st.drop_filtered, 1);
	/* A station that moves is found on its new port. */
	lsw_input(sw, 2, f, frame(f, b, a, 7), 1006);
	assert_int_equal(lsw_lookup(sw, a, 1006), 2);
	lsw_free(sw);
	free(sw);
}

static void test_ageing(void **state)
{
	(void)state;
	struct lsw *sw = new_sw(3);
	uint8_t a[6], b[6], f[60];
	mac_of(1, a), mac_of(2, b);
	lsw_input(sw, 0, f, frame(f, BCAST, a, 1), 5000);
	drain(sw);
	assert_int_equal(lsw_lookup(sw, a, 5000 + LSW_AGE_MS - 1), 0);
	assert_int_equal(lsw_lookup(sw, a, 5000 + LSW_AGE_MS), -1);
	/* Aged out: a frame to A is flooded again. */
	lsw_input(sw, 1, f, frame(f, a, b, 2), 5000 + LSW_AGE_MS);
	assert_int_equal(queued(sw, 0), 1);
	assert_int_equal(queued(sw, 2), 1);
	/* Traffic from A refreshes it. */
	drain(sw);
	lsw_input(sw, 0, f, frame(f, b, a, 3), 5000 + LSW_AGE_MS + 10);
	assert_int_equal(lsw_lookup(sw, a, 5000 + 2 * LSW_AGE_MS), 0);
	lsw_free(sw);
	free(sw);
}

static void test_full_table(void **state)
{
	(void)state;
	struct lsw *sw = new_sw(3);
	uint8_t m[6], f[60];
	for (unsigned i = 0; i < LSW_TABLE_MAX; i++) {
		mac_of(100 + i, m);
		lsw_input(sw, i % 2, f, frame(f, BCAST, m, 0), 1000);
		drain(sw);
	}
	assert_int_equal(sw->nentries, LSW_TABLE_MAX);
	assert_int_equal(sw->table_full, 0);
	/* One more: not learnt (no entry has aged); frames to it flood. */
	uint8_t extra[6], x[6];
	mac_of(99999, extra);
	mac_of(100, x);
	lsw_input(sw, 2, f, frame(f, BCAST, extra, 0), 2000);
	drain(sw);
	assert_int_equal(sw->table_full, 1);
	assert_int_equal(lsw_lookup(sw, extra, 2000), -1);
	assert_int_equal(lsw_lookup(sw, x, 2000), 0); /* the old ones stay */
	lsw_input(sw, 0, f, frame(f, extra, x, 1), 2001);
	assert_int_equal(queued(sw, 1), 1);
	assert_int_equal(queued(sw, 2), 1);
	drain(sw);
	/* Once the old entries age out, there is room again. */
	lsw_input(sw, 2, f, frame(f, BCAST, extra, 0), 1000 + LSW_AGE_MS);
	drain(sw);
	assert_int_equal(lsw_lookup(sw, extra, 1000 + LSW_AGE_MS), 2);
	lsw_free(sw);
	free(sw);
}

static void test_runts_and_giants(void **state)
{
	(void)state;
	struct lsw *sw = new_sw(3);
	static uint8_t big[LSW_FRAME_MAX + 1];
	memset(big, 0xff, sizeof(big));
	lsw_input(sw, 0, big, 13, 1);
	lsw_input(sw, 0, big, 0, 1);
	lsw_input(sw, 1, big, sizeof(big), 1);
	assert_int_equal(sw->port[0].st.drop_short, 2);
	assert_int_equal(sw->port[1].st.drop_long, 1);
	for (unsigned p = 0; p < 3; p++)
		assert_int_equal(queued(sw, p), 0);
	lsw_input(sw, 1, big, LSW_FRAME_MAX, 1); /* the largest is carried */
	assert_int_equal(queued(sw, 0), 1);
	lsw_free(sw);
	free(sw);
}

/* A port nobody drains fills to its bound and then drops, counted; the
 * other ports' queues are not affected. */
static void test_queue_bound(void **state)
{
	(void)state;
	struct lsw *sw = new_sw(3);
	uint8_t a[6], b[6], f[60];
	mac_of(1, a), mac_of(2, b);
	for (unsigned i = 0; i < LSW_QUEUE_FRAMES + 50; i++) {
		lsw_input(sw, 0, f, frame(f, BCAST, a, (uint8_t)i), 1);
		while (lsw_peek(sw, 1))
			lsw_pop(sw, 1); /* port 1 reads; port 2 never does */
	}
	assert_int_equal(queued(sw, 2), LSW_QUEUE_FRAMES);
	assert_int_equal(sw->port[2].st.drop_full, 50);
	assert_int_equal(sw->port[1].st.drop_full, 0);
	/* Bytes are bounded too. */
	static uint8_t big[60000];
	memcpy(big, BCAST, 6);
	memcpy(big + 6, b, 6);
	drain(sw);
	for (unsigned i = 0; i < 20; i++)
		lsw_input(sw, 1, big, sizeof(big), 2);
	assert_true(sw->port[2].qbytes <= LSW_QUEUE_BYTES);
	assert_int_equal(sw->port[2].st.drop_full, 50 + 20 - LSW_QUEUE_BYTES / sizeof(big));
	lsw_free(sw);
	free(sw);
}

/* Through the process's loop over socketpairs: VM 2 never reads its
 * socket; VMs 0 and 1 exchange frames all the same. */
static void test_slow_port_over_sockets(void **state)
{
	(void)state;
	int vm[3], sw_end[3];
	for (unsigned i = 0; i < 3; i++) {
		int sp[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp), 0);
		vm[i] = sp[0];
		sw_end[i] = sp[1];
	}
	struct lsw *sw = new_sw(3);
	uint8_t a[6], b[6], c[6], f[60], got[100];
	mac_of(1, a), mac_of(2, b), mac_of(3, c);
	/* VM 2 announces itself, then stops reading; everyone broadcasts. */
	assert_int_equal(send(vm[2], f, frame(f, BCAST, c, 0), 0), 60);
	unsigned recv0 = 0, recv1 = 0;
	for (unsigned i = 0; i < 3000; i++) {
		uint8_t tag = (uint8_t)i;
		int from = (int)(i % 2);
		ssize_t w = send(vm[from], f, frame(f, BCAST, from ? b : a, tag), MSG_DONTWAIT);
		assert_int_equal(w, 60);
		for (int k = 0; k < 4; k++)
			assert_true(lsw_step(sw, sw_end, 0) >= 0);
		while (recv(vm[0], got, sizeof(got), MSG_DONTWAIT) > 0)
			recv0++;
		while (recv(vm[1], got, sizeof(got), MSG_DONTWAIT) > 0)
			recv1++;
	}
	/* 0 hears 1's 1500 broadcasts (and VM 2's one), 1 hears 0's. */
	assert_int_equal(recv0, 1501);
	assert_int_equal(recv1, 1501);
	assert_true(sw->port[2].st.drop_full > 0);
	assert_int_equal(sw->port[0].st.drop_full, 0);
	assert_int_equal(sw->port[1].st.drop_full, 0);
	/* A VM that goes away is no longer polled. */
	close(vm[2]);
	assert_int_equal(lsw_step(sw, sw_end, 0), 1);
	assert_true(sw->port[2].gone);
	assert_int_equal(queued(sw, 2), 0);
	for (unsigned i = 0; i < 3; i++)
		close(sw_end[i]);
	close(vm[0]);
	close(vm[1]);
	lsw_free(sw);
	free(sw);
}

/* A port given its VM's MAC takes frames from that address only: a
 * spoofed source is dropped before it is learnt, so B cannot pull A's
 * traffic to its port or flood the table with made-up addresses. */
static void test_spoofed_source(void **state)
{
	(void)state;
	struct lsw *sw = new_sw(3);
	uint8_t a[6], b[6], c[6], f[60];
	mac_of(1, a), mac_of(2, b), mac_of(3, c);
	lsw_set_mac(sw, 0, a);
	lsw_set_mac(sw, 1, b);
	lsw_set_mac(sw, 2, c);
	lsw_input(sw, 0, f, frame(f, BCAST, a, 1), 10); /* A learnt on port 0 */
	drain(sw);
	/* B poses as A: dropped, counted, A stays on port 0. */
	lsw_input(sw, 1, f, frame(f, BCAST, a, 2), 11);
	assert_int_equal(sw->port[1].st.drop_spoofed, 1);
	assert_int_equal(sw->port[1].st.rx, 0);
	assert_int_equal(lsw_lookup(sw, a, 11), 0);
	for (unsigned p = 0; p < 3; p++)
		assert_int_equal(queued(sw, p), 0);
	/* Made-up addresses: none learnt, none carried. */
	for (unsigned i = 100; i < 100 + LSW_TABLE_MAX; i++) {
		uint8_t m[6];
		mac_of(i, m);
		lsw_input(sw, 2, f, frame(f, a, m, 3), 12);
	}
	assert_int_equal(sw->port[2].st.drop_spoofed, LSW_TABLE_MAX);
	assert_int_equal(sw->nentries, 1);
	assert_int_equal(queued(sw, 0), 0);
	/* Its own address goes through, to A only. */
	lsw_input(sw, 2, f, frame(f, a, c, 4), 13);
	assert_int_equal(queued(sw, 0), 1);
	assert_int_equal(queued(sw, 1), 0);
	assert_int_equal(lsw_lookup(sw, c, 13), 2);
	lsw_free(sw);
	free(sw);
}

/* LINKMSG_DOWN on a port (its VM ended) forgets what was learnt there
 * and is not carried; frames to that address are flooded again. */
static void test_link_down_forgets(void **state)
{
	(void)state;
	struct lsw *sw = new_sw(3);
	uint8_t a[6], b[6], f[60], down = LINKMSG_DOWN, up = LINKMSG_UP;
	mac_of(1, a), mac_of(2, b);
	lsw_input(sw, 0, f, frame(f, BCAST, a, 1), 10);
	lsw_input(sw, 1, f, frame(f, BCAST, b, 1), 10);
	drain(sw);
	assert_int_equal(lsw_lookup(sw, a, 10), 0);
	lsw_input(sw, 0, &up, 1, 11); /* up: nothing to forget, nothing carried */
	assert_int_equal(lsw_lookup(sw, a, 11), 0);
	lsw_input(sw, 0, &down, 1, 12);
	assert_int_equal(sw->port[0].st.link_msgs, 2);
	assert_int_equal(lsw_lookup(sw, a, 12), -1);
	assert_int_equal(lsw_lookup(sw, b, 12), 1);
	assert_int_equal(sw->nentries, 1);
	for (unsigned p = 0; p < 3; p++)
		assert_int_equal(queued(sw, p), 0);
	lsw_input(sw, 1, f, frame(f, a, b, 2), 13); /* flooded: A unknown */
	assert_int_equal(queued(sw, 0), 1);
	assert_int_equal(queued(sw, 2), 1);
	assert_int_equal(sw->port[0].st.drop_short, 0);
	lsw_free(sw);
	free(sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_and_flood),   cmocka_unit_test(test_ageing),
		cmocka_unit_test(test_full_table),        cmocka_unit_test(test_runts_and_giants),
		cmocka_unit_test(test_queue_bound),       cmocka_unit_test(test_slow_port_over_sockets),
		cmocka_unit_test(test_spoofed_source),    cmocka_unit_test(test_link_down_forgets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
