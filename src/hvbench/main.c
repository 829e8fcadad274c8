/* main: the command line of hvbench: `run`, `list`, `report DIR`, --help
 * and --version. It only parses and checks options (a bad one is a clear
 * message and exit status 2) and hands over to run.c or report.c. */
#include "hvbench.h"
#include "compare.h"
#include "escape.h"
#include "report.h"
#include "neighbour.h"
#include "run.h"
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: hvbench run [options]     measure every workload natively and in a guest\n"
	"       hvbench list              show the workloads and the runners\n"
	"       hvbench report DIR        re-render DIR/report.md, results.csv and charts\n"
	"                                 from DIR/results.json\n"
	"       hvbench compare [options] A B\n"
	"                                 A against B (results folders or results.json\n"
	"                                 files): per workload both medians, the change\n"
	"                                 with a 95% CI, and a verdict\n"
	"       hvbench --help | --version\n"
	"\n"
	"run options:\n"
	"  --bench LIST       comma-separated workloads or groups (synthetic, mibench,\n"
	"                     latency, disk, monitor); default: all that `bench list`\n"
	"                     shows and, with a guest, the guest-only ones\n"
	"  --reps N           measured repetitions per side (default 10), after one\n"
	"                     discarded warm-up run per side\n"
	"  --native-only      do not run the virtualised side\n"
	"  --guest bare|linux the guest that runs the workloads: bare, our benchmark\n"
	"                     guest (default), or linux, a Linux guest booted from\n"
	"                     --kernel and --initrd; linux adds the real tools\n"
	"                     (sysbench-cpu, -memory, -threads, -mutex, cyclictest)\n"
	"  --kernel FILE      the Linux guest's kernel (bzImage)\n"
	"  --initrd FILE      its initramfs (its /init runs bench=NAME, prints the\n"
	"                     RESULT line and powers off; see docs/hvbench.md)\n"
	"  --vmm PATH|qemu    the monitor (default: vmm beside hvbench); qemu runs the\n"
	"                     guest under QEMU/KVM instead, as a peer (the bare guest\n"
	"                     through its PVH entry; the -cpu model and machine are\n"
	"                     probed once and recorded in results.json); given again\n"
	"                     (--vmm build/vmm --vmm qemu), every monitor's runs are\n"
	"                     interleaved with the native ones and the table has a\n"
	"                     column per monitor (bare guest only)\n"
	"  --force            boot a Linux guest even on a software KVM (PVM), where\n"
	"                     its kernel code is emulated and a boot takes hours\n"
	"  --realtime         run the measured VM as a real-time VM (vmm run --realtime\n"
	"                     --pin CPU): bare guest under vmm only\n"
	"  --io-apart         device workloads: the guest's I/O threads on another CPU\n"
	"                     than its vCPU (vmm --io-cpus); by default they share it,\n"
	"                     which measured faster for large requests on 2 CPUs\n"
	"  --interference[=LIST]\n"
	"                     measure the virtualised side twice: alone and beside\n"
	"                     neighbours (the study's future work: several VMs at\n"
	"                     once); bare guest only. LIST, comma separated:\n"
	"                     memory (the default: a VM streaming through 64 MiB),\n"
	"                     llc (a VM streaming through twice the last-level\n"
	"                     cache), io (a VM doing port I/O in a loop), host (a\n"
	"                     host process on the measured CPU's SMT sibling)\n"
	"  --size small|large workload size preset (default: the workloads' defaults);\n"
	"                     tiny: the least that checks a result (a lab under TCG)\n"
	"  --out DIR          results folder (default results/YYYYmmdd-HHMMSS, UTC)\n"
	"  --json FILE        also write results.json to FILE\n"
	"  --csv FILE         also write results.csv to FILE\n"
	"  --cpu N            pin every run to CPU N (default: the highest allowed CPU)\n"
	"  --timeout SECONDS  time limit per run (default 300)\n"
	"  --ab OLD_VMM NEW_VMM\n"
	"                     A/B: two builds of vmm, their runs interleaved with the\n"
	"                     native ones (N, OLD, NEW, N, OLD, NEW ...); ends with\n"
	"                     compare's verdict table (OLD's results in DIR, NEW's in\n"
	"                     DIR/new, the verdicts in DIR/compare.md and .json); a\n"
	"                     workload slower beyond --threshold exits 1, as a failure\n"
	"  --threshold PCT    with --ab: slower/faster only beyond PCT percent\n"
	"\n"
	"environment: HVBENCH_BENCH (native workload runner, default bench beside\n"
	"hvbench), HVBENCH_VMM (default monitor), HVBENCH_GUEST_IMAGE (bare guest,\n"
	"default guest/benchguest.elf beside hvbench), HVBENCH_QEMU (QEMU for --vmm\n"
	"qemu, default qemu-system-x86_64 in PATH), HVBENCH_REALTOOL (the real tools'\n"
	"converter, default ../lab/realtool.sh from hvbench's folder), HVBENCH_GNUPLOT\n"
	"(gnuplot to use, \"none\" for no charts).\n"
	"exit status: 0 all measured, 1 a workload failed or an output could not be\n"
	"written, 2 usage error, 130/143 stopped by SIGINT/SIGTERM (results kept).\n"
	"\n"
	"compare options:\n"
	"  --threshold PCT    slower/faster only beyond PCT percent (default 0)\n"
	"  --side native|virt the column compared (default: virt when both ran one)\n"
	"  --force            compare documents from different hosts or KVM kinds\n"
	"  --md FILE          also write the comparison as Markdown\n"
	"  --json FILE        also write it as JSON\n"
	"compare exit status: 0 nothing slower, 1 a workload slower beyond the\n"
	"threshold, 2 usage error, unreadable input, or inputs refused.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	char msg[8192];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	esc_println(stderr, "hvbench: %s", msg);
	fputs("(see hvbench --help)\n", stderr);
	return 2;
}

