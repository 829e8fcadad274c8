/*
 * vsock_conn: virtio-vsock stream connections (virtio 1.2, 5.10.6) and
 * their host ends on Unix sockets.
 *
 * One connection, as this device sees it (G = guest, H = host program):
 *
 *   host-initiated:  H connects to PATH ---> LINE (reading "CONNECT <port>\n")
 *                    LINE --line--> HREQ (REQUEST owed to G, from CID 2 and
 *                    a local port) --G: RESPONSE--> OPEN ("OK <port>\n" to H)
 *   guest-initiated: G: REQUEST to port P --connect(PATH_P)--> OPEN
 *                    (RESPONSE owed to G); connect fails --> RST to G
 *   OPEN:            G: RW --> bytes to H, within our credit; H readable
 *                    --> RW to G, within G's credit (5.10.6.3)
 *                    H: end of stream --> SHUTDOWN(SEND) to G; H: hang-up
 *                    --> SHUTDOWN(SEND|RCV) to G --> SHUT (waiting for G's
 *                    RST, 5.10.6.5)
 *                    G: SHUTDOWN(SEND) --> shutdown(SHUT_WR) on H once our
 *                    buffer is written; G: SHUTDOWN(RCV) --> H not read
 *                    G: SHUTDOWN with both flags seen --> RST to G, the
 *                    connection leaves the table; DRAIN writes what we
 *                    still hold to H, then closes it
 *   any state:       G: RST --> close; a deadline (VSOCK_CONN_TIMEOUT_MS)
 *                    in LINE, HREQ, SHUT and DRAIN --> close (RST to G
 *                    where G knows the connection)
 *
 * Anything else from G (an op its connection's state does not expect, RW
 * past our credit or after its SHUTDOWN(SEND), a packet for no connection)
 * resets the connection: RST to G, H's socket closed. An RST is never
 * answered (5.10.6.4). RSTs for packets that name no connection wait in a
 * bounded queue; when it is full they are dropped and counted, so a guest
 * flooding bad packets costs us nothing but its own rx buffers.
 *
 * Credit (5.10.6.3): we buffer at most VSOCK_CONN_BUF bytes a connection
 * holds for H (a ring, allocated the first time H does not take a write at
 * once), advertise that as buf_alloc and the bytes H took as fwd_cnt; G may
 * have at most buf_alloc - (bytes sent - fwd_cnt) in flight, and a packet
 * past that resets the connection. We send G at most its own buf_alloc -
 * (bytes we sent - its fwd_cnt), and stop reading H while that is zero.
 *
 * Epoll: level-triggered. H's socket is watched for input only while we
 * may read it and have not yet (a readable connection waits in the ready
 * list for an rx buffer, unwatched, so a full rx queue does not spin), for
 * output only while our ring holds bytes. After a hang-up the socket is
 * no longer watched (EPOLLHUP cannot be masked) and is read to its end.
 */
#include "vsock_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define VSOCK_RST_MAX 64      /* RSTs for no connection, waiting for rx buffers */
#define VSOCK_LINE_MAX 32     /* "CONNECT 4294967295\r\n" and then some */
#define VSOCK_LOCAL_PORT0 (1u << 30) /* first local port (as Firecracker) */
#define VSOCK_EV_LISTEN 0ull
#define VSOCK_EV_OTHER (1ull << 63) /* | tag: vsock_conn_watch_other */

_Static_assert((VSOCK_CONN_BUF & (VSOCK_CONN_BUF - 1)) == 0, "ring size a power of two");

const char *const vsock_verdict_name[VSOCK_NVERDICTS] = {
	[VSOCK_OK] = "ok",
	[VSOCK_BAD_SRC] = "source CID not the guest's",
	[VSOCK_BAD_DST] = "destination CID not the host",
	[VSOCK_BAD_TYPE] = "type not stream",
	[VSOCK_BAD_OP] = "unknown op",
	[VSOCK_BAD_LEN] = "bad length",
};

enum vstate { V_FREE, V_LINE, V_HREQ, V_OPEN, V_SHUT, V_DRAIN };

/* Control packets owed to the guest. */
enum { P_REQUEST = 1, P_RESPONSE = 2, P_SHUTDOWN = 4, P_CREDIT = 8 };

