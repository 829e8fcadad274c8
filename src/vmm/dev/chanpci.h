/*
 * chanpci: a channel between two VMs (channel.h) as a PCI function of our
 * own, so that a stock Linux finds it by enumeration and drives it with
 * uio_pci_generic, no kernel module of ours (docs/system.md, "The channel
 * device"; examples/uio-channel.c).
 *
 * Owns: the function's configuration space (identity, BARs, the MSI
 * capability, the PCI 2.3 Interrupt Status and Interrupt Disable bits),
 * its register block behind BAR0 and the shared region behind BAR2, and
 * the choice of how an incoming doorbell reaches the guest:
 *  - MSI enabled with bus mastering: the peer's doorbell eventfd is an
 *    irqfd on an MSI route to what the guest programmed. The host kernel
 *    injects it; neither monitor runs (the hot path of our benchmark guest).
 *    Without bus mastering, or with a message address outside the
 *    interrupt window 0xfee00000-0xfeefffff, no message is sent: lost.
 *  - otherwise INTx: the monitor reads the eventfd (chanpci_incoming),
 *    latches PENDING and drives INTA# level-triggered while PENDING is set,
 *    MSI is off and COMMAND's Interrupt Disable (bit 10) is clear. STATUS
 *    bit 3 (Interrupt Status) reads PENDING whatever bit 10 says (PCI 3.0
 *    sec. 6.2.2 and 6.2.3; uio_pci_generic's handler reads it to tell
 *    whether the shared line is ours, then sets bit 10 until user space
 *    re-enables it). The monitor is on this path: an irqfd cannot set a
 *    bit in emulated configuration space, so a KVM irqfd with resample
 *    does not fit (see docs).
 * The outgoing doorbell (a write to DOORBELL) is an ioeventfd on the
 * peer's eventfd while BAR0 decodes: the host kernel takes it. Where the
 * ioeventfd cannot be had, the write exits and the monitor rings.
 *
 * Identity: vendor 0x1234, the ID emulators (Bochs, QEMU's standard VGA)
 * use for devices no vendor made, as our GPIO does; it is not ours and is
 * listed for a long-gone vendor. Device 0x6368 ("ch"). Class 0x05/0x00
 * (memory controller: RAM). A driver should also check ID below.
 *
 * BAR0 (4 KiB, 32-bit memory, not prefetchable), little-endian:
 *   0x00 DOORBELL  WO    a 4-byte write of any value rings the peer
 *   0x04 PENDING   RW1C  bit 0: a doorbell the monitor latched (INTx mode;
 *                        doorbells the kernel delivers as MSI are not seen)
 *   0x08 ID        RO    CHANPCI_ID ("CHAN")
 *   0x0c VERSION   RO    1
 *   0x10 SIZE_LO   RO    the shared region's size in bytes
 *   0x14 SIZE_HI   RO
 *   0x18 INDEX     RO    this channel's index in the VM (0..3)
 *   0x40 NAME      RO    the channel's name, 32 bytes, NUL padded
 *   0x60 PEER      RO    the peer VM's name, 32 bytes, NUL padded
 * Registers take aligned 4-byte accesses; NAME and PEER any aligned read
 * of 1, 2, 4 or 8 bytes; registers 0x1c-0x3c are reserved and read 0.
 * Other reads give all-ones, other writes do nothing.
 * BAR2 (the region's size rounded up to a power of two, 32-bit memory,
 * not prefetchable): the shared region, then all-ones up to the BAR's end.
 *
 * Locking: the device lock covers the registers and the device's copy of
 * COMMAND and the MSI capability, taken in cfg_written/cfg_read while the
 * PCI bus lock guards cfg[] (the gpio.h pattern), so MMIO and the main
 * loop never read cfg[].
 */
#ifndef CHANPCI_H
#define CHANPCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "irq.h"
#include "pci.h"

#define CHANPCI_VENDOR 0x1234
#define CHANPCI_DEVICE 0x6368
#define CHANPCI_CLASS 0x05    /* memory controller */
#define CHANPCI_SUBCLASS 0x00 /* RAM */
#define CHANPCI_BAR0_SIZE 0x1000u
#define CHANPCI_REGS 0 /* BAR numbers */
#define CHANPCI_SHM 2

