/*
 * hlib: the little runtime every hostile guest links (hentry.S, hlib.c).
 * Freestanding, CPL0, one vCPU unless the guest starts more. It owns the
 * IDT, polled COM1 output, the debug-exit verdict, the command line, the
 * PCI configuration helpers and a mapping window for addresses above the
 * monitor's 4 GiB identity map.
 *
 * Verdicts (isa-debug-exit value V; vmm's status is (V << 1) | 1):
 *   HL_PASS 0 (status 1)  every check held
 *   HL_FAIL 1 (status 3)  a check failed; the line before says which
 *   HL_EXC  2 (status 5)  an exception the attack did not expect
 */
#ifndef HLIB_H
#define HLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvboot.h"

#define HL_PASS 0
#define HL_FAIL 1
#define HL_EXC 2

#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline uint8_t rd8(uint64_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t rd16(uint64_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t rd32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline uint64_t rd64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void wr16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void wr32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void wr64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

extern const struct hvboot_info *hl_info;
extern bool hl_full; /* "full" on the command line: the long sweep */

/* The attack; returns a verdict. */
int hostile_main(void);

void hl_putc(char c);
void hl_puts(const char *s);
void hl_putx(uint64_t v);
void hl_putd(uint64_t v);
/* Prints "FAIL: what value" and ends the run with HL_FAIL. */
__attribute__((noreturn)) void hl_fail(const char *what, uint64_t value);
__attribute__((noreturn)) void hl_exit(uint32_t verdict);
#define HL_CHECK(cond, what, value) \
	do { if (!(cond)) hl_fail(what, (uint64_t)(value)); } while (0)

/* Command-line value of key=NUMBER, or def. */
uint64_t hl_arg(const char *key, uint64_t def);
uint64_t hl_rand(void);

/* Interrupts: vectors >= 32 call hl_irq_hook (then EOI to the LAPIC);
 * exceptions call hl_exc_hook when set: it returns the RIP to resume at,
 * or 0 for the default (print and exit HL_EXC). */
extern void (*hl_irq_hook)(unsigned vector);
extern uint64_t (*hl_exc_hook)(unsigned vector, uint64_t err, uint64_t rip);
static inline void hl_sti(void) { __asm__ volatile("sti"); }
static inline void hl_cli(void) { __asm__ volatile("cli"); }
void hl_lapic_enable(void);
/* Sends an IPI: ICR high (destination) then low (sets it going). */
void hl_ipi(uint32_t dest_apic, uint32_t icr_low);

/* PCI configuration mechanism #1 (bus 0 unless given). */
uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned width);
void pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned width,
	       uint32_t val);

/* Maps the 2 MiB page holding physical address pa at the same virtual
 * address (identity), uncached, even above the boot map's 4 GiB. */
void hl_map(uint64_t pa);
/* Maps the 2 MiB page holding physical address pa, uncached, at one
 * fixed virtual window (each call moves it) and returns pa's virtual
 * address there: for any pa below 2^52, where an identity map cannot
 * reach (4-level paging gives 47 bits of lower-half addresses, and a
 * host's MAXPHYADDR may be 48 or more). */
uint64_t hl_window(uint64_t pa);
/* Makes the 2 MiB page holding pa not present (accesses fault). */
void hl_unmap(uint64_t pa);
unsigned hl_maxphyaddr(void);

static inline void hl_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

#endif
