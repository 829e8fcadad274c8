/*
 * test_vsock_conn: the virtio-vsock stream protocol (virtio 1.2, 5.10.6)
 * against real Unix sockets in a temporary directory, the guest played by
 * the test through vsock_conn_tx / vsock_conn_rx.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsock_conn.h"

#define CID 3u
#define BOTH (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)

struct fix {
	char dir[64];
	char uds[96];
	struct vsock_conn_table *t;
	int lfd5000; /* a host service on port 5000: uds_5000 */
};

static int sock_at(const char *path, bool listening)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (listening) {
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(fd, 128), 0);
	} else if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_vsock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->uds, sizeof(f->uds), "%s/v.sock", f->dir);
	char err[256] = "";
	int lfd = vsock_conn_listen(f->uds, err, sizeof(err));
	if (lfd < 0)
		fail_msg("%s", err);
	f->t = vsock_conn_new(CID, f->uds, lfd, err, sizeof(err));
	if (!f->t)
		fail_msg("%s", err);
	char p[128];
	snprintf(p, sizeof(p), "%s_5000", f->uds);
	f->lfd5000 = sock_at(p, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	vsock_conn_free(f->t);
	close(f->lfd5000);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct vsock_hdr ghdr(uint16_t op, uint32_t sport, uint32_t dport)
{
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = VSOCK_HOST_CID,
			      .src_port = sport,
			      .dst_port = dport,
			      .type = VSOCK_TYPE_STREAM,
			      .op = op,
			      .buf_alloc = 65536};
	return h;
}

static enum vsock_verdict gtx(struct fix *f, struct vsock_hdr h, const void *data, size_t len)
{
	struct iovec iov = {(void *)(uintptr_t)data, len};
	h.len = h.len ? h.len : (uint32_t)len;
	return vsock_conn_tx(f->t, &h, &iov, len ? 1 : 0, len);
}

/* One packet for the guest, waiting for host events up to a second. */
static bool grx(struct fix *f, struct vsock_hdr *h, void *buf, size_t cap)
{
	for (int i = 0; i < 100; i++) {
		if (vsock_conn_rx_pending(f->t)) {
			struct iovec iov = {buf, cap};
			if (vsock_conn_rx(f->t, h, &iov, 1, cap))
				return true;
		}
		vsock_conn_poll(f->t, 10);
	}
	return false;
}

static void expect(struct fix *f, uint16_t op, uint32_t hport, uint32_t gport,
		   struct vsock_hdr *out)
{
	struct vsock_hdr h;
	static uint8_t buf[VSOCK_MAX_PAYLOAD];
	if (!grx(f, &h, buf, sizeof(buf)))
		fail_msg("expected op %u for %u -> %u, got nothing", op, hport, gport);
	if (h.op != op || h.src_port != hport || h.dst_port != gport)
		fail_msg("expected op %u %u -> %u, got op %u %u -> %u", op, hport, gport, h.op,
			 h.src_port, h.dst_port);
	assert_int_equal(h.dst_cid, CID);
	assert_int_equal(h.type, VSOCK_TYPE_STREAM);
	assert_int_equal(h.buf_alloc, VSOCK_CONN_BUF);
	if (op == VSOCK_OP_RST && h.src_cid != VSOCK_HOST_CID && out)
		out->src_cid = h.src_cid;
	if (out)
		*out = h;
}

static void expect_none(struct fix *f)
{
	vsock_conn_poll(f->t, 20);
	assert_false(vsock_conn_rx_pending(f->t));
}

