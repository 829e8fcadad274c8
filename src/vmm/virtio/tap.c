/*
 * tap: opening a TAP for virtio-net and probing its offloads.
 *
 * References: the kernel's Documentation/networking/tuntap.rst and
 * drivers/net/tun.c for the ioctls (TUNSETIFF, TUNGETFEATURES,
 * TUNSETVNETHDRSZ, TUNSETOFFLOAD); virtio 1.2 section 5.1.6 for the
 * header carried in front of each frame. The header is little-endian
 * (virtio 1.x) and so is the host (x86-64), so TUNSETVNETLE is not needed.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TAP_DEV "/dev/net/tun"

static int tap_fail(char *err, size_t errlen, const char *name, const char *why, int e)
{
	if (e)
		snprintf(err, errlen, "--net tap=%s: %s (%s)", name, why, strerror(e));
	else
		snprintf(err, errlen, "--net tap=%s: %s", name, why);
	return -1;
}

int tap_open(struct tap *t, const char *name, char *err, size_t errlen)
{
	t->fd = -1;
	t->offloads = 0;
	if (!name[0] || strlen(name) >= IFNAMSIZ)
		return tap_fail(err, errlen, name, "an interface name is 1 to 15 characters", 0);
	/* TUNSETIFF on a name that does not exist would create a new TAP
	 * (with CAP_NET_ADMIN): check first that the interface is there. */
	if (if_nametoindex(name) == 0)
		return tap_fail(err, errlen, name,
				"no such interface (create it first: ip tuntap add NAME mode tap)",
				0);
	int fd = open(TAP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return tap_fail(err, errlen, name,
					"cannot open " TAP_DEV
					": no TUN/TAP support on this host (load the tun module)",
					e);
		if (e == EACCES || e == EPERM)
			return tap_fail(err, errlen, name, "no permission to open " TAP_DEV, e);
		return tap_fail(err, errlen, name, "cannot open " TAP_DEV, e);
	}
	unsigned features = 0;
	if (ioctl(fd, TUNGETFEATURES, &features) < 0 || !(features & IFF_VNET_HDR)) {
		close(fd);
		return tap_fail(err, errlen, name,
				"this kernel's TAP has no virtio-net header (IFF_VNET_HDR)", 0);
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		switch (e) {
		case EPERM:
		case EACCES:
			return tap_fail(err, errlen, name,
					"no permission to attach to this TAP (needs CAP_NET_ADMIN "
					"or a TAP created for this user: ip tuntap add ... user U)",
					e);
		case EINVAL:
			/* tun_set_iff: the name is an interface of another kind
			 * (or a TUN, or a multi-queue TAP). */
			return tap_fail(err, errlen, name,
					"not a single-queue TAP interface", e);
		case EBUSY:
			return tap_fail(err, errlen, name,
					"the TAP is in use by another process", e);
		default:
			return tap_fail(err, errlen, name, "TUNSETIFF failed", e);
		}
	}
	int hdrlen = TAP_VNET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrlen) < 0) {
		int e = errno;
		close(fd);
		return tap_fail(err, errlen, name, "cannot set the 12-byte virtio-net header", e);
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->fd = fd;
	t->offloads = tap_probe_offloads(fd, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
						     TUN_F_TSO_ECN | TUN_F_UFO | TUN_F_USO4 |
						     TUN_F_USO6);
	return 0;
}

void tap_close(struct tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/*
 * The kernel (tun.c, set_offload) refuses any flag it does not know with
 * EINVAL and treats TSO/UFO/USO without CSUM as meaningless, so each flag
 * is tried on top of those already accepted, CSUM first. The order below
 * is that dependency order.
 */
unsigned tap_probe_offloads(int fd, unsigned want)
{
	static const unsigned order[] = {TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN,
					 TUN_F_UFO,  TUN_F_USO4, TUN_F_USO6};
	unsigned ok = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		unsigned f = order[i];
		if (!(want & f))
			continue;
		if (f != TUN_F_CSUM && !(ok & TUN_F_CSUM))
			continue;
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(ok | f)) == 0)
			ok |= f;
	}
	(void)ioctl(fd, TUNSETOFFLOAD, 0ul);
	return ok;
}

int tap_set_offloads(const struct tap *t, unsigned flags)
{
	if (flags & ~t->offloads) {
		errno = EINVAL;
		return -1;
	}
	return ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)flags);
}
