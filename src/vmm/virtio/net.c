/*
 * net: virtio-net on a TAP (virtio 1.2 section 5.1). See net.h for the
 * data path; net_hdr.c checks the headers, tap.c opens the TAP.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "linkmsg.h"

/* ---- the option ---------------------------------------------------------- */

static int net_parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	/* Exactly XX:XX:XX:XX:XX:XX, hex digits in either case. */
	if (len != 17)
		return -1;
	for (unsigned i = 0; i < 6; i++) {
		unsigned v = 0;
		for (unsigned k = 0; k < 2; k++) {
			char ch = s[i * 3 + k];
			unsigned d;
			if (ch >= '0' && ch <= '9')
				d = (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				d = (unsigned)(ch - 'a' + 10);
			else if (ch >= 'A' && ch <= 'F')
				d = (unsigned)(ch - 'A' + 10);
			else
				return -1;
			v = v * 16 + d;
		}
		if (i < 5 && s[i * 3 + 2] != ':')
			return -1;
		mac[i] = (uint8_t)v;
	}
	return 0;
}

/* A MAC that is the same for the same TAP on every run: FNV-1a of the
 * name, with the first octet marked locally administered and unicast
 * (IEEE 802, bits 1 and 0 of the first octet). */
static void net_derive_mac(const char *name, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *p = "hvvmm-net:"; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

int net_parse_option(const char *s, struct net_cfg *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->link_fd = -1;
	const char *p = s;
	bool have_tap = false, have_link = false;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 4 && !strncmp(p, "tap=", 4)) {
			if (len - 4 >= IFNAMSIZ) {
				snprintf(err, errlen, "--net %s: the TAP name is 1 to %d characters", s,
					 IFNAMSIZ - 1);
				return -1;
			}
			memcpy(c->tap, p + 4, len - 4);
			c->tap[len - 4] = 0;
			have_tap = true;
		} else if (len > 5 && !strncmp(p, "link=", 5)) {
			long v = 0;
			bool digits = len - 5 <= 7;
			for (size_t i = 5; i < len && digits; i++) {
				digits = p[i] >= '0' && p[i] <= '9';
				v = v * 10 + (p[i] - '0');
			}
			if (!digits || v < 3 || v > 1 << 20) {
				snprintf(err, errlen, "--net %s: link= wants a descriptor number, 3 "
					 "or more", s);
				return -1;
			}
			c->link_fd = (int)v;
			have_link = true;
		} else if (len > 4 && !strncmp(p, "mac=", 4)) {
			if (net_parse_mac(p + 4, len - 4, c->mac)) {
				snprintf(err, errlen, "--net %s: mac= wants XX:XX:XX:XX:XX:XX", s);
				return -1;
			}
			if (c->mac[0] & 1) {
				snprintf(err, errlen, "--net %s: the MAC is a multicast address", s);
				return -1;
			}
			c->mac_given = true;
		} else if (len == 9 && !strncmp(p, "restarted", 9)) {
			c->restarted = true;
		} else {
			snprintf(err, errlen, "--net %s: unknown key in \"%.*s\" "
				 "(tap=NAME|link=FD[,mac=MAC][,restarted])",
				 s, (int)len, p);
			return -1;
		}
		p = end ? end + 1 : p + len;
	}
	if (have_tap == have_link) {
		snprintf(err, errlen, "--net %s: give one of tap=NAME and link=FD", s);
		return -1;
	}
	if (c->restarted && !have_link) {
		snprintf(err, errlen, "--net %s: restarted is for a link=FD only", s);
		return -1;
	}
	if (!c->mac_given) {
		char name[32];
		if (have_link)
			snprintf(name, sizeof(name), "link:%d", c->link_fd);
		net_derive_mac(have_link ? name : c->tap, c->mac);
	}
	return 0;
}

/* ---- configuration space (5.1.4) ---------------------------------------- */

static void net_config_read(void *dev, unsigned off, uint8_t *buf, unsigned len)
{
	const struct virtio_net *n = dev;
	uint8_t cfg[NET_CONFIG_LEN] = {0};
	memcpy(cfg, n->mac, 6);
	/* status: a TAP is always "up" to us; a link is up unless its peer
	 * said it went down. */
	cfg[6] = n->link && __atomic_load_n(&n->peer_down, __ATOMIC_RELAXED) ? 0 : NET_S_LINK_UP;
	cfg[8] = 1;                 /* max_virtqueue_pairs (valid with MQ only) */
	cfg[10] = 1500 & 0xff;      /* mtu (valid with MTU only) */
	cfg[11] = 1500 >> 8;
	memcpy(buf, cfg + off, len); /* the transport keeps off + len in bounds */
}

