/*
 * fuzz_console: the multiport virtio console's control protocol
 * (console_ctl.c): the check of every message from the driver, and the
 * port state machine, on arbitrary sequences.
 *
 * Input: records, each an op byte and its operands:
 *   op % 4 == 0  a message from the driver: a length byte (taken mod 17,
 *                so short, exact and long messages all come) and that many
 *                bytes (fewer if the input ends);
 *   op % 4 == 1  the driver's control receive buffers are drained: a
 *                capacity byte (mod CONSOLE_CTL_MSG_MAX + 9, so buffers
 *                too small for a name or for any message come too);
 *   op % 4 == 2  a host side connects or hangs up: a byte, port = b % 3,
 *                connected = b & 0x80;
 *   op % 4 == 3  a device reset.
 * Whatever the input: every message to the driver fits the buffer it was
 * given, is PORT_ADD, PORT_NAME (with the port's name and nothing else)
 * or PORT_OPEN for a port that exists, a port is named or opened only
 * once the driver has it, draining ends within 3 messages a port, and
 * the states stay consistent (ready only when added; open only when
 * ready). Seeds: tests/fuzz/corpus/console/ (make_console_seeds.py).
 */
#include <stdlib.h>
#include <string.h>

#include "console_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[CONSOLE_CTL_PORTS] = {"ctl", "org.example.log", "x"};

static void check_states(const struct console_ctl *s)
{
	for (unsigned i = 0; i < s->nports; i++) {
		const struct console_ctl_port *p = &s->port[i];
		if ((p->ready && !p->added) || (p->guest_open && !p->ready) ||
		    (p->ready && p->failed) || (p->owe & ~7u))
			abort();
	}
}

static void drain(struct console_ctl *s, size_t cap)
{
	uint8_t buf[CONSOLE_CTL_MSG_MAX + 16];
	unsigned n = 0;
	for (;;) {
		memset(buf, 0xa5, sizeof(buf));
		bool was_ready = s->device_ready;
		size_t len = console_ctl_next(s, buf, cap);
		if (!len)
			break;
		if (++n > 3 * s->nports || len > cap || len < sizeof(struct console_ctl_msg))
			abort();
		for (size_t k = len; k < sizeof(buf); k++)
			if (buf[k] != 0xa5)
				abort(); /* wrote past the message */
		struct console_ctl_msg m;
		memcpy(&m, buf, sizeof(m));
		if (m.id >= s->nports || m.value > 1)
			abort();
		const struct console_ctl_port *p = &s->port[m.id];
		switch (m.event) {
		case CONSOLE_DEVICE_ADD:
			if (!was_ready || len != sizeof(m) || !p->added)
				abort();
			break;
		case CONSOLE_PORT_NAME:
			if (!p->ready || len != sizeof(m) + strlen(names[m.id]) ||
			    memcmp(buf + sizeof(m), names[m.id], len - sizeof(m)))
				abort();
			break;
		case CONSOLE_PORT_OPEN:
			if (!p->ready || len != sizeof(m) || m.value != p->host_open)
				abort();
			break;
		default:
			abort();
		}
	}
	if (console_ctl_pending(s) && cap >= CONSOLE_CTL_MSG_MAX)
		abort(); /* a big enough buffer takes everything owed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct console_ctl s;
	console_ctl_init(&s, names, CONSOLE_CTL_PORTS);
	size_t i = 0;
	while (i < size) {
		uint8_t op = data[i++];
		uint8_t arg = i < size ? data[i++] : 0;
		switch (op % 4) {
		case 0: {
			size_t len = arg % 17;
			if (len > size - i)
				len = size - i;
			uint64_t before = 0;
			for (unsigned v = 0; v < CONSOLE_NVERDICTS; v++)
				before += s.st.bad[v];
			enum console_verdict v = console_ctl_rx(&s, data + i, len);
			uint64_t after = 0;
			for (unsigned k = 0; k < CONSOLE_NVERDICTS; k++)
				after += s.st.bad[k];
			if ((unsigned)v >= CONSOLE_NVERDICTS || after != before + (v != CONSOLE_OK))
				abort();
			i += len;
			break;
		}
		case 1:
			drain(&s, arg % (CONSOLE_CTL_MSG_MAX + 9));
			break;
		case 2:
			console_ctl_host_open(&s, arg % CONSOLE_CTL_PORTS, arg & 0x80);
			break;
		default:
			console_ctl_reset(&s);
			if (console_ctl_pending(&s))
				abort();
			break;
		}
		check_states(&s);
	}
	drain(&s, CONSOLE_CTL_MSG_MAX);
	return 0;
}
