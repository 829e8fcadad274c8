/*
 * console: the multiport virtio console on host stream sockets (virtio
 * 1.2, 5.3). See virtio_console.h for the data path; the control protocol is
 * console_ctl.c.
 */
#include "virtio_console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the option ---------------------------------------------------------- */

int console_parse_option(const char *s, struct console_port_cfg *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	bool have_name = false, have_fd = false, have_path = false;
	const char *p = s;
	while (*p) {
		/* A comma ends every value: a name or path cannot hold one. */
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len >= 5 && !strncmp(p, "name=", 5)) {
			if (!console_name_ok(p + 5, len - 5)) {
				snprintf(err, errlen,
					 "--port %s: the name is 1 to %u printable characters, no "
					 "space or '/', not . or .. (it becomes /dev/virtio-ports/NAME)",
					 s, CONSOLE_NAME_MAX);
				return -1;
			}
			memcpy(c->name, p + 5, len - 5);
			c->name[len - 5] = 0;
			have_name = true;
		} else if ((len > 3 && !strncmp(p, "fd=", 3)) ||
			   (len > 5 && !strncmp(p, "link=", 5))) {
			size_t k = p[0] == 'f' ? 3 : 5;
			long v = 0;
			bool ok = len - k <= 5 && !have_fd;
			for (size_t i = k; ok && i < len; i++) {
				ok = p[i] >= '0' && p[i] <= '9';
				v = v * 10 + (p[i] - '0');
			}
			if (!ok || v < 3 || v > 65535) {
				snprintf(err, errlen, "--port %s: one fd= or link=, a descriptor number "
					 "above 2", s);
				return -1;
			}
			c->fd = (int)v;
			c->link = k == 5;
			have_fd = true;
		} else if (len == 9 && !strncmp(p, "restarted", 9)) {
			c->restarted = true;
		} else if (len > 5 && !strncmp(p, "path=", 5)) {
			if (len - 5 > CONSOLE_PATH_MAX) {
				snprintf(err, errlen,
					 "--port %s: the path is longer than %zu characters (a Unix "
					 "socket address)",
					 s, CONSOLE_PATH_MAX);
				return -1;
			}
			memcpy(c->path, p + 5, len - 5);
			c->path[len - 5] = 0;
			have_path = true;
		} else {
			snprintf(err, errlen,
				 "--port %s: unknown key in \"%.*s\" (name=NAME,fd=N, "
				 "name=NAME,link=N[,restarted] or name=NAME,path=PATH)",
				 s, (int)len, p);
			return -1;
		}
		p = end ? end + 1 : p + len;
	}
	if (!have_name || have_fd == have_path) {
		snprintf(err, errlen, "--port %s: wants name=NAME and one of fd=N, link=N or "
			 "path=PATH", s);
		return -1;
	}
	if (c->restarted && !c->link) {
		snprintf(err, errlen, "--port %s: restarted is for a link=N only", s);
		return -1;
	}
	return 0;
}

int console_check_ports(const struct console_port_cfg *p, unsigned n, char *err,
			size_t errlen)
{
	if (n > CONSOLE_MAX_PORTS) {
		snprintf(err, errlen, "--port: at most %u per VM", CONSOLE_MAX_PORTS);
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < i; j++) {
			if (!strcmp(p[i].name, p[j].name)) {
				snprintf(err, errlen, "--port name=%s: given twice", p[i].name);
				return -1;
			}
			if (p[i].fd >= 0 && p[i].fd == p[j].fd) {
				snprintf(err, errlen, "--port fd=%d: used by ports %s and %s",
					 p[i].fd, p[j].name, p[i].name);
				return -1;
			}
		}
	return 0;
}

/* ---- configuration space (5.3.4) ---------------------------------------- */

static void console_config_read(void *dev, unsigned off, uint8_t *buf, unsigned len)
{
	const struct virtio_console *c = dev;
	uint8_t cfg[CONSOLE_CONFIG_LEN] = {0};
	uint32_t n = c->nports; /* max_nr_ports, le32 like the host */
	memcpy(cfg + 4, &n, 4);  /* cols, rows (F_SIZE) and emerg_wr stay 0 */
	memcpy(buf, cfg + off, len); /* the transport keeps off + len in bounds */
}

/* ---- the ports ------------------------------------------------------------ */

