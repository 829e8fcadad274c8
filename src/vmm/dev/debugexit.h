/*
 * debugexit: the isa-debug-exit port QEMU offers to test kernels. A write
 * of V at the port ends the monitor with exit status (V << 1) | 1, so a
 * guest can report success or failure to a test harness without a
 * power-off path. Width 1, 2 or 4 bytes; reads return all-ones.
 */
#ifndef DEBUGEXIT_H
#define DEBUGEXIT_H

#include <stdbool.h>
#include <stdint.h>

#define DEBUGEXIT_PORT 0xf4
#define DEBUGEXIT_LEN 4

struct debugexit {
	void (*exit)(void *ctx, int status, uint32_t value);
	void *ctx;
};

void debugexit_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
