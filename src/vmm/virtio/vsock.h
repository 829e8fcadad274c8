/*
 * vsock: virtio socket device (virtio 1.2 section 5.10, device ID 19) to
 * host programs on Unix sockets, the Firecracker way:
 * `vmm run --vsock cid=N,uds=PATH`.
 *
 * Owns: the option (CID 3 or more: 0-2 are reserved, 5.10.4; below
 * 0xffffffff, VMADDR_CID_ANY), the device configuration (guest_cid), the
 * three queues (rx 0, tx 1, event 2; 5.10.2) and the glue between them
 * and the protocol in vsock_conn.c, which owns the connections and the
 * Unix sockets.
 *
 * On the worker thread (virtio_pci.h): each tx chain is one packet, a
 * header and its payload (5.10.6), handed to vsock_conn_tx in place; the
 * rx queue is pulled: while the protocol owes the guest a packet, a chain
 * is taken, the payload is read from the host socket straight into it and
 * the header written in front. With no rx buffer the worker stops taking
 * packets (the host sockets are then not read either, vsock_conn.c) until
 * the guest's rx notification, and goes on with tx. The event queue is
 * only held: the one event (TRANSPORT_RESET, 5.10.6.6) is for migration,
 * which this monitor does not do.
 *
 * On a vsock link (peer=CID@FD, vsock_peer.h) packets for a peer's CID go
 * to that peer's socket and the transmit queue is pulled as well, so that
 * a chain for a peer whose socket is full is held, out of order, while
 * the packets behind it for the host and other peers go on (vsock.c,
 * vsock_tx): a peer that does not read slows this guest's connections to
 * it, never its others nor another VM; the receive buffers are shared
 * between the host connections and the peers, turn about.
 */
#ifndef VSOCK_H
#define VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_pci.h"
#include "vsock_conn.h"
#include "vsock_peer.h"

#define VSOCK_QUEUE_SIZE 256
#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2
#define VSOCK_CONFIG_LEN 8 /* le64 guest_cid (5.10.4) */
#define VSOCK_TX_HELD 32   /* tx chains held for full peers before the queue waits */

/* One --vsock. */
struct vsock_cfg {
	uint64_t cid;
	char uds[VSOCK_UDS_MAX + 1];
	struct vsock_peer_cfg peers[VSOCK_PEERS_MAX]; /* a vsock link's other VMs */
	unsigned npeers;
	bool restarted; /* say DOWN to the peers before the first UP (vmm system, on a restart) */
};

/* Parses "cid=N,uds=PATH[,peer=CID@FD]...[,restarted]" (cid and uds
 * required, in any order; each peer a different CID, not N, and its own
 * descriptor, 3 or more: vsock_peer.h; restarted only with peers). Returns 0 or -1 with a message naming --vsock. */
int vsock_parse_option(const char *s, struct vsock_cfg *c, char *err, size_t errlen);

struct vsock_dev_stats {
	uint64_t tx_short;  /* tx chain shorter than a header */
	uint64_t rx_small;  /* rx chain shorter than a header: returned empty */
	uint64_t rx_stalls; /* times the guest had no rx buffer */
	uint64_t tx_held;   /* tx chains held for a peer whose socket was full */
};

/* A tx chain held for peer `peer` (its socket full). */
struct vsock_held {
	struct virtq_chain c;
	unsigned peer;
};

struct virtio_vsock {
	struct virtio_pci vp;
	struct vsock_conn_table *t;
	uint64_t cid;
	/* The worker's. */
	struct virtq_chain rxc;
	bool have_rxc;
	bool rx_stalled;
	/* With peers the transmit queue is pulled too (a chain for a peer
	 * whose socket is full is held: vsock_peer.h). */
	struct vsock_peers *ps;
	struct virtq_chain txc;
	bool have_txc, tx_more;
	struct vsock_held *held; /* VSOCK_TX_HELD of them, allocated when first needed */
	unsigned nheld;
	bool said_live; /* LINKMSG_UP sent to the peers since the last reset */
	bool rx_turn;   /* peers' turn first on the next rx buffer */
	struct vsock_dev_stats st;
};

/* Makes the listening socket at PATH (before the sandbox) and sets the
 * device up (then: pci_add, virtio_pci_add_caps, place the BAR,
 * virtio_pci_start). Returns 0 or -1 with a message naming --vsock. */
int virtio_vsock_init(struct virtio_vsock *v, const struct vsock_cfg *c,
		      const struct guestmem *gm, struct bus *mmio,
		      const struct virtio_pci_hooks *hooks, char *err, size_t errlen);
void virtio_vsock_free(struct virtio_vsock *v);

/* The device's callbacks (virtio_device), for tests. */
int virtio_vsock_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written);
void virtio_vsock_run(void *dev, uint32_t kicked, bool ready);
int virtio_vsock_wait(void *dev, int *timeout_ms);
void virtio_vsock_reset(void *dev);

#endif
