/* vfio_pci: configuration space, BARs and interrupts of a passed-through
 * function (vfio_pci.h). */
#include "vfio_pci.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "vlog.h"

/* Type 0 header (PCI 3.0 section 6.1). */
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_ROM 0x30
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d
#define CMD_IO 0x0001
#define CMD_MEM 0x0002
#define STATUS_INT 0x08
#define STATUS_CAP_LIST 0x10

/* Capability IDs (PCI Code and ID Assignment Specification). */
#define CAP_PM 0x01
#define CAP_VENDOR 0x09
#define CAP_EXP 0x10
#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_CAP_LEN 12
/* MSI capability (PCI 3.0 section 6.8.1): Message Control at +2 (bit 0
 * Enable, 3:1 Multiple Message Capable, 6:4 Multiple Message Enable,
 * bit 7 64-bit address capable, bit 8 per-vector masking), Message
 * Address at +4, then the upper address at +8 and data at +12 (64-bit) or
 * data at +8 (32-bit). Length 10/14 bytes, 20/24 with per-vector masking. */
#define MSI_CTRL 2
#define MSI_ADDR 4
#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_64 0x0080
#define MSI_CTRL_PVM 0x0100

#define PAGE 0x1000ull

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int cfg_pread(struct vfio_pci *vp, void *buf, unsigned len, unsigned off)
{
	ssize_t n = pread(vp->fd, buf, len, (off_t)(vp->cfg_region.off + off));
	return n == (ssize_t)len ? 0 : -1;
}

static void cfg_pwrite(struct vfio_pci *vp, const void *buf, unsigned len, unsigned off)
{
	/* The device refusing a write is the device's answer: nothing to do. */
	(void)!pwrite(vp->fd, buf, len, (off_t)(vp->cfg_region.off + off));
}

/* ---- discovery -------------------------------------------------------- */

/* Walks the device's capability list: bounded (48 entries fill 0x40-0xff),
 * dword aligned, never below 0x40 (PCI 3.0 section 6.7). */
static unsigned cap_walk(const uint8_t *real, unsigned *off, uint8_t *id, unsigned max)
{
	unsigned n = 0;
	if (!(real[CFG_STATUS] & STATUS_CAP_LIST))
		return 0;
	unsigned p = real[CFG_CAP_PTR] & 0xfc;
	while (p >= 0x40 && n < max) {
		bool seen = false;
		for (unsigned i = 0; i < n; i++)
			seen = seen || off[i] == p;
		if (seen)
			break; /* a loop: stop at the first repeat */
		off[n] = p;
		id[n] = real[p];
		n++;
		p = real[p + 1] & 0xfc;
	}
	return n;
}

