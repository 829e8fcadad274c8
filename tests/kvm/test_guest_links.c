/*
 * KVM tests of the benchmark guest's virtio-net and virtio-vsock drivers
 * (src/guest/vnet.c, vvsock.c) on links between VMs:
 *   - two guests under `vmm system` exchange frames over a net link
 *     (net-ping/net-pong, polling and by interrupt, net-bulk/net-sink),
 *     straight between monitors;
 *   - a guest's vsock stream to a program on the host (`vmm run --vsock`,
 *     the host side of vsock_conn.c): vsock-ping against an echo on the
 *     Unix socket PATH_PORT, vsock-pong answering a host program that
 *     connected with "CONNECT PORT", and a refused connection (RST);
 *     a checked one-way stream each way (vsock-sink, vsock-bulk) many
 *     times the receiver's buffer, so it moves on credit alone;
 *   - two guests on a vsock link, under `vmm system` and with the two
 *     monitors wired by hand (`--vsock ...,peer=CID@FD`);
 *   - net-ping goes on across net-pong's restarts (the link goes down and
 *     up, and the guest's driver handshakes again), vsock-ping across
 *     vsock-pong's (it connects again); net-bulk and vsock-bulk across
 *     their sinks' the same way;
 *   - hvbench runs net-ping and net-bulk as guest-only workloads.
 * Skipped where /dev/kvm cannot run a VM.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static char dir[64], guest[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-links-XXXXXX");
	if (!mkdtemp(dir) || !realpath(build_path("guest/benchguest.elf"), guest))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Two VMs, a and b, with these command lines and extra keys, and links;
 * a stops the system when it ends, b's policy is exit_b. */
static void run_pair_exit(const char *cmd_a, const char *cmd_b, const char *extra_a,
			  const char *extra_b, const char *exit_b, const char *links,
			  struct cmd_result *r)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/sys.cfg", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"log_dir = \"%s/logs\";\nvms = (\n"
		"  { name = \"a\"; kernel = \"%s\"; cmdline = \"%s\"; mem = \"32M\"; %s"
		" on_exit = \"stop-all\"; },\n"
		"  { name = \"b\"; kernel = \"%s\"; cmdline = \"%s\"; mem = \"32M\"; %s"
		" %s }\n);\nlinks = (%s);\n",
		dir, guest, cmd_a, extra_a, guest, cmd_b, extra_b, exit_b, links);
	fclose(f);
	const char *argv[] = {build_path("vmm"), "system", path, NULL};
	run_cmd(argv, 120, r);
	test_note("status %d\nstdout: %.3000s\nstderr: %.2000s", r->status, r->out, r->err);
}

static void run_pair(const char *cmd_a, const char *cmd_b, const char *extra_a,
		     const char *extra_b, const char *links, struct cmd_result *r)
{
	run_pair_exit(cmd_a, cmd_b, extra_a, extra_b, "on_exit = \"ignore\";", links, r);
}

#define NET_LINK "{ name = \"lan\"; type = \"net\"; between = [\"a\", \"b\"]; }"

static void net_ping_pong(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_pair("run net-ping loops=300", "run net-pong loops=300", "", "", NET_LINK, &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "[a] RESULT {\"benchmark\":\"net-ping\""));
	assert_non_null(strstr(r.out, "\"check\":300"));
	assert_non_null(strstr(r.out, "[b] PONG echoed 300 frames"));
	cmd_result_free(&r);
}

/* The same with each frame taken by its MSI-X interrupt on both sides. */
static void net_ping_pong_irq(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_pair("run net-ping loops=200 wait=irq", "run net-pong loops=200 wait=irq", "", "",
		 NET_LINK, &r);
	assert_int_equal(r.status, 0);
	const char *res = strstr(r.out, "[a] RESULT {\"benchmark\":\"net-ping\"");
	assert_non_null(res);
	assert_non_null(strstr(res, "\"virtio_irq\":1"));
	const char *n = strstr(res, "\"interrupts\":");
	assert_non_null(n);
	/* A reply already in the ring when ping looks is taken without
	 * waiting, which a loaded host makes common: so not one wait per
	 * frame, but some (polling would count none). */
	assert_true(strtol(n + 13, NULL, 10) > 0);
	assert_non_null(strstr(r.out, "[b] PONG echoed 200 frames"));
	cmd_result_free(&r);
}

