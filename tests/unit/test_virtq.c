/*
 * test_virtq: the split virtqueue walker (src/vmm/virtio/virtq.c) against
 * rings laid out by hand in guest RAM, as a hostile driver would: chains
 * that loop, run long, point outside RAM, put readable after writable
 * buffers, nest indirect tables; and EVENT_IDX suppression.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "guestmem.h"
#include "virtq.h"

#define QSIZE 16
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define DATA 0x20000ull
#define INDIR 0x18000ull

struct fix {
	struct guestmem gm;
	struct virtq q;
	struct virtq_chain c;
	uint16_t avail_idx;
};

static int setup_size(void **state, uint64_t ram)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(gm_init(&f->gm, ram), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_size(state, 2u << 20);
}

static int setup_big(void **state)
{
	return setup_size(state, 80u << 20);
}

static int teardown(void **state)
{
	struct fix *f = *state;
	gm_free(&f->gm);
	free(f);
	return 0;
}

static void *g(struct fix *f, uint64_t gpa, uint64_t len)
{
	void *p = gm_ptr(&f->gm, gpa, len);
	assert_non_null(p);
	return p;
}

static void set_desc_at(struct fix *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
			uint16_t flags, uint16_t next)
{
	struct virtq_desc d = {addr, len, flags, next};
	memcpy(g(f, table + 16ull * i, 16), &d, 16);
}

static void set_desc(struct fix *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	set_desc_at(f, DESC, i, addr, len, flags, next);
}

/* The driver makes head available (2.7.13). */
static void offer(struct fix *f, uint16_t head)
{
	uint16_t *ring = g(f, AVAIL + 4, 2 * QSIZE);
	ring[f->avail_idx % QSIZE] = head;
	f->avail_idx++;
	memcpy(g(f, AVAIL + 2, 2), &f->avail_idx, 2);
}

/* A fresh queue: the driver's and device's indices start at 0 (2.7). */
static void init_q(struct fix *f, bool event_idx, bool indirect)
{
	f->avail_idx = 0;
	memset(g(f, AVAIL, 4), 0, 4);
	memset(g(f, USED, 4), 0, 4);
	assert_int_equal(virtq_init(&f->q, &f->gm, QSIZE, DESC, AVAIL, USED, event_idx, indirect),
			 0);
}

static uint16_t used_idx(struct fix *f)
{
	uint16_t v;
	memcpy(&v, g(f, USED + 2, 2), 2);
	return v;
}

static void expect_broken(struct fix *f, const char *why)
{
	assert_int_equal(virtq_pop(&f->q, &f->c), -1);
	assert_true(f->q.broken);
	assert_non_null(f->q.why);
	test_note("refused: %s", f->q.why);
	assert_non_null(strstr(f->q.why, why));
	/* Broken stays broken: nothing more is taken. */
	assert_int_equal(virtq_pop(&f->q, &f->c), -1);
}

static void simple_chain_and_used_ring(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	set_desc(f, 3, DATA, 16, VIRTQ_DESC_F_NEXT, 7);
	set_desc(f, 7, DATA + 0x100, 100, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, DATA + 0x200, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 3);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(f->c.nw, 2);
	assert_int_equal(f->c.rlen, 16);
	assert_int_equal(f->c.wlen, 101);
	assert_ptr_equal(f->c.buf[0].host, g(f, DATA, 16));
	assert_ptr_equal(f->c.buf[2].host, g(f, DATA + 0x200, 1));
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	virtq_push(&f->q, 3, 42);
	assert_int_equal(used_idx(f), 1);
	uint32_t e[2];
	memcpy(e, g(f, USED + 4, 8), 8);
	assert_int_equal(e[0], 3);
	assert_int_equal(e[1], 42);
}

static void chain_helpers(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	memcpy(g(f, DATA, 4), "abcd", 4);
	memcpy(g(f, DATA + 0x100, 4), "efgh", 4);
	set_desc(f, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, DATA + 0x100, 4, VIRTQ_DESC_F_NEXT, 2);
	set_desc(f, 2, DATA + 0x200, 3, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	set_desc(f, 3, DATA + 0x300, 5, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	char buf[8] = {0};
	assert_int_equal(virtq_chain_read(&f->c, 2, buf, 8), 6);
	assert_memory_equal(buf, "cdefgh", 6);
	assert_int_equal(virtq_chain_write(&f->c, 1, "WXYZ", 4), 4);
	assert_memory_equal(g(f, DATA + 0x201, 2), "WX", 2);
	assert_memory_equal(g(f, DATA + 0x300, 2), "YZ", 2);
	struct iovec iov[4];
	assert_int_equal(virtq_chain_iov(&f->c, true, 2, 6, iov, 4), 2);
	assert_int_equal(iov[0].iov_len, 1);
	assert_int_equal(iov[1].iov_len, 5);
	assert_int_equal(virtq_chain_iov(&f->c, true, 2, 7, iov, 4), -1); /* past the end */
	assert_int_equal(virtq_chain_iov(&f->c, false, 0, 8, iov, 1), -1); /* too many */
}

static void looping_chain_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	set_desc(f, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 2);
	set_desc(f, 2, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(f, 0);
	expect_broken(f, "longer than the queue size");
}

static void self_loop_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	set_desc(f, 5, DATA, 0, VIRTQ_DESC_F_NEXT, 5); /* zero length still counts */
	offer(f, 5);
	expect_broken(f, "longer than the queue size");
}

static void too_many_bytes_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	/* Two 33 MiB buffers, each in RAM: 66 MiB is over the cap. */
	set_desc(f, 0, 0x100000, 33u << 20, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, 0x100000 + (33u << 20), 33u << 20, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_broken(f, "byte limit");
}

static void outside_ram_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	/* The last 8 bytes of RAM and 8 beyond: partly outside. */
	set_desc(f, 0, f->gm.size - 8, 16, 0, 0);
	offer(f, 0);
	expect_broken(f, "outside guest RAM");
}

