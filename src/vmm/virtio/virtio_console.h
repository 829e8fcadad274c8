/*
 * virtio_console (console.c): virtio console device (virtio 1.2 section
 * 5.3, device ID 3) with named ports (VIRTIO_CONSOLE_F_MULTIPORT), each
 * joined to a host socket: `vmm run --port name=NAME,fd=N` (an inherited
 * stream socket), `--port name=NAME,path=PATH` (a Unix socket connected
 * to at start-up), or `--port name=NAME,link=N[,restarted]` (a console
 * link: an inherited SOCK_SEQPACKET socket to another VM's monitor that
 * `vmm system` made, framed as below).
 * A Linux guest sees port NAME as /dev/vportNpM, and udev links it as
 * /dev/virtio-ports/NAME.
 *
 * Owns: the option and its checks, the device configuration (5.3.4:
 * max_nr_ports), the queues (5.3.2: receiveq/transmitq of port 0 at 0 and
 * 1, the control receiveq and transmitq at 2 and 3, port p >= 1 at 2 + 2p
 * and 3 + 2p), the host sockets, and the byte pumps between them. The
 * control protocol is console_ctl.c.
 *
 * At most CONSOLE_MAX_PORTS ports: 2 + 2 * ports queues must fit the
 * transport's VIRTIO_MAX_QUEUES (8), so 3. None is a console
 * (console_ctl.h says why).
 *
 * Data, all on the device's worker thread (virtio_pci.h); every queue but
 * the control transmitq is pulled:
 *   guest to host: a transmit chain is taken only while the socket has
 *     room; its bytes are sent straight from guest memory (send with
 *     MSG_DONTWAIT, never blocking); when the socket is full the chain is
 *     held, partly sent, and no other is taken until the socket is
 *     writable again (EPOLLOUT). So what is buffered is bounded by the
 *     socket's buffer and one chain, and a slow peer leaves the guest's
 *     transmit buffers unconsumed (backpressure): nothing is dropped.
 *   host to guest: while a guest program has the port open (Linux drops
 *     data for a port nobody opened) and the guest has a receive buffer,
 *     the socket is read straight into it, as the bytes come. With no
 *     buffer the socket is not read (the bytes wait in the host kernel)
 *     until the guest's receive notification.
 *   hang-up: end of file or an error on the socket (seen when reading
 *     it, by a peek when the guest has no buffer, or when sending) tells
 *     the guest PORT_OPEN 0 (its readers see end of file); what it still
 *     sends to the port is consumed and dropped (counted).
 * Without MULTIPORT negotiated the device is one plain port: port 0 on
 * queues 0 and 1, always open.
 *
 * A console link (link=) carries messages, so that the state of the other
 * end can travel with the bytes (docs/system.md, "Links"): a one-byte
 * LINKMSG_DOWN or LINKMSG_UP (linkmsg.h), or LINKMSG_DATA followed by 1
 * to CONSOLE_LINK_DATA_MAX bytes. Per port:
 *   - when the driver makes the port ready (PORT_READY 1, or the plain
 *     port at DRIVER_OK) the device says UP; a reset says DOWN; the
 *     supervisor says DOWN for a VM that ended (`restarted`: the new
 *     monitor says DOWN first, before its UP, in case that one did not go);
 *   - the other end is open for the guest (PORT_OPEN 1) only between its
 *     UP and its DOWN: at DOWN the guest hears PORT_OPEN 0 (a hang-up),
 *     the chain being sent and every chain the guest had queued are
 *     dropped (they were for the VM that went), and later chains wait;
 *   - an UP while the other end was down is answered with an UP (so a
 *     monitor that started later hears of this one);
 *   - DATA is delivered only while the other end is up: what arrives
 *     before its UP was written before it heard of this guest (for the
 *     VM before it) and is dropped (rx_stale);
 *   - one message is read ahead (it waits there while the guest has no
 *     buffer or the port closed), so the state is seen in order with the
 *     bytes: a hang-up after the bytes before it.
 */
#ifndef VIRTIO_CONSOLE_H
#define VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "console_ctl.h"
#include "linkmsg.h"
#include "virtio_pci.h"

#define CONSOLE_QUEUE_SIZE 128
#define CONSOLE_CTRL_RXQ 2
#define CONSOLE_CTRL_TXQ 3
#define CONSOLE_F_SIZE 0
#define CONSOLE_F_MULTIPORT 1
#define CONSOLE_CONFIG_LEN 12 /* cols, rows, max_nr_ports, emerg_wr (5.3.4) */
#define CONSOLE_MAX_PORTS ((VIRTIO_MAX_QUEUES - 2u) / 2u)
#define CONSOLE_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define CONSOLE_LINK_DATA 0x02          /* a console link's data message (linkmsg.h's are 1 byte) */
#define CONSOLE_LINK_DATA_MAX 4095u     /* bytes after it in one message */
_Static_assert(CONSOLE_MAX_PORTS == CONSOLE_CTL_PORTS, "console_ctl.h holds every port");

