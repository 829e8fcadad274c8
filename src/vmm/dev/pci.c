/*
 * pci: bus 0, its host bridge and configuration mechanism #1 (PCI Local Bus
 * Specification 3.0, section 3.2.2.3.2). Owns the CONFIG_ADDRESS latch, the
 * type 0 configuration headers (section 6.1) with their writable-bit masks,
 * BAR sizing and the bar_moved notifications.
 *
 * Locking: bus->lock covers the latch, the device table and every byte of
 * every cfg[]/wmask[]. bar_moved callbacks run with bus->lock held, so they
 * see a consistent configuration space (they may read d->cfg) but must not
 * call pci_* functions.
 */
#include "pci.h"

#include <stddef.h>
#include <string.h>

/* Type 0 header offsets (PCI 3.0 section 6.1, Figure 6-1). */
#define CFG_VENDOR 0x00
#define CFG_DEVICE 0x02
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_REVISION 0x08
#define CFG_PROG_IF 0x09
#define CFG_SUBCLASS 0x0a
#define CFG_CLASS 0x0b
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_SUBSYS_VENDOR 0x2c
#define CFG_SUBSYS_ID 0x2e
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d

/* COMMAND bits the guest may change (section 6.2.2): I/O space, memory
 * space, bus master, interrupt disable. The others are hardwired to 0. */
#define CMD_IO 0x0001
#define CMD_MEM 0x0002
#define CMD_MASTER 0x0004
#define CMD_INTX_DISABLE 0x0400
#define CMD_WRITABLE (CMD_IO | CMD_MEM | CMD_MASTER | CMD_INTX_DISABLE)

/* BAR type bits (section 6.2.5.1): bit 0 set for I/O; for memory bits 2:1
 * = 00 (32-bit) and bit 3 = 0 (not prefetchable). */
#define BAR_IO_SPACE 0x1
#define BAR_IO_ADDR_MASK 0xfffffffcu
#define BAR_MEM_ADDR_MASK 0xfffffff0u

/* Section 6.2.5.1: a memory BAR decodes at least 16 bytes, an I/O BAR at
 * least 4 and at most 256 bytes. */
#define BAR_MEM_MIN 16u
#define BAR_IO_MIN 4u
#define BAR_IO_MAX 256u

/* CONFIG_ADDRESS (section 3.2.2.3.2): bit 31 enable, 23:16 bus, 15:11
 * device, 10:8 function, 7:2 register. Bits 30:24 are reserved and 1:0
 * read as 0, so the latch keeps only the defined bits. */
#define CA_ENABLE 0x80000000u
#define CA_STORED 0x80fffffcu
#define CA_BUS(a) (((a) >> 16) & 0xff)
#define CA_DEV(a) (((a) >> 11) & 0x1f)
#define CA_FN(a) (((a) >> 8) & 0x7)
#define CA_REG(a) ((a) & 0xfc)

/* Host bridge identity: Red Hat's generic PCIe host bridge ID (1b36:0008),
 * which Linux binds without any chipset quirk. */
#define HOST_BRIDGE_VENDOR 0x1b36
#define HOST_BRIDGE_DEVICE 0x0008
#define HOST_BRIDGE_SUBSYS_VENDOR 0x1af4
#define HOST_BRIDGE_SUBSYS_ID 0x1100

/*@ requires \valid(p + (0 .. 1));
    assigns p[0 .. 1] \from v; */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*@ requires \valid(p + (0 .. 3));
    assigns p[0 .. 3] \from v; */