static void address_wrap_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	set_desc(f, 0, ~0ull - 3, 16, 0, 0);
	offer(f, 0);
	expect_broken(f, "outside guest RAM");
}

static void readable_after_writable_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	set_desc(f, 0, DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, DATA + 8, 8, 0, 0);
	offer(f, 0);
	expect_broken(f, "readable descriptor after a device-writable");
}

static void next_beyond_table_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	set_desc(f, 0, DATA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	offer(f, 0);
	expect_broken(f, "NEXT beyond");
}

static void bad_head_and_index_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	offer(f, QSIZE + 3);
	expect_broken(f, "head outside");

	init_q(f, false, false);
	f->avail_idx = QSIZE + 1; /* more than the ring holds */
	memcpy(g(f, AVAIL + 2, 2), &f->avail_idx, 2);
	expect_broken(f, "ran more than the queue size");
}

static void indirect_table(void **state)
{
	struct fix *f = *state;
	init_q(f, false, true);
	set_desc_at(f, INDIR, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set_desc_at(f, INDIR, 2, DATA + 0x100, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(f, INDIR, 1, DATA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	/* The WRITE flag on the indirect descriptor itself is ignored
	 * (2.7.5.3.2). */
	set_desc(f, 4, INDIR, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	offer(f, 4);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.head, 4);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(f->c.nw, 2);
	assert_int_equal(f->c.wlen, 513);
}

static void direct_then_indirect(void **state)
{
	struct fix *f = *state;
	init_q(f, false, true);
	set_desc_at(f, INDIR, 0, DATA + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, INDIR, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(f->c.nw, 1);
}

static void indirect_inside_indirect_refused(void **state)
{
	struct fix *f = *state;
	init_q(f, false, true);
	set_desc_at(f, INDIR, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(f, INDIR, 1, INDIR, 32, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(f, 0, INDIR, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f, "inside an indirect table");
}

static void indirect_rules(void **state)
{
	struct fix *f = *state;
	/* Not negotiated. */
	init_q(f, false, false);
	set_desc_at(f, INDIR, 0, DATA, 16, 0, 0);
	set_desc(f, 0, INDIR, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f, "not negotiated");
	/* INDIRECT together with NEXT. */
	init_q(f, false, true);
	set_desc(f, 1, INDIR, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 2);
	offer(f, 1);
	expect_broken(f, "with NEXT");
	/* A length that is not whole descriptors. */
	init_q(f, false, true);
	set_desc(f, 2, INDIR, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 2);
	expect_broken(f, "multiple of 16");
	/* NEXT leading out of the table. */
	init_q(f, false, true);
	set_desc_at(f, INDIR, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set_desc(f, 3, INDIR, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 3);
	expect_broken(f, "out of the indirect table");
	/* A loop inside the table. */
	init_q(f, false, true);
	set_desc_at(f, INDIR, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc_at(f, INDIR, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	set_desc(f, 4, INDIR, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 4);
	expect_broken(f, "longer than the queue size");
	/* A table outside RAM. */
	init_q(f, false, true);
	set_desc(f, 5, f->gm.size - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 5);
	expect_broken(f, "indirect table outside");
	/* Larger than the queue: could only be used with too many buffers. */
	init_q(f, false, true);
	set_desc(f, 6, INDIR, 16 * (QSIZE + 1), VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 6);
	expect_broken(f, "indirect table longer");
}

static void init_checks(void **state)
{
	struct fix *f = *state;
	assert_int_equal(virtq_init(&f->q, &f->gm, 12, DESC, AVAIL, USED, false, false), -1);
	assert_int_equal(virtq_init(&f->q, &f->gm, 512, DESC, AVAIL, USED, false, false), -1);
	assert_int_equal(virtq_init(&f->q, &f->gm, 0, DESC, AVAIL, USED, false, false), -1);
	assert_int_equal(virtq_init(&f->q, &f->gm, QSIZE, DESC + 8, AVAIL, USED, false, false), -1);
	assert_int_equal(virtq_init(&f->q, &f->gm, QSIZE, DESC, AVAIL + 1, USED, false, false),
			 -1);
	assert_int_equal(virtq_init(&f->q, &f->gm, QSIZE, DESC, AVAIL, USED + 2, false, false), -1);
	assert_int_equal(
		virtq_init(&f->q, &f->gm, QSIZE, f->gm.size - 64, AVAIL, USED, false, false), -1);
	assert_int_equal(virtq_pop(&f->q, &f->c), -1);
	/* The used ring must fit whole: the end of RAM minus a little. */
	assert_int_equal(
		virtq_init(&f->q, &f->gm, QSIZE, DESC, AVAIL, f->gm.size - 8, false, false), -1);
}

/* While the device polls (virtq_notify_off), the driver is asked for no
 * notification, and an empty pop does not ask again; virtq_notify_on asks
 * again and says whether chains came meanwhile (2.7.10, 2.7.7). */
static void polling_suppresses_notifications(void **state)
{
	struct fix *f = *state;
	init_q(f, true, false);
	uint16_t *avail_event = g(f, USED + 4 + 8 * QSIZE, 2);
	set_desc(f, 0, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pending(&f->q), 1);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(virtq_pending(&f->q), 0);
	virtq_notify_off(&f->q);
	assert_int_equal(*avail_event, (uint16_t)(1 + 0x8000));
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(*avail_event, (uint16_t)(1 + 0x8000)); /* still off */
	assert_false(virtq_notify_on(&f->q));
	assert_int_equal(*avail_event, 1);
	virtq_notify_off(&f->q);
	offer(f, 0); /* came while off: notify_on says so */
	assert_true(virtq_notify_on(&f->q));
	assert_int_equal(*avail_event, 1);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(*avail_event, 2); /* armed again by the empty pop */

	/* Without EVENT_IDX: the used ring's NO_NOTIFY flag. */
	init_q(f, false, false);
	uint16_t *uflags = g(f, USED, 2);
	virtq_notify_off(&f->q);
	assert_int_equal(*uflags & VIRTQ_USED_F_NO_NOTIFY, VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_notify_on(&f->q));
	assert_int_equal(*uflags & VIRTQ_USED_F_NO_NOTIFY, 0);
	/* A broken queue: nothing pending, nothing touched. */
	f->q.broken = true;
	assert_int_equal(virtq_pending(&f->q), 0);
	virtq_notify_off(&f->q);
	assert_int_equal(*uflags, 0);
}

static void event_idx_suppression(void **state)
{
	struct fix *f = *state;
	init_q(f, true, false);
	uint16_t *used_event = g(f, AVAIL + 4 + 2 * QSIZE, 2);
	uint16_t *avail_event = g(f, USED + 4 + 8 * QSIZE, 2);
	for (unsigned i = 0; i < 3; i++) {
		set_desc(f, i, DATA + 0x10 * i, 1, VIRTQ_DESC_F_WRITE, 0);
		offer(f, (uint16_t)i);
	}
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	/* Empty: the device asks to be notified past what it took. */
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(*avail_event, 3);
	/* Nothing pushed: nothing to say. */
	assert_false(virtq_need_notify(&f->q));
	*used_event = 0;
	virtq_push(&f->q, 0, 1);
	assert_true(virtq_need_notify(&f->q)); /* used idx passed 0 */
	virtq_push(&f->q, 1, 1);
	assert_false(virtq_need_notify(&f->q)); /* the driver has not moved used_event */
	*used_event = 2;
	virtq_push(&f->q, 2, 1);
	assert_true(virtq_need_notify(&f->q));
	/* Wrap-around of the 16-bit indices: used_event far behind. */
	*used_event = 0xfff0;
	virtq_push(&f->q, 0, 1);
	assert_false(virtq_need_notify(&f->q));
}

static void no_interrupt_flag(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	memcpy(g(f, AVAIL, 2), &flags, 2);
	set_desc(f, 0, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	virtq_push(&f->q, 0, 1);
	assert_false(virtq_need_notify(&f->q));
	flags = 0;
	memcpy(g(f, AVAIL, 2), &flags, 2);
	virtq_push(&f->q, 0, 1);
	assert_true(virtq_need_notify(&f->q));
}

static void index_wraps(void **state)
{
	struct fix *f = *state;
	init_q(f, false, false);
	set_desc(f, 0, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	/* 70000 chains through a 16-entry ring: indices wrap at 65536. */
	for (unsigned i = 0; i < 70000; i++) {
		offer(f, 0);
		assert_int_equal(virtq_pop(&f->q, &f->c), 1);
		virtq_push(&f->q, 0, 1);
	}
	assert_int_equal(used_idx(f), (uint16_t)70000);
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(simple_chain_and_used_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(chain_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(looping_chain_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(self_loop_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(too_many_bytes_refused, setup_big, teardown),
		cmocka_unit_test_setup_teardown(outside_ram_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(address_wrap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(readable_after_writable_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(next_beyond_table_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_head_and_index_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(indirect_table, setup, teardown),
		cmocka_unit_test_setup_teardown(direct_then_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(indirect_inside_indirect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(indirect_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(init_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(event_idx_suppression, setup, teardown),
		cmocka_unit_test_setup_teardown(polling_suppresses_notifications, setup, teardown),
		cmocka_unit_test_setup_teardown(no_interrupt_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(index_wraps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
