/* gpio: loopback GPIO controller with two interrupt delivery paths. */
#include "gpio.h"

#include <stdio.h>
#include <string.h>

/* MSI capability layout, 32-bit address form (PCI 3.0 sec. 6.8.1.1). */
#define MSI_CTRL (GPIO_MSI_CAP + 2)
#define MSI_ADDR (GPIO_MSI_CAP + 4)
#define MSI_DATA (GPIO_MSI_CAP + 8)
#define MSI_END (GPIO_MSI_CAP + 10)
#define MSI_CTRL_ENABLE 0x1
/* COMMAND (PCI 3.0 sec. 6.2.2). */
#define CFG_COMMAND 0x04
#define CMD_MASTER 0x0004
#define CMD_INTX_DISABLE 0x0400

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* INTx follows IRQ_STAT & IRQ_EN and DB_STAT, unless MSI is on (PCI 3.0
 * sec. 6.8: a function with MSI enabled must not assert INTx) or COMMAND
 * disables INTx (sec. 6.2.2, bit 10). Device lock held. */
static void intx_update(struct gpio *g)
{
	bool pending = (g->stat & g->en) != 0 || g->db_stat != 0;
	irq_set_level(&g->intx, !g->msi_on && !g->intx_disabled && pending);
}

/* One interrupt event: an MSI when enabled (an edge: one message per
 * event), otherwise latched for INTx. `doorbell` says it came from the
 * DOORBELL register. Device lock held. */
static void raise_edge(struct gpio *g, uint32_t latched, bool doorbell)
{
	if (g->msi_on) {
		if (!g->master) {
			g->msi_blocked++; /* no bus mastering, no memory write */
			return;
		}
		/* A failure means the address is not an interrupt address:
		 * dropped, as on a bus. */
		g->user_irqs++;
		(void)g->ops.msi(g->ops.ctx, g->msi_addr, g->msi_data);
		return;
	}
	g->stat |= latched;
	if (doorbell)
		g->db_stat |= 1;
	g->user_irqs++;
	intx_update(g);
}

/* Keeps the kernel path in step with BAR0, the MSI configuration and bus
 * mastering. Device lock held. */
static void kpath_sync(struct gpio *g)
{
	uint64_t addr = g->msi_addr;
	uint32_t data = g->msi_data;
	bool want = g->bar_on && g->msi_on && g->master;
	uint64_t bell = (uint64_t)g->bar + GPIO_DOORBELL;
	if (g->kpath && (!want || bell != g->kpath_doorbell || addr != g->kpath_addr ||
			 data != g->kpath_data)) {
		g->ops.kernel_path(g->ops.ctx, false, g->kpath_doorbell, g->kpath_addr,
				   g->kpath_data);
		g->kpath = false;
	}
	if (!want || g->kpath)
		return;
	if (g->kpath_failed && g->failed_doorbell == bell && g->failed_addr == addr &&
	    g->failed_data == data)
		return;
	if (g->ops.kernel_path(g->ops.ctx, true, bell, addr, data) == 0) {
		g->kpath = true;
		g->kpath_failed = false;
		g->kpath_doorbell = bell;
		g->kpath_addr = addr;
		g->kpath_data = data;
	} else {
		g->kpath_failed = true;
		g->failed_doorbell = bell;
		g->failed_addr = addr;
		g->failed_data = data;
	}
}

