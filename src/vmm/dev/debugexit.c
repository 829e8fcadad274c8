/* debugexit: QEMU-compatible isa-debug-exit port. */
#include "debugexit.h"

#include <string.h>

#include "vmmstatus.h"

int debugexit_status(uint32_t value)
{
	if (value > VMM_DEBUG_EXIT_MAX)
		return VMM_EXIT_DEBUG_RANGE;
	return (int)((value << 1) | 1);
}

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
	d->exit(d->ctx, debugexit_status(v), v);
}
