/*
 * multiboot: loads a multiboot v1 kernel the way QEMU's -kernel does.
 *
 * Owns: finding and checking the multiboot header, loading the image from
 * its address fields ("a.out kludge", header flag 16) or as an ELF32
 * executable, placing an initrd as module 0, and building the multiboot
 * information structure the kernel finds through EBX. References are to the
 * Multiboot Specification version 0.6.96: section 3.1 "OS image format"
 * (3.1.1 header layout, 3.1.2 magic fields, 3.1.3 address fields), 3.2
 * "Machine state" and 3.3 "Boot information format".
 *
 * The boot block, for an image at 1 MiB or above, in low memory beside
 * the shared layout of hvboot.h:
 *   HVBOOT_INFO           the multiboot information structure (3.3)
 *   HVBOOT_MMAP + 0x000   memory map entries (mmap_addr), up to 128
 *   HVBOOT_MMAP + 0xc00   module list (mods_addr), one entry
 *   HVBOOT_MMAP + 0xc40   module string "initrd"
 *   HVBOOT_MMAP + 0xc80   boot loader name "hvvmm"
 *   HVBOOT_CMDLINE        the command line
 * and the GDT at HVBOOT_GDT. An image that loads below 1 MiB (QEMU's
 * -kernel takes them: real-mode test kernels at 0x8000, say) may cover any
 * of that, so then the whole block moves above the image and its module,
 * at 1 MiB or higher: info page, then the same mmap page with the GDT at
 * its offset 0xd00, then the command line; nothing is written below 1 MiB
 * but the image (and the ACPI area, which no image may touch: ldr_low_ok).
 * The multiboot spec lets the information structure and modules lie
 * anywhere the loader likes (3.3), and the entry state has no GDT the
 * kernel may rely on (3.2), so the kernel cannot tell the difference.
 * Modules go at the first page at or above both the image's end and
 * 1 MiB. x86boot enters at the entry address with EAX = 0x2BADB002 and
 * EBX = the information structure (3.2).
 */
#include "loader.h"
#include "loader_priv.h"

#include <string.h>

#include "hvboot.h"

#define MB_MAGIC 0x1badb002u
#define MB_SEARCH 8192        /* header lies within the first 8192 bytes, 4-aligned */
#define MB_HDR_LEN 12         /* magic, flags, checksum */
#define MB_HDR_ADDR_LEN 32    /* ... + header_addr, load_addr, load_end_addr,
			       *     bss_end_addr, entry_addr */

/* Header flags (3.1.2). Bits 0-15 are requirements: a loader that does not
 * understand one must refuse the image. */
#define MB_F_PAGE_ALIGN 0x00000001u /* modules page aligned: we always do */
#define MB_F_MEMINFO 0x00000002u    /* mem_* and mmap_* fields: always given */
#define MB_F_VIDEO 0x00000004u      /* video mode table: accepted, not given
				     * (the spec lets the loader decline, as
				     * QEMU does) */
#define MB_F_REQUIRED 0x0000ffffu
#define MB_F_KNOWN (MB_F_PAGE_ALIGN | MB_F_MEMINFO | MB_F_VIDEO)
#define MB_F_ADDRS 0x00010000u      /* the address fields are valid */

/* Information structure offsets and flags (3.3). */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_F_MEM (1u << 0)
#define MBI_F_CMDLINE (1u << 2)
#define MBI_F_MODS (1u << 3)
#define MBI_F_MMAP (1u << 6)
#define MBI_F_LOADER_NAME (1u << 9)

/* Memory map entry: u32 size (of the rest, 20), u64 base_addr, u64 length,
 * u32 type; size sits at offset -4 from base_addr, so entries are 24 bytes. */
#define MB_MMAP_ENTRY 24
#define MB_MMAP_MAX 128
/* Module entry: u32 mod_start, mod_end, string, reserved. */
#define MB_MOD_ENTRY 16
#define MB_MODS_OFF 0xc00
#define MB_MODSTR_OFF 0xc40
#define MB_NAME_OFF 0xc80
#define MB_GDT_OFF 0xd00 /* in the moved block only */
#define MB_LOADER_NAME "hvvmm"
#define MB_MOD_STRING "initrd"

/* Whatever the image holds, the scan reads only inside it and ends; a
 * header it reports (found or with a bad checksum) is 4-aligned, wholly
 * inside the first MB_SEARCH bytes and inside the image. */
