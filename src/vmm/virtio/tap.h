/*
 * tap: the host end of virtio-net, a Linux TAP device opened by name.
 *
 * Owns: opening /dev/net/tun and attaching to an existing TAP interface
 * with a virtio-net header on every frame (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, header size 12: struct virtio_net_hdr_v1, virtio 1.2
 * section 5.1.6), the probe of which offloads the TAP accepts
 * (TUNSETOFFLOAD, one flag at a time), and setting the offloads the guest
 * negotiated. Errors name the option (`--net tap=NAME`) and say what is
 * wrong, so `vmm run` can stop at start-up with VMM_EXIT_CONFIG.
 *
 * The TAP must already exist (`ip tuntap add NAME mode tap`): vmm never
 * creates interfaces, so a typo is an error rather than a new, unconnected
 * device that vanishes when the VM ends.
 */
#ifndef TAP_H
#define TAP_H

#include <net/if.h>
#include <stddef.h>

/* The header that precedes every frame on the TAP fd: virtio_net_hdr_v1
 * (10 bytes of the legacy header plus num_buffers), the layout every
 * VIRTIO_F_VERSION_1 device uses whether or not MRG_RXBUF is negotiated
 * (virtio 1.2, 5.1.6). */
#define TAP_VNET_HDR_LEN 12

/* TUNSETOFFLOAD flags (linux/if_tun.h). USO arrived in Linux 6.2; older
 * headers lack them, and an older kernel refuses them, which the probe
 * sees. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

struct tap {
	int fd;                 /* non-blocking, close-on-exec */
	char name[IFNAMSIZ];
	unsigned offloads;      /* TUN_F_* flags the TAP accepted in the probe */
};

/* Opens the TAP `name`. Returns 0, or -1 with a message in err naming
 * `--net tap=NAME` and the cause: no /dev/net/tun, no permission, no such
 * interface, not a TAP, in use by another process. */
int tap_open(struct tap *t, const char *name, char *err, size_t errlen);
void tap_close(struct tap *t);

/* Which of the TUN_F_* flags in `want` the TAP on fd accepts, tried one at
 * a time in dependency order (TSO and UFO need CSUM). Leaves the TAP with
 * no offloads set. */
unsigned tap_probe_offloads(int fd, unsigned want);

/* Tells the TAP which offloads the guest accepts, so the kernel hands it
 * only frames it can take (partial checksums, GSO). `flags` must be a
 * subset of t->offloads. Returns 0 or -1 with errno. */
int tap_set_offloads(const struct tap *t, unsigned flags);

#endif
