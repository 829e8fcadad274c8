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
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "kvm.h"

#define CHANNEL_MAX 4
/* The MMIO window channels may use: above the PCI BAR area, below the
 * IOAPIC (src/vmm/guestmem.h). */
#define CHANNEL_WINDOW_START 0xc1000000ull
#define CHANNEL_WINDOW_END 0xfec00000ull

struct channel_cfg {
	uint64_t gpa, size;
	int mem_fd, out_fd, in_fd;
	unsigned vector;
};

/* Parses one --channel value. Returns 0, or -1 with a message. */
int channel_parse(const char *s, struct channel_cfg *c, char *err, size_t errlen);

/* Wires channel `idx` (0..CHANNEL_MAX-1) into the VM. Returns 0 or -1. */
int channel_setup(struct kvm_vm *vm, unsigned idx, const struct channel_cfg *c, char *err,
		  size_t errlen);

#endif
