/*
 * vnet: a minimal virtio-net driver (virtio 1.2, 5.1) for the benchmark
 * guest, and the workloads on a net link between two VMs (vmm system,
 * docs/system.md "Links"): net-ping/net-pong, a small frame's round trip,
 * and net-bulk/net-sink, a one-way stream of full-size frames.
 *
 * The driver: the first virtio-net function, one receive queue (0) and one
 * transmit queue (1) (5.1.2), features VERSION_1, MAC, STATUS and
 * EVENT_IDX, no offloads, no MRG_RXBUF: so every buffer starts with the
 * 12-byte header of 5.1.6 (num_buffers included, as VERSION_1 says),
 * which is all zero on transmit and ignored on receive. Receive buffers
 * are fixed 2 KiB slots, one device-writable descriptor each, given back
 * as soon as their frame is read; transmit slots are used round-robin and
 * reclaimed by their id from the used ring (an id that is not in flight
 * is a broken device: the workload fails).
 *
 * Both queues are polled at CPL3: no vector is given to them (4.1.5.1.2),
 * so a frame costs the guest no interrupt and no CPL0 instruction, only
 * the transmit notification (the notify write, an exit to the host
 * kernel's ioeventfd), and EVENT_IDX (2.7.10) skips even that while the
 * device is still busy with earlier frames. Receive buffers are given
 * back without a notification unless the device ran out (it then set
 * avail_event, which virtq_kick reads). `wait=irq` (net-ping, net-pong)
 * gives the receive queue an MSI-X vector instead and takes each frame
 * after its interrupt (virtq_wait), to show what polling saves: on a
 * software KVM the stamp handler runs emulated, at ~1 us an instruction.
 * On arm64 (no MSI: no GICv3 ITS) that interrupt is the function's INTx,
 * a level GIC SPI (virtio.c, SYS_PCI_INTX); nothing here differs.
 *
 * Frames: Ethernet II with the local experimental EtherType 0x88b5 (IEEE
 * 802 "local experimental"), then our own header: magic, kind, sequence
 * number, one more value. The first frames go to the broadcast address;
 * each side then answers the source MAC it learnt. Before the measured
 * loop the two sides handshake (HELLO until a HELLO_ACK), because either
 * VM may boot first and a frame sent before the peer's driver is up waits
 * in the host socket or is dropped. Stale frames (an old HELLO, a late
 * ACK) are recognised by kind and sequence number and dropped.
 *
 * A peer that restarts (vmm system's on_exit = "restart"): net-ping sees
 * its link go down (the STATUS field, 5.1.4, read every VNET_LOOK_MS
 * while it waits) or no reply for VNET_REPLY_MS, handshakes again with
 * the new net-pong and sends the unanswered PING again (at most
 * VNET_RESYNC_MAX times a run; the time of that round trip starts again
 * too). net-pong takes the first PING after a HELLO whatever its number,
 * so that a new one joins where the run is. net-bulk follows a
 * restarting net-sink the same way: every VNET_BULK_LOOK frames, and
 * while it waits for the DONE, it looks at the link's status and at its
 * receive ring; a link gone down, or a DONE in the middle of the stream
 * (a net-sink with `loops` given ends after that many frames, saying what
 * it received first, as net-pong ends after its loops), makes it wait for
 * the link to come up, handshake with the new net-sink and send the rest
 * (at most VNET_BULK_RESYNC_MAX times a run: the sender outruns a sink,
 * so a sink that ends after a few frames ends many times in a stream). What it reports received is the
 * sum of the DONEs of every net-sink it had; a sink that went without
 * one (killed) received none of its frames as far as the result says.
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guestwl.h"
#include "platform.h"
#include "virtio.h"

#define VNET_HDR_LEN 12  /* struct virtio_net_hdr with num_buffers (5.1.6) */
#define VNET_SLOT 2048u  /* header + the largest untagged frame (1514) */
#define VNET_QMAX 128
#define VNET_ETHERTYPE 0x88b5
#define VNET_MAGIC 0x504e5648u /* "HVNP" */
#define VNET_MIN_FRAME 60      /* Ethernet's minimum without the FCS */
#define VNET_S_LINK_UP 1       /* the STATUS field's bit (5.1.4) */
#define VNET_REPLY_MS 2000     /* net-ping: no PONG this long: handshake again */
#define VNET_LOOK_MS 50        /* net-ping: the link status looked at this often */
#define VNET_RESYNC_MAX 16     /* handshakes again in one run */
#define VNET_BULK_LOOK 256     /* net-bulk: frames between looks at the link (an exit each) */
#define VNET_BULK_RESYNC_MAX 64 /* net-bulk: handshakes again in one run */

