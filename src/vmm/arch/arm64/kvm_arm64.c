/* kvm_arm64: vCPU init, the vGIC, host facts (kvm_arm64.h). */
#include "kvm_arm64.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <unistd.h>

#include "arm64map.h"

/* The SPIs the vGIC has: 96 (INTIDs 32..127) cover every line of the
 * map; NR_IRQS counts the 32 private interrupts too and must be a
 * multiple of 32 (arm-vgic-v3.rst, KVM_DEV_ARM_VGIC_GRP_NR_IRQS). */
#define VGIC_NR_IRQS 128

const struct kvm_cap_use kvm_caps[] = {
	{KVM_CAP_USER_MEMORY, "USER_MEMORY", "guest RAM is our anonymous mapping", true},
	{KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT", "race-free kick of a vCPU out of KVM_RUN", true},
	{KVM_CAP_ONE_REG, "ONE_REG", "the boot CPU's PC, PSTATE and x0", true},
	{KVM_CAP_ARM_PSCI_0_2, "ARM_PSCI_0_2", "CPU on/off and system off/reset from KVM", true},
	{KVM_CAP_DEVICE_CTRL, "DEVICE_CTRL", "the in-kernel vGIC created as a KVM device", true},
	{KVM_CAP_MP_STATE, "MP_STATE", "tell a stopped vCPU from a running one", false},
	{KVM_CAP_ARM_VM_IPA_SIZE, "ARM_VM_IPA_SIZE", "the guest-physical address size", false},
	{KVM_CAP_IRQFD, "IRQFD", "interrupts injected without a user-space round trip", false},
	{KVM_CAP_IOEVENTFD, "IOEVENTFD", "doorbell writes completed in the kernel", false},
	{KVM_CAP_READONLY_MEM, "READONLY_MEM", "read-only guest memory (ROMs)", false},
};
const size_t kvm_ncaps = sizeof(kvm_caps) / sizeof(kvm_caps[0]);

static int gic_version;
static int vgic_fd = -1;
static int its_fd = -1;

int kvm_arm64_gic_version(void)
{
	return gic_version;
}

bool kvm_arm64_has_its(void)
{
	return its_fd >= 0;
}

unsigned kvm_arm64_spi(unsigned intid)
{
	return (unsigned)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | intid;
}

/* Which mode KVM took at boot, from the kernel's log ("kvm [1]: VHE mode
 * initialized successfully", "Hyp mode initialized", "Protected nVHE
 * mode"): nothing in the KVM API says. Needs CAP_SYSLOG, or
 * kernel.dmesg_restrict = 0; else "unknown". */
static const char *hyp_mode(void)
{
	int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (n <= 0)
		return "unknown";
	char *buf = malloc((size_t)n + 1);
	if (!buf)
		return "unknown";
	int got = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, n);
	const char *mode = "unknown";
	if (got > 0) {
		buf[got] = '\0';
		if (strstr(buf, "Protected nVHE mode"))
			mode = "protected nVHE";
		else if (strstr(buf, "VHE mode initialized"))
			mode = "VHE";
		else if (strstr(buf, "Hyp mode initialized"))
			mode = "nVHE";
	}
	free(buf);
	return mode;
}

void kvm_detect_kind(struct kvm_kind *k)
{
	memset(k, 0, sizeof(*k));
	/* arm64 KVM always runs on the CPU's virtualisation extensions. */
	k->hardware = access("/dev/kvm", F_OK) == 0;
	snprintf(k->tech, sizeof(k->tech), "%s", k->hardware ? hyp_mode() : "none");
	snprintf(k->module, sizeof(k->module), "%s",
		 access("/sys/module/kvm", F_OK) == 0 ? "kvm" : "none");
}

/* Whether the host can give a VM a vGIC of this type (KVM_CREATE_DEVICE
 * with KVM_CREATE_DEVICE_TEST creates nothing). */
static bool vgic_offered(int vm_fd, uint32_t type)
{
	struct kvm_create_device d = {.type = type, .flags = KVM_CREATE_DEVICE_TEST};
	return ioctl(vm_fd, KVM_CREATE_DEVICE, &d) == 0;
}

