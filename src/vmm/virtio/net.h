/*
 * net: virtio network device (virtio 1.2 section 5.1, device ID 1) on a
 * host TAP: `vmm run --net tap=NAME[,mac=MAC]`, or on a link to other VMs:
 * `vmm run --net link=FD[,mac=MAC]`.
 *
 * Owns: the option, the MAC address (given, or derived from the TAP's
 * name so it is the same on every run), the device configuration (5.1.4:
 * mac, status LINK_UP), the features offered (MAC, STATUS and the
 * offloads the TAP accepts, net_hdr.h), the receive queue (0) and
 * transmit queue (1), and the counters of what was dropped and why.
 *
 * Data path, all on the device's worker thread (virtio_pci.h):
 *   transmit: each chain is a virtio-net header and a frame (5.1.6.2); the
 *     header is copied out and checked (net_hdr_tx), then header and frame
 *     go to the TAP in one writev straight from guest memory. A bad header
 *     or a frame the TAP refuses is dropped and counted.
 *   receive: the TAP is polled only while a receive chain is at hand or
 *     may be taken; a frame is read (readv) straight into the chain,
 *     header first, then the header is fixed (net_hdr_rx). When the guest
 *     has no receive buffers the worker stops reading the TAP (the frames
 *     wait in the TAP's queue, where the kernel counts any it drops) and
 *     goes on serving transmit; the rx notification resumes it. A frame
 *     larger than the chain is dropped and counted, the chain reused.
 *
 * On a link (docs/system.md, "Links") the backend is an inherited
 * SOCK_SEQPACKET (or SOCK_DGRAM) socket instead of the TAP: one Ethernet
 * frame per message, and no virtio-net header on the wire. A link offers
 * no offloads (the frame is whole and checksummed when it leaves the
 * guest, so the peer, another guest or the switch, need not trust or
 * interpret a header), so the header is checked and stripped on transmit
 * and a zero header (num_buffers 1) is written in front of what arrives.
 * On a link the device also:
 *   - sends only from its own MAC: a frame with another source address is
 *     dropped and counted (tx_spoofed), so a guest cannot pose as another;
 *   - says its state to the peer with linkmsg.h's one-byte messages:
 *     LINKMSG_UP when the driver sets DRIVER_OK, LINKMSG_DOWN when the
 *     driver resets it (the supervisor sends DOWN for a VM that ended);
 *     one that finds the socket full is kept and goes before any later
 *     frame, tried again every NET_LINK_RETRY_MS while the device is
 *     live (a DOWN owed at a reset goes when the driver is back);
 *   - shows the peer's state as the link status (5.1.4, STATUS's
 *     LINK_UP), with a configuration change notification on each change,
 *     so that the guest sees its carrier go and come back when the peer
 *     restarts; while it is down, frames sent are dropped (counted). It
 *     starts up: a peer that never comes is a link nobody answers on.
 *
 * No VIRTIO_NET_F_MRG_RXBUF: with it a 64 KiB GSO frame spreads over
 * several chains whose number is known only after reading it, and taking
 * back the chains of a frame that does not fit needs an "unpop" the
 * virtqueue module does not have. Without it Linux gives whole-frame
 * chains (1526 bytes, or 64 KiB "big packets" with GUEST_TSO): one read,
 * one chain, num_buffers always 1 (the header is still 12 bytes, 5.1.6).
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linkmsg.h"
#include "net_hdr.h"
#include "tap.h"
#include "virtio_pci.h"

#define NET_QUEUE_SIZE 256
#define NET_LINK_RETRY_MS 10 /* a link state message that found the socket full */
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_CONFIG_LEN 12 /* mac, status, max_virtqueue_pairs, mtu (5.1.4) */

/* One --net. */
struct net_cfg {
	char tap[IFNAMSIZ];     /* "" on a link */
	int link_fd;            /* the link's socket, -1 on a TAP */
	uint8_t mac[6];
	bool mac_given;
	bool restarted;         /* link: say DOWN before the first UP (vmm system, on a restart) */
};

/* Parses "tap=NAME[,mac=XX:XX:XX:XX:XX:XX]" or "link=FD[,mac=...][,restarted]".
 * Without mac= the address is derived from NAME (or "link:FD"; locally
 * administered, unicast). Returns 0 or -1 with
 * a message naming --net. */
int net_parse_option(const char *s, struct net_cfg *c, char *err, size_t errlen);

struct net_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t tx_bad_hdr[NET_HDR_NVERDICTS]; /* guest headers refused, by reason */
	uint64_t tx_short;      /* chain shorter than a header and a frame */
	uint64_t tx_tap_error;  /* the TAP or link refused the frame (queue full, down) */
	uint64_t rx_bad_hdr;    /* the TAP produced a header the guest cannot take */
	uint64_t rx_too_big;    /* frame larger than the guest's buffer */
	uint64_t rx_small_buf;  /* a receive chain too small for any frame */
	uint64_t rx_stalls;     /* times the guest had no receive buffer */
	uint64_t offload_errors; /* TUNSETOFFLOAD refused the negotiated set */
	uint64_t tx_spoofed;    /* link: a source MAC not the device's */
	uint64_t tx_link_down;  /* link: sent while the peer was down */
	uint64_t link_msgs;     /* link: linkmsg.h messages from the peer */
};

struct virtio_net {
	struct virtio_pci vp;
	struct tap tap;         /* on a link: fd is the link's socket, no offloads */
	bool link;
	uint8_t mac[6];
	/* The worker's. */
	uint64_t features;    /* negotiated, as last applied to the TAP */
	bool offloads_set;
	struct virtq_chain rxc; /* a receive chain taken and not yet used */
	bool have_rxc;
	bool rx_stalled;        /* no receive buffer: wait for the rx kick */
	bool said_up;           /* link: LINKMSG_UP said since the last reset */
	struct linkmsg_owed owed; /* link: state messages not yet sent (socket full) */
	bool peer_down;         /* link: the peer said DOWN (read by config_read:
				   atomic) */
	struct net_stats st;
};

/* Opens the TAP (before the sandbox) and sets the device up (then:
 * pci_add, virtio_pci_add_caps, place the BAR, virtio_pci_start).
 * Returns 0 or -1 with a message naming --net. */
int virtio_net_init(struct virtio_net *n, const struct net_cfg *c, const struct guestmem *gm,
		    struct bus *mmio, const struct virtio_pci_hooks *hooks, char *err,
		    size_t errlen);
void virtio_net_free(struct virtio_net *n);

/* The device's callbacks (virtio_device), for tests. */
int virtio_net_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written);
void virtio_net_run(void *dev, uint32_t kicked, bool ready);
int virtio_net_wait(void *dev, int *timeout_ms);
void virtio_net_reset(void *dev);

#endif
