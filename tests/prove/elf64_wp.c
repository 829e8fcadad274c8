/*
 * The ELF segment loader, proved with WP (tests/prove/README.md, "The ELF
 * segment loader"): the contracts of elf64.c's entry points, given on
 * their prototypes and merged by Frama-C with the definitions in
 * src/vmm/boot/elf64.c: elf_load_segments's in elf_load_contract.h (the
 * one its callers' proofs assume), elf_load_segments_at's and
 * load_elf64's here. The static helpers carry theirs in elf64.c.
 *
 * The image is arbitrary: `kernel_size` bytes that are readable, of any
 * value, at most PTRDIFF_MAX of them (every C object's bound).
 */
#include "loader.h"
#include "loader_priv.h"

#include "elf_load_contract.h"

/* elf_load_segments_at: as elf_load_segments, with the entry the caller
 * gives, which it reports as is, and every segment at or below `limit`
 * when it is not 0. Whatever the image, each program header it reads is
 * inside the image's table, each copy reads only the file's bytes of its
 * segment and writes only the segment in guest RAM (the assertions of its
 * body), and on success the entry is in a loaded executable segment: in
 * guest RAM, inside [start, end). */
/*@ requires gm_ok(gm) && \valid_read(req) && req->kernel_size <= PTRDIFF_MAX;
    requires req->kernel == \null || \valid_read(req->kernel + (0 .. req->kernel_size - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires ldr_kernel_apart(gm, req, err, errlen);
    requires \separated(out, gm->host + (0 .. gm->size - 1), err + (0 .. errlen - 1), gm, req);
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures entry: \result == 0 ==> out->entry == entry &&
      out->start <= out->entry < out->end &&
      (gm_in_low(gm, out->entry, 1) || gm_in_high(gm, out->entry, 1));
    ensures limit: \result == 0 && limit != 0 ==> out->end <= limit;
    ensures end: \result == 0 && is64 == 0 ==> out->end <= 4294967296; */
int elf_load_segments_at(const struct guestmem *gm, const struct load_request *req,
			 int is64, uint64_t entry, uint64_t limit, struct elf_loaded *out,
			 char *err, size_t errlen);

/* load_elf64: whatever the image holds, it reads only inside it, writes
 * only guest RAM, *out and the message, and on success enters an ELF64
 * guest at an entry in guest RAM (elf_load_segments's `entry`). */
/*@ requires gm_ok(gm) && \valid_read(req) && req->kernel_size <= PTRDIFF_MAX;
    requires \valid_read(req->kernel + (0 .. req->kernel_size - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires ldr_kernel_apart(gm, req, err, errlen);
    requires \separated(out, gm->host + (0 .. gm->size - 1), err + (0 .. errlen - 1), gm, req);
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures entry: \result == 0 ==> out->mode == BOOT_ELF64 &&
      (gm_in_low(gm, out->entry, 1) || gm_in_high(gm, out->entry, 1)); */
int load_elf64(const struct guestmem *gm, const struct load_request *req,
	       struct boot_entry *out, char *err, size_t errlen);
