/*
 * Hostile guest: two vCPUs racing on the GPIO's BAR (2 vCPUs).
 *
 * The AP, started by SIPI in real mode, moves the GPIO's BAR0 between two
 * addresses in the hole as fast as it can through PCI configuration
 * mechanism #1 (port I/O works in real mode, so no mode switch is needed),
 * and toggles COMMAND's memory-space bit every other round. Meanwhile the
 * BSP reads and writes the GPIO's registers at both addresses: each read
 * of ID must be the ID or all-ones (not decoded there at that moment),
 * never anything else, and the monitor must neither crash nor report a
 * sanitizer error while the bus is changed under the accesses. The BSP
 * stops the AP with INIT and checks the GPIO answers where it is left.
 * (CONFIG_ADDRESS is shared, so the BSP makes no configuration access of
 * its own while the AP runs.)
 */
#include "hlib.h"

#define STUB 0x10000u
#define A1 0xc0001000u
#define A2 0xc0003000u
#define GPIO_ID 0x4f495047u

/* Real mode, CS = 0x1000:
 *   loop: mov eax, 0x80000810 ; out 0xcf8, eax     (00:01.0 BAR0)
 *         mov eax, A1         ; out 0xcfc, eax
 *         mov eax, 0x80000804 ; out 0xcf8, eax     (COMMAND)
 *         mov ax, 0           ; out 0xcfc, ax      (decode off)
 *         mov ax, 2           ; out 0xcfc, ax      (decode on)
 *         mov eax, 0x80000810 ; out 0xcf8, eax
 *         mov eax, A2         ; out 0xcfc, eax
 *         jmp loop
 * (mov dx, imm16 before each out.) */
static const uint8_t stub[] = {
	0x66, 0xb8, 0x10, 0x08, 0x00, 0x80, 0xba, 0xf8, 0x0c, 0x66, 0xef,
	0x66, 0xb8, 0x00, 0x10, 0x00, 0xc0, 0xba, 0xfc, 0x0c, 0x66, 0xef,
	0x66, 0xb8, 0x04, 0x08, 0x00, 0x80, 0xba, 0xf8, 0x0c, 0x66, 0xef,
	0xb8, 0x00, 0x00, 0xba, 0xfc, 0x0c, 0xef,
	0xb8, 0x02, 0x00, 0xef,
	0x66, 0xb8, 0x10, 0x08, 0x00, 0x80, 0xba, 0xf8, 0x0c, 0x66, 0xef,
	0x66, 0xb8, 0x00, 0x30, 0x00, 0xc0, 0xba, 0xfc, 0x0c, 0x66, 0xef,
	0xeb, 0x00, /* patched: jmp back to 0 */
};

/* Real mode: MSI control (00:01.0 0x42) on and off, MSI data (0x48) set.
 *   loop: mov eax, 0x80000840 ; out 0xcf8, eax
 *         mov ax, 1 ; out 0xcfe, ax ; mov ax, 0 ; out 0xcfe, ax ; mov ax, 1 ; out 0xcfe, ax
 *         mov eax, 0x80000848 ; out 0xcf8, eax
 *         mov ax, 0x40 ; out 0xcfc, ax
 *         jmp loop */
static const uint8_t msi_stub[] = {
	0x66, 0xb8, 0x40, 0x08, 0x00, 0x80, 0xba, 0xf8, 0x0c, 0x66, 0xef,
	0xba, 0xfe, 0x0c, 0xb8, 0x01, 0x00, 0xef, 0xb8, 0x00, 0x00, 0xef, 0xb8, 0x01, 0x00, 0xef,
	0x66, 0xb8, 0x48, 0x08, 0x00, 0x80, 0xba, 0xf8, 0x0c, 0x66, 0xef,
	0xba, 0xfc, 0x0c, 0xb8, 0x40, 0x00, 0xef,
	0xeb, 0x00, /* patched: jmp back to 0 */
};

static volatile unsigned n_irq;

static void irq(unsigned v)
{
	if (v == 0x40)
		n_irq++;
}

static void start_ap(const uint8_t *code, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		wr8(STUB + i, code[i]);
	wr8(STUB + len - 1, (uint8_t)(0x100 - len)); /* rel8 back to 0 */
	hl_ipi(1, 0x4500);
	hl_ipi(1, 0x0600 | (STUB >> 12));
}

static int msi_race(void)
{
	unsigned n = hl_full ? 50000 : 5000;
	pci_write(0, 1, 0, 0x44, 4, LAPIC_BASE); /* MSI address: APIC 0 */
	pci_write(0, 1, 0, 0x48, 2, 0x40);
	pci_write(0, 1, 0, 4, 2, 6); /* memory space, bus master */
	wr32(A1 + 0x08, 0xffffffffu); /* IRQ_EN */
	hl_irq_hook = irq;
	start_ap(msi_stub, sizeof(msi_stub));
	hl_sti();
	for (unsigned i = 0; i < n; i++) {
		wr32(A1 + 0x10, i); /* DOORBELL */
		wr32(A1 + 0x00, 0);
		wr32(A1 + 0x00, 1);
	}
	hl_cli();
	hl_ipi(1, 0x4500);
	for (int i = 0; i < 10000; i++)
		__asm__ volatile("pause");
	pci_write(0, 1, 0, 0x42, 2, 0);
	HL_CHECK(rd32(A1 + 0x14) == GPIO_ID, "the GPIO after the MSI race", rd32(A1 + 0x14));
	hl_puts("race: interrupts while MSI flapped ");
	hl_putd(n_irq);
	hl_puts("\n");
	return HL_PASS;
}

int hostile_main(void)
{
	HL_CHECK(hl_info->ncpus == 2, "needs --cpus 2", hl_info->ncpus);
	HL_CHECK(pci_read(0, 1, 0, 0, 4) == 0x67701234u, "the GPIO is not 00:01.0", 0);
	hl_lapic_enable();
	HL_CHECK((pci_read(0, 1, 0, 0x10, 4) & ~0xfu) == A1, "the GPIO's BAR is not at A1", 0);
	if (hl_arg("msi", 0))
		return msi_race();
	start_ap(stub, sizeof(stub));
	unsigned n = hl_full ? 100000 : 10000, hits = 0, misses = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t a = i & 1 ? A2 : A1;
		uint32_t v = rd32(a + 0x14);
		if (v == GPIO_ID)
			hits++;
		else if (v == 0xffffffffu)
			misses++;
		else
			hl_fail("a read of ID during the race returned", v);
		wr32(a + 0x00, (uint32_t)i); /* OUT */
		wr32(a + 0x0c, 0xffffffffu); /* IRQ_STAT: clear */
	}
	hl_ipi(1, 0x4500); /* INIT: the AP stops */
	for (int i = 0; i < 10000; i++)
		__asm__ volatile("pause");
	pci_write(0, 1, 0, 4, 2, 6); /* memory space, bus master */
	pci_write(0, 1, 0, 0x10, 4, A1);
	HL_CHECK(rd32(A1 + 0x14) == GPIO_ID, "the GPIO after the race", rd32(A1 + 0x14));
	hl_puts("race: ID read ");
	hl_putd(hits);
	hl_puts(" times, not decoded ");
	hl_putd(misses);
	hl_puts(" times\n");
	HL_CHECK(hits > 0, "the GPIO never answered during the race", 0);
	return HL_PASS;
}
