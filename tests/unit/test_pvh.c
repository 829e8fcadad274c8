/*
 * test_pvh: the PVH loader (src/vmm/arch/x86/pvh.c) and load_kernel's choice
 * of entry, on ELF images built here: the note in both descriptor sizes
 * and both ELF classes, the start info, memory map, module list and
 * command line it writes, the hvboot note that keeps our guests on their
 * ELF64 entry, --boot's forcing, malformed notes refused with a message,
 * and truncation at every length never loading a broken image or crashing.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "guestmem.h"
#include "hvboot.h"
#include "loader.h"
#include "pvh.h"

#define MEM (64ull << 20)
#define TEXT 0x100000ull
#define TEXT_OFF 0x400
#define TEXT_LEN 0x200
#define NOTE_OFF 0x300
#define IMG 0x600
#define ENTRY (TEXT + 0x40)

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

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
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

/* Appends one note at *at: name, type, descriptor of dlen bytes. */
static void note(uint8_t *b, size_t *at, const char *name, uint32_t type, const void *desc,
		 uint32_t dlen)
{
	uint32_t nlen = (uint32_t)strlen(name) + 1;
	put32(b + *at, nlen);
	put32(b + *at + 4, dlen);
	put32(b + *at + 8, type);
	memcpy(b + *at + 12, name, nlen);
	*at += 12 + ((nlen + 3) & ~3u);
	memcpy(b + *at, desc, dlen);
	*at += (dlen + 3) & ~3u;
}

/* An ELF (64- or 32-bit) with one R+X PT_LOAD at 1 MiB and a PT_NOTE
 * holding the PVH note (descriptor of dsize bytes) and, if asked, the
 * hvboot note. Returns the note segment's length. */
static size_t build(uint8_t *b, int is64, unsigned dsize, int hvboot)
{
	memset(b, 0, IMG);
	memcpy(b, "\177ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = 1;
	b[6] = 1;
	put16(b + 16, 2);                /* ET_EXEC */
	put16(b + 18, is64 ? 62 : 3);    /* EM_X86_64 / EM_386 */
	put32(b + 20, 1);
	size_t at = NOTE_OFF;
	uint8_t d[8];
	put64(d, ENTRY);
	note(b, &at, "GNU", 3, "abcd", 4); /* another note first: skipped */
	note(b, &at, PVH_NOTE_NAME, PVH_NOTE_PHYS32_ENTRY, d, dsize);
	if (hvboot) {
		uint8_t v[4];
		put32(v, HVBOOT_VERSION);
		note(b, &at, HVBOOT_NOTE_NAME, HVBOOT_NOTE_ENTRY, v, 4);
	}
	size_t nlen = at - NOTE_OFF;
	if (is64) {
		put64(b + 24, TEXT); /* e_entry: not the PVH entry */
		put64(b + 32, 64);
		put16(b + 52, 64);
		put16(b + 54, 56);
		put16(b + 56, 2);
		uint8_t *ph = b + 64;
		put32(ph, 1);
		put32(ph + 4, 5);
		put64(ph + 8, TEXT_OFF);
		put64(ph + 16, TEXT);
		put64(ph + 24, TEXT);
		put64(ph + 32, TEXT_LEN);
		put64(ph + 40, TEXT_LEN + 0x1000);
		ph += 56;
		put32(ph, 4); /* PT_NOTE */
		put64(ph + 8, NOTE_OFF);
		put64(ph + 32, nlen);
		put64(ph + 40, nlen);
		put64(ph + 48, 4);
	} else {
		put32(b + 24, (uint32_t)TEXT);
		put32(b + 28, 52);
		put16(b + 40, 52);
		put16(b + 42, 32);
		put16(b + 44, 2);
		uint8_t *ph = b + 52;
		put32(ph, 1);
		put32(ph + 4, TEXT_OFF);
		put32(ph + 12, (uint32_t)TEXT);
		put32(ph + 16, TEXT_LEN);
		put32(ph + 20, TEXT_LEN);
		put32(ph + 24, 5);
		ph += 32;
		put32(ph, 4);
		put32(ph + 4, NOTE_OFF);
		put32(ph + 16, (uint32_t)nlen);
		put32(ph + 28, 4);
	}
	for (unsigned i = 0; i < TEXT_LEN; i++)
		b[TEXT_OFF + i] = (uint8_t)(i * 11 + 5);
	return nlen;
}

static struct load_request req_for(const uint8_t *img, size_t size)
{
	struct load_request r = {
		.kernel = img, .kernel_size = size, .cmdline = "console=ttyS0 pvh",
		.kernel_name = "test.img", .tsc_khz = 2500000, .ncpus = 2,
	};
	return r;
}

static void expect_ok(struct fx *f, const struct load_request *r)
{
	f->err[0] = '\0';
	int rc = load_kernel(&f->gm, r, &f->be, f->err, sizeof(f->err));
	if (rc)
		test_note("unexpected failure: %s", f->err);
	assert_int_equal(rc, 0);
}

static void expect_fail(struct fx *f, const struct load_request *r, const char *what)
{
	f->err[0] = '\0';
	int rc = load_kernel(&f->gm, r, &f->be, f->err, sizeof(f->err));
	if (rc != -1 || !strstr(f->err, what))
		test_note("rc %d, message \"%s\", wanted \"%s\"", rc, f->err, what);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(f->err, what));
	assert_true(strncmp(f->err, "test.img: ", 10) == 0);
}

