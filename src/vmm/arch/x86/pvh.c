/*
 * pvh: boots a PVH kernel (an ELF with the PVH entry note), the x86 direct
 * boot ABI of Xen's HVM guests that Linux, QEMU, Firecracker and Cloud
 * Hypervisor share (src/common/pvh.h has the ABI).
 *
 * Owns: reading an ELF image's notes (the PVH entry, and our own hvboot
 * note that asks for the ELF64 entry instead), and load_pvh(): the PT_LOAD
 * segments at their physical addresses (elf64.c's loader, with the PVH
 * entry in place of e_entry), an initrd as module 0, and the start info.
 *
 * Notes are read as the System V gABI describes them ("Note Section"):
 * namesz, descsz, type (4 bytes each), then the name and the descriptor,
 * each padded to the segment's alignment: 8 when its p_align is 8, else 4
 * (what every x86 kernel and toolchain emits; GNU readelf decides alike).
 *
 * Low-memory layout, besides the shared one in hvboot.h:
 *   HVBOOT_INFO           struct pvh_start_info (version 1)
 *   HVBOOT_INFO + 0x100   the module list, one entry for the initrd
 *   HVBOOT_MMAP           the memory map (the E820 map of guestmem.h)
 *   HVBOOT_CMDLINE        the command line (always given, maybe empty)
 *   ACPI_TABLES_BASE      the RSDP (acpi.c), named by rsdp_paddr
 * The initrd follows the image, page aligned. x86boot enters at the note's
 * address in 32-bit protected mode with EBX = HVBOOT_INFO (pvh.h).
 */
#include "loader.h"
#include "loader_priv.h"

#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "hvboot.h"
#include "pvh.h"

#define PVH_PT_NOTE 4
#define PVH_MAX_PHNUM 128 /* as elf64.c: real kernels have a handful */
#define PVH_MODLIST_OFF 0x100
#define PVH_MMAP_MAX (HVBOOT_MMAP_SIZE / sizeof(struct pvh_memmap_entry))
#define PVH_ENTRY_LIMIT (1ull << 32) /* paging is off at the entry */

_Static_assert(sizeof(struct pvh_memmap_entry) == sizeof(struct hvboot_mmap_entry),
	       "the PVH memory map has hvboot's entry layout");

/* Program header fields of one ELF class (gABI "Program Header"). */
struct pvh_ph {
	unsigned phoff, phentsize_off, phnum_off, phentsize;
	unsigned p_offset, p_filesz, p_align, addr_size;
};

static const struct pvh_ph pvh_ph64 = {32, 54, 56, 56, 8, 32, 48, 8};
static const struct pvh_ph pvh_ph32 = {28, 42, 44, 32, 4, 16, 28, 4};

/*@ requires ldr_img_ok(im) && \valid_read(P) && (P->addr_size == 4 || P->addr_size == 8);
    assigns im->oob;
    ensures ldr_in(im, off, P->addr_size) ==> im->oob == \old(im->oob);
    ensures !ldr_in(im, off, P->addr_size) ==> im->oob == 1; */
static uint64_t pvh_addr(struct ldr_img *im, const struct pvh_ph *P, uint64_t off)
{
	return P->addr_size == 8 ? ldr_read_u64(im, off) : ldr_read_u32(im, off);
}

/*@ requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    assigns err[0 .. errlen - 1];
    ensures \result == -1; */
static int pvh_bad(char *err, size_t errlen, const char *what, unsigned i)
{
	/* Messages here carry no kernel name: load_kernel's callers add it
	 * through ldr_err. */
	if (err && errlen)
		snprintf(err, errlen, "program header %u (PT_NOTE): %s", i, what);
	return -1;
}

/* Is the name of n bytes at off the string literal s (len = sizeof(s), with
 * its NUL)? */
/*@ requires ldr_img_ok(im) && \valid_read(s + (0 .. len - 1));
    assigns \nothing;
    ensures \result != 0 ==> ldr_in(im, off, n); */
static int pvh_name_is(struct ldr_img *im, uint64_t off, uint32_t n, const char *s, size_t len)
{
	return n == len && ldr_has(im, off, n) && memcmp(im->data + off, s, len) == 0;
}

/* Walks the notes of one PT_NOTE segment, [off, off + len) of the file.
 * Whatever the notes say, every field it reads is inside the segment
 * (`oob` stays clear), the walk ends (each note moves it forward), and
 * a PVH entry it keeps is below 4 GiB. */
/*@ requires ldr_img_ok(im) && ldr_in(im, off, len) && (align == 4 || align == 8);
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(out, im, err + (0 .. errlen - 1));
    requires \separated(im, err + (0 .. errlen - 1));
    requires out->pvh ==> out->pvh_entry < PVH_ENTRY_LIMIT;
    assigns im->oob, *out, err[0 .. errlen - 1];
    ensures fields: im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1;
    ensures entry: out->pvh ==> out->pvh_entry < PVH_ENTRY_LIMIT; */