void kvm_arch_info(struct kvm_vm *vm)
{
	int ipa = kvm_check_cap(vm, KVM_CAP_ARM_VM_IPA_SIZE);
	printf("arm64:\n");
	printf("  hypervisor mode   %s\n", hyp_mode());
	int fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (fd >= 0) {
		bool v3 = vgic_offered(fd, KVM_DEV_TYPE_ARM_VGIC_V3);
		bool v2 = vgic_offered(fd, KVM_DEV_TYPE_ARM_VGIC_V2);
		printf("  vGIC              %s\n", v3 && v2 ? "v3 (and v2)" : v3 ? "v3" : v2 ? "v2"
											   : "none");
		/* KVM offers the ITS with the v3 vGIC (arm-vgic-its.rst). */
		bool its = v3 && vgic_offered(fd, KVM_DEV_TYPE_ARM_VGIC_ITS);
		printf("  GICv3 ITS         %s\n", its ? "yes (PCI devices use MSI-X)"
						      : "no (PCI devices use INTx)");
		close(fd);
	}
	if (ipa > 0)
		printf("  IPA size          %d bits (guest-physical addresses)\n", ipa);
	else
		printf("  IPA size          40 bits (KVM's fixed size: no ARM_VM_IPA_SIZE)\n");
}

int kvm_arch_vm_init(struct kvm_vm *vm, char *err, size_t errlen)
{
	(void)vm;
	(void)err;
	(void)errlen;
	gic_version = 0;
	if (its_fd >= 0)
		close(its_fd);
	its_fd = -1;
	return 0;
}

int kvm_arch_vcpu_init(struct kvm_vm *vm, struct kvm_vcpu_ctx *c, char *err, size_t errlen)
{
	struct kvm_vcpu_init init;
	memset(&init, 0, sizeof(init));
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		snprintf(err, errlen, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
		return -1;
	}
	/* PSCI 0.2 (api.rst, KVM_ARM_VCPU_INIT): KVM answers the guest's
	 * PSCI calls; SYSTEM_OFF and SYSTEM_RESET reach us as
	 * KVM_EXIT_SYSTEM_EVENT. Secondaries start powered off, so only the
	 * boot CPU runs until the guest asks for the others with CPU_ON. */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (c->id > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(c->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		snprintf(err, errlen, "KVM_ARM_VCPU_INIT on vCPU %u (target %u): %s", c->id,
			 init.target, strerror(errno));
		return -1;
	}
	return 0;
}

static int vgic_attr(uint32_t group, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr,
	};
	return ioctl(vgic_fd, KVM_SET_DEVICE_ATTR, &a);
}

/* The in-kernel ITS beside a v3 vGIC (arm-vgic-its.rst): created, placed
 * at ARM64_GITS_BASE and initialised before the vGIC's own CTRL_INIT.
 * From then on KVM wants every MSI to name its sender (KVM_CAP_MSI_DEVID;
 * api.rst, KVM_SIGNAL_MSI). A host without one keeps INTx: a note, not an
 * error. */
static void its_create(struct kvm_vm *vm)
{
	struct kvm_create_device d = {.type = KVM_DEV_TYPE_ARM_VGIC_ITS};
	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &d) < 0)
		return; /* no ITS on this host: the device tree says none */
	uint64_t base = ARM64_GITS_BASE;
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_ITS_ADDR_TYPE,
		.addr = (uint64_t)(uintptr_t)&base,
	};
	const char *what = "its address";
	int r = ioctl((int)d.fd, KVM_SET_DEVICE_ATTR, &a);
	if (r == 0) {
		what = "CTRL_INIT";
		a = (struct kvm_device_attr){.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
					     .attr = KVM_DEV_ARM_VGIC_CTRL_INIT};
		r = ioctl((int)d.fd, KVM_SET_DEVICE_ATTR, &a);
	}
	/* Asked of the VM, not /dev/kvm: it is the VM's ITS that needs it. */
	if (r == 0 && ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID) <= 0) {
		what = "KVM_CAP_MSI_DEVID";
		r = -1;
		errno = ENOTSUP;
	}
	if (r < 0) {
		fprintf(stderr, "vmm: note: GICv3 ITS: setting %s: %s; PCI devices use INTx\n",
			what, strerror(errno));
		close((int)d.fd);
		return;
	}
	its_fd = (int)d.fd;
	vm->msi_devid = true;
}

