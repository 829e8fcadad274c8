/*
 * cmos: the MC146818 RTC and CMOS RAM (Motorola MC146818A datasheet,
 * "Address Map" and "Register A-D"). Owns the index latch, the 128 bytes,
 * the guest's clock offset from the host clock and the memory-size bytes.
 * See cmos.h for what is and is not modelled.
 */
#include "cmos.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CMOS_SIZE 128
#define INDEX_MASK 0x7f /* port 0x70 bit 7 is the NMI mask: ignored */

/* Time and calendar registers (datasheet Table 2). */
#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_WDAY 0x06
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define REG_CENTURY 0x32 /* PC convention, not part of the MC146818 */
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d

#define A_UIP 0x80 /* update in progress: never set here */
#define B_SET 0x80
#define B_DM 0x04 /* 1: binary, 0: BCD */
#define B_24H 0x02 /* 1: 24-hour, 0: 12-hour with PM in hour bit 7 */
#define D_VRT 0x80 /* valid RAM and time: the battery is good */
#define HOUR_PM 0x80

/* PC memory-size bytes, as PC firmware (and SeaBIOS) reads them. */
#define MEM_BASE_LO 0x15 /* base memory in KiB */
#define MEM_EXT_LO 0x17 /* KiB above 1 MiB, capped at 0xffff */
#define MEM_EXT2_LO 0x30 /* the same, second copy */
#define MEM_16M_LO 0x34 /* 64 KiB units above 16 MiB, capped */
#define MEM_4G_LO 0x5b /* 64 KiB units above 4 GiB, 3 bytes */

struct cmos {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[CMOS_SIZE];
	int64_t offset; /* guest time = host clock + offset, seconds */
	time_t (*now)(void *ctx);
	void *now_ctx;
};

