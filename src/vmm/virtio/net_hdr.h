/*
 * net_hdr: the virtio-net header in front of every frame (virtio 1.2,
 * section 5.1.6) and the feature bits that govern it.
 *
 * Owns: the header layout, the map between the offloads a TAP accepts
 * (TUN_F_*, tap.h) and the virtio-net feature bits the device offers
 * (5.1.3), the offloads to program into the TAP once the driver has chosen
 * its features, the check of a header the guest transmits (hostile: every
 * field is checked against the frame and the negotiated features before
 * the TAP sees it) and the fix-up of a header the TAP hands us for the
 * guest (flags and GSO type it did not negotiate cleared or refused,
 * num_buffers set).
 *
 * Pure functions on bytes, no descriptors and no guest memory: net.c
 * copies the header out of the descriptor chain first.
 */
#ifndef NET_HDR_H
#define NET_HDR_H

#include <stddef.h>
#include <stdint.h>

#include "virtio_spec.h" /* the feature bits, NET_F_* (5.1.3) */

/* virtio 1.2, 5.1.6: struct virtio_net_hdr (all fields little-endian).
 * With VIRTIO_F_VERSION_1 num_buffers is always there (5.1.6.1). */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));
_Static_assert(sizeof(struct net_hdr) == 12, "virtio 1.2, 5.1.6: 12-byte header");

#define NET_HDR_F_NEEDS_CSUM 1
#define NET_HDR_F_DATA_VALID 2
#define NET_HDR_GSO_NONE 0
#define NET_HDR_GSO_TCPV4 1
#define NET_HDR_GSO_UDP 3
#define NET_HDR_GSO_TCPV6 4
#define NET_HDR_GSO_UDP_L4 5
#define NET_HDR_GSO_ECN 0x80

#define NET_BIT(f) (1ull << (f))

/* The largest frame (after the header) either way: a 64 KiB GSO payload
 * plus its Ethernet, VLAN, IP and TCP headers. Anything longer is refused. */
#define NET_MAX_FRAME (65536u + 256u)
/* The smallest: an Ethernet header. */
#define NET_MIN_FRAME 14u

/* The offload features the device offers when its TAP accepted the
 * TUN_F_* flags `tun_offloads` (and always carries a vnet header). Each
 * offered bit's dependencies (5.1.3.1) are offered too. */
uint64_t net_hdr_offered(unsigned tun_offloads);

/* The TUN_F_* flags to program into the TAP for the features the driver
 * accepted: what the kernel may hand the guest. */
unsigned net_hdr_tun_offloads(uint64_t features);

/* Why a header was refused (net.c counts each). */
enum net_hdr_verdict {
	NET_HDR_OK = 0,
	NET_HDR_BAD_LEN,   /* frame shorter than Ethernet or longer than NET_MAX_FRAME */
	NET_HDR_BAD_CSUM,  /* NEEDS_CSUM not negotiated, or outside the frame */
	NET_HDR_BAD_GSO,   /* GSO type not negotiated, or inconsistent */
	NET_HDR_NVERDICTS
};
extern const char *const net_hdr_verdict_name[NET_HDR_NVERDICTS];

/* A header the guest transmits, in place, before it goes to the TAP
 * (5.1.6.2): flag bits the device does not know are cleared (5.1.6.2.2:
 * the device MUST ignore them), num_buffers zeroed; then checked against
 * `features` and the frame's length. Returns NET_HDR_OK or why to drop. */
enum net_hdr_verdict net_hdr_tx(struct net_hdr *h, size_t frame_len, uint64_t features);

/* A header the TAP produced, in place, before it goes to the guest
 * (5.1.6.3, 5.1.6.4.1): without GUEST_CSUM the flags are cleared (the
 * device MUST set them to zero), a partial checksum or a GSO type the
 * guest did not negotiate is refused, num_buffers is set. */
enum net_hdr_verdict net_hdr_rx(struct net_hdr *h, size_t frame_len, uint64_t features,
				uint16_t num_buffers);

#endif
