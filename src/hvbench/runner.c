/* runner: command templates for each side (native, realtool, bare guest,
 * Linux guest under vmm or QEMU), the kernel command line encoding, the
 * exit-status rules, and running one child process with pinning, a time
 * limit, bounded output capture and clean stopping on SIGINT/SIGTERM (see
 * runner.h). */
#include "runner.h"
#include "host.h"
#include "hvbench.h"
#include "vmmstatus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_sig;
static int stop_pipe[2] = {-1, -1};
static int stop_watched;

static void on_stop(int sig)
{
	int saved = errno;

	if (!stop_sig)
		stop_sig = sig;
	if (stop_pipe[1] >= 0) {
		ssize_t n = write(stop_pipe[1], "x", 1);
		(void)n; /* a full pipe already holds a wake-up */
	}
	errno = saved;
}

void runner_install_signals(void)
{
	struct sigaction sa;

	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_NONBLOCK | O_CLOEXEC)) {
		perror("hvbench: pipe");
		exit(1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	stop_watched = 1;
}

int runner_stop_signal(void)
{
	return stop_sig;
}

void runner_unwatch_signals(void)
{
	char tmp[64];

	/* The measurement is over: report writing (gnuplot included) must run to
	 * the end even after a Ctrl-C, so stop requests are no longer acted on. */
	stop_watched = 0;
	if (stop_pipe[0] >= 0)
		while (read(stop_pipe[0], tmp, sizeof(tmp)) > 0)
			;
}

static int stop_requested(void)
{
	return stop_watched && stop_sig;
}

/* What every runner constructor does: a cleared runner with its side,
 * kind, monitor (NULL for native ones), template and exit rule, unpinned. */
static void runner_init(struct runner *r, const char *side, const char *kind,
			const char *monitor, const char *const *words,
			enum runner_exit_rule rule)
{
	memset(r, 0, sizeof(*r));
	r->side = side;
	r->kind = kind;
	r->monitor = monitor;
	while (words[r->ntmpl] && r->ntmpl < RUNNER_MAX_ARGS) {
		r->tmpl[r->ntmpl] = words[r->ntmpl];
		r->ntmpl++;
	}
	r->exit_rule = rule;
	r->cpu = -1;
	r->io_cpu = -1;
}

void runner_native(struct runner *r, const char *bench_path)
{
	const char *words[] = {bench_path, "run", "{name}", "{params}", NULL};

	runner_init(r, "native", "native", NULL, words, RUNNER_EXIT_ZERO);
}

void runner_realtool(struct runner *r, const char *script_path)
{
	/* Through sh, so the script needs no execute bit in the tree. */
	const char *words[] = {"/bin/sh", script_path, "{name}", "{params}", NULL};

	runner_init(r, "native", "realtool", NULL, words, RUNNER_EXIT_ZERO);
}

void runner_linux(struct runner *r, const char *vmm_path, const char *kernel,
		  const char *initrd)
{
	const char *words[] = {vmm_path, "run", "--kernel", kernel, "--initrd", initrd,
			       "--mem", RUNNER_LINUX_MEM, "--cpus", RUNNER_LINUX_CPUS,
			       "--cmdline", "{linux-cmdline}", NULL};

	runner_init(r, "virt", "linux", "vmm", words, RUNNER_EXIT_POWEROFF);
}

void runner_system(struct runner *r, const char *vmm_path, const char *cfg_path)
{
	const char *words[] = {vmm_path, "system", cfg_path, NULL};

	runner_init(r, "virt", "system", "vmm", words, RUNNER_EXIT_SYSTEM);
}

void runner_qemu(struct runner *r, const char *qemu_path, const char *cpu, const char *kernel,
		 const char *initrd)
{
	/* -cpu: the model hvbench found this host's QEMU to accept (qemu.c),
	 * "host" when it has not asked: the guest sees the host's CPU, as
	 * under vmm (KVM's supported CPUID). -nodefaults: no VGA, network or
	 * disks that vmm does not have either; COM1 on stdio is the only
	 * device we read, and -monitor none keeps QEMU's own monitor off it.
	 * -no-reboot: a guest reboot (or a panic, with panic=-1) ends QEMU
	 * instead of restarting. */
	const char *words[] = {qemu_path, "-accel", "kvm", "-cpu", cpu ? cpu : "host",
			       "-m", RUNNER_LINUX_MEM, "-smp", RUNNER_LINUX_CPUS,
			       "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
			       "-monitor", "none", "-kernel", kernel, "-initrd", initrd,
			       "-append", "{linux-cmdline}", NULL};

	runner_init(r, "virt", "linux", "qemu", words, RUNNER_EXIT_POWEROFF);
}

void runner_qemu_bare(struct runner *r, const char *qemu_path, const char *cpu,
		      const char *machine, const char *guest_path)
{
	/* The benchmark guest through its PVH entry (QEMU boots an ELF
	 * -kernel that way), on vmm's default machine size, with the two
	 * devices the workloads use: COM1 and QEMU's own isa-debug-exit at
	 * vmm's port (vmm's is the QEMU-compatible one), so the guest ends
	 * with the same status under both monitors. */
	const char *words[] = {qemu_path, "-accel", "kvm", "-cpu", cpu, "-M", machine,
			       "-m", RUNNER_BARE_MEM, "-smp", "1", "-nographic", "-no-reboot",
			       "-nodefaults", "-serial", "stdio", "-monitor", "none",
			       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
			       "-kernel", guest_path, "-append", "{cmdline}", NULL};

	runner_init(r, "virt", "bare", "qemu", words, RUNNER_EXIT_DEBUG_PORT);
}

int runner_ok_status(const struct runner *r)
{
	switch (r->exit_rule) {
	case RUNNER_EXIT_DEBUG_PORT:
		return RUNNER_VMM_STATUS_OK;
	case RUNNER_EXIT_POWEROFF:
	case RUNNER_EXIT_SYSTEM:
		return RUNNER_POWEROFF_STATUS_OK;
	case RUNNER_EXIT_ZERO:
		break;
	}
	return RUNNER_NATIVE_STATUS_OK;
}

static int cmdline_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '+' || c == ':' || c == '/' || c == '=' || c == '-';
}

