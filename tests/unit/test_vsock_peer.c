/*
 * test_vsock_peer: a vsock link's guest-to-guest packets (vsock_peer.h),
 * with the other monitor played by the test on the other end of the
 * socketpair: what the guest sends a peer goes out whole and checked;
 * what the peer sends arrives only when it is from that peer to this
 * guest, split over small receive buffers; a full socket holds the
 * guest's packet instead of dropping it; LINKMSG_DOWN resets the
 * connections with that peer and refuses new ones until LINKMSG_UP.
 */
#include "testlib.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linkmsg.h"
#include "vsock_conn.h"
#include "vsock.h"
#include "vsock_peer.h"

#define ME 3u
#define PEER 4u

struct fix {
	struct vsock_conn_table *t;
	struct vsock_peers *ps;
	int other; /* the peer monitor's end */
};

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	char err[256];
	f->t = vsock_conn_new(ME, "/nonexistent/vsock", -1, err, sizeof(err));
	assert_non_null(f->t);
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	struct vsock_peer_cfg c = {PEER, sp[0]};
	f->ps = vsock_peers_new(ME, &c, 1, f->t, err, sizeof(err));
	if (!f->ps)
		fail_msg("%s", err);
	f->other = sp[1];
	return f;
}

static void fix_free(struct fix *f)
{
	vsock_peers_free(f->ps);
	vsock_conn_free(f->t);
	close(f->other);
	free(f);
}

static struct vsock_hdr hdr(uint64_t src, uint64_t dst, uint32_t sport, uint32_t dport,
			    uint16_t op, uint32_t len)
{
	return (struct vsock_hdr){.src_cid = src, .dst_cid = dst, .src_port = sport,
				  .dst_port = dport, .len = len, .type = VSOCK_TYPE_STREAM,
				  .op = op, .buf_alloc = 1u << 18};
}

/* The peer monitor sends a message; the worker's poll sees it (the
 * socket is watched for input only until it is seen: after that the
 * device reads it while it has receive buffers, without waiting). */
static void peer_send(struct fix *f, const void *m, size_t len)
{
	assert_int_equal(send(f->other, m, len, 0), (ssize_t)len);
	struct pollfd p = {vsock_conn_fd(f->t), POLLIN, 0};
	if (poll(&p, 1, 100) == 1)
		vsock_conn_poll(f->t, 0);
	assert_true(vsock_peers_rx_pending(f->ps));
}

static void peer_pkt(struct fix *f, struct vsock_hdr h, const void *payload)
{
	uint8_t m[sizeof(h) + 256];
	memcpy(m, &h, sizeof(h));
	if (h.len)
		memcpy(m + sizeof(h), payload, h.len);
	peer_send(f, m, sizeof(h) + h.len);
}

/* What the guest gets next, into a buffer of `cap` bytes of payload. */
static bool guest_rx(struct fix *f, struct vsock_hdr *h, uint8_t *buf, size_t cap)
{
	struct iovec iov = {buf, cap};
	return vsock_peers_rx(f->ps, h, &iov, 1, cap);
}

static enum vsock_peer_tx guest_tx(struct fix *f, struct vsock_hdr h, const char *payload)
{
	struct iovec iov = {(void *)(uintptr_t)payload, h.len};
	return vsock_peers_tx(f->ps, 0, &h, &iov, h.len ? 1 : 0, h.len);
}

