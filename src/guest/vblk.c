/*
 * vblk: the platform's disk (platform.h) on the first virtio-blk function
 * (virtio 1.2, 5.2), through the transport in virtio.c, at CPL3.
 *
 * A request is the chain 5.2.6 describes: the 16-byte header (type,
 * reserved, sector; device-readable), the data (device-writable for a
 * read), one status byte (device-writable). With INDIRECT_DESC the chain
 * lives in the request's own table and takes one ring descriptor (Linux
 * does the same for multi-descriptor requests); without it, request slot
 * s owns ring descriptors 3s..3s+2. Slots are fixed, so the used
 * element's id names the slot; an id that names no request in flight is
 * the device's error and fails the request.
 *
 * Where a request's time goes (requests alone in flight, MSI-X mode):
 * notify = the notify write (the exit to the host kernel that signals the
 * ioeventfd, and back), device = from that write's return to the
 * interrupt handler's first instruction (the I/O thread waking, the
 * pread/pwrite, the used ring, the irqfd injection), irq = from there to
 * this code seeing the completion (the stamp handler and its iretq).
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "diskpat.h"
#include "guestwl.h"
#include "platform.h"
#include "virtio.h"

#define VBLK_MAX_SEG 32 /* data descriptors per request (SIZE_MAX splits) */
#define VBLK_QUEUE_MAX 256

struct vblk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

struct vblk_slot {
	struct vblk_hdr hdr;
	struct vq_desc ind[VBLK_MAX_SEG + 2];
	volatile uint8_t status;
	uint8_t busy, local, kicked;
	uint64_t tag;
	uint64_t t_kick0, t_kick1; /* TSC around the notify */
	unsigned alone;            /* the only request in flight when submitted */
};

static struct {
	struct virtio_dev dev;
	struct virtq q;
	struct vblk_slot *slots;
	size_t slots_bytes;
	unsigned nslots, inflight, nlocal;
	int open, indirect;
	uint64_t capacity, size_max, seg_max;
	uint8_t last_status;
	/* where the time of requests alone in flight went (TSC ticks) */
	uint64_t n_alone, t_req, t_notify, n_irq_in_notify, n_split, t_device, t_irq;
	uint64_t requests;
} vb;

static uint64_t ticks_to_ns(uint64_t t)
{
	return t * 1000000ull / virtio_info()->tsc_khz;
}

int plat_disk_open(struct plat_disk_info *info, unsigned wait_mode, const char **why)
{
	uint64_t want = VIRTIO_BIT(VIRTIO_BLK_F_RO) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
			VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
			VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
			VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (vb.open)
		plat_disk_close();
	__builtin_memset(&vb, 0, sizeof(vb));
	if (virtio_open(&vb.dev, VIRTIO_ID_BLOCK, 0, 0, want, why))
		return -1;
	uint64_t f = vb.dev.features;
	int wait = wait_mode == PLAT_DISK_WAIT_POLL ? VIRTIO_WAIT_POLL : VIRTIO_WAIT_IRQ;
	if (vb.dev.devcfg_len < 8 || !vb.dev.devcfg) {
		*why = "the virtio-blk function has no device configuration";
		virtio_reset(&vb.dev, NULL, 0);
		return -1;
	}
	vb.capacity = virtio_cfg64(&vb.dev, 0); /* 512-byte sectors (5.2.4) */
	vb.size_max = (f & VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX)) ? virtio_cfg32(&vb.dev, 8) : 0;
	vb.seg_max = (f & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX)) ? virtio_cfg32(&vb.dev, 12) : 0;
	if (virtq_setup(&vb.dev, &vb.q, 0, VBLK_QUEUE_MAX, wait, why)) {
		virtio_reset(&vb.dev, NULL, 0);
		return -1;
	}
	vb.indirect = !!(f & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	vb.nslots = vb.indirect ? vb.q.size : vb.q.size / 3u;
	if (vb.nslots > PLAT_DISK_MAX_QD)
		vb.nslots = PLAT_DISK_MAX_QD;
	vb.slots_bytes = vb.nslots * sizeof(struct vblk_slot);
	vb.slots = vb.nslots ? plat_alloc(vb.slots_bytes) : NULL;
	if (!vb.slots) {
		*why = "out of memory (or a queue too small) for the virtio-blk requests";
		virtio_reset(&vb.dev, &vb.q, 1);
		return -1;
	}
	virtio_driver_ok(&vb.dev);
	vb.open = 1;
	info->size = vb.capacity > (~0ull >> 9) ? ~0ull & ~511ull : vb.capacity << 9;
	info->readonly = !!(f & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	info->setup_ns = ticks_to_ns(vb.dev.setup_tsc);
	return 0;
}

void plat_disk_close(void)
{
	if (!vb.open)
		return;
	virtio_reset(&vb.dev, &vb.q, 1); /* the device lets go of our memory */
	plat_free(vb.slots, vb.slots_bytes);
	vb.slots = NULL;
	vb.open = 0;
}

/* Writes the chain of slot s into `d` (the ring's descriptors 3s.. or the
 * slot's own table): returns the number of descriptors, 0 if the request
 * cannot be expressed within the device's SIZE_MAX/SEG_MAX. */
static unsigned build_chain(struct vblk_slot *sl, struct vq_desc *d, uint16_t first, int write,
			    uint8_t *buf, uint32_t len)
{
	unsigned n = 0, maxseg = vb.indirect ? VBLK_MAX_SEG : 1;
	if (vb.seg_max && vb.seg_max < maxseg)
		maxseg = (unsigned)vb.seg_max;
	d[n++] = (struct vq_desc){(uint64_t)(uintptr_t)&sl->hdr, sizeof(sl->hdr), VIRTQ_DESC_F_NEXT,
				  0};
	while (len) {
		uint32_t part = vb.size_max && vb.size_max < len ? (uint32_t)vb.size_max : len;
		if (n - 1 == maxseg || !part)
			return 0;
		d[n++] = (struct vq_desc){(uint64_t)(uintptr_t)buf, part,
					  (uint16_t)(VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE)),
					  0};
		buf += part;
		len -= part;
	}
	d[n++] = (struct vq_desc){(uint64_t)(uintptr_t)&sl->status, 1, VIRTQ_DESC_F_WRITE, 0};
	for (unsigned i = 0; i + 1 < n; i++)
		d[i].next = (uint16_t)(first + i + 1);
	return n;
}