char *runner_encode_args(const char *const *params, size_t nparams)
{
	static const char hex[] = "0123456789ABCDEF";
	struct hvb_buf b = {0};

	hvb_buf_puts(&b, "");
	for (size_t k = 0; k < nparams; k++) {
		if (k)
			hvb_buf_puts(&b, ",");
		for (const unsigned char *p = (const unsigned char *)params[k]; *p; p++) {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			if (cmdline_safe(*p))
				hvb_buf_add(&b, (const char *)p, 1);
			else
				hvb_buf_add(&b, esc, 3);
		}
	}
	return hvb_buf_take(&b);
}

char *runner_linux_cmdline(const char *name, const char *const *params, size_t nparams)
{
	char *args = runner_encode_args(params, nparams);
	const char *const nm[] = {name};
	char *ename = runner_encode_args(nm, 1);
	struct hvb_buf b = {0};

	/* The name is encoded too: workload names are plain words already, but
	 * nothing may reach the kernel command line unencoded. */
	hvb_buf_printf(&b, "%s bench=%s bench.args=%s", RUNNER_LINUX_CMDLINE, ename, args);
	free(args);
	free(ename);
	if (b.len >= RUNNER_CMDLINE_MAX) {
		free(hvb_buf_take(&b));
		return NULL;
	}
	return hvb_buf_take(&b);
}

void runner_bare(struct runner *r, const char *vmm_path, const char *guest_path)
{
	const char *words[] = {vmm_path, "run", "--kernel", guest_path, "--cmdline", "{cmdline}",
			       NULL};

	runner_init(r, "virt", "bare", "vmm", words, RUNNER_EXIT_DEBUG_PORT);
}

void runner_bare_realtime(struct runner *r, const char *vmm_path, const char *guest_path,
			  const char *pin)
{
	const char *words[] = {vmm_path, "run", "--realtime", "--pin", pin, "--kernel",
			       guest_path, "--cmdline", "{cmdline}", NULL};

	runner_init(r, "virt", "bare", "vmm", words, RUNNER_EXIT_DEBUG_PORT);
}

void runner_native_disk(struct runner *r, const char *bench_path, const char *image)
{
	const char *words[] = {bench_path, "--disk", image, "run", "{name}", "{params}", NULL};

	runner_init(r, "native", "native", NULL, words, RUNNER_EXIT_ZERO);
}

