/*
 * vsock_peer: a vsock link's guest-to-guest streams (docs/system.md,
 * "Links"): `vmm run --vsock cid=N,uds=PATH,peer=CID@FD,...`.
 *
 * Each peer is another VM's monitor on one end of a SOCK_SEQPACKET
 * socketpair that vmm system made before either started; one packet (the
 * virtio 1.2 5.10.6 header and its payload) a message.
 *
 * Owns: the peers' sockets, the check of what crosses them, the packets
 * owed to the guest from them, and the little state a link needs:
 *   - guest to peer: a packet whose dst_cid is a peer's goes to that
 *     peer's socket as the guest wrote it, once checked (src_cid the
 *     guest's, a stream, a known op, a payload only on RW and within
 *     VSOCK_MAX_PAYLOAD). No connection state is kept for it: the two
 *     guests' credit accounting (5.10.6.3) bounds what is in flight. A
 *     socket that is full is not dropped into: the caller holds the chain
 *     (VSOCK_PEER_FULL) until the socket is writable again, so a peer
 *     that does not read slows this guest's transmit queue, and nothing
 *     else (no other VM, not the supervisor);
 *   - peer to guest: a message is taken only while the guest has a
 *     receive buffer, and delivered only if its src_cid is that peer's,
 *     its dst_cid this guest's and its header sound (else dropped,
 *     counted); an RW larger than the guest's buffer is split over
 *     several (a stream's bytes may be, 5.10.6.3);
 *   - the link's state (linkmsg.h): LINKMSG_UP to every peer when the
 *     driver sets DRIVER_OK, LINKMSG_DOWN when it resets the device; the
 *     supervisor sends DOWN for a VM that ended. One that finds the
 *     socket full is kept (linkmsg_owed) and goes on EPOLLOUT, before any
 *     packet to that peer. On DOWN the guest gets
 *     an RST for each connection it had with that peer (remembered from
 *     the REQUESTs either way, forgotten on an RST, at most
 *     VSOCK_PEER_CONNS a peer) and, until the peer says UP again, an RST
 *     for whatever it sends there: the restarted VM never sees a packet
 *     meant for the one before it.
 *
 * Threads: the vsock device's worker only. The sockets are watched in the
 * connection table's epoll set (vsock_conn_watch_other).
 */
#ifndef VSOCK_PEER_H
#define VSOCK_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vsock_conn.h"

/* A vsock link names at most 16 VMs (sysdesc.h), so 15 peers. */
#define VSOCK_PEERS_MAX 15u
#define VSOCK_PEER_CONNS 64u /* connections remembered per peer, for the RST on DOWN */
#define VSOCK_PEER_RST_MAX 64u /* RSTs owed to the guest per peer; more are dropped */

struct vsock_peer_cfg {
	uint64_t cid;
	int fd;
};

struct vsock_peer_stats {
	uint64_t tx_pkts, rx_pkts;   /* packets to / from the peers */
	uint64_t tx_full;            /* times a peer's socket was full (the chain held) */
	uint64_t tx_refused;         /* refused (bad header, peer down): RST to the guest */
	uint64_t rx_bad;             /* messages from a peer that failed the check */
	uint64_t rx_split;           /* RW packets split over several receive buffers */
	uint64_t link_msgs;          /* linkmsg.h messages from peers */
	uint64_t rst_dropped;        /* RSTs not owed: the queue was full */
};

enum vsock_peer_tx { VSOCK_PEER_SENT, VSOCK_PEER_FULL, VSOCK_PEER_REFUSED };

struct vsock_peers;

/* The peers of the guest with CID guest_cid (each CID different, not
 * the guest's nor the host's; each fd an open SOCK_SEQPACKET socket,
 * made non-blocking here), watched in table t's epoll set. Returns NULL
 * with a message naming --vsock peer=. */
struct vsock_peers *vsock_peers_new(uint64_t guest_cid, const struct vsock_peer_cfg *cfg,
				    unsigned n, struct vsock_conn_table *t, char *err,
				    size_t errlen);
void vsock_peers_free(struct vsock_peers *ps);

/* Peer index of `cid`, or -1. */
int vsock_peers_find(const struct vsock_peers *ps, uint64_t cid);
unsigned vsock_peers_count(const struct vsock_peers *ps);
int vsock_peers_fd(const struct vsock_peers *ps, unsigned i);

/* A packet from the guest for peer i (dst_cid is its CID): its header
 * and `avail` bytes of payload in iov. */
enum vsock_peer_tx vsock_peers_tx(struct vsock_peers *ps, unsigned i, const struct vsock_hdr *h,
				  const struct iovec *iov, unsigned niov, size_t avail);
/* Whether peer i's socket may take a packet (it was not found full, or
 * has said EPOLLOUT since): false means a packet for it is held. */
bool vsock_peers_writable(const struct vsock_peers *ps, unsigned i);

/* Whether a packet from a peer (or an RST) may be owed to the guest, and
 * the next one into *h and iov (up to cap bytes of payload). */
bool vsock_peers_rx_pending(const struct vsock_peers *ps);
bool vsock_peers_rx(struct vsock_peers *ps, struct vsock_hdr *h, const struct iovec *iov,
		    unsigned niov, size_t cap);

/* The driver set DRIVER_OK (live) or reset the device (down): tells every
 * peer (linkmsg.h). A reset also forgets what was owed to the guest. */
void vsock_peers_live(struct vsock_peers *ps);
/* This VM was restarted (vmm system's `restarted`): the peers may not
 * have heard the DOWN for the one before, so DOWN goes before the first
 * UP. */
void vsock_peers_restarted(struct vsock_peers *ps);
void vsock_peers_reset(struct vsock_peers *ps);

const struct vsock_peer_stats *vsock_peers_stats(const struct vsock_peers *ps);

#endif
