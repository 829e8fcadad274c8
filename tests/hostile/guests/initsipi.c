/*
 * Hostile guest: INIT/SIPI storms on 2 vCPUs (Intel SDM vol. 3A, 10.6 and
 * 8.4.4: INIT, INIT deassert, STARTUP IPIs through the LAPIC's ICR).
 *
 * The BSP sends the AP thousands of INIT / INIT-deassert / SIPI sequences
 * (short run 200, full=1 5000), interleaved with fixed IPIs and INITs
 * without SIPI, to APIC ID 1 and by the "all excluding self" shorthand.
 * The AP's SIPI vector is a real-mode stub that counts its starts and
 * halts with interrupts off. The BSP checks the AP started at least once,
 * and that it (the BSP) still runs: the monitor must go on.
 * With self=1 the BSP sends INIT to its own APIC ID at the end: the
 * machine resets, as a PC does (status 0, "rebooted").
 */
#include "hlib.h"

#define STUB 0x10000u /* SIPI vector 0x10 */
#define COUNT (STUB + 0x100)

/* cli; inc dword [cs:0x100]; hlt; jmp $-1 */
static const uint8_t stub[] = {0xfa, 0x2e, 0x66, 0xff, 0x06, 0x00, 0x01, 0xf4, 0xeb, 0xfd};

#define ICR_INIT 0x0500u
#define ICR_SIPI 0x0600u
#define ICR_ASSERT 0x4000u
#define ICR_LEVEL 0x8000u
#define ICR_OTHERS (3u << 18)
#define ICR_SELF (1u << 18)

int hostile_main(void)
{
	HL_CHECK(hl_info->ncpus == 2, "needs --cpus 2", hl_info->ncpus);
	for (unsigned i = 0; i < sizeof(stub); i++)
		wr8(STUB + i, stub[i]);
	wr32(COUNT, 0);
	hl_lapic_enable();
	unsigned n = hl_full ? 5000 : 200;
	for (unsigned i = 0; i < n; i++) {
		uint32_t sh = i % 5 == 4 ? ICR_OTHERS : 0;
		hl_ipi(1, sh | ICR_INIT | ICR_ASSERT | ICR_LEVEL);
		hl_ipi(1, sh | ICR_INIT | ICR_LEVEL); /* deassert */
		hl_ipi(1, sh | ICR_SIPI | (STUB >> 12));
		if (i % 3)
			hl_ipi(1, sh | ICR_SIPI | (STUB >> 12));
		if (i % 7 == 0)
			hl_ipi(1, sh | ICR_INIT | ICR_ASSERT); /* INIT, no SIPI yet */
		if (i % 11 == 0)
			hl_ipi(1, ICR_ASSERT | (0x30 + (uint32_t)(hl_rand() % 0xc0)));
	}
	/* Leave the AP started, then give it time to count. */
	hl_ipi(1, ICR_INIT | ICR_ASSERT);
	hl_ipi(1, ICR_SIPI | (STUB >> 12));
	for (int i = 0; i < 200000 && rd32(COUNT) == 0; i++)
		__asm__ volatile("pause");
	HL_CHECK(rd32(COUNT) > 0, "the AP never ran its SIPI stub", 0);
	hl_puts("initsipi: AP started ");
	hl_putd(rd32(COUNT));
	hl_puts(" times\n");
	if (hl_arg("self", 0)) {
		hl_puts("initsipi: INIT to self\n");
		hl_ipi(0, ICR_SELF | ICR_INIT | ICR_ASSERT);
		for (int i = 0; i < 1000000; i++)
			__asm__ volatile("pause");
		hl_fail("INIT to self did not reset the vCPU", 0);
	}
	return HL_PASS;
}