enum vnet_kind { VK_HELLO = 1, VK_HELLO_ACK, VK_PING, VK_PONG, VK_DATA, VK_END, VK_DONE };

struct vnet_frame {
	uint8_t dst[6], src[6];
	uint8_t type[2]; /* big-endian EtherType */
	uint32_t magic;
	uint32_t kind;
	uint64_t seq, aux;
} __attribute__((packed));

static struct {
	struct virtio_dev dev;
	struct virtq rx, tx;
	uint8_t *rxbuf, *txbuf;
	uint16_t ntx;
	uint64_t tx_sent, tx_done; /* frames given to the device, frames it returned */
	uint8_t tx_busy[VNET_QMAX]; /* transmit slot s is the device's */
	uint8_t rx_dev[VNET_QMAX];  /* receive slot s is the device's */
	uint8_t mac[6], peer[6];
	uint64_t rx_frames, rx_foreign;
	uint64_t kick_tsc; /* TSC ticks spent in transmit notifications */
	int open;
} vn;

static uint64_t ms_ticks(uint64_t ms)
{
	return virtio_info()->tsc_khz * ms;
}

static int vnet_reap(void);

/* Lets the device finish what it was given (up to ~100 ms: a last reply
 * must not be lost in the reset), then resets it. */
static void vnet_close(void)
{
	if (!vn.open)
		return;
	uint64_t t0 = plat_rdtsc();
	while (vn.tx_done != vn.tx_sent && !vnet_reap() && plat_rdtsc() - t0 < ms_ticks(100))
		;
	struct virtq qs[2] = {vn.rx, vn.tx};
	virtio_reset(&vn.dev, qs, 2);
	plat_free(vn.rxbuf, (size_t)vn.rx.size * VNET_SLOT);
	plat_free(vn.txbuf, (size_t)vn.ntx * VNET_SLOT);
	vn.open = 0;
}

static int vnet_open(int rx_wait, const char **why)
{
	__builtin_memset(&vn, 0, sizeof(vn));
	uint64_t want = VIRTIO_BIT(NET_F_MAC) | VIRTIO_BIT(NET_F_STATUS) |
			VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if (virtio_open(&vn.dev, VIRTIO_ID_NET, 0, 2, want, why))
		return -1;
	if (!(vn.dev.features & VIRTIO_BIT(NET_F_MAC)) || !vn.dev.devcfg || vn.dev.devcfg_len < 6) {
		/* Without MAC the driver would pick its own; ours always has one. */
		*why = "the virtio-net function offers no MAC address";
		virtio_reset(&vn.dev, NULL, 0);
		return -1;
	}
	uint32_t lo = virtio_cfg32(&vn.dev, 0), hi = virtio_cfg32(&vn.dev, 4);
	for (int i = 0; i < 4; i++)
		vn.mac[i] = (uint8_t)(lo >> (8 * i));
	vn.mac[4] = (uint8_t)hi;
	vn.mac[5] = (uint8_t)(hi >> 8);
	if (virtq_setup(&vn.dev, &vn.rx, 0, VNET_QMAX, rx_wait, why)) {
		virtio_reset(&vn.dev, NULL, 0);
		return -1;
	}
	if (virtq_setup(&vn.dev, &vn.tx, 1, VNET_QMAX, VIRTIO_WAIT_POLL, why)) {
		virtio_reset(&vn.dev, &vn.rx, 1);
		return -1;
	}
	vn.ntx = vn.tx.size;
	vn.rxbuf = plat_alloc((size_t)vn.rx.size * VNET_SLOT);
	vn.txbuf = plat_alloc((size_t)vn.ntx * VNET_SLOT);
	if (!vn.rxbuf || !vn.txbuf) {
		struct virtq qs[2] = {vn.rx, vn.tx};
		virtio_reset(&vn.dev, qs, 2);
		plat_free(vn.rxbuf, (size_t)vn.rx.size * VNET_SLOT);
		plat_free(vn.txbuf, (size_t)vn.ntx * VNET_SLOT);
		*why = "out of memory for the virtio-net buffers";
		return -1;
	}
	/* Every receive slot is made available before DRIVER_OK (3.1.1: the
	 * queues are set up first), and one notification after it tells the
	 * device they are there. */
	for (uint16_t s = 0; s < vn.rx.size; s++) {
		vn.rx.desc[s] = (struct vq_desc){(uint64_t)(uintptr_t)(vn.rxbuf + (size_t)s * VNET_SLOT),
						 VNET_SLOT, VIRTQ_DESC_F_WRITE, 0};
		vn.rx_dev[s] = 1;
		virtq_publish(&vn.rx, s);
	}
	virtio_driver_ok(&vn.dev);
	virtq_kick(&vn.rx);
	__builtin_memset(vn.peer, 0xff, 6);
	vn.open = 1;
	return 0;
}

