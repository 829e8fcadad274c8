/*
 * test_virtio_pci: the modern virtio-over-PCI transport (virtio 1.2
 * section 4.1) driven as Linux's virtio_pci_modern drives it, without
 * KVM: configuration space and capabilities, feature negotiation (3.1.1),
 * queue set-up, a request through the worker thread with INTx + ISR and
 * with MSI-X (routes, masking, pending bits), reset in the middle of I/O
 * (2.4), and NEEDS_RESET on a malformed ring (2.1.2). The device is the
 * entropy device, or a test device whose request blocks until released.
 */
#include "testlib.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guestmem.h"
#include "pci.h"
#include "rng.h"
#include "virtio_pci.h"

#define QSIZE 16
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define DATA 0x20000ull
#define GSI_BASE 40
#define POLL_TEST_NS 300000000u /* the polling test's window: 0.3 s, seen from here */

struct fix {
	struct guestmem gm;
	struct bus mmio;
	struct pci_bus pci;
	int slot;
	struct virtio_rng rng;
	struct virtio_pci *vp;
	int intx;
	unsigned routes, route_gsi, irqfds, msis;
	uint64_t route_addr;
	uint32_t route_data;
	uint16_t avail_idx;
};

/* ---- a device whose requests block until the test releases them ---- */
static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cond = PTHREAD_COND_INITIALIZER;
static int slow_entered, slow_release, slow_resets;

static int slow_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written)
{
	(void)dev;
	(void)q;
	pthread_mutex_lock(&slow_lock);
	slow_entered++;
	pthread_cond_broadcast(&slow_cond);
	while (!slow_release)
		pthread_cond_wait(&slow_cond, &slow_lock);
	slow_release--;
	pthread_mutex_unlock(&slow_lock);
	*written = c->wlen ? 1 : 0;
	return 0;
}

static void slow_reset(void *dev)
{
	(void)dev;
	__atomic_add_fetch(&slow_resets, 1, __ATOMIC_SEQ_CST);
}

static struct virtio_pci slow_vp;

/* ---- hooks: what the transport asks of KVM, recorded ---- */
static void rec_intx(void *ctx, unsigned gsi, int level)
{
	struct fix *f = ctx;
	(void)gsi;
	__atomic_store_n(&f->intx, level, __ATOMIC_SEQ_CST);
}

static int rec_route(void *ctx, unsigned gsi, uint64_t addr, uint32_t data)
{
	struct fix *f = ctx;
	f->routes++;
	f->route_gsi = gsi;
	f->route_addr = addr;
	f->route_data = data;
	return 0;
}

static int rec_irqfd(void *ctx, int fd, unsigned gsi)
{
	struct fix *f = ctx;
	(void)fd;
	(void)gsi;
	f->irqfds++;
	return 0;
}

static int rec_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct fix *f = ctx;
	(void)addr;
	(void)data;
	f->msis++;
	return 0;
}

static struct virtio_pci_hooks hooks_for(struct fix *f)
{
	/* No ioeventfd: notifications come through the MMIO handler, which
	 * signals the same eventfd the ioeventfd would. */
	return (struct virtio_pci_hooks){
		.route = rec_route, .irqfd = rec_irqfd, .ioeventfd = NULL, .msi = rec_msi,
		.ctx = f, .intx = {rec_intx, f, 19}, .gsi_base = GSI_BASE,
	};
}

static void place_only(struct fix *f)
{
	f->slot = pci_add(&f->pci, &f->vp->pci);
	assert_true(f->slot > 0);
	assert_int_equal(virtio_pci_add_caps(f->vp), 0);
}

static void place(struct fix *f)
{
	place_only(f);
	char err[128];
	assert_int_equal(virtio_pci_start(f->vp, false, err, sizeof(err)), 0);
}

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(gm_init(&f->gm, 2u << 20), 0);
	f->mmio = (struct bus)BUS_INIT("mmio");
	pci_init(&f->pci);
	return f;
}

static int setup_rng(void **state)
{
	struct fix *f = fix_new();
	struct virtio_pci_hooks h = hooks_for(f);
	char err[128];
	assert_int_equal(virtio_rng_init(&f->rng, &f->gm, &f->mmio, &h, err, sizeof(err)), 0);
	f->vp = &f->rng.vp;
	place(f);
	*state = f;
	return 0;
}