/* The guest connects to host port 5000; returns the host's end. */
static int open_g2h(struct fix *f, uint32_t gport)
{
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_REQUEST, gport, 5000), NULL, 0), VSOCK_OK);
	expect(f, VSOCK_OP_RESPONSE, 5000, gport, NULL);
	int fd = accept4(f->lfd5000, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void test_header_check(void **state)
{
	(void)state;
	struct vsock_hdr h = ghdr(VSOCK_OP_RW, 1, 2);
	h.len = 10;
	assert_int_equal(vsock_conn_check(&h, 10, CID), VSOCK_OK);
	assert_int_equal(vsock_conn_check(&h, 9, CID), VSOCK_BAD_LEN);
	h.len = VSOCK_MAX_PAYLOAD + 1;
	assert_int_equal(vsock_conn_check(&h, 1u << 20, CID), VSOCK_BAD_LEN);
	h = ghdr(VSOCK_OP_REQUEST, 1, 2);
	h.len = 1;
	assert_int_equal(vsock_conn_check(&h, 1, CID), VSOCK_BAD_LEN);
	h = ghdr(VSOCK_OP_REQUEST, 1, 2);
	assert_int_equal(vsock_conn_check(&h, 0, 4), VSOCK_BAD_SRC);
	h.dst_cid = 5;
	assert_int_equal(vsock_conn_check(&h, 0, CID), VSOCK_BAD_DST);
	h = ghdr(VSOCK_OP_REQUEST, 1, 2);
	h.type = 2; /* SEQPACKET: not offered */
	assert_int_equal(vsock_conn_check(&h, 0, CID), VSOCK_BAD_TYPE);
	h = ghdr(0, 1, 2);
	assert_int_equal(vsock_conn_check(&h, 0, CID), VSOCK_BAD_OP);
	h.op = 8;
	assert_int_equal(vsock_conn_check(&h, 0, CID), VSOCK_BAD_OP);
	h.op = 0xffff;
	assert_int_equal(vsock_conn_check(&h, 0, CID), VSOCK_BAD_OP);
}

/* Guest to host port 5000 (uds_5000): handshake, data both ways. */
static void test_guest_connects(void **state)
{
	struct fix *f = *state;
	int hfd = open_g2h(f, 1234);
	struct vsock_hdr h = ghdr(VSOCK_OP_RW, 1234, 5000);
	assert_int_equal(gtx(f, h, "hello", 5), VSOCK_OK);
	char buf[16] = "";
	test_read_exact(hfd, buf, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(write(hfd, "world!", 6), 6);
	struct vsock_hdr r;
	uint8_t data[64];
	assert_true(grx(f, &r, data, sizeof(data)));
	assert_int_equal(r.op, VSOCK_OP_RW);
	assert_int_equal(r.src_cid, VSOCK_HOST_CID);
	assert_int_equal(r.src_port, 5000);
	assert_int_equal(r.dst_port, 1234);
	assert_int_equal(r.len, 6);
	assert_memory_equal(data, "world!", 6);
	assert_int_equal(r.fwd_cnt, 5); /* the 5 bytes the host took */
	expect_none(f);
	assert_int_equal(vsock_conn_count(f->t), 1);
	close(hfd);
}

static void test_rst_for_unknown_port_and_cid(void **state)
{
	struct fix *f = *state;
	/* Nobody at uds_7000. */
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_REQUEST, 1, 7000), NULL, 0), VSOCK_OK);
	expect(f, VSOCK_OP_RST, 7000, 1, NULL);
	assert_int_equal(vsock_conn_stats(f->t)->host_connect_failed, 1);
	/* Another CID: the RST comes from the CID the guest addressed. */
	struct vsock_hdr h = ghdr(VSOCK_OP_REQUEST, 2, 5000);
	h.dst_cid = 42;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_BAD_DST);
	struct vsock_hdr r;
	expect(f, VSOCK_OP_RST, 5000, 2, &r);
	assert_int_equal(r.src_cid, 42);
	/* A packet for no connection gets an RST; an RST gets nothing. */
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RW, 3, 5000), "x", 1), VSOCK_OK);
	expect(f, VSOCK_OP_RST, 5000, 3, NULL);
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RST, 3, 5000), NULL, 0), VSOCK_OK);
	expect_none(f);
	/* A spoofed source CID is dropped without an answer. */
	h = ghdr(VSOCK_OP_REQUEST, 4, 5000);
	h.src_cid = 9;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_BAD_SRC);
	expect_none(f);
	assert_int_equal(vsock_conn_count(f->t), 0);
}

