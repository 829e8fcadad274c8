/*
 * Work in progress, not run by `make prove` (tests/prove/README.md, "Not
 * yet proved"): EVA over one virtq_pop() on a guest RAM of unknown
 * contents. Run it with
 *
 *   frama-c -cpp-extra-args="-D_GNU_SOURCE -Isrc/vmm -Isrc/vmm/virtio \
 *       -include tests/prove/stubs.h" tests/prove/guestmem_wp.c \
 *       src/vmm/guestmem.c src/vmm/virtio/virtq.c tests/prove/wip/virtq_eva.c \
 *       -eva -eva-use-spec gm_ptr -eva-slevel 2000 \
 *       -eva-domains equality,octagon,symbolic-locations
 */
#include "guestmem.h"
#include "virtq.h"
#include "__fc_builtin.h"
#define RAM 0x8000
static uint8_t ram[RAM];
static struct virtq_chain chain;
int main(void) {
	struct guestmem gm = { ram, sizeof ram, sizeof ram };
	Frama_C_make_unknown((char *)ram, sizeof ram);
	struct virtq q;
	uint16_t size = 4;
	if (virtq_init(&q, &gm, size, 0x1000, 0x2000, 0x3000, Frama_C_nondet(0,1), Frama_C_nondet(0,1)))
		return 0;
	int r = virtq_pop(&q, &chain);
	return r;
}
