/*
 * test_virtio_console: the multiport virtio console through the virtio-pci
 * transport and its worker thread, driven as Linux's virtio_console driver
 * drives it (without KVM), each port on one end of a socketpair the test
 * holds the other end of.
 *
 * Port discovery by the control queues (DEVICE_READY, PORT_ADD,
 * PORT_READY, PORT_NAME, PORT_OPEN), bytes both ways on two ports, host
 * bytes held back until a guest program opens the port, backpressure (a
 * peer that does not read leaves the guest's transmit buffers unconsumed,
 * and every byte arrives once it reads), a hang-up, and malformed control
 * messages that are refused while the device goes on; and the worker
 * doing all of it inside the real seccomp filter.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guestmem.h"
#include "pci.h"
#include "sandbox.h"
#include "virtio_console.h"
#include "vdrv.h"
#include "virtio_pci.h"

struct fix {
	struct vdrv d; /* the driver side (vdrv.h) */
	struct virtio_console con;
	int peer[CONSOLE_MAX_PORTS]; /* the test's ends of the sockets */
};

/* The device with `n` ports, the test holding the far ends: stream
 * sockets (fd=), or with `link` a console link's SOCK_SEQPACKET socket
 * (link=, and `opts` after it). */
static struct fix *fix_make(unsigned n, int sndbuf, bool link, const char *opts)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	vdrv_init(&f->d);
	static const char *const names[] = {"ctl", "log", "x"};
	struct console_port_cfg pc[CONSOLE_MAX_PORTS];
	char err[256], spec[64];
	for (unsigned i = 0; i < n; i++) {
		int sv[2];
		assert_int_equal(socketpair(AF_UNIX, (link ? SOCK_SEQPACKET : SOCK_STREAM) |
						     SOCK_CLOEXEC, 0, sv), 0);
		if (sndbuf)
			assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
						    sizeof(sndbuf)),
					 0);
		f->peer[i] = sv[1];
		snprintf(spec, sizeof(spec), "name=%s,%s=%d%s", names[i], link ? "link" : "fd", sv[0],
			 opts);
		assert_int_equal(console_parse_option(spec, &pc[i], err, sizeof(err)), 0);
	}
	struct virtio_pci_hooks h = vdrv_hooks(&f->d);
	if (virtio_console_init(&f->con, pc, n, &f->d.gm, &f->d.mmio, &h, err, sizeof(err)))
		fail_msg("%s", err);
	f->d.vp = &f->con.vp;
	return f;
}

static struct fix *fix_new(unsigned n, int sndbuf)
{
	return fix_make(n, sndbuf, false, "");
}

/* Stops the worker (and its interrupts), so that the test may read the
 * device's counters and state; fix_free then has nothing left to stop. */
static void stop(struct fix *f)
{
	virtio_pci_free(f->d.vp);
}

static void fix_free(struct fix *f)
{
	virtio_console_free(&f->con);
	for (unsigned i = 0; i < CONSOLE_MAX_PORTS; i++)
		if (f->peer[i] > 0)
			close(f->peer[i]);
	vdrv_free(&f->d);
	free(f);
}

/* The driver sends a control message (len bytes of it) and the device
 * takes it. */
static void ctl_tx(struct fix *f, uint32_t id, uint16_t event, uint16_t value, uint32_t len)
{
	uint8_t m[16] = {0};
	struct console_ctl_msg c = {id, event, value};
	memcpy(m, &c, sizeof(c));
	unsigned d = f->d.avail[CONSOLE_CTRL_TXQ] % VDRV_QSIZE;
	vdrv_offer(&f->d, CONSOLE_CTRL_TXQ, d, m, len, false);
	uint32_t uid, ulen;
	assert_true(vdrv_used(&f->d, CONSOLE_CTRL_TXQ, &uid, &ulen));
	assert_int_equal(uid, d);
}

