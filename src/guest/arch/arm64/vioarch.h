/*
 * vioarch (arm64): what the shared virtio driver (src/guest/virtio.c)
 * needs from the architecture, as src/guest/arch/x86/vioarch.h gives it
 * on x86-64.
 */
#ifndef VIOARCH_H
#define VIOARCH_H

#include <stdint.h>

/* AArch64 is weakly ordered (Arm ARM B2.3): the ring protocol's barriers
 * (virtio 1.2, 2.7.13 and 2.7.14) are real instructions, in the inner
 * shareable domain, where the device (the monitor's threads on the other
 * CPUs) is, as Linux's virt_wmb/virt_rmb/virt_mb for virtio's weak
 * barriers: DMB ISHST orders stores before stores (the ring entry before
 * avail->idx), DMB ISHLD loads before loads and stores (used->idx before
 * the element), DMB ISH everything (avail->idx before the load of
 * avail_event or used->flags). A DMB orders Normal and Device accesses
 * alike (B2.3.10), so the full barrier ahead of the notify check also
 * orders avail->idx before the notify store. */
static inline void vioarch_wmb(void)
{
	__asm__ volatile("dmb ishst" ::: "memory");
}
static inline void vioarch_rmb(void)
{
	__asm__ volatile("dmb ishld" ::: "memory");
}
static inline void vioarch_mb(void)
{
	__asm__ volatile("dmb ish" ::: "memory");
}

/* No MSI: the machine has no GICv3 ITS (src/common/arm64map.h), so the
 * MSI-X capability is left disabled and the function's INTx, a level SPI
 * the kernel routes (SYS_PCI_INTX), signals the driver. */
#define VIOARCH_MSI_ADDR 0u
#define VIOARCH_INTX 1
/* The identity map's device region: the first GiB (kernel.c mmu_on);
 * the PCI window (0x10000000-0x3efeffff) is in it. */
#define VIOARCH_MMIO_END 0x40000000ull

#endif
