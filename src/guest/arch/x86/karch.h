/*
 * karch (x86-64): what the shared scheduler (src/guest/sched.c) needs
 * from the CPU, inline: the TSC, the LAPIC timer in TSC-deadline mode
 * (Intel SDM vol. 3A 10.5.4.1) and the idle wait. The arm64 twin is
 * src/guest/arch/arm64/karch.h.
 */
#ifndef KARCH_H
#define KARCH_H

#include <stdint.h>

#define KARCH_FP_SIZE 512 /* FXSAVE area */
#define KARCH_KSTACK_SIZE 8192

static inline uint64_t karch_now(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* IA32_TSC_DEADLINE (MSR 0x6e0); 0 disarms. */
static inline void karch_timer_set(uint64_t deadline)
{
	__asm__ volatile("wrmsr" ::"c"(0x6e0u), "a"((uint32_t)deadline),
			 "d"((uint32_t)(deadline >> 32)));
}

/* STI's one-instruction shadow makes STI; HLT atomic: an interrupt that
 * is already pending wakes the HLT instead of slipping in before it. */
static inline void karch_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

#endif
