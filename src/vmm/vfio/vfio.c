/* vfio: container, groups, devices, DMA and the KVM hooks (vfio.h). */
#include "vfio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bus.h"
#include "guestmem.h"
#include "kvm.h"
#include "pci.h"
#include "sandbox.h"
#include "vfio_pci.h"

struct vfio_fn {
	struct vfio_pci vp;
	struct vfio_host_dev host;
	int group_fd; /* shared with other functions of the group: see group_of */
	bool reset_ok;
	bool on_bus;
};

static struct {
	int container;
	bool iommu_set;
	struct {
		int num, fd;
	} groups[VFIO_MAX_DEVS];
	unsigned ngroups;
	struct vfio_fn fn[VFIO_MAX_DEVS];
	unsigned nfn;
	struct vfio_pci *io_devs[VFIO_MAX_DEVS + 1]; /* NULL-ended, for the I/O window */
	struct bus *pio;
	bool io_window;
	struct kvm_vm *kvm;
} vf = {.container = -1};

int vfio_check(const char (*bdf)[VFIO_BDF_LEN], unsigned n, uint64_t ram, char *err,
	       size_t errlen)
{
	struct vfio_limits lim;
	vfio_limits_self(&lim);
	for (unsigned i = 0; i < n; i++) {
		struct vfio_host_dev d;
		if (vfio_host_check(&vfio_host_default, bdf[i], ram, &lim, &d, err, errlen))
			return -1;
	}
	return 0;
}

/* ---- hooks for vfio_pci ----------------------------------------------- */

static int hook_set_irqs(void *ctx, enum vfio_irq index, enum vfio_irq_action act,
			 unsigned start, unsigned count, const int *fds)
{
	struct vfio_pci *vp = ctx;
	union {
		struct vfio_irq_set s;
		uint8_t room[sizeof(struct vfio_irq_set) + VFIO_MAX_VECTORS * sizeof(int32_t)];
	} u;
	if (count > VFIO_MAX_VECTORS) {
		errno = EINVAL;
		return -1;
	}
	memset(&u, 0, sizeof(u));
	u.s.argsz = (uint32_t)(sizeof(u.s) + count * sizeof(int32_t));
	u.s.flags = (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) |
		    (act == VFIO_ACT_UNMASK ? VFIO_IRQ_SET_ACTION_UNMASK
					    : VFIO_IRQ_SET_ACTION_TRIGGER);
	u.s.index = (uint32_t)index;
	u.s.start = start;
	u.s.count = count;
	for (unsigned i = 0; i < count; i++) {
		int32_t fd = fds[i];
		memcpy(u.s.data + i * sizeof(int32_t), &fd, sizeof(fd));
	}
	return ioctl(vp->fd, VFIO_DEVICE_SET_IRQS, &u.s) < 0 ? -1 : 0;
}

static int hook_route(void *ctx, unsigned gsi, uint64_t addr, uint32_t data)
{
	(void)ctx;
	return kvm_route_msi(vf.kvm, gsi, addr, data);
}

static int hook_irqfd(void *ctx, int fd, unsigned gsi, int resample_fd, bool assign)
{
	(void)ctx;
	if (resample_fd >= 0)
		return kvm_irqfd_resample(vf.kvm, fd, resample_fd, gsi, assign);
	return kvm_irqfd(vf.kvm, fd, gsi, assign);
}

static int hook_map(void *ctx, unsigned slot, uint64_t gpa, uint64_t size, void *host)
{
	(void)ctx;
	return kvm_map_slot(vf.kvm, slot, gpa, size, host);
}

/* ---- set-up ----------------------------------------------------------- */

static int dma_map(uint64_t iova, uint64_t size, void *host, const char *bdf, char *err,
		   size_t errlen)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)host,
		.iova = iova,
		.size = size,
	};
	if (ioctl(vf.container, VFIO_IOMMU_MAP_DMA, &m) == 0)
		return 0;
	int e = errno;
	snprintf(err, errlen,
		 "--vfio %s: VFIO_IOMMU_MAP_DMA of %#" PRIx64 " bytes of guest RAM at %#" PRIx64
		 ": %s%s",
		 bdf, size, iova, strerror(e),
		 e == ENOMEM ? " (pinning guest RAM counts against RLIMIT_MEMLOCK: raise it "
			       "with ulimit -l to at least the guest's RAM)"
			     : "");
	return -1;
}

