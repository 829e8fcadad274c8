/* kvm: VM and vCPU creation over the KVM API. */
#include "kvm.h"
#include "rt.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

int kvm_check_cap(const struct kvm_vm *vm, int cap)
{
	int r = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

int kvm_open(struct kvm_vm *vm, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	for (unsigned i = 0; i < KVM_MAX_VCPUS; i++)
		vm->vcpu[i].fd = -1;
	vm->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		int e = errno;
		snprintf(err, errlen, "/dev/kvm: %s: %s", strerror(e),
			 e == ENOENT ? "this host has no KVM; load kvm_intel or kvm_amd, or "
				       "run on a host with virtualisation enabled"
			 : e == EACCES ? "no permission; add your user to the 'kvm' group "
					 "or run as root"
				       : "check that KVM works on this host");
		return -1;
	}
	int v = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: API version %d, this monitor needs %d", v,
			 KVM_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < kvm_ncaps; i++) {
		if (kvm_caps[i].required && !kvm_check_cap(vm, kvm_caps[i].cap)) {
			snprintf(err, errlen,
				 "/dev/kvm lacks KVM_CAP_%s (%s); this monitor needs it",
				 kvm_caps[i].name, kvm_caps[i].why);
			goto fail;
		}
	}
	int sz = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "/dev/kvm: KVM_GET_VCPU_MMAP_SIZE failed: %s",
			 strerror(errno));
		goto fail;
	}
	vm->run_size = (size_t)sz;
	return 0;
fail:
	close(vm->sys_fd);
	vm->sys_fd = -1;
	return -1;
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

static int add_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host,
		    uint32_t flags, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION (%#llx bytes at %#llx): %s",
			 (unsigned long long)size, (unsigned long long)gpa, strerror(errno));
		return -1;
	}
	return 0;
}

int kvm_create_vm(struct kvm_vm *vm, const struct guestmem *gm, unsigned ncpus, char *err,
		  size_t errlen)
{
	if (ncpus < 1 || ncpus > KVM_MAX_VCPUS) {
		snprintf(err, errlen, "--cpus %u: must be 1 to %d", ncpus, KVM_MAX_VCPUS);
		return -1;
	}
	int maxv = kvm_check_cap(vm, KVM_CAP_MAX_VCPUS);
	if (maxv > 0 && ncpus > (unsigned)maxv) {
		snprintf(err, errlen, "--cpus %u: this host's KVM allows at most %d", ncpus, maxv);
		return -1;
	}
	vm->fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	/* Disabled exits must be enabled before any vCPU exists. */
	if (vm->rt && rt_vm_setup(vm->rt, vm, err, errlen))
		return -1;
	if (kvm_check_cap(vm, KVM_CAP_SET_TSS_ADDR)) {
		if (ioctl(vm->fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
			snprintf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
			return -1;
		}
		uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
		if (kvm_check_cap(vm, KVM_CAP_SET_IDENTITY_MAP_ADDR))
			(void)ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	if (add_slot(vm, 0, 0, gm->low_size, gm->host, 0, err, errlen))
		return -1;
	if (gm->size > gm->low_size &&
	    add_slot(vm, 1, GM_HIGH_BASE, gm->size - gm->low_size, gm->host + gm->low_size, 0, err,
		     errlen))
		return -1;
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
	vm->nvcpus = ncpus;
	for (unsigned i = 0; i < ncpus; i++) {
		struct kvm_vcpu_ctx *c = &vm->vcpu[i];
		c->id = i;
		c->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (c->fd < 0) {
			snprintf(err, errlen, "KVM_CREATE_VCPU %u: %s", i, strerror(errno));
			return -1;
		}
		c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			c->run = NULL;
			snprintf(err, errlen, "mmap of vCPU %u's kvm_run: %s", i, strerror(errno));
			return -1;
		}
		if (setup_cpuid(vm, c, err, errlen) || setup_msrs(c, err, errlen))
			return -1;
	}
	if (kvm_check_cap(vm, KVM_CAP_GET_TSC_KHZ)) {
		int khz = ioctl(vm->vcpu[0].fd, KVM_GET_TSC_KHZ, 0);
		vm->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	}
	return 0;
}

int kvm_map_rom(struct kvm_vm *vm, uint64_t gpa, void *host, uint64_t size, char *err,
		size_t errlen)
{
	uint32_t flags = kvm_check_cap(vm, KVM_CAP_READONLY_MEM) ? KVM_MEM_READONLY : 0;
	return add_slot(vm, KVM_ROM_SLOT, gpa, size, host, flags, err, errlen);
}

void kvm_close(struct kvm_vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpu[i].run)
			munmap(vm->vcpu[i].run, vm->run_size);
		if (vm->vcpu[i].fd >= 0)
			close(vm->vcpu[i].fd);
	}
	vm->nvcpus = 0;
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->fd = vm->sys_fd = -1;
}

