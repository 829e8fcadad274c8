/*
 * test_loader: the kernel image loaders (bzImage, ELF64, multiboot) and
 * load_kernel's format detection, on images built here in memory.
 *
 * Each valid image is checked byte by byte where it lands in guest RAM and
 * in the boot block it gets; each broken one must fail with a message that
 * says what is wrong. Truncating a valid image at every length must never
 * load and never crash (run under ASan too).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestmem.h"
#include "hvboot.h"
#include "loader.h"

#define MEM (64ull << 20)
#define MIB (1ull << 20)

struct fx {
	struct guestmem gm;
	struct boot_entry be;
	char err[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || gm_init(&f->gm, MEM) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	gm_free(&f->gm);
	free(f);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t *gpa(struct fx *f, uint64_t addr, uint64_t len)
{
	uint8_t *p = gm_ptr(&f->gm, addr, len);
	assert_non_null(p);
	return p;
}

static struct load_request req_for(const uint8_t *img, size_t size)
{
	struct load_request r = {
		.kernel = img, .kernel_size = size, .cmdline = "console=ttyS0",
		.kernel_name = "test.img", .tsc_khz = 2500000, .ncpus = 2,
	};
	return r;
}

typedef int (*loader_fn)(const struct guestmem *, const struct load_request *,
			 struct boot_entry *, char *, size_t);

/* Runs a loader that must fail and checks the message mentions `what`. */
static void expect_fail(struct fx *f, loader_fn fn, const struct load_request *r,
			const char *what)
{
	f->err[0] = '\0';
	int rc = fn(&f->gm, r, &f->be, f->err, sizeof(f->err));
	if (rc != -1 || !strstr(f->err, what))
		test_note("rc %d, message \"%s\", wanted \"%s\"", rc, f->err, what);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(f->err, what));
	/* Messages start with the kernel's name when it is given. */
	assert_true(strncmp(f->err, "test.img: ", 10) == 0);
	assert_null(strchr(f->err, '\n'));
}

static void expect_ok(struct fx *f, loader_fn fn, const struct load_request *r)
{
	f->err[0] = '\0';
	int rc = fn(&f->gm, r, &f->be, f->err, sizeof(f->err));
	if (rc != 0)
		test_note("unexpected failure: %s", f->err);
	assert_int_equal(rc, 0);
}

/* ---- bzImage ---------------------------------------------------------- */

#define BZ_SECTS 4
#define BZ_SETUP ((BZ_SECTS + 1) * 512)
#define BZ_PAYLOAD 0x2000
#define BZ_SIZE (BZ_SETUP + BZ_PAYLOAD)
#define BZ_INIT_SIZE 0x40000

/* A minimal bzImage: boot sector + 4 setup sectors holding a protocol 2.15
 * header that ends at 0x268, then an 8 KiB "kernel" with a pattern. */
static void bz_build(uint8_t *b)
{
	memset(b, 0, BZ_SIZE);
	b[0x1f1] = BZ_SECTS;
	put32(b + 0x1f4, BZ_PAYLOAD / 16);   /* syssize */
	put16(b + 0x1fa, 0xffff);            /* vid_mode */
	put16(b + 0x1fe, 0xaa55);            /* boot_flag */
	b[0x200] = 0xeb;                     /* jmp short */
	b[0x201] = 0x66;                     /* header ends at 0x268 */
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);            /* version 2.15 */
	b[0x211] = 0x01 | 0x20;              /* LOADED_HIGH | QUIET */
	put32(b + 0x22c, 0x7fffffff);        /* initrd_addr_max */
	put32(b + 0x230, 0x200000);          /* kernel_alignment */
	put16(b + 0x236, 0x1 | 0x2);         /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	put32(b + 0x238, 2047);              /* cmdline_size */
	put32(b + 0x260, BZ_INIT_SIZE);      /* init_size */
	b[0x300] = 0x5a; /* past the header end: must not reach the zero page */
	for (size_t i = 0; i < BZ_PAYLOAD; i++)
		b[BZ_SETUP + i] = (uint8_t)(i * 7 + 3);
}

static void test_bz_valid(void **state)
{
	struct fx *f = *state;
	static uint8_t img[BZ_SIZE];
	uint8_t initrd[10000];
	bz_build(img);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0xa5);
	/* Dirty the zero page: everything we do not set must come out 0. */
	memset(gpa(f, HVBOOT_INFO, 4096), 0xcc, 4096);
	struct load_request r = req_for(img, sizeof(img));
	r.initrd = initrd;
	r.initrd_size = sizeof(initrd);
	expect_ok(f, load_bzimage, &r);

	assert_int_equal(f->be.mode, BOOT_LINUX64);
	assert_int_equal(f->be.entry, 0x100200);
	assert_int_equal(f->be.info, HVBOOT_INFO);
	assert_int_equal(f->be.stack, 0);
	assert_memory_equal(gpa(f, 0x100000, BZ_PAYLOAD), img + BZ_SETUP, BZ_PAYLOAD);

	uint8_t *zp = gpa(f, HVBOOT_INFO, 4096);
	assert_memory_equal(zp + 0x1f1, img + 0x1f1, 0x210 - 0x1f1);
	assert_int_equal(get16(zp + 0x1fe), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(zp[0x210], 0xff);                   /* type_of_loader */
	assert_int_equal(zp[0x211], 0x01 | 0x20 | 0x80);     /* kept QUIET, + CAN_USE_HEAP */
	assert_int_equal(get16(zp + 0x224), 0xfe00);         /* heap_end_ptr */
	assert_int_equal(get32(zp + 0x228), HVBOOT_CMDLINE); /* cmd_line_ptr */
	assert_int_equal(get32(zp + 0x238), 2047);
	assert_int_equal(zp[0x300], 0);      /* beyond the header's declared end */
	assert_int_equal(zp[0x000], 0);      /* the rest of the page is zeroed */
	assert_string_equal((char *)gpa(f, HVBOOT_CMDLINE, 14), "console=ttyS0");

	/* initrd: page aligned, as high as low RAM allows, above the kernel. */
	uint32_t ri = get32(zp + 0x218), rs = get32(zp + 0x21c);
	assert_int_equal(rs, sizeof(initrd));
	assert_int_equal(ri & 0xfff, 0);
	assert_true(ri + rs <= MEM);
	assert_true(ri + rs > MEM - 4096);
	assert_true(ri >= 0x100000 + BZ_INIT_SIZE);
	assert_memory_equal(gpa(f, ri, rs), initrd, rs);

	/* E820: 3 entries for 64 MiB (low RAM, legacy hole, RAM above 1 MiB). */
	assert_int_equal(zp[0x1e8], 3);
	const uint8_t *e = zp + 0x2d0;
	assert_int_equal(get64(e), 0);
	assert_int_equal(get64(e + 8), GM_EBDA_START);
	assert_int_equal(get32(e + 16), E820_RAM);
	assert_int_equal(get64(e + 20), GM_EBDA_START);
	assert_int_equal(get32(e + 36), E820_RESERVED);
	assert_int_equal(get64(e + 40), 0x100000);
	assert_int_equal(get64(e + 48), MEM - 0x100000);
	assert_int_equal(get32(e + 56), E820_RAM);
	assert_int_equal(get32(e + 60 + 16), 0); /* no fourth entry */
}

