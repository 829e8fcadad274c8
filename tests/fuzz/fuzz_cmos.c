/*
 * fuzz_cmos: port accesses to the MC146818 RTC/CMOS (0x70/0x71) under any
 * host clock, with the invariants checked after every step.
 *
 * Input: 8 bytes of host clock (seconds, little-endian, any value), then
 * operations of a control byte `c` and one value byte:
 *   c & 3 == 0  write the value to port 0x70 (index)
 *   c & 3 == 1  write the value to port 0x71 (data at the index)
 *   c & 3 == 2  read port 0x71 (or 0x70 when c & 4)
 *   c & 3 == 3  advance the clock by value << (c >> 2 & 31) seconds
 * Accesses are 1 byte, or 2/4 when c & 0x80 (the other bytes read 0xff).
 * Invariants: register C reads 0, D reads 0x80, A never shows UIP, the
 * index port reads 0xff, wider reads are 0xff above the first byte, and
 * the CMOS RAM bytes outside the clock read back what was last written.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static time_t clock_now;

static time_t fake_now(void *ctx)
{
	(void)ctx;
	return clock_now;
}

static bool is_clock(unsigned r)
{
	return r <= 0x0d || r == 0x32;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t |= (uint64_t)data[i] << (8 * i);
	clock_now = (time_t)t;
	struct cmos *c = cmos_new(512u << 20, 1ull << 30);
	if (!c)
		abort();
	cmos_set_clock(c, fake_now, NULL);
	uint8_t model[128];
	for (unsigned r = 0; r < 128; r++) {
		uint8_t b = (uint8_t)r;
		cmos_io(c, 0, &b, 1, true);
		cmos_io(c, 1, &b, 1, false);
		model[r] = b;
	}
	uint8_t index = 0;
	cmos_io(c, 0, &index, 1, true);
	for (size_t i = 8; i + 1 < size; i += 2) {
		uint8_t op = data[i], v = data[i + 1];
		uint32_t len = (op & 0x80) ? ((op & 0x40) ? 4 : 2) : 1;
		uint8_t buf[4] = {v, v, v, v};
		switch (op & 3) {
		case 0:
			cmos_io(c, 0, buf, len, true);
			index = v & 0x7f;
			break;
		case 1:
			cmos_io(c, 1, buf, len, true);
			if (!is_clock(index))
				model[index] = v;
			break;
		case 2: {
			unsigned port = (op & 4) ? 0 : 1;
			cmos_io(c, port, buf, len, false);
			for (uint32_t k = 1; k < len; k++)
				if (buf[k] != 0xff)
					abort();
			if (port == 0 && buf[0] != 0xff)
				abort(); /* the index port is write-only */
			if (port == 1) {
				if (index == 0x0c && buf[0] != 0)
					abort();
				if (index == 0x0d && buf[0] != 0x80)
					abort();
				if (index == 0x0a && (buf[0] & 0x80))
					abort();
				if (!is_clock(index) && buf[0] != model[index])
					abort();
			}
			break;
		}
		default:
			clock_now = (time_t)((uint64_t)clock_now + ((uint64_t)v << ((op >> 2) & 31)));
			break;
		}
	}
	cmos_free(c);
	return 0;
}
