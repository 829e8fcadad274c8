/* image: the arm64 Linux Image, ELF64/AArch64 guests, initrd and DTB
 * placement (image.h). */
#include "image.h"

#include <stdio.h>
#include <string.h>

#include "loader.h"
#include "loader_priv.h"

/* The header fields, little-endian. Contracts and loop annotations are
 * for the proof of tests/prove (README.md there, "arm64 Image"). */
/*@ requires \valid_read(p + (0 .. 7));
    assigns \nothing; */
static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	/*@ loop invariant -1 <= i <= 7;
	    loop assigns i, v;
	    loop variant i; */
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*@ requires \valid_read(p + (0 .. 3));
    assigns \nothing; */
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#ifndef PROVE_IMAGE_ERR
#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#else
/* The proof (tests/prove/image_wp.c) takes the message by a contract on
 * the buffer alone: Frama-C's translation of the variadic snprintf takes
 * the address of every argument and the proof then takes minutes. The
 * arguments dropped have no runtime error to miss (casts, unsigned
 * arithmetic, the name). */
#define ERR(...) (PROVE_IMAGE_ERR(err, errlen), -1)
#endif

/* "zimg" at offset 4 of an EFI zboot image, as rd32 reads it. */
#define IMAGE_ZBOOT_MAGIC 0x676d697au

/* Loads a Linux Image of `size` bytes (at least its header): whatever the
 * header says, on success the kernel with the BSS image_size asks for,
 * [out->start, out->end), is guest RAM in one region, at least the file
 * long, entered at its start. */
/*@ requires gm_ok(gm) && IMAGE_HDR_SIZE <= size <= PTRDIFF_MAX;
    requires \valid_read(img + (0 .. size - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(gm->host + (0 .. gm->size - 1), img + (0 .. size - 1),
                        err + (0 .. errlen - 1), out, gm);
    requires \separated(out, err + (0 .. errlen - 1), img + (0 .. size - 1), gm);
    assigns gm->host[0 .. gm->size - 1], out->entry, out->start, out->end,
      err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures kernel: \result == 0 ==> out->entry == out->start &&
      out->start + size <= out->end &&
      (gm_in_low(gm, out->start, out->end - out->start) ||
       gm_in_high(gm, out->start, out->end - out->start)); */
static int load_linux(const struct guestmem *gm, const uint8_t *img, size_t size,
		      const char *name, struct image_loaded *out, char *err, size_t errlen)
{
	uint64_t text_offset = rd64(img + 8), image_size = rd64(img + 16), flags = rd64(img + 24);
	if (flags & IMAGE_FLAG_BE)
		return ERR("%s: a big-endian arm64 Image; this machine runs little-endian guests",
			   name);
	/* booting.rst: image_size 0 is a kernel older than 3.17, whose
	 * text_offset is 0x80000 whatever the field says. */
	if (image_size == 0) {
		text_offset = IMAGE_OLD_TEXT_OFFSET;
		image_size = size;
	}
	if (text_offset >= IMAGE_ALIGN || (text_offset & 0xfff))
		return ERR("%s: text_offset %#llx is not a page offset within 2 MiB", name,
			   (unsigned long long)text_offset);
	if (image_size < size)
		image_size = size; /* never reserve less than the file */
	/* The 2 MiB-aligned base closest to the start of RAM (booting.rst,
	 * flags bit 3 = 0), which also does for bit 3 = 1 ("anywhere"). */
	uint64_t base = (gm->base + IMAGE_ALIGN - 1) & ~(IMAGE_ALIGN - 1);
	uint64_t load = base + text_offset;
	uint8_t *dst = gm_ptr(gm, load, image_size);
	if (!dst)
		return ERR("%s: the kernel needs %llu MiB from %#llx; give the guest more --mem",
			   name, (unsigned long long)((text_offset + image_size) >> 20) + 1,
			   (unsigned long long)load);
	memcpy(dst, img, size);
	/* Only when there is a BSS: without, dst + size may be one past the
	 * end of guest RAM, which memset may not be given (C11 7.24.1p2). */
	if (image_size > size)
		memset(dst + size, 0, image_size - size);
	out->entry = load;
	out->start = load;
	out->end = load + image_size;
	return 0;
}

/*@ requires gm_ok(gm) && size <= PTRDIFF_MAX && \valid_read(img + (0 .. size - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(gm->host + (0 .. gm->size - 1), img + (0 .. size - 1),
                        err + (0 .. errlen - 1), out, gm);
    requires \separated(out, err + (0 .. errlen - 1), img + (0 .. size - 1), gm);
    assigns gm->host[0 .. gm->size - 1], out->entry, out->start, out->end,
      err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
static int load_elf(const struct guestmem *gm, const uint8_t *img, size_t size, const char *name,
		    struct image_loaded *out, char *err, size_t errlen)
{
	struct load_request req = {
		.kernel = img, .kernel_size = size, .cmdline = "", .kernel_name = name,
	};
	struct elf_loaded el;
	if (elf_load_segments(gm, &req, LDR_ELF_AARCH64, &el, err, errlen))
		return -1;
	out->entry = el.entry;
	out->start = el.start;
	out->end = el.end;
	return 0;
}

/* Places the device tree and the initrd above the kernel loaded at
 * [out->start, out->end). */
