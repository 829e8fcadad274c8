/*
 * vvsock: a minimal virtio-vsock driver (virtio 1.2, 5.10) for the
 * benchmark guest, one stream connection at a time, and the vsock-ping /
 * vsock-pong workloads: a message's round trip over that stream.
 *
 * The device: the first virtio-vsock function, its guest_cid (5.10.4),
 * the rx (0), tx (1) and event (2) queues (5.10.2), all polled at CPL3
 * with no vector (see vnet.c for why: no interrupt, no CPL0 instruction,
 * only the tx notification, which EVENT_IDX skips while the device is
 * busy). Receive buffers are 4 KiB slots holding the 44-byte header and
 * its payload (5.10.6); the event queue gets its buffers and is otherwise
 * ignored (its one event is TRANSPORT_RESET, for migration).
 *
 * The protocol, stream sockets only (VIRTIO_VSOCK_TYPE_STREAM):
 *   connect: REQUEST to (cid, port) from a local port; RESPONSE opens the
 *     connection, RST refuses it (5.10.6.4);
 *   listen: the first REQUEST to our port is answered RESPONSE; any other
 *     packet that matches no connection, from anyone, gets RST (never an
 *     RST to an RST);
 *   data: RW packets; credit (5.10.6.3): every header we send carries
 *     buf_alloc (our receive buffer, VVS_BUF) and fwd_cnt (the bytes the
 *     workload has consumed); we send at most peer_buf_alloc - (tx_cnt -
 *     peer_fwd_cnt) bytes, and when the peer has no credit left we wait,
 *     reading its packets, for a CREDIT_UPDATE (asking with CREDIT_REQUEST
 *     every 100 ms). When we consumed half our buffer without sending a
 *     packet, we send a CREDIT_UPDATE ourselves, so a one-way stream
 *     toward us never stalls;
 *   close: SHUTDOWN with both flags, then the peer's RST (or a timeout).
 * vsock-ping follows a peer's restart: when the stream ends under it (the
 * RST its monitor sends for a peer that went down, or the old vsock-pong's
 * close) or an echo does not come within 2 s, it connects again (as at
 * the start, retrying for wait_s) and sends the unanswered message again,
 * at most VVS_RESYNC_MAX times a run (counted as resyncs). vsock-bulk
 * does the same when its stream ends under it before vsock-sink consumed
 * it all: it connects again and sends the rest (what the old sink had not
 * consumed, as its last fwd_cnt said) as a new stream, which starts at
 * offset 0 of the pattern, so that the new vsock-sink checks it from the
 * start; vsock-sink with `total` given ends the stream after that many
 * bytes, as vsock-pong does after its loops.
 * Packets from the peer are hostile: a payload larger than our free
 * buffer (the peer ignored our credit) is cut to what fits and counted.
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guestwl.h"
#include "platform.h"
#include "virtio.h"

struct vvs_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));
_Static_assert(sizeof(struct vvs_hdr) == 44, "virtio 1.2, 5.10.6: a 44-byte header");

#define VVS_SHUT_BOTH (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)
#define VVS_SLOT 4096u
#define VVS_MAX_PAYLOAD (VVS_SLOT - sizeof(struct vvs_hdr))
#define VVS_QMAX 64
#define VVS_BUF 65536u /* our receive buffer: buf_alloc (a power of 2) */
#define VVS_NEV 4
#define VVS_RESYNC_MAX 16 /* vsock-ping: connections made again in one run */

enum vvs_state { VS_NONE, VS_LISTEN, VS_CONNECTING, VS_OPEN, VS_CLOSED };

