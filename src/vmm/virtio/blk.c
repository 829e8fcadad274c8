/* blk: virtio block device on a raw image (virtio 1.2 section 5.2). */
#include "blk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* struct virtio_blk_config (5.2.4), the fields we fill. */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12
#define CFG_NUM_QUEUES 34
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_ALIGN 44

#define HDR_LEN 16
#define DISCARD_SEG_LEN 16
#define DISCARD_F_UNMAP 1u
#define BLK_MAX_IOV BLK_QUEUE_SIZE

int blk_parse_option(const char *s, struct blk_cfg *c, char *err, size_t errlen)
{
	static char paths[VIRTIO_BLK_MAX * 2][PATH_MAX];
	static unsigned npaths;
	c->path = s;
	c->readonly = false;
	const char *comma = strrchr(s, ',');
	if (comma && strcmp(comma + 1, "readonly") == 0) {
		size_t n = (size_t)(comma - s);
		if (n == 0 || n >= PATH_MAX || npaths == sizeof(paths) / sizeof(paths[0])) {
			snprintf(err, errlen, "--disk '%s': expected FILE or FILE,readonly", s);
			return -1;
		}
		memcpy(paths[npaths], s, n);
		paths[npaths][n] = '\0';
		c->path = paths[npaths++];
		c->readonly = true;
	}
	if (!*c->path) {
		snprintf(err, errlen, "--disk '%s': expected FILE or FILE,readonly", s);
		return -1;
	}
	return 0;
}

/* ---- requests ---------------------------------------------------------- */

int blk_parse(const struct virtq_chain *c, struct blk_req *r)
{
	memset(r, 0, sizeof(*r));
	if (c->wlen < 1)
		return -1;
	/* The status byte: the last byte of the last writable buffer. */
	const struct virtq_buf *last = &c->buf[c->nr + c->nw - 1];
	r->status = last->host + last->len - 1;
	uint8_t hdr[HDR_LEN];
	if (virtq_chain_read(c, 0, hdr, HDR_LEN) != HDR_LEN)
		return 1;
	memcpy(&r->type, hdr, 4);
	memcpy(&r->sector, hdr + 8, 8);
	switch (r->type) {
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_DISCARD:
		r->data_off = HDR_LEN;
		r->data_len = c->rlen - HDR_LEN;
		break;
	default:
		r->data_off = 0;
		r->data_len = c->wlen - 1;
		break;
	}
	return 0;
}

/* [sector, sector + bytes / 512) inside the disk, bytes whole sectors. */
static bool range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	if (bytes % BLK_SECTOR)
		return false;
	uint64_t n = bytes / BLK_SECTOR;
	return sector <= b->sectors && n <= b->sectors - sector;
}

/* The whole transfer or an error: partial transfers are continued, and
 * an end of file inside the disk (the image shrank under us) is an error,
 * not zeros. */