int vfio_pci_init(struct vfio_pci *vp, char *err, size_t errlen)
{
	uint8_t real[256];
	if (vp->cfg_region.size < 256 || cfg_pread(vp, real, sizeof(real), 0)) {
		snprintf(err, errlen, "--vfio %s: cannot read its configuration space", vp->bdf);
		return -1;
	}
	if ((real[CFG_HEADER_TYPE] & 0x7f) != 0) {
		snprintf(err, errlen, "--vfio %s: header type %#x: only type 0 functions (not "
				      "bridges) can be passed through", vp->bdf,
			 real[CFG_HEADER_TYPE] & 0x7f);
		return -1;
	}
	struct pci_dev *d = &vp->pci;
	d->vendor_id = (uint16_t)(real[0] | real[1] << 8);
	d->device_id = (uint16_t)(real[2] | real[3] << 8);
	d->revision = real[8];
	d->prog_if = real[9];
	d->subclass = real[10];
	d->class_code = real[11];
	d->subsys_vendor = (uint16_t)(real[0x2c] | real[0x2d] << 8);
	d->subsys_id = (uint16_t)(real[0x2e] | real[0x2f] << 8);
	d->irq_pin = real[CFG_INT_PIN] <= 4 ? real[CFG_INT_PIN] : 0;
	d->name = vp->bdf;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t b = get32(&real[CFG_BAR0 + 4 * i]);
		uint64_t size = vp->region[i].size;
		vp->bar[i].kind = VFIO_BAR_NONE;
		d->bar[i].kind = PCI_BAR_NONE; /* ours, not pci.c's (64-bit BARs) */
		if (!size)
			continue;
		if ((size & (size - 1)) || size < 4) {
			snprintf(err, errlen, "--vfio %s: BAR %u's size %#" PRIx64 " is not a power "
					      "of two", vp->bdf, i, size);
			return -1;
		}
		vp->bar[i].size = size;
		if (b & 1)
			vp->bar[i].kind = VFIO_BAR_IO;
		else if (((b >> 1) & 3) == 2 && i + 1 < PCI_NUM_BARS)
			vp->bar[i].kind = VFIO_BAR_MEM64;
		else
			vp->bar[i].kind = VFIO_BAR_MEM32;
		if (vp->bar[i].kind == VFIO_BAR_MEM32 && size > (1ull << 31)) {
			snprintf(err, errlen, "--vfio %s: 32-bit BAR %u is too large", vp->bdf, i);
			return -1;
		}
		if (vp->bar[i].kind == VFIO_BAR_IO && size > 256) {
			snprintf(err, errlen, "--vfio %s: I/O BAR %u is larger than 256 bytes", vp->bdf,
				 i);
			return -1;
		}
		if (vp->bar[i].kind == VFIO_BAR_MEM64)
			i++; /* the upper half */
	}
	/* MSI-X: where the table and PBA live (PCI 3.0 section 6.8.2.4-5). */
	unsigned off[48];
	uint8_t id[48];
	unsigned n = cap_walk(real, off, id, 48);
	vp->has_msix = false;
	for (unsigned i = 0; i < n; i++) {
		if (id[i] != PCI_CAP_ID_MSIX || off[i] + MSIX_CAP_LEN > 256)
			continue;
		unsigned c = off[i];
		uint16_t ctrl = (uint16_t)(real[c + MSIX_CTRL] | real[c + MSIX_CTRL + 1] << 8);
		uint32_t t = get32(&real[c + MSIX_TABLE]), p = get32(&real[c + MSIX_PBA]);
		vp->real_nvec = (ctrl & 0x7ffu) + 1;
		vp->msix_bar = t & 7;
		vp->pba_bar = p & 7;
		vp->table_off = t & ~7u;
		vp->pba_off = p & ~7u;
		vp->table_len = (uint64_t)vp->real_nvec * PCI_MSIX_ENTRY_SIZE;
		vp->pba_len = 8ull * ((vp->real_nvec + 63) / 64);
		if (vp->msix_bar >= PCI_NUM_BARS || vp->pba_bar >= PCI_NUM_BARS ||
		    vp->bar[vp->msix_bar].kind == VFIO_BAR_NONE ||
		    vp->bar[vp->msix_bar].kind == VFIO_BAR_IO ||
		    vp->bar[vp->pba_bar].kind == VFIO_BAR_NONE ||
		    vp->table_off + vp->table_len > vp->bar[vp->msix_bar].size ||
		    vp->pba_off + vp->pba_len > vp->bar[vp->pba_bar].size) {
			snprintf(err, errlen, "--vfio %s: its MSI-X table or PBA lies outside its "
					      "BARs", vp->bdf);
			return -1;
		}
		vp->nvec = vp->real_nvec < VFIO_MAX_VECTORS ? vp->real_nvec : VFIO_MAX_VECTORS;
		vp->has_msix = true;
		break;
	}
	/* MSI, when there is no MSI-X: the guest gets one vector of it. */
	vp->has_msi = false;
	for (unsigned i = 0; i < n && !vp->has_msix; i++) {
		if (id[i] != PCI_CAP_ID_MSI)
			continue;
		unsigned c = off[i];
		uint16_t ctrl = (uint16_t)(real[c + MSI_CTRL] | real[c + MSI_CTRL + 1] << 8);
		vp->msi_64 = ctrl & MSI_CTRL_64;
		vp->msi_len = (vp->msi_64 ? 14u : 10u) + (ctrl & MSI_CTRL_PVM ? 10u : 0u);
		if (c + vp->msi_len > 256)
			break; /* a capability past the header's end: not offered */
		vp->msi_at = c;
		vp->nvec = 1;
		vp->has_msi = true;
		break;
	}
	vp->msix_vfio_on = false;
	vp->msi_vfio_on = false;
	vp->intx_on = false;
	for (unsigned v = 0; v < VFIO_MAX_VECTORS; v++)
		vp->vec_irqfd[v] = false;
	return 0;
}

/* ---- interrupts ------------------------------------------------------- */

/* The PBA path of pci.h (a vector unmasked with its pending bit set):
 * we never set one (pending interrupts wait in the eventfd), but if it
 * happens the vector's eventfd delivers it through its irqfd. */