/* The next control message from the device; its buffer goes back. */
static void ctl_rx(struct fix *f, struct console_ctl_msg *m, char *name, size_t namecap)
{
	uint32_t id, len;
	assert_true(vdrv_used(&f->d, CONSOLE_CTRL_RXQ, &id, &len));
	assert_true(len >= sizeof(*m));
	memcpy(m, vdrv_g(&f->d, VDRV_BUF(CONSOLE_CTRL_RXQ, id), sizeof(*m)), sizeof(*m));
	if (name) {
		size_t n = len - sizeof(*m);
		assert_true(n < namecap);
		memcpy(name, vdrv_g(&f->d, VDRV_BUF(CONSOLE_CTRL_RXQ, id) + sizeof(*m), n), n);
		name[n] = 0;
	} else {
		assert_int_equal(len, sizeof(*m));
	}
	vdrv_offer(&f->d, CONSOLE_CTRL_RXQ, id, NULL, VDRV_BUFLEN, true);
}

static void expect_ctl(struct fix *f, uint32_t id, uint16_t event, uint16_t value)
{
	struct console_ctl_msg m;
	ctl_rx(f, &m, NULL, 0);
	assert_int_equal(m.id, id);
	assert_int_equal(m.event, event);
	assert_int_equal(m.value, value);
}

/* Four buffers on the control receive queue, for the device's messages. */
static void offer_ctl_rx(struct fix *f)
{
	for (unsigned i = 0; i < 4; i++)
		vdrv_offer(&f->d, CONSOLE_CTRL_RXQ, i, NULL, VDRV_BUFLEN, true);
}

/* The driver's side of finding one port: DEVICE_READY, the device's
 * DEVICE_ADD for port 0, and PORT_READY for it. */
static void port0_ready(struct fix *f)
{
	ctl_tx(f, 0xffffffffu, CONSOLE_DEVICE_READY, 1, 8);
	expect_ctl(f, 0, CONSOLE_DEVICE_ADD, 1);
	ctl_tx(f, 0, CONSOLE_PORT_READY, 1, 8);
}

/* DEVICE_READY, then for each port PORT_ADD, PORT_READY, PORT_NAME and
 * PORT_OPEN 1 (the host sides are connected), as Linux's driver probes. */
static void discover(struct fix *f, unsigned n, const char *const *names)
{
	offer_ctl_rx(f);
	uint32_t id, len;
	assert_false(vdrv_used_within(&f->d, CONSOLE_CTRL_RXQ, 100, &id, &len)); /* nothing before READY */
	ctl_tx(f, 0xffffffffu, CONSOLE_DEVICE_READY, 1, 8);
	for (unsigned i = 0; i < n; i++)
		expect_ctl(f, i, CONSOLE_DEVICE_ADD, 1);
	for (unsigned i = 0; i < n; i++) {
		ctl_tx(f, i, CONSOLE_PORT_READY, 1, 8);
		struct console_ctl_msg m;
		char name[80];
		ctl_rx(f, &m, name, sizeof(name));
		assert_int_equal(m.id, i);
		assert_int_equal(m.event, CONSOLE_PORT_NAME);
		assert_string_equal(name, names[i]); /* no NUL sent (5.3.6.2) */
		expect_ctl(f, i, CONSOLE_PORT_OPEN, 1);
	}
}

static const uint64_t FEATURES = (1ull << VIRTIO_F_VERSION_1) | (1ull << CONSOLE_F_MULTIPORT);