/* A refused request ends a batch: what the batch made available so far
 * still gets its notification. */
static int refuse(void)
{
	if (vb.open && vb.q.avail_idx != vb.q.kicked_idx)
		virtq_kick(&vb.q);
	return -1;
}

int plat_disk_submit(unsigned op, uint64_t off, void *buf, uint32_t len, uint64_t tag)
{
	int more = !!(op & PLAT_DISK_F_MORE);
	op &= ~PLAT_DISK_F_MORE;
	if (!vb.open || vb.inflight == vb.nslots || op > PLAT_DISK_FLUSH)
		return refuse();
	if (op != PLAT_DISK_FLUSH &&
	    (!len || len % PLAT_DISK_SECTOR || off % PLAT_DISK_SECTOR || len > PLAT_DISK_MAX_XFER))
		return refuse();
	unsigned s = 0;
	while (vb.slots[s].busy)
		s++;
	struct vblk_slot *sl = &vb.slots[s];
	sl->busy = 1;
	sl->tag = tag;
	sl->local = sl->kicked = 0;
	sl->alone = vb.inflight == 0;
	vb.inflight++;
	vb.requests++;
	if (op == PLAT_DISK_FLUSH && !(vb.dev.features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))) {
		/* No FLUSH feature: the device writes through (5.2.6.2); nothing
		 * to send, the completion is ours. */
		sl->status = VIRTIO_BLK_S_OK;
		sl->local = 1;
		vb.nlocal++;
		return 0;
	}
	sl->hdr = (struct vblk_hdr){op == PLAT_DISK_READ ? VIRTIO_BLK_T_IN
				    : op == PLAT_DISK_WRITE ? VIRTIO_BLK_T_OUT
							    : VIRTIO_BLK_T_FLUSH,
				    0, op == PLAT_DISK_FLUSH ? 0 : off / 512};
	sl->status = 0xff;
	uint16_t head;
	unsigned n;
	if (op == PLAT_DISK_FLUSH)
		len = 0;
	if (vb.indirect) {
		n = build_chain(sl, sl->ind, 0, op == PLAT_DISK_WRITE, buf, len);
		head = (uint16_t)s;
		vb.q.desc[head] = (struct vq_desc){(uint64_t)(uintptr_t)sl->ind,
						   (uint32_t)(n * sizeof(struct vq_desc)),
						   VIRTQ_DESC_F_INDIRECT, 0};
	} else {
		head = (uint16_t)(3 * s);
		n = build_chain(sl, &vb.q.desc[head], head, op == PLAT_DISK_WRITE, buf, len);
	}
	if (!n) {
		sl->busy = 0;
		vb.inflight--;
		return refuse();
	}
	virtq_publish(&vb.q, head);
	if (more)
		return 0; /* the batch's last request notifies for all */
	sl->t_kick0 = plat_rdtsc();
	sl->kicked = (uint8_t)virtq_kick(&vb.q);
	sl->t_kick1 = plat_rdtsc();
	return 0;
}