/* The container: one per VM, its IOMMU type1 (v2 where offered), and all
 * of guest RAM mapped once the first group is in it. */
static int container_open(char *err, size_t errlen)
{
	vf.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (vf.container < 0) {
		snprintf(err, errlen, "--vfio: /dev/vfio/vfio: %s (modprobe vfio-pci)",
			 strerror(errno));
		return -1;
	}
	if (ioctl(vf.container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		snprintf(err, errlen, "--vfio: this host's VFIO API is not version %d",
			 VFIO_API_VERSION);
		return -1;
	}
	if (ioctl(vf.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0 &&
	    ioctl(vf.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0) {
		snprintf(err, errlen, "--vfio: VFIO has no type1 IOMMU driver (modprobe "
				      "vfio_iommu_type1)");
		return -1;
	}
	return 0;
}

static int group_of(const struct vfio_host_dev *h, const struct guestmem *mem, char *err,
		    size_t errlen)
{
	for (unsigned i = 0; i < vf.ngroups; i++)
		if (vf.groups[i].num == h->group)
			return vf.groups[i].fd;
	char path[64];
	snprintf(path, sizeof(path), "/dev/vfio/%d", h->group);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--vfio %s: %s: %s%s", h->bdf, path, strerror(errno),
			 errno == EBUSY ? " (the group is in use: another VM has it)" : "");
		return -1;
	}
	vf.groups[vf.ngroups].num = h->group;
	vf.groups[vf.ngroups++].fd = fd;
	struct vfio_group_status st = {.argsz = sizeof(st)};
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(err, errlen, "--vfio %s: IOMMU group %d is not viable: bind every function "
				      "in /sys/kernel/iommu_groups/%d/devices to vfio-pci",
			 h->bdf, h->group, h->group);
		return -1;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &vf.container) < 0) {
		snprintf(err, errlen, "--vfio %s: VFIO_GROUP_SET_CONTAINER: %s", h->bdf,
			 strerror(errno));
		return -1;
	}
	if (!vf.iommu_set) {
		unsigned long type = ioctl(vf.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0
					     ? VFIO_TYPE1v2_IOMMU
					     : VFIO_TYPE1_IOMMU;
		if (ioctl(vf.container, VFIO_SET_IOMMU, type) < 0) {
			snprintf(err, errlen, "--vfio %s: VFIO_SET_IOMMU: %s", h->bdf,
				 strerror(errno));
			return -1;
		}
		vf.iommu_set = true;
		/* Exactly the VM's RAM, at its guest-physical addresses: the
		 * device's DMA addresses are the guest's. */
		if (dma_map(mem->base, mem->low_size, mem->host, h->bdf, err, errlen))
			return -1;
		if (mem->size > mem->low_size &&
		    dma_map(GM_HIGH_BASE, mem->size - mem->low_size, mem->host + mem->low_size,
			    h->bdf, err, errlen))
			return -1;
	}
	return fd;
}

