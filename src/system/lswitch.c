/* lswitch: a learning switch for net links of three or more VMs (lswitch.h). */
#include "lswitch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "linkmsg.h"
#include "vmmstatus.h"

void lsw_init(struct lsw *sw, unsigned nports)
{
	if (nports < 2 || nports > LSW_PORTS_MAX)
		abort(); /* the supervisor passes 3..SD_MAX_VMS */
	memset(sw, 0, sizeof(*sw));
	sw->nports = nports;
}

void lsw_set_mac(struct lsw *sw, unsigned p, const uint8_t mac[6])
{
	if (p >= sw->nports || (mac[0] & 1))
		abort(); /* the supervisor passes a checked unicast MAC per port */
	memcpy(sw->port[p].mac, mac, 6);
	sw->port[p].has_mac = true;
}

void lsw_free(struct lsw *sw)
{
	for (unsigned p = 0; p < sw->nports; p++)
		while (sw->port[p].head)
			lsw_pop(sw, p);
}

static bool lsw_live(const struct lsw_entry *e, uint64_t now_ms)
{
	return e->used && now_ms - e->seen_ms < LSW_AGE_MS;
}

static struct lsw_entry *lsw_find(struct lsw *sw, const uint8_t mac[6])
{
	for (unsigned i = 0; i < LSW_TABLE_MAX; i++)
		if (sw->table[i].used && !memcmp(sw->table[i].mac, mac, 6))
			return &sw->table[i];
	return NULL;
}

int lsw_lookup(const struct lsw *sw, const uint8_t mac[6], uint64_t now_ms)
{
	const struct lsw_entry *e = lsw_find((struct lsw *)(uintptr_t)sw, mac);
	return e && lsw_live(e, now_ms) ? e->port : -1;
}

/* 802.1D 7.8: learn the source of every frame received, a unicast
 * address only (a group address as source is invalid). When the table is
 * full even after dropping aged entries, the address is not learnt and
 * frames to it are flooded: slower, never wrong. */
static void lsw_learn(struct lsw *sw, unsigned in, const uint8_t mac[6], uint64_t now_ms)
{
	if (mac[0] & 1)
		return;
	struct lsw_entry *e = lsw_find(sw, mac);
	if (!e) {
		for (unsigned i = 0; i < LSW_TABLE_MAX && !e; i++)
			if (!sw->table[i].used || !lsw_live(&sw->table[i], now_ms))
				e = &sw->table[i];
		if (!e) {
			sw->table_full++;
			return;
		}
		if (!e->used)
			sw->nentries++;
		memcpy(e->mac, mac, 6);
		e->used = true;
	}
	e->port = (uint16_t)in; /* a station that moved is found on its new port */
	e->seen_ms = now_ms;
}

static void lsw_enqueue(struct lsw *sw, unsigned p, const uint8_t *frame, size_t len)
{
	struct lsw_port *q = &sw->port[p];
	if (q->nq >= LSW_QUEUE_FRAMES || q->qbytes + len > LSW_QUEUE_BYTES) {
		q->st.drop_full++;
		return;
	}
	struct lsw_frame *f = malloc(sizeof(*f) + len);
	if (!f) {
		q->st.drop_full++;
		return;
	}
	f->next = NULL;
	f->len = len;
	memcpy(f->data, frame, len);
	if (q->tail)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->nq++;
	q->qbytes += len;
}

void lsw_input(struct lsw *sw, unsigned in, const uint8_t *frame, size_t len, uint64_t now_ms)
{
	struct lsw_port *ip = &sw->port[in];
	if (len == LINKMSG_LEN) {
		/* The port's VM ended: what was learnt there is stale (a
		 * restarted VM, or another, may come back anywhere). */
		ip->st.link_msgs++;
		if (frame[0] == LINKMSG_DOWN)
			for (unsigned i = 0; i < LSW_TABLE_MAX; i++)
				if (sw->table[i].used && sw->table[i].port == in) {
					sw->table[i].used = false;
					sw->nentries--;
				}
		return;
	}
	if (len < LSW_FRAME_MIN) {
		ip->st.drop_short++;
		return;
	}
	if (len > LSW_FRAME_MAX) {
		ip->st.drop_long++;
		return;
	}
	/* Before learning: a spoofed source must not move another VM's
	 * address to this port. */
	if (ip->has_mac && memcmp(frame + 6, ip->mac, 6)) {
		ip->st.drop_spoofed++;
		return;
	}
	ip->st.rx++;
	lsw_learn(sw, in, frame + 6, now_ms);
	int out = (frame[0] & 1) ? -1 : lsw_lookup(sw, frame, now_ms);
	if (out == (int)in) {
		ip->st.drop_filtered++;
		return;
	}
	if (out >= 0) {
		lsw_enqueue(sw, (unsigned)out, frame, len);
		return;
	}
	ip->st.flooded++;
	for (unsigned p = 0; p < sw->nports; p++)
		if (p != in)
			lsw_enqueue(sw, p, frame, len);
}

const struct lsw_frame *lsw_peek(const struct lsw *sw, unsigned p)
{
	return sw->port[p].head;
}

void lsw_pop(struct lsw *sw, unsigned p)
{
	struct lsw_port *q = &sw->port[p];
	struct lsw_frame *f = q->head;
	if (!f)
		return;
	q->head = f->next;
	if (!q->head)
		q->tail = NULL;
	q->nq--;
	q->qbytes -= f->len;
	free(f);
}

/* ---- the process ---------------------------------------------------------- */