/* A request alone in flight from submission to completion: its time
 * from the notify to the completion seen, the notify write itself, and
 * where the interrupt fell: during the notify's exit (the device finished
 * before the vCPU was back in the guest), or after it (then split into
 * device and interrupt time). */
static void account(struct vblk_slot *sl, uint64_t seen)
{
	if (!sl->alone || !sl->kicked || vb.inflight != 0)
		return;
	vb.n_alone++;
	vb.t_req += seen - sl->t_kick0;
	vb.t_notify += sl->t_kick1 - sl->t_kick0;
	uint64_t irq = vb.q.wait == VIRTIO_WAIT_IRQ ? virtio_info()->virtio_irq_tsc[vb.q.vec] : 0;
	if (vb.q.wait != VIRTIO_WAIT_IRQ || irq < sl->t_kick0 || irq > seen)
		return; /* no interrupt of its own (polling, or found at the recheck) */
	if (irq < sl->t_kick1) {
		vb.n_irq_in_notify++;
		return;
	}
	vb.n_split++;
	vb.t_device += irq - sl->t_kick1;
	vb.t_irq += seen - irq;
}

int plat_disk_wait(uint64_t *tag)
{
	*tag = ~0ull;
	if (!vb.open || !vb.inflight)
		return -1;
	if (vb.nlocal) {
		for (unsigned s = 0; s < vb.nslots; s++) {
			struct vblk_slot *sl = &vb.slots[s];
			if (sl->busy && sl->local) {
				sl->busy = sl->local = 0;
				vb.nlocal--;
				vb.inflight--;
				*tag = sl->tag;
				return 0;
			}
		}
	}
	uint32_t id, len;
	if (virtq_wait(&vb.q, &id, &len))
		return -1; /* the device has stopped answering */
	uint64_t seen = plat_rdtsc();
	unsigned s = vb.indirect ? id : id / 3;
	if (id >= vb.q.size || (!vb.indirect && id % 3) || s >= vb.nslots || !vb.slots[s].busy ||
	    vb.slots[s].local)
		return -1; /* a used id that names no request of ours */
	struct vblk_slot *sl = &vb.slots[s];
	sl->busy = 0;
	vb.inflight--;
	*tag = sl->tag;
	vb.last_status = sl->status;
	account(sl, seen);
	return sl->status == VIRTIO_BLK_S_OK ? 0 : -1;
}

int plat_disk_ready(void)
{
	return vb.open && (vb.nlocal || virtq_ready(&vb.q));
}

size_t plat_disk_stats(struct plat_stat *out, size_t max)
{
	size_t n = 0;
#define STAT(k, v, dec)                                           \
	do {                                                      \
		if (n < max)                                      \
			out[n++] = (struct plat_stat){k, (double)(v), dec}; \
	} while (0)
	STAT("virtio_irq", vb.q.wait == VIRTIO_WAIT_IRQ, 0);
	STAT("virtio_event_idx", vb.q.event_idx, 0);
	STAT("virtio_indirect", vb.indirect, 0);
	STAT("virtio_queue", vb.q.size, 0);
	STAT("notifies", vb.q.kicks, 0);
	STAT("notifies_suppressed", vb.q.kicks_skipped, 0);
	STAT("interrupts", vb.q.irq_waits, 0);
	STAT("rechecks", vb.q.rechecks, 0);
	if (vb.n_alone) {
		double na = (double)vb.n_alone;
		STAT("alone", vb.n_alone, 0);
		STAT("req_us", (double)ticks_to_ns(vb.t_req) / 1e3 / na, 2);
		STAT("notify_us", (double)ticks_to_ns(vb.t_notify) / 1e3 / na, 2);
		STAT("irq_in_notify", vb.n_irq_in_notify, 0);
	}
	if (vb.n_split) {
		double ns = (double)vb.n_split;
		STAT("split", vb.n_split, 0);
		STAT("device_us", (double)ticks_to_ns(vb.t_device) / 1e3 / ns, 2);
		STAT("irq_us", (double)ticks_to_ns(vb.t_irq) / 1e3 / ns, 2);
	}
#undef STAT
	return n;
}