static void msix_send(void *opaque, unsigned vec, uint64_t addr, uint32_t data)
{
	struct vfio_pci *vp = opaque;
	(void)addr;
	(void)data;
	uint64_t one = 1;
	if (vec < vp->nvec && vp->vec_fd[vec] >= 0)
		(void)!write(vp->vec_fd[vec], &one, sizeof(one));
}

/* A vector became live, moved, or stopped being live (pci.h): the route
 * follows the guest's message, the irqfd the mask. */
static void msix_update(void *opaque, unsigned vec, bool live, uint64_t addr, uint32_t data)
{
	struct vfio_pci *vp = opaque;
	if (vec >= vp->nvec || vp->vec_fd[vec] < 0)
		return;
	unsigned gsi = vp->gsi_base + vec;
	if (live) {
		if (vp->hooks.route(vp->hooks.ctx, gsi, addr, data)) {
			vlog_guest(VLOG_VFIO, "vfio %s: MSI-X vector %u: cannot route GSI %u: %s",
				   vp->bdf, vec, gsi, strerror(errno));
			return;
		}
		if (!vp->vec_irqfd[vec]) {
			if (vp->hooks.irqfd(vp->hooks.ctx, vp->vec_fd[vec], gsi, -1, true) == 0)
				vp->vec_irqfd[vec] = true;
			else
				vlog_guest(VLOG_VFIO, "vfio %s: MSI-X vector %u: irqfd: %s", vp->bdf,
					   vec, strerror(errno));
		}
	} else if (vp->vec_irqfd[vec]) {
		vp->hooks.irqfd(vp->hooks.ctx, vp->vec_fd[vec], gsi, -1, false);
		vp->vec_irqfd[vec] = false;
	}
}

static int intx_enable(struct vfio_pci *vp)
{
	if (vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_INTX, VFIO_ACT_TRIGGER, 0, 1, &vp->intx_fd) ||
	    vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_INTX, VFIO_ACT_UNMASK, 0, 1,
			       &vp->intx_resample_fd))
		return -1;
	vp->intx_on = true;
	return 0;
}

static void intx_disable(struct vfio_pci *vp)
{
	if (!vp->intx_on)
		return;
	vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_INTX, VFIO_ACT_TRIGGER, 0, 0, NULL);
	vp->intx_on = false;
}

/* The guest switched MSI-X on or off. VFIO takes MSI-X only with INTx
 * off (drivers/vfio/pci/vfio_pci_intrs.c), so the two swap. */
static void msix_switch(struct vfio_pci *vp, bool on)
{
	if (on == vp->msix_vfio_on)
		return;
	if (on) {
		intx_disable(vp);
		if (vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_MSIX, VFIO_ACT_TRIGGER, 0, vp->nvec,
				       vp->vec_fd)) {
			vlog_guest(VLOG_VFIO, "vfio %s: the device refused MSI-X: %s", vp->bdf,
				   strerror(errno));
			return;
		}
	} else {
		vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_MSIX, VFIO_ACT_TRIGGER, 0, 0, NULL);
		if (vp->intx_fd >= 0 && intx_enable(vp))
			vlog_guest(VLOG_VFIO, "vfio %s: INTx back on failed: %s", vp->bdf,
				   strerror(errno));
	}
	vp->msix_vfio_on = on;
}

/* The guest wrote the MSI capability: VFIO's MSI index armed while
 * Enable is set (INTx off meanwhile, as for MSI-X), the vector's route
 * following the address and data, its irqfd attached while armed. With
 * Enable clear, VFIO's MSI goes off and INTx comes back. */
