/*
 * dtb: the arm64 machine's device tree, built with libfdt's sequential
 * writer (Devicetree Specification v0.4; the bindings are Linux's
 * Documentation/devicetree/bindings, named at each node in dtb.c).
 *
 * Owns: the nodes that describe the machine of arm64map.h: memory, CPUs
 * (PSCI enable method), PSCI through HVC, the GIC (v3, or v2), the
 * GICv3 ITS when there is one, the architected timer, the PL011 (stdout-path), the PL061 and the GPIO
 * doorbell, the debug-exit register, the ECAM PCI host bridge with its INTx map (and its msi-map to the ITS), and /chosen
 * (bootargs, initrd).
 */
#ifndef DTB_H
#define DTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest tree we make; the boot protocol allows 2 MiB. */
#define DTB_MAX_SIZE 0x10000

struct dtb_machine {
	uint64_t ram_base, ram_size;
	unsigned ncpus;
	int gic_version;      /* 3 or 2 */
	const char *bootargs; /* NULL or "" for none */
	uint64_t initrd_start, initrd_end; /* both 0 when there is none */
	bool gpio;            /* the PL061 is there */
	bool debug_exit;      /* the debug-exit register is there */
	bool its;             /* a GICv3 ITS (v3 only): PCI MSIs go to it */
};

/* The PCI INTx SPI (GIC SPI number, not INTID) of `slot`'s pin (1 = INTA):
 * the swizzle of PCI-to-PCI Bridge spec. 1.2 table 9-1 onto four SPIs. */
unsigned dtb_pci_intx_spi(unsigned slot, unsigned pin);

/* Writes the flattened tree into buf (size bytes). Returns its size, or
 * -1 with a message in err (the tree does not fit, or libfdt refused). */
int dtb_build(const struct dtb_machine *d, void *buf, size_t size, char *err, size_t errlen);

#endif
