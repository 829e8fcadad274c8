/*
 * vlog: the messages `vmm run` prints on stderr while a guest runs.
 *
 * Owns: how a message goes out (formatted into one buffer, then one
 * write(2) on a descriptor that never blocks: see outq_nonblock; a message
 * that does not fit into the destination is dropped and counted, never
 * waited for), and the one rate limit on messages a guest can cause.
 *
 * Rate limit: every message a guest can trigger names its kind; each kind
 * has a budget of messages for the whole run, and what is over the budget
 * is only counted. vlog_summary(), at the end of the run, prints one line
 * per kind that went over: "vmm: further N unclaimed accesses not logged".
 * So whatever a guest does, it can cause at most the sum of the budgets
 * (a few KiB) plus the summary lines. Messages no guest can repeat (the
 * reason a run stopped, once; start-up notes) use vlog() directly.
 *
 * Thread safety: all functions may be called from any thread; no lock is
 * held across a write, and a write of less than PIPE_BUF bytes to a pipe
 * is atomic, so messages from several vCPUs do not interleave.
 */
#ifndef VLOG_H
#define VLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest message, register dumps included. Below PIPE_BUF (4096). */
#define VLOG_MAX 2048

enum vlog_kind {
	VLOG_UNCLAIMED, /* an access no device claims (vcpu.c) */
	VLOG_GPIO,      /* the GPIO's kernel interrupt path failed (machine.c) */
	VLOG_VIRTIO,    /* a virtio device put in NEEDS_RESET (virtio_pci.c) */
	VLOG_VFIO,      /* a passed-through function's BAR or vector refused (vfio_pci.c) */
	VLOG_NKINDS
};

/* Makes stderr non-blocking for the rest of the run (outq_nonblock). */
void vlog_init(void);

/* "vmm: " + the message + "\n", in one write. */
void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Text already formatted (several lines), in one write. */
void vlog_text(const char *text, size_t len);

/* A message a guest can cause: printed as vlog() does while `kind` is
 * within its budget, otherwise only counted. Returns whether it printed. */
bool vlog_guest(enum vlog_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* At the end of the run: one line per kind over its budget, and the
 * count of messages stderr could not take. */
void vlog_summary(void);

/* For tests: the counts start again. */
void vlog_reset(void);
/* Messages of `kind` so far (printed or not). */
uint64_t vlog_count(enum vlog_kind kind);

#endif