/* The offloads the driver accepted, told to the TAP, once per
 * negotiation (the features are fixed from FEATURES_OK to the reset). */
static void net_apply_offloads(struct virtio_net *n)
{
	if (n->offloads_set)
		return;
	n->features = virtio_pci_features(&n->vp);
	if (!n->link && tap_set_offloads(&n->tap, net_hdr_tun_offloads(n->features) & n->tap.offloads))
		n->st.offload_errors++;
	n->offloads_set = true;
}

/* ---- the link's state (linkmsg.h) ----------------------------------------- */

/* Sends what we owe the peer about our state, in order; false while the
 * socket is full (a peer that does not read): it is kept, and tried again
 * before the next frame and every NET_LINK_RETRY_MS while the device is
 * live (the worker polls only for input). */
static bool net_link_flush(struct virtio_net *n)
{
	while (linkmsg_pending(&n->owed)) {
		uint8_t m = linkmsg_next(&n->owed);
		struct iovec iov = {&m, 1};
		ssize_t w = writev(n->tap.fd, &iov, 1);
		if (w < 0 && errno == EINTR)
			continue;
		if (w != 1)
			return false;
		linkmsg_sent(&n->owed);
	}
	return true;
}

/* ---- transmit (5.1.6.2) --------------------------------------------------- */

int virtio_net_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written)
{
	struct virtio_net *n = dev;
	*written = 0;
	if (q != NET_TXQ)
		return 0; /* the receive queue is pulled, never served */
	net_apply_offloads(n);
	struct net_hdr h;
	if (c->rlen < sizeof(h) + NET_MIN_FRAME ||
	    virtq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h)) {
		n->st.tx_short++;
		return 0;
	}
	size_t frame = c->rlen - sizeof(h);
	enum net_hdr_verdict v = net_hdr_tx(&h, frame, n->features);
	if (v != NET_HDR_OK) {
		n->st.tx_bad_hdr[v]++;
		return 0;
	}
	if (n->link) {
		/* The source address (octets 6-11, IEEE 802.3 3.1.1) is the
		 * device's, or another VM could be impersonated. */
		uint8_t src[6];
		if (virtq_chain_read(c, sizeof(h) + 6, src, 6) != 6 || memcmp(src, n->mac, 6)) {
			n->st.tx_spoofed++;
			return 0;
		}
		if (__atomic_load_n(&n->peer_down, __ATOMIC_RELAXED)) {
			n->st.tx_link_down++;
			return 0;
		}
		/* Our state first (linkmsg.h): no frame overtakes it. */
		if (!net_link_flush(n)) {
			n->st.tx_tap_error++;
			return 0;
		}
	}
	struct iovec iov[VIRTQ_MAX_SIZE + 1];
	iov[0] = (struct iovec){&h, sizeof(h)};
	int k = virtq_chain_iov(c, false, sizeof(h), frame, iov + 1, VIRTQ_MAX_SIZE);
	if (k < 0) {
		n->st.tx_short++;
		return 0;
	}
	/* The TAP takes a whole frame or none; it never blocks (O_NONBLOCK)
	 * and a full or down TAP is a drop, as on a real link. A link's
	 * socket takes the frame alone (a message, whole or not at all); a
	 * peer that does not read fills its socket and its frames are
	 * dropped here, never waited for. */
	ssize_t w = n->link ? writev(n->tap.fd, iov + 1, k) : writev(n->tap.fd, iov, k + 1);
	if (w != (ssize_t)((n->link ? 0 : sizeof(h)) + frame)) {
		n->st.tx_tap_error++;
		return 0;
	}
	n->st.tx_packets++;
	n->st.tx_bytes += frame;
	return 0;
}

/* ---- receive (5.1.6.3, 5.1.6.4) ------------------------------------------- */

/* Copies the first len bytes of iov out (the caller knows they are
 * there). */
static void net_iov_read(const struct iovec *iov, unsigned n, void *dst, size_t len)
{
	uint8_t *d = dst;
	for (unsigned i = 0; i < n && len; i++) {
		size_t k = iov[i].iov_len < len ? iov[i].iov_len : len;
		memcpy(d, iov[i].iov_base, k);
		d += k;
		len -= k;
	}
}

