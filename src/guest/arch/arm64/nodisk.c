/*
 * nodisk (arm64): the disk half of the platform API (src/bench/platform.h)
 * without a disk. The virtio driver (src/guest/virtio.c, vblk.c) reaches
 * its devices through x86 configuration cycles and LAPIC MSI-X, so the
 * arm64 guest does not build it yet: the disk workloads report that, and
 * the virtio test hooks are refused.
 */
#include <stddef.h>
#include <stdint.h>

#include "guest.h"
#include "platform.h"
#include "virtio.h"

int plat_disk_open(struct plat_disk_info *info, unsigned wait_mode, const char **why)
{
	(void)info;
	(void)wait_mode;
	*why = "no virtio-blk driver in the arm64 benchmark guest yet";
	return -1;
}

int plat_disk_submit(unsigned op, uint64_t off, void *buf, uint32_t len, uint64_t tag)
{
	(void)op;
	(void)off;
	(void)buf;
	(void)len;
	(void)tag;
	return -1;
}

int plat_disk_wait(uint64_t *tag)
{
	*tag = 0;
	return -1;
}

int plat_disk_ready(void)
{
	return 0;
}

void plat_disk_close(void)
{
}

size_t plat_disk_stats(struct plat_stat *out, size_t max)
{
	(void)out;
	(void)max;
	return 0;
}

int vblk_test_hook(const char *what)
{
	(void)what;
	return GUEST_EXIT_USAGE;
}
