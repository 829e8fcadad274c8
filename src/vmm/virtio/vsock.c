/*
 * vsock: virtio-vsock over the virtio-pci transport (virtio 1.2, 5.10).
 * See vsock.h; the protocol is vsock_conn.c.
 */
#include "vsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A decimal number of v[0..len), at most max. */
static bool vsock_number(const char *v, size_t len, unsigned long long max, unsigned long long *out)
{
	unsigned long long n = 0;
	if (!len || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		n = n * 10 + (unsigned long long)(v[i] - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

/* peer=CID@FD: a vsock link's other VM and the socket to its monitor. */
static int vsock_parse_peer(const char *s, const char *v, size_t len, struct vsock_cfg *c,
			    char *err, size_t errlen)
{
	const char *at = memchr(v, '@', len);
	unsigned long long cid, fd;
	if (!at || !vsock_number(v, (size_t)(at - v), 0xfffffffeull, &cid) || cid < 3 ||
	    !vsock_number(at + 1, len - (size_t)(at - v) - 1, 1 << 20, &fd) || fd < 3) {
		snprintf(err, errlen, "--vsock %s: peer= wants CID@FD (a CID 3 to 4294967294, a "
			 "descriptor 3 or more)", s);
		return -1;
	}
	if (c->npeers == VSOCK_PEERS_MAX) {
		snprintf(err, errlen, "--vsock %s: at most %u peers", s, VSOCK_PEERS_MAX);
		return -1;
	}
	c->peers[c->npeers++] = (struct vsock_peer_cfg){cid, (int)fd};
	return 0;
}

int vsock_parse_option(const char *s, struct vsock_cfg *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	bool have_cid = false, have_uds = false;
	const char *p = s;
	while (*p) {
		/* A comma ends every value, as in the other options: a uds
		 * path cannot hold one. */
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 4 && !strncmp(p, "cid=", 4)) {
			char num[24];
			if (len - 4 >= sizeof(num)) {
				snprintf(err, errlen, "--vsock %s: bad cid", s);
				return -1;
			}
			memcpy(num, p + 4, len - 4);
			num[len - 4] = 0;
			char *e;
			errno = 0;
			unsigned long long v = strtoull(num, &e, 10);
			if (errno || *e || num[0] < '0' || num[0] > '9') {
				snprintf(err, errlen, "--vsock %s: cid= wants a number", s);
				return -1;
			}
			/* 5.10.4: 0, 1 and 2 are reserved (2 is the host); only
			 * the low 32 bits are used, and 0xffffffff is "any". */
			if (v < 3 || v >= 0xffffffffull) {
				snprintf(err, errlen,
					 "--vsock %s: the CID must be 3 to 4294967294 (0-2 are "
					 "reserved, 2 is the host)",
					 s);
				return -1;
			}
			c->cid = v;
			have_cid = true;
		} else if (len > 4 && !strncmp(p, "uds=", 4)) {
			if (len - 4 > VSOCK_UDS_MAX) {
				snprintf(err, errlen,
					 "--vsock %s: the uds path is longer than %u characters "
					 "(PATH_PORT must fit a Unix socket address)",
					 s, VSOCK_UDS_MAX);
				return -1;
			}
			memcpy(c->uds, p + 4, len - 4);
			c->uds[len - 4] = 0;
			have_uds = true;
		} else if (len > 5 && !strncmp(p, "peer=", 5)) {
			if (vsock_parse_peer(s, p + 5, len - 5, c, err, errlen))
				return -1;
		} else if (len == 9 && !strncmp(p, "restarted", 9)) {
			c->restarted = true;
		} else {
			snprintf(err, errlen,
				 "--vsock %s: unknown key in \"%.*s\" "
				 "(cid=N,uds=PATH[,peer=CID@FD]...[,restarted])",
				 s, (int)len, p);
			return -1;
		}
		p = end ? end + 1 : p + len;
	}
	if (!have_cid || !have_uds) {
		snprintf(err, errlen, "--vsock %s: cid=N and uds=PATH are both required", s);
		return -1;
	}
	if (c->restarted && !c->npeers) {
		snprintf(err, errlen, "--vsock %s: restarted is for a vsock link (peer=) only", s);
		return -1;
	}
	for (unsigned i = 0; i < c->npeers; i++) {
		if (c->peers[i].cid == c->cid) {
			snprintf(err, errlen, "--vsock %s: peer=%llu is this VM's own CID", s,
				 (unsigned long long)c->cid);
			return -1;
		}
		for (unsigned k = 0; k < i; k++)
			if (c->peers[k].cid == c->peers[i].cid || c->peers[k].fd == c->peers[i].fd) {
				snprintf(err, errlen, "--vsock %s: two peers with CID %llu or "
					 "descriptor %d", s, (unsigned long long)c->peers[i].cid,
					 c->peers[i].fd);
				return -1;
			}
	}
	return 0;
}

static void vsock_config_read(void *dev, unsigned off, uint8_t *buf, unsigned len)
{
	const struct virtio_vsock *v = dev;
	uint8_t cfg[VSOCK_CONFIG_LEN];
	memcpy(cfg, &v->cid, 8); /* le64, and so is the host */
	memcpy(buf, cfg + off, len);
}

/* tx (5.10.6): one packet per chain, header then payload, device-readable;
 * to a peer's socket or the host side. FULL: hold the chain, which is for
 * peer *peer (set whenever the packet is for a peer; the header is read
 * once, as the guest may change it); a peer in `blocked` has a chain held
 * already, and this one waits behind it. */
static enum vsock_peer_tx vsock_tx_chain(struct virtio_vsock *v, const struct virtq_chain *c,
					 uint32_t blocked, int *peer)
{
	struct vsock_hdr h;
	*peer = -1;
	if (c->rlen < sizeof(h) || virtq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h)) {
		v->st.tx_short++;
		return VSOCK_PEER_REFUSED;
	}
	/* The payload in place: as much of it as the chain has (the header's
	 * len is checked against that), at most the protocol's cap. */
	uint64_t avail = c->rlen - sizeof(h);
	if (avail > VSOCK_MAX_PAYLOAD)
		avail = VSOCK_MAX_PAYLOAD + 1; /* enough to refuse a len over the cap */
	uint64_t take = h.len <= avail ? h.len : 0;
	struct iovec iov[VIRTQ_MAX_SIZE];
	int k = take ? virtq_chain_iov(c, false, sizeof(h), take, iov, VIRTQ_MAX_SIZE) : 0;
	if (k < 0)
		abort(); /* take is within the readable part: our bug */
	*peer = vsock_peers_find(v->ps, h.dst_cid);
	if (*peer >= 0 && (blocked & (1u << *peer)))
		return VSOCK_PEER_FULL;
	if (*peer >= 0)
		return vsock_peers_tx(v->ps, (unsigned)*peer, &h, iov, (unsigned)k, (size_t)avail);
	vsock_conn_tx(v->t, &h, iov, (unsigned)k, (size_t)avail);
	return VSOCK_PEER_SENT;
}

int virtio_vsock_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written)
{
	struct virtio_vsock *v = dev;
	*written = 0;
	int peer;
	if (q == VSOCK_TXQ) /* rx and event are pulled, never served (no peers here) */
		(void)vsock_tx_chain(v, c, 0, &peer);
	return 0;
}

