/*
 * fdt: see fdt.h. Runs before the MMU is on (kernel.c), when every data
 * access is Device memory and must be aligned: multi-byte fields are read
 * a byte at a time, big-endian as the format says (DT spec 5.1).
 */
#include "fdt.h"

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
#define FDT_MAX_DEPTH 16

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A reg value of `cells` 32-bit cells (1 or 2). */
static uint64_t cells_val(const uint8_t *p, uint32_t cells)
{
	return cells == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
}

int fdt_valid(const void *p)
{
	const uint8_t *b = p;
	return p && be32(b) == FDT_MAGIC && be32(b + 4) >= 40 && be32(b + 4) < (64u << 20);
}

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Whether node name `n` is `base` or `base@unit`. */
static int name_is(const char *n, const char *base)
{
	while (*base && *n == *base)
		n++, base++;
	return !*base && (!*n || *n == '@');
}

/* Whether the string list v[0..len) holds s (DT spec 2.3.1, compatible). */
static int list_has(const char *v, uint32_t len, const char *s)
{
	uint32_t i = 0;
	while (i < len) {
		if (str_eq(v + i, s))
			return 1;
		while (i < len && v[i])
			i++;
		i++;
	}
	return 0;
}

int fdt_read(const void *p, struct fdt_facts *f)
{
	const uint8_t *b = p;
	uint32_t total = be32(b + 4), off_struct = be32(b + 8), off_str = be32(b + 12);
	uint32_t size_str = be32(b + 32), size_struct = be32(b + 36);
	f->size = total;
	if (off_struct > total || size_struct > total - off_struct || off_str > total ||
	    size_str > total - off_str || be32(b + 20) < 17)
		return -1;
	const uint8_t *s = b + off_struct, *end = s + size_struct;
	const char *strs = (const char *)b + off_str;
	/* Per depth: the node's name and what its properties said. */
	const char *names[FDT_MAX_DEPTH];
	uint32_t acells = 2, scells = 1; /* the root's #address/#size-cells (DT spec 2.3.5) */
	int depth = -1;
	enum {
		N_OTHER, N_MEMORY, N_DEBUGEXIT, N_GPIO, N_DOORBELL, N_GICV2, N_GICV3, N_PCI
	} kind[FDT_MAX_DEPTH];
	const uint8_t *reg[FDT_MAX_DEPTH];
	uint32_t reglen[FDT_MAX_DEPTH];
	uint32_t intid[FDT_MAX_DEPTH]; /* from "interrupts", 0: none */

	while (s + 4 <= end) {
		uint32_t tok = be32(s);
		s += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)s;
			while (s < end && *s)
				s++;
			if (s >= end || ++depth >= FDT_MAX_DEPTH)
				return -1;
			s = b + ((uint32_t)(s + 1 - b + 3) & ~3u);
			names[depth] = name;
			kind[depth] = depth == 1 && name_is(name, "memory") ? N_MEMORY : N_OTHER;
			reg[depth] = NULL;
			reglen[depth] = 0;
			intid[depth] = 0;
		} else if (tok == FDT_END_NODE) {
			if (depth < 0)
				return -1;
			/* Only children of the root: their reg uses the root's cells. */
			if (depth == 1 && reg[1] && reglen[1] >= 4 * acells) {
				uint64_t addr = cells_val(reg[1], acells);
				if (kind[1] == N_MEMORY && !f->mem_size &&
				    reglen[1] >= 4 * (acells + scells)) {
					f->mem_base = addr;
					f->mem_size = cells_val(reg[1] + 4 * acells, scells);
				} else if (kind[1] == N_DEBUGEXIT) {
					f->debug_exit = addr;
				} else if (kind[1] == N_GPIO && !f->gpio_base) {
					f->gpio_base = addr;
				} else if (kind[1] == N_DOORBELL && !f->gpio_doorbell) {
					f->gpio_doorbell = addr;
					f->gpio_doorbell_intid = intid[1];
				} else if (kind[1] == N_PCI && !f->pci_ecam &&
					   reglen[1] >= 4 * (acells + scells)) {
					f->pci_ecam = addr;
					f->pci_ecam_size = cells_val(reg[1] + 4 * acells, scells);
				} else if ((kind[1] == N_GICV2 || kind[1] == N_GICV3) &&
					   !f->gic_version) {
					f->gic_version = kind[1] == N_GICV3 ? 3 : 2;
					f->gic_dist = addr;
					uint32_t pair = 4 * (acells + scells);
					if (reglen[1] >= pair + 4 * acells)
						f->gic_cpu = cells_val(reg[1] + pair, acells);
				}
			}
			depth--;
		} else if (tok == FDT_PROP) {
			if (s + 8 > end || depth < 0)
				return -1;
			uint32_t len = be32(s), nameoff = be32(s + 4);
			const uint8_t *v = s + 8;
			if (len > (uint32_t)(end - v) || nameoff >= size_str)
				return -1;
			s = b + ((uint32_t)(v + len - b + 3) & ~3u);
			const char *pn = strs + nameoff;
			const char *cv = (const char *)v;
			int terminated = len && cv[len - 1] == '\0';
			if (depth == 0 && len == 4 && str_eq(pn, "#address-cells"))
				acells = be32(v) == 1 ? 1 : 2;
			else if (depth == 0 && len == 4 && str_eq(pn, "#size-cells"))
				scells = be32(v) == 1 ? 1 : 2;
			else if (str_eq(pn, "reg")) {
				reg[depth] = v;
				reglen[depth] = len;
			} else if (str_eq(pn, "compatible") && terminated) {
				if (list_has(cv, len, "hvvmm,debug-exit"))
					kind[depth] = N_DEBUGEXIT;
				else if (list_has(cv, len, "arm,pl061"))
					kind[depth] = N_GPIO;
				else if (list_has(cv, len, "hvvmm,gpio-doorbell"))
					kind[depth] = N_DOORBELL;
				/* bindings/pci/host-generic-pci.yaml */
				else if (list_has(cv, len, "pci-host-ecam-generic"))
					kind[depth] = N_PCI;
				else if (list_has(cv, len, "arm,gic-v3"))
					kind[depth] = N_GICV3;
				/* GICv2 (DT binding arm,gic.yaml): QEMU's virt says
				 * cortex-a15-gic, KVM hosts' device trees gic-400. */
				else if (list_has(cv, len, "arm,cortex-a15-gic") ||
					 list_has(cv, len, "arm,gic-400") ||
					 list_has(cv, len, "arm,cortex-a9-gic") ||
					 list_has(cv, len, "arm,cortex-a7-gic"))
					kind[depth] = N_GICV2;
			} else if (str_eq(pn, "interrupts") && len >= 12) {
				/* The GIC binding's three cells: SPI (0) or PPI (1),
				 * the number, the flags (arm,gic.yaml). */
				uint32_t type = be32(v), num = be32(v + 4);
				if (type <= 1 && num < 988)
					intid[depth] = (type ? 16 : 32) + num;
			} else if (depth == 1 && name_is(names[1], "chosen") && terminated &&
				   str_eq(pn, "bootargs")) {
				f->bootargs = cv;
			} else if (depth == 1 && name_is(names[1], "psci") && terminated &&
				   str_eq(pn, "method")) {
				f->psci_smc = str_eq(cv, "smc");
			}
		} else if (tok == FDT_END) {
			return 0;
		} else if (tok != FDT_NOP) {
			return -1;
		}
	}
	return -1;
}
