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
	if (add_slot(vm, 0, gm->base, gm->low_size, gm->host, 0, err, errlen))
		return -1;
	if (gm->size > gm->low_size &&
	    add_slot(vm, 1, GM_HIGH_BASE, gm->size - gm->low_size, gm->host + gm->low_size, 0, err,
		     errlen))
		return -1;
	if (kvm_arch_vm_init(vm, err, errlen))
		return -1;
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
		if (kvm_arch_vcpu_init(vm, c, err, errlen))
			return -1;
	}
	return kvm_arch_vm_ready(vm, err, errlen);
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
	return kvm_signal_msi_from(vm, 0, addr, data);
}

int kvm_signal_msi_from(struct kvm_vm *vm, uint32_t devid, uint64_t addr, uint32_t data)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data,
	};
	if (vm->msi_devid) {
		m.flags = KVM_MSI_VALID_DEVID;
		m.devid = devid;
	}
	return ioctl(vm->fd, KVM_SIGNAL_MSI, &m) < 0 ? -1 : 0;
}

/* KVM_SET_GSI_ROUTING replaces the whole table: ours is the one KVM
 * starts with (kvm_arch_default_routes) plus the MSI routes in vm->msi. */
static int routes_commit(struct kvm_vm *vm)
{
	const unsigned max = KVM_ARCH_DEFAULT_ROUTES + KVM_MAX_MSI_ROUTES;
	struct kvm_irq_routing *t =
		calloc(1, sizeof(*t) + max * sizeof(struct kvm_irq_routing_entry));
	if (!t)
		return -1;
	unsigned n = kvm_arch_default_routes(t->entries);
	for (unsigned i = 0; i < vm->nmsi; i++) {
		struct kvm_irq_routing_entry *e = &t->entries[n++];
		*e = (struct kvm_irq_routing_entry){
			.gsi = vm->msi[i].gsi, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = {.address_lo = (uint32_t)vm->msi[i].addr,
				  .address_hi = (uint32_t)(vm->msi[i].addr >> 32),
				  .data = vm->msi[i].data},
		};
		if (vm->msi_devid) {
			e->flags = KVM_MSI_VALID_DEVID;
			e->u.msi.devid = vm->msi[i].devid;
		}
	}
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
	return kvm_route_msi_from(vm, gsi, 0, addr, data);
}

int kvm_route_msi_from(struct kvm_vm *vm, unsigned gsi, uint32_t devid, uint64_t addr,
		       uint32_t data)
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
	vm->msi[i].devid = devid;
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
