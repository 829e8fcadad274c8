/*
 * pvh: the x86 PVH boot ABI, as a monitor and a kernel share it.
 *
 * A PVH kernel is an ELF file with an ELF note (name "Xen", type
 * PVH_NOTE_PHYS32_ENTRY) whose descriptor is the 32-bit physical address
 * of its PVH entry point. The loader puts the PT_LOAD segments at their
 * physical addresses and starts the boot CPU there in 32-bit protected
 * mode with paging off: CR0 = PE only, CR4 = 0, CS a flat 32-bit
 * execute/read segment, DS/ES/SS flat 32-bit read/write segments (base 0,
 * limit 4 GiB; selectors unspecified), TR a 32-bit TSS (base 0, limit
 * 0x67), EFLAGS with IF, TF and VM clear, and EBX = the physical address
 * of a struct pvh_start_info. Everything else (stack, GDT, IDT, page
 * tables) is the kernel's to build. This is the ABI of the Xen public
 * header arch-x86/hvm/start_info.h and docs/misc/pvh.pandoc, which Linux
 * (arch/x86/platform/pvh), QEMU, Firecracker and Cloud Hypervisor follow;
 * the definitions here are written from that description.
 *
 * Layout (all little-endian, naturally aligned, no padding):
 *   start info    magic, version, flags, nr_modules, modlist_paddr,
 *                 cmdline_paddr, rsdp_paddr; version 1 adds memmap_paddr,
 *                 memmap_entries, reserved (56 bytes in all)
 *   module entry  paddr, size, cmdline_paddr, reserved (32 bytes)
 *   memory map    addr, size, type (E820 types), reserved (24 bytes), the
 *                 same layout as struct hvboot_mmap_entry
 *
 * Plain C, no host headers: the monitor and the benchmark guest both use it.
 */
#ifndef PVH_H
#define PVH_H

#define PVH_NOTE_NAME "Xen"          /* note name, with its NUL: 4 bytes */
#define PVH_NOTE_PHYS32_ENTRY 18     /* XEN_ELFNOTE_PHYS32_ENTRY */
#define PVH_START_MAGIC 0x336ec578u  /* hvm_start_info.magic */
#define PVH_START_VERSION 1          /* the version with the memory map */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct pvh_start_info {
	uint32_t magic;          /* PVH_START_MAGIC */
	uint32_t version;        /* 0 or 1; 1 has the memmap fields */
	uint32_t flags;          /* SIF_* (Xen's own; 0 here) */
	uint32_t nr_modules;     /* entries at modlist_paddr */
	uint64_t modlist_paddr;  /* struct pvh_module[nr_modules] */
	uint64_t cmdline_paddr;  /* NUL-terminated command line, 0 if none */
	uint64_t rsdp_paddr;     /* the ACPI RSDP, 0 if the kernel must look */
	/* version 1 and later */
	uint64_t memmap_paddr;   /* struct pvh_memmap_entry[memmap_entries] */
	uint32_t memmap_entries; /* 0 when no map is given */
	uint32_t reserved;       /* 0 */
};

struct pvh_module {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr; /* 0 if none */
	uint64_t reserved;
};

struct pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;     /* 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable */
	uint32_t reserved; /* 0 */
};

_Static_assert(sizeof(struct pvh_start_info) == 56, "PVH start info layout");
_Static_assert(sizeof(struct pvh_module) == 32, "PVH module entry layout");
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "PVH memory map entry layout");
#endif /* __ASSEMBLER__ */

#endif