static void test_bz_no_initrd_and_sects0(void **state)
{
	struct fx *f = *state;
	static uint8_t img[BZ_SIZE];
	bz_build(img);
	img[0x1f1] = 0; /* "0 means 4" */
	memset(gpa(f, HVBOOT_INFO, 4096), 0xcc, 4096);
	struct load_request r = req_for(img, sizeof(img));
	r.cmdline = "";
	expect_ok(f, load_bzimage, &r);
	uint8_t *zp = gpa(f, HVBOOT_INFO, 4096);
	assert_int_equal(get32(zp + 0x218), 0);
	assert_int_equal(get32(zp + 0x21c), 0);
	assert_int_equal(*gpa(f, HVBOOT_CMDLINE, 1), 0);
	assert_memory_equal(gpa(f, 0x100000, BZ_PAYLOAD), img + BZ_SETUP, BZ_PAYLOAD);
}

static void test_bz_initrd_addr_max(void **state)
{
	struct fx *f = *state;
	static uint8_t img[BZ_SIZE];
	uint8_t initrd[5000] = {1, 2, 3};
	bz_build(img);
	put32(img + 0x22c, 0x00ffffff); /* last byte it may use: 16 MiB - 1 */
	struct load_request r = req_for(img, sizeof(img));
	r.initrd = initrd;
	r.initrd_size = sizeof(initrd);
	expect_ok(f, load_bzimage, &r);
	uint8_t *zp = gpa(f, HVBOOT_INFO, 4096);
	uint32_t ri = get32(zp + 0x218);
	assert_int_equal(ri, (0x1000000 - sizeof(initrd)) & ~0xfffu);
	assert_memory_equal(gpa(f, ri, sizeof(initrd)), initrd, sizeof(initrd));
}

static void test_bz_initrd_too_big(void **state)
{
	struct fx *f = *state;
	static uint8_t img[BZ_SIZE];
	bz_build(img);
	struct load_request r = req_for(img, sizeof(img));
	/* Only the size matters to the check: the bytes are never read. */
	static uint8_t big[1];
	r.initrd = big;
	r.initrd_size = MEM;
	expect_fail(f, load_bzimage, &r, "initrd");
	expect_fail(f, load_bzimage, &r, "does not fit");
	/* Below the kernel's end once initrd_addr_max is low. */
	put32(img + 0x22c, 0x100000 + BZ_INIT_SIZE + 0x1000);
	r.initrd_size = 0x2000;
	expect_fail(f, load_bzimage, &r, "initrd");
	r.initrd_size = 0;
	expect_fail(f, load_bzimage, &r, "initrd is empty");
}

/* init_size counts from the runtime start address (boot.rst, init_size):
 * a relocatable kernel runs at pref_address or above, aligned. */
static void test_bz_runtime_start(void **state)
{
	struct fx *f = *state;
	static uint8_t img[BZ_SIZE];
	uint8_t initrd[0x1000] = {9};
	bz_build(img);
	img[0x234] = 1;                       /* relocatable_kernel */
	put64(img + 0x258, 0x1000000);        /* pref_address 16 MiB */
	put32(img + 0x22c, 0x1040fff);        /* room for one page above 16 MiB + init_size */
	struct load_request r = req_for(img, sizeof(img));
	r.initrd = initrd;
	r.initrd_size = sizeof(initrd);
	expect_ok(f, load_bzimage, &r);
	assert_int_equal(get32(gpa(f, HVBOOT_INFO, 4096) + 0x218), 0x1040000);
	put32(img + 0x22c, 0x1040ffe);
	expect_fail(f, load_bzimage, &r, "kernel's end (0x1040000)");

	/* Aligned up: pref_address 16 MiB + 1 runs at 18 MiB. */
	put64(img + 0x258, 0x1000001);
	put32(img + 0x22c, 0x7fffffff);
	r.initrd = NULL;
	r.initrd_size = 0;
	expect_ok(f, load_bzimage, &r);
	put32(img + 0x260, 62 * MIB);         /* 18 + 62 MiB: more than the 64 MiB guest */
	expect_fail(f, load_bzimage, &r, "--mem 80M");

	/* Not relocatable: runs at pref_address, whatever the alignment. */
	bz_build(img);
	put64(img + 0x258, 0x3ff0000);
	expect_fail(f, load_bzimage, &r, "--mem 65M");
	put64(img + 0x258, 0xffffffffffff0000ull);
	expect_fail(f, load_bzimage, &r, "beyond any guest memory");
	img[0x234] = 1;
	expect_fail(f, load_bzimage, &r, "beyond any guest memory");
}

