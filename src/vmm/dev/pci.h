/*
 * pci: a PCI bus 0 behind a host bridge, reached through configuration
 * mechanism #1 (PCI Local Bus Specification 3.0, section 3.2.2.3.2): the
 * CONFIG_ADDRESS register at port 0xcf8 and the CONFIG_DATA window at
 * 0xcfc-0xcff.
 *
 * Owns: the CONFIG_ADDRESS latch, each function's 256-byte configuration
 * space with its writable-bits mask, BAR sizing (a write of all-ones reads
 * back the size mask) and the device table. Device 0 is the host bridge.
 * Devices that later issues add register a struct pci_dev with their BARs;
 * when the guest moves a BAR (or toggles decode in COMMAND) the device's
 * bar_moved callback is told, so it can move its range on the bus.
 *
 * Guest data is hostile: out-of-range registers, absent devices and
 * functions read all-ones; writes to read-only bits are dropped.
 */
#ifndef PCI_H
#define PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_MAX_DEVICES 32
#define PCI_NUM_BARS 6

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_IO };

struct pci_dev {
	/* Filled by the device before pci_add(). */
	uint16_t vendor_id, device_id;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t irq_pin; /* 0 none, 1 INTA# ... */
	uint8_t irq_line; /* GSI the guest should use; written to Interrupt Line */
	/* Subsystem vendor and ID (PCI 3.0 section 6.2.4); 0 means the same
	 * as vendor_id / device_id. */
	uint16_t subsys_vendor, subsys_id;
	struct {
		enum pci_bar_kind kind;
		uint32_t size; /* power of two, >= 16 for MEM, >= 4 for IO */
	} bar[PCI_NUM_BARS];
	/* Called when a BAR's decoded address changes or decode is turned on or
	 * off (COMMAND bits 0/1). enabled=true: the BAR now decodes at addr
	 * (the device forgets any previous address); enabled=false: the range
	 * at addr (the address it decoded at) is gone. Called with the bus
	 * lock held: it may read d->cfg but must not call pci_* functions.
	 * May be NULL. */
	void (*bar_moved)(struct pci_dev *d, int bar, uint32_t addr, bool enabled);
	/* Called after every configuration write that reached the device
	 * (bus lock held), so a device can follow its own capabilities, such
	 * as MSI. A device adds capabilities by filling cfg/wmask after
	 * pci_add(). May be NULL. */
	void (*cfg_written)(struct pci_dev *d, unsigned reg, unsigned len);
	/* Called before every configuration read that reaches the device
	 * (bus lock held), so a device whose registers live elsewhere (a
	 * passed-through function: vfio_pci.h) can refresh those bytes of
	 * d->cfg first. May be NULL. */
	void (*cfg_read)(struct pci_dev *d, unsigned reg, unsigned len);
	void *opaque;
	const char *name;
	/* Owned by pci.c. */
	uint8_t cfg[256];
	uint8_t wmask[256];
	uint8_t cap_end; /* first free byte after the capabilities (pci_cap_add) */
};

struct pci_bus {
	pthread_mutex_t lock;
	uint32_t config_address;
	struct pci_dev host_bridge;
	struct pci_dev *dev[PCI_MAX_DEVICES];
};

void pci_init(struct pci_bus *bus);
/* Places d in the first free slot; returns the device number or -1 (NULL
 * bus or device, d already on the bus, bus full, irq_pin > 4, or a BAR size
 * that is not a power of two, below 16 for MEM32, outside 4-256 for IO:
 * PCI 3.0 section 6.2.5.1). Builds d->cfg and d->wmask. */
int pci_add(struct pci_bus *bus, struct pci_dev *d);

/* Bus handlers: register pci_io at PCI_CONFIG_ADDRESS for 8 bytes
 * (0xcf8-0xcff); offset 0-3 is CONFIG_ADDRESS, 4-7 CONFIG_DATA. */
void pci_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	    bool is_write);

/* Bus handler for a PCI Express ECAM window (PCIe Base 4.0 sec. 7.2.2):
 * offset bits 27:20 bus, 19:15 device, 14:12 function, 11:0 register.
 * Only bus 0 has devices; the extended space (0x100 up) of a present
 * function reads 0 (no extended capabilities), anything absent all-ones. */
void pci_ecam_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* Direct configuration access (bus 0), for tests and for devices. */
uint32_t pci_cfg_read(struct pci_bus *bus, unsigned dev, unsigned fn,
		      unsigned reg, unsigned len);
void pci_cfg_write(struct pci_bus *bus, unsigned dev, unsigned fn, unsigned reg,
		   unsigned len, uint32_t val);

/*
 * Capabilities (PCI 3.0 section 6.7). pci_cap_add() appends a capability of
 * `len` bytes (>= 2, the ID and next-pointer bytes it fills itself) to d's
 * list, after pci_add(): it sets the Capabilities List bit in STATUS, links
 * the new entry last and returns its offset (dword aligned, from 0x40), or
 * -1 when it does not fit in the 256-byte space. The caller fills the body
 * and its writable bits. Not for devices that lay out caps by hand (gpio).
 * Call before the guest runs, or with the bus lock held.
 */
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11
int pci_cap_add(struct pci_dev *d, uint8_t id, unsigned len);

