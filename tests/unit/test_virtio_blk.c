/*
 * test_virtio_blk: the virtio-blk device (src/vmm/virtio/blk.c) without
 * KVM: the --disk option, the checks on the image at start-up, the
 * request parser and every request type against a temporary image, host
 * I/O errors reaching the guest as IOERR, and the device threads (blk and
 * rng) serving requests inside the real seccomp filter.
 */
#include "testlib.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blk.h"
#include "guestmem.h"
#include "pci.h"
#include "rng.h"
#include "sandbox.h"

#define DISK_BYTES (64u << 10)

struct fix {
	char path[64];
	struct guestmem gm;
	struct bus mmio;
	struct virtio_blk b;
	bool inited;
	/* A request's memory: header, data, status. */
	uint8_t hdr[16], data[8192], st;
	struct virtq_chain c;
};

static void make_image(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static struct virtio_pci_hooks no_hooks(void)
{
	return (struct virtio_pci_hooks){.gsi_base = 40};
}

static int open_disk(struct fix *f, bool ro, char *err, size_t errlen)
{
	struct blk_cfg c = {f->path, ro};
	struct virtio_pci_hooks h = no_hooks();
	int r = virtio_blk_init(&f->b, 0, &c, &f->gm, &f->mmio, &h, err, errlen);
	f->inited = r == 0;
	return r;
}

static int setup_common(void **state, bool ro)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/vmm-test-blk-%d.img", (int)getpid());
	make_image(f->path, DISK_BYTES);
	assert_int_equal(gm_init(&f->gm, 2u << 20), 0);
	f->mmio = (struct bus)BUS_INIT("mmio");
	char err[256] = "";
	int r = open_disk(f, ro, err, sizeof(err));
	if (r)
		test_note("%s", err);
	assert_int_equal(r, 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, false);
}

static int setup_ro(void **state)
{
	return setup_common(state, true);
}

static int teardown(void **state)
{
	struct fix *f = *state;
	if (f->inited)
		virtio_blk_free(&f->b);
	unlink(f->path);
	bus_free(&f->mmio);
	gm_free(&f->gm);
	free(f);
	return 0;
}

/* A chain: header | data (readable for OUT/DISCARD, else writable) | status. */
static void req(struct fix *f, uint32_t type, uint64_t sector, uint32_t len)
{
	memcpy(f->hdr, &type, 4);
	memset(f->hdr + 4, 0, 4);
	memcpy(f->hdr + 8, &sector, 8);
	f->st = 0xee;
	struct virtq_chain *c = &f->c;
	memset(c, 0, sizeof(*c));
	c->buf[0] = (struct virtq_buf){f->hdr, 16};
	bool out = type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_DISCARD;
	unsigned k = 1;
	if (len)
		c->buf[k++] = (struct virtq_buf){f->data, len};
	c->nr = out && len ? 2 : 1;
	c->rlen = 16 + (out ? len : 0);
	c->buf[k++] = (struct virtq_buf){&f->st, 1};
	c->nw = k - c->nr;
	c->wlen = 1 + (out ? 0 : len);
}

static uint32_t serve(struct fix *f)
{
	uint32_t w = 0xdead;
	assert_int_equal(virtio_blk_serve(&f->b, 0, &f->c, &w), 0);
	return w;
}

static void option_syntax(void **state)
{
	(void)state;
	struct blk_cfg c;
	char err[128];
	assert_int_equal(blk_parse_option("a.img", &c, err, sizeof(err)), 0);
	assert_string_equal(c.path, "a.img");
	assert_false(c.readonly);
	assert_int_equal(blk_parse_option("/x/a,b.img,readonly", &c, err, sizeof(err)), 0);
	assert_string_equal(c.path, "/x/a,b.img");
	assert_true(c.readonly);
	assert_int_equal(blk_parse_option("a.img,ro", &c, err, sizeof(err)), 0);
	assert_string_equal(c.path, "a.img,ro"); /* all path: the open names it */
	assert_int_equal(blk_parse_option(",readonly", &c, err, sizeof(err)), -1);
	assert_int_equal(blk_parse_option("", &c, err, sizeof(err)), -1);
}

