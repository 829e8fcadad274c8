/*
 * con: the benchmark guest kernel's console output, shared by the x86 and
 * arm64 kernels. Each architecture's kernel.c supplies con_putc (x86: COM1,
 * polled on the 16550's LSR; arm64: the PL011, polled on UARTFR); the rest
 * is written once here over it. Kernel code only: it runs with interrupts
 * off and never blocks on anything but the UART.
 */
#ifndef GUEST_CON_H
#define GUEST_CON_H

#include <stddef.h>
#include <stdint.h>

/* One byte out, once the UART has room for it (arch/ARCH/kernel.c). */
void con_putc(char c);

void con_write(const char *s, size_t n);
void con_puts(const char *s);
/* "0x" and 16 lower-case hex digits. */
void con_hex(uint64_t v);
void con_dec(uint64_t v);

/* A fault report's registers: four to a line, each line starting on a new
 * one indented by two spaces, as "name 0x...". */
struct con_reg {
	const char *name;
	uint64_t v;
};
void con_regs(const struct con_reg *r, size_t n);

#endif
