/* debugexit: QEMU-compatible isa-debug-exit port. */
#include "debugexit.h"

#include <string.h>

void debugexit_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct debugexit *d = opaque;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	if (offset != 0)
		return; /* only the base port ends the run */
	uint32_t v = 0;
	memcpy(&v, data, len < 4 ? len : 4);
	d->exit(d->ctx, (int)((v << 1) | 1), v);
}