/* Path of a file beside our own executable, so `build/hvbench` finds
 * `build/bench` from any working directory. */
static char *beside_self(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct hvb_buf b = {0};
	char *slash;

	if (n <= 0) {
		hvb_buf_printf(&b, "build/%s", name);
		return hvb_buf_take(&b);
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	hvb_buf_printf(&b, "%s/%s", self, name);
	return hvb_buf_take(&b);
}

static char *env_or_beside(const char *env, const char *name)
{
	const char *v = getenv(env);

	return v && *v ? hvb_xstrdup(v) : beside_self(name);
}

/* Strict decimal integer in [min, max]. */
static int parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

enum { OPT_NATIVE_ONLY = 256, OPT_IO_APART, OPT_TIMEOUT, OPT_KERNEL, OPT_INITRD, OPT_FORCE, OPT_INTERFERENCE,
       OPT_REALTIME, OPT_AB, OPT_THRESHOLD };

/* QEMU for --vmm qemu: HVBENCH_QEMU, else qemu-system-x86_64 found in PATH
 * (the bare name when it is not there, so the message can name it). */
static char *find_qemu(void)
{
	const char *env = getenv("HVBENCH_QEMU"), *path = getenv("PATH");
	char *dirs, *save = NULL;

	if (env && *env)
		return hvb_xstrdup(env);
	dirs = hvb_xstrdup(path && *path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct hvb_buf b = {0};

		hvb_buf_printf(&b, "%s/qemu-system-x86_64", *d ? d : ".");
		if (!access(b.p, X_OK)) {
			free(dirs);
			return hvb_buf_take(&b);
		}
		free(hvb_buf_take(&b));
	}
	free(dirs);
	return hvb_xstrdup("qemu-system-x86_64");
}

/* The option that cannot go with a run comparing monitors or builds on
 * the bare guest alone (--ab, several --vmm), or NULL. */
static const char *bare_guest_clash(const struct run_opts *o)
{
	return strcmp(o->guest, "bare") ? "--guest linux"
	       : o->realtime ? "--realtime" : o->interference ? "--interference"
	       : o->native_only ? "--native-only" : NULL;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bench", required_argument, NULL, 'b'},
		{"reps", required_argument, NULL, 'n'},
		{"native-only", no_argument, NULL, OPT_NATIVE_ONLY},
		{"guest", required_argument, NULL, 'g'},
		{"vmm", required_argument, NULL, 'm'},
		{"size", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},
		{"json", required_argument, NULL, 'j'},
		{"csv", required_argument, NULL, 'c'},
		{"cpu", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"kernel", required_argument, NULL, OPT_KERNEL},
		{"initrd", required_argument, NULL, OPT_INITRD},
		{"force", no_argument, NULL, OPT_FORCE},
		{"interference", optional_argument, NULL, OPT_INTERFERENCE},
		{"io-apart", no_argument, NULL, OPT_IO_APART},
		{"realtime", no_argument, NULL, OPT_REALTIME},
		{"ab", required_argument, NULL, OPT_AB},
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run_opts o = {.reps = 10, .guest = "bare", .monitor = "vmm", .cpu = -1,
			     .timeout_s = 300};
	char *bench, *vmm = NULL, *image, *realtool;
	int c, rc, want_qemu = 0, gave_vmm = 0, gave_threshold = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.bench_list = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 1, 100000, &o.reps))
				return usage_error("--reps '%s': expected a whole number from 1 "
						   "to 100000", optarg);
			break;
		case OPT_NATIVE_ONLY:
			o.native_only = 1;
			break;
		case OPT_REALTIME:
			o.realtime = 1;
			break;
		case OPT_INTERFERENCE: {
			char why[256];
			if (nb_parse(optarg, &o.nb_kinds, why, sizeof(why)))
				return usage_error("%s", why);
			o.interference = 1;
			break;
		}
		case OPT_IO_APART:
			o.io_apart = 1;
			break;
		case OPT_AB:
			/* Two values: OLD is optarg, NEW the next word. */
			if (optind >= argc || !*argv[optind] || argv[optind][0] == '-' || !*optarg) {
				free(vmm);
				return usage_error("--ab OLD_VMM NEW_VMM: expected the paths of two "
						   "monitors");
			}
			o.ab_old = optarg;
			o.ab_new = argv[optind++];
			break;
		case OPT_THRESHOLD: {
			char *end;

			o.ab_threshold = strtod(optarg, &end);
			if (end == optarg || *end || !(o.ab_threshold >= 0 && o.ab_threshold <= 1000)) {
				free(vmm);
				return usage_error("--threshold '%s': expected a percentage from 0 "
						   "to 1000", optarg);
			}
			gave_threshold = 1;
			break;
		}
		case 'g':
			if (strcmp(optarg, "bare") && strcmp(optarg, "linux"))
				return usage_error("--guest '%s': expected bare or linux", optarg);
			o.guest = optarg;
			break;
		case 'm':
			if (!*optarg)
				return usage_error("--vmm: expected the path of the monitor, or qemu");
			if (gave_vmm) { /* a further monitor, interleaved with the first */
				if (o.nmore >= RUN_MAX_MONITORS - 1) {
					free(vmm);
					return usage_error("--vmm: at most %d monitors in one run",
							   RUN_MAX_MONITORS);
				}
				o.more[o.nmore].monitor = strcmp(optarg, "qemu") ? "vmm" : "qemu";
				o.more[o.nmore++].path = optarg; /* qemu: found below */
				break;
			}
			want_qemu = !strcmp(optarg, "qemu");
			gave_vmm = 1;
			free(vmm);
			vmm = want_qemu ? NULL : hvb_xstrdup(optarg);
			break;
		case OPT_KERNEL:
			o.kernel = optarg;
			break;
		case OPT_INITRD:
			o.initrd = optarg;
			break;
		case OPT_FORCE:
			o.force = 1;
			break;
		case 's':
			if (strcmp(optarg, "small") && strcmp(optarg, "large") &&
			    strcmp(optarg, "tiny"))
				return usage_error("--size '%s': expected small, large or tiny",
						   optarg);
			o.size = optarg;
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case 'j':
			o.json_path = optarg;
			break;
		case 'c':
			o.csv_path = optarg;
			break;
		case 'p':
			if (parse_int(optarg, 0, CPU_SETSIZE - 1, &o.cpu))
				return usage_error("--cpu '%s': expected a CPU number (0, 1, ...)",
						   optarg);
			break;
		case OPT_TIMEOUT:
			if (parse_int(optarg, 1, 7 * 24 * 3600, &o.timeout_s))
				return usage_error("--timeout '%s': expected seconds, at least 1",
						   optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			return usage_error("run: option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("run: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("run: unexpected argument '%s'", argv[optind]);
	if (o.out_dir && !*o.out_dir)
		return usage_error("--out: expected a folder");
	if (gave_threshold && !o.ab_new) {
		free(vmm);
		return usage_error("--threshold is for --ab (and compare)");
	}
	if (o.ab_new) {
		/* Both sides are builds of vmm running the bare guest, the only
		 * difference between them the build. */
		const char *clash = gave_vmm ? "--vmm" : bare_guest_clash(&o);
		if (clash) {
			free(vmm);
			return usage_error("--ab compares two builds of vmm with the bare guest; it "
					   "cannot go with %s", clash);
		}
		vmm = hvb_xstrdup(o.ab_old);
	}
	if (!strcmp(o.guest, "linux")) {
		if (o.realtime) {
			free(vmm);
			return usage_error("--realtime: for --guest bare only");
		}
		if (o.interference) {
			free(vmm);
			return usage_error("--interference: the neighbour is a benchmark guest; "
					   "it is for --guest bare only");
		}
		if (!o.kernel || !o.initrd) {
			free(vmm);
			return usage_error("--guest linux: needs --kernel FILE and --initrd FILE "
					   "(for example lab/cache/kernel/vmlinuz and "
					   "build/lab/inner.cpio.gz, from make build/lab/ready)");
		}
		if (access(o.kernel, R_OK) || access(o.initrd, R_OK)) {
			const char *bad = access(o.kernel, R_OK) ? o.kernel : o.initrd;

			free(vmm);
			return usage_error("--%s %s: %s", bad == o.kernel ? "kernel" : "initrd",
					   bad, strerror(errno));
		}
	} else {
		if (o.interference && o.native_only) {
			free(vmm);
			return usage_error("--interference measures the virtualised side; it "
					   "cannot go with --native-only");
		}
#if defined(__aarch64__)
		/* The QEMU peer's command lines are the PC's (qemu-system-x86_64,
		 * the isa-debug-exit port, the guest's PVH entry): none of it
		 * fits the arm64 guest yet. */
		if (want_qemu) {
			free(vmm);
			return usage_error("--vmm qemu: the QEMU peer runs the x86 guest only "
					   "(qemu-system-x86_64, PVH entry); on arm64 use vmm");
		}
#endif
		if (want_qemu && o.realtime)
			return usage_error("--realtime is vmm's real-time VM; it cannot go with "
					   "--vmm qemu");
		if (want_qemu && o.interference)
			return usage_error("--interference: the neighbour VM runs under vmm; it "
					   "cannot go with --vmm qemu");
		if (o.kernel || o.initrd) {
			free(vmm);
			return usage_error("--%s is for --guest linux; the bare guest is "
					   "HVBENCH_GUEST_IMAGE", o.kernel ? "kernel" : "initrd");
		}
	}
	if (o.nmore) {
		/* Several monitors run the same bare guest side by side. */
		const char *clash = bare_guest_clash(&o);
		if (clash) {
			free(vmm);
			return usage_error("--vmm given more than once runs several monitors with the "
					   "bare guest; it cannot go with %s", clash);
		}
	}
	char *more_qemu = NULL;
	for (size_t k = 0; k < o.nmore; k++)
		if (!strcmp(o.more[k].monitor, "qemu")) {
			if (!more_qemu)
				more_qemu = find_qemu();
			o.more[k].path = more_qemu;
		}
	bench = env_or_beside("HVBENCH_BENCH", "bench");
	if (want_qemu) {
		vmm = find_qemu();
		o.monitor = "qemu";
	} else if (!vmm) {
		vmm = env_or_beside("HVBENCH_VMM", "vmm");
	}
	image = env_or_beside("HVBENCH_GUEST_IMAGE", "guest/benchguest.elf");
	realtool = env_or_beside("HVBENCH_REALTOOL", "../lab/realtool.sh");
	o.bench_path = bench;
	o.vmm = vmm;
	o.guest_image = image;
	o.realtool = realtool;
	rc = run_main(&o);
	free(more_qemu);
	free(bench);
	free(vmm);
	free(image);
	free(realtool);
	return rc;
}

static int cmd_list(void)
{
	char *bench = env_or_beside("HVBENCH_BENCH", "bench");
	char *vmm = env_or_beside("HVBENCH_VMM", "vmm");
	char *image = env_or_beside("HVBENCH_GUEST_IMAGE", "guest/benchguest.elf");
	char *qemu = find_qemu();
	char *realtool = env_or_beside("HVBENCH_REALTOOL", "../lab/realtool.sh");
	struct runner native, tool, virt, lin, peer;
	struct workload *w, *tools = NULL;
	size_t nw, ntools = 0;
	char err[4600], *d;
	int rc = 0;

	if (run_list_workloads(bench, &w, &nw, err, sizeof(err))) {
		esc_println(stderr, "hvbench: %s", err);
		rc = 1;
	} else {
		esc_println(stdout, "workloads (from %s):", bench);
		for (size_t i = 0; i < nw; i++)
			esc_println(stdout, "  %-16s %-10s %s", w[i].name, w[i].group, w[i].desc);
		free(w);
	}
	run_add_realtools(&tools, &ntools);
	esc_println(stdout, "with --guest linux also (natively through %s):", realtool);
	for (size_t i = 0; i < ntools; i++)
		esc_println(stdout, "  %-16s %-10s %s", tools[i].name, tools[i].group, tools[i].desc);
	free(tools);
	runner_native(&native, bench);
	runner_realtool(&tool, realtool);
	runner_bare(&virt, vmm, image);
	runner_linux(&lin, vmm, "KERNEL", "INITRD");
	runner_qemu(&peer, qemu, NULL, "KERNEL", "INITRD");
	esc_println(stdout, "runners:");
	d = runner_describe(&native);
	esc_println(stdout, "  native        %s", d);
	free(d);
	d = runner_describe(&tool);
	esc_println(stdout, "  native (real) %s%s", d,
		    access(realtool, R_OK) ? "  [converter not found]" : "");
	free(d);
	d = runner_describe(&virt);
	esc_println(stdout, "  virt (bare)   %s%s", d,
		    access(image, R_OK) ? "  [guest not built yet: runs are native only]"
		    : access(vmm, X_OK) ? "  [monitor not built: runs are native only]" : "");
	free(d);
	d = runner_describe(&lin);
	esc_println(stdout, "  virt (linux)  %s%s", d,
		    access(vmm, X_OK) ? "  [monitor not built: runs are native only]" : "");
	free(d);
	d = runner_describe(&peer);
	esc_println(stdout, "  peer (qemu)   %s%s", d,
		    access(qemu, X_OK) ? "  [QEMU not installed: runs are native only]" : "");
	free(d);
	free(bench);
	free(vmm);
	free(image);
	free(qemu);
	free(realtool);
	return rc;
}

/* The largest results.json `hvbench report` reads: far above any run's
 * (a few hundred KiB for 100000 repetitions of every workload). */
#define RESULTS_JSON_MAX (64u << 20)

/* Reads a results.json that may come from someone else: a regular file of
 * at most RESULTS_JSON_MAX bytes, never a FIFO or a device that would block
 * or never end (O_NONBLOCK for the open, then fstat). */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	struct hvb_buf b = {0};
	char tmp[65536];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (off_t)RESULTS_JSON_MAX) {
		int e = errno;

		snprintf(err, errlen, "cannot read %s: %s", path,
			 fstat(fd, &st)		? strerror(e)
			 : !S_ISREG(st.st_mode) ? "not a regular file"
						: "larger than 64 MiB");
		close(fd);
		return NULL;
	}
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || b.len + (size_t)n > RESULTS_JSON_MAX) {
			snprintf(err, errlen, "cannot read %s: %s", path,
				 n < 0 ? strerror(errno) : "larger than 64 MiB");
			close(fd);
			free(b.p);
			return NULL;
		}
		hvb_buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	*len = b.len;
	return hvb_buf_take(&b);
}