static struct {
	struct virtio_dev dev;
	struct virtq rx, tx, ev;
	uint8_t *rxbuf, *txbuf, *buf; /* buf: the stream's receive ring, VVS_BUF */
	uint32_t evbuf[VVS_NEV];
	uint64_t tx_sent, tx_done;
	uint8_t tx_busy[VVS_QMAX], rx_dev[VVS_QMAX]; /* slot s is the device's */
	uint64_t cid;
	int open;
	/* the connection */
	enum vvs_state st;
	uint64_t peer_cid;
	uint32_t peer_port, local_port;
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt; /* what the peer lets us send */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;            /* what we hold and consumed */
	uint32_t peer_shut;
	/* counts */
	uint64_t rst_sent, overrun, credit_waits, foreign, credit_updates;
	int shut_sent;
	uint64_t kick_tsc; /* TSC ticks spent in tx notifications */
} vs;

static uint64_t ms_ticks(uint64_t ms)
{
	return virtio_info()->tsc_khz * ms;
}

static void vvs_close_dev(void)
{
	if (!vs.open)
		return;
	struct virtq qs[3] = {vs.rx, vs.tx, vs.ev};
	virtio_reset(&vs.dev, qs, 3);
	plat_free(vs.rxbuf, (size_t)vs.rx.size * VVS_SLOT);
	plat_free(vs.txbuf, (size_t)vs.tx.size * VVS_SLOT);
	plat_free(vs.buf, VVS_BUF);
	vs.open = 0;
}

static int vvs_open(const char **why)
{
	__builtin_memset(&vs, 0, sizeof(vs));
	if (virtio_open(&vs.dev, VIRTIO_ID_VSOCK, 0, 2, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), why))
		return -1;
	if (!vs.dev.devcfg || vs.dev.devcfg_len < 8) {
		*why = "the virtio-vsock function has no guest_cid";
		virtio_reset(&vs.dev, NULL, 0);
		return -1;
	}
	vs.cid = virtio_cfg64(&vs.dev, 0);
	struct virtq *qs[3] = {&vs.rx, &vs.tx, &vs.ev};
	for (uint16_t i = 0; i < 3; i++)
		if (virtq_setup(&vs.dev, qs[i], i, VVS_QMAX, VIRTIO_WAIT_POLL, why)) {
			struct virtq done[3] = {vs.rx, vs.tx, vs.ev};
			virtio_reset(&vs.dev, done, i);
			return -1;
		}
	vs.rxbuf = plat_alloc((size_t)vs.rx.size * VVS_SLOT);
	vs.txbuf = plat_alloc((size_t)vs.tx.size * VVS_SLOT);
	vs.buf = plat_alloc(VVS_BUF);
	if (!vs.rxbuf || !vs.txbuf || !vs.buf) {
		vs.open = 1;
		vvs_close_dev();
		*why = "out of memory for the virtio-vsock buffers";
		return -1;
	}
	for (uint16_t s = 0; s < vs.rx.size; s++) {
		vs.rx.desc[s] = (struct vq_desc){(uint64_t)(uintptr_t)(vs.rxbuf + (size_t)s * VVS_SLOT),
						 VVS_SLOT, VIRTQ_DESC_F_WRITE, 0};
		vs.rx_dev[s] = 1;
		virtq_publish(&vs.rx, s);
	}
	for (uint16_t s = 0; s < VVS_NEV && s < vs.ev.size; s++) {
		vs.ev.desc[s] = (struct vq_desc){(uint64_t)(uintptr_t)&vs.evbuf[s], 4,
						 VIRTQ_DESC_F_WRITE, 0};
		virtq_publish(&vs.ev, s);
	}
	virtio_driver_ok(&vs.dev);
	virtq_kick(&vs.rx);
	virtq_kick(&vs.ev);
	vs.open = 1;
	return 0;
}

/* Sends one packet with `len` payload bytes from `data`: to the
 * connection's peer, or as an answer to `to` (an RST to a stranger).
 * Returns 0 or -1 (no free tx slot within ~5 s, or a broken device). A
 * peer on a vsock link that does not read holds our tx chains (its
 * socket is full), so the wait is generous. */