struct vconn {
	enum vstate state;
	int fd;
	uint32_t gen; /* tags epoll events, so a stale one never hits a reused slot */
	uint32_t gport, hport;
	unsigned pending;   /* P_* */
	uint32_t shut_out;  /* SHUTDOWN flags owed or sent to the guest */
	uint32_t guest_shut; /* SHUTDOWN flags the guest sent */
	bool readable;      /* H may have bytes (or its end) for G */
	bool host_eof;      /* read H to its end */
	bool host_hup;      /* H hung up: not watched, read to the end */
	bool wr_shut;       /* shutdown(SHUT_WR) done */
	bool registered;
	uint32_t events;
	int rnext, rprev; /* ready list links, -1 at the ends */
	bool in_ready;
	/* G's receive buffer, as it told us, and what we sent it. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Our buffer: bytes from G (rx_cnt), written to H (fwd_cnt), and the
	 * fwd_cnt G last heard. Ring bytes are [fwd_cnt, rx_cnt). */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;
	uint8_t *ring;
	int64_t deadline; /* ms, CLOCK_MONOTONIC; 0 none */
	uint8_t line[VSOCK_LINE_MAX];
	unsigned linelen;
};

struct vrst {
	uint64_t src_cid; /* the CID G addressed */
	uint32_t src_port, dst_port;
};

struct vsock_conn_table {
	uint64_t cid;
	char uds[VSOCK_UDS_MAX + 1];
	int listen_fd;
	int ep;
	struct vconn c[VSOCK_CONN_MAX];
	int rhead, rtail;
	struct vrst rst[VSOCK_RST_MAX];
	unsigned rst_head, rst_n;
	uint32_t next_port;
	struct vsock_stats st;
	void (*other)(void *ctx, uint32_t tag, uint32_t events);
	void *other_ctx;
};

static int64_t vsock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the header check --------------------------------------------------- */

