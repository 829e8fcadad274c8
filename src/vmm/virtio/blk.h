/*
 * blk: virtio block device (virtio 1.2 section 5.2, device ID 2) backed by
 * a raw image file: `vmm run --disk FILE[,readonly]`, repeatable; the
 * guest sees them as /dev/vda, /dev/vdb, ... in the order given.
 *
 * Owns: the image's descriptor (opened, checked and locked at start-up,
 * before the sandbox), the device configuration (capacity from the file
 * size, size_max, seg_max, discard limits), the request parser and the
 * I/O. Requests (5.2.6): IN (preadv), OUT (pwritev), FLUSH (fdatasync),
 * GET_ID (the image's base name, 20 bytes), DISCARD (fallocate
 * PUNCH_HOLE, offered only when the file takes it). A read-only disk is
 * offered with VIRTIO_BLK_F_RO and answers any write or discard that
 * still comes with VIRTIO_BLK_S_IOERR. A host I/O error, a short read or
 * a request outside the disk is VIRTIO_BLK_S_IOERR, never wrong data.
 *
 * Why an I/O thread per disk rather than io_uring: the device's worker
 * thread (virtio_pci.h) already runs off the vCPU, so a slow disk stalls
 * only its own queue; preadv/pwritev go straight into guest memory with
 * no copy; and every operation stays a system call the seccomp filter
 * sees and limits to the image's descriptor, whereas io_uring's
 * operations are not checked by seccomp at all (and io_uring is often
 * disabled on hardened hosts). The cost is one request at a time per
 * disk; against the page cache a request is a memory copy, so a second
 * thread would buy little before the vCPU is the bottleneck.
 */
#ifndef BLK_H
#define BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio_pci.h"

#define VIRTIO_BLK_MAX 6 /* disks per VM: PCI slots 2-7 with INTx routes */

/* The feature bits, request types and status (5.2.3, 5.2.6) are
 * src/common/virtio_spec.h's. */
#define BLK_SECTOR 512u
#define BLK_ID_BYTES 20
#define BLK_QUEUE_SIZE 256
#define BLK_SEG_MAX (BLK_QUEUE_SIZE - 2) /* header and status take two */
#define BLK_SIZE_MAX (256u << 10)         /* so a request stays < 64 MiB */
#define BLK_DISCARD_SEG_MAX 32
#define BLK_DISCARD_SECTORS_MAX 0x400000u /* 2 GiB per segment */
#define BLK_CONFIG_LEN 60 /* through write_zeroes_may_unmap + padding */

/* One --disk. */
struct blk_cfg {
	const char *path;
	bool readonly;
};

/* Parses "FILE[,readonly]" into c (path points into s). A spec whose last
 * comma is not followed by "readonly" is all path. Returns 0 or -1. */
int blk_parse_option(const char *s, struct blk_cfg *c, char *err, size_t errlen);

struct virtio_blk {
	struct virtio_pci vp;
	int fd;
	bool readonly, discard;
	uint64_t sectors;
	char id[BLK_ID_BYTES];
	uint8_t config[BLK_CONFIG_LEN];
	uint64_t reqs, ioerrs; /* counters, for tests */
};

/* Opens and checks the image (before the sandbox), then sets the device
 * up as the index'th disk. On error the message names `--disk` and the
 * file and says what to do. Returns 0 or -1. */
int virtio_blk_init(struct virtio_blk *b, unsigned index, const struct blk_cfg *c,
		    const struct guestmem *gm, struct bus *mmio,
		    const struct virtio_pci_hooks *hooks, char *err, size_t errlen);
void virtio_blk_free(struct virtio_blk *b);

/* A parsed request (5.2.6): header fields, where its data is, and its
 * status byte. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	uint64_t data_off, data_len; /* in the readable (OUT, DISCARD) or writable (IN, GET_ID) part */
	uint8_t *status;
};

/* Reads the framing of chain c (2.6.4: no assumption on how it is split
 * in buffers): a 16-byte header at the start of the readable part, the
 * status byte as the last writable byte. Returns 0, 1 when the header is
 * short (answer IOERR), or -1 when there is no status byte to answer in. */
int blk_parse(const struct virtq_chain *c, struct blk_req *r);

/* The request handler (virtio_device.serve), for tests and the fuzzer. */
int virtio_blk_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written);

#endif
