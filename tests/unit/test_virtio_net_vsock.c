/*
 * test_virtio_net_vsock: virtio-net and virtio-vsock through the virtio-pci
 * transport and their worker threads, driven as a driver would (without
 * KVM): configuration space, rx buffers taken only when there is
 * something to put in them, tx to the host and back.
 *
 * vsock: a host program on the Unix socket at PATH reaches a guest
 * listener (CONNECT/OK), and bytes go both ways. net: an ARP request sent
 * on the tx queue reaches a TAP in a network namespace this test makes
 * (192.0.2.1/24, never the machine's own interfaces), and the kernel's ARP
 * reply comes back in an rx buffer; it skips when it cannot make one.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "guestmem.h"
#include "linkmsg.h"
#include "net.h"
#include "pci.h"
#include "vdrv.h"
#include "virtio_pci.h"
#include "vsock.h"

struct fix {
	struct vdrv d; /* the driver side (vdrv.h) */
	char dir[64], uds[96];
	struct virtio_vsock vs;
	struct virtio_net net;
};

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	vdrv_init(&f->d);
	return f;
}

static void fix_free(struct fix *f)
{
	vdrv_free(&f->d);
	free(f);
}

/* ---- vsock ---------------------------------------------------------------- */

static void gtx(struct fix *f, unsigned i, uint16_t op, uint32_t lport, const char *data)
{
	uint8_t pkt[64] = {0};
	struct vsock_hdr h = {.src_cid = 7, .dst_cid = VSOCK_HOST_CID, .src_port = 1234,
			      .dst_port = lport, .type = VSOCK_TYPE_STREAM, .op = op,
			      .buf_alloc = 65536, .len = data ? (uint32_t)strlen(data) : 0};
	memcpy(pkt, &h, sizeof(h));
	if (data)
		memcpy(pkt + sizeof(h), data, h.len);
	vdrv_offer(&f->d, VSOCK_TXQ, i, pkt, (uint32_t)sizeof(h) + h.len, false);
}

