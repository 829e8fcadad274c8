/*
 * kvm: the thin layer over the KVM API (Documentation/virt/kvm/api.rst).
 *
 * Owns: the /dev/kvm and VM file descriptors, the capability checks, guest
 * RAM registration (memory slots), vCPU creation with their kvm_run
 * mappings, interrupt lines (KVM_IRQ_LINE), irqfd, ioeventfd and GSI
 * routes. What differs by architecture (the in-kernel irqchip, each
 * vCPU's initial set-up, the capabilities required, the default routes)
 * is the kvm_arch_* part: arch/x86/kvm_x86.c (PIC, IOAPIC, LAPIC, PIT,
 * CPUID, MSRs) and arch/arm64/kvm_arm64.c (vCPU init, the vGIC).
 * It knows nothing of devices, loaders or the exit loop.
 */
#ifndef KVM_H
#define KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guestmem.h"

#define KVM_MAX_VCPUS 64
#define KVM_FIRST_MSI_GSI 24 /* GSIs below are the IOAPIC's pins */
#define KVM_MAX_MSI_ROUTES 96 /* gpio, channels, virtio devices, passthrough vectors */

struct kvm_vcpu_ctx {
	int fd;
	unsigned id;
	struct kvm_run *run;
};

struct rt_cfg;

struct kvm_vm {
	const struct rt_cfg *rt; /* --realtime parts set on the VM (rt.h), or NULL */
	int sys_fd; /* /dev/kvm */
	int fd;     /* the VM */
	size_t run_size;
	uint32_t tsc_khz; /* 0 when KVM cannot tell */
	unsigned nvcpus;
	struct kvm_vcpu_ctx vcpu[KVM_MAX_VCPUS];
	/* MSI routes added to the default GSI routing (kvm_route_msi). */
	struct {
		unsigned gsi;
		uint64_t addr;
		uint32_t data;
		uint32_t devid;
	} msi[KVM_MAX_MSI_ROUTES];
	unsigned nmsi;
	/* MSIs name their sender (KVM_MSI_VALID_DEVID): set by the arch
	 * where the interrupt controller needs it (arm64's ITS). */
	bool msi_devid;
};

/* The kind of KVM this host offers, for `vmm info` and every report. */
struct kvm_kind {
	bool hardware;        /* CPU flags show vmx or svm */
	char tech[16];        /* "VT-x", "AMD-V" or "software" */
	char module[32];      /* loaded module: kvm_intel, kvm_amd, kvm_pvm... */
};
void kvm_detect_kind(struct kvm_kind *k);

/* A capability we rely on, with why; kvm_caps[] lists them for `vmm info`
 * and for the check at start-up. */
struct kvm_cap_use {
	int cap;
	const char *name;
	const char *why;
	bool required;
};
extern const struct kvm_cap_use kvm_caps[];
extern const size_t kvm_ncaps;

/* Opens /dev/kvm and checks the API version and required capabilities.
 * Returns 0, or -1 with a message in err saying what to do. */
int kvm_open(struct kvm_vm *vm, char *err, size_t errlen);
int kvm_check_cap(const struct kvm_vm *vm, int cap);

/* Creates the VM with its RAM, irqchip, PIT and `ncpus` vCPUs (CPUID and
 * MSRs set). Returns 0 or -1 with a message. */
int kvm_create_vm(struct kvm_vm *vm, const struct guestmem *gm, unsigned ncpus,
		  char *err, size_t errlen);
void kvm_close(struct kvm_vm *vm);

/* Maps `size` bytes at `host` as guest ROM at `gpa`: read-only to the
 * guest (KVM_MEM_READONLY; a write exits as MMIO) where KVM offers it,
 * otherwise writable (the guest then changes only its own copy). Returns
 * 0 or -1 with a message. */
#define KVM_ROM_SLOT 16 /* after RAM (0, 1) and channels (2..) */
int kvm_map_rom(struct kvm_vm *vm, uint64_t gpa, void *host, uint64_t size, char *err,
		size_t errlen);

/* Drives a GSI of the in-kernel irqchip (PIC and IOAPIC) to `level`.
 * Signature fits struct irq_line; ctx is the struct kvm_vm. */
void kvm_irq_line(void *ctx, unsigned gsi, int level);

/* Sends one MSI (KVM_SIGNAL_MSI). Returns 0 or -1 with errno. */
int kvm_signal_msi(struct kvm_vm *vm, uint64_t addr, uint32_t data);

/* Routes `gsi` (>= KVM_FIRST_MSI_GSI) to an MSI with this address and data,
 * keeping the default routes of GSIs 0-23 (PIC and IOAPIC pins), since
 * KVM_SET_GSI_ROUTING replaces the whole table. Returns 0 or -1. */
int kvm_route_msi(struct kvm_vm *vm, unsigned gsi, uint64_t addr, uint32_t data);

/* The same from the PCI function with requester ID `devid` (bus << 8 |
 * device << 3 | function): where vm->msi_devid is set, the MSI carries it
 * (api.rst, KVM_SIGNAL_MSI and KVM_IRQ_ROUTING_MSI: an ITS translates by
 * it); elsewhere devid is not passed and these are the ones above. */
int kvm_signal_msi_from(struct kvm_vm *vm, uint32_t devid, uint64_t addr, uint32_t data);
int kvm_route_msi_from(struct kvm_vm *vm, unsigned gsi, uint32_t devid, uint64_t addr,
		       uint32_t data);

/* irqfd: a write to eventfd `fd` injects `gsi` without leaving the kernel.
 * ioeventfd: a `len`-byte guest write to MMIO `addr` signals `fd` without
 * an exit to user space. assign=false undoes. Return 0 or -1 with errno. */
int kvm_irqfd(struct kvm_vm *vm, int fd, unsigned gsi, bool assign);
int kvm_ioeventfd(struct kvm_vm *vm, int fd, uint64_t addr, unsigned len, bool assign);

/* A level-triggered irqfd (KVM_IRQFD_FLAG_RESAMPLE): a write to `fd`
 * raises `gsi`; when the guest acknowledges it (EOI) KVM lowers the line
 * and signals `resample_fd`. For passthrough INTx (vfio_pci.h). */
int kvm_irqfd_resample(struct kvm_vm *vm, int fd, int resample_fd, unsigned gsi, bool assign);

/* Memory slot `slot` of `size` bytes at `gpa` backed by `host` (a device
 * BAR's mapping: vfio_pci.h); size 0 deletes the slot. Returns 0 or -1
 * with errno. */
int kvm_map_slot(struct kvm_vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host);

/* The architecture's part, called by kvm_create_vm: after the VM and its
 * RAM exist (the irqchip), for each new vCPU, and once every vCPU exists.
 * Each returns 0 or -1 with a message. */
int kvm_arch_vm_init(struct kvm_vm *vm, char *err, size_t errlen);
int kvm_arch_vcpu_init(struct kvm_vm *vm, struct kvm_vcpu_ctx *c, char *err, size_t errlen);
int kvm_arch_vm_ready(struct kvm_vm *vm, char *err, size_t errlen);
/* Writes the GSI routes KVM starts with (at most KVM_ARCH_DEFAULT_ROUTES)
 * and returns how many: kvm_route_msi keeps them. */
#define KVM_ARCH_DEFAULT_ROUTES 64
unsigned kvm_arch_default_routes(struct kvm_irq_routing_entry *e);
/* What `vmm info` adds for this architecture (arm64: VHE or nVHE, the
 * vGIC versions, the IPA size; the PC: nothing). */
void kvm_arch_info(struct kvm_vm *vm);

#endif