/* Bad images are refused at start-up with a message naming --disk. */
static void bad_images_refused(void **state)
{
	struct fix *f = *state;
	struct {
		const char *what;
		size_t size; /* or ~0: a directory, ~1: missing */
		const char *want;
	} cases[] = {
		{"missing", ~(size_t)1, "cannot open"},
		{"directory", ~(size_t)0, "is a directory"},
		{"odd size", 1000, "not a multiple of 512"},
		{"empty", 0, "is empty"},
	};
	struct fix g = *f;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(g.path, sizeof(g.path), "/tmp/vmm-test-bad-%d-%zu", (int)getpid(), i);
		if (cases[i].size == ~(size_t)0)
			assert_int_equal(mkdir(g.path, 0755), 0);
		else if (cases[i].size != ~(size_t)1)
			make_image(g.path, cases[i].size);
		char err[256] = "";
		assert_int_equal(open_disk(&g, false, err, sizeof(err)), -1);
		test_note("%s: %s", cases[i].what, err);
		assert_non_null(strstr(err, "--disk"));
		assert_non_null(strstr(err, g.path));
		assert_non_null(strstr(err, cases[i].want));
		rmdir(g.path);
		unlink(g.path);
	}
	/* The image is locked: a second writer is refused. */
	char err[256] = "";
	snprintf(g.path, sizeof(g.path), "%s", f->path);
	assert_int_equal(open_disk(&g, false, err, sizeof(err)), -1);
	test_note("second writer: %s", err);
	assert_non_null(strstr(err, "locked"));
}

static void config_space(void **state)
{
	struct fix *f = *state;
	uint64_t cap;
	uint32_t size_max, seg_max;
	memcpy(&cap, f->b.config, 8);
	memcpy(&size_max, f->b.config + 8, 4);
	memcpy(&seg_max, f->b.config + 12, 4);
	assert_int_equal(cap, DISK_BYTES / 512);
	assert_int_equal(size_max, BLK_SIZE_MAX);
	assert_int_equal(seg_max, BLK_SEG_MAX);
	/* A request of seg_max segments of size_max fits the chain cap. */
	assert_true((uint64_t)seg_max * size_max + 17 <= VIRTQ_MAX_CHAIN_BYTES);
	uint64_t feat = f->b.vp.host_features;
	assert_true(feat & (1ull << VIRTIO_BLK_F_FLUSH));
	assert_true(feat & (1ull << VIRTIO_BLK_F_SEG_MAX));
	assert_true(feat & (1ull << VIRTIO_BLK_F_SIZE_MAX));
	assert_false(feat & (1ull << VIRTIO_BLK_F_RO));
	test_note("discard offered: %d", f->b.discard);
	assert_int_equal(f->b.vp.pci.device_id, 0x1042);
}

static void write_then_read(void **state)
{
	struct fix *f = *state;
	for (unsigned i = 0; i < 1024; i++)
		f->data[i] = (uint8_t)(i * 7 + 1);
	req(f, VIRTIO_BLK_T_OUT, 3, 1024);
	assert_int_equal(serve(f), 1);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
	memset(f->data, 0, sizeof(f->data));
	req(f, VIRTIO_BLK_T_IN, 3, 1024);
	assert_int_equal(serve(f), 1025);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
	for (unsigned i = 0; i < 1024; i++)
		assert_int_equal(f->data[i], (uint8_t)(i * 7 + 1));
	/* On the host, at sector 3. */
	int fd = open(f->path, O_RDONLY);
	uint8_t b[4];
	assert_int_equal(pread(fd, b, 4, 3 * 512), 4);
	close(fd);
	assert_int_equal(b[1], 8);
	req(f, VIRTIO_BLK_T_FLUSH, 0, 0);
	assert_int_equal(serve(f), 1);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
}