/* The peer's state changed (linkmsg.h): the guest hears of it through
 * the link status. */
static void net_link_msg(struct virtio_net *n, uint8_t m)
{
	n->st.link_msgs++;
	bool down = m == LINKMSG_DOWN;
	if (m != LINKMSG_DOWN && m != LINKMSG_UP)
		return; /* a later version's message: not ours to act on */
	if (__atomic_exchange_n(&n->peer_down, down, __ATOMIC_RELAXED) != down)
		virtio_pci_config_changed(&n->vp);
}


/* Reads frames into receive chains until the TAP is empty, the guest has
 * no buffer, or the budget is spent (then the TAP's fd is still readable
 * and the worker comes straight back, after the other queues). */
static void net_rx(struct virtio_net *n)
{
	for (unsigned budget = 0; budget < NET_QUEUE_SIZE; budget++) {
		if (!n->have_rxc) {
			int r = virtio_pci_pop(&n->vp, NET_RXQ, &n->rxc);
			if (r <= 0) {
				if (r == 0) {
					n->rx_stalled = true;
					n->st.rx_stalls++;
				}
				return;
			}
			n->have_rxc = true;
			if (n->rxc.wlen < sizeof(struct net_hdr) + NET_MIN_FRAME) {
				/* No frame fits: give it back empty rather than
				 * hold it for ever. */
				n->st.rx_small_buf++;
				virtio_pci_put(&n->vp, NET_RXQ, n->rxc.head, 0);
				n->have_rxc = false;
				continue;
			}
		}
		/* The chain, then one spill byte: a read that reaches it was a
		 * frame larger than the chain (a TAP read truncates silently
		 * otherwise); that frame is dropped. */
		uint8_t spill;
		struct iovec iov[VIRTQ_MAX_SIZE + 1];
		/* A link's frame goes after the header, which we write. */
		uint64_t skip = n->link ? sizeof(struct net_hdr) : 0;
		uint64_t cap = n->rxc.wlen - skip;
		int k = virtq_chain_iov(&n->rxc, true, skip, cap, iov, VIRTQ_MAX_SIZE);
		if (k < 0) /* cannot be: the chain has at most VIRTQ_MAX_SIZE buffers */
			abort();
		iov[k] = (struct iovec){&spill, 1};
		ssize_t r = readv(n->tap.fd, iov, k + 1);
		if (r < 0)
			return; /* EAGAIN: empty; anything else: try again on POLLIN */
		if ((uint64_t)r > cap) {
			n->st.rx_too_big++;
			continue;
		}
		if (n->link) {
			/* From another VM: only its length is ours to check. A
			 * one-byte message is not a frame but the peer's state
			 * (linkmsg.h); the chain stays ours for the next. */
			if ((size_t)r == LINKMSG_LEN) {
				uint8_t m = 0xff; /* none of ours, if the chain had no room */
				net_iov_read(iov, (unsigned)k, &m, 1);
				net_link_msg(n, m);
				continue;
			}
			if ((size_t)r < NET_MIN_FRAME) {
				n->st.rx_bad_hdr++;
				continue;
			}
			struct net_hdr z = {.num_buffers = 1};
			virtq_chain_write(&n->rxc, 0, &z, sizeof(z));
			virtio_pci_put(&n->vp, NET_RXQ, n->rxc.head, (uint32_t)(r + sizeof(z)));
			n->have_rxc = false;
			n->st.rx_packets++;
			n->st.rx_bytes += (uint64_t)r;
			continue;
		}
		/* The header as the TAP wrote it (at the start of the chain),
		 * fixed for what the guest negotiated. */
		struct net_hdr h;
		if ((size_t)r < sizeof(h) + NET_MIN_FRAME) {
			n->st.rx_bad_hdr++;
			continue;
		}
		net_iov_read(iov, (unsigned)k, &h, sizeof(h));
		if (net_hdr_rx(&h, (size_t)r - sizeof(h), n->features, 1) != NET_HDR_OK) {
			n->st.rx_bad_hdr++;
			continue;
		}
		virtq_chain_write(&n->rxc, 0, &h, sizeof(h));
		virtio_pci_put(&n->vp, NET_RXQ, n->rxc.head, (uint32_t)r);
		n->have_rxc = false;
		n->st.rx_packets++;
		n->st.rx_bytes += (uint64_t)r - sizeof(h);
	}
}

