/*
 * fuzz_bzimage: libFuzzer target for load_bzimage().
 *
 * Input layout (tests/fuzz/make_seeds.py writes the seeds this way): the
 * last 4 bytes are a trailer, u16 initrd length then u16 command-line
 * length (little-endian); the initrd is that many bytes just before the
 * trailer (0: no initrd), the kernel image everything before it, and the
 * command line that many 'a's. Guest RAM (16 MiB) is mapped once and left
 * dirty between inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guestmem.h"
#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_cmdline[0x10000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guestmem gm;
	if (!gm.host) {
		if (gm_init(&gm, 16ull << 20) < 0)
			abort();
		memset(fz_cmdline, 'a', sizeof(fz_cmdline));
	}
	size_t initrd_len = 0, cmd_len = 0;
	if (size >= 4) {
		initrd_len = data[size - 4] | (size_t)data[size - 3] << 8;
		cmd_len = data[size - 2] | (size_t)data[size - 1] << 8;
		size -= 4;
		if (initrd_len > size)
			initrd_len = size;
		size -= initrd_len;
	}
	fz_cmdline[cmd_len] = '\0';
	struct load_request req = {
		.kernel = data, .kernel_size = size,
		.initrd = initrd_len ? data + size : NULL, .initrd_size = initrd_len,
		.cmdline = fz_cmdline, .kernel_name = "fuzz", .ncpus = 1,
	};
	struct boot_entry be;
	char err[256];
	int rc = load_bzimage(&gm, &req, &be, err, sizeof(err));
	fz_cmdline[cmd_len] = 'a';
	if (rc == 0 && (be.mode != BOOT_LINUX64 || be.entry != 0x100200))
		abort();
	return 0;
}