static void put32(uint8_t *p, uint32_t v)
{
	/*@ loop invariant 0 <= i <= 4;
	    loop assigns i, p[0 .. 3];
	    loop variant 4 - i; */
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*@ requires \valid_read(p + (0 .. 3));
    assigns \result \from p[0 .. 3]; */
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static bool bar_size_ok(enum pci_bar_kind kind, uint32_t size)
{
	switch (kind) {
	case PCI_BAR_NONE:
		return true;
	case PCI_BAR_MEM32:
		return is_pow2(size) && size >= BAR_MEM_MIN;
	case PCI_BAR_IO:
		return is_pow2(size) && size >= BAR_IO_MIN && size <= BAR_IO_MAX;
	}
	return false;
}

/* Builds the header and its write mask from the fields the device filled. */
static void cfg_setup(struct pci_dev *d)
{
	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	d->cap_end = 0;
	put16(&d->cfg[CFG_VENDOR], d->vendor_id);
	put16(&d->cfg[CFG_DEVICE], d->device_id);
	d->cfg[CFG_REVISION] = d->revision;
	d->cfg[CFG_PROG_IF] = d->prog_if;
	d->cfg[CFG_SUBCLASS] = d->subclass;
	d->cfg[CFG_CLASS] = d->class_code;
	d->cfg[CFG_HEADER_TYPE] = 0x00; /* type 0, single function */
	put16(&d->cfg[CFG_SUBSYS_VENDOR], d->subsys_vendor ? d->subsys_vendor : d->vendor_id);
	put16(&d->cfg[CFG_SUBSYS_ID], d->subsys_id ? d->subsys_id : d->device_id);
	d->cfg[CFG_INT_LINE] = d->irq_line;
	d->cfg[CFG_INT_PIN] = d->irq_pin;

	put16(&d->wmask[CFG_COMMAND], CMD_WRITABLE);
	d->wmask[CFG_INT_LINE] = 0xff;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint8_t *bar = &d->cfg[CFG_BAR0 + 4 * i];
		uint8_t *mask = &d->wmask[CFG_BAR0 + 4 * i];
		uint32_t size = d->bar[i].size;
		/* Only the address bits at or above the size are writable,
		 * which is what makes sizing work: all-ones written reads back
		 * ~(size - 1) with the read-only type bits. */
		switch (d->bar[i].kind) {
		case PCI_BAR_MEM32:
			put32(mask, ~(size - 1) & BAR_MEM_ADDR_MASK);
			break;
		case PCI_BAR_IO:
			put32(bar, BAR_IO_SPACE);
			put32(mask, ~(size - 1) & BAR_IO_ADDR_MASK);
			break;
		case PCI_BAR_NONE:
			break; /* reads 0, read-only */
		}
	}
}

void pci_init(struct pci_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
	struct pci_dev *hb = &bus->host_bridge;
	hb->vendor_id = HOST_BRIDGE_VENDOR;
	hb->device_id = HOST_BRIDGE_DEVICE;
	/* The subsystem QEMU gives its PC's host bridge (Red Hat, "QEMU
	 * virtual machine"): firmware written for QEMU (SeaBIOS's
	 * qemu_detect) reads fw_cfg only when it finds it. */
	hb->subsys_vendor = HOST_BRIDGE_SUBSYS_VENDOR;
	hb->subsys_id = HOST_BRIDGE_SUBSYS_ID;
	hb->class_code = 0x06; /* bridge */
	hb->subclass = 0x00; /* host bridge */
	hb->prog_if = 0x00;
	hb->name = "host-bridge";
	cfg_setup(hb);
	bus->dev[0] = hb;
}