static void test_vsock_host_to_guest_listener(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_vvsock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->uds, sizeof(f->uds), "%s/v.sock", f->dir);
	struct vsock_cfg c;
	char err[256], spec[160];
	snprintf(spec, sizeof(spec), "uds=%s,cid=7", f->uds);
	assert_int_equal(vsock_parse_option(spec, &c, err, sizeof(err)), 0);
	struct virtio_pci_hooks h = vdrv_hooks(&f->d);
	assert_int_equal(virtio_vsock_init(&f->vs, &c, &f->d.gm, &f->d.mmio, &h, err, sizeof(err)), 0);
	f->d.vp = &f->vs.vp;
	assert_int_equal(vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG, 4), 7); /* guest_cid, 5.10.4 */
	vdrv_bring_up(&f->d, 1ull << VIRTIO_F_VERSION_1, 3);
	for (unsigned i = 0; i < 4; i++)
		vdrv_offer(&f->d, VSOCK_RXQ, i, NULL, VDRV_BUFLEN, true);

	int hfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->uds);
	assert_int_equal(connect(hfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(hfd, "CONNECT 1234\n", 13), 13);
	uint32_t id, len;
	assert_true(vdrv_used(&f->d, VSOCK_RXQ, &id, &len));
	struct vsock_hdr r;
	memcpy(&r, vdrv_g(&f->d, VDRV_BUF(VSOCK_RXQ, id), sizeof(r)), sizeof(r));
	assert_int_equal(len, sizeof(r));
	assert_int_equal(r.op, VSOCK_OP_REQUEST);
	assert_int_equal(r.src_cid, VSOCK_HOST_CID);
	assert_int_equal(r.dst_cid, 7);
	assert_int_equal(r.dst_port, 1234);
	uint32_t lport = r.src_port;

	gtx(f, 0, VSOCK_OP_RESPONSE, lport, NULL);
	char ok[32] = "", want[32];
	int wl = snprintf(want, sizeof(want), "OK %u\n", lport);
	test_read_exact(hfd, ok, (size_t)wl);
	assert_string_equal(ok, want);
	assert_true(vdrv_used(&f->d, VSOCK_TXQ, &id, &len));

	assert_int_equal(write(hfd, "ping", 4), 4);
	assert_true(vdrv_used(&f->d, VSOCK_RXQ, &id, &len));
	memcpy(&r, vdrv_g(&f->d, VDRV_BUF(VSOCK_RXQ, id), sizeof(r)), sizeof(r));
	assert_int_equal(r.op, VSOCK_OP_RW);
	assert_int_equal(len, sizeof(r) + 4);
	assert_memory_equal(vdrv_g(&f->d, VDRV_BUF(VSOCK_RXQ, id) + sizeof(r), 4), "ping", 4);

	gtx(f, 1, VSOCK_OP_RW, lport, "pong");
	char buf[8] = "";
	test_read_exact(hfd, buf, 4);
	assert_memory_equal(buf, "pong", 4);

	/* A device reset ends the connection: the host program sees it. */
	vdrv_mw(&f->d, 0x14, 1, 0);
	struct pollfd p = {.fd = hfd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(read(hfd, buf, 1), 0);
	close(hfd);
	virtio_vsock_free(&f->vs);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	fix_free(f);
}

/* A packet of `len` payload bytes from the guest (CID 7) to CID dst, at
 * descriptor i of the tx queue; the payload's bytes say `mark`. */
static void gtx_peer(struct fix *f, unsigned i, uint64_t dst, uint32_t len, uint8_t mark)
{
	static uint8_t pkt[44 + 32000];
	struct vsock_hdr h = {.src_cid = 7, .dst_cid = dst, .src_port = 1234, .dst_port = 80,
			      .type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_RW,
			      .buf_alloc = 65536, .len = len};
	memcpy(pkt, &h, sizeof(h));
	memset(pkt + sizeof(h), mark, len);
	vdrv_offer(&f->d, VSOCK_TXQ, i, pkt, (uint32_t)sizeof(h) + len, false);
}

/* The next packet on a peer monitor's end (link messages skipped): its
 * payload length and first byte, or -1 if none comes within 2 s. */
static long peer_next(int fd, uint8_t *mark)
{
	static uint8_t m[44 + 65536];
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2000) != 1)
			return -1;
		ssize_t n = recv(fd, m, sizeof(m), 0);
		assert_true(n > 0);
		if ((size_t)n == LINKMSG_LEN)
			continue;
		assert_true(n >= 44);
		*mark = n > 44 ? m[44] : 0;
		return (long)(n - 44);
	}
}

/* A vsock link's peer that does not read fills its socket: the guest's
 * packets to it are held, and its packets to another peer still go (no
 * head-of-line blocking across peers); once the first peer reads, what
 * was held for it arrives in order. */