static int cmd_report(int argc, char **argv)
{
	char path[4200], err[4600], *text, *table;
	struct hvb_doc d;
	const char *gp;
	size_t len = 0;

	if (argc != 2 || !argv[1][0] || argv[1][0] == '-')
		return usage_error("report: expected one folder that holds results.json");
	snprintf(path, sizeof(path), "%s/results.json", argv[1]);
	text = slurp(path, &len, err, sizeof(err));
	if (!text) {
		esc_println(stderr, "hvbench: %s", err);
		return 1;
	}
	if (hvb_doc_from_json(text, len, &d, err, sizeof(err))) {
		/* The value in err is the file's own: esc_println shows it
		 * escaped. Nothing of the file is rendered or run. */
		esc_println(stderr, "hvbench: %s: %s", path, err);
		esc_println(stderr, "hvbench: refused: nothing was rendered. hvbench does not write "
				    "such a results.json; it was edited or made elsewhere. Fix or "
				    "remove that field, or measure again with `hvbench run`");
		free(text);
		return 1;
	}
	free(text);
	table = report_table(&d);
	fputs(table, stdout);
	free(table);
	gp = report_find_gnuplot();
	if (report_write_dir(&d, argv[1], 0, gp, err, sizeof(err))) {
		esc_println(stderr, "hvbench: %s", err);
		hvb_doc_free(&d);
		return 1;
	}
	if (!gp)
		esc_println(stderr, "hvbench: gnuplot is not installed: charts skipped");
	hvb_doc_free(&d);
	return 0;
}

