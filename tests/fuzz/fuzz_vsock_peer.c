/*
 * fuzz_vsock_peer: a vsock link's peer path (vsock_peer.c) on arbitrary
 * sequences of guest packets and peer messages.
 *
 * Input: records, each a kind byte, then
 *   kind even: a guest packet for the peer: a 44-byte struct vsock_hdr
 *     (its dst_cid forced to the peer's, its src_cid left as the input
 *     says) and a 2-byte little-endian count of payload bytes the chain
 *     carries (from a fixed buffer);
 *   kind odd: a message from the peer monitor: a 2-byte little-endian
 *     length and that many bytes of the input, sent whole on the other end
 *     of the socketpair (a link message, a packet, or rubbish).
 * After each record the peer's end is drained (what the guest's packets
 * became must be whole packets from the guest's CID with a sound header)
 * and every packet owed to the guest is taken, into buffers of varying
 * size. Whatever the input, each packet the guest gets must come from
 * the peer's CID to the guest's, be a stream with a known op, carry a
 * payload only on RW and never more than its buffer; draining must end.
 * Seeds: tests/fuzz/corpus/vsock_peer/.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsock_conn.h"
#include "vsock_peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ME 3u
#define PEER 4u
static struct vsock_conn_table *table;
static struct vsock_peers *peers;
static int other = -1;

static void init(void)
{
	char err[256];
	int sp[2];
	table = vsock_conn_new(ME, "/nonexistent/fuzz_vsock_peer", -1, err, sizeof(err));
	if (!table || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp) < 0)
		abort();
	struct vsock_peer_cfg c = {PEER, sp[0]};
	peers = vsock_peers_new(ME, &c, 1, table, err, sizeof(err));
	if (!peers)
		abort();
	other = sp[1];
}

static void drain(void)
{
	static uint8_t msg[sizeof(struct vsock_hdr) + VSOCK_MAX_PAYLOAD + 1];
	ssize_t n;
	/* What reached the peer: only checked packets of our guest. */
	while ((n = recv(other, msg, sizeof(msg), MSG_DONTWAIT)) > 0) {
		struct vsock_hdr h;
		if ((size_t)n == 1)
			continue; /* our own link message */
		if ((size_t)n < sizeof(h))
			abort();
		memcpy(&h, msg, sizeof(h));
		if (h.src_cid != ME || h.dst_cid != PEER || h.type != VSOCK_TYPE_STREAM ||
		    h.len != (size_t)n - sizeof(h) || h.len > VSOCK_MAX_PAYLOAD ||
		    (h.op != VSOCK_OP_RW && h.len) || h.op < VSOCK_OP_REQUEST ||
		    h.op > VSOCK_OP_CREDIT_REQUEST)
			abort();
	}
	struct pollfd p = {vsock_conn_fd(table), POLLIN, 0};
	if (poll(&p, 1, 0) == 1)
		vsock_conn_poll(table, 0);
	static uint8_t buf[VSOCK_MAX_PAYLOAD];
	for (unsigned k = 0; vsock_peers_rx_pending(peers); k++) {
		if (k > 4096)
			abort(); /* draining must end */
		struct vsock_hdr h;
		size_t cap = k % 3 == 0 ? sizeof(buf) : 1 + (k * 977) % 5000;
		struct iovec iov = {buf, cap};
		if (!vsock_peers_rx(peers, &h, &iov, 1, cap))
			continue; /* messages consumed, no packet: look again */
		if (h.src_cid != PEER || h.dst_cid != ME || h.type != VSOCK_TYPE_STREAM ||
		    h.op < VSOCK_OP_REQUEST || h.op > VSOCK_OP_CREDIT_REQUEST || h.len > cap ||
		    (h.op != VSOCK_OP_RW && h.len))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!table)
		init();
	static uint8_t payload[VSOCK_MAX_PAYLOAD + 8] = {0x5a}; /* its bytes do not matter */
	while (size >= 3) {
		uint8_t kind = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		data += 3, size -= 3;
		if (kind % 2 == 0) {
			struct vsock_hdr h;
			if (size < sizeof(h))
				break;
			memcpy(&h, data, sizeof(h));
			data += sizeof(h), size -= sizeof(h);
			h.dst_cid = PEER;
			size_t avail = len > VSOCK_MAX_PAYLOAD ? VSOCK_MAX_PAYLOAD + 1 : len;
			struct iovec iov = {payload, avail};
			enum vsock_peer_tx r =
				vsock_peers_tx(peers, 0, &h, &iov, avail ? 1 : 0, avail);
			if (r != VSOCK_PEER_SENT && r != VSOCK_PEER_FULL && r != VSOCK_PEER_REFUSED)
				abort();
		} else {
			if (len > size)
				len = size;
			if (send(other, data, len, MSG_DONTWAIT) < 0 && errno != EAGAIN)
				abort();
			data += len, size -= len;
		}
		drain();
	}
	/* Leave the state as a fresh device would be. */
	vsock_peers_reset(peers);
	uint8_t up = 1;
	(void)send(other, &up, 1, MSG_DONTWAIT);
	drain();
	return 0;
}