static void test_vsock_full_peer_holds_only_its_own(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_vvsock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->uds, sizeof(f->uds), "%s/v.sock", f->dir);
	int a[2], b[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, b), 0);
	struct vsock_cfg c;
	char err[256], spec[200];
	snprintf(spec, sizeof(spec), "uds=%s,cid=7,peer=8@%d,peer=9@%d", f->uds, a[0], b[0]);
	assert_int_equal(vsock_parse_option(spec, &c, err, sizeof(err)), 0);
	struct virtio_pci_hooks h = vdrv_hooks(&f->d);
	assert_int_equal(virtio_vsock_init(&f->vs, &c, &f->d.gm, &f->d.mmio, &h, err, sizeof(err)), 0);
	f->d.vp = &f->vs.vp;
	vdrv_bring_up(&f->d, 1ull << VIRTIO_F_VERSION_1, 3);

	/* CID 8 does not read: packets to it until one is held. */
	unsigned i = 0, sent = 0;
	uint32_t id, len;
	while (i < 12) {
		gtx_peer(f, i++, 8, 32000, (uint8_t)(0x10 + sent));
		bool done = false;
		for (unsigned t = 0; t < 2000 && !done; t++) {
			if (__atomic_load_n(&f->vs.st.tx_held, __ATOMIC_RELAXED))
				break;
			uint16_t idx = __atomic_load_n((uint16_t *)vdrv_g(&f->d, VDRV_RING(VSOCK_TXQ) + 0x2002, 2),
						       __ATOMIC_SEQ_CST);
			done = idx != f->d.seen[VSOCK_TXQ];
			if (!done)
				usleep(1000);
		}
		if (!done)
			break;
		assert_true(vdrv_used(&f->d, VSOCK_TXQ, &id, &len));
		sent++;
	}
	assert_int_equal(__atomic_load_n(&f->vs.st.tx_held, __ATOMIC_RELAXED), 1);
	assert_true(sent >= 1);
	/* One more for CID 8 (waits behind the held one), then one for
	 * CID 9: the latter goes now. */
	gtx_peer(f, i++, 8, 100, 0xee);
	gtx_peer(f, i++, 9, 5, 0x99);
	uint8_t mark;
	assert_int_equal(peer_next(b[1], &mark), 5);
	assert_int_equal(mark, 0x99);
	assert_true(vdrv_used(&f->d, VSOCK_TXQ, &id, &len));
	assert_int_equal(id, i - 1);
	/* CID 8 reads: everything, in order, the held ones last. */
	for (unsigned k = 0; k < sent + 1; k++) {
		assert_int_equal(peer_next(a[1], &mark), 32000);
		assert_int_equal(mark, (uint8_t)(0x10 + k));
	}
	assert_int_equal(peer_next(a[1], &mark), 100);
	assert_int_equal(mark, 0xee);
	assert_true(vdrv_used(&f->d, VSOCK_TXQ, &id, &len));
	assert_int_equal(id, sent);
	assert_true(vdrv_used(&f->d, VSOCK_TXQ, &id, &len));
	assert_int_equal(id, sent + 1);
	virtio_vsock_free(&f->vs);
	close(a[1]);
	close(b[1]);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	fix_free(f);
}

/* ---- net ------------------------------------------------------------------ */

static char netns_why[160];

static void netns_setup(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(netns_why, sizeof(netns_why), "cannot make a network namespace: %s",
			 strerror(errno));
		return;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vt1");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		snprintf(netns_why, sizeof(netns_why), "cannot make a TAP: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vt1");
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
	int r = ioctl(s, SIOCSIFADDR, &ifr);
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	r = r ? r : ioctl(s, SIOCSIFNETMASK, &ifr);
	r = r ? r : ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	r = r ? r : ioctl(s, SIOCSIFFLAGS, &ifr);
	if (r < 0)
		snprintf(netns_why, sizeof(netns_why), "cannot configure the TAP: %s",
			 strerror(errno));
	close(s);
}

/* Carrier comes on when a TAP is attached, but the kernel starts
 * transmitting on it only once its link watcher has run (up to a second
 * later; until then replies are dropped): wait for IFF_RUNNING. */
static void wait_running(const char *name)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	for (int i = 0; i < 300; i++) {
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING))
			break;
		usleep(10000);
	}
	close(s);
}