/*@ requires \valid_read(img) && img->size <= PTRDIFF_MAX;
    requires img->data == \null || \valid_read(img->data + (0 .. img->size - 1));
    requires \valid(off) && \valid(bad_off) && \separated(off, bad_off, img);
    assigns *off, *bad_off;
    ensures \result == 0 || \result == 1;
    ensures found: \result == 1 ==> *off % 4 == 0 && *off + MB_HDR_LEN <= MB_SEARCH &&
      ldr_in((struct ldr_img *)img, *off, MB_HDR_LEN);
    ensures bad: \result == 0 ==> *bad_off == -1 ||
      (*bad_off % 4 == 0 && *bad_off + MB_HDR_LEN <= MB_SEARCH &&
       ldr_in((struct ldr_img *)img, *bad_off, MB_HDR_LEN)); */
int mb_find_header(const struct ldr_img *img, uint64_t *off, int64_t *bad_off)
{
	struct ldr_img im = { img->data, img->size, 0 };
	*bad_off = -1;
	if (!im.data)
		return 0;
	/*@ loop invariant 0 <= o <= MB_SEARCH && o % 4 == 0;
	    loop invariant im.data == img->data && im.size == img->size;
	    loop invariant bad: *bad_off == -1 ||
	      (*bad_off % 4 == 0 && *bad_off + MB_HDR_LEN <= MB_SEARCH &&
	       ldr_in((struct ldr_img *)img, *bad_off, MB_HDR_LEN));
	    loop assigns o, im.oob, *bad_off;
	    loop variant MB_SEARCH - o; */
	for (uint64_t o = 0; o + MB_HDR_LEN <= MB_SEARCH && ldr_has(&im, o, MB_HDR_LEN);
	     o += 4) {
		uint32_t magic = ldr_read_u32(&im, o);
		if (magic != MB_MAGIC)
			continue;
		uint32_t flags = ldr_read_u32(&im, o + 4);
		uint32_t sum = ldr_read_u32(&im, o + 8);
		/* magic + flags + checksum must be 0 in 32-bit arithmetic. */
		if ((uint32_t)(magic + flags + sum) == 0) {
			*off = o;
			return 1;
		}
		if (*bad_off < 0)
			*bad_off = (int64_t)o;
	}
	return 0;
}

/* What the address fields (3.1.3) say: the bytes [file_off, file_off +
 * load_len) of the file go to load_addr, then zeroes up to mem_end. */
struct mb_aout {
	uint64_t file_off, load_len;
	uint64_t load_addr, mem_end, entry;
};

/* Reads and checks the address fields of the header at hoff: the image
 * is a flat binary whose bytes from file offset (header offset -
 * (header_addr - load_addr)) go to load_addr. Whatever the header says,
 * every field read is inside the image; on success the part loaded is
 * inside the file and holds the header and the entry, and the image with
 * its BSS is below 4 GiB and clear of the first page and the BIOS area
 * (ldr_low_ok). Guest RAM is the caller's check. */
/*@ requires ldr_img_ok(im) && \valid_read(req) && \valid(a);
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(err + (0 .. errlen - 1), im->data + (0 .. im->size - 1), a, im, req);
    requires \separated(a, im, req);
    assigns im->oob, *a, err[0 .. errlen - 1];
    ensures fields: im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1;
    ensures file: \result == 0 ==> ldr_in(im, a->file_off, a->load_len) &&
      MB_HDR_ADDR_LEN <= a->load_len;
    ensures entry: \result == 0 ==>
      a->load_addr <= a->entry < a->load_addr + a->load_len <= a->mem_end;
    ensures below_4g: \result == 0 ==> a->mem_end <= 4294967296;
    ensures low: \result == 0 ==> LDR_LOW_MIN <= a->load_addr &&
      (a->mem_end <= GM_EBDA_START || a->load_addr >= GM_BIOS_END); */
static int mb_aout_check(const struct load_request *req, struct ldr_img *im, uint64_t hoff,
			 struct mb_aout *a, char *err, size_t errlen)
{
	if (!ldr_has(im, hoff, MB_HDR_ADDR_LEN))
		return ldr_err(req, err, errlen,
			       "truncated: the multiboot header at 0x%llx sets flag 16 but the "
			       "file ends before its address fields",
			       (unsigned long long)hoff);
	uint64_t header_addr = ldr_read_u32(im, hoff + 12);
	uint64_t load_addr = ldr_read_u32(im, hoff + 16);
	uint64_t load_end_addr = ldr_read_u32(im, hoff + 20);
	uint64_t bss_end_addr = ldr_read_u32(im, hoff + 24);
	uint64_t entry = ldr_read_u32(im, hoff + 28);

