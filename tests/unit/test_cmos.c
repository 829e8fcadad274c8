/* test_cmos: the MC146818 RTC against a fixed clock, and the CMOS bytes. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmos.h"

static time_t fake_now(void *ctx)
{
	return *(const time_t *)ctx;
}

struct fix {
	struct cmos *c;
	time_t now;
};

static time_t utc(int y, int mon, int d, int h, int m, int s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = s;
	return timegm(&tm);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->c = cmos_new(512u << 20, 2ull << 30);
	assert_non_null(f->c);
	f->now = utc(2024, 3, 15, 13, 45, 30); /* a Friday */
	cmos_set_clock(f->c, fake_now, &f->now);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	cmos_free(f->c);
	free(f);
	return 0;
}

static uint8_t rd(struct fix *f, uint8_t reg)
{
	uint8_t b = reg;
	cmos_io(f->c, 0, &b, 1, true);
	cmos_io(f->c, 1, &b, 1, false);
	return b;
}

static void wr(struct fix *f, uint8_t reg, uint8_t v)
{
	cmos_io(f->c, 0, &reg, 1, true);
	cmos_io(f->c, 1, &v, 1, true);
}

/* sec, min, hour, wday, mday, mon, year, century */
static const uint8_t time_regs[8] = {0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32};

static void check_time(struct fix *f, const uint8_t want[8])
{
	for (int i = 0; i < 8; i++) {
		uint8_t got = rd(f, time_regs[i]);
		if (got != want[i])
			fail_msg("register 0x%02x: got 0x%02x, want 0x%02x", time_regs[i], got,
				 want[i]);
	}
}

static void test_bcd_24h(void **state)
{
	struct fix *f = *state;
	assert_int_equal(rd(f, 0x0b), 0x02);
	const uint8_t want[8] = {0x30, 0x45, 0x13, 0x06, 0x15, 0x03, 0x24, 0x20};
	check_time(f, want);
	f->now += 45; /* the clock runs */
	assert_int_equal(rd(f, 0x00), 0x15);
	assert_int_equal(rd(f, 0x02), 0x46);
}

static void test_binary(void **state)
{
	struct fix *f = *state;
	wr(f, 0x0b, 0x06);
	const uint8_t want[8] = {30, 45, 13, 6, 15, 3, 24, 20};
	check_time(f, want);
}

static void test_12h(void **state)
{
	struct fix *f = *state;
	wr(f, 0x0b, 0x00); /* BCD, 12-hour */
	assert_int_equal(rd(f, 0x04), 0x81); /* 1 PM */
	wr(f, 0x0b, 0x04); /* binary, 12-hour */
	assert_int_equal(rd(f, 0x04), 0x81);
	f->now = utc(2024, 3, 15, 0, 5, 0);
	assert_int_equal(rd(f, 0x04), 12); /* midnight is 12 AM */
	f->now = utc(2024, 3, 15, 12, 5, 0);
	assert_int_equal(rd(f, 0x04), 0x80 | 12); /* noon is 12 PM */
	f->now = utc(2024, 3, 15, 23, 5, 0);
	wr(f, 0x0b, 0x00);
	assert_int_equal(rd(f, 0x04), 0x91);
}

static void test_set_clock(void **state)
{
	struct fix *f = *state;
	wr(f, 0x0b, 0x82); /* SET: frozen */
	f->now += 100;
	assert_int_equal(rd(f, 0x00), 0x30); /* still the time SET froze */
	/* The order Linux's mc146818_set_time uses: year first. */
	wr(f, 0x09, 0x01);
	wr(f, 0x08, 0x02);
	wr(f, 0x07, 0x03);
	wr(f, 0x04, 0x04);
	wr(f, 0x02, 0x05);
	wr(f, 0x00, 0x06);
	wr(f, 0x32, 0x20);
	assert_int_equal(rd(f, 0x09), 0x01);
	f->now += 100;
	wr(f, 0x0b, 0x02); /* run from 2001-02-03 04:05:06 */
	const uint8_t want[8] = {0x06, 0x05, 0x04, 0x07, 0x03, 0x02, 0x01, 0x20};
	check_time(f, want);
	f->now += 10;
	assert_int_equal(rd(f, 0x00), 0x16);
	/* 12-hour BCD while SET: 11 PM on 31 December 1999. */
	wr(f, 0x0b, 0x80);
	wr(f, 0x32, 0x19);
	wr(f, 0x09, 0x99);
	wr(f, 0x08, 0x12);
	wr(f, 0x07, 0x31);
	wr(f, 0x04, 0x91);
	wr(f, 0x02, 0x59);
	wr(f, 0x00, 0x58);
	wr(f, 0x0b, 0x06); /* binary 24h, running */
	assert_int_equal(rd(f, 0x04), 23);
	assert_int_equal(rd(f, 0x32), 19);
	f->now += 2;
	const uint8_t y2k[8] = {0, 0, 0, 7, 1, 1, 0, 20};
	check_time(f, y2k);
}

static void test_write_while_running(void **state)
{
	struct fix *f = *state;
	wr(f, 0x02, 0x10); /* minutes, at once */
	const uint8_t want[8] = {0x30, 0x10, 0x13, 0x06, 0x15, 0x03, 0x24, 0x20};
	check_time(f, want);
	f->now += 60;
	assert_int_equal(rd(f, 0x02), 0x11);
	wr(f, 0x06, 0x01); /* day of week follows the date: dropped */
	assert_int_equal(rd(f, 0x06), 0x06);
	/* Hostile values neither crash nor stop the clock. */
	wr(f, 0x08, 0xff);
	wr(f, 0x07, 0x00);
	wr(f, 0x32, 0xff);
	f->now += 1;
	rd(f, 0x09);
}

