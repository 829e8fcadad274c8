/* testlib: shared helpers for test programs. */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void test_note(const char *fmt, ...)
{
	/* Every line gets the TAP diagnostic prefix, so multi-line output
	 * (a register dump) stays attached to the test. */
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *line = buf, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		printf("# %s\n", line);
	}
	fflush(stdout);
}

char *test_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
	fclose(f);
	return buf;
}

void test_read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 2000), 1);
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

struct sink {
	char *buf;
	size_t len, cap;
};

static void sink_read(struct sink *s, int fd, int *open)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0) {
		if (n == 0 || errno != EINTR)
			*open = 0;
		return;
	}
	if (s->len + (size_t)n + 1 > s->cap) {
		s->cap = (s->len + (size_t)n + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
		if (!s->buf)
			abort();
	}
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void run_cmd(const char *const argv[], int timeout_s, struct cmd_result *r)
{
	int po[2], pe[2];
	memset(r, 0, sizeof(*r));
	if (pipe(po) || pipe(pe))
		abort();
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		/* execv takes char *const[] for historical reasons; it does not
		 * write through it. */
		execv(argv[0], (char *const *)(uintptr_t)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	struct sink so = {0}, se = {0};
	int oo = 1, eo = 1;
	double deadline = now_s() + timeout_s;
	while (oo || eo) {
		struct pollfd p[2] = {{oo ? po[0] : -1, POLLIN, 0}, {eo ? pe[0] : -1, POLLIN, 0}};
		int left = (int)((deadline - now_s()) * 1000);
		if (left <= 0) {
			kill(pid, SIGKILL);
			r->timed_out = 1;
			break;
		}
		if (poll(p, 2, left) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			sink_read(&so, po[0], &oo);
		if (p[1].revents)
			sink_read(&se, pe[0], &eo);
	}
	int st;
	if (!r->timed_out && now_s() > deadline)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(po[0]);
	close(pe[0]);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = so.buf ? so.buf : strdup("");
	r->err = se.buf ? se.buf : strdup("");
}

void cmd_result_free(struct cmd_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void expect_usage_error(const char *const argv[], int timeout_s, const char *want_substring)
{
	struct cmd_result r;

	run_cmd(argv, timeout_s, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, want_substring));
	cmd_result_free(&r);
}

const char *kvm_unusable(void)
{
	static char why[256];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "/dev/kvm cannot be opened: %s", strerror(errno));
		return why;
	}
	int vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(why, sizeof(why), "/dev/kvm cannot create a VM: %s", strerror(errno));
		close(fd);
		return why;
	}
	close(vm);
	close(fd);
	return NULL;
}

const char *build_path(const char *rel)
{
	/* A few buffers in turn, so one argv can hold several paths. */
	static char path[8][4096];
	static unsigned next;
	char *p = path[next++ % 8];
	const char *b = getenv("BUILD");
	snprintf(p, sizeof(path[0]), "%s/%s", b && *b ? b : "build", rel);
	return p;
}