static void test_malformed_headers_reset(void **state)
{
	struct fix *f = *state;
	int hfd = open_g2h(f, 10);
	/* len longer than the chain. */
	struct vsock_hdr h = ghdr(VSOCK_OP_RW, 10, 5000);
	h.len = 100;
	char abc[] = "abc";
	struct iovec iov = {abc, 3};
	assert_int_equal(vsock_conn_tx(f->t, &h, &iov, 1, 3), VSOCK_BAD_LEN);
	expect(f, VSOCK_OP_RST, 5000, 10, NULL);
	/* Unknown op and type. */
	h = ghdr(77, 11, 5000);
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_BAD_OP);
	expect(f, VSOCK_OP_RST, 5000, 11, NULL);
	h = ghdr(VSOCK_OP_REQUEST, 12, 5000);
	h.type = 2;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_BAD_TYPE);
	expect(f, VSOCK_OP_RST, 5000, 12, NULL);
	/* An op the state does not expect resets the connection. */
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RESPONSE, 10, 5000), NULL, 0), VSOCK_OK);
	expect(f, VSOCK_OP_RST, 5000, 10, NULL);
	assert_int_equal(vsock_conn_count(f->t), 0);
	char c;
	assert_int_equal(read(hfd, &c, 1), 0); /* the host saw it end */
	close(hfd);
	assert_int_equal(vsock_conn_stats(f->t)->bad[VSOCK_BAD_LEN], 1);
	assert_int_equal(vsock_conn_stats(f->t)->bad[VSOCK_BAD_OP], 1);
}

/* A host program on PATH: CONNECT, the guest's RESPONSE, OK, data; bytes
 * written right behind the CONNECT line are stream data. */
static void test_host_connects(void **state)
{
	struct fix *f = *state;
	int hfd = sock_at(f->uds, false);
	assert_true(hfd >= 0);
	const char line[] = "CONNECT 52\nearly";
	assert_int_equal(write(hfd, line, sizeof(line) - 1), (ssize_t)sizeof(line) - 1);
	struct vsock_hdr r;
	expect(f, VSOCK_OP_REQUEST, 1u << 30, 52, &r);
	assert_int_equal(r.src_cid, VSOCK_HOST_CID);
	uint32_t lport = r.src_port;
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RESPONSE, 52, lport), NULL, 0), VSOCK_OK);
	char ok[32] = "";
	char want[32];
	int wl = snprintf(want, sizeof(want), "OK %u\n", lport);
	test_read_exact(hfd, ok, (size_t)wl);
	assert_string_equal(ok, want);
	uint8_t data[64];
	assert_true(grx(f, &r, data, sizeof(data)));
	assert_int_equal(r.op, VSOCK_OP_RW);
	assert_int_equal(r.len, 5);
	assert_memory_equal(data, "early", 5);
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RW, 52, lport), "pong", 4), VSOCK_OK);
	char buf[8] = "";
	test_read_exact(hfd, buf, 4);
	assert_memory_equal(buf, "pong", 4);
	/* A second program gets the next local port. */
	int h2 = sock_at(f->uds, false);
	assert_int_equal(write(h2, "CONNECT 52\r\n", 12), 12);
	expect(f, VSOCK_OP_REQUEST, lport + 1, 52, NULL);
	/* The guest has no listener: its RST closes the program's socket. */
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RST, 52, lport + 1), NULL, 0), VSOCK_OK);
	char c;
	struct pollfd p = {.fd = h2, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(read(h2, &c, 1), 0);
	close(h2);
	close(hfd);
}

