/*
 * fuzz_console_link: a console link's port (console.c, link=: the
 * SOCK_SEQPACKET messages between two monitors, virtio_console.h and
 * docs/system.md "Links") on arbitrary sequences of messages from the
 * peer monitor and of what the guest's driver does.
 *
 * The device runs without its worker thread: the harness is the driver
 * (split rings in guest memory, 16 entries a queue) and calls the
 * device's run and reset callbacks itself, so a run is deterministic.
 *
 * Input: a first byte of options (bit 0: MULTIPORT negotiated; bit 1: the
 * port is `restarted`; bit 2: a small socket buffer, so that the device
 * finds it full), then records, each an op byte and one operand byte b
 * (fewer if the input ends):
 *   op % 12 == 0   the peer sends a DATA message of 1 + b * 17 % 4200
 *                  payload bytes (past CONSOLE_LINK_DATA_MAX too), made by
 *                  the harness so that each is recognisable;
 *   1              the peer says UP (b even) or DOWN (b odd);
 *   2              the peer sends b % 64 bytes of the input as they are
 *                  (a DATA message's payload the harness's own, so that
 *                  it is recognisable: its values do not matter to the
 *                  device);
 *   3              a control message from the driver: DEVICE_READY 1,
 *                  PORT_READY 1/0, PORT_OPEN 1/0 for port b % 2 (1: none);
 *   4              the driver gives a receive buffer of 1 + b * 37 % 6000;
 *   5              the driver queues a transmit chain of 1 + b * 53 % 9000
 *                  bytes (two buffers when b is odd);
 *   6              the driver gives control receive buffers (b % 80 bytes);
 *   7              the peer reads everything the device sent;
 *   8              the driver resets the device and sets it up again;
 *   9              the peer hangs up (closes its end);
 *   10, 11         the device runs once more.
 * After each record the device runs until it has nothing more to do, and
 * the harness takes every used buffer. Whatever the input:
 *   - a used buffer is one the driver gave, its length within the buffer;
 *   - what the guest receives is, in order, parts of the DATA messages the
 *     peer sent (each buffer a piece of one message, a message only from
 *     where the one before it ended, or a later one from its start; one
 *     left partly delivered only at a reset, which drops the rest),
 *     never one the peer sent while its last state was DOWN, only while
 *     the driver has the port open (a message sent before a reset may
 *     reach the next driver when the peer's UP before it was still
 *     unread at the reset: the device cannot tell that UP from a later
 *     one, and a peer that keeps to the protocol sends no data after an
 *     UP until it has heard ours, so only this harness's peer does it);
 *   - what the peer receives is a one-byte UP or DOWN, or a DATA message
 *     of 1 to CONSOLE_LINK_DATA_MAX bytes of the guest's transmit chains
 *     in order (a message a piece of one chain), and DATA only after the
 *     device's UP (not after its DOWN);
 *   - a control message to the driver fits its buffer;
 *   - the device comes to rest (a bounded number of runs), and at rest
 *     owes no state to a socket with room and holds no transmit chain
 *     for an other end that is up (nothing would wake it for them).
 * Seeds: tests/fuzz/corpus/console_link/ (make_console_link_seeds.py).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "virtio_console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QSIZE 16u
#define SLOTS (QSIZE / 2) /* a chain: descriptors 2s and 2s + 1 */
#define NQ 4u             /* port 0's two queues, the control queues */
#define RING(q) (0x10000ull + (uint64_t)(q) * 0x4000)
#define BUF(q, s) (0x100000ull + (uint64_t)(q) * 0x40000 + (uint64_t)(s) * 0x8000)
#define MEM (2u << 20)
#define MAXMSGS 256u /* messages a side remembers (a DATA message's first byte
			 * tells them apart); later ones are not made */

struct ring {
	uint16_t avail, seen; /* the driver's avail index, used entries taken */
	uint8_t busy;         /* slots given to the device */
	uint32_t cap[SLOTS];  /* writable bytes of each slot's chain */
	uint32_t tag[SLOTS];  /* transmit: which chain */
};

/* One side's messages, as the other must see them. */
struct sent {
	uint32_t len;
	bool stale;     /* rx: the peer's last state was DOWN when it was sent */
};

static struct guestmem gm;
static struct bus mmio;
static struct virtio_console con;
static struct ring rg[NQ];
static int peer = -1;
static bool multi, guest_open;
/* Peer to guest. */
static struct sent rx[MAXMSGS];
static unsigned nrx, rx_cur; /* rx_cur: the message being delivered */
static uint32_t rx_off;      /* bytes of it delivered */
static bool peer_down = true; /* the peer's last state */
/* Guest to peer. */
static uint32_t tx_len[MAXMSGS];
static unsigned ntx, tx_cur;
static uint32_t tx_off;
static bool dev_up; /* the last state the device sent was UP */