/* The link's status (5.1.4): up unless the device offers STATUS and says
 * otherwise (bytes 6-7 of the configuration, after the MAC). */
static int vnet_link_up(void)
{
	if (!(vn.dev.features & VIRTIO_BIT(NET_F_STATUS)) || vn.dev.devcfg_len < 8)
		return 1;
	return (virtio_cfg32(&vn.dev, 4) >> 16) & VNET_S_LINK_UP;
}

/* Takes back what the device finished sending. Returns -1 when it hands
 * back an id we never gave (a broken device). */
static int vnet_reap(void)
{
	uint32_t id, len;
	while (virtq_get(&vn.tx, &id, &len)) {
		if (id >= vn.ntx || !vn.tx_busy[id])
			return -1;
		vn.tx_busy[id] = 0;
		vn.tx_done++;
	}
	return 0;
}

/* Sends one frame of `len` bytes (at least VNET_MIN_FRAME) from the next
 * transmit slot in turn, waiting up to ~1 s for the device to give it
 * back (it may complete out of order, 2.7.14). Returns 0 or -1. */
static int vnet_send(uint32_t kind, uint64_t seq, uint64_t aux, uint32_t len)
{
	uint64_t t0 = plat_rdtsc();
	uint16_t s = (uint16_t)(vn.tx_sent % vn.ntx);
	for (;;) {
		if (vnet_reap())
			return -1;
		if (!vn.tx_busy[s])
			break;
		if (plat_rdtsc() - t0 > ms_ticks(1000))
			return -1;
	}
	uint8_t *b = vn.txbuf + (size_t)s * VNET_SLOT;
	__builtin_memset(b, 0, VNET_HDR_LEN); /* no offloads: a zero header (5.1.6.2) */
	struct vnet_frame *f = (struct vnet_frame *)(b + VNET_HDR_LEN);
	__builtin_memcpy(f->dst, vn.peer, 6);
	__builtin_memcpy(f->src, vn.mac, 6);
	f->type[0] = VNET_ETHERTYPE >> 8;
	f->type[1] = VNET_ETHERTYPE & 0xff;
	f->magic = VNET_MAGIC;
	f->kind = kind;
	f->seq = seq;
	f->aux = aux;
	vn.tx.desc[s] = (struct vq_desc){(uint64_t)(uintptr_t)b, VNET_HDR_LEN + len, 0, 0};
	vn.tx_busy[s] = 1;
	virtq_publish(&vn.tx, s);
	vn.tx_sent++;
	uint64_t k0 = plat_rdtsc();
	if (virtq_kick(&vn.tx)) /* the notify write: an exit to the host's ioeventfd */
		vn.kick_tsc += plat_rdtsc() - k0;
	return 0;
}

/* Gives receive slot `slot` back to the device; the notification is
 * skipped unless it ran out of buffers (EVENT_IDX). */
static void vnet_give(int slot)
{
	vn.rx_dev[slot] = 1;
	virtq_publish(&vn.rx, (uint16_t)slot);
	virtq_kick(&vn.rx);
}

