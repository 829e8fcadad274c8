/*
 * elf64: loads static ELF executables, and boots our ELF64 guests.
 *
 * Owns: the PT_LOAD segment loader for little-endian x86 ET_EXEC images
 * (ELF64/EM_X86_64 for our guests, ELF32/EM_386 for multiboot kernels,
 * which multiboot.c hands to it), and load_elf64(): an ELF64 guest gets
 * the struct hvboot_info block of hvboot.h and enters in long mode.
 *
 * Field offsets are those of the System V gABI ("ELF Header", "Program
 * Header") for each class; segments load at p_paddr, since guests start
 * with paging off (multiboot) or identity-mapped (ELF64).
 */
#include "loader.h"
#include "loader_priv.h"

#include <stdio.h>
#include <string.h>

#include "hvboot.h"

/* e_ident */
#define ELF_EI_CLASS 4
#define ELF_EI_DATA 5
#define ELF_EI_VERSION 6
#define ELF_CLASS32 1
#define ELF_CLASS64 2
#define ELF_DATA2LSB 1
#define ELF_EV_CURRENT 1

#define ELF_ET_EXEC 2
#define ELF_EM_386 3
#define ELF_EM_X86_64 62
#define ELF_EM_AARCH64 183
#define ELF_PT_LOAD 1
#define ELF_PF_X 0x1

/* Real kernels have a handful of program headers; the cap keeps a hostile
 * header count from costing more than a moment. PN_XNUM (0xffff, "count
 * is elsewhere") is refused by it too. */
#define ELF_MAX_PHNUM 128

/* Where each field lives in one class: the header layouts differ only in
 * the width and so the position of the address-sized fields. */
struct elf_layout {
	const char *name;
	unsigned ehsize, phentsize, addr_size;
	uint16_t machine;
	const char *machine_name;
	unsigned e_entry, e_phoff, e_phentsize, e_phnum;
	unsigned p_type, p_flags, p_offset, p_paddr, p_filesz, p_memsz;
	uint64_t addr_limit; /* first address segments may not reach beyond */
	int low_ok;          /* may load below 1 MiB (ldr_low_ok) */
};

static const struct elf_layout elf_layout64 = {
	.name = "ELF64", .ehsize = 64, .phentsize = 56, .addr_size = 8,
	.machine = ELF_EM_X86_64, .machine_name = "x86-64 (EM_X86_64)",
	.e_entry = 24, .e_phoff = 32, .e_phentsize = 54, .e_phnum = 56,
	.p_type = 0, .p_flags = 4, .p_offset = 8, .p_paddr = 24, .p_filesz = 32,
	.p_memsz = 40,
	.addr_limit = UINT64_MAX,
};

static const struct elf_layout elf_layout32 = {
	.name = "ELF32", .ehsize = 52, .phentsize = 32, .addr_size = 4,
	.machine = ELF_EM_386, .machine_name = "i386 (EM_386)",
	.e_entry = 24, .e_phoff = 28, .e_phentsize = 42, .e_phnum = 44,
	.p_type = 0, .p_flags = 24, .p_offset = 4, .p_paddr = 12, .p_filesz = 16,
	.p_memsz = 20,
	/* A multiboot kernel runs with paging off: all of it below 4 GiB. */
	.addr_limit = 1ull << 32,
	.low_ok = 1,
};

/* The arm64 machine's ELF guests (the benchmark guest): ELF64 like ours on
 * x86, for EM_AARCH64, loaded at p_paddr into RAM from 1 GiB up. */
static const struct elf_layout elf_layout_a64 = {
	.name = "ELF64", .ehsize = 64, .phentsize = 56, .addr_size = 8,
	.machine = ELF_EM_AARCH64, .machine_name = "AArch64 (EM_AARCH64)",
	.e_entry = 24, .e_phoff = 32, .e_phentsize = 54, .e_phnum = 56,
	.p_type = 0, .p_flags = 4, .p_offset = 8, .p_paddr = 24, .p_filesz = 32,
	.p_memsz = 40,
	.addr_limit = UINT64_MAX,
};