static bool rw_full(int fd, struct iovec *iov, int n, uint64_t off, bool write)
{
	while (n > 0) {
		ssize_t got = write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		off += (uint64_t)got;
		size_t left = (size_t)got;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return true;
}

static uint8_t do_rw(struct virtio_blk *b, const struct virtq_chain *c, const struct blk_req *r,
		     bool write)
{
	if (write && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (!range_ok(b, r->sector, r->data_len))
		return VIRTIO_BLK_S_IOERR;
	if (r->data_len == 0)
		return VIRTIO_BLK_S_OK;
	struct iovec iov[BLK_MAX_IOV];
	int n = virtq_chain_iov(c, !write, r->data_off, r->data_len, iov, BLK_MAX_IOV);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	return rw_full(b->fd, iov, n, r->sector * BLK_SECTOR, write) ? VIRTIO_BLK_S_OK
								     : VIRTIO_BLK_S_IOERR;
}

/* 5.2.6.2: each segment is {le64 sector, le32 num_sectors, le32 flags};
 * the unmap flag is for WRITE_ZEROES only and makes a discard UNSUPP, as
 * do reserved flags. All segments are checked before any is punched. */
static uint8_t do_discard(struct virtio_blk *b, const struct virtq_chain *c,
			  const struct blk_req *r)
{
	if (!b->discard)
		return VIRTIO_BLK_S_UNSUPP;
	if (b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (r->data_len == 0 || r->data_len % DISCARD_SEG_LEN ||
	    r->data_len / DISCARD_SEG_LEN > BLK_DISCARD_SEG_MAX)
		return VIRTIO_BLK_S_IOERR;
	unsigned nseg = (unsigned)(r->data_len / DISCARD_SEG_LEN);
	uint8_t seg[BLK_DISCARD_SEG_MAX][DISCARD_SEG_LEN];
	if (virtq_chain_read(c, r->data_off, seg, r->data_len) != r->data_len)
		return VIRTIO_BLK_S_IOERR;
	for (unsigned i = 0; i < nseg; i++) {
		uint64_t sector;
		uint32_t num, flags;
		memcpy(&sector, seg[i], 8);
		memcpy(&num, seg[i] + 8, 4);
		memcpy(&flags, seg[i] + 12, 4);
		if (flags)
			return VIRTIO_BLK_S_UNSUPP;
		if (num > BLK_DISCARD_SECTORS_MAX || !range_ok(b, sector, (uint64_t)num * BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
	}
	for (unsigned i = 0; i < nseg; i++) {
		uint64_t sector;
		uint32_t num;
		memcpy(&sector, seg[i], 8);
		memcpy(&num, seg[i] + 8, 4);
		if (num && fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				     (off_t)(sector * BLK_SECTOR), (off_t)num * BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

int virtio_blk_serve(void *dev, unsigned q, const struct virtq_chain *c, uint32_t *written)
{
	struct virtio_blk *b = dev;
	struct blk_req r;
	(void)q;
	*written = 0;
	int p = blk_parse(c, &r);
	if (p < 0)
		return -1; /* nowhere to put a status: the driver broke the ring */
	b->reqs++;
	uint8_t st = VIRTIO_BLK_S_IOERR;
	uint32_t data = 0;
	if (p == 0) {
		switch (r.type) {
		case VIRTIO_BLK_T_IN:
			st = do_rw(b, c, &r, false);
			if (st == VIRTIO_BLK_S_OK)
				data = (uint32_t)r.data_len;
			break;
		case VIRTIO_BLK_T_OUT:
			st = do_rw(b, c, &r, true);
			break;
		case VIRTIO_BLK_T_FLUSH:
			st = b->readonly || fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK
								   : VIRTIO_BLK_S_IOERR;
			break;
		case VIRTIO_BLK_T_GET_ID: {
			/* 5.2.6: 20 bytes, NUL-padded, no NUL needed when full. */
			uint64_t n = r.data_len < BLK_ID_BYTES ? r.data_len : BLK_ID_BYTES;
			data = (uint32_t)virtq_chain_write(c, 0, b->id, (size_t)n);
			st = VIRTIO_BLK_S_OK;
			break;
		}
		case VIRTIO_BLK_T_DISCARD:
			st = do_discard(b, c, &r);
			break;
		default:
			st = VIRTIO_BLK_S_UNSUPP;
			break;
		}
	}
	if (st == VIRTIO_BLK_S_IOERR)
		b->ioerrs++;
	*r.status = st;
	/* The used length counts the data written and the status byte
	 * (5.2.6.1: the device writes at least the status). */
	*written = data + 1;
	return 0;
}

static void config_read(void *dev, unsigned off, uint8_t *buf, unsigned len)
{
	struct virtio_blk *b = dev;
	memcpy(buf, b->config + off, len);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* ---- the image ---------------------------------------------------------- */

static int open_image(struct virtio_blk *b, const struct blk_cfg *c, char *err, size_t errlen)
{
	const char *p = c->path;
	b->fd = open(p, (c->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		int e = errno;
		if (e == EISDIR)
			snprintf(err, errlen, "--disk %s: is a directory; give a raw image file", p);
		else if (!c->readonly && (e == EACCES || e == EROFS || e == EPERM))
			snprintf(err, errlen, "--disk %s: cannot open for writing: %s; give it as "
					      "%s,readonly for a read-only disk", p, strerror(e), p);
		else
			snprintf(err, errlen, "--disk %s: cannot open: %s%s", p, strerror(e),
				 e == ENOENT && strchr(p, ',')
					 ? " (the only option after a comma is 'readonly')"
					 : "");
		return -1;
	}
	struct stat st;
	if (fstat(b->fd, &st)) {
		snprintf(err, errlen, "--disk %s: %s", p, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--disk %s: is a directory; give a raw image file", p);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "--disk %s: not a regular file or block device", p);
		return -1;
	}
	off_t size = lseek(b->fd, 0, SEEK_END);
	if (size < 0) {
		snprintf(err, errlen, "--disk %s: cannot tell its size: %s", p, strerror(errno));
		return -1;
	}
	if (size == 0) {
		snprintf(err, errlen, "--disk %s: is empty; make an image of the size wanted, "
				      "e.g. 'truncate -s 64M %s'", p, p);
		return -1;
	}
	if (size % BLK_SECTOR) {
		/* A disk is whole sectors: rather than hide the tail (or
		 * invent one), ask for the image to be padded. */
		snprintf(err, errlen, "--disk %s: size %lld is not a multiple of 512 bytes; pad it "
				      "with 'truncate -s %%512 %s'", p, (long long)size, p);
		return -1;
	}
	/* Two writers on one image corrupt it: a writable disk takes the
	 * file's lock exclusively, a read-only one shares it (flock(2)). */
	if (flock(b->fd, (c->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		snprintf(err, errlen, "--disk %s: is locked by another user of the image (another "
				      "--disk, or another process: %s); a writable disk needs it "
				      "alone", p, strerror(errno));
		return -1;
	}
	b->sectors = (uint64_t)size / BLK_SECTOR;
	/* Discard only where punching a hole works: a hole past the end of
	 * the file with KEEP_SIZE changes nothing, and fails where the file
	 * system cannot punch (fallocate(2): EOPNOTSUPP). */
	b->discard = !c->readonly && S_ISREG(st.st_mode) &&
		     fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size,
			       BLK_SECTOR) == 0;
	return 0;
}

int virtio_blk_init(struct virtio_blk *b, unsigned index, const struct blk_cfg *c,
		    const struct guestmem *gm, struct bus *mmio,
		    const struct virtio_pci_hooks *hooks, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->readonly = c->readonly;
	if (open_image(b, c, err, errlen)) {
		if (b->fd >= 0)
			close(b->fd);
		b->fd = -1;
		return -1;
	}
	/* GET_ID: the image's base name, as much as fits in 20 bytes. */
	const char *base = strrchr(c->path, '/');
	base = base ? base + 1 : c->path;
	size_t idlen = strlen(base);
	memcpy(b->id, base, idlen < BLK_ID_BYTES ? idlen : BLK_ID_BYTES);

	memcpy(b->config + CFG_CAPACITY, &b->sectors, 8);
	put32(b->config + CFG_SIZE_MAX, BLK_SIZE_MAX);
	put32(b->config + CFG_SEG_MAX, BLK_SEG_MAX);
	b->config[CFG_NUM_QUEUES] = 1;
	if (b->discard) {
		put32(b->config + CFG_MAX_DISCARD_SECTORS, BLK_DISCARD_SECTORS_MAX);
		put32(b->config + CFG_MAX_DISCARD_SEG, BLK_DISCARD_SEG_MAX);
		put32(b->config + CFG_DISCARD_ALIGN, 8); /* 4 KiB: the page cache's unit */
	}
	uint64_t f = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
		     (1ull << VIRTIO_BLK_F_FLUSH);
	if (b->readonly)
		f |= 1ull << VIRTIO_BLK_F_RO;
	if (b->discard)
		f |= 1ull << VIRTIO_BLK_F_DISCARD;
	struct virtio_device d = {
		.name = "virtio-blk",
		.id = VIRTIO_ID_BLOCK,
		.class_code = 0x01, /* mass storage */
		.subclass = 0x00,   /* SCSI, as QEMU's virtio-blk-pci */
		.features = f,
		.nqueues = 1,
		.queue_max = BLK_QUEUE_SIZE,
		.config_len = BLK_CONFIG_LEN,
		.config_read = config_read,
		.serve = virtio_blk_serve,
		.dev = b,
	};
	if (virtio_pci_init(&b->vp, &d, gm, mmio, hooks, err, errlen)) {
		close(b->fd); /* virtio_pci_init cleaned up after itself */
		b->fd = -1;
		return -1;
	}
	snprintf(b->vp.role, sizeof(b->vp.role), "virtio-blk%u", index);
	return 0;
}

/* After a successful virtio_blk_init only. */
void virtio_blk_free(struct virtio_blk *b)
{
	virtio_pci_free(&b->vp);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