void runner_bare_dev(struct runner *r, const char *vmm_path, const char *guest_path,
		     const char *dev_opt, const char *dev_arg)
{
	const char *words[] = {vmm_path, "run", "--kernel", guest_path, dev_opt, "--cmdline",
			       "{cmdline}", NULL, NULL};

	if (dev_arg) { /* the option's argument goes right after it */
		words[5] = dev_arg;
		words[6] = "--cmdline";
		words[7] = "{cmdline}";
	}
	runner_init(r, "virt", "bare", "vmm", words, RUNNER_EXIT_DEBUG_PORT);
}

char *runner_describe(const struct runner *r)
{
	struct hvb_buf b = {0};

	for (size_t i = 0; i < r->ntmpl; i++) {
		const char *w = r->tmpl[i];

		if (i)
			hvb_buf_puts(&b, " ");
		if (!strcmp(w, "{cmdline}"))
			hvb_buf_puts(&b, "\"run {name} {params}\"");
		else if (!strcmp(w, "{linux-cmdline}"))
			hvb_buf_puts(&b, "\"" RUNNER_LINUX_CMDLINE " bench={name} "
					 "bench.args={params,}\"");
		else
			hvb_buf_puts(&b, w);
	}
	return hvb_buf_take(&b);
}

int runner_expand(const struct runner *r, const char *name, const char *const *params,
		  size_t nparams, char **argv, size_t maxargv)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ntmpl; i++) {
		const char *w = r->tmpl[i];

		if (!strcmp(w, "{params}")) {
			for (size_t k = 0; k < nparams; k++) {
				if (n + 1 >= maxargv)
					goto full;
				argv[n++] = hvb_xstrdup(params[k]);
			}
			continue;
		}
		if (n + 1 >= maxargv)
			goto full;
		if (!strcmp(w, "{name}")) {
			argv[n++] = hvb_xstrdup(name);
		} else if (!strcmp(w, "{cmdline}")) {
			struct hvb_buf b = {0};

			hvb_buf_printf(&b, "run %s", name);
			for (size_t k = 0; k < nparams; k++)
				hvb_buf_printf(&b, " %s", params[k]);
			argv[n++] = hvb_buf_take(&b);
		} else if (!strcmp(w, "{linux-cmdline}")) {
			char *c = runner_linux_cmdline(name, params, nparams);

			if (!c)
				goto full;
			argv[n++] = c;
		} else {
			argv[n++] = hvb_xstrdup(w);
		}
	}
	argv[n] = NULL;
	return (int)n;
full:
	argv[n] = NULL;
	runner_free_argv(argv);
	return -1;
}

