/*
 * loader_priv: what the image loaders (loader.c, bzimage.c, elf64.c,
 * multiboot.c) share with each other and with nobody else.
 *
 * Owns: the bounds-checked readers every image field goes through, the
 * little-endian writers for boot blocks, the message helpers, and the two
 * pieces one format borrows from another (the ELF segment loader that
 * multiboot uses for ELF32 kernels, the multiboot header search that
 * load_kernel uses to recognise the format).
 */
#ifndef LOADER_PRIV_H
#define LOADER_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"
#include "loader.h"

#define LDR_PAGE 0x1000ull
#define LDR_MIB (1ull << 20)

/*
 * A kernel image being parsed. Readers never look outside [0, size): a read
 * that would returns 0 and sets `oob`, so a caller that forgot a range
 * check still cannot read past the file, and can tell the image was short.
 */
struct ldr_img {
	const uint8_t *data;
	size_t size;
	int oob;
};

/* The image in ACSL, for the proofs of tests/prove/ (README.md there):
 * ldr_img_ok holds of an image whose `size` bytes are readable, whatever
 * they are and however many (the one bound, PTRDIFF_MAX, holds of every C
 * object: malloc refuses a larger one), ldr_in of a range inside it. */
/*@ predicate ldr_img_ok(struct ldr_img *im) =
      \valid(im) && im->size <= PTRDIFF_MAX &&
      \valid_read(im->data + (0 .. im->size - 1));

    predicate ldr_in(struct ldr_img *im, integer off, integer len) =
      0 <= off && 0 <= len && off + len <= im->size;
*/

/* What a loader that reads req->kernel asks of its objects: guest RAM, the
 * kernel image, the message, the guestmem and the request are apart (the
 * image is malloc'd by load_file, guest RAM is an mmap, the rest the
 * caller's). The copies need it, and without it a copy into RAM could
 * change the image or the request being read. Each contract adds its own
 * result structure to it. */
/*@ predicate ldr_kernel_apart(struct guestmem *gm, struct load_request *req, char *err,
                               integer errlen) =
      \separated(gm->host + (0 .. gm->size - 1), req->kernel + (0 .. req->kernel_size - 1),
                  err + (0 .. errlen - 1), gm, req) &&
      \separated(err + (0 .. errlen - 1), req->kernel + (0 .. req->kernel_size - 1), gm, req);
*/

/* True when [off, off + len) lies inside the image; never overflows. */
/*@ requires \valid_read(im);
    assigns \nothing;
    ensures \result != 0 <==> ldr_in((struct ldr_img *)im, off, len); */
static inline int ldr_has(const struct ldr_img *im, uint64_t off, uint64_t len)
{
	return off <= im->size && len <= im->size - off;
}

/*@ requires ldr_img_ok(im) && n <= 8;
    assigns im->oob;
    ensures inside: ldr_in(im, off, n) ==> im->oob == \old(im->oob);
    ensures outside: !ldr_in(im, off, n) ==> im->oob == 1 && \result == 0; */
static inline uint64_t ldr_read_le(struct ldr_img *im, uint64_t off, unsigned n)
{
	uint64_t v = 0;
	if (!ldr_has(im, off, n)) {
		im->oob = 1;
		return 0;
	}
	/*@ loop invariant 0 <= i <= n;
	    loop assigns i, v;
	    loop variant n - i; */
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)im->data[off + i] << (8 * i);
	return v;
}

/*@ requires ldr_img_ok(im);
    assigns im->oob;
    ensures inside: ldr_in(im, off, 1) ==> im->oob == \old(im->oob);
    ensures outside: !ldr_in(im, off, 1) ==> im->oob == 1 && \result == 0; */
static inline uint8_t ldr_read_u8(struct ldr_img *im, uint64_t off)
{
	return (uint8_t)ldr_read_le(im, off, 1);
}

/*@ requires ldr_img_ok(im);
    assigns im->oob;
    ensures inside: ldr_in(im, off, 2) ==> im->oob == \old(im->oob);
    ensures outside: !ldr_in(im, off, 2) ==> im->oob == 1 && \result == 0; */
static inline uint16_t ldr_read_u16(struct ldr_img *im, uint64_t off)
{
	return (uint16_t)ldr_read_le(im, off, 2);
}

/*@ requires ldr_img_ok(im);
    assigns im->oob;
    ensures inside: ldr_in(im, off, 4) ==> im->oob == \old(im->oob);
    ensures outside: !ldr_in(im, off, 4) ==> im->oob == 1 && \result == 0; */
static inline uint32_t ldr_read_u32(struct ldr_img *im, uint64_t off)
{
	return (uint32_t)ldr_read_le(im, off, 4);
}

/*@ requires ldr_img_ok(im);
    assigns im->oob;
    ensures inside: ldr_in(im, off, 8) ==> im->oob == \old(im->oob);
    ensures outside: !ldr_in(im, off, 8) ==> im->oob == 1 && \result == 0; */