/*
 * With peers: the transmit queue is pulled. A chain for a peer whose
 * socket is full is held (v->held, in the order taken) and the queue
 * goes on: the used ring need not be in order (no VIRTIO_F_IN_ORDER,
 * 2.7.9), so the guest's packets to the host and to other peers are not
 * stuck behind it. A peer's held chains go in their order once it is
 * writable (EPOLLOUT), and a chain for a peer that has some held waits
 * behind them. Only when VSOCK_TX_HELD chains are held does the queue
 * wait for one of those peers (a guest that sends a peer that much past
 * its full socket, whatever the peer's credit said).
 */
static bool vsock_tx_hold(struct virtio_vsock *v, unsigned peer)
{
	if (!v->held && !(v->held = calloc(VSOCK_TX_HELD, sizeof(*v->held))))
		return false;
	v->held[v->nheld].peer = peer;
	v->held[v->nheld++].c = v->txc;
	/* Atomic: a test watches it while the worker runs (a held chain
	 * puts nothing in the used ring to order the read after it). */
	__atomic_fetch_add(&v->st.tx_held, 1, __ATOMIC_RELAXED);
	return true;
}

static void vsock_tx(struct virtio_vsock *v)
{
	v->tx_more = false;
	/* The held ones first, each peer's in order. */
	uint32_t blocked = 0; /* peers with a chain still held: the rest wait */
	unsigned keep = 0;
	for (unsigned k = 0; k < v->nheld; k++) {
		struct vsock_held *hc = &v->held[k];
		int peer = (int)hc->peer;
		if (!(blocked & (1u << hc->peer)) && vsock_peers_writable(v->ps, hc->peer) &&
		    vsock_tx_chain(v, &hc->c, blocked, &peer) != VSOCK_PEER_FULL) {
			virtio_pci_put(&v->vp, VSOCK_TXQ, hc->c.head, 0);
			continue;
		}
		if (peer >= 0)
			hc->peer = (unsigned)peer; /* the guest may have changed its header */
		blocked |= 1u << hc->peer;
		if (keep != k)
			v->held[keep] = *hc;
		keep++;
	}
	v->nheld = keep;
	for (unsigned budget = 0; budget < 2 * VSOCK_QUEUE_SIZE; budget++) {
		if (!v->have_txc) {
			if (v->nheld == VSOCK_TX_HELD)
				return; /* EPOLLOUT of one of their peers brings us back */
			if (virtio_pci_pop(&v->vp, VSOCK_TXQ, &v->txc) <= 0)
				return;
			v->have_txc = true;
		}
		int peer;
		if (vsock_tx_chain(v, &v->txc, blocked, &peer) == VSOCK_PEER_FULL) {
			if (peer < 0)
				abort(); /* only a peer's packet waits */
			if (!vsock_tx_hold(v, (unsigned)peer)) {
				v->tx_more = true; /* out of memory: the chain waits */
				return;
			}
			/* Not behind another, writable, yet FULL: out of memory
			 * for the message; try again soon. */
			if (!(blocked & (1u << peer)) && vsock_peers_writable(v->ps, (unsigned)peer))
				v->tx_more = true;
			blocked |= 1u << peer;
			v->have_txc = false;
			continue;
		}
		virtio_pci_put(&v->vp, VSOCK_TXQ, v->txc.head, 0);
		v->have_txc = false;
	}
	v->tx_more = true;
}

