/* vcpu_x86: an x86 vCPU's registers, for the dumps and the dead-guest
 * check of vcpu.c. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "machine.h"
#include "vlog.h"

#define RFLAGS_IF (1ull << 9)

int vcpu_arch_regs(int fd, struct vcpu_regs *r)
{
	return ioctl(fd, KVM_GET_REGS, &r->r) == 0 && ioctl(fd, KVM_GET_SREGS, &r->s) == 0 ? 0 : -1;
}

bool vcpu_arch_masked(const struct vcpu_regs *r)
{
	return !(r->r.rflags & RFLAGS_IF);
}

/* Whether this host's CPU is AMD's (CPUID leaf 0 vendor string). */
static bool host_is_amd(void)
{
	unsigned a, b, c, d;
	char v[13];
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return false;
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = '\0';
	return strcmp(v, "AuthenticAMD") == 0;
}

/* The state KVM gives a vCPU at INIT (AMD APM vol. 2, "Processor
 * Initialization State"): CS f000 with base ffff0000, RIP fff0. */
static bool is_init_state(const struct vcpu_regs *vr)
{
	return vr->r.rip == 0xfff0 && vr->s.cs.selector == 0xf000 &&
	       vr->s.cs.base == 0xffff0000;
}

void vcpu_dump(const struct machine *m, const struct vcpu_regs *vr, int vcpu_fd)
{
	const struct kvm_regs *r = &vr->r;
	const struct kvm_sregs *s = &vr->s;
	/* Formatted whole, then one non-blocking write (vlog_text). */
	char buf[VLOG_MAX];
	int n = 0;
	/* The VMCB is undefined after a shutdown intercept, so KVM on AMD
	 * INITs the vCPU before it returns the exit (Linux,
	 * arch/x86/kvm/svm/svm.c, shutdown_interception): what we
	 * read then is the INIT state, not the state that faulted. Say so,
	 * rather than let the dump look like a fault at the reset vector;
	 * the kvm_exit trace event of the shutdown keeps the faulting RIP
	 * (docs/lab.md, "A triple fault under AMD-V"). */
	if (is_init_state(vr) && host_is_amd())
		n = snprintf(buf, sizeof(buf),
			     "  (the registers below are the INIT state: KVM on AMD resets a vCPU "
			     "that shuts down before the monitor can read it; the faulting RIP is "
			     "in the kvm:kvm_exit trace event of the shutdown)\n");
	n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		"  rip %016llx  rsp %016llx  rflags %016llx\n"
		"  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n"
		"  rsi %016llx  rdi %016llx  rbp %016llx\n"
		"  r8  %016llx  r9  %016llx  r10 %016llx  r11 %016llx\n"
		"  r12 %016llx  r13 %016llx  r14 %016llx  r15 %016llx\n"
		"  cr0 %016llx  cr2 %016llx  cr3 %016llx  cr4 %016llx  efer %llx\n"
		"  cs %04x (base %llx, dpl %u, %s)  ss %04x  ds %04x\n"
		"  gdt %llx/%x  idt %llx/%x\n",
		r->rip, r->rsp, r->rflags, r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, s->cr0, s->cr2,
		s->cr3, s->cr4, s->efer, s->cs.selector, s->cs.base, s->cs.dpl,
		s->cs.l ? "64-bit" : s->cs.db ? "32-bit" : "16-bit", s->ss.selector, s->ds.selector,
		s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	/* The code at RIP, through the guest's own page tables: up to 16 bytes,
	 * but no further than the end of RIP's page, since the next page may
	 * map elsewhere or not at all (RAM itself ends on a page boundary). */
	struct kvm_translation t = {.linear_address = s->cs.base + r->rip};
	if (vcpu_fd >= 0 && ioctl(vcpu_fd, KVM_TRANSLATE, &t) == 0 && t.valid) {
		uint64_t in_page = 4096 - (t.physical_address & 4095);
		int ncode = in_page < 16 ? (int)in_page : 16;
		const uint8_t *code = gm_ptr(&m->mem, t.physical_address, (uint64_t)ncode);
		if (code && len + 80 < sizeof(buf)) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "  code at %llx:",
						t.physical_address);
			for (int i = 0; i < ncode; i++)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %02x", code[i]);
			buf[len++] = '\n';
		}
	}
	vlog_text(buf, len);
}