void runner_free_argv(char **argv)
{
	for (size_t i = 0; argv[i]; i++) {
		free(argv[i]);
		argv[i] = NULL;
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

struct capture {
	struct hvb_buf b;
	size_t max;
	int open;
};

static void capture_read(struct capture *c, int fd)
{
	char tmp[8192];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		c->open = 0;
		return;
	}
	/* Keep reading past the cap so the child never blocks on a full pipe. */
	if (c->b.len < c->max)
		hvb_buf_add(&c->b, tmp, (size_t)n < c->max - c->b.len ? (size_t)n
								     : c->max - c->b.len);
}

/* What a child reports through its close-on-exec pipe if it cannot start. */
struct spawn_error {
	int stage; /* 1 chdir, 2 pin, 3 exec */
	int err;
};

static void child_fail(int fd, int stage)
{
	struct spawn_error e = {stage, errno};
	ssize_t n = write(fd, &e, sizeof(e));

	(void)n;
	_exit(127);
}

static void child(char *const argv[], int cpu, int io_cpu, const char *dir, int in_fd,
		  int out_fd, int err_fd, int report_fd)
{
	/* Our own process group, so that a Ctrl-C at the terminal reaches only
	 * hvbench, which then stops the whole group itself. */
	setpgid(0, 0);
	/* If hvbench itself is killed outright, take the run down with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
	if (dir && chdir(dir))
		child_fail(report_fd, 1);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((size_t)cpu, &set);
		if (io_cpu >= 0)
			CPU_SET((size_t)io_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			child_fail(report_fd, 2);
	}
	execvp(argv[0], argv);
	child_fail(report_fd, 3);
}

/* ---- stopping a run: its process group, then what it left behind ---- */

struct proc_id {
	pid_t pid;
	unsigned long long start; /* start time, so that a reused pid is not hit */
};

/* Every live descendant of root, found through the parent links in /proc:
 * with the process group they cover what a monitor started in groups of
 * its own (the VMs under `vmm system`). Caller frees *out. */
static size_t descendants(pid_t root, struct proc_id **out)
{
	struct all {
		pid_t pid, ppid;
		unsigned long long start;
		int in;
	} *all = NULL;
	size_t nall = 0, n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	int grew = 1;

	*out = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		struct host_proc_stat st;

		if (*end || v <= 0 || host_proc_stat((pid_t)v, &st))
			continue;
		all = hvb_xrealloc(all, (nall + 1) * sizeof(*all));
		all[nall++] = (struct all){(pid_t)v, st.ppid, st.start, (pid_t)v == root};
	}
	closedir(d);
	while (grew) {
		grew = 0;
		for (size_t i = 0; i < nall; i++) {
			if (all[i].in)
				continue;
			for (size_t j = 0; j < nall; j++)
				if (all[j].in && all[j].pid == all[i].ppid) {
					all[i].in = grew = 1;
					break;
				}
		}
	}
	for (size_t i = 0; i < nall; i++)
		if (all[i].in && all[i].pid != root) {
			*out = hvb_xrealloc(*out, (n + 1) * sizeof(**out));
			(*out)[n++] = (struct proc_id){all[i].pid, all[i].start};
		}
	free(all);
	return n;
}

/* Waits up to ms for the run's process group `pid` to be empty, reaping
 * its leader (once: *reaped) and any member that came to us as an orphan
 * (we are a child subreaper). Returns 1 when the group is gone. */
static int wait_group(pid_t pid, int *st, int *reaped, int ms)
{
	double deadline = now_s() + ms / 1000.0;

	for (;;) {
		struct timespec t = {0, 10 * 1000 * 1000};

		if (!*reaped && waitpid(pid, st, WNOHANG) == pid)
			*reaped = 1;
		while (waitpid(-pid, NULL, WNOHANG) > 0)
			;
		if (*reaped && kill(-pid, 0) < 0 && errno == ESRCH)
			return 1;
		if (now_s() >= deadline)
			return 0;
		nanosleep(&t, NULL);
	}
}

/* Stops a run that is still going: SIGTERM to its whole process group, so
 * that a monitor can stop its VMs in order; SIGKILL to the group after
 * RUNNER_STOP_GRACE_MS; then SIGKILL to any descendant in a group of its
 * own that is still alive, and waits for all of it. */
static void stop_run(pid_t pid, int *st)
{
	struct proc_id *desc;
	size_t nd = descendants(pid, &desc);
	int reaped = 0;

	kill(-pid, SIGTERM);
	kill(pid, SIGTERM); /* in case it left its group */
	if (!wait_group(pid, st, &reaped, RUNNER_STOP_GRACE_MS)) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		wait_group(pid, st, &reaped, RUNNER_REAP_MS);
	}
	for (size_t i = 0; i < nd; i++) {
		struct host_proc_stat ps;

		if (host_proc_stat(desc[i].pid, &ps) || ps.start != desc[i].start)
			continue; /* gone, or the pid is someone else's now */
		kill(desc[i].pid, SIGKILL);
	}
	for (size_t i = 0; i < nd; i++) {
		double deadline = now_s() + RUNNER_REAP_MS / 1000.0;
		struct host_proc_stat ps;

		/* Orphans are ours to reap (subreaper); others' parents reap. */
		while (host_proc_stat(desc[i].pid, &ps) == 0 && ps.start == desc[i].start &&
		       now_s() < deadline) {
			struct timespec t = {0, 10 * 1000 * 1000};

			if (ps.ppid == getpid() && waitpid(desc[i].pid, NULL, WNOHANG) == desc[i].pid)
				break;
			nanosleep(&t, NULL);
		}
	}
	free(desc);
	if (!reaped)
		while (waitpid(pid, st, 0) < 0 && errno == EINTR)
			;
}

