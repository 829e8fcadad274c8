/*
 * fuzz_pci: port accesses to 0xcf8-0xcff (and direct configuration
 * accesses) against a bus with the host bridge and one test device, with
 * the invariants checked after every step.
 *
 * Input format: byte 0 picks the test device's BAR sizes (MEM32 BAR 0:
 * 16 << (b & 15); IO BAR 1: 4 << ((b >> 4) % 7)); BAR 2 is MEM32 of 16
 * bytes, the rest absent. Then operations of one control byte `c` and four
 * value bytes (little-endian, missing bytes read as 0):
 *   c & 0xc0 == 0x00  pci_io at offset (c >> 3) & 7, length 1/2/4/4 from
 *                     (c >> 1) & 3, write if c & 1
 *   c & 0xc0 == 0x40  CONFIG_ADDRESS = enable | device (value bit 8) << 11 |
 *                     (value & 0xfc): steers accesses to the two devices
 *   c & 0xc0 == 0x80  pci_cfg_write(dev = value[1] & 31, fn = value[1] >> 5,
 *                     reg = value[0], length from (c >> 1) & 3, the value
 *                     rotated by 16 bits: its low half is value[2..3])
 *   c & 0xc0 == 0xc0  pci_cfg_read of the same
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	bool on;
	uint32_t addr;
};

static struct pci_bus bus;
static struct pci_dev dev;
static struct model model[PCI_NUM_BARS];

static uint32_t bar_mask(int i)
{
	return dev.bar[i].kind == PCI_BAR_IO ? 0xfffffffcu : 0xfffffff0u;
}

/* Runs with the bus lock held: reads dev.cfg directly. */
static void moved(struct pci_dev *d, int bar, uint32_t addr, bool enabled)
{
	if (d != &dev || bar < 0 || bar >= PCI_NUM_BARS)
		abort();
	if (d->bar[bar].kind == PCI_BAR_NONE)
		abort();
	if (addr & (d->bar[bar].size - 1))
		abort(); /* not aligned to the BAR's size */
	struct model *m = &model[bar];
	if (enabled) {
		if (m->on && m->addr == addr)
			abort(); /* told about no change */
		m->on = true;
		m->addr = addr;
	} else {
		if (!m->on || m->addr != addr)
			abort(); /* removing a range that was not there */
		m->on = false;
	}
}

static void check(const uint8_t *ro_hb, const uint8_t *ro_dev)
{
	/* Read-only bytes never change. */
	for (unsigned r = 0; r < 256; r++) {
		if ((bus.host_bridge.cfg[r] & ~bus.host_bridge.wmask[r]) != ro_hb[r])
			abort();
		if ((dev.cfg[r] & ~dev.wmask[r]) != ro_dev[r])
			abort();
	}
	uint32_t cmd = pci_cfg_read(&bus, 1, 0, 0x04, 2);
	if (cmd & ~0x0407u)
		abort();
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t v = pci_cfg_read(&bus, 1, 0, 0x10 + 4 * i, 4);
		uint32_t size = dev.bar[i].size;
		bool on = false;
		switch (dev.bar[i].kind) {
		case PCI_BAR_NONE:
			if (v != 0)
				abort();
			break;
		case PCI_BAR_MEM32:
			if ((v & 0xf) != 0 || (v & (size - 1)) != 0)
				abort();
			on = cmd & 0x2;
			break;
		case PCI_BAR_IO:
			if ((v & 0x3) != 1 || (v & ~3u & (size - 1)) != 0)
				abort();
			on = cmd & 0x1;
			break;
		}
		/* Every change of decode state was reported. */
		if (model[i].on != on || (on && model[i].addr != (v & bar_mask(i))))
			abort();
	}
	/* CONFIG_ADDRESS keeps only its defined bits. */
	if (bus.config_address & 0x7f000003u)
		abort();
}

static const unsigned lens[4] = {1, 2, 4, 4};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	memset(&dev, 0, sizeof(dev));
	memset(model, 0, sizeof(model));
	pci_init(&bus);
	dev.vendor_id = 0x1234;
	dev.device_id = 0x5678;
	dev.irq_pin = 1;
	dev.irq_line = 10;
	dev.bar[0].kind = PCI_BAR_MEM32;
	dev.bar[0].size = 16u << (data[0] & 15);
	dev.bar[1].kind = PCI_BAR_IO;
	dev.bar[1].size = 4u << ((data[0] >> 4) % 7);
	dev.bar[2].kind = PCI_BAR_MEM32;
	dev.bar[2].size = 16;
	dev.bar_moved = moved;
	if (pci_add(&bus, &dev) != 1)
		abort();
	uint8_t ro_hb[256], ro_dev[256];
	for (unsigned r = 0; r < 256; r++) {
		ro_hb[r] = bus.host_bridge.cfg[r] & ~bus.host_bridge.wmask[r];
		ro_dev[r] = dev.cfg[r] & ~dev.wmask[r];
	}
	size_t i = 1;
	while (i < size) {
		uint8_t c = data[i++], v[4] = {0, 0, 0, 0};
		for (int k = 0; k < 4 && i < size; k++)
			v[k] = data[i++];
		uint32_t val = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
			       (uint32_t)v[3] << 24;
		unsigned len = lens[(c >> 1) & 3];
		unsigned d = v[1] & 31, fn = v[1] >> 5;
		switch (c & 0xc0) {
		case 0x00: {
			uint8_t buf[4];
			memcpy(buf, v, 4);
			pci_io(&bus, (c >> 3) & 7, buf, len, c & 1);
			break;
		}
		case 0x40: {
			uint32_t ca = 0x80000000u | ((val >> 8) & 1) << 11 | (val & 0xfc);
			uint8_t buf[4] = {(uint8_t)ca, (uint8_t)(ca >> 8), (uint8_t)(ca >> 16),
					  (uint8_t)(ca >> 24)};
			pci_io(&bus, 0, buf, 4, true);
			break;
		}
		case 0x80:
			pci_cfg_write(&bus, d, fn, v[0], len, val >> 16 | val << 16);
			break;
		default: {
			uint32_t got = pci_cfg_read(&bus, d, fn, v[0], len);
			uint32_t ones = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
			if ((d > 1 || fn) && got != ones)
				abort(); /* absent functions read all-ones */
			if (got > ones)
				abort();
			break;
		}
		}
		check(ro_hb, ro_dev);
	}
	pthread_mutex_destroy(&bus.lock);
	return 0;
}
