/*
 * linkmsg: the control messages on a link's sockets between monitors
 * (docs/system.md, "Links"), beside the frames (net) and packets (vsock)
 * that the guests send.
 *
 * A link socket is SOCK_SEQPACKET: one frame or packet a message. No
 * guest can make a monitor send a message this short (an Ethernet frame
 * has a 14-byte header, a vsock packet a 44-byte one, and both monitors
 * refuse less), so a one-byte message is ours: either the supervisor's,
 * written on the end it keeps of a VM that has ended, or a monitor's own
 * about its device.
 *
 *   LINKMSG_DOWN  the sender's VM is gone (its process ended, or its
 *                 driver reset the device): the peer reports the link
 *                 down (virtio-net status), resets the connections to it
 *                 (vsock RST); a switch forgets what it learnt on that port
 *   LINKMSG_UP    the sender's device is live again (its driver set
 *                 DRIVER_OK): the link is up
 *
 * A message that finds the socket full is not lost: the sender keeps what
 * it owes (struct linkmsg_owed) and sends it, in order and before anything
 * else on that socket, once there is room. What is owed is at most DOWN
 * then UP: a later DOWN replaces both (the peer must reset what it had
 * with us; that we were up in between is of no use to it), a repeated
 * message owes nothing more.
 */
#ifndef LINKMSG_H
#define LINKMSG_H

#include <stdbool.h>
#include <stdint.h>

#define LINKMSG_DOWN 0x00
#define LINKMSG_UP 0x01
#define LINKMSG_LEN 1u

struct linkmsg_owed {
	bool down, up; /* owed, DOWN first */
};

/* m (LINKMSG_DOWN or LINKMSG_UP) is to be said. */
static inline void linkmsg_owe(struct linkmsg_owed *o, uint8_t m)
{
	if (m == LINKMSG_DOWN)
		*o = (struct linkmsg_owed){.down = true};
	else
		o->up = true;
}

/* Whether anything is owed, and the next message to send. */
static inline bool linkmsg_pending(const struct linkmsg_owed *o)
{
	return o->down || o->up;
}

static inline uint8_t linkmsg_next(const struct linkmsg_owed *o)
{
	return o->down ? LINKMSG_DOWN : LINKMSG_UP;
}

/* linkmsg_next's message went. */
static inline void linkmsg_sent(struct linkmsg_owed *o)
{
	if (o->down)
		o->down = false;
	else
		o->up = false;
}

#endif
