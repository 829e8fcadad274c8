/*
 * debugexit: the isa-debug-exit port QEMU offers to test kernels. A write
 * of V at the port ends the monitor, so a guest can report success or
 * failure to a test harness without a power-off path. Width 1, 2 or 4
 * bytes; reads return all-ones.
 *
 * The exit status is QEMU's (V << 1) | 1 for V in 0..63
 * (VMM_DEBUG_EXIT_MAX). An exit status has 8 bits and 129 and up mean "a
 * signal", so a larger V cannot be carried: it ends the run with
 * VMM_EXIT_DEBUG_RANGE instead (src/common/vmmstatus.h), and the monitor
 * prints V, rather than letting 128 wrap to 1 ("passed") or 71 read as 143
 * ("SIGTERM").
 */
#ifndef DEBUGEXIT_H
#define DEBUGEXIT_H

#include <stdbool.h>
#include <stdint.h>

#define DEBUGEXIT_PORT 0xf4
#define DEBUGEXIT_LEN 4

struct debugexit {
	/* status: what the run ends with; value: what the guest wrote. */
	void (*exit)(void *ctx, int status, uint32_t value);
	void *ctx;
};

/* The exit status for a written value (see above). */
int debugexit_status(uint32_t value);

void debugexit_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
