/*
 * vsockpeer: both ends of the lab's vsock test, one line each way. Busybox
 * has no vsock tool, so the Linux guest and the lab machine both use this
 * (static, like the monitor: the images have no matching libraries).
 *
 * In the Linux guest (AF_VSOCK, needs vmw_vsock_virtio_transport):
 *   vsockpeer listen PORT SECONDS [NAME]
 *       Listens on vsock port PORT (any CID), prints "listening PORT",
 *       accepts one connection within SECONDS, reads one line, answers
 *       "NAME got: LINE" (NAME: guest unless given) and prints
 *       "received: LINE". With NAME host, the host's side of QEMU's
 *       vhost-vsock, which is plain AF_VSOCK.
 *   vsockpeer connect CID PORT MESSAGE
 *       Connects to CID:PORT (2: the host), sends MESSAGE and a newline,
 *       prints "reply: LINE" for the line that comes back.
 *
 * On the host of the monitor, through its Unix socket (the protocol of
 * Firecracker's vsock device, which `vmm run --vsock cid=N,uds=PATH`
 * follows):
 *   vsockpeer uds-connect PATH PORT SECONDS MESSAGE
 *       Connects to PATH and writes "CONNECT PORT\n"; the monitor answers
 *       "OK HOSTPORT\n" once the guest accepted, or closes the socket when
 *       nothing listens on PORT yet: then it tries again every 200 ms for
 *       up to SECONDS. Then sends MESSAGE and a newline and prints
 *       "ok: OK-LINE" and "reply: LINE".
 *   vsockpeer uds-listen PATH SECONDS
 *       Listens on the Unix socket PATH (the monitor connects to PATH_PORT
 *       when the guest connects to the host's PORT), prints "listening
 *       PATH", accepts one connection within SECONDS, reads one line,
 *       answers "host got: LINE" and prints "received: LINE".
 *
 * Exit status 0 on success, 1 on failure (with a message on stderr), 2
 * for bad usage. Every line has the prefix "vsockpeer: ".
 */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 512

static int fail(const char *what)
{
	fprintf(stderr, "vsockpeer: %s: %s\n", what, strerror(errno));
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: vsockpeer listen PORT SECONDS [NAME] | connect CID PORT MESSAGE |"
			" uds-connect PATH PORT SECONDS MESSAGE | uds-listen PATH SECONDS\n");
	return 2;
}

/* A decimal number in [0, max], or -1. */
static long number(const char *s, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -1;
	return v;
}

/* Reads one line (without its newline) into buf; false on EOF or error
 * before a newline. One byte at a time: the peer's next bytes are not ours
 * to consume. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 1;
}

static int write_all(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		s += w;
		len -= (size_t)w;
	}
	return 1;
}

/* Accepts one connection on lfd within seconds; -1 on timeout or error. */
static int accept_within(int lfd, long seconds)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	int r = poll(&p, 1, (int)(seconds * 1000));
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r < 0)
		return -1;
	return accept(lfd, NULL, NULL);
}

/* Reads a line from c, answers "WHO got: LINE", prints "received: LINE". */
static int serve_one(int c, const char *who)
{
	char line[LINE_MAX_LEN], reply[LINE_MAX_LEN + 32];
	if (!read_line(c, line, sizeof(line))) {
		fprintf(stderr, "vsockpeer: the peer closed before a whole line\n");
		return 1;
	}
	snprintf(reply, sizeof(reply), "%s got: %s\n", who, line);
	if (!write_all(c, reply))
		return fail("write");
	printf("vsockpeer: received: %s\n", line);
	return 0;
}

static int cmd_listen(long port, long seconds, const char *name)
{
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket(AF_VSOCK)");
	struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				.svm_port = (unsigned int)port};
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("bind");
	if (listen(s, 1) < 0)
		return fail("listen");
	printf("vsockpeer: listening %ld\n", port);
	fflush(stdout);
	int c = accept_within(s, seconds);
	if (c < 0)
		return fail("accept");
	int rc = serve_one(c, name);
	close(c);
	close(s);
	return rc;
}