static void msi_update(struct vfio_pci *vp)
{
	const uint8_t *c = &vp->pci.cfg[vp->msi_at];
	bool on = (c[MSI_CTRL] & MSI_CTRL_ENABLE) && vp->vec_fd[0] >= 0;
	uint64_t addr = get32(&c[MSI_ADDR]);
	unsigned data_at = MSI_ADDR + 4;
	if (vp->msi_64) {
		addr |= (uint64_t)get32(&c[MSI_ADDR + 4]) << 32;
		data_at += 4;
	}
	uint32_t data = (uint32_t)c[data_at] | (uint32_t)c[data_at + 1] << 8;
	unsigned gsi = vp->gsi_base;
	if (on) {
		if (!vp->msi_vfio_on) {
			intx_disable(vp);
			if (vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_MSI, VFIO_ACT_TRIGGER, 0, 1,
					       vp->vec_fd)) {
				vlog_guest(VLOG_VFIO, "vfio %s: the device refused MSI: %s", vp->bdf,
					   strerror(errno));
				if (vp->intx_fd >= 0)
					(void)intx_enable(vp);
				return;
			}
			vp->msi_vfio_on = true;
		}
		if (vp->hooks.route(vp->hooks.ctx, gsi, addr, data)) {
			vlog_guest(VLOG_VFIO, "vfio %s: MSI: cannot route GSI %u: %s", vp->bdf, gsi,
				   strerror(errno));
			return;
		}
		if (!vp->vec_irqfd[0]) {
			if (vp->hooks.irqfd(vp->hooks.ctx, vp->vec_fd[0], gsi, -1, true) == 0)
				vp->vec_irqfd[0] = true;
			else
				vlog_guest(VLOG_VFIO, "vfio %s: MSI: irqfd: %s", vp->bdf,
					   strerror(errno));
		}
		return;
	}
	if (!vp->msi_vfio_on)
		return;
	if (vp->vec_irqfd[0]) {
		vp->hooks.irqfd(vp->hooks.ctx, vp->vec_fd[0], gsi, -1, false);
		vp->vec_irqfd[0] = false;
	}
	vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_MSI, VFIO_ACT_TRIGGER, 0, 0, NULL);
	vp->msi_vfio_on = false;
	if (vp->intx_fd >= 0 && intx_enable(vp))
		vlog_guest(VLOG_VFIO, "vfio %s: INTx back on failed: %s", vp->bdf, strerror(errno));
}

/* ---- BARs ------------------------------------------------------------- */

static void trap_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vfio_trap *t = opaque;
	struct vfio_pci *vp = t->vp;
	uint64_t off = t->start + offset;
	if (vp->has_msix && t->bar == vp->msix_bar && off >= vp->table_off &&
	    off < vp->table_off + vp->table_len) {
		pci_msix_table_io(&vp->msix, off - vp->table_off, data, len, is_write);
		return;
	}
	if (vp->has_msix && t->bar == vp->pba_bar && off >= vp->pba_off &&
	    off < vp->pba_off + vp->pba_len) {
		pci_msix_pba_io(&vp->msix, off - vp->pba_off, data, len, is_write);
		return;
	}
	/* The rest of a trapped page: the device itself, through its region. */
	off_t at = (off_t)(vp->region[t->bar].off + off);
	if (is_write) {
		(void)!pwrite(vp->fd, data, len, at);
	} else if (pread(vp->fd, data, len, at) != (ssize_t)len) {
		memset(data, 0xff, len);
	}
}

/* The pages that must trap in BAR i: the MSI-X table's and PBA's, page
 * aligned, merged; or the whole BAR when it cannot be mapped. */
static unsigned trap_ranges(const struct vfio_pci *vp, unsigned i, uint64_t *s, uint64_t *e)
{
	uint64_t size = vp->bar[i].size;
	if (!vp->region[i].map || size < PAGE) {
		s[0] = 0, e[0] = size;
		return 1;
	}
	unsigned n = 0;
	if (vp->has_msix && vp->msix_bar == i) {
		s[n] = vp->table_off & ~(PAGE - 1);
		e[n++] = (vp->table_off + vp->table_len + PAGE - 1) & ~(PAGE - 1);
	}
	if (vp->has_msix && vp->pba_bar == i) {
		uint64_t ps = vp->pba_off & ~(PAGE - 1);
		uint64_t pe = (vp->pba_off + vp->pba_len + PAGE - 1) & ~(PAGE - 1);
		if (n && ps <= e[0] && pe >= s[0]) { /* overlapping or adjacent: merge */
			s[0] = ps < s[0] ? ps : s[0];
			e[0] = pe > e[0] ? pe : e[0];
		} else if (n && ps < s[0]) {
			s[1] = s[0], e[1] = e[0];
			s[0] = ps, e[0] = pe;
			n = 2;
		} else {
			s[n] = ps, e[n++] = pe;
		}
	}
	for (unsigned k = 0; k < n; k++)
		e[k] = e[k] > size ? size : e[k];
	return n;
}