/* Creates the vGIC once every vCPU exists, sets its frames where the map
 * says, its interrupt count, and initialises it (arm-vgic-v3.rst,
 * KVM_DEV_ARM_VGIC_CTRL_INIT: after all vCPUs, before the first run). A
 * host whose GIC cannot be a virtual GICv3 (a GICv2 host, or a GICv3
 * without the v3 system-register interface for guests) gets a GICv2. */
int kvm_arch_vm_ready(struct kvm_vm *vm, char *err, size_t errlen)
{
	struct kvm_create_device d = {.type = KVM_DEV_TYPE_ARM_VGIC_V3};
	int v = 3;
	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &d) < 0) {
		d = (struct kvm_create_device){.type = KVM_DEV_TYPE_ARM_VGIC_V2};
		v = 2;
		if (ioctl(vm->fd, KVM_CREATE_DEVICE, &d) < 0) {
			snprintf(err, errlen, "this host's KVM offers neither a GICv3 nor a GICv2 "
					      "(KVM_CREATE_DEVICE: %s)",
				 strerror(errno));
			return -1;
		}
	}
	if (v == 2 && vm->nvcpus > 8) {
		snprintf(err, errlen, "--cpus %u: this host offers only a GICv2, which has 8 CPU "
				      "interfaces",
			 vm->nvcpus);
		return -1;
	}
	vgic_fd = (int)d.fd;
	uint64_t dist = ARM64_GICD_BASE, other = v == 3 ? ARM64_GICR_BASE : ARM64_GICC_BASE;
	uint32_t nr = VGIC_NR_IRQS;
	const char *what = "addresses";
	int r = vgic_attr(KVM_DEV_ARM_VGIC_GRP_ADDR,
			  v == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST, &dist);
	if (r == 0)
		r = vgic_attr(KVM_DEV_ARM_VGIC_GRP_ADDR,
			      v == 3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST : KVM_VGIC_V2_ADDR_TYPE_CPU,
			      &other);
	if (r == 0 && v == 3)
		its_create(vm);
	if (r == 0 && (what = "NR_IRQS", r = vgic_attr(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr)) == 0)
		what = "CTRL_INIT",
		r = vgic_attr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (r < 0) {
		snprintf(err, errlen, "vGICv%d: setting %s: %s", v, what, strerror(errno));
		close(vgic_fd);
		vgic_fd = -1;
		return -1;
	}
	gic_version = v;
	return 0;
}

/* KVM's default routing on arm64 (api.rst, KVM_SET_GSI_ROUTING): GSI n
 * is SPI n, i.e. irqchip 0, pin n (INTID 32 + n). */
unsigned kvm_arch_default_routes(struct kvm_irq_routing_entry *e)
{
	unsigned n = 0;
	for (unsigned gsi = 0; gsi < 32; gsi++)
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = {.irqchip = 0, .pin = gsi},
		};
	return n;
}

static int set_reg(int fd, uint64_t id, uint64_t v)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&v};
	return ioctl(fd, KVM_SET_ONE_REG, &r);
}

#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
		     (offsetof(struct kvm_regs, x) / sizeof(uint32_t)))
/* PSTATE at entry: EL1h (M = 0b0101) with D, A, I, F masked (booting.rst,
 * "Primary CPU general-purpose register settings"). */
#define PSTATE_EL1H_DAIF 0x3c5ull

int kvm_arm64_set_entry(int fd, uint64_t pc, uint64_t x0, char *err, size_t errlen)
{
	if (set_reg(fd, CORE_REG(regs.pstate), PSTATE_EL1H_DAIF) < 0 ||
	    set_reg(fd, CORE_REG(regs.pc), pc) < 0 || set_reg(fd, CORE_REG(regs.regs[0]), x0) < 0 ||
	    set_reg(fd, CORE_REG(regs.regs[1]), 0) < 0 ||
	    set_reg(fd, CORE_REG(regs.regs[2]), 0) < 0 ||
	    set_reg(fd, CORE_REG(regs.regs[3]), 0) < 0) {
		snprintf(err, errlen, "KVM_SET_ONE_REG (boot CPU's PC, PSTATE, x0-x3): %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}
