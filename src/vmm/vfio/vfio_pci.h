/*
 * vfio_pci: the guest's view of a passed-through PCI function: its
 * configuration space, its BARs and its interrupts, built over a VFIO
 * device descriptor but knowing nothing of the VFIO ioctls or of KVM (the
 * owner gives hooks), so it is unit-tested with a plain file standing in
 * for the device's regions.
 *
 * Configuration space (PCI 3.0 chapter 6). Each of the 256 bytes is either
 * emulated (served from d->cfg; what the guest writes stays there) or
 * passed through (read from the device's config region before each read,
 * written to it after each write). Emulated: COMMAND (kept here and also
 * forwarded: the device must decode and master for the guest), the low
 * byte of STATUS (the Capabilities List bit follows our list), the header
 * type (single function), the six BARs (sizing and addresses are ours:
 * the guest places them), the expansion ROM BAR (no ROM offered),
 * Capabilities Pointer, Interrupt Line and Pin, each capability's ID and
 * next pointer, and the whole MSI-X capability. The rest passes through.
 *
 * Capabilities: the device's list is walked (bounded, offsets 0x40-0xfc)
 * and rebuilt with only those the monitor can carry: power management,
 * vendor-specific, PCI Express (their bodies pass through; the kernel's
 * vfio-pci virtualises what a user may not touch), MSI-X (emulated with
 * pci.h's generic table) and, on a function without MSI-X, MSI (emulated
 * here: one vector, no per-vector masking, 64-bit address when the device
 * has it; PCI 3.0 section 6.8.1). Others, and MSI beside MSI-X, are
 * unlinked, so the guest never finds them.
 *
 * BARs: a memory BAR the device can mmap is mapped straight into the guest
 * (memory slots over the mapping, `map` hook) except the pages holding the
 * MSI-X table and PBA, which trap to the emulated table (and, for the rest
 * of those pages, to the device through its region). A BAR smaller than a
 * page, or one the device cannot mmap, traps whole. When the guest moves a
 * BAR or switches decode in COMMAND, the slots and trapped ranges move.
 * I/O BARs trap and are forwarded; they live in the port window
 * VFIO_IO_BASE.. that one handler serves (a port-I/O configuration write
 * cannot register on the port-I/O bus it runs under: bus.h).
 *
 * Interrupts never pass through the monitor once set up. Each MSI-X vector
 * has an eventfd the device signals (the `set_irqs` hook hands them to
 * VFIO when the guest enables MSI-X); the vector's GSI is routed to the
 * message the guest programmed and the eventfd is that GSI's irqfd while
 * the vector is live. A masked vector's irqfd is detached, so what the
 * device signals meanwhile waits in the eventfd, and attaching it again
 * on unmask delivers it (the pending bit, PCI 3.0 6.8.2.10). MSI is the
 * same with one vector (vec_fd[0] on GSI gsi_base): VFIO's MSI index is
 * armed while the guest has MSI Enable set, the route follows the
 * capability's address and data. INTx is an
 * eventfd with a resample eventfd: KVM raises the level-triggered GSI,
 * VFIO masks the line until the guest's EOI signals the resample fd.
 *
 * Locking: configuration accesses run under the PCI bus lock (pci.h);
 * MSI-X table accesses under the table's own lock; trapped BAR accesses
 * need no lock of ours (pread/pwrite on the region).
 */
#ifndef VMM_VFIO_PCI_H
#define VMM_VFIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "pci.h"

/* Where the monitor first places BARs (the guest may move them). Memory
 * BARs from the top of the PCI hole downwards, below the IOAPIC; I/O BARs
 * in a port window inside the DSDT's I/O range 0x0d00-0xffff. */
#define VFIO_MMIO_TOP 0xfe000000ull
#define VFIO_MMIO_FLOOR 0xd0000000ull
#define VFIO_IO_BASE 0xd000u
#define VFIO_IO_SIZE 0x1000u
/* Memory slots: three per BAR (around the MSI-X pages), per device. */
#define VFIO_SLOT_BASE 20u
#define VFIO_SLOTS_PER_DEV (3u * PCI_NUM_BARS)
/* MSI-X vectors offered to the guest (its table is ours, so its size is
 * too): the device's own number, up to this. */
#define VFIO_MAX_VECTORS 16u

/* VFIO's interrupt indexes (linux/vfio.h VFIO_PCI_*_IRQ_INDEX) and the
 * two actions used. */
enum vfio_irq { VFIO_IRQ_INTX = 0, VFIO_IRQ_MSI = 1, VFIO_IRQ_MSIX = 2 };
enum vfio_irq_action { VFIO_ACT_TRIGGER, VFIO_ACT_UNMASK };