static bool console_multiport(struct virtio_console *c)
{
	return virtio_pci_features(&c->vp) & (1ull << CONSOLE_F_MULTIPORT);
}

/* Whether the driver knows port i (multiport: it answered PORT_READY 1;
 * otherwise only port 0 exists), and whether a guest program has it open. */
static bool port_active(struct virtio_console *c, bool multi, unsigned i)
{
	return multi ? c->ctl.port[i].ready : i == 0;
}

static bool port_guest_open(struct virtio_console *c, bool multi, unsigned i)
{
	return multi ? c->ctl.port[i].ready && c->ctl.port[i].guest_open : i == 0;
}

/* The host side hung up: the guest is told (PORT_OPEN 0), the socket is
 * no longer watched, and what the guest still sends is dropped. */
static void port_hangup(struct virtio_console *c, unsigned i)
{
	struct console_port *p = &c->port[i];
	if (p->host_gone)
		return;
	p->host_gone = true;
	p->tx_full = false;
	console_ctl_host_open(&c->ctl, i, false);
}

/* Whether port p holds a transmit chain, popping the next one of queue q
 * (from its start) when it holds none. */
static bool hold_tx_chain(struct virtio_console *c, struct console_port *p, unsigned q)
{
	if (!p->have_txc) {
		if (virtio_pci_pop(&c->vp, q, &p->txc) <= 0)
			return false;
		p->have_txc = true;
		p->txoff = 0;
	}
	return true;
}

/* Guest to host: send from the held chain, then from more chains, until
 * the socket is full or the queue is empty. */
static void port_tx(struct virtio_console *c, unsigned i)
{
	struct console_port *p = &c->port[i];
	unsigned q = console_txq(i);
	for (unsigned budget = 0; budget < CONSOLE_QUEUE_SIZE; budget++) {
		if (!hold_tx_chain(c, p, q))
			return;
		/* The readable buffers in order; txoff counts what went. */
		uint64_t base = 0;
		for (unsigned k = 0; k < p->txc.nr && !p->host_gone; k++) {
			const struct virtq_buf *b = &p->txc.buf[k];
			while (p->txoff < base + b->len) {
				uint64_t in = p->txoff - base;
				ssize_t n = send(p->fd, b->host + in, b->len - in,
						 MSG_NOSIGNAL | MSG_DONTWAIT);
				if (n > 0) {
					p->txoff += (uint64_t)n;
					p->st.tx_bytes += (uint64_t)n;
					continue;
				}
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
					/* Full: keep the chain, take no other. */
					p->tx_full = true;
					p->st.tx_blocked++;
					return;
				}
				port_hangup(c, i); /* EPIPE, ECONNRESET, ... */
				break;
			}
			base += b->len;
		}
		if (p->host_gone)
			p->st.tx_dropped += p->txc.rlen - p->txoff;
		virtio_pci_put(&c->vp, q, p->txc.head, 0);
		p->have_txc = false;
	}
	c->again = true; /* more may wait, and its kick was taken */
}

/* The socket is readable and the guest has no receive buffer: the bytes
 * wait in the socket, unless all it holds is the end of file (a peek
 * needs no buffer), which is the hang-up the guest must hear of even
 * when it gives no buffers. */
static void port_rx_stall(struct virtio_console *c, unsigned i)
{
	struct console_port *p = &c->port[i];
	uint8_t b;
	ssize_t n;
	do
		n = recv(p->fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		port_hangup(c, i);
		return;
	}
	p->rx_stalled = true;
	p->st.rx_stalls++;
}

/* Host to guest: as much as the socket has, into receive chains. */
static void port_rx(struct virtio_console *c, unsigned i)
{
	struct console_port *p = &c->port[i];
	unsigned q = console_rxq(i);
	for (unsigned budget = 0; budget < CONSOLE_QUEUE_SIZE; budget++) {
		if (!p->have_rxc) {
			int r = virtio_pci_pop(&c->vp, q, &p->rxc);
			if (r <= 0) {
				if (r == 0)
					port_rx_stall(c, i);
				return;
			}
			p->have_rxc = true;
			if (!p->rxc.nw) { /* nothing writable: nothing to give */
				virtio_pci_put(&c->vp, q, p->rxc.head, 0);
				p->have_rxc = false;
				continue;
			}
		}
		uint64_t got = 0;
		bool more = true, gone = false;
		for (unsigned k = p->rxc.nr; k < p->rxc.nr + p->rxc.nw && more; k++) {
			const struct virtq_buf *b = &p->rxc.buf[k];
			ssize_t n;
			do
				n = recv(p->fd, b->host, b->len, MSG_DONTWAIT);
			while (n < 0 && errno == EINTR);
			if (n > 0)
				got += (uint64_t)n;
			if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
				gone = true; /* end of file or an error */
			more = n == (ssize_t)b->len;
		}
		if (got) {
			virtio_pci_put(&c->vp, q, p->rxc.head, (uint32_t)got);
			p->have_rxc = false;
			p->st.rx_bytes += got;
		}
		if (gone)
			port_hangup(c, i);
		if (!more || gone)
			return;
	}
}

