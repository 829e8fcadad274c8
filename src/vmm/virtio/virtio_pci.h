/*
 * virtio_pci: the modern (virtio 1.x, non-legacy) virtio over PCI
 * transport (virtio 1.2 section 4.1), and the worker thread every device
 * runs on.
 *
 * Owns, for one device: its PCI function (vendor 0x1af4, device 0x1040 +
 * the virtio device ID, 4.1.2), the vendor-specific capabilities and the
 * one 32-bit memory BAR they point into, the MSI-X capability, table and
 * PBA (in the same BAR), feature negotiation (3.1.1, VIRTIO_F_VERSION_1
 * required), device status and reset (2.1, 2.4), queue set-up (4.1.4.3),
 * queue notifications (an ioeventfd per queue, 4.1.4.4), used buffer and
 * configuration change notifications (an irqfd per MSI-X vector on its own
 * MSI route, or INTx with the ISR status byte when MSI-X is off, 4.1.4.5),
 * DEVICE_NEEDS_RESET when a ring is malformed, and the worker thread.
 *
 * BAR0 layout (VIRTIO_PCI_BAR_SIZE bytes, each part on its own page):
 *   0x0000 common configuration (struct virtio_pci_common_cfg, 4.1.4.3)
 *   0x1000 ISR status (4.1.4.5)
 *   0x2000 device-specific configuration (4.1.4.6)
 *   0x3000 notifications: queue q at 0x3000 + 4 q (notify_off_multiplier 4)
 *   0x4000 MSI-X table, 0x5000 MSI-X PBA
 *
 * Threads. The vCPU thread only configures: its MMIO and PCI configuration
 * accesses change registers under vp->lock and at most signal the worker;
 * it never waits for I/O. The worker (one thread per device, started by
 * virtio_pci_start before the sandbox, with its own sandbox role) waits on
 * the queues' ioeventfds and a control eventfd, owns every struct virtq,
 * and calls the device's `serve` for each chain without holding vp->lock.
 * A reset (status 0 written) is finished by the worker once it has dropped
 * the queues: until then device_status still reads non-zero, which the
 * driver waits for (4.1.4.3.2: it must re-read until 0).
 *
 * How a device plugs in: fill a struct virtio_device (ID, PCI class,
 * feature bits, queues, configuration space, serve callback), call
 * virtio_pci_init() then pci_add() and virtio_pci_add_caps(), place the
 * BAR, and virtio_pci_start(). See rng.c, the smallest.
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "guestmem.h"
#include "irq.h"
#include "pci.h"
#include "virtio_spec.h"
#include "virtq.h"

/* The spec's constants (IDs, status and feature bits, the common
 * configuration's offsets) are src/common/virtio_spec.h; these are ours. */
#define VIRTIO_PCI_SUBSYS_ID 0x1100   /* >= 0x40 for non-transitional devices */
#define VIRTIO_PCI_REVISION 1         /* >= 1: non-transitional (4.1.2.1) */
#define VIRTIO_PCI_BAR_SIZE 0x8000u
#define VIRTIO_PCI_COMMON 0x0000u
#define VIRTIO_PCI_COMMON_LEN 0x40u
#define VIRTIO_PCI_ISR 0x1000u
#define VIRTIO_PCI_DEVCFG 0x2000u
#define VIRTIO_PCI_NOTIFY 0x3000u
#define VIRTIO_PCI_NOTIFY_MULT 4u
#define VIRTIO_PCI_MSIX_TABLE 0x4000u
#define VIRTIO_PCI_MSIX_PBA 0x5000u
#define VIRTIO_MAX_QUEUES 8

/* What a device is. The callbacks' `dev` is virtio_device.dev. */
struct virtio_device {
	const char *name;  /* "virtio-blk": messages, the sandbox role */
	uint16_t id;       /* virtio device ID (5): 2 block, 4 entropy, ... */
	uint8_t class_code, subclass, prog_if; /* what Linux shows in lspci */
	uint64_t features; /* device-specific bits offered; the transport adds
			    * VERSION_1, INDIRECT_DESC and EVENT_IDX */
	unsigned nqueues;  /* 1..VIRTIO_MAX_QUEUES */
	uint16_t queue_max; /* queue size offered, a power of two <= VIRTQ_MAX_SIZE */
	unsigned config_len; /* bytes of device configuration (<= 0x1000) */
	/* Reads device configuration [off, off + len), inside config_len.
	 * vCPU thread, vp->lock held: must not block. NULL: reads zeros. */
	void (*config_read)(void *dev, unsigned off, uint8_t *buf, unsigned len);
	/* Writes to it; NULL: ignored. Same rules. */
	void (*config_write)(void *dev, unsigned off, const uint8_t *buf, unsigned len);
	/* Worker thread: serves one chain taken from queue q and says how
	 * many bytes it wrote into the chain's writable buffers. Returns 0,
	 * or -1 when the chain cannot be answered at all (the device then
	 * goes to NEEDS_RESET). */
	int (*serve)(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written);
	/* Worker thread, after a reset dropped the queues. May be NULL. */
	void (*reset)(void *dev);
	void *dev;
	/* Devices with input of their own (net's TAP, vsock's sockets). The
	 * queues in pull_queues (bit q) are set up but not served: the
	 * device takes their chains in run() with virtio_pci_pop/_put, when
	 * it has something to put in them. wait() (worker thread; NULL:
	 * none) returns a descriptor the worker polls for POLLIN as well, or
	 * -1, and sets how long it may sleep (-1: no limit). run() (NULL:
	 * none) is called on each wake-up while the device is live, after
	 * the served queues: kicked has bit q for each queue notified (all
	 * bits on the DRIVER_OK pass), ready says wait's descriptor had
	 * input. */
	uint32_t pull_queues;
	int (*wait)(void *dev, int *timeout_ms);
	void (*run)(void *dev, uint32_t kicked, bool ready);
};

