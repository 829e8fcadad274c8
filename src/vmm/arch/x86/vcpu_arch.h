/* vcpu_arch: what vcpu.c and machine.c keep of an x86 vCPU's state. */
#ifndef VCPU_ARCH_H
#define VCPU_ARCH_H

#include <linux/kvm.h>

struct vcpu_regs {
	struct kvm_regs r;
	struct kvm_sregs s;
};

#endif