/* A BCD year of 0xff reads as 165, so each such write moves the date on
 * by about a century; repeated, it walked the clock past what struct tm's
 * int year holds (undefined behaviour in tm_year + 1900, which the
 * sanitizer build of this test stops on). The guest's date is held at
 * the last one the registers can show, 9999-12-31 23:59:59. */
static void test_year_ratchet_is_bounded(void **state)
{
	struct fix *f = *state;
	for (int i = 0; i < 300; i++)
		wr(f, 0x09, 0xff);
	assert_int_equal(rd(f, 0x32), 0x99);
	assert_int_equal(rd(f, 0x09), 0x99);
	assert_int_equal(rd(f, 0x08), 0x12);
	assert_int_equal(rd(f, 0x07), 0x31);
	/* The state a guest reached after some 2e7 such writes: a date in the
	 * year 2^31 + 1000 (tm_year fits an int, tm_year + 1900 does not).
	 * Shown here through the clock, since only the sum of clock and
	 * offset matters. */
	f->now = (time_t)67768007758905600LL;
	assert_int_equal(rd(f, 0x32), 0x99);
	wr(f, 0x09, 0xff);
	f->now = -(time_t)67768007758905600LL;
	assert_int_equal(rd(f, 0x32), 0x00);
	wr(f, 0x32, 0x20);
	f->now = utc(2024, 3, 15, 13, 45, 30);
	rd(f, 0x09);
}

static void test_memory_bytes(void **state)
{
	struct fix *f = *state;
	/* 512 MiB below 4 GiB, 2 GiB above. */
	assert_int_equal(rd(f, 0x15), 0x80);
	assert_int_equal(rd(f, 0x16), 0x02); /* 640 KiB */
	assert_int_equal(rd(f, 0x17), 0xff);
	assert_int_equal(rd(f, 0x18), 0xff); /* capped */
	assert_int_equal(rd(f, 0x30), 0xff);
	assert_int_equal(rd(f, 0x31), 0xff);
	assert_int_equal(rd(f, 0x34), 0x00);
	assert_int_equal(rd(f, 0x35), 0x1f); /* 496 MiB / 64 KiB = 0x1f00 */
	assert_int_equal(rd(f, 0x5b), 0x00);
	assert_int_equal(rd(f, 0x5c), 0x80);
	assert_int_equal(rd(f, 0x5d), 0x00); /* 2 GiB / 64 KiB = 0x8000 */
	cmos_free(f->c);

	f->c = cmos_new(32u << 20, 0);
	assert_non_null(f->c);
	assert_int_equal(rd(f, 0x17), 0x00);
	assert_int_equal(rd(f, 0x18), 0x7c); /* 31 MiB = 0x7c00 KiB */
	assert_int_equal(rd(f, 0x30), 0x00);
	assert_int_equal(rd(f, 0x31), 0x7c);
	assert_int_equal(rd(f, 0x34), 0x00);
	assert_int_equal(rd(f, 0x35), 0x01);
	assert_int_equal(rd(f, 0x5b) | rd(f, 0x5c) | rd(f, 0x5d), 0);
	cmos_free(f->c);

	f->c = cmos_new(1u << 20, 1ull << 50);
	assert_non_null(f->c);
	assert_int_equal(rd(f, 0x17) | rd(f, 0x18) | rd(f, 0x34) | rd(f, 0x35), 0);
	assert_int_equal(rd(f, 0x5b) & rd(f, 0x5c) & rd(f, 0x5d), 0xff); /* capped */
}

static void test_status_registers(void **state)
{
	struct fix *f = *state;
	assert_int_equal(rd(f, 0x0a), 0x26);
	wr(f, 0x0a, 0xff);
	assert_int_equal(rd(f, 0x0a), 0x7f); /* UIP stays 0 */
	assert_int_equal(rd(f, 0x0c), 0x00);
	assert_int_equal(rd(f, 0x0d), 0x80);
	wr(f, 0x0c, 0xff);
	wr(f, 0x0d, 0x00);
	assert_int_equal(rd(f, 0x0c), 0x00);
	assert_int_equal(rd(f, 0x0d), 0x80);
	/* Index bit 7 (NMI disable) is ignored. */
	assert_int_equal(rd(f, 0x8d), 0x80);
	/* Plain RAM, including the alarm bytes. */
	wr(f, 0x40, 0x5a);
	wr(f, 0x7f, 0xa5);
	wr(f, 0x01, 0x33);
	assert_int_equal(rd(f, 0x40), 0x5a);
	assert_int_equal(rd(f, 0xff), 0xa5);
	assert_int_equal(rd(f, 0x01), 0x33);
	/* Port 0x70 is write-only; wide reads: first port, then 0xff. */
	uint8_t d[4] = {0, 0, 0, 0};
	cmos_io(f->c, 0, d, 1, false);
	assert_int_equal(d[0], 0xff);
	d[0] = 0x40;
	cmos_io(f->c, 0, d, 1, true);
	cmos_io(f->c, 1, d, 4, false);
	assert_int_equal(d[0], 0x5a);
	assert_int_equal(d[1], 0xff);
	assert_int_equal(d[3], 0xff);
	cmos_io(f->c, 2, d, 1, false);
	assert_int_equal(d[0], 0xff);
}

static void test_host_clock(void **state)
{
	struct fix *f = *state;
	cmos_set_clock(f->c, NULL, NULL); /* back to time(NULL) */
	struct tm tm;
	time_t t = time(NULL);
	gmtime_r(&t, &tm);
	wr(f, 0x0b, 0x06);
	int year = rd(f, 0x32) * 100 + rd(f, 0x09);
	assert_true(year == tm.tm_year + 1900 || year == tm.tm_year + 1901);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bcd_24h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_year_ratchet_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_clock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