static uint64_t lsw_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Sends port p's queue as far as its socket takes it (never waits). */
static void lsw_flush(struct lsw *sw, unsigned p, int fd)
{
	const struct lsw_frame *f;
	while ((f = lsw_peek(sw, p))) {
		ssize_t w = send(fd, f->data, f->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* Sent, or refused for good (the peer is gone): either way
		 * it leaves the queue. */
		if (w == (ssize_t)f->len)
			sw->port[p].st.tx++;
		lsw_pop(sw, p);
	}
}

int lsw_step(struct lsw *sw, const int *fds, int timeout_ms)
{
	static uint8_t buf[LSW_FRAME_MAX + 1];
	struct pollfd pf[LSW_PORTS_MAX];
	for (unsigned p = 0; p < sw->nports; p++)
		pf[p] = (struct pollfd){sw->port[p].gone ? -1 : fds[p],
					(short)(POLLIN | (lsw_peek(sw, p) ? POLLOUT : 0)), 0};
	int r = poll(pf, sw->nports, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	int hung = 0;
	uint64_t now = lsw_now_ms();
	for (unsigned p = 0; p < sw->nports; p++) {
		if (pf[p].revents & (POLLHUP | POLLERR | POLLNVAL))
			sw->port[p].gone = true;
		hung += sw->port[p].gone;
		if (!(pf[p].revents & POLLIN))
			continue;
		/* A bounded number per port and round: a port that sends
		 * without pause cannot starve the others. */
		for (unsigned k = 0; k < LSW_RX_BUDGET; k++) {
			ssize_t n = recv(fds[p], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
			if (n < 0)
				break;
			if (n == 0 && (pf[p].revents & POLLHUP))
				break;
			lsw_input(sw, p, buf, (size_t)n, now);
		}
	}
	for (unsigned p = 0; p < sw->nports; p++) {
		if (sw->port[p].gone)
			while (lsw_peek(sw, p))
				lsw_pop(sw, p);
		else
			lsw_flush(sw, p, fds[p]);
	}
	return hung;
}

/* The switch's system calls, once its sockets are open: each justified. */
static int lsw_sandbox(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -1;
	static const int allow[] = {
		SCMP_SYS(poll), SCMP_SYS(ppoll),       /* the loop */
		SCMP_SYS(recvfrom), SCMP_SYS(sendto),   /* frames (recv/send) */
		SCMP_SYS(clock_gettime),                /* ageing (vDSO fallback) */
		SCMP_SYS(write),                        /* messages on stderr */
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), /* malloc of queued frames */
		SCMP_SYS(madvise),                      /* free() trimming */
		SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
		SCMP_SYS(exit_group), SCMP_SYS(exit),
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]) && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc ? -1 : 0;
}

/* Exactly XX:XX:XX:XX:XX:XX, unicast. */
static bool lsw_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (unsigned i = 0; i < 6; i++) {
		unsigned v = 0;
		for (unsigned k = 0; k < 2; k++) {
			char c = s[3 * i + k];
			unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
				     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
				     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
							    : 16u;
			if (d == 16)
				return false;
			v = v * 16 + d;
		}
		if (i < 5 && s[3 * i + 2] != ':')
			return false;
		mac[i] = (uint8_t)v;
	}
	return !(mac[0] & 1);
}

int lsw_main(int argc, char **argv)
{
	/* argv: vmm switch NAME FD[,MAC] FD[,MAC] ... */
	if (argc < 5 || argc - 3 > LSW_PORTS_MAX) {
		fprintf(stderr, "vmm switch: usage: vmm switch NAME FD[,MAC] FD[,MAC] FD[,MAC]... "
			"(3 to %d ports; started by vmm system)\n", LSW_PORTS_MAX);
		return VMM_EXIT_CONFIG;
	}
	const char *name = argv[2];
	unsigned n = (unsigned)(argc - 3);
	int fds[LSW_PORTS_MAX];
	uint8_t macs[LSW_PORTS_MAX][6];
	bool has_mac[LSW_PORTS_MAX];
	for (unsigned i = 0; i < n; i++) {
		char *end;
		long v = strtol(argv[3 + i], &end, 10);
		int type = 0;
		socklen_t tl = sizeof(type);
		has_mac[i] = *end == ',';
		if (has_mac[i] && !lsw_parse_mac(end + 1, macs[i])) {
			fprintf(stderr, "vmm switch %s: port %u: %s: the MAC after the comma is not "
				"a unicast XX:XX:XX:XX:XX:XX\n", name, i, argv[3 + i]);
			return VMM_EXIT_CONFIG;
		}
		if ((*end && !has_mac[i]) || v < 3 || v > 1 << 20 ||
		    getsockopt((int)v, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
		    type != SOCK_SEQPACKET) {
			fprintf(stderr, "vmm switch %s: port %u: %s is not a SOCK_SEQPACKET socket "
				"descriptor\n", name, i, argv[3 + i]);
			return VMM_EXIT_CONFIG;
		}
		fds[i] = (int)v;
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	}
	static struct lsw sw;
	lsw_init(&sw, n);
	for (unsigned i = 0; i < n; i++)
		if (has_mac[i])
			lsw_set_mac(&sw, i, macs[i]);
	if (lsw_sandbox()) {
		fprintf(stderr, "vmm switch %s: cannot load the seccomp filter\n", name);
		return VMM_EXIT_CONFIG;
	}
	/* Until every port's peer is gone (the supervisor holds the VMs'
	 * ends, so: until it ends) or SIGTERM. */
	for (;;) {
		int hung = lsw_step(&sw, fds, -1);
		if (hung < 0 || (unsigned)hung == n)
			break;
	}
	return VMM_EXIT_OK;
}
