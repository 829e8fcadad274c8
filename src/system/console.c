/* console: escaping, bounded queues and non-blocking terminals for the
 * console server (console.h). */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utf8.h"

/* Code points a terminal acts on rather than shows: the C1 controls
 * (U+0080..U+009F; U+009B is CSI to some terminals) and the bidirectional
 * formatting characters, which reorder what the operator sees. */
static bool utf8_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || utf8_bidi_control(cp);
}

size_t console_escape(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	/* A line ending in CRLF (as a Linux serial console writes) shows as
	 * the line: its trailing CRs move the cursor only to where the
	 * newline will take it anyway. Any other CR is shown. */
	while (n && in[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n;) {
		unsigned char b = in[i];
		uint32_t cp;
		size_t len;
		if ((b >= 0x20 && b < 0x7f) || b == '\t') {
			out[o++] = (char)b;
			i++;
		} else if (b == '\r') {
			out[o++] = '\\';
			out[o++] = 'r';
			i++;
		} else if (b >= 0x80 && (len = utf8_decode(in + i, n - i, &cp)) && !utf8_hidden(cp)) {
			memcpy(out + o, in + i, len);
			o += len;
			i += len;
		} else {
			/* ESC and the other controls, DEL, a hidden code point
			 * or invalid UTF-8: one escape per byte (a valid
			 * sequence of len bytes escapes as len bytes, each
			 * taken here in turn only when not valid on its own). */
			len = b >= 0x80 ? utf8_decode(in + i, n - i, &cp) : 0;
			if (!len)
				len = 1;
			for (size_t k = 0; k < len; k++) {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[in[i + k] >> 4];
				out[o++] = hex[in[i + k] & 15];
			}
			i += len;
		}
	}
	out[o] = '\0';
	return o;
}

int cq_init(struct cq *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->buf = malloc(cap);
	q->cap = q->buf ? cap : 0;
	return q->buf ? 0 : -1;
}

void cq_free(struct cq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->cap = q->head = q->len = 0;
}

/* Room for n more bytes at the end, moving the data to the front when
 * needed. */
static bool cq_room(struct cq *q, size_t n)
{
	if (n > q->cap - q->len)
		return false;
	if (q->head + q->len + n > q->cap) {
		memmove(q->buf, q->buf + q->head, q->len);
		q->head = 0;
	}
	return true;
}

bool cq_push(struct cq *q, const void *b, size_t n)
{
	if (!cq_room(q, n)) {
		q->dropped += n;
		q->dropped_units++;
		return false;
	}
	memcpy(q->buf + q->head + q->len, b, n);
	q->len += n;
	return true;
}

void cq_push_some(struct cq *q, const void *b, size_t n)
{
	size_t take = n < q->cap - q->len ? n : q->cap - q->len;
	if (take) {
		cq_room(q, take);
		memcpy(q->buf + q->head + q->len, b, take);
		q->len += take;
	}
	if (take < n) {
		q->dropped += n - take;
		q->dropped_units++;
	}
}

void cq_consume(struct cq *q, size_t n)
{
	q->head += n;
	q->len -= n;
	if (!q->len)
		q->head = 0;
}

void cq_discard(struct cq *q)
{
	if (q->len) {
		q->dropped += q->len;
		q->dropped_units++;
	}
	q->head = q->len = 0;
}

static void cstream_line(struct cstream *s)
{
	char out[CONSOLE_RENDERED_MAX];
	int n = snprintf(out, sizeof(out), "[%s] ", s->name);
	if (n < 0)
		n = 0;
	size_t len = (size_t)n;
	size_t body = s->len;
	if (body && s->line[body - 1] == '\n')
		body--;
	len += console_escape(s->line, body, out + len);
	out[len++] = '\n';
	cq_push(&s->q, out, len);
	s->len = 0;
}

void cstream_feed(struct cstream *s, const char *buf, size_t n, double now_ms)
{
	s->last_ms = now_ms;
	for (size_t i = 0; i < n; i++) {
		s->line[s->len++] = (unsigned char)buf[i];
		if (buf[i] == '\n' || s->len == sizeof(s->line))
			cstream_line(s);
	}
}

void cstream_flush(struct cstream *s)
{
	if (s->len)
		cstream_line(s);
}

void term_open(struct term *t, int fd)
{
	struct stat st;
	*t = (struct term){.fd = fd, .restore_fl = -1};
	if (fstat(fd, &st) < 0) {
		t->dead = true;
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		t->send = true;
		return;
	}
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return;
	/* A pipe or a terminal: a new open file description of the same
	 * object, so O_NONBLOCK does not reach the shell that shares ours. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (nfd >= 0) {
		t->fd = nfd;
		t->own = true;
		return;
	}
	/* No /proc, or a terminal we may not open again: set O_NONBLOCK on
	 * the shared description for as long as we run. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
		t->restore_fl = fl;
	else if (fl < 0)
		t->dead = true;
}

void term_close(struct term *t)
{
	if (t->own)
		close(t->fd);
	else if (t->restore_fl >= 0)
		fcntl(t->fd, F_SETFL, t->restore_fl);
	t->own = false;
	t->restore_fl = -1;
}

static ssize_t term_write(struct term *t, const void *b, size_t n)
{
	if (t->send)
		return send(t->fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(t->fd, b, n);
}

bool tout_pending(const struct tout *o)
{
	for (size_t i = 0; i < o->nq; i++)
		if (o->qs[i]->len)
			return true;
	return false;
}

void tout_pump(struct tout *o)
{
	for (unsigned rounds = 0; rounds < 1024; rounds++) {
		if (o->t.dead) {
			for (size_t i = 0; i < o->nq; i++)
				cq_discard(o->qs[i]);
			return;
		}
		/* A half-written line is finished first; otherwise the
		 * queues take turns. */
		size_t k = o->nq;
		if (o->busy >= 0) {
			k = (size_t)o->busy;
		} else {
			for (size_t i = 0; i < o->nq && k == o->nq; i++) {
				size_t j = (o->next + i) % o->nq;
				if (o->qs[j]->len)
					k = j;
			}
			if (k == o->nq)
				return;
			o->next = (k + 1) % o->nq;
		}
		struct cq *q = o->qs[k];
		ssize_t w = term_write(&o->t, q->buf + q->head, q->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			o->t.dead = true; /* EPIPE, EIO: nobody is there any more */
			continue;
		}
		/* Every queued line ends in a newline: a write that did not
		 * end on one left a line half written. */
		bool whole = q->buf[q->head + (size_t)w - 1] == '\n';
		cq_consume(q, (size_t)w);
		o->busy = whole ? -1 : (long)k;
	}
}