/* The next frame of ours within `ticks` of TSC: returns its receive slot
 * (give it back with vnet_give) and sets *f and *len, or -1 on timeout.
 * Frames that are not ours (another EtherType, too short) are given back
 * here and counted. */
static int vnet_recv(uint64_t ticks, const struct vnet_frame **f, uint32_t *flen)
{
	uint64_t t0 = plat_rdtsc();
	/* wait=irq: a wait of a second or more (the measured ones) takes the
	 * MSI-X interrupt (virtq_wait, ~10 s at most each); short ones (the
	 * handshake) still look at the ring. */
	int irq = vn.rx.wait == VIRTIO_WAIT_IRQ && ticks >= ms_ticks(1000);
	for (;;) {
		uint32_t id, len;
		if (irq ? virtq_wait(&vn.rx, &id, &len) != 0 : !virtq_get(&vn.rx, &id, &len)) {
			if (plat_rdtsc() - t0 > ticks)
				return -1;
			continue;
		}
		if (id >= vn.rx.size || !vn.rx_dev[id]) /* not a slot it had: a broken device */
			return -1;
		vn.rx_dev[id] = 0;
		const struct vnet_frame *p =
			(const struct vnet_frame *)(vn.rxbuf + (size_t)id * VNET_SLOT + VNET_HDR_LEN);
		if (len < VNET_HDR_LEN + sizeof(*p) || len > VNET_SLOT || p->magic != VNET_MAGIC ||
		    p->type[0] != (VNET_ETHERTYPE >> 8) || p->type[1] != (VNET_ETHERTYPE & 0xff)) {
			vn.rx_foreign++;
			vnet_give((int)id);
			continue;
		}
		vn.rx_frames++;
		*f = p;
		*flen = len - VNET_HDR_LEN;
		return (int)id;
	}
}

/* ---- the workloads ---- */

static const char *const vnet_waits[] = {"poll", "irq", NULL};

static const struct bench_param vnet_params[] = {
	{"loops", BENCH_P_UINT, "1000", "round trips (net-ping/-pong); net-sink: when given, "
	 "frames after which it ends", 1, 100000000, NULL},
	{"size", BENCH_P_UINT, "64", "frame size in bytes, Ethernet header included", 60, 1514,
	 NULL},
	{"hist_us", BENCH_P_UINT, "500", "histogram range in us", 1, 10000, NULL},
	{"wait_s", BENCH_P_UINT, "30", "seconds to wait for the peer to come up", 1, 600, NULL},
	{"wait", BENCH_P_CHOICE, "poll", "a frame is seen by polling the receive ring, or by its "
	 "MSI-X interrupt", 0, 0, vnet_waits},
	{0},
};

/* net-bulk's: full frames unless asked */
static const struct bench_param vnet_bulk_params[] = {
	{"loops", BENCH_P_UINT, "10000", "frames sent", 1, 100000000, NULL},
	{"size", BENCH_P_UINT, "1514", "frame size in bytes, Ethernet header included", 60, 1514,
	 NULL},
	{"wait_s", BENCH_P_UINT, "30", "seconds to wait for the peer to come up", 1, 600, NULL},
	{0},
};

static int vnet_run(const struct bench_args *a);

const struct bench_workload vnet_ping = {
	"net-ping", "latency",
	"round trip of a small Ethernet frame over a net link to a VM running net-pong "
	"(vmm system); us",
	vnet_params, vnet_run,
};
const struct bench_workload vnet_pong = {
	"net-pong", "latency", "echoes net-ping's frames (vmm system)", vnet_params, vnet_run,
};
const struct bench_workload vnet_bulk = {
	"net-bulk", "synthetic",
	"one-way stream of frames over a net link to a VM running net-sink (vmm system); B/s "
	"delivered",
	vnet_bulk_params, vnet_run,
};
const struct bench_workload vnet_sink = {
	"net-sink", "synthetic", "counts net-bulk's frames and reports them back (vmm system)",
	vnet_params, vnet_run,
};

/* The initiator's handshake: HELLO every 2 ms until a HELLO_ACK comes
 * back; the peer's MAC is learnt from it. */
