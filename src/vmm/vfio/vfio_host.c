/* vfio_host: the start-up checks of a passed-through function (vfio_host.h). */
#include "vfio_host.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

const struct vfio_host_paths vfio_host_default = {"/sys", "/dev"};

static int hexfield(const char *s, unsigned n, unsigned *out)
{
	unsigned v = 0;
	for (unsigned i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

int vfio_parse_bdf(const char *s, char out[VFIO_BDF_LEN])
{
	unsigned dom, bus, dev, fn;
	if (!s || strlen(s) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.' ||
	    hexfield(s, 4, &dom) || hexfield(s + 5, 2, &bus) || hexfield(s + 8, 2, &dev) ||
	    hexfield(s + 11, 1, &fn) || dev > 0x1f || fn > 7)
		return -1;
	snprintf(out, VFIO_BDF_LEN, "%04x:%02x:%02x.%u", dom, bus, dev, fn);
	return 0;
}

void vfio_limits_self(struct vfio_limits *l)
{
	struct rlimit rl;
	l->memlock = UINT64_MAX;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		l->memlock = (uint64_t)rl.rlim_cur;
	/* CapEff in /proc/self/status (proc(5)); CAP_IPC_LOCK is bit 14
	 * (linux/capability.h). */
	l->ipc_lock = false;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7)) {
			unsigned long long caps = strtoull(line + 7, NULL, 16);
			l->ipc_lock = (caps >> 14) & 1;
			break;
		}
	fclose(f);
}

/* Reads a sysfs attribute such as "0x8086\n" as a number. */
static int read_hex(const char *path, uint32_t *out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char buf[32];
	char *end;
	int r = -1;
	if (fgets(buf, sizeof(buf), f)) {
		errno = 0;
		unsigned long v = strtoul(buf, &end, 16);
		if (!errno && end != buf && (*end == '\n' || !*end) && v <= 0xffffffffu) {
			*out = (uint32_t)v;
			r = 0;
		}
	}
	fclose(f);
	return r;
}

/* The last component of a symlink's target (a driver's or group's name),
 * or "" when the link does not exist. */
static int link_name(const char *path, char *out, size_t len)
{
	char t[PATH_MAX];
	ssize_t n = readlink(path, t, sizeof(t) - 1);
	out[0] = '\0';
	if (n < 0)
		return -1;
	t[n] = '\0';
	const char *b = strrchr(t, '/');
	b = b ? b + 1 : t;
	size_t k = strlen(b);
	if (k >= len)
		k = len - 1; /* names are short; a longer one matches nothing */
	memcpy(out, b, k);
	out[k] = '\0';
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Drivers that may share a group with a passed-through function: they
 * leave the function's DMA alone (drivers/vfio/group.c and the
 * driver_managed_dma flag of drivers/pci/pcie/portdrv.c, pci-stub.c). */