	if (load_addr > header_addr)
		return ldr_err(req, err, errlen,
			       "multiboot load_addr 0x%llx is above header_addr 0x%llx",
			       (unsigned long long)load_addr, (unsigned long long)header_addr);
	uint64_t delta = header_addr - load_addr;
	if (delta > hoff)
		return ldr_err(req, err, errlen,
			       "multiboot header_addr - load_addr is 0x%llx, but the header is "
			       "only 0x%llx bytes into the file",
			       (unsigned long long)delta, (unsigned long long)hoff);
	uint64_t file_off = hoff - delta;
	uint64_t load_len;
	if (load_end_addr == 0) { /* "the whole file" from file_off */
		load_len = im->size - file_off;
	} else {
		if (load_end_addr <= load_addr)
			return ldr_err(req, err, errlen,
				       "multiboot load_end_addr 0x%llx is not above load_addr 0x%llx",
				       (unsigned long long)load_end_addr,
				       (unsigned long long)load_addr);
		load_len = load_end_addr - load_addr;
		if (!ldr_has(im, file_off, load_len))
			return ldr_err(req, err, errlen,
				       "multiboot load_end_addr asks for 0x%llx bytes from file "
				       "offset 0x%llx, past the end of the %zu-byte file "
				       "(truncated?)", (unsigned long long)load_len,
				       (unsigned long long)file_off, im->size);
	}
	uint64_t load_end = load_addr + load_len;
	if (load_end > (1ull << 32))
		return ldr_err(req, err, errlen,
			       "the multiboot image loaded at 0x%llx runs past 4 GiB",
			       (unsigned long long)load_addr);
	if (delta + MB_HDR_ADDR_LEN > load_len)
		return ldr_err(req, err, errlen,
			       "the multiboot header is not inside the part of the file that "
			       "load_addr..load_end_addr loads");
	uint64_t mem_end = load_end;
	if (bss_end_addr != 0) {
		if (bss_end_addr < load_end)
			return ldr_err(req, err, errlen,
				       "multiboot bss_end_addr 0x%llx is below the end of the "
				       "loaded image 0x%llx", (unsigned long long)bss_end_addr,
				       (unsigned long long)load_end);
		mem_end = bss_end_addr;
	}
	if (!ldr_low_ok(load_addr, mem_end - load_addr))
		return ldr_err_low(req, "the multiboot image", load_addr, mem_end - load_addr, err,
				   errlen);
	if (entry < load_addr || entry >= load_end)
		return ldr_err(req, err, errlen,
			       "multiboot entry_addr 0x%llx is not inside the loaded image "
			       "[0x%llx, 0x%llx)", (unsigned long long)entry,
			       (unsigned long long)load_addr, (unsigned long long)load_end);
	a->file_off = file_off;
	a->load_len = load_len;
	a->load_addr = load_addr;
	a->mem_end = mem_end;
	a->entry = entry;
	return 0;
}

/* Loads the image by its address fields (mb_aout_check): every byte
 * copied is inside the image, every byte written inside guest RAM; on
 * success [ld->start, ld->end) is guest RAM in one region, below 4 GiB,
 * clear of the first page and the BIOS area, and holds the entry. */
/*@ requires gm_ok(gm) && ldr_img_ok(im) && \valid_read(req) && \valid(ld);
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(gm->host + (0 .. gm->size - 1), im->data + (0 .. im->size - 1),
                        err + (0 .. errlen - 1), ld, im, gm, req);
    requires \separated(err + (0 .. errlen - 1), im->data + (0 .. im->size - 1), ld, im, gm,
                        req);
    requires \separated(ld, im, gm, req);
    assigns im->oob, gm->host[0 .. gm->size - 1], *ld, err[0 .. errlen - 1];
    ensures fields: im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1;
    ensures entry: \result == 0 ==> ld->start <= ld->entry < ld->end;
    ensures below_4g: \result == 0 ==> ld->end <= 4294967296;
    ensures low: \result == 0 ==> LDR_LOW_MIN <= ld->start &&
      (ld->end <= GM_EBDA_START || ld->start >= GM_BIOS_END);
    ensures ram: \result == 0 ==> gm_in_low(gm, ld->start, ld->end - ld->start) ||
      gm_in_high(gm, ld->start, ld->end - ld->start); */
