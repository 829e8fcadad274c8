/* firmware: the image checks (size a non-zero multiple of 64 KiB, at most
 * 16 MiB, a regular file), where it goes (the flash below 4 GiB, its tail
 * below 1 MiB), the fw_cfg files it adds, and the debug console port with
 * and without a log. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware.h"
#include "testlib.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	strcpy(x->dir, "/tmp/test_firmware.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->path, sizeof(x->path), "%s/fw.bin", x->dir);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char p[192];
	const char *names[] = {"fw.bin", "log", "sub"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", x->dir, names[i]);
		if (unlink(p))
			rmdir(p);
	}
	rmdir(x->dir);
	free(x);
	return 0;
}

/* Writes `size` bytes, byte i = i * 7 + (i >> 16), so a placement error
 * shows. A size over a few MiB is made sparse. */
static void make_image(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	if (size > (1u << 20)) {
		assert_int_equal(ftruncate(fd, (off_t)size), 0);
	} else {
		uint8_t *b = malloc(size ? size : 1);
		assert_non_null(b);
		for (uint64_t i = 0; i < size; i++)
			b[i] = (uint8_t)(i * 7 + (i >> 16));
		assert_int_equal(write(fd, b, size), (ssize_t)size);
		free(b);
	}
	close(fd);
}

static void sizes(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(firmware_check_size("f", 64 << 10, err, sizeof(err)), 0);
	assert_int_equal(firmware_check_size("f", 256 << 10, err, sizeof(err)), 0);
	assert_int_equal(firmware_check_size("f", FIRMWARE_MAX_SIZE, err, sizeof(err)), 0);
	assert_int_equal(firmware_check_size("f", 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--firmware f: size 0 is not a non-zero multiple of 64 KiB"));
	assert_int_equal(firmware_check_size("f", 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "size 1000 is not"));
	assert_int_equal(firmware_check_size("f", (64 << 10) + 512, err, sizeof(err)), -1);
	assert_int_equal(firmware_check_size("f", FIRMWARE_MAX_SIZE + (64 << 10), err,
					     sizeof(err)), -1);
	assert_non_null(strstr(err, "--firmware f: size 16842752 is over the 16 MiB"));
}

static void load_refuses_bad_files(void **state)
{
	struct fx *x = *state;
	struct firmware fw;
	char err[256], p[192];
	snprintf(p, sizeof(p), "%s/missing", x->dir);
	assert_int_equal(firmware_load(&fw, p, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing: No such file or directory"));
	assert_int_equal(firmware_load(&fw, x->dir, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": not a regular file"));
	make_image(x->path, 100000);
	assert_int_equal(firmware_load(&fw, x->path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fw.bin: size 100000 is not a non-zero multiple of 64 KiB"));
	make_image(x->path, 0);
	assert_int_equal(firmware_load(&fw, x->path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "size 0 is not"));
	make_image(x->path, 32u << 20);
	assert_int_equal(firmware_load(&fw, x->path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fw.bin: size 33554432 is over the 16 MiB"));
	/* A good image, but a log that cannot be a regular file. */
	make_image(x->path, 128 << 10);
	snprintf(p, sizeof(p), "%s/sub", x->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(firmware_load(&fw, x->path, p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--firmware-log "));
	assert_non_null(strstr(err, "sub: Is a directory"));
}

static void placed_at_4g_and_below_1m(void **state)
{
	struct fx *x = *state;
	struct firmware fw;
	struct guestmem gm;
	char err[256];
	assert_int_equal(gm_init(&gm, 16u << 20), 0);
	/* 128 KiB (bios.bin): all of it below 1 MiB. */
	make_image(x->path, 128 << 10);
	assert_int_equal(firmware_load(&fw, x->path, NULL, err, sizeof(err)), 0);
	assert_int_equal(fw.size, 128 << 10);
	assert_int_equal(fw.base, 0xfffe0000u);
	assert_int_equal(firmware_place(&fw, &gm, err, sizeof(err)), 0);
	assert_memory_equal(gm_ptr(&gm, 0xe0000, 128 << 10), fw.image, 128 << 10);
	assert_int_equal(*(uint8_t *)gm_ptr(&gm, 0xdffff, 1), 0);
	firmware_free(&fw);
	/* 1 MiB: its last 256 KiB at 0xc0000, where SeaBIOS's shadowing puts
	 * its code; the flash base 1 MiB below 4 GiB. */
	make_image(x->path, 1 << 20);
	assert_int_equal(firmware_load(&fw, x->path, NULL, err, sizeof(err)), 0);
	assert_int_equal(fw.base, 0xfff00000u);
	assert_int_equal(firmware_place(&fw, &gm, err, sizeof(err)), 0);
	assert_memory_equal(gm_ptr(&gm, 0xc0000, 256 << 10), fw.image + (768 << 10), 256 << 10);
	firmware_free(&fw);
	gm_free(&gm);
}

static void fwcfg_files(void **state)
{
	(void)state;
	struct guestmem gm;
	struct fwcfg f;
	assert_int_equal(gm_init(&gm, 16u << 20), 0);
	fwcfg_init(&f, &gm);
	assert_int_equal(firmware_add_fwcfg(&f), 0);
	int found = 0;
	for (unsigned i = 0; i < f.nitems; i++) {
		const struct fwcfg_item *it = &f.items[i];
		if (!strcmp(it->name, "etc/sercon-port")) {
			assert_int_equal(it->len, 2);
			assert_int_equal(it->data[0] | it->data[1] << 8, 0x3f8);
			found++;
		}
		if (!strcmp(it->name, "etc/show-boot-menu")) {
			assert_int_equal(it->len, 2);
			assert_int_equal(it->data[0] | it->data[1], 0);
			found++;
		}
	}
	assert_int_equal(found, 2);
	fwcfg_free(&f);
	gm_free(&gm);
}

static void debug_port(void **state)
{
	struct fx *x = *state;
	struct firmware fw;
	char err[256], log[192];
	uint8_t b;
	make_image(x->path, 64 << 10);
	/* No log: the port reads 0, so firmware does not use it. */
	assert_int_equal(firmware_load(&fw, x->path, NULL, err, sizeof(err)), 0);
	b = 0x55;
	firmware_debug_io(&fw, 0, &b, 1, false);
	assert_int_equal(b, 0);
	b = 'x';
	firmware_debug_io(&fw, 0, &b, 1, true);
	assert_int_equal(fw.logged, 0);
	firmware_free(&fw);
	/* With a log: readback 0xe9, and every byte written lands in it. */
	snprintf(log, sizeof(log), "%s/log", x->dir);
	assert_int_equal(firmware_load(&fw, x->path, log, err, sizeof(err)), 0);
	firmware_debug_io(&fw, 0, &b, 1, false);
	assert_int_equal(b, FIRMWARE_DEBUG_READBACK);
	for (const char *s = "SeaBIOS\n"; *s; s++) {
		b = (uint8_t)*s;
		firmware_debug_io(&fw, 0, &b, 1, true);
	}
	/* Over the cap: counted, not written. */
	fw.logged = FIRMWARE_LOG_MAX;
	firmware_debug_io(&fw, 0, &b, 1, true);
	assert_int_equal(fw.dropped, 1);
	firmware_free(&fw);
	char got[32] = "";
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got) - 1, f), 8);
	fclose(f);
	assert_string_equal(got, "SeaBIOS\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes),
		cmocka_unit_test_setup_teardown(load_refuses_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(placed_at_4g_and_below_1m, setup, teardown),
		cmocka_unit_test(fwcfg_files),
		cmocka_unit_test_setup_teardown(debug_port, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
