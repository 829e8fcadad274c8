/* vdrv: the unit tests' virtio driver (vdrv.h). */
#include "vdrv.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "virtq.h"

static void noop_intx(void *ctx, unsigned gsi, int level)
{
	(void)ctx, (void)gsi, (void)level;
}

static int noop_msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx, (void)addr, (void)data;
	return 0;
}

void vdrv_init(struct vdrv *d)
{
	assert_int_equal(gm_init(&d->gm, 8u << 20), 0);
	d->mmio = (struct bus)BUS_INIT("mmio");
	pci_init(&d->pci);
}

void vdrv_free(struct vdrv *d)
{
	bus_free(&d->mmio);
	gm_free(&d->gm);
}

struct virtio_pci_hooks vdrv_hooks(struct vdrv *d)
{
	return (struct virtio_pci_hooks){.msi = noop_msi, .ctx = d, .intx = {noop_intx, d, 19},
					 .gsi_base = 40};
}

void *vdrv_g(struct vdrv *d, uint64_t gpa, uint64_t len)
{
	void *p = gm_ptr(&d->gm, gpa, len);
	assert_non_null(p);
	return p;
}

uint64_t vdrv_mr(struct vdrv *d, uint64_t off, uint32_t len)
{
	uint8_t b[8] = {0};
	virtio_pci_mmio(d->vp, off, b, len, false);
	uint64_t v = 0;
	memcpy(&v, b, len);
	return v;
}

void vdrv_mw(struct vdrv *d, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t b[8];
	memcpy(b, &v, 8);
	virtio_pci_mmio(d->vp, off, b, len, true);
}

void vdrv_start(struct vdrv *d, bool gated)
{
	int slot = pci_add(&d->pci, &d->vp->pci);
	assert_true(slot > 0);
	assert_int_equal(virtio_pci_add_caps(d->vp), 0);
	char err[128];
	assert_int_equal(virtio_pci_start(d->vp, gated, err, sizeof(err)), 0);
}

void vdrv_configure(struct vdrv *d, uint64_t features, unsigned nq)
{
	/* A fresh device: status 0 already (no reset written first, see the
	 * report on the transport's reset of a fresh device). */
	vdrv_mw(d, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdrv_mw(d, 0x08, 4, 0);
	vdrv_mw(d, 0x0c, 4, (uint32_t)features);
	vdrv_mw(d, 0x08, 4, 1);
	vdrv_mw(d, 0x0c, 4, (uint32_t)(features >> 32));
	vdrv_mw(d, 0x14, 1,
		VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_true(vdrv_mr(d, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < nq; q++) {
		vdrv_mw(d, 0x16, 2, q);
		vdrv_mw(d, 0x18, 2, VDRV_QSIZE);
		vdrv_mw(d, 0x1a, 2, VIRTIO_NO_VECTOR);
		vdrv_mw(d, 0x20, 8, VDRV_RING(q));
		vdrv_mw(d, 0x28, 8, VDRV_RING(q) + 0x1000);
		vdrv_mw(d, 0x30, 8, VDRV_RING(q) + 0x2000);
		vdrv_mw(d, 0x1c, 2, 1);
	}
	vdrv_mw(d, 0x14, 1, vdrv_mr(d, 0x14, 1) | VIRTIO_STATUS_DRIVER_OK);
}

void vdrv_reconfigure(struct vdrv *d, uint64_t features, unsigned nq)
{
	memset(d->avail, 0, sizeof(d->avail));
	memset(d->seen, 0, sizeof(d->seen));
	for (unsigned q = 0; q < nq; q++)
		memset(vdrv_g(d, VDRV_RING(q), 0x3000), 0, 0x3000);
	vdrv_configure(d, features, nq);
}

void vdrv_bring_up(struct vdrv *d, uint64_t features, unsigned nq)
{
	vdrv_start(d, false);
	vdrv_configure(d, features, nq);
}

void vdrv_offer(struct vdrv *d, unsigned q, unsigned i, const void *data, uint32_t len,
		bool writable)
{
	struct virtq_desc desc = {VDRV_BUF(q, i), len, writable ? VIRTQ_DESC_F_WRITE : 0, 0};
	memcpy(vdrv_g(d, VDRV_RING(q) + 16 * i, 16), &desc, 16);
	if (data)
		memcpy(vdrv_g(d, VDRV_BUF(q, i), len), data, len);
	uint16_t *ring = vdrv_g(d, VDRV_RING(q) + 0x1000 + 4, 2 * VDRV_QSIZE);
	ring[d->avail[q] % VDRV_QSIZE] = (uint16_t)i;
	d->avail[q]++;
	__atomic_store_n((uint16_t *)vdrv_g(d, VDRV_RING(q) + 0x1000 + 2, 2), d->avail[q],
			 __ATOMIC_SEQ_CST);
	vdrv_mw(d, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}

static void pause_1ms(const struct vdrv *d)
{
	if (!d->spin) {
		usleep(1000);
		return;
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 1000000L);
}

bool vdrv_used_within(struct vdrv *d, unsigned q, int ms, uint32_t *id, uint32_t *len)
{
	for (int i = 0; i <= ms; i++) {
		uint16_t idx = __atomic_load_n((uint16_t *)vdrv_g(d, VDRV_RING(q) + 0x2002, 2),
					       __ATOMIC_SEQ_CST);
		if (idx != d->seen[q]) {
			uint32_t *e = vdrv_g(d, VDRV_RING(q) + 0x2004 + 8 * (d->seen[q] % VDRV_QSIZE), 8);
			*id = e[0];
			*len = e[1];
			d->seen[q]++;
			return true;
		}
		pause_1ms(d);
	}
	return false;
}

bool vdrv_used(struct vdrv *d, unsigned q, uint32_t *id, uint32_t *len)
{
	return vdrv_used_within(d, q, 2000, id, len);
}