static int vvs_send(uint16_t op, uint32_t flags, const void *data, uint32_t len,
		    const struct vvs_hdr *to)
{
	uint64_t t0 = plat_rdtsc();
	uint16_t s = (uint16_t)(vs.tx_sent % vs.tx.size);
	for (;;) {
		uint32_t id, l;
		while (virtq_get(&vs.tx, &id, &l)) {
			if (id >= vs.tx.size || !vs.tx_busy[id])
				return -1; /* an id not in flight: a broken device */
			vs.tx_busy[id] = 0;
			vs.tx_done++;
		}
		if (!vs.tx_busy[s])
			break;
		if (plat_rdtsc() - t0 > ms_ticks(5000))
			return -1;
	}
	uint8_t *b = vs.txbuf + (size_t)s * VVS_SLOT;
	struct vvs_hdr *h = (struct vvs_hdr *)b;
	*h = (struct vvs_hdr){
		.src_cid = vs.cid,
		.dst_cid = to ? to->src_cid : vs.peer_cid,
		.src_port = to ? to->dst_port : vs.local_port,
		.dst_port = to ? to->src_port : vs.peer_port,
		.len = len, .type = VSOCK_TYPE_STREAM, .op = op, .flags = flags,
		.buf_alloc = VVS_BUF, .fwd_cnt = vs.fwd_cnt,
	};
	if (!to)
		vs.fwd_sent = vs.fwd_cnt;
	vs.credit_updates += op == VSOCK_OP_CREDIT_UPDATE;
	if (len)
		__builtin_memcpy(b + sizeof(*h), data, len);
	vs.tx.desc[s] = (struct vq_desc){(uint64_t)(uintptr_t)b, (uint32_t)sizeof(*h) + len, 0, 0};
	vs.tx_busy[s] = 1;
	virtq_publish(&vs.tx, s);
	vs.tx_sent++;
	uint64_t k0 = plat_rdtsc();
	if (virtq_kick(&vs.tx)) /* the notify write: an exit to the host's ioeventfd */
		vs.kick_tsc += plat_rdtsc() - k0;
	return 0;
}

static void vvs_rst(const struct vvs_hdr *h)
{
	if (h->op == VSOCK_OP_RST)
		return; /* never an RST to an RST (5.10.6.4) */
	vs.rst_sent++;
	vvs_send(VSOCK_OP_RST, 0, NULL, 0, h);
}

/* One packet from the peer. */
static void vvs_handle(const struct vvs_hdr *h, const uint8_t *payload, uint32_t avail)
{
	if (h->dst_cid != vs.cid || h->type != VSOCK_TYPE_STREAM) {
		vs.foreign++;
		vvs_rst(h);
		return;
	}
	int ours = (vs.st == VS_CONNECTING || vs.st == VS_OPEN) && h->src_cid == vs.peer_cid &&
		   h->src_port == vs.peer_port && h->dst_port == vs.local_port;
	if (!ours) {
		if (vs.st == VS_LISTEN && h->op == VSOCK_OP_REQUEST && h->dst_port == vs.local_port) {
			vs.peer_cid = h->src_cid;
			vs.peer_port = h->src_port;
			vs.peer_buf_alloc = h->buf_alloc;
			vs.peer_fwd_cnt = h->fwd_cnt;
			vs.st = VS_OPEN;
			vvs_send(VSOCK_OP_RESPONSE, 0, NULL, 0, NULL);
			return;
		}
		vs.foreign++;
		vvs_rst(h);
		return;
	}
	vs.peer_buf_alloc = h->buf_alloc;
	vs.peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		if (vs.st == VS_CONNECTING)
			vs.st = VS_OPEN;
		break;
	case VSOCK_OP_RST:
		vs.st = VS_CLOSED;
		break;
	case VSOCK_OP_SHUTDOWN:
		/* Both ways and nothing left unread: the connection is over, and
		 * the RST says so (as Linux's virtio transport does). */
		vs.peer_shut |= h->flags & VVS_SHUT_BOTH;
		if (vs.peer_shut == VVS_SHUT_BOTH && vs.rx_cnt == vs.fwd_cnt) {
			vvs_send(VSOCK_OP_RST, 0, NULL, 0, NULL);
			vs.st = VS_CLOSED;
		}
		break;
	case VSOCK_OP_RW: {
		if (vs.st != VS_OPEN)
			break;
		uint32_t len = h->len < avail ? h->len : avail;
		uint32_t room = VVS_BUF - (vs.rx_cnt - vs.fwd_cnt);
		if (len > room) { /* past the credit we gave */
			vs.overrun++;
			len = room;
		}
		for (uint32_t i = 0; i < len; i++)
			vs.buf[(vs.rx_cnt + i) & (VVS_BUF - 1)] = payload[i];
		vs.rx_cnt += len;
		break;
	}
	case VSOCK_OP_CREDIT_REQUEST:
		vvs_send(VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, NULL);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
	default:
		break; /* the credit fields were taken above */
	}
}