/* One side of `hvbench compare`: a results folder or a results.json file. */
static int load_doc(const char *arg, struct hvb_doc *d)
{
	char path[4200], err[4600], *text;
	struct stat st;
	size_t len = 0;

	if (!stat(arg, &st) && S_ISDIR(st.st_mode))
		snprintf(path, sizeof(path), "%s/results.json", arg);
	else
		snprintf(path, sizeof(path), "%s", arg);
	text = slurp(path, &len, err, sizeof(err));
	if (!text) {
		esc_println(stderr, "hvbench: compare: %s", err);
		return -1;
	}
	if (hvb_doc_from_json(text, len, d, err, sizeof(err))) {
		esc_println(stderr, "hvbench: compare: %s: %s", path, err);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{"threshold", required_argument, NULL, 't'},
		{"side", required_argument, NULL, 's'},
		{"force", no_argument, NULL, 'f'},
		{"md", required_argument, NULL, 'm'},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum compare_side side = CMP_SIDE_AUTO;
	const char *md_path = NULL, *json_path = NULL;
	double threshold = 0;
	int c, force = 0, rc;
	struct hvb_doc a, b;
	struct compare cmp;
	char err[4600], *text;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 't':
			threshold = strtod(optarg, &end);
			if (end == optarg || *end || !(threshold >= 0 && threshold <= 1000))
				return usage_error("--threshold '%s': expected a percentage from 0 "
						   "to 1000", optarg);
			break;
		case 's':
			if (strcmp(optarg, "native") && strcmp(optarg, "virt"))
				return usage_error("--side '%s': expected native or virt", optarg);
			side = !strcmp(optarg, "native") ? CMP_SIDE_NATIVE : CMP_SIDE_VIRT;
			break;
		case 'f':
			force = 1;
			break;
		case 'm':
			md_path = optarg;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			return usage_error("compare: option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("compare: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error("compare: expected two results (folders or results.json "
				   "files), A and B");
	if (load_doc(argv[optind], &a))
		return 2;
	if (load_doc(argv[optind + 1], &b)) {
		hvb_doc_free(&a);
		return 2;
	}
	memset(&cmp, 0, sizeof(cmp));
	if (compare_host_diff(&a, &b, cmp.host_diff, sizeof(cmp.host_diff)) && !force) {
		esc_println(stderr, "hvbench: compare: refused: A and B were measured on different "
				"hosts or KVMs (%s); their changes would mix the two. Give --force "
				"to compare them anyway", cmp.host_diff);
		hvb_doc_free(&a);
		hvb_doc_free(&b);
		return 2;
	}
	cmp.forced = cmp.host_diff[0] != '\0';
	compare_build(&cmp, &a, &b, side, threshold);
	cmp.a_name = argv[optind];
	cmp.b_name = argv[optind + 1];
	text = compare_table(&cmp);
	fputs(text, stdout);
	free(text);
	rc = cmp.nslower ? 1 : 0;
	if (md_path) {
		text = compare_markdown(&cmp);
		if (report_write_file(md_path, text, err, sizeof(err))) {
			esc_println(stderr, "hvbench: --md: %s", err);
			rc = 2;
		}
		free(text);
	}
	if (json_path) {
		text = compare_json(&cmp);
		if (report_write_file(json_path, text, err, sizeof(err))) {
			esc_println(stderr, "hvbench: --json: %s", err);
			rc = 2;
		}
		free(text);
	}
	compare_free(&cmp);
	hvb_doc_free(&a);
	hvb_doc_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	/* A chart tool that dies must not kill us through SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (!cmd) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		esc_println(stdout, "hvbench %s", HVB_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "list")) {
		if (argc > 2)
			return usage_error("list: unexpected argument '%s'", argv[2]);
		return cmd_list();
	}
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc - 1, argv + 1);
	return usage_error("unknown command '%s'; expected run, list, report or compare", cmd);
}
