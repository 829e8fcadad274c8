/*
 * outq: a bounded byte queue between a vCPU and a host descriptor that may
 * be slow or never read (COM1's output to a pipe, a terminal stopped with
 * Ctrl-S, a console socket).
 *
 * Owns: the queue's memory (fixed at creation), the wake-up eventfd the
 * main loop polls, the drain (non-blocking writes from the main thread,
 * never under the queue lock) and the final flush, which gives up after a
 * stated time. Also outq_nonblock(), which gives the monitor a descriptor
 * for its stdout/stderr that never blocks a write.
 *
 * A producer (a vCPU, through the UART's tx sink) costs one mutex, one
 * copy and at most one non-blocking eventfd write(2): it never waits for
 * the destination. When the queue is full outq_put() takes nothing and
 * the producer is told (outq_drain() returns true once there is room
 * again). A destination that fails for good (EPIPE: the reader went away)
 * turns the queue into a sink that accepts and discards everything, so a
 * closed stdout never stops a guest.
 *
 * Threads: any number of producers; one consumer (the main loop).
 */
#ifndef OUTQ_H
#define OUTQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* COM1's queue: about 3 s of a guest printing flat out under software KVM
 * (two exits per byte), and a bounded 64 KiB of the monitor's memory. */
#define OUTQ_SERIAL_SIZE (64u * 1024u)

/* The final flush waits while the destination takes bytes, but gives up
 * after OUTQ_FLUSH_IDLE_MS with no progress or OUTQ_FLUSH_MAX_MS in all.
 * A terminal reports room again only once its buffer is nearly empty, and
 * a slow serial console (a nested or emulated machine's) can take a second
 * or more for that after the monitor's own report filled it. */
#define OUTQ_FLUSH_IDLE_MS 2000
#define OUTQ_FLUSH_MAX_MS 5000

struct outq {
	pthread_mutex_t lock;
	uint8_t *buf;
	size_t cap, head, len; /* the bytes queued: buf[(head + i) % cap], i < len */
	int fd;                /* destination */
	int wake_fd;           /* eventfd: written when the queue becomes non-empty */
	bool waiter;           /* a producer found it full */
	bool dead;             /* the destination failed for good: discard */
	uint64_t written, discarded;
};

/* Sets up a queue of `cap` bytes to `fd`. Returns 0 or -1 with errno. */
int outq_init(struct outq *q, int fd, size_t cap);
void outq_free(struct outq *q);

/* Queues up to n bytes; returns how many were taken (fewer when full, in
 * which case the next outq_drain() that makes room returns true). */
size_t outq_put(struct outq *q, const uint8_t *p, size_t n);
/* A producer that must know when to stop (a UART's transmitter): queues
 * one byte if there is room, and returns true when the queue can take
 * another at once, false when it is now full; the next outq_drain() that
 * makes room then returns true. */
bool outq_push(struct outq *q, uint8_t byte);
/* Whether the queue holds bytes for the destination. */
bool outq_pending(struct outq *q);

/* Main loop: call when wake_fd is readable or fd is writable. Writes what
 * the destination takes without blocking. Returns true when a producer was
 * refused and there is room again. */
bool outq_drain(struct outq *q);
/* At the end of the run: drains with the bounds above. */
void outq_flush(struct outq *q);

/*
 * A descriptor for writing to fd's destination that never blocks, put in
 * place of fd (dup2) so every writer of fd gets it. A pipe, FIFO or
 * character device (a terminal) is reopened through /proc/self/fd with
 * O_NONBLOCK: a new open file description, so the flag does not leak to
 * the shell or to other processes that share the old one. A socket cannot
 * be reopened and gets O_NONBLOCK itself (vmm system's console socket is
 * the VM's alone). A regular file is left as it is: writes to it never
 * wait for a reader. Returns 0, or -1 when nothing could be done (the
 * descriptor then stays as it was).
 */
int outq_nonblock(int fd);

#endif
