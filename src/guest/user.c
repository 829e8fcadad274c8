/*
 * user: the benchmark guest's CPL3 side: the platform API the workloads
 * are written against (src/bench/platform.h), and the first thread, which
 * reads the command line and runs the workload through the same CLI code
 * as build/bench.
 *
 * Time is the TSC scaled by the frequency the kernel checked at boot
 * (no system call: RDTSC is allowed at CPL3). Memory is the RAM above the
 * image, handed out by a first-fit allocator over an address-ordered free
 * list. Threads, yield, sleep and contended locks are system calls; an
 * uncontended lock or unlock is one atomic instruction.
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guest.h"
#include "guestarch.h"
#include "guestwl.h"
#include "platform.h"
#include "virtio.h"

void user_entry(const struct guest_info *gi);

static const struct guest_info *gi;
static uint64_t ns_mul; /* ns per TSC tick, 32.32 fixed point */
static uint64_t tsc_per_ms;

uint64_t plat_rdtsc(void)
{
	return guest_counter();
}

uint64_t plat_now_ns(void)
{
	uint64_t d = plat_rdtsc() - gi->tsc_boot;
	return (uint64_t)(((unsigned __int128)d * ns_mul) >> 32);
}

void plat_write(const char *s, size_t len)
{
	sys3(SYS_WRITE, (uint64_t)s, len, 0);
}

unsigned plat_ncpus(void)
{
	return 1;
}

void plat_yield(void)
{
	sys3(SYS_YIELD, 0, 0, 0);
}

void plat_sleep_until_ns(uint64_t deadline_ns)
{
	uint64_t ms = deadline_ns / 1000000, rest = deadline_ns % 1000000;
	uint64_t tsc = gi->tsc_boot + ms * tsc_per_ms + rest * tsc_per_ms / 1000000;
	sys3(SYS_SLEEP_UNTIL, tsc, 0, 0);
}

/* ---- locks: word 0 free, 1 held, 2 held with waiters (kernel.c) ---- */
void plat_mutex_init(struct plat_mutex *m)
{
	*(volatile uint32_t *)m->opaque = 0;
}