static void test_bad_connect_lines(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = {"connect 52\n", "CONNECT\n", "CONNECT x\n",
					  "CONNECT 4294967295\n", "CONNECT 52 53\n",
					  "CONNECT 99999999999999999999\n",
					  "CONNECT 1234567890123456789012345678901234"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int hfd = sock_at(f->uds, false);
		assert_int_equal(write(hfd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
		char c;
		for (int k = 0; k < 50; k++) {
			vsock_conn_poll(f->t, 10);
			struct pollfd p = {.fd = hfd, .events = POLLIN};
			if (poll(&p, 1, 0) == 1)
				break;
		}
		/* End of stream, or ECONNRESET when bytes were left unread. */
		ssize_t n = read(hfd, &c, 1);
		if (n > 0 || (n < 0 && errno != ECONNRESET))
			fail_msg("line \"%s\" was not refused", bad[i]);
		close(hfd);
		assert_false(vsock_conn_rx_pending(f->t));
	}
	vsock_conn_poll(f->t, 10);
	assert_int_equal(vsock_conn_count(f->t), 0);
}

/* Host to guest: never more than the guest's buf_alloc in flight. */
static void test_credit_to_guest(void **state)
{
	struct fix *f = *state;
	struct vsock_hdr h = ghdr(VSOCK_OP_REQUEST, 20, 5000);
	h.buf_alloc = 10;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_OK);
	expect(f, VSOCK_OP_RESPONSE, 5000, 20, NULL);
	int hfd = accept4(f->lfd5000, NULL, NULL, SOCK_CLOEXEC);
	char big[100];
	memset(big, 'z', sizeof(big));
	assert_int_equal(write(hfd, big, sizeof(big)), (ssize_t)sizeof(big));
	struct vsock_hdr r;
	uint8_t data[256];
	assert_true(grx(f, &r, data, sizeof(data)));
	assert_int_equal(r.op, VSOCK_OP_RW);
	assert_int_equal(r.len, 10);
	expect_none(f); /* no credit left */
	/* The guest consumed 4: 4 more. */
	h = ghdr(VSOCK_OP_CREDIT_UPDATE, 20, 5000);
	h.buf_alloc = 10;
	h.fwd_cnt = 4;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_OK);
	assert_true(grx(f, &r, data, sizeof(data)));
	assert_int_equal(r.len, 4);
	expect_none(f);
	/* A CREDIT_REQUEST gets our state. */
	h.op = VSOCK_OP_CREDIT_REQUEST;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_OK);
	expect(f, VSOCK_OP_CREDIT_UPDATE, 5000, 20, NULL);
	/* A small rx buffer limits the packet too. */
	h = ghdr(VSOCK_OP_CREDIT_UPDATE, 20, 5000);
	h.buf_alloc = 1000;
	h.fwd_cnt = 14;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_OK);
	assert_true(grx(f, &r, data, 7));
	assert_int_equal(r.len, 7);
	close(hfd);
}

/* Guest to host: the guest may fill our buffer while the host does not
 * read, and one byte past it is a reset; as the host reads, credit
 * updates go back. */
static void test_credit_from_guest(void **state)
{
	struct fix *f = *state;
	int hfd = open_g2h(f, 30);
	static uint8_t chunk[VSOCK_MAX_PAYLOAD];
	memset(chunk, 'q', sizeof(chunk));
	/* Far more than the socket takes at once: the rest is buffered. */
	uint32_t sent = 0;
	while (sent < VSOCK_CONN_BUF * 2) {
		struct vsock_hdr h = ghdr(VSOCK_OP_RW, 30, 5000);
		assert_int_equal(gtx(f, h, chunk, sizeof(chunk)), VSOCK_OK);
		sent += sizeof(chunk);
		if (vsock_conn_count(f->t) == 0)
			break;
		struct vsock_hdr r;
		uint8_t d[8];
		/* Credit updates as the kernel's socket buffer takes bytes. */
		while (vsock_conn_rx_pending(f->t)) {
			struct iovec iov = {d, sizeof(d)};
			assert_true(vsock_conn_rx(f->t, &r, &iov, 1, sizeof(d)));
			assert_int_equal(r.op, VSOCK_OP_CREDIT_UPDATE);
		}
	}
	/* It was reset when the buffer overflowed, not before. */
	assert_int_equal(vsock_conn_stats(f->t)->credit_overrun, 1);
	assert_true(sent > VSOCK_CONN_BUF);
	expect(f, VSOCK_OP_RST, 5000, 30, NULL);
	close(hfd);

	/* Now a host that reads: the guest hears of the space. */
	hfd = open_g2h(f, 31);
	uint32_t fwd = 0;
	for (int i = 0; i < 8; i++) {
		struct vsock_hdr h = ghdr(VSOCK_OP_RW, 31, 5000);
		assert_int_equal(gtx(f, h, chunk, sizeof(chunk)), VSOCK_OK);
		test_read_exact(hfd, (uint8_t[VSOCK_MAX_PAYLOAD]){0}, sizeof(chunk));
		for (int k = 0; k < 5; k++)
			vsock_conn_poll(f->t, 5);
		struct vsock_hdr r;
		uint8_t d[8];
		while (vsock_conn_rx_pending(f->t)) {
			struct iovec iov = {d, sizeof(d)};
			assert_true(vsock_conn_rx(f->t, &r, &iov, 1, sizeof(d)));
			assert_int_equal(r.op, VSOCK_OP_CREDIT_UPDATE);
			fwd = r.fwd_cnt;
		}
	}
	/* 8 x 64 KiB through a 256 KiB buffer: the guest was told enough. */
	assert_true(8u * sizeof(chunk) - fwd < VSOCK_CONN_BUF);
	assert_int_equal(vsock_conn_count(f->t), 1);
	close(hfd);
}

