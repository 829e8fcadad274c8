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
 */
#ifndef LINKMSG_H
#define LINKMSG_H

#define LINKMSG_DOWN 0x00
#define LINKMSG_UP 0x01
#define LINKMSG_LEN 1u

#endif