static int mb_load_aout(const struct guestmem *gm, const struct load_request *req,
			struct ldr_img *im, uint64_t hoff, struct elf_loaded *ld,
			char *err, size_t errlen)
{
	struct mb_aout a = {0, 0, 0, 0, 0}; /* mb_aout_check fills it on success */
	if (mb_aout_check(req, im, hoff, &a, err, errlen) < 0)
		return -1;
	uint64_t mem_len = a.mem_end - a.load_addr;
	uint8_t *dst = gm_ptr(gm, a.load_addr, mem_len);
	if (!dst)
		return ldr_err_ram(req, gm, "the multiboot image", a.load_addr, mem_len, err,
				   errlen);
	memcpy(dst, im->data + a.file_off, a.load_len);
	/* The BSS, the rest of the range gm_ptr checked. Only when there is
	 * one: without, dst + load_len may be one past the end of guest RAM,
	 * which memset may not be given even for 0 bytes (C11 7.24.1p2). */
	if (mem_len > a.load_len)
		memset(dst + a.load_len, 0, mem_len - a.load_len);
	ld->entry = a.entry;
	ld->start = a.load_addr;
	ld->end = a.mem_end;
	return 0;
}

/* Puts the initrd at `start` (the caller's first page after the kernel
 * and 1 MiB) as module 0, and its entry in the module list of `page`, the
 * mmap page at guest-physical mmap_gpa; *count is the number of modules.
 * Whatever the sizes, every byte copied is inside the initrd and every
 * byte written inside guest RAM; a module it places is not empty, starts
 * at `start` and lies in low RAM below 4 GiB, so the 32-bit mod_start and
 * mod_end the guest reads are its true bounds. */
/*@ requires gm_ok(gm) && \valid_read(req) && req->initrd_size <= PTRDIFF_MAX;
    requires req->initrd == \null ||
      \valid_read(req->initrd + (0 .. req->initrd_size - 1));
    requires \valid(page + (0 .. LDR_PAGE - 1)) && gm_inside(gm, page, LDR_PAGE);
    requires \valid(count) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(gm->host + (0 .. gm->size - 1),
                        req->initrd + (0 .. req->initrd_size - 1), err + (0 .. errlen - 1),
                        count, gm, req);
    requires \separated(count, req->initrd + (0 .. req->initrd_size - 1),
                        err + (0 .. errlen - 1), gm, req);
    requires \separated(err + (0 .. errlen - 1), req->initrd + (0 .. req->initrd_size - 1),
                        gm, req);
    assigns gm->host[0 .. gm->size - 1], *count, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures count: \result == 0 ==> *count <= 1 && (*count == 1 <==> req->initrd != \null);
    ensures module: \result == 0 && *count == 1 ==>
      0 < start && start + req->initrd_size <= 4294967296 &&
      gm_in_low(gm, start, req->initrd_size); */
static int mb_load_module(const struct guestmem *gm, const struct load_request *req,
			  uint64_t start, uint8_t *page, uint64_t mmap_gpa, uint32_t *count,
			  char *err, size_t errlen)
{
	*count = 0;
	if (!req->initrd)
		return 0;
	uint64_t size = req->initrd_size;
	uint8_t *dst = start && start <= (1ull << 32) && size <= (1ull << 32) - start ?
		       gm_ptr(gm, start, size) : NULL;
	if (!dst)
		return ldr_err(req, err, errlen,
			       "the initrd (%llu bytes) does not fit in guest RAM below 4 GiB "
			       "after the kernel's end (0x%llx); use a smaller initrd or more "
			       "--mem", (unsigned long long)size, (unsigned long long)start);
	memcpy(dst, req->initrd, size);
	uint8_t *mod = page + MB_MODS_OFF;
	ldr_put_u32(mod, (uint32_t)start);
	ldr_put_u32(mod + 4, (uint32_t)(start + size)); /* first byte after it, as GRUB does */
	ldr_put_u32(mod + 8, (uint32_t)(mmap_gpa + MB_MODSTR_OFF));
	memcpy(page + MB_MODSTR_OFF, MB_MOD_STRING, sizeof(MB_MOD_STRING));
	*count = 1;
	return 0;
}

/* Checks the header's flags (3.1.2) at hoff, which mb_find_header found:
 * a requirement bit (0-15) we do not know refuses the image. */