/* A layout is one of the three above, in ACSL for the proofs of
 * tests/prove/ (README.md there): the facts of their values the parsers
 * rely on, every field inside its header. */
/*@ predicate elf_layout_ok(struct elf_layout *L) =
      \valid_read(L) && (L->addr_size == 4 || L->addr_size == 8) &&
      (L->phentsize == 32 || L->phentsize == 56) && L->ehsize <= 64 &&
      L->e_entry + L->addr_size <= L->ehsize && L->e_phoff + L->addr_size <= L->ehsize &&
      L->e_phentsize + 2 <= L->ehsize && L->e_phnum + 2 <= L->ehsize && 20 <= L->ehsize &&
      L->p_type + 4 <= L->phentsize && L->p_flags + 4 <= L->phentsize &&
      L->p_offset + L->addr_size <= L->phentsize &&
      L->p_paddr + L->addr_size <= L->phentsize &&
      L->p_filesz + L->addr_size <= L->phentsize &&
      L->p_memsz + L->addr_size <= L->phentsize;
*/

/*@ assigns \result \from is64;
    ensures elf_layout_ok(\result);
    ensures is64 == 0 ==> \result->addr_limit == 4294967296; */
static const struct elf_layout *elf_layout_of(int is64)
{
	return is64 == LDR_ELF_AARCH64 ? &elf_layout_a64 : is64 ? &elf_layout64 : &elf_layout32;
}

struct elf_seg {
	uint64_t offset, paddr, filesz, memsz;
	uint32_t flags;
};

/*@ requires ldr_img_ok(im) && elf_layout_ok(L);
    assigns im->oob;
    ensures ldr_in(im, off, L->addr_size) ==> im->oob == \old(im->oob);
    ensures !ldr_in(im, off, L->addr_size) ==> im->oob == 1;
    ensures L->addr_size == 4 ==> \result < 4294967296; */
static uint64_t elf_addr(struct ldr_img *im, const struct elf_layout *L, uint64_t off)
{
	return L->addr_size == 8 ? ldr_read_u64(im, off) : ldr_read_u32(im, off);
}

/* Whatever the image, every field read is inside it; on success the
 * whole ELF header of the class is. */
/*@ requires ldr_img_ok(im) && elf_layout_ok(L) && \valid_read(req);
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(err + (0 .. errlen - 1), im, im->data + (0 .. im->size - 1));
    assigns im->oob, err[0 .. errlen - 1];
    ensures fields: im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1;
    ensures header: \result == 0 ==> ldr_in(im, 0, L->ehsize); */
static int elf_check_ident(struct ldr_img *im, const struct load_request *req,
			   const struct elf_layout *L, char *err, size_t errlen)
{
	unsigned cls = ldr_elf_class(im);
	if (cls == 0)
		return ldr_err(req, err, errlen, "not an ELF file (no \\177ELF magic)");
	if (!ldr_has(im, 0, 16))
		return ldr_err(req, err, errlen, "truncated: %zu bytes is shorter than e_ident",
			       im->size);
	uint8_t data = ldr_read_u8(im, ELF_EI_DATA), version = ldr_read_u8(im, ELF_EI_VERSION);
	uint8_t want = L->addr_size == 8 ? ELF_CLASS64 : ELF_CLASS32;
	if (cls != want)
		return ldr_err(req, err, errlen, "the image is a %s file; an %s image is needed here",
			       cls == ELF_CLASS32 ? "32-bit ELF" :
			       cls == ELF_CLASS64 ? "64-bit ELF" : "ELF of unknown class",
			       L->name);
	if (data != ELF_DATA2LSB)
		return ldr_err(req, err, errlen, "the ELF is not little-endian (EI_DATA %u)", data);
	if (version != ELF_EV_CURRENT)
		return ldr_err(req, err, errlen, "unknown ELF version %u in e_ident", version);
	if (!ldr_has(im, 0, L->ehsize))
		return ldr_err(req, err, errlen,
			       "truncated: %zu bytes is shorter than an %s header (%u bytes)",
			       im->size, L->name, L->ehsize);
	uint16_t type = ldr_read_u16(im, 16);
	if (type != ELF_ET_EXEC)
		return ldr_err(req, err, errlen,
			       "the ELF is not a plain executable (e_type %u, ET_EXEC needed): "
			       "link it statically at a fixed address, not as PIE or a library",
			       type);
	uint16_t machine = ldr_read_u16(im, 18);
	if (machine != L->machine)
		return ldr_err(req, err, errlen, "the ELF is for machine %u, not %s", machine,
			       L->machine_name);
	return 0;
}

