/* system: the supervisor of a multi-VM system and its console server. */
#include "system.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"

/* Descriptor numbers a VM's process finds its resources at. */
#define FD_CONSOLE 3
#define FD_CHAN0 10 /* channel i: mem 10+3i, out 11+3i, in 12+3i */
/* The MSI vector of a VM's i-th channel doorbell (docs/system.md). */
#define CHANNEL_VECTOR0 0x50

struct chan_rt {
	int mem, a_to_b, b_to_a;
};

/* Output of one VM stream, held until a line is complete so that lines of
 * different VMs never mix on the terminal. */
struct linebuf {
	char buf[2048];
	size_t len;
};

struct vmproc {
	const struct sd_vm *vm;
	pid_t pid;
	int con, err;        /* our ends: console socket, stderr pipe */
	int log;
	unsigned restarts;
	int status;          /* last exit status, -1 while never ended */
	struct linebuf con_line, err_line;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

const char *system_status_meaning(int status, char *buf, size_t len)
{
	if (status >= 128 + 1 && status < 128 + 65 && status != VMM_EXIT_SIGINT &&
	    status != VMM_EXIT_SIGTERM) {
		snprintf(buf, len, "killed by signal %d (%s)", status - 128,
			 strsignal(status - 128));
		return buf;
	}
	switch (status) {
	case VMM_EXIT_OK: snprintf(buf, len, "powered off or rebooted"); break;
	case VMM_EXIT_CONFIG: snprintf(buf, len, "could not start (see its messages)"); break;
	case VMM_EXIT_TRIPLE_FAULT: snprintf(buf, len, "triple fault"); break;
	case VMM_EXIT_HALTED: snprintf(buf, len, "halted with interrupts disabled"); break;
	case VMM_EXIT_KVM_ERROR: snprintf(buf, len, "KVM error or unhandled exit"); break;
	case VMM_EXIT_STRICT_IO: snprintf(buf, len, "unclaimed I/O under --strict-io"); break;
	case VMM_EXIT_SANDBOX:
		snprintf(buf, len, "stopped by its sandbox: a forbidden system call");
		break;
	case VMM_EXIT_SIGINT: snprintf(buf, len, "stopped by SIGINT"); break;
	case VMM_EXIT_SIGTERM: snprintf(buf, len, "stopped by SIGTERM"); break;
	default:
		if (status & 1)
			snprintf(buf, len, "debug-exit value %d", status >> 1);
		else
			snprintf(buf, len, "exit status %d", status);
	}
	return buf;
}

/* Writes all of buf, retrying short writes; drops output on error (a
 * closed terminal must not stop the system). */
static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* Writes what `lb` holds as one "[name] ..." line (adding the newline a
 * partial line lacks) in a single write. */
static void flush_line(int out, const struct vmproc *v, struct linebuf *lb)
{
	char line[sizeof(lb->buf) + SD_NAME_MAX + 8];
	if (!lb->len)
		return;
	int n = snprintf(line, sizeof(line), "[%s] %.*s", v->vm->name, (int)lb->len, lb->buf);
	if (n > 0 && line[n - 1] != '\n' && (size_t)n < sizeof(line) - 1)
		line[n++] = '\n';
	write_all(out, line, (size_t)n);
	lb->len = 0;
}

/* Copies VM output to `out` line by line, each with "[name] " in front. A
 * line longer than the buffer is cut; a partial line waits for the rest
 * (or for flush_partial, so an interactive prompt still shows). */
static void prefixed(int out, const struct vmproc *v, struct linebuf *lb, const char *buf,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		lb->buf[lb->len++] = buf[i];
		if (buf[i] == '\n' || lb->len == sizeof(lb->buf))
			flush_line(out, v, lb);
	}
}

static void child_fail(const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "vmm system: %s: %s\n", what, strerror(errno));
	write_all(2, msg, (size_t)n);
	_exit(VMM_EXIT_CONFIG);
}

/* Starts VM v. The child gets: stdin /dev/null, COM1 on FD_CONSOLE,
 * stderr on a pipe, its channels at FD_CHAN0.., its host CPU. */
