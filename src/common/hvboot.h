/*
 * hvboot: the boot-information block the monitor hands to an ELF64 guest.
 *
 * Entry state of an ELF64 guest (see README, "Guest entry state"):
 * 64-bit long mode at CPL0, interrupts disabled, paging on with the first
 * 4 GiB identity-mapped (2 MiB pages, read/write/execute, user-accessible so
 * that a guest can drop to CPL3 without building tables first), the page
 * tables at HVBOOT_PT_BASE, the GDT below at HVBOOT_GDT with CS =
 * HVBOOT_SEL_CODE64 and DS/ES/SS = HVBOOT_SEL_DATA, RSP at HVBOOT_STACK_TOP,
 * RDI holding the guest-physical address of a struct hvboot_info, EFER.SCE
 * clear, CR4.OSFXSR clear (the guest enables SSE itself). All RAM not
 * holding the image, the boot block or the tables is zero.
 *
 * Shared by the monitor and the benchmark guest; plain C, no host headers.
 */
#ifndef HVBOOT_H
#define HVBOOT_H

/* Constants usable from assembly too (test guests include this file). */
#ifdef __ASSEMBLER__
#define HVBOOT_U64(x) x
#else
#include <stdint.h>
#define HVBOOT_U64(x) x##ull
#endif


#define HVBOOT_MAGIC HVBOOT_U64(0x31544f4f42564855) /* "UHVBOOT1" read little-endian */
#define HVBOOT_VERSION 1

/* Low-memory layout the monitor uses while booting any guest. */
#define HVBOOT_GDT HVBOOT_U64(0x1000)       /* boot GDT, HVBOOT_GDT_ENTRIES descriptors */
#define HVBOOT_PT_BASE HVBOOT_U64(0x2000)   /* PML4, then PDPT, then 4 PDs: 0x2000-0x7fff */
#define HVBOOT_INFO HVBOOT_U64(0x8000)      /* boot_params / hvboot_info / multiboot info */
#define HVBOOT_MMAP HVBOOT_U64(0x9000)      /* memory map handed to the guest (4 KiB) */
#define HVBOOT_MMAP_SIZE HVBOOT_U64(0x1000)
#define HVBOOT_CMDLINE HVBOOT_U64(0x20000)  /* NUL-terminated kernel command line */
#define HVBOOT_CMDLINE_MAX HVBOOT_U64(0x10000)
#define HVBOOT_STACK_TOP HVBOOT_U64(0x80000) /* initial RSP of ELF64 guests */
#define HVBOOT_KERNEL_MIN HVBOOT_U64(0x100000) /* images may not load below 1 MiB */

/* Boot GDT selectors. 0x10/0x18 are what the Linux boot protocol calls
 * __BOOT_CS/__BOOT_DS; 0x18/0x20/0x28 are laid out for SYSCALL/SYSRET with
 * STAR[47:32] = 0x10 and STAR[63:48] = 0x18 (user SS = 0x20, user CS = 0x28),
 * so a guest can keep this GDT and only add a TSS. */
#define HVBOOT_SEL_CODE32 0x08
#define HVBOOT_SEL_CODE64 0x10
#define HVBOOT_SEL_DATA 0x18
#define HVBOOT_SEL_UDATA 0x20
#define HVBOOT_SEL_UCODE64 0x28
#define HVBOOT_GDT_ENTRIES 6

/* An ELF guest that understands this entry state says so with an ELF note
 * (name HVBOOT_NOTE_NAME, type HVBOOT_NOTE_ENTRY, a 4-byte descriptor
 * holding HVBOOT_VERSION). vmm uses it to choose between this entry and
 * the PVH entry (pvh.h) when an image offers both: this one, which costs
 * the guest no mode switch. ELF64 images without any note get it too. */
#define HVBOOT_NOTE_NAME "hvvmm"
#define HVBOOT_NOTE_ENTRY 1

#ifndef __ASSEMBLER__
struct hvboot_mmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* 1 RAM, 2 reserved (E820 types) */
	uint32_t pad;
};

struct hvboot_info {
	uint64_t magic;      /* HVBOOT_MAGIC */
	uint32_t version;    /* HVBOOT_VERSION */
	uint32_t ncpus;      /* vCPUs started (only the boot CPU runs at entry) */
	uint64_t mem_size;   /* bytes of guest RAM */
	uint64_t tsc_khz;    /* TSC frequency the monitor measured/set, 0 if unknown */
	uint64_t cmdline;    /* gpa of the NUL-terminated command line */
	uint32_t cmdline_len;/* bytes, without the NUL */
	uint32_t mmap_count; /* entries at `mmap` */
	uint64_t mmap;       /* gpa of struct hvboot_mmap_entry[mmap_count] */
	uint64_t image_end;  /* first gpa above the loaded image (page aligned) */
};

#endif /* __ASSEMBLER__ */

#endif
