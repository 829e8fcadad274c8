/*
 * kvm_x86: the PC's part of the KVM layer (kvm.h): the in-kernel irqchip
 * (PIC, IOAPIC, LAPIC) and PIT, each vCPU's CPUID and boot MSRs, the TSC
 * frequency, and the GSI routes KVM_CREATE_IRQCHIP installs.
 */
#include "kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Fixed addresses KVM needs for its own use on Intel hosts (the real-mode
 * TSS and identity page of VMX's unrestricted-guest emulation): four pages
 * in the MMIO hole just below 0xff000000, where firmware flash of up to
 * 16 MiB may start (firmware.h), above the LAPIC and away from RAM, the PCI
 * BARs and the devices (QEMU's PC puts them there too). */
#define KVM_TSS_ADDR 0xfeffd000ull
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull

const struct kvm_cap_use kvm_caps[] = {
	{KVM_CAP_USER_MEMORY, "USER_MEMORY", "guest RAM is our anonymous mapping", true},
	{KVM_CAP_IRQCHIP, "IRQCHIP", "PIC, IOAPIC and LAPIC emulated in the kernel", true},
	{KVM_CAP_PIT2, "PIT2", "i8254 timer emulated in the kernel", true},
	{KVM_CAP_EXT_CPUID, "EXT_CPUID", "the CPUID the host supports, handed to the guest", true},
	{KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT", "race-free kick of a vCPU out of KVM_RUN", true},
	{KVM_CAP_MP_STATE, "MP_STATE", "tell a halted vCPU from a running one", true},
	{KVM_CAP_GET_TSC_KHZ, "GET_TSC_KHZ", "TSC frequency handed to the guest", false},
	{KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR", "needed by VT-x hosts", false},
	{KVM_CAP_IRQFD, "IRQFD", "interrupts injected without a user-space round trip", false},
	{KVM_CAP_IOEVENTFD, "IOEVENTFD", "doorbell writes completed in the kernel", false},
	{KVM_CAP_SIGNAL_MSI, "SIGNAL_MSI", "MSI delivery for PCI devices", false},
	{KVM_CAP_READONLY_MEM, "READONLY_MEM", "read-only guest memory (ROMs)", false},
};
const size_t kvm_ncaps = sizeof(kvm_caps) / sizeof(kvm_caps[0]);

void kvm_detect_kind(struct kvm_kind *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->tech, sizeof(k->tech), "software");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[4096];
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "flags", 5) != 0)
				continue;
			if (strstr(line, " vmx")) {
				k->hardware = true;
				snprintf(k->tech, sizeof(k->tech), "VT-x");
			} else if (strstr(line, " svm")) {
				k->hardware = true;
				snprintf(k->tech, sizeof(k->tech), "AMD-V");
			}
			break;
		}
		fclose(f);
	}
	/* The vendor module that provides /dev/kvm names the kind of KVM. */
	static const char *const mods[] = {"kvm_intel", "kvm_amd", "kvm_pvm"};
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/sys/module/%s", mods[i]);
		if (access(path, F_OK) == 0) {
			snprintf(k->module, sizeof(k->module), "%s", mods[i]);
			break;
		}
	}
	if (!k->module[0])
		snprintf(k->module, sizeof(k->module), "%s",
			 access("/sys/module/kvm", F_OK) == 0 ? "kvm" : "none");
}

/* The host's supported CPUID, tailored per vCPU: APIC IDs and topology
 * (Intel SDM vol. 2A, CPUID leaves 01H, 0BH, 1FH). */
static int setup_cpuid(struct kvm_vm *vm, struct kvm_vcpu_ctx *c, char *err, size_t errlen)
{
	int nent = 128;
	struct kvm_cpuid2 *cpuid = NULL;
	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + (size_t)nent * sizeof(cpuid->entries[0]));
		if (!cpuid) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		cpuid->nent = (uint32_t)nent;
		if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		free(cpuid);
		if (errno != E2BIG || nent >= 4096) {
			snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return -1;
		}
		nent *= 2;
	}
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
		switch (e->function) {
		case 1:
			/* EBX[31:24] initial APIC ID, [23:16] logical processors. */
			e->ebx = (e->ebx & 0xffff) | (c->id << 24) | ((vm->nvcpus & 0xff) << 16);
			if (vm->nvcpus > 1)
				e->edx |= 1u << 28; /* HTT: the count above is valid */
			e->ecx |= 1u << 31;        /* running under a hypervisor */
			/* KVM emulates the LAPIC's TSC-deadline mode whenever it
			 * offers KVM_CAP_TSC_DEADLINE_TIMER, but leaves the CPUID
			 * bit to user space (KVM API, "KVM_CAP_TSC_DEADLINE_TIMER");
			 * without it a host CPU that lacks the feature would hide
			 * a timer the guest can use. */
			if (kvm_check_cap(vm, KVM_CAP_TSC_DEADLINE_TIMER))
				e->ecx |= 1u << 24;
			break;
		case 0xb:
		case 0x1f:
			e->edx = c->id; /* x2APIC ID */
			break;
		default:
			break;
		}
	}
	int r = ioctl(c->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	if (r < 0) {
		snprintf(err, errlen, "KVM_SET_CPUID2 on vCPU %u: %s", c->id, strerror(errno));
		return -1;
	}
	return 0;
}

