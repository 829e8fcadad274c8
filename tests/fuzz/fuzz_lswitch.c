/*
 * fuzz_lswitch: the learning switch of net links between three or more
 * VMs (lswitch.c) on arbitrary frame sequences.
 *
 * Input: records of a port byte (its low bits pick one of 4 ports), a
 * time step byte, a 2-byte little-endian length and that many bytes of
 * frame (short records, link messages, runts and frames of any address
 * included). Each port P has its VM's MAC set (02:00:00:00:00:0P), as
 * vmm system sets them. After each record every port's queue is checked and sometimes
 * drained. Whatever the input: a queue stays within its bounds, a frame
 * is never queued back on the port it came from, a frame from a port
 * carries its port's MAC as its source, a VM's address is learnt on its
 * own port only, and the table holds at most LSW_TABLE_MAX addresses. Seeds: tests/fuzz/corpus/lswitch/.
 */
#include <stdlib.h>
#include <string.h>

#include "lswitch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PORTS 4u

static void check(const struct lsw *sw)
{
	unsigned used = 0;
	for (unsigned i = 0; i < LSW_TABLE_MAX; i++)
		used += sw->table[i].used;
	if (used != sw->nentries || used > LSW_TABLE_MAX)
		abort();
	for (unsigned p = 0; p < PORTS; p++) {
		const struct lsw_port *q = &sw->port[p];
		if (q->nq > LSW_QUEUE_FRAMES || q->qbytes > LSW_QUEUE_BYTES)
			abort();
		unsigned n = 0;
		size_t bytes = 0;
		for (const struct lsw_frame *f = q->head; f; f = f->next) {
			n++;
			bytes += f->len;
			if (f->len < LSW_FRAME_MIN || f->len > LSW_FRAME_MAX)
				abort();
			/* Its source: another port's MAC (a port sends only
			 * from its own, and a frame never goes back). */
			const uint8_t *src = f->data + 6;
			static const uint8_t pre[5] = {0x02, 0, 0, 0, 0};
			if (memcmp(src, pre, 5) || src[5] >= PORTS || src[5] == p)
				abort();
		}
		if (n != q->nq || bytes != q->qbytes)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lsw sw;
	lsw_init(&sw, PORTS);
	for (unsigned p = 0; p < PORTS; p++) {
		uint8_t mac[6] = {0x02, 0, 0, 0, 0, (uint8_t)p};
		lsw_set_mac(&sw, p, mac);
	}
	uint64_t now = 1000;
	while (size >= 4) {
		unsigned port = data[0] % PORTS;
		now += (uint64_t)data[1] * 5000u; /* up to ~21 min a step: ageing */
		size_t len = (size_t)data[2] | (size_t)data[3] << 8;
		data += 4, size -= 4;
		if (len > size)
			len = size;
		lsw_input(&sw, port, data, len, now);
		data += len, size -= len;
		check(&sw);
		/* Now and then the VMs read: the queues empty. */
		if ((now / 5000u) % 3 == 0)
			for (unsigned p = 0; p < PORTS; p++)
				while (lsw_peek(&sw, p))
					lsw_pop(&sw, p);
	}
	for (unsigned p = 0; p < PORTS; p++) {
		uint8_t mac[6] = {0x02, 0, 0, 0, 0, (uint8_t)p};
		int at = lsw_lookup(&sw, mac, now);
		if (at >= 0 && at != (int)p)
			abort(); /* a VM's address learnt on another VM's port */
	}
	lsw_free(&sw);
	return 0;
}
