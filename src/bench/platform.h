/*
 * platform: the whole world a workload may see.
 *
 * Owns: the contract between the workloads (src/bench/wl_*.c and their
 * freestanding helpers) and whatever runs them. native.c implements it on
 * Linux for build/bench; the benchmark guest will implement it on its own
 * small kernel. Workloads call nothing else: no libc, no libm. The only
 * other symbols they may reference are memcpy, memset, memmove and memcmp
 * (the compiler emits calls to them for struct copies and cleared arrays),
 * which every implementation of this API must also provide with their ISO C
 * meaning.
 *
 * What a provider must also guarantee, beyond the calls below:
 *  - x86-64 user mode (CPL3) with SSE2 enabled; the floating-point/SSE state
 *    of every thread is preserved across preemption and context switches.
 *  - each thread, including the one that calls a workload, has at least
 *    64 KiB of stack (workloads keep large data in plat_alloc memory).
 *  - static data (.data/.bss) is writable and zero-initialised as usual;
 *    there is no thread-local storage and no constructor is run.
 *  - threads may run truly in parallel (if plat_ncpus() > 1) or be
 *    preemptively time-sliced on one CPU: workloads are correct either way.
 */
#ifndef BENCH_PLATFORM_H
#define BENCH_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds on a monotonic clock that never goes backwards and keeps
 * counting while threads sleep. The origin is arbitrary. Resolution should
 * be 1 us or better; the call should cost well under 1 us. */
uint64_t plat_now_ns(void);

/* The raw time-stamp counter (RDTSC). Used only for cycle counts reported
 * alongside wall time; it need not be synchronised across CPUs. */
uint64_t plat_rdtsc(void);

/* Allocates `size` bytes (size > 0), aligned to 4096, zero-filled.
 * Returns NULL when memory is exhausted. Safe to call from any thread. */
void *plat_alloc(size_t size);

/* Frees a block from plat_alloc; `size` is the size it was allocated with.
 * plat_free(NULL, n) does nothing. */
void plat_free(void *p, size_t size);

/* Writes `len` bytes to the result stream (stdout natively, the serial
 * console in the guest). Bytes written by one call are not interleaved
 * with other output. No formatting, no implied newline. */
void plat_write(const char *s, size_t len);

/* A thread of the workload. fn(arg) runs concurrently with its creator
 * until fn returns. Returns NULL if no thread could be made. A provider
 * must support at least 64 threads alive at once. */
struct plat_thread;
typedef void (*plat_thread_fn)(void *arg);
struct plat_thread *plat_thread_create(plat_thread_fn fn, void *arg);

/* Waits until the thread's fn has returned, then releases the handle.
 * Called exactly once per handle, by the thread that created it. Acts as
 * a full memory barrier: everything the thread wrote is visible after. */
void plat_thread_join(struct plat_thread *t);

/* A blocking mutual-exclusion lock. The storage is owned by the caller
 * (arrays of thousands are made, so it is fixed-size and needs no
 * allocation); its layout is the provider's. lock() may sleep or spin, and
 * must be fair enough that a waiter is not starved while the holder yields.
 * lock/unlock are acquire/release barriers. No destroy is needed: the
 * memory is simply freed. Never locked recursively. */
struct plat_mutex {
	_Alignas(64) uint64_t opaque[8];
};
void plat_mutex_init(struct plat_mutex *m);
void plat_mutex_lock(struct plat_mutex *m);
void plat_mutex_unlock(struct plat_mutex *m);

/* Gives up the CPU to another runnable thread if there is one (the
 * sched_yield() that sysbench's threads test exercises). */
void plat_yield(void);

/* Sleeps until plat_now_ns() >= deadline_ns (absolute), woken by a timer
 * interrupt, not by spinning: this is what the latency test measures.
 * Returns at once if the deadline has passed. */
void plat_sleep_until_ns(uint64_t deadline_ns);

/* Number of CPUs the workload's threads can run on (>= 1). */
unsigned plat_ncpus(void);

#endif
