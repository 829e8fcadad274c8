/*
 * x86load: which x86 boot format an image is (loader.h, load_kernel),
 * and the --boot choice between an ELF's entries.
 */
#include "loader.h"
#include "loader_priv.h"

#include <string.h>

/* The formats, in the order they are tried (see load_kernel). */
#define LDR_ACCEPTED "a Linux bzImage (x86 boot protocol 2.12 or later, 64-bit), " \
	"a multiboot v1 kernel, a PVH kernel (an ELF with the PVH entry note, such as " \
	"Linux's vmlinux), or an ELF64 x86-64 executable"

/* --boot pvh / --boot hvboot: the entry asked for, or why the image has
 * none. */
static int load_forced(const struct guestmem *gm, const struct load_request *req,
		       struct ldr_img *im, const struct elf_notes *notes, struct boot_entry *out,
		       char *err, size_t errlen)
{
	unsigned cls = ldr_elf_class(im);
	int bz = ldr_has(im, LDR_SETUP_HEADER_OFF, 4) &&
		 ldr_read_u32(im, LDR_SETUP_HEADER_OFF) == LDR_HDRS_MAGIC;
	if (req->boot == BOOT_FORCE_PVH) {
		if (notes->pvh)
			return load_pvh(gm, req, out, err, errlen);
		return ldr_err(req, err, errlen,
			       "--boot pvh: %s has no PVH entry note (ELF note \"Xen\", type 18)%s",
			       bz ? "this Linux bzImage" : cls ? "this ELF" : "this file",
			       bz ? "; boot Linux's uncompressed vmlinux through PVH, or this "
				    "bzImage without --boot" : "");
	}
	if (cls == 2)
		return load_elf64(gm, req, out, err, errlen);
	return ldr_err(req, err, errlen,
		       "--boot hvboot: only an ELF64 x86-64 executable has that entry (README, "
		       "\"Guest entry state\"); this is %s",
		       bz ? "a Linux bzImage" : cls ? "a 32-bit ELF" : "not an ELF file");
}

int load_kernel(const struct guestmem *gm, const struct load_request *req,
		struct boot_entry *out, char *err, size_t errlen)
{
	struct ldr_img im = { req->kernel, req->kernel_size, 0 };
	memset(out, 0, sizeof(*out));
	if (!req->kernel || req->kernel_size == 0)
		return ldr_err(req, err, errlen, "the kernel image is empty; expected %s",
			       LDR_ACCEPTED);

	/* Every ELF's notes are read first: a malformed one is refused
	 * whichever entry would have been taken. */
	struct elf_notes notes;
	char why[256];
	if (elf_read_notes(req->kernel, req->kernel_size, &notes, why, sizeof(why)) < 0)
		return ldr_err(req, err, errlen, "%s", why);
	if (req->boot != BOOT_AUTO)
		return load_forced(gm, req, &im, &notes, out, err, errlen);

	/* bzImage first: its setup header magic "HdrS" at 0x202 (boot.rst,
	 * "header") is unambiguous, and a bzImage can carry other magics in
	 * its payload. */
	if (ldr_has(&im, LDR_SETUP_HEADER_OFF, 4) &&
	    ldr_read_u32(&im, LDR_SETUP_HEADER_OFF) == LDR_HDRS_MAGIC)
		return load_bzimage(gm, req, out, err, errlen);

	/* Multiboot before ELF64: a kernel that carries a multiboot header
	 * asks to be booted that way, whatever container it is in (QEMU
	 * decides in the same order). */
	uint64_t mb_off;
	int64_t mb_bad;
	if (mb_find_header(&im, &mb_off, &mb_bad))
		return load_multiboot(gm, req, out, err, errlen);

	/* A PVH kernel through PVH, unless it is one of ours that also
	 * understands the ELF64 entry, which spares it the mode switch. */
	unsigned cls = ldr_elf_class(&im);
	if (notes.pvh && !(notes.hvboot && cls == 2))
		return load_pvh(gm, req, out, err, errlen);
	if (cls == 2) /* ELFCLASS64 */
		return load_elf64(gm, req, out, err, errlen);
	if (cls == 1) /* ELFCLASS32 */
		return ldr_err(req, err, errlen,
			       "a 32-bit ELF without a multiboot header or a PVH note cannot be "
			       "booted; expected %s", LDR_ACCEPTED);
	if (mb_bad >= 0)
		return ldr_err(req, err, errlen,
			       "not a bootable image: there is a multiboot magic at offset 0x%llx "
			       "but its checksum is wrong; expected %s",
			       (unsigned long long)mb_bad, LDR_ACCEPTED);
	return ldr_err(req, err, errlen, "not a kernel image this monitor can boot; expected %s",
		       LDR_ACCEPTED);
}
