/*
 * pvh: the benchmark guest started through PVH (src/common/pvh.h) by
 * another monitor (QEMU, Firecracker, Cloud Hypervisor) or by `vmm run
 * --boot pvh`. entry.S's _start_pvh has already built today's entry state
 * (long mode, the boot GDT layout of hvboot.h, the 4 GiB identity map);
 * this file fills the struct hvboot_info that vmm would have handed over,
 * from what a PVH monitor gives:
 *
 *   command line   hvm start info cmdline_paddr
 *   memory map     memmap_paddr (version 1; its entries have hvboot's
 *                  layout), and the RAM size as the sum of its RAM entries
 *   vCPU count     the ACPI MADT's enabled (or online-capable) local APIC
 *                  and x2APIC entries (ACPI 6.x sec. 5.2.12), through the
 *                  RSDP at rsdp_paddr or, when that is 0, found where
 *                  sec. 5.2.5.1 says to look (EBDA, 0xe0000-0xfffff)
 *   TSC frequency  CPUID leaf 0x40000010 (the hypervisor timing leaf QEMU
 *                  and VMware define) or leaf 0x15 (Intel SDM vol. 2A,
 *                  "CPUID", TSC/crystal ratio); 0 otherwise, and kmain then
 *                  measures it against the PIT
 *   image end      the linker's _end (guest.ld)
 *
 * Runs at CPL0 before SSE is on (compiled -mgeneral-regs-only, guest.mk),
 * and on software KVM every instruction here is emulated: it reads only a
 * few dozen bytes of tables and scans for the RSDP only when not told.
 * Nothing here trusts the monitor further than the identity map reaches:
 * a table above 4 GiB or longer than 64 KiB is ignored.
 */
#include <stddef.h>
#include <stdint.h>

#include "hvboot.h"
#include "pvh.h"

const struct hvboot_info *pvh_boot(uint64_t start_info);
extern char _end[];

#define PVH_MAP_LIMIT 0x100000000ull /* what the identity map covers */
#define PVH_TABLE_MAX 0x10000u

static struct hvboot_info pvh_info;
static const char pvh_no_cmdline[1];

