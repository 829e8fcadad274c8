/*
 * Hostile guest: ways of killing the vCPU (Intel SDM vol. 3A, 6.15
 * "Double Fault Exception": a fault while delivering #DF is a shutdown).
 * The monitor must stop with its documented status and message (4 for a
 * triple fault, 8 for what KVM cannot run), dump the registers and never
 * read guest memory out of bounds while doing so.
 *   how=0  #UD with an empty IDT
 *   how=1  #UD with the IDT in the MMIO hole and RSP non-canonical
 *   how=2  #UD from the last two bytes of RAM with an empty IDT: the
 *          register dump's code bytes would run past the end of RAM
 *   how=3  the AP (2 vCPUs) triple-faults in real mode after its SIPI,
 *          while the BSP keeps running
 *   how=4  jump into the MMIO hole: an instruction fetch nobody can serve
 *   how=5  RSP in the hole, RET pops all-ones: #GP, empty IDT
 */
#include "hlib.h"

static void no_idt(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = {0, 0};
	__asm__ volatile("lidt %0" ::"m"(d));
}

/* lidt cs:[0x100] (six zero bytes: an empty IDT); ud2 */
static const uint8_t ap_stub[] = {0x2e, 0x0f, 0x01, 0x1e, 0x00, 0x01, 0x0f, 0x0b};

int hostile_main(void)
{
	uint64_t how = hl_arg("how", 0);
	uint64_t mem = hl_info->mem_size;
	uint64_t end = mem < 0xc0000000ull ? mem : 0xc0000000ull;
	switch (how) {
	case 0:
		hl_puts("triple: no IDT\n");
		no_idt();
		__asm__ volatile("ud2");
		break;
	case 1: {
		hl_puts("triple: IDT in the hole\n");
		struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) d = {0xfff, 0xd0000000ull};
		__asm__ volatile("lidt %0\n\tmov %1, %%rsp\n\tud2" ::"m"(d), "r"(0x8000000000000000ull));
		break;
	}
	case 2:
		hl_puts("triple: at the edge of RAM\n");
		wr8(end - 2, 0x0f);
		wr8(end - 1, 0x0b);
		no_idt();
		__asm__ volatile("jmp *%0" ::"r"(end - 2));
		break;
	case 3:
		hl_puts("triple: on the AP\n");
		for (unsigned i = 0; i < sizeof(ap_stub); i++)
			wr8(0x10000 + i, ap_stub[i]);
		for (unsigned i = 0; i < 6; i++)
			wr8(0x10100 + i, 0);
		hl_lapic_enable();
		hl_ipi(1, 0x4500);
		hl_ipi(1, 0x0610);
		for (;;)
			__asm__ volatile("pause");
	case 4:
		hl_puts("triple: fetch from the hole\n");
		__asm__ volatile("jmp *%0" ::"r"(0xd0000000ull));
		break;
	case 5:
		hl_puts("triple: stack in the hole\n");
		no_idt();
		__asm__ volatile("mov %0, %%rsp\n\tpush %%rax\n\tpop %%rax\n\tret" ::"r"(0xd0001000ull));
		break;
	default:
		break;
	}
	hl_fail("still alive", how);
}
