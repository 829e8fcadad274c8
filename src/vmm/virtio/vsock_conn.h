/*
 * vsock_conn: the virtio-vsock stream protocol (virtio 1.2 section 5.10)
 * between the guest and host programs on Unix sockets.
 *
 * Owns: the packet header (5.10.6), its check (every field from the guest
 * is hostile), the table of connections (bounded: VSOCK_CONN_MAX), each
 * connection's state and credit accounting (5.10.6.3: buf_alloc, fwd_cnt),
 * the packets owed to the guest, and the host side, compatible with
 * Firecracker's:
 *   - a host program connects to the Unix socket at PATH and writes
 *     `CONNECT <port>\n`; the device asks the guest to connect (REQUEST from
 *     the host CID 2 and a local port) and, when a guest listener answers,
 *     writes `OK <local port>\n` back; from then on the socket is the stream;
 *   - a guest connection to host port P is a connection to the Unix socket
 *     at PATH_P;
 *   - anything the guest sends to another CID, to a port nobody listens on,
 *     or that is not valid in the connection's state is answered with RST
 *     (never an RST to an RST, 5.10.6.4).
 *
 * Threads: a table belongs to one thread (the vsock device's worker);
 * nothing here locks. The table has its own epoll descriptor over its
 * sockets (vsock_conn_fd); the worker polls it with its queue eventfds and
 * calls vsock_conn_poll when it is readable or a deadline is due.
 *
 * Use by the device: each packet from the tx queue goes to vsock_conn_tx;
 * while vsock_conn_rx_pending says so and the rx queue has a buffer,
 * vsock_conn_rx fills one packet for the guest.
 */
#ifndef VSOCK_CONN_H
#define VSOCK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio_spec.h"

/* virtio 1.2, 5.10.6: the header of every packet, little-endian. */
struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));
_Static_assert(sizeof(struct vsock_hdr) == 44, "virtio 1.2, 5.10.6: 44-byte header");

/* The host CID, the type, the ops and the shutdown flags (5.10.4,
 * 5.10.6) are src/common/virtio_spec.h's. */
#define VSOCK_CONN_MAX 64u             /* connections at once; more are refused */
#define VSOCK_CONN_BUF (256u << 10)    /* buf_alloc: what we buffer per connection */
#define VSOCK_MAX_PAYLOAD (64u << 10)  /* largest payload either way (as Linux) */
#define VSOCK_CONN_TIMEOUT_MS 2000     /* CONNECT line, guest answer, clean close */
#define VSOCK_UDS_MAX 96u /* PATH length, so PATH_4294967295 fits sun_path */

/* What vsock_conn_check found; everything but OK and BAD_SRC is answered
 * with an RST (unless the packet was one). */
enum vsock_verdict {
	VSOCK_OK = 0,
	VSOCK_BAD_SRC,  /* src_cid is not the guest's: dropped */
	VSOCK_BAD_DST,  /* dst_cid is not the host */
	VSOCK_BAD_TYPE, /* not a stream (SEQPACKET is not offered) */
	VSOCK_BAD_OP,   /* INVALID or unknown op */
	VSOCK_BAD_LEN,  /* len over VSOCK_MAX_PAYLOAD, past the chain, or on a non-RW op */
	VSOCK_NVERDICTS
};
extern const char *const vsock_verdict_name[VSOCK_NVERDICTS];

/* Checks a header from the guest whose chain carries `avail` bytes of
 * payload after it. */
enum vsock_verdict vsock_conn_check(const struct vsock_hdr *h, size_t avail,
				    uint64_t guest_cid);

struct vsock_stats {
	uint64_t rx_pkts, tx_pkts;      /* packets to / from the guest */
	uint64_t rx_bytes, tx_bytes;    /* stream payload to / from the guest */
	uint64_t bad[VSOCK_NVERDICTS];  /* refused headers, by verdict */
	uint64_t rst_sent;              /* RSTs sent to the guest */
	uint64_t rst_dropped;           /* RSTs not sent: their queue was full */
	uint64_t credit_overrun;        /* guest sent past our credit: reset */
	uint64_t refused_full;          /* connections refused: table full */
	uint64_t host_connect_failed;   /* PATH_P missing or refusing */
	uint64_t timeouts;              /* connections ended by a deadline */
};

struct vsock_conn_table;

/* A table for the guest with CID guest_cid (>= 3), guest connections to
 * host port P going to uds_path_P, host programs arriving on listen_fd
 * (vsock_conn_listen; -1 for none). Takes listen_fd. Returns NULL with a
 * message in err. */
struct vsock_conn_table *vsock_conn_new(uint64_t guest_cid, const char *uds_path,
					int listen_fd, char *err, size_t errlen);
void vsock_conn_free(struct vsock_conn_table *t);

/* Makes the listening Unix socket at path (before the sandbox). A stale
 * socket file nobody listens on is replaced; anything else at path, or a
 * socket some process listens on, is an error. Returns the fd or -1 with
 * a message in err naming `--vsock uds=PATH`. */
int vsock_conn_listen(const char *path, char *err, size_t errlen);

/* The table's epoll fd (readable when a socket has an event), and the
 * milliseconds until its next deadline (-1: none). */
int vsock_conn_fd(const struct vsock_conn_table *t);
int vsock_conn_listen_fd(const struct vsock_conn_table *t); /* -1: none (the sandbox) */
int vsock_conn_timeout(const struct vsock_conn_table *t);

/* Descriptors that are not the table's (a vsock link's peer sockets,
 * vsock_peer.h) watched in its epoll set: `events` (0: only hang-ups and
 * errors) for fd, tagged `tag`; vsock_conn_poll hands their events to
 * `cb`. Returns 0 or -1 with errno. */
void vsock_conn_set_other(struct vsock_conn_table *t,
			  void (*cb)(void *ctx, uint32_t tag, uint32_t events), void *ctx);
int vsock_conn_watch_other(struct vsock_conn_table *t, int fd, uint32_t events, uint32_t tag,
			   bool add);

/* Handles the host sockets' events, waiting up to timeout_ms (0: none),
 * then the deadlines that are due. */
void vsock_conn_poll(struct vsock_conn_table *t, int timeout_ms);

/* One packet from the guest's tx queue: its header and `avail` bytes of
 * payload in iov (the chain after the header). Returns the verdict. */
enum vsock_verdict vsock_conn_tx(struct vsock_conn_table *t, const struct vsock_hdr *h,
				 const struct iovec *iov, unsigned niov, size_t avail);

/* Whether a packet is owed to the guest. */
bool vsock_conn_rx_pending(struct vsock_conn_table *t);

/* Fills *h and up to `cap` bytes of payload into iov (the rx buffer after
 * the header) with the next packet for the guest. Returns true when a
 * packet was made (h->len bytes of payload written), false when none is
 * owed. */
bool vsock_conn_rx(struct vsock_conn_table *t, struct vsock_hdr *h, const struct iovec *iov,
		   unsigned niov, size_t cap);

/* Device reset (virtio 1.2, 2.4): every connection ends (its host socket
 * closed), nothing is owed to the guest; the listening socket stays. */
void vsock_conn_reset(struct vsock_conn_table *t);

const struct vsock_stats *vsock_conn_stats(const struct vsock_conn_table *t);
/* Live connections (tests). */
unsigned vsock_conn_count(const struct vsock_conn_table *t);

#endif
