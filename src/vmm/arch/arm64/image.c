/* image: the arm64 Linux Image, ELF64/AArch64 guests, initrd and DTB
 * placement (image.h). */
#include "image.h"

#include <stdio.h>
#include <string.h>

#include "loader.h"
#include "loader_priv.h"

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

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
	memset(dst + size, 0, image_size - size);
	out->entry = load;
	out->start = load;
	out->end = load + image_size;
	return 0;
}

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

int image_load(const struct guestmem *gm, const uint8_t *img, size_t size, const uint8_t *initrd,
	       size_t isize, const char *name, struct image_loaded *out, char *err,
	       size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!img || size == 0)
		return ERR("%s: the kernel image is empty", name);
	if (size >= 2 && img[0] == 0x1f && img[1] == 0x8b)
		return ERR("%s: a gzip-compressed file; boot the Image inside it (gunzip it "
			   "first: Debian 12's arm64 vmlinuz is an uncompressed Image)",
			   name);
	/* EFI zboot (Linux 6.1+, CONFIG_EFI_ZBOOT): a PE file with "zimg" at
	 * offset 4, a compressed Image inside that only EFI unpacks. */
	if (size >= 8 && img[0] == 'M' && img[1] == 'Z' && memcmp(img + 4, "zimg", 4) == 0)
		return ERR("%s: an EFI zboot image (a compressed Image for EFI firmware); this "
			   "monitor has no EFI: boot the Image itself (Debian 12's arm64 kernel "
			   "package ships one)",
			   name);
	int r;
	if (size >= IMAGE_HDR_SIZE && rd32(img + 56) == IMAGE_MAGIC)
		r = load_linux(gm, img, size, name, out, err, errlen);
	else if (size >= 4 && rd32(img) == LDR_ELF_MAGIC)
		r = load_elf(gm, img, size, name, out, err, errlen);
	else
		return ERR("%s: not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 56) nor "
			   "an ELF64 AArch64 executable",
			   name);
	if (r)
		return r;

	/* The device tree takes the last 2 MiB of RAM, the initrd the pages
	 * below it; neither may reach into the kernel. */
	uint64_t top = gm->base + gm->low_size;
	if (gm->low_size < 2 * IMAGE_DTB_REGION || out->end > top - IMAGE_DTB_REGION)
		return ERR("%s: no room for the device tree above the kernel (it ends at %#llx, "
			   "RAM at %#llx); give the guest more --mem",
			   name, (unsigned long long)out->end, (unsigned long long)top);
	out->dtb = (top - IMAGE_DTB_REGION) & ~(IMAGE_DTB_REGION - 1);
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
