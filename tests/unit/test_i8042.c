/* test_i8042: reset paths, self test and the command byte. */
#include "testlib.h"

#include <stdlib.h>

#include "i8042.h"

struct fix {
	struct i8042 *k;
	int resets;
};

static void on_reset(void *ctx)
{
	struct fix *f = ctx;
	f->resets++;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->k = i8042_new(on_reset, f);
	assert_non_null(f->k);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	i8042_free(f->k);
	free(f);
	return 0;
}

static uint8_t rd(struct fix *f, unsigned off)
{
	uint8_t b = 0;
	i8042_io(f->k, off, &b, 1, false);
	return b;
}

static void wr(struct fix *f, unsigned off, uint8_t v)
{
	i8042_io(f->k, off, &v, 1, true);
}

#define DATA 0
#define CMD 4

static void test_status_idle(void **state)
{
	struct fix *f = *state;
	uint8_t st = rd(f, CMD);
	assert_int_equal(st & 0x01, 0); /* output buffer empty */
	assert_int_equal(st & 0x02, 0); /* input buffer empty */
	assert_int_equal(st & 0x04, 0x04); /* system flag */
	for (unsigned off = 1; off < 4; off++) {
		wr(f, off, 0xfe);
		assert_int_equal(rd(f, off), 0xff);
	}
	assert_int_equal(f->resets, 0);
}

static void test_reset_fe(void **state)
{
	struct fix *f = *state;
	wr(f, CMD, 0xfe);
	assert_int_equal(f->resets, 1);
	wr(f, CMD, 0xff); /* pulses nothing */
	wr(f, CMD, 0xfd); /* pulses bit 1 (A20) only */
	assert_int_equal(f->resets, 1);
	wr(f, CMD, 0xf0); /* bit 0 among others */
	assert_int_equal(f->resets, 2);
	/* 0xFE on the data port is a keyboard byte, not a command. */
	wr(f, DATA, 0xfe);
	assert_int_equal(f->resets, 2);
}

static void test_reset_output_port(void **state)
{
	struct fix *f = *state;
	wr(f, CMD, 0xd0);
	assert_int_equal(rd(f, CMD) & 1, 1);
	assert_int_equal(rd(f, DATA), 0x03);
	wr(f, CMD, 0xd1);
	wr(f, DATA, 0x03); /* reset line high: nothing */
	assert_int_equal(f->resets, 0);
	wr(f, CMD, 0xd1);
	wr(f, DATA, 0x02); /* bit 0 clear: reset */
	assert_int_equal(f->resets, 1);
	/* A later data byte is no longer for the output port. */
	wr(f, DATA, 0x00);
	assert_int_equal(f->resets, 1);
	/* A new command replaces a pending 0xD1. */
	wr(f, CMD, 0xd1);
	wr(f, CMD, 0xae);
	wr(f, DATA, 0x00);
	assert_int_equal(f->resets, 1);
}

static void test_self_test(void **state)
{
	struct fix *f = *state;
	wr(f, CMD, 0xaa);
	uint8_t st = rd(f, CMD);
	assert_int_equal(st & 0x01, 0x01);
	assert_int_equal(st & 0x08, 0x08); /* last write was a command */
	assert_int_equal(rd(f, DATA), 0x55);
	assert_int_equal(rd(f, CMD) & 0x01, 0);
	wr(f, CMD, 0xab);
	assert_int_equal(rd(f, DATA), 0x00);
	/* Unknown commands produce nothing. */
	wr(f, CMD, 0xa9);
	assert_int_equal(rd(f, CMD) & 0x01, 0);
}

static void test_command_byte(void **state)
{
	struct fix *f = *state;
	wr(f, CMD, 0x20);
	uint8_t cb = rd(f, DATA);
	assert_int_equal(cb, 0x45);
	wr(f, CMD, 0x60);
	wr(f, DATA, 0x65);
	assert_int_equal(rd(f, CMD) & 0x08, 0); /* last write was data */
	wr(f, CMD, 0x20);
	assert_int_equal(rd(f, DATA), 0x65);
	/* Disable/enable keyboard and aux flip command byte bits 4 and 5. */
	wr(f, CMD, 0xae);
	wr(f, CMD, 0xa7);
	wr(f, CMD, 0x20);
	assert_int_equal(rd(f, DATA), 0x65);
	wr(f, CMD, 0xad);
	wr(f, CMD, 0xa8);
	wr(f, CMD, 0x20);
	assert_int_equal(rd(f, DATA), 0x55);
	/* System flag in the status register follows command byte bit 2. */
	wr(f, CMD, 0x60);
	wr(f, DATA, 0x00);
	assert_int_equal(rd(f, CMD) & 0x04, 0);
	/* Other RAM bytes. */
	wr(f, CMD, 0x7f);
	wr(f, DATA, 0x99);
	wr(f, CMD, 0x3f);
	assert_int_equal(rd(f, DATA), 0x99);
	/* Wide read: first port, then all-ones. */
	uint8_t d[2];
	wr(f, CMD, 0x20);
	i8042_io(f->k, DATA, d, 2, false);
	assert_int_equal(d[0], 0x00);
	assert_int_equal(d[1], 0xff);
	assert_int_equal(f->resets, 0);
}

static void test_no_callback(void **state)
{
	(void)state;
	struct i8042 *k = i8042_new(NULL, NULL);
	assert_non_null(k);
	uint8_t b = 0xfe;
	i8042_io(k, 4, &b, 1, true);
	i8042_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_fe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_output_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_test, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_byte, setup, teardown),
		cmocka_unit_test(test_no_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