static bool driver_viable(const char *drv)
{
	return !drv[0] || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

static void bind_hint(char *buf, size_t len, const char *bdf, const char *drv)
{
	char unbind[160] = "";
	if (drv[0])
		snprintf(unbind, sizeof(unbind),
			 "echo %s > /sys/bus/pci/devices/%s/driver/unbind; ", bdf, bdf);
	snprintf(buf, len,
		 "modprobe vfio-pci; echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; "
		 "%secho %s > /sys/bus/pci/drivers_probe",
		 bdf, unbind, bdf);
}

int vfio_host_check(const struct vfio_host_paths *p, const char *bdf, uint64_t ram,
		    const struct vfio_limits *lim, struct vfio_host_dev *out, char *err,
		    size_t errlen)
{
	char path[PATH_MAX], name[64], hint[512];
	uint32_t v;
	memset(out, 0, sizeof(*out));
	out->group = -1;
	if (vfio_parse_bdf(bdf, out->bdf)) {
		snprintf(err, errlen, "--vfio '%s': expected a PCI address DDDD:BB:DD.F such as "
				      "0000:00:04.0", bdf);
		return -1;
	}
	bdf = out->bdf;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", p->sys, bdf);
	if (!exists(path)) {
		snprintf(err, errlen, "--vfio %s: this host has no PCI function %s (lspci -D lists "
				      "them)", bdf, bdf);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor", p->sys, bdf);
	if (read_hex(path, &v) == 0)
		out->vendor = (uint16_t)v;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/device", p->sys, bdf);
	if (read_hex(path, &v) == 0)
		out->device = (uint16_t)v;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/class", p->sys, bdf);
	if (read_hex(path, &v) == 0)
		out->class_code = v & 0xffffff;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", p->sys, bdf);
	link_name(path, out->driver, sizeof(out->driver));

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", p->sys, bdf);
	if (link_name(path, name, sizeof(name)) || !name[0]) {
		snprintf(err, errlen,
			 "--vfio %s: no IOMMU on this host (%s is in no IOMMU group; %s/kernel/"
			 "iommu_groups is empty): passthrough needs one, so enable VT-d or AMD-Vi "
			 "in the firmware and boot Linux with intel_iommu=on or amd_iommu=on",
			 bdf, bdf, p->sys);
		return -1;
	}
	char *end;
	long g = strtol(name, &end, 10);
	if (*end || g < 0 || g > INT_MAX) {
		snprintf(err, errlen, "--vfio %s: IOMMU group '%s' is not a number", bdf, name);
		return -1;
	}
	out->group = (int)g;
	snprintf(path, sizeof(path), "%s/vfio/vfio", p->dev);
	if (!exists(path)) {
		snprintf(err, errlen,
			 "--vfio %s: VFIO is not available (%s is missing): load it with "
			 "modprobe vfio-pci (vfio, vfio_iommu_type1 and vfio_pci)",
			 bdf, path);
		return -1;
	}
	if (strcmp(out->driver, "vfio-pci")) {
		bind_hint(hint, sizeof(hint), bdf, out->driver);
		char now[96] = "bound to no driver";
		if (out->driver[0])
			snprintf(now, sizeof(now), "bound to %.60s", out->driver);
		snprintf(err, errlen, "--vfio %s: the function is %s, not to vfio-pci; bind it: %s",
			 bdf, now, hint);
		return -1;
	}
	/* Viability: every member of the group (Documentation/driver-api/
	 * vfio.rst: "the group is viable only when all devices are bound"). */
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", p->sys, out->group);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "--vfio %s: cannot list IOMMU group %d (%s): %s", bdf,
			 out->group, path, strerror(errno));
		return -1;
	}
	char bad[VFIO_GROUP_MAX_MEMBERS][96];
	unsigned nbad = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char drv[64];
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/driver",
			 p->sys, out->group, e->d_name);
		link_name(path, drv, sizeof(drv));
		if (!driver_viable(drv) && nbad < VFIO_GROUP_MAX_MEMBERS)
			snprintf(bad[nbad++], sizeof(bad[0]), "%.20s (driver %.40s)", e->d_name, drv);
	}
	closedir(d);
	if (nbad) {
		/* Sorted, so the message does not depend on readdir's order. */
		qsort(bad, nbad, sizeof(bad[0]), (int (*)(const void *, const void *))strcmp);
		char list[400] = "";
		size_t n = 0;
		for (unsigned i = 0; i < nbad && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
					      bad[i]);
		snprintf(err, errlen,
			 "--vfio %s: IOMMU group %d is not viable: it also holds %s; a group is "
			 "passed whole, so bind %s to vfio-pci too (driver_override, as for %s) "
			 "or unbind %s",
			 bdf, out->group, list, nbad == 1 ? "that function" : "those functions", bdf,
			 nbad == 1 ? "it" : "them");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/vfio/%d", p->dev, out->group);
	if (!exists(path)) {
		snprintf(err, errlen, "--vfio %s: %s is missing although the function is bound to "
				      "vfio-pci (is udev running?)", bdf, path);
		return -1;
	}
	/* The type1 IOMMU pins every page it maps and counts them against
	 * RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK. */
	if (!lim->ipc_lock && lim->memlock != UINT64_MAX && lim->memlock < ram) {
		uint64_t need_k = (ram + 1023) / 1024;
		snprintf(err, errlen,
			 "--vfio %s: the locked-memory limit RLIMIT_MEMLOCK is %" PRIu64
			 " KiB, but the IOMMU pins all %" PRIu64 " KiB of guest RAM for the "
			 "device's DMA: raise it to at least %" PRIu64 " KiB (ulimit -l %" PRIu64
			 ", LimitMEMLOCK= in a systemd unit, or memlock in "
			 "/etc/security/limits.conf), or run with CAP_IPC_LOCK",
			 bdf, lim->memlock / 1024, need_k, need_k, need_k);
		return -1;
	}
	return 0;
}