/*@ requires ldr_img_ok(im) && ldr_in(im, hoff, MB_HDR_LEN) && \valid_read(req);
    requires \valid(flags) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(err + (0 .. errlen - 1), im->data + (0 .. im->size - 1), flags, im,
                        req);
    requires \separated(flags, im, req);
    assigns im->oob, *flags, err[0 .. errlen - 1];
    ensures fields: im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1; */
static int mb_flags(const struct load_request *req, struct ldr_img *im, uint64_t hoff,
		    uint32_t *flags, char *err, size_t errlen)
{
	*flags = ldr_read_u32(im, hoff + 4);
	uint32_t unknown = *flags & MB_F_REQUIRED & ~MB_F_KNOWN;
	if (!unknown)
		return 0;
	/* The lowest bit set; unknown has one below 16, so the bound on bit
	 * only makes the loop's end plain. */
	unsigned bit = 0;
	/*@ loop invariant 0 <= bit <= 31;
	    loop assigns bit;
	    loop variant 31 - bit; */
	while (bit < 31 && !(unknown & (1u << bit)))
		bit++;
	return ldr_err(req, err, errlen,
		       "the multiboot header requires feature bit %u (flags 0x%08x) that "
		       "we do not provide; only bits 0-2 are supported", bit, *flags);
}

/* Where the boot block goes (the top of this file). */
struct mb_block {
	uint64_t info, mmap, cmdline;
	int moved;
};

/* Places the boot block for a kernel that starts at kstart, with its
 * module (if any) ending at mod_end: where it always is, below 1 MiB,
 * when the kernel starts at 1 MiB or above; else at the first page at or
 * above mod_end, its two pages and the command line (clen bytes and the
 * NUL) in guest RAM below 4 GiB. */
/*@ requires gm_ok(gm) && \valid_read(req) && \valid(b);
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(b, err + (0 .. errlen - 1), gm, req);
    assigns *b, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures kept: \result == 0 && kstart >= LDR_MIB ==> !b->moved &&
      b->info == HVBOOT_INFO && b->mmap == HVBOOT_MMAP && b->cmdline == HVBOOT_CMDLINE;
    ensures moved: \result == 0 && kstart < LDR_MIB ==> b->moved &&
      mod_end <= b->info && b->mmap == b->info + LDR_PAGE &&
      b->cmdline == b->mmap + LDR_PAGE && b->cmdline + clen + 1 <= 4294967296 &&
      gm_in_low(gm, b->info, 2 * LDR_PAGE + clen + 1); */
static int mb_block(const struct guestmem *gm, const struct load_request *req, uint64_t kstart,
		    uint64_t mod_end, uint64_t clen, struct mb_block *b, char *err,
		    size_t errlen)
{
	b->info = HVBOOT_INFO;
	b->mmap = HVBOOT_MMAP;
	b->cmdline = HVBOOT_CMDLINE;
	b->moved = kstart < LDR_MIB;
	if (!b->moved)
		return 0;
	uint64_t info = ldr_page_up(mod_end);
	/* info + 2 pages + clen + 1 <= 4 GiB, written so that nothing wraps. */
	if (!info || info > (1ull << 32) - 2 * LDR_PAGE ||
	    clen >= (1ull << 32) - 2 * LDR_PAGE - info ||
	    !gm_ptr(gm, info, 2 * LDR_PAGE + clen + 1))
		return ldr_err_ram(req, gm, "the multiboot information", info,
				   2 * LDR_PAGE + clen + 1, err, errlen);
	b->info = info;
	b->mmap = info + LDR_PAGE;
	b->cmdline = info + 2 * LDR_PAGE;
	return 0;
}

/* Fills the memory map and the loader name in `page` (the mmap page at
 * guest-physical mmap_gpa) and the information structure's fields in
 * `info` (3.3): the map's entries end below the module list at 0xc00 of
 * the page, each field is inside the info page. */
/*@ requires gm_ok(gm);
    requires \valid(info + (0 .. LDR_PAGE - 1)) && \valid(page + (0 .. LDR_PAGE - 1));
    requires \separated(info + (0 .. LDR_PAGE - 1), gm);
    requires \separated(page + (0 .. LDR_PAGE - 1), gm);
    assigns info[0 .. MBI_BOOT_LOADER_NAME + 3], page[0 .. MB_MODS_OFF - 1],
      page[MB_NAME_OFF .. MB_NAME_OFF + sizeof(MB_LOADER_NAME) - 1]; */
