/*
 * The loaders' header parsing, proved with WP (tests/prove/README.md).
 *
 * Here: the contracts of what the format loaders call in loader.c and
 * guestmem.c (message formatting, the command line, the boot pages, the
 * E820 map), taken as assumptions (README.md lists them), and the
 * contracts of the entry points proved, given on their prototypes and
 * merged by Frama-C with their definitions. The static helpers of each
 * loader carry their contracts in its own source; the image readers of
 * loader_priv.h carry theirs there.
 *
 * The image is arbitrary: `kernel_size` bytes that are readable, of any
 * value (nothing in a contract says anything about them), at most
 * PTRDIFF_MAX of them (every C object's bound).
 */
#include "loader.h"

#include "hvboot.h"

#include <string.h>

/* The helpers' prototypes as loader_priv.h has them, declared here rather
 * than by including it, so that its static inline readers are not a
 * second time in this unit (they are proved in the sources that use them). */
#define LDR_PAGE 0x1000ull
#define LDR_MIB (1ull << 20)

/*@ predicate err_ok(char *err, integer errlen) =
      errlen == 0 || \valid(err + (0 .. errlen - 1));

    predicate req_ok(struct load_request *req) =
      \valid_read(req) && req->kernel_size <= PTRDIFF_MAX &&
      (req->kernel == \null || \valid_read(req->kernel + (0 .. req->kernel_size - 1))) &&
      (req->initrd == \null || \valid_read(req->initrd + (0 .. req->initrd_size - 1)));

    // Guest RAM, the image, the initrd, the message buffer and the
    // monitor's own structures are distinct objects (the image and the
    // initrd are malloc'd by load_file, guest RAM is an mmap).
    predicate ldr_separated(struct guestmem *gm, struct load_request *req, char *err,
                            integer errlen) =
      \separated(gm->host + (0 .. gm->size - 1), req->kernel + (0 .. req->kernel_size - 1),
                 req->initrd + (0 .. req->initrd_size - 1), err + (0 .. errlen - 1), gm, req) &&
      \separated(err + (0 .. errlen - 1), req->kernel + (0 .. req->kernel_size - 1),
                 req->initrd + (0 .. req->initrd_size - 1), gm, req);
*/

/*@ requires err_ok(err, errlen);
    assigns err[0 .. errlen - 1];
    ensures \result == -1; */
int (ldr_err)(const struct load_request *req, char *err, size_t errlen,
	      const char *fmt, ...);

/* What ldr_err becomes in the runs that define PROVE_LDR_ERR as this
 * (loader_priv.h): the same contract, without the message's arguments. */
/*@ requires err_ok(err, errlen);
    assigns err[0 .. errlen - 1];
    ensures \result == -1; */
int prove_ldr_err(const struct load_request *req, char *err, size_t errlen);

/*@ requires err_ok(err, errlen);
    assigns err[0 .. errlen - 1];
    ensures \result == -1; */
int (ldr_err_ram)(const struct load_request *req, const struct guestmem *gm,
		  const char *what, uint64_t gpa, uint64_t len, char *err, size_t errlen);

/*@ requires err_ok(err, errlen);
    assigns err[0 .. errlen - 1];
    ensures \result == -1; */
int ldr_err_low(const struct load_request *req, const char *what, uint64_t gpa, uint64_t len,
		char *err, size_t errlen);

/*@ requires \valid_read(req) && err_ok(err, errlen);
    assigns err[0 .. errlen - 1];
    ensures -1 <= \result < HVBOOT_CMDLINE_MAX; */
int64_t ldr_cmdline_check(const struct load_request *req, uint64_t max,
			  const char *limit_why, char *err, size_t errlen);

/*@ requires gm_ok(gm) && \valid_read(req) && err_ok(err, errlen);
    assigns gm->host[0 .. gm->size - 1], err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
int ldr_cmdline_put(const struct guestmem *gm, const struct load_request *req,
		    char *err, size_t errlen);

/*@ requires gm_ok(gm) && err_ok(err, errlen);
    assigns gm->host[0 .. gm->size - 1], err[0 .. errlen - 1];
    ensures \result == \null ||
      (\valid(\result + (0 .. LDR_PAGE - 1)) && gm_inside(gm, \result, LDR_PAGE)); */