enum vsock_verdict vsock_conn_check(const struct vsock_hdr *h, size_t avail, uint64_t guest_cid)
{
	if (h->src_cid != guest_cid)
		return VSOCK_BAD_SRC;
	if (h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_BAD_DST;
	if (h->type != VSOCK_TYPE_STREAM)
		return VSOCK_BAD_TYPE;
	if (h->op == VSOCK_OP_INVALID || h->op > VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_BAD_OP;
	if (h->len > VSOCK_MAX_PAYLOAD || h->len > avail)
		return VSOCK_BAD_LEN;
	/* Only RW carries a payload (5.10.6.4-6). */
	if (h->op != VSOCK_OP_RW && h->len)
		return VSOCK_BAD_LEN;
	return VSOCK_OK;
}

/* ---- lists, epoll, teardown --------------------------------------------- */

static int vsock_idx(const struct vsock_conn_table *t, const struct vconn *c)
{
	return (int)(c - t->c);
}

static void vsock_ready_del(struct vsock_conn_table *t, struct vconn *c)
{
	if (!c->in_ready)
		return;
	if (c->rprev >= 0)
		t->c[c->rprev].rnext = c->rnext;
	else
		t->rhead = c->rnext;
	if (c->rnext >= 0)
		t->c[c->rnext].rprev = c->rprev;
	else
		t->rtail = c->rprev;
	c->in_ready = false;
	c->rnext = c->rprev = -1;
}

static void vsock_ready_add(struct vsock_conn_table *t, struct vconn *c)
{
	if (c->in_ready)
		return;
	int i = vsock_idx(t, c);
	c->rnext = -1;
	c->rprev = t->rtail;
	if (t->rtail >= 0)
		t->c[t->rtail].rnext = i;
	else
		t->rhead = i;
	t->rtail = i;
	c->in_ready = true;
}

static uint32_t vsock_ring_len(const struct vconn *c)
{
	return c->rx_cnt - c->fwd_cnt;
}

static uint32_t vsock_peer_credit(const struct vconn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;
	return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

static bool vsock_can_read(const struct vconn *c)
{
	return c->state == V_OPEN && c->readable && !c->host_eof &&
	       !(c->guest_shut & VSOCK_SHUTDOWN_RCV) && vsock_peer_credit(c) > 0;
}

static bool vsock_has_work(const struct vconn *c)
{
	return c->pending || vsock_can_read(c);
}

/* Brings the epoll registration in line with what the state wants. */
static void vsock_watch(struct vsock_conn_table *t, struct vconn *c)
{
	bool want_reg = c->fd >= 0 && !c->host_hup;
	uint32_t ev = 0;
	switch (c->state) {
	case V_LINE:
		ev = EPOLLIN;
		break;
	case V_OPEN:
	case V_SHUT:
		if (c->state == V_OPEN && !c->readable && !c->host_eof &&
		    !(c->guest_shut & VSOCK_SHUTDOWN_RCV))
			ev |= EPOLLIN;
		if (vsock_ring_len(c))
			ev |= EPOLLOUT;
		break;
	case V_DRAIN:
		ev = EPOLLOUT;
		break;
	case V_HREQ: /* only hang-ups (always reported) */
	case V_FREE:
		break;
	}
	if (!want_reg) {
		if (c->registered)
			(void)epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->registered = false;
		return;
	}
	if (c->registered && ev == c->events)
		return;
	struct epoll_event e = {.events = ev,
				.data.u64 = ((uint64_t)c->gen << 32) | (uint64_t)(vsock_idx(t, c) + 1)};
	if (epoll_ctl(t->ep, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == 0) {
		c->registered = true;
		c->events = ev;
	}
}

static void vsock_close(struct vsock_conn_table *t, struct vconn *c)
{
	if (c->registered)
		(void)epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->fd >= 0)
		close(c->fd);
	vsock_ready_del(t, c);
	free(c->ring);
	uint32_t gen = c->gen + 1;
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->fd = -1;
	c->rnext = c->rprev = -1;
	c->state = V_FREE;
}

/* An RST for G, naming the address G used. */
static void vsock_rst_to(struct vsock_conn_table *t, uint64_t src_cid, uint32_t src_port,
			 uint32_t dst_port)
{
	if (t->rst_n == VSOCK_RST_MAX) {
		t->st.rst_dropped++;
		return;
	}
	struct vrst *r = &t->rst[(t->rst_head + t->rst_n++) % VSOCK_RST_MAX];
	r->src_cid = src_cid;
	r->src_port = src_port;
	r->dst_port = dst_port;
}

/* Ends a connection G knows: RST to G, H's socket closed. */
static void vsock_reset(struct vsock_conn_table *t, struct vconn *c)
{
	vsock_rst_to(t, VSOCK_HOST_CID, c->hport, c->gport);
	vsock_close(t, c);
}

static struct vconn *vsock_find(struct vsock_conn_table *t, uint32_t gport, uint32_t hport)
{
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++) {
		struct vconn *c = &t->c[i];
		if ((c->state == V_HREQ || c->state == V_OPEN || c->state == V_SHUT) &&
		    c->gport == gport && c->hport == hport)
			return c;
	}
	return NULL;
}

static struct vconn *vsock_slot(struct vsock_conn_table *t)
{
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++)
		if (t->c[i].state == V_FREE)
			return &t->c[i];
	t->st.refused_full++;
	return NULL;
}

/* ---- the stream toward the host program ---------------------------------- */

/* Every write to a host socket: send(2) only works on sockets and cannot
 * pass descriptors (sendmsg could): the sandbox allows this one only. */
static ssize_t vsock_send(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Tells G about freed buffer space once what it has heard is less than
 * half the buffer: a guest that only sends would otherwise stall. */
static void vsock_credit_check(struct vsock_conn_table *t, struct vconn *c)
{
	uint32_t heard_used = c->rx_cnt - c->fwd_sent;
	if (c->fwd_cnt == c->fwd_sent || c->state != V_OPEN)
		return;
	if (heard_used > VSOCK_CONN_BUF || VSOCK_CONN_BUF - heard_used < VSOCK_CONN_BUF / 2) {
		c->pending |= P_CREDIT;
		vsock_ready_add(t, c);
	}
}

/* Writes what the ring holds. Returns false when the connection was
 * reset. */
static bool vsock_flush(struct vsock_conn_table *t, struct vconn *c)
{
	while (vsock_ring_len(c)) {
		uint32_t off = c->fwd_cnt & (VSOCK_CONN_BUF - 1);
		uint32_t len = vsock_ring_len(c);
		uint32_t first = len < VSOCK_CONN_BUF - off ? len : VSOCK_CONN_BUF - off;
		ssize_t n = vsock_send(c->fd, c->ring + off, first);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			vsock_reset(t, c);
			return false;
		}
		c->fwd_cnt += (uint32_t)n;
		if ((uint32_t)n < first)
			break;
	}
	if (!vsock_ring_len(c) && (c->guest_shut & VSOCK_SHUTDOWN_SEND) && !c->wr_shut) {
		(void)shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
	if (c->state == V_DRAIN && !vsock_ring_len(c)) {
		vsock_close(t, c);
		return false;
	}
	vsock_credit_check(t, c);
	vsock_watch(t, c);
	return true;
}

/* G's payload for H: straight to the socket when nothing waits before
 * it, the rest (or all, behind older bytes) into the ring. */
static void vsock_to_host(struct vsock_conn_table *t, struct vconn *c, const struct iovec *iov,
			  unsigned niov, uint32_t len)
{
	uint32_t old = c->rx_cnt;
	size_t done = 0;
	c->rx_cnt += len;
	t->st.tx_bytes += len;
	if (old == c->fwd_cnt) {
		for (unsigned i = 0; i < niov && done < len; i++) {
			size_t l = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
			ssize_t n = l ? vsock_send(c->fd, iov[i].iov_base, l) : 0;
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				vsock_reset(t, c);
				return;
			}
			done += n > 0 ? (size_t)n : 0;
			if (n < (ssize_t)l)
				break;
		}
		c->fwd_cnt += (uint32_t)done;
	}
	if (done < len) {
		if (!c->ring && !(c->ring = malloc(VSOCK_CONN_BUF))) {
			vsock_reset(t, c);
			return;
		}
		/* Copy iov bytes [done, len) to ring positions from old + done. */
		size_t skip = done, pos = old + done;
		for (unsigned i = 0; i < niov && pos != (size_t)old + len; i++) {
			const uint8_t *p = iov[i].iov_base;
			size_t l = iov[i].iov_len;
			if (skip >= l) {
				skip -= l;
				continue;
			}
			p += skip, l -= skip, skip = 0;
			while (l) {
				uint32_t off = (uint32_t)pos & (VSOCK_CONN_BUF - 1);
				size_t k = VSOCK_CONN_BUF - off < l ? VSOCK_CONN_BUF - off : l;
				memcpy(c->ring + off, p, k);
				p += k, l -= k, pos += k;
			}
		}
	}
	(void)vsock_flush(t, c);
}

/* ---- packets from the guest --------------------------------------------- */

/* G asks for host port P: connect to PATH_P. */
static void vsock_guest_connect(struct vsock_conn_table *t, const struct vsock_hdr *h)
{
	struct vconn *c = vsock_slot(t);
	if (!c) {
		vsock_rst_to(t, h->dst_cid, h->dst_port, h->src_port);
		return;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", t->uds, h->dst_port);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* A Unix stream connect completes at once or fails (EAGAIN: the
	 * listener's backlog is full); there is no connection in progress. */
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		t->st.host_connect_failed++;
		vsock_rst_to(t, h->dst_cid, h->dst_port, h->src_port);
		return;
	}
	c->fd = fd;
	c->state = V_OPEN;
	c->gport = h->src_port;
	c->hport = h->dst_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->pending = P_RESPONSE;
	vsock_ready_add(t, c);
	vsock_watch(t, c);
}

/* G answered our REQUEST: tell H which local port it got. */
static void vsock_established(struct vsock_conn_table *t, struct vconn *c)
{
	char ok[24];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->hport);
	if (vsock_send(c->fd, ok, (size_t)n) != n) {
		vsock_reset(t, c);
		return;
	}
	c->state = V_OPEN;
	c->deadline = 0;
	vsock_watch(t, c);
}