static void mb_write_info(const struct guestmem *gm, uint8_t *info, uint8_t *page,
			  uint64_t mmap_gpa, uint64_t cmdline_gpa, uint32_t nmods)
{
	struct e820_entry map[MB_MMAP_MAX];
	size_t n = gm_e820(gm, map, MB_MMAP_MAX);
	/* The map ends below the module list: n <= 128 entries of 24 bytes. */
	/*@ loop invariant 0 <= i <= n <= MB_MMAP_MAX;
	    loop assigns i, page[0 .. MB_MODS_OFF - 1];
	    loop variant n - i; */
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = page + i * MB_MMAP_ENTRY;
		ldr_put_u32(e, MB_MMAP_ENTRY - 4);
		ldr_put_u64(e + 4, map[i].addr);
		ldr_put_u64(e + 12, map[i].size);
		ldr_put_u32(e + 20, map[i].type); /* 1 = RAM, anything else reserved */
	}
	memcpy(page + MB_NAME_OFF, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));

	uint32_t iflags = MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MMAP | MBI_F_LOADER_NAME;
	/* mem_lower: KiB of RAM from 0 up to the EBDA; mem_upper: KiB of
	 * RAM from 1 MiB up to the first hole, here the end of low RAM. */
	ldr_put_u32(info + MBI_MEM_LOWER, (uint32_t)(GM_EBDA_START >> 10));
	uint64_t upper = gm->low_size > LDR_MIB ? (gm->low_size - LDR_MIB) >> 10 : 0;
	ldr_put_u32(info + MBI_MEM_UPPER, (uint32_t)upper);
	ldr_put_u32(info + MBI_CMDLINE, (uint32_t)cmdline_gpa);
	if (nmods) {
		iflags |= MBI_F_MODS;
		ldr_put_u32(info + MBI_MODS_COUNT, nmods);
		ldr_put_u32(info + MBI_MODS_ADDR, (uint32_t)(mmap_gpa + MB_MODS_OFF));
	}
	ldr_put_u32(info + MBI_MMAP_LENGTH, (uint32_t)(n * MB_MMAP_ENTRY));
	ldr_put_u32(info + MBI_MMAP_ADDR, (uint32_t)mmap_gpa);
	ldr_put_u32(info + MBI_BOOT_LOADER_NAME, (uint32_t)(mmap_gpa + MB_NAME_OFF));
	ldr_put_u32(info + MBI_FLAGS, iflags);
}

/* Loads the kernel: by its address fields when the header has them, which
 * win (3.1.3), else as an ELF32 executable. Reads only the image, writes
 * only guest RAM, *ld and the message. `elf`: what elf_load_segments
 * requires of its objects (tests/prove/elf_load_contract.h). */
/*@ requires gm_ok(gm) && ldr_img_ok(im) && \valid_read(req) && \valid(ld);
    requires req->kernel_size <= PTRDIFF_MAX &&
      \valid_read(req->kernel + (0 .. req->kernel_size - 1));
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(gm->host + (0 .. gm->size - 1), im->data + (0 .. im->size - 1),
                        err + (0 .. errlen - 1), ld, im, gm, req);
    requires \separated(err + (0 .. errlen - 1), im->data + (0 .. im->size - 1), ld, im, gm,
                        req);
    requires \separated(ld, im, gm, req);
    requires elf: ldr_kernel_apart(gm, req, err, errlen) &&
      \separated(ld, gm->host + (0 .. gm->size - 1), err + (0 .. errlen - 1), gm, req);
    assigns im->oob, gm->host[0 .. gm->size - 1], *ld, err[0 .. errlen - 1];
    ensures fields: im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1; */
static int mb_load_kernel(const struct guestmem *gm, const struct load_request *req,
			  struct ldr_img *im, uint64_t hoff, uint32_t flags,
			  struct elf_loaded *ld, char *err, size_t errlen)
{
	if (flags & MB_F_ADDRS)
		return mb_load_aout(gm, req, im, hoff, ld, err, errlen);
	if (ldr_elf_class(im) != 1) /* ELFCLASS32 */
		return ldr_err(req, err, errlen,
			       "the multiboot kernel is not an ELF32 file and its header "
			       "has no address fields (flag 16), so there is no way to "
			       "know where it loads");
	return elf_load_segments(gm, req, 0, ld, err, errlen);
}