void runner_stop(pid_t pid)
{
	int st;

	if (pid > 0)
		stop_run(pid, &st);
}

void runner_exec(char *const argv[], int cpu, int timeout_s, const char *chdir_to,
		 const char *input, struct runner_run *res)
{
	runner_exec_on(argv, cpu, -1, timeout_s, chdir_to, input, res);
}

static const char *probe_marker;
static long long probe_guest_kib;

void runner_probe_memory(const char *marker, long long guest_kib)
{
	probe_marker = marker;
	probe_guest_kib = guest_kib;
}

int runner_mem_sample(pid_t pid, long long guest_kib, long long *rss_kib, long long *guest_out)
{
	char path[64], line[512];
	long long size = -1, v, guest = 0;
	int found = 0;
	FILE *f;

	*rss_kib = *guest_out = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &v) == 1)
			*rss_kib = v;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	if (*rss_kib < 0 || !(f = fopen(path, "r")))
		return -1;
	/* Each mapping: its header line, then "Size:", "KernelPageSize:", ...,
	 * "Rss:" (proc(5)); the Rss that follows a Size of guest_kib counts. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Size: %lld kB", &v) == 1) {
			size = v;
		} else if (sscanf(line, "Rss: %lld kB", &v) == 1) {
			if (size == guest_kib) {
				guest += v;
				found = 1;
			}
			size = -1;
		}
	}
	fclose(f);
	if (!found)
		return -1;
	*guest_out = guest;
	return 0;
}

void runner_exec_on(char *const argv[], int cpu, int io_cpu, int timeout_s,
		    const char *chdir_to, const char *input, struct runner_run *res)
{
	const char *marker = probe_marker;
	long long marker_kib = probe_guest_kib;
	int po[2], pe[2], pi[2], pr[2];
	struct capture out = {.max = RUNNER_OUT_MAX, .open = 1};
	struct capture err = {.max = 64 * 1024, .open = 1};
	struct spawn_error se;
	size_t in_left = input ? strlen(input) : 0;
	double start = now_s(), deadline = timeout_s > 0 ? start + timeout_s : 0;
	int in_open, st = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	probe_marker = NULL; /* this run's alone */
	/* Orphans of a run (a VM whose supervisor died) become our children,
	 * so that stop_run can reap them rather than leave them to init. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || pipe2(pi, O_CLOEXEC) ||
	    pipe2(pr, O_CLOEXEC)) {
		res->outcome = RUN_SPAWN_ERROR;
		res->err = hvb_xstrdup(strerror(errno));
		res->out = hvb_xstrdup("");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		child(argv, cpu, io_cpu, chdir_to, input ? pi[0] : nul, po[1], pe[1], pr[1]);
	}
	close(po[1]);
	close(pe[1]);
	close(pi[0]);
	close(pr[1]);
	if (pid < 0) {
		close(po[0]);
		close(pe[0]);
		close(pi[1]);
		close(pr[0]);
		res->outcome = RUN_SPAWN_ERROR;
		res->err = hvb_xstrdup(strerror(errno));
		res->out = hvb_xstrdup("");
		return;
	}
	/* Mirror the child's setpgid so kill(-pid) works even if we win the race. */
	setpgid(pid, pid);
	if (read(pr[0], &se, sizeof(se)) == (ssize_t)sizeof(se)) {
		static const char *const what[] = {"", "cannot enter directory",
						   "cannot pin to CPU", "cannot execute"};
		struct hvb_buf b = {0};

		hvb_buf_printf(&b, "%s %s: %s", what[se.stage >= 1 && se.stage <= 3 ? se.stage : 0],
			       se.stage == 1 ? chdir_to : argv[0], strerror(se.err));
		waitpid(pid, &st, 0);
		close(po[0]);
		close(pe[0]);
		close(pi[1]);
		close(pr[0]);
		res->outcome = RUN_SPAWN_ERROR;
		res->err = hvb_buf_take(&b);
		res->err_len = strlen(res->err);
		res->out = hvb_xstrdup("");
		return;
	}
	close(pr[0]);
	in_open = input != NULL;
	if (!in_open)
		close(pi[1]);
	else
		fcntl(pi[1], F_SETFL, O_NONBLOCK);
	res->outcome = RUN_EXITED;
	while (out.open || err.open || in_open) {
		struct pollfd p[4] = {
			{out.open ? po[0] : -1, POLLIN, 0},
			{err.open ? pe[0] : -1, POLLIN, 0},
			{in_open ? pi[1] : -1, POLLOUT, 0},
			{stop_watched ? stop_pipe[0] : -1, POLLIN, 0},
		};
		int wait_ms = -1;

		if (stop_requested()) {
			res->outcome = RUN_INTERRUPTED;
			break;
		}
		if (deadline) {
			double left = deadline - now_s();

			if (left <= 0) {
				res->outcome = RUN_TIMEOUT;
				break;
			}
			wait_ms = (int)(left * 1000) + 1;
		}
		if (poll(p, 4, wait_ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			capture_read(&out, po[0]);
			/* The guest idles now: the monitor's memory as it runs it. */
			if (marker && !res->mem_sampled && out.b.len &&
			    memmem(out.b.p, out.b.len, marker, strlen(marker)))
				res->mem_sampled = runner_mem_sample(pid, marker_kib, &res->mem_rss_kib,
								     &res->mem_guest_kib)
							   ? -1
							   : 1;
		}
		if (p[1].revents)
			capture_read(&err, pe[0]);
		if (p[2].revents & (POLLERR | POLLHUP)) {
			in_open = 0;
			close(pi[1]);
		} else if (p[2].revents & POLLOUT) {
			ssize_t n = write(pi[1], input, in_left);

			if (n > 0) {
				input += n;
				in_left -= (size_t)n;
			}
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || in_left == 0) {
				in_open = 0;
				close(pi[1]);
			}
		}
	}
	if (in_open)
		close(pi[1]);
	/* The output is closed; the child may still be running (or a grandchild
	 * may have held the pipes). Wait for it under the same limits, without
	 * reaping it yet (WNOWAIT): while it is a zombie its pid still names
	 * its process group. */
	while (res->outcome == RUN_EXITED) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			break;
		if (stop_requested()) {
			res->outcome = RUN_INTERRUPTED;
		} else if (deadline && now_s() >= deadline) {
			res->outcome = RUN_TIMEOUT;
		} else {
			struct pollfd p = {stop_watched ? stop_pipe[0] : -1, POLLIN, 0};

			poll(&p, 1, 10);
		}
	}
	if (res->outcome != RUN_EXITED) {
		stop_run(pid, &st);
	} else {
		int reaped = 0;

		/* It ended: whatever it left running in its group goes too. */
		kill(-pid, SIGKILL);
		wait_group(pid, &st, &reaped, RUNNER_REAP_MS);
		if (!reaped)
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
	}
	close(po[0]);
	close(pe[0]);
	res->wall_s = now_s() - start;
	res->wstatus = st;
	if (WIFSIGNALED(st)) {
		res->signalled = 1;
		res->sig = WTERMSIG(st);
		res->status = -1;
	} else {
		res->status = WEXITSTATUS(st);
	}
	res->out_len = out.b.len;
	res->out = hvb_buf_take(&out.b);
	res->err_len = err.b.len;
	res->err = hvb_buf_take(&err.b);
}

