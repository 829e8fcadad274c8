/*
 * vsock_peer: guest-to-guest vsock streams over a vsock link's
 * socketpairs (vsock_peer.h).
 *
 * One peer, as this device sees it:
 *
 *   UP (initially, and after LINKMSG_UP)
 *     guest packet for it   --checked--> sent (FULL: held by the caller)
 *     message from it       --checked--> owed to the guest (split if RW
 *                                        is larger than the buffer)
 *     LINKMSG_DOWN from it  --> DOWN: an RST to the guest for each
 *                               connection remembered with it
 *   DOWN
 *     guest packet for it   --> RST to the guest (unless an RST)
 *     LINKMSG_UP from it    --> UP
 *
 * Epoll (level-triggered, in the connection table's set): input is
 * watched only while we have not yet seen it (`readable` false), so a
 * guest without receive buffers does not make the worker spin; output
 * only while a send found the socket full.
 */
#include "vsock_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linkmsg.h"

#define VSOCK_PEER_MSG_MAX (sizeof(struct vsock_hdr) + VSOCK_MAX_PAYLOAD)

struct vpconn {
	uint32_t lport, pport; /* the guest's port, the peer's */
	bool used;
};

struct vpeer {
	uint64_t cid;
	int fd;
	bool down;     /* the peer said LINKMSG_DOWN and not yet UP */
	bool readable; /* input seen and not yet read to EAGAIN */
	bool full;     /* a send found the socket full: waiting for EPOLLOUT */
	bool gone;     /* hang-up (the supervisor ended): no longer watched */
	struct linkmsg_owed owed; /* our state, not yet sent: the socket was full */
	uint32_t events;
	/* The message being delivered: in[0..44) its header, then payload. */
	uint8_t *in;
	bool have_in;
	uint32_t in_len, in_off; /* payload length, bytes delivered */
	struct vpconn conn[VSOCK_PEER_CONNS];
	unsigned conn_next;
	/* RSTs owed to the guest: (the peer's port, the guest's port). */
	uint32_t rst[VSOCK_PEER_RST_MAX][2];
	unsigned rst_head, rst_n;
};

struct vsock_peers {
	uint64_t cid;
	struct vsock_conn_table *t;
	unsigned n, next; /* peers; where the round robin of rx starts */
	struct vpeer p[VSOCK_PEERS_MAX];
	uint8_t *out; /* one message being sent: header and payload */
	struct vsock_peer_stats st;
};

static void vp_watch(struct vsock_peers *ps, unsigned i)
{
	struct vpeer *p = &ps->p[i];
	if (p->gone)
		return;
	uint32_t ev = (p->readable ? 0u : (uint32_t)EPOLLIN) | (p->full ? (uint32_t)EPOLLOUT : 0u);
	if (ev != p->events && vsock_conn_watch_other(ps->t, p->fd, ev, i, false) == 0)
		p->events = ev;
}

/* ---- connections remembered, for the RST on DOWN ------------------------- */

static struct vpconn *vp_conn_find(struct vpeer *p, uint32_t lport, uint32_t pport)
{
	for (unsigned k = 0; k < VSOCK_PEER_CONNS; k++)
		if (p->conn[k].used && p->conn[k].lport == lport && p->conn[k].pport == pport)
			return &p->conn[k];
	return NULL;
}

/* A REQUEST either way: remembered (the oldest forgotten when full: it
 * then gets no RST on DOWN, and times out in its guest instead). An RST
 * either way: forgotten. */
static void vp_track(struct vpeer *p, uint16_t op, uint32_t lport, uint32_t pport)
{
	struct vpconn *c = vp_conn_find(p, lport, pport);
	if (op == VSOCK_OP_RST) {
		if (c)
			c->used = false;
		return;
	}
	if (op != VSOCK_OP_REQUEST || c)
		return;
	c = &p->conn[p->conn_next];
	p->conn_next = (p->conn_next + 1) % VSOCK_PEER_CONNS;
	*c = (struct vpconn){lport, pport, true};
}

static void vp_rst(struct vsock_peers *ps, struct vpeer *p, uint32_t pport, uint32_t lport)
{
	if (p->rst_n == VSOCK_PEER_RST_MAX) {
		ps->st.rst_dropped++;
		return;
	}
	uint32_t *r = p->rst[(p->rst_head + p->rst_n++) % VSOCK_PEER_RST_MAX];
	r[0] = pport;
	r[1] = lport;
}

/* The peer went down: every connection with it ends in the guest, and
 * what it had sent and we had not delivered is not delivered. */
