/*
 * arm64map: the arm64 machine's physical map, shared by the monitor
 * (src/vmm/arch/arm64) and the benchmark guest (src/guest/arch/arm64).
 * The map is the one both sides agreed: RAM, the GICv3,
 * the PL011, the PL061 and PCI where QEMU's `virt` machine has them, so
 * the same guest image also runs under qemu-system-aarch64 -M virt.
 * INTIDs are the GIC's numbers (SPI n is INTID 32 + n; GICv3 spec, 2.2).
 */
#ifndef ARM64MAP_H
#define ARM64MAP_H

#define ARM64_RAM_BASE 0x40000000ull /* size: the DT's /memory */

#define ARM64_GICD_BASE 0x08000000ull /* GICv3 distributor, 64 KiB */
#define ARM64_GICD_SIZE 0x00010000ull
#define ARM64_GICC_BASE 0x08010000ull /* GICv2 CPU interface (v2 only) */
#define ARM64_GICR_BASE 0x080a0000ull /* GICv3 redistributors, per vCPU: */
#define ARM64_GICR_STRIDE 0x00020000ull /* RD_base + SGI_base, 128 KiB */

#define ARM64_UART_BASE 0x09000000ull /* PL011, 4 KiB */
#define ARM64_UART_SPI 1
#define ARM64_GPIO_BASE 0x09030000ull /* PL061 with its outputs looped back */
#define ARM64_GPIO_SPI 7
#define ARM64_DEBUGEXIT_BASE 0x090f0000ull /* 32-bit store of V: status (V << 1) | 1 */

#define ARM64_PCI_ECAM_BASE 0x3f000000ull /* 16 MiB: buses 0-15 */
#define ARM64_PCI_ECAM_SIZE 0x01000000ull
#define ARM64_PCI_MMIO_BASE 0x10000000ull /* 32-bit window, to 0x3efeffff */
#define ARM64_PCI_MMIO_SIZE 0x2eff0000ull
#define ARM64_PCI_INTX_SPI 3 /* INTA..INTD: SPI 3..6, swizzled by slot */

/* Architected timer PPIs, as INTIDs. */
#define ARM64_TIMER_PHYS_INTID 30
#define ARM64_TIMER_VIRT_INTID 27
#define ARM64_TIMER_HYP_INTID 26

#define ARM64_SPI_INTID(spi) (32 + (spi))

#endif