static uint32_t rd32(uint64_t a)
{
	const volatile uint8_t *p = (const volatile uint8_t *)a;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(uint64_t a)
{
	return rd32(a) | (uint64_t)rd32(a + 4) << 32;
}

static int mapped(uint64_t a, uint64_t len)
{
	return a && a < PVH_MAP_LIMIT && len <= PVH_MAP_LIMIT - a;
}

static int sig_is(uint64_t a, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (*(const volatile char *)(a + i) != s[i])
			return 0;
	return 1;
}

static int sum_ok(uint64_t a, uint32_t n)
{
	uint8_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s = (uint8_t)(s + *(const volatile uint8_t *)(a + i));
	return s == 0;
}

/* An RSDP at a: signature "RSD PTR " and the ACPI 1.0 checksum over its
 * first 20 bytes (ACPI sec. 5.2.5.3). */
static int rsdp_at(uint64_t a)
{
	return mapped(a, 36) && sig_is(a, "RSD PTR ", 8) && sum_ok(a, 20);
}

static uint64_t rsdp_find(uint64_t hint)
{
	if (hint)
		return rsdp_at(hint) ? hint : 0;
	/* The first KiB of the EBDA (its segment at 0x40e), then the BIOS
	 * area, on 16-byte boundaries. */
	uint64_t bda = 0x40e;
	__asm__("" : "+r"(bda)); /* a real address, not a null-page constant */
	uint64_t ebda = (uint64_t)(rd32(bda) & 0xffff) << 4;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (uint64_t a = ebda; a < ebda + 1024; a += 16)
			if (rsdp_at(a))
				return a;
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (rsdp_at(a))
			return a;
	return 0;
}

/* A system description table at a with signature sig, or 0. */
static uint32_t table_len(uint64_t a, const char *sig)
{
	if (!mapped(a, 36) || !sig_is(a, sig, 4))
		return 0;
	uint32_t len = rd32(a + 4);
	return len >= 36 && len <= PVH_TABLE_MAX && mapped(a, len) ? len : 0;
}

/* The processors the MADT lists as usable: local APIC (type 0, flags at
 * +4) and local x2APIC (type 9, flags at +8) entries with Enabled (bit 0)
 * or Online Capable (bit 1) set. 0 when there is no MADT. */
static uint32_t madt_cpus(uint64_t rsdp)
{
	uint64_t root;
	unsigned width;
	const char *sig;
	if (!rsdp)
		return 0;
	if (*(const volatile uint8_t *)(rsdp + 15) >= 2 && rd64(rsdp + 24)) {
		root = rd64(rsdp + 24); /* XSDT: 64-bit entries */
		width = 8;
		sig = "XSDT";
	} else {
		root = rd32(rsdp + 16); /* RSDT: 32-bit entries */
		width = 4;
		sig = "RSDT";
	}
	uint32_t rlen = table_len(root, sig);
	for (uint32_t off = 36; rlen && off + width <= rlen; off += width) {
		uint64_t t = width == 8 ? rd64(root + off) : rd32(root + off);
		uint32_t len = table_len(t, "APIC");
		if (!len)
			continue;
		uint32_t n = 0;
		/* Entries follow the 44-byte header (LAPIC address, flags). */
		for (uint32_t e = 44; e + 2 <= len;) {
			uint8_t type = *(const volatile uint8_t *)(t + e);
			uint8_t elen = *(const volatile uint8_t *)(t + e + 1);
			if (elen < 2 || e + elen > len)
				break;
			if (type == 0 && elen >= 8 && (rd32(t + e + 4) & 3))
				n++;
			else if (type == 9 && elen >= 16 && (rd32(t + e + 8) & 3))
				n++;
			e += elen;
		}
		return n;
	}
	return 0;
}

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static uint64_t cpuid_tsc_khz(void)
{
	uint32_t a, b, c, d, max;
	cpuid(1, &a, &b, &c, &d);
	if (c & (1u << 31)) { /* a hypervisor: its leaves start at 0x40000000 */
		cpuid(0x40000000, &max, &b, &c, &d);
		if (max >= 0x40000010 && max < 0x40010000) {
			cpuid(0x40000010, &a, &b, &c, &d);
			if (a)
				return a;
		}
	}
	cpuid(0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, &a, &b, &c, &d); /* TSC = crystal (ECX Hz) * EBX / EAX */
		if (a && b && c)
			return (uint64_t)c * b / a / 1000;
	}
	return 0;
}

const struct hvboot_info *pvh_boot(uint64_t si)
{
	struct hvboot_info *hi = &pvh_info;
	/* magic stays 0 (kmain refuses to run) without what the guest
	 * cannot do without: the start info and a memory map. */
	if (!mapped(si, sizeof(struct pvh_start_info)))
		return hi;
	const volatile struct pvh_start_info *s = (const volatile void *)si;
	if (s->magic != PVH_START_MAGIC || s->version < 1 || s->memmap_entries == 0 ||
	    !mapped(s->memmap_paddr, (uint64_t)s->memmap_entries * sizeof(struct pvh_memmap_entry)))
		return hi;

	hi->mmap = s->memmap_paddr;
	hi->mmap_count = s->memmap_entries;
	const volatile struct pvh_memmap_entry *m = (const volatile void *)s->memmap_paddr;
	for (uint32_t i = 0; i < hi->mmap_count; i++)
		if (m[i].type == 1)
			hi->mem_size += m[i].size;

	hi->cmdline = (uint64_t)pvh_no_cmdline;
	if (mapped(s->cmdline_paddr, 1)) {
		hi->cmdline = s->cmdline_paddr;
		const volatile char *c = (const volatile char *)s->cmdline_paddr;
		while (hi->cmdline_len < HVBOOT_CMDLINE_MAX - 1 && c[hi->cmdline_len])
			hi->cmdline_len++;
	}
	uint32_t n = madt_cpus(rsdp_find(s->rsdp_paddr));
	hi->ncpus = n ? n : 1;
	hi->tsc_khz = cpuid_tsc_khz();
	hi->image_end = ((uint64_t)_end + 0xfff) & ~0xfffull;
	hi->version = HVBOOT_VERSION;
	hi->magic = HVBOOT_MAGIC;
	return hi;
}