/* Handles every packet the device has delivered; returns how many. */
static unsigned vvs_poll(void)
{
	unsigned n = 0;
	uint32_t id, len;
	while (virtq_get(&vs.rx, &id, &len)) {
		if (id >= vs.rx.size || !vs.rx_dev[id])
			continue; /* not a buffer it had: ignored (a broken device) */
		vs.rx_dev[id] = 0;
		if (len >= sizeof(struct vvs_hdr) && len <= VVS_SLOT) {
			const uint8_t *b = vs.rxbuf + (size_t)id * VVS_SLOT;
			vvs_handle((const struct vvs_hdr *)b, b + sizeof(struct vvs_hdr),
				   len - (uint32_t)sizeof(struct vvs_hdr));
		}
		vs.rx_dev[id] = 1;
		virtq_publish(&vs.rx, (uint16_t)id);
		virtq_kick(&vs.rx);
		n++;
	}
	return n;
}

/* Connects to cid:port, retrying a refusal every 100 ms (the peer may not
 * listen yet) for up to wait_ms. Returns 0, or -1 (refused or no answer). */
static int vvs_connect(uint64_t cid, uint32_t port, uint64_t wait_ms)
{
	uint64_t t0 = plat_rdtsc();
	vs.local_port = 49152 + (uint32_t)(plat_rdtsc() & 0x3fff);
	do {
		vs.peer_cid = cid;
		vs.peer_port = port;
		vs.rx_cnt = vs.fwd_cnt = vs.fwd_sent = vs.tx_cnt = 0;
		vs.peer_shut = 0; /* a connection before this one may have ended so */
		vs.shut_sent = 0;
		vs.st = VS_CONNECTING;
		if (vvs_send(VSOCK_OP_REQUEST, 0, NULL, 0, NULL))
			return -1;
		uint64_t t1 = plat_rdtsc();
		while (vs.st == VS_CONNECTING && plat_rdtsc() - t1 < ms_ticks(2000))
			vvs_poll();
		if (vs.st == VS_OPEN)
			return 0;
		vs.local_port++;
		uint64_t t2 = plat_rdtsc();
		while (plat_rdtsc() - t2 < ms_ticks(100))
			vvs_poll();
	} while (plat_rdtsc() - t0 < ms_ticks(wait_ms));
	vs.st = VS_NONE;
	return -1;
}

static int vvs_accept(uint32_t port, uint64_t wait_ms)
{
	uint64_t t0 = plat_rdtsc();
	vs.local_port = port;
	vs.st = VS_LISTEN;
	while (vs.st == VS_LISTEN && plat_rdtsc() - t0 < ms_ticks(wait_ms))
		vvs_poll();
	return vs.st == VS_OPEN ? 0 : -1;
}

/* What the peer lets us send now (5.10.6.3): its buf_alloc less what we
 * sent and it has not yet consumed; 0 when a peer shrank its buffer below
 * that. The counters wrap at 2^32, as the header's. */
static uint32_t vvs_credit(void)
{
	uint32_t inflight = vs.tx_cnt - vs.peer_fwd_cnt;
	return inflight >= vs.peer_buf_alloc ? 0 : vs.peer_buf_alloc - inflight;
}