/* Full frames one way; the sender learns from the sink how many came. */
static void net_bulk(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_pair("run net-bulk loops=2000", "run net-sink", "", "", NET_LINK, &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	const char *res = strstr(r.out, "[a] RESULT {\"benchmark\":\"net-bulk\"");
	assert_non_null(res);
	const char *got = strstr(res, "\"frames_received\":");
	assert_non_null(got);
	long n = strtol(got + 18, NULL, 10);
	assert_true(n > 0 && n <= 2000);
	assert_non_null(strstr(res, "\"frame_bytes\":1514"));
	cmd_result_free(&r);
}

/* VM a's ping (bench) ended with all 300 round trips checked after
 * handshaking again at least twice, and VM b's pong said pong_line at least
 * 3 times: the ping went on across b's restarts. */
static void assert_ping_survived_restarts(const struct cmd_result *r, const char *bench,
					  const char *pong_line)
{
	char want[96];
	snprintf(want, sizeof(want), "[a] RESULT {\"benchmark\":\"%s\"", bench);
	const char *res = strstr(r->out, want);
	assert_non_null(res);
	assert_non_null(strstr(res, "\"check\":300"));
	const char *rs = strstr(res, "\"resyncs\":");
	assert_non_null(rs);
	assert_true(strtol(rs + strlen("\"resyncs\":"), NULL, 10) >= 2);
	unsigned pongs = 0;
	for (const char *p = r->out; (p = strstr(p, pong_line)); p++)
		pongs++;
	assert_true(pongs >= 3);
}

/* net-pong echoes 100 frames and ends, and is restarted (3 times): each
 * time net-ping's link goes down and up, and net-ping handshakes again
 * with the new net-pong and goes on where it was, 300 round trips in all
 * (before, it failed with "no reply from net-pong" at the first restart). */
static void net_ping_follows_pong_restart(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_pair_exit("run net-ping loops=300", "run net-pong loops=100", "", "",
		      "on_exit = \"restart\"; restarts = 3;", NET_LINK, &r);
	assert_false(r.timed_out);
	assert_ping_survived_restarts(&r, "net-ping", "[b] PONG echoed 100 frames");
	assert_non_null(strstr(r.err, "restarting VM b (2 of 3)"));
	cmd_result_free(&r);
}

/* net-sink takes 200 frames, says so and ends, and is restarted (up to
 * 70 times): net-bulk sees the DONE in the middle of its stream (or the
 * link go down), handshakes again with the new net-sink and sends the
 * rest, 20000 frames in all. A sink gets only part of what is sent (the
 * sender outruns it and its socket drops the rest), so how many sinks
 * there are depends on the host's speed (3 to 16 in five runs here); what it reports received is the sum of the sinks'
 * DONEs. (Before, net-sink took no loops= and net-bulk never handshook
 * again.) */
static void net_bulk_follows_sink_restart(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	run_pair_exit("run net-bulk loops=20000", "run net-sink loops=200", "", "",
		      "on_exit = \"restart\"; restarts = 70;", NET_LINK, &r);
	assert_false(r.timed_out);
	const char *res = strstr(r.out, "[a] RESULT {\"benchmark\":\"net-bulk\"");
	assert_non_null(res);
	const char *rs = strstr(res, "\"resyncs\":");
	assert_non_null(rs);
	assert_true(strtol(rs + strlen("\"resyncs\":"), NULL, 10) >= 1);
	const char *got = strstr(res, "\"frames_received\":");
	assert_non_null(got);
	long n = strtol(got + strlen("\"frames_received\":"), NULL, 10);
	assert_true(n >= 200 && n <= 20000); /* the first sink's 200, at least */
	unsigned sinks = 0;
	for (const char *p = r.out; (p = strstr(p, "[b] SINK received 200 frames")); p++)
		sinks++;
	assert_true(sinks >= 2);
	cmd_result_free(&r);
}

/* Without a net link the guest has no virtio-net function, and says so. */
static void net_missing_device(void **state)
{
	(void)state;
	REQUIRE_KVM();
	const char *argv[] = {build_path("vmm"), "run", "--kernel", guest, "--cmdline",
			      "run net-ping", NULL};
	struct cmd_result r;
	run_cmd(argv, 60, &r);
	test_note("status %d\n%.1000s", r.status, r.out);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "no virtio-net function"));
	cmd_result_free(&r);
}