static time_t host_now(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static bool is_time_reg(unsigned r)
{
	switch (r) {
	case REG_SEC:
	case REG_MIN:
	case REG_HOUR:
	case REG_WDAY:
	case REG_MDAY:
	case REG_MON:
	case REG_YEAR:
	case REG_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t encode(const struct cmos *c, int v)
{
	v %= 100;
	if (v < 0)
		v += 100;
	if (c->ram[REG_B] & B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* BCD digits above 9 are not rejected (the chip does not either); the
 * result is at most 165 and normalised by timegm(). */
static int decode(const struct cmos *c, uint8_t b)
{
	if (c->ram[REG_B] & B_DM)
		return b;
	return (b >> 4) * 10 + (b & 0xf);
}

static uint8_t encode_hour(const struct cmos *c, int h)
{
	if (c->ram[REG_B] & B_24H)
		return encode(c, h);
	int h12 = h % 12 ? h % 12 : 12;
	return encode(c, h12) | (h >= 12 ? HOUR_PM : 0);
}

static int decode_hour(const struct cmos *c, uint8_t b)
{
	if (c->ram[REG_B] & B_24H)
		return decode(c, b);
	return decode(c, b & ~HOUR_PM) % 12 + ((b & HOUR_PM) ? 12 : 0);
}

/*
 * The guest's date is held within what the registers can show with a BCD
 * century: 0000-01-01 00:00:00 to 9999-12-31 23:59:59 UTC. Without the
 * bound a guest walks it away: a BCD year of 0xff reads as 165, so each
 * such write moves the date on by about a century, and some 2e7 of them
 * reach years whose tm_year + 1900 overflows an int.
 */
#define GUEST_T_MIN (-62167219200LL)
#define GUEST_T_MAX 253402300799LL

static int64_t clamp_t(int64_t t)
{
	return t < GUEST_T_MIN ? GUEST_T_MIN : t > GUEST_T_MAX ? GUEST_T_MAX : t;
}

static void guest_tm(const struct cmos *c, struct tm *tm)
{
	int64_t sum;
	if (__builtin_add_overflow((int64_t)c->now(c->now_ctx), c->offset, &sum))
		sum = c->offset > 0 ? GUEST_T_MAX : GUEST_T_MIN;
	time_t t = (time_t)clamp_t(sum);
	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

static uint8_t time_reg_value(const struct cmos *c, const struct tm *tm, unsigned r)
{
	switch (r) {
	case REG_SEC:
		return encode(c, tm->tm_sec);
	case REG_MIN:
		return encode(c, tm->tm_min);
	case REG_HOUR:
		return encode_hour(c, tm->tm_hour);
	case REG_WDAY:
		return encode(c, tm->tm_wday + 1); /* 1 = Sunday */
	case REG_MDAY:
		return encode(c, tm->tm_mday);
	case REG_MON:
		return encode(c, tm->tm_mon + 1);
	case REG_YEAR:
		return encode(c, (tm->tm_year + 1900) % 100);
	default:
		return encode(c, (tm->tm_year + 1900) / 100);
	}
}

/* Sets one field of tm from a register byte; day of week is derived from
 * the date, so a write to it is dropped. */
static void time_reg_store(const struct cmos *c, struct tm *tm, unsigned r, uint8_t b)
{
	int year = tm->tm_year + 1900;
	switch (r) {
	case REG_SEC:
		tm->tm_sec = decode(c, b);
		break;
	case REG_MIN:
		tm->tm_min = decode(c, b);
		break;
	case REG_HOUR:
		tm->tm_hour = decode_hour(c, b);
		break;
	case REG_MDAY:
		tm->tm_mday = decode(c, b);
		break;
	case REG_MON:
		tm->tm_mon = decode(c, b) - 1;
		break;
	case REG_YEAR:
		tm->tm_year = year / 100 * 100 + decode(c, b) - 1900;
		break;
	case REG_CENTURY:
		tm->tm_year = decode(c, b) * 100 + year % 100 - 1900;
		break;
	default:
		break;
	}
}

/* The fields come from registers (each at most 165) on top of a bounded
 * date, so timegm() cannot overflow; its result is bounded again. */
static void set_offset(struct cmos *c, struct tm *tm)
{
	tm->tm_isdst = 0;
	int64_t off;
	if (__builtin_sub_overflow(clamp_t((int64_t)timegm(tm)), (int64_t)c->now(c->now_ctx), &off))
		off = 0;
	c->offset = off;
}

/*
 * The SET bit state machine (register B bit 7):
 *   running --SET 0->1--> frozen: the current time is copied into the time
 *       bytes of ram[]; reads return those bytes and writes change them, as
 *       the chip's own registers do while updates are inhibited.
 *   frozen --SET 1->0--> running: the bytes are decoded with the DM and
 *       24/12 modes in force while frozen (the format the guest wrote them
 *       in, even if this same write changes the modes) and the offset set
 *       so the clock runs on from that time. Day of week is recomputed from
 *       the date.
 * While running, a write to a time register changes that field of the
 * current time at once (each write normalised by itself).
 */
static void reg_b_write(struct cmos *c, uint8_t val)
{
	bool was_set = c->ram[REG_B] & B_SET, set = val & B_SET;
	if (!was_set && set) {
		struct tm tm;
		guest_tm(c, &tm);
		for (unsigned r = 0; r < CMOS_SIZE; r++)
			if (is_time_reg(r))
				c->ram[r] = time_reg_value(c, &tm, r);
	}
	if (was_set && !set) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 1970 - 1900; /* base for the year fields */
		for (unsigned r = 0; r < CMOS_SIZE; r++)
			if (is_time_reg(r) && r != REG_YEAR)
				time_reg_store(c, &tm, r, c->ram[r]);
		/* The year after the century: it keeps the century's hundreds. */
		time_reg_store(c, &tm, REG_YEAR, c->ram[REG_YEAR]);
		set_offset(c, &tm);
	}
	c->ram[REG_B] = val;
}

static uint8_t data_read(struct cmos *c)
{
	unsigned r = c->index & INDEX_MASK;
	if (is_time_reg(r)) {
		if (c->ram[REG_B] & B_SET)
			return c->ram[r];
		struct tm tm;
		guest_tm(c, &tm);
		return time_reg_value(c, &tm, r);
	}
	switch (r) {
	case REG_A:
		return c->ram[REG_A] & ~A_UIP;
	case REG_C:
		return 0; /* no interrupt flags: nothing is ever raised */
	case REG_D:
		return D_VRT;
	default:
		return c->ram[r];
	}
}

static void data_write(struct cmos *c, uint8_t val)
{
	unsigned r = c->index & INDEX_MASK;
	if (is_time_reg(r)) {
		if (c->ram[REG_B] & B_SET) {
			c->ram[r] = val;
		} else {
			struct tm tm;
			guest_tm(c, &tm);
			time_reg_store(c, &tm, r, val);
			set_offset(c, &tm);
		}
		return;
	}
	switch (r) {
	case REG_A:
		c->ram[REG_A] = val & ~A_UIP; /* UIP is read-only */
		break;
	case REG_B:
		reg_b_write(c, val);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		c->ram[r] = val;
		break;
	}
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t cap(uint64_t v, uint64_t max)
{
	return v > max ? max : v;
}

struct cmos *cmos_new(uint64_t low_ram, uint64_t high_ram)
{
	struct cmos *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		return NULL;
	}
	c->now = host_now;
	/* Register A: 32.768 kHz time base (DV = 010), 1024 Hz rate (0110).
	 * Register B: 24-hour, BCD, as PC firmware leaves it. */
	c->ram[REG_A] = 0x26;
	c->ram[REG_B] = B_24H;
	const uint64_t mib = 1 << 20;
	put_le(&c->ram[MEM_BASE_LO], 640, 2);
	uint64_t ext_kib = low_ram > mib ? cap((low_ram - mib) >> 10, 0xffff) : 0;
	put_le(&c->ram[MEM_EXT_LO], ext_kib, 2);
	put_le(&c->ram[MEM_EXT2_LO], ext_kib, 2);
	uint64_t above16 = low_ram > 16 * mib ? cap((low_ram - 16 * mib) >> 16, 0xffff) : 0;
	put_le(&c->ram[MEM_16M_LO], above16, 2);
	put_le(&c->ram[MEM_4G_LO], cap(high_ram >> 16, 0xffffff), 3);
	return c;
}

void cmos_free(struct cmos *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void cmos_set_clock(struct cmos *c, time_t (*now)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->now = now ? now : host_now;
	c->now_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

void cmos_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
	     bool is_write)
{
	struct cmos *c = opaque;
	if (!len)
		return;
	uint8_t v = 0xff;
	pthread_mutex_lock(&c->lock);
	if (off == 0) {
		/* Port 0x70 is write-only: reads see all-ones. */
		if (is_write)
			c->index = data[0] & INDEX_MASK;
	} else if (off == 1) {
		if (is_write)
			data_write(c, data[0]);
		else
			v = data_read(c);
	}
	pthread_mutex_unlock(&c->lock);
	if (!is_write) {
		data[0] = v;
		for (uint32_t i = 1; i < len; i++)
			data[i] = 0xff;
	}
}