static void test_shutdown_from_guest(void **state)
{
	struct fix *f = *state;
	int hfd = open_g2h(f, 40);
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RW, 40, 5000), "bye", 3), VSOCK_OK);
	struct vsock_hdr h = ghdr(VSOCK_OP_SHUTDOWN, 40, 5000);
	h.flags = VSOCK_SHUTDOWN_SEND;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_OK);
	char buf[8];
	test_read_exact(hfd, buf, 3);
	assert_int_equal(read(hfd, buf, 1), 0); /* end of stream after the data */
	/* Data after SHUTDOWN(SEND) is a protocol error. */
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RW, 40, 5000), "x", 1), VSOCK_OK);
	expect(f, VSOCK_OP_RST, 5000, 40, NULL);
	close(hfd);

	/* A full close: SHUTDOWN(RCV|SEND) is answered with RST (5.10.6.5). */
	hfd = open_g2h(f, 41);
	h = ghdr(VSOCK_OP_SHUTDOWN, 41, 5000);
	h.flags = BOTH;
	assert_int_equal(gtx(f, h, NULL, 0), VSOCK_OK);
	expect(f, VSOCK_OP_RST, 5000, 41, NULL);
	expect_none(f);
	assert_int_equal(vsock_conn_count(f->t), 0);
	assert_int_equal(read(hfd, buf, 1), 0);
	close(hfd);
}

static void test_shutdown_from_host(void **state)
{
	struct fix *f = *state;
	/* Half close: SHUTDOWN(SEND), the guest may still send. */
	int hfd = open_g2h(f, 50);
	assert_int_equal(write(hfd, "last", 4), 4);
	assert_int_equal(shutdown(hfd, SHUT_WR), 0);
	struct vsock_hdr r;
	uint8_t d[16];
	assert_true(grx(f, &r, d, sizeof(d)));
	assert_int_equal(r.op, VSOCK_OP_RW);
	assert_int_equal(r.len, 4);
	expect(f, VSOCK_OP_SHUTDOWN, 5000, 50, &r);
	assert_int_equal(r.flags, VSOCK_SHUTDOWN_SEND);
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RW, 50, 5000), "ack", 3), VSOCK_OK);
	char buf[4];
	test_read_exact(hfd, buf, 3);
	/* Then it closes: SHUTDOWN(both); the guest's RST ends it. */
	close(hfd);
	expect(f, VSOCK_OP_SHUTDOWN, 5000, 50, &r);
	assert_int_equal(r.flags, BOTH);
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_RST, 50, 5000), NULL, 0), VSOCK_OK);
	assert_int_equal(vsock_conn_count(f->t), 0);
	expect_none(f);

	/* Write and close at once: the data, then SHUTDOWN(both). */
	hfd = open_g2h(f, 51);
	assert_int_equal(write(hfd, "gone", 4), 4);
	close(hfd);
	assert_true(grx(f, &r, d, sizeof(d)));
	assert_int_equal(r.op, VSOCK_OP_RW);
	assert_int_equal(r.len, 4);
	expect(f, VSOCK_OP_SHUTDOWN, 5000, 51, &r);
	assert_int_equal(r.flags, BOTH);
}

