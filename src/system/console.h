/*
 * console: the console server's parts, used by the supervisor (system.c):
 * nothing a guest prints, and no terminal however slow, can make the
 * supervisor wait.
 *
 * Owns:
 *  - console_escape, the one function that makes guest bytes safe to show
 *    on a terminal: control bytes, escape sequences and invalid UTF-8
 *    become visible escapes (\r, \x1b), so a guest cannot move the
 *    cursor, hide the "[name] " prefix, retitle or clear the operator's
 *    terminal (the log files keep every byte as it came);
 *  - struct cq, a byte queue with a bound: what does not fit is dropped and
 *    counted, never waited for;
 *  - struct cstream, one VM output stream cut into "[name] " lines;
 *  - struct term and struct tout: stdout or stderr written without ever
 *    blocking, fed round robin from many queues, one whole line at a time
 *    so that lines of different VMs never mix.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sysdesc.h"

/* A longer line is cut there (and goes on in the next line). */
#define CONSOLE_LINE_MAX 2048
/* Bytes of finished lines held for the terminal, per VM stream. */
#define CONSOLE_QUEUE_MAX (64u * 1024)
/* The most console_escape writes for n bytes (\xNN per byte, a NUL). */
#define CONSOLE_ESCAPED_MAX(n) (4 * (n) + 1)
/* A rendered line: "[name] ", the escaped line, a newline. */
#define CONSOLE_RENDERED_MAX (SD_NAME_MAX + 3 + CONSOLE_ESCAPED_MAX(CONSOLE_LINE_MAX) + 1)

/* Renders n guest bytes (one line, its newline excluded) for a terminal
 * into out (room for CONSOLE_ESCAPED_MAX(n)); returns the length, and out
 * is NUL-terminated. Printable ASCII, tab and valid UTF-8 pass; carriage
 * returns at the end of the line (a CRLF's CR) are left out; every other
 * C0 or C1 control, DEL, the Unicode bidirectional controls and every
 * byte of invalid UTF-8 become \r or \xNN. */
size_t console_escape(const unsigned char *in, size_t n, char *out);

struct cq {
	char *buf;
	size_t cap, head, len; /* the data is buf[head, head + len) */
	uint64_t dropped;      /* bytes that did not fit */
	uint64_t dropped_units; /* lines (or input chunks) that did not fit */
	uint64_t noticed;      /* `dropped` when it was last reported */
};

int cq_init(struct cq *q, size_t cap);
void cq_free(struct cq *q);
/* Appends all n bytes, or none: then they are counted as dropped. */
bool cq_push(struct cq *q, const void *b, size_t n);
/* Appends what fits of n bytes; the rest is counted as dropped. */
void cq_push_some(struct cq *q, const void *b, size_t n);
void cq_consume(struct cq *q, size_t n);
/* Drops everything queued, counting it. */
void cq_discard(struct cq *q);

/* One VM stream on its way to a terminal queue. */
struct cstream {
	const char *name;
	unsigned char line[CONSOLE_LINE_MAX];
	size_t len;
	double last_ms; /* when bytes last came */
	struct cq q;
};

/* Cuts buf into lines; each finished line goes into s->q rendered. */
void cstream_feed(struct cstream *s, const char *buf, size_t n, double now_ms);
/* Puts out a partial line (a prompt) with a newline. */
void cstream_flush(struct cstream *s);

/* A terminal output. The descriptor is written without waiting: a socket
 * with MSG_DONTWAIT, a pipe or terminal through a descriptor of its own
 * opened O_NONBLOCK (/proc/self/fd/N, so the shell's file status flags
 * are left alone), a regular file as it is (it never waits for a
 * reader). */
struct term {
	int fd;
	bool send, own, dead;
	int restore_fl; /* flags to put back on the shared descriptor, or -1 */
};

void term_open(struct term *t, int fd);
void term_close(struct term *t);

/* A terminal fed from several queues. */
struct tout {
	struct term t;
	struct cq **qs;
	size_t nq, next;
	long busy; /* the queue whose line is half written, or -1 */
};

/* Writes what the terminal takes now, never waiting. A terminal that is
 * gone (EPIPE, EIO) takes nothing more: what is queued is dropped. */
void tout_pump(struct tout *o);
bool tout_pending(const struct tout *o);

#endif
