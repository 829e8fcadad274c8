/*
 * fuzz_chanpci: the channel's PCI function (chanpci.h) driven the way a
 * hostile guest can: configuration writes and reads, accesses to wherever
 * its BARs decode, incoming doorbells, and a host that refuses its kernel
 * paths at random. After every step the invariants are checked:
 *  - INTA# is asserted exactly when Interrupt Status (STATUS bit 3) is set,
 *    COMMAND's Interrupt Disable is clear and MSI is off (PCI 3.0 sec.
 *    6.2.2, 6.2.3, 6.8), and Interrupt Status is PENDING;
 *  - the incoming irqfd is installed only with MSI on, bus mastering and
 *    an interrupt address, and the monitor reads exactly when it is not;
 *  - the doorbell ioeventfd is installed only while BAR0 decodes, at its
 *    address, and every "off" names the address the last "on" did.
 *
 * Input: operations of one control byte `c` and four value bytes v
 * (little-endian; missing bytes read as 0):
 *   c % 6 == 0  configuration write: reg v[0], length 1/2/4 from c >> 3,
 *               value v[1..3] << 8 | v[0] rotated into place
 *   c % 6 == 1  configuration read at reg v[0]
 *   c % 6 == 2  access at BAR0 + (v[0] | v[1] << 8) % 4096 + (c >> 7) * 4096
 *               (just past BAR0 too), length 1/2/4/8 from c >> 3, write if
 *               c & 0x40
 *   c % 6 == 3  the same at BAR2's address
 *   c % 6 == 4  an incoming doorbell
 *   c % 6 == 5  the host refuses ioeventfds (v[0] & 1) and irqfds (v[0] & 2)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chanpci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	int level;
	bool bell, kp;
	uint64_t bell_addr;
	bool refuse_bell, refuse_kp;
} st;

static void f_irq(void *ctx, unsigned gsi, int level)
{
	(void)ctx;
	(void)gsi;
	st.level = level;
}

static int f_map(void *ctx, unsigned idx, bool on, uint64_t gpa)
{
	(void)ctx;
	(void)idx;
	(void)on;
	(void)gpa;
	return 0;
}

static int f_bell(void *ctx, unsigned idx, bool on, uint64_t addr)
{
	(void)ctx;
	(void)idx;
	if (!on) {
		if (!st.bell || addr != st.bell_addr)
			abort(); /* removing what was never installed there */
		st.bell = false;
		return 0;
	}
	if (st.bell)
		abort(); /* two ioeventfds for one doorbell */
	if (st.refuse_bell)
		return -1;
	st.bell = true;
	st.bell_addr = addr;
	return 0;
}

static int f_kp(void *ctx, unsigned idx, bool on, uint64_t addr, uint32_t data)
{
	(void)ctx;
	(void)idx;
	(void)addr;
	(void)data;
	if (!on) {
		st.kp = false;
		return 0;
	}
	if (st.refuse_kp)
		return -1;
	st.kp = true;
	return 0;
}

static int f_msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	(void)addr;
	(void)data;
	return 0;
}

static int f_ring(void *ctx, unsigned idx)
{
	(void)ctx;
	(void)idx;
	return 0;
}

static uint8_t shm[8192];

static void check(struct pci_bus *pci, unsigned slot, struct chanpci *c)
{
	uint32_t cs = pci_cfg_read(pci, slot, 0, 0x04, 4);
	unsigned cap = pci_cfg_read(pci, slot, 0, 0x34, 1);
	bool msi = pci_cfg_read(pci, slot, 0, cap + 2, 2) & 1;
	bool status = cs & (0x08u << 16), disabled = cs & 0x400, master = cs & 0x4;
	bool mem = cs & 0x2;
	if (status != (c->pending != 0))
		abort();
	if (st.level != (status && !disabled && !msi))
		abort();
	uint32_t addr = pci_cfg_read(pci, slot, 0, cap + 4, 4);
	if (st.kp && !(msi && master && (addr & 0xfff00000u) == 0xfee00000u))
		abort();
	if (chanpci_monitor_reads(c) == st.kp)
		abort();
	if (st.bell && (!mem || st.bell_addr != (pci_cfg_read(pci, slot, 0, 0x10, 4) & ~0xfu)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bus mmio;
	static struct pci_bus pci;
	static struct chanpci c;
	memset(&st, 0, sizeof(st));
	mmio = (struct bus)BUS_INIT("mmio");
	pci_init(&pci);
	chanpci_init(&c, 0, shm, sizeof(shm), "fuzz", "peer", &mmio,
		     (struct irq_line){f_irq, NULL, 17},
		     (struct chanpci_ops){f_map, f_bell, f_kp, f_msi, f_ring, NULL, NULL});
	int s = pci_add(&pci, &c.pci);
	if (s < 0 || chanpci_add_caps(&c))
		abort();
	unsigned slot = (unsigned)s;
	pci_cfg_write(&pci, slot, 0, 0x18, 4, 0xe0000000u);
	pci_cfg_write(&pci, slot, 0, 0x10, 4, 0xe0002000u);
	pci_cfg_write(&pci, slot, 0, 0x04, 2, 0x6);
	static const unsigned lens[4] = {1, 2, 4, 4}, mlens[4] = {1, 2, 4, 8};
	for (size_t i = 0; i < size; i += 5) {
		uint8_t op = data[i], v[4] = {0};
		for (size_t k = 0; k < 4 && i + 1 + k < size; k++)
			v[k] = data[i + 1 + k];
		uint32_t val = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
			       (uint32_t)v[3] << 24;
		switch (op % 6) {
		case 0:
			pci_cfg_write(&pci, slot, 0, v[0], lens[(op >> 3) & 3], val >> 8 | val << 24);
			break;
		case 1:
			(void)pci_cfg_read(&pci, slot, 0, v[0], lens[(op >> 3) & 3]);
			break;
		case 2:
		case 3: {
			unsigned bar = op % 6 == 2 ? 0x10 : 0x18;
			uint64_t base = pci_cfg_read(&pci, slot, 0, bar, 4) & ~0xfu;
			uint64_t off = (uint64_t)((v[0] | v[1] << 8) % 4096) + (op >> 7) * 4096u;
			uint8_t buf[8];
			memcpy(buf, v, 4);
			memcpy(buf + 4, v, 4);
			(void)bus_access(&mmio, base + off, buf, mlens[(op >> 3) & 3], op & 0x40);
			break;
		}
		case 4:
			chanpci_incoming(&c);
			break;
		default:
			st.refuse_bell = v[0] & 1;
			st.refuse_kp = v[0] & 2;
			break;
		}
		check(&pci, slot, &c);
	}
	bus_free(&mmio);
	pthread_mutex_destroy(&c.lock);
	pthread_mutex_destroy(&pci.lock);
	return 0;
}
