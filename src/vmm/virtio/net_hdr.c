/*
 * net_hdr: checks and fix-ups of the virtio-net header (virtio 1.2,
 * 5.1.6), and the map between TAP offloads and virtio-net features.
 *
 * Direction names follow the spec: "host" features are what the device
 * (here, the TAP behind it) accepts from the driver on transmit; "guest"
 * features are what the driver accepts on receive. The TAP takes any valid
 * header on write (the kernel's virtio_net_hdr_to_skb), so the host
 * features only need the header itself; what it may produce on read is
 * set by TUNSETOFFLOAD, so each guest feature needs the matching TUN_F_*
 * flag. UFO and USO on transmit are offered only when the TAP knows them
 * on receive too, a sign the kernel handles them (QEMU does the same).
 */
#include "net_hdr.h"

#include <linux/if_tun.h>

#include "tap.h"

const char *const net_hdr_verdict_name[NET_HDR_NVERDICTS] = {
	[NET_HDR_OK] = "ok",
	[NET_HDR_BAD_LEN] = "bad frame length",
	[NET_HDR_BAD_CSUM] = "bad checksum request",
	[NET_HDR_BAD_GSO] = "bad GSO request",
};

/* The TUN_F_* flag each guest feature needs. */
static const struct {
	unsigned tun;
	unsigned feature;
} net_hdr_guest_map[] = {
	{TUN_F_CSUM, NET_F_GUEST_CSUM}, {TUN_F_TSO4, NET_F_GUEST_TSO4},
	{TUN_F_TSO6, NET_F_GUEST_TSO6}, {TUN_F_TSO_ECN, NET_F_GUEST_ECN},
	{TUN_F_UFO, NET_F_GUEST_UFO},   {TUN_F_USO4, NET_F_GUEST_USO4},
	{TUN_F_USO6, NET_F_GUEST_USO6},
};
#define NET_HDR_NMAP (sizeof(net_hdr_guest_map) / sizeof(net_hdr_guest_map[0]))

uint64_t net_hdr_offered(unsigned tun)
{
	uint64_t f = NET_BIT(NET_F_CSUM) | NET_BIT(NET_F_HOST_TSO4) | NET_BIT(NET_F_HOST_TSO6) |
		     NET_BIT(NET_F_HOST_ECN);
	if (tun & TUN_F_UFO)
		f |= NET_BIT(NET_F_HOST_UFO);
	if (tun & TUN_F_USO4)
		f |= NET_BIT(NET_F_HOST_USO);
	/* 5.1.3.1: every GUEST_ offload requires GUEST_CSUM; the probe
	 * accepts nothing else without TUN_F_CSUM, but do not rely on it. */
	if (tun & TUN_F_CSUM)
		for (size_t i = 0; i < NET_HDR_NMAP; i++)
			if (tun & net_hdr_guest_map[i].tun)
				f |= NET_BIT(net_hdr_guest_map[i].feature);
	/* GUEST_ECN requires GUEST_TSO4 or GUEST_TSO6. */
	if (!(f & (NET_BIT(NET_F_GUEST_TSO4) | NET_BIT(NET_F_GUEST_TSO6))))
		f &= ~NET_BIT(NET_F_GUEST_ECN);
	return f;
}

unsigned net_hdr_tun_offloads(uint64_t features)
{
	unsigned tun = 0;
	if (!(features & NET_BIT(NET_F_GUEST_CSUM)))
		return 0;
	for (size_t i = 0; i < NET_HDR_NMAP; i++)
		if (features & NET_BIT(net_hdr_guest_map[i].feature))
			tun |= net_hdr_guest_map[i].tun;
	return tun;
}

/* The feature a GSO type needs on the given side, or -1 for none valid. */
static int net_hdr_gso_feature(unsigned type, int tx)
{
	switch (type) {
	case NET_HDR_GSO_TCPV4:
		return tx ? NET_F_HOST_TSO4 : NET_F_GUEST_TSO4;
	case NET_HDR_GSO_TCPV6:
		return tx ? NET_F_HOST_TSO6 : NET_F_GUEST_TSO6;
	case NET_HDR_GSO_UDP:
		return tx ? NET_F_HOST_UFO : NET_F_GUEST_UFO;
	case NET_HDR_GSO_UDP_L4:
		/* USO has one host bit and a guest bit per IP version; on
		 * receive either guest bit admits it (the TAP only produces
		 * what TUNSETOFFLOAD allowed). */
		return tx ? NET_F_HOST_USO : NET_F_GUEST_USO4;
	default:
		return -1;
	}
}

static enum net_hdr_verdict net_hdr_check(const struct net_hdr *h, size_t len,
					  uint64_t features, int tx)
{
	if (len < NET_MIN_FRAME || len > NET_MAX_FRAME)
		return NET_HDR_BAD_LEN;
	if (h->flags & NET_HDR_F_NEEDS_CSUM) {
		if (!(features & NET_BIT(tx ? NET_F_CSUM : NET_F_GUEST_CSUM)))
			return NET_HDR_BAD_CSUM;
		/* The 16-bit checksum is stored at csum_start + csum_offset
		 * (5.1.6.2): it must lie inside the frame. */
		if ((size_t)h->csum_start + h->csum_offset + 2 > len)
			return NET_HDR_BAD_CSUM;
	}
	unsigned type = h->gso_type & ~NET_HDR_GSO_ECN;
	if (type == NET_HDR_GSO_NONE) {
		if (h->gso_type & NET_HDR_GSO_ECN)
			return NET_HDR_BAD_GSO;
		return NET_HDR_OK;
	}
	int need = net_hdr_gso_feature(type, tx);
	uint64_t have = features;
	if (!tx && type == NET_HDR_GSO_UDP_L4)
		have |= (features & NET_BIT(NET_F_GUEST_USO6)) ? NET_BIT(NET_F_GUEST_USO4) : 0;
	if (need < 0 || !(have & NET_BIT((unsigned)need)))
		return NET_HDR_BAD_GSO;
	if ((h->gso_type & NET_HDR_GSO_ECN) &&
	    !(features & NET_BIT(tx ? NET_F_HOST_ECN : NET_F_GUEST_ECN)))
		return NET_HDR_BAD_GSO;
	/* 5.1.6.2.1: a GSO frame needs a partial checksum and a segment
	 * size; its headers lie within the frame. */
	if (!(h->flags & NET_HDR_F_NEEDS_CSUM) || h->gso_size == 0 || h->hdr_len > len)
		return NET_HDR_BAD_GSO;
	return NET_HDR_OK;
}

enum net_hdr_verdict net_hdr_tx(struct net_hdr *h, size_t frame_len, uint64_t features)
{
	/* DATA_VALID and RSC_INFO are receive-side flags. */
	h->flags &= NET_HDR_F_NEEDS_CSUM;
	h->num_buffers = 0;
	return net_hdr_check(h, frame_len, features, 1);
}

enum net_hdr_verdict net_hdr_rx(struct net_hdr *h, size_t frame_len, uint64_t features,
				uint16_t num_buffers)
{
	if (!(features & NET_BIT(NET_F_GUEST_CSUM))) {
		/* 5.1.6.4.1: without GUEST_CSUM the flags MUST be zero and the
		 * packet fully checksummed; a partial one cannot be fixed. */
		if (h->flags & NET_HDR_F_NEEDS_CSUM)
			return NET_HDR_BAD_CSUM;
		h->flags = 0;
	} else {
		h->flags &= NET_HDR_F_NEEDS_CSUM | NET_HDR_F_DATA_VALID;
	}
	h->num_buffers = num_buffers;
	return net_hdr_check(h, frame_len, features, 0);
}