/* rx: a packet per chain while the protocol owes one. */
static void vsock_rx(struct virtio_vsock *v)
{
	for (unsigned budget = 0; budget < VSOCK_QUEUE_SIZE; budget++) {
		if (!vsock_conn_rx_pending(v->t) && !(v->ps && vsock_peers_rx_pending(v->ps)))
			return;
		if (!v->have_rxc) {
			int r = virtio_pci_pop(&v->vp, VSOCK_RXQ, &v->rxc);
			if (r <= 0) {
				if (r == 0) {
					v->rx_stalled = true;
					v->st.rx_stalls++;
				}
				return;
			}
			v->have_rxc = true;
			if (v->rxc.wlen < sizeof(struct vsock_hdr)) {
				v->st.rx_small++;
				virtio_pci_put(&v->vp, VSOCK_RXQ, v->rxc.head, 0);
				v->have_rxc = false;
				continue;
			}
		}
		uint64_t cap = v->rxc.wlen - sizeof(struct vsock_hdr);
		if (cap > VSOCK_MAX_PAYLOAD)
			cap = VSOCK_MAX_PAYLOAD;
		struct iovec iov[VIRTQ_MAX_SIZE];
		int k = cap ? virtq_chain_iov(&v->rxc, true, sizeof(struct vsock_hdr), cap, iov,
					      VIRTQ_MAX_SIZE)
			    : 0;
		if (k < 0)
			abort(); /* within the writable part: our bug */
		struct vsock_hdr h;
		bool made;
		v->rx_turn = !v->rx_turn;
		if (v->ps && v->rx_turn)
			made = vsock_peers_rx(v->ps, &h, iov, (unsigned)k, (size_t)cap) ||
			       vsock_conn_rx(v->t, &h, iov, (unsigned)k, (size_t)cap);
		else
			made = vsock_conn_rx(v->t, &h, iov, (unsigned)k, (size_t)cap) ||
			       (v->ps && vsock_peers_rx(v->ps, &h, iov, (unsigned)k, (size_t)cap));
		if (!made)
			return; /* the chain is kept for the next packet */
		virtq_chain_write(&v->rxc, 0, &h, sizeof(h));
		virtio_pci_put(&v->vp, VSOCK_RXQ, v->rxc.head, (uint32_t)(sizeof(h) + h.len));
		v->have_rxc = false;
	}
}

