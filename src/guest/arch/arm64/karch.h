/*
 * karch (arm64): what the shared scheduler (src/guest/sched.c) needs from
 * the CPU, inline: the virtual counter, the virtual generic timer (Arm
 * ARM D11.2) and the idle wait. The x86 twin is src/guest/arch/x86/karch.h.
 */
#ifndef KARCH_H
#define KARCH_H

#include <stdint.h>

#include "trapframe.h"

#define KARCH_FP_SIZE FP_STATE_SIZE /* q0-q31, FPCR, FPSR (entry.S fp_save) */
#define KARCH_KSTACK_SIZE 16384

static inline uint64_t karch_now(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

/* CNTV_CVAL_EL0 is compared with CNTVCT_EL0; CNTV_CTL_EL0 = ENABLE with
 * IMASK clear arms it, 0 disarms it. */
static inline void karch_timer_set(uint64_t deadline)
{
	if (deadline) {
		__asm__ volatile("msr cntv_cval_el0, %0" ::"r"(deadline));
		__asm__ volatile("msr cntv_ctl_el0, %0" ::"r"(1ull));
	} else {
		__asm__ volatile("msr cntv_ctl_el0, %0" ::"r"(0ull));
	}
	__asm__ volatile("isb" ::: "memory");
}

/* WFI wakes on a pending interrupt even while PSTATE.I masks it (Arm ARM
 * D1.16.2), so unmasking after it cannot miss one that came before. */
static inline void karch_idle(void)
{
	__asm__ volatile("wfi; msr daifclr, #2; isb; msr daifset, #2" ::: "memory");
}

#endif