void gpio_mmio(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct gpio *g = opaque;
	uint32_t v = 0;
	if (len != 4 || (off & 3)) { /* 32-bit registers only; others are ignored */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	memcpy(&v, data, 4);
	pthread_mutex_lock(&g->lock);
	if (!is_write) {
		switch (off) {
		case GPIO_OUT: v = g->out; break;
		case GPIO_IN: v = g->out; break; /* the loopback */
		case GPIO_IRQ_EN: v = g->en; break;
		case GPIO_IRQ_STAT: v = g->stat; break;
		case GPIO_ID_REG: v = GPIO_ID; break;
		case GPIO_DB_STAT: v = g->db_stat; break;
		default: v = 0; break;
		}
		memcpy(data, &v, 4);
	} else {
		switch (off) {
		case GPIO_OUT: {
			uint32_t rising = v & ~g->out;
			g->out = v;
			if (rising & g->en)
				raise_edge(g, rising & g->en, false);
			break;
		}
		case GPIO_IRQ_EN:
			g->en = v;
			intx_update(g);
			break;
		case GPIO_IRQ_STAT:
			g->stat &= ~v;
			intx_update(g);
			break;
		case GPIO_DOORBELL:
			raise_edge(g, 0, true);
			break;
		case GPIO_DB_STAT:
			g->db_stat &= ~v;
			intx_update(g);
			break;
		default:
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
}

/* Called with the PCI bus lock held, which serialises BAR moves; only
 * touches the MMIO bus and our own state. The bus is changed without our
 * lock held, because MMIO dispatch takes the bus lock and then ours. A BAR
 * the guest places over something else is refused by the bus and simply
 * does not decode (the guest's mistake, not ours). */
static void bar_moved(struct pci_dev *d, int bar, uint32_t addr, bool enabled)
{
	struct gpio *g = d->opaque;
	if (bar != 0)
		return;
	if (g->bar_on)
		bus_unregister(g->mmio, g->bar);
	bool on = enabled &&
		  bus_register(g->mmio, addr, GPIO_BAR_SIZE, gpio_mmio, g, "gpio") == 0;
	pthread_mutex_lock(&g->lock);
	g->bar_on = on;
	g->bar = addr;
	kpath_sync(g);
	pthread_mutex_unlock(&g->lock);
}

/* Called with the PCI bus lock held, after a configuration write: the one
 * place where what the device uses from cfg[] (COMMAND and the MSI
 * capability) is read, and copied under the device lock too. */
static void cfg_written(struct pci_dev *d, unsigned reg, unsigned len)
{
	struct gpio *g = d->opaque;
	bool command = reg < CFG_COMMAND + 2 && reg + len > CFG_COMMAND;
	bool msi = reg < MSI_END && reg + len > GPIO_MSI_CAP;
	if (!command && !msi)
		return;
	uint16_t cmd = (uint16_t)(d->cfg[CFG_COMMAND] | d->cfg[CFG_COMMAND + 1] << 8);
	pthread_mutex_lock(&g->lock);
	g->master = cmd & CMD_MASTER;
	g->intx_disabled = cmd & CMD_INTX_DISABLE;
	g->msi_on = d->cfg[MSI_CTRL] & MSI_CTRL_ENABLE;
	g->msi_addr = get32(&d->cfg[MSI_ADDR]);
	g->msi_data = (uint32_t)d->cfg[MSI_DATA] | (uint32_t)d->cfg[MSI_DATA + 1] << 8;
	intx_update(g);
	kpath_sync(g);
	pthread_mutex_unlock(&g->lock);
}

void gpio_init(struct gpio *g, struct bus *mmio, struct irq_line intx, struct gpio_ops ops)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->ops = ops;
	g->intx = intx;
	g->mmio = mmio;
	g->pci.vendor_id = GPIO_VENDOR;
	g->pci.device_id = GPIO_DEVICE;
	g->pci.class_code = 0x08; /* base system peripheral */
	g->pci.subclass = 0x80;   /* other */
	g->pci.irq_pin = 1;       /* INTA# */
	g->pci.irq_line = (uint8_t)intx.gsi;
	g->pci.bar[0].kind = PCI_BAR_MEM32;
	g->pci.bar[0].size = GPIO_BAR_SIZE;
	g->pci.bar_moved = bar_moved;
	g->pci.cfg_written = cfg_written;
	g->pci.opaque = g;
	g->pci.name = "gpio";
}

void gpio_add_caps(struct gpio *g)
{
	uint8_t *c = g->pci.cfg, *w = g->pci.wmask;
	c[0x06] |= 0x10;         /* status: capabilities list */
	c[0x34] = GPIO_MSI_CAP;  /* capabilities pointer */
	c[GPIO_MSI_CAP] = 0x05;  /* capability ID: MSI */
	c[GPIO_MSI_CAP + 1] = 0; /* last capability */
	/* Message control: enable is writable; one vector, 32-bit address. */
	w[MSI_CTRL] = MSI_CTRL_ENABLE;
	/* Message address: dword aligned; message data: 16 bits. */
	w[MSI_ADDR] = 0xfc;
	w[MSI_ADDR + 1] = w[MSI_ADDR + 2] = w[MSI_ADDR + 3] = 0xff;
	w[MSI_DATA] = w[MSI_DATA + 1] = 0xff;
}