static void test_net_arp_through_tap(void **state)
{
	(void)state;
	if (netns_why[0])
		skip_because("%s", netns_why);
	struct fix *f = fix_new();
	struct net_cfg c;
	char err[256];
	assert_int_equal(net_parse_option("tap=vt1,mac=52:54:00:12:34:56", &c, err, sizeof(err)),
			 0);
	struct virtio_pci_hooks h = vdrv_hooks(&f->d);
	if (virtio_net_init(&f->net, &c, &f->d.gm, &f->d.mmio, &h, err, sizeof(err)))
		fail_msg("%s", err);
	f->d.vp = &f->net.vp;
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + i, 1), mac[i]);
	assert_int_equal(vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + 6, 2), NET_S_LINK_UP);
	/* The offloads offered are what the TAP took. */
	vdrv_mw(&f->d, 0x00, 4, 0);
	uint32_t offered = (uint32_t)vdrv_mr(&f->d, 0x04, 4);
	assert_true(offered & (1u << NET_F_MAC));
	assert_int_equal(!!(offered & (1u << NET_F_GUEST_CSUM)), !!(f->net.tap.offloads & TUN_F_CSUM));
	assert_false(offered & (1u << NET_F_MRG_RXBUF));
	vdrv_bring_up(&f->d, (1ull << VIRTIO_F_VERSION_1) | (1ull << NET_F_MAC), 2);
	wait_running("vt1");
	for (unsigned i = 0; i < 4; i++)
		vdrv_offer(&f->d, NET_RXQ, i, NULL, 12 + 1514, true);

	uint8_t pkt[12 + 42] = {0};
	uint8_t *e = pkt + 12;
	memset(e, 0xff, 6);
	memcpy(e + 6, mac, 6);
	e[12] = 0x08, e[13] = 0x06;
	uint8_t *a = e + 14;
	a[1] = 1, a[2] = 0x08, a[4] = 6, a[5] = 4, a[7] = 1;
	memcpy(a + 8, mac, 6);
	inet_pton(AF_INET, "192.0.2.2", a + 14);
	inet_pton(AF_INET, "192.0.2.1", a + 24);
	uint32_t id, len;
	/* As in test_tap: the first reply after attaching may be dropped by
	 * the kernel; the request goes again when nothing came for a while. */
	for (int tries = 0; tries < 64; tries++) {
		if (tries % 16 == 0) {
			vdrv_offer(&f->d, NET_TXQ, (unsigned)tries / 16, pkt, sizeof(pkt), false);
			assert_true(vdrv_used(&f->d, NET_TXQ, &id, &len));
		}
		if (!vdrv_used(&f->d, NET_RXQ, &id, &len)) {
			tries += 15 - tries % 16;
			continue;
		}
		const uint8_t *b = vdrv_g(&f->d, VDRV_BUF(NET_RXQ, id), 12 + 1514);
		struct net_hdr nh;
		memcpy(&nh, b, sizeof(nh));
		assert_int_equal(nh.num_buffers, 1);
		assert_int_equal(nh.flags, 0); /* GUEST_CSUM not negotiated */
		if (b[12 + 12] != 0x08 || b[12 + 13] != 0x06) {
			/* IPv6 chatter from the new interface: give the buffer
			 * back and look again. */
			vdrv_offer(&f->d, NET_RXQ, id, NULL, 12 + 1514, true);
			continue;
		}
		assert_memory_equal(b + 12, mac, 6);
		assert_int_equal(b[12 + 14 + 7], 2); /* ARP reply */
		assert_true(f->net.st.tx_packets >= 1);
		assert_int_equal(f->net.st.tx_tap_error, 0);
		virtio_net_free(&f->net);
		fix_free(f);
		return;
	}
	fail_msg("no ARP reply in the rx queue (tx %llu, tx errors %llu, rx %llu, stalls %llu)",
		 (unsigned long long)f->net.st.tx_packets,
		 (unsigned long long)f->net.st.tx_tap_error,
		 (unsigned long long)f->net.st.rx_packets,
		 (unsigned long long)f->net.st.rx_stalls);
}

/* A net device on a link: sp a fresh socket pair, sp[0] the link given as
 * link=FD with the test MAC and the options in more (",..." or ""), sp[1]
 * the peer's end; c the configuration the options gave. The driver has
 * not touched the device yet. */
static struct fix *fix_net_link(int sp[2], const char *more, struct net_cfg *c)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	struct fix *f = fix_new();
	char err[256], opt[96];
	snprintf(opt, sizeof(opt), "link=%d,mac=02:00:00:00:00:0a%s", sp[0], more);
	if (net_parse_option(opt, c, err, sizeof(err)))
		fail_msg("%s", err);
	struct virtio_pci_hooks h = vdrv_hooks(&f->d);
	if (virtio_net_init(&f->net, c, &f->d.gm, &f->d.mmio, &h, err, sizeof(err)))
		fail_msg("%s", err);
	f->d.vp = &f->net.vp;
	return f;
}

/* --net link=FD: a frame from the tx queue leaves on the link's socket
 * without the virtio-net header, one message; a message on the socket
 * arrives in an rx buffer behind a zero header; no offloads are offered;
 * a peer that does not read costs drops, never a wait. */
