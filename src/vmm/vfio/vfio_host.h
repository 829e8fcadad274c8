/*
 * vfio_host: what the host must offer before a PCI function can be passed
 * to a guest through VFIO, checked from sysfs and the process's limits
 * before anything is opened, so each missing piece stops `vmm run` at
 * start-up with a message that says what to do (exit status 2).
 *
 * Owns: the `--vfio` address form (DDDD:BB:DD.F, the domain:bus:device.
 * function form sysfs uses), reading a function's sysfs entry (vendor,
 * device, class, driver, IOMMU group), the group's members and the
 * locked-memory check. Paths are relative to a sysfs root and a /dev root
 * given by the caller, so the unit tests run on a fake tree.
 *
 * References: Linux Documentation/driver-api/vfio.rst ("VFIO Usage
 * Example": binding, group viability, /dev/vfio/GROUP),
 * Documentation/ABI/testing/sysfs-bus-pci (driver_override,
 * iommu_group), Documentation/ABI/testing/sysfs-kernel-iommu_groups.
 */
#ifndef VFIO_HOST_H
#define VFIO_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VFIO_BDF_LEN 13 /* "0000:00:04.0" and its NUL */
#define VFIO_GROUP_MAX_MEMBERS 32

/* Parses DDDD:BB:DD.F (hex domain, bus and device up to 0x1f, function
 * 0-7), exactly as sysfs spells it, lower-case hex. Returns 0 and the
 * canonical form in out, or -1. */
int vfio_parse_bdf(const char *s, char out[VFIO_BDF_LEN]);

struct vfio_host_paths {
	const char *sys; /* "/sys" */
	const char *dev; /* "/dev" */
};
extern const struct vfio_host_paths vfio_host_default;

/* The process's locked-memory allowance: RLIMIT_MEMLOCK, and whether it
 * holds CAP_IPC_LOCK (the type1 IOMMU driver then does not count pinned
 * pages against the limit: drivers/vfio/vfio_iommu_type1.c). */
struct vfio_limits {
	uint64_t memlock; /* bytes; UINT64_MAX for unlimited */
	bool ipc_lock;
};
void vfio_limits_self(struct vfio_limits *l);

struct vfio_host_dev {
	char bdf[VFIO_BDF_LEN];
	uint16_t vendor, device;
	uint32_t class_code; /* 24 bits: class, subclass, prog-if */
	int group;           /* IOMMU group number */
	char driver[64];     /* bound driver, "" when none */
};

/*
 * The checks, in the order a host fails them: the function exists; the
 * host has an IOMMU (the function is in an IOMMU group); VFIO is loaded
 * (DEV/vfio/vfio); the function is bound to vfio-pci; every other member
 * of its group is bound to vfio-pci or a driver that leaves DMA to its
 * owner, or to none (the group is viable); DEV/vfio/GROUP exists; and the
 * locked-memory limit covers `ram` bytes of guest RAM, which the type1
 * IOMMU pins. Returns 0 with *out filled, or -1 with a message in err
 * naming the function and saying how to fix it.
 */
int vfio_host_check(const struct vfio_host_paths *p, const char *bdf, uint64_t ram,
		    const struct vfio_limits *lim, struct vfio_host_dev *out, char *err,
		    size_t errlen);

#endif
