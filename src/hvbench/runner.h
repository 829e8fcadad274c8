/* runner: how one side of a comparison runs a workload. A runner is a
 * command template (argv with placeholders) plus the rule that says which
 * exit status means success; running it produces output that holds a RESULT
 * line. Native = `bench run NAME k=v...` (or, for the real tools,
 * `sh realtool.sh NAME k=v...`); bare guest = `vmm run --kernel GUEST
 * --cmdline "run NAME k=v..."`; Linux guest = `vmm run --kernel K --initrd I
 * --cmdline "... bench=NAME bench.args=..."`, or the same guest under
 * `qemu-system-x86_64 -accel kvm ...` as a peer monitor, which also runs
 * the bare guest through its PVH entry. This file also owns
 * child processes: pinning, time limits, and stopping on SIGINT/SIGTERM. */
#ifndef HVB_RUNNER_H
#define HVB_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* Which exit status means success, per runner; this is the one place that
 * mapping lives (runner_ok_status() reads it):
 * - native programs (bench, realtool.sh): 0.
 * - the bare guest under vmm: it ends through the isa-debug-exit port, and
 *   what vmm's exit status means is src/common/vmmstatus.h's table: value
 *   v (0..63) is status (v << 1) | 1; the benchmark guest writes 0 on
 *   success, so success is status 1, read through that table and only from
 *   a monitor that exited (never one killed by a signal).
 * - a Linux guest, under vmm or under QEMU: its /init powers the machine off
 *   after printing the RESULT (or FAIL) line, and both monitors exit 0 on a
 *   guest power-off (QEMU also on a reboot, because of -no-reboot). The exit
 *   status only says the machine ended cleanly; the verdict is the line.
 * - several guests under `vmm system`: the supervisor exits 0 when every VM
 *   ended cleanly, 1 when one did not (README.md). */
#define RUNNER_NATIVE_STATUS_OK 0
#define RUNNER_GUEST_EXIT_VALUE_OK 0
#define RUNNER_VMM_STATUS_OK ((RUNNER_GUEST_EXIT_VALUE_OK << 1) | 1)
#define RUNNER_POWEROFF_STATUS_OK 0

/* The Linux guest's machine: the same for vmm and QEMU so that the two
 * monitors are compared on equal terms; one vCPU, as in the study. */
#define RUNNER_LINUX_MEM "512M"
#define RUNNER_LINUX_CPUS "1"
/* The benchmark guest's RAM under QEMU: vmm run's default --mem. */
#define RUNNER_BARE_MEM "256M"
/* The same in KiB: the Size of the guest RAM mapping in /proc/PID/smaps
 * that runner_probe_memory() looks for, under vmm (whose default --mem it
 * is) and QEMU alike. */
#define RUNNER_BARE_MEM_KIB (256 * 1024)
/* The fixed part of its kernel command line. console=ttyS0: the RESULT line
 * comes on COM1; quiet: keeps kernel messages off the line we parse;
 * panic=-1: a panic reboots at once (both monitors then exit, and the
 * missing RESULT line is the failure) instead of hanging until the limit. */
#define RUNNER_LINUX_CMDLINE "console=ttyS0 quiet panic=-1"
/* Linux's x86 COMMAND_LINE_SIZE, the terminating NUL included. */
#define RUNNER_CMDLINE_MAX 2048

/* Stopping a run (time limit, Ctrl-C): SIGTERM to its process group, and
 * SIGKILL after this grace period, long enough for `vmm system` to stop its
 * VMs in order; then at most RUNNER_REAP_MS for what SIGKILL leaves. */
#define RUNNER_STOP_GRACE_MS 2000
#define RUNNER_REAP_MS 5000

#define RUNNER_MAX_ARGS 32
#define RUNNER_OUT_MAX (8u << 20) /* output kept per run; the rest is dropped */

enum runner_exit_rule {
	RUNNER_EXIT_ZERO,       /* a native program: 0 is success */
	RUNNER_EXIT_DEBUG_PORT, /* vmm + bare guest: RUNNER_VMM_STATUS_OK */
	RUNNER_EXIT_POWEROFF,   /* vmm or QEMU + Linux guest: 0 */
	RUNNER_EXIT_SYSTEM      /* vmm system: 0, every VM ended cleanly */
};