/* The start info and what it points at, as the ABI (pvh.h) lays it out. */
static void check_start_info(struct fx *f, const uint8_t *img, uint32_t nmods)
{
	assert_int_equal(f->be.mode, BOOT_PVH32);
	assert_int_equal(f->be.entry, ENTRY);
	assert_int_equal(f->be.info, HVBOOT_INFO);
	assert_memory_equal(gpa(f, TEXT, TEXT_LEN), img + TEXT_OFF, TEXT_LEN);
	const uint8_t *si = gpa(f, HVBOOT_INFO, 56);
	assert_int_equal(get32(si + 0), PVH_START_MAGIC);
	assert_int_equal(get32(si + 4), 1);
	assert_int_equal(get32(si + 8), 0);
	assert_int_equal(get32(si + 12), nmods);
	assert_int_equal(get64(si + 24), HVBOOT_CMDLINE);
	assert_string_equal((const char *)gpa(f, HVBOOT_CMDLINE, 18), "console=ttyS0 pvh");
	assert_int_equal(get64(si + 32), ACPI_RSDP_ADDR);
	assert_int_equal(get64(si + 40), HVBOOT_MMAP);
	assert_int_equal(get32(si + 48), 3);
	assert_int_equal(get32(si + 52), 0);
	const uint8_t *m = gpa(f, HVBOOT_MMAP, 3 * 24);
	assert_int_equal(get64(m + 0), 0);
	assert_int_equal(get32(m + 16), E820_RAM);
	assert_int_equal(get32(m + 24 + 16), E820_RESERVED);
	assert_int_equal(get64(m + 48), 0x100000);
	assert_int_equal(get64(m + 48 + 8), MEM - 0x100000);
	assert_int_equal(get32(m + 48 + 16), E820_RAM);
	assert_int_equal(get32(m + 48 + 20), 0);
}

static void test_pvh_elf64(void **state)
{
	struct fx *f = *state;
	uint8_t img[IMG];
	memset(gpa(f, HVBOOT_INFO, 4096), 0xcc, 4096);
	for (unsigned d = 4; d <= 8; d += 4) {
		build(img, 1, d, 0);
		struct load_request r = req_for(img, sizeof(img));
		expect_ok(f, &r);
		check_start_info(f, img, 0);
		assert_int_equal(get64(gpa(f, HVBOOT_INFO + 16, 8)), 0); /* no modlist */
		assert_int_equal(*gpa(f, HVBOOT_INFO + 56, 1), 0);        /* page zeroed */
	}
}

static void test_pvh_elf32(void **state)
{
	struct fx *f = *state;
	uint8_t img[IMG];
	build(img, 0, 4, 0);
	struct load_request r = req_for(img, sizeof(img));
	expect_ok(f, &r);
	check_start_info(f, img, 0);
}

static void test_pvh_initrd(void **state)
{
	struct fx *f = *state;
	uint8_t img[IMG], rd[3000];
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i * 7);
	build(img, 1, 8, 0);
	struct load_request r = req_for(img, sizeof(img));
	r.initrd = rd;
	r.initrd_size = sizeof(rd);
	expect_ok(f, &r);
	check_start_info(f, img, 1);
	uint64_t list = get64(gpa(f, HVBOOT_INFO + 16, 8));
	const uint8_t *mod = gpa(f, list, 32);
	uint64_t at = get64(mod);
	/* Above the image (p_memsz included), page aligned. */
	assert_int_equal(at, TEXT + 0x2000);
	assert_int_equal(get64(mod + 8), sizeof(rd));
	assert_int_equal(get64(mod + 16), 0);
	assert_memory_equal(gpa(f, at, sizeof(rd)), rd, sizeof(rd));

	/* An initrd that does not fit says how much RAM would. */
	static uint8_t big[MEM];
	r.initrd = big;
	r.initrd_size = sizeof(big);
	expect_fail(f, &r, "the initrd");
	expect_fail(f, &r, "--mem");
}