/* "segment i", for the messages. (The proofs take it by its contract:
 * the variadic snprintf costs them minutes, README.md in tests/prove.) */
#define ELF_WHAT_LEN 32
/*@ requires \valid(what + (0 .. ELF_WHAT_LEN - 1));
    assigns what[0 .. ELF_WHAT_LEN - 1]; */
static void elf_seg_name(char *what, unsigned i)
{
	snprintf(what, ELF_WHAT_LEN, "segment %u", i);
}

/* Reads and checks program header i; sets *is_load when it is a PT_LOAD
 * with something to load (an empty one carries nothing and is skipped). */
/*@ requires ldr_img_ok(im) && elf_layout_ok(L) && gm_ok(gm) && \valid_read(req);
    requires ldr_in(im, ph, L->phentsize);
    requires \valid(s) && \valid(is_load) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(s, is_load, im, err + (0 .. errlen - 1), gm, req, L);
    requires \separated(is_load, im, err + (0 .. errlen - 1), gm, req, L);
    requires \separated(err + (0 .. errlen - 1), im, im->data + (0 .. im->size - 1), gm, req, L);
    assigns im->oob, *s, *is_load, err[0 .. errlen - 1];
    ensures fields: im->oob == \old(im->oob);
    ensures \result == 0 || \result == -1;
    ensures load: \result == 0 && *is_load ==>
      ldr_in(im, s->offset, s->filesz) && s->filesz <= s->memsz && 0 < s->memsz &&
      s->paddr + s->memsz <= limit &&
      (gm_in_low(gm, s->paddr, s->memsz) || gm_in_high(gm, s->paddr, s->memsz)); */
