/*
 * i8042: a keyboard controller with nothing attached (IBM PC/AT Technical
 * Reference, "Keyboard Controller": status register, commands, output
 * port). Owns the command byte and controller RAM, the output buffer, the
 * output port and the command awaiting its data byte. See i8042.h.
 */
#include "i8042.h"

#include <pthread.h>
#include <stdlib.h>

#define PORT_DATA 0 /* 0x60 */
#define PORT_CMD 4 /* 0x64: status on read, command on write */

/* Status register (port 0x64 read). The input buffer is never full:
 * every write is handled during the access. */
#define ST_OBF 0x01 /* output buffer full: port 0x60 has a byte */
#define ST_IBF 0x02 /* input buffer full: never set */
#define ST_SYS 0x04 /* system flag, a copy of command byte bit 2 */
#define ST_A2 0x08 /* last write was a command (port 0x64) */
#define ST_UNLOCKED 0x10 /* keyboard not inhibited by the key lock */

/* Command byte (controller RAM byte 0). */
#define CB_SYS 0x04
#define CB_KBD_OFF 0x10
#define CB_AUX_OFF 0x20
#define CB_DEFAULT 0x45 /* translate, system flag, keyboard interrupt */

/* Output port: bit 0 is the CPU reset line (0 asserts reset), bit 1 the
 * A20 gate (not modelled: KVM guests have A20 enabled). */
#define OUT_RESET 0x01
#define OUT_A20 0x02

#define CMD_READ_RAM 0x20 /* 0x20-0x3f: read RAM byte (cmd & 0x1f) */
#define CMD_WRITE_RAM 0x60 /* 0x60-0x7f: write RAM byte with next data */
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_READ_OUTPORT 0xd0
#define CMD_WRITE_OUTPORT 0xd1
#define CMD_PULSE 0xf0 /* 0xf0-0xff: pulse output port bits 3:0 that are 0 */

#define SELF_TEST_OK 0x55
#define KBD_TEST_OK 0x00

struct i8042 {
	pthread_mutex_t lock;
	void (*reset)(void *ctx);
	void *ctx;
	uint8_t ram[32]; /* ram[0] is the command byte */
	uint8_t out; /* output buffer */
	bool out_full;
	uint8_t outport;
	uint8_t pending; /* command waiting for a data byte, or 0 */
	bool last_was_cmd;
};

static void reply(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->out_full = true;
}

/*
 * Command state machine: a write to port 0x64 is a command. Most complete
 * at once (possibly leaving a reply in the output buffer); 0x60-0x7f and
 * 0xD1 set `pending`, and the next write to port 0x60 is their data byte.
 * Any new command replaces a pending one. Unknown commands are dropped and
 * produce no reply (a polling guest times out, as on a controller without
 * the feature). Returns true when the reset line is pulsed.
 */
static bool command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + 0x20) {
		reply(k, k->ram[cmd & 0x1f]);
		return false;
	}
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20) {
		k->pending = cmd;
		return false;
	}
	if ((cmd & 0xf0) == CMD_PULSE)
		return !(cmd & OUT_RESET); /* 0xFE pulses only the reset line */
	switch (cmd) {
	case CMD_AUX_DISABLE:
		k->ram[0] |= CB_AUX_OFF;
		break;
	case CMD_AUX_ENABLE:
		k->ram[0] &= ~CB_AUX_OFF;
		break;
	case CMD_SELF_TEST:
		reply(k, SELF_TEST_OK);
		break;
	case CMD_KBD_TEST:
		reply(k, KBD_TEST_OK);
		break;
	case CMD_KBD_DISABLE:
		k->ram[0] |= CB_KBD_OFF;
		break;
	case CMD_KBD_ENABLE:
		k->ram[0] &= ~CB_KBD_OFF;
		break;
	case CMD_READ_OUTPORT:
		reply(k, k->outport);
		break;
	case CMD_WRITE_OUTPORT:
		k->pending = cmd;
		break;
	default:
		break;
	}
	return false;
}

/* A data byte: the argument of a pending command, else meant for the
 * keyboard, which is absent. Returns true when the reset line drops. */
static bool data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20) {
		k->ram[cmd & 0x1f] = v;
	} else if (cmd == CMD_WRITE_OUTPORT) {
		k->outport = v;
		return !(v & OUT_RESET);
	}
	return false;
}

static uint8_t status(const struct i8042 *k)
{
	return (k->out_full ? ST_OBF : 0) | ((k->ram[0] & CB_SYS) ? ST_SYS : 0) |
	       (k->last_was_cmd ? ST_A2 : 0) | ST_UNLOCKED;
}

struct i8042 *i8042_new(void (*reset)(void *ctx), void *ctx)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	if (pthread_mutex_init(&k->lock, NULL)) {
		free(k);
		return NULL;
	}
	k->reset = reset;
	k->ctx = ctx;
	k->ram[0] = CB_DEFAULT;
	k->outport = OUT_RESET | OUT_A20;
	return k;
}

void i8042_free(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

void i8042_io(void *opaque, uint64_t off, uint8_t *data_buf, uint32_t len,
	      bool is_write)
{
	struct i8042 *k = opaque;
	bool do_reset = false;
	uint8_t v = 0xff;
	if (!len)
		return;
	pthread_mutex_lock(&k->lock);
	if (off == PORT_DATA) {
		if (is_write) {
			k->last_was_cmd = false;
			do_reset = data(k, data_buf[0]);
		} else {
			/* An empty buffer reads its stale byte, as the chip. */
			v = k->out;
			k->out_full = false;
		}
	} else if (off == PORT_CMD) {
		if (is_write) {
			k->last_was_cmd = true;
			do_reset = command(k, data_buf[0]);
		} else {
			v = status(k);
		}
	}
	pthread_mutex_unlock(&k->lock);
	if (!is_write) {
		data_buf[0] = v;
		for (uint32_t i = 1; i < len; i++)
			data_buf[i] = 0xff;
	}
	if (do_reset && k->reset)
		k->reset(k->ctx);
}