static void test_bz_broken(void **state)
{
	struct fx *f = *state;
	static uint8_t img[BZ_SIZE];
	struct load_request r = req_for(img, sizeof(img));

	bz_build(img);
	put16(img + 0x1fe, 0x1234);
	expect_fail(f, load_bzimage, &r, "0xAA55");

	bz_build(img);
	img[0x202] = 'X';
	expect_fail(f, load_bzimage, &r, "HdrS");

	bz_build(img);
	put16(img + 0x206, 0x0205);
	expect_fail(f, load_bzimage, &r, "2.05");

	bz_build(img);
	put16(img + 0x236, 0x2); /* no XLF_KERNEL_64 */
	expect_fail(f, load_bzimage, &r, "64-bit");

	bz_build(img);
	put16(img + 0x206, 0x020b); /* 2.11: no xloadflags field at all */
	expect_fail(f, load_bzimage, &r, "64-bit");

	bz_build(img);
	img[0x201] = 0x20; /* header too short for cmdline_size */
	expect_fail(f, load_bzimage, &r, "setup header ends");

	bz_build(img);
	put32(img + 0x1f4, BZ_PAYLOAD / 16 + 2); /* syssize longer than the file */
	expect_fail(f, load_bzimage, &r, "truncated");

	bz_build(img);
	img[0x1f1] = 0xff; /* 255 setup sectors: more than the file */
	expect_fail(f, load_bzimage, &r, "truncated");

	/* init_size bigger than RAM: needs more --mem. */
	bz_build(img);
	put32(img + 0x260, 0x10000000);
	expect_fail(f, load_bzimage, &r, "--mem 257M");
	put32(img + 0x260, 0xffffffff); /* past low RAM: no --mem helps */
	expect_fail(f, load_bzimage, &r, "no RAM at any --mem size");

	/* Command line longer than cmdline_size. */
	bz_build(img);
	put32(img + 0x238, 10);
	r.cmdline = "console=ttyS0 quiet";
	expect_fail(f, load_bzimage, &r, "at most 10");

	/* A huge cmdline_size is bounded by the monitor's area. */
	bz_build(img);
	put32(img + 0x238, 0xffffffff);
	char *longcl = malloc(HVBOOT_CMDLINE_MAX + 1);
	assert_non_null(longcl);
	memset(longcl, 'a', HVBOOT_CMDLINE_MAX);
	longcl[HVBOOT_CMDLINE_MAX] = '\0';
	r.cmdline = longcl;
	expect_fail(f, load_bzimage, &r, "command line");
	free(longcl);
}

static void test_bz_truncated(void **state)
{
	struct fx *f = *state;
	static uint8_t img[BZ_SIZE];
	bz_build(img);
	/* Copies, so ASan sees reads past the shortened end. */
	static const size_t cuts[] = {0, 1, 0x100, 0x1ff, 0x201, 0x205, 0x207, 0x250,
				      BZ_SETUP - 1, BZ_SETUP, BZ_SETUP + 1,
				      BZ_SIZE - 16 - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		uint8_t *c = malloc(cuts[i] ? cuts[i] : 1);
		assert_non_null(c);
		memcpy(c, img, cuts[i]);
		struct load_request r = req_for(c, cuts[i]);
		expect_fail(f, load_bzimage, &r, cuts[i] < 0x208 ? "" : "truncated");
		free(c);
	}
	/* Within 15 bytes of syssize*16 is rounding, and loads. */
	uint8_t *c = malloc(BZ_SIZE - 15);
	assert_non_null(c);
	memcpy(c, img, BZ_SIZE - 15);
	struct load_request r = req_for(c, BZ_SIZE - 15);
	expect_ok(f, load_bzimage, &r);
	free(c);
}

static void test_bz_small_guest(void **state)
{
	(void)state;
	struct fx f;
	static uint8_t img[BZ_SIZE];
	bz_build(img);
	assert_int_equal(gm_init(&f.gm, GM_MIN_SIZE), 0);
	put32(img + 0x260, 0x200000); /* init_size 2 MiB: ends at 3 MiB */
	struct load_request r = req_for(img, sizeof(img));
	expect_fail(&f, load_bzimage, &r, "--mem 3M");
	gm_free(&f.gm);
}

/* ---- ELF64 ------------------------------------------------------------ */

#define E64_TEXT_OFF 0x200
#define E64_TEXT_LEN 0x100
#define E64_DATA_OFF 0x300
#define E64_DATA_LEN 0x40
#define E64_SIZE 0x340
#define E64_TEXT 0x100000ull
#define E64_DATA 0x200000ull
#define E64_BSS 0x2000ull

static uint8_t *e64_ph(uint8_t *b, unsigned i)
{
	return b + 64 + i * 56;
}

static void e64_seg(uint8_t *ph, uint32_t flags, uint64_t off, uint64_t addr,
		    uint64_t filesz, uint64_t memsz)
{
	put32(ph, 1); /* PT_LOAD */
	put32(ph + 4, flags);
	put64(ph + 8, off);
	put64(ph + 16, addr);
	put64(ph + 24, addr);
	put64(ph + 32, filesz);
	put64(ph + 40, memsz);
	put64(ph + 48, 0x1000);
}

/* A two-segment ELF64: text (R+X) at 1 MiB, data (R+W) with bss at 2 MiB. */
static void e64_build(uint8_t *b)
{
	memset(b, 0, E64_SIZE);
	memcpy(b, "\177ELF", 4);
	b[4] = 2; /* ELFCLASS64 */
	b[5] = 1; /* little-endian */
	b[6] = 1; /* EV_CURRENT */
	put16(b + 16, 2);  /* ET_EXEC */
	put16(b + 18, 62); /* EM_X86_64 */
	put32(b + 20, 1);
	put64(b + 24, E64_TEXT + 0x10); /* e_entry */
	put64(b + 32, 64);              /* e_phoff */
	put16(b + 52, 64);
	put16(b + 54, 56);
	put16(b + 56, 2);
	e64_seg(e64_ph(b, 0), 5, E64_TEXT_OFF, E64_TEXT, E64_TEXT_LEN, E64_TEXT_LEN);
	e64_seg(e64_ph(b, 1), 6, E64_DATA_OFF, E64_DATA, E64_DATA_LEN, E64_BSS);
	for (unsigned i = 0; i < E64_TEXT_LEN + E64_DATA_LEN; i++)
		b[E64_TEXT_OFF + i] = (uint8_t)(i * 13 + 1);
}