int pci_add(struct pci_bus *bus, struct pci_dev *d)
{
	if (!bus || !d || d->irq_pin > 4)
		return -1;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		if (!bar_size_ok(d->bar[i].kind, d->bar[i].size))
			return -1;
	int slot = -1;
	pthread_mutex_lock(&bus->lock);
	for (int i = 0; i < PCI_MAX_DEVICES; i++) {
		if (bus->dev[i] == d) {
			slot = -1;
			break;
		}
		if (!bus->dev[i] && slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		cfg_setup(d);
		bus->dev[slot] = d;
	}
	pthread_mutex_unlock(&bus->lock);
	return slot;
}

/* What a BAR decodes now: its address, and whether COMMAND enables the
 * matching space (bit 0 for I/O, bit 1 for memory). */
static bool bar_decode(const struct pci_dev *d, int i, uint32_t *addr)
{
	uint32_t v = get32(&d->cfg[CFG_BAR0 + 4 * i]);
	uint16_t cmd = (uint16_t)(d->cfg[CFG_COMMAND] | d->cfg[CFG_COMMAND + 1] << 8);
	switch (d->bar[i].kind) {
	case PCI_BAR_MEM32:
		*addr = v & BAR_MEM_ADDR_MASK;
		return cmd & CMD_MEM;
	case PCI_BAR_IO:
		*addr = v & BAR_IO_ADDR_MASK;
		return cmd & CMD_IO;
	case PCI_BAR_NONE:
		break;
	}
	*addr = 0;
	return false;
}

static struct pci_dev *lookup(struct pci_bus *bus, unsigned dev, unsigned fn)
{
	/* Single-function devices only: functions 1-7 are absent. */
	if (dev >= PCI_MAX_DEVICES || fn != 0)
		return NULL;
	return bus->dev[dev];
}

static uint32_t all_ones(unsigned len)
{
	return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
}

static bool len_ok(unsigned len)
{
	return len == 1 || len == 2 || len == 4;
}

/* Caller holds bus->lock. Bytes past the 256-byte space read all-ones. */
static uint32_t cfg_read_locked(struct pci_bus *bus, unsigned dev, unsigned fn,
				unsigned reg, unsigned len)
{
	struct pci_dev *d = lookup(bus, dev, fn);
	if (!len_ok(len))
		return 0xffffffffu;
	if (!d)
		return all_ones(len);
	if (d->cfg_read)
		d->cfg_read(d, reg, len);
	uint32_t v = 0;
	for (unsigned k = 0; k < len; k++) {
		unsigned r = reg + k;
		uint8_t b = r < sizeof(d->cfg) ? d->cfg[r] : 0xff;
		v |= (uint32_t)b << (8 * k);
	}
	return v;
}

/*
 * A configuration write, byte by byte through wmask, then the BAR decode
 * state machine: each BAR is either not decoded or decoded at an address.
 * Before and after the write we compute (decoded, address) for each BAR
 * from COMMAND and the BAR; any difference (decode switched on or off, or
 * the address changed while decoded) is reported through bar_moved. Sizing
 * with decode off (as Linux's __pci_read_base does) reports nothing.
 */
static void cfg_write_locked(struct pci_bus *bus, unsigned dev, unsigned fn,
			     unsigned reg, unsigned len, uint32_t val)
{
	struct pci_dev *d = lookup(bus, dev, fn);
	if (!d || !len_ok(len))
		return;
	uint32_t old_addr[PCI_NUM_BARS];
	bool old_on[PCI_NUM_BARS];
	for (int i = 0; i < PCI_NUM_BARS; i++)
		old_on[i] = bar_decode(d, i, &old_addr[i]);
	for (unsigned k = 0; k < len; k++) {
		unsigned r = reg + k;
		if (r >= sizeof(d->cfg))
			break;
		uint8_t b = (uint8_t)(val >> (8 * k));
		d->cfg[r] = (uint8_t)((d->cfg[r] & ~d->wmask[r]) | (b & d->wmask[r]));
	}
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t addr;
		bool on = bar_decode(d, i, &addr);
		if (on == old_on[i] && (!on || addr == old_addr[i]))
			continue;
		if (d->bar_moved)
			d->bar_moved(d, i, on ? addr : old_addr[i], on);
	}
	if (d->cfg_written)
		d->cfg_written(d, reg, len);
}

uint32_t pci_cfg_read(struct pci_bus *bus, unsigned dev, unsigned fn,
		      unsigned reg, unsigned len)
{
	pthread_mutex_lock(&bus->lock);
	uint32_t v = cfg_read_locked(bus, dev, fn, reg & 0xff, len);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

void pci_cfg_write(struct pci_bus *bus, unsigned dev, unsigned fn, unsigned reg,
		   unsigned len, uint32_t val)
{
	pthread_mutex_lock(&bus->lock);
	cfg_write_locked(bus, dev, fn, reg & 0xff, len, val);
	pthread_mutex_unlock(&bus->lock);
}

static uint32_t le_get(const uint8_t *data, uint32_t len)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < len && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return v;
}

static void le_put(uint8_t *data, uint32_t len, uint32_t v)
{
	for (uint32_t i = 0; i < len; i++)
		data[i] = i < 4 ? (uint8_t)(v >> (8 * i)) : 0xff;
}

/*
 * Mechanism #1 decoding. CONFIG_ADDRESS is only a 32-bit register at
 * 0xcf8: byte and word accesses there are not claimed by the bridge (this
 * is how Linux's pci_check_type1 tells mechanism #1 from #2), so they read
 * all-ones and writes are dropped. CONFIG_DATA accesses of 1, 2 or 4 bytes
 * at 0xcfc + k reach register (CONFIG_ADDRESS & 0xfc) + k of the function
 * the latch selects, if the enable bit is set, the bus is 0 and the
 * function exists; otherwise they read all-ones and writes are dropped.
 */