static void vp_down(struct vsock_peers *ps, struct vpeer *p)
{
	p->down = true;
	p->have_in = false;
	for (unsigned k = 0; k < VSOCK_PEER_CONNS; k++)
		if (p->conn[k].used) {
			vp_rst(ps, p, p->conn[k].pport, p->conn[k].lport);
			p->conn[k].used = false;
		}
}

/* ---- our state to the peer (linkmsg.h) ----------------------------------- */

/* Sends what peer i is owed about our state, in order; false while its
 * socket is full (then EPOLLOUT is watched and vp_event sends it). */
static bool vp_flush(struct vsock_peers *ps, unsigned i)
{
	struct vpeer *p = &ps->p[i];
	while (linkmsg_pending(&p->owed) && !p->gone) {
		uint8_t m = linkmsg_next(&p->owed);
		ssize_t w = send(p->fd, &m, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			p->full = true;
			vp_watch(ps, i);
			return false;
		}
		linkmsg_sent(&p->owed); /* sent, or a broken socket: nobody to tell */
	}
	return true;
}

/* ---- guest to peer -------------------------------------------------------- */

enum vsock_peer_tx vsock_peers_tx(struct vsock_peers *ps, unsigned i, const struct vsock_hdr *h,
				  const struct iovec *iov, unsigned niov, size_t avail)
{
	struct vpeer *p = &ps->p[i];
	/* The host-side check, but for this peer's CID: the same rules for
	 * what the guest may send (the destination is the one difference). */
	struct vsock_hdr c = *h;
	c.dst_cid = VSOCK_HOST_CID;
	enum vsock_verdict v = vsock_conn_check(&c, avail, ps->cid);
	if (v == VSOCK_BAD_SRC)
		return VSOCK_PEER_REFUSED; /* not from our guest: no answer at all */
	if (v != VSOCK_OK || p->down || p->gone) {
		ps->st.tx_refused++;
		if (h->op != VSOCK_OP_RST)
			vp_rst(ps, p, h->dst_port, h->src_port);
		vp_track(p, VSOCK_OP_RST, h->src_port, h->dst_port);
		return VSOCK_PEER_REFUSED;
	}
	/* Our state goes first: a REQUEST after a reset must not overtake
	 * the DOWN that resets the peer's side. */
	if (p->full || !vp_flush(ps, i))
		return VSOCK_PEER_FULL;
	if (!ps->out && !(ps->out = malloc(VSOCK_PEER_MSG_MAX)))
		return VSOCK_PEER_FULL; /* tried again on the next wake-up */
	/* Header and payload in one message: send(2) takes one buffer, and
	 * the sandbox allows no sendmsg (it could pass descriptors). */
	memcpy(ps->out, h, sizeof(*h));
	size_t len = sizeof(*h), left = h->len;
	for (unsigned k = 0; k < niov && left; k++) {
		size_t l = iov[k].iov_len < left ? iov[k].iov_len : left;
		memcpy(ps->out + len, iov[k].iov_base, l);
		len += l;
		left -= l;
	}
	ssize_t w = send(p->fd, ps->out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
		ps->st.tx_full++;
		p->full = true;
		vp_watch(ps, i);
		return VSOCK_PEER_FULL;
	}
	if (w != (ssize_t)len) {
		/* The socket is broken (only if the supervisor is gone). */
		ps->st.tx_refused++;
		if (h->op != VSOCK_OP_RST)
			vp_rst(ps, p, h->dst_port, h->src_port);
		return VSOCK_PEER_REFUSED;
	}
	ps->st.tx_pkts++;
	vp_track(p, h->op, h->src_port, h->dst_port);
	return VSOCK_PEER_SENT;
}

bool vsock_peers_writable(const struct vsock_peers *ps, unsigned i)
{
	return !ps->p[i].full;
}

/* ---- peer to guest -------------------------------------------------------- */

