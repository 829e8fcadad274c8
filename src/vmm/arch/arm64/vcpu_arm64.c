/* vcpu_arm64: an arm64 vCPU's registers, for the dumps and the dead-guest
 * check of vcpu.c (KVM_GET_ONE_REG, api.rst "ARM64 registers"). */
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "machine.h"
#include "vlog.h"

#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
		     (offsetof(struct kvm_regs, x) / sizeof(uint32_t)))
/* System registers by op0, op1, CRn, CRm, op2 (Arm ARM D17). */
#define SYS_REG(op0, op1, crn, crm, op2) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
	KVM_REG_ARM64_SYSREG | ARM64_SYS_REG_SHIFT_MASK(op0, OP0) | \
	ARM64_SYS_REG_SHIFT_MASK(op1, OP1) | ARM64_SYS_REG_SHIFT_MASK(crn, CRN) | \
	ARM64_SYS_REG_SHIFT_MASK(crm, CRM) | ARM64_SYS_REG_SHIFT_MASK(op2, OP2))
#define PSTATE_I (1ull << 7)

static int get_reg(int fd, uint64_t id, uint64_t *v)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)v};
	return ioctl(fd, KVM_GET_ONE_REG, &r);
}

int vcpu_arch_regs(int fd, struct vcpu_regs *r)
{
	for (unsigned i = 0; i < 31; i++)
		if (get_reg(fd, CORE_REG(regs.regs[i]), &r->x[i]) < 0)
			return -1;
	if (get_reg(fd, CORE_REG(regs.sp), &r->sp) < 0 ||
	    get_reg(fd, CORE_REG(regs.pc), &r->pc) < 0 ||
	    get_reg(fd, CORE_REG(regs.pstate), &r->pstate) < 0 ||
	    get_reg(fd, CORE_REG(sp_el1), &r->sp_el1) < 0 ||
	    get_reg(fd, CORE_REG(elr_el1), &r->elr_el1) < 0)
		return -1;
	/* ESR_EL1 and FAR_EL1 say why the guest last took an exception. */
	if (get_reg(fd, SYS_REG(3, 0, 5, 2, 0), &r->esr_el1) < 0)
		r->esr_el1 = 0;
	if (get_reg(fd, SYS_REG(3, 0, 6, 0, 0), &r->far_el1) < 0)
		r->far_el1 = 0;
	return 0;
}

bool vcpu_arch_masked(const struct vcpu_regs *r)
{
	return (r->pstate & PSTATE_I) != 0;
}

void vcpu_dump(const struct machine *m, const struct vcpu_regs *r, int vcpu_fd)
{
	(void)vcpu_fd;
	char buf[VLOG_MAX];
	size_t len = 0;
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"  pc %016llx  pstate %08llx (EL%llu%s)  sp %016llx\n"
				"  sp_el1 %016llx  elr_el1 %016llx  esr_el1 %08llx  far_el1 %016llx\n",
				(unsigned long long)r->pc, (unsigned long long)r->pstate,
				(unsigned long long)(r->pstate >> 2) & 3, (r->pstate & 1) ? "h" : "t",
				(unsigned long long)r->sp, (unsigned long long)r->sp_el1,
				(unsigned long long)r->elr_el1, (unsigned long long)r->esr_el1,
				(unsigned long long)r->far_el1);
	for (unsigned i = 0; i < 31 && len + 32 < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "  x%-2u %016llx%s", i,
					(unsigned long long)r->x[i], i % 4 == 3 || i == 30 ? "\n" : "");
	/* The code at PC when the MMU is off or identity-maps it, up to 16
	 * bytes but not past PC's page (as on x86, vcpu_x86.c). */
	uint64_t in_page = 4096 - (r->pc & 4095);
	int ncode = in_page < 16 ? (int)in_page : 16;
	const uint8_t *code = gm_ptr(&m->mem, r->pc, (uint64_t)ncode);
	if (code && len + 80 < sizeof(buf)) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "  code at %llx:",
					(unsigned long long)r->pc);
		for (int i = 0; i < ncode; i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %02x", code[i]);
		buf[len++] = '\n';
	}
	vlog_text(buf, len < sizeof(buf) ? len : sizeof(buf) - 1);
}
