/*
 * virtio: the PCI transport and the split virtqueues of the benchmark
 * guest's virtio driver, at CPL3 (see virtio.h for what it does and why
 * it runs there). Section numbers are OASIS virtio 1.2's.
 */
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "virtio.h"
#include "guestarch.h"
#include "vioarch.h"

/* Configuration accesses are the expensive part of the set-up (a system
 * call into the kernel and, on x86, two port exits each; one ECAM exit on
 * arm64): counted and timed. */
uint64_t virtio_cfg_calls, virtio_cfg_tsc;

static uint32_t cfg_read(unsigned bdf, unsigned reg)
{
	uint64_t t0 = plat_rdtsc();
	uint32_t v = (uint32_t)sys3(SYS_PCI_READ, bdf, reg, 0);
	virtio_cfg_calls++;
	virtio_cfg_tsc += plat_rdtsc() - t0;
	return v;
}
static void cfg_write(unsigned bdf, unsigned reg, uint32_t v)
{
	uint64_t t0 = plat_rdtsc();
	sys3(SYS_PCI_WRITE, bdf, reg, v);
	virtio_cfg_calls++;
	virtio_cfg_tsc += plat_rdtsc() - t0;
}

static const struct guest_info *vgi;
void virtio_set_info(const struct guest_info *gi)
{
	vgi = gi;
}
const struct guest_info *virtio_info(void)
{
	return vgi;
}

/* The ring protocol's barriers are the architecture's (vioarch.h): a
 * write barrier between a ring entry and the index that publishes it, a
 * read barrier between an index and the entries it covers, a full one
 * between a store and the load that checks what the device asked for. */
#define vwmb() vioarch_wmb()
#define vrmb() vioarch_rmb()
#define vmb() vioarch_mb()

/* ---- the common configuration structure (4.1.4.3; its offsets,
 * VIRTIO_CC_*, are virtio_spec.h's) ---- */
#define CC_MIN_LEN 0x38 /* up to queue_device: what Linux insists on */

/* Every field with its natural width (4.1.3.1). */
static inline void w8(volatile uint8_t *b, unsigned o, uint8_t v) { *(volatile uint8_t *)(b + o) = v; }
static inline void w16(volatile uint8_t *b, unsigned o, uint16_t v) { *(volatile uint16_t *)(b + o) = v; }
static inline void w32(volatile uint8_t *b, unsigned o, uint32_t v) { *(volatile uint32_t *)(b + o) = v; }
static inline uint8_t r8(volatile uint8_t *b, unsigned o) { return *(volatile uint8_t *)(b + o); }
static inline uint16_t r16(volatile uint8_t *b, unsigned o) { return *(volatile uint16_t *)(b + o); }
static inline uint32_t r32(volatile uint8_t *b, unsigned o) { return *(volatile uint32_t *)(b + o); }
/* A 64-bit field as two 32-bit writes, low half first, as Linux's
 * vp_iowrite64_twopart (4.1.3.1 allows it). */
static inline void w64(volatile uint8_t *b, unsigned o, uint64_t v)
{
	w32(b, o, (uint32_t)v);
	w32(b, o + 4, (uint32_t)(v >> 32));
}

uint8_t virtio_status(const struct virtio_dev *d)
{
	return r8(d->common, VIRTIO_CC_STATUS);
}

static void set_status(struct virtio_dev *d, uint8_t bits)
{
	w8(d->common, VIRTIO_CC_STATUS, (uint8_t)(r8(d->common, VIRTIO_CC_STATUS) | bits));
}

uint32_t virtio_cfg32(const struct virtio_dev *d, unsigned off)
{
	uint8_t g;
	uint32_t v;
	do {
		g = r8(d->common, VIRTIO_CC_GENERATION);
		v = r32(d->devcfg, off);
	} while (g != r8(d->common, VIRTIO_CC_GENERATION));
	return v;
}

uint64_t virtio_cfg64(const struct virtio_dev *d, unsigned off)
{
	uint8_t g;
	uint64_t v;
	do {
		g = r8(d->common, VIRTIO_CC_GENERATION);
		v = r32(d->devcfg, off) | (uint64_t)r32(d->devcfg, off + 4) << 32;
	} while (g != r8(d->common, VIRTIO_CC_GENERATION));
	return v;
}

/* ---- finding the function and its structures (4.1.2, 4.1.4) ---- */
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11

