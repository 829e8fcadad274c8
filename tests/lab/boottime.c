/*
 * boottime: the lab's stopwatch for one monitor run. It starts a program
 * (vmm or qemu-system-x86_64 booting the inner Linux guest), passes its
 * console through to our stdout, and measures on the lab machine's
 * monotonic clock the time from just before the program is started to the
 * first console line that contains MARKER, and to the program's exit.
 *
 *   boottime -o FILE [-c CONSOLE] [-t SECONDS] -m MARKER -- PROGRAM [ARGS...]
 *
 * FILE receives one line "MARKER_MS EXIT_MS STATUS": milliseconds with one
 * decimal, MARKER_MS "none" when the marker never appeared, STATUS the exit
 * status as a shell reports it (128+N for a signal N). After SECONDS
 * (default 600) the program is killed with SIGKILL. With -c, the console is
 * also saved in CONSOLE, for the lab to read the guest's own lines from.
 *
 * The console is passed on with control bytes other than newline, carriage
 * return and tab shown as '.'.
 *
 * Why a C program and not a shell loop over /proc/uptime: /proc/uptime has
 * 10 ms steps, and busybox sh's read takes one byte per system call (each
 * slow under TCG, on the CPU the guest needs), so the loop would delay the
 * lines it times. Here a whole pipe buffer costs one read() and the clock
 * has nanosecond steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: boottime -o FILE [-c CONSOLE] [-t SECONDS] -m MARKER -- PROGRAM [ARGS...]\n");
	exit(2);
}

/* Writes all of buf to fd; the console must not lose bytes to EINTR. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	const char *out = NULL, *marker = NULL, *copy = NULL;
	long limit_s = 600;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "-o") == 0)
			out = argv[++i];
		else if (strcmp(argv[i], "-c") == 0)
			copy = argv[++i];
		else if (strcmp(argv[i], "-m") == 0)
			marker = argv[++i];
		else if (strcmp(argv[i], "-t") == 0)
			limit_s = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (!out || !marker || !*marker || i >= argc || limit_s <= 0)
		usage();
	size_t mlen = strlen(marker);

	int copy_fd = -1;
	if (copy) {
		copy_fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (copy_fd < 0) {
			fprintf(stderr, "boottime: %s: %s\n", copy, strerror(errno));
			return 1;
		}
	}
	int fds[2];
	if (pipe(fds) != 0) {
		perror("boottime: pipe");
		return 1;
	}
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		perror("boottime: fork");
		return 1;
	}
	if (pid == 0) {
		/* stdin from /dev/null: QEMU's stdio chardev would otherwise
		 * put the lab's console into raw mode and read from it. */
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0) {
			dup2(nul, 0);
			close(nul);
		}
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[i], &argv[i]);
		fprintf(stderr, "boottime: cannot run %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	close(fds[1]);

	/* The current console line, kept only up to a bound: the marker
	 * is short, and a longer line is still searched in its first part. */
	char line[4096];
	size_t llen = 0;
	double t_marker = -1.0;
	double deadline = t0 + (double)limit_s * 1e3;
	int killed = 0;
	for (;;) {
		double left = deadline - now_ms();
		if (left <= 0 && !killed) {
			kill(pid, SIGKILL);
			killed = 1;
			fprintf(stderr, "boottime: %s killed after %ld s\n", argv[i], limit_s);
		}
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		int pr = poll(&p, 1, killed ? -1 : (int)left + 1);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		double t = now_ms();
		for (ssize_t k = 0; k < n && t_marker < 0; k++) {
			if (buf[k] == '\n') {
				llen = 0;
				continue;
			}
			if (llen < sizeof(line))
				line[llen++] = buf[k];
			/* Checked at every byte, so a marker at the end of a line
			 * whose newline has not come yet is still seen now. */
			if (llen >= mlen && memcmp(line + llen - mlen, marker, mlen) == 0)
				t_marker = t;
		}
		/* SeaBIOS and Linux send terminal escapes (clear screen, no line
		 * wrap) that would reach the terminal of whoever watches the
		 * lab's console; other control bytes are shown as '.'. */
		for (ssize_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)buf[k];
			if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
				buf[k] = '.';
		}
		write_all(1, buf, (size_t)n);
		if (copy_fd >= 0)
			write_all(copy_fd, buf, (size_t)n);
	}
	close(fds[0]);
	if (copy_fd >= 0)
		close(copy_fd);

	int st = 0;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("boottime: waitpid");
			return 1;
		}
	}
	double t_exit = now_ms();
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

	FILE *f = fopen(out, "w");
	if (!f) {
		perror("boottime: result file");
		return 1;
	}
	if (t_marker >= 0)
		fprintf(f, "%.1f %.1f %d\n", t_marker - t0, t_exit - t0, status);
	else
		fprintf(f, "none %.1f %d\n", t_exit - t0, status);
	if (fclose(f) != 0) {
		perror("boottime: result file");
		return 1;
	}
	return 0;
}