static void vsock_guest_shutdown(struct vsock_conn_table *t, struct vconn *c, uint32_t flags)
{
	c->guest_shut |= flags & (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	if (c->guest_shut == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) {
		/* G is closing: the RST that ends it (5.10.6.5), then the rest
		 * of our buffer for H, outside the table. */
		vsock_rst_to(t, VSOCK_HOST_CID, c->hport, c->gport);
		vsock_ready_del(t, c);
		if (!vsock_ring_len(c) || c->host_hup) {
			vsock_close(t, c);
			return;
		}
		c->state = V_DRAIN;
		c->pending = 0;
		c->deadline = vsock_now() + VSOCK_CONN_TIMEOUT_MS;
	}
	(void)vsock_flush(t, c);
}

enum vsock_verdict vsock_conn_tx(struct vsock_conn_table *t, const struct vsock_hdr *h,
				 const struct iovec *iov, unsigned niov, size_t avail)
{
	t->st.tx_pkts++;
	enum vsock_verdict v = vsock_conn_check(h, avail, t->cid);
	if (v != VSOCK_OK) {
		t->st.bad[v]++;
		if (v != VSOCK_BAD_SRC && h->op != VSOCK_OP_RST)
			vsock_rst_to(t, h->dst_cid, h->dst_port, h->src_port);
		return v;
	}
	struct vconn *c = vsock_find(t, h->src_port, h->dst_port);
	if (h->op == VSOCK_OP_REQUEST) {
		if (c) /* a second REQUEST for a live pair: end both */
			vsock_reset(t, c);
		else
			vsock_guest_connect(t, h);
		return v;
	}
	if (!c) {
		if (h->op != VSOCK_OP_RST)
			vsock_rst_to(t, h->dst_cid, h->dst_port, h->src_port);
		return v;
	}
	/* Every packet carries G's buffer state (5.10.6.3). */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RST:
		vsock_close(t, c);
		return v;
	case VSOCK_OP_RESPONSE:
		if (c->state != V_HREQ || (c->pending & P_REQUEST)) {
			vsock_reset(t, c);
			return v;
		}
		vsock_established(t, c);
		break;
	case VSOCK_OP_SHUTDOWN:
		if (c->state == V_HREQ) {
			vsock_reset(t, c);
			return v;
		}
		vsock_guest_shutdown(t, c, h->flags);
		return v;
	case VSOCK_OP_RW: {
		uint32_t room = VSOCK_CONN_BUF - vsock_ring_len(c);
		if (c->state != V_OPEN || (c->guest_shut & VSOCK_SHUTDOWN_SEND) ||
		    (c->shut_out & VSOCK_SHUTDOWN_RCV) || c->host_hup) {
			vsock_reset(t, c);
			return v;
		}
		if (h->len > room) {
			t->st.credit_overrun++;
			vsock_reset(t, c);
			return v;
		}
		if (h->len)
			vsock_to_host(t, c, iov, niov, h->len);
		return v;
	}
	case VSOCK_OP_CREDIT_REQUEST:
		if (c->state == V_HREQ) {
			vsock_reset(t, c);
			return v;
		}
		c->pending |= P_CREDIT;
		vsock_ready_add(t, c);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		if (c->state == V_HREQ) {
			vsock_reset(t, c);
			return v;
		}
		break;
	}
	/* New credit may let us read H again. */
	if (vsock_can_read(c))
		vsock_ready_add(t, c);
	return v;
}