/* Where the module and the boot block go for a kernel loaded at [kstart,
 * kend): the module from *mod_start to *mod_end (equal without an
 * initrd; the sum is checked against 4 GiB by mb_load_module), the boot
 * block by mb_block, with the command line's clen bytes and its NUL. */
/*@ requires gm_ok(gm) && \valid_read(req) && \valid(b) && \valid(mod + (0 .. 1));
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(b, mod + (0 .. 1), err + (0 .. errlen - 1), gm, req);
    requires \separated(mod + (0 .. 1), err + (0 .. errlen - 1), gm, req);
    assigns *b, mod[0 .. 1], err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures module: \result == 0 ==> kend <= mod[0] && LDR_MIB <= mod[0] &&
      (req->initrd != \null ==> 0 < req->initrd_size) &&
      (req->initrd == \null ==> mod[1] == mod[0]) &&
      (req->initrd != \null && mod[0] + req->initrd_size <= 4294967296 ==>
       mod[1] == mod[0] + req->initrd_size);
    ensures kept: \result == 0 && kstart >= LDR_MIB ==> !b->moved &&
      b->info == HVBOOT_INFO && b->mmap == HVBOOT_MMAP && b->cmdline == HVBOOT_CMDLINE;
    ensures moved: \result == 0 && kstart < LDR_MIB ==> b->moved &&
      mod[1] <= b->info && b->mmap == b->info + LDR_PAGE &&
      b->cmdline == b->mmap + LDR_PAGE && b->cmdline + clen + 1 <= 4294967296 &&
      gm_in_low(gm, b->info, 2 * LDR_PAGE + clen + 1); */
static int mb_place(const struct guestmem *gm, const struct load_request *req, uint64_t kstart,
		    uint64_t kend, uint64_t clen, struct mb_block *b, uint64_t mod[2],
		    char *err, size_t errlen)
{
	/* The module: at the first page at or above the image's end and
	 * 1 MiB (so never in the BIOS area after a low image). */
	if (req->initrd && req->initrd_size == 0)
		return ldr_err(req, err, errlen, "the initrd is empty");
	uint64_t mod_start = ldr_page_up(kend > LDR_MIB ? kend : LDR_MIB);
	/* Not reachable: the image ends in guest RAM (mb_load_aout checks it,
	 * elf_load_segments checks each segment), far below the 2^64 - 4 KiB
	 * at which the rounding wraps to 0; the proof takes nothing from the
	 * ELF loader about where it loads, so the wrap is refused here. */
	if (!mod_start)
		return ldr_err(req, err, errlen, "the kernel ends at 0x%llx, past any guest RAM",
			       (unsigned long long)kend);
	uint64_t mod_end = req->initrd ? mod_start + req->initrd_size : mod_start;
	mod[0] = mod_start;
	mod[1] = mod_end;
	/* The boot block: where it always is, or above everything loaded
	 * when the image is below 1 MiB (see the top of this file). */
	return mb_block(gm, req, kstart, mod_end, clen, b, err, errlen);
}

/* Places and writes the module, the boot block and the command line (cl,
 * clen bytes without its NUL; NULL when clen is 0) for a kernel loaded at
 * [ld->start, ld->end), and fills *out. On success the information
 * structure is where the boot block always is, or, for a kernel below
 * 1 MiB, at 1 MiB or above with its two pages below 4 GiB; the placement
 * against the kernel is in the assertions of the body. */
/*@ requires gm_ok(gm) && \valid_read(req) && \valid_read(ld);
    requires req->initrd_size <= PTRDIFF_MAX;
    requires req->initrd == \null ||
      \valid_read(req->initrd + (0 .. req->initrd_size - 1));
    requires clen > 0 ==> \valid_read(cl + (0 .. clen - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(gm->host + (0 .. gm->size - 1),
                        req->initrd + (0 .. req->initrd_size - 1), err + (0 .. errlen - 1),
                        ld, gm, req);
    requires \separated(err + (0 .. errlen - 1), req->initrd + (0 .. req->initrd_size - 1),
                        ld, gm, req);
    requires \separated(out, gm->host + (0 .. gm->size - 1), err + (0 .. errlen - 1), ld, gm,
                        req);
    requires clen > 0 ==> \separated(gm->host + (0 .. gm->size - 1), cl + (0 .. clen - 1));
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures info: \result == 0 ==> out->mode == BOOT_MULTIBOOT32 &&
      ((out->info == HVBOOT_INFO && out->gdt == 0) ||
       (LDR_MIB <= out->info && out->info + 2 * LDR_PAGE < 4294967296 &&
        out->gdt == out->info + LDR_PAGE + MB_GDT_OFF)); */