static int hello(uint64_t wait_s)
{
	uint64_t t0 = plat_rdtsc();
	while (plat_rdtsc() - t0 < ms_ticks(wait_s * 1000)) {
		if (vnet_send(VK_HELLO, 0, 0, VNET_MIN_FRAME))
			return -1;
		const struct vnet_frame *f;
		uint32_t len;
		int s;
		while ((s = vnet_recv(ms_ticks(2), &f, &len)) >= 0) {
			int ack = f->kind == VK_HELLO_ACK;
			if (ack)
				__builtin_memcpy(vn.peer, f->src, 6);
			vnet_give(s);
			if (ack)
				return 0;
		}
	}
	return -1;
}

/* Answers a HELLO (learning the peer's MAC); 1 if f was one. */
static int answer_hello(const struct vnet_frame *f)
{
	if (f->kind != VK_HELLO)
		return 0;
	__builtin_memcpy(vn.peer, f->src, 6);
	vnet_send(VK_HELLO_ACK, 0, 0, VNET_MIN_FRAME);
	return 1;
}

static void print_line(const char *what, uint64_t a, const char *mid, uint64_t b, const char *end)
{
	char line[128];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, what);
	fmt_u64(&f, a);
	fmt_str(&f, mid);
	fmt_u64(&f, b);
	fmt_str(&f, end);
	plat_write(f.buf, f.len);
}

static int run_ping(const struct bench_args *a, uint64_t n, uint32_t size)
{
	uint64_t hmax = bench_arg(a, "hist_us"), khz = virtio_info()->tsc_khz;
	if (hello(bench_arg(a, "wait_s")))
		return bench_fail(a, "the peer never answered (is net-pong on the other end of a "
				     "net link?)");
	size_t bytes = n * sizeof(uint64_t);
	uint64_t *lat = plat_alloc(bytes);
	if (!lat)
		return bench_fail(a, "out of memory");
	uint64_t stale = 0, resyncs = 0, t_start = plat_now_ns();
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t t0 = plat_rdtsc(), t1 = 0;
		if (vnet_send(VK_PING, i, 0, size)) {
			plat_free(lat, bytes);
			return bench_fail(a, "the virtio-net device stopped taking frames");
		}
		for (;;) {
			const struct vnet_frame *f;
			uint32_t len;
			/* Polling: the link's status is looked at meanwhile;
			 * wait=irq: one wait on the interrupt. */
			int irq = vn.rx.wait == VIRTIO_WAIT_IRQ;
			int s = vnet_recv(ms_ticks(irq ? VNET_REPLY_MS : VNET_LOOK_MS), &f, &len);
			if (s < 0 && !irq && plat_rdtsc() - t0 < ms_ticks(VNET_REPLY_MS) &&
			    vnet_link_up())
				continue;
			if (s < 0) {
				/* The peer may have restarted: a new net-pong
				 * answers a HELLO, then this PING again. */
				if (resyncs == VNET_RESYNC_MAX || hello(bench_arg(a, "wait_s")) ||
				    vnet_send(VK_PING, i, 0, size)) {
					plat_free(lat, bytes);
					return bench_fail(a, "no reply from net-pong");
				}
				resyncs++;
				t0 = plat_rdtsc();
				continue;
			}
			int mine = f->kind == VK_PONG && f->seq == i && len == size;
			vnet_give(s);
			if (mine) {
				t1 = plat_rdtsc();
				break;
			}
			stale++;
		}
		lat[i - 1] = (t1 - t0) * 1000000ull / khz;
	}
	uint64_t t_end = plat_now_ns();
	struct bench_result r;
	latency_begin(&r, a, "rtt_avg", lat, n, hmax, t_end - t_start);
	result_u64(&r, "frame_bytes", size);
	result_u64(&r, "stale_frames", stale);
	result_u64(&r, "resyncs", resyncs);
	result_u64(&r, "virtio_irq", vn.rx.wait == VIRTIO_WAIT_IRQ);
	result_u64(&r, "interrupts", vn.rx.irq_waits);
	result_u64(&r, "notifies", vn.tx.kicks + vn.rx.kicks);
	result_u64(&r, "notifies_suppressed", vn.tx.kicks_skipped + vn.rx.kicks_skipped);
	result_f64(&r, "notify_us", vn.tx.kicks ? (double)vn.kick_tsc * 1000.0 / (double)khz /
							 (double)vn.tx.kicks
						: 0.0, 1);
	plat_free(lat, bytes);
	return result_end(&r);
}