uint8_t *ldr_boot_page(const struct guestmem *gm, const struct load_request *req,
		       uint64_t gpa, char *err, size_t errlen);

/*@ requires \valid_read(gm) && \valid(out + (0 .. max - 1));
    assigns out[0 .. max - 1];
    ensures \result <= max; */
size_t gm_e820(const struct guestmem *gm, struct e820_entry *out, size_t max);

/* load_bzimage (bzimage.c): whatever the image holds, every byte it reads
 * is inside the image, every byte it writes is inside guest RAM, and it
 * writes nothing else but *out and the message. */
/*@ requires gm_ok(gm) && req_ok(req) && \valid(out) && err_ok(err, errlen);
    requires ldr_separated(gm, req, err, errlen);
    requires \separated(out, gm->host + (0 .. gm->size - 1), err + (0 .. errlen - 1), gm, req);
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
int load_bzimage(const struct guestmem *gm, const struct load_request *req,
		 struct boot_entry *out, char *err, size_t errlen);

/* load_multiboot (multiboot.c): whatever the image holds, every byte it
 * reads is inside the image (through the readers and mb_load_aout) or the
 * initrd, every byte it writes is inside guest RAM, it writes nothing
 * else but *out and the message; on success the information structure is
 * where the boot block always is, or, for a kernel below 1 MiB, at 1 MiB
 * or above with its two pages and the command line below 4 GiB and the
 * boot GDT in the second page. The placement of the module and the block
 * against the kernel is in the assertions of mb_boot's body (multiboot.c). */
/*@ requires gm_ok(gm) && req_ok(req) && req->initrd_size <= PTRDIFF_MAX;
    requires \valid(out) && err_ok(err, errlen);
    requires req->cmdline == \null || valid_read_string(req->cmdline);
    requires ldr_separated(gm, req, err, errlen);
    requires \separated(out, gm->host + (0 .. gm->size - 1), err + (0 .. errlen - 1), gm, req);
    requires req->cmdline != \null ==>
      \separated(gm->host + (0 .. gm->size - 1), req->cmdline + (0 .. strlen(req->cmdline)));
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures info: \result == 0 ==> out->mode == BOOT_MULTIBOOT32 &&
      ((out->info == HVBOOT_INFO && out->gdt == 0) ||
       (LDR_MIB <= out->info && out->info + 2 * LDR_PAGE < 4294967296 &&
        out->gdt == out->info + LDR_PAGE + 0xd00)); */
int load_multiboot(const struct guestmem *gm, const struct load_request *req,
		   struct boot_entry *out, char *err, size_t errlen);

/* The notes' padding is a mask with ~(align - 1) (pvh.c); the provers
 * have no theory of bitwise and on integers, so its one fact used is given
 * as an axiom, as in virtq_wp.c: a bitwise and of two non-negative
 * integers is at most either. It is arithmetic, not a property of ours. */
/*@ axiomatic Ldr_bitwise_and_bound {
      axiom ldr_land_le: \forall integer a, m; 0 <= a && 0 <= m ==>
        0 <= (a & m) && (a & m) <= a && (a & m) <= m;
    }
*/

/* elf_read_notes (pvh.c): whatever the image holds, it reads only inside
 * it, ends, writes only *out and the message, and a PVH entry it reports
 * is below 4 GiB (where x86boot enters with paging off). */
/*@ requires size <= PTRDIFF_MAX;
    requires data == \null || \valid_read(data + (0 .. size - 1));
    requires \valid(out) && err_ok(err, errlen);
    requires \separated(out, data + (0 .. size - 1), err + (0 .. errlen - 1));
    requires \separated(err + (0 .. errlen - 1), data + (0 .. size - 1));
    assigns *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1;
    ensures entry: out->pvh ==> out->pvh_entry < 4294967296; */
int elf_read_notes(const uint8_t *data, size_t size, struct elf_notes *out, char *err,
		   size_t errlen);