/* MSRs a Linux guest expects to find at reset values (Intel SDM vol. 4;
 * AMD APM vol. 2 sec. 6.1): SYSENTER/SYSCALL MSRs cleared, TSC at 0, fast
 * string operations enabled in MISC_ENABLE. */
static int setup_msrs(struct kvm_vcpu_ctx *c, char *err, size_t errlen)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} init[] = {
		{0x174, 0},      /* IA32_SYSENTER_CS */
		{0x175, 0},      /* IA32_SYSENTER_ESP */
		{0x176, 0},      /* IA32_SYSENTER_EIP */
		{0xc0000081, 0}, /* STAR */
		{0xc0000082, 0}, /* LSTAR */
		{0xc0000083, 0}, /* CSTAR */
		{0xc0000084, 0}, /* SFMASK */
		{0xc0000102, 0}, /* KERNEL_GS_BASE */
		{0x10, 0},       /* IA32_TSC */
		{0x1a0, 1},      /* IA32_MISC_ENABLE: fast strings */
	};
	const size_t n = sizeof(init) / sizeof(init[0]);
	/* struct kvm_msrs ends in a flexible array: give it room in a union. */
	union {
		struct kvm_msrs hdr;
		uint8_t room[sizeof(struct kvm_msrs) +
			     sizeof(init) / sizeof(init[0]) * sizeof(struct kvm_msr_entry)];
	} m;
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		m.hdr.entries[i].index = init[i].index;
		m.hdr.entries[i].data = init[i].value;
	}
	int r = ioctl(c->fd, KVM_SET_MSRS, &m);
	if (r < 0) {
		snprintf(err, errlen, "KVM_SET_MSRS on vCPU %u: %s", c->id, strerror(errno));
		return -1;
	}
	/* KVM sets what it can and returns how many; an MSR this host does not
	 * emulate is reported, not fatal: the guest will #GP on it as on
	 * hardware without it. */
	if ((size_t)r < n)
		fprintf(stderr, "vmm: note: KVM accepted %d of %zu boot MSRs (first refused: %#x)\n",
			r, n, init[r].index);
	return 0;
}

int kvm_arch_vm_init(struct kvm_vm *vm, char *err, size_t errlen)
{
	if (kvm_check_cap(vm, KVM_CAP_SET_TSS_ADDR)) {
		if (ioctl(vm->fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
			snprintf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
			return -1;
		}
		uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
		if (kvm_check_cap(vm, KVM_CAP_SET_IDENTITY_MAP_ADDR))
			(void)ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	/* The PIT's speaker port (0x61) stays with the kernel as a dummy, so a
	 * guest probing it gets an answer without a user-space exit. */
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
		snprintf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int kvm_arch_vcpu_init(struct kvm_vm *vm, struct kvm_vcpu_ctx *c, char *err, size_t errlen)
{
	return setup_cpuid(vm, c, err, errlen) || setup_msrs(c, err, errlen) ? -1 : 0;
}

int kvm_arch_vm_ready(struct kvm_vm *vm, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (kvm_check_cap(vm, KVM_CAP_GET_TSC_KHZ)) {
		int khz = ioctl(vm->vcpu[0].fd, KVM_GET_TSC_KHZ, 0);
		vm->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	}
	return 0;
}

/* The routing table KVM starts with (KVM API, KVM_SET_GSI_ROUTING; it is
 * what KVM_CREATE_IRQCHIP installs): GSI n to IOAPIC pin n for n < 24,
 * and GSIs 0-15 also to the PICs (master 0-7, slave 8-15). Ours adds the
 * MSI routes in vm->msi. */
unsigned kvm_arch_default_routes(struct kvm_irq_routing_entry *e)
{
	unsigned n = 0;
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi},
		};
		if (gsi < 16)
			e[n++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = {.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
								 : KVM_IRQCHIP_PIC_SLAVE,
					      .pin = gsi % 8},
			};
	}
	return n;
}

void kvm_arch_info(struct kvm_vm *vm)
{
	(void)vm; /* the capabilities and the kind say it all */
}