static int run_pong(const struct bench_args *a, uint64_t n)
{
	uint64_t echoed = 0, next = 1;
	uint64_t limit = ms_ticks(bench_arg(a, "wait_s") * 1000);
	while (echoed < n) {
		const struct vnet_frame *f;
		uint32_t len;
		int s = vnet_recv(limit, &f, &len);
		if (s < 0)
			return bench_fail(a, "net-ping stopped sending");
		if (answer_hello(f)) {
			next = 0; /* the next PING, whatever its number (a resync) */
		} else if (f->kind == VK_PING && (f->seq == next || !next)) {
			uint64_t seq = f->seq;
			vnet_give(s);
			if (vnet_send(VK_PONG, seq, 0, len))
				return bench_fail(a, "the virtio-net device stopped taking frames");
			echoed++;
			next = seq + 1;
			limit = ms_ticks(5000);
			continue;
		}
		vnet_give(s);
	}
	/* Not a measurement: a plain line, so that the system prints one
	 * RESULT (net-ping's). */
	print_line("PONG echoed ", echoed, " frames, ", vn.rx_foreign, " foreign\n");
	return 0;
}

/* net-bulk's sinks so far: what their DONEs said, summed; the resyncs
 * with new sinks, and the time they took. */
struct bulk_got {
	uint64_t frames, bytes;
	uint64_t resyncs, lost_ns;
};

/* Adds f to *g if it is a DONE; true if it is. */
static int bulk_add_done(struct bulk_got *g, const struct vnet_frame *f)
{
	if (f->kind != VK_DONE)
		return 0;
	g->frames += f->aux;
	g->bytes += f->seq;
	return 1;
}

/* Takes what the receive ring holds; true if it held a DONE (added to
 * *g). */
static int bulk_take_done(struct bulk_got *g)
{
	const struct vnet_frame *f;
	uint32_t len;
	int s, done = 0;
	while ((s = vnet_recv(0, &f, &len)) >= 0) {
		done |= bulk_add_done(g, f);
		vnet_give(s);
	}
	return done;
}

/* The sink went (its DONE came, or the link went down): waits for the
 * link to be up again (the DONE before it, if any, is taken meanwhile)
 * and handshakes with the new net-sink, at most VNET_BULK_RESYNC_MAX
 * times a run; counts it and the time it took (g->lost_ns). Returns 0 or
 * -1. */
static int bulk_resync(const struct bench_args *a, struct bulk_got *g)
{
	if (g->resyncs == VNET_BULK_RESYNC_MAX)
		return -1;
	uint64_t r0 = plat_now_ns();
	uint64_t t0 = plat_rdtsc(), limit = ms_ticks(bench_arg(a, "wait_s") * 1000);
	while (!vnet_link_up()) { /* an exit each: once a millisecond */
		(void)bulk_take_done(g);
		if (plat_rdtsc() - t0 > limit)
			return -1;
		for (uint64_t t1 = plat_rdtsc(); plat_rdtsc() - t1 < ms_ticks(1);)
			;
	}
	if (hello(bench_arg(a, "wait_s")))
		return -1;
	g->resyncs++;
	g->lost_ns += plat_now_ns() - r0;
	return 0;
}

/* net-bulk: `loops` DATA frames of `size` bytes as fast as the transmit
 * ring takes them, then END every 2 ms until net-sink's DONE says how
 * many it received; across a restarting net-sink (above). What is
 * delivered per second is the result; frames the link dropped (a full
 * socket: the peer did not keep up, or it was down) are counted. The
 * time runs from the first DATA frame to the DONE, less the resyncs. */
