/*
 * fuzz_net: the virtio-net header checks on arbitrary headers and lengths.
 *
 * Input: 8 bytes of negotiated features (little-endian), 12 bytes of
 * struct net_hdr, then the frame (only its length matters to the checks;
 * an 8-byte little-endian length override follows the header when the
 * frame is shorter than 8 bytes, to reach lengths up to NET_MAX_FRAME and
 * past it). Each header goes through both directions; whatever the input,
 * an accepted header must describe a checksum and GSO request that lies
 * inside the frame and was negotiated, and a refused one must say why.
 * Seeds: tests/fuzz/corpus/net/ (tests/fuzz/make_net_vsock_seeds.py).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct net_hdr *h, size_t len, uint64_t f, enum net_hdr_verdict v,
		  int tx)
{
	if ((unsigned)v >= NET_HDR_NVERDICTS || !net_hdr_verdict_name[v])
		abort();
	if (v != NET_HDR_OK)
		return;
	if (len < NET_MIN_FRAME || len > NET_MAX_FRAME)
		abort();
	if (h->flags & NET_HDR_F_NEEDS_CSUM) {
		if (!(f & NET_BIT(tx ? NET_F_CSUM : NET_F_GUEST_CSUM)))
			abort();
		if ((size_t)h->csum_start + h->csum_offset + 2 > len)
			abort();
	}
	if (tx && (h->flags & ~NET_HDR_F_NEEDS_CSUM))
		abort();
	if (!tx && !(f & NET_BIT(NET_F_GUEST_CSUM)) && h->flags)
		abort();
	if (h->gso_type != NET_HDR_GSO_NONE &&
	    (!(h->flags & NET_HDR_F_NEEDS_CSUM) || !h->gso_size || h->hdr_len > len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8 + sizeof(struct net_hdr))
		return 0;
	uint64_t f;
	struct net_hdr in, h;
	memcpy(&f, data, 8);
	memcpy(&in, data + 8, sizeof(in));
	size_t len = size - 8 - sizeof(in);
	if (len >= 8 && len < 16) {
		uint64_t l;
		memcpy(&l, data + 8 + sizeof(in), 8);
		len = (size_t)(l % (2 * (uint64_t)NET_MAX_FRAME));
	}
	h = in;
	check(&h, len, f, net_hdr_tx(&h, len, f), 1);
	h = in;
	enum net_hdr_verdict v = net_hdr_rx(&h, len, f, 1);
	check(&h, len, f, v, 0);
	if (v == NET_HDR_OK && h.num_buffers != 1)
		abort();
	/* The offload maps are closed: what is offered is consistent. */
	unsigned tun = (unsigned)(f & 0x7f);
	uint64_t off = net_hdr_offered(tun);
	if (net_hdr_tun_offloads(off) & ~tun)
		abort();
	return 0;
}