/* Sends len bytes, waiting for credit as needed. Returns 0 or -1. */
static int vvs_write(const uint8_t *p, uint32_t len)
{
	while (len) {
		uint64_t t0 = plat_rdtsc(), asked = t0;
		uint32_t credit;
		if (!vvs_credit())
			vs.credit_waits++; /* times a write found no credit */
		while (!(credit = vvs_credit())) {
			if (vs.st != VS_OPEN || plat_rdtsc() - t0 > ms_ticks(5000))
				return -1;
			if (plat_rdtsc() - asked > ms_ticks(100)) {
				vvs_send(VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0, NULL);
				asked = plat_rdtsc();
			}
			vvs_poll();
		}
		if (vs.st != VS_OPEN)
			return -1;
		uint32_t k = len < credit ? len : credit;
		if (k > VVS_MAX_PAYLOAD)
			k = VVS_MAX_PAYLOAD;
		if (vvs_send(VSOCK_OP_RW, 0, p, k, NULL))
			return -1;
		vs.tx_cnt += k;
		p += k;
		len -= k;
	}
	return 0;
}

/* Takes up to max bytes that have arrived, waiting up to wait_ms for the
 * first. Returns how many, 0 at the end of the stream (the peer will send
 * no more, or the connection is gone), -1 when nothing came in time. When
 * half our buffer was consumed since the peer last heard our fwd_cnt, a
 * CREDIT_UPDATE tells it (5.10.6.3): a peer that only sends would stall
 * otherwise. */
static int vvs_read_some(uint8_t *p, uint32_t max, uint64_t wait_ms)
{
	uint64_t t0 = plat_rdtsc();
	while (vs.rx_cnt == vs.fwd_cnt) {
		if (vs.st != VS_OPEN || (vs.peer_shut & 2u))
			return 0;
		if (plat_rdtsc() - t0 > ms_ticks(wait_ms))
			return -1;
		vvs_poll();
	}
	uint32_t n = 0;
	while (n < max && vs.rx_cnt != vs.fwd_cnt) {
		p[n++] = vs.buf[vs.fwd_cnt & (VVS_BUF - 1)];
		vs.fwd_cnt++;
	}
	if (vs.fwd_cnt - vs.fwd_sent >= VVS_BUF / 2 && vs.st == VS_OPEN)
		vvs_send(VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0, NULL);
	return (int)n;
}

/* Reads exactly len bytes, each within wait_ms. Returns 0, or -1 when the
 * stream ended or nothing came. */
static int vvs_read(uint8_t *p, uint32_t len, uint64_t wait_ms)
{
	while (len) {
		int n = vvs_read_some(p, len, wait_ms);
		if (n <= 0)
			return -1;
		p += n;
		len -= (uint32_t)n;
	}
	return 0;
}

/* SHUTDOWN both ways, then up to 500 ms for the peer's RST (5.10.6.5). */
static void vvs_shutdown(void)
{
	if (vs.st != VS_OPEN)
		return;
	vvs_send(VSOCK_OP_SHUTDOWN, VVS_SHUT_BOTH, NULL, 0, NULL);
	vs.shut_sent = 1;
	uint64_t t0 = plat_rdtsc();
	while (vs.st == VS_OPEN && plat_rdtsc() - t0 < ms_ticks(500))
		vvs_poll();
	if (vs.st == VS_OPEN)
		vvs_send(VSOCK_OP_RST, 0, NULL, 0, NULL);
	vs.st = VS_CLOSED;
}

/* ---- the workloads ---- */

static const struct bench_param vvs_params[] = {
	{"loops", BENCH_P_UINT, "1000", "round trips", 1, 100000000, NULL},
	{"size", BENCH_P_UINT, "1", "bytes per message", 1, 4096, NULL},
	{"cid", BENCH_P_UINT, "2", "vsock-ping: the peer's CID (2: the host)", 2, 0xfffffffe, NULL},
	{"port", BENCH_P_UINT, "5000", "the port vsock-pong listens on", 1, 0xffffffff, NULL},
	{"hist_us", BENCH_P_UINT, "500", "histogram range in us", 1, 10000, NULL},
	{"wait_s", BENCH_P_UINT, "30", "seconds to wait for the peer", 1, 600, NULL},
	{0},
};