static void test_discovery_and_data(void **state)
{
	(void)state;
	struct fix *f = fix_new(2, 0);
	assert_int_equal(vdrv_mr(&f->d, VIRTIO_PCI_DEVCFG + 4, 4), 2); /* max_nr_ports, 5.3.4 */
	vdrv_mw(&f->d, 0x00, 4, 0);
	assert_true(vdrv_mr(&f->d, 0x04, 4) & (1u << CONSOLE_F_MULTIPORT));
	vdrv_bring_up(&f->d, FEATURES, 6);
	static const char *const names[] = {"ctl", "log"};
	discover(f, 2, names);

	/* Host bytes wait until a guest program opens the port (Linux drops
	 * data for a port nobody has open). */
	assert_int_equal(write(f->peer[0], "early", 5), 5);
	for (unsigned i = 0; i < 4; i++)
		vdrv_offer(&f->d, console_rxq(0), i, NULL, VDRV_BUFLEN, true);
	uint32_t id, len;
	assert_false(vdrv_used_within(&f->d, console_rxq(0), 200, &id, &len));
	ctl_tx(f, 0, CONSOLE_PORT_OPEN, 1, 8);
	assert_true(vdrv_used(&f->d, console_rxq(0), &id, &len));
	assert_int_equal(len, 5);
	assert_memory_equal(vdrv_g(&f->d, VDRV_BUF(console_rxq(0), id), 5), "early", 5);
	assert_int_equal(write(f->peer[0], "later", 5), 5);
	assert_true(vdrv_used(&f->d, console_rxq(0), &id, &len));
	assert_int_equal(len, 5);
	assert_memory_equal(vdrv_g(&f->d, VDRV_BUF(console_rxq(0), id), 5), "later", 5);

	/* Guest to host on both ports: port 1's queues are 4 and 5 (5.3.2). */
	assert_int_equal(console_txq(1), 5);
	vdrv_offer(&f->d, console_txq(1), 0, "world", 5, false);
	vdrv_offer(&f->d, console_txq(0), 0, "hello", 5, false);
	char buf[8] = "";
	test_read_exact(f->peer[1], buf, 5);
	assert_memory_equal(buf, "world", 5);
	test_read_exact(f->peer[0], buf, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_true(vdrv_used(&f->d, console_txq(1), &id, &len));
	assert_true(vdrv_used(&f->d, console_txq(0), &id, &len));
	assert_int_equal(len, 0);

	/* The host hangs up port 0: the guest is told PORT_OPEN 0, and what
	 * it still sends is consumed and counted, not left hanging. */
	close(f->peer[0]);
	f->peer[0] = -1;
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 0);
	vdrv_offer(&f->d, console_txq(0), 1, "gone", 4, false);
	assert_true(vdrv_used(&f->d, console_txq(0), &id, &len));
	assert_false(vdrv_mr(&f->d, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	stop(f);
	assert_int_equal(f->con.port[0].st.tx_dropped, 4);
	assert_int_equal(f->con.port[0].st.rx_bytes, 10);
	assert_int_equal(f->con.port[1].st.tx_bytes, 5);
	fix_free(f);
}

/* A peer that does not read: the socket fills, the device holds the
 * guest's chains rather than drop them, and every byte arrives in order
 * once the peer reads. */
static void test_backpressure(void **state)
{
	(void)state;
	struct fix *f = fix_new(1, 4096);
	vdrv_bring_up(&f->d, FEATURES, 4);
	static const char *const names[] = {"ctl"};
	discover(f, 1, names);
	static uint8_t pat[VDRV_QSIZE * VDRV_BUFLEN];
	for (size_t k = 0; k < sizeof(pat); k++)
		pat[k] = (uint8_t)(k % 251);
	for (unsigned i = 0; i < VDRV_QSIZE; i++)
		vdrv_offer(&f->d, console_txq(0), i, pat + (size_t)i * VDRV_BUFLEN, VDRV_BUFLEN, false);
	unsigned done = 0;
	uint32_t id, len;
	while (vdrv_used_within(&f->d, console_txq(0), 300, &id, &len)) {
		assert_int_equal(id, done);
		done++;
	}
	test_note("%u of %u chains consumed before the peer read", done, VDRV_QSIZE);
	assert_true(done < VDRV_QSIZE);

	static uint8_t got[sizeof(pat)];
	test_read_exact(f->peer[0], got, sizeof(got));
	assert_memory_equal(got, pat, sizeof(pat));
	while (done < VDRV_QSIZE) {
		assert_true(vdrv_used(&f->d, console_txq(0), &id, &len));
		assert_int_equal(id, done);
		done++;
	}
	stop(f);
	assert_true(f->con.port[0].st.tx_blocked >= 1);
	assert_int_equal(f->con.port[0].st.tx_bytes, sizeof(pat));
	assert_int_equal(f->con.port[0].st.tx_dropped, 0);
	fix_free(f);
}

/* Control messages from a hostile driver: each is taken, counted and
 * ignored; the device neither stops nor answers them, and works after. */
static void test_malformed_control(void **state)
{
	(void)state;
	struct fix *f = fix_new(1, 0);
	vdrv_bring_up(&f->d, FEATURES, 4);
	/* The first control receive buffer is too small for any message. */
	vdrv_offer(&f->d, CONSOLE_CTRL_RXQ, 0, NULL, 4, true);
	for (unsigned i = 1; i < 4; i++)
		vdrv_offer(&f->d, CONSOLE_CTRL_RXQ, i, NULL, VDRV_BUFLEN, true);
	ctl_tx(f, 0, CONSOLE_PORT_READY, 1, 4);                 /* short */
	ctl_tx(f, 0, CONSOLE_PORT_READY, 1, 12);                /* long */
	ctl_tx(f, 0, CONSOLE_PORT_READY, 1, 8);                 /* before PORT_ADD */
	ctl_tx(f, 0, CONSOLE_PORT_OPEN, 1, 8);                  /* before PORT_READY */
	ctl_tx(f, 0, CONSOLE_DEVICE_ADD, 1, 8);                 /* the device's message */
	ctl_tx(f, 0, CONSOLE_PORT_NAME, 1, 8);                  /* the device's message */
	ctl_tx(f, 0, 0x1234, 1, 8);                             /* unknown */
	ctl_tx(f, 7, CONSOLE_PORT_OPEN, 1, 8);                  /* no such port */
	ctl_tx(f, 0xffffffffu, CONSOLE_DEVICE_READY, 2, 8);     /* bad value */
	const struct console_ctl_stats *st = &f->con.ctl.st;
	assert_int_equal(st->bad[CONSOLE_BAD_LEN], 2);
	assert_int_equal(st->bad[CONSOLE_BAD_STATE], 2);
	assert_int_equal(st->bad[CONSOLE_BAD_EVENT], 3);
	assert_int_equal(st->bad[CONSOLE_BAD_ID], 1);
	assert_int_equal(st->bad[CONSOLE_BAD_VALUE], 1);
	uint32_t id, len;
	assert_false(vdrv_used_within(&f->d, CONSOLE_CTRL_RXQ, 100, &id, &len));
	assert_false(vdrv_mr(&f->d, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);

	/* Still works: the small buffer comes back empty, the next holds
	 * PORT_ADD; a repeated DEVICE_READY or PORT_READY owes nothing more. */
	ctl_tx(f, 0xffffffffu, CONSOLE_DEVICE_READY, 1, 8);
	assert_true(vdrv_used(&f->d, CONSOLE_CTRL_RXQ, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_int_equal(f->con.ctl_small, 1);
	expect_ctl(f, 0, CONSOLE_DEVICE_ADD, 1);
	ctl_tx(f, 0xffffffffu, CONSOLE_DEVICE_READY, 1, 8);
	ctl_tx(f, 0, CONSOLE_PORT_READY, 1, 8);
	ctl_tx(f, 0, CONSOLE_PORT_READY, 1, 8);
	struct console_ctl_msg m;
	char name[80];
	ctl_rx(f, &m, name, sizeof(name));
	assert_int_equal(m.event, CONSOLE_PORT_NAME);
	assert_string_equal(name, "ctl");
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 1);
	assert_false(vdrv_used_within(&f->d, CONSOLE_CTRL_RXQ, 100, &id, &len));

	/* A device reset forgets the ports; the driver finds them again. */
	vdrv_mw(&f->d, 0x14, 1, 0);
	for (int i = 0; i < 2000 && vdrv_mr(&f->d, 0x14, 1); i++)
		usleep(1000);
	assert_int_equal(vdrv_mr(&f->d, 0x14, 1), 0);
	stop(f);
	assert_false(f->con.ctl.port[0].ready);
	fix_free(f);
}

/* Starts f's worker and puts this process under the filter `vmm run`
 * loads, with the descriptors machine.c keeps, then configures the device
 * (the driver spinning, as no signal reaches it). False, said on stderr,
 * when the filter cannot be entered. */
static bool start_sandboxed(struct fix *f)
{
	vdrv_start(&f->d, true);
	struct sandbox_opts o = {.enabled = true, .tty_fd = -1, .threads = 1};
	o.ndev = virtio_pci_fds(f->d.vp, o.dev_fds, SANDBOX_MAX_DEV_FDS);
	o.epoll_fds[o.nepoll++] = f->con.epfd;
	o.nkeep = virtio_console_sockets(&f->con, o.keep_fds, SANDBOX_MAX_KEEP_FDS);
	o.read_fds[o.nread++] = f->peer[0];
	char err[256];
	if (sandbox_enter(&o, err, sizeof(err))) {
		fprintf(stderr, "sandbox: %s\n", err);
		return false;
	}
	sandbox_release();
	f->d.spin = true;
	vdrv_configure(&f->d, FEATURES, 4);
	return true;
}

/* The worker under the filter `vmm run` loads, its descriptors kept as
 * machine.c keeps them: discovery, a byte each way, a full socket
 * (EPOLLOUT), a hang-up. A call outside the policy ends the child with
 * VMM_EXIT_SANDBOX (12) and names it. */
static int sandboxed_child(void)
{
	struct fix *f = fix_new(1, 4096);
	if (!start_sandboxed(f))
		return 20;
	static const char *const names[] = {"ctl"};
	discover(f, 1, names);
	ctl_tx(f, 0, CONSOLE_PORT_OPEN, 1, 8);
	vdrv_offer(&f->d, console_rxq(0), 0, NULL, VDRV_BUFLEN, true);
	if (send(f->peer[0], "ping", 4, MSG_NOSIGNAL | MSG_DONTWAIT) != 4)
		return 21;
	uint32_t id, len;
	if (!vdrv_used(&f->d, console_rxq(0), &id, &len) || len != 4 ||
	    memcmp(vdrv_g(&f->d, VDRV_BUF(console_rxq(0), 0), 4), "ping", 4))
		return 22;
	static uint8_t out[3 * VDRV_BUFLEN], in[3 * VDRV_BUFLEN];
	memset(out, 0x5a, sizeof(out));
	for (unsigned i = 0; i < 3; i++)
		vdrv_offer(&f->d, console_txq(0), i, out + (size_t)i * VDRV_BUFLEN, VDRV_BUFLEN, false);
	if (vdrv_used_within(&f->d, console_txq(0), 200, &id, &len))
		return 23; /* a 32 KiB chain cannot have gone into a 4 KiB socket */
	size_t got = 0;
	while (got < sizeof(in)) {
		struct pollfd p = {.fd = f->peer[0], .events = POLLIN};
		ssize_t n = poll(&p, 1, 2000) == 1 ? read(f->peer[0], in + got, sizeof(in) - got) : -1;
		if (n <= 0)
			return 24;
		got += (size_t)n;
	}
	for (unsigned i = 0; i < 3; i++)
		if (!vdrv_used(&f->d, console_txq(0), &id, &len))
			return 25;
	if (memcmp(in, out, sizeof(in)))
		return 26;
	close(f->peer[0]);
	f->peer[0] = -1;
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 0);
	return 0;
}

/* The same for a console link's port: its state and data messages both
 * ways, and the hang-up, under the filter (no call beyond the stream
 * port's). */
static int sandboxed_link_child(void)
{
	struct fix *f = fix_make(1, 0, true, "");
	if (!start_sandboxed(f))
		return 20;
	offer_ctl_rx(f);
	port0_ready(f);
	struct console_ctl_msg m;
	char name[80];
	ctl_rx(f, &m, name, sizeof(name));
	uint8_t b[64];
	struct pollfd p = {.fd = f->peer[0], .events = POLLIN};
	if (poll(&p, 1, 2000) != 1 || read(f->peer[0], b, sizeof(b)) != 1 || b[0] != LINKMSG_UP)
		return 21;
	uint8_t up = LINKMSG_UP, down = LINKMSG_DOWN;
	if (send(f->peer[0], &up, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
		return 22;
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 1);
	ctl_tx(f, 0, CONSOLE_PORT_OPEN, 1, 8);
	vdrv_offer(&f->d, console_rxq(0), 0, NULL, VDRV_BUFLEN, true);
	uint8_t ping[5] = {CONSOLE_LINK_DATA, 'p', 'i', 'n', 'g'};
	if (send(f->peer[0], ping, sizeof(ping), MSG_NOSIGNAL | MSG_DONTWAIT) != 5)
		return 23;
	uint32_t id, len;
	if (!vdrv_used(&f->d, console_rxq(0), &id, &len) || len != 4 ||
	    memcmp(vdrv_g(&f->d, VDRV_BUF(console_rxq(0), 0), 4), "ping", 4))
		return 24;
	vdrv_offer(&f->d, console_txq(0), 0, "pong", 4, false);
	ssize_t n = 0;
	while (n != 5) { /* the answer to our UP first, then the data */
		if (poll(&p, 1, 2000) != 1 || (n = read(f->peer[0], b, sizeof(b))) <= 0)
			return 25;
		if (n != 1 && (n != 5 || memcmp(b + 1, "pong", 4)))
			return 26;
	}
	if (send(f->peer[0], &down, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
		return 27;
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 0);
	return 0;
}

static void test_worker_in_sandbox(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	skip_because("the sanitizer's runtime makes calls outside the policy");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip_because("ASan's runtime makes calls outside the policy");
#endif
#endif
	for (int link = 0; link < 2; link++) {
		fflush(stdout);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(link ? sandboxed_link_child() : sandboxed_child());
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		test_note("%s child status %d", link ? "link" : "stream",
			  WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

/* ---- a console link (link=) ---------------------------------------------- */

/* The next message on the test's end of a link: its length (into m). */
static ssize_t link_msg(struct fix *f, uint8_t *m, size_t cap)
{
	struct pollfd p = {.fd = f->peer[0], .events = POLLIN};
	if (poll(&p, 1, 2000) != 1)
		return -1;
	return recv(f->peer[0], m, cap, 0);
}

static void link_send(struct fix *f, uint8_t state)
{
	assert_int_equal(send(f->peer[0], &state, 1, 0), 1);
}

static void link_data(struct fix *f, const char *s)
{
	uint8_t m[64];
	m[0] = CONSOLE_LINK_DATA;
	memcpy(m + 1, s, strlen(s));
	assert_int_equal(send(f->peer[0], m, 1 + strlen(s), 0), (ssize_t)(1 + strlen(s)));
}

static void expect_link(struct fix *f, uint8_t state)
{
	uint8_t m[8];
	assert_int_equal(link_msg(f, m, sizeof(m)), 1);
	assert_int_equal(m[0], state);
}

static void expect_rx(struct fix *f, const char *s)
{
	uint32_t id, len;
	assert_true(vdrv_used(&f->d, console_rxq(0), &id, &len));
	assert_int_equal(len, strlen(s));
	assert_memory_equal(vdrv_g(&f->d, VDRV_BUF(console_rxq(0), id), len), s, len);
	vdrv_offer(&f->d, console_rxq(0), id, NULL, VDRV_BUFLEN, true);
}

/* The link's other VM is restarted: the guest hears the hang-up
 * (PORT_OPEN 0) after the bytes sent before it, then PORT_OPEN 1 when the
 * new VM's port is there; bytes from before the other end's UP (written
 * for the VM before this one) are never delivered; what the guest writes
 * while the other end is down waits for it. The test plays the other
 * monitor and the supervisor on the other end. */
static void test_link_hangup_across_restart(void **state)
{
	(void)state;
	struct fix *f = fix_make(1, 0, true, "");
	vdrv_bring_up(&f->d, FEATURES, 4);
	offer_ctl_rx(f);
	/* Bytes from before the other end's UP: for a VM before this one. */
	link_data(f, "stale");
	port0_ready(f);
	struct console_ctl_msg m;
	char name[80];
	ctl_rx(f, &m, name, sizeof(name));
	assert_int_equal(m.event, CONSOLE_PORT_NAME);
	uint32_t id, len;
	/* Not open: nobody there. */
	assert_false(vdrv_used_within(&f->d, CONSOLE_CTRL_RXQ, 100, &id, &len));
	expect_link(f, LINKMSG_UP);   /* the port is ready: the device says so */
	link_send(f, LINKMSG_UP);     /* the other monitor's */
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 1);
	expect_link(f, LINKMSG_UP);   /* the answer, for a monitor that came later */
	ctl_tx(f, 0, CONSOLE_PORT_OPEN, 1, 8);
	for (unsigned i = 0; i < 4; i++)
		vdrv_offer(&f->d, console_rxq(0), i, NULL, VDRV_BUFLEN, true);
	link_data(f, "hello");
	expect_rx(f, "hello");
	vdrv_offer(&f->d, console_txq(0), 0, "world", 5, false);
	uint8_t b[64];
	assert_int_equal(link_msg(f, b, sizeof(b)), 6);
	assert_int_equal(b[0], CONSOLE_LINK_DATA);
	assert_memory_equal(b + 1, "world", 5);
	assert_true(vdrv_used(&f->d, console_txq(0), &id, &len));

	/* The other VM ends: its last bytes, then the supervisor's DOWN. */
	link_data(f, "bye");
	link_send(f, LINKMSG_DOWN);
	expect_rx(f, "bye");
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 0);
	vdrv_offer(&f->d, console_txq(0), 1, "later", 5, false);
	assert_false(vdrv_used_within(&f->d, console_txq(0), 200, &id, &len)); /* waits */
	assert_int_equal(recv(f->peer[0], b, sizeof(b), MSG_DONTWAIT), -1);
	/* The new VM's monitor: UP, and the guest's port opens again. The
	 * answer goes at once, before this guest does anything more (the
	 * test reads it before it takes the PORT_OPEN, whose buffer would
	 * kick the device): the new VM's guest may be reading its port
	 * already, and until the answer comes it reads end of file. */
	link_send(f, LINKMSG_UP);
	expect_link(f, LINKMSG_UP);
	expect_ctl(f, 0, CONSOLE_PORT_OPEN, 1);
	assert_int_equal(link_msg(f, b, sizeof(b)), 6);
	assert_memory_equal(b + 1, "later", 5);
	link_data(f, "again");
	expect_rx(f, "again");
	stop(f);
	assert_int_equal(f->con.port[0].st.rx_stale, 5);
	assert_int_equal(f->con.port[0].st.rx_bytes, strlen("hellobyeagain"));
	fix_free(f);
}

/* A restarted VM (vmm system's `restarted`): DOWN before its first UP,
 * in case the supervisor's for the VM before it did not go. */
static void test_link_restarted(void **state)
{
	(void)state;
	struct fix *f = fix_make(1, 0, true, ",restarted");
	vdrv_bring_up(&f->d, FEATURES, 4);
	offer_ctl_rx(f);
	port0_ready(f);
	expect_link(f, LINKMSG_DOWN);
	expect_link(f, LINKMSG_UP);
	/* A driver reset: the port is gone for the other end too. */
	vdrv_mw(&f->d, 0x14, 1, 0);
	expect_link(f, LINKMSG_DOWN);
	fix_free(f);
}

static void test_options(void **state)
{
	(void)state;
	struct console_port_cfg c, p[4];
	char err[256];
	assert_int_equal(console_parse_option("name=org.example.ctl,fd=5", &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "org.example.ctl");
	assert_int_equal(c.fd, 5);
	assert_int_equal(console_parse_option("path=/tmp/s,name=a", &c, err, sizeof(err)), 0);
	assert_string_equal(c.path, "/tmp/s");
	assert_int_equal(c.fd, -1);
	static const char *const bad[] = {
		"name=a/b,fd=5", "name=,fd=5", "name=.,fd=5", "name=..,fd=5", "name=a b,fd=5",
		"name=a\tb,fd=5", "name=\x7f,fd=5", "name=a,fd=2", "name=a,fd=x", "name=a,fd=-3",
		"name=a", "fd=5", "name=a,fd=5,path=/x", "name=a,speed=9",
		"name=a,fd=5,restarted", "name=a,fd=5,link=6", "name=a,link=2",
		"name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,fd=5",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(console_parse_option(bad[i], &c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "--port"));
	}
	assert_int_equal(console_parse_option("name=a,fd=5", &p[0], err, sizeof(err)), 0);
	assert_int_equal(console_parse_option("name=b,fd=6", &p[1], err, sizeof(err)), 0);
	assert_int_equal(console_parse_option("name=c,path=/x", &p[2], err, sizeof(err)), 0);
	assert_int_equal(console_parse_option("name=d,path=/y", &p[3], err, sizeof(err)), 0);
	assert_int_equal(console_check_ports(p, 3, err, sizeof(err)), 0);
	assert_int_equal(console_check_ports(p, 4, err, sizeof(err)), -1); /* 3 at most */
	assert_int_equal(console_parse_option("name=a,fd=7", &p[1], err, sizeof(err)), 0);
	assert_int_equal(console_check_ports(p, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(console_parse_option("name=b,fd=5", &p[1], err, sizeof(err)), 0);
	assert_int_equal(console_check_ports(p, 2, err, sizeof(err)), -1);

	/* At start-up: fd= must be a stream socket, path= must connect. */
	struct guestmem gm;
	assert_int_equal(gm_init(&gm, 2u << 20), 0);
	struct bus mmio = BUS_INIT("mmio");
	struct virtio_pci_hooks h = vdrv_hooks(NULL);
	struct virtio_console *vc = calloc(1, sizeof(*vc));
	assert_non_null(vc);
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	char spec[64];
	snprintf(spec, sizeof(spec), "name=a,fd=%d", pfd[0]);
	assert_int_equal(console_parse_option(spec, &c, err, sizeof(err)), 0);
	close(pfd[1]);
	assert_int_equal(virtio_console_init(vc, &c, 1, &gm, &mmio, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a stream socket"));
	close(pfd[0]);
	assert_int_equal(console_parse_option("name=a,path=/nonexistent/s", &c, err, sizeof(err)),
			 0);
	assert_int_equal(virtio_console_init(vc, &c, 1, &gm, &mmio, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/s"));
	free(vc);
	bus_free(&mmio);
	gm_free(&gm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_discovery_and_data),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_malformed_control),
		cmocka_unit_test(test_worker_in_sandbox),
		cmocka_unit_test(test_link_hangup_across_restart),
		cmocka_unit_test(test_link_restarted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