/* What the transport needs from the machine (KVM); unit tests record. */
struct virtio_pci_hooks {
	/* Routes GSI `gsi` to the MSI (addr, data). 0 or -1. */
	int (*route)(void *ctx, unsigned gsi, uint64_t addr, uint32_t data);
	/* Attaches eventfd `fd` as an irqfd on `gsi`. 0 or -1. */
	int (*irqfd)(void *ctx, int fd, unsigned gsi);
	/* Attaches or detaches eventfd `fd` as an ioeventfd for 2-byte
	 * writes at MMIO `addr`. 0 or -1 (the MMIO handler then signals). */
	int (*ioeventfd)(void *ctx, int fd, uint64_t addr, bool assign);
	/* Sends one MSI directly: the fallback when routing failed. */
	int (*msi)(void *ctx, uint64_t addr, uint32_t data);
	void *ctx;
	struct irq_line intx; /* INTA#; its GSI goes to Interrupt Line */
	unsigned gsi_base;    /* MSI-X vector v uses GSI gsi_base + v */
};

struct virtio_queue {
	/* Registers (vp->lock). */
	uint16_t size, vector;
	bool enabled;
	uint64_t desc, driver, device;
	int kick_fd;    /* eventfd: ioeventfd, or signalled by the MMIO handler */
	bool kick_kvm;  /* kick_fd is attached as an ioeventfd */
	/* The worker's. */
	struct virtq vq;
	bool live; /* vq set up from the registers */
};

struct virtio_pci {
	struct pci_dev pci;
	struct pci_msix msix;
	pthread_mutex_t lock;
	struct virtio_device d;
	struct virtio_pci_hooks hooks;
	const struct guestmem *gm;
	struct bus *mmio;
	uint32_t bar;
	bool bar_on;
	/* Common configuration (vp->lock). */
	uint64_t host_features, guest_features;
	uint32_t dfselect, gfselect;
	uint16_t config_vector, queue_select;
	uint8_t status, config_gen, isr;
	bool resetting; /* status 0 written; the worker has not finished */
	bool kick_all;  /* DRIVER_OK: look at every queue once */
	struct virtio_queue q[VIRTIO_MAX_QUEUES];
	/* Interrupts: one eventfd per MSI-X vector (queues, then config). */
	unsigned nvec;
	int vec_fd[VIRTIO_MAX_QUEUES + 1];
	bool vec_irqfd[VIRTIO_MAX_QUEUES + 1];
	/* The worker. */
	int ctl_fd; /* eventfd: reset, DRIVER_OK, stop */
	bool stop;
	bool started, gated;
	pthread_t thread;
	char role[16]; /* sandbox role of the worker, e.g. "virtio-blk0" */
	/* Busy-polling (set before virtio_pci_start; 0: off): after serving,
	 * the worker keeps looking at its served queues, with the driver's
	 * notifications off, for up to poll_ns since it last found a chain,
	 * then turns them on and sleeps. Only for a worker with a CPU of its
	 * own (vmm --io-cpus): beside a vCPU, the spin would take its CPU. */
	uint32_t poll_ns;
	uint64_t notifies, interrupts; /* counters, for tests */
	uint64_t polled, poll_sleeps; /* chains found by polling; windows that ran out */
};

/* Sets the device up (not yet on the PCI bus): checks d, creates the
 * eventfds. Returns 0, or -1 with a message in err. `mmio` is where BAR0
 * appears. */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_device *d,
		    const struct guestmem *gm, struct bus *mmio,
		    const struct virtio_pci_hooks *hooks, char *err, size_t errlen);
/* After pci_add(): the virtio and MSI-X capabilities. 0 or -1. */
int virtio_pci_add_caps(struct virtio_pci *vp);
/* Starts the worker thread, which first waits at the sandbox gate
 * (sandbox_hold_role) when `gated`. 0 or -1 with a message. */
int virtio_pci_start(struct virtio_pci *vp, bool gated, char *err, size_t errlen);
/* Stops and joins the worker, closes the eventfds. */
void virtio_pci_free(struct virtio_pci *vp);
/* The descriptors the worker and the interrupt paths use after set-up
 * (for the sandbox's keep list); returns how many were stored (<= max). */
unsigned virtio_pci_fds(const struct virtio_pci *vp, int *fds, unsigned max);

/* BAR0's MMIO handler (registered by the BAR's bar_moved). */
void virtio_pci_mmio(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

/* For a device's own use from the worker: puts the device in
 * DEVICE_NEEDS_RESET and sends a configuration change notification. */
void virtio_pci_needs_reset(struct virtio_pci *vp, const char *why);
/* For a device's own use from the worker, after it changed what its
 * config_read returns: a new config_generation and a configuration change
 * notification (4.1.4.3.1, 4.1.5.3), when the driver is live. */
void virtio_pci_config_changed(struct virtio_pci *vp);

/* The negotiated features (valid once FEATURES_OK). */
uint64_t virtio_pci_features(struct virtio_pci *vp);

/* For a device's pulled queues, from the worker (run): takes the next
 * chain of queue q (1), none or the queue not live (0), or a malformed
 * ring (-1, the device is then in NEEDS_RESET); gives a chain back with
 * `written` bytes and notifies the driver if it wants (dropped while a
 * reset is in progress, as for served queues). */
int virtio_pci_pop(struct virtio_pci *vp, unsigned q, struct virtq_chain *c);
void virtio_pci_put(struct virtio_pci *vp, unsigned q, uint16_t head, uint32_t written);

#endif