/* Template words: "{name}" becomes the workload name, "{params}" becomes one
 * argv word per key=value parameter (and vanishes when there are none),
 * "{cmdline}" becomes the single word "run NAME k=v ...", the bare guest's
 * command line, and "{linux-cmdline}" the Linux guest's kernel command line
 * (runner_linux_cmdline). Other words are used as they are. */
struct runner {
	const char *side;    /* "native", "virt" */
	const char *kind;    /* "native", "realtool", "bare", "linux" */
	const char *monitor; /* "vmm", "qemu"; NULL for a native runner */
	const char *tmpl[RUNNER_MAX_ARGS];
	size_t ntmpl;
	enum runner_exit_rule exit_rule;
	int cpu;       /* pin to this CPU, -1: do not pin */
	int io_cpu;    /* with cpu: also allow this CPU, -1: none (the device
			* workloads: vmm --io-cpus puts its I/O threads there and
			* its vCPU on cpu) */
	int timeout_s; /* per run */
};

void runner_native(struct runner *r, const char *bench_path);
/* The native side of the real tools (sysbench, cyclictest): the converter
 * script lab/realtool.sh, which the Linux guest's /init runs too. */
void runner_realtool(struct runner *r, const char *script_path);
void runner_bare(struct runner *r, const char *vmm_path, const char *guest_path);
/* The same as a real-time VM (vmm run --realtime --pin CPU); pin is kept by
 * pointer, the caller's to keep. */
void runner_bare_realtime(struct runner *r, const char *vmm_path, const char *guest_path,
			  const char *pin);
/* The disk workloads' sides: `bench --disk IMAGE run ...`, and the bare
 * guest with one device option (`--disk IMAGE`, `--rng`; dev_arg NULL when
 * the option takes none). */
void runner_native_disk(struct runner *r, const char *bench_path, const char *image);
void runner_bare_dev(struct runner *r, const char *vmm_path, const char *guest_path,
		     const char *dev_opt, const char *dev_arg);
void runner_linux(struct runner *r, const char *vmm_path, const char *kernel,
		  const char *initrd);
/* The Linux guest under QEMU/KVM; cpu is the -cpu model (NULL: "host"). */
void runner_qemu(struct runner *r, const char *qemu_path, const char *cpu, const char *kernel,
		 const char *initrd);
/* The benchmark guest under QEMU/KVM through its PVH entry, on machine
 * `machine` with -cpu `cpu` (what qemu_probe() found), COM1 and the
 * isa-debug-exit port at 0xf4: success is RUNNER_VMM_STATUS_OK, as under
 * vmm. The strings must outlive the runner. */
void runner_qemu_bare(struct runner *r, const char *qemu_path, const char *cpu,
		      const char *machine, const char *guest_path);
/* Several benchmark guests from a system description (`vmm system CFG`),
 * which pins them itself; success is exit status 0. */
void runner_system(struct runner *r, const char *vmm_path, const char *cfg_path);

/* The exit status that means success under r's rule. */
int runner_ok_status(const struct runner *r);

/* bench.args encoding of parameters for the Linux kernel command line, which
 * is split at spaces and cannot carry quotes or control characters: the
 * parameters joined by ',', and in each every byte other than A-Z a-z 0-9
 * . _ + : / = - written as %XX (upper-case hex). lab/realtool.sh --decode
 * reverses it. Caller frees. */
char *runner_encode_args(const char *const *params, size_t nparams);
/* RUNNER_LINUX_CMDLINE " bench=NAME bench.args=ARGS" (bench.args= always
 * present, empty without parameters: it tells /init that hvbench runs it);
 * NULL when it would not fit in RUNNER_CMDLINE_MAX. Caller frees. */
char *runner_linux_cmdline(const char *name, const char *const *params, size_t nparams);

/* The template as one line of text for the record, e.g.
 * "build/bench run {name} {params}"; caller frees. */
char *runner_describe(const struct runner *r);