/*
 * MSI-X (PCI 3.0 section 6.8.2): the capability (Message Control, Table
 * Offset/BIR, PBA Offset/BIR), the vector table and the Pending Bit Array.
 * The table and PBA live in a BAR the device decodes: the device's MMIO
 * handler passes accesses inside them to pci_msix_table_io() and
 * pci_msix_pba_io(). Shared by every device that offers MSI-X (virtio-pci
 * now; a passthrough device's emulated table later), so it knows nothing
 * of KVM: the owner learns through two callbacks what to deliver.
 *
 * State per vector: address, data, and the mask bit (every vector starts
 * masked, 6.8.2.9). A vector is live when MSI-X is enabled, the function
 * is not masked and the vector is not masked. pci_msix_notify() sends a
 * live vector's message (the `send` callback, under the MSI-X lock, so a
 * mask the guest writes at the same time is either before or after it,
 * never during), and sets the pending bit of a masked one; unmasking a
 * vector with its pending bit set sends the message then (6.8.2.10).
 * `update` is told each time a vector becomes live, changes address or
 * data while live, or stops being live: that is when an owner that hands
 * delivery to the host kernel (an MSI route behind an irqfd) reprograms it.
 *
 * Locking: x->lock covers the table, PBA and the mirrored enable bits.
 * pci_msix_cfg_written() is called from the device's cfg_written (PCI bus
 * lock held, then x->lock); the table handlers from MMIO (x->lock only).
 * The callbacks run with x->lock held: they must not call pci_msix_*.
 */
#define PCI_MSIX_MAX_VECTORS 64
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_NO_VECTOR 0xffff

struct pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct pci_msix {
	pthread_mutex_t lock;
	struct pci_dev *dev;
	unsigned cap;  /* offset of the capability in dev->cfg */
	unsigned nvec; /* table size, 1..PCI_MSIX_MAX_VECTORS */
	bool enabled, fmask; /* Message Control bits 15 and 14, mirrored */
	struct pci_msix_entry tab[PCI_MSIX_MAX_VECTORS];
	uint64_t pba[(PCI_MSIX_MAX_VECTORS + 63) / 64];
	bool live[PCI_MSIX_MAX_VECTORS]; /* what `update` was last told */
	void (*send)(void *opaque, unsigned vec, uint64_t addr, uint32_t data);
	void (*update)(void *opaque, unsigned vec, bool live, uint64_t addr, uint32_t data);
	void *opaque;
};

/* What pci_msix_init() leaves when it returns the capability offset, and
 * what the MSI-X functions below assume and keep (their WP proof,
 * tests/prove/README.md): a table of 1..PCI_MSIX_MAX_VECTORS vectors, the
 * capability's 12 bytes inside the device's configuration space (as
 * pci_cap_add places them), and the device apart from the MSI-X state. */
/*@ predicate pci_msix_ok(struct pci_msix *x) =
      \valid(x) && 1 <= x->nvec <= PCI_MSIX_MAX_VECTORS &&
      \valid_read(x->dev) && x->cap + 12 <= 256 && \separated(x, x->dev);
*/

/* Adds the capability to d (after pci_add()) for `nvec` vectors, the table
 * at `table_off` of BAR `table_bar` and the PBA at `pba_off` of `pba_bar`
 * (offsets 8-byte aligned, PCI 3.0 6.8.2.4). `send` is required, `update`
 * may be NULL. Returns the capability offset or -1. */
int pci_msix_init(struct pci_msix *x, struct pci_dev *d, unsigned nvec, unsigned table_bar,
		  uint32_t table_off, unsigned pba_bar, uint32_t pba_off,
		  void (*send)(void *, unsigned, uint64_t, uint32_t),
		  void (*update)(void *, unsigned, bool, uint64_t, uint32_t), void *opaque);
/* From the device's cfg_written: follows Message Control. */
void pci_msix_cfg_written(struct pci_msix *x, unsigned reg, unsigned len);
/* Accesses at `off` inside the table (16 * nvec bytes) or PBA (8 bytes per
 * 64 vectors). Aligned 4- and 8-byte accesses (6.8.2: the only ones
 * software makes); others read all-ones and are dropped. PBA is read-only. */
void pci_msix_table_io(struct pci_msix *x, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write);
void pci_msix_pba_io(struct pci_msix *x, uint64_t off, uint8_t *data, uint32_t len,
		     bool is_write);

enum pci_msix_result {
	PCI_MSIX_OFF,     /* MSI-X disabled: the device uses INTx */
	PCI_MSIX_SENT,    /* the message went out through `send` */
	PCI_MSIX_PENDING, /* masked: its pending bit is set */
	PCI_MSIX_DROPPED, /* no such vector */
};
enum pci_msix_result pci_msix_notify(struct pci_msix *x, unsigned vec);
bool pci_msix_enabled(struct pci_msix *x);

#endif
