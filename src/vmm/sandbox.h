/*
 * sandbox: what a `vmm run` process gives up once its VM is built.
 *
 * Owns: the system-call policy (kept as reviewed data: sandbox_policy[] and
 * sandbox_ioctls[], each entry with the reason it is allowed), dropping fds
 * the run loop does not use, no_new_privs and non-dumpable, loading the
 * seccomp filter for every thread at once, the gate that holds the vCPU
 * threads until the filter is in place, the SIGSYS report of a forbidden
 * call (status VMM_EXIT_SANDBOX), and the --test-forbidden-syscall hook.
 *
 * Order in `vmm run` (machine.c): all set-up, then the vCPU threads are
 * created and each calls sandbox_hold() first; the main thread calls
 * sandbox_enter() (one filter, synchronised to every thread), then
 * sandbox_release() lets the vCPUs run. No thread of the process ever runs
 * guest code unfiltered, and thread creation need not be allowed.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

struct kvm_vm;

/* Thread roles, for the report and for the table below. */
enum {
	SANDBOX_MAIN = 1u << 0, /* terminal, signals, liveness check, shutdown */
	SANDBOX_VCPU = 1u << 1, /* KVM_RUN and the device models behind exits */
	SANDBOX_BLK = 1u << 2,  /* a virtio-blk worker: one disk's I/O (blk.h) */
	SANDBOX_RNG = 1u << 3,  /* the virtio-rng worker (rng.h) */
	SANDBOX_NET = 1u << 4,  /* a virtio-net worker: its TAP (net.h) */
	SANDBOX_VSOCK = 1u << 5, /* the virtio-vsock worker: its Unix sockets (vsock.h) */
	SANDBOX_CONSOLE = 1u << 6, /* the virtio-console worker: its ports' sockets (virtio_console.h) */
};

/* How a rule constrains the arguments. */
enum sandbox_args {
	SANDBOX_ARGS_ANY,      /* no constraint: see the justification */
	SANDBOX_ARGS_IOCTL,    /* fd and request from sandbox_ioctls[] */
	SANDBOX_ARGS_READ_FD,  /* fd in sandbox_opts.read_fds, or stdin */
	SANDBOX_ARGS_WRITE_FD, /* fd in sandbox_opts.write_fds, stdout or stderr */
	SANDBOX_ARGS_FUTEX,    /* wait and wake operations only */
	SANDBOX_ARGS_TGKILL,   /* this process, SIGUSR1 (kick) or SIGABRT (abort) */
	SANDBOX_ARGS_EVENTFD,  /* flags exactly EFD_CLOEXEC | EFD_NONBLOCK */
	SANDBOX_ARGS_MMAP,     /* private anonymous, never executable */
	SANDBOX_ARGS_MADVISE,  /* MADV_DONTNEED only */
	SANDBOX_ARGS_DISK_FD,  /* fd in sandbox_opts.disk_fds (disk images) */
	SANDBOX_ARGS_PUNCH,    /* a disk image fd, mode PUNCH_HOLE | KEEP_SIZE */
	SANDBOX_ARGS_TAP_FD,   /* fd in sandbox_opts.tap_fds */
	SANDBOX_ARGS_UNIX_SOCKET, /* AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 */
	SANDBOX_ARGS_ACCEPT,   /* fd in sandbox_opts.listen_fds, NONBLOCK | CLOEXEC */
	SANDBOX_ARGS_EPOLL_FD, /* fd in sandbox_opts.epoll_fds */
	SANDBOX_ARGS_SEND,     /* flags exactly MSG_NOSIGNAL | MSG_DONTWAIT */
	SANDBOX_ARGS_RECV,     /* flags MSG_DONTWAIT, with or without MSG_PEEK */
	SANDBOX_ARGS_SHUT_WR,  /* how == SHUT_WR */
	SANDBOX_ARGS_VFIO_FD,  /* fd in sandbox_opts.vfio_fds (passed-through functions) */
	SANDBOX_ARGS_PREAD_FD, /* fd in sandbox_opts.vfio_fds or stats_fds */
};

struct sandbox_rule {
	const char *name; /* as libseccomp names it */
	enum sandbox_args args;
	unsigned roles; /* who makes it (SANDBOX_MAIN, SANDBOX_VCPU) */
	const char *why;
};
extern const struct sandbox_rule sandbox_policy[];
extern const size_t sandbox_npolicy;

/* Which descriptor an allowed ioctl request is made on. */
enum sandbox_fd {
	SANDBOX_FD_KVM,
	SANDBOX_FD_VM,
	SANDBOX_FD_VCPU,
	SANDBOX_FD_TTY,
	SANDBOX_FD_TAP,
	SANDBOX_FD_VFIO,    /* a passed-through function's VFIO device fd */
	SANDBOX_FD_VM_VFIO, /* the VM fd, only when a function is passed through */
};