/* The address of memory BAR `bar`, or 0 when it is unusable here (an I/O
 * BAR, unassigned, or beyond the MMIO the identity map covers: 4 GiB on
 * x86, the first GiB on arm64, VIOARCH_MMIO_END). */
static uint64_t bar_addr(unsigned bdf, unsigned bar)
{
	if (bar > 5)
		return 0;
	uint32_t lo = cfg_read(bdf, 0x10 + 4 * bar);
	if (lo & 1)
		return 0;
	uint64_t a = lo & ~0xfull;
	if ((lo & 6) == 4) { /* 64-bit BAR: the next one holds the high half */
		if (bar == 5)
			return 0;
		a |= (uint64_t)cfg_read(bdf, 0x10 + 4 * (bar + 1)) << 32;
	}
	return a && a < VIOARCH_MMIO_END ? a : 0;
}

/* Walks the capability list (PCI 3.0, 6.7) and keeps the first usable
 * capability of each virtio type, as Linux's virtio_pci_find_capability
 * does, and the MSI-X capability. Bounded: at most 48 capabilities fit in
 * the 192 bytes after the header, so a looping list ends too. */
static int map_caps(struct virtio_dev *d, const char **why)
{
	unsigned bdf = d->bdf;
	if (!(cfg_read(bdf, 0x04) & (1u << 20))) {
		*why = "the virtio function has no capability list (a legacy device?)";
		return -1;
	}
	unsigned cap = cfg_read(bdf, 0x34) & 0xfc;
	uint32_t common_len = 0;
	for (int n = 0; cap >= 0x40 && n < 48; n++) {
		uint32_t h = cfg_read(bdf, cap);
		unsigned id = h & 0xff, next = (h >> 8) & 0xfc;
		if (id == PCI_CAP_MSIX && !d->msix_cap) {
			d->msix_cap = cap;
		} else if (id == PCI_CAP_VENDOR && ((h >> 16) & 0xff) >= 16) {
			unsigned type = h >> 24;
			uint32_t w1 = cfg_read(bdf, cap + 4);
			uint32_t off = cfg_read(bdf, cap + 8), len = cfg_read(bdf, cap + 12);
			uint64_t base = bar_addr(bdf, w1 & 0xff);
			volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(base + off);
			if (!base || base + off + len > VIOARCH_MMIO_END) {
				cap = next;
				continue;
			}
			if (type == VIRTIO_PCI_CAP_COMMON_CFG && !d->common) {
				d->common = p;
				common_len = len;
			} else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !d->notify_base) {
				d->notify_base = p;
				d->notify_len = len;
				d->notify_mul = cfg_read(bdf, cap + 16);
			} else if (type == VIRTIO_PCI_CAP_ISR_CFG && !d->isr) {
				d->isr = p;
			} else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !d->devcfg) {
				d->devcfg = p;
				d->devcfg_len = len;
			}
		}
		cap = next;
	}
	if (!d->common || common_len < CC_MIN_LEN || !d->notify_base || d->notify_len < 2 ||
	    !d->isr) {
		*why = "the virtio function lacks a usable common, notify or ISR capability";
		return -1;
	}
	if (d->msix_cap) {
		uint32_t h = cfg_read(bdf, d->msix_cap);
		uint32_t t = cfg_read(bdf, d->msix_cap + 4);
		uint64_t base = bar_addr(bdf, t & 7);
		d->msix_size = ((h >> 16) & 0x7ff) + 1;
		d->msix = base ? (volatile uint32_t *)(uintptr_t)(base + (t & ~7u)) : NULL;
		if (!d->msix)
			d->msix_cap = 0;
	}
	return 0;
}

/* MSI-X (PCI 3.0, 6.8.2): table entry i gets the architecture's message
 * address (x86: 0xfee00000, destination APIC 0, Intel SDM vol. 3A
 * 10.11.1) and data = our vector VIRTIO_VECTOR + vec_base + i (fixed,
 * edge), unmasked; the function is masked while the table is written, as
 * Linux's msix_capability_init. Then the config vector is given to the
 * device and read back: VIRTIO_NO_VECTOR back means the device could not
 * take it (4.1.5.1.2.1). Where the architecture has no MSI (arm64
 * without an ITS) the function's INTx is asked of the kernel instead
 * (SYS_PCI_INTX: ISR bit 0 counts as vector vec_base + 1, the queue's,
 * bit 1 as vec_base, the config's; 4.1.4.5, 4.1.5.3). */