static const struct bench_param vvs_bulk_params[] = {
	{"total", BENCH_P_SIZE, "4M", "bytes sent (vsock-bulk), expected (vsock-sink)", 1,
	 1ull << 36, NULL},
	{"cid", BENCH_P_UINT, "2", "vsock-bulk: the peer's CID (2: the host)", 2, 0xfffffffe, NULL},
	{"port", BENCH_P_UINT, "5001", "the port vsock-sink listens on", 1, 0xffffffff, NULL},
	{"wait_s", BENCH_P_UINT, "30", "seconds to wait for the peer", 1, 600, NULL},
	{0},
};

static int vvs_run(const struct bench_args *a);

const struct bench_workload vsock_ping = {
	"vsock-ping", "latency",
	"round trip of a message over a vsock stream to vsock-pong in another VM, or an echo on "
	"the host (vmm run --vsock); us",
	vvs_params, vvs_run,
};
const struct bench_workload vsock_bulk = {
	"vsock-bulk", "synthetic",
	"one-way stream over vsock to vsock-sink in another VM, or a reader on the host; B/s",
	vvs_bulk_params, vvs_run,
};
const struct bench_workload vsock_sink = {
	"vsock-sink", "synthetic", "reads and checks vsock-bulk's stream", vvs_bulk_params,
	vvs_run,
};
const struct bench_workload vsock_pong = {
	"vsock-pong", "latency", "listens on a vsock port and echoes what comes (vsock-ping)",
	vvs_params, vvs_run,
};

static int run_ping(const struct bench_args *a)
{
	uint64_t n = bench_arg(a, "loops"), hmax = bench_arg(a, "hist_us");
	uint32_t size = (uint32_t)bench_arg(a, "size");
	uint64_t khz = virtio_info()->tsc_khz;
	if (vvs_connect(bench_arg(a, "cid"), (uint32_t)bench_arg(a, "port"),
			bench_arg(a, "wait_s") * 1000))
		return bench_fail(a, "the vsock connection was refused or never answered (is "
				     "vsock-pong, or an echo on the host, listening on the port?)");
	size_t bytes = n * sizeof(uint64_t);
	uint64_t *lat = plat_alloc(bytes);
	uint8_t msg[4096], back[4096];
	if (!lat)
		return bench_fail(a, "out of memory");
	uint64_t t_start = plat_now_ns(), resyncs = 0;
	for (uint64_t i = 1; i <= n; i++) {
		for (uint32_t k = 0; k < size; k++)
			msg[k] = (uint8_t)(i + k);
		uint64_t t0 = plat_rdtsc();
		if (vvs_write(msg, size) || vvs_read(back, size, 2000)) {
			/* The peer may have restarted: a new connection, and
			 * this message again. */
			if (resyncs == VVS_RESYNC_MAX ||
			    vvs_connect(bench_arg(a, "cid"), (uint32_t)bench_arg(a, "port"),
					bench_arg(a, "wait_s") * 1000)) {
				plat_free(lat, bytes);
				return bench_fail(a, "the vsock stream stopped (no echo)");
			}
			resyncs++;
			i--;
			continue;
		}
		uint64_t t1 = plat_rdtsc();
		for (uint32_t k = 0; k < size; k++)
			if (back[k] != msg[k]) {
				plat_free(lat, bytes);
				return bench_fail(a, "the echo differs from what was sent");
			}
		lat[i - 1] = (t1 - t0) * 1000000ull / khz;
	}
	uint64_t t_end = plat_now_ns();
	vvs_shutdown();
	struct bench_result r;
	latency_begin(&r, a, "rtt_avg", lat, n, hmax, t_end - t_start);
	result_u64(&r, "msg_bytes", size);
	result_u64(&r, "guest_cid", vs.cid);
	result_u64(&r, "peer_cid", vs.peer_cid);
	result_u64(&r, "resyncs", resyncs);
	result_u64(&r, "credit_waits", vs.credit_waits);
	result_u64(&r, "notifies", vs.tx.kicks + vs.rx.kicks);
	result_u64(&r, "notifies_suppressed", vs.tx.kicks_skipped + vs.rx.kicks_skipped);
	result_f64(&r, "notify_us", vs.tx.kicks ? (double)vs.kick_tsc * 1000.0 / (double)khz /
							 (double)vs.tx.kicks
						: 0.0, 1);
	plat_free(lat, bytes);
	return result_end(&r);
}