/* Which entry each image gets, and --boot. */
static void test_pvh_choice(void **state)
{
	struct fx *f = *state;
	uint8_t img[IMG];
	build(img, 1, 8, 1); /* both notes: one of ours */
	struct load_request r = req_for(img, sizeof(img));
	expect_ok(f, &r);
	assert_int_equal(f->be.mode, BOOT_ELF64);
	assert_int_equal(f->be.entry, TEXT);
	r.boot = BOOT_FORCE_PVH;
	expect_ok(f, &r);
	assert_int_equal(f->be.mode, BOOT_PVH32);
	assert_int_equal(f->be.entry, ENTRY);

	build(img, 1, 8, 0); /* the PVH note only: a PVH kernel */
	r.boot = BOOT_AUTO;
	expect_ok(f, &r);
	assert_int_equal(f->be.mode, BOOT_PVH32);
	r.boot = BOOT_FORCE_HVBOOT;
	expect_ok(f, &r);
	assert_int_equal(f->be.mode, BOOT_ELF64);

	/* No note: --boot pvh refuses and says why. */
	memset(img + NOTE_OFF, 0, 0x100);
	r.boot = BOOT_FORCE_PVH;
	expect_fail(f, &r, "has no PVH entry note");
	r.boot = BOOT_AUTO;
	expect_ok(f, &r);
	assert_int_equal(f->be.mode, BOOT_ELF64);

	/* A 32-bit PVH kernel has no ELF64 entry to force. */
	build(img, 0, 4, 0);
	r.boot = BOOT_FORCE_HVBOOT;
	expect_fail(f, &r, "only an ELF64");
	/* Nor is a 32-bit ELF without either bootable. */
	memset(img + NOTE_OFF, 0, 0x100);
	r.boot = BOOT_AUTO;
	expect_fail(f, &r, "without a multiboot header or a PVH note");
}

static void test_pvh_broken(void **state)
{
	struct fx *f = *state;
	uint8_t img[IMG];
	struct load_request r = req_for(img, sizeof(img));
	size_t desc = NOTE_OFF + 12 + 4 + 4 + 12 + 4; /* the PVH descriptor */

	build(img, 1, 8, 0);
	put32(img + NOTE_OFF + 20 + 4, 5); /* descsz 5 */
	expect_fail(f, &r, "neither 4 nor 8 bytes");

	build(img, 1, 8, 0);
	put64(img + desc, 0x100000000ull);
	expect_fail(f, &r, "above 4 GiB");

	build(img, 1, 8, 0);
	put64(img + desc, TEXT + TEXT_LEN); /* past the file bytes of the segment */
	expect_fail(f, &r, "not inside a loaded executable segment");

	build(img, 1, 8, 0);
	put32(img + NOTE_OFF + 20 + 4, 0x1000); /* descsz past the segment */
	expect_fail(f, &r, "runs past the end of the segment");

	build(img, 1, 8, 0);
	put64(img + 64 + 56 + 8, IMG - 8); /* PT_NOTE past the file */
	expect_fail(f, &r, "beyond the end of the file");

	/* Two PVH notes that disagree. */
	size_t nl = build(img, 1, 8, 0), at = NOTE_OFF + nl;
	uint8_t d[8];
	put64(d, ENTRY + 4);
	note(img, &at, PVH_NOTE_NAME, PVH_NOTE_PHYS32_ENTRY, d, 8);
	put64(img + 64 + 56 + 32, at - NOTE_OFF);
	expect_fail(f, &r, "disagree");

	/* A segment above 4 GiB cannot run with paging off. */
	build(img, 1, 8, 0);
	struct guestmem big;
	assert_int_equal(gm_init(&big, 6ull << 30), 0);
	put64(img + 64 + 24, 0x100000000ull);
	put64(img + 64 + 16, 0x100000000ull);
	f->err[0] = '\0';
	assert_int_equal(load_kernel(&big, &r, &f->be, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "4 GiB"));
	gm_free(&big);
}

/* Every prefix of a valid image: never a crash, never a half image. */
static void test_pvh_truncated(void **state)
{
	struct fx *f = *state;
	uint8_t img[IMG];
	build(img, 1, 8, 0);
	for (size_t n = 1; n < IMG; n++) {
		uint8_t *cut = malloc(n);
		assert_non_null(cut);
		memcpy(cut, img, n);
		struct load_request r = req_for(cut, n);
		r.boot = BOOT_FORCE_PVH;
		f->err[0] = '\0';
		int rc = load_kernel(&f->gm, &r, &f->be, f->err, sizeof(f->err));
		assert_int_equal(rc, -1);
		assert_true(f->err[0] != '\0');
		free(cut);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pvh_elf64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvh_elf32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvh_initrd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvh_choice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvh_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvh_truncated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
