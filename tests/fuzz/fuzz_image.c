/*
 * fuzz_image: libFuzzer target for image_load() (arch/arm64/image.h), the
 * arm64 Image and ELF64/AArch64 loader. The whole input is the image; the
 * last byte, when there is one, also stands as a one-byte initrd. Guest
 * RAM (16 MiB at the arm64 RAM base) is mapped once and left dirty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "arm64map.h"
#include "guestmem.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guestmem gm;
	if (!gm.host && gm_init_at(&gm, ARM64_RAM_BASE, 16ull << 20) < 0)
		abort();
	struct image_loaded il;
	char err[256];
	const uint8_t *rd = size ? data + size - 1 : NULL;
	if (image_load(&gm, data, size, rd, size ? 1 : 0, "fuzz", &il, err, sizeof(err)) == 0 &&
	    (!gm_ptr(&gm, il.entry, 1) || !gm_ptr(&gm, il.dtb, IMAGE_DTB_REGION) ||
	     il.end > il.dtb || (il.initrd_end && (il.initrd_start < il.end || il.initrd_end > il.dtb))))
		abort(); /* entry in RAM; kernel, initrd and DTB apart and in RAM */
	return 0;
}
