/*
 * vfio: PCI passthrough for one VM through the Linux VFIO API with the
 * type1 IOMMU (Documentation/driver-api/vfio.rst; linux/vfio.h): one
 * container per VM, a group per IOMMU group, a device descriptor per
 * passed-through function.
 *
 * Owns: the container, group and device descriptors, the DMA map (all of
 * guest RAM at its guest-physical addresses, VFIO_IOMMU_MAP_DMA, so the
 * device reaches exactly the VM's RAM), the regions' mmaps, the vectors'
 * and INTx eventfds, the hooks that give vfio_pci.h KVM (MSI routes,
 * irqfds, memory slots) and VFIO (SET_IRQS), the device reset before the
 * guest starts and after it ends, and the port window of I/O BARs.
 *
 * Order in `vmm run` (machine.c): vfio_check() first of all (sysfs only:
 * each missing piece of the host is a clear message and exit 2); after
 * the VM exists, vfio_attach() opens, maps, resets and puts the functions
 * on the bus; vfio_sandbox() says which descriptors the run keeps;
 * vfio_detach() at the end.
 */
#ifndef VMM_VFIO_H
#define VMM_VFIO_H

#include <stddef.h>
#include <stdint.h>

#include "vfio_host.h"

#define VFIO_MAX_DEVS 4
/* MSI routes: GSIs from here, VFIO_MAX_VECTORS per function, above the
 * virtio devices' (machine.c). */
#define VFIO_GSI_BASE 128u

struct kvm_vm;
struct guestmem;
struct bus;
struct pci_bus;
struct sandbox_opts;

struct vfio_env {
	struct kvm_vm *kvm;
	const struct guestmem *mem;
	struct bus *mmio, *pio;
	struct pci_bus *pci;
};

/* The host checks of vfio_host.h for each function, against this
 * process's limits. Returns 0 or -1 with a message. */
int vfio_check(const char (*bdf)[VFIO_BDF_LEN], unsigned n, uint64_t ram, char *err,
	       size_t errlen);
/* Opens and sets up every function and adds it to the bus. Returns 0 or
 * -1 with a message (a host or configuration error: exit 2). */
int vfio_attach(const struct vfio_env *env, const char (*bdf)[VFIO_BDF_LEN], unsigned n,
		char *err, size_t errlen);
/* Adds the descriptors the run keeps to the sandbox's lists. */
void vfio_sandbox(struct sandbox_opts *sb);
/* Interrupts off, slots gone, devices reset, descriptors closed. */
void vfio_detach(void);

#endif
