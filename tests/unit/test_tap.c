/*
 * test_tap: opening a TAP for virtio-net, its error messages, the offload
 * probe and the 12-byte header on real frames.
 *
 * Everything happens in a network namespace this test makes for itself
 * (unshare(CLONE_NEWNET)): the TAP, its address 192.0.2.1/24 (TEST-NET-1)
 * and the ARP exchange never touch the machine's own interfaces. Without
 * the privilege to make one the tests skip with the reason.
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
#include <sys/wait.h>
#include <unistd.h>

#include "net_hdr.h"
#include "tap.h"

#define TAPNAME "vt0"
static char netns_why[160]; /* empty when the namespace and TAP are ready */

#define REQUIRE_NETNS()                                   \
	do {                                              \
		if (netns_why[0])                         \
			skip_because("%s", netns_why);    \
	} while (0)

/* Makes a persistent TAP in our namespace, up, with 192.0.2.1/24. */
static void netns_setup(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(netns_why, sizeof(netns_why),
			 "cannot make a network namespace: unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(netns_why, sizeof(netns_why), "no /dev/net/tun: %s", strerror(errno));
		return;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAPNAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		snprintf(netns_why, sizeof(netns_why), "cannot make a TAP: %s", strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAPNAME);
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

static void open_ok(struct tap *t)
{
	char err[256] = "";
	int r = tap_open(t, TAPNAME, err, sizeof(err));
	if (r)
		fail_msg("tap_open: %s", err);
}

static void test_open_and_probe(void **state)
{
	(void)state;
	REQUIRE_NETNS();
	struct tap t;
	open_ok(&t);
	assert_true(t.fd >= 0);
	assert_string_equal(t.name, TAPNAME);
	assert_true(fcntl(t.fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(t.fd, F_GETFD) & FD_CLOEXEC);
	/* Every kernel since 2.6.27 takes partial checksums and TSO. */
	assert_true(t.offloads & TUN_F_CSUM);
	assert_true(t.offloads & TUN_F_TSO4);
	/* The probe leaves no offload set. */
	int vhdr = 0;
	assert_int_equal(ioctl(t.fd, TUNGETVNETHDRSZ, &vhdr), 0);
	assert_int_equal(vhdr, TAP_VNET_HDR_LEN);
	/* What the device offers follows from what the TAP took. */
	uint64_t f = net_hdr_offered(t.offloads);
	assert_true(f & NET_BIT(NET_F_GUEST_CSUM));
	assert_true(f & NET_BIT(NET_F_GUEST_TSO4));
	assert_int_equal(tap_set_offloads(&t, TUN_F_CSUM | TUN_F_TSO4), 0);
	assert_int_equal(tap_set_offloads(&t, 0x8000), -1);
	assert_int_equal(errno, EINVAL);
	tap_close(&t);
	assert_int_equal(t.fd, -1);
}

static void expect_error(const char *name, const char *what)
{
	struct tap t;
	char err[256] = "";
	assert_int_equal(tap_open(&t, name, err, sizeof(err)), -1);
	assert_int_equal(t.fd, -1);
	char opt[64];
	snprintf(opt, sizeof(opt), "--net tap=%s:", name);
	if (!strstr(err, opt) || !strstr(err, what))
		fail_msg("for %s expected \"%s\" ... \"%s\", got \"%s\"", name, opt, what, err);
}

static void test_errors(void **state)
{
	(void)state;
	REQUIRE_NETNS();
	expect_error("nosuch0", "no such interface");
	/* ... and asking did not create it. */
	assert_int_equal(if_nametoindex("nosuch0"), 0);
	expect_error("lo", "not a single-queue TAP");
	expect_error("averyveryverylongname", "1 to 15 characters");
	expect_error("", "1 to 15 characters");
	struct tap t;
	open_ok(&t);
	expect_error(TAPNAME, "in use by another process");
	tap_close(&t);
}

/* Without privilege: /dev/net/tun is root-only here, or the TAP belongs
 * to root; either way the message says permission. */
static void test_no_permission(void **state)
{
	(void)state;
	REQUIRE_NETNS();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		struct tap t;
		char err[256] = "";
		if (tap_open(&t, TAPNAME, err, sizeof(err)) != -1)
			_exit(4);
		if (!strstr(err, "--net tap=" TAPNAME ": no permission"))
			_exit(5);
		_exit(0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
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

/* An ARP request for 192.0.2.1 written with a zero header comes back as
 * an ARP reply behind a 12-byte header: the header size is the one the
 * device model expects, both ways. */
static void test_frames_carry_12_byte_header(void **state)
{
	(void)state;
	REQUIRE_NETNS();
	struct tap t;
	open_ok(&t);
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	uint8_t pkt[TAP_VNET_HDR_LEN + 42];
	wait_running(TAPNAME);
	memset(pkt, 0, sizeof(pkt));
	uint8_t *e = pkt + TAP_VNET_HDR_LEN;
	memset(e, 0xff, 6);
	memcpy(e + 6, mac, 6);
	e[12] = 0x08, e[13] = 0x06; /* ARP */
	uint8_t *a = e + 14;
	a[1] = 1;                 /* Ethernet */
	a[2] = 0x08;              /* IPv4 */
	a[4] = 6, a[5] = 4, a[7] = 1; /* request */
	memcpy(a + 8, mac, 6);
	inet_pton(AF_INET, "192.0.2.2", a + 14);
	inet_pton(AF_INET, "192.0.2.1", a + 24);
	uint8_t in[2048];
	/* The kernel drops now and then a frame it sends right after the TAP
	 * is attached: ask again, a few times, until it answers. */
	for (int tries = 0; tries < 100; tries++) {
		if (tries % 20 == 0)
			assert_int_equal(write(t.fd, pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
		struct pollfd p = {.fd = t.fd, .events = POLLIN};
		if (poll(&p, 1, 300) != 1) {
			tries += 19 - tries % 20;
			continue;
		}
		ssize_t n = read(t.fd, in, sizeof(in));
		assert_true(n > TAP_VNET_HDR_LEN + 14);
		const uint8_t *f = in + TAP_VNET_HDR_LEN;
		if (f[12] != 0x08 || f[13] != 0x06)
			continue; /* IPv6 router solicitations and the like */
		assert_memory_equal(f, mac, 6);
		assert_int_equal(f[14 + 7], 2); /* reply */
		struct net_hdr h;
		memcpy(&h, in, sizeof(h));
		assert_int_equal(h.gso_type, NET_HDR_GSO_NONE);
		assert_int_equal(net_hdr_rx(&h, (size_t)n - TAP_VNET_HDR_LEN, 0, 1), NET_HDR_OK);
		tap_close(&t);
		return;
	}
	fail_msg("no ARP reply from 192.0.2.1");
}

int main(void)
{
	netns_setup();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_probe),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_permission),
		cmocka_unit_test(test_frames_carry_12_byte_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
