/*
 * The multiboot loader, proved with WP (tests/prove/README.md, "The
 * multiboot loader"): what load_multiboot calls that is not proved in its
 * run, taken as an assumption. load_multiboot's own contract is in
 * loader_wp.c beside load_bzimage's, with the predicates they share.
 */
#include "loader.h"
#include "loader_priv.h"

/* elf_load_segments (elf64.c), not proved here: it reads only the image,
 * writes only guest RAM, *out and the message. Nothing is assumed of
 * *out's values: load_multiboot's placement checks hold whatever the ELF
 * says. */
/*@ requires gm_ok(gm) && \valid_read(req) && req->kernel_size <= PTRDIFF_MAX;
    requires \valid_read(req->kernel + (0 .. req->kernel_size - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
int elf_load_segments(const struct guestmem *gm, const struct load_request *req,
		      int is64, struct elf_loaded *out, char *err, size_t errlen);
