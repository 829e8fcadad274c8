/* vlog: bounded, non-blocking messages on stderr. */
#include "vlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "outq.h"

/* Each kind's budget for the whole run and how the summary names it. 32
 * unclaimed accesses show what a guest probes without letting it fill a
 * disk; one GPIO failure says all there is to say (it is the same host). */
static const struct {
	const char *what;
	uint64_t budget;
} vlog_kinds[VLOG_NKINDS] = {
	[VLOG_UNCLAIMED] = {"unclaimed accesses", 32},
	[VLOG_GPIO] = {"GPIO kernel-path failures", 1},
	[VLOG_VIRTIO] = {"virtio devices needing a reset", 8},
	[VLOG_VFIO] = {"passthrough BARs or vectors refused", 8},
};

static atomic_uint_fast64_t vlog_counts[VLOG_NKINDS];
static atomic_uint_fast64_t vlog_lost;

void vlog_init(void)
{
	(void)outq_nonblock(STDERR_FILENO);
}

void vlog_text(const char *text, size_t len)
{
	/* One attempt: on a non-blocking descriptor write(2) never sleeps, so
	 * EINTR cannot happen, and EAGAIN means the reader is not reading. */
	ssize_t w = write(STDERR_FILENO, text, len);
	if (w < 0 || (size_t)w != len)
		atomic_fetch_add(&vlog_lost, 1);
}

static void vlog_va(const char *fmt, va_list ap)
{
	char buf[VLOG_MAX];
	int n = snprintf(buf, sizeof(buf), "vmm: ");
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2; /* truncated */
	buf[len++] = '\n';
	vlog_text(buf, len);
}

void vlog(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog_va(fmt, ap);
	va_end(ap);
}

bool vlog_guest(enum vlog_kind kind, const char *fmt, ...)
{
	if ((unsigned)kind >= VLOG_NKINDS)
		return false;
	uint64_t n = atomic_fetch_add(&vlog_counts[kind], 1);
	if (n >= vlog_kinds[kind].budget)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vlog_va(fmt, ap);
	va_end(ap);
	return true;
}

void vlog_summary(void)
{
	for (unsigned k = 0; k < VLOG_NKINDS; k++) {
		uint64_t n = atomic_load(&vlog_counts[k]);
		if (n > vlog_kinds[k].budget)
			vlog("further %llu %s not logged", (unsigned long long)(n - vlog_kinds[k].budget),
			     vlog_kinds[k].what);
	}
	uint64_t lost = atomic_load(&vlog_lost);
	if (lost)
		vlog("%llu message%s lost: stderr was not being read", (unsigned long long)lost,
		     lost == 1 ? " was" : "s were");
}

void vlog_reset(void)
{
	for (unsigned k = 0; k < VLOG_NKINDS; k++)
		atomic_store(&vlog_counts[k], 0);
	atomic_store(&vlog_lost, 0);
}

uint64_t vlog_count(enum vlog_kind kind)
{
	return (unsigned)kind < VLOG_NKINDS ? atomic_load(&vlog_counts[kind]) : 0;
}
