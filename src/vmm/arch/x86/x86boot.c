/* x86boot: boot GDT, identity page tables and entry registers. */
#include "x86boot.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvboot.h"

/* Control register bits (Intel SDM vol. 3A sec. 2.5; EFER: sec. 2.2.1). */
#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
/* Page table entry bits (SDM vol. 3A sec. 4.5). */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_PS 0x80ull

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

/* A flat segment descriptor (SDM vol. 3A sec. 3.4.5): base 0, limit 4 GiB
 * with 4 KiB granularity, present. `type` is the 4-bit type field, `l` the
 * 64-bit code flag, `db` the default operand size. */
static uint64_t gdt_flat(unsigned type, unsigned dpl, unsigned l, unsigned db)
{
	return 0xffffull | (0xfull << 48) |             /* limit 0xfffff */
	       ((uint64_t)type << 40) | (1ull << 44) |   /* S: code/data */
	       ((uint64_t)dpl << 45) | (1ull << 47) |    /* DPL, P */
	       ((uint64_t)l << 53) | ((uint64_t)db << 54) | (1ull << 55); /* L, D/B, G */
}

/* The kvm_segment that matches a gdt_flat() descriptor: KVM takes the
 * hidden part of each segment register from us, not from the GDT. */
static struct kvm_segment seg_flat(uint16_t sel, unsigned type, unsigned dpl, unsigned l,
				   unsigned db)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = (uint8_t)type,
		.present = 1, .dpl = (uint8_t)dpl, .db = (uint8_t)db, .s = 1, .l = (uint8_t)l,
		.g = 1,
	};
}

enum { SEG_CODE = 0xb /* execute/read, accessed */, SEG_DATA = 0x3 /* read/write, accessed */ };

/* The GDT at gdt_gpa, and the page tables when `paging` (a multiboot
 * kernel starts with paging off and has no use for them; one loaded below
 * 1 MiB may sit where they would go). */
static int write_tables(const struct guestmem *gm, uint64_t gdt_gpa, int paging, char *err,
			size_t errlen)
{
	uint64_t *gdt = gm_ptr(gm, gdt_gpa, HVBOOT_GDT_ENTRIES * 8);
	/* PML4, PDPT and four page directories: 6 pages. */
	uint64_t *pt = paging ? gm_ptr(gm, HVBOOT_PT_BASE, 6 * 4096) : NULL;
	if (!gdt || (paging && !pt)) {
		snprintf(err, errlen, "guest RAM too small for the boot tables");
		return -1;
	}
	gdt[0] = 0;
	gdt[HVBOOT_SEL_CODE32 / 8] = gdt_flat(SEG_CODE, 0, 0, 1);
	gdt[HVBOOT_SEL_CODE64 / 8] = gdt_flat(SEG_CODE, 0, 1, 0);
	gdt[HVBOOT_SEL_DATA / 8] = gdt_flat(SEG_DATA, 0, 0, 1);
	gdt[HVBOOT_SEL_UDATA / 8] = gdt_flat(SEG_DATA, 3, 0, 1);
	gdt[HVBOOT_SEL_UCODE64 / 8] = gdt_flat(SEG_CODE, 3, 1, 0);
	if (!paging)
		return 0;

	/* Identity map of the first 4 GiB with 2 MiB pages: one PML4 entry,
	 * four PDPT entries, 4 x 512 PDEs. */
	uint64_t *pml4 = pt, *pdpt = pt + 512, *pd = pt + 1024;
	const uint64_t flags = PTE_P | PTE_RW | PTE_US;
	memset(pt, 0, 6 * 4096);
	pml4[0] = (HVBOOT_PT_BASE + 0x1000) | flags;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (HVBOOT_PT_BASE + 0x2000 + i * 0x1000) | flags;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | flags | PTE_PS;
	return 0;
}

int x86_boot_setup(int vcpu_fd, const struct guestmem *gm, const struct boot_entry *e,
		   char *err, size_t errlen)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	uint64_t gdt = e->gdt ? e->gdt : HVBOOT_GDT;
	if (write_tables(gm, gdt, e->mode != BOOT_MULTIBOOT32, err, errlen))
		return -1;
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2; /* reserved bit 1; IF clear: every protocol enters with interrupts off */
	r.rip = e->entry;
	s.gdt.base = gdt;
	s.gdt.limit = HVBOOT_GDT_ENTRIES * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0; /* no IDT until the guest loads one: a fault triple-faults */
	struct kvm_segment data = seg_flat(HVBOOT_SEL_DATA, SEG_DATA, 0, 0, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = data;

	switch (e->mode) {
	case BOOT_MULTIBOOT32:
		/* Multiboot 0.6.96 sec. 3.2: protected mode, paging off, flat
		 * 4 GiB code and data segments, EAX magic, EBX info address. */
		s.cs = seg_flat(HVBOOT_SEL_CODE32, SEG_CODE, 0, 0, 1);
		s.cr0 = CR0_PE | CR0_ET;
		s.cr4 = 0;
		s.efer = 0;
		r.rax = MULTIBOOT_BOOTLOADER_MAGIC;
		r.rbx = e->info;
		break;
	case BOOT_PVH32:
		/* PVH (pvh.h; Xen's docs/misc/pvh.pandoc): protected mode with
		 * paging off, CR0 = PE (ET is fixed to 1 on every CPU since the
		 * 486), CR4 = 0, flat 32-bit code and data segments, TR a
		 * 32-bit TSS with base 0 and limit 0x67, EBX the start info.
		 * IF, TF and VM are clear in r.rflags. */
		s.cs = seg_flat(HVBOOT_SEL_CODE32, SEG_CODE, 0, 0, 1);
		s.cr0 = CR0_PE | CR0_ET;
		s.cr4 = 0;
		s.efer = 0;
		s.tr = (struct kvm_segment){
			.base = 0, .limit = 0x67, .selector = 0, .type = 0xb /* busy 32-bit TSS */,
			.present = 1, .s = 0,
		};
		r.rbx = e->info;
		break;
	case BOOT_LINUX64:
	case BOOT_ELF64:
		/* Long mode (SDM vol. 3A sec. 9.8.5): PAE paging with the
		 * identity map, EFER.LME/LMA, a 64-bit code segment. The Linux
		 * 64-bit boot protocol asks for exactly this with RSI holding
		 * the boot_params address; ours passes hvboot_info in RDI. */
		s.cs = seg_flat(HVBOOT_SEL_CODE64, SEG_CODE, 0, 1, 0);
		s.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
		s.cr3 = HVBOOT_PT_BASE;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
		if (e->mode == BOOT_LINUX64)
			r.rsi = e->info;
		else
			r.rdi = e->info;
		r.rsp = e->stack;
		break;
	default:
		snprintf(err, errlen, "internal error: unknown boot mode %d", (int)e->mode);
		return -1;
	}
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}
