/* test_outq: the bounded COM1 output queue and the non-blocking stdout /
 * stderr descriptors (outq.h), and vlog's rate limit (vlog.h). */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "outq.h"
#include "vlog.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A producer is never held up: a full queue refuses, and the drain that
 * makes room says so once. Bytes come out in order. */
static void full_queue_refuses_then_reports_room(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(outq_nonblock(p[1]), 0);
	struct outq q;
	assert_int_equal(outq_init(&q, p[1], 8), 0);
	for (int i = 0; i < 7; i++)
		assert_true(outq_push(&q, (uint8_t)('a' + i)));
	assert_false(outq_push(&q, 'h')); /* taken; now full */
	assert_int_equal(outq_put(&q, (const uint8_t *)"xy", 2), 0);
	assert_true(outq_pending(&q));
	assert_true(outq_drain(&q)); /* room again: tell the producer */
	assert_false(outq_drain(&q)); /* only once */
	assert_false(outq_pending(&q));
	char buf[16];
	assert_int_equal(read(p[0], buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "abcdefgh", 8);
	outq_free(&q);
	close(p[0]);
	close(p[1]);
}

/* A destination nobody reads: the drain returns at once, and the final
 * flush gives up within its bound. */
static void unread_destination_never_blocks(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	assert_int_equal(outq_nonblock(p[1]), 0);
	struct outq q;
	assert_int_equal(outq_init(&q, p[1], 64 * 1024), 0);
	static uint8_t junk[64 * 1024];
	memset(junk, 'j', sizeof(junk));
	assert_int_equal(outq_put(&q, junk, sizeof(junk)), sizeof(junk));
	double t0 = now_s();
	for (int i = 0; i < 100; i++)
		(void)outq_drain(&q);
	assert_true(now_s() - t0 < 0.5);
	assert_true(outq_pending(&q));
	t0 = now_s();
	outq_flush(&q);
	double took = now_s() - t0;
	test_note("flush gave up after %.3f s", took);
	assert_true(took < OUTQ_FLUSH_IDLE_MS / 1000.0 + 0.5);
	assert_false(outq_pending(&q));
	assert_true(q.discarded > 0);
	outq_free(&q);
	close(p[0]);
	close(p[1]);
}

/* A reader that went away: output is discarded, producers go on. */
static void closed_reader_discards(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	struct outq q;
	assert_int_equal(outq_init(&q, p[1], 4), 0);
	assert_true(outq_push(&q, 'a'));
	(void)outq_drain(&q);
	for (int i = 0; i < 100; i++)
		assert_true(outq_push(&q, 'b'));
	assert_false(outq_pending(&q));
	outq_free(&q);
	close(p[1]);
}

/* The non-blocking descriptor is a new open file description: the flag
 * does not reach whoever shares the old one (a shell's terminal). */
static void nonblock_leaves_shared_description_alone(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	int other = dup(p[1]); /* as a parent shell would hold it */
	assert_int_equal(outq_nonblock(p[1]), 0);
	assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	assert_false(fcntl(other, F_GETFL) & O_NONBLOCK);
	/* Still the same pipe. */
	assert_int_equal(write(p[1], "z", 1), 1);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'z');
	close(other);
	close(p[0]);
	close(p[1]);
}

/* One budget per kind of guest-triggered message; the rest is counted and
 * summed up in one line. */
static void guest_messages_are_rate_limited(void **state)
{
	(void)state;
	int p[2], saved = dup(STDERR_FILENO);
	assert_int_equal(pipe(p), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	dup2(p[1], STDERR_FILENO);
	vlog_reset();
	int printed = 0;
	for (int i = 0; i < 1000; i++)
		printed += vlog_guest(VLOG_UNCLAIMED, "access %d", i);
	printed += vlog_guest(VLOG_GPIO, "gpio 1");
	printed += vlog_guest(VLOG_GPIO, "gpio 2");
	vlog_summary();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	static char out[1 << 16];
	ssize_t n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_int_equal(printed, 33);
	assert_int_equal(vlog_count(VLOG_UNCLAIMED), 1000);
	assert_non_null(strstr(out, "vmm: access 31\n"));
	assert_null(strstr(out, "access 32\n"));
	assert_non_null(strstr(out, "vmm: further 968 unclaimed accesses not logged\n"));
	assert_non_null(strstr(out, "vmm: further 1 GPIO kernel-path failures not logged\n"));
	assert_true(n < 33 * 40 + 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_queue_refuses_then_reports_room),
		cmocka_unit_test(unread_destination_never_blocks),
		cmocka_unit_test(closed_reader_discards),
		cmocka_unit_test(nonblock_leaves_shared_description_alone),
		cmocka_unit_test(guest_messages_are_rate_limited),
	};
	return cmocka_run_group_tests_name("outq", tests, NULL, NULL);
}