static uint8_t rx_byte(unsigned m, uint32_t k)
{
	return (uint8_t)(m * 131u + k * 7u + (k >> 8));
}

static uint8_t tx_byte(unsigned m, uint32_t k)
{
	return (uint8_t)(m * 29u + k * 11u + (k >> 8) + 1u);
}

static void noop_intx(void *ctx, unsigned gsi, int level)
{
	(void)ctx, (void)gsi, (void)level;
}

static int noop_msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx, (void)addr, (void)data;
	return 0;
}

static uint8_t *g(uint64_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(&gm, gpa, len);
	if (!p)
		abort(); /* the harness's own addresses */
	return p;
}

/* The driver sets the queues up from scratch (3.1.1 after a reset). */
static void queues_up(void)
{
	struct virtio_pci *vp = &con.vp;
	for (unsigned q = 0; q < NQ; q++) {
		memset(g(RING(q), 0x4000), 0, 0x4000);
		memset(&rg[q], 0, sizeof(rg[q]));
		memset(&vp->q[q].vq, 0, sizeof(vp->q[q].vq));
		if (virtq_init(&vp->q[q].vq, &gm, QSIZE, RING(q), RING(q) + 0x1000,
			       RING(q) + 0x2000, false, false))
			abort();
		vp->q[q].live = true;
	}
	vp->guest_features = (1ull << VIRTIO_F_VERSION_1) | (multi ? 1ull << CONSOLE_F_MULTIPORT : 0);
	vp->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		     VIRTIO_STATUS_DRIVER_OK;
}

/* Makes a chain of one or two buffers available on queue q; false when
 * every slot is taken. */
static bool offer(unsigned q, uint32_t len, bool two, bool writable, uint32_t tag)
{
	struct ring *r = &rg[q];
	unsigned s = 0;
	while (s < SLOTS && (r->busy & (1u << s)))
		s++;
	if (s == SLOTS)
		return false;
	uint32_t l0 = two ? len / 2 + 1 : len, l1 = len - l0;
	if (!two)
		l1 = 0;
	struct virtq_desc d[2] = {
		{BUF(q, s), l0, (uint16_t)((writable ? VIRTQ_DESC_F_WRITE : 0) |
					   (two ? VIRTQ_DESC_F_NEXT : 0)), (uint16_t)(2 * s + 1)},
		{BUF(q, s) + l0, l1, writable ? VIRTQ_DESC_F_WRITE : 0, 0},
	};
	memcpy(g(RING(q) + 16 * 2 * s, sizeof(d)), d, sizeof(d));
	if (!writable) {
		uint8_t *b = g(BUF(q, s), l0 + l1);
		for (uint32_t k = 0; k < l0 + l1; k++)
			b[k] = tx_byte(tag, k);
	}
	uint8_t *avail = g(RING(q) + 0x1000, 4 + 2 * QSIZE);
	uint16_t head = (uint16_t)(2 * s);
	memcpy(avail + 4 + 2 * (r->avail % QSIZE), &head, 2);
	r->avail++;
	memcpy(avail + 2, &r->avail, 2);
	r->busy |= (uint8_t)(1u << s);
	r->cap[s] = writable ? l0 + l1 : 0;
	r->tag[s] = tag;
	return true;
}

/* The guest's bytes: a piece of the message being delivered, or the
 * start of a later one (those between were dropped). */
static void guest_got(const uint8_t *b, uint32_t len)
{
	if (!len)
		return;
	if (!guest_open)
		abort(); /* delivered to a port nobody has open */
	unsigned m = rx_cur;
	uint32_t off = rx_off;
	for (;;) {
		if (m >= nrx)
			abort(); /* bytes the peer never sent */
		bool fits = off + len <= rx[m].len && !rx[m].stale;
		uint32_t k = 0;
		while (fits && k < len && b[k] == rx_byte(m, off + k))
			k++;
		if (fits && k == len)
			break;
		if (off && off < rx[m].len)
			abort(); /* the rest of a message lost without a reset */
		m++, off = 0;
	}
	rx_cur = m;
	rx_off = off + len;
}

static void ctl_got(const uint8_t *b, uint32_t len, uint32_t cap)
{
	if (len > cap || len < sizeof(struct console_ctl_msg))
		abort();
	struct console_ctl_msg m;
	memcpy(&m, b, sizeof(m));
	if (m.id != 0 || m.value > 1)
		abort();
	if (m.event == CONSOLE_PORT_OPEN && m.value && nrx == 0 && peer_down)
		abort(); /* open with no UP from the peer at all */
}