static void bar_unmap(struct vfio_pci *vp, unsigned i)
{
	if (!vp->bar[i].on)
		return;
	for (unsigned k = 0; k < 3; k++)
		if (vp->bar[i].slot_on[k]) {
			vp->hooks.map(vp->hooks.ctx, vp->slot_base + 3 * i + k, 0, 0, NULL);
			vp->bar[i].slot_on[k] = false;
		}
	for (unsigned k = 0; k < vp->bar[i].ntrap; k++) {
		struct vfio_trap *t = &vp->bar[i].trap[k];
		if (t->on)
			bus_unregister(vp->mmio, t->gpa);
		t->on = false;
	}
	vp->bar[i].ntrap = 0;
	vp->bar[i].on = false;
}

static void bar_trap_whole(struct vfio_pci *vp, unsigned i, uint64_t addr)
{
	struct vfio_trap *t = &vp->bar[i].trap[0];
	*t = (struct vfio_trap){vp, i, 0, vp->bar[i].size, addr, false};
	vp->bar[i].ntrap = 1;
	if (bus_register(vp->mmio, addr, vp->bar[i].size, trap_io, t, vp->bdf) == 0)
		t->on = true;
	else
		vlog_guest(VLOG_VFIO, "vfio %s: BAR %u at %#" PRIx64 " overlaps another device; "
				      "it does not decode there", vp->bdf, i, addr);
}

/* Maps memory BAR i at addr: slots over the mapping between the trapped
 * ranges, the trapped ranges on the bus. A slot KVM refuses (the guest put
 * the BAR over RAM or another slot) makes the whole BAR trap instead. */
static void bar_map(struct vfio_pci *vp, unsigned i, uint64_t addr)
{
	uint64_t s[2], e[2];
	unsigned n = trap_ranges(vp, i, s, e);
	uint64_t size = vp->bar[i].size, at = 0;
	vp->bar[i].on = true;
	vp->bar[i].addr = addr;
	vp->bar[i].ntrap = 0;
	bool ok = true;
	for (unsigned k = 0; k <= n && ok; k++) {
		uint64_t end = k < n ? s[k] : size;
		if (end > at) {
			uint8_t *host = (uint8_t *)vp->region[i].map + at;
			if (vp->hooks.map(vp->hooks.ctx, vp->slot_base + 3 * i + k, addr + at, end - at,
					  host) == 0)
				vp->bar[i].slot_on[k] = true;
			else
				ok = false;
		}
		if (k < n)
			at = e[k];
	}
	if (!ok) {
		bar_unmap(vp, i);
		vp->bar[i].on = true;
		vp->bar[i].addr = addr;
		bar_trap_whole(vp, i, addr);
		return;
	}
	for (unsigned k = 0; k < n; k++) {
		if (e[k] <= s[k])
			continue;
		struct vfio_trap *t = &vp->bar[i].trap[vp->bar[i].ntrap++];
		*t = (struct vfio_trap){vp, i, s[k], e[k] - s[k], addr + s[k], false};
		if (bus_register(vp->mmio, t->gpa, t->len, trap_io, t, vp->bdf) == 0)
			t->on = true;
		else
			vlog_guest(VLOG_VFIO, "vfio %s: BAR %u's MSI-X pages at %#" PRIx64
					      " overlap another device", vp->bdf, i, t->gpa);
	}
}

/* After a configuration write: each BAR's decode state from COMMAND and
 * its address; what changed is unmapped and mapped again. An address of 0
 * is taken as unassigned (Linux writes 0 when it gives up on a BAR). */
static void bars_update(struct vfio_pci *vp)
{
	const uint8_t *c = vp->pci.cfg;
	uint16_t cmd = (uint16_t)(c[CFG_COMMAND] | c[CFG_COMMAND + 1] << 8);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		enum vfio_bar_kind k = vp->bar[i].kind;
		if (k == VFIO_BAR_NONE)
			continue;
		uint64_t lo = get32(&c[CFG_BAR0 + 4 * i]);
		uint64_t addr = k == VFIO_BAR_IO ? lo & ~3ull : lo & ~15ull;
		if (k == VFIO_BAR_MEM64)
			addr |= (uint64_t)get32(&c[CFG_BAR0 + 4 * (i + 1)]) << 32;
		bool on = addr && (k == VFIO_BAR_IO ? (cmd & CMD_IO) : (cmd & CMD_MEM));
		if (on == vp->bar[i].on && (!on || addr == vp->bar[i].addr))
			continue;
		if (k == VFIO_BAR_IO) {
			/* The window's handler reads this state. */
			vp->bar[i].on = on;
			vp->bar[i].addr = addr;
			continue;
		}
		bar_unmap(vp, i);
		if (on)
			bar_map(vp, i, addr);
	}
}