static void test_net_link(void **state)
{
	(void)state;
	int sp[2];
	struct net_cfg c;
	struct fix *f = fix_net_link(sp, "", &c);
	assert_int_equal(c.link_fd, sp[0]);
	vdrv_mw(&f->d, 0x00, 4, 0);
	uint32_t offered = (uint32_t)vdrv_mr(&f->d, 0x04, 4);
	assert_true(offered & (1u << NET_F_MAC));
	assert_false(offered & ((1u << NET_F_CSUM) | (1u << NET_F_GUEST_CSUM) |
				(1u << NET_F_HOST_TSO4)));
	vdrv_bring_up(&f->d, (1ull << VIRTIO_F_VERSION_1) | (1ull << NET_F_MAC), 2);
	for (unsigned i = 0; i < 4; i++)
		vdrv_offer(&f->d, NET_RXQ, i, NULL, 12 + 1514, true);

	uint8_t got[256];
	struct pollfd p = {.fd = sp[1], .events = POLLIN};
	/* DRIVER_OK: the device tells the peer it is up (linkmsg.h). */
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), 0), 1);
	assert_int_equal(got[0], LINKMSG_UP);
	assert_int_equal(vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + 6, 1), NET_S_LINK_UP);

	uint8_t pkt[12 + 60] = {0};
	for (unsigned i = 0; i < 60; i++)
		pkt[12 + i] = (uint8_t)(i + 1);
	static const uint8_t own[6] = {0x02, 0, 0, 0, 0, 0x0a};
	memcpy(pkt + 12 + 6, own, 6); /* the source address: the device's MAC */
	uint32_t id, len;
	vdrv_offer(&f->d, NET_TXQ, 0, pkt, sizeof(pkt), false);
	assert_true(vdrv_used(&f->d, NET_TXQ, &id, &len));
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), 0), 60);
	assert_memory_equal(got, pkt + 12, 60);
	/* Another source address: dropped and counted, nothing sent. */
	pkt[12 + 11] ^= 1;
	vdrv_offer(&f->d, NET_TXQ, 1, pkt, sizeof(pkt), false);
	assert_true(vdrv_used(&f->d, NET_TXQ, &id, &len));
	assert_int_equal(f->net.st.tx_spoofed, 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), MSG_DONTWAIT), -1);
	pkt[12 + 11] ^= 1;

	uint8_t frame[100];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(0xa0 ^ i);
	assert_int_equal(send(sp[1], frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	assert_true(vdrv_used(&f->d, NET_RXQ, &id, &len));
	assert_int_equal(len, 12 + sizeof(frame));
	const uint8_t *b = vdrv_g(&f->d, VDRV_BUF(NET_RXQ, id), 12 + sizeof(frame));
	struct net_hdr nh;
	memcpy(&nh, b, sizeof(nh));
	assert_int_equal(nh.num_buffers, 1);
	assert_int_equal(nh.flags, 0);
	assert_int_equal(nh.gso_type, 0);
	assert_memory_equal(b + 12, frame, sizeof(frame));
	/* A runt from the peer (shorter than an Ethernet header) is dropped. */
	assert_int_equal(send(sp[1], frame, 10, 0), 10);
	assert_int_equal(send(sp[1], frame, 20, 0), 20);
	assert_true(vdrv_used(&f->d, NET_RXQ, &id, &len));
	assert_int_equal(len, 12 + 20);
	assert_int_equal(f->net.st.rx_bad_hdr, 1);

	/* The peer goes down (the supervisor's LINKMSG_DOWN for a VM that
	 * ended): the link status drops, with a configuration change
	 * (ISR bit 1, a new generation); frames sent meanwhile are dropped;
	 * LINKMSG_UP brings it back. The messages take no rx buffer. */
	uint8_t gen = (uint8_t)vdrv_mr(&f->d, 0x15, 1);
	(void)vdrv_mr(&f->d, VIRTIO_PCI_ISR, 1);
	uint8_t m = LINKMSG_DOWN;
	assert_int_equal(send(sp[1], &m, 1, 0), 1);
	for (unsigned i = 0; i < 200 && vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + 6, 1) != 0; i++)
		usleep(10000);
	assert_int_equal(vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + 6, 1), 0);
	assert_true(vdrv_mr(&f->d, VIRTIO_PCI_ISR, 1) & VIRTIO_ISR_CONFIG);
	assert_int_not_equal((uint8_t)vdrv_mr(&f->d, 0x15, 1), gen);
	vdrv_offer(&f->d, NET_TXQ, 2, pkt, sizeof(pkt), false);
	assert_true(vdrv_used(&f->d, NET_TXQ, &id, &len));
	assert_int_equal(f->net.st.tx_link_down, 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), MSG_DONTWAIT), -1);
	m = LINKMSG_UP;
	assert_int_equal(send(sp[1], &m, 1, 0), 1);
	for (unsigned i = 0; i < 200 && vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + 6, 1) == 0; i++)
		usleep(10000);
	assert_int_equal(vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + 6, 1), NET_S_LINK_UP);
	assert_int_equal(f->net.st.link_msgs, 2);
	assert_int_equal(send(sp[1], frame, 30, 0), 30); /* the rx buffer is still there */
	assert_true(vdrv_used(&f->d, NET_RXQ, &id, &len));
	assert_int_equal(len, 12 + 30);

	/* The peer stops reading: the socket fills and the frames are
	 * dropped and counted; the tx queue goes on. */
	unsigned sent = 0;
	for (unsigned i = 0; i < 2000 && !f->net.st.tx_tap_error; i++) {
		vdrv_offer(&f->d, NET_TXQ, 1 + i % 8, pkt, sizeof(pkt), false);
		assert_true(vdrv_used(&f->d, NET_TXQ, &id, &len));
		sent++;
	}
	assert_true(f->net.st.tx_tap_error >= 1);
	assert_true(sent > 1);
	/* The driver resets the device: the peer hears DOWN (after what
	 * fills its socket). */
	while (recv(sp[1], got, sizeof(got), MSG_DONTWAIT) > 1)
		;
	vdrv_mw(&f->d, 0x14, 1, 0);
	for (unsigned i = 0; i < 200 && vdrv_mr(&f->d, 0x14, 1) != 0; i++)
		usleep(10000);
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), 0), 1);
	assert_int_equal(got[0], LINKMSG_DOWN);
	virtio_net_free(&f->net);
	close(sp[1]);
	fix_free(f);
}