void kvm_irq_line(void *ctx, unsigned gsi, int level)
{
	struct kvm_vm *vm = ctx;
	struct kvm_irq_level l = {.irq = gsi, .level = (uint32_t)(level != 0)};
	/* Failure here means our GSI is out of the irqchip's range: a bug in
	 * the monitor's wiring, not something the guest can cause. */
	if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0)
		abort();
}

int kvm_signal_msi(struct kvm_vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data,
	};
	return ioctl(vm->fd, KVM_SIGNAL_MSI, &m) < 0 ? -1 : 0;
}

/* The routing table KVM starts with (KVM API, KVM_SET_GSI_ROUTING; it is
 * what KVM_CREATE_IRQCHIP installs): GSI n to IOAPIC pin n for n < 24,
 * and GSIs 0-15 also to the PICs (master 0-7, slave 8-15). Ours adds the
 * MSI routes in vm->msi. */
static int routes_commit(struct kvm_vm *vm)
{
	const unsigned max = 16 + 24 + KVM_MAX_MSI_ROUTES;
	struct kvm_irq_routing *t =
		calloc(1, sizeof(*t) + max * sizeof(struct kvm_irq_routing_entry));
	if (!t)
		return -1;
	unsigned n = 0;
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi},
		};
		if (gsi < 16)
			t->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = {.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
								 : KVM_IRQCHIP_PIC_SLAVE,
					      .pin = gsi % 8},
			};
	}
	for (unsigned i = 0; i < vm->nmsi; i++)
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = vm->msi[i].gsi, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = {.address_lo = (uint32_t)vm->msi[i].addr,
				  .address_hi = (uint32_t)(vm->msi[i].addr >> 32),
				  .data = vm->msi[i].data},
		};
	t->nr = n;
	int r = ioctl(vm->fd, KVM_SET_GSI_ROUTING, t);
	free(t);
	return r < 0 ? -1 : 0;
}

/* Devices on several vCPUs (and virtio's MSI-X tables) reprogram routes
 * concurrently; the table and its commit are one critical section. */
static pthread_mutex_t kvm_routes_lock = PTHREAD_MUTEX_INITIALIZER;

int kvm_route_msi(struct kvm_vm *vm, unsigned gsi, uint64_t addr, uint32_t data)
{
	unsigned i;
	if (gsi < KVM_FIRST_MSI_GSI) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&kvm_routes_lock);
	for (i = 0; i < vm->nmsi && vm->msi[i].gsi != gsi; i++)
		;
	if (i == vm->nmsi) {
		if (vm->nmsi == KVM_MAX_MSI_ROUTES) {
			pthread_mutex_unlock(&kvm_routes_lock);
			errno = ENOSPC;
			return -1;
		}
		vm->nmsi++;
	}
	vm->msi[i].gsi = gsi;
	vm->msi[i].addr = addr;
	vm->msi[i].data = data;
	int r = routes_commit(vm);
	pthread_mutex_unlock(&kvm_routes_lock);
	return r;
}

int kvm_irqfd(struct kvm_vm *vm, int fd, unsigned gsi, bool assign)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd, .gsi = gsi, .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};
	return ioctl(vm->fd, KVM_IRQFD, &f) < 0 ? -1 : 0;
}

int kvm_ioeventfd(struct kvm_vm *vm, int fd, uint64_t addr, unsigned len, bool assign)
{
	struct kvm_ioeventfd e = {
		.addr = addr, .len = len, .fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};
	return ioctl(vm->fd, KVM_IOEVENTFD, &e) < 0 ? -1 : 0;
}

int kvm_irqfd_resample(struct kvm_vm *vm, int fd, int resample_fd, unsigned gsi, bool assign)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd, .gsi = gsi,
		.flags = assign ? KVM_IRQFD_FLAG_RESAMPLE : KVM_IRQFD_FLAG_DEASSIGN,
		.resamplefd = assign ? (uint32_t)resample_fd : 0,
	};
	return ioctl(vm->fd, KVM_IRQFD, &f) < 0 ? -1 : 0;
}

int kvm_map_slot(struct kvm_vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = size ? gpa : 0, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};
	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -1 : 0;
}