/* Expands the template for one run into a NULL-terminated argv of malloc'd
 * words; returns the count, or -1 when it would not fit (in argv, or a
 * kernel command line over RUNNER_CMDLINE_MAX). */
int runner_expand(const struct runner *r, const char *name, const char *const *params,
		  size_t nparams, char **argv, size_t maxargv);
void runner_free_argv(char **argv);

enum runner_outcome {
	RUN_EXITED,      /* ran to the end; see status */
	RUN_TIMEOUT,     /* killed after timeout_s */
	RUN_INTERRUPTED, /* killed because we were asked to stop */
	RUN_SPAWN_ERROR, /* could not start it */
};

struct runner_run {
	enum runner_outcome outcome;
	int status;    /* exit status when it exited; -1 when killed by a signal */
	int signalled; /* killed by signal `sig` (WIFSIGNALED) */
	int sig;
	int wstatus;   /* the wait status itself, for vmm_wait_meaning() */
	double wall_s;
	char *out;     /* stdout, NUL-terminated (may hold NULs before the end) */
	size_t out_len;
	char *err;     /* stderr, NUL-terminated */
	size_t err_len;
	/* runner_probe_memory(): the monitor's memory when the marker came. */
	int mem_sampled;         /* 1: sampled; -1: the marker came, /proc failed */
	long long mem_rss_kib;   /* VmRSS of the monitor process */
	long long mem_guest_kib; /* resident part of its guest RAM mapping */
};

/* The monitor's own memory (the monitor-memory workload): when the run's
 * stdout first holds `marker` (the guest prints it once it idles), the
 * child's VmRSS (/proc/PID/status) and the Rss of its mappings whose Size
 * is guest_kib (/proc/PID/smaps: the guest RAM, one anonymous mapping under
 * vmm and QEMU alike) are sampled into the runner_run. Applies to the next
 * runner_exec*() call only; marker NULL turns it off. The child must be
 * the monitor itself (exec'd, not a shell in front of it). */
void runner_probe_memory(const char *marker, long long guest_kib);
/* The sampling itself, for a pid: 0, or -1 (no such process, no guest RAM
 * mapping of that size). */
int runner_mem_sample(pid_t pid, long long guest_kib, long long *rss_kib, long long *guest_kib_out);

/* Runs argv (argv[0] a path or a name looked up in PATH) pinned to `cpu`
 * (-1: not pinned) with stdin from /dev/null, a time limit (0: none) and,
 * when chdir_to is not NULL, in that directory; `input` (may be NULL) is
 * written to its stdin instead. The child leads a process group of its own.
 * At the time limit or a stop request the group gets SIGTERM, then SIGKILL
 * after RUNNER_STOP_GRACE_MS, and so does every descendant it started in a
 * group of its own (a supervisor's VMs); when the child ends by itself, what
 * is left of its group is killed. Returns after all of that is gone. */
void runner_exec(char *const argv[], int cpu, int timeout_s, const char *chdir_to,
		 const char *input, struct runner_run *res);
/* The same, pinned to CPUs cpu and io_cpu (io_cpu -1: cpu alone). */
void runner_exec_on(char *const argv[], int cpu, int io_cpu, int timeout_s,
		    const char *chdir_to, const char *input, struct runner_run *res);
void runner_run_free(struct runner_run *res);
/* Stops a child started elsewhere that leads its own process group (the
 * --interference neighbour) the way runner_exec stops a run, and reaps it. */
void runner_stop(pid_t pid);

/* Judges a finished run by the runner's exit rule: NULL when it succeeded,
 * otherwise why not (static storage). */
const char *runner_judge(const struct runner *r, const struct runner_run *res);

/* Stop requests: install SIGINT/SIGTERM handlers that make runner_exec kill
 * its child and return RUN_INTERRUPTED. runner_stop_signal() is the signal
 * received, 0 if none. */
void runner_install_signals(void);
int runner_stop_signal(void);
/* After the measurements: keep the signal for the exit status, but no
 * longer kill children (the report must still be written). */
void runner_unwatch_signals(void);

/* Tail of a text for an error message: the last non-empty line, made
 * printable, at most n-1 bytes. */
void runner_last_line(const char *text, size_t len, char *dst, size_t n);

#endif