static void test_elf64_valid(void **state)
{
	struct fx *f = *state;
	uint8_t img[E64_SIZE];
	e64_build(img);
	memset(gpa(f, E64_DATA, E64_BSS), 0xee, E64_BSS); /* bss must be cleared */
	memset(gpa(f, HVBOOT_INFO, 4096), 0xcc, 4096);
	struct load_request r = req_for(img, sizeof(img));
	expect_ok(f, load_elf64, &r);

	assert_int_equal(f->be.mode, BOOT_ELF64);
	assert_int_equal(f->be.entry, E64_TEXT + 0x10);
	assert_int_equal(f->be.info, HVBOOT_INFO);
	assert_int_equal(f->be.stack, HVBOOT_STACK_TOP);
	assert_memory_equal(gpa(f, E64_TEXT, E64_TEXT_LEN), img + E64_TEXT_OFF, E64_TEXT_LEN);
	assert_memory_equal(gpa(f, E64_DATA, E64_DATA_LEN), img + E64_DATA_OFF, E64_DATA_LEN);
	const uint8_t *bss = gpa(f, E64_DATA + E64_DATA_LEN, E64_BSS - E64_DATA_LEN);
	for (uint64_t i = 0; i < E64_BSS - E64_DATA_LEN; i++)
		assert_int_equal(bss[i], 0);

	struct hvboot_info hi;
	memcpy(&hi, gpa(f, HVBOOT_INFO, sizeof(hi)), sizeof(hi));
	assert_true(hi.magic == HVBOOT_MAGIC);
	assert_int_equal(hi.version, HVBOOT_VERSION);
	assert_int_equal(hi.ncpus, 2);
	assert_int_equal(hi.mem_size, MEM);
	assert_int_equal(hi.tsc_khz, 2500000);
	assert_int_equal(hi.cmdline, HVBOOT_CMDLINE);
	assert_int_equal(hi.cmdline_len, 13);
	assert_string_equal((char *)gpa(f, HVBOOT_CMDLINE, 14), "console=ttyS0");
	assert_int_equal(hi.mmap, HVBOOT_MMAP);
	assert_int_equal(hi.mmap_count, 3);
	assert_int_equal(hi.image_end, E64_DATA + E64_BSS);
	struct hvboot_mmap_entry m[3];
	memcpy(m, gpa(f, HVBOOT_MMAP, sizeof(m)), sizeof(m));
	assert_int_equal(m[0].addr, 0);
	assert_int_equal(m[0].type, E820_RAM);
	assert_int_equal(m[1].type, E820_RESERVED);
	assert_int_equal(m[2].addr, 0x100000);
	assert_int_equal(m[2].size, MEM - 0x100000);
	assert_int_equal(m[2].type, E820_RAM);
	assert_int_equal(*gpa(f, HVBOOT_INFO + sizeof(hi), 1), 0); /* page zeroed */
}

static void test_elf64_broken(void **state)
{
	struct fx *f = *state;
	uint8_t img[E64_SIZE];
	struct load_request r = req_for(img, sizeof(img));

	e64_build(img);
	img[1] = 'X';
	expect_fail(f, load_elf64, &r, "not an ELF");

	e64_build(img);
	img[4] = 1;
	expect_fail(f, load_elf64, &r, "32-bit ELF");

	e64_build(img);
	img[5] = 2;
	expect_fail(f, load_elf64, &r, "little-endian");

	e64_build(img);
	put16(img + 16, 3); /* ET_DYN */
	expect_fail(f, load_elf64, &r, "ET_EXEC");

	e64_build(img);
	put16(img + 18, 183); /* EM_AARCH64 */
	expect_fail(f, load_elf64, &r, "x86-64");

	e64_build(img);
	put16(img + 54, 32);
	expect_fail(f, load_elf64, &r, "e_phentsize");

	e64_build(img);
	put16(img + 56, 0);
	expect_fail(f, load_elf64, &r, "no program headers");

	e64_build(img);
	put16(img + 56, 0xffff);
	expect_fail(f, load_elf64, &r, "program headers");

	e64_build(img);
	put64(img + 32, E64_SIZE - 56);
	expect_fail(f, load_elf64, &r, "beyond the end");

	e64_build(img);
	put64(img + 32, 0xffffffffffffffffull); /* e_phoff overflows */
	expect_fail(f, load_elf64, &r, "beyond the end");

	e64_build(img); /* segment beyond the file */
	put64(e64_ph(img, 1) + 32, 0x100);
	put64(e64_ph(img, 1) + 40, 0x2000);
	expect_fail(f, load_elf64, &r, "beyond the end");

	e64_build(img); /* p_offset overflows */
	put64(e64_ph(img, 1) + 8, 0xffffffffffffffffull);
	expect_fail(f, load_elf64, &r, "beyond the end");

	e64_build(img); /* p_filesz overflows */
	put64(e64_ph(img, 1) + 32, 0xffffffffffffffffull);
	put64(e64_ph(img, 1) + 40, 0xffffffffffffffffull);
	expect_fail(f, load_elf64, &r, "beyond the end");

	e64_build(img);
	put64(e64_ph(img, 1) + 32, E64_BSS + 1);
	expect_fail(f, load_elf64, &r, "p_filesz 0x2001 is larger than p_memsz");

	e64_build(img); /* p_paddr + p_memsz wraps */
	put64(e64_ph(img, 1) + 24, 0xfffffffffffff000ull);
	expect_fail(f, load_elf64, &r, "runs past");

	e64_build(img);
	put64(e64_ph(img, 1) + 40, 0xffffffffffffffffull);
	expect_fail(f, load_elf64, &r, "runs past");

	e64_build(img); /* below 1 MiB */
	put64(e64_ph(img, 1) + 24, 0x90000);
	expect_fail(f, load_elf64, &r, "below 1 MiB");
	expect_fail(f, load_elf64, &r, "relink it at 1 MiB or above");

	e64_build(img); /* entry outside every segment */
	put64(img + 24, 0x300000);
	expect_fail(f, load_elf64, &r, "entry point 0x300000");

	e64_build(img); /* entry in the non-executable data segment */
	put64(img + 24, E64_DATA);
	expect_fail(f, load_elf64, &r, "entry point");

	e64_build(img); /* entry in the text segment's bss-like tail */
	put64(e64_ph(img, 0) + 40, 0x1000);
	put64(img + 24, E64_TEXT + E64_TEXT_LEN);
	expect_fail(f, load_elf64, &r, "entry point");

	e64_build(img); /* too little RAM: data at 128 MiB in a 64 MiB guest */
	put64(e64_ph(img, 1) + 24, 128 * MIB);
	expect_fail(f, load_elf64, &r, "--mem 129M");

	e64_build(img); /* in the MMIO hole */
	put64(e64_ph(img, 1) + 24, 0xfff00000ull);
	expect_fail(f, load_elf64, &r, "[3 GiB, 4 GiB)");

	e64_build(img); /* no PT_LOAD at all */
	put32(e64_ph(img, 0), 4);
	put32(e64_ph(img, 1), 4);
	expect_fail(f, load_elf64, &r, "PT_LOAD");

	/* Command line too long for the monitor's area. */
	e64_build(img);
	char *longcl = malloc(HVBOOT_CMDLINE_MAX + 1);
	assert_non_null(longcl);
	memset(longcl, 'a', HVBOOT_CMDLINE_MAX);
	longcl[HVBOOT_CMDLINE_MAX] = '\0';
	r.cmdline = longcl;
	expect_fail(f, load_elf64, &r, "at most 65535");
	longcl[HVBOOT_CMDLINE_MAX - 1] = '\0'; /* 65535 bytes: exactly fits */
	expect_ok(f, load_elf64, &r);
	free(longcl);
	r.cmdline = "";

	uint8_t rd[16] = {0};
	r.initrd = rd;
	r.initrd_size = sizeof(rd);
	expect_fail(f, load_elf64, &r, "--initrd is only for Linux bzImage and multiboot");
}