/* Data spread over several buffers, the header split in two. */
static void scattered_request(void **state)
{
	struct fix *f = *state;
	uint32_t type = VIRTIO_BLK_T_IN;
	uint64_t sector = 0;
	memcpy(f->hdr, &type, 4);
	memset(f->hdr + 4, 0, 4);
	memcpy(f->hdr + 8, &sector, 8);
	struct virtq_chain *c = &f->c;
	memset(c, 0, sizeof(*c));
	c->buf[0] = (struct virtq_buf){f->hdr, 5};
	c->buf[1] = (struct virtq_buf){f->hdr + 5, 11};
	c->buf[2] = (struct virtq_buf){f->data, 100};
	c->buf[3] = (struct virtq_buf){f->data + 1000, 412};
	c->buf[4] = (struct virtq_buf){f->data + 2000, 512};
	c->buf[5] = (struct virtq_buf){&f->st, 1}; /* status in its own buffer */
	c->nr = 2;
	c->nw = 4;
	c->rlen = 16;
	c->wlen = 1025;
	assert_int_equal(serve(f), 1025);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
	/* Status sharing a buffer with the data's end. */
	c->buf[4] = (struct virtq_buf){f->data + 2000, 513};
	c->nw = 3;
	f->data[2512] = 0xee;
	assert_int_equal(serve(f), 1025);
	assert_int_equal(f->data[2512], VIRTIO_BLK_S_OK);
}

static void bad_requests(void **state)
{
	struct fix *f = *state;
	/* Beyond the end, straddling the end, sector overflow. */
	req(f, VIRTIO_BLK_T_IN, DISK_BYTES / 512, 512);
	assert_int_equal(serve(f), 1);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	req(f, VIRTIO_BLK_T_OUT, DISK_BYTES / 512 - 1, 1024);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	req(f, VIRTIO_BLK_T_IN, ~0ull - 1, 1024);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	/* Not whole sectors. */
	req(f, VIRTIO_BLK_T_IN, 0, 100);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	/* Unknown type. */
	req(f, 77, 0, 0);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_UNSUPP);
	/* A short header: answered with IOERR. */
	req(f, VIRTIO_BLK_T_IN, 0, 512);
	f->c.buf[0].len = 8;
	f->c.rlen = 8;
	assert_int_equal(serve(f), 1);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	/* No writable byte at all: nothing to answer in. */
	req(f, VIRTIO_BLK_T_FLUSH, 0, 0);
	f->c.nw = 0;
	f->c.wlen = 0;
	uint32_t w;
	assert_int_equal(virtio_blk_serve(&f->b, 0, &f->c, &w), -1);
	assert_int_equal(blk_parse(&f->c, &(struct blk_req){0}), -1);
}

static void get_id(void **state)
{
	struct fix *f = *state;
	req(f, VIRTIO_BLK_T_GET_ID, 0, 20);
	assert_int_equal(serve(f), 21);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
	const char *base = strrchr(f->path, '/') + 1;
	assert_memory_equal(f->data, base, strlen(base) < 20 ? strlen(base) : 20);
}

