/* con: the kernel's console helpers over the architecture's con_putc
 * (con.h). */
#include "con.h"

void con_write(const char *s, size_t n)
{
	while (n--)
		con_putc(*s++);
}

void con_puts(const char *s)
{
	while (*s)
		con_putc(*s++);
}

void con_hex(uint64_t v)
{
	char b[19] = "0x";
	for (int i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	b[18] = 0;
	con_puts(b);
}

void con_dec(uint64_t v)
{
	char b[21];
	int i = 20;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	con_puts(b + i);
}

void con_regs(const struct con_reg *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		con_puts(i % 4 ? " " : "\n  ");
		con_puts(r[i].name);
		con_puts(" ");
		con_hex(r[i].v);
	}
}