void pci_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	    bool is_write)
{
	struct pci_bus *bus = opaque;
	uint32_t v = 0xffffffffu;
	if (!len)
		return;
	pthread_mutex_lock(&bus->lock);
	if (offset == 0 && len == 4) {
		if (is_write)
			bus->config_address = le_get(data, 4) & CA_STORED;
		else
			v = bus->config_address;
	} else if (offset >= 4 && offset < 8 && len_ok(len) && offset + len <= 8) {
		uint32_t ca = bus->config_address;
		unsigned k = (unsigned)offset - 4;
		if ((ca & CA_ENABLE) && CA_BUS(ca) == 0) {
			if (is_write)
				cfg_write_locked(bus, CA_DEV(ca), CA_FN(ca), CA_REG(ca) + k,
						 len, le_get(data, len));
			else
				v = cfg_read_locked(bus, CA_DEV(ca), CA_FN(ca), CA_REG(ca) + k,
						    len);
		}
	}
	pthread_mutex_unlock(&bus->lock);
	if (!is_write)
		le_put(data, len, v);
}

void pci_ecam_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bus *bus = opaque;
	unsigned b = (unsigned)(offset >> 20) & 0xff, dev = (unsigned)(offset >> 15) & 0x1f;
	unsigned fn = (unsigned)(offset >> 12) & 7, reg = (unsigned)offset & 0xfff;
	uint32_t v = 0xffffffffu;
	/* Accesses are naturally aligned and at most 4 bytes (PCIe 7.2.2.2);
	 * others are dropped, reads all-ones. */
	if (b == 0 && len_ok(len) && (reg & (len - 1)) == 0) {
		pthread_mutex_lock(&bus->lock);
		if (reg < 0x100) {
			if (is_write)
				cfg_write_locked(bus, dev, fn, reg, len, le_get(data, len));
			else
				v = cfg_read_locked(bus, dev, fn, reg, len);
		} else if (!is_write && cfg_read_locked(bus, dev, fn, 0, 4) != 0xffffffffu) {
			v = 0;
		}
		pthread_mutex_unlock(&bus->lock);
	}
	if (!is_write)
		le_put(data, len, v);
}

/* ---- capabilities ----------------------------------------------------- */

#define CFG_CAP_PTR 0x34
#define STATUS_CAP_LIST 0x10
#define CAP_FIRST 0x40 /* the first byte after the type 0 header */

/* PCI 3.0 section 6.7: the list starts at Capabilities Pointer (0x34) and
 * each entry's byte 1 points at the next, 0 ending the list. Entries are
 * dword aligned and live in 0x40-0xff. */
int pci_cap_add(struct pci_dev *d, uint8_t id, unsigned len)
{
	unsigned at = d->cap_end ? d->cap_end : CAP_FIRST;
	at = (at + 3u) / 4u * 4u; /* dword aligned; arithmetic, which the provers follow */
	/* at is at most 0x100 (cap_end 0xff, rounded up); len is the
	 * caller's, so the check subtracts rather than adds. */
	if (len < 2 || at >= sizeof(d->cfg) || len > sizeof(d->cfg) - at)
		return -1;
	/* An empty list (a device that placed cap_end itself, such as a
	 * passed-through function keeping a capability's real offset) starts
	 * at the pointer too. */
	if (!d->cap_end || !d->cfg[CFG_CAP_PTR]) {
		d->cfg[CFG_CAP_PTR] = (uint8_t)at;
	} else {
		/* Walk to the last entry; the list is ours, so it is short and
		 * well formed, but bound the walk all the same, and take each
		 * pointer as software must (PCI 3.0 6.7: the two low bits are
		 * reserved), so that whatever the bytes hold, p + 1 stays
		 * inside cfg: an entry at 0xff would have its pointer past it. */
		unsigned p = d->cfg[CFG_CAP_PTR] & 0xfcu;
		/*@ loop invariant 0 <= n <= 48 && p <= 0xfc;
		    loop assigns n, p;
		    loop variant 48 - n; */
		for (int n = 0; n < 48 && (d->cfg[p + 1] & 0xfcu); n++)
			p = d->cfg[p + 1] & 0xfcu;
		d->cfg[p + 1] = (uint8_t)at;
	}
	d->cfg[CFG_STATUS] |= STATUS_CAP_LIST;
	d->cfg[at] = id;
	d->cfg[at + 1] = 0;
	/* 0xff when full: the next add then fails on the length check. */
	d->cap_end = (uint8_t)(at + len >= 0xff ? 0xff : at + len);
	return (int)at;
}