void vfio_pci_io_window(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vfio_pci *const *devs = opaque;
	uint64_t port = VFIO_IO_BASE + off;
	for (unsigned n = 0; devs[n]; n++) {
		struct vfio_pci *vp = devs[n];
		pthread_mutex_lock(vp->cfg_lock);
		for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
			if (vp->bar[i].kind != VFIO_BAR_IO || !vp->bar[i].on ||
			    port < vp->bar[i].addr || port + len > vp->bar[i].addr + vp->bar[i].size)
				continue;
			off_t at = (off_t)(vp->region[i].off + (port - vp->bar[i].addr));
			pthread_mutex_unlock(vp->cfg_lock);
			if (is_write)
				(void)!pwrite(vp->fd, data, len, at);
			else if (pread(vp->fd, data, len, at) != (ssize_t)len)
				memset(data, 0xff, len);
			return;
		}
		pthread_mutex_unlock(vp->cfg_lock);
	}
	if (!is_write)
		memset(data, 0xff, len);
}

/* ---- configuration space ---------------------------------------------- */

static void vp_cfg_read(struct pci_dev *d, unsigned reg, unsigned len)
{
	struct vfio_pci *vp = d->opaque;
	uint8_t buf[4];
	if (reg >= 256 || len > 4)
		return;
	if (reg + len > 256)
		len = 256 - reg;
	bool need = false;
	for (unsigned k = 0; k < len; k++)
		need = need || !vp->emu[reg + k];
	if (!need)
		return;
	if (cfg_pread(vp, buf, len, reg))
		memset(buf, 0xff, sizeof(buf));
	for (unsigned k = 0; k < len; k++)
		if (!vp->emu[reg + k])
			d->cfg[reg + k] = buf[k];
}

static void vp_cfg_written(struct pci_dev *d, unsigned reg, unsigned len)
{
	struct vfio_pci *vp = d->opaque;
	if (reg >= 256)
		return;
	if (reg + len > 256)
		len = 256 - reg;
	/* Passed-through bytes go to the device, in runs. */
	for (unsigned k = 0; k < len;) {
		if (vp->emu[reg + k]) {
			k++;
			continue;
		}
		unsigned run = 1;
		while (k + run < len && !vp->emu[reg + k + run])
			run++;
		cfg_pwrite(vp, &d->cfg[reg + k], run, reg + k);
		k += run;
	}
	/* COMMAND is ours and the device's: it must decode and master (for
	 * DMA and MSI) exactly when the guest says so. */
	if (reg <= CFG_COMMAND + 1 && reg + len > CFG_COMMAND)
		cfg_pwrite(vp, &d->cfg[CFG_COMMAND], 2, CFG_COMMAND);
	if (vp->has_msix) {
		pci_msix_cfg_written(&vp->msix, reg, len);
		msix_switch(vp, pci_msix_enabled(&vp->msix));
	}
	if (vp->has_msi && reg < vp->msi_at + vp->msi_len && reg + len > vp->msi_at)
		msi_update(vp);
	bars_update(vp);
}

/* Marks [off, off + len) emulated with these writable bits. */
static void emulate(struct vfio_pci *vp, unsigned off, unsigned len, uint8_t wmask)
{
	for (unsigned k = off; k < off + len && k < 256; k++) {
		vp->emu[k] = 1;
		vp->pci.wmask[k] = wmask;
	}
}

