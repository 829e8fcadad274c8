/*
 * channel: the VM side of a channel between two VMs (the CAmkES dataport
 * plus notification): a shared-memory region mapped into this VM, and a
 * doorbell each way.
 *
 * Owns: parsing the `--channel` option that `vmm system` hands to each
 * VM's process, and wiring one channel into KVM:
 *  - the region: a memfd the supervisor created, mapped MAP_SHARED and
 *    registered as guest memory at `gpa` (so both VMs see the same pages);
 *  - the outgoing doorbell: a 4-byte guest write at gpa + size is taken by
 *    an ioeventfd on the `out` eventfd, in the host kernel;
 *  - the incoming doorbell: an irqfd on the `in` eventfd (the peer's `out`)
 *    raises an MSI with vector `vector` on this VM's CPU 0.
 * Neither doorbell passes through user space: the two VMs' kernels-to-be
 * talk through the host kernel alone, as CAmkES connectors do through seL4.
 *
 * Option syntax: gpa=ADDR,size=SIZE,mem=FD,out=FD,in=FD,vector=N (numbers
 * in C syntax; SIZE also with K/M suffix).
 *
 * Also owns the layout rules of a VM's channels, the one check that both
 * `vmm run --channel` and `vmm system --check` apply: each region and the
 * doorbell page above it lie inside the channel window, and no region or
 * doorbell page of one channel touches another channel of the same VM (a
 * doorbell inside a neighbour's region would be RAM to KVM: the write
 * would land in the peer's data and the ioeventfd would never fire).
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm.h"

/* Channels per VM: memory slots 2..5 and MSI routes after the GPIO's. */
#define CHANNEL_MAX 4
/* The MMIO window channels may use: above the PCI BAR area, below the
 * IOAPIC at 0xfec00000 (src/vmm/guestmem.h, pci.c). */
#define CHANNEL_WINDOW_START 0xc1000000ull
#define CHANNEL_WINDOW_END 0xfec00000ull
#define CHANNEL_PAGE 0x1000ull
/* The doorbell page sits right above the region and belongs to it. */
#define CHANNEL_DOORBELL_SIZE CHANNEL_PAGE
#define CHANNEL_MAX_SIZE (256ull << 20)

/* What channel_check_one finds wrong with one channel's placement. The
 * range problems are only looked for when size and gpa are each fine. */
enum {
	CHANNEL_BAD_SIZE = 1u << 0,  /* 0, or above CHANNEL_MAX_SIZE */
	CHANNEL_BAD_SIZE_ALIGN = 1u << 1,
	CHANNEL_BAD_GPA_ALIGN = 1u << 2,
	CHANNEL_BAD_WRAP = 1u << 3,  /* region plus doorbell page wraps past 2^64 */
	CHANNEL_BAD_WINDOW = 1u << 4, /* region or doorbell page outside the window */
};

struct channel_cfg {
	uint64_t gpa, size;
	int mem_fd, out_fd, in_fd;
	unsigned vector;
};

/* The problems of one channel at [gpa, gpa + size) with its doorbell page
 * above: a set of CHANNEL_BAD_*, 0 when it may be placed. */
unsigned channel_check_one(uint64_t gpa, uint64_t size);
/* True when two channels that one VM maps collide: the region or doorbell
 * page of either overlaps the other's. Both must pass channel_check_one. */
bool channel_collide(uint64_t gpa_a, uint64_t size_a, uint64_t gpa_b, uint64_t size_b);
/* The end of a channel's doorbell page: where the next channel may start. */
uint64_t channel_span_end(uint64_t gpa, uint64_t size);

/* Parses one --channel value (and checks its placement with
 * channel_check_one). Returns 0, or -1 with a message. */
int channel_parse(const char *s, struct channel_cfg *c, char *err, size_t errlen);

/* Checks the n channels of one VM as a set: at most CHANNEL_MAX, none
 * colliding with another. Returns 0, or -1 with a message. */
int channel_check_layout(const struct channel_cfg *c, size_t n, char *err, size_t errlen);

/* Wires channel `idx` (0..CHANNEL_MAX-1) into the VM. A doorbell rung
 * before this VM was wired (while it was down, before a restart) is
 * cleared first, so that it cannot fire at the guest's first sti. Returns
 * 0 or -1. */
int channel_setup(struct kvm_vm *vm, unsigned idx, const struct channel_cfg *c, char *err,
		  size_t errlen);

#endif
