/*
 * guestarch (arm64): what the shared user side (user.c) needs from the
 * architecture, as src/guest/arch/x86/guestarch.h gives it on x86-64.
 */
#ifndef GUESTARCH_H
#define GUESTARCH_H

#include <stdint.h>

/* A system call (guest.h numbers): SVC #0 with the number in x8 and the
 * arguments in x0-x2, the result in x0 (the Linux arm64 convention). The
 * kernel preserves every other general register. */
static inline int64_t sys3(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	register uint64_t x8 __asm__("x8") = nr;
	register uint64_t x0 __asm__("x0") = a;
	register uint64_t x1 __asm__("x1") = b;
	register uint64_t x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return (int64_t)x0;
}

/* The generic timer's virtual count (CNTVCT_EL0, readable at EL0 because
 * the kernel sets CNTKCTL_EL1.EL0VCTEN). This is the guest's "TSC": it
 * counts at CNTFRQ_EL0, not at the CPU clock. The ISB keeps the read from
 * being taken early, out of program order (Arm ARM D11.2.2). */
static inline uint64_t guest_counter(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

/* `fault KIND`: ud (UDF: an undefined instruction), gp (a system register
 * EL0 may not touch: MSR DAIFSet traps with SCTLR_EL1.UMA clear), anything
 * else pf (a load from a hole in the map below RAM). */
static inline void guest_fault(int kind_ud, int kind_gp)
{
	if (kind_ud)
		__asm__ volatile("udf #0");
	if (kind_gp)
		__asm__ volatile("msr daifset, #2");
	*(volatile uint64_t *)0x20000000000ull = 1;
}

#endif
