/* run: one `hvbench run`: the workload list from `bench list`, choosing the
 * runners, the interleaved warm-up and measured repetitions with progress
 * on stderr, and the results folder at the end (also after Ctrl-C). */
#ifndef HVB_RUN_H
#define HVB_RUN_H

#include <stddef.h>

/* --vmm given several times: the first monitor is `monitor`/`vmm` below,
 * each further one a run_monitor; all their runs interleave with the
 * native ones (N, V1, V2, ...), each monitor's results in a document of
 * its own (results.json for the first, DIR/NAME/results.json for the
 * others) and one table with a column per monitor (multi.h). */
#define RUN_MAX_MONITORS 4

struct run_monitor {
	const char *monitor; /* "vmm" or "qemu" */
	const char *path;    /* its program */
};

struct run_opts {
	const char *bench_list; /* --bench, comma separated; NULL: all */
	int reps;
	int native_only;
	const char *guest;   /* "bare", "linux" */
	const char *monitor; /* "vmm" or "qemu" (the peer; --guest linux only) */
	const char *vmm;     /* the monitor's path: vmm, or qemu-system-x86_64 */
	const char *kernel;  /* --guest linux: its kernel and initramfs */
	const char *initrd;
	int force;           /* --force: boot a Linux guest on a software KVM */
	int realtime;        /* --realtime: the measured VM is a real-time VM */
	int interference;    /* --interference: also measure beside a neighbour VM */
	unsigned nb_kinds;   /* --interference=LIST: HVB_NB_* bits (neighbour.h) */
	int io_apart;        /* --io-apart: device I/O threads off the vCPU's CPU */
	const char *size;  /* "small", "large" or NULL */
	const char *out_dir;
	const char *json_path;
	const char *csv_path;
	int cpu; /* -1: choose */
	int timeout_s;
	const char *bench_path;  /* native runner program */
	const char *guest_image; /* bare guest ELF */
	const char *realtool;    /* lab/realtool.sh: native side of the real tools */
	/* --ab OLD NEW: vmm is OLD; NEW's runs follow each OLD run and end
	 * in compare's verdicts (compare.h) at ab_threshold percent. */
	const char *ab_old, *ab_new;
	double ab_threshold;
	struct run_monitor more[RUN_MAX_MONITORS - 1]; /* --vmm given again */
	size_t nmore;
};

struct workload {
	char name[64];
	char group[32];
	char desc[256];
	int guest_only; /* no native counterpart: measured in the guest alone */
	int realtool;   /* a real tool: natively run by the realtool runner */
};

/* Appends the guest-only workloads (the benchmark guest's irq-latency
 * pair: the host has no loopback GPIO to compare with) to a list. */
void run_add_guest_only(struct workload **w, size_t *n);

/* Appends the real tools (Debian sysbench's four tests and cyclictest),
 * measured on both sides through lab/realtool.sh: natively on the host,
 * and by the Linux guest's /init. Only a Linux guest has them. */
void run_add_realtools(struct workload **w, size_t *n);

/* Why a Linux guest must not be booted on a KVM of this kind ("hardware",
 * "software", "none"; kvm names it), or NULL when it may. Static text. */
const char *run_linux_refusal(const char *kind, const char *kvm);

/* Runs `bench list` and parses its lines. Returns 0, or -1 with err set. */
int run_list_workloads(const char *bench_path, struct workload **out, size_t *n, char *err,
		       size_t errlen);

/* The parameters `--size` adds for a workload, NULL-terminated (static);
 * size NULL means none. */
const char *const *run_size_params(const char *workload, const char *size);

/* Runs everything; returns the process exit status (0 ok, 1 a failure,
 * 2 a usage error found late, 128+signal when stopped). */
int run_main(const struct run_opts *o);

#endif