#define CHANPCI_DOORBELL 0x00
#define CHANPCI_PENDING 0x04
#define CHANPCI_ID_REG 0x08
#define CHANPCI_VERSION 0x0c
#define CHANPCI_SIZE_LO 0x10
#define CHANPCI_SIZE_HI 0x14
#define CHANPCI_INDEX 0x18
#define CHANPCI_NAME 0x40
#define CHANPCI_PEER 0x60
#define CHANPCI_STR_LEN 32
#define CHANPCI_ID 0x4e414843u /* "CHAN" */
#define CHANPCI_VERSION_1 1u

/* What the device needs from the machine (KVM); tests substitute
 * recorders. Each returns 0, or -1 when the host cannot. */
struct chanpci_ops {
	/* The region at `gpa` as guest memory (on), or no longer (off). */
	int (*map)(void *ctx, unsigned idx, bool on, uint64_t gpa);
	/* The outgoing doorbell's ioeventfd at `addr` (4 bytes). */
	int (*doorbell)(void *ctx, unsigned idx, bool on, uint64_t addr);
	/* The incoming doorbell as an irqfd on an MSI route (addr, data); on
	 * again with another message reprograms the route. */
	int (*msi_path)(void *ctx, unsigned idx, bool on, uint64_t addr, uint32_t data);
	/* Sends one MSI (an incoming doorbell the monitor read). */
	int (*msi)(void *ctx, uint64_t addr, uint32_t data);
	/* Rings the peer from the monitor (no ioeventfd). */
	int (*ring)(void *ctx, unsigned idx);
	/* Tells the loop that reads incoming doorbells that
	 * chanpci_monitor_reads() may have changed. May be NULL. */
	void (*wake)(void *ctx);
	void *ctx;
};

struct chanpci {
	struct pci_dev pci;
	pthread_mutex_t lock;
	struct chanpci_ops ops;
	struct irq_line intx;
	struct bus *mmio;
	unsigned idx;
	uint8_t *shm; /* the region, mapped by the caller */
	uint64_t size;
	uint32_t bar2_size;
	char name[CHANPCI_STR_LEN], peer[CHANPCI_STR_LEN];
	uint32_t pending;
	bool intx_level;    /* what INTA# was last driven to */
	uint32_t bar0, bar2; /* addresses while decoded */
	bool bar0_on, bar2_on;
	bool bell_kernel;   /* the doorbell ioeventfd is installed, at bell_addr */
	uint64_t bell_addr;
	bool bell_failed;   /* refused at bell_addr: not retried there */
	/* From configuration space, copied under both locks. */
	bool msi_on, master, intx_disabled;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool kpath;         /* incoming doorbells are an irqfd */
	uint64_t kpath_addr;
	uint32_t kpath_data;
	bool kpath_failed;  /* for exactly kpath_addr/kpath_data: not retried */
	uint64_t rings_user;   /* doorbells the monitor rang itself */
	uint64_t irqs_user;    /* incoming doorbells the monitor delivered */
	uint64_t irqs_lost;    /* incoming with MSI on but no message possible */
};

/* Sets the device up, not yet on a bus. `shm` is the region of `size`
 * bytes (4K..256M, page aligned); name and peer are cut to 31 bytes. */
void chanpci_init(struct chanpci *c, unsigned idx, uint8_t *shm, uint64_t size,
		  const char *name, const char *peer, struct bus *mmio, struct irq_line intx,
		  struct chanpci_ops ops);
/* After pci_add(): the MSI capability. Returns 0 or -1 (no room). */
int chanpci_add_caps(struct chanpci *c);
/* BAR0 and BAR2 handlers (also registered on the bus by bar_moved). */
void chanpci_regs_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
void chanpci_shm_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
/* True while incoming doorbells are the monitor's to read (no irqfd). */
bool chanpci_monitor_reads(struct chanpci *c);
/* An incoming doorbell the monitor read from the peer's eventfd. */
void chanpci_incoming(struct chanpci *c);
/* The BAR2 size for a region of `size` bytes: the next power of two. */
uint32_t chanpci_bar_size(uint64_t size);

#endif