static int region(struct vfio_fn *f, unsigned index, struct vfio_region *r, bool want_map,
		  char *err, size_t errlen)
{
	struct vfio_region_info ri = {.argsz = sizeof(ri), .index = index};
	memset(r, 0, sizeof(*r));
	if (ioctl(f->vp.fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) {
		snprintf(err, errlen, "--vfio %s: VFIO_DEVICE_GET_REGION_INFO %u: %s", f->host.bdf,
			 index, strerror(errno));
		return -1;
	}
	r->off = ri.offset;
	r->size = ri.size;
	if (want_map && ri.size >= 0x1000 && (ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		void *p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, f->vp.fd,
			       (off_t)ri.offset);
		/* A kernel that will not map the MSI-X pages refuses the whole
		 * BAR: it then traps whole, slower but correct. */
		r->map = p == MAP_FAILED ? NULL : p;
	}
	return 0;
}

static int irq_count(struct vfio_fn *f, unsigned index)
{
	struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = index};
	if (ioctl(f->vp.fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
		return 0;
	return (int)ii.count;
}

static int efd(char *err, size_t errlen)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		snprintf(err, errlen, "--vfio: eventfd: %s", strerror(errno));
	return fd;
}

static int fn_open(struct vfio_fn *f, const struct vfio_env *env, unsigned idx, char *err,
		   size_t errlen)
{
	struct vfio_pci *vp = &f->vp;
	f->group_fd = group_of(&f->host, env->mem, err, errlen);
	if (f->group_fd < 0)
		return -1;
	vp->fd = ioctl(f->group_fd, VFIO_GROUP_GET_DEVICE_FD, f->host.bdf);
	if (vp->fd < 0) {
		snprintf(err, errlen, "--vfio %s: VFIO_GROUP_GET_DEVICE_FD: %s%s", f->host.bdf,
			 strerror(errno),
			 errno == EBUSY ? " (in use by another process: another VM has it)" : "");
		return -1;
	}
	struct vfio_device_info di = {.argsz = sizeof(di)};
	if (ioctl(vp->fd, VFIO_DEVICE_GET_INFO, &di) < 0 || !(di.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		snprintf(err, errlen, "--vfio %s: not a VFIO PCI device", f->host.bdf);
		return -1;
	}
	f->reset_ok = di.flags & VFIO_DEVICE_FLAGS_RESET;
	/* A clean device before the guest sees it (a previous VM's state
	 * gone): FLR or whatever reset VFIO finds for it. */
	if (f->reset_ok && ioctl(vp->fd, VFIO_DEVICE_RESET) < 0)
		fprintf(stderr, "vmm: note: --vfio %s: VFIO_DEVICE_RESET: %s\n", f->host.bdf,
			strerror(errno));
	if (region(f, VFIO_PCI_CONFIG_REGION_INDEX, &vp->cfg_region, false, err, errlen))
		return -1;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (region(f, VFIO_PCI_BAR0_REGION_INDEX + i, &vp->region[i], true, err, errlen))
			return -1;
	vp->hooks = (struct vfio_pci_hooks){hook_set_irqs, hook_route, hook_irqfd, hook_map, vp};
	vp->mmio = env->mmio;
	vp->bdf = f->host.bdf;
	vp->gsi_base = VFIO_GSI_BASE + idx * VFIO_MAX_VECTORS;
	vp->slot_base = VFIO_SLOT_BASE + idx * VFIO_SLOTS_PER_DEV;
	vp->cfg_lock = &env->pci->lock;
	if (vfio_pci_init(vp, err, errlen))
		return -1;
	if (vp->pci.irq_pin && irq_count(f, VFIO_PCI_INTX_IRQ_INDEX) > 0) {
		if ((vp->intx_fd = efd(err, errlen)) < 0 ||
		    (vp->intx_resample_fd = efd(err, errlen)) < 0)
			return -1;
	} else {
		vp->pci.irq_pin = 0;
	}
	if (vp->has_msix) {
		int n = irq_count(f, VFIO_PCI_MSIX_IRQ_INDEX);
		if (n <= 0) {
			vp->has_msix = false; /* the capability is then hidden */
		} else {
			if ((unsigned)n < vp->nvec)
				vp->nvec = (unsigned)n;
			for (unsigned v = 0; v < vp->nvec; v++)
				if ((vp->vec_fd[v] = efd(err, errlen)) < 0)
					return -1;
		}
	} else if (vp->has_msi) {
		if (irq_count(f, VFIO_PCI_MSI_IRQ_INDEX) <= 0)
			vp->has_msi = false; /* hidden, as above */
		else if ((vp->vec_fd[0] = efd(err, errlen)) < 0)
			return -1;
	}
	if (!vp->has_msix && !vp->has_msi)
		vp->nvec = 0;
	return 0;
}

int vfio_attach(const struct vfio_env *env, const char (*bdf)[VFIO_BDF_LEN], unsigned n,
		char *err, size_t errlen)
{
	if (!n)
		return 0;
	vf.kvm = env->kvm;
	vf.pio = env->pio;
	if (container_open(err, errlen))
		return -1;
	struct vfio_limits lim;
	vfio_limits_self(&lim);
	uint64_t top = VFIO_MMIO_TOP;
	uint32_t io_next = VFIO_IO_BASE;
	for (unsigned i = 0; i < n; i++) {
		struct vfio_fn *f = &vf.fn[i];
		memset(f, 0, sizeof(*f));
		f->vp.fd = f->vp.intx_fd = f->vp.intx_resample_fd = -1;
		for (unsigned v = 0; v < VFIO_MAX_VECTORS; v++)
			f->vp.vec_fd[v] = -1;
		vf.nfn = i + 1;
		if (vfio_host_check(&vfio_host_default, bdf[i], env->mem->size, &lim, &f->host, err,
				    errlen) ||
		    fn_open(f, env, i, err, errlen))
			return -1;
		int slot = pci_add(env->pci, &f->vp.pci);
		if (slot < 0 || slot > 8) {
			snprintf(err, errlen, "--vfio %s: no PCI slot with an interrupt route left",
				 f->host.bdf);
			return -1;
		}
		f->on_bus = true;
		pthread_mutex_lock(&env->pci->lock);
		int r = vfio_pci_setup(&f->vp, (unsigned)slot, err, errlen);
		pthread_mutex_unlock(&env->pci->lock);
		if (r)
			return -1;
		vfio_pci_place(&f->vp, env->pci, (unsigned)slot, &top, &io_next);
		vf.io_devs[i] = &f->vp;
	}
	vf.io_devs[n] = NULL;
	if (bus_register(env->pio, VFIO_IO_BASE, VFIO_IO_SIZE, vfio_pci_io_window, vf.io_devs,
			 "vfio-io-window")) {
		snprintf(err, errlen, "--vfio: the I/O BAR window %#x-%#x is taken: %s",
			 VFIO_IO_BASE, VFIO_IO_BASE + VFIO_IO_SIZE - 1, strerror(errno));
		return -1;
	}
	vf.io_window = true;
	return 0;
}

void vfio_sandbox(struct sandbox_opts *sb)
{
	for (unsigned i = 0; i < vf.nfn && sb->nvfio < SANDBOX_MAX_VFIO; i++) {
		struct vfio_pci *vp = &vf.fn[i].vp;
		sb->vfio_fds[sb->nvfio++] = vp->fd;
		for (unsigned v = 0; v < vp->nvec && sb->ndev < SANDBOX_MAX_DEV_FDS; v++)
			sb->dev_fds[sb->ndev++] = vp->vec_fd[v];
		if (vp->intx_fd >= 0 && sb->nvfio_keep + 2 <= SANDBOX_MAX_VFIO) {
			sb->vfio_keep_fds[sb->nvfio_keep++] = vp->intx_fd;
			sb->vfio_keep_fds[sb->nvfio_keep++] = vp->intx_resample_fd;
		}
	}
	for (unsigned g = 0; g < vf.ngroups && sb->nvfio_keep < SANDBOX_MAX_VFIO; g++)
		sb->vfio_keep_fds[sb->nvfio_keep++] = vf.groups[g].fd;
	if (vf.container >= 0 && sb->nvfio_keep < SANDBOX_MAX_VFIO)
		sb->vfio_keep_fds[sb->nvfio_keep++] = vf.container;
}

void vfio_detach(void)
{
	if (vf.io_window)
		bus_unregister(vf.pio, VFIO_IO_BASE);
	vf.io_window = false;
	for (unsigned i = 0; i < vf.nfn; i++) {
		struct vfio_fn *f = &vf.fn[i];
		struct vfio_pci *vp = &f->vp;
		if (f->on_bus)
			vfio_pci_teardown(vp);
		/* The next VM (or this one restarted) gets a clean device. */
		if (vp->fd >= 0 && f->reset_ok)
			(void)ioctl(vp->fd, VFIO_DEVICE_RESET);
		for (unsigned b = 0; b < PCI_NUM_BARS; b++)
			if (vp->region[b].map)
				munmap(vp->region[b].map, vp->region[b].size);
		for (unsigned v = 0; v < VFIO_MAX_VECTORS; v++)
			if (vp->vec_fd[v] >= 0)
				close(vp->vec_fd[v]);
		if (vp->intx_fd >= 0)
			close(vp->intx_fd);
		if (vp->intx_resample_fd >= 0)
			close(vp->intx_resample_fd);
		if (vp->fd >= 0)
			close(vp->fd);
		memset(f, 0, sizeof(*f));
	}
	vf.nfn = 0;
	for (unsigned g = 0; g < vf.ngroups; g++)
		close(vf.groups[g].fd);
	vf.ngroups = 0;
	if (vf.container >= 0)
		close(vf.container); /* drops the DMA mappings and the pins */
	vf.container = -1;
	vf.iommu_set = false;
}