static void test_elf64_truncated(void **state)
{
	struct fx *f = *state;
	uint8_t img[E64_SIZE];
	e64_build(img);
	for (size_t n = 0; n < E64_SIZE; n++) {
		uint8_t *c = malloc(n ? n : 1);
		assert_non_null(c);
		memcpy(c, img, n);
		struct load_request r = req_for(c, n);
		expect_fail(f, load_elf64, &r, "");
		free(c);
	}
}

/* ---- multiboot ---------------------------------------------------------- */

#define MB_MAGIC 0x1badb002u
#define MB32_SEG_OFF 0x80
#define MB32_SEG_LEN 0x80
#define MB32_MEMSZ 0x1000
#define MB32_SIZE (MB32_SEG_OFF + MB32_SEG_LEN)

static void mb_header(uint8_t *h, uint32_t flags)
{
	put32(h, MB_MAGIC);
	put32(h + 4, flags);
	put32(h + 8, (uint32_t)(0u - MB_MAGIC - flags));
}

/* An ELF32 multiboot kernel: one R+X segment at 1 MiB that starts with the
 * multiboot header (flags: page-align modules, memory info). */
static void mb32_build(uint8_t *b)
{
	memset(b, 0, MB32_SIZE);
	memcpy(b, "\177ELF", 4);
	b[4] = 1; /* ELFCLASS32 */
	b[5] = 1;
	b[6] = 1;
	put16(b + 16, 2); /* ET_EXEC */
	put16(b + 18, 3); /* EM_386 */
	put32(b + 20, 1);
	put32(b + 24, 0x100010); /* e_entry */
	put32(b + 28, 52);       /* e_phoff */
	put16(b + 40, 52);
	put16(b + 42, 32);
	put16(b + 44, 1);
	uint8_t *ph = b + 52;
	put32(ph, 1);
	put32(ph + 4, MB32_SEG_OFF);
	put32(ph + 8, 0x100000);
	put32(ph + 12, 0x100000);
	put32(ph + 16, MB32_SEG_LEN);
	put32(ph + 20, MB32_MEMSZ);
	put32(ph + 24, 5); /* R+X */
	for (unsigned i = 0; i < MB32_SEG_LEN; i++)
		b[MB32_SEG_OFF + i] = (uint8_t)(0x90 + i);
	mb_header(b + MB32_SEG_OFF, 0x3);
}

#define AOUT_SIZE 0x200
#define AOUT_HDR 0x40

/* A flat multiboot kernel with address fields: the whole file loads at
 * 1 MiB, with 16 KiB of bss after it. */
static void aout_build(uint8_t *b)
{
	memset(b, 0, AOUT_SIZE);
	for (unsigned i = 0; i < AOUT_SIZE; i++)
		b[i] = (uint8_t)(i * 3);
	uint8_t *h = b + AOUT_HDR;
	mb_header(h, 0x10003);
	put32(h + 12, 0x100000 + AOUT_HDR); /* header_addr */
	put32(h + 16, 0x100000);            /* load_addr */
	put32(h + 20, 0);                   /* load_end_addr: whole file */
	put32(h + 24, 0x104000);            /* bss_end_addr */
	put32(h + 28, 0x100100);            /* entry_addr */
}

static void check_mb_info(struct fx *f, const char *cmdline)
{
	const uint8_t *mi = gpa(f, HVBOOT_INFO, 4096);
	uint32_t flags = get32(mi);
	assert_true(flags & (1u << 0));  /* MEM */
	assert_true(flags & (1u << 2));  /* CMDLINE */
	assert_true(flags & (1u << 6));  /* MMAP */
	assert_true(flags & (1u << 9));  /* boot loader name */
	assert_int_equal(get32(mi + 4), 639);
	assert_int_equal(get32(mi + 8), (MEM - MIB) / 1024);
	assert_int_equal(get32(mi + 16), HVBOOT_CMDLINE);
	assert_string_equal((char *)gpa(f, HVBOOT_CMDLINE, strlen(cmdline) + 1), cmdline);
	assert_int_equal(get32(mi + 44), 3 * 24);
	assert_int_equal(get32(mi + 48), HVBOOT_MMAP);
	const uint8_t *m = gpa(f, HVBOOT_MMAP, 3 * 24);
	assert_int_equal(get32(m), 20);
	assert_int_equal(get64(m + 4), 0);
	assert_int_equal(get64(m + 12), GM_EBDA_START);
	assert_int_equal(get32(m + 20), 1);
	assert_int_equal(get32(m + 24), 20);
	assert_int_equal(get32(m + 24 + 20), 2);
	assert_int_equal(get64(m + 48 + 4), 0x100000);
	assert_int_equal(get64(m + 48 + 12), MEM - MIB);
	assert_int_equal(get32(m + 48 + 20), 1);
	uint32_t name = get32(mi + 64);
	assert_true(name < 0x100000);
	assert_string_equal((char *)gpa(f, name, 6), "hvvmm");
	assert_int_equal(f->be.mode, BOOT_MULTIBOOT32);
	assert_int_equal(f->be.info, HVBOOT_INFO);
	assert_int_equal(f->be.stack, 0);
}

static void test_mb_elf32(void **state)
{
	struct fx *f = *state;
	uint8_t img[MB32_SIZE];
	mb32_build(img);
	memset(gpa(f, 0x100000, MB32_MEMSZ), 0xee, MB32_MEMSZ);
	memset(gpa(f, HVBOOT_INFO, 4096), 0xcc, 4096);
	struct load_request r = req_for(img, sizeof(img));
	expect_ok(f, load_multiboot, &r);
	check_mb_info(f, "console=ttyS0");
	assert_int_equal(f->be.entry, 0x100010);
	assert_memory_equal(gpa(f, 0x100000, MB32_SEG_LEN), img + MB32_SEG_OFF, MB32_SEG_LEN);
	assert_int_equal(*gpa(f, 0x100000 + MB32_SEG_LEN, 1), 0);
	assert_int_equal(*gpa(f, 0x100000 + MB32_MEMSZ - 1, 1), 0);
	const uint8_t *mi = gpa(f, HVBOOT_INFO, 4096);
	assert_false(get32(mi) & (1u << 3)); /* no MODS without an initrd */
	assert_int_equal(get32(mi + 20), 0);
}

