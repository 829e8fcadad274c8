/*
 * native: the Linux implementation of the platform API (platform.h) and
 * main() of build/bench, the native workload runner.
 *
 * Time is CLOCK_MONOTONIC; memory comes from mmap (page-aligned, zeroed);
 * output is write(2) on stdout; threads and mutexes are pthreads; sleeping
 * is clock_nanosleep(TIMER_ABSTIME), the call cyclictest uses for its
 * timer threads. The disk is the file named by --disk, read and written
 * with pread/pwrite (buffered, no O_DIRECT) and flushed with fdatasync.
 * Built with the normal hosted flags, not the workloads'.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if !defined(__aarch64__)
#include <x86intrin.h>
#endif

#include "bench.h"
#include "platform.h"

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(struct plat_mutex),
	       "struct plat_mutex too small for pthread_mutex_t");

uint64_t plat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The cycle-like count of RESULT lines' tsc_cycles: the TSC on x86; on
 * arm64 the generic timer's virtual count CNTVCT_EL0 (ticks at CNTFRQ_EL0,
 * not CPU cycles), which Linux lets EL0 read, as the arm64 benchmark guest
 * reads it (src/guest/arch/arm64/guestarch.h). */
uint64_t plat_rdtsc(void)
{
#if defined(__aarch64__)
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
#else
	return __rdtsc();
#endif
}

void *plat_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void plat_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

void plat_write(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

struct plat_thread {
	pthread_t tid;
	plat_thread_fn fn;
	void *arg;
};

static void *native_thread_main(void *p)
{
	struct plat_thread *t = p;

	t->fn(t->arg);
	return NULL;
}

struct plat_thread *plat_thread_create(plat_thread_fn fn, void *arg)
{
	struct plat_thread *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	if (pthread_create(&t->tid, NULL, native_thread_main, t) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void plat_thread_join(struct plat_thread *t)
{
	pthread_join(t->tid, NULL);
	free(t);
}

static pthread_mutex_t *native_mutex(struct plat_mutex *m)
{
	return (pthread_mutex_t *)(void *)m->opaque;
}

void plat_mutex_init(struct plat_mutex *m)
{
	pthread_mutex_init(native_mutex(m), NULL);
}

void plat_mutex_lock(struct plat_mutex *m)
{
	pthread_mutex_lock(native_mutex(m));
}

void plat_mutex_unlock(struct plat_mutex *m)
{
	pthread_mutex_unlock(native_mutex(m));
}

void plat_yield(void)
{
	sched_yield();
}

void plat_sleep_until_ns(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
		.tv_nsec = (long)(deadline_ns % 1000000000ULL),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

unsigned plat_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* ---- the disk: the file given with --disk ----
 * A request is carried out inside plat_disk_submit (platform.h says why
 * that is what any interface would do for cached buffered I/O) and its
 * completion queued for plat_disk_wait. */
static const char *native_disk_path;
static int native_disk_fd = -1;
static struct {
	uint64_t tag;
	int rc;
} native_done[PLAT_DISK_MAX_QD];
static unsigned native_done_head, native_done_len;

int plat_disk_open(struct plat_disk_info *info, unsigned wait_mode, const char **why)
{
	struct stat st;
	uint64_t t0 = plat_now_ns();

	(void)wait_mode;
	native_done_head = native_done_len = 0;
	if (!native_disk_path) {
		*why = "no disk: give build/bench --disk FILE";
		return -1;
	}
	info->readonly = 0;
	native_disk_fd = open(native_disk_path, O_RDWR | O_CLOEXEC);
	if (native_disk_fd < 0 && (errno == EACCES || errno == EROFS)) {
		native_disk_fd = open(native_disk_path, O_RDONLY | O_CLOEXEC);
		info->readonly = 1;
	}
	if (native_disk_fd < 0) {
		*why = "cannot open the --disk file";
		return -1;
	}
	if (fstat(native_disk_fd, &st) || !S_ISREG(st.st_mode)) {
		close(native_disk_fd);
		native_disk_fd = -1;
		*why = "the --disk file is not a regular file";
		return -1;
	}
	info->size = (uint64_t)st.st_size / PLAT_DISK_SECTOR * PLAT_DISK_SECTOR;
	info->setup_ns = plat_now_ns() - t0;
	return 0;
}

/* The whole of one request: a short transfer is retried from where it
 * stopped; end of file or an error fails the request. */
static int native_disk_rw(unsigned op, uint64_t off, uint8_t *buf, uint32_t len)
{
	while (len) {
		ssize_t n = op == PLAT_DISK_WRITE ? pwrite(native_disk_fd, buf, len, (off_t)off)
						  : pread(native_disk_fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		off += (uint64_t)n;
		len -= (uint32_t)n;
	}
	return 0;
}

int plat_disk_submit(unsigned op, uint64_t off, void *buf, uint32_t len, uint64_t tag)
{
	int rc;

	op &= ~PLAT_DISK_F_MORE;
	if (native_disk_fd < 0 || native_done_len == PLAT_DISK_MAX_QD || op > PLAT_DISK_FLUSH)
		return -1;
	if (op == PLAT_DISK_FLUSH)
		rc = fdatasync(native_disk_fd) ? -1 : 0;
	else if (len % PLAT_DISK_SECTOR || off % PLAT_DISK_SECTOR || len > PLAT_DISK_MAX_XFER)
		return -1;
	else
		rc = native_disk_rw(op, off, buf, len);
	unsigned i = (native_done_head + native_done_len++) % PLAT_DISK_MAX_QD;
	native_done[i].tag = tag;
	native_done[i].rc = rc;
	return 0;
}

int plat_disk_wait(uint64_t *tag)
{
	if (!native_done_len)
		abort(); /* the workload waited with nothing in flight */
	unsigned i = native_done_head;
	native_done_head = (native_done_head + 1) % PLAT_DISK_MAX_QD;
	native_done_len--;
	*tag = native_done[i].tag;
	return native_done[i].rc;
}

int plat_disk_ready(void)
{
	return native_done_len > 0;
}

void plat_disk_close(void)
{
	if (native_disk_fd >= 0)
		close(native_disk_fd);
	native_disk_fd = -1;
}

size_t plat_disk_stats(struct plat_stat *out, size_t max)
{
	(void)out;
	(void)max;
	return 0;
}

#ifndef BENCH_NATIVE_NO_MAIN
static void native_err(const char *s, size_t len)
{
	fwrite(s, 1, len, stderr);
}

/* bench [--disk FILE] list|run|help ...: the disk workloads' image. */
int main(int argc, char **argv)
{
	int skip = 1;

	if (argc >= 3 && !strcmp(argv[1], "--disk")) {
		native_disk_path = argv[2];
		skip = 3;
	}
	return bench_cli(argc - skip, (const char *const *)(argv + skip), native_err);
}
#endif
