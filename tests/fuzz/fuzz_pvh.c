/*
 * fuzz_pvh: libFuzzer target for the PVH path: elf_read_notes() on the
 * whole input and load_kernel() forced through PVH (--boot pvh), the way
 * fuzz_elf64 drives load_elf64(). Guest RAM (16 MiB) is mapped once and
 * left dirty between inputs: the loader must not depend on it being clean.
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
	struct elf_notes notes;
	char err[256];
	if (elf_read_notes(data, size, &notes, err, sizeof(err)) == 0 && notes.pvh &&
	    notes.pvh_entry >= (1ull << 32))
		abort(); /* the entry of a 32-bit protocol */
	struct load_request req = {
		.kernel = data, .kernel_size = size, .cmdline = "console=ttyS0",
		.kernel_name = "fuzz", .tsc_khz = 1000000, .ncpus = 1, .boot = BOOT_FORCE_PVH,
	};
	struct boot_entry be;
	if (load_kernel(&gm, &req, &be, err, sizeof(err)) == 0 &&
	    (be.mode != BOOT_PVH32 || be.entry >= (1ull << 32) || !gm_ptr(&gm, be.entry, 1)))
		abort(); /* a loaded PVH kernel enters below 4 GiB, inside guest RAM */
	return 0;
}
