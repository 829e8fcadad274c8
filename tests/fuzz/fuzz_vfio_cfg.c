/* fuzz_vfio_cfg: guest configuration reads and writes, and MSI-X table
 * accesses, to a passed-through function (vfio_pci.h) over a memfd
 * standing in for the VFIO device. The device has MSI-X at 0x50; the
 * input's first 16 bytes perturb its capability bodies and IDs from
 * 0x42 on, so they can turn it into MSI (0x50 ^ 0x14). Input: records of 6 bytes: op, reg,
 * len selector, 3 value bytes (the value is repeated to 32 bits). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bus.h"
#include "pci.h"
#include "vfio_pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int h_set_irqs(void *c, enum vfio_irq i, enum vfio_irq_action a, unsigned s, unsigned n,
		      const int *fds)
{
	(void)c, (void)i, (void)a, (void)s, (void)n, (void)fds;
	return 0;
}
static int h_route(void *c, unsigned g, uint64_t a, uint32_t d)
{
	(void)c, (void)g, (void)a, (void)d;
	return 0;
}
static int h_irqfd(void *c, int fd, unsigned g, int r, bool on)
{
	(void)c, (void)fd, (void)g, (void)r, (void)on;
	return 0;
}
static int h_map(void *c, unsigned s, uint64_t g, uint64_t n, void *h)
{
	(void)c, (void)s, (void)g, (void)n, (void)h;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pci_bus bus;
	static struct vfio_pci vp;
	static uint8_t bar0[0x4000] __attribute__((aligned(4096)));
	struct bus mmio = BUS_INIT("mmio");
	int fd = memfd_create("fuzz_vfio_cfg", 0);
	if (fd < 0)
		abort();
	uint8_t c[256] = {0};
	c[0] = 0xf4, c[1] = 0x1a, c[2] = 0x44, c[3] = 0x10, c[6] = 0x10;
	c[0x10] = 0xc, c[0x18] = 0x1, c[0x34] = 0x40, c[0x3d] = 1;
	c[0x40] = 0x01, c[0x41] = 0x50, c[0x50] = 0x11, c[0x51] = 0x60;
	c[0x52] = 3, c[0x54] = 0x00, c[0x55] = 0x20, c[0x58] = 0x00, c[0x59] = 0x30;
	c[0x60] = 0x09;
	/* The first 64 input bytes, if any, perturb the device's own
	 * capability bodies (a hostile device is not the threat here, but
	 * its list must not derail us either). */
	for (size_t i = 0; i < size && i < 16; i++)
		c[0x42 + i] ^= data[i];
	if (pwrite(fd, c, sizeof(c), 0) != sizeof(c) || ftruncate(fd, 0x20000))
		abort();
	memset(&vp, 0, sizeof(vp));
	pci_init(&bus);
	vp.fd = fd;
	vp.cfg_region = (struct vfio_region){0, 256, NULL};
	vp.region[0] = (struct vfio_region){0x10000, sizeof(bar0), bar0};
	vp.region[2] = (struct vfio_region){0x18000, 32, NULL};
	vp.hooks = (struct vfio_pci_hooks){h_set_irqs, h_route, h_irqfd, h_map, NULL};
	vp.mmio = &mmio;
	vp.bdf = "0000:00:04.0";
	vp.gsi_base = 128;
	vp.cfg_lock = &bus.lock;
	vp.intx_fd = vp.intx_resample_fd = 3;
	/* Two vectors with real eventfds (made once), so that the MSI-X and
	 * MSI paths that need a vector's eventfd run too. */
	static int efd[2] = {-1, -1};
	for (unsigned v = 0; v < 2; v++)
		if (efd[v] < 0 && (efd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
			abort();
	for (unsigned v = 0; v < VFIO_MAX_VECTORS; v++)
		vp.vec_fd[v] = v < 2 ? efd[v] : -1;
	char err[256];
	int slot;
	if (vfio_pci_init(&vp, err, sizeof(err)) == 0 && (slot = pci_add(&bus, &vp.pci)) > 0 &&
	    vfio_pci_setup(&vp, (unsigned)slot, err, sizeof(err)) == 0) {
		static const unsigned lens[4] = {1, 2, 4, 3};
		for (size_t i = 16; i + 6 <= size; i += 6) {
			const uint8_t *r = data + i;
			unsigned len = lens[r[2] & 3];
			uint32_t v = (uint32_t)r[3] | (uint32_t)r[4] << 8 | (uint32_t)r[5] << 16 |
				     (uint32_t)r[3] << 24;
			uint8_t d[8];
			memcpy(d, &v, 4);
			memcpy(d + 4, &v, 4);
			switch (r[0] & 3) {
			case 0: pci_cfg_write(&bus, (unsigned)slot, 0, r[1], len, v); break;
			case 1: (void)pci_cfg_read(&bus, (unsigned)slot, 0, r[1], len); break;
			case 2: {
				/* Anywhere around the BARs' likely places. */
				uint64_t gpa = 0xe0000000ull + ((uint64_t)r[1] << 8) + (r[2] & 0xfc);
				(void)bus_access(&mmio, gpa, d, (r[2] & 0x10) ? 8 : 4, r[2] & 0x20);
				break;
			}
			default: {
				struct vfio_pci *devs[2] = {&vp, NULL};
				vfio_pci_io_window(devs, r[1], d, len > 2 ? 4 : len, r[2] & 0x20);
				break;
			}
			}
		}
		vfio_pci_teardown(&vp);
	}
	bus_free(&mmio);
	pthread_mutex_destroy(&bus.lock);
	close(fd);
	return 0;
}