/* Deadlines: a REQUEST the guest never answers is withdrawn with an RST
 * and the host program's socket closed. */
static void test_request_timeout(void **state)
{
	struct fix *f = *state;
	int hfd = sock_at(f->uds, false);
	assert_int_equal(write(hfd, "CONNECT 9\n", 10), 10);
	struct vsock_hdr r;
	expect(f, VSOCK_OP_REQUEST, 1u << 30, 9, &r);
	int ms = vsock_conn_timeout(f->t);
	assert_true(ms > 0 && ms <= VSOCK_CONN_TIMEOUT_MS);
	vsock_conn_poll(f->t, ms + 20);
	vsock_conn_poll(f->t, 0);
	expect(f, VSOCK_OP_RST, r.src_port, 9, NULL);
	char c;
	assert_int_equal(read(hfd, &c, 1), 0);
	assert_int_equal(vsock_conn_stats(f->t)->timeouts, 1);
	assert_int_equal(vsock_conn_timeout(f->t), -1);
	close(hfd);
}

static void test_table_is_bounded(void **state)
{
	struct fix *f = *state;
	int fds[VSOCK_CONN_MAX];
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++)
		fds[i] = open_g2h(f, 100 + i);
	assert_int_equal(vsock_conn_count(f->t), VSOCK_CONN_MAX);
	assert_int_equal(gtx(f, ghdr(VSOCK_OP_REQUEST, 999, 5000), NULL, 0), VSOCK_OK);
	expect(f, VSOCK_OP_RST, 5000, 999, NULL);
	assert_int_equal(vsock_conn_stats(f->t)->refused_full, 1);
	/* RSTs for a flood of bad packets are bounded too. */
	for (int i = 0; i < 1000; i++)
		(void)gtx(f, ghdr(77, 1, 1), NULL, 0);
	assert_true(vsock_conn_stats(f->t)->rst_dropped > 0);
	/* Device reset ends every connection. */
	vsock_conn_reset(f->t);
	assert_int_equal(vsock_conn_count(f->t), 0);
	assert_false(vsock_conn_rx_pending(f->t));
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++) {
		char c;
		assert_int_equal(read(fds[i], &c, 1), 0);
		close(fds[i]);
	}
}

static void test_listen_path(void **state)
{
	struct fix *f = *state;
	char err[256] = "";
	char p[128];
	/* Someone listens there (us). */
	assert_int_equal(vsock_conn_listen(f->uds, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another process listens"));
	/* Not a socket. */
	snprintf(p, sizeof(p), "%s/file", f->dir);
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	assert_int_equal(vsock_conn_listen(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--vsock uds="));
	assert_non_null(strstr(err, "not a socket"));
	/* A stale socket is replaced. */
	snprintf(p, sizeof(p), "%s/stale", f->dir);
	fd = sock_at(p, true);
	close(fd);
	fd = vsock_conn_listen(p, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	/* Too long for PATH_P to fit. */
	char lng[200];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = 0;
	assert_int_equal(vsock_conn_listen(lng, err, sizeof(err)), -1);
	snprintf(p, sizeof(p), "%s/nodir/x", f->dir);
	assert_int_equal(vsock_conn_listen(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_check),
		T(test_guest_connects),
		T(test_rst_for_unknown_port_and_cid),
		T(test_malformed_headers_reset),
		T(test_host_connects),
		T(test_bad_connect_lines),
		T(test_credit_to_guest),
		T(test_credit_from_guest),
		T(test_shutdown_from_guest),
		T(test_shutdown_from_host),
		T(test_request_timeout),
		T(test_table_is_bounded),
		T(test_listen_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