static int run_pong(const struct bench_args *a)
{
	uint64_t n = bench_arg(a, "loops") * bench_arg(a, "size"), echoed = 0;
	if (vvs_accept((uint32_t)bench_arg(a, "port"), bench_arg(a, "wait_s") * 1000))
		return bench_fail(a, "nobody connected to the vsock port");
	uint8_t b[512];
	while (echoed < n) {
		uint64_t want = n - echoed < sizeof(b) ? n - echoed : sizeof(b);
		int k = vvs_read_some(b, (uint32_t)want, 5000);
		if (k <= 0 || vvs_write(b, (uint32_t)k))
			break;
		echoed += (uint64_t)k;
	}
	vvs_shutdown();
	char line[96];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "PONG echoed ");
	fmt_u64(&f, echoed);
	fmt_str(&f, " bytes, cid ");
	fmt_u64(&f, vs.cid);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	return echoed == n ? 0 : bench_fail(a, "the vsock stream ended early");
}

/* The stream's bytes: a function of the offset that repeats only every
 * 4 GiB, so a lost, doubled or reordered packet shows (tests check the
 * same on the host). */
static inline uint8_t bulk_byte(uint64_t off)
{
	return (uint8_t)(((uint32_t)off * 2654435761u) >> 24);
}

/* What the peer of a stream that ended had consumed of the `sent` bytes
 * before its last piece (the counters are 32 bits and wrap: what was in
 * flight, tx_cnt - peer_fwd_cnt, is less than its buffer; a peer's
 * fwd_cnt is hostile, so one past what we sent counts as nothing). */
static uint64_t bulk_consumed(uint64_t sent)
{
	sent += (uint32_t)(vs.tx_cnt - (uint32_t)sent); /* a piece of a chunk that went */
	uint32_t inflight = vs.tx_cnt - vs.peer_fwd_cnt;
	return inflight > sent ? 0 : sent - inflight;
}

/* One stream of vsock-bulk's: `len` bytes of the pattern from offset 0,
 * as fast as the peer's credit lets them go, then until the peer's
 * fwd_cnt says it consumed them all (a CREDIT_REQUEST every 10 ms asks).
 * Returns 0, or -1 when the stream ended (or stalled) first, with what
 * the peer had consumed in *consumed. */
static int bulk_stream(uint64_t len, uint64_t *consumed)
{
	static uint8_t chunk[VVS_MAX_PAYLOAD];
	uint64_t sent = 0;
	while (sent < len) {
		uint32_t k = len - sent < VVS_MAX_PAYLOAD ? (uint32_t)(len - sent)
							  : (uint32_t)VVS_MAX_PAYLOAD;
		for (uint32_t i = 0; i < k; i++)
			chunk[i] = bulk_byte(sent + i);
		if (vvs_write(chunk, k)) {
			*consumed = bulk_consumed(sent);
			return -1;
		}
		sent += k;
	}
	uint64_t w0 = plat_rdtsc(), asked = 0;
	while (vs.peer_fwd_cnt != vs.tx_cnt) {
		if (vs.st != VS_OPEN || plat_rdtsc() - w0 > ms_ticks(5000)) {
			*consumed = bulk_consumed(sent);
			return -1;
		}
		if (plat_rdtsc() - asked > ms_ticks(10)) {
			vvs_send(VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0, NULL);
			asked = plat_rdtsc();
		}
		vvs_poll();
	}
	return 0;
}

/* vsock-bulk: `total` bytes one way (bulk_stream), again on a new
 * connection for what a peer that went away had not consumed. The time
 * runs from the first connection to the end, less the reconnections. */