static void discard(void **state)
{
	struct fix *f = *state;
	if (!f->b.discard)
		skip_because("the file system of /tmp cannot punch holes");
	memset(f->data, 0xab, 4096);
	req(f, VIRTIO_BLK_T_OUT, 8, 4096);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
	uint64_t seg_sector = 8;
	uint32_t seg_num = 8, seg_flags = 0;
	req(f, VIRTIO_BLK_T_DISCARD, 0, 16);
	memcpy(f->data, &seg_sector, 8);
	memcpy(f->data + 8, &seg_num, 4);
	memcpy(f->data + 12, &seg_flags, 4);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
	req(f, VIRTIO_BLK_T_IN, 8, 4096);
	serve(f);
	static const uint8_t zero[4096];
	assert_memory_equal(f->data, zero, 4096);
	/* The unmap flag belongs to WRITE_ZEROES: UNSUPP (5.2.6.2). */
	req(f, VIRTIO_BLK_T_DISCARD, 0, 16);
	seg_flags = 1;
	memcpy(f->data, &seg_sector, 8);
	memcpy(f->data + 8, &seg_num, 4);
	memcpy(f->data + 12, &seg_flags, 4);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_UNSUPP);
	/* A segment past the end. */
	seg_sector = DISK_BYTES / 512;
	seg_flags = 0;
	memcpy(f->data, &seg_sector, 8);
	memcpy(f->data + 12, &seg_flags, 4);
	req(f, VIRTIO_BLK_T_DISCARD, 0, 16);
	memcpy(f->data, &seg_sector, 8);
	memcpy(f->data + 8, &seg_num, 4);
	memcpy(f->data + 12, &seg_flags, 4);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
}

static void readonly_disk(void **state)
{
	struct fix *f = *state;
	assert_true(f->b.vp.host_features & (1ull << VIRTIO_BLK_F_RO));
	assert_false(f->b.vp.host_features & (1ull << VIRTIO_BLK_F_DISCARD));
	memset(f->data, 0x5a, 512);
	req(f, VIRTIO_BLK_T_OUT, 0, 512);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	req(f, VIRTIO_BLK_T_IN, 0, 512);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
	assert_int_equal(f->data[0], 0); /* the write did not happen */
	req(f, VIRTIO_BLK_T_DISCARD, 0, 16);
	serve(f);
	assert_int_not_equal(f->st, VIRTIO_BLK_S_OK);
	req(f, VIRTIO_BLK_T_FLUSH, 0, 0);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_OK);
}

/* The image shrinks under the VM: a read inside the disk's capacity hits
 * the end of the file. The guest gets IOERR, not zeros. */
static void host_error_is_ioerr(void **state)
{
	struct fix *f = *state;
	assert_int_equal(truncate(f->path, 4096), 0);
	req(f, VIRTIO_BLK_T_IN, 16, 512);
	memset(f->data, 0x11, 512);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	assert_true(f->b.ioerrs >= 1);
	/* A bad descriptor on the host: writes fail with EBADF. */
	int fd = f->b.fd;
	f->b.fd = 1000;
	req(f, VIRTIO_BLK_T_OUT, 0, 512);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	req(f, VIRTIO_BLK_T_FLUSH, 0, 0);
	serve(f);
	assert_int_equal(f->st, VIRTIO_BLK_S_IOERR);
	f->b.fd = fd;
}

static void rng_fills_writable_buffers(void **state)
{
	(void)state;
	static struct virtio_rng r;
	static uint8_t a[100], b[70000], rd[16];
	struct virtq_chain *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->buf[0] = (struct virtq_buf){rd, 16};
	c->buf[1] = (struct virtq_buf){a, sizeof(a)};
	c->buf[2] = (struct virtq_buf){b, sizeof(b)};
	c->nr = 1;
	c->nw = 2;
	c->rlen = 16;
	c->wlen = sizeof(a) + sizeof(b);
	uint32_t w = 0;
	assert_int_equal(virtio_rng_serve(&r, 0, c, &w), 0);
	/* Capped per request; the readable buffer untouched. */
	assert_int_equal(w, RNG_MAX_PER_REQUEST);
	static const uint8_t zero[100];
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_equal(rd, zero, sizeof(rd));
	assert_int_equal(b[RNG_MAX_PER_REQUEST - sizeof(a)], 0);
	free(c);
}

/* ---- the device threads inside the sandbox ------------------------------ */

static void intx_nop(void *ctx, unsigned gsi, int level)
{
	(void)ctx;
	(void)gsi;
	(void)level;
}

static uint64_t rd(struct virtio_pci *vp, uint64_t off, uint32_t len)
{
	uint8_t d[8] = {0};
	virtio_pci_mmio(vp, off, d, len, false);
	uint64_t v = 0;
	memcpy(&v, d, len);
	return v;
}

