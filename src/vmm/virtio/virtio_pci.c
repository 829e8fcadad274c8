/*
 * virtio_pci: the modern virtio-over-PCI transport (virtio 1.2 section
 * 4.1) and each device's worker thread.
 *
 * Lock order: PCI bus lock -> vp->lock -> vp->msix.lock. The MMIO bus
 * lock is taken before vp->lock by MMIO dispatch, so BAR moves change the
 * bus without vp->lock held (as gpio.c does).
 *
 * The device status state machine (2.1, 3.1.1), as the device sees it:
 *   0 --(ACKNOWLEDGE, DRIVER)--> features readable, driver_feature written
 *     --(FEATURES_OK)--> kept only if the driver's features are a subset
 *        of ours and include VERSION_1 (3.1.1 step 5-6), else it reads 0
 *     --(DRIVER_OK)--> the worker serves enabled queues
 *   any --(ring malformed)--> | NEEDS_RESET: nothing served until reset
 *   any --(write 0)--> resetting: the worker drops the queues, then every
 *        register returns to its reset value and status reads 0 (2.4).
 */
#include "virtio_pci.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "vlog.h"

/* Vendor-specific capability (4.1.4): cap_vndr, cap_next, cap_len,
 * cfg_type, bar, id, padding[2], offset, length; the notify capability
 * adds notify_off_multiplier (4.1.4.4). */
#define CAP_LEN 16
#define NOTIFY_CAP_LEN 20

#define TRANSPORT_FEATURES                                                    \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) |    \
	 (1ull << VIRTIO_F_EVENT_IDX))

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get_le(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;
	/* An eventfd write fails only when the counter would overflow,
	 * which means the reader is far behind: the wake-up is there. */
	(void)!write(fd, &one, sizeof(one));
}

/* ---- interrupts --------------------------------------------------------- */

/* MSI-X `send`, under the MSI-X lock: the vector's eventfd, which KVM's
 * irqfd turns into the MSI without entering the monitor; or, where the
 * route could not be set, the MSI itself. */
static void msix_send(void *opaque, unsigned vec, uint64_t addr, uint32_t data)
{
	struct virtio_pci *vp = opaque;
	__atomic_add_fetch(&vp->interrupts, 1, __ATOMIC_RELAXED);
	if (vec < vp->nvec && vp->vec_irqfd[vec])
		signal_fd(vp->vec_fd[vec]);
	else if (vp->hooks.msi)
		(void)vp->hooks.msi(vp->hooks.ctx, addr, data);
}

/* MSI-X `update`: the vector's route follows the table as the guest
 * programs it; the irqfd is attached once, on the first route. A masked
 * vector needs no change in KVM: pci_msix_notify() then only sets its
 * pending bit, and nothing writes the eventfd. */
static void msix_update(void *opaque, unsigned vec, bool live, uint64_t addr, uint32_t data)
{
	struct virtio_pci *vp = opaque;
	if (!live || vec >= vp->nvec || !vp->hooks.route)
		return;
	unsigned gsi = vp->hooks.gsi_base + vec;
	if (vp->hooks.route(vp->hooks.ctx, gsi, addr, data)) {
		vp->vec_irqfd[vec] = false; /* msix_send falls back to the MSI */
		return;
	}
	if (!vp->vec_irqfd[vec] && vp->hooks.irqfd)
		vp->vec_irqfd[vec] = vp->hooks.irqfd(vp->hooks.ctx, vp->vec_fd[vec], gsi) == 0;
}

/* With vp->lock held: INTx follows the ISR while MSI-X is off (4.1.4.5.1:
 * the device sets ISR and asserts the line; reading ISR deasserts it). */
static void intx_update(struct virtio_pci *vp)
{
	irq_set_level(&vp->hooks.intx, vp->isr != 0 && !pci_msix_enabled(&vp->msix));
}

/* A notification on `vec` (a queue's vector or config_vector), or INTx
 * with `isr_bit` when MSI-X is off (4.1.5.1.2, 4.1.5.3, 4.1.5.4). */