/* ---- MSI-X ------------------------------------------------------------ */

/* Capability layout (PCI 3.0 section 6.8.2.1-6.8.2.5). */
#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_CAP_LEN 12
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_FMASK 0x4000
#define MSIX_VEC_MASKED 0x1 /* Vector Control bit 0 (6.8.2.9) */

/* The owner's callbacks. The WP proof of the MSI-X model (tests/prove,
 * README.md there) cannot follow a call through a pointer (Frama-C 25 has
 * no \valid_function), so it defines PROVE_MSIX_SEND and PROVE_MSIX_UPDATE
 * as functions with the callbacks' contract: they run under x->lock, must
 * not call pci_msix_* (pci.h), and so change nothing of x. */
#ifndef PROVE_MSIX_SEND
#define MSIX_SEND(x, ...) ((x)->send((x)->opaque, __VA_ARGS__))
#define MSIX_UPDATE(x, ...) ((x)->update((x)->opaque, __VA_ARGS__))
#else
void PROVE_MSIX_SEND(void *opaque, unsigned vec, uint64_t addr, uint32_t data);
void PROVE_MSIX_UPDATE(void *opaque, unsigned vec, bool live, uint64_t addr, uint32_t data);
#define MSIX_SEND(x, ...) PROVE_MSIX_SEND((x)->opaque, __VA_ARGS__)
#define MSIX_UPDATE(x, ...) PROVE_MSIX_UPDATE((x)->opaque, __VA_ARGS__)
#endif

/*@ requires \valid_read(e);
    assigns \result \from e->addr_lo, e->addr_hi; */
static uint64_t msix_addr(const struct pci_msix_entry *e)
{
	return (uint64_t)e->addr_hi << 32 | e->addr_lo;
}

/*@ requires \valid_read(x) && v < x->nvec <= PCI_MSIX_MAX_VECTORS;
    assigns \result \from x->enabled, x->fmask, x->tab[v].ctrl; */
static bool msix_vec_live(const struct pci_msix *x, unsigned v)
{
	return x->enabled && !x->fmask && !(x->tab[v].ctrl & MSIX_VEC_MASKED);
}

/* With x->lock held, after anything that may change what is live: tells
 * `update` of each change, and sends what was pending on a vector that
 * became live (6.8.2.10: the function sends it once unmasked). */
/*@ requires pci_msix_ok(x) && v < x->nvec;
    assigns x->live[v], x->pba[v / 64]; */
static void msix_sync(struct pci_msix *x, unsigned v, bool addr_changed)
{
	bool live = msix_vec_live(x, v);
	const struct pci_msix_entry *e = &x->tab[v];
	if (x->update && (live != x->live[v] || (live && addr_changed)))
		MSIX_UPDATE(x, v, live, msix_addr(e), e->data);
	x->live[v] = live;
	uint64_t bit = 1ull << (v % 64);
	if (live && (x->pba[v / 64] & bit)) {
		x->pba[v / 64] &= ~bit;
		MSIX_SEND(x, v, msix_addr(e), e->data);
	}
}