static void test_mb_initrd_module(void **state)
{
	struct fx *f = *state;
	uint8_t img[MB32_SIZE];
	uint8_t rd[3000];
	mb32_build(img);
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i + 7);
	struct load_request r = req_for(img, sizeof(img));
	r.initrd = rd;
	r.initrd_size = sizeof(rd);
	r.cmdline = "a b c";
	expect_ok(f, load_multiboot, &r);
	check_mb_info(f, "a b c");
	const uint8_t *mi = gpa(f, HVBOOT_INFO, 4096);
	assert_true(get32(mi) & (1u << 3));
	assert_int_equal(get32(mi + 20), 1);
	uint32_t mods = get32(mi + 24);
	assert_true(mods < 0x100000);
	const uint8_t *mod = gpa(f, mods, 16);
	uint32_t start = get32(mod), end = get32(mod + 4);
	assert_int_equal(start & 0xfff, 0);
	assert_true(start >= 0x100000 + MB32_MEMSZ);
	assert_int_equal(end - start, sizeof(rd));
	assert_memory_equal(gpa(f, start, sizeof(rd)), rd, sizeof(rd));
	uint32_t str = get32(mod + 8);
	assert_string_equal((char *)gpa(f, str, 7), "initrd");

	/* A module that cannot fit. */
	static uint8_t one[1];
	r.initrd = one;
	r.initrd_size = MEM;
	expect_fail(f, load_multiboot, &r, "initrd");
}

static void test_mb_aout(void **state)
{
	struct fx *f = *state;
	uint8_t img[AOUT_SIZE];
	aout_build(img);
	memset(gpa(f, 0x100000, 0x4000), 0xee, 0x4000);
	struct load_request r = req_for(img, sizeof(img));
	expect_ok(f, load_multiboot, &r);
	check_mb_info(f, "console=ttyS0");
	assert_int_equal(f->be.entry, 0x100100);
	assert_memory_equal(gpa(f, 0x100000, AOUT_SIZE), img, AOUT_SIZE);
	const uint8_t *bss = gpa(f, 0x100000 + AOUT_SIZE, 0x4000 - AOUT_SIZE);
	for (unsigned i = 0; i < 0x4000 - AOUT_SIZE; i++)
		assert_int_equal(bss[i], 0);

	/* header_addr - load_addr < header offset: loading starts mid-file. */
	aout_build(img);
	put32(img + AOUT_HDR + 12, 0x200020);
	put32(img + AOUT_HDR + 16, 0x200000);
	put32(img + AOUT_HDR + 20, 0x200100);
	put32(img + AOUT_HDR + 24, 0);
	put32(img + AOUT_HDR + 28, 0x200040);
	expect_ok(f, load_multiboot, &r);
	assert_memory_equal(gpa(f, 0x200000, 0x100), img + 0x20, 0x100);
	assert_int_equal(f->be.entry, 0x200040);
}

/* Multiboot images may load below 1 MiB (QEMU's -kernel takes them): the
 * boot block, the GDT and the command line then go above the image and its
 * module, and nothing of the monitor's is written below 1 MiB. */
static void check_mb_low(struct fx *f, uint64_t load, uint64_t memsz, const uint8_t *img,
			 size_t filesz)
{
	const uint64_t info = f->be.info;
	assert_int_equal(f->be.mode, BOOT_MULTIBOOT32);
	assert_true(info >= MIB);
	assert_int_equal(info & 0xfff, 0);
	assert_int_equal(f->be.gdt, info + 0x1000 + 0xd00);
	assert_memory_equal(gpa(f, load, filesz), img, filesz);
	for (uint64_t a = load + filesz; a < load + memsz; a++)
		assert_int_equal(*gpa(f, a, 1), 0);
	/* Below the image and between it and the EBDA: untouched. */
	for (uint64_t a = 0x1000; a < load; a++)
		assert_int_equal(*gpa(f, a, 1), 0xcc);
	for (uint64_t a = load + memsz; a < GM_EBDA_START; a++)
		assert_int_equal(*gpa(f, a, 1), 0xcc);
	const uint8_t *mi = gpa(f, info, 4096);
	uint32_t flags = get32(mi);
	assert_true(flags & (1u << 2));
	assert_true(flags & (1u << 6));
	uint32_t cl = get32(mi + 16);
	assert_int_equal(cl, info + 0x2000);
	assert_string_equal((char *)gpa(f, cl, 9), "low test");
	assert_int_equal(get32(mi + 48), info + 0x1000);
	assert_int_equal(get32(mi + 44), 3 * 24);
	assert_string_equal((char *)gpa(f, get32(mi + 64), 6), "hvvmm");
	/* The module at 1 MiB, below the block. */
	assert_true(flags & (1u << 3));
	const uint8_t *mod = gpa(f, get32(mi + 24), 16);
	assert_int_equal(get32(mod), MIB);
	assert_true(get32(mod + 4) <= info);
	assert_string_equal((char *)gpa(f, get32(mod + 8), 7), "initrd");
}

static void test_mb_low(void **state)
{
	struct fx *f = *state;
	uint8_t img[AOUT_SIZE], rd[5000];
	memset(rd, 0x3c, sizeof(rd));
	/* a.out kludge at 0x8000, over HVBOOT_INFO and HVBOOT_MMAP, with bss
	 * to 0x30000, over the command-line area. */
	aout_build(img);
	put32(img + AOUT_HDR + 12, 0x8000 + AOUT_HDR);
	put32(img + AOUT_HDR + 16, 0x8000);
	put32(img + AOUT_HDR + 24, 0x30000);
	put32(img + AOUT_HDR + 28, 0x8100);
	memset(gpa(f, 0, 0x100000), 0xcc, 0x100000);
	struct load_request r = req_for(img, sizeof(img));
	r.cmdline = "low test";
	r.initrd = rd;
	r.initrd_size = sizeof(rd);
	expect_ok(f, load_multiboot, &r);
	assert_int_equal(f->be.entry, 0x8100);
	check_mb_low(f, 0x8000, 0x30000 - 0x8000, img, sizeof(img));
	assert_int_equal(f->be.info, MIB + 0x2000); /* after the 5000-byte module */

	/* ELF32 at 0x1000, the lowest page allowed, right up to the EBDA. */
	uint8_t e32[MB32_SIZE];
	mb32_build(e32);
	put32(e32 + 52 + 8, 0x1000);
	put32(e32 + 52 + 12, 0x1000);
	put32(e32 + 52 + 20, GM_EBDA_START - 0x1000);
	put32(e32 + 24, 0x1010);
	memset(gpa(f, 0, 0x100000), 0xcc, 0x100000);
	r = req_for(e32, sizeof(e32));
	r.cmdline = "low test";
	r.initrd = rd;
	r.initrd_size = sizeof(rd);
	expect_ok(f, load_multiboot, &r);
	assert_int_equal(f->be.entry, 0x1010);
	check_mb_low(f, 0x1000, GM_EBDA_START - 0x1000, e32 + MB32_SEG_OFF, MB32_SEG_LEN);

	/* An image at 1 MiB keeps the usual layout. */
	mb32_build(e32);
	r = req_for(e32, sizeof(e32));
	expect_ok(f, load_multiboot, &r);
	assert_int_equal(f->be.info, HVBOOT_INFO);
	assert_int_equal(f->be.gdt, 0);
}

