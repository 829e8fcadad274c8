/*
 * console_ctl: the control protocol of a multiport virtio console
 * (virtio 1.2 section 5.3.6.2, VIRTIO_CONSOLE_F_MULTIPORT), seen from the
 * device, without queues or sockets (console.c moves the messages).
 *
 * Owns: the control message (struct console_ctl_msg, 5.3.6.2), the check of
 * every message the driver sends (hostile: its length, event, port id and
 * value), each port's state and the messages owed to the driver.
 *
 * The exchange, as Linux's virtio_console drives it:
 *   driver: DEVICE_READY 1          device: PORT_ADD for each port
 *   driver: PORT_READY id 1         device: PORT_NAME id + name, then
 *                                           PORT_OPEN id 1 if the host side
 *                                           is connected
 *   driver: PORT_OPEN id 1 / 0      (a program opened / closed the port)
 *   device: PORT_OPEN id 0          (the host side hung up)
 * No port is a console (CONSOLE_PORT is never sent: Linux's hvc path spins
 * on a transmit buffer the host has not consumed, which a slow peer must
 * never cause), none is removed, no RESIZE.
 *
 * What is owed is kept as flags per port, not a queue of messages: however
 * many messages the driver sends, at most three are owed per port, and a
 * repeated request owes nothing more.
 *
 * Threads: one state belongs to one thread (the console's worker).
 */
#ifndef CONSOLE_CTL_H
#define CONSOLE_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 5.3.6.2: struct virtio_console_control, little-endian. */
struct console_ctl_msg {
	uint32_t id;
	uint16_t event;
	uint16_t value;
} __attribute__((packed));
_Static_assert(sizeof(struct console_ctl_msg) == 8, "virtio 1.2, 5.3.6.2: 8-byte message");

enum {
	CONSOLE_DEVICE_READY = 0,
	CONSOLE_DEVICE_ADD = 1, /* PORT_ADD */
	CONSOLE_DEVICE_REMOVE = 2,
	CONSOLE_PORT_READY = 3,
	CONSOLE_CONSOLE_PORT = 4,
	CONSOLE_RESIZE = 5,
	CONSOLE_PORT_OPEN = 6,
	CONSOLE_PORT_NAME = 7,
};

#define CONSOLE_CTL_PORTS 3      /* ports a state holds (virtio_console.h: why 3) */
#define CONSOLE_NAME_MAX 64u     /* bytes of a port name, without a NUL */
#define CONSOLE_CTL_MSG_MAX (sizeof(struct console_ctl_msg) + CONSOLE_NAME_MAX)

/* What console_ctl_rx found in a message from the driver. */
enum console_verdict {
	CONSOLE_OK = 0,
	CONSOLE_BAD_LEN,   /* not exactly 8 bytes */
	CONSOLE_BAD_EVENT, /* unknown, or one only the device sends */
	CONSOLE_BAD_ID,    /* no such port */
	CONSOLE_BAD_VALUE, /* not 0 or 1 */
	CONSOLE_BAD_STATE, /* the port was not added / not ready yet */
	CONSOLE_NVERDICTS
};
extern const char *const console_verdict_name[CONSOLE_NVERDICTS];

struct console_ctl_port {
	char name[CONSOLE_NAME_MAX + 1];
	size_t namelen;
	bool added;      /* PORT_ADD sent */
	bool ready;      /* the driver answered PORT_READY 1 */
	bool failed;     /* ... or PORT_READY 0: it could not set the port up */
	bool guest_open; /* a guest program has it open (PORT_OPEN from the driver) */
	bool host_open;  /* our side is connected */
	unsigned owe;    /* CONSOLE_OWE_* bits */
};
#define CONSOLE_OWE_ADD 1u
#define CONSOLE_OWE_NAME 2u
#define CONSOLE_OWE_OPEN 4u

struct console_ctl_stats {
	uint64_t bad[CONSOLE_NVERDICTS]; /* refused driver messages, by verdict */
	uint64_t port_failed;            /* PORT_READY 0 received */
	uint64_t small_buf;              /* a control buffer too small: message dropped */
	uint64_t sent;                   /* messages to the driver */
};

struct console_ctl {
	unsigned nports;
	bool device_ready; /* DEVICE_READY 1 received since the reset */
	struct console_ctl_port port[CONSOLE_CTL_PORTS];
	struct console_ctl_stats st;
};

/* A state for ports named names[0 .. n) (n <= CONSOLE_CTL_PORTS, each a
 * valid name), all with the host side connected. */
void console_ctl_init(struct console_ctl *s, const char *const *names, unsigned n);

/* One message from the driver's control transmitq (len bytes at msg). */
enum console_verdict console_ctl_rx(struct console_ctl *s, const void *msg, size_t len);

/* The next message owed to the driver, into buf (cap bytes). Returns its
 * length, or 0 when nothing is owed. A message that does not fit is
 * dropped (counted in small_buf) and the next one is tried. */
size_t console_ctl_next(struct console_ctl *s, uint8_t *buf, size_t cap);
bool console_ctl_pending(const struct console_ctl *s);

/* The host side of port p connected or hung up: owes PORT_OPEN once the
 * port is ready. */
void console_ctl_host_open(struct console_ctl *s, unsigned p, bool open);

/* Device reset (2.4): the driver forgets every port; the host sides stay. */
void console_ctl_reset(struct console_ctl *s);

/* Port names as Linux takes them for /dev/virtio-ports/NAME (a udev
 * symlink from the sysfs name): 1 to CONSOLE_NAME_MAX printable ASCII
 * bytes, no '/', no space, not "." or "..". */
bool console_name_ok(const char *name, size_t len);

#endif