/* Takes every used entry of every queue. */
static void collect(void)
{
	for (unsigned q = 0; q < NQ; q++) {
		struct ring *r = &rg[q];
		const uint8_t *used = g(RING(q) + 0x2000, 4 + 8 * QSIZE);
		uint16_t idx;
		memcpy(&idx, used + 2, 2);
		if ((uint16_t)(idx - r->seen) > QSIZE)
			abort();
		for (; r->seen != idx; r->seen++) {
			uint32_t e[2];
			memcpy(e, used + 4 + 8 * (r->seen % QSIZE), 8);
			unsigned s = e[0] / 2;
			if (e[0] % 2 || s >= SLOTS || !(r->busy & (1u << s)) || e[1] > r->cap[s])
				abort(); /* not a chain we gave, or more than it holds */
			r->busy &= (uint8_t)~(1u << s);
			if (q == console_rxq(0))
				guest_got(g(BUF(q, s), e[1]), e[1]);
			else if (q == CONSOLE_CTRL_RXQ && e[1])
				ctl_got(g(BUF(q, s), e[1]), e[1], r->cap[s]);
		}
	}
}

/* The device runs until it says it is done (again false): the worker
 * then sleeps until a kick or its epoll set wakes it. So at rest nothing
 * it could do at once may be left: no state owed to a socket with room
 * (it would wait for EPOLLOUT, which is watched only when full), no
 * transmit chain waiting for an other end that is up. */
static void run(void)
{
	for (unsigned n = 0;; n++) {
		if (n > 64)
			abort(); /* must come to rest */
		virtio_console_run(&con, ~0u, true);
		collect();
		if (!con.again)
			break;
	}
	const struct console_port *p = &con.port[0];
	const struct virtio_queue *tq = &con.vp.q[console_txq(0)];
	bool active = multi ? con.ctl.port[0].ready : true;
	if (!p->host_gone && !p->tx_full &&
	    (linkmsg_pending(&p->owed) ||
	     (p->peer_up && active && (p->have_txc || virtq_pending(&tq->vq)))))
		abort(); /* left for a wake-up that does not come */
}

/* The peer reads what the device sent. */
static void peer_read(void)
{
	static uint8_t m[2 + CONSOLE_LINK_DATA_MAX];
	ssize_t n;
	while (peer >= 0 && (n = recv(peer, m, sizeof(m), MSG_DONTWAIT)) > 0) {
		if (n == 1) {
			if (m[0] != LINKMSG_UP && m[0] != LINKMSG_DOWN)
				abort();
			dev_up = m[0] == LINKMSG_UP;
			continue;
		}
		if (m[0] != CONSOLE_LINK_DATA || n > 1 + (ssize_t)CONSOLE_LINK_DATA_MAX || !dev_up)
			abort();
		uint32_t len = (uint32_t)n - 1;
		unsigned c = tx_cur;
		uint32_t off = tx_off;
		for (;;) {
			if (c >= ntx)
				abort(); /* bytes the guest never queued */
			uint32_t k = 0;
			while (off + len <= tx_len[c] && k < len && m[1 + k] == tx_byte(c, off + k))
				k++;
			if (k == len && off + len <= tx_len[c])
				break;
			c++, off = 0;
		}
		tx_cur = c;
		tx_off = off + len;
	}
}