static void test_mb_broken(void **state)
{
	struct fx *f = *state;
	uint8_t img[AOUT_SIZE];
	uint8_t e32[MB32_SIZE];
	struct load_request r = req_for(img, sizeof(img));

	aout_build(img);
	put32(img + AOUT_HDR + 8, 0x12345678);
	expect_fail(f, load_multiboot, &r, "bad checksum");

	memset(img, 0, sizeof(img));
	expect_fail(f, load_multiboot, &r, "no multiboot header");

	aout_build(img);
	mb_header(img + AOUT_HDR, 0x10003 | (1u << 3));
	expect_fail(f, load_multiboot, &r, "requires feature bit 3");

	aout_build(img);
	mb_header(img + AOUT_HDR, 0x10000 | (1u << 15));
	expect_fail(f, load_multiboot, &r, "we do not provide");

	aout_build(img); /* optional bits 17-31 are fine */
	mb_header(img + AOUT_HDR, 0x10003 | (1u << 20));
	expect_ok(f, load_multiboot, &r);

	aout_build(img);
	put32(img + AOUT_HDR + 16, 0x100041); /* load_addr > header_addr */
	expect_fail(f, load_multiboot, &r, "above header_addr");

	aout_build(img);
	put32(img + AOUT_HDR + 16, 0x0f0000); /* starts before the file */
	expect_fail(f, load_multiboot, &r, "header_addr - load_addr");

	aout_build(img);
	put32(img + AOUT_HDR + 20, 0x100000 + AOUT_SIZE + 1); /* load_end past file */
	expect_fail(f, load_multiboot, &r, "load_end_addr");

	aout_build(img);
	put32(img + AOUT_HDR + 20, 0x0ff000); /* load_end below load_addr */
	expect_fail(f, load_multiboot, &r, "load_end_addr");

	aout_build(img);
	put32(img + AOUT_HDR + 20, 0x100040); /* header not loaded */
	expect_fail(f, load_multiboot, &r, "header is not inside");

	aout_build(img);
	put32(img + AOUT_HDR + 24, 0x100100); /* bss_end below load end */
	expect_fail(f, load_multiboot, &r, "bss_end_addr");

	aout_build(img);
	put32(img + AOUT_HDR + 28, 0x100000 + AOUT_SIZE); /* entry past the image */
	expect_fail(f, load_multiboot, &r, "entry_addr");

	aout_build(img); /* in the first page */
	put32(img + AOUT_HDR + 12, 0x0840);
	put32(img + AOUT_HDR + 16, 0x0800);
	put32(img + AOUT_HDR + 24, 0);
	put32(img + AOUT_HDR + 28, 0x0900);
	expect_fail(f, load_multiboot, &r, "first page");

	aout_build(img); /* its bss runs into the EBDA */
	put32(img + AOUT_HDR + 12, 0x9f040);
	put32(img + AOUT_HDR + 16, 0x9f000);
	put32(img + AOUT_HDR + 24, 0xa0000);
	put32(img + AOUT_HDR + 28, 0x9f100);
	expect_fail(f, load_multiboot, &r, "EBDA and BIOS area");

	aout_build(img); /* in the BIOS area, over the ACPI tables */
	put32(img + AOUT_HDR + 12, 0xe0040);
	put32(img + AOUT_HDR + 16, 0xe0000);
	put32(img + AOUT_HDR + 24, 0);
	put32(img + AOUT_HDR + 28, 0xe0100);
	expect_fail(f, load_multiboot, &r, "ACPI tables");

	aout_build(img); /* too little RAM */
	put32(img + AOUT_HDR + 24, 0xbfffffff);
	expect_fail(f, load_multiboot, &r, "--mem");

	aout_build(img); /* load_end_addr 0 and a load_addr near 4 GiB */
	put32(img + AOUT_HDR + 12, 0xffffff40);
	put32(img + AOUT_HDR + 16, 0xffffff00);
	put32(img + AOUT_HDR + 24, 0);
	put32(img + AOUT_HDR + 28, 0xffffff50);
	expect_fail(f, load_multiboot, &r, "4 GiB");

	aout_build(img); /* no address fields and not ELF */
	mb_header(img + AOUT_HDR, 0x3);
	expect_fail(f, load_multiboot, &r, "not an ELF32");

	/* ELF32 variants share the ELF checks. */
	r = req_for(e32, sizeof(e32));
	mb32_build(e32);
	put16(e32 + 18, 62);
	expect_fail(f, load_multiboot, &r, "i386");

	mb32_build(e32);
	put32(e32 + 52 + 16, MB32_SEG_LEN + 1); /* segment beyond the file */
	expect_fail(f, load_multiboot, &r, "beyond the end");

	mb32_build(e32);
	put32(e32 + 52 + 16, 0xffffffff); /* p_filesz > p_memsz */
	expect_fail(f, load_multiboot, &r, "larger than p_memsz");

	mb32_build(e32);
	put32(e32 + 52 + 20, 0xffffffff); /* segment runs past 4 GiB */
	expect_fail(f, load_multiboot, &r, "4 GiB");

	mb32_build(e32);
	put32(e32 + 52 + 12, 0x0);
	put32(e32 + 24, 0x10);
	expect_fail(f, load_multiboot, &r, "first page");

	mb32_build(e32);
	put32(e32 + 52 + 12, 0xf0000);
	put32(e32 + 24, 0xf0010);
	expect_fail(f, load_multiboot, &r, "BIOS area");

	mb32_build(e32);
	put32(e32 + 24, 0x200000);
	expect_fail(f, load_multiboot, &r, "entry point");

	mb32_build(e32);
	put32(e32 + 52 + 12, 0x8000000); /* 128 MiB */
	put32(e32 + 24, 0x8000010);
	expect_fail(f, load_multiboot, &r, "--mem");
}