/* What the epoll set watches for port i, after a pass: a link's socket
 * for input whenever nothing is read ahead (its state must be seen even
 * while the guest takes no bytes). */
static void port_watch(struct virtio_console *c, bool multi, unsigned i)
{
	struct console_port *p = &c->port[i];
	uint32_t want = 0;
	if (!p->host_gone) {
		if (p->link ? !p->have_rxm : port_guest_open(c, multi, i) && !p->rx_stalled)
			want |= EPOLLIN;
		if (p->tx_full)
			want |= EPOLLOUT;
	}
	if (want == p->events)
		return;
	/* Out of the set while nothing is wanted: a hung-up socket reports
	 * EPOLLHUP whatever the mask, and the worker would spin on it. */
	struct epoll_event ev = {.events = want, .data.u32 = i};
	int op = !p->events ? EPOLL_CTL_ADD : !want ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(c->epfd, op, p->fd, &ev) < 0) {
		/* ENOMEM or the user's watch limit: this port cannot go on. */
		if (p->events)
			(void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, p->fd, &ev);
		p->events = 0;
		port_hangup(c, i);
		return;
	}
	p->events = want;
}

/* ---- a console link (link=: virtio_console.h) ----------------------------- */

/* Our state to the other end, in order, before any data; false while the
 * socket is full (then EPOLLOUT) or gone. */
static bool link_flush(struct virtio_console *c, unsigned i)
{
	struct console_port *p = &c->port[i];
	while (linkmsg_pending(&p->owed) && !p->host_gone) {
		uint8_t m = linkmsg_next(&p->owed);
		ssize_t n = send(p->fd, &m, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			p->tx_full = true;
			return false;
		}
		if (n != 1) {
			port_hangup(c, i);
			return false;
		}
		linkmsg_sent(&p->owed);
	}
	return !p->host_gone;
}

/* The other end came up or went down. Down: the guest hears the hang-up,
 * and the chain being sent and those queued were for the VM that went. */
static void link_peer(struct virtio_console *c, unsigned i, bool up)
{
	struct console_port *p = &c->port[i];
	if (p->peer_up == up)
		return;
	p->peer_up = up;
	console_ctl_host_open(&c->ctl, i, up);
	/* Another pass at once: what is owed now (the answer below) and the
	 * chains that waited for the other end go then, not at this guest's
	 * next kick. The other VM's guest reads end of file on its port
	 * until our UP reaches it. */
	c->again = true;
	if (up) {
		if (p->said_up)
			linkmsg_owe(&p->owed, LINKMSG_UP); /* it may have missed ours */
		return;
	}
	unsigned q = console_txq(i);
	for (unsigned budget = 0; budget < CONSOLE_QUEUE_SIZE; budget++) {
		if (!hold_tx_chain(c, p, q))
			return;
		p->st.tx_dropped += p->txc.rlen - p->txoff;
		virtio_pci_put(&c->vp, q, p->txc.head, 0);
		p->have_txc = false;
	}
}

