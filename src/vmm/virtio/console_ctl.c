/*
 * console_ctl: the multiport console's control protocol (virtio 1.2,
 * 5.3.6.2). See console_ctl.h.
 */
#include "console_ctl.h"

#include <stdlib.h>
#include <string.h>

const char *const console_verdict_name[CONSOLE_NVERDICTS] = {
	[CONSOLE_OK] = "ok",
	[CONSOLE_BAD_LEN] = "bad length",
	[CONSOLE_BAD_EVENT] = "bad event",
	[CONSOLE_BAD_ID] = "bad port id",
	[CONSOLE_BAD_VALUE] = "bad value",
	[CONSOLE_BAD_STATE] = "not valid in the port's state",
};

bool console_name_ok(const char *name, size_t len)
{
	if (len < 1 || len > CONSOLE_NAME_MAX)
		return false;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f || c == '/')
			return false;
	}
	return true;
}

void console_ctl_init(struct console_ctl *s, const char *const *names, unsigned n)
{
	memset(s, 0, sizeof(*s));
	if (n > CONSOLE_CTL_PORTS)
		abort(); /* the option parser keeps to the limit: our bug */
	s->nports = n;
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		if (!console_name_ok(names[i], len))
			abort(); /* checked by the option parser */
		memcpy(s->port[i].name, names[i], len + 1);
		s->port[i].namelen = len;
		s->port[i].host_open = true;
	}
}

void console_ctl_reset(struct console_ctl *s)
{
	s->device_ready = false;
	for (unsigned i = 0; i < s->nports; i++) {
		struct console_ctl_port *p = &s->port[i];
		p->added = p->ready = p->failed = p->guest_open = false;
		p->owe = 0;
	}
}

/* Each message is exactly the 8-byte struct: no event the driver sends
 * carries anything after it (only PORT_NAME does, and the device sends
 * that). Every field is checked before anything changes. */
enum console_verdict console_ctl_rx(struct console_ctl *s, const void *msg, size_t len)
{
	struct console_ctl_msg m;
	enum console_verdict v = CONSOLE_OK;
	if (len != sizeof(m)) {
		v = CONSOLE_BAD_LEN;
		goto out;
	}
	memcpy(&m, msg, sizeof(m));
	if (m.value > 1) {
		v = CONSOLE_BAD_VALUE;
		goto out;
	}
	if (m.event == CONSOLE_DEVICE_READY) {
		/* The id is not used (Linux sends 0xffffffff). */
		if (m.value && !s->device_ready) {
			s->device_ready = true;
			for (unsigned i = 0; i < s->nports; i++)
				if (!s->port[i].added)
					s->port[i].owe |= CONSOLE_OWE_ADD;
		}
		/* DEVICE_READY 0: the driver failed; nothing is sent until a
		 * reset (a repeated 1 changes nothing either). */
		goto out;
	}
	if (m.event != CONSOLE_PORT_READY && m.event != CONSOLE_PORT_OPEN) {
		v = CONSOLE_BAD_EVENT;
		goto out;
	}
	if (m.id >= s->nports) {
		v = CONSOLE_BAD_ID;
		goto out;
	}
	struct console_ctl_port *p = &s->port[m.id];
	if (m.event == CONSOLE_PORT_READY) {
		if (!p->added) {
			v = CONSOLE_BAD_STATE;
			goto out;
		}
		if (p->ready || p->failed)
			goto out; /* answered already: nothing more is owed */
		if (!m.value) {
			p->failed = true;
			s->st.port_failed++;
			goto out;
		}
		p->ready = true;
		p->owe |= CONSOLE_OWE_NAME | (p->host_open ? CONSOLE_OWE_OPEN : 0);
		goto out;
	}
	/* PORT_OPEN: a guest program opened or closed the port. */
	if (!p->ready) {
		v = CONSOLE_BAD_STATE;
		goto out;
	}
	p->guest_open = m.value;
out:
	if (v != CONSOLE_OK)
		s->st.bad[v]++;
	return v;
}

void console_ctl_host_open(struct console_ctl *s, unsigned i, bool open)
{
	if (i >= s->nports)
		abort(); /* the device's own port numbers */
	struct console_ctl_port *p = &s->port[i];
	if (p->host_open == open)
		return;
	p->host_open = open;
	if (p->ready)
		p->owe |= CONSOLE_OWE_OPEN; /* the value is taken when it is sent */
}

bool console_ctl_pending(const struct console_ctl *s)
{
	for (unsigned i = 0; i < s->nports; i++) {
		unsigned owe = s->port[i].owe;
		if (!s->device_ready)
			owe &= ~CONSOLE_OWE_ADD;
		if (owe)
			return true;
	}
	return false;
}

/* In the order the driver needs them: a port is added before it is named
 * or opened (Linux ignores messages for ports it does not know). */
size_t console_ctl_next(struct console_ctl *s, uint8_t *buf, size_t cap)
{
	for (unsigned i = 0; i < s->nports; i++) {
		struct console_ctl_port *p = &s->port[i];
		while (p->owe && (s->device_ready || !(p->owe & CONSOLE_OWE_ADD))) {
			struct console_ctl_msg m = {.id = i};
			size_t len = sizeof(m);
			if (p->owe & CONSOLE_OWE_ADD) {
				p->owe &= ~CONSOLE_OWE_ADD;
				m.event = CONSOLE_DEVICE_ADD;
				m.value = 1;
			} else if (p->owe & CONSOLE_OWE_NAME) {
				/* 5.3.6.2: the name follows the message, UTF-8,
				 * without a NUL. */
				p->owe &= ~CONSOLE_OWE_NAME;
				m.event = CONSOLE_PORT_NAME;
				m.value = 1;
				len += p->namelen;
			} else {
				p->owe &= ~CONSOLE_OWE_OPEN;
				m.event = CONSOLE_PORT_OPEN;
				m.value = p->host_open;
			}
			if (len > cap) {
				s->st.small_buf++;
				continue;
			}
			memcpy(buf, &m, sizeof(m));
			if (m.event == CONSOLE_DEVICE_ADD)
				p->added = true; /* only once the driver is told */
			if (m.event == CONSOLE_PORT_NAME)
				memcpy(buf + sizeof(m), p->name, p->namelen);
			s->st.sent++;
			return len;
		}
	}
	return 0;
}