static inline uint64_t ldr_read_u64(struct ldr_img *im, uint64_t off)
{
	return ldr_read_le(im, off, 8);
}

/* Magics as ldr_read_u32 sees them (little-endian). */
#define LDR_HDRS_MAGIC 0x53726448u /* "HdrS": Linux setup header, at 0x202 */
#define LDR_ELF_MAGIC 0x464c457fu  /* "\177ELF": e_ident[EI_MAG0..3] */
#define LDR_SETUP_HEADER_OFF 0x202

/* e_ident[EI_CLASS] (1 = ELFCLASS32, 2 = ELFCLASS64) of an ELF image, or 0
 * when the image does not start with the ELF magic. */
/*@ requires ldr_img_ok(im);
    assigns im->oob;
    ensures im->oob == \old(im->oob);
    ensures \result != 0 ==> im->size >= 5 && \result <= 255; */
static inline unsigned ldr_elf_class(struct ldr_img *im)
{
	if (!ldr_has(im, 0, 5) || ldr_read_u32(im, 0) != LDR_ELF_MAGIC)
		return 0;
	return ldr_read_u8(im, 4);
}

/* Writers for boot blocks the guest reads (all little-endian x86 layouts). */
/*@ requires n <= 8 && \valid(p + (0 .. n - 1));
    assigns p[0 .. n - 1] \from v; */
static inline void ldr_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	/*@ loop invariant 0 <= i <= n;
	    loop assigns i, p[0 .. n - 1];
	    loop variant n - i; */
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*@ requires \valid(p + (0 .. 1));
    assigns p[0 .. 1] \from v; */
static inline void ldr_put_u16(uint8_t *p, uint16_t v)
{
	ldr_put_le(p, v, 2);
}

/*@ requires \valid(p + (0 .. 3));
    assigns p[0 .. 3] \from v; */
static inline void ldr_put_u32(uint8_t *p, uint32_t v)
{
	ldr_put_le(p, v, 4);
}

/*@ requires \valid(p + (0 .. 7));
    assigns p[0 .. 7] \from v; */
static inline void ldr_put_u64(uint8_t *p, uint64_t v)
{
	ldr_put_le(p, v, 8);
}

/* The guest's memory map (gm_e820) written as the boot protocols lay it
 * out: at most `max` entries from `p`, each `stride` bytes apart, with the
 * 64-bit address at 0, the 64-bit size at 8 and the 32-bit type at 16 (the
 * Linux zero page's packed 20-byte entries; hvboot.h's 24, with a pad the
 * caller's zeroed page leaves 0). Returns the count written. */
#define LDR_E820_MAX 256
/*@ requires \valid_read(gm) && (stride == 20 || stride == 24) && max <= LDR_E820_MAX;
    requires \valid(p + (0 .. max * stride - 1));
    assigns p[0 .. max * stride - 1];
    ensures \result <= max; */
static inline size_t ldr_put_e820(const struct guestmem *gm, uint8_t *p, size_t max,
				  size_t stride)
{
	struct e820_entry map[LDR_E820_MAX];
	size_t n = gm_e820(gm, map, max);
	/*@ loop invariant 0 <= i <= n <= max;
	    loop assigns i, p[0 .. max * stride - 1];
	    loop variant n - i; */
	for (size_t i = 0; i < n; i++) {
		//@ assert room: (i + 1) * stride <= max * stride;
		uint8_t *e = p + i * stride;
		ldr_put_u64(e, map[i].addr);
		ldr_put_u64(e + 8, map[i].size);
		ldr_put_u32(e + 16, map[i].type);
	}
	return n;
}

/* Rounds up to a page; returns 0 when that would wrap (callers have already
 * bounded x by guest RAM, so 0 only ever means "does not fit"). */
/*@ assigns \nothing;
    ensures \result == 0 <==> x == 0 || x > 18446744073709551615 - (LDR_PAGE - 1);
    ensures \result != 0 ==> x <= \result < x + LDR_PAGE; */
static inline uint64_t ldr_page_up(uint64_t x)
{
	if (x > UINT64_MAX - (LDR_PAGE - 1))
		return 0;
	/* A division, not a mask, so that the proofs' integer arithmetic
	 * sees it (the compiler makes the same code of both). */
	return (x + (LDR_PAGE - 1)) / LDR_PAGE * LDR_PAGE;
}

/* Writes "KERNEL_NAME: message" (or just the message when the request has
 * no name) into err. Always returns -1 so callers can `return ldr_err(...)`. */
