/* outq: bounded, non-blocking output to a host descriptor. */
#include "outq.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int outq_init(struct outq *q, int fd, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->wake_fd = -1;
	if (!cap) {
		errno = EINVAL;
		return -1;
	}
	q->buf = malloc(cap);
	if (!q->buf)
		return -1;
	q->cap = cap;
	q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->wake_fd < 0) {
		free(q->buf);
		q->buf = NULL;
		return -1;
	}
	pthread_mutex_init(&q->lock, NULL);
	return 0;
}

void outq_free(struct outq *q)
{
	if (!q->buf)
		return;
	close(q->wake_fd);
	pthread_mutex_destroy(&q->lock);
	free(q->buf);
	q->buf = NULL;
}

static void outq_wake(struct outq *q)
{
	/* Non-blocking: an eventfd write fails only when its counter would
	 * overflow, and the main loop resets it every pass. */
	uint64_t one = 1;
	(void)!write(q->wake_fd, &one, sizeof(one));
}

bool outq_push(struct outq *q, uint8_t byte)
{
	pthread_mutex_lock(&q->lock);
	bool wake = false, room = true;
	if (q->dead) {
		q->discarded++;
	} else {
		wake = q->len == 0;
		if (q->len < q->cap)
			q->buf[(q->head + q->len++) % q->cap] = byte;
		room = q->len < q->cap;
		if (!room)
			q->waiter = true;
	}
	pthread_mutex_unlock(&q->lock);
	if (wake)
		outq_wake(q);
	return room;
}

size_t outq_put(struct outq *q, const uint8_t *p, size_t n)
{
	size_t took = 0;
	bool wake = false;
	pthread_mutex_lock(&q->lock);
	if (q->dead) {
		q->discarded += n;
		took = n;
	} else {
		wake = q->len == 0 && n > 0;
		while (took < n && q->len < q->cap) {
			q->buf[(q->head + q->len) % q->cap] = p[took++];
			q->len++;
		}
		if (took < n)
			q->waiter = true;
	}
	pthread_mutex_unlock(&q->lock);
	if (wake)
		outq_wake(q);
	return took;
}

bool outq_pending(struct outq *q)
{
	pthread_mutex_lock(&q->lock);
	bool p = q->len > 0 && !q->dead;
	pthread_mutex_unlock(&q->lock);
	return p;
}

/* One write of the oldest contiguous bytes. Only the consumer moves head,
 * and producers only fill bytes outside [head, head + len), so the write
 * runs without the lock: a slow destination never holds up a producer.
 * Returns the bytes written, 0 when the destination is full, -1 when it
 * failed for good. */
static ssize_t drain_once(struct outq *q)
{
	pthread_mutex_lock(&q->lock);
	size_t head = q->head, len = q->len;
	bool dead = q->dead;
	pthread_mutex_unlock(&q->lock);
	if (dead || !len)
		return 0;
	size_t chunk = q->cap - head < len ? q->cap - head : len;
	ssize_t w = write(q->fd, q->buf + head, chunk);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	pthread_mutex_lock(&q->lock);
	if (w <= 0) {
		/* EPIPE, EIO, ENOSPC...: the destination is gone; from now on
		 * output is discarded rather than ending the guest. */
		q->dead = true;
		q->discarded += q->len;
		q->len = 0;
		w = -1;
	} else {
		q->head = (q->head + (size_t)w) % q->cap;
		q->len -= (size_t)w;
		q->written += (uint64_t)w;
	}
	pthread_mutex_unlock(&q->lock);
	return w;
}

bool outq_drain(struct outq *q)
{
	uint64_t v;
	(void)!read(q->wake_fd, &v, sizeof(v));
	/* A few writes at most per call: the main loop has other work. */
	for (int i = 0; i < 4; i++)
		if (drain_once(q) <= 0)
			break;
	pthread_mutex_lock(&q->lock);
	bool ready = q->waiter && (q->dead || q->len < q->cap);
	if (ready)
		q->waiter = false;
	pthread_mutex_unlock(&q->lock);
	return ready;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void outq_flush(struct outq *q)
{
	long long start = now_ms(), last = start;
	while (outq_pending(q)) {
		long long now = now_ms();
		if (now - last >= OUTQ_FLUSH_IDLE_MS || now - start >= OUTQ_FLUSH_MAX_MS)
			break;
		struct pollfd p = {q->fd, POLLOUT, 0};
		if (poll(&p, 1, (int)(OUTQ_FLUSH_IDLE_MS - (now - last))) < 0 && errno != EINTR)
			break;
		ssize_t w = drain_once(q);
		if (w < 0)
			break;
		if (w > 0)
			last = now_ms();
	}
	pthread_mutex_lock(&q->lock);
	if (!q->dead) {
		q->discarded += q->len;
		q->len = 0;
	}
	pthread_mutex_unlock(&q->lock);
}

int outq_nonblock(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return 0;
	if (S_ISSOCK(st.st_mode)) {
		int fl = fcntl(fd, F_GETFL);
		return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
	}
	/* The same access mode: `--serial fd:N` is read as well as written. */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int nfd = open(path, (fl & O_ACCMODE) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (nfd < 0) {
		/* No /proc: the shared description gets the flag, the one
		 * thing left that keeps a write from blocking. */
		return fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
	}
	int fdflags = fcntl(fd, F_GETFD);
	int r = dup3(nfd, fd, fdflags >= 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0);
	close(nfd);
	return r < 0 ? -1 : 0;
}
