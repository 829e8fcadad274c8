/*
 * channel: the VM side of a channel between two VMs (the CAmkES dataport
 * plus notification): a shared-memory region mapped into this VM, and a
 * doorbell each way. The guest sees it as a PCI function (chanpci.h):
 * BAR2 the region, BAR0 a register page with the doorbell, MSI or INTx.
 *
 * Owns: parsing the `--channel` option that `vmm system` hands to each
 * VM's process, and the host side of one channel before the device is
 * built (channel_setup): the region is a memfd the supervisor created,
 * mapped MAP_SHARED here (both VMs see the same pages); `out` is the
 * eventfd a doorbell write signals (an ioeventfd, in the host kernel) and
 * `in` the peer's, which becomes an irqfd or is read by the monitor.
 * Firmware (the monitor) places BAR2 at `gpa` and BAR0 right above the
 * region, at gpa + size, where the doorbell page always was.
 *
 * Option syntax: gpa=ADDR,size=SIZE,mem=FD,out=FD,in=FD[,name=S][,peer=S]
 * (numbers in C syntax; SIZE also with K/M suffix; S a name of letters,
 * digits, '_', '-' and '.', at most 31 bytes, shown in the register page).
 *
 * Also owns the layout rules of a VM's channels, the one check that both
 * `vmm run --channel` and `vmm system --check` apply: each region and the
 * doorbell page above it lie inside the channel window, the region is a
 * BAR (a power-of-two size at a multiple of it, PCI 3.0 sec. 6.2.5.1), and
 * no region or doorbell page of one channel touches another channel of
 * the same VM (the bus would refuse the second BAR).
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Channels per VM: memory slots 2..5 and MSI routes after the GPIO's. */
#define CHANNEL_MAX 4
/* The MMIO window channels may use: on the PC above the PCI BAR area,
 * below the IOAPIC at 0xfec00000 (src/vmm/guestmem.h, pci.c); on arm64
 * the top of the ECAM bridge's 32-bit window (arm64map.h). CHANNEL_ARM64
 * picks the arm64 one on any host, for the unit tests. */
#if defined(__aarch64__) || defined(CHANNEL_ARM64)
#include "arm64map.h"
#define CHANNEL_WINDOW_START ARM64_CHANNEL_WINDOW_START
#define CHANNEL_WINDOW_END ARM64_CHANNEL_WINDOW_END
#else
#define CHANNEL_WINDOW_START 0xc1000000ull
#define CHANNEL_WINDOW_END 0xfec00000ull
#endif
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
	CHANNEL_BAD_BAR = 1u << 5,    /* size not a power of two, or gpa not a multiple of it */
};

#define CHANNEL_NAME_MAX 31

struct channel_cfg {
	uint64_t gpa, size;
	int mem_fd, out_fd, in_fd;
	char name[CHANNEL_NAME_MAX + 1], peer[CHANNEL_NAME_MAX + 1]; /* "" when not given */
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

/* The host side of channel `idx` (0..CHANNEL_MAX-1): checks the memfd's
 * size, maps it (*shm; the mapping lives as long as the process) and
 * makes `in` non-blocking. A doorbell rung before this VM existed (while
 * it was down, before a restart) is cleared, so that it cannot fire at
 * the guest's first sti. Returns 0 or -1 with a message. */
int channel_setup(unsigned idx, const struct channel_cfg *c, uint8_t **shm, char *err,
		  size_t errlen);

#endif
