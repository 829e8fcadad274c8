/*
 * image: puts an arm64 guest into guest RAM (the Linux arm64 boot
 * protocol, Documentation/arch/arm64/booting.rst), with the initrd and
 * the device tree, and says where to enter it.
 *
 * Owns: the Image header (its magic, text_offset, image_size, flags), the
 * recognition of what it cannot boot (a gzip'd Image, an EFI zboot image:
 * named, with what to do), ELF64/AArch64 guests (loaded at p_paddr, as
 * the arm64 machine contract says), and the placement: the kernel at the
 * RAM base + text_offset, the device tree in the last 2 MiB of RAM, the
 * initrd below it. Images are hostile: every field is checked against
 * the file and RAM, a bad one yields -1 and a message, never a crash.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"

/* Header fields (booting.rst, "Call the kernel image"). */
#define IMAGE_HDR_SIZE 64
#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */
#define IMAGE_FLAG_BE 1u
#define IMAGE_FLAG_ANYWHERE (1u << 3)
#define IMAGE_OLD_TEXT_OFFSET 0x80000u /* image_size 0: before Linux 3.17 */
#define IMAGE_ALIGN (2ull << 20)
/* The device tree's 2 MiB at the top of RAM (booting.rst: no more than
 * 2 MiB, in a 2 MiB region of its own). */
#define IMAGE_DTB_REGION (2ull << 20)

struct image_loaded {
	uint64_t entry;        /* PC at entry */
	uint64_t start, end;   /* the loaded kernel, end including its BSS */
	uint64_t dtb;          /* where the device tree goes */
	uint64_t initrd_start; /* both 0 without an initrd */
	uint64_t initrd_end;
};

/* Loads a Linux Image or an ELF64/AArch64 guest, and the initrd (NULL
 * for none). Returns 0 with *out filled, or -1 with a message naming
 * `name` and what to do. */
int image_load(const struct guestmem *gm, const uint8_t *img, size_t size, const uint8_t *initrd,
	       size_t isize, const char *name, struct image_loaded *out, char *err,
	       size_t errlen);

#endif