void plat_mutex_lock(struct plat_mutex *m)
{
	uint32_t *w = (uint32_t *)m->opaque, expect = 0;
	if (__atomic_compare_exchange_n(w, &expect, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	sys3(SYS_MUTEX_LOCK, (uint64_t)w, 0, 0);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

void plat_mutex_unlock(struct plat_mutex *m)
{
	uint32_t *w = (uint32_t *)m->opaque, expect = 1;
	if (__atomic_compare_exchange_n(w, &expect, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	sys3(SYS_MUTEX_UNLOCK, (uint64_t)w, 0, 0);
}

/* ---- memory: first fit over an address-ordered free list ----
 * Each free extent keeps its header in its first bytes. RAM above `fresh`
 * has never been handed out and is still zero from the monitor; recycled
 * extents are cleared when handed out again. */
struct extent {
	struct extent *next;
	size_t size;
};
static struct extent *free_list;
static uint64_t fresh, heap_end;
static struct plat_mutex heap_lock;

#define PAGE 4096ull

void *plat_alloc(size_t size)
{
	if (size == 0 || size > (1ull << 40))
		return NULL;
	size = (size + PAGE - 1) & ~(PAGE - 1);
	void *p = NULL;
	plat_mutex_lock(&heap_lock);
	for (struct extent **pp = &free_list; *pp; pp = &(*pp)->next) {
		struct extent *e = *pp;
		if (e->size < size)
			continue;
		if (e->size == size) {
			*pp = e->next;
		} else {
			struct extent *rest = (struct extent *)((uint8_t *)e + size);
			rest->next = e->next;
			rest->size = e->size - size;
			*pp = rest;
		}
		p = e;
		break;
	}
	if (!p && heap_end - fresh >= size) {
		p = (void *)fresh;
		fresh += size;
		plat_mutex_unlock(&heap_lock);
		return p;
	}
	plat_mutex_unlock(&heap_lock);
	if (p)
		__builtin_memset(p, 0, size);
	return p;
}

void plat_free(void *p, size_t size)
{
	if (!p)
		return;
	size = (size + PAGE - 1) & ~(PAGE - 1);
	struct extent *e = p;
	plat_mutex_lock(&heap_lock);
	struct extent **pp = &free_list;
	while (*pp && *pp < e)
		pp = &(*pp)->next;
	e->size = size;
	e->next = *pp;
	*pp = e;
	/* Merge with the following extent, then with the preceding one. */
	if (e->next && (uint8_t *)e + e->size == (uint8_t *)e->next) {
		e->size += e->next->size;
		e->next = e->next->next;
	}
	if (pp != &free_list) {
		struct extent *prev = (struct extent *)((uint8_t *)pp - offsetof(struct extent, next));
		if ((uint8_t *)prev + prev->size == (uint8_t *)e) {
			prev->size += e->size;
			prev->next = e->next;
		}
	}
	plat_mutex_unlock(&heap_lock);
}

/* ---- threads ---- */
#define THREAD_STACK (256u << 10)

struct plat_thread {
	plat_thread_fn fn;
	void *arg;
	int64_t tid;
	void *stack;
};

static void thread_start(struct plat_thread *t)
{
	t->fn(t->arg);
	sys3(SYS_THREAD_EXIT, 0, 0, 0);
}

struct plat_thread *plat_thread_create(plat_thread_fn fn, void *arg)
{
	struct plat_thread *t = plat_alloc(sizeof(*t));
	void *stack = plat_alloc(THREAD_STACK);
	if (!t || !stack) {
		plat_free(t, sizeof(*t));
		plat_free(stack, THREAD_STACK);
		return NULL;
	}
	t->fn = fn;
	t->arg = arg;
	t->stack = stack;
	t->tid = sys3(SYS_THREAD_NEW, (uint64_t)thread_start, (uint64_t)t,
		      (uint64_t)stack + THREAD_STACK);
	if (t->tid < 0) {
		plat_free(stack, THREAD_STACK);
		plat_free(t, sizeof(*t));
		return NULL;
	}
	return t;
}

void plat_thread_join(struct plat_thread *t)
{
	sys3(SYS_JOIN, (uint64_t)t->tid, 0, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	plat_free(t->stack, THREAD_STACK);
	plat_free(t, sizeof(*t));
}

int64_t irqlat_gpio_setup(void)
{
	return sys3(SYS_GPIO_SETUP, 0, 0, 0);
}

/* ---- the first thread ---- */

/* Test hook: `fault KIND` raises an exception in user mode, so tests can
 * check that a faulting workload is reported with its vector. */
int guestwl_unavailable(const struct bench_args *a, const char *why)
{
	char line[256];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "UNAVAILABLE ");
	fmt_str(&f, a->w->name);
	fmt_str(&f, ": ");
	fmt_str(&f, why);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	return GUESTWL_UNAVAILABLE;
}

static void deliberate_fault(const char *kind)
{
	guest_fault(fmt_streq(kind, "ud"), fmt_streq(kind, "gp"));
}

/* Test hooks for isolation between VMs (tests/kvm/test_system.c):
 * `fill SECONDS` writes a marker all over this VM's free RAM and keeps it
 * there for SECONDS; `scan` reads guest-physical memory outside its own
 * RAM, every 64 KiB up to the 3 GiB MMIO boundary, and reports any marker
 * it finds (there must be none: another VM's RAM is not in this VM's
 * address space). Returns the exit value. */
#define ISOLATION_MARK 0x4e49454d5f4d5621ull /* "!VM_MEIN" */
static int isolation_hook(int ntok, char **tok)
{
	if (fmt_streq(tok[0], "fill")) {
		uint64_t secs = ntok > 1 ? (uint64_t)(tok[1][0] - '0') : 3;
		for (uint64_t a = fresh; a + 8 <= heap_end; a += 8)
			*(volatile uint64_t *)a = ISOLATION_MARK;
		plat_write("FILL done\n", 10);
		plat_sleep_until_ns(plat_now_ns() + secs * 1000000000ull);
		return GUEST_EXIT_OK;
	}
	uint64_t probes = 0, found = 0;
	for (uint64_t a = (gi->heap_end + (1u << 20) + 0xffff) & ~0xffffull; a < 0xc0000000ull;
	     a += 0x10000, probes++)
		found += *(volatile uint64_t *)a == ISOLATION_MARK;
	char line[96];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "SCAN probes=");
	fmt_u64(&f, probes);
	fmt_str(&f, " found=");
	fmt_u64(&f, found);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	return found ? GUEST_EXIT_FAILED : GUEST_EXIT_OK;
}

static void err_out(const char *s, size_t len)
{
	plat_write(s, len);
}

void user_entry(const struct guest_info *info)
{
	static char line[4096];
	char *tok[64];
	gi = info;
	ns_mul = (1000000ull << 32) / gi->tsc_khz;
	tsc_per_ms = gi->tsc_khz;
	fresh = gi->heap_start;
	heap_end = gi->heap_end;
	size_t n = 0;
	for (const char *c = gi->cmdline; c && *c && n < sizeof(line) - 1; c++)
		line[n++] = *c;
	line[n] = '\0';
	int ntok = bench_split(line, tok, 64);
	int rc;
	guestwl_init(gi);
	if (ntok >= 1 && fmt_streq(tok[0], "fault")) {
		deliberate_fault(ntok > 1 ? tok[1] : "pf");
		rc = GUEST_EXIT_FAILED;
	} else if (ntok >= 2 && fmt_streq(tok[0], "vtest")) {
		/* virtio test hooks (vblk.c, vrng.c; tests/kvm/test_virtio_guest.c) */
		rc = vblk_test_hook(tok[1]);
	} else if (ntok >= 1 && (fmt_streq(tok[0], "fill") || fmt_streq(tok[0], "scan"))) {
		sys3(SYS_EXIT, (uint64_t)isolation_hook(ntok, tok), 0, 0);
		rc = GUEST_EXIT_BROKEN;
	} else if (ntok >= 2 && fmt_streq(tok[0], "run") && guestwl_find(tok[1])) {
		/* Guest-only workloads: same parameter parsing as the others. */
		static char ebuf[512];
		const struct bench_workload *w = guestwl_find(tok[1]);
		struct fmt f;
		struct bench_args args;
		fmt_init(&f, ebuf, sizeof(ebuf));
		fmt_str(&f, "bench: ");
		rc = bench_parse_params(w, ntok - 2, (const char *const *)tok + 2, &args, &f);
		if (rc) {
			fmt_char(&f, '\n');
			plat_write(f.buf, f.len);
		} else {
			rc = w->run(&args);
		}
	} else {
		rc = bench_cli(ntok, (const char *const *)tok, err_out);
	}
	sys3(SYS_EXIT, rc == 0 ? GUEST_EXIT_OK : rc == 1 ? GUEST_EXIT_FAILED
		       : rc == GUESTWL_UNAVAILABLE ? GUEST_EXIT_UNAVAILABLE : GUEST_EXIT_USAGE,
	     0, 0);
	for (;;)
		;
}
