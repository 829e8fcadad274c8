/*
 * Hostile guest: string port I/O (INS/OUTS with REP) with huge counts at
 * the edge of RAM (Intel SDM vol. 2, INS/OUTS; KVM hands the monitor the
 * items page by page in kvm_run).
 *
 * The 2 MiB page above the last RAM page is made not present, so a REP
 * with a count of 2^32 starting 4 KiB below the edge runs to the edge and
 * faults there: the fault is caught and the string resumes no further.
 * Also: a bounded REP that crosses the edge into the hole (MMIO, no
 * fault), REP INS downwards (DF=1) from page 0 into the top of the address
 * space, and REP OUTS floods to the UART, the POST port and PCI CONFIG_DATA.
 * With --mem above 3 GiB the high edge (above 4 GiB) is attacked as well.
 */
#include "hlib.h"

static volatile unsigned faults;
static uint64_t resume;

static uint64_t exc(unsigned v, uint64_t err, uint64_t rip)
{
	(void)err;
	(void)rip;
	if (v != 14 || !resume)
		return 0;
	faults++;
	uint64_t r = resume;
	resume = 0;
	return r;
}

/* REP INS/OUTS of `size` bytes per item; returns the count left in RCX.
 * A fault inside resumes at the label after the instruction. */
#define REP_STRING(insn, port, addr, count, df) ({                               \
	uint64_t c_ = (count), a_ = (addr);                                      \
	__asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, %[res]\n\t"         \
			 "test %[d], %[d]\n\tjz 2f\n\tstd\n2:\n\t"                \
			 insn "\n1:\n\tcld"                                       \
			 : "+c"(c_), "+D"(a_), "+S"(a_), [res] "=m"(resume)        \
			 : "d"((uint16_t)(port)), [d] "r"((uint64_t)(df))         \
			 : "rax", "memory", "cc");                                \
	resume = 0;                                                              \
	c_; })

static void edge(uint64_t end)
{
	/* The page above the edge is absent: a count of 2^32 stops there. */
	unsigned f0 = faults;
	hl_unmap(end);
	uint64_t left = REP_STRING("rep insb", 0x300, end - 4096, 1ull << 32, 0);
	HL_CHECK(faults == f0 + 1, "rep insb past the edge did not fault", left);
	/* KVM's emulator moves string I/O in batches, so RCX after the fault
	 * may stand a batch short of the edge; it never goes past it. */
	HL_CHECK(left >= (1ull << 32) - 4096, "rep insb went past the edge", left);
	HL_CHECK(rd8(end - 1) == 0xff, "last RAM byte after insb", rd8(end - 1));
	left = REP_STRING("rep insl", 0xcfc, end - 4096, 1ull << 40, 0);
	HL_CHECK(faults == f0 + 2 && left >= (1ull << 40) - 1024, "rep insl at the edge", left);
	left = REP_STRING("rep outsb", 0x80, end - 8192, 1ull << 33, 0);
	HL_CHECK(faults == f0 + 3 && left >= (1ull << 33) - 8192, "rep outsb at the edge", left);
	left = REP_STRING("rep outsw", 0xcfc, end - 2, 1ull << 20, 0);
	HL_CHECK(faults == f0 + 4, "faults at the edge", faults - f0);
	(void)left;
	/* Now the hole is mapped: a bounded REP crosses into it (MMIO). */
	hl_map(end);
	left = REP_STRING("rep insb", 0x300, end - 256, 256 + 64, 0);
	HL_CHECK(left == 0, "rep insb into the hole", left);
	left = REP_STRING("rep outsb", 0x80, end - 64, 128, 0);
	HL_CHECK(left == 0, "rep outsb from the hole", left);
	HL_CHECK(rd32(end) == 0xffffffffu, "the hole above RAM reads all-ones", rd32(end));
}

int hostile_main(void)
{
	hl_exc_hook = exc;
	uint64_t mem = hl_info->mem_size;
	uint64_t low = mem < 0xc0000000ull ? mem : 0xc0000000ull;
	edge(low);
	if (mem > low) {
		uint64_t high_end = 0x100000000ull + (mem - low);
		for (uint64_t a = 0x100000000ull; a < high_end; a += 0x200000)
			hl_map(a);
		wr8(high_end - 1, 0x5a);
		HL_CHECK(rd8(high_end - 1) == 0x5a, "last byte of high RAM", rd8(high_end - 1));
		edge(high_end);
		hl_puts("strio: high RAM edge at ");
		hl_putx(high_end);
		hl_puts("\n");
	}
	/* Downwards from page 0: wraps to the top of the address space. */
	unsigned f0 = faults;
	uint64_t left = REP_STRING("rep insb", 0x300, 0x7f, 1ull << 40, 1);
	HL_CHECK(faults == f0 + 1 && left >= (1ull << 40) - 0x80, "rep insb downwards", left);
	/* Floods to devices: every byte a device access. */
	unsigned n = hl_full ? 65536 : 8192;
	left = REP_STRING("rep outsb", 0x3f8, 0x100000, n, 0);
	HL_CHECK(left == 0, "rep outsb to the UART", left);
	outl(0xcf8, 0x80000800u); /* 00:01.0 register 0 */
	left = REP_STRING("rep insl", 0xcfc, 0x400000, n, 0);
	HL_CHECK(left == 0 && rd32(0x400000) == 0x67701234u, "rep insl of the GPIO's ID", rd32(0x400000));
	(void)REP_STRING("rep insw", 0x71, 0x400000, n, 0);
	(void)REP_STRING("rep outsb", 0x64, 0x500000, n, 0); /* zeros: i8042 RAM reads */
	hl_puts("\nstrio: edges held\n");
	return HL_PASS;
}
