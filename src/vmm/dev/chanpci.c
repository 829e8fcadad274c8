/* chanpci: the channel between two VMs as a PCI function (chanpci.h). */
#include "chanpci.h"

#include <string.h>

/* Configuration space (PCI 3.0 sec. 6.1, 6.2.2, 6.2.3). */
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CMD_MEM 0x0002
#define CMD_MASTER 0x0004
#define CMD_INTX_DISABLE 0x0400
#define STATUS_INTX 0x08 /* Interrupt Status (PCI 2.3 and later), read-only */

/* MSI capability, 32-bit address form, one vector (PCI 3.0 sec. 6.8.1). */
#define MSI_CAP_LEN 10
#define MSI_CTRL 2
#define MSI_ADDR 4
#define MSI_DATA 8
#define MSI_CTRL_ENABLE 0x1

/* Where a message is an interrupt (Intel SDM vol. 3A sec. 10.11.1); a
 * message elsewhere is a memory write, which this device cannot make. */
#define MSI_WINDOW_MASK 0xfff00000u
#define MSI_WINDOW 0xfee00000u

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t chanpci_bar_size(uint64_t size)
{
	uint32_t b = 0x1000;
	while (b < size && b < 0x80000000u)
		b <<= 1;
	return b;
}

/* INTA# follows PENDING unless MSI is on (sec. 6.8: a function with MSI
 * enabled does not use INTx) or Interrupt Disable is set. Device lock. */
static void intx_update(struct chanpci *c)
{
	bool level = c->pending && !c->msi_on && !c->intx_disabled;
	/* Only changes reach the irqchip: asserting a level-triggered pin
	 * that is already asserted is not an event (PCI INTx is a level), and
	 * an irqchip may take it for a new one once the pin's EOI is done. */
	if (level == c->intx_level)
		return;
	c->intx_level = level;
	irq_set_level(&c->intx, level);
}

static bool msi_is_interrupt(const struct chanpci *c)
{
	return (c->msi_addr & MSI_WINDOW_MASK) == MSI_WINDOW;
}

/* Keeps the kernel paths in step with BAR0 (the outgoing doorbell) and
 * with MSI and bus mastering (the incoming one). A path the host refused
 * is not asked for again until what it would be changes, so a guest that
 * rewrites the same values does not make us retry on every write. Device
 * lock held. */
static void paths_sync(struct chanpci *c)
{
	uint64_t bell = (uint64_t)c->bar0 + CHANPCI_DOORBELL;
	if (c->bell_kernel && (!c->bar0_on || c->bell_addr != bell)) {
		c->ops.doorbell(c->ops.ctx, c->idx, false, c->bell_addr);
		c->bell_kernel = false;
	}
	if (c->bar0_on && !c->bell_kernel && !(c->bell_failed && c->bell_addr == bell)) {
		c->bell_kernel = c->ops.doorbell(c->ops.ctx, c->idx, true, bell) == 0;
		c->bell_failed = !c->bell_kernel;
		c->bell_addr = bell;
	}

	bool was_monitor = !c->kpath;
	bool want = c->msi_on && c->master && msi_is_interrupt(c);
	if (c->kpath && !want) {
		c->ops.msi_path(c->ops.ctx, c->idx, false, 0, 0);
		c->kpath = false;
	}
	if (want && (!c->kpath || c->kpath_addr != c->msi_addr || c->kpath_data != c->msi_data)) {
		bool same = c->kpath_addr == c->msi_addr && c->kpath_data == c->msi_data;
		if (!(c->kpath_failed && same)) {
			bool ok = c->ops.msi_path(c->ops.ctx, c->idx, true, c->msi_addr,
						  c->msi_data) == 0;
			if (!ok && c->kpath)
				c->ops.msi_path(c->ops.ctx, c->idx, false, 0, 0);
			c->kpath = ok;
			c->kpath_failed = !ok;
			c->kpath_addr = c->msi_addr;
			c->kpath_data = c->msi_data;
		}
	}
	if (was_monitor != !c->kpath && c->ops.wake)
		c->ops.wake(c->ops.ctx);
}

