/* run: the measurement loop of `hvbench run` (see run.h). The method is the
 * study's, automated: the same workload natively and in a guest, one CPU,
 * repeated; here interleaved N, V, N, V so that slow drifts of the host
 * (thermal, frequency, neighbours) hit both sides alike, after one discarded
 * warm-up run per side that fills caches and page tables. */
#include "run.h"
#include "compare.h"
#include "multi.h"
#include "devwl.h"
#include "dist.h"
#include "escape.h"
#include "host.h"
#include "hvbench.h"
#include "neighbour.h"
#include "qemu.h"
#include "report.h"
#include "result.h"
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_RUNS 1

/* `bench list` names go by the same name rule as results.json's. */
static int valid_name(const char *s)
{
	return result_check_name(RESULT_NAME_WORD, s, strlen(s)) == NULL;
}

int run_list_workloads(const char *bench_path, struct workload **out, size_t *n, char *err,
		       size_t errlen)
{
	char prog[4096], list[] = "list";
	char *argv[] = {prog, list, NULL};
	struct runner_run res;
	struct workload *w = NULL;
	size_t count = 0;
	char *save = NULL, *line;

	*out = NULL;
	*n = 0;
	snprintf(prog, sizeof(prog), "%s", bench_path);
	runner_exec(argv, -1, 60, NULL, NULL, &res);
	if (res.outcome != RUN_EXITED || res.status != 0) {
		struct runner lister;
		const char *why;

		/* The native rule: exit status 0, a signal said as such. */
		runner_native(&lister, bench_path);
		lister.timeout_s = 60;
		why = runner_judge(&lister, &res);
		snprintf(err, errlen, "`%s list` failed: %s", bench_path, why ? why : "?");
		runner_run_free(&res);
		return -1;
	}
	for (line = strtok_r(res.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		struct workload *x;

		if (!t2)
			continue; /* not a workload line */
		*t1 = *t2 = '\0';
		if (!valid_name(line) || !valid_name(t1 + 1) || strlen(line) >= sizeof(x->name) ||
		    strlen(t1 + 1) >= sizeof(x->group))
			continue;
		w = hvb_xrealloc(w, (count + 1) * sizeof(*w));
		x = &w[count++];
		snprintf(x->name, sizeof(x->name), "%s", line);
		snprintf(x->group, sizeof(x->group), "%s", t1 + 1);
		snprintf(x->desc, sizeof(x->desc), "%s", t2 + 1);
	}
	runner_run_free(&res);
	if (!count) {
		snprintf(err, errlen, "`%s list` printed no workloads", bench_path);
		return -1;
	}
	*out = w;
	*n = count;
	return 0;
}

/* --size presets: the `bench run` parameters that make a workload small (a
 * quick check) or large (closer to the study's run lengths). The MiBench
 * workloads take MiBench's own small/large inputs through their `size` key;
 * the others have no common key, so their presets live here. A workload not
 * listed runs with its defaults. Without --size nothing is passed. */
struct size_preset {
	const char *workload;
	const char *small[3];
	const char *large[3];
	/* tiny: the least that still checks a result, for a lab under TCG
	 * (lab/arm64/cases-arm64hvb.sh); a workload without one runs small. */
	const char *tiny[3];
};

static const struct size_preset presets[] = {
	{"cpu", {"time_ms=200"}, {"time_ms=10000"}, {"time_ms=50"}},
	{"memory", {"total_size=1G"}, {"total_size=32G"}, {"total_size=16M"}},
	/* threads: each event is 1000 yields, each a guest system call: on a
	 * software KVM one event takes ~0.35 s in the guest, so "small" stays at
	 * a count that finishes in seconds there. */
	{"threads", {"events=20"}, {"events=10000"}, {"events=2", "threads=3"}},
	{"mutex", {"mutex_locks=10000"}, {"mutex_locks=50000"}, {"mutex_locks=200", "threads=3"}},
	{"basicmath", {"size=small"}, {"size=large"}, {"size=tiny"}},
	{"bitcount", {"size=small"}, {"size=large"}, {"size=tiny"}},
	{"qsort", {"size=small"}, {"size=large"}, {"size=tiny"}},
	{"susan-smoothing", {"size=small"}, {"size=large"}, {"size=tiny"}},
	{"susan-edges", {"size=small"}, {"size=large"}, {"size=tiny"}},
	{"susan-corners", {"size=small"}, {"size=large"}, {"size=tiny"}},
	{"timer-latency", {"loops=200"}, {"loops=10000"}, {"loops=10"}},
	{"irq-latency-user", {NULL}, {NULL}, {"loops=10"}},
	{"irq-latency-irqfd", {NULL}, {NULL}, {"loops=10"}},
	/* The real tools take the same keys (lab/realtool.sh). sysbench counts
	 * its time limit in whole seconds, so sysbench-cpu's small is 1 s. */
	{"sysbench-cpu", {"time_ms=1000"}, {"time_ms=10000"}, {NULL}},
	{"sysbench-memory", {"total_size=1G"}, {"total_size=32G"}, {NULL}},
	{"sysbench-threads", {"events=20"}, {"events=10000"}, {NULL}},
	{"sysbench-mutex", {"mutex_locks=10000"}, {"mutex_locks=50000"}, {NULL}},
	{"cyclictest", {"loops=200"}, {"loops=10000"}, {NULL}},
	/* The device workloads (devwl.c); the image is 256 MiB, which the
	 * sequential ones wrap around. */
	{"disk-seq-read", {"total=32M"}, {"total=2G"}, {"total=1M"}},
	{"disk-seq-write", {"total=32M"}, {"total=2G"}, {"total=1M"}},
	{"disk-rand-read", {"ios=2000"}, {"ios=200000"}, {"ios=100"}},
	{"disk-rand-iops", {"ios=5000"}, {"ios=500000"}, {"ios=200"}},
	{"rng-read", {"total=1M"}, {"total=256M"}, {"total=64K"}},
};

const char *const *run_size_params(const char *workload, const char *size)
{
	static const char *const none[] = {NULL};

	if (!size)
		return none;
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcmp(presets[i].workload, workload))
			return !strcmp(size, "large")                      ? presets[i].large
			       : !strcmp(size, "tiny") && presets[i].tiny[0] ? presets[i].tiny
									      : presets[i].small;
	return none;
}

/* Chooses the CPU runs are pinned to: the one asked for if this process may
 * use it, else the highest it may use (CPU 0 takes most housekeeping
 * interrupts). Returns -1 when affinity is unknown; -2 when `want` is not
 * allowed. */
static int choose_cpu(int want)
{
	cpu_set_t set;
	int best = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return want >= 0 ? -2 : -1;
	if (want >= 0)
		return want < CPU_SETSIZE && CPU_ISSET((size_t)want, &set) ? want : -2;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET((size_t)c, &set))
			best = c;
	return best;
}