int vfio_pci_setup(struct vfio_pci *vp, unsigned slot, char *err, size_t errlen)
{
	struct pci_dev *d = &vp->pci;
	uint8_t real[256];
	if (cfg_pread(vp, real, sizeof(real), 0)) {
		snprintf(err, errlen, "--vfio %s: cannot read its configuration space", vp->bdf);
		return -1;
	}
	/* Everything passes through unless emulated below. pci_add() filled
	 * the identity from what init found; COMMAND's mask is pci.c's. */
	for (unsigned k = 0; k < 256; k++) {
		vp->emu[k] = 0;
		if (k < CFG_COMMAND || k > CFG_COMMAND + 1)
			d->wmask[k] = 0xff;
	}
	emulate(vp, 0x00, 4, 0); /* vendor and device: pci_add wrote the real ones */
	vp->emu[CFG_COMMAND] = vp->emu[CFG_COMMAND + 1] = 1;
	d->cfg[CFG_COMMAND] = d->cfg[CFG_COMMAND + 1] = 0;
	emulate(vp, CFG_STATUS, 1, 0);
	d->cfg[CFG_STATUS] = real[CFG_STATUS] & (uint8_t)~(STATUS_CAP_LIST | STATUS_INT);
	emulate(vp, CFG_HEADER_TYPE, 1, 0);
	d->cfg[CFG_HEADER_TYPE] = 0; /* type 0, one function: we show only this one */
	emulate(vp, CFG_BAR0, 4 * PCI_NUM_BARS, 0);
	memset(&d->cfg[CFG_BAR0], 0, 4 * PCI_NUM_BARS);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		uint8_t *b = &d->cfg[CFG_BAR0 + 4 * i], *m = &d->wmask[CFG_BAR0 + 4 * i];
		uint64_t size = vp->bar[i].size;
		uint32_t rb = get32(&real[CFG_BAR0 + 4 * i]);
		switch (vp->bar[i].kind) {
		case VFIO_BAR_NONE:
			break;
		case VFIO_BAR_IO:
			put32(b, 1);
			put32(m, (uint32_t)~(size - 1) & 0xfffffffcu);
			break;
		case VFIO_BAR_MEM32:
			put32(b, rb & 0x8); /* prefetchable bit kept */
			put32(m, (uint32_t)~(size - 1) & 0xfffffff0u);
			break;
		case VFIO_BAR_MEM64:
			put32(b, (rb & 0x8) | 0x4);
			put32(m, (uint32_t)~(size - 1) & 0xfffffff0u);
			put32(m + 4, (uint32_t)(~(size - 1) >> 32));
			i++;
			break;
		}
	}
	emulate(vp, CFG_ROM, 4, 0); /* no expansion ROM offered: sizing reads 0 */
	memset(&d->cfg[CFG_ROM], 0, 4);
	emulate(vp, CFG_CAP_PTR, 1, 0);
	d->cfg[CFG_CAP_PTR] = 0;
	emulate(vp, CFG_INT_LINE, 1, 0xff);
	emulate(vp, CFG_INT_PIN, 1, 0);
	d->cfg[CFG_INT_PIN] = d->irq_pin;
	d->cfg[CFG_INT_LINE] = 0xff;

	/* The capability list, rebuilt with what we carry. */
	unsigned off[48];
	uint8_t id[48];
	unsigned n = cap_walk(real, off, id, 48), last = 0, msix_at = 0;
	for (unsigned i = 0; i < n; i++) {
		emulate(vp, off[i], 2, 0);
		d->cfg[off[i]] = id[i];
		d->cfg[off[i] + 1] = 0;
		if (id[i] == PCI_CAP_ID_MSIX && vp->has_msix) {
			msix_at = off[i];
			continue;
		}
		if (id[i] == PCI_CAP_ID_MSI && vp->has_msi && off[i] == vp->msi_at) {
			/* Ours whole: one vector (Multiple Message Capable 0),
			 * no per-vector masking; Enable, the address and the
			 * data writable. Bytes of the device's masking
			 * registers, if any, read 0. */
			emulate(vp, off[i] + 2, vp->msi_len - 2, 0);
			memset(&d->cfg[off[i] + 2], 0, vp->msi_len - 2);
			d->cfg[off[i] + MSI_CTRL] = vp->msi_64 ? MSI_CTRL_64 : 0;
			d->wmask[off[i] + MSI_CTRL] = MSI_CTRL_ENABLE;
			d->wmask[off[i] + MSI_ADDR] = 0xfc;
			unsigned w = vp->msi_64 ? 3 + 4 + 2 : 3 + 2;
			for (unsigned k = 1; k <= w; k++)
				d->wmask[off[i] + MSI_ADDR + k] = 0xff;
		} else if (id[i] != CAP_PM && id[i] != CAP_VENDOR && id[i] != CAP_EXP) {
			continue; /* hidden: MSI beside MSI-X, VPD, and what we do not know */
		}
		if (last)
			d->cfg[last + 1] = (uint8_t)off[i];
		else
			d->cfg[CFG_CAP_PTR] = (uint8_t)off[i];
		d->cfg[CFG_STATUS] |= STATUS_CAP_LIST;
		last = off[i];
	}
	d->cap_end = (uint8_t)(msix_at ? msix_at : 0);
	if (vp->has_msix) {
		/* pci.h's table, placed at the capability's real offset (its
		 * pci_cap_add links it last). */
		emulate(vp, msix_at, MSIX_CAP_LEN, 0);
		int at = pci_msix_init(&vp->msix, d, vp->nvec, vp->msix_bar, (uint32_t)vp->table_off,
				       vp->pba_bar, (uint32_t)vp->pba_off, msix_send, msix_update, vp);
		if (at != (int)msix_at) {
			snprintf(err, errlen, "--vfio %s: cannot emulate its MSI-X capability",
				 vp->bdf);
			return -1;
		}
	}
	d->cfg_read = vp_cfg_read;
	d->cfg_written = vp_cfg_written;
	d->opaque = vp;

	/* INTx: the slot's GSI as the DSDT's _PRT routes it, level-triggered
	 * through an irqfd with a resample fd. */
	if (d->irq_pin && vp->intx_fd >= 0) {
		vp->intx_gsi = board_pci_intx_gsi(slot, d->irq_pin);
		d->cfg[CFG_INT_LINE] = (uint8_t)vp->intx_gsi;
		if (vp->hooks.irqfd(vp->hooks.ctx, vp->intx_fd, vp->intx_gsi, vp->intx_resample_fd,
				    true) ||
		    intx_enable(vp)) {
			snprintf(err, errlen, "--vfio %s: cannot wire INTx to GSI %u: %s", vp->bdf,
				 vp->intx_gsi, strerror(errno));
			return -1;
		}
	}
	/* Decode off until the guest (or vfio_pci_place) turns it on. */
	cfg_pwrite(vp, &d->cfg[CFG_COMMAND], 2, CFG_COMMAND);
	return 0;
}