static void wr(struct virtio_pci *vp, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t d[8];
	memcpy(d, &v, 8);
	virtio_pci_mmio(vp, off, d, len, true);
}

/* Brings a device up on rings at `base` (desc, +0x1000 avail, +0x2000
 * used), as a driver would. */
static void up(struct virtio_pci *vp, uint64_t base)
{
	wr(vp, 0x14, 1, 3);
	wr(vp, 0x08, 4, 1);
	wr(vp, 0x0c, 4, 1);
	wr(vp, 0x14, 1, 11);
	wr(vp, 0x16, 2, 0);
	wr(vp, 0x18, 2, 16);
	wr(vp, 0x20, 8, base);
	wr(vp, 0x28, 8, base + 0x1000);
	wr(vp, 0x30, 8, base + 0x2000);
	wr(vp, 0x1c, 2, 1);
	wr(vp, 0x14, 1, 15);
}

static bool wait_used(struct guestmem *gm, uint64_t base, uint16_t n)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const uint16_t *u = gm_ptr(gm, base + 0x2002, 2);
	do {
		if (__atomic_load_n(u, __ATOMIC_ACQUIRE) >= n)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 5);
	return false;
}

static void put_desc(struct guestmem *gm, uint64_t base, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct virtq_desc d = {addr, len, flags, next};
	memcpy(gm_ptr(gm, base + 16 * i, 16), &d, 16);
}

static void offer_n(struct guestmem *gm, uint64_t base, uint16_t head, uint16_t idx)
{
	uint16_t *ring = gm_ptr(gm, base + 0x1004, 32);
	ring[idx % 16] = head;
	__atomic_store_n((uint16_t *)gm_ptr(gm, base + 0x1002, 2), (uint16_t)(idx + 1),
			 __ATOMIC_RELEASE);
}

