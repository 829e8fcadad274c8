/*
 * virtio: the benchmark guest's virtio 1.2 driver over PCI (modern, no
 * legacy interface), run at CPL3: the transport (virtio.c) and split
 * virtqueues; the devices on top are virtio-blk (vblk.c, the platform's
 * disk), virtio-rng (vrng.c, the rng-read workload), virtio-net (vnet.c)
 * and virtio-vsock (vvsock.c), the last two polled (net-ping, vsock-ping).
 *
 * It takes the transport paths Linux's virtio_pci takes: the function is
 * found by vendor 0x1af4 and device 0x1040 + ID (4.1.2.1); its structures
 * by the vendor capabilities (4.1.4: common, notify, ISR, device config,
 * each in a memory BAR); the initialisation of 3.1.1 (reset and wait for
 * status 0, ACKNOWLEDGE, DRIVER, features with VERSION_1, FEATURES_OK read
 * back, queues, DRIVER_OK); queue addresses, sizes, MSI-X vectors (read
 * back, as Linux does) and queue_enable through the common configuration
 * (4.1.4.3); notifications by writing the queue index at queue_notify_off
 * * notify_off_multiplier (4.1.4.4); completions by an MSI-X message
 * (4.1.4.3, 4.1.5.1.2) or by polling the used ring; EVENT_IDX (2.7.10)
 * and INDIRECT_DESC (2.7.5.3) where the device offers them.
 *
 * Only configuration space needs the kernel (SYS_PCI_READ/WRITE: CPL3 has
 * no I/O ports); the BARs, the rings and the MSI-X table are ordinary
 * memory to CPL3 under the identity map, and the interrupt handler is a
 * ten-instruction stamp (entry.S). On a software KVM every CPL0
 * instruction costs about 1 us, so this is what keeps the driver fast.
 *
 * The same sources run on arm64 (EL0 for CPL3): there the kernel reaches
 * configuration space through the ECAM, and, the machine having no MSI
 * (no GICv3 ITS), completions come by INTx on a level GIC SPI whose
 * handler reads the ISR (4.1.4.5) and stamps the same counters
 * (SYS_PCI_INTX). What differs per architecture (barriers, the MSI
 * address, INTx, the map's reach) is arch/{x86,arm64}/vioarch.h.
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdint.h>

#include "guest.h"
/* The spec's constants (device IDs, status and feature bits, the common
 * configuration's offsets, ring flags), shared with the monitor. */
#include "virtio_spec.h"

#define VIRTIO_BIT(b) (1ull << (b))

/* Split virtqueue (2.7). */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event (EVENT_IDX) */
};
struct vq_used_elem {
	uint32_t id;
	uint32_t len;
};
struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[]; /* then avail_event (EVENT_IDX) */
};

/* How a wait for the used ring ends (platform.h's PLAT_DISK_WAIT_*). */
#define VIRTIO_WAIT_IRQ 0
#define VIRTIO_WAIT_POLL 1

/* One virtio PCI function. */
struct virtio_dev {
	unsigned bdf, device_id;
	volatile uint8_t *common, *isr, *devcfg, *notify_base;
	uint32_t notify_mul, notify_len, devcfg_len;
	unsigned msix_cap;          /* configuration offset, 0: none */
	unsigned msix_size;         /* table entries */
	volatile uint32_t *msix;    /* the table */
	unsigned vec_base;          /* our vectors VIRTIO_VECTOR + vec_base.. */
	int msix_on;                /* MSI-X enabled and the config vector taken */
	int intx_on;                /* no MSI (arm64): INTx routed by the kernel */
	uint64_t features;          /* negotiated */
	uint64_t setup_tsc;         /* TSC ticks virtio_open + queues + DRIVER_OK took */
};

/* One split virtqueue of a device. */
struct virtq {
	struct virtio_dev *dev;
	uint16_t index, size;
	struct vq_desc *desc;
	struct vq_avail *avail;
	struct vq_used *used;
	void *mem;
	uint64_t mem_bytes;
	volatile uint16_t *notify;
	uint16_t avail_idx, last_used;
	uint16_t kicked_idx;        /* avail_idx at the last kick */
	int event_idx;
	int wait;                   /* VIRTIO_WAIT_*: IRQ only with a vector */
	unsigned vec;               /* VIRTIO_VECTOR + vec when wait is IRQ */
	uint64_t irq_seen;          /* the vector's count when last looked at */
	uint16_t signalled;         /* used index the last interrupt covered */
	/* counts since set-up, and the last interrupt's stamp */
	uint64_t kicks, kicks_skipped, irq_waits, rechecks, last_irq_tsc;
};

/* Finds the nth (0-based) function with the given virtio device ID on PCI
 * bus 0, maps its structures, resets it and negotiates: `want` are the
 * features the driver would use; VERSION_1 must be offered. Leaves it in
 * FEATURES_OK, ready for its queues. vec_base: the first of the two
 * vectors it gets (config, then its queues). Returns 0, or -1 with *why
 * set (a static reason). */
int virtio_open(struct virtio_dev *d, unsigned device_id, unsigned nth, unsigned vec_base,
		uint64_t want, const char **why);
/* Sets up queue `index` with at most max_size entries; wait is the mode
 * asked for (IRQ falls back to POLL without MSI-X). Returns 0 or -1. */
int virtq_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t max_size,
		int wait, const char **why);
/* DRIVER_OK: the device is live. */
void virtio_driver_ok(struct virtio_dev *d);
/* Writes 0 to device_status and waits for it to read 0 (4.1.4.3.2), then
 * frees the queue memory of the n queues given. Returns 0, or -1 when it
 * still reads non-zero after ~10 s (the memory is then left alone). */
int virtio_reset(struct virtio_dev *d, struct virtq *qs, unsigned n);
/* The device's status byte. */
uint8_t virtio_status(const struct virtio_dev *d);
/* A 32-bit field of the device-specific configuration, read inside a
 * stable config_generation (4.1.4.3.1). */
uint32_t virtio_cfg32(const struct virtio_dev *d, unsigned off);
uint64_t virtio_cfg64(const struct virtio_dev *d, unsigned off);

/* Makes the chain at `head` (already written into q->desc) available. */
void virtq_publish(struct virtq *q, uint16_t head);
/* Notifies the device if it asked for it (EVENT_IDX: avail_event;
 * otherwise VIRTQ_USED_F_NO_NOTIFY); returns whether it did. */
int virtq_kick(struct virtq *q);
/* Takes the next used element if there is one: returns 1 and its id and
 * len, else 0. */
int virtq_get(struct virtq *q, uint32_t *id, uint32_t *len);
/* Whether virtq_wait would return at once: IRQ, an element an interrupt
 * (or the recheck) covered; POLL, any new element. */
int virtq_ready(const struct virtq *q);
/* Waits for the next used element in q's wait mode. Returns 0, or -1
 * after about 10 s with nothing (a dead device). */
int virtq_wait(struct virtq *q, uint32_t *id, uint32_t *len);

/* Configuration-space accesses made so far, and the TSC ticks they took. */
extern uint64_t virtio_cfg_calls, virtio_cfg_tsc;

/* The information block (TSC rate, interrupt counters); guestwl_init. */
void virtio_set_info(const struct guest_info *gi);
const struct guest_info *virtio_info(void);

/* vblk.c, vrng.c: the test hooks (`vtest KIND`, user.c) and the
 * rng-read workload. */
int vblk_test_hook(const char *kind);
int vrng_test_hook(void);

#endif