/* ---- packets for the guest ---------------------------------------------- */

static void vsock_hdr(const struct vsock_conn_table *t, struct vsock_hdr *h, uint32_t hport,
		      uint32_t gport, uint16_t op)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = VSOCK_HOST_CID;
	h->dst_cid = t->cid;
	h->src_port = hport;
	h->dst_port = gport;
	h->type = VSOCK_TYPE_STREAM;
	h->op = op;
	h->buf_alloc = VSOCK_CONN_BUF;
}

static void vsock_conn_hdr(const struct vsock_conn_table *t, struct vconn *c,
			   struct vsock_hdr *h, uint16_t op)
{
	vsock_hdr(t, h, c->hport, c->gport, op);
	h->fwd_cnt = c->fwd_cnt;
	c->fwd_sent = c->fwd_cnt;
	c->pending &= ~(unsigned)P_CREDIT; /* every packet tells G our credit */
}

/* Reads H into iov, at most `limit` bytes: the bytes read, 0 at the end
 * of H's stream, -1 with errno, or -2 when iov has no room. */
static ssize_t vsock_read_host(struct vconn *c, const struct iovec *iov, unsigned niov,
			       size_t limit)
{
	size_t got = 0;
	bool any = false;
	for (unsigned i = 0; i < niov && got < limit; i++) {
		size_t l = iov[i].iov_len < limit - got ? iov[i].iov_len : limit - got;
		if (!l)
			continue;
		any = true;
		ssize_t n = recv(c->fd, iov[i].iov_base, l, MSG_DONTWAIT);
		if (n <= 0)
			return got ? (ssize_t)got : n; /* the end or EAGAIN: next time */
		got += (size_t)n;
		if ((size_t)n < l)
			break;
	}
	return any ? (ssize_t)got : -2;
}

