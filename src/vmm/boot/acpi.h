/*
 * acpi: the ACPI tables a PC guest reads to find its CPUs, interrupt
 * controllers, PCI host bridge and how to power off (ACPI 6.x, ch. 5).
 *
 * Owns: building RSDP, RSDT/XSDT, FADT, MADT and the DSDT (compiled from
 * dsdt.asl by iasl) in the BIOS area of guest RAM, and the hardware-reduced
 * ACPI registers the FADT points at: the sleep control/status registers
 * (a write of SLP_TYP 5 with SLP_EN is soft-off) and the reset register.
 * Hardware-reduced ACPI (FADT flag HW_REDUCED_ACPI, sec. 4.1) needs no
 * SCI, PM timer or FACS, so the monitor emulates two ports and no more.
 * It also puts a reset stub at the x86 reset vector, for guests that
 * reboot by jumping there, and builds the firmware ROM at the top of
 * 4 GiB with the same stub where a CPU starts after RESET or INIT.
 */
#ifndef ACPI_H
#define ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"

/* The tables live in the BIOS area, where an OS scans for the RSDP
 * (ACPI sec. 5.2.5.1: 16-byte boundaries in 0xe0000-0xfffff). */
#define ACPI_TABLES_BASE 0xe0000ull
#define ACPI_TABLES_SIZE 0x2000ull
#define ACPI_RSDP_ADDR ACPI_TABLES_BASE /* the RSDP comes first (PVH names it) */
#define ACPI_RESET_VECTOR 0xffff0ull

/* The firmware ROM: the top 64 KiB below 4 GiB, as on a PC. After RESET
 * or INIT a CPU starts in real mode with CS base 0xffff0000 and IP 0xfff0,
 * so its first fetch is at 0xfffffff0 (Intel SDM vol. 3A sec. 9.1.4). The
 * range is above the LAPIC (0xfee00000) and KVM's own pages (kvm.c) and
 * outside the PCI BAR and channel windows (guestmem.h, channel.h). */
#define ACPI_ROM_BASE 0xffff0000ull
#define ACPI_ROM_SIZE 0x10000ull

/* Ports of the ACPI register block. */
#define ACPI_PORT_BASE 0x600
#define ACPI_PORT_LEN 3
#define ACPI_SLEEP_CONTROL 0 /* offset: write (SLP_TYP << 2) | SLP_EN */
#define ACPI_SLEEP_STATUS 1  /* offset: reads 0 (never woken) */
#define ACPI_RESET 2         /* offset: ACPI_RESET_VALUE resets the machine */
#define ACPI_RESET_VALUE 0x1

#define ACPI_IOAPIC_ADDR 0xfec00000u
#define ACPI_LAPIC_ADDR 0xfee00000u

/* GSI of PCI slot `slot`, INTx pin `pin` (1 = INTA#), as the DSDT's _PRT
 * routes it for slots 1-8. */
#define ACPI_PCI_INTX_GSI(slot, pin) (16u + (((slot) + (pin) - 1u) & 7u))

/* Writes all tables for `ncpus` CPUs. Returns 0, or -1 with a message. */
int acpi_build(const struct guestmem *gm, unsigned ncpus, char *err, size_t errlen);

/* Fills the ROM image (ACPI_ROM_SIZE bytes): all-ones, as erased flash
 * reads, with the reset stub at the reset vector (offset 0xfff0). */
void acpi_build_rom(uint8_t *rom);

/* The register block. */
struct acpi_regs {
	void (*poweroff)(void *ctx);
	void (*reset)(void *ctx);
	void *ctx;
};
void acpi_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