/* The worker not started: whatever needs it cannot happen. */
static int setup_rng_idle(void **state)
{
	struct fix *f = fix_new();
	struct virtio_pci_hooks h = hooks_for(f);
	char err[128];
	assert_int_equal(virtio_rng_init(&f->rng, &f->gm, &f->mmio, &h, err, sizeof(err)), 0);
	f->vp = &f->rng.vp;
	place_only(f);
	*state = f;
	return 0;
}

static int setup_rng_polling(void **state)
{
	struct fix *f = fix_new();
	struct virtio_pci_hooks h = hooks_for(f);
	char err[128];
	assert_int_equal(virtio_rng_init(&f->rng, &f->gm, &f->mmio, &h, err, sizeof(err)), 0);
	f->vp = &f->rng.vp;
	f->vp->poll_ns = POLL_TEST_NS;
	place(f);
	*state = f;
	return 0;
}

static int setup_slow(void **state)
{
	struct fix *f = fix_new();
	struct virtio_pci_hooks h = hooks_for(f);
	const struct virtio_device d = {
		.name = "slow", .id = 99, .nqueues = 1, .queue_max = QSIZE,
		.serve = slow_serve, .reset = slow_reset,
	};
	char err[128];
	slow_entered = slow_release = slow_resets = 0;
	assert_int_equal(virtio_pci_init(&slow_vp, &d, &f->gm, &f->mmio, &h, err, sizeof(err)), 0);
	f->vp = &slow_vp;
	place(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	pthread_mutex_lock(&slow_lock);
	slow_release += 100; /* never leave the worker blocked */
	pthread_cond_broadcast(&slow_cond);
	pthread_mutex_unlock(&slow_lock);
	virtio_pci_free(f->vp);
	bus_free(&f->mmio);
	gm_free(&f->gm);
	free(f);
	return 0;
}

/* ---- the driver's side ---- */
static uint64_t mr(struct fix *f, uint64_t off, uint32_t len)
{
	uint8_t d[8] = {0};
	virtio_pci_mmio(f->vp, off, d, len, false);
	uint64_t v = 0;
	memcpy(&v, d, len);
	return v;
}

static void mw(struct fix *f, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t d[8];
	memcpy(d, &v, 8);
	virtio_pci_mmio(f->vp, off, d, len, true);
}

static void *g(struct fix *f, uint64_t gpa, uint64_t len)
{
	void *p = gm_ptr(&f->gm, gpa, len);
	assert_non_null(p);
	return p;
}

/* Waits up to 2 s for cond(f). */
static bool wait_for(struct fix *f, bool (*cond)(struct fix *))
{
	for (int i = 0; i < 2000; i++) {
		if (cond(f))
			return true;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return cond(f);
}

/* Acquire, as a driver reads it: the used elements are read after it. */
static uint16_t used_idx(struct fix *f)
{
	return __atomic_load_n((uint16_t *)g(f, USED + 2, 2), __ATOMIC_ACQUIRE);
}

static bool one_used(struct fix *f)
{
	return used_idx(f) >= 1;
}

static bool status_zero(struct fix *f)
{
	return mr(f, 0x14, 1) == 0;
}

static bool needs_reset(struct fix *f)
{
	return mr(f, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET;
}

static bool slow_in(struct fix *f)
{
	(void)f;
	pthread_mutex_lock(&slow_lock);
	bool in = slow_entered > 0;
	pthread_mutex_unlock(&slow_lock);
	return in;
}

/* 3.1.1 steps 1-6; returns whether FEATURES_OK stuck. */
static bool negotiate(struct fix *f, uint64_t features)
{
	mw(f, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	mw(f, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mw(f, 0x08, 4, 0);
	mw(f, 0x0c, 4, (uint32_t)features);
	mw(f, 0x08, 4, 1);
	mw(f, 0x0c, 4, (uint32_t)(features >> 32));
	mw(f, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       VIRTIO_STATUS_FEATURES_OK);
	return mr(f, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK;
}

static void setup_queue(struct fix *f, uint64_t desc, uint16_t vector)
{
	mw(f, 0x16, 2, 0);
	assert_int_equal(mr(f, 0x18, 2), f->vp->d.queue_max);
	mw(f, 0x18, 2, QSIZE);
	mw(f, 0x1a, 2, vector);
	/* Two 32-bit halves, as Linux's vp_iowrite64_twopart. */
	mw(f, 0x20, 4, (uint32_t)desc);
	mw(f, 0x24, 4, desc >> 32);
	mw(f, 0x28, 4, AVAIL);
	mw(f, 0x2c, 4, 0);
	mw(f, 0x30, 8, USED);
	mw(f, 0x1c, 2, 1);
}

static void driver_ok(struct fix *f)
{
	mw(f, 0x14, 1, mr(f, 0x14, 1) | VIRTIO_STATUS_DRIVER_OK);
}

static void bring_up(struct fix *f, uint16_t vector)
{
	assert_true(negotiate(f, 1ull << VIRTIO_F_VERSION_1));
	setup_queue(f, DESC, vector);
	driver_ok(f);
}

static void offer(struct fix *f, uint16_t head)
{
	uint16_t *ring = g(f, AVAIL + 4, 2 * QSIZE);
	ring[f->avail_idx % QSIZE] = head;
	f->avail_idx++;
	__atomic_store_n((uint16_t *)g(f, AVAIL + 2, 2), f->avail_idx, __ATOMIC_SEQ_CST);
}

static void kick(struct fix *f)
{
	mw(f, VIRTIO_PCI_NOTIFY, 2, 0);
}

static void one_buffer(struct fix *f, uint32_t len)
{
	struct virtq_desc d = {DATA, len, VIRTQ_DESC_F_WRITE, 0};
	memcpy(g(f, DESC, 16), &d, 16);
	memset(g(f, DATA, len), 0, len);
	offer(f, 0);
}

static uint64_t eventfd_count(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 2000) != 1)
		return 0;
	uint64_t v = 0;
	assert_int_equal(read(fd, &v, 8), 8);
	return v;
}

static uint32_t cfg(struct fix *f, unsigned reg, unsigned len)
{
	return pci_cfg_read(&f->pci, (unsigned)f->slot, 0, reg, len);
}

/* ---- tests ---- */

static void ids_and_capabilities(void **state)
{
	struct fix *f = *state;
	assert_int_equal(cfg(f, 0x00, 2), 0x1af4);
	assert_int_equal(cfg(f, 0x02, 2), 0x1040 + VIRTIO_ID_RNG);
	assert_int_equal(cfg(f, 0x08, 1), 1); /* revision: non-transitional */
	assert_int_equal(cfg(f, 0x2c, 2), 0x1af4);
	assert_true(cfg(f, 0x2e, 2) >= 0x40);
	assert_true(cfg(f, 0x06, 2) & 0x10);
	/* BAR0 sizing: 32 KiB of 32-bit memory. */
	pci_cfg_write(&f->pci, (unsigned)f->slot, 0, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg(f, 0x10, 4), ~(VIRTIO_PCI_BAR_SIZE - 1));
	bool seen[6] = {false};
	unsigned msix = 0;
	unsigned p = cfg(f, 0x34, 1);
	for (int n = 0; p && n < 16; n++) {
		unsigned id = cfg(f, p, 1);
		if (id == 0x09) {
			unsigned type = cfg(f, p + 3, 1);
			assert_true(type >= 1 && type <= 4);
			seen[type] = true;
			assert_int_equal(cfg(f, p + 4, 1), 0); /* BAR0 */
			uint32_t off = cfg(f, p + 8, 4), len = cfg(f, p + 12, 4);
			assert_true(off + len <= VIRTIO_PCI_BAR_SIZE);
			if (type == 2)
				assert_int_equal(cfg(f, p + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
			if (type == 1)
				assert_true(len >= 0x38);
		} else if (id == 0x11) {
			msix = p;
		}
		p = cfg(f, p + 1, 1);
	}
	assert_true(seen[1] && seen[2] && seen[3]);
	assert_false(seen[4]); /* the entropy device has no configuration */
	assert_int_not_equal(msix, 0);
	assert_int_equal(cfg(f, msix + 2, 2) & 0x7ff, 1); /* two vectors */
	assert_int_equal(cfg(f, msix + 4, 4), VIRTIO_PCI_MSIX_TABLE | 0);
	assert_int_equal(cfg(f, msix + 8, 4), VIRTIO_PCI_MSIX_PBA | 0);
}

static void feature_negotiation(void **state)
{
	struct fix *f = *state;
	mw(f, 0x00, 4, 0);
	uint32_t lo = (uint32_t)mr(f, 0x04, 4);
	assert_true(lo & (1u << VIRTIO_F_INDIRECT_DESC));
	assert_true(lo & (1u << VIRTIO_F_EVENT_IDX));
	mw(f, 0x00, 4, 1);
	assert_int_equal(mr(f, 0x04, 4), 1); /* VERSION_1 */
	mw(f, 0x00, 4, 2);
	assert_int_equal(mr(f, 0x04, 4), 0);
	/* Without VERSION_1 (a legacy driver): FEATURES_OK reads back unset. */
	assert_false(negotiate(f, 1ull << VIRTIO_F_EVENT_IDX));
	mw(f, 0x14, 1, 0);
	assert_true(wait_for(f, status_zero));
	/* A bit we did not offer. */
	assert_false(negotiate(f, (1ull << VIRTIO_F_VERSION_1) | 1));
	mw(f, 0x14, 1, 0);
	assert_true(wait_for(f, status_zero));
	assert_int_equal(mr(f, 0x0c, 4), 0); /* reset cleared the driver's features */
	assert_true(negotiate(f, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX)));
	/* After FEATURES_OK the driver's features are fixed. */
	mw(f, 0x08, 4, 0);
	mw(f, 0x0c, 4, 0);
	assert_int_equal(mr(f, 0x0c, 4), 1u << VIRTIO_F_EVENT_IDX);
	assert_int_equal(virtio_pci_features(f->vp),
			 (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX));
}

static void queue_registers(void **state)
{
	struct fix *f = *state;
	assert_int_equal(mr(f, 0x12, 2), 1); /* num_queues */
	mw(f, 0x16, 2, 1);
	assert_int_equal(mr(f, 0x18, 2), 0); /* no queue 1 */
	mw(f, 0x16, 2, 0);
	assert_int_equal(mr(f, 0x1e, 2), 0); /* queue_notify_off */
	mw(f, 0x1a, 2, 5);
	assert_int_equal(mr(f, 0x1a, 2), VIRTIO_NO_VECTOR); /* beyond the table */
	mw(f, 0x10, 2, 1);
	assert_int_equal(mr(f, 0x10, 2), 1);
	mw(f, 0x10, 2, 2);
	assert_int_equal(mr(f, 0x10, 2), VIRTIO_NO_VECTOR);
	assert_true(negotiate(f, 1ull << VIRTIO_F_VERSION_1));
	setup_queue(f, DESC, 0);
	assert_int_equal(mr(f, 0x20, 8), DESC);
	/* Enabled: the queue's registers are fixed. */
	mw(f, 0x20, 8, 0x5000);
	mw(f, 0x18, 2, 4);
	assert_int_equal(mr(f, 0x20, 8), DESC);
	assert_int_equal(mr(f, 0x18, 2), QSIZE);
	assert_int_equal(mr(f, 0x1c, 2), 1);
}

static void request_with_intx(void **state)
{
	struct fix *f = *state;
	bring_up(f, VIRTIO_NO_VECTOR);
	one_buffer(f, 64);
	kick(f);
	assert_true(wait_for(f, one_used));
	uint32_t e[2];
	memcpy(e, g(f, USED + 4, 8), 8);
	assert_int_equal(e[0], 0);
	assert_int_equal(e[1], 64);
	static const uint8_t zero[64];
	assert_memory_not_equal(g(f, DATA, 64), zero, 64);
	assert_int_equal(__atomic_load_n(&f->intx, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(mr(f, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(f->intx, 0); /* reading ISR deasserts */
	assert_int_equal(mr(f, VIRTIO_PCI_ISR, 1), 0);
	assert_int_equal(f->rng.bytes, 64);
}

static void msix_entry(struct fix *f, unsigned v, uint32_t addr, uint32_t data, uint32_t ctrl)
{
	uint64_t base = VIRTIO_PCI_MSIX_TABLE + 16 * v;
	mw(f, base, 4, addr);
	mw(f, base + 4, 4, 0);
	mw(f, base + 8, 4, data);
	mw(f, base + 12, 4, ctrl);
}

static unsigned msix_cap(struct fix *f)
{
	unsigned p = cfg(f, 0x34, 1);
	while (p && cfg(f, p, 1) != 0x11)
		p = cfg(f, p + 1, 1);
	assert_int_not_equal(p, 0);
	return p;
}

static void request_with_msix(void **state)
{
	struct fix *f = *state;
	unsigned cap = msix_cap(f);
	/* Linux: enable with the function masked, program, unmask. */
	pci_cfg_write(&f->pci, (unsigned)f->slot, 0, cap + 2, 2, 0xc000);
	msix_entry(f, 0, 0xfee00000, 0x41, 1);
	assert_int_equal(f->routes, 0); /* masked: nothing routed yet */
	pci_cfg_write(&f->pci, (unsigned)f->slot, 0, cap + 2, 2, 0x8000);
	mw(f, VIRTIO_PCI_MSIX_TABLE + 12, 4, 0); /* unmask vector 0 */
	assert_int_equal(f->routes, 1);
	assert_int_equal(f->route_gsi, GSI_BASE);
	assert_int_equal(f->route_addr, 0xfee00000);
	assert_int_equal(f->route_data, 0x41);
	assert_int_equal(f->irqfds, 1);
	assert_int_equal(mr(f, VIRTIO_PCI_MSIX_TABLE + 8, 4), 0x41);

	bring_up(f, 0);
	one_buffer(f, 16);
	kick(f);
	assert_int_equal(eventfd_count(f->vp->vec_fd[0]), 1);
	assert_true(wait_for(f, one_used));
	assert_int_equal(f->intx, 0); /* MSI-X on: no INTx */

	/* Masked: the message is held as a pending bit, sent on unmask. */
	mw(f, VIRTIO_PCI_MSIX_TABLE + 12, 4, 1);
	struct virtq_desc d = {DATA, 8, VIRTQ_DESC_F_WRITE, 0};
	memcpy(g(f, DESC + 16, 16), &d, 16);
	offer(f, 1);
	kick(f);
	for (int i = 0; i < 2000 && !(mr(f, VIRTIO_PCI_MSIX_PBA, 8) & 1); i++)
		usleep(1000);
	assert_int_equal(mr(f, VIRTIO_PCI_MSIX_PBA, 8), 1);
	struct pollfd p = {f->vp->vec_fd[0], POLLIN, 0};
	assert_int_equal(poll(&p, 1, 0), 0);
	mw(f, VIRTIO_PCI_MSIX_TABLE + 12, 4, 0);
	assert_int_equal(mr(f, VIRTIO_PCI_MSIX_PBA, 8), 0);
	assert_int_equal(eventfd_count(f->vp->vec_fd[0]), 1);
	/* Moving the message re-routes the GSI. */
	mw(f, VIRTIO_PCI_MSIX_TABLE + 8, 4, 0x42);
	assert_int_equal(f->route_data, 0x42);
	assert_int_equal(f->irqfds, 1); /* the irqfd stays */
	/* Table accesses other than aligned dwords/qwords are dropped. */
	mw(f, VIRTIO_PCI_MSIX_TABLE + 8, 2, 0x55);
	assert_int_equal(mr(f, VIRTIO_PCI_MSIX_TABLE + 8, 4), 0x42);
	assert_int_equal(mr(f, VIRTIO_PCI_MSIX_TABLE + 1, 4), 0xffffffffu);
}

/* The polling worker (poll_ns): after a chain it looks at the ring with
 * the driver's notifications off, serves a chain offered without a kick,
 * and once the window passes with nothing new it turns them back on and
 * sleeps: an idle queue costs it no CPU after the window. */

static uint64_t thread_cpu_ns(pthread_t t)
{
	clockid_t c;
	struct timespec ts;
	assert_int_equal(pthread_getcpuclockid(t, &c), 0);
	assert_int_equal(clock_gettime(c, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool two_used(struct fix *f)
{
	return used_idx(f) >= 2;
}

static bool poll_slept(struct fix *f)
{
	return __atomic_load_n(&f->vp->poll_sleeps, __ATOMIC_RELAXED) >= 1;
}

static bool notify_off(struct fix *f)
{
	return __atomic_load_n((uint16_t *)g(f, USED, 2), __ATOMIC_ACQUIRE) &
	       VIRTQ_USED_F_NO_NOTIFY;
}

static void polling_worker_is_bounded(void **state)
{
	struct fix *f = *state;
	uint16_t *uflags = g(f, USED, 2);
	bring_up(f, VIRTIO_NO_VECTOR);
	one_buffer(f, 16);
	kick(f);
	assert_true(wait_for(f, one_used));
	/* Within the window: notifications off, a chain without a kick is
	 * served. */
	assert_true(wait_for(f, notify_off));
	struct virtq_desc d = {DATA + 64, 8, VIRTQ_DESC_F_WRITE, 0};
	memcpy(g(f, DESC + 16, 16), &d, 16);
	offer(f, 1);
	assert_true(wait_for(f, two_used));
	assert_true(__atomic_load_n(&f->vp->polled, __ATOMIC_RELAXED) >= 1);
	assert_int_equal(__atomic_load_n(&f->vp->notifies, __ATOMIC_RELAXED), 1);
	/* Then the window runs out: notifications on, the worker asleep. */
	assert_true(wait_for(f, poll_slept));
	struct timespec ts = {0, 5000000};
	nanosleep(&ts, NULL);
	assert_int_equal(__atomic_load_n(uflags, __ATOMIC_ACQUIRE) & VIRTQ_USED_F_NO_NOTIFY, 0);
	uint64_t c0 = thread_cpu_ns(f->vp->thread);
	ts.tv_nsec = 100000000; /* 100 ms idle */
	nanosleep(&ts, NULL);
	uint64_t idle = thread_cpu_ns(f->vp->thread) - c0;
	test_note("worker CPU while idle for 100 ms: %llu us", (unsigned long long)(idle / 1000));
	assert_true(idle < 2000000u);
	/* and a kick still wakes it */
	struct virtq_desc d2 = {DATA + 128, 8, VIRTQ_DESC_F_WRITE, 0};
	memcpy(g(f, DESC + 32, 16), &d2, 16);
	offer(f, 2);
	kick(f);
	for (int i = 0; i < 2000 && used_idx(f) < 3; i++)
		usleep(1000);
	assert_int_equal(used_idx(f), 3);
}

static void reset_waits_for_worker(void **state)
{
	struct fix *f = *state;
	bring_up(f, VIRTIO_NO_VECTOR);
	uint8_t st = (uint8_t)mr(f, 0x14, 1);
	one_buffer(f, 8);
	kick(f);
	assert_true(wait_for(f, slow_in)); /* the request is in the device */
	mw(f, 0x14, 1, 0);
	/* 2.4 / 4.1.4.3.2: status stays non-zero until the device has
	 * dropped its queue; register writes meanwhile are ignored. */
	assert_int_equal(mr(f, 0x14, 1), st);
	mw(f, 0x16, 2, 7);
	assert_int_equal(mr(f, 0x16, 2), 0);
	usleep(20000);
	assert_int_equal(mr(f, 0x14, 1), st);
	pthread_mutex_lock(&slow_lock);
	slow_release = 1;
	pthread_cond_broadcast(&slow_cond);
	pthread_mutex_unlock(&slow_lock);
	assert_true(wait_for(f, status_zero));
	assert_int_equal(__atomic_load_n(&slow_resets, __ATOMIC_SEQ_CST), 1);
	/* The request in flight was dropped, not completed into a ring the
	 * driver has given up; the queue is back to its reset values. */
	assert_int_equal(used_idx(f), 0);
	assert_int_equal(mr(f, 0x1c, 2), 0);
	assert_int_equal(mr(f, 0x18, 2), QSIZE);
	assert_int_equal(mr(f, 0x1a, 2), VIRTIO_NO_VECTOR);
	/* And the device works again after a fresh start. */
	memset(g(f, AVAIL, 4 + 2 * QSIZE), 0, 4 + 2 * QSIZE);
	memset(g(f, USED, 4), 0, 4);
	f->avail_idx = 0;
	bring_up(f, VIRTIO_NO_VECTOR);
	pthread_mutex_lock(&slow_lock);
	slow_release = 1;
	pthread_cond_broadcast(&slow_cond);
	pthread_mutex_unlock(&slow_lock);
	one_buffer(f, 8);
	kick(f);
	assert_true(wait_for(f, one_used));
}

static void kick_before_driver_ok(void **state)
{
	struct fix *f = *state;
	assert_true(negotiate(f, 1ull << VIRTIO_F_VERSION_1));
	setup_queue(f, DESC, VIRTIO_NO_VECTOR);
	one_buffer(f, 8);
	kick(f);
	usleep(20000);
	assert_int_equal(used_idx(f), 0); /* 3.1.1: nothing before DRIVER_OK */
	driver_ok(f);
	assert_true(wait_for(f, one_used));
}

static void malformed_ring_needs_reset(void **state)
{
	struct fix *f = *state;
	bring_up(f, VIRTIO_NO_VECTOR);
	struct virtq_desc d[2] = {
		{DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1},
		{DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0},
	};
	memcpy(g(f, DESC, 32), d, 32);
	offer(f, 0);
	kick(f);
	assert_true(wait_for(f, needs_reset));
	/* A configuration change notification, through INTx + ISR bit 1. */
	assert_int_equal(f->intx, 1);
	assert_int_equal(mr(f, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_CONFIG);
	/* Nothing more is served; other requests wait for the reset. */
	one_buffer(f, 8);
	kick(f);
	usleep(20000);
	assert_int_equal(used_idx(f), 0);
	mw(f, 0x14, 1, 0);
	assert_true(wait_for(f, status_zero));
}

static void bad_ring_address_needs_reset(void **state)
{
	struct fix *f = *state;
	unsigned cap = msix_cap(f);
	pci_cfg_write(&f->pci, (unsigned)f->slot, 0, cap + 2, 2, 0x8000);
	msix_entry(f, 1, 0xfee00000, 0x51, 0);
	mw(f, 0x10, 2, 1); /* config_msix_vector */
	assert_true(negotiate(f, 1ull << VIRTIO_F_VERSION_1));
	setup_queue(f, f->gm.size - 64, 0); /* the table runs out of RAM */
	driver_ok(f);
	assert_true(wait_for(f, needs_reset));
	assert_int_equal(eventfd_count(f->vp->vec_fd[1]), 1); /* config vector */
}

/* Linux resets a device before anything else (virtio_dev_probe); the
 * device has never been live, so the reset is complete at once and the
 * very next writes count, worker or not. */
static void reset_before_first_use(void **state)
{
	struct fix *f = *state;
	mw(f, 0x14, 1, 0);
	assert_int_equal(mr(f, 0x14, 1), 0);
	mw(f, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(mr(f, 0x14, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	assert_true(negotiate(f, 1ull << VIRTIO_F_VERSION_1));
	/* Before DRIVER_OK a reset is still immediate. */
	mw(f, 0x14, 1, 0);
	assert_int_equal(mr(f, 0x14, 1), 0);
	mw(f, 0x16, 2, 0);
	mw(f, 0x18, 2, 8);
	assert_int_equal(mr(f, 0x18, 2), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ids_and_capabilities, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(feature_negotiation, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(queue_registers, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(request_with_intx, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(request_with_msix, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(kick_before_driver_ok, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(malformed_ring_needs_reset, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(bad_ring_address_needs_reset, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(reset_waits_for_worker, setup_slow, teardown),
		cmocka_unit_test_setup_teardown(reset_before_first_use, setup_rng_idle, teardown),
		cmocka_unit_test_setup_teardown(polling_worker_is_bounded, setup_rng_polling,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