/* Reads the peer's next message; true when one is ready to deliver. */
static bool vp_read(struct vsock_peers *ps, unsigned i)
{
	struct vpeer *p = &ps->p[i];
	if (!p->in && !(p->in = malloc(VSOCK_PEER_MSG_MAX + 1)))
		return false;
	ssize_t n = recv(p->fd, p->in, VSOCK_PEER_MSG_MAX + 1, MSG_DONTWAIT);
	if (n < 0 && errno == EINTR)
		return false;
	if (n <= 0) {
		/* Empty (EAGAIN), or a zero-length message: watch again. */
		p->readable = false;
		vp_watch(ps, i);
		return false;
	}
	if ((size_t)n == LINKMSG_LEN) {
		ps->st.link_msgs++;
		if (p->in[0] == LINKMSG_DOWN)
			vp_down(ps, p);
		else if (p->in[0] == LINKMSG_UP)
			p->down = false;
		return false;
	}
	struct vsock_hdr h;
	if ((size_t)n < sizeof(h) || (size_t)n > VSOCK_PEER_MSG_MAX) {
		ps->st.rx_bad++;
		return false;
	}
	memcpy(&h, p->in, sizeof(h));
	/* From that peer's guest to ours, a stream, a known op, the payload
	 * exactly the message's rest and only on RW. */
	if (h.src_cid != p->cid || h.dst_cid != ps->cid || h.type != VSOCK_TYPE_STREAM ||
	    h.op == VSOCK_OP_INVALID || h.op > VSOCK_OP_CREDIT_REQUEST ||
	    h.len != (size_t)n - sizeof(h) || (h.op != VSOCK_OP_RW && h.len)) {
		ps->st.rx_bad++;
		return false;
	}
	p->have_in = true;
	p->in_len = h.len;
	p->in_off = 0;
	return true;
}

/* Copies len bytes from src into iov. */
static void vp_iov_write(const struct iovec *iov, unsigned niov, const uint8_t *src, size_t len)
{
	for (unsigned k = 0; k < niov && len; k++) {
		size_t l = iov[k].iov_len < len ? iov[k].iov_len : len;
		memcpy(iov[k].iov_base, src, l);
		src += l;
		len -= l;
	}
}

bool vsock_peers_rx_pending(const struct vsock_peers *ps)
{
	for (unsigned i = 0; i < ps->n; i++) {
		const struct vpeer *p = &ps->p[i];
		if (p->rst_n || p->have_in || (p->readable && !p->gone))
			return true;
	}
	return false;
}

bool vsock_peers_rx(struct vsock_peers *ps, struct vsock_hdr *h, const struct iovec *iov,
		    unsigned niov, size_t cap)
{
	for (unsigned k = 0; k < ps->n; k++) {
		unsigned i = (ps->next + k) % ps->n;
		struct vpeer *p = &ps->p[i];
		/* A few messages may be link messages or refused: each read
		 * either stages a packet or consumes a message, bounded. */
		for (unsigned tries = 0; !p->have_in && p->readable && !p->gone && tries < 8; tries++)
			(void)vp_read(ps, i);
		if (p->rst_n) {
			const uint32_t *r = p->rst[p->rst_head];
			memset(h, 0, sizeof(*h));
			h->src_cid = p->cid;
			h->dst_cid = ps->cid;
			h->src_port = r[0];
			h->dst_port = r[1];
			h->type = VSOCK_TYPE_STREAM;
			h->op = VSOCK_OP_RST;
			p->rst_head = (p->rst_head + 1) % VSOCK_PEER_RST_MAX;
			p->rst_n--;
			ps->next = (i + 1) % ps->n;
			return true;
		}
		if (!p->have_in)
			continue;
		memcpy(h, p->in, sizeof(*h));
		if (h->op == VSOCK_OP_RW) {
			size_t left = p->in_len - p->in_off;
			bool split = cap < left || p->in_off;
			size_t take = split && cap < left ? cap : left;
			if (!take) {
				/* A receive buffer with no room for data (no
				 * Linux driver posts one): that packet is lost. */
				ps->st.rx_bad++;
				p->have_in = false;
				continue;
			}
			vp_iov_write(iov, niov, p->in + sizeof(*h) + p->in_off, take);
			if (split)
				ps->st.rx_split++;
			p->in_off += (uint32_t)take;
			h->len = (uint32_t)take;
			p->have_in = p->in_off < p->in_len;
		} else {
			p->have_in = false;
		}
		if (!p->have_in)
			ps->st.rx_pkts++;
		vp_track(p, h->op, h->dst_port, h->src_port);
		ps->next = (i + 1) % ps->n;
		return true;
	}
	return false;
}

/* ---- events, life cycle --------------------------------------------------- */

