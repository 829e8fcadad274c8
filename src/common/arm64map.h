/*
 * arm64map: the arm64 machine's physical map, shared by the monitor
 * (src/vmm/arch/arm64) and the arm64 benchmark guest. It follows QEMU's
 * `virt` machine where one exists, so the same guest runs there too.
 *
 * Interrupt numbers are GIC INTIDs (GICv3 arch. spec. sec. 2.2): SPIs are
 * 32 and up, PPIs 16..31.
 */
#ifndef ARM64MAP_H
#define ARM64MAP_H

#define ARM64_RAM_BASE 0x40000000ull /* size from the DT's /memory */

#define ARM64_GICD_BASE 0x08000000ull /* GICv3 distributor, 64 KiB */
#define ARM64_GICD_SIZE 0x10000ull
#define ARM64_GICC_BASE 0x08010000ull /* GICv2 CPU interface (v2 only) */
#define ARM64_GICC_SIZE 0x2000ull
/* GICv3 ITS (GICv3 arch. spec. sec. 12.19): its control frame and the
 * translation frame holding GITS_TRANSLATER, 64 KiB each, where the host
 * offers one (else there is nothing here). */
#define ARM64_GITS_BASE 0x08080000ull
#define ARM64_GITS_SIZE 0x20000ull
#define ARM64_GICR_BASE 0x080a0000ull /* GICv3 redistributors */
#define ARM64_GICR_SIZE_PER_CPU 0x20000ull /* 128 KiB each (RD + SGI frames) */

#define ARM64_PL011_BASE 0x09000000ull
#define ARM64_PL011_SIZE 0x1000ull
#define ARM64_PL011_INTID 33 /* SPI 1 */

#define ARM64_PL061_BASE 0x09030000ull
#define ARM64_PL061_SIZE 0x1000ull
#define ARM64_PL061_INTID 39 /* SPI 7 */

/* The GPIO's kernel path, as the x86 GPIO's DOORBELL: a 32-bit store of
 * any value at offset 0 raises SPI 8 (INTID 40), an edge, taken by KVM
 * (ioeventfd) and injected by it (irqfd) without leaving for the monitor;
 * where KVM lacks those, the monitor does the same. The guest configures
 * INTID 40 as edge-triggered (GICD_ICFGR). DT node gpio-doorbell@90e0000,
 * compatible "hvvmm,gpio-doorbell". The PL061's own GPIOINTR (a GPIODATA
 * write) is the path through the monitor. */
#define ARM64_GPIO_DOORBELL_BASE 0x090e0000ull
#define ARM64_GPIO_DOORBELL_SIZE 0x1000ull
#define ARM64_GPIO_DOORBELL_INTID 40 /* SPI 8 */

/* A 32-bit store of v at offset 0 ends the monitor with (v << 1) | 1,
 * as the isa-debug-exit port does on x86 (vmmstatus.h). DT node
 * debug-exit@90f0000, compatible "hvvmm,debug-exit". */
#define ARM64_DEBUGEXIT_BASE 0x090f0000ull
#define ARM64_DEBUGEXIT_SIZE 0x1000ull

#define ARM64_PCI_ECAM_BASE 0x3f000000ull /* buses 0-15, 1 MiB each */
#define ARM64_PCI_ECAM_SIZE 0x01000000ull
#define ARM64_PCI_MMIO_BASE 0x10000000ull /* 32-bit window */
#define ARM64_PCI_MMIO_SIZE 0x2eff0000ull /* up to 0x3efeffff */
#define ARM64_PCI_INTX_INTID 35 /* SPIs 3..6: INTA..INTD, swizzled by slot */

/* The window of channel BARs (src/vmm/dev/channel.h; vmm system's `gpa`):
 * the top of the 32-bit PCI window, so that a guest's host bridge driver
 * finds them inside its ranges, above the 256 MiB the monitor and the
 * benchmark guest give the virtio BARs from ARM64_PCI_MMIO_BASE up, and
 * inside the guest's identity-mapped device GiB. The PC's window is
 * 0xc1000000-0xfec00000. */
#define ARM64_CHANNEL_WINDOW_START 0x20000000ull
#define ARM64_CHANNEL_WINDOW_END (ARM64_PCI_MMIO_BASE + ARM64_PCI_MMIO_SIZE)

/* Architected timer PPIs (INTIDs). */
#define ARM64_TIMER_PHYS_INTID 30
#define ARM64_TIMER_VIRT_INTID 27
#define ARM64_TIMER_HYP_INTID 26
#define ARM64_TIMER_SEC_INTID 29

#endif