bool chanpci_monitor_reads(struct chanpci *c)
{
	pthread_mutex_lock(&c->lock);
	bool r = !c->kpath;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void chanpci_incoming(struct chanpci *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->msi_on && c->master && msi_is_interrupt(c)) {
		/* MSI without the kernel path (the host refused it, or the
		 * count came in while it was being set up). */
		c->irqs_user++;
		(void)c->ops.msi(c->ops.ctx, c->msi_addr, c->msi_data);
	} else if (c->msi_on) {
		/* No bus mastering, no message (sec. 6.8.1); or a message
		 * that is no interrupt: lost, as on a bus. */
		c->irqs_lost++;
	} else {
		c->irqs_user++;
		c->pending |= 1;
		intx_update(c);
	}
	pthread_mutex_unlock(&c->lock);
}

/* One byte of the register block, for reads. Device lock held. */
static uint8_t reg_byte(const struct chanpci *c, uint64_t off)
{
	uint32_t w;
	if (off >= CHANPCI_NAME && off < CHANPCI_NAME + CHANPCI_STR_LEN)
		return (uint8_t)c->name[off - CHANPCI_NAME];
	if (off >= CHANPCI_PEER && off < CHANPCI_PEER + CHANPCI_STR_LEN)
		return (uint8_t)c->peer[off - CHANPCI_PEER];
	switch (off & ~3ull) {
	case CHANPCI_DOORBELL: w = 0; break;
	case CHANPCI_PENDING: w = c->pending; break;
	case CHANPCI_ID_REG: w = CHANPCI_ID; break;
	case CHANPCI_VERSION: w = CHANPCI_VERSION_1; break;
	case CHANPCI_SIZE_LO: w = (uint32_t)c->size; break;
	case CHANPCI_SIZE_HI: w = (uint32_t)(c->size >> 32); break;
	case CHANPCI_INDEX: w = c->idx; break;
	default: w = 0; break;
	}
	return (uint8_t)(w >> (8 * (off & 3)));
}

static bool in_strings(uint64_t off, uint32_t len)
{
	return off >= CHANPCI_NAME && off + len <= CHANPCI_PEER + CHANPCI_STR_LEN;
}

void chanpci_regs_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct chanpci *c = opaque;
	bool aligned = (len == 1 || len == 2 || len == 4 || len == 8) && !(off & (len - 1));
	bool reg = len == 4 && aligned && off < CHANPCI_NAME;
	if (is_write) {
		if (!reg)
			return;
		uint32_t v = get32(data);
		pthread_mutex_lock(&c->lock);
		if (off == CHANPCI_DOORBELL) {
			/* Reached only when the ioeventfd is not there. */
			c->rings_user++;
			(void)c->ops.ring(c->ops.ctx, c->idx);
		} else if (off == CHANPCI_PENDING) {
			c->pending &= ~v;
			intx_update(c);
		}
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (!reg && !(aligned && in_strings(off, len))) {
		memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < len; i++)
		data[i] = reg_byte(c, off + i);
	pthread_mutex_unlock(&c->lock);
}

/* What exits in BAR2: the tail past the region, and the region itself
 * while its memory slot is being moved (or if the host refused one). */
void chanpci_shm_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct chanpci *c = opaque;
	if (off >= c->size || len > c->size - off) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		memcpy(c->shm + off, data, len);
	else
		memcpy(data, c->shm + off, len);
}

/* PCI bus lock held (serialises BAR moves); the MMIO bus is changed
 * without our lock, since MMIO dispatch takes the bus lock and then ours.
 * A BAR placed over something else is refused by the bus and does not
 * decode: the guest's mistake. */
static void bar_moved(struct pci_dev *d, int bar, uint32_t addr, bool enabled)
{
	struct chanpci *c = d->opaque;
	if (bar == CHANPCI_REGS) {
		if (c->bar0_on)
			bus_unregister(c->mmio, c->bar0);
		bool on = enabled && bus_register(c->mmio, addr, CHANPCI_BAR0_SIZE,
						  chanpci_regs_io, c, "channel-regs") == 0;
		pthread_mutex_lock(&c->lock);
		c->bar0_on = on;
		c->bar0 = addr;
		paths_sync(c); /* a moved doorbell: its ioeventfd follows */
		pthread_mutex_unlock(&c->lock);
	} else if (bar == CHANPCI_SHM) {
		if (c->bar2_on) {
			c->ops.map(c->ops.ctx, c->idx, false, c->bar2);
			bus_unregister(c->mmio, c->bar2);
		}
		bool on = enabled && bus_register(c->mmio, addr, c->bar2_size, chanpci_shm_io, c,
						  "channel-shm") == 0;
		if (on)
			(void)c->ops.map(c->ops.ctx, c->idx, true, addr); /* else it exits */
		pthread_mutex_lock(&c->lock);
		c->bar2_on = on;
		c->bar2 = addr;
		pthread_mutex_unlock(&c->lock);
	}
}