/* One packet of connection c's owed work; false when it has none left. */
static bool vsock_conn_packet(struct vsock_conn_table *t, struct vconn *c, struct vsock_hdr *h,
			      const struct iovec *iov, unsigned niov, size_t cap)
{
	if (c->pending & P_REQUEST) {
		c->pending &= ~(unsigned)P_REQUEST;
		vsock_conn_hdr(t, c, h, VSOCK_OP_REQUEST);
		return true;
	}
	if (c->pending & P_RESPONSE) {
		c->pending &= ~(unsigned)P_RESPONSE;
		vsock_conn_hdr(t, c, h, VSOCK_OP_RESPONSE);
		return true;
	}
	if (vsock_can_read(c) && cap) {
		size_t limit = vsock_peer_credit(c);
		if (limit > cap)
			limit = cap;
		if (limit > VSOCK_MAX_PAYLOAD)
			limit = VSOCK_MAX_PAYLOAD;
		ssize_t n = vsock_read_host(c, iov, niov, limit);
		if (n > 0) {
			vsock_conn_hdr(t, c, h, VSOCK_OP_RW);
			h->len = (uint32_t)n;
			c->tx_cnt += (uint32_t)n;
			t->st.rx_bytes += (uint64_t)n;
			/* A short read emptied the socket: watch it again.
			 * After a hang-up, read on to the end instead. */
			if ((size_t)n < limit && !c->host_hup) {
				c->readable = false;
				vsock_watch(t, c);
			}
			return true;
		}
		if (n == 0) {
			c->host_eof = true;
			c->readable = false;
			c->shut_out |= VSOCK_SHUTDOWN_SEND;
			if (c->host_hup)
				c->shut_out |= VSOCK_SHUTDOWN_RCV;
			c->pending |= P_SHUTDOWN;
			vsock_watch(t, c);
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			c->readable = false;
			vsock_watch(t, c);
		} else if (n == -1) {
			vsock_reset(t, c);
			return false;
		}
	}
	if (c->pending & P_SHUTDOWN) {
		c->pending &= ~(unsigned)P_SHUTDOWN;
		vsock_conn_hdr(t, c, h, VSOCK_OP_SHUTDOWN);
		h->flags = c->shut_out;
		if (c->shut_out == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) {
			c->state = V_SHUT;
			c->deadline = vsock_now() + VSOCK_CONN_TIMEOUT_MS;
		}
		return true;
	}
	if (c->pending & P_CREDIT) {
		vsock_conn_hdr(t, c, h, VSOCK_OP_CREDIT_UPDATE);
		return true;
	}
	return false;
}

bool vsock_conn_rx_pending(struct vsock_conn_table *t)
{
	if (t->rst_n)
		return true;
	for (int i = t->rhead; i >= 0;) {
		struct vconn *c = &t->c[i];
		i = c->rnext;
		if (!vsock_has_work(c))
			vsock_ready_del(t, c);
	}
	return t->rhead >= 0;
}

bool vsock_conn_rx(struct vsock_conn_table *t, struct vsock_hdr *h, const struct iovec *iov,
		   unsigned niov, size_t cap)
{
	/* Each pass makes a packet, or removes a connection from the ready
	 * list, or (cap 0: a buffer too small for data) moves one with only
	 * data to send to the back: bounded by the list's length, twice. */
	for (unsigned pass = 0; pass <= 2 * VSOCK_CONN_MAX; pass++) {
		if (t->rst_n) {
			const struct vrst *r = &t->rst[t->rst_head];
			vsock_hdr(t, h, r->src_port, r->dst_port, VSOCK_OP_RST);
			h->src_cid = r->src_cid;
			t->rst_head = (t->rst_head + 1) % VSOCK_RST_MAX;
			t->rst_n--;
			t->st.rst_sent++;
			t->st.rx_pkts++;
			return true;
		}
		if (t->rhead < 0)
			return false;
		struct vconn *c = &t->c[t->rhead];
		bool made = vsock_conn_packet(t, c, h, iov, niov, cap);
		if (c->state != V_FREE) {
			/* Round robin: to the back while it has work. */
			vsock_ready_del(t, c);
			if (vsock_has_work(c))
				vsock_ready_add(t, c);
		}
		if (made) {
			t->st.rx_pkts++;
			return true;
		}
	}
	return false;
}

/* ---- host events -------------------------------------------------------- */

static uint32_t vsock_local_port(struct vsock_conn_table *t, uint32_t gport)
{
	for (;;) {
		uint32_t p = t->next_port++;
		if (t->next_port == UINT32_MAX) /* -1 is VMADDR_PORT_ANY */
			t->next_port = VSOCK_LOCAL_PORT0;
		if (!vsock_find(t, gport, p))
			return p; /* at most VSOCK_CONN_MAX ports are taken */
	}
}

/* "CONNECT <port>\n" (a '\r' before the '\n' is allowed). */
static bool vsock_parse_line(const uint8_t *s, unsigned n, uint32_t *port)
{
	static const char pre[] = "CONNECT ";
	unsigned i = sizeof(pre) - 1;
	if (n < i + 2 || memcmp(s, pre, i))
		return false;
	uint64_t v = 0;
	unsigned digits = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v >= UINT32_MAX)
			return false;
	}
	if (!digits)
		return false;
	if (i < n && s[i] == '\r')
		i++;
	if (i + 1 != n || s[i] != '\n')
		return false;
	*port = (uint32_t)v;
	return true;
}