int pci_msix_init(struct pci_msix *x, struct pci_dev *d, unsigned nvec, unsigned table_bar,
		  uint32_t table_off, unsigned pba_bar, uint32_t pba_off,
		  void (*send)(void *, unsigned, uint64_t, uint32_t),
		  void (*update)(void *, unsigned, bool, uint64_t, uint32_t), void *opaque)
{
	if (!x || !d || !send || nvec < 1 || nvec > PCI_MSIX_MAX_VECTORS ||
	    table_bar >= PCI_NUM_BARS || pba_bar >= PCI_NUM_BARS || (table_off & 7) ||
	    (pba_off & 7))
		return -1;
	/* Field by field rather than by memset, which the proof's typed
	 * model cannot see as the fields' values (tests/prove/README.md):
	 * a field added to struct pci_msix is added here. */
	pthread_mutex_init(&x->lock, NULL);
	x->dev = d;
	x->cap = 0;
	x->nvec = nvec;
	x->enabled = false;
	x->fmask = false;
	x->send = send;
	x->update = update;
	x->opaque = opaque;
#ifdef PROVE_MSIX_WP
	/* The WP proof's (pci_msix_init's `reset`): EVA, which needs no
	 * invariant here, cannot evaluate the quantifier over 64 entries
	 * and would report it unknown. */
	/*@ loop invariant 0 <= v <= PCI_MSIX_MAX_VECTORS;
	    loop invariant \forall integer i; 0 <= i < v ==>
	      x->tab[i].addr_lo == 0 && x->tab[i].addr_hi == 0 && x->tab[i].data == 0 &&
	      x->tab[i].ctrl == (i < nvec ? MSIX_VEC_MASKED : 0) && !x->live[i];
	    loop assigns v, x->tab[0 .. PCI_MSIX_MAX_VECTORS - 1],
	      x->live[0 .. PCI_MSIX_MAX_VECTORS - 1];
	    loop variant PCI_MSIX_MAX_VECTORS - v; */
#endif
	for (unsigned v = 0; v < PCI_MSIX_MAX_VECTORS; v++) {
		x->tab[v].addr_lo = 0;
		x->tab[v].addr_hi = 0;
		x->tab[v].data = 0;
		x->tab[v].ctrl = v < nvec ? MSIX_VEC_MASKED : 0; /* masked at reset (6.8.2.9) */
		x->live[v] = false;
	}
	/*@ loop invariant 0 <= w <= (PCI_MSIX_MAX_VECTORS + 63) / 64;
	    loop invariant \forall integer i; 0 <= i < w ==> x->pba[i] == 0;
	    loop assigns w, x->pba[0 .. (PCI_MSIX_MAX_VECTORS + 63) / 64 - 1];
	    loop variant (PCI_MSIX_MAX_VECTORS + 63) / 64 - w; */
	for (unsigned w = 0; w < (PCI_MSIX_MAX_VECTORS + 63) / 64; w++)
		x->pba[w] = 0;
	int at = pci_cap_add(d, PCI_CAP_ID_MSIX, MSIX_CAP_LEN);
	if (at < 0)
		return -1;
	x->cap = (unsigned)at;
	/* Message Control: table size - 1 in bits 10:0 (read-only), function
	 * mask and enable writable. */
	put16(&d->cfg[at + MSIX_CTRL], (uint16_t)(nvec - 1));
	put16(&d->wmask[at + MSIX_CTRL], MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	put32(&d->cfg[at + MSIX_TABLE], table_off | table_bar);
	put32(&d->cfg[at + MSIX_PBA], pba_off | pba_bar);
	return at;
}

void pci_msix_cfg_written(struct pci_msix *x, unsigned reg, unsigned len)
{
	unsigned ctrl = x->cap + MSIX_CTRL;
	if (reg + len <= ctrl || reg > ctrl + 1)
		return;
	/* Unsigned: the provers have no theory of a signed shift's range. */
	uint16_t v = (uint16_t)(x->dev->cfg[ctrl] | (unsigned)x->dev->cfg[ctrl + 1] << 8);
	pthread_mutex_lock(&x->lock);
	x->enabled = v & MSIX_CTRL_ENABLE;
	x->fmask = v & MSIX_CTRL_FMASK;
	/*@ loop invariant 0 <= i <= x->nvec;
	    loop assigns i, x->live[0 .. x->nvec - 1], x->pba[0 .. (x->nvec + 63) / 64 - 1];
	    loop variant x->nvec - i; */
	for (unsigned i = 0; i < x->nvec; i++)
		msix_sync(x, i, false);
	pthread_mutex_unlock(&x->lock);
}

/*@ assigns \result \from off, len, size;
    ensures \result <==> ((len == 4 || len == 8) && off % len == 0 && off < size &&
                         len <= size - off); */
static bool msix_access_ok(uint64_t off, uint32_t len, uint64_t size)
{
	return (len == 4 || len == 8) && off % len == 0 && off < size && len <= size - off;
}

/* Dword i (0-3) of a table entry (6.8.2.6: Message Address, Upper
 * Address, Data, Vector Control). By name, not as (&e->addr_lo)[i]: that
 * would point past the one-element object addr_lo (C11 6.5.6p8). */
/*@ requires \valid(e) && i < 4;
    assigns \result \from e, i;
    ensures i == 0 ==> \result == &e->addr_lo;
    ensures i == 1 ==> \result == &e->addr_hi;
    ensures i == 2 ==> \result == &e->data;
    ensures i == 3 ==> \result == &e->ctrl; */
static uint32_t *msix_word(struct pci_msix_entry *e, unsigned i)
{
	switch (i) {
	case 0: return &e->addr_lo;
	case 1: return &e->addr_hi;
	case 2: return &e->data;
	default: return &e->ctrl;
	}
}

void pci_msix_table_io(struct pci_msix *x, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write)
{
	if (!msix_access_ok(off, len, (uint64_t)x->nvec * PCI_MSIX_ENTRY_SIZE)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&x->lock);
	unsigned v = (unsigned)(off / PCI_MSIX_ENTRY_SIZE);
	/* off + len <= 16 * nvec: the entry is one of the table's. */
	/*@ assert entry: v < x->nvec; */
	struct pci_msix_entry *e = &x->tab[v];
	unsigned word = (unsigned)(off % PCI_MSIX_ENTRY_SIZE) / 4;
	/* An aligned 8-byte access starts at dword 0 or 2: it stays in the
	 * entry. */
	/*@ assert aligned: len == 8 ==> off % 16 == 0 || off % 16 == 8; */
	/*@ assert words: word + len / 4 <= 4; */
	if (!is_write) {
		/*@ loop invariant 0 <= k <= len / 4;
		    loop assigns k, data[0 .. len - 1];
		    loop variant len / 4 - k; */
		for (uint32_t k = 0; k < len / 4; k++)
			put32(data + 4 * k, *msix_word(e, word + k));
	} else {
		bool addr_changed = false;
		/*@ loop invariant 0 <= k <= len / 4;
		    loop assigns k, addr_changed, x->tab[v];
		    loop variant len / 4 - k; */
		for (uint32_t k = 0; k < len / 4; k++) {
			uint32_t val = get32(data + 4 * k);
			uint32_t *w = msix_word(e, word + k);
			switch (word + k) {
			case 0: val &= ~3u; break; /* Message Address is dword aligned */
			case 3: val &= MSIX_VEC_MASKED; break; /* other bits reserved */
			default: break;
			}
			if (word + k < 3 && *w != val)
				addr_changed = true;
			*w = val;
		}
		msix_sync(x, v, addr_changed);
	}
	pthread_mutex_unlock(&x->lock);
}

void pci_msix_pba_io(struct pci_msix *x, uint64_t off, uint8_t *data, uint32_t len,
		     bool is_write)
{
	uint64_t size = 8 * ((x->nvec + 63) / 64);
	if (is_write)
		return; /* read-only (6.8.2.7) */
	if (!msix_access_ok(off, len, size)) {
		memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&x->lock);
	/* off + len <= size: the word is one of the nvec vectors' words, and
	 * an aligned access stays in it. */
	/*@ assert pba: off / 8 < (x->nvec + 63) / 64; */
	/*@ assert bytes: off % 8 + len <= 8; */
	uint64_t q = x->pba[off / 8];
	unsigned shift = (unsigned)(off % 8) * 8;
	/*@ loop invariant 0 <= k <= len;
	    loop assigns k, data[0 .. len - 1];
	    loop variant len - k; */
	for (uint32_t k = 0; k < len; k++)
		data[k] = (uint8_t)(q >> (shift + 8 * k));
	pthread_mutex_unlock(&x->lock);
}

enum pci_msix_result pci_msix_notify(struct pci_msix *x, unsigned vec)
{
	enum pci_msix_result r;
	pthread_mutex_lock(&x->lock);
	if (!x->enabled) {
		r = PCI_MSIX_OFF;
	} else if (vec >= x->nvec) {
		r = PCI_MSIX_DROPPED;
	} else if (!msix_vec_live(x, vec)) {
		x->pba[vec / 64] |= 1ull << (vec % 64);
		r = PCI_MSIX_PENDING;
	} else {
		MSIX_SEND(x, vec, msix_addr(&x->tab[vec]), x->tab[vec].data);
		r = PCI_MSIX_SENT;
	}
	pthread_mutex_unlock(&x->lock);
	return r;
}

bool pci_msix_enabled(struct pci_msix *x)
{
	pthread_mutex_lock(&x->lock);
	bool on = x->enabled;
	pthread_mutex_unlock(&x->lock);
	return on;
}