void virtio_vsock_run(void *dev, uint32_t kicked, bool ready)
{
	struct virtio_vsock *v = dev;
	if (kicked & (1u << VSOCK_RXQ))
		v->rx_stalled = false;
	/* Host sockets and deadlines first (they may owe the guest packets),
	 * then as many packets as the guest has buffers for. */
	if (v->ps && !v->said_live) {
		vsock_peers_live(v->ps); /* run is called only while live */
		v->said_live = true;
	}
	if (ready || vsock_conn_timeout(v->t) == 0)
		vsock_conn_poll(v->t, 0);
	if (v->ps)
		vsock_tx(v);
	if (!v->rx_stalled)
		vsock_rx(v);
}

int virtio_vsock_wait(void *dev, int *timeout_ms)
{
	struct virtio_vsock *v = dev;
	*timeout_ms = vsock_conn_timeout(v->t);
	/* More owed than one pass took: come straight back. */
	if (!v->rx_stalled &&
	    (vsock_conn_rx_pending(v->t) || (v->ps && vsock_peers_rx_pending(v->ps))))
		*timeout_ms = 0;
	if (v->tx_more)
		*timeout_ms = 0;
	return vsock_conn_fd(v->t);
}

/* 2.4: the driver forgets every connection; so do we (the host programs
 * see their sockets close). */
void virtio_vsock_reset(void *dev)
{
	struct virtio_vsock *v = dev;
	vsock_conn_reset(v->t);
	v->have_rxc = false;
	v->rx_stalled = false;
	v->have_txc = false;
	v->nheld = 0; /* the queue is gone, and the held chains with it */
	v->tx_more = false;
	/* The peers forget the connections with this guest (linkmsg.h). */
	if (v->ps && v->said_live)
		vsock_peers_reset(v->ps);
	v->said_live = false;
}

int virtio_vsock_init(struct virtio_vsock *v, const struct vsock_cfg *c,
		      const struct guestmem *gm, struct bus *mmio,
		      const struct virtio_pci_hooks *hooks, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->cid = c->cid;
	int lfd = vsock_conn_listen(c->uds, err, errlen);
	if (lfd < 0)
		return -1;
	v->t = vsock_conn_new(c->cid, c->uds, lfd, err, errlen);
	if (!v->t) {
		unlink(c->uds);
		return -1;
	}
	if (c->npeers && !(v->ps = vsock_peers_new(c->cid, c->peers, c->npeers, v->t, err,
						    errlen))) {
		vsock_conn_free(v->t);
		v->t = NULL;
		unlink(c->uds);
		return -1;
	}
	if (v->ps && c->restarted)
		vsock_peers_restarted(v->ps);
	struct virtio_device d = {
		.name = "virtio-vsock",
		.id = VIRTIO_ID_VSOCK,
		.class_code = 0xff, /* as QEMU's vhost-vsock-pci: no class fits */
		.features = 1ull << VSOCK_F_STREAM,
		.nqueues = 3,
		.queue_max = VSOCK_QUEUE_SIZE,
		.config_len = VSOCK_CONFIG_LEN,
		.config_read = vsock_config_read,
		.serve = virtio_vsock_serve,
		.reset = virtio_vsock_reset,
		.pull_queues = (1u << VSOCK_RXQ) | (1u << VSOCK_EVQ) | (v->ps ? 1u << VSOCK_TXQ : 0),
		.wait = virtio_vsock_wait,
		.run = virtio_vsock_run,
		.dev = v,
	};
	if (virtio_pci_init(&v->vp, &d, gm, mmio, hooks, err, errlen)) {
		vsock_peers_free(v->ps);
		v->ps = NULL;
		vsock_conn_free(v->t);
		v->t = NULL;
		unlink(c->uds);
		return -1;
	}
	return 0;
}

void virtio_vsock_free(struct virtio_vsock *v)
{
	virtio_pci_free(&v->vp);
	vsock_peers_free(v->ps);
	v->ps = NULL;
	vsock_conn_free(v->t);
	v->t = NULL;
	free(v->held);
	v->held = NULL;
}