/* Guest to the other end: DATA messages from the chains, while it is up. */
static void link_tx(struct virtio_console *c, unsigned i)
{
	struct console_port *p = &c->port[i];
	unsigned q = console_txq(i);
	if (!p->peer_up || !link_flush(c, i))
		return; /* the chains wait: for its UP, or for room */
	uint8_t m[1 + CONSOLE_LINK_DATA_MAX];
	m[0] = CONSOLE_LINK_DATA;
	for (unsigned budget = 0; budget < CONSOLE_QUEUE_SIZE; budget++) {
		if (!hold_tx_chain(c, p, q))
			return;
		while (p->txoff < p->txc.rlen && !p->host_gone) {
			uint64_t left = p->txc.rlen - p->txoff;
			size_t take = left < CONSOLE_LINK_DATA_MAX ? (size_t)left : CONSOLE_LINK_DATA_MAX;
			if (virtq_chain_read(&p->txc, p->txoff, m + 1, take) != take)
				abort(); /* within the readable part: our bug */
			ssize_t n = send(p->fd, m, 1 + take, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				p->tx_full = true;
				p->st.tx_blocked++;
				return;
			}
			if (n != (ssize_t)(1 + take)) {
				port_hangup(c, i);
				break;
			}
			p->txoff += take;
			p->st.tx_bytes += take;
		}
		if (p->host_gone)
			p->st.tx_dropped += p->txc.rlen - p->txoff;
		virtio_pci_put(&c->vp, q, p->txc.head, 0);
		p->have_txc = false;
	}
	c->again = true;
}

/* The other end to the guest: messages read one ahead; state at once,
 * data into receive chains while a guest program has the port open. */
static void link_rx(struct virtio_console *c, bool multi, unsigned i)
{
	struct console_port *p = &c->port[i];
	unsigned q = console_rxq(i);
	for (unsigned budget = 0; budget < CONSOLE_QUEUE_SIZE; budget++) {
		if (!p->have_rxm) {
			ssize_t n = recv(p->fd, p->rxm, 2 + CONSOLE_LINK_DATA_MAX, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n <= 0) { /* end of file (no holder left) or an error */
				port_hangup(c, i);
				return;
			}
			if (n == LINKMSG_LEN) {
				if (p->rxm[0] == LINKMSG_DOWN || p->rxm[0] == LINKMSG_UP)
					link_peer(c, i, p->rxm[0] == LINKMSG_UP);
				continue;
			}
			if (p->rxm[0] != CONSOLE_LINK_DATA || n > 1 + (ssize_t)CONSOLE_LINK_DATA_MAX) {
				p->st.rx_bad++;
				continue;
			}
			if (!p->peer_up) {
				p->st.rx_stale += (uint64_t)n - 1;
				continue;
			}
			p->have_rxm = true;
			p->rxm_len = (uint32_t)n;
			p->rxm_off = 1;
		}
		if (!port_guest_open(c, multi, i) || p->rx_stalled)
			return; /* it waits here, and the socket behind it */
		if (!p->have_rxc) {
			int r = virtio_pci_pop(&c->vp, q, &p->rxc);
			if (r <= 0) {
				if (r == 0) {
					p->rx_stalled = true;
					p->st.rx_stalls++;
				}
				return;
			}
			p->have_rxc = true;
		}
		size_t len = p->rxm_len - p->rxm_off;
		if (len > p->rxc.wlen)
			len = (size_t)p->rxc.wlen;
		virtq_chain_write(&p->rxc, 0, p->rxm + p->rxm_off, len);
		virtio_pci_put(&c->vp, q, p->rxc.head, (uint32_t)len);
		p->have_rxc = false;
		p->st.rx_bytes += len;
		p->rxm_off += (uint32_t)len;
		p->have_rxm = p->rxm_off < p->rxm_len;
	}
	c->again = true;
}

/* ---- the control queues (5.3.6.2) ----------------------------------------- */

/* The control transmitq is served: one message per chain. */
int virtio_console_serve(void *dev, unsigned q, const struct virtq_chain *ch, uint32_t *written)
{
	struct virtio_console *c = dev;
	*written = 0;
	if (q != CONSOLE_CTRL_TXQ)
		return 0; /* every other queue is pulled */
	uint8_t m[sizeof(struct console_ctl_msg) + 1]; /* one more: to see a long one */
	size_t len = ch->rlen < sizeof(m) ? (size_t)ch->rlen : sizeof(m);
	if (virtq_chain_read(ch, 0, m, len) != len)
		abort(); /* within the readable part: our bug */
	(void)console_ctl_rx(&c->ctl, m, len);
	return 0;
}