void vfio_pci_place(struct vfio_pci *vp, struct pci_bus *bus, unsigned slot, uint64_t *mmio_top,
		    uint32_t *io_next)
{
	uint16_t cmd = 0;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t size = vp->bar[i].size;
		switch (vp->bar[i].kind) {
		case VFIO_BAR_NONE:
			continue;
		case VFIO_BAR_IO: {
			uint32_t a = (*io_next + (uint32_t)size - 1) & ~((uint32_t)size - 1);
			if (a + size > VFIO_IO_BASE + VFIO_IO_SIZE)
				continue;
			*io_next = a + (uint32_t)size;
			pci_cfg_write(bus, slot, 0, CFG_BAR0 + 4 * i, 4, a);
			cmd |= CMD_IO;
			continue;
		}
		case VFIO_BAR_MEM32:
		case VFIO_BAR_MEM64: {
			uint64_t sz = size < PAGE ? PAGE : size; /* a page each: slots stay apart */
			if (*mmio_top < sz || *mmio_top - sz < VFIO_MMIO_FLOOR)
				continue;
			uint64_t a = (*mmio_top - sz) & ~(sz - 1);
			if (a < VFIO_MMIO_FLOOR)
				continue;
			*mmio_top = a;
			pci_cfg_write(bus, slot, 0, CFG_BAR0 + 4 * i, 4, (uint32_t)a);
			if (vp->bar[i].kind == VFIO_BAR_MEM64)
				pci_cfg_write(bus, slot, 0, CFG_BAR0 + 4 * (i + 1), 4, 0);
			cmd |= CMD_MEM;
			if (vp->bar[i].kind == VFIO_BAR_MEM64)
				i++;
			continue;
		}
		}
	}
	if (cmd)
		pci_cfg_write(bus, slot, 0, CFG_COMMAND, 2, cmd);
}

void vfio_pci_teardown(struct vfio_pci *vp)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (vp->bar[i].kind != VFIO_BAR_IO)
			bar_unmap(vp, i);
	if (vp->msix_vfio_on)
		vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_MSIX, VFIO_ACT_TRIGGER, 0, 0, NULL);
	vp->msix_vfio_on = false;
	if (vp->msi_vfio_on)
		vp->hooks.set_irqs(vp->hooks.ctx, VFIO_IRQ_MSI, VFIO_ACT_TRIGGER, 0, 0, NULL);
	vp->msi_vfio_on = false;
	for (unsigned v = 0; v < vp->nvec; v++)
		if (vp->vec_irqfd[v]) {
			vp->hooks.irqfd(vp->hooks.ctx, vp->vec_fd[v], vp->gsi_base + v, -1, false);
			vp->vec_irqfd[v] = false;
		}
	if (vp->intx_on) {
		intx_disable(vp);
		vp->hooks.irqfd(vp->hooks.ctx, vp->intx_fd, vp->intx_gsi, vp->intx_resample_fd,
				false);
	}
}