/*@ requires gm_ok(gm) && isize <= PTRDIFF_MAX;
    requires initrd == \null || \valid_read(initrd + (0 .. isize - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(gm->host + (0 .. gm->size - 1), initrd + (0 .. isize - 1),
                        err + (0 .. errlen - 1), out, gm);
    requires \separated(out, err + (0 .. errlen - 1), initrd + (0 .. isize - 1), gm);
    assigns gm->host[0 .. gm->size - 1], out->dtb, out->initrd_start, out->initrd_end,
      err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures dtb: \result == 0 ==> out->end <= out->dtb &&
      out->dtb % IMAGE_DTB_REGION == 0 && gm_in_low(gm, out->dtb, IMAGE_DTB_REGION);
    ensures initrd: \result == 0 && initrd != \null && isize != 0 ==>
      out->end <= out->initrd_start < out->initrd_end <= out->dtb &&
      gm_in_low(gm, out->initrd_start, out->initrd_end - out->initrd_start); */
static int image_place(const struct guestmem *gm, const uint8_t *initrd, size_t isize,
		       const char *name, struct image_loaded *out, char *err, size_t errlen)
{
	/* The device tree takes the last 2 MiB-aligned 2 MiB of RAM, the
	 * initrd the pages below it; neither may reach into the kernel (the
	 * kernel's end is checked against the aligned start: RAM need only
	 * be a multiple of 4 KiB). */
	uint64_t top = gm->base + gm->low_size;
	uint64_t dtb = top - IMAGE_DTB_REGION;
	dtb -= dtb % IMAGE_DTB_REGION;
	if (gm->low_size < 2 * IMAGE_DTB_REGION || out->end > dtb)
		return ERR("%s: no room for the device tree above the kernel (it ends at %#llx, "
			   "RAM at %#llx); give the guest more --mem",
			   name, (unsigned long long)out->end, (unsigned long long)top);
	out->dtb = dtb;
	if (initrd && isize) {
		uint64_t room = out->dtb - out->end;
		if (isize > room)
			return ERR("%s: the initrd (%zu bytes) does not fit between the kernel and "
				   "the device tree (%llu bytes); give the guest more --mem",
				   name, isize, (unsigned long long)room);
		uint64_t start = (out->dtb - isize) & ~0xfffull;
		if (start < out->end)
			start = out->end;
		uint8_t *dst = gm_ptr(gm, start, isize);
		if (!dst) /* not reachable: the range lies in RAM */
			return ERR("%s: the initrd does not fit in RAM", name);
		memcpy(dst, initrd, isize);
		out->initrd_start = start;
		out->initrd_end = start + isize;
	}
	return 0;
}

/* What the file is, by its magics; every byte read is inside it. */
enum image_kind { IMAGE_KIND_GZIP, IMAGE_KIND_ZBOOT, IMAGE_KIND_LINUX, IMAGE_KIND_ELF,
		  IMAGE_KIND_OTHER };

/*@ requires 0 < size <= PTRDIFF_MAX && \valid_read(img + (0 .. size - 1));
    assigns \nothing;
    ensures IMAGE_KIND_GZIP <= \result <= IMAGE_KIND_OTHER;
    ensures header: \result == IMAGE_KIND_LINUX ==> size >= IMAGE_HDR_SIZE; */
static enum image_kind image_kind(const uint8_t *img, size_t size)
{
	if (size >= 2 && img[0] == 0x1f && img[1] == 0x8b)
		return IMAGE_KIND_GZIP;
	/* EFI zboot (Linux 6.1+, CONFIG_EFI_ZBOOT): a PE file with "zimg" at
	 * offset 4, a compressed Image inside that only EFI unpacks. */
	if (size >= 8 && img[0] == 'M' && img[1] == 'Z' && rd32(img + 4) == IMAGE_ZBOOT_MAGIC)
		return IMAGE_KIND_ZBOOT;
	if (size >= IMAGE_HDR_SIZE && rd32(img + 56) == IMAGE_MAGIC)
		return IMAGE_KIND_LINUX;
	if (size >= 4 && rd32(img) == LDR_ELF_MAGIC)
		return IMAGE_KIND_ELF;
	return IMAGE_KIND_OTHER;
}

int image_load(const struct guestmem *gm, const uint8_t *img, size_t size, const uint8_t *initrd,
	       size_t isize, const char *name, struct image_loaded *out, char *err,
	       size_t errlen)
{
	*out = (struct image_loaded){0};
	if (!img || size == 0)
		return ERR("%s: the kernel image is empty", name);
	enum image_kind kind = image_kind(img, size);
	if (kind == IMAGE_KIND_GZIP)
		return ERR("%s: a gzip-compressed file; boot the Image inside it (gunzip it "
			   "first: Debian 12's arm64 vmlinuz is an uncompressed Image)",
			   name);
	if (kind == IMAGE_KIND_ZBOOT)
		return ERR("%s: an EFI zboot image (a compressed Image for EFI firmware); this "
			   "monitor has no EFI: boot the Image itself (Debian 12's arm64 kernel "
			   "package ships one)",
			   name);
	int r;
	if (kind == IMAGE_KIND_LINUX)
		r = load_linux(gm, img, size, name, out, err, errlen);
	else if (kind == IMAGE_KIND_ELF)
		r = load_elf(gm, img, size, name, out, err, errlen);
	else
		return ERR("%s: not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 56) nor "
			   "an ELF64 AArch64 executable",
			   name);
	if (r)
		return r;
	return image_place(gm, initrd, isize, name, out, err, errlen);
}