/* ---- vsock to the host ---- */

/* A Unix listener at path; returns its fd. */
static int uds_listen(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	assert_true(strlen(path) < sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path) + 1);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

struct echo {
	int lfd;
	long bytes; /* echoed */
};

/* Accepts one connection (within 30 s) and echoes it until EOF. */
static void *echo_thread(void *p)
{
	struct echo *e = p;
	struct pollfd pf = {e->lfd, POLLIN, 0};
	if (poll(&pf, 1, 30000) != 1)
		return NULL;
	int c = accept(e->lfd, NULL, NULL);
	if (c < 0)
		return NULL;
	char buf[4096];
	for (;;) {
		pf = (struct pollfd){c, POLLIN, 0};
		if (poll(&pf, 1, 10000) != 1)
			break;
		ssize_t n = read(c, buf, sizeof(buf));
		if (n <= 0 || write(c, buf, (size_t)n) != n)
			break;
		e->bytes += n;
	}
	close(c);
	return NULL;
}

static void vmm_vsock(const char *cmd, struct cmd_result *r)
{
	char opt[160];
	snprintf(opt, sizeof(opt), "cid=3,uds=%s/v.sock", dir);
	const char *argv[] = {build_path("vmm"), "run", "--kernel", guest, "--mem", "32M",
			      "--vsock", opt, "--cmdline", cmd, NULL};
	run_cmd(argv, 60, r);
	test_note("%s -> status %d\nstdout: %.2000s\nstderr: %.1000s", cmd, r->status, r->out,
		  r->err);
}

/* The guest runs cmd against an echo on the host's port 5000 (vmm:
 * PATH_5000); returns the bytes echoed. */
static long vsock_against_echo(const char *cmd, struct cmd_result *r)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/v.sock_5000", dir);
	struct echo e = {uds_listen(path), 0};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, echo_thread, &e), 0);
	vmm_vsock(cmd, r);
	pthread_join(t, NULL);
	close(e.lfd);
	return e.bytes;
}

/* The guest connects to the host's port 5000, sends 1-byte messages and
 * checks each echo. */
static void vsock_ping_host(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	long echoed = vsock_against_echo("run vsock-ping loops=300 cid=2 port=5000", &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 1); /* debug-exit 0 */
	assert_non_null(strstr(r.out, "RESULT {\"benchmark\":\"vsock-ping\""));
	assert_non_null(strstr(r.out, "\"check\":300"));
	assert_non_null(strstr(r.out, "\"guest_cid\":3"));
	assert_int_equal(echoed, 300);
	cmd_result_free(&r);
}

/* 4 KiB messages, each more than one packet (a 4 KiB receive slot holds
 * the header and 4052 bytes): 800 KiB in all, far past both sides' 64 KiB
 * and 256 KiB buffers, so the stream lives on the credit (buf_alloc,
 * fwd_cnt) the headers carry and the receive rings wrap many times. */
static void vsock_ping_credit(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	long echoed = vsock_against_echo("run vsock-ping loops=200 size=4096 cid=2 port=5000", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\"msg_bytes\":4096"));
	assert_int_equal(echoed, 200 * 4096);
	cmd_result_free(&r);
}