static void notify_driver(struct virtio_pci *vp, uint16_t vec, uint8_t isr_bit)
{
	/* NO_VECTOR with MSI-X on: the driver asked for no notification. */
	unsigned v = vec == VIRTIO_NO_VECTOR ? PCI_MSIX_MAX_VECTORS : vec;
	if (pci_msix_notify(&vp->msix, v) != PCI_MSIX_OFF)
		return;
	pthread_mutex_lock(&vp->lock);
	vp->isr |= isr_bit;
	__atomic_add_fetch(&vp->interrupts, 1, __ATOMIC_RELAXED);
	intx_update(vp);
	pthread_mutex_unlock(&vp->lock);
}

/* With vp->lock held. */
static bool needs_reset_locked(struct virtio_pci *vp, const char *why)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return false;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	vp->config_gen++;
	/* Guest errors are not ours to stop on: say so (within vlog's budget
	 * for what a guest can repeat) and go on. */
	vlog_guest(VLOG_VIRTIO, "%s: %s; the device needs a reset (virtio 1.2, 2.1.2)", vp->role,
		   why ? why : "malformed request");
	return true;
}

void virtio_pci_needs_reset(struct virtio_pci *vp, const char *why)
{
	pthread_mutex_lock(&vp->lock);
	bool now = !vp->resetting && needs_reset_locked(vp, why);
	uint16_t vec = vp->config_vector;
	pthread_mutex_unlock(&vp->lock);
	if (now)
		notify_driver(vp, vec, VIRTIO_ISR_CONFIG);
}

static bool device_live(const struct virtio_pci *vp);

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp->config_gen++;
	bool live = device_live(vp);
	uint16_t vec = vp->config_vector;
	pthread_mutex_unlock(&vp->lock);
	if (live)
		notify_driver(vp, vec, VIRTIO_ISR_CONFIG);
}

uint64_t virtio_pci_features(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	uint64_t f = vp->guest_features;
	pthread_mutex_unlock(&vp->lock);
	return f;
}

/* ---- registers ---------------------------------------------------------- */

/* Reset values (2.4, 4.1.4.3). With vp->lock held; the worker has dropped
 * its queues. MSI-X table and routes are PCI state and stay. */
static void regs_reset(struct virtio_pci *vp)
{
	vp->guest_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->config_vector = VIRTIO_NO_VECTOR;
	vp->queue_select = 0;
	vp->status = 0;
	vp->isr = 0;
	vp->kick_all = false;
	for (unsigned i = 0; i < vp->d.nqueues; i++) {
		struct virtio_queue *q = &vp->q[i];
		q->size = vp->d.queue_max;
		q->vector = VIRTIO_NO_VECTOR;
		q->enabled = false;
		q->desc = q->driver = q->device = 0;
	}
	intx_update(vp);
}

