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

/* ---- the disk (the disk workloads, wl_disk.c) ----
 * One block device of 512-byte sectors. Natively it is the image file
 * given to build/bench with --disk FILE, read and written with pread and
 * pwrite (buffered: no O_DIRECT, so both sides see the same page cache) and
 * flushed with fdatasync. In the benchmark guest it is the first
 * virtio-blk function on PCI bus 0, driven through the virtio 1.2 PCI
 * transport (src/guest/virtio.c).
 *
 * Requests are asynchronous so that a workload can keep several in flight
 * (its queue depth): submit starts one, wait takes the next completion. A
 * provider may complete a request inside submit: natively every request
 * is, as a buffered read that hits the page cache is a copy made by the
 * calling CPU whatever the interface (io_uring serves such reads inline
 * too). Completion order is the provider's. */
#define PLAT_DISK_READ 0
#define PLAT_DISK_WRITE 1
#define PLAT_DISK_FLUSH 2 /* off, buf and len ignored */
/* Or'ed into op: more requests follow at once, so the provider may hold
 * the device's notification back until the last of them (Linux's block
 * layer does the same for a plugged batch: one virtqueue kick for the
 * lot). Natively it changes nothing. */
#define PLAT_DISK_F_MORE 0x100u
#define PLAT_DISK_SECTOR 512u
#define PLAT_DISK_MAX_QD 64u          /* requests in flight at most */
#define PLAT_DISK_MAX_XFER (1u << 20) /* bytes per request at most */

/* How the guest waits for a completion (ignored natively): the device's
 * MSI-X interrupt, or polling the used ring with interrupts suppressed. */
#define PLAT_DISK_WAIT_IRQ 0
#define PLAT_DISK_WAIT_POLL 1

struct plat_disk_info {
	uint64_t size;     /* bytes, a multiple of PLAT_DISK_SECTOR */
	int readonly;      /* writes will fail */
	uint64_t setup_ns; /* time plat_disk_open took (guest: the virtio set-up) */
};

/* Opens the disk. Returns 0, or -1 with *why set to a static reason. */
int plat_disk_open(struct plat_disk_info *info, unsigned wait_mode, const char **why);
/* Starts a request of `len` bytes (a multiple of PLAT_DISK_SECTOR, at most
 * PLAT_DISK_MAX_XFER) at byte offset `off` (a multiple of PLAT_DISK_SECTOR)
 * from or into `buf`; `tag` comes back from plat_disk_wait. Returns 0, or
 * -1 when PLAT_DISK_MAX_QD requests are in flight or the request is
 * malformed (nothing started). */
int plat_disk_submit(unsigned op, uint64_t off, void *buf, uint32_t len, uint64_t tag);
/* Waits for the next completion of a request in flight (there must be
 * one); stores its tag. Returns 0 if it succeeded, -1 if the disk reported
 * an error (the data of a failed read are undefined). */
int plat_disk_wait(uint64_t *tag);
/* Whether plat_disk_wait would return without waiting. */
int plat_disk_ready(void);
/* Ends the use of the disk (every request completed). */
void plat_disk_close(void);

/* Provider-specific figures about the disk requests since open (the guest:
 * notifications, interrupts, where the time of a request went), for the
 * RESULT line. Fills up to `max` entries; returns how many. */
struct plat_stat {
	const char *key;
	double value;
	unsigned decimals;
};
size_t plat_disk_stats(struct plat_stat *out, size_t max);

#endif