/* Nobody listens on the host's port: the monitor answers RST and the
 * guest reports the refusal (after its one-second wait). */
static void vsock_refused(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct cmd_result r;
	vmm_vsock("run vsock-ping cid=2 port=5999 wait_s=1", &r);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "FAIL"));
	assert_non_null(strstr(r.out, "refused"));
	cmd_result_free(&r);
}

/* "CONNECT PORT\n" to the monitor's socket, until the guest listens. */
static int uds_connect_port(const char *path, unsigned port)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		if (strlen(path) >= sizeof(a.sun_path))
			fail();
		memcpy(a.sun_path, path, strlen(path) + 1);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			char line[64];
			int n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
			size_t k = 0;
			if (write(fd, line, (size_t)n) == n) {
				while (k + 1 < sizeof(line) && read(fd, line + k, 1) == 1)
					if (line[k++] == '\n')
						break;
			}
			if (k >= 3 && !strncmp(line, "OK ", 3))
				return fd;
		}
		if (fd >= 0)
			close(fd);
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	return -1;
}

struct pong_run {
	char cmd[96];
	struct cmd_result r;
};

static void *pong_thread(void *p)
{
	struct pong_run *pr = p;
	vmm_vsock(pr->cmd, &pr->r);
	return NULL;
}

/* Starts the guest (pr->cmd, a vsock server on `port`) on a thread and
 * connects to it as a host program; the fd, or -1. */
