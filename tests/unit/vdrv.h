/*
 * vdrv: the unit tests' virtio driver. A test of a virtio device model
 * (test_virtio_console, test_virtio_net_vsock) drives it through the
 * virtio-pci transport as a guest driver would, without KVM: guest memory,
 * the MMIO and PCI buses the transport sits on, the initialisation of
 * virtio 1.2 section 3.1.1 through the common configuration (4.1.4.3),
 * split rings at fixed guest addresses (2.7), notifications (4.1.4.4) and
 * waits for the used ring. The device itself is the test's: it is made
 * with vdrv_hooks(), and its transport is put in d->vp.
 */
#ifndef VDRV_H
#define VDRV_H

#include "testlib.h"

#include <stdbool.h>

#include "guestmem.h"
#include "pci.h"
#include "virtio_pci.h"

#define VDRV_QSIZE 16
#define VDRV_NQ 8
/* Queue q's ring: descriptors, the available ring at +0x1000, the used
 * ring at +0x2000; descriptor i of queue q points at VDRV_BUF(q, i), of
 * VDRV_BUFLEN bytes at most. */
#define VDRV_RING(q) (0x10000ull + (uint64_t)(q) * 0x4000)
#define VDRV_BUF(q, i) (0x100000ull + (uint64_t)(q) * 0x80000 + (uint64_t)(i) * 0x8000)
#define VDRV_BUFLEN 0x8000u

struct vdrv {
	struct guestmem gm; /* 8 MiB */
	struct bus mmio;
	struct pci_bus pci;
	struct virtio_pci *vp; /* the device's transport, set by the test */
	uint16_t avail[VDRV_NQ], seen[VDRV_NQ];
	/* Wait by spinning, not sleeping: inside the sandbox, where sleeping
	 * is not in the policy. */
	bool spin;
};

void vdrv_init(struct vdrv *d);
void vdrv_free(struct vdrv *d);
/* Interrupt hooks that ignore what they are given (INTx GSI 19, MSI
 * routes from GSI 40). */
struct virtio_pci_hooks vdrv_hooks(struct vdrv *d);

/* gm_ptr, failing the test on an address outside guest memory. */
void *vdrv_g(struct vdrv *d, uint64_t gpa, uint64_t len);
/* A read or write of len bytes at offset off of the transport's BAR. */
uint64_t vdrv_mr(struct vdrv *d, uint64_t off, uint32_t len);
void vdrv_mw(struct vdrv *d, uint64_t off, uint32_t len, uint64_t v);

/* Puts the function on the PCI bus with its capabilities and starts the
 * transport (gated: its worker waits for the sandbox; virtio_pci.h). */
void vdrv_start(struct vdrv *d, bool gated);
/* 3.1.1 from a fresh device: ACKNOWLEDGE, DRIVER, the features,
 * FEATURES_OK read back, then queues 0..nq-1 (VDRV_QSIZE entries, no
 * vector, at VDRV_RING), then DRIVER_OK. */
void vdrv_configure(struct vdrv *d, uint64_t features, unsigned nq);
/* vdrv_configure again on a device the driver has reset (status read
 * back 0, 4.1.4.3.1): the driver's ring indices and queues 0..nq-1's
 * rings start over from zero, as a driver's re-probe allocates new
 * rings. */
void vdrv_reconfigure(struct vdrv *d, uint64_t features, unsigned nq);
/* vdrv_start (not gated), then vdrv_configure. */
void vdrv_bring_up(struct vdrv *d, uint64_t features, unsigned nq);

/* One buffer (descriptor i of queue q at VDRV_BUF(q, i), with data copied
 * in when not NULL), device-writable or not, made available and
 * notified. */
void vdrv_offer(struct vdrv *d, unsigned q, unsigned i, const void *data, uint32_t len,
		bool writable);
/* Waits up to ms milliseconds for the next used entry of queue q: its id
 * and length, or false. */
bool vdrv_used_within(struct vdrv *d, unsigned q, int ms, uint32_t *id, uint32_t *len);
/* The same, for up to 2 s. */
bool vdrv_used(struct vdrv *d, unsigned q, uint32_t *id, uint32_t *len);

#endif