static void test_mb_truncated(void **state)
{
	struct fx *f = *state;
	uint8_t img[AOUT_SIZE];
	aout_build(img);
	put32(img + AOUT_HDR + 20, 0x100000 + AOUT_SIZE); /* load the whole file, exactly */
	for (size_t n = 0; n < AOUT_SIZE; n++) {
		uint8_t *c = malloc(n ? n : 1);
		assert_non_null(c);
		memcpy(c, img, n);
		struct load_request r = req_for(c, n);
		expect_fail(f, load_multiboot, &r, "");
		free(c);
	}
	uint8_t e32[MB32_SIZE];
	mb32_build(e32);
	for (size_t n = 0; n < MB32_SIZE; n++) {
		uint8_t *c = malloc(n ? n : 1);
		assert_non_null(c);
		memcpy(c, e32, n);
		struct load_request r = req_for(c, n);
		expect_fail(f, load_multiboot, &r, "");
		free(c);
	}
}

/* ---- load_kernel and load_file ------------------------------------------ */

static void test_detect(void **state)
{
	struct fx *f = *state;
	static uint8_t bz[BZ_SIZE];
	uint8_t e64[E64_SIZE], e32[MB32_SIZE], aout[AOUT_SIZE];
	bz_build(bz);
	e64_build(e64);
	mb32_build(e32);
	aout_build(aout);
	struct load_request r;

	r = req_for(bz, sizeof(bz));
	expect_ok(f, load_kernel, &r);
	assert_int_equal(f->be.mode, BOOT_LINUX64);
	r = req_for(e32, sizeof(e32));
	expect_ok(f, load_kernel, &r);
	assert_int_equal(f->be.mode, BOOT_MULTIBOOT32);
	r = req_for(aout, sizeof(aout));
	expect_ok(f, load_kernel, &r);
	assert_int_equal(f->be.mode, BOOT_MULTIBOOT32);
	r = req_for(e64, sizeof(e64));
	expect_ok(f, load_kernel, &r);
	assert_int_equal(f->be.mode, BOOT_ELF64);

	/* An ELF64 carrying a multiboot header with address fields boots
	 * as multiboot: the header is checked before the ELF magic. */
	uint8_t both[E64_SIZE];
	e64_build(both);
	uint8_t *h = both + E64_TEXT_OFF;
	mb_header(h, 0x10000);
	put32(h + 12, 0x100000);
	put32(h + 16, 0x100000);
	put32(h + 20, 0x100000 + E64_SIZE - E64_TEXT_OFF);
	put32(h + 24, 0);
	put32(h + 28, 0x100020);
	r = req_for(both, sizeof(both));
	expect_ok(f, load_kernel, &r);
	assert_int_equal(f->be.mode, BOOT_MULTIBOOT32);
	assert_int_equal(f->be.entry, 0x100020);

	/* A bzImage whose payload holds a multiboot header is a bzImage. */
	mb_header(bz + BZ_SETUP, 0x3);
	r = req_for(bz, sizeof(bz));
	expect_ok(f, load_kernel, &r);
	assert_int_equal(f->be.mode, BOOT_LINUX64);

	/* "HdrS" decides: a broken bzImage fails as a bzImage. */
	put16(bz + 0x206, 0x0205);
	expect_fail(f, load_kernel, &r, "2.05");

	uint8_t junk[300];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 31 + 7);
	r = req_for(junk, sizeof(junk));
	expect_fail(f, load_kernel, &r, "bzImage");
	expect_fail(f, load_kernel, &r, "multiboot");
	expect_fail(f, load_kernel, &r, "ELF64");

	r = req_for(junk, 0);
	expect_fail(f, load_kernel, &r, "empty");

	/* ELF32 without a multiboot header. */
	mb32_build(e32);
	memset(e32 + MB32_SEG_OFF, 0, 12);
	r = req_for(e32, sizeof(e32));
	expect_fail(f, load_kernel, &r, "32-bit ELF without a multiboot header");

	/* A multiboot magic with a bad checksum is named. */
	aout_build(aout);
	put32(aout + AOUT_HDR + 8, 0);
	r = req_for(aout, sizeof(aout));
	expect_fail(f, load_kernel, &r, "checksum");

	/* No name: the message starts with what is wrong. */
	r = req_for(junk, sizeof(junk));
	r.kernel_name = NULL;
	assert_int_equal(load_kernel(&f->gm, &r, &f->be, f->err, sizeof(f->err)), -1);
	assert_true(strncmp(f->err, "not a kernel image", 18) == 0);
	/* A tiny buffer is truncated, not overrun. */
	char tiny[8];
	r.kernel_name = "a-very-long-kernel-name.img";
	assert_int_equal(load_kernel(&f->gm, &r, &f->be, tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), 7);
}

static void test_load_file(void **state)
{
	(void)state;
	uint8_t *buf = NULL;
	size_t size = 0;
	char err[512];
	char dir[] = "/tmp/test_loader.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[600];

	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(load_file(path, &buf, &size, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "no such file"));
	assert_null(buf);

	assert_int_equal(load_file(dir, &buf, &size, err, sizeof(err)), -1);
	assert_non_null(strstr(err, dir));
	assert_non_null(strstr(err, "directory"));

	snprintf(path, sizeof(path), "%s/empty", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(load_file(path, &buf, &size, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	unlink(path);

	/* Sparse, so it costs no disk. */
	snprintf(path, sizeof(path), "%s/huge", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(ftruncate(fileno(fp), (513ll << 20)), 0);
	fclose(fp);
	assert_int_equal(load_file(path, &buf, &size, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	assert_non_null(strstr(err, "512 MiB"));
	unlink(path);

	snprintf(path, sizeof(path), "%s/ok", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("hello kernel", fp);
	fclose(fp);
	assert_int_equal(load_file(path, &buf, &size, err, sizeof(err)), 0);
	assert_int_equal(size, 12);
	assert_memory_equal(buf, "hello kernel", 12);
	free(buf);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bz_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bz_no_initrd_and_sects0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bz_initrd_addr_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bz_initrd_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bz_runtime_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bz_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bz_truncated, setup, teardown),
		cmocka_unit_test(test_bz_small_guest),
		cmocka_unit_test_setup_teardown(test_elf64_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf64_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf64_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb_elf32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb_initrd_module, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb_aout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb_low, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
