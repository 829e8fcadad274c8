/*
 * lswitch: the learning Ethernet switch of a net link between more than
 * two VMs (docs/system.md, "Links"). It runs as a process of its own,
 * started and sandboxed by vmm system (`vmm switch NAME FD...`), never in
 * a guest's monitor: each VM's monitor has one end of a SOCK_SEQPACKET
 * socketpair (one frame a message, no virtio-net header: net.h), the
 * switch has the other ends, so a monitor sees only the frames the switch
 * gives its port.
 *
 * Owns: the MAC table (learning by source address, bounded at
 * LSW_TABLE_MAX, entries aged out after LSW_AGE_MS, as an IEEE 802.1D
 * bridge's filtering database), forwarding (known unicast to its port;
 * broadcast, multicast and unknown unicast flooded to every other port;
 * never back to the port it came from), one bounded output queue per port
 * (LSW_QUEUE_FRAMES frames and LSW_QUEUE_BYTES bytes: a VM that does not
 * read fills only its own queue, the frames for it are dropped and
 * counted, the other ports go on), and the process: its poll loop and its
 * seccomp filter.
 *
 * Frames come from guests: hostile. Too short (no Ethernet header) or too
 * long frames are dropped and counted; nothing else in them is trusted.
 * A port may be given its VM's MAC (vmm system always gives it): a frame
 * from it with another source address is dropped and counted, so a guest
 * can neither pose as another VM nor fill the table with made-up
 * addresses. A one-byte message (linkmsg.h) is not a frame: LINKMSG_DOWN
 * from the supervisor, when that port's VM has ended, forgets the
 * addresses learnt on the port.
 */
#ifndef LSWITCH_H
#define LSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LSW_PORTS_MAX 64          /* SD_MAX_VMS */
#define LSW_TABLE_MAX 256         /* learnt addresses */
#define LSW_AGE_MS 300000u        /* 802.1D's default ageing time, 300 s */
#define LSW_QUEUE_FRAMES 256u     /* per output port */
#define LSW_QUEUE_BYTES (512u << 10)
#define LSW_FRAME_MIN 14u         /* an Ethernet header */
#define LSW_FRAME_MAX (65536u + 256u) /* NET_MAX_FRAME */
#define LSW_RX_BUDGET 32u         /* frames read from one port per round */

struct lsw_port_stats {
	uint64_t rx, tx;          /* frames in from / out to the port */
	uint64_t drop_full;       /* frames for it dropped: its queue was full */
	uint64_t drop_short, drop_long; /* frames from it refused */
	uint64_t drop_filtered;   /* unicast from it to an address on its own port */
	uint64_t drop_spoofed;    /* from it with a source MAC not its VM's */
	uint64_t link_msgs;       /* linkmsg.h messages from it */
	uint64_t flooded;         /* frames from it sent to every other port */
};

struct lsw_frame {
	struct lsw_frame *next;
	size_t len;
	uint8_t data[];
};

struct lsw_port {
	struct lsw_frame *head, *tail;
	unsigned nq;
	size_t qbytes;
	bool gone;                /* its peer hung up: no longer polled */
	bool has_mac;             /* mac is the only source address it may use */
	uint8_t mac[6];
	struct lsw_port_stats st;
};

struct lsw_entry {
	uint8_t mac[6];
	uint16_t port;
	bool used;
	uint64_t seen_ms;
};

struct lsw {
	unsigned nports;
	struct lsw_port port[LSW_PORTS_MAX];
	struct lsw_entry table[LSW_TABLE_MAX];
	unsigned nentries;
	uint64_t table_full; /* source addresses not learnt: the table was full */
};

/* A switch of nports (2..LSW_PORTS_MAX) ports, empty table and queues. */
void lsw_init(struct lsw *sw, unsigned nports);
void lsw_free(struct lsw *sw); /* the queued frames */
/* Port p's VM sends only from `mac` (a unicast address). */
void lsw_set_mac(struct lsw *sw, unsigned p, const uint8_t mac[6]);

/* A frame that came in on port `in` at time now_ms: learn its source,
 * queue it on the port(s) it goes to. */
void lsw_input(struct lsw *sw, unsigned in, const uint8_t *frame, size_t len, uint64_t now_ms);

/* The port a MAC was learnt on, or -1 (unknown, or aged out at now_ms). */
int lsw_lookup(const struct lsw *sw, const uint8_t mac[6], uint64_t now_ms);

/* The frame at the head of port p's queue (NULL: empty); lsw_pop takes
 * it off and frees it. */
const struct lsw_frame *lsw_peek(const struct lsw *sw, unsigned p);
void lsw_pop(struct lsw *sw, unsigned p);

/* One round of the process's loop over the ports' sockets fds[0..nports)
 * (non-blocking): waits up to timeout_ms, reads up to LSW_RX_BUDGET frames
 * from each readable port, sends each port's queue as far as its socket
 * takes it. Returns the number of ports whose peer has hung up, or -1 on
 * a poll error. */
int lsw_step(struct lsw *sw, const int *fds, int timeout_ms);

/* `vmm switch NAME FD[,MAC]...`: the process. Returns its exit status. */
int lsw_main(int argc, char **argv);

#endif