static int run_bulk(const struct bench_args *a)
{
	uint64_t total = bench_arg(a, "total"), done = 0, resyncs = 0, lost_ns = 0;
	uint64_t cid = bench_arg(a, "cid"), wait_ms = bench_arg(a, "wait_s") * 1000;
	uint32_t port = (uint32_t)bench_arg(a, "port");
	if (vvs_connect(cid, port, wait_ms))
		return bench_fail(a, "the vsock connection was refused or never answered (is "
				     "vsock-sink, or a reader on the host, listening on the port?)");
	uint64_t t0 = plat_now_ns(), took;
	while (bulk_stream(total - done, &took)) {
		/* The peer may have restarted: what it consumed is done, the
		 * rest goes to the new one. */
		done += took < total - done ? took : total - done;
		if (done == total)
			break;
		uint64_t r0 = plat_now_ns();
		if (resyncs == VVS_RESYNC_MAX || vvs_connect(cid, port, wait_ms))
			return bench_fail(a, "the vsock stream stopped (no credit, or reset)");
		resyncs++;
		lost_ns += plat_now_ns() - r0;
	}
	uint64_t ns = plat_now_ns() - t0 - lost_ns;
	vvs_shutdown();
	struct bench_result r;
	result_begin(&r, a, "throughput", "B/s", "higher",
		     (double)total * 1e9 / (double)(ns ? ns : 1), 0);
	result_u64(&r, "check", total);
	result_u64(&r, "bytes", total);
	result_f64(&r, "time_ms", bench_ns_to_ms(ns), 3);
	result_u64(&r, "resyncs", resyncs);
	result_u64(&r, "peer_cid", vs.peer_cid);
	result_u64(&r, "peer_buf_alloc", vs.peer_buf_alloc);
	result_u64(&r, "credit_waits", vs.credit_waits);
	result_u64(&r, "notifies", vs.tx.kicks);
	result_u64(&r, "notifies_suppressed", vs.tx.kicks_skipped);
	return result_end(&r);
}

/* vsock-sink: reads a stream to its end (the peer's SHUTDOWN), checking
 * every byte against bulk_byte; with `total` given, exactly that many,
 * and then it ends the stream itself. */
static int run_sink(const struct bench_args *a)
{
	static uint8_t b[VVS_MAX_PAYLOAD];
	uint64_t got = 0, want = bench_arg_given(a, "total") ? bench_arg(a, "total") : UINT64_MAX;
	if (vvs_accept((uint32_t)bench_arg(a, "port"), bench_arg(a, "wait_s") * 1000))
		return bench_fail(a, "nobody connected to the vsock port");
	while (got < want) {
		uint64_t left = want - got;
		int n = vvs_read_some(b, left < sizeof(b) ? (uint32_t)left : (uint32_t)sizeof(b),
				      10000);
		if (n < 0)
			return bench_fail(a, "the vsock stream stalled (nothing for 10 s)");
		if (n == 0)
			break;
		for (int i = 0; i < n; i++)
			if (b[i] != bulk_byte(got + (uint64_t)i))
				return bench_fail(a, "the stream's bytes differ from what was sent");
		got += (uint64_t)n;
	}
	vvs_shutdown();
	char line[128];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "SINK received ");
	fmt_u64(&f, got);
	fmt_str(&f, " bytes in order, credit updates ");
	fmt_u64(&f, vs.credit_updates);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	if (bench_arg_given(a, "total") && got != bench_arg(a, "total"))
		return bench_fail(a, "the stream ended short of total");
	return 0;
}

static int vvs_run(const struct bench_args *a)
{
	const char *why = "";
	if (vvs_open(&why))
		return bench_fail(a, why);
	int rc = a->w == &vsock_ping   ? run_ping(a)
		 : a->w == &vsock_pong ? run_pong(a)
		 : a->w == &vsock_bulk ? run_bulk(a)
				       : run_sink(a);
	vvs_close_dev();
	return rc;
}