/* ---- test hooks (`vtest KIND`, tests/kvm/test_virtio_guest.c) ----
 * blk-info: what was negotiated; ro-write: a write to a read-only disk
 * must come back VIRTIO_BLK_S_IOERR (5.2.6.2); reset: requests in flight
 * when the driver resets the device (3.1.1, 4.1.4.3.2) are dropped, and a
 * fresh initialisation reads the image's pattern correctly. */
static void vt_print(const char *kind, const char *what, uint64_t v1, uint64_t v2)
{
	char line[160];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "VTEST ");
	fmt_str(&f, kind);
	fmt_char(&f, ' ');
	fmt_str(&f, what);
	fmt_str(&f, " a=");
	fmt_u64(&f, v1);
	fmt_str(&f, " b=");
	fmt_u64(&f, v2);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
}

static int vt_read_check(uint8_t *buf, uint32_t len, uint64_t off)
{
	uint64_t tag;
	if (plat_disk_submit(PLAT_DISK_READ, off, buf, len, 1) || plat_disk_wait(&tag) || tag != 1)
		return -1;
	return diskpat_check(buf, off, len, 0, 1) ? -1 : 0;
}

int vblk_test_hook(const char *kind)
{
	struct plat_disk_info info;
	const char *why = "";
	uint64_t tag;
	uint32_t bs = 128u << 10;
	if (fmt_streq(kind, "rng"))
		return vrng_test_hook();
	uint8_t *buf = plat_alloc(8 * (size_t)bs);
	if (!buf)
		return 1;
	if (plat_disk_open(&info, PLAT_DISK_WAIT_IRQ, &why)) {
		plat_write("VTEST open failed: ", 19);
		plat_write(why, fmt_strlen(why));
		plat_write("\n", 1);
		plat_free(buf, 8 * (size_t)bs);
		return 1;
	}
	int rc = 1;
	if (fmt_streq(kind, "blk-info")) {
		vt_print(kind, "features/size", vb.dev.features, info.size);
		vt_print(kind, "readonly/irq", (uint64_t)info.readonly, vb.q.wait == VIRTIO_WAIT_IRQ);
		vt_print(kind, "setup_us/queue", info.setup_ns / 1000, vb.q.size);
		vt_print(kind, "cfg_calls/cfg_us", virtio_cfg_calls, ticks_to_ns(virtio_cfg_tsc) / 1000);
		rc = 0;
	} else if (fmt_streq(kind, "ro-write")) {
		diskpat_fill(buf, 0, 4096, 9);
		int r = plat_disk_submit(PLAT_DISK_WRITE, 0, buf, 4096, 7);
		int w = r ? 0 : plat_disk_wait(&tag);
		vt_print(kind, "readonly/status", (uint64_t)info.readonly, vb.last_status);
		rc = !(info.readonly && !r && w == -1 && tag == 7 && vb.last_status == VIRTIO_BLK_S_IOERR);
		/* the disk still reads after the refused write */
		rc |= vt_read_check(buf, 4096, 0) ? 1 : 0;
	} else if (fmt_streq(kind, "reset")) {
		unsigned n = vb.nslots < 8 ? vb.nslots : 8;
		for (unsigned i = 0; i < n; i++)
			plat_disk_submit(PLAT_DISK_READ, (uint64_t)i * bs, buf + (uint64_t)i * bs, bs, i);
		uint8_t before = virtio_status(&vb.dev);
		plat_disk_close(); /* resets with the requests in flight */
		uint8_t after = virtio_status(&vb.dev);
		vt_print(kind, "status-before/after", before, after);
		if (plat_disk_open(&info, PLAT_DISK_WAIT_IRQ, &why) == 0) {
			rc = after != 0;
			for (unsigned i = 0; i < 8 && !rc; i++)
				rc = vt_read_check(buf + (uint64_t)i * bs, bs, (uint64_t)i * bs) ? 1 : 0;
			vt_print(kind, rc ? "reread-failed" : "reread-ok", 8, vb.q.kicks);
		}
	}
	plat_disk_close();
	plat_free(buf, 8 * (size_t)bs);
	return rc;
}