static int spawn(struct vmproc *v, const struct sd_system *sys, const struct chan_rt *ch,
		 const char *self)
{
	int con[2], err[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0)
		return -1;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(con[0]);
		close(con[1]);
		return -1;
	}
	/* Argument vector, built before fork (no allocation in the child). */
	char mem[32], cpus[16], chan[CHANNEL_MAX][160], serial[16], forbid[16];
	const char *argv[32];
	int n = 0;
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)v->vm->mem);
	snprintf(cpus, sizeof(cpus), "%u", v->vm->cpus);
	snprintf(serial, sizeof(serial), "fd:%d", FD_CONSOLE);
	argv[n++] = self;
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = v->vm->kernel;
	if (v->vm->initrd) {
		argv[n++] = "--initrd";
		argv[n++] = v->vm->initrd;
	}
	argv[n++] = "--cmdline";
	argv[n++] = v->vm->cmdline ? v->vm->cmdline : "";
	argv[n++] = "--mem";
	argv[n++] = mem;
	argv[n++] = "--cpus";
	argv[n++] = cpus;
	argv[n++] = "--serial";
	argv[n++] = serial;
	if (v->vm->test_forbidden_s) {
		snprintf(forbid, sizeof(forbid), "%u", v->vm->test_forbidden_s);
		argv[n++] = "--test-forbidden-syscall";
		argv[n++] = forbid;
	}
	int fds[CHANNEL_MAX * 3], nfds = 0, idx = 0;
	for (size_t i = 0; i < sys->nchans && idx < CHANNEL_MAX; i++) {
		const struct sd_channel *c = &sys->chans[i];
		bool is_a = !strcmp(c->a, v->vm->name), is_b = !strcmp(c->b, v->vm->name);
		if (!is_a && !is_b)
			continue;
		fds[nfds++] = ch[i].mem;
		fds[nfds++] = is_a ? ch[i].a_to_b : ch[i].b_to_a; /* out */
		fds[nfds++] = is_a ? ch[i].b_to_a : ch[i].a_to_b; /* in */
		snprintf(chan[idx], sizeof(chan[idx]),
			 "gpa=%#llx,size=%llu,mem=%d,out=%d,in=%d,vector=%d",
			 (unsigned long long)c->gpa, (unsigned long long)c->size,
			 FD_CHAN0 + 3 * idx, FD_CHAN0 + 3 * idx + 1, FD_CHAN0 + 3 * idx + 2,
			 CHANNEL_VECTOR0 + idx);
		argv[n++] = "--channel";
		argv[n++] = chan[idx];
		idx++;
	}
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Own process group: the terminal's Ctrl-C reaches the
		 * supervisor, which stops the VMs in order. */
		setpgid(0, 0);
		/* Move every source out of the way first (to 100 and up), so
		 * that placing one at its number cannot close another. */
		int src[2 + CHANNEL_MAX * 3], dst[2 + CHANNEL_MAX * 3], ns = 0;
		src[ns] = con[1], dst[ns++] = FD_CONSOLE;
		src[ns] = err[1], dst[ns++] = STDERR_FILENO;
		for (int i = 0; i < nfds; i++)
			src[ns] = fds[i], dst[ns++] = FD_CHAN0 + i;
		for (int i = 0; i < ns; i++)
			if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 100)) < 0)
				child_fail("passing descriptors");
		int nul = open("/dev/null", O_RDONLY);
		if (nul < 0 || dup2(nul, 0) < 0)
			child_fail("redirecting stdin");
		for (int i = 0; i < ns; i++)
			if (dup2(src[i], dst[i]) < 0) /* dup2 leaves the copy open across exec */
				child_fail("passing descriptors");
		if (v->vm->pin >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET((size_t)v->vm->pin, &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0)
				child_fail("pinning to its host CPU");
		}
		execv(self, (char *const *)(uintptr_t)argv);
		child_fail("starting vmm");
	}
	close(con[1]);
	close(err[1]);
	v->pid = pid;
	v->con = con[0];
	v->err = err[0];
	v->con_line.len = v->err_line.len = 0;
	return 0;
}

