/*
 * fuzz_elf64: libFuzzer target for load_elf64(). The whole input is the
 * image. Guest RAM (16 MiB) is mapped once and left dirty between inputs:
 * the loader must not depend on it being clean.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "guestmem.h"
#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guestmem gm;
	if (!gm.host && gm_init(&gm, 16ull << 20) < 0)
		abort();
	struct load_request req = {
		.kernel = data, .kernel_size = size, .cmdline = "console=ttyS0",
		.kernel_name = "fuzz", .tsc_khz = 1000000, .ncpus = 1,
	};
	struct boot_entry be;
	char err[256];
	if (load_elf64(&gm, &req, &be, err, sizeof(err)) == 0 &&
	    (be.mode != BOOT_ELF64 || !gm_ptr(&gm, be.entry, 1)))
		abort(); /* a loaded image must enter inside guest RAM */
	return 0;
}