static uint16_t vector_ok(const struct virtio_pci *vp, uint64_t v)
{
	/* 4.1.5.1.2: a vector the table does not have reads back NO_VECTOR,
	 * which is how the driver learns it failed. */
	return v < vp->nvec ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static bool features_acceptable(const struct virtio_pci *vp)
{
	return !(vp->guest_features & ~vp->host_features) &&
	       (vp->guest_features & (1ull << VIRTIO_F_VERSION_1));
}

static void status_write(struct virtio_pci *vp, uint8_t v)
{
	if (v == 0) {
		if (!(vp->status & VIRTIO_STATUS_DRIVER_OK) && !vp->resetting) {
			/* Never live since the last reset: the worker holds no
			 * queue, so the reset is done at once. Linux resets a
			 * device before it first looks at it; deferring this one
			 * would let the status read 0 while the driver's next
			 * writes are still being ignored. */
			regs_reset(vp);
			return;
		}
		/* 2.4: the worker finishes what it is doing with the queues,
		 * then resets; device_status keeps reading non-zero (it has
		 * DRIVER_OK) until that is done. */
		vp->resetting = true;
		signal_fd(vp->ctl_fd);
		return;
	}
	uint8_t old = vp->status;
	uint8_t s = (uint8_t)((v & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET));
	if ((s & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_acceptable(vp))
		s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK; /* 3.1.1 step 6: reads back unset */
	vp->status = s;
	if ((s & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		vp->kick_all = true; /* buffers made available before DRIVER_OK */
		signal_fd(vp->ctl_fd);
	}
}

static void common_read(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len)
{
	uint8_t img[VIRTIO_PCI_COMMON_LEN];
	memset(img, 0, sizeof(img));
	put32(img + VIRTIO_CC_DFSELECT, vp->dfselect);
	put32(img + VIRTIO_CC_DF,
	      vp->dfselect < 2 ? (uint32_t)(vp->host_features >> (32 * vp->dfselect)) : 0);
	put32(img + VIRTIO_CC_GFSELECT, vp->gfselect);
	put32(img + VIRTIO_CC_GF,
	      vp->gfselect < 2 ? (uint32_t)(vp->guest_features >> (32 * vp->gfselect)) : 0);
	put16(img + VIRTIO_CC_MSIX_CONFIG, vp->config_vector);
	put16(img + VIRTIO_CC_NUM_QUEUES, (uint16_t)vp->d.nqueues);
	img[VIRTIO_CC_STATUS] = vp->status;
	img[VIRTIO_CC_GENERATION] = vp->config_gen;
	put16(img + VIRTIO_CC_Q_SELECT, vp->queue_select);
	if (vp->queue_select < vp->d.nqueues) {
		const struct virtio_queue *q = &vp->q[vp->queue_select];
		put16(img + VIRTIO_CC_Q_SIZE, q->size);
		put16(img + VIRTIO_CC_Q_MSIX, q->vector);
		put16(img + VIRTIO_CC_Q_ENABLE, q->enabled);
		put16(img + VIRTIO_CC_Q_NOFF, vp->queue_select);
		put64(img + VIRTIO_CC_Q_DESC, q->desc);
		put64(img + VIRTIO_CC_Q_DRIVER, q->driver);
		put64(img + VIRTIO_CC_Q_DEVICE, q->device);
		put16(img + VIRTIO_CC_Q_NDATA, vp->queue_select);
	} /* else: queue_size 0 says there is no such queue (4.1.4.3.1) */
	memcpy(data, img + off, len);
}

/* A 64-bit queue address, written whole or as two 32-bit halves
 * (4.1.3.1: 64-bit fields may be accessed as two 32-bit ones). */
static void set_addr(uint64_t *a, uint64_t off_in_field, uint32_t len, uint64_t v)
{
	if (len == 8 && off_in_field == 0)
		*a = v;
	else if (len == 4 && off_in_field == 0)
		*a = (*a & ~0xffffffffull) | (v & 0xffffffffull);
	else if (len == 4 && off_in_field == 4)
		*a = (*a & 0xffffffffull) | (v << 32);
}

static void common_write(struct virtio_pci *vp, uint64_t off, uint32_t len, uint64_t v)
{
	if (vp->resetting)
		return; /* the driver must wait for status 0 first */
	struct virtio_queue *q = vp->queue_select < vp->d.nqueues ? &vp->q[vp->queue_select] : NULL;
	/* Queue registers are fixed while the queue is enabled (4.1.4.3.2). */
	bool qw = q && !q->enabled;
	/* Each field at its natural width; anything else is dropped. */
	switch (off) {
	case VIRTIO_CC_DFSELECT:
		if (len == 4)
			vp->dfselect = (uint32_t)v;
		return;
	case VIRTIO_CC_GFSELECT:
		if (len == 4)
			vp->gfselect = (uint32_t)v;
		return;
	case VIRTIO_CC_GF:
		/* Only until FEATURES_OK (3.1.1); words beyond 1 are zero. */
		if (len == 4 && vp->gfselect < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * vp->gfselect;
			vp->guest_features = (vp->guest_features & ~(0xffffffffull << sh)) |
					     ((v & 0xffffffffull) << sh);
		}
		return;
	case VIRTIO_CC_MSIX_CONFIG:
		if (len == 2)
			vp->config_vector = vector_ok(vp, v);
		return;
	case VIRTIO_CC_STATUS:
		if (len == 1)
			status_write(vp, (uint8_t)v);
		return;
	case VIRTIO_CC_Q_SELECT:
		if (len == 2)
			vp->queue_select = (uint16_t)v;
		return;
	case VIRTIO_CC_Q_SIZE:
		/* Checked when the worker sets the queue up (power of two,
		 * at most queue_max); a bad size then means NEEDS_RESET. */
		if (len == 2 && qw)
			q->size = (uint16_t)v;
		return;
	case VIRTIO_CC_Q_MSIX:
		if (len == 2 && q)
			q->vector = vector_ok(vp, v);
		return;
	case VIRTIO_CC_Q_ENABLE:
		/* 1 only: 0 is not how a queue is stopped (that is
		 * queue_reset, VIRTIO_F_RING_RESET, which we do not offer). */
		if (len == 2 && qw && v == 1)
			q->enabled = true;
		return;
	default:
		break;
	}
	if (!qw || off < VIRTIO_CC_Q_DESC || off >= VIRTIO_CC_Q_NDATA)
		return; /* read-only fields, queue_reset, or queue fixed */
	uint64_t *a = off < VIRTIO_CC_Q_DRIVER ? &q->desc
		      : off < VIRTIO_CC_Q_DEVICE ? &q->driver : &q->device;
	set_addr(a, (off - VIRTIO_CC_Q_DESC) % 8, len, v);
}

void virtio_pci_mmio(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint64_t v = is_write ? get_le(data, len) : 0;
	if (!is_write)
		memset(data, 0, len);
	if (len == 0 || len > 8)
		return;
	if (off >= VIRTIO_PCI_MSIX_TABLE && off < VIRTIO_PCI_MSIX_PBA) {
		pci_msix_table_io(&vp->msix, off - VIRTIO_PCI_MSIX_TABLE, data, len, is_write);
		return;
	}
	if (off >= VIRTIO_PCI_MSIX_PBA && off < VIRTIO_PCI_MSIX_PBA + 0x1000) {
		pci_msix_pba_io(&vp->msix, off - VIRTIO_PCI_MSIX_PBA, data, len, is_write);
		return;
	}
	if (off >= VIRTIO_PCI_NOTIFY && off < VIRTIO_PCI_NOTIFY + 0x1000) {
		/* 4.1.4.4: the write's address names the queue. This path
		 * runs only where the ioeventfd did not take the write (no
		 * ioeventfd, or a width other than 2 bytes): signal the same
		 * eventfd, so the worker sees one kind of kick. */
		uint64_t qi = (off - VIRTIO_PCI_NOTIFY) / VIRTIO_PCI_NOTIFY_MULT;
		if (is_write && qi < vp->d.nqueues)
			signal_fd(vp->q[qi].kick_fd);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off + len <= VIRTIO_PCI_COMMON_LEN) {
		if (is_write)
			common_write(vp, off, len, v);
		else
			common_read(vp, off, data, len);
	} else if (off == VIRTIO_PCI_ISR && !is_write) {
		/* 4.1.4.5.1: reading clears the bits and deasserts INTx. */
		data[0] = vp->isr;
		vp->isr = 0;
		intx_update(vp);
	} else if (off >= VIRTIO_PCI_DEVCFG && off - VIRTIO_PCI_DEVCFG + len <= vp->d.config_len) {
		unsigned o = (unsigned)(off - VIRTIO_PCI_DEVCFG);
		if (is_write && vp->d.config_write)
			vp->d.config_write(vp->d.dev, o, data, len);
		else if (!is_write && vp->d.config_read)
			vp->d.config_read(vp->d.dev, o, data, len);
	}
	pthread_mutex_unlock(&vp->lock);
}

/* ---- PCI ---------------------------------------------------------------- */

static void set_kicks(struct virtio_pci *vp, uint32_t base, bool assign)
{
	if (!vp->hooks.ioeventfd)
		return;
	for (unsigned i = 0; i < vp->d.nqueues; i++) {
		struct virtio_queue *q = &vp->q[i];
		uint64_t a = (uint64_t)base + VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT * i;
		if (assign && !q->kick_kvm)
			q->kick_kvm = vp->hooks.ioeventfd(vp->hooks.ctx, q->kick_fd, a, true) == 0;
		else if (!assign && q->kick_kvm) {
			(void)vp->hooks.ioeventfd(vp->hooks.ctx, q->kick_fd, a, false);
			q->kick_kvm = false;
		}
	}
}

/* PCI bus lock held (pci.h). The BAR's range and the notify ioeventfds
 * follow the BAR; a BAR the guest puts over something else does not
 * decode (its mistake), as in gpio.c. */
static void bar_moved(struct pci_dev *d, int bar, uint32_t addr, bool enabled)
{
	struct virtio_pci *vp = d->opaque;
	if (bar != 0)
		return;
	if (vp->bar_on) {
		bus_unregister(vp->mmio, vp->bar);
		set_kicks(vp, vp->bar, false);
	}
	bool on = enabled && bus_register(vp->mmio, addr, VIRTIO_PCI_BAR_SIZE, virtio_pci_mmio, vp,
					  vp->role) == 0;
	if (on)
		set_kicks(vp, addr, true);
	pthread_mutex_lock(&vp->lock);
	vp->bar_on = on;
	vp->bar = addr;
	pthread_mutex_unlock(&vp->lock);
}

static void cfg_written(struct pci_dev *d, unsigned reg, unsigned len)
{
	struct virtio_pci *vp = d->opaque;
	pci_msix_cfg_written(&vp->msix, reg, len);
	pthread_mutex_lock(&vp->lock);
	intx_update(vp); /* INTx stops when MSI-X goes on, and back */
	pthread_mutex_unlock(&vp->lock);
}

static int vendor_cap(struct pci_dev *d, uint8_t type, uint32_t off, uint32_t len,
		      unsigned caplen)
{
	int at = pci_cap_add(d, PCI_CAP_ID_VENDOR, caplen);
	if (at < 0)
		return -1;
	uint8_t *c = d->cfg + at;
	c[2] = (uint8_t)caplen;
	c[3] = type;
	c[4] = 0; /* BAR0 */
	c[5] = 0; /* id: one capability of each type */
	put32(c + 8, off);
	put32(c + 12, len);
	return at;
}

int virtio_pci_add_caps(struct virtio_pci *vp)
{
	struct pci_dev *d = &vp->pci;
	int n;
	if (vendor_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON, VIRTIO_PCI_COMMON_LEN,
		       CAP_LEN) < 0 ||
	    (n = vendor_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY,
			    VIRTIO_PCI_NOTIFY_MULT * vp->d.nqueues, NOTIFY_CAP_LEN)) < 0 ||
	    vendor_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR, 1, CAP_LEN) < 0)
		return -1;
	put32(d->cfg + n + 16, VIRTIO_PCI_NOTIFY_MULT);
	if (vp->d.config_len &&
	    vendor_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG, vp->d.config_len,
		       CAP_LEN) < 0)
		return -1;
	return pci_msix_init(&vp->msix, d, vp->nvec, 0, VIRTIO_PCI_MSIX_TABLE, 0,
			     VIRTIO_PCI_MSIX_PBA, msix_send, msix_update, vp) < 0
		       ? -1
		       : 0;
}

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_device *d,
		    const struct guestmem *gm, struct bus *mmio,
		    const struct virtio_pci_hooks *hooks, char *err, size_t errlen)
{
	memset(vp, 0, sizeof(*vp));
	vp->ctl_fd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vp->q[i].kick_fd = -1;
	for (unsigned i = 0; i <= VIRTIO_MAX_QUEUES; i++)
		vp->vec_fd[i] = -1;
	/* Our own wiring: a bad device description is the monitor's bug. */
	if (!d->serve || d->nqueues < 1 || d->nqueues > VIRTIO_MAX_QUEUES || !d->queue_max ||
	    (d->queue_max & (d->queue_max - 1)) || d->queue_max > VIRTQ_MAX_SIZE ||
	    d->config_len > 0x1000 || (d->features & TRANSPORT_FEATURES)) {
		snprintf(err, errlen, "%s: internal error: bad device description", d->name);
		return -1;
	}
	pthread_mutex_init(&vp->lock, NULL);
	vp->d = *d;
	vp->gm = gm;
	vp->mmio = mmio;
	vp->hooks = *hooks;
	vp->host_features = d->features | TRANSPORT_FEATURES;
	vp->nvec = d->nqueues + 1;
	snprintf(vp->role, sizeof(vp->role), "%s", d->name);
	vp->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	bool ok = vp->ctl_fd >= 0;
	for (unsigned i = 0; ok && i < d->nqueues; i++)
		ok = (vp->q[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0;
	for (unsigned i = 0; ok && i < vp->nvec; i++)
		ok = (vp->vec_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0;
	if (!ok) {
		snprintf(err, errlen, "%s: eventfd: %s", d->name, strerror(errno));
		virtio_pci_free(vp);
		return -1;
	}
	regs_reset(vp);

	struct pci_dev *p = &vp->pci;
	p->vendor_id = VIRTIO_PCI_VENDOR;
	p->device_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + d->id);
	p->subsys_vendor = VIRTIO_PCI_VENDOR;
	p->subsys_id = VIRTIO_PCI_SUBSYS_ID;
	p->revision = VIRTIO_PCI_REVISION;
	p->class_code = d->class_code;
	p->subclass = d->subclass;
	p->prog_if = d->prog_if;
	p->irq_pin = 1; /* INTA#: the fallback when MSI-X is off */
	p->irq_line = (uint8_t)hooks->intx.gsi;
	p->bar[0].kind = PCI_BAR_MEM32;
	p->bar[0].size = VIRTIO_PCI_BAR_SIZE;
	p->bar_moved = bar_moved;
	p->cfg_written = cfg_written;
	p->opaque = vp;
	p->name = vp->role;
	return 0;
}

/* ---- the worker ----------------------------------------------------------- */

/* With vp->lock held: sets up queue i from its registers once the driver
 * has enabled it and the device is live. Returns NULL, or what is wrong. */
static const char *queue_setup(struct virtio_pci *vp, unsigned i)
{
	struct virtio_queue *q = &vp->q[i];
	if (q->live || !q->enabled)
		return NULL;
	if (q->size > vp->d.queue_max)
		return "queue size larger than offered";
	if (virtq_init(&q->vq, vp->gm, q->size, q->desc, q->driver, q->device,
		       vp->guest_features & (1ull << VIRTIO_F_EVENT_IDX),
		       vp->guest_features & (1ull << VIRTIO_F_INDIRECT_DESC)))
		return q->vq.why;
	q->live = true;
	return NULL;
}

static bool device_live(const struct virtio_pci *vp)
{
	uint8_t want = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
	return !vp->resetting && (vp->status & want) == want &&
	       !(vp->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

/* Gives chain `head` of queue i back and notifies the driver if it wants;
 * false when a reset written while we worked drops it (the queue is being
 * dropped; the driver is waiting for status 0, not for this buffer). */
static bool put_chain(struct virtio_pci *vp, unsigned i, uint16_t head, uint32_t written)
{
	struct virtio_queue *q = &vp->q[i];
	pthread_mutex_lock(&vp->lock);
	bool drop = vp->resetting;
	uint16_t vec = q->vector;
	pthread_mutex_unlock(&vp->lock);
	if (drop)
		return false;
	virtq_push(&q->vq, head, written);
	if (virtq_need_notify(&q->vq))
		notify_driver(vp, vec, VIRTIO_ISR_QUEUE);
	return true;
}

void virtio_pci_put(struct virtio_pci *vp, unsigned q, uint16_t head, uint32_t written)
{
	if (q < vp->d.nqueues && vp->q[q].live)
		(void)put_chain(vp, q, head, written);
}

int virtio_pci_pop(struct virtio_pci *vp, unsigned q, struct virtq_chain *c)
{
	if (q >= vp->d.nqueues || !vp->q[q].live)
		return 0;
	int r = virtq_pop(&vp->q[q].vq, c);
	if (r < 0)
		virtio_pci_needs_reset(vp, vp->q[q].vq.why);
	return r;
}

/* Serves queue i until it is empty (or a bound, then comes back: other
 * queues and a reset are not starved by a driver that keeps adding). */
static void serve_queue(struct virtio_pci *vp, unsigned i, struct virtq_chain *c)
{
	struct virtio_queue *q = &vp->q[i];
	struct virtq *vq = &q->vq;
	for (unsigned n = 0; n < 2u * vq->size; n++) {
		int r = virtq_pop(vq, c);
		if (r == 0)
			return;
		if (r < 0) {
			virtio_pci_needs_reset(vp, vq->why);
			return;
		}
		uint32_t written = 0;
		if (vp->d.serve(vp->d.dev, i, c, &written)) {
			virtio_pci_needs_reset(vp, "request the device cannot answer");
			return;
		}
		if (written > c->wlen)
			abort(); /* a device claimed more than the chain holds: our bug */
		if (!put_chain(vp, i, c->head, written))
			return;
	}
	signal_fd(q->kick_fd); /* more to do: come back after the others */
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t); /* the vDSO: no system call */
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#define SPIN_FDS_NS 5000u

/* A queue the worker serves itself (not a device's pulled queue). */
static bool served(const struct virtio_pci *vp, unsigned i)
{
	return vp->q[i].live && !(vp->d.pull_queues & (1u << i));
}

/*
 * The bounded busy-poll (vp->poll_ns): instead of sleeping in poll(2)
 * right after serving, look at the served queues' available indices with
 * the driver's notifications off (virtq_notify_off: so the guest does not
 * exit to notify while we look, 2.7.10), and at the descriptors without
 * waiting (a reset, a kick of another kind, the device's own input),
 * until one has something or poll_ns pass. Returns true when it found
 * chains (kicked[] says where; the caller then skips its poll(2)), false
 * when the caller should poll: a descriptor is ready (that poll returns at
 * once) or the window ran out. So an idle queue costs at most poll_ns of
 * CPU after its last chain, never more. Before any poll(2) that may sleep,
 * rearm() turns the notifications back on.
 */
static bool spin(struct virtio_pci *vp, struct pollfd *p, unsigned nfds, bool *kicked)
{
	unsigned n = vp->d.nqueues;
	uint64_t t = now_ns(), end = t + vp->poll_ns, fds_at = t;
	bool found = false;
	for (unsigned i = 0; i < n; i++)
		if (served(vp, i))
			virtq_notify_off(&vp->q[i].vq);
	for (;;) {
		for (unsigned i = 0; i < n; i++)
			if (served(vp, i) && virtq_pending(&vp->q[i].vq)) {
				kicked[i] = found = true;
			}
		if (found) {
			__atomic_add_fetch(&vp->polled, 1, __ATOMIC_RELAXED);
			return true;
		}
		/* The rings are memory, the descriptors a system call: the
		 * latter are looked at every SPIN_FDS_NS only (a reset or a
		 * stop waits that much longer at most). */
		t = now_ns();
		if (t >= fds_at) {
			if (poll(p, nfds, 0) != 0)
				return false; /* ready (or EINTR): the caller's poll sees it */
			fds_at = t + SPIN_FDS_NS;
		}
		if (t >= end) {
			__atomic_add_fetch(&vp->poll_sleeps, 1, __ATOMIC_RELAXED);
			return false;
		}
		/* The spin-wait hint: PAUSE on x86, YIELD on arm64. */
#if defined(__aarch64__)
		__asm__ __volatile__("yield");
#else
		__builtin_ia32_pause();
#endif
	}
}

/* The worker never sleeps with a queue's notifications off: they go back
 * on here (a no-op where they are on), and a chain that came while they
 * were off is served rather than slept on (returns true, kicked[] set). */
static bool rearm(struct virtio_pci *vp, bool *kicked)
{
	bool found = false;
	for (unsigned i = 0; i < vp->d.nqueues; i++)
		if (served(vp, i) && virtq_notify_on(&vp->q[i].vq))
			kicked[i] = found = true;
	return found;
}

static void drain(int fd)
{
	uint64_t v;
	(void)!read(fd, &v, sizeof(v));
}

static void *worker(void *arg)
{
	struct virtio_pci *vp = arg;
	static _Thread_local struct virtq_chain chain;
	bool was_live = false; /* the device's own fd is polled only while live */
	bool worked = false;   /* served a queue last time round: poll before sleeping */
	if (vp->gated)
		sandbox_hold_role(vp->role);
	for (;;) {
		struct pollfd p[VIRTIO_MAX_QUEUES + 2];
		unsigned n = vp->d.nqueues;
		p[0] = (struct pollfd){vp->ctl_fd, POLLIN, 0};
		for (unsigned i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){vp->q[i].kick_fd, POLLIN, 0};
		int timeout = -1;
		int wfd = vp->d.wait && was_live ? vp->d.wait(vp->d.dev, &timeout) : -1;
		p[n + 1] = (struct pollfd){wfd, POLLIN, 0};
		unsigned nfds = n + 1 + (wfd >= 0);
		bool kicked[VIRTIO_MAX_QUEUES] = {false};
		bool polled = worked && vp->poll_ns && was_live && spin(vp, p, nfds, kicked);
		if (!polled && vp->poll_ns)
			polled = rearm(vp, kicked);
		worked = false;
		if (polled) {
			for (unsigned i = 0; i < nfds; i++)
				p[i].revents = 0;
		} else if (poll(p, nfds, timeout) < 0 && errno != EINTR) {
			abort(); /* our own descriptors: cannot fail */
		}
		bool ready = wfd >= 0 && (p[n + 1].revents & (POLLIN | POLLHUP | POLLERR));
		if (p[0].revents & POLLIN)
			drain(vp->ctl_fd);
		for (unsigned i = 0; i < n; i++)
			if (p[i + 1].revents & POLLIN) {
				drain(vp->q[i].kick_fd);
				kicked[i] = true;
				__atomic_add_fetch(&vp->notifies, 1, __ATOMIC_RELAXED);
			}
		pthread_mutex_lock(&vp->lock);
		if (vp->stop) {
			pthread_mutex_unlock(&vp->lock);
			return NULL;
		}
		if (vp->resetting) {
			for (unsigned i = 0; i < n; i++) {
				vp->q[i].live = false;
				memset(&vp->q[i].vq, 0, sizeof(vp->q[i].vq));
			}
			regs_reset(vp);
			vp->resetting = false;
			was_live = false;
			pthread_mutex_unlock(&vp->lock);
			if (vp->d.reset)
				vp->d.reset(vp->d.dev);
			continue;
		}
		bool live = device_live(vp);
		was_live = live;
		bool all = vp->kick_all;
		vp->kick_all = false;
		bool serve[VIRTIO_MAX_QUEUES] = {false};
		const char *bad = NULL;
		for (unsigned i = 0; live && i < n && !bad; i++) {
			if (kicked[i] || all)
				bad = queue_setup(vp, i);
			serve[i] = (kicked[i] || all) && vp->q[i].live &&
				   !(vp->d.pull_queues & (1u << i));
		}
		pthread_mutex_unlock(&vp->lock);
		if (bad) {
			virtio_pci_needs_reset(vp, bad);
			continue;
		}
		if (!live)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (serve[i]) {
				serve_queue(vp, i, &chain);
				worked = true;
			}
		if (vp->d.run) {
			uint32_t mask = all ? ~0u : 0;
			for (unsigned i = 0; i < n; i++)
				mask |= kicked[i] ? 1u << i : 0;
			vp->d.run(vp->d.dev, mask, ready);
		}
	}
}

int virtio_pci_start(struct virtio_pci *vp, bool gated, char *err, size_t errlen)
{
	vp->gated = gated;
	int e = pthread_create(&vp->thread, NULL, worker, vp);
	if (e) {
		snprintf(err, errlen, "%s: cannot start its thread: %s", vp->role, strerror(e));
		return -1;
	}
	vp->started = true;
	pthread_setname_np(vp->thread, vp->role); /* for ps, top, the tests */
	return 0;
}

void virtio_pci_free(struct virtio_pci *vp)
{
	if (vp->started) {
		pthread_mutex_lock(&vp->lock);
		vp->stop = true;
		pthread_mutex_unlock(&vp->lock);
		signal_fd(vp->ctl_fd);
		pthread_join(vp->thread, NULL);
		vp->started = false;
	}
	if (vp->ctl_fd >= 0)
		close(vp->ctl_fd);
	vp->ctl_fd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (vp->q[i].kick_fd >= 0)
			close(vp->q[i].kick_fd);
		vp->q[i].kick_fd = -1;
	}
	for (unsigned i = 0; i <= VIRTIO_MAX_QUEUES; i++) {
		if (vp->vec_fd[i] >= 0)
			close(vp->vec_fd[i]);
		vp->vec_fd[i] = -1;
	}
}

unsigned virtio_pci_fds(const struct virtio_pci *vp, int *fds, unsigned max)
{
	unsigned n = 0;
	if (n < max && vp->ctl_fd >= 0)
		fds[n++] = vp->ctl_fd;
	for (unsigned i = 0; i < vp->d.nqueues && n < max; i++)
		fds[n++] = vp->q[i].kick_fd;
	for (unsigned i = 0; i < vp->nvec && n < max; i++)
		fds[n++] = vp->vec_fd[i];
	return n;
}
