/* hlib: runtime of the hostile guests (see hlib.h). */
#include "hlib.h"

const struct hvboot_info *hl_info;
bool hl_full;
void (*hl_irq_hook)(unsigned vector);
uint64_t (*hl_exc_hook)(unsigned vector, uint64_t err, uint64_t rip);
static uint64_t rng = 0x9e3779b97f4a7c15ull;

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

void hl_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

void hl_puts(const char *s)
{
	while (*s)
		hl_putc(*s++);
}

void hl_putx(uint64_t v)
{
	char b[19];
	int n = 18;
	b[n] = 0;
	do {
		b[--n] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	b[--n] = 'x';
	b[--n] = '0';
	hl_puts(&b[n]);
}

void hl_putd(uint64_t v)
{
	char b[21];
	int n = 20;
	b[n] = 0;
	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hl_puts(&b[n]);
}

void hl_exit(uint32_t verdict)
{
	for (;;) {
		outl(DEBUG_EXIT, verdict);
		__asm__ volatile("cli; hlt");
	}
}

void hl_fail(const char *what, uint64_t value)
{
	hl_puts("FAIL: ");
	hl_puts(what);
	hl_puts(" ");
	hl_putx(value);
	hl_puts("\n");
	hl_exit(HL_FAIL);
}

static bool word_is(const char *p, const char *key, const char **val)
{
	while (*key && *p == *key)
		p++, key++;
	if (*key)
		return false;
	*val = p;
	return true;
}

uint64_t hl_arg(const char *key, uint64_t def)
{
	const char *p = (const char *)hl_info->cmdline;
	while (*p) {
		const char *v;
		if (word_is(p, key, &v) && *v == '=') {
			uint64_t n = 0;
			v++;
			int base = 10;
			if (v[0] == '0' && v[1] == 'x')
				base = 16, v += 2;
			for (;; v++) {
				unsigned d;
				if (*v >= '0' && *v <= '9')
					d = (unsigned)(*v - '0');
				else if (base == 16 && *v >= 'a' && *v <= 'f')
					d = (unsigned)(*v - 'a' + 10);
				else
					break;
				n = n * (uint64_t)base + d;
			}
			return n;
		}
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return def;
}

uint64_t hl_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* IDT: 256 interrupt gates at CPL0 on the boot code selector. */
struct gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};
static struct gate idt[256] __attribute__((aligned(16)));
extern char hl_stubs[];

static void idt_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint64_t a = (uint64_t)(hl_stubs + 16 * i);
		idt[i] = (struct gate){(uint16_t)a, HVBOOT_SEL_CODE64, 0, 0x8e, (uint16_t)(a >> 16),
				       (uint32_t)(a >> 32), 0};
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" ::"m"(d));
}

void hl_lapic_enable(void)
{
	wr32(LAPIC_BASE + 0xf0, 0x1ff); /* spurious vector 0xff, APIC enabled */
}

void hl_ipi(uint32_t dest_apic, uint32_t icr_low)
{
	wr32(LAPIC_BASE + 0x310, dest_apic << 24);
	wr32(LAPIC_BASE + 0x300, icr_low);
	for (int i = 0; i < 1000 && (rd32(LAPIC_BASE + 0x300) & (1u << 12)); i++)
		;
}

/* Frame: vector, error code, rip, cs, rflags, rsp, ss. */
void hl_trap(uint64_t vector, uint64_t *frame);
void hl_trap(uint64_t vector, uint64_t *frame)
{
	if (vector >= 32) {
		if (hl_irq_hook)
			hl_irq_hook((unsigned)vector);
		if (vector != 0xff)
			wr32(LAPIC_BASE + 0xb0, 0);
		return;
	}
	if (hl_exc_hook) {
		uint64_t rip = hl_exc_hook((unsigned)vector, frame[1], frame[2]);
		if (rip) {
			frame[2] = rip;
			return;
		}
	}
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	hl_puts("EXCEPTION: vector ");
	hl_putd(vector);
	hl_puts(" error ");
	hl_putx(frame[1]);
	hl_puts(" rip ");
	hl_putx(frame[2]);
	hl_puts(" cr2 ");
	hl_putx(cr2);
	hl_puts("\n");
	hl_exit(HL_EXC);
}

uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned width)
{
	outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	uint16_t port = (uint16_t)(0xcfc + (reg & 3));
	switch (width) {
	case 1: return inb(port);
	case 2: return inw(port);
	default: return inl(port);
	}
}

void pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned width,
	       uint32_t val)
{
	outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	uint16_t port = (uint16_t)(0xcfc + (reg & 3));
	switch (width) {
	case 1: outb(port, (uint8_t)val); break;
	case 2: outw(port, (uint16_t)val); break;
	default: outl(port, val); break;
	}
}

unsigned hl_maxphyaddr(void)
{
	uint32_t a, b, c, d;
	hl_cpuid(0x80000000, &a, &b, &c, &d);
	if (a < 0x80000008)
		return 36;
	hl_cpuid(0x80000008, &a, &b, &c, &d);
	return a & 0xff;
}

/* Page-table pages for the window (the boot map uses 0x2000-0x7fff). */
static uint64_t win_pdpt[512] __attribute__((aligned(4096)));
static uint64_t win_pd[512] __attribute__((aligned(4096)));
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull

static uint64_t *win_slot; /* the PDPT entry win_pd is installed in */

void hl_map(uint64_t pa)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(cr3 & PTE_ADDR);
	unsigned i4 = (pa >> 39) & 511, i3 = (pa >> 30) & 511, i2 = (pa >> 21) & 511;
	uint64_t *pdpt;
	if (pml4[i4] & PTE_P) {
		pdpt = (uint64_t *)(pml4[i4] & PTE_ADDR);
	} else {
		for (int i = 0; i < 512; i++)
			win_pdpt[i] = 0;
		pml4[i4] = (uint64_t)win_pdpt | PTE_P | PTE_RW;
		pdpt = win_pdpt;
	}
	uint64_t *pd;
	if ((pdpt[i3] & PTE_P) && !(pdpt[i3] & PTE_PS)) {
		pd = (uint64_t *)(pdpt[i3] & PTE_ADDR);
	} else {
		/* One window: wherever it was, it is unmapped first. */
		if (win_slot)
			*win_slot = 0;
		for (int i = 0; i < 512; i++)
			win_pd[i] = 0;
		pdpt[i3] = (uint64_t)win_pd | PTE_P | PTE_RW;
		win_slot = &pdpt[i3];
		pd = win_pd;
	}
	pd[i2] = (pa & ~0x1fffffull) | PTE_P | PTE_RW | PTE_PS | PTE_PCD;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

/* The window of hl_window: the last 2 MiB below PML4 slot 255's end, a
 * lower-half (canonical) address no identity map here reaches. */
#define WIN_VA 0x7fffffe00000ull
static uint64_t far_pdpt[512] __attribute__((aligned(4096)));
static uint64_t far_pd[512] __attribute__((aligned(4096)));

uint64_t hl_window(uint64_t pa)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(cr3 & PTE_ADDR);
	pml4[(WIN_VA >> 39) & 511] = (uint64_t)far_pdpt | PTE_P | PTE_RW;
	far_pdpt[(WIN_VA >> 30) & 511] = (uint64_t)far_pd | PTE_P | PTE_RW;
	far_pd[(WIN_VA >> 21) & 511] = (pa & ~0x1fffffull) | PTE_P | PTE_RW | PTE_PS | PTE_PCD;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	return WIN_VA + (pa & 0x1fffffull);
}

void hl_unmap(uint64_t pa)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(cr3 & PTE_ADDR);
	uint64_t e = pml4[(pa >> 39) & 511];
	if (!(e & PTE_P))
		return;
	uint64_t *pdpt = (uint64_t *)(e & PTE_ADDR);
	e = pdpt[(pa >> 30) & 511];
	if (!(e & PTE_P) || (e & PTE_PS))
		return;
	((uint64_t *)(e & PTE_ADDR))[(pa >> 21) & 511] = 0;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

void hl_start(const struct hvboot_info *info);
void hl_start(const struct hvboot_info *info)
{
	hl_info = info;
	if (info->magic != HVBOOT_MAGIC)
		hl_fail("boot block magic", info->magic);
	hl_full = hl_arg("full", 0) != 0;
	rng ^= hl_arg("seed", 1);
	idt_init();
	int v = hostile_main();
	hl_puts(v == HL_PASS ? "hostile: pass\n" : "hostile: fail\n");
	hl_exit((uint32_t)v);
}