static void vp_event(void *ctx, uint32_t tag, uint32_t events)
{
	struct vsock_peers *ps = ctx;
	if (tag >= ps->n)
		abort(); /* we put it there */
	struct vpeer *p = &ps->p[tag];
	if (events & EPOLLIN)
		p->readable = true;
	if (events & EPOLLOUT) {
		p->full = false;
		(void)vp_flush(ps, tag); /* what we owe it goes before any packet */
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		/* The other end closed: only the supervisor's going does
		 * that (it keeps every VM's end), and this VM goes with it.
		 * The link is down for good; a hang-up cannot be masked, so
		 * the socket leaves the set. */
		(void)epoll_ctl(vsock_conn_fd(ps->t), EPOLL_CTL_DEL, p->fd, NULL);
		p->gone = true;
		p->full = false;
		vp_down(ps, p);
		return;
	}
	vp_watch(ps, tag);
}

/* Our state to every peer: kept for a peer whose socket is full. */
static void vp_say(struct vsock_peers *ps, uint8_t m)
{
	for (unsigned i = 0; i < ps->n; i++) {
		linkmsg_owe(&ps->p[i].owed, m);
		if (!ps->p[i].full)
			(void)vp_flush(ps, i);
	}
}

void vsock_peers_restarted(struct vsock_peers *ps)
{
	for (unsigned i = 0; i < ps->n; i++)
		linkmsg_owe(&ps->p[i].owed, LINKMSG_DOWN); /* goes with the first UP */
}

void vsock_peers_live(struct vsock_peers *ps)
{
	vp_say(ps, LINKMSG_UP);
}

void vsock_peers_reset(struct vsock_peers *ps)
{
	vp_say(ps, LINKMSG_DOWN);
	for (unsigned i = 0; i < ps->n; i++) {
		struct vpeer *p = &ps->p[i];
		p->have_in = false;
		p->rst_n = 0;
		memset(p->conn, 0, sizeof(p->conn));
	}
}

struct vsock_peers *vsock_peers_new(uint64_t guest_cid, const struct vsock_peer_cfg *cfg,
				    unsigned n, struct vsock_conn_table *t, char *err,
				    size_t errlen)
{
	if (n > VSOCK_PEERS_MAX) {
		snprintf(err, errlen, "--vsock peer=: at most %u peers", VSOCK_PEERS_MAX);
		return NULL;
	}
	struct vsock_peers *ps = calloc(1, sizeof(*ps));
	if (!ps) {
		snprintf(err, errlen, "--vsock peer=: out of memory");
		return NULL;
	}
	ps->cid = guest_cid;
	ps->t = t;
	ps->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct vpeer *p = &ps->p[i];
		int fd = cfg[i].fd, type = 0;
		socklen_t tl = sizeof(type);
		p->cid = cfg[i].cid;
		p->fd = fd;
		if (fcntl(fd, F_GETFD) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
			snprintf(err, errlen, "--vsock peer=%llu@%d: not an open SOCK_SEQPACKET socket "
				 "(vmm system passes it)", (unsigned long long)p->cid, fd);
			free(ps);
			return NULL;
		}
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    vsock_conn_watch_other(t, fd, EPOLLIN, i, true) < 0) {
			snprintf(err, errlen, "--vsock peer=%llu@%d: %s", (unsigned long long)p->cid,
				 fd, strerror(errno));
			for (unsigned k = 0; k < i; k++)
				(void)epoll_ctl(vsock_conn_fd(t), EPOLL_CTL_DEL, ps->p[k].fd, NULL);
			free(ps);
			return NULL;
		}
		p->events = EPOLLIN;
	}
	vsock_conn_set_other(t, vp_event, ps);
	return ps;
}

void vsock_peers_free(struct vsock_peers *ps)
{
	if (!ps)
		return;
	for (unsigned i = 0; i < ps->n; i++) {
		if (!ps->p[i].gone)
			(void)epoll_ctl(vsock_conn_fd(ps->t), EPOLL_CTL_DEL, ps->p[i].fd, NULL);
		close(ps->p[i].fd);
		free(ps->p[i].in);
	}
	vsock_conn_set_other(ps->t, NULL, NULL);
	free(ps->out);
	free(ps);
}

int vsock_peers_find(const struct vsock_peers *ps, uint64_t cid)
{
	for (unsigned i = 0; ps && i < ps->n; i++)
		if (ps->p[i].cid == cid)
			return (int)i;
	return -1;
}

unsigned vsock_peers_count(const struct vsock_peers *ps)
{
	return ps ? ps->n : 0;
}

int vsock_peers_fd(const struct vsock_peers *ps, unsigned i)
{
	return ps->p[i].fd;
}

const struct vsock_peer_stats *vsock_peers_stats(const struct vsock_peers *ps)
{
	return &ps->st;
}