/* The host program's first line, read up to its newline and no further,
 * so stream bytes sent right behind it stay in the socket. */
static void vsock_read_line(struct vsock_conn_table *t, struct vconn *c)
{
	uint8_t buf[VSOCK_LINE_MAX];
	size_t room = VSOCK_LINE_MAX - c->linelen;
	ssize_t n = recv(c->fd, buf, room, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		vsock_close(t, c);
		return;
	}
	uint8_t *nl = memchr(buf, '\n', (size_t)n);
	size_t take = nl ? (size_t)(nl - buf) + 1 : (size_t)n;
	if (recv(c->fd, c->line + c->linelen, take, MSG_DONTWAIT) != (ssize_t)take) {
		vsock_close(t, c);
		return;
	}
	c->linelen += (unsigned)take;
	if (!nl) {
		if (c->linelen == VSOCK_LINE_MAX)
			vsock_close(t, c);
		return;
	}
	uint32_t port;
	if (!vsock_parse_line(c->line, c->linelen, &port)) {
		vsock_close(t, c);
		return;
	}
	c->gport = port;
	c->hport = vsock_local_port(t, port);
	c->state = V_HREQ;
	c->pending = P_REQUEST;
	c->deadline = vsock_now() + VSOCK_CONN_TIMEOUT_MS;
	vsock_ready_add(t, c);
	vsock_watch(t, c);
}

static void vsock_accept(struct vsock_conn_table *t)
{
	for (unsigned k = 0; k < VSOCK_CONN_MAX; k++) {
		int fd = accept4(t->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct vconn *c = vsock_slot(t);
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = V_LINE;
		c->deadline = vsock_now() + VSOCK_CONN_TIMEOUT_MS;
		vsock_watch(t, c);
	}
}

static void vsock_event(struct vsock_conn_table *t, struct vconn *c, uint32_t ev)
{
	if (c->state == V_LINE) {
		if (ev & (EPOLLERR | EPOLLHUP))
			vsock_close(t, c);
		else if (ev & EPOLLIN)
			vsock_read_line(t, c);
		return;
	}
	if (ev & EPOLLERR) {
		if (c->state == V_DRAIN)
			vsock_close(t, c);
		else
			vsock_reset(t, c);
		return;
	}
	if ((ev & EPOLLOUT) && !vsock_flush(t, c))
		return;
	if (ev & EPOLLHUP) {
		/* H is gone both ways. Bytes we hold for it cannot arrive:
		 * that is a reset. Otherwise read what it left, then tell G. */
		if (c->state == V_HREQ || c->state == V_DRAIN || vsock_ring_len(c)) {
			if (c->state == V_DRAIN)
				vsock_close(t, c);
			else
				vsock_reset(t, c);
			return;
		}
		c->host_hup = true;
		c->readable = !c->host_eof;
		/* Nothing more to read for G (at the end, or G will not
		 * receive): tell it now. */
		if ((c->host_eof || (c->guest_shut & VSOCK_SHUTDOWN_RCV)) && c->state == V_OPEN) {
			c->shut_out |= VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND;
			c->pending |= P_SHUTDOWN;
		}
		vsock_watch(t, c);
		vsock_ready_add(t, c);
		return;
	}
	if (ev & EPOLLIN) {
		c->readable = true;
		vsock_watch(t, c);
		vsock_ready_add(t, c);
	}
}

static void vsock_expire(struct vsock_conn_table *t)
{
	int64_t now = vsock_now();
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++) {
		struct vconn *c = &t->c[i];
		if (c->state == V_FREE || !c->deadline || c->deadline > now)
			continue;
		t->st.timeouts++;
		if (c->state == V_HREQ || c->state == V_SHUT)
			vsock_reset(t, c);
		else
			vsock_close(t, c);
	}
}

void vsock_conn_poll(struct vsock_conn_table *t, int timeout_ms)
{
	struct epoll_event ev[32];
	int n = epoll_wait(t->ep, ev, 32, timeout_ms);
	for (int i = 0; i < n; i++) {
		uint64_t d = ev[i].data.u64;
		if (d == VSOCK_EV_LISTEN) {
			vsock_accept(t);
			continue;
		}
		if (d & VSOCK_EV_OTHER) {
			if (t->other)
				t->other(t->other_ctx, (uint32_t)d, ev[i].events);
			continue;
		}
		uint32_t idx = (uint32_t)d - 1, gen = (uint32_t)(d >> 32);
		if (idx >= VSOCK_CONN_MAX)
			abort(); /* we put it there */
		struct vconn *c = &t->c[idx];
		if (c->state == V_FREE || c->gen != gen)
			continue; /* closed earlier in this batch */
		vsock_event(t, c, ev[i].events);
	}
	vsock_expire(t);
}