static int pvh_scan(struct ldr_img *im, uint64_t off, uint64_t len, uint64_t align, unsigned i,
		    struct elf_notes *out, char *err, size_t errlen)
{
	uint64_t pos = 0;
	/*@ loop invariant 0 <= pos <= len;
	    loop invariant fields: im->oob == \at(im->oob, Pre);
	    loop invariant entry: out->pvh ==> out->pvh_entry < PVH_ENTRY_LIMIT;
	    loop assigns pos, im->oob, *out;
	    loop variant len - pos; */
	while (len - pos >= 12) {
		uint64_t at = off + pos;
		uint32_t namesz = ldr_read_u32(im, at), descsz = ldr_read_u32(im, at + 4);
		uint32_t type = ldr_read_u32(im, at + 8);
		/* Sizes are 32-bit, so these sums cannot overflow 64 bits. */
		uint64_t name_at = at + 12;
		uint64_t desc_at = name_at + ((namesz + align - 1) & ~(align - 1));
		uint64_t next = desc_at + ((descsz + align - 1) & ~(align - 1));
		if (desc_at - off > len || descsz > off + len - desc_at)
			return pvh_bad(err, errlen, "a note runs past the end of the segment", i);
		if (pvh_name_is(im, name_at, namesz, PVH_NOTE_NAME, sizeof(PVH_NOTE_NAME)) &&
		    type == PVH_NOTE_PHYS32_ENTRY) {
			/* 4 bytes in 32-bit images; Linux's 64-bit vmlinux
			 * writes a pointer-sized 8. */
			uint64_t e;
			if (descsz == 4)
				e = ldr_read_u32(im, desc_at);
			else if (descsz == 8)
				e = ldr_read_u64(im, desc_at);
			else
				return pvh_bad(err, errlen, "the PVH entry note's descriptor is "
					       "neither 4 nor 8 bytes", i);
			if (e >= PVH_ENTRY_LIMIT)
				return pvh_bad(err, errlen, "the PVH entry address is above 4 GiB",
					       i);
			if (out->pvh && out->pvh_entry != e)
				return pvh_bad(err, errlen, "two PVH entry notes disagree", i);
			out->pvh = 1;
			out->pvh_entry = e;
		} else if (pvh_name_is(im, name_at, namesz, HVBOOT_NOTE_NAME,
				       sizeof(HVBOOT_NOTE_NAME)) &&
			   type == HVBOOT_NOTE_ENTRY) {
			out->hvboot = 1;
		}
		if (next - off >= len)
			break;
		pos = next - off;
	}
	return 0;
}

