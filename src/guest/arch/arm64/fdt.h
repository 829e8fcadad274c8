/*
 * fdt: the little the arm64 benchmark guest reads from its device tree
 * (Devicetree Specification 0.4, chapter 5, the flattened format): the
 * RAM, the command line, the debug-exit device, the PSCI conduit, the GIC,
 * the PL061, the GPIO doorbell and the PCI host bridge's ECAM. The monitor or QEMU wrote the tree; it is read with
 * bounds checks all the same, and anything malformed reads as absent.
 */
#ifndef FDT_H
#define FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedu

struct fdt_facts {
	uint64_t mem_base, mem_size;   /* the first /memory reg entry; size 0: none */
	uint64_t debug_exit;           /* "hvvmm,debug-exit" reg, 0: none */
	uint64_t gpio_base;            /* "arm,pl061" reg, 0: none */
	uint64_t gpio_doorbell;        /* "hvvmm,gpio-doorbell" reg, 0: none */
	uint32_t gpio_doorbell_intid;  /* its interrupt (the first of "interrupts"), 0: none */
	uint64_t pci_ecam, pci_ecam_size; /* "pci-host-ecam-generic" reg, 0: none */
	unsigned gic_version;          /* 3 ("arm,gic-v3"), 2 (a GICv2's compatible), 0: none */
	uint64_t gic_dist, gic_cpu;    /* reg[0]: distributor; reg[1]: GICv3 redistributors
					* or GICv2 CPU interface; 0: not given */
	int psci_smc;                  /* /psci method = "smc" (else HVC) */
	const char *bootargs;          /* /chosen/bootargs, NUL-terminated, or NULL */
	uint32_t size;                 /* totalsize */
};

/* Whether a valid tree header starts at p. */
int fdt_valid(const void *p);
/* Reads the facts above from the tree at p (fdt_valid). Returns 0, -1 if
 * the structure block is malformed (facts found before it are kept). */
int fdt_read(const void *p, struct fdt_facts *f);

#endif