/* Whether the peer's message went. */
static bool peer_send(const uint8_t *m, size_t len)
{
	if (peer < 0)
		return false;
	if (send(peer, m, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return true;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		abort(); /* our own socketpair, whose other end is open */
	return false;
}

/* A DATA message the harness can recognise (unless the socket is full). */
static void peer_data(uint32_t len)
{
	static uint8_t m[1 + 4200];
	if (nrx == MAXMSGS)
		return;
	m[0] = CONSOLE_LINK_DATA;
	for (uint32_t k = 0; k < len; k++)
		m[1 + k] = rx_byte(nrx, k);
	if (!peer_send(m, 1 + len))
		return; /* full: never sent */
	if (len <= CONSOLE_LINK_DATA_MAX)
		rx[nrx++] = (struct sent){len, peer_down};
	else
		rx[nrx++] = (struct sent){0, true}; /* refused: never delivered */
}

static void ctl_msg(uint16_t event, uint32_t id, uint16_t value)
{
	struct console_ctl_msg m = {id, event, value};
	(void)console_ctl_rx(&con.ctl, (const uint8_t *)&m, sizeof(m));
	/* What the driver has, by the control protocol (fuzz_console's). */
	guest_open = con.ctl.port[0].ready && con.ctl.port[0].guest_open;
}

static void device_reset(void)
{
	/* What the transport does (virtio_pci.c's worker), then the driver. */
	for (unsigned q = 0; q < NQ; q++) {
		con.vp.q[q].live = false;
		memset(&con.vp.q[q].vq, 0, sizeof(con.vp.q[q].vq));
	}
	virtio_console_reset(&con);
	/* The message read ahead went with the reset: the rest of one
	 * partly delivered never comes. */
	if (rx_off) {
		rx_cur++;
		rx_off = 0;
	}
	guest_open = !multi;
	queues_up();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (!gm.size && gm_init(&gm, MEM))
		abort();
	mmio = (struct bus)BUS_INIT("mmio");
	uint8_t opt = data[0];
	data++, size--;
	multi = opt & 1;
	guest_open = !multi;
	nrx = rx_cur = rx_off = 0;
	ntx = tx_cur = tx_off = 0;
	peer_down = true;
	dev_up = false;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp) < 0)
		abort();
	if (opt & 4) {
		int small = 4096;
		(void)setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		(void)setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	}
	peer = sp[1];
	struct console_port_cfg pc = {.name = "ctl", .fd = sp[0], .link = true,
				      .restarted = opt & 2};
	struct virtio_pci_hooks hooks = {.msi = noop_msi, .intx = {noop_intx, NULL, 19},
					 .gsi_base = 40};
	char err[256];
	if (virtio_console_init(&con, &pc, 1, &gm, &mmio, &hooks, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	queues_up();
	run();
	for (size_t i = 0; i < size;) {
		uint8_t op = data[i++];
		uint8_t b = i < size ? data[i++] : 0;
		switch (op % 12) {
		case 0:
			peer_data(1 + (uint32_t)b * 17u % 4200u);
			break;
		case 1: {
			uint8_t m = b % 2 ? LINKMSG_DOWN : LINKMSG_UP;
			if (peer_send(&m, 1))
				peer_down = m == LINKMSG_DOWN;
			break;
		}
		case 2: {
			size_t len = b % 64u;
			if (len > size - i)
				len = size - i;
			/* A state, a DATA message, or rubbish the guest must
			 * never see. */
			uint8_t m[64];
			memcpy(m, data + i, len);
			bool dm = len > 1 && m[0] == CONSOLE_LINK_DATA;
			for (size_t k = 1; dm && k < len; k++)
				m[k] = rx_byte(nrx, (uint32_t)k - 1);
			if (len && nrx < MAXMSGS && peer_send(m, len)) {
				if (len == 1 && (m[0] == LINKMSG_DOWN || m[0] == LINKMSG_UP))
					peer_down = m[0] == LINKMSG_DOWN;
				else if (dm)
					rx[nrx++] = (struct sent){(uint32_t)len - 1, peer_down};
				else
					rx[nrx++] = (struct sent){0, true};
			}
			i += len;
			break;
		}
		case 3: {
			static const uint16_t ev[][2] = {
				{CONSOLE_DEVICE_READY, 1}, {CONSOLE_PORT_READY, 1},
				{CONSOLE_PORT_READY, 0},   {CONSOLE_PORT_OPEN, 1},
				{CONSOLE_PORT_OPEN, 0},    {CONSOLE_PORT_OPEN, 1},
			};
			unsigned k = (b >> 1) % 6;
			uint32_t id = ev[k][0] == CONSOLE_DEVICE_READY ? 0xffffffffu : b % 2;
			if (multi)
				ctl_msg(ev[k][0], id, ev[k][1]);
			break;
		}
		case 4:
			(void)offer(console_rxq(0), 1 + (uint32_t)b * 37u % 6000u, false, true, 0);
			break;
		case 5:
			if (ntx < MAXMSGS) {
				uint32_t len = 1 + (uint32_t)b * 53u % 9000u;
				if (offer(console_txq(0), len, b % 2, false, ntx))
					tx_len[ntx++] = len;
			}
			break;
		case 6:
			(void)offer(CONSOLE_CTRL_RXQ, b % 80u, false, true, 0);
			break;
		case 7:
			peer_read();
			break;
		case 8:
			device_reset();
			break;
		case 9:
			if (peer >= 0)
				close(peer);
			peer = -1;
			break;
		default:
			break;
		}
		run();
	}
	peer_read();
	virtio_console_free(&con);
	bus_free(&mmio);
	if (peer >= 0)
		close(peer);
	peer = -1;
	return 0;
}