void virtio_net_run(void *dev, uint32_t kicked, bool ready)
{
	struct virtio_net *n = dev;
	net_apply_offloads(n);
	/* The driver is live (run is called only then): the peer may send. */
	if (n->link && !n->said_up) {
		linkmsg_owe(&n->owed, LINKMSG_UP);
		n->said_up = true;
	}
	if (n->link)
		(void)net_link_flush(n);
	if (kicked & (1u << NET_RXQ))
		n->rx_stalled = false;
	if (ready || !n->rx_stalled)
		net_rx(n);
}

/* Poll the TAP unless the guest has no buffer for what it would give. */
int virtio_net_wait(void *dev, int *timeout_ms)
{
	struct virtio_net *n = dev;
	*timeout_ms = n->link && linkmsg_pending(&n->owed) ? NET_LINK_RETRY_MS : -1;
	return n->rx_stalled ? -1 : n->tap.fd;
}

/* 2.4: the queues are gone; so is the chain we held, and the driver
 * negotiates again. */
void virtio_net_reset(void *dev)
{
	struct virtio_net *n = dev;
	n->have_rxc = false;
	n->rx_stalled = false;
	n->offloads_set = false;
	n->features = 0;
	if (n->link && n->said_up) {
		/* Kept if the socket is full: it goes first when the driver
		 * is live again. */
		linkmsg_owe(&n->owed, LINKMSG_DOWN);
		(void)net_link_flush(n);
		n->said_up = false;
	}
	if (!n->link)
		(void)tap_set_offloads(&n->tap, 0);
}

/* ---- life cycle ----------------------------------------------------------- */

/* A link's socket, inherited at link_fd (system.c): a socket of one
 * message per frame, made non-blocking (the worker never waits on a
 * peer) and close-on-exec. */
static int net_link_open(struct virtio_net *n, int fd, char *err, size_t errlen)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	if (fcntl(fd, F_GETFD) < 0) {
		snprintf(err, errlen, "--net link=%d: no such descriptor (vmm system passes it)",
			 fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    (type != SOCK_SEQPACKET && type != SOCK_DGRAM)) {
		snprintf(err, errlen, "--net link=%d: not a SOCK_SEQPACKET or SOCK_DGRAM socket",
			 fd);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "--net link=%d: %s", fd, strerror(errno));
		return -1;
	}
	n->tap.fd = fd;
	n->tap.offloads = 0; /* no offloads over a link (net.h) */
	snprintf(n->tap.name, sizeof(n->tap.name), "link:%d", fd);
	n->link = true;
	return 0;
}

int virtio_net_init(struct virtio_net *n, const struct net_cfg *c, const struct guestmem *gm,
		    struct bus *mmio, const struct virtio_pci_hooks *hooks, char *err,
		    size_t errlen)
{
	memset(n, 0, sizeof(*n));
	if (c->link_fd >= 0) {
		if (net_link_open(n, c->link_fd, err, errlen))
			return -1;
	} else if (tap_open(&n->tap, c->tap, err, errlen)) {
		return -1;
	}
	memcpy(n->mac, c->mac, 6);
	/* A VM restarted on the link: its peer may not have heard the DOWN
	 * for the one before (the supervisor's, linkmsg.h), so ours goes
	 * first, ahead of the first UP. */
	if (n->link && c->restarted)
		linkmsg_owe(&n->owed, LINKMSG_DOWN);
	struct virtio_device d = {
		.name = "virtio-net",
		.id = VIRTIO_ID_NET,
		.class_code = 0x02, /* network controller, Ethernet */
		.features = NET_BIT(NET_F_MAC) | NET_BIT(NET_F_STATUS) |
			    (n->link ? 0 : net_hdr_offered(n->tap.offloads)),
		.nqueues = 2,
		.queue_max = NET_QUEUE_SIZE,
		.config_len = NET_CONFIG_LEN,
		.config_read = net_config_read,
		.serve = virtio_net_serve,
		.reset = virtio_net_reset,
		.pull_queues = 1u << NET_RXQ,
		.wait = virtio_net_wait,
		.run = virtio_net_run,
		.dev = n,
	};
	if (virtio_pci_init(&n->vp, &d, gm, mmio, hooks, err, errlen)) {
		tap_close(&n->tap);
		return -1;
	}
	return 0;
}

void virtio_net_free(struct virtio_net *n)
{
	virtio_pci_free(&n->vp);
	tap_close(&n->tap);
}