void runner_run_free(struct runner_run *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

/* The monitor's name for a message. */
static const char *monitor_of(const struct runner *r)
{
	if (r->exit_rule == RUNNER_EXIT_SYSTEM)
		return "vmm system";
	return r->monitor ? r->monitor : "vmm";
}

const char *runner_judge(const struct runner *r, const struct runner_run *res)
{
	static char why[512];
	char last[200], meaning[128];
	const char *sep;
	int st = res->status;

	runner_last_line(res->err, res->err_len, last, sizeof(last));
	sep = last[0] ? ": " : "";
	switch (res->outcome) {
	case RUN_TIMEOUT:
		snprintf(why, sizeof(why), "timed out after %d s", r->timeout_s);
		return why;
	case RUN_INTERRUPTED:
		snprintf(why, sizeof(why), "interrupted");
		return why;
	case RUN_SPAWN_ERROR:
		snprintf(why, sizeof(why), "%s", last[0] ? last : "could not start");
		return why;
	case RUN_EXITED:
		break;
	}
	/* Killed by a signal is not the same as exiting with 128 + N: only
	 * the wait status tells them apart, so the verdict comes from it. */
	if (res->signalled) {
		if (r->exit_rule == RUNNER_EXIT_ZERO)
			snprintf(why, sizeof(why), "crashed (killed by signal %d: %s)%s%s", res->sig,
				 strsignal(res->sig), last[0] ? "; last stderr line: " : "", last);
		else
			snprintf(why, sizeof(why), "%s %s%s%s", monitor_of(r),
				 vmm_wait_meaning(res->wstatus, meaning, sizeof(meaning)), sep, last);
		return why;
	}
	switch (r->exit_rule) {
	case RUNNER_EXIT_DEBUG_PORT:
		/* A pass only when vmm says, by the table in vmmstatus.h, that
		 * the guest wrote the success value: any other status (a value
		 * too large to carry, 14; stopped, 143; ...) is not a pass. */
		if (vmm_status_is_debug_exit(st) && (st >> 1) == RUNNER_GUEST_EXIT_VALUE_OK)
			return NULL;
		if (vmm_status_is_debug_exit(st))
			snprintf(why, sizeof(why), "guest reported failure (debug-exit value %d)%s%s",
				 st >> 1, last[0] ? "; " : "", last);
		else if (st == VMM_EXIT_OK)
			snprintf(why, sizeof(why), "guest powered off without reporting success on "
				 "the debug-exit port");
		else if (r->monitor && !strcmp(r->monitor, "qemu"))
			snprintf(why, sizeof(why), "qemu failed (exit status %d)%s%s", st, sep, last);
		else
			snprintf(why, sizeof(why), "%s: %s (exit status %d)%s%s",
				 st == VMM_EXIT_DEBUG_RANGE ? "guest reported failure"
							    : "monitor failed",
				 vmm_status_meaning(st, meaning, sizeof(meaning)), st, sep, last);
		return why;
	case RUNNER_EXIT_POWEROFF:
		if (st == RUNNER_POWEROFF_STATUS_OK)
			return NULL;
		/* QEMU's statuses are its own; only vmm's are in the table. */
		if (r->monitor && !strcmp(r->monitor, "qemu"))
			snprintf(why, sizeof(why), "qemu failed (exit status %d)%s%s", st, sep, last);
		else if (vmm_status_is_debug_exit(st))
			snprintf(why, sizeof(why), "the guest wrote %d to the debug-exit port "
				 "instead of powering off", st >> 1);
		else
			snprintf(why, sizeof(why), "vmm failed: %s (exit status %d)%s%s",
				 vmm_status_meaning(st, meaning, sizeof(meaning)), st, sep, last);
		return why;
	case RUNNER_EXIT_SYSTEM:
		/* The supervisor's own statuses (README, vmm system): 0 every VM
		 * ended cleanly, 1 one did not, 2 start-up, 128 + N stopped. Its
		 * 1 is not a debug-exit value, so the vmm table is not asked. */
		if (st == RUNNER_POWEROFF_STATUS_OK)
			return NULL;
		if (st == 1)
			snprintf(why, sizeof(why), "vmm system: a VM did not end cleanly (exit "
				 "status 1)%s%s", sep, last);
		else if (st == VMM_EXIT_CONFIG || st == VMM_EXIT_SIGINT || st == VMM_EXIT_SIGTERM)
			snprintf(why, sizeof(why), "vmm system failed: %s (exit status %d)%s%s",
				 vmm_status_meaning(st, meaning, sizeof(meaning)), st, sep, last);
		else
			snprintf(why, sizeof(why), "vmm system failed (exit status %d, not one it "
				 "uses)%s%s", st, sep, last);
		return why;
	case RUNNER_EXIT_ZERO:
		break;
	}
	if (st == RUNNER_NATIVE_STATUS_OK)
		return NULL;
	snprintf(why, sizeof(why), "exit status %d%s%s", st, sep, last);
	return why;
}

void runner_last_line(const char *text, size_t len, char *dst, size_t n)
{
	size_t end = len, beg, j = 0;

	dst[0] = '\0';
	if (!text || n == 0)
		return;
	while (end && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' '))
		end--;
	beg = end;
	while (beg && text[beg - 1] != '\n')
		beg--;
	for (size_t i = beg; i < end && j + 1 < n; i++)
		dst[j++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
	dst[j] = '\0';
}
