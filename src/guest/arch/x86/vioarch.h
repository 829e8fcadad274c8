/*
 * vioarch (x86-64): what the shared virtio driver (src/guest/virtio.c)
 * needs from the architecture: the ring's memory barriers, where MSI-X
 * messages go, whether INTx can be had, and how far the identity map
 * reaches. The arm64 twin is src/guest/arch/arm64/vioarch.h.
 */
#ifndef VIOARCH_H
#define VIOARCH_H

#include <stdint.h>

/* x86 is TSO: stores are seen in order and loads are not reordered with
 * older loads, so the ring protocol's write and read barriers are compiler
 * barriers; a store followed by a load of another location (the EVENT_IDX
 * checks) needs a full fence (Intel SDM vol. 3A 8.2.3.4), as Linux's
 * virtio_mb. An uncached store (the notify write) is not passed by the
 * earlier stores either (8.2.5). */
static inline void vioarch_wmb(void)
{
	__asm__ volatile("" ::: "memory");
}
static inline void vioarch_rmb(void)
{
	__asm__ volatile("" ::: "memory");
}
static inline void vioarch_mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* MSI-X messages to LAPIC 0 (address 0xfee00000, Intel SDM vol. 3A
 * 10.11.1), data = the vector, fixed delivery, edge. */
#define VIOARCH_MSI_ADDR 0xfee00000u
/* No INTx: the x86 kernel programs no IOAPIC, so a function without
 * MSI-X is polled. */
#define VIOARCH_INTX 0
/* The identity map covers 4 GiB: BARs and structures must lie below. */
#define VIOARCH_MMIO_END 0x100000000ull

#endif