static int guest_server(struct pong_run *pr, pthread_t *t, unsigned port)
{
	assert_int_equal(pthread_create(t, NULL, pong_thread, pr), 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/v.sock", dir);
	return uds_connect_port(path, port);
}

/* A host program connects to the guest's port 6000 and gets its bytes
 * back, one at a time. */
static void vsock_pong_host(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct pong_run pr = {.cmd = "run vsock-pong loops=100 port=6000"};
	pthread_t t;
	int fd = guest_server(&pr, &t, 6000);
	int echoed = 0;
	if (fd >= 0) {
		for (int i = 0; i < 100; i++) {
			char c = (char)i, d = 0;
			struct pollfd pf = {fd, POLLIN, 0};
			if (write(fd, &c, 1) != 1 || poll(&pf, 1, 5000) != 1 || read(fd, &d, 1) != 1 ||
			    d != c)
				break;
			echoed++;
		}
		close(fd);
	}
	pthread_join(t, NULL);
	assert_true(fd >= 0);
	assert_int_equal(echoed, 100);
	assert_int_equal(pr.r.status, 1);
	assert_non_null(strstr(pr.r.out, "PONG echoed 100 bytes, cid 3"));
	cmd_result_free(&pr.r);
}

/* The stream's bytes (src/guest/vvsock.c bulk_byte). */
static uint8_t bulk_byte(uint64_t off)
{
	return (uint8_t)(((uint32_t)off * 2654435761u) >> 24);
}

#define SINK_TOTAL (1u << 20)

/* A host program streams 1 MiB into the guest's vsock-sink and shuts its
 * side: 16 times the 64 KiB the guest offers (buf_alloc), so the stream
 * moves only on the guest's CREDIT_UPDATEs; the guest checks every byte. */
static void vsock_sink_host(void **state)
{
	(void)state;
	REQUIRE_KVM();
	struct pong_run pr;
	memset(&pr, 0, sizeof(pr));
	snprintf(pr.cmd, sizeof(pr.cmd), "run vsock-sink port=6001 total=%u", SINK_TOTAL);
	pthread_t t;
	int fd = guest_server(&pr, &t, 6001);
	static uint8_t data[SINK_TOTAL];
	for (uint32_t i = 0; i < SINK_TOTAL; i++)
		data[i] = bulk_byte(i);
	size_t done = 0;
	while (fd >= 0 && done < SINK_TOTAL) {
		ssize_t n = write(fd, data + done, SINK_TOTAL - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (fd >= 0) {
		shutdown(fd, SHUT_WR);
		char c;
		struct pollfd pf = {fd, POLLIN, 0};
		if (poll(&pf, 1, 20000) == 1) /* the guest's end: EOF */
			(void)!read(fd, &c, 1);
		close(fd);
	}
	pthread_join(t, NULL);
	assert_true(fd >= 0);
	assert_int_equal(done, SINK_TOTAL);
	assert_int_equal(pr.r.status, 1);
	const char *line = strstr(pr.r.out, "SINK received 1048576 bytes in order, credit updates ");
	assert_non_null(line);
	assert_true(strtol(line + 53, NULL, 10) >= 8);
	cmd_result_free(&pr.r);
}

struct slow_reader {
	int lfd;
	size_t bytes;
	int in_order;
};

/* Accepts one connection, waits 300 ms before its first read (so the
 * monitor's buffer for it fills and the guest runs out of credit), then
 * reads to EOF checking the bytes. */
static void *slow_reader_thread(void *p)
{
	struct slow_reader *s = p;
	struct pollfd pf = {s->lfd, POLLIN, 0};
	s->in_order = 1;
	if (poll(&pf, 1, 30000) != 1)
		return NULL;
	int c = accept(s->lfd, NULL, NULL);
	if (c < 0)
		return NULL;
	struct timespec ts = {0, 300000000};
	nanosleep(&ts, NULL);
	static uint8_t buf[65536];
	for (;;) {
		pf = (struct pollfd){c, POLLIN, 0};
		if (poll(&pf, 1, 10000) != 1)
			break;
		ssize_t n = read(c, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != bulk_byte(s->bytes + (size_t)i))
				s->in_order = 0;
		s->bytes += (size_t)n;
	}
	close(c);
	return NULL;
}

/* The guest's vsock-bulk sends 2 MiB to a slow reader on the host: it
 * must wait for credit (the monitor buffers 256 KiB a connection) and
 * still deliver every byte in order. */
static void vsock_bulk_host(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char path[128];
	snprintf(path, sizeof(path), "%s/v.sock_6002", dir);
	struct slow_reader sr = {uds_listen(path), 0, 0};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, slow_reader_thread, &sr), 0);
	struct cmd_result r;
	vmm_vsock("run vsock-bulk cid=2 port=6002 total=2M", &r);
	pthread_join(t, NULL);
	close(sr.lfd);
	assert_int_equal(r.status, 1);
	const char *res = strstr(r.out, "RESULT {\"benchmark\":\"vsock-bulk\"");
	assert_non_null(res);
	const char *w = strstr(res, "\"credit_waits\":");
	assert_non_null(w);
	assert_true(strtol(w + 15, NULL, 10) > 0);
	assert_int_equal(sr.bytes, 2u << 20);
	assert_true(sr.in_order);
	cmd_result_free(&r);
}

/* The vsock devices of VMs a (CID 3) and b (CID 4), each with its own
 * socket in the test's folder. */
static void vsock_pair_devices(char *va, char *vb, size_t size)
{
	snprintf(va, size, "vsock = { cid = 3; uds = \"%s/a.sock\"; };", dir);
	snprintf(vb, size, "vsock = { cid = 4; uds = \"%s/b.sock\"; };", dir);
}

/* Two guests on a vsock link: vsock-ping in a (CID 3) to vsock-pong in b
 * (CID 4). */
static void vsock_between_vms(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char va[160], vb[160];
	vsock_pair_devices(va, vb, sizeof(va));
	struct cmd_result r;
	run_pair("run vsock-ping loops=300 cid=4 port=5000", "run vsock-pong loops=300 port=5000",
		 va, vb, "{ type = \"vsock\"; between = [\"a\", \"b\"]; }", &r);
	assert_false(r.timed_out);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "[a] RESULT {\"benchmark\":\"vsock-ping\""));
	assert_non_null(strstr(r.out, "\"peer_cid\":4"));
	assert_non_null(strstr(r.out, "[b] PONG echoed 300 bytes, cid 4"));
	cmd_result_free(&r);
}