static void msix_enable(struct virtio_dev *d, unsigned nvec)
{
	d->msix_on = 0;
	d->intx_on = 0;
	if (!VIOARCH_MSI_ADDR) {
		if (VIOARCH_INTX && d->vec_base + nvec <= VIRTIO_NVEC)
			d->intx_on = sys3(SYS_PCI_INTX, d->bdf, (uint64_t)(uintptr_t)d->isr,
					  d->vec_base) == 0;
		return;
	}
	if (!d->msix_cap || d->msix_size < nvec || d->vec_base + nvec > VIRTIO_NVEC)
		return;
	uint32_t h = cfg_read(d->bdf, d->msix_cap);
	cfg_write(d->bdf, d->msix_cap, h | (1u << 31) | (1u << 30)); /* enable, function mask */
	for (unsigned i = 0; i < nvec; i++) {
		volatile uint32_t *e = d->msix + 4 * i;
		e[0] = VIOARCH_MSI_ADDR;
		e[1] = 0;
		e[2] = VIRTIO_VECTOR + d->vec_base + i;
		e[3] = 0; /* vector control: unmasked */
	}
	cfg_write(d->bdf, d->msix_cap, (h | (1u << 31)) & ~(1u << 30));
	/* INTx off while MSI-X is on (PCI 3.0, 6.2.2 command bit 10) */
	cfg_write(d->bdf, 0x04, (cfg_read(d->bdf, 0x04) & 0xffff) | (1u << 10));
	w16(d->common, VIRTIO_CC_MSIX_CONFIG, 0);
	d->msix_on = r16(d->common, VIRTIO_CC_MSIX_CONFIG) == 0;
}

int virtio_open(struct virtio_dev *d, unsigned device_id, unsigned nth, unsigned vec_base,
		uint64_t want, const char **why)
{
	uint64_t t0 = plat_rdtsc();
	*d = (struct virtio_dev){.device_id = device_id, .vec_base = vec_base};
	uint32_t ident = (uint32_t)(VIRTIO_PCI_DEVICE_BASE + device_id) << 16 | VIRTIO_PCI_VENDOR;
	unsigned found = 0, bdf = 0;
	for (unsigned dev = 0; dev < 32; dev++) {
		if (cfg_read(dev << 3, 0) == ident && found++ == nth) {
			bdf = dev << 3;
			break;
		}
	}
	if (found <= nth) {
		*why = device_id == VIRTIO_ID_BLOCK ? "no virtio-blk function on PCI bus 0 (vmm run --disk FILE)"
		       : device_id == VIRTIO_ID_RNG ? "no virtio-rng function on PCI bus 0 (vmm run --rng)"
		       : device_id == VIRTIO_ID_NET ? "no virtio-net function on PCI bus 0 (a net link, or vmm run --net)"
		       : device_id == VIRTIO_ID_VSOCK ? "no virtio-vsock function on PCI bus 0 (vmm run --vsock)"
					 : "no such virtio function on PCI bus 0";
		return -1;
	}
	d->bdf = bdf;
	/* memory decoding and bus mastering on (pci_enable_device, pci_set_master) */
	cfg_write(bdf, 0x04, (cfg_read(bdf, 0x04) & 0xffff) | 0x6);
	if (map_caps(d, why))
		return -1;

	/* 3.1.1: reset, and wait until the device says it is reset */
	if (virtio_reset(d, NULL, 0)) {
		*why = "the virtio device never finished its reset (status stayed non-zero)";
		return -1;
	}
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);
	/* Not a step of 3.1.1, but cheap: a device still busy with the reset
	 * that read 0 would lose these writes, and every later step with them. */
	const uint8_t both = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	if ((virtio_status(d) & both) != both) {
		*why = "the virtio device lost ACKNOWLEDGE/DRIVER written after its reset read 0";
		return -1;
	}
	w32(d->common, VIRTIO_CC_DFSELECT, 0);
	uint64_t offered = r32(d->common, VIRTIO_CC_DF);
	w32(d->common, VIRTIO_CC_DFSELECT, 1);
	offered |= (uint64_t)r32(d->common, VIRTIO_CC_DF) << 32;
	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		set_status(d, VIRTIO_STATUS_FAILED);
		*why = "the virtio device does not offer VIRTIO_F_VERSION_1 (legacy only)";
		return -1;
	}
	d->features = offered & (want | VIRTIO_BIT(VIRTIO_F_VERSION_1));
	w32(d->common, VIRTIO_CC_GFSELECT, 0);
	w32(d->common, VIRTIO_CC_GF, (uint32_t)d->features);
	w32(d->common, VIRTIO_CC_GFSELECT, 1);
	w32(d->common, VIRTIO_CC_GF, (uint32_t)(d->features >> 32));
	set_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		set_status(d, VIRTIO_STATUS_FAILED);
		*why = "the virtio device did not accept our features (FEATURES_OK cleared)";
		return -1;
	}
	/* config vector + one per queue: the drivers here use one queue */
	msix_enable(d, 2);
	d->setup_tsc = plat_rdtsc() - t0;
	return 0;
}