void vsock_conn_set_other(struct vsock_conn_table *t,
			  void (*cb)(void *ctx, uint32_t tag, uint32_t events), void *ctx)
{
	t->other = cb;
	t->other_ctx = ctx;
}

int vsock_conn_watch_other(struct vsock_conn_table *t, int fd, uint32_t events, uint32_t tag,
			   bool add)
{
	struct epoll_event e = {.events = events, .data.u64 = VSOCK_EV_OTHER | tag};
	return epoll_ctl(t->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &e);
}

int vsock_conn_timeout(const struct vsock_conn_table *t)
{
	int64_t next = 0;
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++) {
		const struct vconn *c = &t->c[i];
		if (c->state != V_FREE && c->deadline && (!next || c->deadline < next))
			next = c->deadline;
	}
	if (!next)
		return -1;
	int64_t d = next - vsock_now();
	return d < 0 ? 0 : (int)d;
}

/* ---- life cycle --------------------------------------------------------- */

struct vsock_conn_table *vsock_conn_new(uint64_t guest_cid, const char *uds_path,
					int listen_fd, char *err, size_t errlen)
{
	if (strlen(uds_path) > VSOCK_UDS_MAX) {
		snprintf(err, errlen, "--vsock uds=%s: longer than %u characters", uds_path,
			 VSOCK_UDS_MAX);
		if (listen_fd >= 0)
			close(listen_fd);
		return NULL;
	}
	struct vsock_conn_table *t = calloc(1, sizeof(*t));
	if (!t || (t->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "vsock: %s", strerror(errno));
		free(t);
		if (listen_fd >= 0)
			close(listen_fd);
		return NULL;
	}
	t->cid = guest_cid;
	snprintf(t->uds, sizeof(t->uds), "%s", uds_path);
	t->listen_fd = listen_fd;
	t->rhead = t->rtail = -1;
	t->next_port = VSOCK_LOCAL_PORT0;
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++) {
		t->c[i].fd = -1;
		t->c[i].rnext = t->c[i].rprev = -1;
	}
	if (listen_fd >= 0) {
		struct epoll_event e = {.events = EPOLLIN, .data.u64 = VSOCK_EV_LISTEN};
		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, listen_fd, &e) < 0) {
			snprintf(err, errlen, "vsock: epoll: %s", strerror(errno));
			vsock_conn_free(t);
			return NULL;
		}
	}
	return t;
}

void vsock_conn_reset(struct vsock_conn_table *t)
{
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++)
		if (t->c[i].state != V_FREE)
			vsock_close(t, &t->c[i]);
	t->rst_n = 0;
}

void vsock_conn_free(struct vsock_conn_table *t)
{
	if (!t)
		return;
	vsock_conn_reset(t);
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	close(t->ep);
	free(t);
}

int vsock_conn_fd(const struct vsock_conn_table *t)
{
	return t->ep;
}

int vsock_conn_listen_fd(const struct vsock_conn_table *t)
{
	return t->listen_fd;
}

const struct vsock_stats *vsock_conn_stats(const struct vsock_conn_table *t)
{
	return &t->st;
}

unsigned vsock_conn_count(const struct vsock_conn_table *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < VSOCK_CONN_MAX; i++)
		n += t->c[i].state != V_FREE;
	return n;
}

int vsock_conn_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if (!len || len > VSOCK_UDS_MAX) {
		snprintf(err, errlen, "--vsock uds=%s: the path must be 1 to %u characters", path,
			 VSOCK_UDS_MAX);
		return -1;
	}
	memcpy(a.sun_path, path, len);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "--vsock uds=%s: exists and is not a socket", path);
			return -1;
		}
		/* A socket file: in use if someone accepts on it, else stale. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			snprintf(err, errlen, "--vsock uds=%s: another process listens on it", path);
			return -1;
		}
		if (unlink(path) < 0) {
			snprintf(err, errlen, "--vsock uds=%s: cannot remove the stale socket: %s",
				 path, strerror(errno));
			return -1;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, (int)VSOCK_CONN_MAX) < 0) {
		snprintf(err, errlen, "--vsock uds=%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
