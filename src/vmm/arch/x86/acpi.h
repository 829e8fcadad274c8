/*
 * acpi: the ACPI tables a PC guest reads to find its CPUs, interrupt
 * controllers, PCI host bridge and how to power off (ACPI 6.x, ch. 5).
 *
 * Owns: building RSDP, RSDT/XSDT, FADT, FACS, MADT and the DSDT (compiled
 * from dsdt.asl by iasl) in the BIOS area of guest RAM, the same tables as
 * QEMU's table loader hands them to firmware through fw_cfg, and the ACPI
 * registers the FADT points at: the hardware-reduced sleep control/status
 * registers (a write of SLP_TYP 5 with SLP_EN is soft-off), the reset
 * register and the PM timer. Hardware-reduced ACPI (FADT flag
 * HW_REDUCED_ACPI, sec. 4.1) needs no SCI, PM timer or FACS; the FACS and
 * the PM timer are there anyway for guests written for a PC that look for
 * them (an OSPM that follows sec. 5.2.9 ignores the PM timer fields of a
 * hardware-reduced FADT). No S3: nothing could wake the guest (no RTC
 * alarm interrupt in cmos.c, no SCI) and the monitor keeps no waking
 * vector path, so _S3 is not offered.
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
#define ACPI_PORT_LEN 12
#define ACPI_SLEEP_CONTROL 0 /* offset: write (SLP_TYP << 2) | SLP_EN */
#define ACPI_SLEEP_STATUS 1  /* offset: reads 0 (never woken) */
#define ACPI_RESET 2         /* offset: ACPI_RESET_VALUE resets the machine */
#define ACPI_RESET_VALUE 0x1
#define ACPI_PM_TIMER 8      /* offset: 32-bit read, 24-bit count (0x608, as QEMU's PIIX4) */
#define ACPI_PM_TIMER_HZ 3579545u

#define ACPI_IOAPIC_ADDR 0xfec00000u
#define ACPI_LAPIC_ADDR 0xfee00000u

/* GSI of PCI slot `slot`, INTx pin `pin` (1 = INTA#), as the DSDT's _PRT
 * routes it for slots 1-8. */
#define ACPI_PCI_INTX_GSI(slot, pin) (16u + (((slot) + (pin) - 1u) & 7u))

/* Writes all tables for `ncpus` CPUs. Returns 0, or -1 with a message. */
int acpi_build(const struct guestmem *gm, unsigned ncpus, char *err, size_t errlen);

/* The table loader's files (see acpi.c): etc/acpi/rsdp, etc/acpi/tables
 * and the etc/table-loader commands, all malloc'd. */
#define ACPI_LOADER_FILE "etc/table-loader"
#define ACPI_TABLES_FILE "etc/acpi/tables"
#define ACPI_RSDP_FILE "etc/acpi/rsdp"
#define ACPI_LOADER_CMD_SIZE 128
#define ACPI_LOADER_NAME_MAX 56
enum {
	ACPI_LOADER_ALLOCATE = 1,
	ACPI_LOADER_ADD_POINTER = 2,
	ACPI_LOADER_ADD_CHECKSUM = 3,
};
enum { ACPI_LOADER_ZONE_HIGH = 1, ACPI_LOADER_ZONE_FSEG = 2 };
struct acpi_loader {
	uint8_t *rsdp, *tables, *cmds;
	uint32_t rsdp_len, tables_len, cmds_len;
};
/* Returns 0, or -1 when memory runs out. */
int acpi_build_loader(unsigned ncpus, struct acpi_loader *out);
void acpi_loader_free(struct acpi_loader *l);

/* The PM timer's current 24-bit count. */
uint32_t acpi_pm_timer_now(void);

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