struct vfio_pci_hooks {
	/* VFIO_DEVICE_SET_IRQS: count eventfds from `start`, or count 0 to
	 * switch the index off. */
	int (*set_irqs)(void *ctx, enum vfio_irq index, enum vfio_irq_action act, unsigned start,
			unsigned count, const int *fds);
	int (*route)(void *ctx, unsigned gsi, uint64_t addr, uint32_t data);
	/* resample_fd >= 0: a level-triggered irqfd with that resample fd. */
	int (*irqfd)(void *ctx, int fd, unsigned gsi, int resample_fd, bool assign);
	/* A memory slot `slot` of `size` bytes at `gpa` backed by `host`;
	 * size 0 deletes it. */
	int (*map)(void *ctx, unsigned slot, uint64_t gpa, uint64_t size, void *host);
	void *ctx;
};

/* One VFIO region (VFIO_DEVICE_GET_REGION_INFO): its offset in the
 * device fd, its size, and the mmap of it, or NULL. */
struct vfio_region {
	uint64_t off, size;
	void *map;
};

enum vfio_bar_kind { VFIO_BAR_NONE, VFIO_BAR_MEM32, VFIO_BAR_MEM64, VFIO_BAR_IO };

struct vfio_pci;

/* A trapped piece of a BAR, as registered on the bus. */
struct vfio_trap {
	struct vfio_pci *vp;
	unsigned bar;
	uint64_t start, len; /* within the BAR */
	uint64_t gpa;        /* where it is registered, when `on` */
	bool on;
};

struct vfio_pci {
	struct pci_dev pci;
	int fd; /* the device: regions are read and written at their offsets */
	struct vfio_region cfg_region;
	struct vfio_region region[PCI_NUM_BARS];
	struct vfio_pci_hooks hooks;
	struct bus *mmio;
	const char *bdf;
	uint8_t emu[256]; /* 1: the byte is emulated */
	/* BARs as the device has them and as the guest sees them now. */
	struct {
		enum vfio_bar_kind kind;
		uint64_t size;
		bool on;       /* decoded (COMMAND and a non-zero address) */
		uint64_t addr; /* where, when on */
		struct vfio_trap trap[3];
		unsigned ntrap;
		bool slot_on[3];
	} bar[PCI_NUM_BARS];
	unsigned slot_base;
	/* MSI-X */
	bool has_msix;
	struct pci_msix msix;
	unsigned msix_bar, pba_bar, nvec, real_nvec;
	uint64_t table_off, table_len, pba_off, pba_len;
	bool msix_vfio_on; /* what VFIO was last told */
	/* MSI, offered only without MSI-X: the capability's offset and
	 * length as the device has it, whether it takes 64-bit addresses,
	 * and what VFIO was last told. It uses vector 0 below. */
	bool has_msi, msi_64, msi_vfio_on;
	unsigned msi_at, msi_len;
	int vec_fd[VFIO_MAX_VECTORS];
	bool vec_irqfd[VFIO_MAX_VECTORS];
	unsigned gsi_base;
	/* INTx */
	int intx_fd, intx_resample_fd;
	unsigned intx_gsi;
	bool intx_on;
	/* The PCI bus lock, which covers the BAR state above: the I/O
	 * window's handler takes it to find which BAR a port belongs to. */
	pthread_mutex_t *cfg_lock;
};

/*
 * Builds the function from its real configuration space (read through
 * cfg_region) and regions. Call with fd, cfg_region, region[], hooks,
 * mmio, bdf and gsi_base/slot_base filled, and intx_fd/intx_resample_fd
 * the INTx eventfds or -1, vec_fd[] the vectors' eventfds (as many as
 * the device offers, up to VFIO_MAX_VECTORS; vec_fd[0] for MSI) or -1.
 * Sets has_msix, or else has_msi, from the capability list; the owner
 * clears them when VFIO offers no such interrupt, before setup. Then pci_add(), then
 * vfio_pci_setup(). Returns 0 or -1 with a message.
 */
int vfio_pci_init(struct vfio_pci *vp, char *err, size_t errlen);
/* After pci_add() put it at `slot`: builds cfg/wmask, the capability
 * list, MSI-X, and INTx wiring on the slot's GSI. */
int vfio_pci_setup(struct vfio_pci *vp, unsigned slot, char *err, size_t errlen);
/* Firmware's job: gives each BAR an address (memory from *mmio_top
 * downwards, I/O from *io_next upwards) and turns decode on. */
void vfio_pci_place(struct vfio_pci *vp, struct pci_bus *bus, unsigned slot,
		    uint64_t *mmio_top, uint32_t *io_next);
/* The I/O window's handler (opaque: the array of devices, NULL-ended). */
void vfio_pci_io_window(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write);
/* Undoes the slots, ranges, irqfds and VFIO interrupts. */
void vfio_pci_teardown(struct vfio_pci *vp);

#endif
