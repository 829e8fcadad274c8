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
	void *opaque;
	const char *name;
	/* Owned by pci.c. */
	uint8_t cfg[256];
	uint8_t wmask[256];
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

/* Direct configuration access (bus 0), for tests and for devices. */
uint32_t pci_cfg_read(struct pci_bus *bus, unsigned dev, unsigned fn,
		      unsigned reg, unsigned len);
void pci_cfg_write(struct pci_bus *bus, unsigned dev, unsigned fn, unsigned reg,
		   unsigned len, uint32_t val);

#endif