/* The same pair with the monitors wired by hand, as vmm system wires
 * them: a SOCK_SEQPACKET socketpair, an end to each `vmm run --vsock
 * cid=N,uds=PATH,peer=CID@FD`. */
struct vm_run {
	char vsock[160], cmd[96];
	struct cmd_result r;
};

static void *vm_thread(void *p)
{
	struct vm_run *v = p;
	const char *argv[] = {build_path("vmm"), "run", "--kernel", guest, "--mem", "32M",
			      "--vsock", v->vsock, "--cmdline", v->cmd, NULL};
	run_cmd(argv, 60, &v->r);
	test_note("%s -> status %d\nstdout: %.2000s\nstderr: %.1000s", v->cmd, v->r.status,
		  v->r.out, v->r.err);
	return NULL;
}

/* a (CID 3) runs cmd_a and b (CID 4) cmd_b, each `vmm run` with the
 * other as its one vsock peer over a socketpair of the test's. */
static void direct_pair(struct vm_run *a, struct vm_run *b, const char *cmd_a, const char *cmd_b)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	snprintf(a->vsock, sizeof(a->vsock), "cid=3,uds=%s/a.sock,peer=4@%d", dir, sv[0]);
	snprintf(b->vsock, sizeof(b->vsock), "cid=4,uds=%s/b.sock,peer=3@%d", dir, sv[1]);
	snprintf(a->cmd, sizeof(a->cmd), "%s", cmd_a);
	snprintf(b->cmd, sizeof(b->cmd), "%s", cmd_b);
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&tb, NULL, vm_thread, b), 0);
	assert_int_equal(pthread_create(&ta, NULL, vm_thread, a), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	close(sv[0]);
	close(sv[1]);
}

static void vsock_between_vms_direct(void **state)
{
	(void)state;
	REQUIRE_KVM();
	static struct vm_run a, b;
	direct_pair(&a, &b, "run vsock-ping loops=300 cid=4 port=5000",
		    "run vsock-pong loops=300 port=5000");
	assert_int_equal(a.r.status, 1);
	assert_int_equal(b.r.status, 1);
	assert_non_null(strstr(a.r.out, "RESULT {\"benchmark\":\"vsock-ping\""));
	assert_non_null(strstr(a.r.out, "\"peer_cid\":4"));
	assert_non_null(strstr(b.r.out, "PONG echoed 300 bytes, cid 4"));
	cmd_result_free(&a.r);
	cmd_result_free(&b.r);

	/* Then 4 MiB one way, 64 times the sink's buffer: on credit alone. */
	direct_pair(&a, &b, "run vsock-bulk total=4M cid=4 port=5001",
		    "run vsock-sink total=4M port=5001");
	assert_int_equal(a.r.status, 1);
	assert_int_equal(b.r.status, 1);
	assert_non_null(strstr(a.r.out, "RESULT {\"benchmark\":\"vsock-bulk\""));
	assert_non_null(strstr(b.r.out, "SINK received 4194304 bytes in order"));
	cmd_result_free(&a.r);
	cmd_result_free(&b.r);
}

/* vsock-pong echoes 100 bytes and ends, and is restarted (3 times): each
 * time vsock-ping's stream ends (the old pong's close, or the RST for a
 * peer that went down), and it connects again to the new vsock-pong and
 * goes on, 300 round trips in all (before, it failed with "the vsock
 * stream stopped" at the first restart). */