static int elf_read_seg(struct ldr_img *im, const struct load_request *req,
			const struct guestmem *gm, const struct elf_layout *L, uint64_t limit,
			uint64_t ph, unsigned i, struct elf_seg *s, int *is_load, char *err,
			size_t errlen)
{
	*is_load = 0;
	if (ldr_read_u32(im, ph + L->p_type) != ELF_PT_LOAD)
		return 0;
	s->flags = ldr_read_u32(im, ph + L->p_flags);
	s->offset = elf_addr(im, L, ph + L->p_offset);
	s->paddr = elf_addr(im, L, ph + L->p_paddr);
	s->filesz = elf_addr(im, L, ph + L->p_filesz);
	s->memsz = elf_addr(im, L, ph + L->p_memsz);
	if (im->oob)
		return ldr_err(req, err, errlen, "truncated: program header %u", i);
	if (s->filesz > s->memsz)
		return ldr_err(req, err, errlen,
			       "segment %u: p_filesz 0x%llx is larger than p_memsz 0x%llx", i,
			       (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (!ldr_has(im, s->offset, s->filesz))
		return ldr_err(req, err, errlen,
			       "segment %u: file bytes [0x%llx, +0x%llx) lie beyond the end of "
			       "the %zu-byte file (truncated?)", i,
			       (unsigned long long)s->offset, (unsigned long long)s->filesz,
			       im->size);
	if (s->memsz == 0)
		return 0;
	if (s->memsz > UINT64_MAX - s->paddr || s->paddr + s->memsz > limit)
		return ldr_err(req, err, errlen,
			       "segment %u: p_paddr 0x%llx + p_memsz 0x%llx runs past %s", i,
			       (unsigned long long)s->paddr, (unsigned long long)s->memsz,
			       limit == UINT64_MAX ? "the end of the address space" : "4 GiB");
	if (L->low_ok && !ldr_low_ok(s->paddr, s->memsz)) {
		char what[ELF_WHAT_LEN];
		elf_seg_name(what, i);
		return ldr_err_low(req, what, s->paddr, s->memsz, err, errlen);
	}
	if (!L->low_ok && s->paddr < HVBOOT_KERNEL_MIN)
		return ldr_err(req, err, errlen,
			       "segment %u loads at 0x%llx: the image loads below 1 MiB, where "
			       "the monitor keeps its boot structures; relink it at 1 MiB or above",
			       i, (unsigned long long)s->paddr);
	if (!gm_ptr(gm, s->paddr, s->memsz)) {
		char what[ELF_WHAT_LEN];
		elf_seg_name(what, i);
		return ldr_err_ram(req, gm, what, s->paddr, s->memsz, err, errlen);
	}
	*is_load = 1;
	return 0;
}

int elf_load_segments(const struct guestmem *gm, const struct load_request *req,
		      int is64, struct elf_loaded *out, char *err, size_t errlen)
{
	const struct elf_layout *L = elf_layout_of(is64);
	struct ldr_img im = { req->kernel, req->kernel ? req->kernel_size : 0, 0 };
	if (elf_check_ident(&im, req, L, err, errlen) < 0)
		return -1;
	return elf_load_segments_at(gm, req, is64, elf_addr(&im, L, L->e_entry), 0, out, err,
				    errlen);
}

/* Pass 1 of elf_load_segments_at: checks each of the phnum program
 * headers at phoff (inside the image: `table`) before any is copied, so a
 * bad image leaves nothing half-loaded behind, and finds the extent
 * [*startp, *endp) of the loadable segments. On success the entry is an
 * instruction the image brings, in guest RAM. */
/*@ requires ldr_img_ok(im) && elf_layout_ok(L) && gm_ok(gm) && \valid_read(req);
    requires 0 < phnum <= ELF_MAX_PHNUM;
    requires table: ldr_in(im, phoff, phnum * L->phentsize);
    requires \valid(startp) && \valid(endp) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(startp, endp, im, err + (0 .. errlen - 1), gm, req, L);
    requires \separated(endp, im, err + (0 .. errlen - 1), gm, req, L);
    requires \separated(im, err + (0 .. errlen - 1), gm, req, L);
    requires \separated(err + (0 .. errlen - 1), im, im->data + (0 .. im->size - 1), gm, req, L);
    assigns im->oob, *startp, *endp, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures entry: \result == 0 ==> *startp <= entry < *endp && *endp <= limit &&
      (gm_in_low(gm, entry, 1) || gm_in_high(gm, entry, 1)); */
static int elf_check_segs(struct ldr_img *im, const struct load_request *req,
			  const struct guestmem *gm, const struct elf_layout *L, uint64_t limit,
			  uint64_t phoff, unsigned phnum, uint64_t entry, uint64_t *startp,
			  uint64_t *endp, char *err, size_t errlen)
{
	struct elf_seg s;
	unsigned nload = 0;
	int entry_ok = 0;
	uint64_t end = 0, start = UINT64_MAX;
	/*@ loop invariant 0 <= i <= phnum && nload <= i;
	    loop invariant none: nload == 0 ==> start == UINT64_MAX && end == 0;
	    loop invariant seen: nload > 0 ==> start < end <= limit;
	    loop invariant entry: entry_ok ==> nload > 0 && start <= entry < end &&
	      (gm_in_low(gm, entry, 1) || gm_in_high(gm, entry, 1));
	    loop assigns i, nload, entry_ok, end, start, s, im->oob, err[0 .. errlen - 1];
	    loop variant phnum - i; */
	for (unsigned i = 0; i < phnum; i++) {
		int is_load;
		/* Header i lies inside the table ldr_has checked: it ends within
		 * i + 1 <= phnum headers. The product step first, on its own and
		 * for each header size, where it is linear (as in pvh.c's
		 * elf_read_notes). */
		/*@ assert mul32: L->phentsize == 32 ==>
		      0 <= i * L->phentsize && i * L->phentsize + L->phentsize <= phnum * L->phentsize; */
		/*@ assert mul56: L->phentsize == 56 ==>
		      0 <= i * L->phentsize && i * L->phentsize + L->phentsize <= phnum * L->phentsize; */
		/*@ assert mul:
		      0 <= i * L->phentsize && i * L->phentsize + L->phentsize <= phnum * L->phentsize; */
		//@ assert header: ldr_in(im, phoff + i * L->phentsize, L->phentsize);
		if (elf_read_seg(im, req, gm, L, limit, phoff + (uint64_t)i * L->phentsize, i, &s,
				 &is_load, err, errlen) < 0)
			return -1;
		if (!is_load)
			continue;
		nload++;
		if (s.paddr + s.memsz > end)
			end = s.paddr + s.memsz;
		if (s.paddr < start)
			start = s.paddr;
		/* The entry must be an instruction the image brought: inside the
		 * file-backed part of an executable segment. */
		if ((s.flags & ELF_PF_X) && entry >= s.paddr && entry - s.paddr < s.filesz) {
			/* [entry, +1) is inside [p_paddr, +p_memsz), one RAM region. */
			//@ assert inseg: s.paddr <= entry && entry + 1 <= s.paddr + s.memsz;
			entry_ok = 1;
		}
	}
	if (nload == 0)
		return ldr_err(req, err, errlen, "the ELF has no loadable (PT_LOAD) segment");
	if (!entry_ok)
		return ldr_err(req, err, errlen,
			       "the entry point 0x%llx is not inside a loaded executable segment",
			       (unsigned long long)entry);
	*startp = start;
	*endp = end;
	return 0;
}

/* Pass 2 of elf_load_segments_at: copies each loadable segment of the
 * phnum headers at phoff (pass 1 checked them all). Guest RAM starts
 * zeroed, but segments may overlap each other, so the bss part is cleared
 * explicitly. Each copy reads only the segment's bytes of the file and
 * writes, with the clear after it, only the segment in guest RAM. */
/*@ requires ldr_img_ok(im) && elf_layout_ok(L) && gm_ok(gm) && \valid_read(req);
    requires 0 < phnum <= ELF_MAX_PHNUM;
    requires table: ldr_in(im, phoff, phnum * L->phentsize);
    requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    requires \separated(gm->host + (0 .. gm->size - 1), im, im->data + (0 .. im->size - 1),
                        err + (0 .. errlen - 1), gm, req, L);
    requires \separated(im, err + (0 .. errlen - 1), gm, req, L);
    requires \separated(err + (0 .. errlen - 1), im, im->data + (0 .. im->size - 1), gm, req, L);
    assigns im->oob, gm->host[0 .. gm->size - 1], err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
static int elf_copy_segs(struct ldr_img *im, const struct load_request *req,
			 const struct guestmem *gm, const struct elf_layout *L, uint64_t limit,
			 uint64_t phoff, unsigned phnum, char *err, size_t errlen)
{
	struct elf_seg s;
	/*@ loop invariant 0 <= i <= phnum;
	    loop assigns i, s, im->oob, gm->host[0 .. gm->size - 1], err[0 .. errlen - 1];
	    loop variant phnum - i; */
	for (unsigned i = 0; i < phnum; i++) {
		int is_load;
		/*@ assert mul32: L->phentsize == 32 ==>
		      0 <= i * L->phentsize && i * L->phentsize + L->phentsize <= phnum * L->phentsize; */
		/*@ assert mul56: L->phentsize == 56 ==>
		      0 <= i * L->phentsize && i * L->phentsize + L->phentsize <= phnum * L->phentsize; */
		/*@ assert mul:
		      0 <= i * L->phentsize && i * L->phentsize + L->phentsize <= phnum * L->phentsize; */
		//@ assert header: ldr_in(im, phoff + i * L->phentsize, L->phentsize);
		if (elf_read_seg(im, req, gm, L, limit, phoff + (uint64_t)i * L->phentsize, i, &s,
				 &is_load, err, errlen) < 0)
			return -1;
		if (!is_load)
			continue;
		uint8_t *dst = gm_ptr(gm, s.paddr, s.memsz);
		if (!dst) /* checked in pass 1 */
			return ldr_err_ram(req, gm, "a segment", s.paddr, s.memsz, err, errlen);
		/* gm_ptr's contract: dst is the host address of p_paddr, p_memsz
		 * long, inside guest RAM. */
		//@ assert file: ldr_in(im, s.offset, s.filesz);
		//@ assert ram: \valid(dst + (0 .. s.memsz - 1)) && gm_inside(gm, dst, s.memsz);
		//@ assert bss: s.filesz <= s.memsz;
		//@ assert clear: \valid(dst + s.filesz + (0 .. s.memsz - s.filesz - 1));
		if (s.filesz)
			memcpy(dst, im->data + s.offset, s.filesz);
		/* The BSS, only when there is one: without, dst + p_filesz may
		 * be one past the end of guest RAM, which memset may not be
		 * given even for 0 bytes (C11 7.24.1p2). */
		if (s.memsz > s.filesz)
			memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
	return 0;
}

int elf_load_segments_at(const struct guestmem *gm, const struct load_request *req,
			 int is64, uint64_t entry, uint64_t limit, struct elf_loaded *out,
			 char *err, size_t errlen)
{
	/* A copy of the layout, on the stack: a local the proofs see apart
	 * from the caller's message buffer and guest RAM (a pointer to the
	 * static would need it stated of every caller's pointers). */
	struct elf_layout layout;
	layout = *elf_layout_of(is64);
	const struct elf_layout *L = &layout;
	//@ assert layout: elf_layout_ok(L);
	//@ assert limit32: is64 == 0 ==> L->addr_limit == 4294967296;
	struct ldr_img im = { req->kernel, req->kernel ? req->kernel_size : 0, 0 };
	if (elf_check_ident(&im, req, L, err, errlen) < 0)
		return -1;
	if (limit == 0 || limit > L->addr_limit)
		limit = L->addr_limit;
	uint64_t phoff = elf_addr(&im, L, L->e_phoff);
	uint16_t phentsize = ldr_read_u16(&im, L->e_phentsize);
	uint16_t phnum = ldr_read_u16(&im, L->e_phnum);
	if (phentsize != L->phentsize)
		return ldr_err(req, err, errlen, "e_phentsize is %u; an %s program header is %u",
			       phentsize, L->name, L->phentsize);
	if (phnum == 0)
		return ldr_err(req, err, errlen, "the ELF has no program headers");
	if (phnum > ELF_MAX_PHNUM)
		return ldr_err(req, err, errlen, "the ELF has %u program headers; at most %u are "
			       "accepted", phnum, ELF_MAX_PHNUM);
	/* The table's size does not wrap: the product stated for each header
	 * size first, where it is linear. */
	//@ assert ps: phentsize == L->phentsize && (phentsize == 32 || phentsize == 56);
	//@ assert small32: phentsize == 32 ==> 0 <= phnum * phentsize <= ELF_MAX_PHNUM * 56;
	//@ assert small56: phentsize == 56 ==> 0 <= phnum * phentsize <= ELF_MAX_PHNUM * 56;
	//@ assert small: 0 <= phnum * phentsize <= ELF_MAX_PHNUM * 56;
	if (!ldr_has(&im, phoff, (uint64_t)phnum * phentsize))
		return ldr_err(req, err, errlen,
			       "the program headers (%u at offset 0x%llx) lie beyond the end of "
			       "the %zu-byte file (truncated?)", phnum,
			       (unsigned long long)phoff, im.size);
	//@ assert table: ldr_in(&im, phoff, phnum * L->phentsize);

	uint64_t start, end;
	if (elf_check_segs(&im, req, gm, L, limit, phoff, phnum, entry, &start, &end, err,
			   errlen) < 0)
		return -1;
	if (elf_copy_segs(&im, req, gm, L, limit, phoff, phnum, err, errlen) < 0)
		return -1;
	out->entry = entry;
	out->start = start;
	out->end = end;
	return 0;
}

/* hvboot_info.mmap lives in the HVBOOT_MMAP page. */
#define ELF_MMAP_MAX (HVBOOT_MMAP_SIZE / sizeof(struct hvboot_mmap_entry))
_Static_assert(sizeof(struct hvboot_info) <= LDR_PAGE, "hvboot_info fits its page");
_Static_assert(HVBOOT_MMAP_SIZE <= LDR_PAGE, "the memory map fits its page");
/* load_elf64 writes each of the ten fields: a new one needs its line. */
_Static_assert(sizeof(struct hvboot_info) == 64, "hvboot_info is the ten fields it writes");
/* ldr_put_e820's layout is hvboot_mmap_entry's. */
_Static_assert(offsetof(struct hvboot_mmap_entry, addr) == 0 &&
		       offsetof(struct hvboot_mmap_entry, size) == 8 &&
		       offsetof(struct hvboot_mmap_entry, type) == 16 &&
		       sizeof(struct hvboot_mmap_entry) == 24 && ELF_MMAP_MAX <= LDR_E820_MAX,
	       "hvboot_mmap_entry is ldr_put_e820's 24-byte entry");
#define INFO_AT(field) offsetof(struct hvboot_info, field)

int load_elf64(const struct guestmem *gm, const struct load_request *req,
	       struct boot_entry *out, char *err, size_t errlen)
{
	/* Our ELF64 guests have no use for a ramdisk, and silently dropping
	 * one the user asked for would hide a mistake. */
	if (req->initrd)
		return ldr_err(req, err, errlen,
			       "this is an ELF64 guest: --initrd is only for Linux bzImage and "
			       "multiboot kernels");
	int64_t cmdlen = ldr_cmdline_check(req, HVBOOT_CMDLINE_MAX - 1,
					   "the monitor's command-line area", err, errlen);
	if (cmdlen < 0)
		return -1;
	struct elf_loaded ld;
	if (elf_load_segments(gm, req, 1, &ld, err, errlen) < 0)
		return -1;
	uint64_t image_end = ldr_page_up(ld.end);
	if (image_end == 0) /* not reachable: ld.end is inside guest RAM */
		return ldr_err(req, err, errlen, "the image ends past the address space");

	uint8_t *info = ldr_boot_page(gm, req, HVBOOT_INFO, err, errlen);
	uint8_t *mmap = info ? ldr_boot_page(gm, req, HVBOOT_MMAP, err, errlen) : NULL;
	if (!mmap || ldr_cmdline_put(gm, req, err, errlen) < 0)
		return -1;
	uint32_t count = (uint32_t)ldr_put_e820(gm, mmap, ELF_MMAP_MAX,
						sizeof(struct hvboot_mmap_entry));
	/* struct hvboot_info, field by field as the map's entries (it has no
	 * padding: each field is at its natural alignment). */
	ldr_put_u64(info + INFO_AT(magic), HVBOOT_MAGIC);
	ldr_put_u32(info + INFO_AT(version), HVBOOT_VERSION);
	ldr_put_u32(info + INFO_AT(ncpus), req->ncpus);
	ldr_put_u64(info + INFO_AT(mem_size), gm->size);
	ldr_put_u64(info + INFO_AT(tsc_khz), req->tsc_khz);
	ldr_put_u64(info + INFO_AT(cmdline), HVBOOT_CMDLINE);
	ldr_put_u32(info + INFO_AT(cmdline_len), (uint32_t)cmdlen);
	ldr_put_u32(info + INFO_AT(mmap_count), count);
	ldr_put_u64(info + INFO_AT(mmap), HVBOOT_MMAP);
	ldr_put_u64(info + INFO_AT(image_end), image_end);

	out->mode = BOOT_ELF64;
	out->entry = ld.entry;
	out->info = HVBOOT_INFO;
	out->stack = HVBOOT_STACK_TOP;
	return 0;
}