static void test_both_ways(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	assert_int_equal(vsock_peers_find(f->ps, PEER), 0);
	assert_int_equal(vsock_peers_find(f->ps, 5), -1);
	/* The guest connects to the peer: the packet goes out as written. */
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1000, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_SENT);
	uint8_t m[512];
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), 44);
	struct vsock_hdr h;
	memcpy(&h, m, 44);
	assert_int_equal(h.src_cid, ME);
	assert_int_equal(h.dst_cid, PEER);
	assert_int_equal(h.op, VSOCK_OP_REQUEST);
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1000, 80, VSOCK_OP_RW, 5), "hello"),
			 VSOCK_PEER_SENT);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), 49);
	assert_memory_equal(m + 44, "hello", 5);
	/* A bad header from the guest (payload on a non-RW op) is not sent:
	 * the guest gets an RST. */
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1001, 80, VSOCK_OP_RESPONSE, 3), "abc"),
			 VSOCK_PEER_REFUSED);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), -1);
	uint8_t buf[256];
	assert_true(guest_rx(f, &h, buf, sizeof(buf)));
	assert_int_equal(h.op, VSOCK_OP_RST);
	assert_int_equal(h.src_cid, PEER);
	assert_int_equal(h.dst_port, 1001);
	/* Spoofed source: not sent, not answered. */
	assert_int_equal(guest_tx(f, hdr(7, PEER, 1, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_REFUSED);
	assert_false(vsock_peers_rx_pending(f->ps));

	/* The peer answers and sends 200 bytes; the guest's buffers take
	 * 64 at a time: the RW is split, in order. */
	peer_pkt(f, hdr(PEER, ME, 80, 1000, VSOCK_OP_RESPONSE, 0), NULL);
	assert_true(vsock_peers_rx_pending(f->ps));
	assert_true(guest_rx(f, &h, buf, sizeof(buf)));
	assert_int_equal(h.op, VSOCK_OP_RESPONSE);
	uint8_t data[200];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	peer_pkt(f, hdr(PEER, ME, 80, 1000, VSOCK_OP_RW, sizeof(data)), data);
	uint8_t got[200];
	size_t n = 0;
	while (n < sizeof(data)) {
		assert_true(guest_rx(f, &h, got + n, 64));
		assert_int_equal(h.op, VSOCK_OP_RW);
		assert_true(h.len <= 64);
		n += h.len;
	}
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_int_equal(vsock_peers_stats(f->ps)->rx_split, 4);
	assert_false(guest_rx(f, &h, buf, sizeof(buf)));

	/* From the peer but naming another source or destination, or with
	 * a length that is not the message's: dropped. */
	peer_pkt(f, hdr(9, ME, 80, 1000, VSOCK_OP_RW, 1), "x");
	peer_pkt(f, hdr(PEER, 9, 80, 1000, VSOCK_OP_RW, 1), "x");
	struct vsock_hdr bad = hdr(PEER, ME, 80, 1000, VSOCK_OP_RW, 2);
	uint8_t bm[44 + 1];
	memcpy(bm, &bad, 44);
	bm[44] = 'y';
	peer_send(f, bm, sizeof(bm));
	assert_false(guest_rx(f, &h, buf, sizeof(buf)));
	assert_int_equal(vsock_peers_stats(f->ps)->rx_bad, 3);
	fix_free(f);
}

/* The peer restarts: DOWN resets the guest's connections with it (and
 * only those), what it sent before is not delivered, new packets to it
 * are refused until it says UP. */
static void test_down_and_up(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct vsock_hdr h;
	uint8_t buf[256], m[256];
	/* Two connections: one the guest made, one the peer made. */
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1000, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_SENT);
	peer_pkt(f, hdr(PEER, ME, 5000, 22, VSOCK_OP_REQUEST, 0), NULL);
	assert_true(guest_rx(f, &h, buf, sizeof(buf)));
	assert_int_equal(h.op, VSOCK_OP_REQUEST);
	while (recv(f->other, m, sizeof(m), MSG_DONTWAIT) > 0)
		;
	/* A third, closed again by an RST: forgotten. */
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1002, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_SENT);
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1002, 80, VSOCK_OP_RST, 0), NULL),
			 VSOCK_PEER_SENT);
	while (recv(f->other, m, sizeof(m), MSG_DONTWAIT) > 0)
		;
	/* The supervisor's DOWN for the peer's VM: an RST for each of the
	 * two live connections, not for the closed one. */
	uint8_t down = LINKMSG_DOWN, up = LINKMSG_UP;
	assert_int_equal(send(f->other, &down, 1, 0), 1);
	peer_send(f, NULL, 0); /* a zero-length message: ignored */
	unsigned rst = 0, ports = 0;
	while (guest_rx(f, &h, buf, sizeof(buf))) {
		assert_int_equal(h.op, VSOCK_OP_RST);
		assert_int_equal(h.src_cid, PEER);
		rst++;
		ports |= h.dst_port == 1000 ? 1u : h.dst_port == 22 ? 2u : 4u;
	}
	assert_int_equal(rst, 2);
	assert_int_equal(ports, 3);
	/* Down: the guest's new REQUEST is refused at once. */
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1003, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_REFUSED);
	assert_true(guest_rx(f, &h, buf, sizeof(buf)));
	assert_int_equal(h.op, VSOCK_OP_RST);
	assert_int_equal(h.dst_port, 1003);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), -1);
	/* UP: carried again. */
	peer_send(f, &up, 1);
	assert_false(guest_rx(f, &h, buf, sizeof(buf)));
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1004, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_SENT);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), 44);
	assert_int_equal(vsock_peers_stats(f->ps)->link_msgs, 2);
	/* Our own device: live says UP, a reset says DOWN. */
	vsock_peers_live(f->ps);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), 1);
	assert_int_equal(m[0], LINKMSG_UP);
	vsock_peers_reset(f->ps);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), 1);
	assert_int_equal(m[0], LINKMSG_DOWN);
	fix_free(f);
}