static void vsock_ping_follows_pong_restart(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char va[160], vb[160];
	vsock_pair_devices(va, vb, sizeof(va));
	struct cmd_result r;
	run_pair_exit("run vsock-ping loops=300 cid=4 port=5000",
		      "run vsock-pong loops=100 port=5000", va, vb,
		      "on_exit = \"restart\"; restarts = 3;",
		      "{ type = \"vsock\"; between = [\"a\", \"b\"]; }", &r);
	assert_false(r.timed_out);
	assert_ping_survived_restarts(&r, "vsock-ping", "[b] PONG echoed 100 bytes");
	cmd_result_free(&r);
}

/* vsock-sink takes 1 MiB, checks it and ends the stream, and is
 * restarted (3 times): each time vsock-bulk's stream ends under it, and
 * it connects again to the new vsock-sink and sends what the old one had
 * not consumed as a new stream, 3 MiB in all (before, it failed with
 * "the vsock stream stopped" when the first sink ended). */
static void vsock_bulk_follows_sink_restart(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char va[160], vb[160];
	vsock_pair_devices(va, vb, sizeof(va));
	struct cmd_result r;
	run_pair_exit("run vsock-bulk total=3M cid=4 port=5001",
		      "run vsock-sink total=1M port=5001", va, vb,
		      "on_exit = \"restart\"; restarts = 3;",
		      "{ type = \"vsock\"; between = [\"a\", \"b\"]; }", &r);
	assert_false(r.timed_out);
	const char *res = strstr(r.out, "[a] RESULT {\"benchmark\":\"vsock-bulk\"");
	assert_non_null(res);
	assert_non_null(strstr(res, "\"check\":3145728"));
	const char *rs = strstr(res, "\"resyncs\":");
	assert_non_null(rs);
	assert_true(strtol(rs + strlen("\"resyncs\":"), NULL, 10) >= 2);
	unsigned sinks = 0;
	for (const char *p = r.out; (p = strstr(p, "[b] SINK received 1048576 bytes in order"));
	     p++)
		sinks++;
	assert_true(sinks >= 3);
	cmd_result_free(&r);
}

/* hvbench runs the net workloads as guest-only two-VM workloads. */
static void hvbench_net_workloads(void **state)
{
	(void)state;
	REQUIRE_KVM();
	char out[128], cmd[512];
	snprintf(out, sizeof(out), "%s/hvb", dir);
	const char *argv[] = {build_path("hvbench"), "run", "--bench", "net-ping,net-bulk",
			      "--reps", "1", "--out", out, NULL};
	struct cmd_result r;
	run_cmd(argv, 300, &r);
	test_note("status %d\n%.1500s\n%.1500s", r.status, r.out, r.err);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c \"import json,sys; d=json.load(open('%s/results.json'));"
		 " r={x['benchmark']:x for x in d['results']};"
		 " p=r['net-ping']; b=r['net-bulk'];"
		 " assert p['native'] is None and p['virt']['samples'] and p['metric']=='rtt_avg';"
		 " assert b['native'] is None and b['virt']['samples'] and b['unit']=='B/s'\"",
		 out);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	/* A guest that stops reading closes its stream: a write then fails
	 * with EPIPE (and the test says so) instead of killing the test. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(net_ping_pong),
		cmocka_unit_test(net_ping_pong_irq),
		cmocka_unit_test(net_bulk),
		cmocka_unit_test(net_ping_follows_pong_restart),
		cmocka_unit_test(net_bulk_follows_sink_restart),
		cmocka_unit_test(net_missing_device),
		cmocka_unit_test(vsock_ping_host),
		cmocka_unit_test(vsock_ping_credit),
		cmocka_unit_test(vsock_refused),
		cmocka_unit_test(vsock_pong_host),
		cmocka_unit_test(vsock_sink_host),
		cmocka_unit_test(vsock_bulk_host),
		cmocka_unit_test(vsock_between_vms),
		cmocka_unit_test(vsock_between_vms_direct),
		cmocka_unit_test(vsock_ping_follows_pong_restart),
		cmocka_unit_test(vsock_bulk_follows_sink_restart),
		cmocka_unit_test(hvbench_net_workloads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
