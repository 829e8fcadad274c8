/*
 * rng: virtio entropy device (virtio 1.2 section 5.4, device ID 4), one
 * queue whose device-writable buffers it fills from getrandom(2), so a
 * Linux guest has entropy at boot (`vmm run --rng`).
 */
#ifndef RNG_H
#define RNG_H

#include <stddef.h>
#include <stdint.h>

#include "virtio_pci.h"

#define RNG_MAX_PER_REQUEST 65536u /* bytes; a larger buffer gets this much */

struct virtio_rng {
	struct virtio_pci vp;
	uint64_t bytes; /* handed out, for tests */
};

/* Sets the device up (then: pci_add, virtio_pci_add_caps, place the BAR,
 * virtio_pci_start). Returns 0 or -1 with a message. */
int virtio_rng_init(struct virtio_rng *r, const struct guestmem *gm, struct bus *mmio,
		    const struct virtio_pci_hooks *hooks, char *err, size_t errlen);

/* The request handler (virtio_device.serve), for tests. */
int virtio_rng_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written);

#endif
