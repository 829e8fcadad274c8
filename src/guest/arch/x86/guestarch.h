/*
 * guestarch (x86-64): the three things the shared user side (user.c) needs
 * from the architecture: the system-call instruction, the cycle counter
 * and a deliberate fault for the tests. The arm64 twin is
 * src/guest/arch/arm64/guestarch.h.
 */
#ifndef GUESTARCH_H
#define GUESTARCH_H

#include <stdint.h>

/* A system call (guest.h): INT3 with the number in RAX, arguments in RDI,
 * RSI, RDX, the result in RAX. */
static inline int64_t sys3(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	int64_t r;
	__asm__ volatile("int3"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "memory", "rcx", "r8", "r9", "r10", "r11");
	return r;
}

/* The TSC, readable at CPL3 (CR4.TSD clear). */
static inline uint64_t guest_counter(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* `fault KIND`: ud (#UD), gp (#GP: CLI at CPL3 with IOPL 0), anything
 * else pf (#PF: beyond the 4 GiB identity map). */
static inline void guest_fault(int kind_ud, int kind_gp)
{
	if (kind_ud)
		__asm__ volatile("ud2");
	if (kind_gp)
		__asm__ volatile("cli");
	*(volatile uint64_t *)0x100000000ull = 1;
}

#endif