struct sandbox_ioctl {
	enum sandbox_fd fd;
	unsigned long request;
	const char *name;
	const char *why;
};
extern const struct sandbox_ioctl sandbox_ioctls[];
extern const size_t sandbox_nioctls;

#define SANDBOX_MAX_FDS 8
#define SANDBOX_MAX_DEV_FDS 64 /* virtio devices' eventfds */
#define SANDBOX_MAX_DISKS 8
#define SANDBOX_MAX_NET 4 /* TAPs; listening sockets and epoll sets of vsock, console */
#define SANDBOX_MAX_KEEP_FDS 8 /* kept open, no rule of their own (keep_fds) */
#define SANDBOX_MAX_STATS 64   /* one per vCPU (KVM_MAX_VCPUS) */
#define SANDBOX_MAX_VFIO 16 /* VFIO device fds; container and group fds kept */

/* What the run loop keeps. Every other fd above stderr is closed. */
struct sandbox_opts {
	bool enabled;             /* false: --no-sandbox (the test hook still runs) */
	const struct kvm_vm *kvm; /* /dev/kvm, VM and vCPU fds: the ioctl rules; or NULL */
	int read_fds[SANDBOX_MAX_FDS];  /* read(2) allowed, besides stdin */
	unsigned nread;
	int write_fds[SANDBOX_MAX_FDS]; /* write(2) allowed, besides stdout and stderr */
	unsigned nwrite;
	/* Device threads' eventfds (queue kicks, interrupts, control): read
	 * and write allowed, like read_fds/write_fds. */
	int dev_fds[SANDBOX_MAX_DEV_FDS];
	unsigned ndev;
	int disk_fds[SANDBOX_MAX_DISKS]; /* disk images: preadv, pwritev, ... */
	unsigned ndisk;
	int tap_fds[SANDBOX_MAX_NET]; /* virtio-net TAPs: readv, writev, TUNSETOFFLOAD */
	unsigned ntap;
	int listen_fds[SANDBOX_MAX_NET]; /* virtio-vsock's listening sockets: accept4 */
	unsigned nlisten;
	int epoll_fds[SANDBOX_MAX_NET]; /* virtio-vsock's and virtio-console's epoll sets */
	unsigned nepoll;
	/* Kept open for calls whose rules name no fd (sendto, recvfrom): the
	 * virtio console's port sockets, made before the sandbox. */
	int keep_fds[SANDBOX_MAX_KEEP_FDS];
	unsigned nkeep;
	/* Passthrough (vfio.h): device fds (pread/pwrite of their regions,
	 * SET_IRQS and RESET), and the container and group fds, kept open
	 * (closing them would drop the IOMMU's mappings) with no calls. */
	int vfio_fds[SANDBOX_MAX_VFIO];
	unsigned nvfio;
	int vfio_keep_fds[SANDBOX_MAX_VFIO];
	unsigned nvfio_keep;
	/* KVM's statistics of each vCPU (kstats.h): pread by the liveness
	 * check; -1 entries where the host has none. */
	int stats_fds[SANDBOX_MAX_STATS];
	unsigned nstats;
	/* Channels (chanpci.h): the guest may move a channel's BAR2, so its
	 * memory slot moves with it (KVM_SET_USER_MEMORY_REGION, as for
	 * passthrough). */
	bool move_slots;
	int tty_fd; /* the terminal to restore (TCGETS/TCSETS), or -1 */
	const struct termios *tty_saved; /* its settings before raw mode */
	unsigned threads; /* vCPU and device threads created: each must reach the gate */
	unsigned test_forbidden_s;       /* --test-forbidden-syscall; 0 = off */
};

/* Applies the sandbox to the whole process (every thread). Returns 0, or -1
 * with a message in err; on failure nothing may run the guest. */
int sandbox_enter(const struct sandbox_opts *o, char *err, size_t errlen);

/* Called first by each vCPU thread: records its role, tells
 * sandbox_enter() it has arrived, and waits until sandbox_release(). */
void sandbox_hold(unsigned vcpu);
/* The same for a device's worker thread, named `role` in the report. */
void sandbox_hold_role(const char *role);
void sandbox_release(void);

/* Called by the main loop on each pass: the --test-forbidden-syscall hook. */
void sandbox_tick(void);

/* Builds the filter for `o` without loading it, to check the policy
 * against libseccomp (unit tests). Returns 0 or -1 with a message. */
int sandbox_check(const struct sandbox_opts *o, char *err, size_t errlen);

/* Closes every descriptor from lo to hi (inclusive), with close_range(2)
 * or one by one where the kernel lacks it (Linux < 5.9). Only
 * async-signal-safe calls: a child between fork and exec may use it. */
void sandbox_close_range(unsigned lo, unsigned hi);

#endif
