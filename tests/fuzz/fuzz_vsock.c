/*
 * fuzz_vsock: the virtio-vsock packet header check and the connection
 * state machine (vsock_conn.c) on arbitrary packet sequences.
 *
 * Input: records of a 44-byte struct vsock_hdr and a 2-byte little-endian
 * count of payload bytes the "chain" carries after it (the bytes
 * themselves come from a fixed buffer: their values do not matter to the
 * protocol, and so a few bytes of input can overrun a connection's
 * 256 KiB of credit). After each record the table is polled and every packet
 * owed to the guest drained. A Unix socket listens at PATH_5000, so
 * REQUESTs to port 5000 open real connections (accepted and then closed
 * by the harness, so that host hang-ups are exercised too); other ports
 * have no listener. Whatever the input, every packet to the guest must be
 * well formed and within the buffer it was given, the table bounded, and
 * draining must end. Seeds: tests/fuzz/corpus/vsock/
 * (tests/fuzz/make_net_vsock_seeds.py).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsock_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CID 3u
static struct vsock_conn_table *table;
static int listener = -1;

static void init(void)
{
	char dir[] = "/tmp/fuzz_vsock.XXXXXX";
	char uds[96], p[128], err[256];
	if (!mkdtemp(dir))
		abort();
	snprintf(uds, sizeof(uds), "%s/v", dir);
	snprintf(p, sizeof(p), "%s_5000", uds);
	listener = vsock_conn_listen(p, err, sizeof(err));
	table = vsock_conn_new(CID, uds, -1, err, sizeof(err));
	if (listener < 0 || !table)
		abort();
}

static void drain(void)
{
	static uint8_t buf[VSOCK_MAX_PAYLOAD];
	int fd;
	/* The host service takes its connections and hangs up at once. */
	while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		close(fd);
	vsock_conn_poll(table, 0);
	for (unsigned n = 0; vsock_conn_rx_pending(table); n++) {
		if (n > 4 * VSOCK_CONN_MAX + 256)
			abort(); /* draining must end */
		struct vsock_hdr h;
		size_t cap = 1 + n % 4096;
		struct iovec iov = {buf, cap};
		if (!vsock_conn_rx(table, &h, &iov, 1, cap))
			continue;
		if (h.dst_cid != CID || h.type != VSOCK_TYPE_STREAM || h.len > cap ||
		    h.op < VSOCK_OP_REQUEST || h.op > VSOCK_OP_CREDIT_UPDATE ||
		    h.buf_alloc != VSOCK_CONN_BUF)
			abort();
		if (h.op != VSOCK_OP_RW && h.len)
			abort();
		if (h.op == VSOCK_OP_SHUTDOWN && (!h.flags || h.flags > 3))
			abort();
	}
	if (vsock_conn_count(table) > VSOCK_CONN_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!table)
		init();
	while (size >= sizeof(struct vsock_hdr) + 2) {
		struct vsock_hdr h;
		memcpy(&h, data, sizeof(h));
		size_t avail = (size_t)data[sizeof(h)] | (size_t)data[sizeof(h) + 1] << 8;
		data += sizeof(h) + 2;
		size -= sizeof(h) + 2;
		static uint8_t payload[65536];
		struct iovec iov = {payload, avail};
		enum vsock_verdict v = vsock_conn_tx(table, &h, &iov, avail ? 1 : 0, avail);
		if ((unsigned)v >= VSOCK_NVERDICTS || v != vsock_conn_check(&h, avail, CID))
			abort();
		drain();
	}
	vsock_conn_reset(table);
	return 0;
}