/* A state message that finds the link's socket full is kept, not lost:
 * the driver resets the device while the peer's socket is full, and once
 * the peer reads again it hears DOWN, then UP when the driver is back,
 * in that order and before any frame. */
static void test_net_link_state_kept(void **state)
{
	(void)state;
	int sp[2];
	struct net_cfg c;
	struct fix *f = fix_net_link(sp, "", &c);
	uint64_t feat = (1ull << VIRTIO_F_VERSION_1) | (1ull << NET_F_MAC);
	vdrv_bring_up(&f->d, feat, 2);
	uint8_t got[256];
	struct pollfd p = {.fd = sp[1], .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), 0), 1);
	assert_int_equal(got[0], LINKMSG_UP);

	/* The peer stops reading: frames fill its socket. */
	uint8_t pkt[12 + 60] = {0};
	static const uint8_t own[6] = {0x02, 0, 0, 0, 0, 0x0a};
	memcpy(pkt + 12 + 6, own, 6);
	uint32_t id, len;
	for (unsigned i = 0; i < 4000 && !f->net.st.tx_tap_error; i++) {
		vdrv_offer(&f->d, NET_TXQ, i % 8, pkt, sizeof(pkt), false);
		assert_true(vdrv_used(&f->d, NET_TXQ, &id, &len));
	}
	assert_true(f->net.st.tx_tap_error >= 1);
	/* The driver resets the device: DOWN finds the socket full. */
	vdrv_mw(&f->d, 0x14, 1, 0);
	for (unsigned i = 0; i < 200 && vdrv_mr(&f->d, 0x14, 1) != 0; i++)
		usleep(10000);
	assert_int_equal(vdrv_mr(&f->d, 0x14, 1), 0);
	usleep(50000);
	/* The peer reads again: only frames so far (the DOWN could not go). */
	ssize_t r;
	unsigned msgs = 0;
	while ((r = recv(sp[1], got, sizeof(got), MSG_DONTWAIT)) > 0) {
		if (r == 1)
			msgs++;
	}
	/* Either it was already sent behind the frames (room came) or it
	 * comes now, first, when the driver is live again. */
	vdrv_reconfigure(&f->d, feat, 2);
	uint8_t seq[2];
	unsigned ns = 0;
	if (msgs == 1)
		seq[ns++] = LINKMSG_DOWN;
	while (ns < 2) {
		assert_int_equal(poll(&p, 1, 2000), 1);
		r = recv(sp[1], got, sizeof(got), 0);
		assert_int_equal(r, 1);
		seq[ns++] = got[0];
	}
	assert_int_equal(seq[0], LINKMSG_DOWN);
	assert_int_equal(seq[1], LINKMSG_UP);
	virtio_net_free(&f->net);
	close(sp[1]);
	fix_free(f);
}