/* Ring layout (2.7): the descriptor table (16-byte aligned), the driver
 * area (2-byte aligned) and the device area (4-byte aligned); one zeroed
 * allocation with the device area on its own page. */
int virtq_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t max_size,
		int wait, const char **why)
{
	uint64_t t0 = plat_rdtsc();
	*q = (struct virtq){.dev = d, .index = index};
	w16(d->common, VIRTIO_CC_Q_SELECT, index);
	uint16_t size = r16(d->common, VIRTIO_CC_Q_SIZE);
	if (!size || r16(d->common, VIRTIO_CC_Q_ENABLE)) {
		*why = "the virtio queue is missing or already enabled";
		return -1;
	}
	if (size & (size - 1)) { /* split rings are a power of 2 (2.7) */
		*why = "the virtio queue size is not a power of 2";
		return -1;
	}
	while (size > max_size && size > 1)
		size >>= 1;
	uint64_t dev_off = ((uint64_t)size * 16 + 6 + 2ull * size + 4095) & ~4095ull;
	q->mem_bytes = dev_off + 6 + 8ull * size;
	q->mem = plat_alloc(q->mem_bytes);
	if (!q->mem) {
		*why = "out of memory for the virtio queue";
		return -1;
	}
	q->size = size;
	q->desc = q->mem;
	q->avail = (struct vq_avail *)((uint8_t *)q->mem + 16ull * size);
	q->used = (struct vq_used *)((uint8_t *)q->mem + dev_off);
	q->event_idx = !!(d->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	w16(d->common, VIRTIO_CC_Q_SIZE, size);
	w64(d->common, VIRTIO_CC_Q_DESC, (uint64_t)(uintptr_t)q->desc);
	w64(d->common, VIRTIO_CC_Q_DRIVER, (uint64_t)(uintptr_t)q->avail);
	w64(d->common, VIRTIO_CC_Q_DEVICE, (uint64_t)(uintptr_t)q->used);
	uint64_t noff = (uint64_t)r16(d->common, VIRTIO_CC_Q_NOFF) * d->notify_mul;
	if (noff + 2 > d->notify_len) {
		*why = "the virtio queue's notify address is outside the notify structure";
		return -1;
	}
	q->notify = (volatile uint16_t *)(d->notify_base + noff);
	q->wait = VIRTIO_WAIT_POLL;
	if (wait == VIRTIO_WAIT_IRQ && d->msix_on) {
		w16(d->common, VIRTIO_CC_Q_MSIX, 1);
		if (r16(d->common, VIRTIO_CC_Q_MSIX) == 1) {
			q->wait = VIRTIO_WAIT_IRQ;
			q->vec = d->vec_base + 1;
			q->irq_seen = vgi->virtio_irq_count[q->vec];
		}
	} else if (wait == VIRTIO_WAIT_IRQ && d->intx_on) {
		/* INTx: no vector to give the queue (4.1.5.1.3); its
		 * notifications set ISR bit 0, counted as vec_base + 1 */
		q->wait = VIRTIO_WAIT_IRQ;
		q->vec = d->vec_base + 1;
		q->irq_seen = vgi->virtio_irq_count[q->vec];
	}
	if (q->wait == VIRTIO_WAIT_POLL) {
		w16(d->common, VIRTIO_CC_Q_MSIX, VIRTIO_NO_VECTOR);
		/* no interrupts wanted: without EVENT_IDX the flag says so; with
		 * it, used_event stays behind the ring (virtq_get) */
		if (!q->event_idx)
			q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	}
	if (q->event_idx)
		q->avail->ring[size] = (uint16_t)(q->wait == VIRTIO_WAIT_IRQ ? 0 : 0xffff);
	w16(d->common, VIRTIO_CC_Q_ENABLE, 1);
	d->setup_tsc += plat_rdtsc() - t0;
	return 0;
}

void virtio_driver_ok(struct virtio_dev *d)
{
	uint64_t t0 = plat_rdtsc();
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
	d->setup_tsc += plat_rdtsc() - t0;
}

/* ~10 s of TSC at the rate the kernel checked */
static uint64_t patience(void)
{
	return vgi->tsc_khz * 10000;
}

int virtio_reset(struct virtio_dev *d, struct virtq *qs, unsigned n)
{
	uint64_t t0 = plat_rdtsc();
	w8(d->common, VIRTIO_CC_STATUS, 0);
	while (virtio_status(d) != 0)
		if (plat_rdtsc() - t0 > patience())
			return -1; /* the queue memory stays the device's: not freed */
	for (unsigned i = 0; i < n; i++) {
		plat_free(qs[i].mem, qs[i].mem_bytes);
		qs[i].mem = NULL;
	}
	return 0;
}

/* ---- the split virtqueue, driver side (2.7.13, 2.7.14) ---- */
void virtq_publish(struct virtq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	vwmb(); /* the entry before the index that publishes it (2.7.13.2) */
	q->avail_idx++;
	*(volatile uint16_t *)&q->avail->idx = q->avail_idx;
}

/* vring_need_event (2.7.10): whether moving an index from old to new
 * passes the event index. */
static inline int need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

int virtq_kick(struct virtq *q)
{
	vmb(); /* the index is visible before we read what the device asked for */
	int need;
	uint16_t old = q->kicked_idx;
	q->kicked_idx = q->avail_idx;
	if (q->event_idx) {
		uint16_t ev = *(volatile uint16_t *)((uint8_t *)q->used + 4 + 8ull * q->size);
		need = need_event(ev, q->avail_idx, old);
	} else {
		need = !(*(volatile uint16_t *)&q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (!need) {
		q->kicks_skipped++;
		return 0;
	}
	*q->notify = q->index; /* 4.1.5.2: the queue index, 16 bits */
	q->kicks++;
	return 1;
}

int virtq_get(struct virtq *q, uint32_t *id, uint32_t *len)
{
	uint16_t used = *(volatile uint16_t *)&q->used->idx;
	if (used == q->last_used)
		return 0;
	vrmb(); /* the element after the index that published it */
	const volatile struct vq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];
	*id = e->id;
	*len = e->len;
	q->last_used++;
	if (q->event_idx) {
		/* interrupt at the next completion (IRQ), or never (POLL: the
		 * event index kept just behind what we consumed) */
		volatile uint16_t *used_event = &q->avail->ring[q->size];
		*used_event = q->wait == VIRTIO_WAIT_IRQ ? q->last_used : (uint16_t)(q->last_used - 1);
	}
	return 1;
}

int virtq_ready(const struct virtq *q)
{
	if (q->wait == VIRTIO_WAIT_IRQ)
		return q->last_used != q->signalled;
	return *(volatile uint16_t *)&q->used->idx != q->last_used;
}

/* IRQ mode takes a completion only once an interrupt has said it is
 * there (the device's used buffer notification, 2.7.14), as Linux's
 * vring_interrupt does, with one exception Linux makes too: after the
 * event index is re-armed, entries that arrived meanwhile are taken at
 * once (virtqueue_enable_cb's recheck), since their interrupt may have
 * been decided against the old index. `signalled` is the used index the
 * last interrupt (or recheck) covered. */
int virtq_wait(struct virtq *q, uint32_t *id, uint32_t *len)
{
	uint64_t t0 = plat_rdtsc(), limit = patience();
	if (q->wait == VIRTIO_WAIT_POLL) {
		while (!virtq_get(q, id, len))
			if (plat_rdtsc() - t0 > limit)
				return -1;
		return 0;
	}
	volatile uint64_t *count = &vgi->virtio_irq_count[q->vec];
	for (;;) {
		if (q->last_used != q->signalled && virtq_get(q, id, len))
			return 0;
		if (q->event_idx)
			*(volatile uint16_t *)&q->avail->ring[q->size] = q->last_used;
		vmb();
		uint16_t n = *(volatile uint16_t *)&q->used->idx;
		if (n != q->last_used) {
			q->signalled = n;
			q->rechecks++;
			continue;
		}
		while (*count == q->irq_seen)
			if (plat_rdtsc() - t0 > limit)
				return -1;
		q->irq_seen = *count;
		q->irq_waits++;
		q->last_irq_tsc = vgi->virtio_irq_tsc[q->vec];
		vrmb(); /* the count before the index the interrupt stands for */
		q->signalled = *(volatile uint16_t *)&q->used->idx;
	}
}
