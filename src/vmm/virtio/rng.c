/* rng: virtio entropy device (virtio 1.2 section 5.4). */
#include "rng.h"

#include <errno.h>
#include <sys/random.h>

/*
 * 5.4.6: the driver gives device-writable buffers; the device fills them
 * with random bytes and returns how many. Readable buffers carry nothing
 * for this device and are ignored. getrandom(2) with no flags draws from
 * the kernel's pool like /dev/urandom, but needs no open file (and so no
 * open in the sandbox); it blocks only before the host's pool is ready.
 */
int virtio_rng_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written)
{
	struct virtio_rng *r = dev;
	uint32_t done = 0;
	(void)q;
	for (unsigned k = c->nr; k < c->nr + c->nw && done < RNG_MAX_PER_REQUEST; k++) {
		const struct virtq_buf *b = &c->buf[k];
		uint32_t want = b->len;
		if (want > RNG_MAX_PER_REQUEST - done)
			want = RNG_MAX_PER_REQUEST - done;
		uint32_t got = 0;
		while (got < want) {
			ssize_t n = getrandom(b->host + got, want - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* cannot happen on Linux >= 3.17; hand out what we have */
			got += (uint32_t)n;
		}
		done += got;
		if (got < want)
			break;
	}
	r->bytes += done;
	*written = done;
	return 0;
}

int virtio_rng_init(struct virtio_rng *r, const struct guestmem *gm, struct bus *mmio,
		    const struct virtio_pci_hooks *hooks, char *err, size_t errlen)
{
	r->bytes = 0;
	const struct virtio_device d = {
		.name = "virtio-rng",
		.id = VIRTIO_ID_RNG,
		.class_code = 0xff, /* as QEMU's virtio-rng-pci: "unassigned class" */
		.nqueues = 1,
		.queue_max = 64,
		.serve = virtio_rng_serve,
		.dev = r,
	};
	return virtio_pci_init(&r->vp, &d, gm, mmio, hooks, err, errlen);
}