/* Bus lock held, before a configuration read: STATUS bit 3 is PENDING. */
static void cfg_read(struct pci_dev *d, unsigned reg, unsigned len)
{
	struct chanpci *c = d->opaque;
	if (reg > CFG_STATUS || reg + len <= CFG_STATUS)
		return;
	pthread_mutex_lock(&c->lock);
	d->cfg[CFG_STATUS] = (uint8_t)((d->cfg[CFG_STATUS] & ~STATUS_INTX) |
				       (c->pending ? STATUS_INTX : 0));
	pthread_mutex_unlock(&c->lock);
}

/* Bus lock held, after a configuration write: the one place COMMAND and
 * the MSI capability are read from cfg[]. */
static void cfg_written(struct pci_dev *d, unsigned reg, unsigned len)
{
	struct chanpci *c = d->opaque;
	unsigned cap = d->cfg[0x34];
	(void)reg;
	(void)len;
	uint16_t cmd = (uint16_t)(d->cfg[CFG_COMMAND] | d->cfg[CFG_COMMAND + 1] << 8);
	pthread_mutex_lock(&c->lock);
	c->master = cmd & CMD_MASTER;
	c->intx_disabled = cmd & CMD_INTX_DISABLE;
	if (cap) {
		c->msi_on = d->cfg[cap + MSI_CTRL] & MSI_CTRL_ENABLE;
		c->msi_addr = get32(&d->cfg[cap + MSI_ADDR]);
		c->msi_data = (uint32_t)d->cfg[cap + MSI_DATA] |
			      (uint32_t)d->cfg[cap + MSI_DATA + 1] << 8;
	}
	intx_update(c);
	paths_sync(c);
	pthread_mutex_unlock(&c->lock);
}

static void copy_name(char *dst, const char *src)
{
	memset(dst, 0, CHANPCI_STR_LEN);
	if (src)
		strncpy(dst, src, CHANPCI_STR_LEN - 1);
}

void chanpci_init(struct chanpci *c, unsigned idx, uint8_t *shm, uint64_t size,
		  const char *name, const char *peer, struct bus *mmio, struct irq_line intx,
		  struct chanpci_ops ops)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->ops = ops;
	c->intx = intx;
	c->mmio = mmio;
	c->idx = idx;
	c->shm = shm;
	c->size = size;
	c->bar2_size = chanpci_bar_size(size);
	copy_name(c->name, name);
	copy_name(c->peer, peer);
	c->pci.vendor_id = CHANPCI_VENDOR;
	c->pci.device_id = CHANPCI_DEVICE;
	c->pci.class_code = CHANPCI_CLASS;
	c->pci.subclass = CHANPCI_SUBCLASS;
	c->pci.revision = 1;
	c->pci.irq_pin = 1; /* INTA#; the machine clears it where no route exists */
	c->pci.irq_line = (uint8_t)intx.gsi;
	c->pci.bar[CHANPCI_REGS].kind = PCI_BAR_MEM32;
	c->pci.bar[CHANPCI_REGS].size = CHANPCI_BAR0_SIZE;
	c->pci.bar[CHANPCI_SHM].kind = PCI_BAR_MEM32;
	c->pci.bar[CHANPCI_SHM].size = c->bar2_size;
	c->pci.bar_moved = bar_moved;
	c->pci.cfg_written = cfg_written;
	c->pci.cfg_read = cfg_read;
	c->pci.opaque = c;
	c->pci.name = "channel";
}

int chanpci_add_caps(struct chanpci *c)
{
	int at = pci_cap_add(&c->pci, PCI_CAP_ID_MSI, MSI_CAP_LEN);
	if (at < 0)
		return -1;
	uint8_t *w = c->pci.wmask;
	/* Message Control: only Enable is writable (one vector, 32-bit
	 * address, no per-vector masking). */
	w[at + MSI_CTRL] = MSI_CTRL_ENABLE;
	w[at + MSI_ADDR] = 0xfc; /* dword aligned */
	w[at + MSI_ADDR + 1] = w[at + MSI_ADDR + 2] = w[at + MSI_ADDR + 3] = 0xff;
	w[at + MSI_DATA] = w[at + MSI_DATA + 1] = 0xff;
	return 0;
}
