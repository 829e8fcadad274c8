/* test_image: the arm64 Image/ELF loader and the placement of initrd and
 * device tree (image.h). */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "arm64map.h"
#include "image.h"

static struct guestmem gm;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(gm_init_at(&gm, ARM64_RAM_BASE, 64ull << 20), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gm_free(&gm);
	return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A Linux arm64 Image header (booting.rst) followed by filler. */
static uint8_t *make_image(size_t size, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	uint8_t *img = calloc(1, size);
	assert_non_null(img);
	memset(img + 64, 0x5a, size - 64);
	put64(img + 8, text_offset);
	put64(img + 16, image_size);
	put64(img + 24, flags);
	memcpy(img + 56, "ARM\x64", 4);
	return img;
}

static void test_image_placement(void **state)
{
	(void)state;
	uint8_t *img = make_image(4096, 0, 3 << 20, 0xa); /* 4K pages, anywhere */
	uint8_t rd[5000];
	memset(rd, 0x77, sizeof(rd));
	/* Dirty RAM: the BSS must be zeroed by the loader. */
	memset(gm_ptr(&gm, ARM64_RAM_BASE, 4 << 20), 0xee, 4 << 20);
	struct image_loaded il;
	char err[256];
	assert_int_equal(image_load(&gm, img, 4096, rd, sizeof(rd), "k", &il, err, sizeof(err)), 0);
	assert_int_equal(il.entry, ARM64_RAM_BASE);
	assert_int_equal(il.end, ARM64_RAM_BASE + (3 << 20));
	const uint8_t *k = gm_ptr(&gm, il.entry, 3 << 20);
	assert_memory_equal(k, img, 4096);
	for (size_t i = 4096; i < (3 << 20); i += 4093)
		assert_int_equal(k[i], 0);
	assert_int_equal(il.dtb, ARM64_RAM_BASE + (62ull << 20));
	assert_int_equal(il.initrd_end - il.initrd_start, sizeof(rd));
	assert_true(il.initrd_start >= il.end && il.initrd_end <= il.dtb);
	assert_int_equal(il.initrd_start & 0xfff, 0);
	assert_memory_equal(gm_ptr(&gm, il.initrd_start, sizeof(rd)), rd, sizeof(rd));
	free(img);
}

static void test_text_offset_and_old_kernels(void **state)
{
	(void)state;
	struct image_loaded il;
	char err[256];
	uint8_t *img = make_image(8192, 0x80000, 1 << 20, 0);
	assert_int_equal(image_load(&gm, img, 8192, NULL, 0, "k", &il, err, sizeof(err)), 0);
	assert_int_equal(il.entry, ARM64_RAM_BASE + 0x80000);
	assert_int_equal(il.initrd_start, 0);
	free(img);
	/* image_size 0: before 3.17, text_offset is 0x80000 whatever it says. */
	img = make_image(8192, 0x1000, 0, 0);
	assert_int_equal(image_load(&gm, img, 8192, NULL, 0, "k", &il, err, sizeof(err)), 0);
	assert_int_equal(il.entry, ARM64_RAM_BASE + 0x80000);
	assert_int_equal(il.end, il.entry + 8192);
	free(img);
}

static void refused(const uint8_t *img, size_t size, size_t isize, const char *why)
{
	struct image_loaded il;
	char err[256] = "";
	static uint8_t rd[1];
	assert_int_equal(image_load(&gm, img, size, isize ? rd : NULL, isize, "k", &il, err,
				    sizeof(err)),
			 -1);
	if (!strstr(err, why)) {
		print_error("message '%s' lacks '%s'\n", err, why);
		fail();
	}
}

static void test_refusals(void **state)
{
	(void)state;
	static const uint8_t gz[16] = {0x1f, 0x8b, 8};
	refused(gz, sizeof(gz), 0, "gzip");
	static const uint8_t zboot[64] = {'M', 'Z', 0, 0, 'z', 'i', 'm', 'g'};
	refused(zboot, sizeof(zboot), 0, "EFI zboot");
	static const uint8_t junk[128] = {1, 2, 3};
	refused(junk, sizeof(junk), 0, "not an arm64 Linux Image");
	refused(junk, 0, 0, "empty");
	uint8_t *img = make_image(4096, 0, 1 << 20, 1);
	refused(img, 4096, 0, "big-endian");
	free(img);
	img = make_image(4096, 0x300000, 1 << 20, 0);
	refused(img, 4096, 0, "text_offset");
	free(img);
	img = make_image(4096, 0, 63ull << 20, 0);
	refused(img, 4096, 0, "no room for the device tree");
	free(img);
	img = make_image(4096, 0, 1ull << 40, 0);
	refused(img, 4096, 0, "more --mem");
	free(img);
	img = make_image(4096, 0, 61ull << 20, 0);
	refused(img, 4096, 2ull << 20, "initrd"); /* isize is checked, not read */
	free(img);
}

/* ELF64/AArch64: loaded at p_paddr, entered at e_entry. */
/* RAM need only be a multiple of 4 KiB, so the device tree's aligned
 * 2 MiB may start below top - 2 MiB: a kernel that ends between the two
 * would lie under the device tree. It must be refused. */
static void test_dtb_above_kernel(void **state)
{
	(void)state;
	struct guestmem small;
	assert_int_equal(gm_init_at(&small, ARM64_RAM_BASE, (4ull << 20) + 4096), 0);
	struct image_loaded il;
	char err[256];
	uint8_t *img = make_image(4096, 0, 0x201000, 0);
	assert_int_equal(image_load(&small, img, 4096, NULL, 0, "k", &il, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no room for the device tree"));
	/* One page less ends at the device tree: accepted. */
	put64(img + 16, 0x200000);
	assert_int_equal(image_load(&small, img, 4096, NULL, 0, "k", &il, err, sizeof(err)), 0);
	assert_true(il.end <= il.dtb);
	assert_int_equal(il.dtb, ARM64_RAM_BASE + (2ull << 20));
	free(img);
	gm_free(&small);
}

static void test_elf(void **state)
{
	(void)state;
	uint8_t elf[256];
	memset(elf, 0, sizeof(elf));
	memcpy(elf, "\177ELF", 4);
	elf[4] = 2; /* ELFCLASS64 */
	elf[5] = 1; /* little-endian */
	elf[6] = 1;
	elf[16] = 2;   /* ET_EXEC */
	elf[18] = 183; /* EM_AARCH64 */
	elf[20] = 1;
	put64(elf + 24, ARM64_RAM_BASE + 0x100000); /* e_entry */
	put64(elf + 32, 64);                        /* e_phoff */
	elf[52] = 64;                               /* e_ehsize */
	elf[54] = 56;                               /* e_phentsize */
	elf[56] = 1;                                /* e_phnum */
	uint8_t *ph = elf + 64;
	ph[0] = 1; /* PT_LOAD */
	ph[4] = 5; /* R X */
	put64(ph + 8, 128);                        /* p_offset */
	put64(ph + 16, ARM64_RAM_BASE + 0x100000); /* p_vaddr */
	put64(ph + 24, ARM64_RAM_BASE + 0x100000); /* p_paddr */
	put64(ph + 32, 128);                       /* p_filesz */
	put64(ph + 40, 4096);                      /* p_memsz */
	memset(elf + 128, 0xd5, 128);
	struct image_loaded il;
	char err[256];
	assert_int_equal(image_load(&gm, elf, sizeof(elf), NULL, 0, "g", &il, err, sizeof(err)), 0);
	assert_int_equal(il.entry, ARM64_RAM_BASE + 0x100000);
	assert_memory_equal(gm_ptr(&gm, il.entry, 128), elf + 128, 128);
	elf[18] = 62; /* EM_X86_64: not for this machine */
	refused(elf, sizeof(elf), 0, "AArch64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_image_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_offset_and_old_kernels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dtb_above_kernel, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