static void fmt_dur(char *buf, size_t n, double s)
{
	if (s < 60)
		snprintf(buf, n, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, n, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

struct ctx {
	const struct run_opts *o;
	struct runner native, tool, virt; /* tool: the real tools' native side */
	struct runner virt_nb; /* --interference: virt, beside a neighbour VM */
	struct runner virt_b;  /* --ab: NEW's virt (virt is OLD's) */
	struct hvb_doc *ab;    /* --ab: NEW's document, results as the main one's */
	size_t cur;            /* the workload being run (its index) */
	int nb_cpu;            /* the neighbour's CPU (also channel-pong's) */
	const struct hvb_config *cfg; /* the run's, for the neighbours' choice */
	double nb_cpu_s[NB_MAX];      /* CPU time of each neighbour, so far */
	struct runner sys;     /* channel-ping, net-*: two guests under `vmm system` */
	struct runner sys_nb;  /* --interference: the same, beside the neighbours */
	char tmpdir[4096];     /* mkdtemp folder for its description and logs, or "" */
	char sys_cfg[4200];    /* the description it runs, written per run */
	struct devwl dev;      /* the disk workloads and rng-read (devwl.h) */
	char rt_pin[16];       /* --realtime: the measured vCPU's CPU */
	int have_virt;
	struct qemu_probe probe; /* --vmm qemu: the -cpu and machine found */
	const unsigned char *is_tool; /* per result: its native side is `tool` */
	size_t runs_total, runs_done;
	double run_time; /* wall time of all runs so far */
	/* --vmm given again (run.h): each further monitor's runner, the -cpu
	 * and machine found for it, its side's name and its document (the
	 * main one's workloads, in the same order). */
	size_t nmore;
	struct runner virt_m[RUN_MAX_MONITORS - 1];
	struct qemu_probe mprobe[RUN_MAX_MONITORS - 1];
	char mside[RUN_MAX_MONITORS][48]; /* [0]: the first monitor's */
	struct hvb_doc *mdoc[RUN_MAX_MONITORS - 1];
	int more_failed; /* a further monitor failed a workload */
};

/* The monitor's own workloads (src/guest/arch/x86/monwl.c) that need the
 * host's help: the start-up pair gets the host's time at the spawn; the
 * memory workload's value is read from /proc while its guest idles. */
#define MONITOR_MEMORY_WORKLOAD "monitor-memory"
#define MONITOR_MEMORY_READY "HVBENCH-MONITOR-MEMORY-READY"

static int is_startup(const char *name)
{
	return !strcmp(name, "startup-entry") || !strcmp(name, "startup-workload");
}

/* The result a run on rn reports to: a further monitor's own document's,
 * else the main one's. */
static struct hvb_result *target_of(struct ctx *x, const struct runner *rn, struct hvb_result *r)
{
	for (size_t k = 0; k < x->nmore; k++)
		if (rn == &x->virt_m[k])
			return &x->mdoc[k]->results[x->cur];
	return r;
}

static int is_more(const struct ctx *x, const struct runner *rn)
{
	for (size_t k = 0; k < x->nmore; k++)
		if (rn == &x->virt_m[k])
			return 1;
	return 0;
}

static void progress(struct ctx *x, size_t bi, size_t nb, const char *name, const char *what,
		     const char *side)
{
	char eta[32] = "estimating";

	if (x->runs_done) {
		double left = x->run_time / (double)x->runs_done *
			      (double)(x->runs_total - x->runs_done);

		fmt_dur(eta, sizeof(eta), left);
	}
	esc_println(stderr, "hvbench: [%zu/%zu] %s: %s %s (time left: %s)", bi + 1, nb, name, what,
		side, eta);
}

/* ONE_UNAVAIL: the guest said UNAVAILABLE (its monitor lacks what the
 * workload measures): that side is not_available, never a number. */
enum one { ONE_OK, ONE_FAILED, ONE_STOPPED, ONE_UNAVAIL };

/* The workloads that measure a round trip (or a stream) between two
 * benchmark guests run under `vmm system` with a description written for
 * each run: the measuring guest ("ping") on the measurement CPU, its peer
 * ("pong") on the other, the connection between them, the same loop count
 * (and message size, where the peer echoes bytes) on both sides. */
#define CHANNEL_WORKLOAD "channel-ping"
/* Where the two-VM channel sits: inside the channel window of the
 * architecture's vmm (src/vmm/dev/channel.h), the top of the ECAM bridge's
 * 32-bit window on arm64, below the IOAPIC on a PC. */
#if defined(__aarch64__)
#define PAIR_CHANNEL_GPA "0x30000000"
#else
#define PAIR_CHANNEL_GPA "0xe0000000"
#endif

enum pair_conn { PAIR_CHANNEL, PAIR_NET, PAIR_VSOCK };

static const struct pair_wl {
	const char *name, *peer;
	enum pair_conn conn;
	const char *shared[3]; /* parameters the peer gets too ("key=") */
} pair_wls[] = {
	{CHANNEL_WORKLOAD, "channel-pong", PAIR_CHANNEL, {"loops=", "bytes="}},
	{"net-ping", "net-pong", PAIR_NET, {"loops="}},
	{"net-bulk", "net-sink", PAIR_NET, {NULL}},
	/* vsock-pong echoes loops * size bytes. */
	{"vsock-ping", "vsock-pong", PAIR_VSOCK, {"loops=", "size="}},
	{"vsock-bulk", "vsock-sink", PAIR_VSOCK, {"total="}},
};

static int pair_shares(const struct pair_wl *pw, const char *param)
{
	for (size_t i = 0; i < sizeof(pw->shared) / sizeof(pw->shared[0]) && pw->shared[i]; i++)
		if (!strncmp(param, pw->shared[i], strlen(pw->shared[i])))
			return 1;
	return 0;
}

static const struct pair_wl *pair_find(const char *name)
{
	for (size_t i = 0; i < sizeof(pair_wls) / sizeof(pair_wls[0]); i++)
		if (!strcmp(pair_wls[i].name, name))
			return &pair_wls[i];
	return NULL;
}

/* The folder for the two-VM workloads' description and its consoles' logs: made
 * by mkdtemp(3) (mode 0700, a name nobody can guess) under $TMPDIR or /tmp
 * the first time it is needed, and removed by channel_cleanup(). */
static int channel_tmpdir(struct ctx *x)
{
	const char *base = getenv("TMPDIR");
	char tmpl[sizeof(x->tmpdir)];

	if (x->tmpdir[0])
		return 0;
	if (!base || base[0] != '/')
		base = "/tmp";
	if (snprintf(tmpl, sizeof(tmpl), "%s/hvbench-XXXXXX", base) >= (int)sizeof(tmpl)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(x->tmpdir, sizeof(x->tmpdir), "%s", tmpl);
	snprintf(x->sys_cfg, sizeof(x->sys_cfg), "%s/channel.cfg", x->tmpdir);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* FTW_PHYS: a link is removed, never followed. */
	return (type == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT ? -1 : 0;
}

/* Removes the two-VM workloads' folder and all in it; also after Ctrl-C. */
static void channel_cleanup(struct ctx *x)
{
	if (!x->tmpdir[0])
		return;
	if (nftw(x->tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS))
		esc_println(stderr, "hvbench: cannot remove %s: %s", x->tmpdir, strerror(errno));
	x->tmpdir[0] = '\0';
}

/* A VM's vsock key for a vsock pair: CID 3 for ping, 4 for pong, each
 * with its host socket in our folder (vmm needs one; nothing connects). */
static void pair_vsock_key(struct hvb_buf *b, const struct ctx *x, const char *vm, int cid)
{
	char uds[sizeof(x->tmpdir) + 16];

	snprintf(uds, sizeof(uds), "%s/%s.vsock", x->tmpdir, vm);
	hvb_buf_printf(b, " vsock = { cid = %d; uds = ", cid);
	esc_cfg(b, uds);
	hvb_buf_puts(b, "; };");
}

static int write_pair_cfg(struct ctx *x, const struct pair_wl *pw, const char *const *params,
			  size_t np)
{
	struct hvb_buf ping = {0}, pong = {0}, b = {0};
	char logs[sizeof(x->tmpdir) + 8], pin_ping[32] = "", pin_pong[32] = "";
	int fd, rc = 0;
	size_t done = 0;

	if (channel_tmpdir(x))
		return -1;
	hvb_buf_printf(&ping, "run %s", pw->name);
	hvb_buf_printf(&pong, "run %s", pw->peer);
	if (pw->conn == PAIR_VSOCK)
		hvb_buf_puts(&ping, " cid=4");
	for (size_t i = 0; i < np; i++) {
		hvb_buf_printf(&ping, " %s", params[i]);
		if (pair_shares(pw, params[i]))
			hvb_buf_printf(&pong, " %s", params[i]);
	}
	if (x->sys.cpu >= 0 && x->nb_cpu >= 0) {
		snprintf(pin_ping, sizeof(pin_ping), " pin = %d;", x->sys.cpu);
		snprintf(pin_pong, sizeof(pin_pong), " pin = %d;", x->nb_cpu);
	}
	snprintf(logs, sizeof(logs), "%s/logs", x->tmpdir);
	/* Every string through esc_cfg: a guest image path holding a quote
	 * must not add keys to the description. */
	hvb_buf_puts(&b, "log_dir = ");
	esc_cfg(&b, logs);
	hvb_buf_puts(&b, ";\nvms = (\n  { name = \"ping\"; kernel = ");
	esc_cfg(&b, x->o->guest_image);
	hvb_buf_puts(&b, "; cmdline = ");
	esc_cfg(&b, ping.p);
	hvb_buf_printf(&b, "; mem = \"32M\";%s on_exit = \"stop-all\";", pin_ping);
	if (pw->conn == PAIR_VSOCK)
		pair_vsock_key(&b, x, "ping", 3);
	hvb_buf_puts(&b, " },\n  { name = \"pong\"; kernel = ");
	esc_cfg(&b, x->o->guest_image);
	hvb_buf_puts(&b, "; cmdline = ");
	esc_cfg(&b, pong.p);
	hvb_buf_printf(&b, "; mem = \"32M\";%s on_exit = \"ignore\";", pin_pong);
	if (pw->conn == PAIR_VSOCK)
		pair_vsock_key(&b, x, "pong", 4);
	hvb_buf_puts(&b, " }\n);\n");
	if (pw->conn == PAIR_CHANNEL)
		hvb_buf_printf(&b, "channels = ({ name = \"pp\"; between = [\"ping\", \"pong\"];"
			       " gpa = \"%s\"; size = \"64K\"; });\n", PAIR_CHANNEL_GPA);
	else if (pw->conn == PAIR_NET)
		hvb_buf_puts(&b, "links = ({ name = \"lan\"; type = \"net\";"
				 " between = [\"ping\", \"pong\"]; });\n");
	else
		hvb_buf_puts(&b, "links = ({ type = \"vsock\"; between = [\"ping\", \"pong\"]; });\n");
	free(ping.p);
	free(pong.p);
	/* In our own 0700 folder, created afresh each run, never through a
	 * link. */
	unlink(x->sys_cfg);
	fd = open(x->sys_cfg, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(b.p);
		return -1;
	}
	while (done < b.len) {
		ssize_t n = write(fd, b.p + done, b.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -1;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd))
		rc = -1;
	free(b.p);
	return rc;
}

/* Runs one repetition on one side; adds the sample unless it is a warm-up. */
static enum one one_run(struct ctx *x, const struct runner *rn, struct hvb_result *r0, int warm)
{
	struct hvb_result *r = target_of(x, rn, r0);
	const char *const *params = run_size_params(r->benchmark, x->o->size);
	const char *pv[RUNNER_MAX_ARGS];
	char t0[48];
	int memwl = !strcmp(r->benchmark, MONITOR_MEMORY_WORKLOAD) && rn->monitor;
	char *argv[RUNNER_MAX_ARGS + 8];
	size_t np = 0;
	struct runner_run res;
	struct result_sample s;
	char why[RESULT_REASON_MAX];
	enum result_status st;
	const char *bad;
	enum one rc = ONE_FAILED;

	while (params[np])
		np++;
	if (is_startup(r->benchmark) && np + 1 < RUNNER_MAX_ARGS) {
		/* The host's time now, just before the spawn: the origin the
		 * guest measures its start-up from (CLOCK_REALTIME, the clock
		 * kvmclock's wall clock gives it). */
		struct timespec ts;

		for (size_t i = 0; i < np; i++)
			pv[i] = params[i];
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(t0, sizeof(t0), "t0=%lld", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		pv[np++] = t0;
		pv[np] = NULL;
		params = pv;
	}
	if ((rn == &x->sys || rn == &x->sys_nb) &&
	    write_pair_cfg(x, pair_find(r->benchmark), params, np)) {
		hvb_result_set_error(r, "cannot write %s's description %s: %s", r->benchmark,
				     x->sys_cfg[0] ? x->sys_cfg : "(no folder)", strerror(errno));
		return ONE_FAILED;
	}
	if (runner_expand(rn, r->benchmark, params, np, argv,
			  sizeof(argv) / sizeof(argv[0])) < 0) {
		hvb_result_set_error(r, "%s: command line too long", rn->side);
		return ONE_FAILED;
	}
	if (memwl)
		runner_probe_memory(MONITOR_MEMORY_READY, RUNNER_BARE_MEM_KIB);
	runner_exec_on(argv, rn->cpu, rn->io_cpu, rn->timeout_s, NULL, NULL, &res);
	runner_free_argv(argv);
	x->runs_done++;
	x->run_time += res.wall_s;
	if (res.outcome == RUN_INTERRUPTED) {
		runner_run_free(&res);
		return ONE_STOPPED;
	}
	st = result_scan(res.out, res.out_len, r->benchmark, &s, why, sizeof(why));
	bad = runner_judge(rn, &res);
	if (st == RESULT_FAILED && rn->monitor && !strncmp(why, "unavailable: ", 13)) {
		/* "unavailable: NAME: reason": the reason alone */
		const char *reason = why + 13;
		size_t nl = strlen(r->benchmark);

		if (!strncmp(reason, r->benchmark, nl) && !strncmp(reason + nl, ": ", 2))
			reason += nl + 2;
		hvb_result_set_error(r, "not available on %s: %s", rn->monitor, reason);
		free(r->status);
		r->status = hvb_xstrdup(HVB_ST_UNAVAILABLE);
		runner_run_free(&res);
		return ONE_UNAVAIL;
	}
	if (st == RESULT_OK && memwl) {
		/* The guest's value is a placeholder: the number is the host's. */
		if (res.mem_sampled == 1)
			s.value = (double)(res.mem_rss_kib - res.mem_guest_kib);
		else
			st = RESULT_FAILED, snprintf(why, sizeof(why),
				"the monitor's memory could not be read from /proc (VmRSS, and "
				"a mapping of the guest RAM's %d KiB in smaps)%s",
				RUNNER_BARE_MEM_KIB, res.mem_sampled ? "" : ": the guest never "
				"said it was ready");
	}
	if (st == RESULT_FAILED)
		hvb_result_set_error(r, "%s%s: %s", rn->side, warm ? " warm-up" : "", why);
	else if (bad)
		hvb_result_set_error(r, "%s%s: %s%s%s", rn->side, warm ? " warm-up" : "", bad,
				     st != RESULT_OK ? "; " : "", st != RESULT_OK ? why : "");
	else if (st != RESULT_OK)
		hvb_result_set_error(r, "%s%s: %s", rn->side, warm ? " warm-up" : "", why);
	else if (!r->metric) {
		r->metric = hvb_xstrdup(s.metric);
		r->unit = hvb_xstrdup(s.unit);
		r->better_higher = s.better_higher;
		rc = ONE_OK;
	} else if (strcmp(r->metric, s.metric) || strcmp(r->unit, s.unit) ||
		   r->better_higher != s.better_higher) {
		hvb_result_set_error(r,
				     "%s reported %s (%s, %s is better), earlier runs %s (%s)",
				     rn->side, s.metric, s.unit,
				     s.better_higher ? "higher" : "lower", r->metric, r->unit);
	} else {
		rc = ONE_OK;
	}
	if (rc == ONE_OK && !warm)
		hvb_side_add_dist(rn == &x->virt_b		     ? &x->ab->results[x->cur].virt
				  : !strcmp(rn->side, "native") ? &r->native
				  : rn == &x->virt_nb || rn == &x->sys_nb ? &r->virt_nb
								     : &r->virt,
				  s.value, &s.dist);
	runner_run_free(&res);
	return rc;
}

/* The runners of one workload, in the order its runs interleave: native
 * (or the real tool's), then virt (the two-VM system for pair_wls),
 * then virt beside the neighbour. Returns how many. */
#define MAX_SIDES (4 + RUN_MAX_MONITORS)

static int unavailable(const struct hvb_result *r);

static int sides_of(const struct ctx *x, const struct hvb_result *r, size_t bi,
		    const struct runner *sides[MAX_SIDES])
{
	int n = 0, nmore = 0;
	const struct runner *dn = devwl_native(&x->dev, r), *dv = devwl_virt(&x->dev, r);
	const struct runner *more[RUN_MAX_MONITORS];
	/* Further monitors (--vmm again) run the one-VM workloads of the
	 * bare guest, each unless it cannot. */
	for (size_t k = 0; k < x->nmore && !pair_find(r->benchmark) && !dv; k++)
		if (!unavailable(&x->mdoc[k]->results[bi]))
			more[nmore++] = &x->virt_m[k];
	if (unavailable(r) && !nmore)
		return 0; /* no monitor can run it */
	if (r->has_native)
		sides[n++] = x->is_tool[bi] ? &x->tool : dn ? dn : &x->native;
	if (pair_find(r->benchmark))
		sides[n++] = &x->sys;
	else if ((x->have_virt || !r->has_native) && !unavailable(r))
		sides[n++] = dv ? dv : &x->virt;
	for (int k = 0; k < nmore; k++)
		sides[n++] = more[k];
	/* --ab: NEW right after OLD, for the workloads of the one-VM runner
	 * (the device and two-VM ones run OLD only: not comparable). */
	if (x->ab && n && sides[n - 1] == &x->virt)
		sides[n++] = &x->virt_b;
	if (r->has_nb)
		sides[n++] = pair_find(r->benchmark) ? &x->sys_nb : &x->virt_nb;
	return n;
}

/* All runs of one workload: warm-ups, then N, V, N, V... (N, V, V+nb with
 * --interference). Stops at the first failure (the workload is then
 * reported failed) or stop request. */
static enum one run_workload(struct ctx *x, struct hvb_result *r, size_t bi, size_t nb)
{
	const struct runner *sides[MAX_SIDES];
	int nsides = sides_of(x, r, bi, sides), nlive = nsides;
	unsigned char dead[MAX_SIDES] = {0};
	char what[64];

	if (!unavailable(r)) {
		free(r->status);
		r->status = hvb_xstrdup(HVB_ST_OK);
	}
	for (size_t k = 0; k < x->nmore; k++) {
		struct hvb_result *m = &x->mdoc[k]->results[bi];
		if (!unavailable(m)) {
			free(m->status);
			m->status = hvb_xstrdup(HVB_ST_OK);
		}
	}
	x->cur = bi;
	for (int rep = -WARMUP_RUNS; rep < x->o->reps; rep++) {
		for (int k = 0; k < nsides; k++) {
			enum one rc;

			if (dead[k])
				continue;
			if (rep < 0)
				snprintf(what, sizeof(what), "warm-up");
			else
				snprintf(what, sizeof(what), "rep %d/%d", rep + 1, x->o->reps);
			progress(x, bi, nb, r->benchmark, what, sides[k]->side);
			struct nb_set nbs = {0};
			char why[512];
			if ((sides[k] == &x->virt_nb || sides[k] == &x->sys_nb) &&
			    nb_start(&nbs, x->cfg, x->o->vmm, x->o->guest_image, x->o->bench_path,
				     why, sizeof(why))) {
				hvb_result_set_error(r, "%s: check that `%s run --kernel %s` works",
						     why, x->o->vmm, x->o->guest_image);
				esc_println(stderr, "hvbench: %s failed: %s", r->benchmark, r->error);
				return ONE_FAILED;
			}
			rc = one_run(x, sides[k], r, rep < 0);
			/* A neighbour that ended part way leaves a run measured
			 * beside less than was asked for: not a sample. */
			if (rc == ONE_OK && nb_check(&nbs, why, sizeof(why))) {
				hvb_result_set_error(r, "%s: %s", sides[k]->side, why);
				rc = ONE_FAILED;
			}
			nb_stop(&nbs, x->nb_cpu_s);
			/* A monitor that cannot run it (the guest said so), or a
			 * further monitor that failed it: that side stops, the
			 * others go on, each monitor's result saying why. */
			if (rc == ONE_UNAVAIL || (rc == ONE_FAILED && is_more(x, sides[k]))) {
				const struct hvb_result *t = target_of(x, sides[k], r);

				esc_println(stderr, "hvbench: %s on %s: %s", r->benchmark,
					    sides[k]->side, t->error ? t->error : "?");
				x->more_failed |= rc == ONE_FAILED;
				dead[k] = 1;
				/* Its later runs will not happen: out of the estimate. */
				x->runs_total -= (size_t)(x->o->reps - 1 - rep);
				if (--nlive == 0)
					return ONE_OK;
				continue;
			}
			if (rc == ONE_FAILED) {
				esc_println(stderr, "hvbench: %s failed: %s", r->benchmark, r->error);
				return rc;
			}
			if (rc == ONE_STOPPED)
				return rc;
		}
	}
	return ONE_OK;
}

/* Workloads only the benchmark guest has (src/guest/arch/x86/irqlat.c). */
static const struct workload guest_only[] = {
	{"irq-latency-user", "latency",
	 "GPIO loopback interrupt injected by vmm (kernel -> VMM -> guest); us", 1, 0},
	{"irq-latency-irqfd", "latency",
	 "GPIO loopback interrupt by ioeventfd + irqfd in the host kernel; us", 1, 0},
	{CHANNEL_WORKLOAD, "latency",
	 "round trip over a channel between two guests (vmm system); us", 1, 0},
	{"net-ping", "latency",
	 "round trip of a 64-byte frame over a net link between two guests (vmm system); us", 1,
	 0},
	{"net-bulk", "synthetic",
	 "one-way stream of 1514-byte frames over a net link between two guests (vmm system); "
	 "B/s delivered", 1, 0},
	{"vsock-ping", "latency",
	 "round trip of a 1-byte message over a vsock link between two guests (vmm system); us",
	 1, 0},
	{"vsock-bulk", "synthetic",
	 "one-way stream over a vsock link between two guests (vmm system); B/s delivered", 1, 0},
	{DEVWL_RNG_WORKLOAD, "synthetic", "reads from virtio-rng (vmm run --rng); bytes/s", 1, 0},
	/* What the monitor decides (monwl.c): measured on every monitor and
	 * compared between monitors, not with native (the host has none). */
	{"startup-entry", "monitor",
	 "monitor spawn to the guest's first instruction (host clock via kvmclock); ms", 1, 0},
	{"startup-workload", "monitor",
	 "monitor spawn to the workload's first instruction; ms", 1, 0},
	{"exit-port", "monitor", "UART scratch-register write, one exit round trip; us", 1, 0},
	{"exit-uart", "monitor", "UART line-status read, one exit round trip; us", 1, 0},
	{"exit-pci", "monitor", "PCI configuration read (0xcfc), one exit round trip; us", 1, 0},
	{MONITOR_MEMORY_WORKLOAD, "monitor",
	 "the monitor's RSS minus the guest RAM it holds (/proc, host side); KiB", 1, 0},
};

void run_add_guest_only(struct workload **w, size_t *n)
{
	size_t k = sizeof(guest_only) / sizeof(guest_only[0]);
	struct utsname u;
	/* The monitor's own workloads are the x86 guest's (monwl.c): the
	 * arm64 benchmark guest has none. */
	int x86 = uname(&u) == 0 && !strcmp(host_arch_name(u.machine), "x86_64");

	*w = hvb_xrealloc(*w, (*n + k) * sizeof(**w));
	for (size_t i = 0; i < k; i++)
		if (x86 || strcmp(guest_only[i].group, "monitor"))
			(*w)[(*n)++] = guest_only[i];
}

/* The real tools the Linux guest's image carries (lab/mkinitrd.sh), each
 * paired with the bench workload it matches; `realtool.sh --list` prints
 * the same names. */
static const struct workload realtools[] = {
	{"sysbench-cpu", "synthetic", "Debian sysbench cpu (like cpu); events/s", 0, 1},
	{"sysbench-memory", "synthetic", "Debian sysbench memory (like memory); MiB/s", 0, 1},
	{"sysbench-threads", "synthetic", "Debian sysbench threads (like threads); events/s", 0,
	 1},
	{"sysbench-mutex", "synthetic", "Debian sysbench mutex (like mutex); ms", 0, 1},
	{"cyclictest", "latency", "Debian rt-tests cyclictest (like timer-latency); us", 0, 1},
};

void run_add_realtools(struct workload **w, size_t *n)
{
	size_t k = sizeof(realtools) / sizeof(realtools[0]);
	*w = hvb_xrealloc(*w, (*n + k) * sizeof(**w));
	memcpy(*w + *n, realtools, sizeof(realtools));
	*n += k;
}

const char *run_linux_refusal(const char *kind, const char *kvm)
{
	static char why[512];

	if (!kind || strcmp(kind, "software"))
		return NULL;
	snprintf(why, sizeof(why),
		 "--guest linux: this host's KVM is a software KVM (%s), not VT-x/AMD-V: it "
		 "emulates guest kernel code, about 1000 times slower than native, so booting "
		 "Linux would take hours and the numbers would measure that emulation. Run it "
		 "on a host with VT-x/AMD-V (the nested lab, docs/lab.md, proves it works), or "
		 "give --force to boot anyway", kvm ? kvm : "unknown");
	return why;
}

/* --interference=LIST: the last-level cache and working set (llc, host)
 * and the host neighbour's CPU (host), into c. Returns 0, or -1 after
 * saying why (a host that does not describe itself: a configuration
 * error, before any run). */
static int plan_neighbours(const struct run_opts *o, struct hvb_config *c, int cpu)
{
	char path[512], names[64];
	cpu_set_t set;

	c->nb_kinds = o->nb_kinds ? o->nb_kinds : HVB_NB_MEMORY;
	nb_names(c->nb_kinds, names, sizeof(names));
	if (c->nb_kinds & (HVB_NB_LLC | HVB_NB_HOST)) {
		c->nb_llc_bytes = nb_llc("/sys", cpu, &c->nb_llc_level, path, sizeof(path));
		if (c->nb_llc_bytes < 0) {
			esc_println(stderr, "hvbench: --interference=%s: sysfs gives no cache size "
					"for CPU %d (/sys/devices/system/cpu/cpu%d/cache/index*/size)",
				    names, cpu < 0 ? 0 : cpu, cpu < 0 ? 0 : cpu);
			return -1;
		}
		c->nb_llc_source = hvb_xstrdup(path);
		c->nb_ws_bytes = nb_working_set(c->nb_llc_bytes);
		if (c->nb_ws_bytes > NB_WS_MAX) {
			esc_println(stderr, "hvbench: --interference=%s: the last-level cache (%s) "
					"is %lld MiB; twice that is more than a neighbour VM is "
					"given (%lld MiB)", names, path, c->nb_llc_bytes >> 20,
				    NB_WS_MAX >> 20);
			return -1;
		}
	}
	if (c->nb_kinds & HVB_NB_HOST) {
		if (sched_getaffinity(0, sizeof(set), &set))
			CPU_ZERO(&set);
		c->nb_host_cpu = nb_host_cpu("/sys", cpu, &set, &c->nb_host_rel);
		if (c->nb_host_cpu < 0) {
			esc_println(stderr, "hvbench: --interference=%s: the host neighbour needs "
					"a CPU beside CPU %d", names, cpu);
			return -1;
		}
	}
	struct hvb_buf b = {0};
	nb_describe(&b, c);
	esc_println(stderr, "hvbench: --interference=%s: %s", names, b.p);
	free(b.p);
	return 0;
}

static const char *signame(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

static int select_workloads(const struct run_opts *o, const struct workload *w, size_t nw,
			    struct hvb_doc *d)
{
	char *list, *save = NULL, *tok;

	if (!o->bench_list) {
		for (size_t i = 0; i < nw; i++)
			hvb_doc_add(d, w[i].name, w[i].group);
		return 0;
	}
	list = hvb_xstrdup(o->bench_list);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		/* A name selects a workload; a group name selects all of its workloads. */
		for (size_t i = 0; i < nw; i++) {
			int dup = 0;

			if (strcmp(w[i].name, tok) && strcmp(w[i].group, tok))
				continue;
			found = 1;
			for (size_t j = 0; j < d->nresults; j++)
				dup |= !strcmp(d->results[j].benchmark, w[i].name);
			if (!dup)
				hvb_doc_add(d, w[i].name, w[i].group);
		}
		if (!found) {
			struct hvb_buf names = {0};

			for (size_t i = 0; i < nw; i++)
				hvb_buf_printf(&names, " %s", w[i].name);
			esc_println(stderr, "hvbench: --bench: unknown workload or group '%s'; "
					"`hvbench list` shows them:%s (groups: synthetic, mibench, "
					"latency, disk, monitor)", tok, names.p ? names.p : "");
			free(names.p);
			free(list);
			return -1;
		}
	}
	free(list);
	if (!d->nresults) {
		esc_println(stderr, "hvbench: --bench: no workload selected");
		return -1;
	}
	return 0;
}

static void default_out_dir(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "results/%Y%m%d-%H%M%S", &tm);
}

/* Prints the table and writes every output of a finished (or stopped) run.
 * Returns 0, or -1 when an output could not be written. */
static int finish(const struct run_opts *o, struct hvb_doc *d, const char *dir, int dir_ok)
{
	char *json = hvb_doc_to_json(d), *table, err[4600], path[4200];
	struct hvb_doc back;
	int rc = 0;

	/* Everything shown is rendered from the JSON text as written, exactly as
	 * `hvbench report DIR` will render it later. */
	if (hvb_doc_from_json(json, strlen(json), &back, err, sizeof(err))) {
		esc_println(stderr, "hvbench: internal error: results do not re-read: %s", err);
		abort();
	}
	table = report_table(&back);
	fputs(table, stdout);
	fflush(stdout);
	free(table);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	if (dir_ok && (report_write_file(path, json, err, sizeof(err)) ||
		       report_write_dir(&back, dir, 0, report_find_gnuplot(), err, sizeof(err)))) {
		esc_println(stderr, "hvbench: %s", err);
		rc = -1;
	} else if (dir_ok) {
		esc_println(stderr, "hvbench: results in %s/ (report.md, results.json, results.csv)",
			dir);
		if (!report_find_gnuplot())
			esc_println(stderr, "hvbench: gnuplot is not installed: charts skipped");
	}
	if (o->json_path && report_write_file(o->json_path, json, err, sizeof(err))) {
		esc_println(stderr, "hvbench: --json: %s", err);
		rc = -1;
	}
	if (o->csv_path) {
		char *csv = report_csv(&back);

		if (report_write_file(o->csv_path, csv, err, sizeof(err))) {
			esc_println(stderr, "hvbench: --csv: %s", err);
			rc = -1;
		}
		free(csv);
	}
	hvb_doc_free(&back);
	free(json);
	return rc;
}

/* --ab: NEW's document takes OLD's configuration and host, the workloads'
 * metric and native samples (one native series serves both), and an error
 * where NEW was not measured; it is written to DIR/new, and compare's
 * verdicts of OLD against NEW are printed and written to DIR/compare.md and
 * DIR/compare.json. Returns 1 when a workload is slower beyond the
 * threshold, 0 when none is, -1 when an output failed. */
static int ab_finish(const struct run_opts *o, const struct runner *newr, const struct hvb_doc *a,
		     struct hvb_doc *b, const char *dir, int dir_ok, size_t stopped_at)
{
	char sub[4200], path[4300], err[4600];
	struct compare cmp;
	int rc = 0;

	memset(&cmp, 0, sizeof(cmp));
	b->config = a->config; /* shallow: a's strings, restored before freeing b */
	b->config.vmm = (char *)(uintptr_t)o->ab_new;
	char *virt_cmd = runner_describe(newr);
	b->config.virt_cmd = virt_cmd;
	b->host = a->host;
	for (size_t i = 0; i < b->nresults; i++) {
		const struct hvb_result *ra = &a->results[i];
		struct hvb_result *rb = &b->results[i];

		rb->metric = hvb_xstrdup(ra->metric);
		rb->unit = hvb_xstrdup(ra->unit);
		rb->better_higher = ra->better_higher;
		rb->has_native = ra->has_native;
		rb->has_virt = 1;
		for (size_t k = 0; ra->has_native && k < ra->native.n; k++)
			hvb_side_add(&rb->native, ra->native.samples[k]);
		free(rb->status);
		rb->status = hvb_xstrdup(HVB_ST_OK);
		if (ra->error && !rb->virt.n) {
			hvb_result_set_error(rb, "not measured on the new monitor: %s", ra->error);
		} else if (!rb->virt.n && ra->virt.n) {
			hvb_result_set_error(rb, "not measured on the new monitor (--ab runs the "
					     "one-VM workloads of the bare guest only)");
		}
		if (rb->error) {
			free(rb->status);
			rb->status = hvb_xstrdup(HVB_ST_FAILED);
		}
		hvb_result_finish(rb, i == stopped_at);
	}
	snprintf(sub, sizeof(sub), "%s/new", dir);
	esc_println(stderr, "hvbench: --ab: the new monitor %s:", o->ab_new);
	struct run_opts ob = *o;
	ob.json_path = ob.csv_path = NULL;
	if (dir_ok && report_mkdirs(sub, err, sizeof(err))) {
		esc_println(stderr, "hvbench: %s", err);
		dir_ok = 0;
		rc = -1;
	}
	if (finish(&ob, b, sub, dir_ok))
		rc = -1;

	/* The verdicts, from the documents as written (as compare would read them). */
	char *ja = hvb_doc_to_json(a), *jb = hvb_doc_to_json(b);
	struct hvb_doc ra, rb;
	if (hvb_doc_from_json(ja, strlen(ja), &ra, err, sizeof(err)) ||
	    hvb_doc_from_json(jb, strlen(jb), &rb, err, sizeof(err))) {
		esc_println(stderr, "hvbench: internal error: results do not re-read: %s", err);
		abort();
	}
	free(ja);
	free(jb);
	compare_build(&cmp, &ra, &rb, CMP_SIDE_VIRT, o->ab_threshold);
	cmp.a_name = o->ab_old;
	cmp.b_name = o->ab_new;
	char *text = compare_table(&cmp);
	fputs(text, stdout);
	fflush(stdout);
	free(text);
	if (rc == 0)
		rc = cmp.nslower ? 1 : 0;
	for (int k = 0; k < 2 && dir_ok; k++) {
		text = k ? compare_json(&cmp) : compare_markdown(&cmp);
		snprintf(path, sizeof(path), "%s/compare.%s", dir, k ? "json" : "md");
		if (report_write_file(path, text, err, sizeof(err))) {
			esc_println(stderr, "hvbench: %s", err);
			rc = -1;
		}
		free(text);
	}
	if (dir_ok)
		esc_println(stderr, "hvbench: --ab: old in %s/, new in %s/, verdicts in "
				"%s/compare.md", dir, sub, dir);
	compare_free(&cmp);
	hvb_doc_free(&ra);
	hvb_doc_free(&rb);
	memset(&b->config, 0, sizeof(b->config));
	memset(&b->host, 0, sizeof(b->host));
	free(virt_cmd);
	return rc;
}

static int unavailable(const struct hvb_result *r)
{
	return r->status && !strcmp(r->status, HVB_ST_UNAVAILABLE);
}

/* --vmm given again: each further monitor's runner (QEMU's -cpu and
 * machine probed as for the first), its side's name and its document.
 * Returns 0, or -1 (said on stderr) when one cannot run the bare guest: a
 * configuration error, found before anything runs. */
static int setup_more(struct ctx *x, const struct run_opts *o, const struct hvb_doc *d, int cpu)
{
	snprintf(x->mside[0], sizeof(x->mside[0]), "virt (%s)", o->monitor);
	x->virt.side = x->mside[0];
	for (size_t k = 0; k < o->nmore; k++) {
		const struct run_monitor *m = &o->more[k];
		struct runner *rn = &x->virt_m[k];

		if (access(m->path, X_OK)) {
			esc_println(stderr, "hvbench: --vmm %s: %s is not installed or not executable%s",
				    m->monitor, m->path,
				    strcmp(m->monitor, "qemu") ? "" : " (Debian package qemu-system-x86)");
			return -1;
		}
		if (!strcmp(m->monitor, "qemu")) {
			esc_println(stderr, "hvbench: finding the -cpu and machine %s accepts on this host",
				    m->path);
			if (qemu_probe(m->path, o->guest_image, cpu, 60, &x->mprobe[k])) {
				esc_println(stderr, "hvbench: --vmm qemu: QEMU/KVM could not run the "
						"benchmark guest with any candidate machine and CPU model: %s",
					    x->mprobe[k].log);
				return -1;
			}
			esc_println(stderr, "hvbench: QEMU runs the benchmark guest with -M %s -cpu %s",
				    x->mprobe[k].machine, x->mprobe[k].cpu);
			runner_qemu_bare(rn, m->path, x->mprobe[k].cpu, x->mprobe[k].machine,
					 o->guest_image);
		} else {
			runner_bare(rn, m->path, o->guest_image);
		}
		snprintf(x->mside[k + 1], sizeof(x->mside[k + 1]), "virt (%s%s)", m->monitor,
			 strcmp(m->monitor, o->monitor) ? "" : " 2");
		rn->side = x->mside[k + 1];
		rn->cpu = cpu;
		rn->timeout_s = o->timeout_s;
		x->mdoc[k] = hvb_xmalloc(sizeof(*x->mdoc[k]));
		memset(x->mdoc[k], 0, sizeof(*x->mdoc[k]));
		for (size_t i = 0; i < d->nresults; i++) {
			struct hvb_result *r = hvb_doc_add(x->mdoc[k], d->results[i].benchmark,
							   d->results[i].group);
			const char *why = qemu_unavailable(m->monitor, r->benchmark);

			r->has_native = d->results[i].has_native;
			r->has_virt = 1;
			if (pair_find(r->benchmark) || devwl_is_device(&d->results[i]))
				why = "not measured on a further monitor: --vmm given again runs the "
				      "one-VM workloads of the bare guest only";
			if (why) {
				hvb_result_set_error(r, "%s", why);
				free(r->status);
				r->status = hvb_xstrdup(HVB_ST_UNAVAILABLE);
			}
		}
		x->nmore++;
	}
	return 0;
}

/* --vmm given again: each further monitor's document takes the first's
 * host and configuration (its own monitor, path and command) and the
 * native samples (one native series serves all), and goes to DIR/NAME/
 * (NAME the monitor, made unique); then the table with a column per
 * monitor (multi.h) on stdout and in DIR/monitors.md and .json. Returns 0,
 * or -1 when an output failed. */
static int more_finish(struct ctx *x, const struct run_opts *o, struct hvb_doc *d,
		       const char *dir, int dir_ok, size_t stopped_at)
{
	struct hvb_doc back[RUN_MAX_MONITORS];
	const char *names[RUN_MAX_MONITORS], *folders[RUN_MAX_MONITORS];
	char sub[RUN_MAX_MONITORS][4200], err[4600], path[4300];
	char *virt_cmd[RUN_MAX_MONITORS] = {0};
	int rc = 0;
	size_t nd = x->nmore + 1;

	names[0] = o->monitor;
	folders[0] = ".";
	for (size_t k = 0; k < x->nmore; k++) {
		struct hvb_doc *b = x->mdoc[k];

		b->config = d->config; /* shallow: d's strings, cleared before freeing b */
		b->config.vmm = (char *)(uintptr_t)o->more[k].path;
		b->config.monitor = (char *)(uintptr_t)o->more[k].monitor;
		virt_cmd[k] = runner_describe(&x->virt_m[k]);
		b->config.virt_cmd = virt_cmd[k];
		b->host = d->host;
		for (size_t i = 0; i < b->nresults; i++) {
			const struct hvb_result *ra = &d->results[i];
			struct hvb_result *rb = &b->results[i];

			if (!rb->metric && ra->metric) {
				rb->metric = hvb_xstrdup(ra->metric);
				rb->unit = hvb_xstrdup(ra->unit);
				rb->better_higher = ra->better_higher;
			}
			for (size_t j = 0; ra->has_native && j < ra->native.n; j++)
				hvb_side_add(&rb->native, ra->native.samples[j]);
			if (!rb->error && !rb->virt.n && ra->error && !unavailable(rb))
				hvb_result_set_error(rb, "not measured on this monitor: %s",
						     ra->error);
			hvb_result_finish(rb, i == stopped_at);
		}
		/* DIR/qemu, or DIR/vmm-2 for a second vmm (names must differ). */
		snprintf(sub[k], sizeof(sub[k]), "%s/%s", dir, o->more[k].monitor);
		for (size_t j = 0; j < k; j++)
			if (!strcmp(o->more[j].monitor, o->more[k].monitor) ||
			    !strcmp(o->more[k].monitor, o->monitor))
				snprintf(sub[k], sizeof(sub[k]), "%s/%s-%zu", dir, o->more[k].monitor,
					 k + 2);
		if (!strcmp(o->more[k].monitor, o->monitor))
			snprintf(sub[k], sizeof(sub[k]), "%s/%s-%zu", dir, o->more[k].monitor, k + 2);
		names[k + 1] = o->more[k].monitor;
		folders[k + 1] = sub[k] + strlen(dir) + 1;
		esc_println(stderr, "hvbench: the monitor %s (%s):", o->more[k].monitor,
			    o->more[k].path);
		struct run_opts ob = *o;
		ob.json_path = ob.csv_path = NULL;
		int ok = dir_ok;
		if (ok && report_mkdirs(sub[k], err, sizeof(err))) {
			esc_println(stderr, "hvbench: %s", err);
			ok = 0;
			rc = -1;
		}
		if (finish(&ob, b, sub[k], ok))
			rc = -1;
	}
	/* The table, from the documents as written (as `report` would read them). */
	for (size_t k = 0; k < nd; k++) {
		char *j = hvb_doc_to_json(k ? x->mdoc[k - 1] : d);
		if (hvb_doc_from_json(j, strlen(j), &back[k], err, sizeof(err))) {
			esc_println(stderr, "hvbench: internal error: results do not re-read: %s", err);
			abort();
		}
		free(j);
	}
	for (int f = 0; f < 3; f++) {
		char *text = f == 0 ? multi_table(back, names, folders, nd)
			     : f == 1 ? multi_markdown(back, names, folders, nd)
				      : multi_json(back, names, folders, nd);
		if (f == 0) {
			fputs(text, stdout);
			fflush(stdout);
		} else if (dir_ok) {
			snprintf(path, sizeof(path), "%s/monitors.%s", dir, f == 1 ? "md" : "json");
			if (report_write_file(path, text, err, sizeof(err))) {
				esc_println(stderr, "hvbench: %s", err);
				rc = -1;
			}
		}
		free(text);
	}
	if (dir_ok)
		esc_println(stderr, "hvbench: one column per monitor in %s/monitors.md", dir);
	for (size_t k = 0; k < nd; k++)
		hvb_doc_free(&back[k]);
	for (size_t k = 0; k < x->nmore; k++) {
		memset(&x->mdoc[k]->config, 0, sizeof(x->mdoc[k]->config));
		memset(&x->mdoc[k]->host, 0, sizeof(x->mdoc[k]->host));
		free(virt_cmd[k]);
	}
	return rc;
}

/* --vmm qemu: which -cpu and machine this host's QEMU runs the benchmark
 * guest with (qemu.h), once per run. Returns 0, or -1 with why in err. */
static int probe_qemu(struct ctx *x, const struct run_opts *o, char *err, size_t errlen)
{
	esc_println(stderr, "hvbench: finding the -cpu and machine %s accepts on this host",
		    o->vmm);
	if (qemu_probe(o->vmm, o->guest_image, choose_cpu(o->cpu), 60, &x->probe) == 0) {
		esc_println(stderr, "hvbench: QEMU runs the benchmark guest with -M %s -cpu %s",
			    x->probe.machine, x->probe.cpu);
		return 0;
	}
	snprintf(err, errlen, "QEMU/KVM could not run the benchmark guest with any of the "
		 "candidate machines and CPU models: %s", x->probe.log);
	return -1;
}

int run_main(const struct run_opts *o)
{
	struct workload *w;
	size_t nw;
	struct hvb_doc d;
	struct ctx x;
	char err[4600], dir[4096];
	int cpu, dir_ok, any_failed = 0, sig, any_tool = 0;
	int linux = !strcmp(o->guest, "linux"), qemu = !strcmp(o->monitor, "qemu");
	size_t stopped_at = (size_t)-1;
	unsigned char *is_tool;

	memset(&d, 0, sizeof(d));
	memset(&x, 0, sizeof(x));
	x.o = o;
	if (linux && !o->native_only && !o->force) {
		char *kvm, *kind;
		const char *why;

		host_kvm_probe(&kvm, &kind);
		why = run_linux_refusal(kind, kvm);
		free(kvm);
		free(kind);
		if (why) {
			esc_println(stderr, "hvbench: %s", why);
			return 2;
		}
	}
	if (run_list_workloads(o->bench_path, &w, &nw, err, sizeof(err))) {
		esc_println(stderr, "hvbench: %s", err);
		esc_println(stderr, "(set HVBENCH_BENCH to the workload runner, or run `make` to "
				"build it)");
		return 1;
	}
	if (o->native_only) {
		d.config.native_only_reason = hvb_xstrdup("asked for with --native-only");
	} else if (linux && access(o->vmm, X_OK)) {
		snprintf(err, sizeof(err), qemu ? "QEMU (%s) is not installed or not executable "
						  "(Debian package qemu-system-x86)"
						: "the monitor %s does not exist or is not executable",
			 o->vmm);
		d.config.native_only_reason = hvb_xstrdup(err);
	} else if (linux) {
		/* The -cpu model for the Linux guest too, found with the
		 * benchmark guest when it is there (QEMU's acceptance of a CPU
		 * model does not depend on the guest); "host" otherwise. */
		if (qemu && !access(o->guest_image, R_OK) && probe_qemu(&x, o, err, sizeof(err)))
			esc_println(stderr, "hvbench: %s; trying -cpu host", err);
		x.have_virt = 1;
		d.config.vmm = hvb_xstrdup(o->vmm);
	} else if (access(o->guest_image, R_OK)) {
		snprintf(err, sizeof(err),
			 "the bare guest %s does not exist yet (or is unreadable)", o->guest_image);
		d.config.native_only_reason = hvb_xstrdup(err);
	} else if (access(o->vmm, X_OK)) {
		snprintf(err, sizeof(err), qemu ? "QEMU (%s) is not installed or not executable "
						  "(Debian package qemu-system-x86)"
						: "the monitor %s does not exist or is not executable",
			 o->vmm);
		d.config.native_only_reason = hvb_xstrdup(err);
	} else if (qemu && probe_qemu(&x, o, err, sizeof(err))) {
		d.config.native_only_reason = hvb_xstrdup(err);
	} else {
		x.have_virt = 1;
		d.config.vmm = hvb_xstrdup(o->vmm);
	}
	/* Guest-only workloads join the list when there is a guest to run them;
	 * the real tools when the guest is Linux (only its image has them). */
	if (x.have_virt && !linux)
		run_add_guest_only(&w, &nw);
	if (linux)
		run_add_realtools(&w, &nw);
	if (select_workloads(o, w, nw, &d)) {
		free(w);
		hvb_doc_free(&d);
		return 2;
	}
	is_tool = calloc(d.nresults ? d.nresults : 1, 1);
	if (!is_tool)
		abort();
	for (size_t i = 0; i < d.nresults; i++)
		for (size_t j = 0; j < nw; j++) {
			if (strcmp(w[j].name, d.results[i].benchmark))
				continue;
			if (w[j].guest_only)
				d.results[i].has_native = 0;
			is_tool[i] = (unsigned char)w[j].realtool;
			any_tool |= w[j].realtool;
		}
	free(w);
	x.is_tool = is_tool;
	if (any_tool && access(o->realtool, R_OK)) {
		esc_println(stderr, "hvbench: the real tools' converter %s is missing or unreadable "
				"(set HVBENCH_REALTOOL to lab/realtool.sh)", o->realtool);
		free(is_tool);
		hvb_doc_free(&d);
		return 1;
	}
	cpu = choose_cpu(o->cpu);
	if (cpu == -2) {
		esc_println(stderr, "hvbench: --cpu %d: this process may not run on CPU %d; "
				"choose one listed by `taskset -p $$`", o->cpu, o->cpu);
		free(is_tool);
		hvb_doc_free(&d);
		return 2;
	}
	if (cpu < 0)
		esc_println(stderr, "hvbench: CPU affinity unknown: runs are not pinned");

	runner_native(&x.native, o->bench_path);
	runner_realtool(&x.tool, o->realtool);
	if (!linux && qemu)
		runner_qemu_bare(&x.virt, o->vmm, x.probe.cpu ? x.probe.cpu : "host",
				 x.probe.machine ? x.probe.machine : "microvm", o->guest_image);
	else if (!linux)
		runner_bare(&x.virt, o->vmm, o->guest_image);
	else if (qemu)
		runner_qemu(&x.virt, o->vmm, x.probe.cpu, o->kernel, o->initrd);
	else
		runner_linux(&x.virt, o->vmm, o->kernel, o->initrd);
	if (o->realtime && x.have_virt && !o->kernel) {
		snprintf(x.rt_pin, sizeof(x.rt_pin), "%d", cpu < 0 ? 0 : cpu);
		runner_bare_realtime(&x.virt, o->vmm, o->guest_image, x.rt_pin);
		d.config.realtime = 1;
	}
	x.native.cpu = x.tool.cpu = x.virt.cpu = cpu;
	x.native.timeout_s = x.tool.timeout_s = x.virt.timeout_s = o->timeout_s;
	/* A second CPU this process may use: the neighbour VM's, and
	 * channel-pong's; -1 when there is none (they then share). */
	x.nb_cpu = -1;
	{
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			for (int c = 0; c < CPU_SETSIZE && x.nb_cpu < 0; c++)
				if (CPU_ISSET((size_t)c, &set) && c != cpu)
					x.nb_cpu = c;
	}
	/* x.sys_cfg is filled in when a two-VM workload first runs (channel_tmpdir);
	 * the template keeps the buffer, not a copy. */
	runner_system(&x.sys, o->vmm, x.sys_cfg);
	x.sys.cpu = cpu;
	x.sys.timeout_s = o->timeout_s;
	if (o->interference && x.have_virt) {
		/* The neighbour takes another CPU this process may use. */
		if (x.nb_cpu < 0) {
			esc_println(stderr, "hvbench: --interference needs a second CPU for the "
					"neighbour VM; this process may use only CPU %d", cpu);
			hvb_doc_free(&d);
			return 2;
		}
		x.virt_nb = x.virt;
		x.virt_nb.side = "virt+neighbour";
		d.config.interference = 1;
		d.config.nb_cpu = x.nb_cpu;
		if (plan_neighbours(o, &d.config, cpu)) {
			free(is_tool);
			hvb_doc_free(&d);
			return 2;
		}
		x.cfg = &d.config;
		for (size_t k = 0; k < NB_MAX; k++)
			x.nb_cpu_s[k] = (double)NAN;
		/* Every latency workload, the two-VM round trips (channel-ping,
		 * net-ping, vsock-ping) too, with both their VMs beside the
		 * neighbours; not the two-VM streams, already two VMs' load,
		 * nor the device workloads, whose guest needs its devices. */
		x.sys_nb = x.sys;
		x.sys_nb.side = "virt+neighbour";
		for (size_t i = 0; i < d.nresults; i++) {
			struct hvb_result *r = &d.results[i];
			r->has_nb = !devwl_is_device(r) &&
				    (!pair_find(r->benchmark) || !strcmp(r->group, "latency"));
		}
	}

	if (o->ab_new && x.have_virt) {
		if (access(o->ab_new, X_OK)) {
			esc_println(stderr, "hvbench: --ab: the new monitor %s does not exist or is "
					"not executable", o->ab_new);
			free(is_tool);
			hvb_doc_free(&d);
			return 2;
		}
		runner_bare(&x.virt_b, o->ab_new, o->guest_image);
		x.virt.side = "virt (old)";
		x.virt_b.side = "virt (new)";
		x.virt_b.cpu = cpu;
		x.virt_b.timeout_s = o->timeout_s;
		x.ab = hvb_xmalloc(sizeof(*x.ab));
		memset(x.ab, 0, sizeof(*x.ab));
		for (size_t i = 0; i < d.nresults; i++)
			hvb_doc_add(x.ab, d.results[i].benchmark, d.results[i].group);
	} else if (o->ab_new) {
		esc_println(stderr, "hvbench: --ab: %s", d.config.native_only_reason);
		free(is_tool);
		hvb_doc_free(&d);
		return 2;
	}

	if (o->nmore && x.have_virt) {
		if (setup_more(&x, o, &d, cpu)) {
			free(is_tool);
			hvb_doc_free(&d);
			return 2;
		}
	} else if (o->nmore) {
		esc_println(stderr, "hvbench: --vmm: the first monitor cannot run the bare guest (%s)",
			    d.config.native_only_reason);
		free(is_tool);
		hvb_doc_free(&d);
		return 2;
	}

	d.config.reps = o->reps;
	d.config.warmup = WARMUP_RUNS;
	d.config.size = hvb_xstrdup(o->size ? o->size : "default");
	d.config.cpu = cpu;
	d.config.timeout_s = o->timeout_s;
	d.config.guest = hvb_xstrdup(o->guest);
	d.config.native_cmd = runner_describe(&x.native);
	if (any_tool) {
		struct hvb_buf b = {0};
		char *t = runner_describe(&x.tool);

		hvb_buf_printf(&b, "%s; real tools: %s", d.config.native_cmd, t);
		free(t);
		free(d.config.native_cmd);
		d.config.native_cmd = hvb_buf_take(&b);
	}
	if (x.have_virt) {
		d.config.virt_cmd = runner_describe(&x.virt);
		d.config.monitor = hvb_xstrdup(x.virt.monitor ? x.virt.monitor : "vmm");
	}
	if (linux) {
		d.config.kernel = hvb_xstrdup(o->kernel);
		d.config.initrd = hvb_xstrdup(o->initrd);
	}
	d.config.native_only = !x.have_virt;
	if (!x.have_virt)
		esc_println(stderr, "hvbench: running native only: %s", d.config.native_only_reason);
	for (size_t i = 0; i < d.nresults; i++) {
		struct hvb_result *r = &d.results[i];
		const char *why = x.have_virt ? qemu_unavailable(o->monitor, r->benchmark) : NULL;

		r->has_virt = x.have_virt;
		if (why) { /* reported as such, never as a number */
			hvb_result_set_error(r, "%s", why);
			free(r->status);
			r->status = hvb_xstrdup(HVB_ST_UNAVAILABLE);
		}
	}
	host_probe(&d.host, cpu);

	if (o->out_dir)
		snprintf(dir, sizeof(dir), "%s", o->out_dir);
	else
		default_out_dir(dir, sizeof(dir));
	/* Find an unwritable folder now rather than after an hour of runs; the
	 * run still goes on and prints its table. */
	dir_ok = report_mkdirs(dir, err, sizeof(err)) == 0;
	if (!dir_ok)
		esc_println(stderr, "hvbench: %s; the results will only be printed", err);
	if (devwl_setup(&x.dev, &d, o->bench_path, o->vmm, o->guest_image, dir, dir_ok, cpu,
			o->timeout_s, err, sizeof(err))) {
		esc_println(stderr, "hvbench: %s", err);
		free(is_tool);
		hvb_doc_free(&d);
		return 1;
	}
	/* Measured on 2 CPUs (README, "Measured"): 128 KiB requests ran at
	 * half the speed with the I/O thread on the other CPU, where the data
	 * crosses cores, while small requests gained; so sharing is the
	 * default and --io-apart the choice. */
	if (o->io_apart && devwl_place_io(&x.dev, x.nb_cpu)) {
		d.config.io_placed = 1;
		d.config.io_cpu = x.nb_cpu;
	}

	for (size_t i = 0; i < d.nresults; i++) {
		const struct runner *sides[MAX_SIDES];
		x.runs_total += (size_t)(o->reps + WARMUP_RUNS) *
				(size_t)sides_of(&x, &d.results[i], i, sides);
	}
	esc_println(stderr, "hvbench: %zu workload%s, %d repetition%s per side after %d discarded "
			"warm-up run per side, %s, pinned to CPU %d",
		d.nresults, d.nresults == 1 ? "" : "s", o->reps, o->reps == 1 ? "" : "s",
		WARMUP_RUNS, x.have_virt ? "native and virtualised interleaved" : "native only",
		cpu);
	runner_install_signals();
	for (size_t i = 0; i < d.nresults; i++) {
		struct hvb_result *r = &d.results[i];
		const struct runner *sides[MAX_SIDES];
		int nsides = sides_of(&x, r, i, sides);
		size_t planned = (size_t)(o->reps + WARMUP_RUNS) * (size_t)nsides;
		size_t before = x.runs_done;
		enum one rc;

		if (runner_stop_signal())
			break;
		if (!nsides)
			continue;
		rc = run_workload(&x, r, i, d.nresults);
		if (rc == ONE_FAILED) {
			any_failed = 1;
			/* Its remaining runs will not happen: drop them from the
			 * estimate of time left. */
			x.runs_total -= planned - (x.runs_done - before);
		}
		if (rc == ONE_STOPPED) {
			stopped_at = i;
			break;
		}
	}
	sig = runner_stop_signal();
	runner_unwatch_signals();
	devwl_cleanup(&x.dev);
	channel_cleanup(&x); /* its description and its consoles' logs */
	if (sig) {
		d.config.incomplete = 1;
		d.config.stopped_by = hvb_xstrdup(signame(sig));
		esc_println(stderr, "hvbench: stopped by %s: writing what was measured",
			signame(sig));
	}
	/* Workloads finished before a stop keep their status; the one cut short
	 * is incomplete; later ones stay not_run. */
	for (size_t i = 0; i < d.nresults; i++)
		hvb_result_finish(&d.results[i], i == stopped_at);
	memcpy(d.config.nb_cpu_s, x.nb_cpu_s, sizeof(d.config.nb_cpu_s));
	if (finish(o, &d, dir, dir_ok))
		any_failed = 1;
	if (!dir_ok)
		any_failed = 1;
	if (x.nmore) {
		if (more_finish(&x, o, &d, dir, dir_ok, stopped_at) || x.more_failed)
			any_failed = 1;
		for (size_t k = 0; k < x.nmore; k++) {
			hvb_doc_free(x.mdoc[k]);
			free(x.mdoc[k]);
		}
	}
	if (x.ab) {
		/* Slower beyond the threshold counts as a failure: a CI can gate on it. */
		if (ab_finish(o, &x.virt_b, &d, x.ab, dir, dir_ok, stopped_at))
			any_failed = 1;
		hvb_doc_free(x.ab);
		free(x.ab);
	}
	hvb_doc_free(&d);
	free(is_tool);
	if (sig)
		return 128 + sig;
	return any_failed ? 1 : 0;
}
