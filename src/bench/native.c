/*
 * native: the Linux implementation of the platform API (platform.h) and
 * main() of build/bench, the native workload runner.
 *
 * Time is CLOCK_MONOTONIC; memory comes from mmap (page-aligned, zeroed);
 * output is write(2) on stdout; threads and mutexes are pthreads; sleeping
 * is clock_nanosleep(TIMER_ABSTIME), the call cyclictest uses for its
 * timer threads. Built with the normal hosted flags, not the workloads'.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

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

uint64_t plat_rdtsc(void)
{
	return __rdtsc();
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

#ifndef BENCH_NATIVE_NO_MAIN
static void native_err(const char *s, size_t len)
{
	fwrite(s, 1, len, stderr);
}

int main(int argc, char **argv)
{
	return bench_cli(argc - 1, (const char *const *)(argv + 1), native_err);
}
#endif
