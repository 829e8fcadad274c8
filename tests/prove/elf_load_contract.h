/* The contract of elf_load_segments (elf64.c), proved by the elf64 runs of
 * prove.py (README.md, "The ELF segment loader") and assumed by the proofs
 * of its callers (multiboot_wp.c, image_wp.c). It reads only the image and
 * writes only guest RAM, *out and the message, which are apart from the
 * image and the request (ldr_kernel_apart, loader_priv.h). On
 * success the entry it reports is in guest RAM, inside [start, end), and
 * the whole image below end (for ELF32, at most 4 GiB); nothing more is
 * assumed of *out, so a caller's placement checks must hold whatever the
 * ELF says. Include it after loader.h and loader_priv.h. */
#ifndef PROVE_ELF_LOAD_CONTRACT_H
#define PROVE_ELF_LOAD_CONTRACT_H

/*@ requires gm_ok(gm) && \valid_read(req) && req->kernel_size <= PTRDIFF_MAX;
    requires \valid_read(req->kernel + (0 .. req->kernel_size - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires ldr_kernel_apart(gm, req, err, errlen);
    requires \separated(out, gm->host + (0 .. gm->size - 1), err + (0 .. errlen - 1), gm, req);
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures entry: \result == 0 ==> out->start <= out->entry < out->end &&
      (gm_in_low(gm, out->entry, 1) || gm_in_high(gm, out->entry, 1));
    ensures end: \result == 0 && is64 == 0 ==> out->end <= 4294967296; */
int elf_load_segments(const struct guestmem *gm, const struct load_request *req,
		      int is64, struct elf_loaded *out, char *err, size_t errlen);

#endif
