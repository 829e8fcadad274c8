/*
 * The arm64 Image loader, proved with WP (tests/prove/README.md, "arm64
 * Image"): the contract of image_load(), given on its prototype and
 * merged by Frama-C with the definition in src/vmm/arch/arm64/image.c,
 * and the contracts taken as assumptions of what it calls that is not
 * proved here: the message (PROVE_IMAGE_ERR, image.c) and the ELF loader.
 *
 * The image and the initrd are arbitrary: their bytes are readable, of
 * any value, at most PTRDIFF_MAX of them (every C object's bound).
 */
#include "image.h"
#include "loader.h"
#include "loader_priv.h"

/*@ requires errlen == 0 || \valid(err + (0 .. errlen - 1));
    assigns err[0 .. errlen - 1];
    ensures \result == -1; */
int prove_image_err(char *err, size_t errlen);

#include "elf_load_contract.h"

/* The initrd's start is rounded down to a page with a mask (image.c);
 * the provers have no theory of bitwise and, so its one fact used is an
 * axiom, as ldr_land_le of loader_wp.c: a bitwise and of two non-negative
 * integers is at most either. */
/*@ axiomatic Image_bitwise_and_bound {
      axiom image_land_le: \forall integer a, m; 0 <= a && 0 <= m ==>
        0 <= (a & m) && (a & m) <= a && (a & m) <= m;
    }
*/

/* Whatever the image holds, image_load reads only inside it and the
 * initrd, and writes only guest RAM, *out and the message. Its one
 * success is image_place's, whose contract (image.c) says where the
 * device tree and the initrd go. */
/*@ requires gm_ok(gm) && size <= PTRDIFF_MAX && isize <= PTRDIFF_MAX;
    requires img == \null || \valid_read(img + (0 .. size - 1));
    requires initrd == \null || \valid_read(initrd + (0 .. isize - 1));
    requires \valid(out) && (errlen == 0 || \valid(err + (0 .. errlen - 1)));
    requires \separated(gm->host + (0 .. gm->size - 1), img + (0 .. size - 1),
                        initrd + (0 .. isize - 1), err + (0 .. errlen - 1), out, gm);
    requires \separated(out, err + (0 .. errlen - 1), img + (0 .. size - 1),
                        initrd + (0 .. isize - 1), gm);
    assigns gm->host[0 .. gm->size - 1], *out, err[0 .. errlen - 1];
    ensures \result == 0 || \result == -1; */
int image_load(const struct guestmem *gm, const uint8_t *img, size_t size, const uint8_t *initrd,
	       size_t isize, const char *name, struct image_loaded *out, char *err,
	       size_t errlen);