static int sandboxed_child(const char *path)
{
	static struct guestmem gm;
	static struct bus mmio = BUS_INIT("mmio");
	static struct pci_bus pci;
	static struct virtio_blk b;
	static struct virtio_rng r;
	char err[256];
	if (gm_init(&gm, 2u << 20))
		return 20;
	pci_init(&pci);
	struct virtio_pci_hooks h = {.intx = {intx_nop, NULL, 19}, .gsi_base = 40};
	struct blk_cfg c = {path, false};
	if (virtio_blk_init(&b, 0, &c, &gm, &mmio, &h, err, sizeof(err)) ||
	    virtio_rng_init(&r, &gm, &mmio, &h, err, sizeof(err)))
		return 21;
	if (pci_add(&pci, &b.vp.pci) < 0 || pci_add(&pci, &r.vp.pci) < 0 ||
	    virtio_pci_add_caps(&b.vp) || virtio_pci_add_caps(&r.vp))
		return 22;
	if (virtio_pci_start(&b.vp, true, err, sizeof(err)) ||
	    virtio_pci_start(&r.vp, true, err, sizeof(err)))
		return 23;
	struct sandbox_opts o = {.enabled = true, .tty_fd = -1, .threads = 2};
	o.ndev = virtio_pci_fds(&b.vp, o.dev_fds, SANDBOX_MAX_DEV_FDS);
	o.ndev += virtio_pci_fds(&r.vp, o.dev_fds + o.ndev, SANDBOX_MAX_DEV_FDS - o.ndev);
	o.disk_fds[o.ndisk++] = b.fd;
	if (sandbox_enter(&o, err, sizeof(err)))
		return 24;
	sandbox_release();

	/* Disk: OUT, FLUSH, IN, GET_ID, DISCARD through the worker. */
	const uint64_t q = 0x10000, d = 0x40000;
	up(&b.vp, q);
	uint8_t *mem = gm_ptr(&gm, d, 0x10000);
	uint32_t types[] = {VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_IN,
			    VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD};
	for (uint16_t i = 0; i < 5; i++) {
		uint64_t hdr = d + 0x100 * i, buf = d + 0x1000 + 0x1000 * i, st = d + 0x80 + i;
		memset(mem + (hdr - d), 0, 16);
		memcpy(mem + (hdr - d), &types[i], 4);
		uint64_t sector = 2;
		memcpy(mem + (hdr - d) + 8, &sector, 8);
		memset(mem + (buf - d), 0x77, 512);
		if (types[i] == VIRTIO_BLK_T_DISCARD) {
			uint32_t n = 1, fl = 0;
			memcpy(mem + (buf - d), &sector, 8);
			memcpy(mem + (buf - d) + 8, &n, 4);
			memcpy(mem + (buf - d) + 12, &fl, 4);
		}
		uint16_t wflag = types[i] == VIRTIO_BLK_T_IN || types[i] == VIRTIO_BLK_T_GET_ID
					 ? VIRTQ_DESC_F_WRITE
					 : 0;
		uint32_t len = types[i] == VIRTIO_BLK_T_DISCARD ? 16
			       : types[i] == VIRTIO_BLK_T_GET_ID ? 20
			       : 512;
		unsigned h0 = 3u * i;
		put_desc(&gm, q, h0, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(h0 + 1));
		if (types[i] == VIRTIO_BLK_T_FLUSH) {
			put_desc(&gm, q, h0, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(h0 + 2));
		} else {
			put_desc(&gm, q, h0 + 1, buf, len, (uint16_t)(wflag | VIRTQ_DESC_F_NEXT),
				 (uint16_t)(h0 + 2));
		}
		put_desc(&gm, q, h0 + 2, st, 1, VIRTQ_DESC_F_WRITE, 0);
		mem[st - d] = 0xee;
		offer_n(&gm, q, (uint16_t)h0, i);
		wr(&b.vp, VIRTIO_PCI_NOTIFY, 2, 0);
		if (!wait_used(&gm, q, (uint16_t)(i + 1)))
			return 30 + i;
		uint8_t want = types[i] == VIRTIO_BLK_T_DISCARD && !b.discard ? VIRTIO_BLK_S_UNSUPP
									     : VIRTIO_BLK_S_OK;
		if (mem[st - d] != want)
			return 40 + i;
	}
	if (mem[0x3000] != 0x77)
		return 50; /* IN read back what OUT wrote */

	/* Entropy. */
	const uint64_t rq = 0x20000;
	up(&r.vp, rq);
	put_desc(&gm, rq, 0, d + 0x8000, 32, VIRTQ_DESC_F_WRITE, 0);
	offer_n(&gm, rq, 0, 0);
	wr(&r.vp, VIRTIO_PCI_NOTIFY, 2, 0);
	if (!wait_used(&gm, rq, 1))
		return 60;
	/* Reset through the workers too. */
	wr(&b.vp, 0x14, 1, 0);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (rd(&b.vp, 0x14, 1)) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return 61;
	}
	virtio_blk_free(&b);
	virtio_pci_free(&r.vp);
	return 0;
}

static void device_threads_in_sandbox(void **state)
{
	struct fix *f = *state;
	virtio_blk_free(&f->b); /* the child opens the image itself */
	f->inited = false;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	skip_because("the sanitizer's runtime makes calls outside the policy");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip_because("ASan's runtime makes calls outside the policy");
#endif
#endif
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sandboxed_child(f->path));
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	test_note("child status %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(option_syntax),
		cmocka_unit_test_setup_teardown(bad_images_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(config_space, setup, teardown),
		cmocka_unit_test_setup_teardown(write_then_read, setup, teardown),
		cmocka_unit_test_setup_teardown(scattered_request, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(discard, setup, teardown),
		cmocka_unit_test_setup_teardown(readonly_disk, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(host_error_is_ioerr, setup, teardown),
		cmocka_unit_test(rng_fills_writable_buffers),
		cmocka_unit_test_setup_teardown(device_threads_in_sandbox, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