static int run_bulk(const struct bench_args *a, uint64_t n, uint32_t size)
{
	if (hello(bench_arg(a, "wait_s")))
		return bench_fail(a, "the peer never answered (is net-sink on the other end of a "
				     "net link?)");
	struct bulk_got g = {0, 0, 0, 0};
	uint64_t t0 = plat_now_ns();
	for (uint64_t i = 1; i <= n; i++) {
		if (i % VNET_BULK_LOOK == 0 && (bulk_take_done(&g) || !vnet_link_up()) &&
		    bulk_resync(a, &g))
			return bench_fail(a, "net-sink went away and no new one answered");
		if (vnet_send(VK_DATA, i, 0, size))
			return bench_fail(a, "the virtio-net device stopped taking frames");
	}
	for (uint64_t tries = 0;;) {
		if (++tries > 2500)
			return bench_fail(a, "net-sink never reported what it received");
		if (vnet_send(VK_END, n, 0, VNET_MIN_FRAME))
			return bench_fail(a, "the virtio-net device stopped taking frames");
		const struct vnet_frame *f;
		uint32_t len;
		int s = vnet_recv(ms_ticks(2), &f, &len);
		if (s < 0) {
			if (vnet_link_up())
				continue;
			/* The sink went before its DONE: the new one's. */
			if (bulk_resync(a, &g))
				return bench_fail(a, "net-sink went away and no new one answered");
			tries = 0;
			continue;
		}
		int done = bulk_add_done(&g, f);
		vnet_give(s);
		if (done)
			break;
	}
	uint64_t ns = plat_now_ns() - t0 - g.lost_ns;
	struct bench_result r;
	result_begin(&r, a, "throughput", "B/s", "higher",
		     (double)g.bytes * 1e9 / (double)(ns ? ns : 1), 0);
	result_u64(&r, "check", g.frames);
	result_u64(&r, "frames_sent", n);
	result_u64(&r, "frames_received", g.frames);
	result_u64(&r, "frame_bytes", size);
	result_u64(&r, "resyncs", g.resyncs);
	result_f64(&r, "time_ms", bench_ns_to_ms(ns), 3);
	result_u64(&r, "notifies", vn.tx.kicks);
	result_u64(&r, "notifies_suppressed", vn.tx.kicks_skipped);
	return result_end(&r);
}

/* net-sink: counts DATA frames until net-bulk's END, and says how many
 * in a DONE; with `loops` given, after that many frames it says so
 * unasked and ends. */
static int run_sink(const struct bench_args *a)
{
	uint64_t frames = 0, bytes = 0, ends = 0;
	uint64_t limit = ms_ticks(bench_arg(a, "wait_s") * 1000);
	uint64_t want = bench_arg_given(a, "loops") ? bench_arg(a, "loops") : UINT64_MAX;
	for (;;) {
		const struct vnet_frame *f;
		uint32_t len;
		int s = vnet_recv(limit, &f, &len);
		if (s < 0)
			break;
		uint32_t kind = f->kind;
		if (!answer_hello(f) && kind == VK_DATA) {
			frames++;
			bytes += len;
		}
		vnet_give(s);
		if (kind == VK_END || frames == want) {
			/* The DONE goes on a link that loses nothing the reader
			 * keeps up with: the sender only reads now (or, before
			 * its END, looks at its receive ring every
			 * VNET_BULK_LOOK frames, and gets little else). */
			ends++;
			vnet_send(VK_DONE, bytes, frames, VNET_MIN_FRAME);
			break;
		}
	}
	if (!ends)
		return bench_fail(a, "net-bulk never finished");
	print_line("SINK received ", frames, " frames, ", bytes, " bytes\n");
	return 0;
}

static int vnet_run(const struct bench_args *a)
{
	const char *why = "";
	uint64_t n = bench_arg(a, "loops");
	uint32_t size = (uint32_t)bench_arg(a, "size");
	int rx_wait = a->w->params == vnet_params && bench_arg_is(a, "wait", "irq")
			      ? VIRTIO_WAIT_IRQ
			      : VIRTIO_WAIT_POLL;
	if (vnet_open(rx_wait, &why))
		return bench_fail(a, why);
	int rc = a->w == &vnet_ping   ? run_ping(a, n, size)
		 : a->w == &vnet_pong ? run_pong(a, n)
		 : a->w == &vnet_bulk ? run_bulk(a, n, size)
				      : run_sink(a);
	vnet_close();
	return rc;
}
