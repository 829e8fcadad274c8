/* vcpu_arch: what vcpu.c and machine.c keep of an arm64 vCPU's state. */
#ifndef VCPU_ARCH_H
#define VCPU_ARCH_H

#include <stdint.h>

struct vcpu_regs {
	uint64_t x[31], sp, pc, pstate; /* struct user_pt_regs */
	uint64_t sp_el1, elr_el1, esr_el1, far_el1;
};

#endif
