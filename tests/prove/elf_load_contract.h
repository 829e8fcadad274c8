/* The contract assumed of elf_load_segments (elf64.c) by the proofs of its
 * callers (multiboot_wp.c, image_wp.c): it is not proved itself yet
 * (README.md, "Not yet proved"). It reads only the image and writes only
 * guest RAM, *out and the message; nothing is assumed of *out's values, so
 * a caller's placement checks must hold whatever the ELF says. Include it
 * after loader.h and loader_priv.h. */
#ifndef PROVE_ELF_LOAD_CONTRACT_H
#define PROVE_ELF_LOAD_CONTRACT_H

/*@ requires gm_ok(gm) && \valid_read(req) && req->kernel_size <= PTRDIFF_MAX;
    requires \valid_read(req->kernel + (0 .. req->kernel_size - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
int elf_load_segments(const struct guestmem *gm, const struct load_request *req,
		      int is64, struct elf_loaded *out, char *err, size_t errlen);

#endif
