/*
 * sysdesc: the system description: which VMs a system has, what each one
 * boots with, where it runs, which devices it has, and the channels that
 * connect pairs of VMs (the CAmkES "assembly" of this product).
 *
 * Owns: the data model below, reading it from a libconfig file
 * (https://hyperrealm.github.io/libconfig/, Debian libconfig-dev) and
 * checking it. Every problem is reported as "FILE:LINE: what is wrong;
 * what to change", all of them, not only the first. See
 * examples/two-vms.cfg and docs/system.md for the format.
 */
#ifndef SYSDESC_H
#define SYSDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "vfio.h"

#define SD_NAME_MAX 32
/* The most VMs a system has: the supervisor serves this many consoles
 * (system.c), and it keeps a hostile description cheap to check (the
 * cross checks compare pairs). Each VM is in at most CHANNEL_MAX channels,
 * so a system has at most SD_MAX_VMS * CHANNEL_MAX / 2 of them. */
#define SD_MAX_VMS 64
#define SD_MAX_CHANNELS (SD_MAX_VMS * CHANNEL_MAX / 2)
#define SD_MAX_FILE (1u << 20) /* bytes of description text */
#define SD_MAX_ERRORS 200      /* problems listed before "and N more" */
/* Per-VM ranges. mem is GM_MIN_SIZE..GM_MAX_SIZE (guestmem.h). */
#define SD_MAX_CPUS 64         /* KVM_MAX_VCPUS */
#define SD_MAX_RESTARTS 100
/* Channels: the window, sizes and layout rules are channel.h's, the ones
 * `vmm run --channel` applies. */
#define SD_CHAN_DEFAULT_SIZE (64ull << 10)

enum sd_on_exit {
	SD_EXIT_STOP_ALL, /* default: when this VM ends, stop the others */
	SD_EXIT_RESTART,  /* start it again (up to `restarts` times) */
	SD_EXIT_IGNORE,   /* let the others go on */
};

/* One entry of a VM's disks: a virtio-blk disk on a raw image. */
struct sd_disk {
	char *path;    /* as written: relative paths are from the current directory */
	bool readonly;
	char *arg;     /* vmm run --disk's argument: "PATH" or "PATH,readonly" */
	unsigned line;
};

struct sd_vm {
	char name[SD_NAME_MAX]; /* [a-z0-9_-], unique */
	char *kernel;           /* required */
	char *initrd;           /* NULL when none */
	char *cmdline;          /* "" when none */
	uint64_t mem;           /* bytes; default 256M */
	unsigned cpus;          /* default 1 */
	int pin;                /* host CPU for the VM's threads, -1 when not pinned */
	bool gpio;              /* devices = ["gpio"]: without it, no GPIO */
	/* The virtio devices, each kept as the argument vmm run takes for
	 * it, so the supervisor passes them on as they were checked. */
	struct sd_disk *disks;  /* disks = ( { path; readonly; } ... ), in order */
	unsigned ndisks;        /* at most VIRTIO_BLK_MAX (vmm run --disk) */
	bool rng;               /* rng = true: --rng */
	char *net;              /* net = { tap; mac; }: --net "tap=NAME[,mac=MAC]", or NULL */
	char *vsock;            /* vsock = { cid; uds; }: --vsock "cid=N,uds=PATH", or NULL */
	/* passthrough = [ "0000:00:04.0" ]: --vfio each, canonical form; a
	 * function belongs to one VM only (checked across VMs). */
	char passthrough[VFIO_MAX_DEVS][VFIO_BDF_LEN];
	unsigned passthrough_line[VFIO_MAX_DEVS];
	unsigned npassthrough;
	enum sd_on_exit on_exit;
	unsigned restarts;      /* limit for SD_EXIT_RESTART, default 3 */
	unsigned test_forbidden_s; /* test hook: forbidden call after N s, 0 = never */
	/* Real-time (docs/realtime.md, docs/system.md "Real-time VMs"),
	 * passed on as vmm run --realtime, --pin, --rt-prio, --exits and
	 * --halt-poll. `pin` may be a list, one host CPU per vCPU: then (and
	 * for a real-time VM) the vCPU threads are pinned one each by the
	 * monitor (--pin) instead of the whole process by the supervisor. */
	int pins[SD_MAX_CPUS];  /* pin's CPUs in order; pins[0] == pin */
	unsigned npins;         /* 0 when not pinned, 1 for pin = N */
	bool pin_list;          /* pin = [ ... ]: one CPU per vCPU */
	bool realtime;          /* realtime = true */
	int rt_prio;            /* SCHED_FIFO priority 1..99, 0: vmm run's default */
	int exits;              /* exits: -1 vmm run's default, 0 "keep", 1 "disable" */
	long long halt_poll;    /* halt_poll in ns, -1: the host's default */
	unsigned line;          /* where it was declared */
};

/* A channel: a shared-memory region mapped into two VMs at the same
 * guest-physical address, and a doorbell each way: a write to this VM's
 * doorbell raises an interrupt in the peer. */
struct sd_channel {
	char name[SD_NAME_MAX];
	char a[SD_NAME_MAX], b[SD_NAME_MAX]; /* the two VMs, different */
	uint64_t gpa;                        /* page aligned, in the MMIO hole */
	uint64_t size;                       /* page aligned, default 64K; the
						doorbell page follows */
	unsigned line;
};

/* A link between VMs (docs/system.md, "Links"): a net segment, a
 * console port pair or a vsock domain. */
#define SD_MAX_LINKS 64
enum sd_link_type { SD_LINK_NET, SD_LINK_CONSOLE, SD_LINK_VSOCK };
struct sd_link {
	char name[SD_NAME_MAX];     /* unique among links; "vsock" when a vsock link has none */
	enum sd_link_type type;
	unsigned n;                 /* VMs on it: 2 or more (a console: exactly 2) */
	unsigned vm[SD_MAX_VMS];    /* indices into sd_system.vms, as between lists them */
	uint8_t mac[SD_MAX_VMS][6]; /* net: each VM's MAC on the link (given or derived) */
	unsigned line;
};

struct sd_system {
	char *file;
	char *log_dir;      /* console logs, default "logs" next to nothing: cwd-relative */
	struct sd_vm *vms;
	size_t nvms;
	struct sd_channel *chans;
	size_t nchans;
	struct sd_link *links;
	size_t nlinks;
};

/* Problems found while reading or checking: each a full line. */
struct sd_errors {
	char **msg;
	size_t n;
};

/* Reads and checks `path`. Returns 0 when the description is valid;
 * otherwise -1 with every problem in errs (the caller prints them). A
 * description with problems is not returned in *out. */
int sd_load(const char *path, struct sd_system *out, struct sd_errors *errs);
/* The same, from `len` bytes of text in memory (need not be
 * NUL-terminated); `name` stands for the file in messages. sd_load reads
 * the file and calls this; the fuzz target calls it directly. */
int sd_load_string(const char *text, size_t len, const char *name, struct sd_system *out,
		   struct sd_errors *errs);
void sd_free(struct sd_system *s);
void sd_errors_free(struct sd_errors *e);

/* A VM's MAC on a net link when the description gives none: the same for
 * the same link and VM names on every run, locally administered and
 * unicast (IEEE 802 first-octet bits 1 and 0). */
void sd_link_mac(const char *link, const char *vm, uint8_t mac[6]);
/* The link's type as the file spells it: "net", "console" or "vsock". */
const char *sd_link_type_name(enum sd_link_type t);

/* "stop-all", "restart" or "ignore": the spelling the file uses. */
const char *sd_on_exit_name(enum sd_on_exit e);

#endif
