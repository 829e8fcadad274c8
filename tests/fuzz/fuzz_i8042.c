/*
 * fuzz_i8042: port accesses to the keyboard controller (0x60-0x64) with
 * the invariants checked after every step.
 *
 * Input: operations of a control byte `c` and one value byte:
 *   c & 3 == 0  write the value to port 0x64 (a command)
 *   c & 3 == 1  write the value to port 0x60 (data)
 *   c & 3 == 2  read port 0x64 (status)
 *   c & 3 == 3  read port 0x60 + (c >> 2) % 5 (0x61-0x63 are not the chip)
 * Accesses are 1 byte, or 2/4 when c & 0x80.
 * Invariants: the input buffer never reads full (every write is taken at
 * once), status bits outside OBF, SYS, A2 and the key lock stay 0, wider
 * reads are 0xff above the first byte, ports 0x61-0x63 read 0xff, and the
 * reset line is pulsed exactly when a command 0xf0-0xff with bit 0 clear,
 * or an output-port write (0xd1 then data) with bit 0 clear, asks for it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "i8042.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned resets;

static void on_reset(void *ctx)
{
	(void)ctx;
	resets++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct i8042 *k = i8042_new(on_reset, NULL);
	if (!k)
		abort();
	resets = 0;
	unsigned want = 0;
	int pending = 0; /* the last command, while it waits for its data byte */
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i], v = data[i + 1];
		uint32_t len = (op & 0x80) ? ((op & 0x40) ? 4 : 2) : 1;
		uint8_t buf[4] = {v, v, v, v};
		switch (op & 3) {
		case 0:
			i8042_io(k, 4, buf, len, true);
			if ((v & 0xf0) == 0xf0 && !(v & 1))
				want++;
			pending = (v == 0xd1 || (v >= 0x60 && v < 0x80)) ? v : 0;
			break;
		case 1:
			i8042_io(k, 0, buf, len, true);
			if (pending == 0xd1 && !(v & 1))
				want++;
			pending = 0;
			break;
		case 2:
			i8042_io(k, 4, buf, len, false);
			if (buf[0] & 0x02)
				abort(); /* input buffer full */
			if (buf[0] & ~0x1du)
				abort();
			if (!(buf[0] & 0x10))
				abort(); /* key lock: never locked */
			break;
		default: {
			unsigned off = (unsigned)(op >> 2) % 5;
			i8042_io(k, off, buf, len, false);
			if ((off == 1 || off == 2 || off == 3) && buf[0] != 0xff)
				abort();
			break;
		}
		}
		if ((op & 3) >= 2)
			for (uint32_t b = 1; b < len; b++)
				if (buf[b] != 0xff)
					abort();
		if (resets != want)
			abort();
	}
	i8042_free(k);
	return 0;
}