/* A peer that does not read: its socket fills, and the guest's packet is
 * held (FULL), never dropped, until the socket is writable again. */
static void test_full_socket_holds(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	static char big[VSOCK_MAX_PAYLOAD];
	memset(big, 'z', sizeof(big));
	unsigned sent = 0;
	enum vsock_peer_tx r;
	while ((r = guest_tx(f, hdr(ME, PEER, 1000, 80, VSOCK_OP_RW, sizeof(big)), big)) ==
	       VSOCK_PEER_SENT)
		sent++;
	assert_int_equal(r, VSOCK_PEER_FULL);
	assert_true(sent >= 1);
	assert_false(vsock_peers_writable(f->ps, 0));
	/* The peer reads until the socket is writable: EPOLLOUT, and the
	 * same packet goes. */
	uint8_t *m = malloc(44 + sizeof(big));
	assert_non_null(m);
	unsigned got = 0;
	struct pollfd p = {vsock_conn_fd(f->t), POLLIN, 0};
	while (!vsock_peers_writable(f->ps, 0)) {
		assert_true(got < sent);
		assert_int_equal(recv(f->other, m, 44 + sizeof(big), 0),
				 (ssize_t)(44 + sizeof(big)));
		got++;
		if (poll(&p, 1, 100) == 1)
			vsock_conn_poll(f->t, 0);
	}
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1000, 80, VSOCK_OP_RW, sizeof(big)), big),
			 VSOCK_PEER_SENT);
	while (recv(f->other, m, 44 + sizeof(big), MSG_DONTWAIT) > 0)
		got++;
	assert_int_equal(got, sent + 1);
	assert_int_equal(vsock_peers_stats(f->ps)->tx_full, 1);
	free(m);
	fix_free(f);
}

/* Our state messages that find the peer's socket full are kept: the
 * device is reset and comes back while the peer does not read, and once
 * it reads it hears DOWN, then UP, after the packets before them and
 * before the guest's next one. */