int elf_read_notes(const uint8_t *data, size_t size, struct elf_notes *out, char *err,
		   size_t errlen)
{
	struct ldr_img im = {data, data ? size : 0, 0};
	/* Field by field: WP's typed model loses the values of a struct
	 * copied from a compound literal (tests/prove/README.md). */
	out->pvh = 0;
	out->pvh_entry = 0;
	out->hvboot = 0;
	unsigned cls = ldr_elf_class(&im);
	if (cls != 1 && cls != 2)
		return 0;
	const struct pvh_ph *P = cls == 2 ? &pvh_ph64 : &pvh_ph32;
	uint64_t phoff = pvh_addr(&im, P, P->phoff);
	uint16_t phentsize = ldr_read_u16(&im, P->phentsize_off);
	uint16_t phnum = ldr_read_u16(&im, P->phnum_off);
	/* A header elf64.c would refuse is left for it to explain. */
	if (im.oob || phentsize != P->phentsize || phnum == 0 || phnum > PVH_MAX_PHNUM ||
	    !ldr_has(&im, phoff, (uint64_t)phnum * phentsize))
		return 0;
	/*@ loop invariant 0 <= i <= phnum;
	    loop invariant fields: !im.oob;
	    loop invariant entry: out->pvh ==> out->pvh_entry < PVH_ENTRY_LIMIT;
	    loop assigns i, im.oob, *out, err[0 .. errlen - 1];
	    loop variant phnum - i; */
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t ph = phoff + (uint64_t)i * phentsize;
		/* Header i lies inside the table ldr_has checked: it ends within
		 * i + 1 <= phnum headers. The product step first, on its own, so
		 * the prover is not left to find it (non-linear) in a large goal. */
		//@ assert mul: i * phentsize + phentsize <= phnum * phentsize;
		//@ assert header: ldr_in(&im, ph, phentsize);
		if (ldr_read_u32(&im, ph) != PVH_PT_NOTE)
			continue;
		uint64_t off = pvh_addr(&im, P, ph + P->p_offset);
		uint64_t len = pvh_addr(&im, P, ph + P->p_filesz);
		uint64_t align = pvh_addr(&im, P, ph + P->p_align) == 8 ? 8 : 4;
		if (!ldr_has(&im, off, len))
			return pvh_bad(err, errlen, "its bytes lie beyond the end of the file", i);
		if (pvh_scan(&im, off, len, align, i, out, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int load_pvh(const struct guestmem *gm, const struct load_request *req,
	     struct boot_entry *out, char *err, size_t errlen)
{
	struct ldr_img im = {req->kernel, req->kernel ? req->kernel_size : 0, 0};
	struct elf_notes notes;
	char why[256];
	if (elf_read_notes(im.data, im.size, &notes, why, sizeof(why)) < 0)
		return ldr_err(req, err, errlen, "%s", why);
	if (!notes.pvh)
		return ldr_err(req, err, errlen,
			       "no PVH entry note (ELF note \"Xen\", type %d, in a PT_NOTE "
			       "segment): this kernel cannot be booted through PVH",
			       PVH_NOTE_PHYS32_ENTRY);
	int64_t cmdlen = ldr_cmdline_check(req, HVBOOT_CMDLINE_MAX - 1,
					   "the monitor's command-line area", err, errlen);
	if (cmdlen < 0)
		return -1;
	/* The kernel starts with paging off: all of it below 4 GiB. */
	struct elf_loaded ld;
	if (elf_load_segments_at(gm, req, ldr_elf_class(&im) == 2, notes.pvh_entry,
				 PVH_ENTRY_LIMIT, &ld, err, errlen) < 0)
		return -1;
	/* A 32-bit ELF may load below 1 MiB when it is a multiboot image (the
	 * monitor then moves its structures); the PVH start info lives at the
	 * fixed boot pages there, so a PVH kernel must stay above them. */
	if (ld.start < HVBOOT_KERNEL_MIN)
		return ldr_err(req, err, errlen,
			       "a segment loads at 0x%llx: a PVH kernel must load at 1 MiB or "
			       "above, where it cannot overlap the start info; relink it",
			       (unsigned long long)ld.start);

	uint8_t *info = ldr_boot_page(gm, req, HVBOOT_INFO, err, errlen);
	uint8_t *mmap = info ? ldr_boot_page(gm, req, HVBOOT_MMAP, err, errlen) : NULL;
	if (!mmap || ldr_cmdline_put(gm, req, err, errlen) < 0)
		return -1;

	uint32_t nmods = 0;
	if (req->initrd) {
		uint64_t at = ldr_page_up(ld.end);
		uint8_t *dst = at ? gm_ptr(gm, at, req->initrd_size) : NULL;
		if (!dst || req->initrd_size == 0)
			return ldr_err_ram(req, gm, "the initrd", at ? at : ld.end,
					   req->initrd_size ? req->initrd_size : 1, err, errlen);
		memcpy(dst, req->initrd, req->initrd_size);
		uint8_t *mod = info + PVH_MODLIST_OFF;
		ldr_put_u64(mod + 0, at);
		ldr_put_u64(mod + 8, req->initrd_size);
		/* cmdline_paddr and reserved stay 0: the module has no string. */
		nmods = 1;
	}

	struct e820_entry map[PVH_MMAP_MAX];
	size_t n = gm_e820(gm, map, PVH_MMAP_MAX);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = mmap + i * sizeof(struct pvh_memmap_entry);
		ldr_put_u64(e + 0, map[i].addr);
		ldr_put_u64(e + 8, map[i].size);
		ldr_put_u32(e + 16, map[i].type);
	}
	/* struct pvh_start_info, field by field at its ABI offsets. */
	ldr_put_u32(info + 0, PVH_START_MAGIC);
	ldr_put_u32(info + 4, PVH_START_VERSION);
	ldr_put_u32(info + 8, 0);
	ldr_put_u32(info + 12, nmods);
	ldr_put_u64(info + 16, nmods ? HVBOOT_INFO + PVH_MODLIST_OFF : 0);
	ldr_put_u64(info + 24, HVBOOT_CMDLINE);
	ldr_put_u64(info + 32, ACPI_RSDP_ADDR);
	ldr_put_u64(info + 40, HVBOOT_MMAP);
	ldr_put_u32(info + 48, (uint32_t)n);
	ldr_put_u32(info + 52, 0);
	(void)cmdlen;

	out->mode = BOOT_PVH32;
	out->entry = ld.entry;
	out->info = HVBOOT_INFO;
	out->stack = 0; /* the kernel sets up its own */
	return 0;
}