/* A VM that vmm system restarted (`restarted`): the supervisor's DOWN for
 * the one before may not have gone (its peer's socket was full), so the
 * new monitor says DOWN before its first UP. */
static void test_net_link_restarted(void **state)
{
	(void)state;
	int sp[2];
	struct net_cfg c;
	struct fix *f = fix_net_link(sp, ",restarted", &c);
	uint8_t got[16];
	assert_int_equal(recv(sp[1], got, sizeof(got), MSG_DONTWAIT), -1); /* not before the driver */
	vdrv_bring_up(&f->d, (1ull << VIRTIO_F_VERSION_1) | (1ull << NET_F_MAC), 2);
	struct pollfd p = {.fd = sp[1], .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), 0), 1);
	assert_int_equal(got[0], LINKMSG_DOWN);
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(sp[1], got, sizeof(got), 0), 1);
	assert_int_equal(got[0], LINKMSG_UP);
	virtio_net_free(&f->net);
	close(sp[1]);
	fix_free(f);
	/* Only on a link. */
	char err[256];
	assert_int_equal(net_parse_option("tap=t0,restarted", &c, err, sizeof(err)), -1);
}

static void test_options(void **state)
{
	(void)state;
	struct net_cfg n, n2;
	struct vsock_cfg v;
	char err[256];
	assert_int_equal(net_parse_option("tap=tap0", &n, err, sizeof(err)), 0);
	assert_int_equal(net_parse_option("tap=tap0", &n2, err, sizeof(err)), 0);
	assert_memory_equal(n.mac, n2.mac, 6); /* stable */
	assert_int_equal(n.mac[0] & 3, 2);     /* local, unicast */
	assert_int_equal(net_parse_option("tap=tap1", &n2, err, sizeof(err)), 0);
	assert_memory_not_equal(n.mac, n2.mac, 6);
	assert_int_equal(net_parse_option("tap=t,mac=01:00:00:00:00:00", &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "multicast"));
	assert_int_equal(net_parse_option("tap=t,speed=10", &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--net"));
	assert_int_equal(net_parse_option("tap=0123456789abcdef", &n, err, sizeof(err)), -1);
	assert_int_equal(net_parse_option("link=5", &n, err, sizeof(err)), 0);
	assert_int_equal(n.link_fd, 5);
	assert_int_equal(n.tap[0], 0);
	static const char *const badnet[] = {"link=2", "link=x", "link=", "link=5,tap=t",
					     "link=99999999"};
	for (size_t i = 0; i < sizeof(badnet) / sizeof(badnet[0]); i++)
		assert_int_equal(net_parse_option(badnet[i], &n, err, sizeof(err)), -1);
	assert_int_equal(vsock_parse_option("cid=3,uds=/tmp/x", &v, err, sizeof(err)), 0);
	assert_int_equal(v.cid, 3);
	assert_string_equal(v.uds, "/tmp/x");
	static const char *const bad[] = {"cid=2,uds=/x", "cid=0,uds=/x", "cid=-1,uds=/x",
					  "cid=4294967295,uds=/x", "cid=x,uds=/x", "uds=/x",
					  "cid=3", "cid=3,uds=/x,port=1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vsock_parse_option(bad[i], &v, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "--vsock"));
	}
}

int main(void)
{
	netns_setup();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_vsock_host_to_guest_listener),
		cmocka_unit_test(test_vsock_full_peer_holds_only_its_own),
		cmocka_unit_test(test_net_arp_through_tap),
		cmocka_unit_test(test_net_link),
		cmocka_unit_test(test_net_link_state_kept),
		cmocka_unit_test(test_net_link_restarted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