static void test_state_kept_when_full(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	static char big[VSOCK_MAX_PAYLOAD];
	memset(big, 'z', sizeof(big));
	unsigned sent = 0;
	while (guest_tx(f, hdr(ME, PEER, 1000, 80, VSOCK_OP_RW, sizeof(big)), big) ==
	       VSOCK_PEER_SENT)
		sent++;
	assert_true(sent >= 1);
	vsock_peers_reset(f->ps);
	vsock_peers_live(f->ps);
	/* Nothing new may overtake them. */
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1001, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_FULL);
	uint8_t *m = malloc(44 + sizeof(big));
	assert_non_null(m);
	struct pollfd p = {vsock_conn_fd(f->t), POLLIN, 0};
	unsigned got = 0;
	uint8_t said[2];
	unsigned nsaid = 0;
	for (unsigned tries = 0; nsaid < 2 && tries < 1000; tries++) {
		ssize_t n = recv(f->other, m, 44 + sizeof(big), MSG_DONTWAIT);
		if (n == (ssize_t)(44 + sizeof(big))) {
			assert_int_equal(nsaid, 0); /* the packets came first */
			got++;
		} else if (n == 1) {
			said[nsaid++] = m[0];
		}
		if (poll(&p, 1, n > 0 ? 0 : 10) == 1)
			vsock_conn_poll(f->t, 0);
	}
	assert_int_equal(got, sent);
	assert_int_equal(nsaid, 2);
	assert_int_equal(said[0], LINKMSG_DOWN);
	assert_int_equal(said[1], LINKMSG_UP);
	assert_int_equal(guest_tx(f, hdr(ME, PEER, 1001, 80, VSOCK_OP_REQUEST, 0), NULL),
			 VSOCK_PEER_SENT);
	assert_int_equal(recv(f->other, m, 44 + sizeof(big), MSG_DONTWAIT), 44);
	free(m);
	fix_free(f);
}

/* A restarted VM (vmm system's `restarted`): DOWN to each peer before its
 * first UP, in case the supervisor's for the one before did not go. */
static void test_restarted(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	uint8_t m[16];
	vsock_peers_restarted(f->ps);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), -1);
	vsock_peers_live(f->ps);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), 1);
	assert_int_equal(m[0], LINKMSG_DOWN);
	assert_int_equal(recv(f->other, m, sizeof(m), MSG_DONTWAIT), 1);
	assert_int_equal(m[0], LINKMSG_UP);
	fix_free(f);
}

static void test_options(void **state)
{
	(void)state;
	struct vsock_cfg c;
	char err[256];
	assert_int_equal(vsock_parse_option("cid=3,uds=/tmp/x,peer=4@50,restarted", &c, err,
					    sizeof(err)), 0);
	assert_true(c.restarted);
	assert_int_equal(vsock_parse_option("cid=3,uds=/tmp/x,restarted", &c, err, sizeof(err)),
			 -1);
	assert_int_equal(vsock_parse_option("cid=3,uds=/tmp/x,peer=4@50,peer=5@51", &c, err,
					    sizeof(err)), 0);
	assert_int_equal(c.npeers, 2);
	assert_int_equal(c.peers[1].cid, 5);
	assert_int_equal(c.peers[1].fd, 51);
	static const char *const bad[] = {
		"cid=3,uds=/tmp/x,peer=3@50",            /* our own CID */
		"cid=3,uds=/tmp/x,peer=4@50,peer=4@51",  /* a CID twice */
		"cid=3,uds=/tmp/x,peer=4@50,peer=5@50",  /* a descriptor twice */
		"cid=3,uds=/tmp/x,peer=2@50",            /* the host */
		"cid=3,uds=/tmp/x,peer=4@2",             /* stderr */
		"cid=3,uds=/tmp/x,peer=4",               /* no @FD */
		"cid=3,uds=/tmp/x,peer=4@x",
		"cid=3,uds=/tmp/x,peer=4294967295@50",   /* VMADDR_CID_ANY */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vsock_parse_option(bad[i], &c, err, sizeof(err)) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err, "--vsock"));
	}
	char many[512];
	size_t o = (size_t)snprintf(many, sizeof(many), "cid=3,uds=/tmp/x");
	for (unsigned i = 0; i <= VSOCK_PEERS_MAX; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, ",peer=%u@%u", 10 + i, 50 + i);
	assert_int_equal(vsock_parse_option(many, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_down_and_up),
		cmocka_unit_test(test_full_socket_holds),
		cmocka_unit_test(test_state_kept_when_full),
		cmocka_unit_test(test_restarted),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