/* 5.3.2: port p's receiveq (device to driver) and transmitq. */
static inline unsigned console_rxq(unsigned p)
{
	return p == 0 ? 0 : 2 + 2 * p;
}
static inline unsigned console_txq(unsigned p)
{
	return console_rxq(p) + 1;
}

/* One --port. */
struct console_port_cfg {
	char name[CONSOLE_NAME_MAX + 1];
	int fd; /* fd=N or link=N, or -1 */
	bool link;      /* link=N: a console link's SOCK_SEQPACKET socket */
	bool restarted; /* link: say DOWN before the first UP (vmm system, on a restart) */
	char path[CONSOLE_PATH_MAX + 1];
};

/* Parses "name=NAME,fd=N", "name=NAME,link=N[,restarted]" or
 * "name=NAME,path=PATH" (any order). The descriptor is checked, and the
 * path connected, by console_init. Returns 0 or -1 with a message naming
 * --port. */
int console_parse_option(const char *s, struct console_port_cfg *c, char *err, size_t errlen);
/* Checks a VM's ports together: at most CONSOLE_MAX_PORTS, names and
 * descriptors distinct. 0 or -1 with a message. */
int console_check_ports(const struct console_port_cfg *p, unsigned n, char *err,
			size_t errlen);

struct console_port_stats {
	uint64_t rx_bytes, tx_bytes; /* to / from the guest */
	uint64_t tx_dropped;         /* bytes sent by the guest after the hang-up */
	uint64_t tx_blocked;         /* times the socket was full (backpressure) */
	uint64_t rx_stalls;          /* times the guest had no receive buffer */
	uint64_t rx_stale;           /* link: bytes from before the other end's UP, dropped */
	uint64_t rx_bad;             /* link: messages that are neither state nor data */
};

struct console_port {
	int fd;
	bool host_gone; /* end of file or an error: hung up */
	/* The worker's. */
	struct virtq_chain txc; /* a transmit chain taken, not all sent */
	bool have_txc;
	uint64_t txoff;         /* bytes of it sent */
	bool tx_full;           /* the socket took nothing more: wait for EPOLLOUT */
	struct virtq_chain rxc; /* a receive chain taken, nothing put in it yet */
	bool have_rxc;
	bool rx_stalled;        /* no receive buffer: wait for the rx notification */
	uint32_t events;        /* what the epoll set watches (0: not in it) */
	/* A console link's (link=). */
	bool link;
	bool peer_up;             /* the other end said UP, and not DOWN since */
	bool said_up;             /* we said UP since the port became ready */
	struct linkmsg_owed owed; /* our state, not yet sent (the socket was full) */
	uint8_t *rxm;             /* the message read ahead */
	uint32_t rxm_len, rxm_off;
	bool have_rxm;
	struct console_port_stats st;
};

struct virtio_console {
	struct virtio_pci vp;
	unsigned nports;
	int epfd; /* epoll set over the ports' sockets */
	struct console_port port[CONSOLE_MAX_PORTS];
	/* The worker's. */
	struct console_ctl ctl;
	struct virtq_chain ctlc; /* a control receive chain taken, not used */
	bool have_ctlc;
	bool ctl_stalled;
	bool again; /* a budget ran out: come straight back */
	uint64_t ctl_small; /* control receive chains too small for any message */
};

/* Checks each fd= (an open stream socket above 2) or connects each path=
 * (before the sandbox), and sets the device up (then: pci_add,
 * virtio_pci_add_caps, place the BAR, virtio_pci_start). The device owns
 * the sockets from here on. Returns 0 or -1 with a message naming --port. */
int virtio_console_init(struct virtio_console *c, const struct console_port_cfg *ports,
			unsigned nports, const struct guestmem *gm, struct bus *mmio,
			const struct virtio_pci_hooks *hooks, char *err, size_t errlen);
void virtio_console_free(struct virtio_console *c);

/* The descriptors the worker keeps (the sandbox): the epoll set, and the
 * sockets. Return how many were stored (<= max). */
unsigned virtio_console_sockets(const struct virtio_console *c, int *fds, unsigned max);

/* The device's callbacks (virtio_device), for tests. */
int virtio_console_serve(void *dev, unsigned q, const struct virtq_chain *ch,
			 uint32_t *written);
void virtio_console_run(void *dev, uint32_t kicked, bool ready);
int virtio_console_wait(void *dev, int *timeout_ms);
void virtio_console_reset(void *dev);

#endif