/* Messages owed to the driver, one per control receive chain. */
static void ctl_send(struct virtio_console *c)
{
	while (!c->ctl_stalled && console_ctl_pending(&c->ctl)) {
		if (!c->have_ctlc) {
			int r = virtio_pci_pop(&c->vp, CONSOLE_CTRL_RXQ, &c->ctlc);
			if (r <= 0) {
				c->ctl_stalled = r == 0;
				return;
			}
			c->have_ctlc = true;
			if (c->ctlc.wlen < sizeof(struct console_ctl_msg)) {
				c->ctl_small++;
				virtio_pci_put(&c->vp, CONSOLE_CTRL_RXQ, c->ctlc.head, 0);
				c->have_ctlc = false;
				continue;
			}
		}
		uint8_t m[CONSOLE_CTL_MSG_MAX];
		size_t cap = c->ctlc.wlen < sizeof(m) ? (size_t)c->ctlc.wlen : sizeof(m);
		size_t len = console_ctl_next(&c->ctl, m, cap);
		if (!len)
			return; /* what was owed did not fit; the chain waits */
		virtq_chain_write(&c->ctlc, 0, m, len);
		virtio_pci_put(&c->vp, CONSOLE_CTRL_RXQ, c->ctlc.head, (uint32_t)len);
		c->have_ctlc = false;
	}
}

/* ---- the worker's callbacks ----------------------------------------------- */