/* Sends message and a newline on fd, prints the line that comes back. */
static int exchange(int fd, const char *message)
{
	char line[LINE_MAX_LEN];
	if (!write_all(fd, message) || !write_all(fd, "\n"))
		return fail("write");
	if (!read_line(fd, line, sizeof(line))) {
		fprintf(stderr, "vsockpeer: no reply line\n");
		return 1;
	}
	printf("vsockpeer: reply: %s\n", line);
	return 0;
}

static int cmd_connect(long cid, long port, const char *message)
{
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket(AF_VSOCK)");
	struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_cid = (unsigned int)cid,
				.svm_port = (unsigned int)port};
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("connect");
	int rc = exchange(s, message);
	close(s);
	return rc;
}

static int unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path)) {
		fprintf(stderr, "vsockpeer: socket path too long: %s\n", path);
		return 0;
	}
	strcpy(a->sun_path, path);
	return 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_uds_connect(const char *path, long port, long seconds, const char *message)
{
	struct sockaddr_un a;
	if (!unix_addr(path, &a))
		return 1;
	double deadline = now_s() + (double)seconds;
	char req[32], line[LINE_MAX_LEN];
	snprintf(req, sizeof(req), "CONNECT %ld\n", port);
	const char *last = "no attempt";
	for (;;) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0)
			return fail("socket(AF_UNIX)");
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
			last = "the monitor's socket is not there yet";
		} else if (!write_all(s, req)) {
			last = "the monitor closed the socket before CONNECT was sent";
		} else if (!read_line(s, line, sizeof(line))) {
			last = "the monitor closed the socket after CONNECT (no guest listener yet?)";
		} else if (strncmp(line, "OK ", 3) != 0) {
			fprintf(stderr, "vsockpeer: CONNECT %ld answered '%s', want 'OK PORT'\n",
				port, line);
			close(s);
			return 1;
		} else {
			printf("vsockpeer: ok: %s\n", line);
			int rc = exchange(s, message);
			close(s);
			return rc;
		}
		close(s);
		if (now_s() > deadline) {
			fprintf(stderr, "vsockpeer: no connection to port %ld within %ld s: %s\n",
				port, seconds, last);
			return 1;
		}
		struct timespec nap = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

static int cmd_uds_listen(const char *path, long seconds)
{
	struct sockaddr_un a;
	if (!unix_addr(path, &a))
		return 1;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket(AF_UNIX)");
	unlink(path);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("bind");
	if (listen(s, 1) < 0)
		return fail("listen");
	printf("vsockpeer: listening %s\n", path);
	fflush(stdout);
	int c = accept_within(s, seconds);
	if (c < 0)
		return fail("accept");
	int rc = serve_one(c, "host");
	close(c);
	close(s);
	unlink(path);
	return rc;
}

int main(int argc, char **argv)
{
	/* Lines reach the console (or the lab's pipe) as they are printed. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "listen") == 0) {
		long port = number(argv[2], 0xffffffffL), secs = number(argv[3], 3600);
		if (port < 0 || secs < 0)
			return usage();
		return cmd_listen(port, secs, argc == 5 ? argv[4] : "guest");
	}
	if (argc == 5 && strcmp(argv[1], "connect") == 0) {
		long cid = number(argv[2], 0xffffffffL), port = number(argv[3], 0xffffffffL);
		if (cid < 0 || port < 0)
			return usage();
		return cmd_connect(cid, port, argv[4]);
	}
	if (argc == 6 && strcmp(argv[1], "uds-connect") == 0) {
		long port = number(argv[3], 0xffffffffL), secs = number(argv[4], 3600);
		if (port < 0 || secs < 0)
			return usage();
		return cmd_uds_connect(argv[2], port, secs, argv[5]);
	}
	if (argc == 4 && strcmp(argv[1], "uds-listen") == 0) {
		long secs = number(argv[3], 3600);
		if (secs < 0)
			return usage();
		return cmd_uds_listen(argv[2], secs);
	}
	return usage();
}