static int mb_boot(const struct guestmem *gm, const struct load_request *req,
		   const struct elf_loaded *ld, const char *cl, size_t clen,
		   struct boot_entry *out, char *err, size_t errlen)
{
	uint64_t kstart = ld->start, kend = ld->end, entry = ld->entry;
	struct mb_block b;
	uint64_t mod[2]; /* the module's start and end */
	if (mb_place(gm, req, kstart, kend, clen, &b, mod, err, errlen) < 0)
		return -1;
	uint64_t mod_start = mod[0];
	uint8_t *info = ldr_boot_page(gm, req, b.info, err, errlen);
	uint8_t *page = info ? ldr_boot_page(gm, req, b.mmap, err, errlen) : NULL;
	if (!page)
		return -1;
	uint32_t nmods;
	if (mb_load_module(gm, req, mod_start, page, b.mmap, &nmods, err, errlen) < 0)
		return -1;
	/* What the placement makes of it (tests/prove/README.md): the module
	 * starts at or above the kernel's end and ends below 4 GiB; a moved
	 * block lies above both; a block not moved is below 1 MiB, and so
	 * below the kernel, which starts at 1 MiB or above. */
	/*@ assert module: nmods == 1 ==> kend <= mod_start &&
	      mod[1] == mod_start + req->initrd_size && mod[1] <= 4294967296; */
	/*@ assert no_module: nmods == 0 ==> mod[1] == mod_start; */
	/*@ assert mod_order: kend <= mod_start <= mod[1]; */
	/*@ assert moved_above: b.moved ==> kend <= mod_start <= mod[1] <= b.info; */
	/*@ assert kept_below: !b.moved ==>
	      b.cmdline + HVBOOT_CMDLINE_MAX <= LDR_MIB <= kstart; */
	if (b.moved) {
		uint8_t *dst = gm_ptr(gm, b.cmdline, clen + 1);
		/*@ assert cmdline: gm_in_low(gm, b.cmdline, clen + 1) && dst != \null; */
		if (clen)
			memcpy(dst, cl, clen);
		dst[clen] = 0;
	} else if (ldr_cmdline_put(gm, req, err, errlen) < 0) {
		return -1;
	}
	mb_write_info(gm, info, page, b.mmap, b.cmdline, nmods);

	/*@ assert block: b.moved ==> LDR_MIB <= mod_start <= b.info &&
	      b.info + 2 * LDR_PAGE < 4294967296; */
	out->mode = BOOT_MULTIBOOT32;
	out->entry = entry;
	out->info = b.info;
	out->stack = 0;
	out->gdt = b.moved ? b.mmap + MB_GDT_OFF : 0;
	return 0;
}

int load_multiboot(const struct guestmem *gm, const struct load_request *req,
		   struct boot_entry *out, char *err, size_t errlen)
{
	/* The command line's length, taken before anything is written. */
	size_t clen = req->cmdline ? strlen(req->cmdline) : 0;
	struct ldr_img im = { req->kernel, req->kernel ? req->kernel_size : 0, 0 };
	uint64_t hoff;
	int64_t bad;
	if (!mb_find_header(&im, &hoff, &bad)) {
		if (bad >= 0)
			return ldr_err(req, err, errlen,
				       "the multiboot header at offset 0x%llx has a bad checksum "
				       "(magic + flags + checksum must be 0 mod 2^32)",
				       (unsigned long long)bad);
		return ldr_err(req, err, errlen,
			       "no multiboot header (magic 0x1BADB002 with a valid checksum, "
			       "4-byte aligned, in the first 8192 bytes)");
	}
	uint32_t flags;
	if (mb_flags(req, &im, hoff, &flags, err, errlen) < 0)
		return -1;
	if (ldr_cmdline_check(req, HVBOOT_CMDLINE_MAX - 1, "the monitor's command-line area",
			      err, errlen) < 0)
		return -1;
	struct elf_loaded ld = {0, 0, 0}; /* both loaders fill it; zero makes that visible */
	if (mb_load_kernel(gm, req, &im, hoff, flags, &ld, err, errlen) < 0)
		return -1;
	/*@ assert fields: im.oob == 0; */
	return mb_boot(gm, req, &ld, req->cmdline, clen, out, err, errlen);
}