void virtio_console_run(void *dev, uint32_t kicked, bool ready)
{
	struct virtio_console *c = dev;
	bool multi = console_multiport(c);
	c->again = false;
	if (kicked & (1u << CONSOLE_CTRL_RXQ))
		c->ctl_stalled = false;
	bool in[CONSOLE_MAX_PORTS] = {false};
	if (ready) {
		struct epoll_event ev[CONSOLE_MAX_PORTS];
		int n = epoll_wait(c->epfd, ev, CONSOLE_MAX_PORTS, 0);
		for (int k = 0; k < n; k++) {
			unsigned i = ev[k].data.u32;
			if (i >= c->nports)
				abort(); /* we put only port numbers in the set */
			if (ev[k].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				c->port[i].tx_full = false;
			if (ev[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				in[i] = true;
		}
	}
	for (unsigned i = 0; i < c->nports; i++) {
		struct console_port *p = &c->port[i];
		if (kicked & (1u << console_rxq(i)))
			p->rx_stalled = false;
		if (p->link && !p->host_gone) {
			bool active = port_active(c, multi, i);
			if (active && !p->said_up) {
				p->said_up = true;
				linkmsg_owe(&p->owed, LINKMSG_UP);
			}
			if (!p->tx_full && link_flush(c, i) && active)
				link_tx(c, i);
			if (in[i] || p->have_rxm)
				link_rx(c, multi, i);
			continue;
		}
		if (!port_active(c, multi, i))
			continue;
		if (!p->tx_full)
			port_tx(c, i);
		if (in[i] && port_guest_open(c, multi, i) && !p->rx_stalled && !p->host_gone)
			port_rx(c, i);
	}
	if (multi)
		ctl_send(c);
	for (unsigned i = 0; i < c->nports; i++)
		port_watch(c, multi, i);
}

int virtio_console_wait(void *dev, int *timeout_ms)
{
	struct virtio_console *c = dev;
	*timeout_ms = c->again ? 0 : -1;
	return c->epfd;
}

/* 2.4: the queues are gone, and with them the chains we held; the driver
 * sets the ports up again. The sockets stay as they are. */
void virtio_console_reset(void *dev)
{
	struct virtio_console *c = dev;
	console_ctl_reset(&c->ctl);
	c->have_ctlc = c->ctl_stalled = c->again = false;
	for (unsigned i = 0; i < c->nports; i++) {
		struct console_port *p = &c->port[i];
		p->have_txc = p->have_rxc = p->rx_stalled = false;
		if (p->link) {
			/* The guest's port is gone: the other end hears DOWN
			 * (when there is room), and what it sent before it heard
			 * is not for the driver that comes next. */
			if (p->said_up)
				linkmsg_owe(&p->owed, LINKMSG_DOWN);
			p->said_up = p->have_rxm = false;
			if (p->peer_up) {
				p->peer_up = false;
				console_ctl_host_open(&c->ctl, i, false);
			}
			if (!p->tx_full)
				(void)link_flush(c, i);
		} else {
			p->tx_full = false;
		}
		port_watch(c, true, i); /* a link's still read; others out of the set */
	}
}

/* ---- life cycle ----------------------------------------------------------- */

/* An fd= must be an open stream socket; a path= is connected now. */
static int port_open(const struct console_port_cfg *pc, char *err, size_t errlen)
{
	if (pc->fd >= 0) {
		int type = 0;
		socklen_t tl = sizeof(type);
		if (fcntl(pc->fd, F_GETFD) < 0) {
			snprintf(err, errlen, "--port name=%s,fd=%d: not an open descriptor",
				 pc->name, pc->fd);
			return -1;
		}
		int want = pc->link ? SOCK_SEQPACKET : SOCK_STREAM;
		if (getsockopt(pc->fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != want) {
			snprintf(err, errlen, "--port name=%s,%s=%d: not a %s socket", pc->name,
				 pc->link ? "link" : "fd", pc->fd,
				 pc->link ? "SOCK_SEQPACKET" : "stream");
			return -1;
		}
		(void)fcntl(pc->fd, F_SETFD, FD_CLOEXEC);
		return pc->fd;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "--port name=%s: socket: %s", pc->name, strerror(errno));
		return -1;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path, pc->path, strlen(pc->path) + 1); /* fits: the parser checked */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "--port name=%s,path=%s: %s", pc->name, pc->path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void console_close(struct virtio_console *c)
{
	for (unsigned i = 0; i < c->nports; i++) {
		if (c->port[i].fd >= 0)
			close(c->port[i].fd);
		free(c->port[i].rxm);
		c->port[i].rxm = NULL;
	}
	if (c->epfd >= 0)
		close(c->epfd);
	c->nports = 0;
	c->epfd = -1;
}

int virtio_console_init(struct virtio_console *c, const struct console_port_cfg *ports,
			unsigned nports, const struct guestmem *gm, struct bus *mmio,
			const struct virtio_pci_hooks *hooks, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->epfd = -1;
	if (nports < 1 || console_check_ports(ports, nports, err, errlen))
		return -1;
	const char *names[CONSOLE_MAX_PORTS];
	for (unsigned i = 0; i < nports; i++) {
		int fd = port_open(&ports[i], err, errlen);
		if (fd < 0) {
			console_close(c);
			return -1;
		}
		c->port[i].fd = fd;
		c->nports = i + 1;
		names[i] = ports[i].name;
		if (ports[i].link && !(c->port[i].rxm = malloc(2 + CONSOLE_LINK_DATA_MAX))) {
			snprintf(err, errlen, "--port name=%s: out of memory", ports[i].name);
			console_close(c);
			return -1;
		}
		c->port[i].link = ports[i].link;
	}
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0) {
		snprintf(err, errlen, "--port: epoll_create1: %s", strerror(errno));
		console_close(c);
		return -1;
	}
	console_ctl_init(&c->ctl, names, nports);
	for (unsigned i = 0; i < nports; i++) {
		if (!c->port[i].link)
			continue;
		/* Closed for the guest until the other end says UP; a link's
		 * socket is read from the start (its state). */
		console_ctl_host_open(&c->ctl, i, false);
		if (ports[i].restarted)
			linkmsg_owe(&c->port[i].owed, LINKMSG_DOWN);
		port_watch(c, true, i);
	}
	uint32_t pulled = 0;
	for (unsigned q = 0; q < 2 + 2 * nports; q++)
		pulled |= q == CONSOLE_CTRL_TXQ ? 0 : 1u << q;
	struct virtio_device d = {
		.name = "virtio-console",
		.id = VIRTIO_ID_CONSOLE,
		.class_code = 0x07, /* simple communication controller, other */
		.subclass = 0x80,
		.features = 1ull << CONSOLE_F_MULTIPORT,
		.nqueues = 2 + 2 * nports,
		.queue_max = CONSOLE_QUEUE_SIZE,
		.config_len = CONSOLE_CONFIG_LEN,
		.config_read = console_config_read,
		.serve = virtio_console_serve,
		.reset = virtio_console_reset,
		.pull_queues = pulled,
		.wait = virtio_console_wait,
		.run = virtio_console_run,
		.dev = c,
	};
	if (virtio_pci_init(&c->vp, &d, gm, mmio, hooks, err, errlen)) {
		console_close(c);
		return -1;
	}
	return 0;
}

void virtio_console_free(struct virtio_console *c)
{
	virtio_pci_free(&c->vp);
	console_close(c);
}

unsigned virtio_console_sockets(const struct virtio_console *c, int *fds, unsigned max)
{
	unsigned n = 0;
	if (n < max && c->epfd >= 0)
		fds[n++] = c->epfd;
	for (unsigned i = 0; i < c->nports && n < max; i++)
		fds[n++] = c->port[i].fd;
	return n;
}