static void drain(struct vmproc *v, int fd, bool is_err)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		flush_line(is_err ? STDERR_FILENO : STDOUT_FILENO, v,
			   is_err ? &v->err_line : &v->con_line);
		if (is_err) {
			close(v->err);
			v->err = -1;
		} else {
			close(v->con);
			v->con = -1;
		}
		return;
	}
	if (v->log >= 0)
		write_all(v->log, buf, (size_t)n);
	prefixed(is_err ? STDERR_FILENO : STDOUT_FILENO, v, is_err ? &v->err_line : &v->con_line,
		 buf, (size_t)n);
}

static int open_log(const struct sd_system *sys, const char *name)
{
	char path[4096];
	const char *dir = sys->log_dir ? sys->log_dir : "logs";
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fprintf(stderr, "vmm system: %s: %s; this VM's console is not logged\n", path,
			strerror(errno));
	return fd;
}

int system_run(const struct sd_system *sys, const struct system_opts *o)
{
	struct vmproc *vp = calloc(sys->nvms, sizeof(*vp));
	struct chan_rt *ch = calloc(sys->nchans ? sys->nchans : 1, sizeof(*ch));
	int rc = VMM_EXIT_CONFIG, attached = -1, sfd = -1, running = 0, stop_sig = 0;
	bool stopping = false, clean = true;
	char why[128];
	if (!vp || !ch) {
		fprintf(stderr, "vmm system: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < sys->nvms; i++)
		vp[i] = (struct vmproc){.vm = &sys->vms[i], .con = -1, .err = -1, .log = -1,
					.status = -1};
	for (size_t i = 0; i < sys->nchans; i++)
		ch[i] = (struct chan_rt){-1, -1, -1};
	for (size_t i = 0; i < sys->nchans; i++) {
		const struct sd_channel *c = &sys->chans[i];
		ch[i].mem = memfd_create(c->name, MFD_CLOEXEC);
		ch[i].a_to_b = eventfd(0, EFD_CLOEXEC);
		ch[i].b_to_a = eventfd(0, EFD_CLOEXEC);
		if (ch[i].mem < 0 || ch[i].a_to_b < 0 || ch[i].b_to_a < 0 ||
		    ftruncate(ch[i].mem, (off_t)c->size) < 0) {
			fprintf(stderr, "vmm system: channel %s: %s\n", c->name, strerror(errno));
			goto out;
		}
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "vmm system: signalfd: %s\n", strerror(errno));
		goto out;
	}
	double t0 = now_ms();
	for (size_t i = 0; i < sys->nvms; i++) {
		vp[i].log = open_log(sys, sys->vms[i].name);
		if (o->attach && !strcmp(o->attach, sys->vms[i].name))
			attached = (int)i;
		if (spawn(&vp[i], sys, ch, o->self) < 0) {
			fprintf(stderr, "vmm system: cannot start VM %s: %s\n", sys->vms[i].name,
				strerror(errno));
			stopping = true;
			clean = false;
			break;
		}
		running++;
	}
	fprintf(stderr, "vmm system: %d VM%s started in %.1f ms%s%s\n", running,
		running == 1 ? "" : "s", now_ms() - t0, attached >= 0 ? "; stdin goes to " : "",
		attached >= 0 ? sys->vms[attached].name : "");
	if (stopping)
		for (size_t i = 0; i < sys->nvms; i++)
			if (vp[i].pid > 0)
				kill(vp[i].pid, SIGTERM);

	/* The console server: until every VM has ended and its output is
	 * drained. */
	for (;;) {
		bool open_fds = false;
		struct pollfd p[2 + 2 * 64];
		size_t np = 0;
		p[np++] = (struct pollfd){sfd, POLLIN, 0};
		p[np++] = (struct pollfd){attached >= 0 && vp[attached].con >= 0 ? 0 : -1, POLLIN, 0};
		for (size_t i = 0; i < sys->nvms && i < 64; i++) {
			p[np++] = (struct pollfd){vp[i].con, POLLIN, 0};
			p[np++] = (struct pollfd){vp[i].err, POLLIN, 0};
			open_fds |= vp[i].con >= 0 || vp[i].err >= 0;
		}
		if (!running && !open_fds)
			break;
		/* Partial lines (a prompt waiting for input) are shown after
		 * 100 ms of quiet. */
		int r = poll(p, np, 100);
		if (r < 0 && errno != EINTR)
			break;
		if (r == 0)
			for (size_t i = 0; i < sys->nvms; i++) {
				flush_line(STDOUT_FILENO, &vp[i], &vp[i].con_line);
				flush_line(STDERR_FILENO, &vp[i], &vp[i].err_line);
			}
		for (size_t i = 0; i < sys->nvms && i < 64; i++) {
			if (p[2 + 2 * i].revents)
				drain(&vp[i], vp[i].con, false);
			if (p[3 + 2 * i].revents)
				drain(&vp[i], vp[i].err, true);
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char buf[256];
			ssize_t n = read(0, buf, sizeof(buf));
			if (n > 0)
				write_all(vp[attached].con, buf, (size_t)n);
			else
				attached = -1; /* end of input */
		}
		if (!(p[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			if (!stop_sig)
				fprintf(stderr, "vmm system: %s: stopping every VM\n",
					strsignal((int)si.ssi_signo));
			stop_sig = (int)si.ssi_signo;
			stopping = true;
			for (size_t i = 0; i < sys->nvms; i++)
				if (vp[i].pid > 0)
					kill(vp[i].pid, SIGTERM);
			continue;
		}
		/* SIGCHLD: reap every VM that ended and apply its policy. */
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			size_t i;
			for (i = 0; i < sys->nvms && vp[i].pid != pid; i++)
				;
			if (i == sys->nvms)
				continue;
			struct vmproc *v = &vp[i];
			v->pid = 0;
			running--;
			v->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			fprintf(stderr, "vmm system: VM %s ended: %s\n", v->vm->name,
				system_status_meaning(v->status, why, sizeof(why)));
			if (v->status != VMM_EXIT_OK && v->status != 1)
				clean = false;
			if (stopping)
				continue;
			if (v->vm->on_exit == SD_EXIT_RESTART && v->restarts < v->vm->restarts) {
				v->restarts++;
				fprintf(stderr, "vmm system: restarting VM %s (%u of %u)\n",
					v->vm->name, v->restarts, v->vm->restarts);
				/* The old process is gone: take what is left of
				 * its output (up to end of file) before the new one
				 * gets fresh descriptors. */
				while (v->con >= 0)
					drain(v, v->con, false);
				while (v->err >= 0)
					drain(v, v->err, true);
				if (spawn(v, sys, ch, o->self) == 0)
					running++;
				else
					fprintf(stderr, "vmm system: cannot restart VM %s: %s\n",
						v->vm->name, strerror(errno));
			} else if (v->vm->on_exit != SD_EXIT_IGNORE && running > 0) {
				fprintf(stderr, "vmm system: VM %s's policy stops the others\n",
					v->vm->name);
				stopping = true;
				for (size_t k = 0; k < sys->nvms; k++)
					if (vp[k].pid > 0)
						kill(vp[k].pid, SIGTERM);
			}
		}
	}
	rc = stop_sig ? 128 + stop_sig : clean ? 0 : 1;
out:
	if (sfd >= 0)
		close(sfd);
	for (size_t i = 0; vp && i < sys->nvms; i++)
		if (vp[i].log >= 0)
			close(vp[i].log);
	for (size_t i = 0; ch && i < sys->nchans; i++) {
		if (ch[i].mem >= 0)
			close(ch[i].mem);
		if (ch[i].a_to_b >= 0)
			close(ch[i].a_to_b);
		if (ch[i].b_to_a >= 0)
			close(ch[i].b_to_a);
	}
	free(vp);
	free(ch);
	return rc;
}