int ldr_err(const struct load_request *req, char *err, size_t errlen,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The -1 spelled out where the caller sees it (here and for ldr_err_ram
 * below), so that the analysers of `make lint`, which look at one file at a
 * time, know that `return ldr_err(...)` fails and leaves the outputs
 * unwritten. */
#ifndef PROVE_LDR_ERR
#define ldr_err(...) (ldr_err(__VA_ARGS__), -1)
#else
/* The proofs of tests/prove (README.md there) that define PROVE_LDR_ERR
 * call it with the first three arguments only: Frama-C's translation of a
 * variadic call takes the address of each argument, and the memory model
 * then takes minutes over every message. The arguments dropped are casts
 * and unsigned differences, which have no runtime error to miss. */
#define ldr_err(req, err, errlen, ...) (PROVE_LDR_ERR(req, err, errlen), -1)
#endif

/* The message for a range of the image that is not guest RAM: says how
 * much RAM would hold it and suggests --mem, or that it sits in the MMIO
 * hole where no amount of RAM helps. Returns -1. */
int ldr_err_ram(const struct load_request *req, const struct guestmem *gm,
		const char *what, uint64_t gpa, uint64_t len, char *err, size_t errlen);
#define ldr_err_ram(...) (ldr_err_ram(__VA_ARGS__), -1)

/* Checks the command line against `max` bytes (without the NUL; `limit_why`
 * names where the limit comes from) and against HVBOOT_CMDLINE_MAX. Returns
 * its length, or -1 with a message. Writes nothing. */
int64_t ldr_cmdline_check(const struct load_request *req, uint64_t max,
			  const char *limit_why, char *err, size_t errlen);

/* Copies the (already checked) command line, NUL-terminated, to
 * HVBOOT_CMDLINE. Returns 0, or -1 when guest RAM cannot hold it. */
int ldr_cmdline_put(const struct guestmem *gm, const struct load_request *req,
		    char *err, size_t errlen);

/* Zeroes a boot-structure page in low memory and returns it, or NULL with a
 * message when the guest is too small to have it. */
uint8_t *ldr_boot_page(const struct guestmem *gm, const struct load_request *req,
		       uint64_t gpa, char *err, size_t errlen);

/* What elf_load_segments found: the entry point and the first byte above
 * the highest segment (p_paddr + p_memsz), not page aligned. */
struct elf_loaded {
	uint64_t entry;
	uint64_t start; /* lowest p_paddr */
	uint64_t end;
};

/* Where a multiboot image may load below 1 MiB, as QEMU's -kernel lets it:
 * not in the first page (the real-mode interrupt table and BIOS data
 * area), and not in [GM_EBDA_START, 1 MiB), the EBDA and BIOS area, which
 * the E820 map reserves and where the monitor keeps the ACPI tables and
 * the reset vector. The monitor's own boot structures move out of the way
 * (multiboot.c). Returns 1 when [gpa, gpa + len) avoids both; len > 0. */
#define LDR_LOW_MIN LDR_PAGE
/*@ assigns \nothing;
    ensures \result != 0 <==> LDR_LOW_MIN <= gpa && gpa + len < 18446744073709551616 &&
      (gpa + len <= GM_EBDA_START || gpa >= GM_BIOS_END); */
static inline int ldr_low_ok(uint64_t gpa, uint64_t len)
{
	if (gpa < LDR_LOW_MIN)
		return 0;
	return len <= UINT64_MAX - gpa && (gpa + len <= GM_EBDA_START || gpa >= GM_BIOS_END);
}

/* The message for a multiboot range that ldr_low_ok refuses. Returns -1. */
int ldr_err_low(const struct load_request *req, const char *what, uint64_t gpa, uint64_t len,
		char *err, size_t errlen);

/* Checks and loads the PT_LOAD segments of an ET_EXEC little-endian x86
 * ELF at their physical addresses: ELF64/EM_X86_64 when is64, else
 * ELF32/EM_386 with every segment below 4 GiB; is64 = LDR_ELF_AARCH64
 * takes ELF64/EM_AARCH64 instead (the arm64 machine's guests). Every segment is validated
 * before any byte is copied. Returns 0, or -1 with a message. */
#define LDR_ELF_AARCH64 2
int elf_load_segments(const struct guestmem *gm, const struct load_request *req,
		      int is64, struct elf_loaded *out, char *err, size_t errlen);

/* The same with the entry point that must lie in an executable segment
 * given by the caller instead of e_entry (a PVH kernel's is in a note),
 * and every segment required to end at or below `limit` (0: the class's
 * own limit). out->entry is that entry. */
int elf_load_segments_at(const struct guestmem *gm, const struct load_request *req,
			 int is64, uint64_t entry, uint64_t limit, struct elf_loaded *out,
			 char *err, size_t errlen);

/* Looks for a multiboot v1 header (magic, checksum) at a 4-byte-aligned
 * offset in the first 8192 bytes. Returns 1 and sets *off for the first
 * valid one; else 0, with *bad_off the offset of the first magic whose
 * checksum is wrong, or -1 when there is none. */
int mb_find_header(const struct ldr_img *im, uint64_t *off, int64_t *bad_off);

#endif
