/*
 * Unit tests of the supervisor's link state (src/system/system.c,
 * docs/system.md "Restart and failure"), through its real loop:
 * system_run() starts the VMs with this program itself as their monitor
 * (system_opts.self), so a VM is a stand-in that does with its link
 * sockets what the test needs, and no KVM is involved.
 *
 *   - A DOWN the supervisor could not write (the peer's socket full) is
 *     kept owed and written once there is room: VM b fills the net link
 *     to a, whose stand-in does not read, and ends; a then reads what
 *     is queued and must find b's DOWN after it. Without the retry of
 *     every pass of the loop it never comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#include "linkmsg.h"
#include "sysdesc.h"
#include "system.h"

#define FD_CONSOLE 3 /* system.c's: COM1 */
#define FD_NET 40    /* system.c's: a net link's socket */

static char self[PATH_MAX];

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void say(const char *s)
{
	(void)!write(FD_CONSOLE, s, strlen(s));
}

/* ---- the stand-in monitors (`THIS run ... --cmdline ROLE`) ---------------- */

/* flood: frames on the link until its socket takes no more, then end. */
static int flood(void)
{
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	unsigned n = 0;
	while (send(FD_NET, frame, sizeof(frame), MSG_DONTWAIT) == (ssize_t)sizeof(frame))
		n++;
	if (errno != EAGAIN && errno != EWOULDBLOCK) {
		say("flood: send failed\n");
		return 1;
	}
	char line[64];
	snprintf(line, sizeof(line), "flood: %u frames, socket full\n", n);
	say(line);
	return 0;
}

/* watch: reads nothing until the flooder's first frame is there and
 * half a second after (it fills our socket and ends meanwhile, and the
 * supervisor's DOWN finds the socket full), then reads what is queued
 * and waits up to 3 s for the DOWN. */
static int watch(void)
{
	struct pollfd w = {FD_NET, POLLIN, 0};
	if (poll(&w, 1, 10000) != 1) {
		say("watch: nothing came\n");
		return 1;
	}
	struct timespec half = {0, 500000000};
	nanosleep(&half, NULL);
	unsigned frames = 0;
	double end = now_ms() + 3000;
	while (now_ms() < end) {
		struct pollfd p = {FD_NET, POLLIN, 0};
		if (poll(&p, 1, 100) != 1)
			continue;
		uint8_t m[2048];
		ssize_t n = recv(FD_NET, m, sizeof(m), MSG_DONTWAIT);
		if (n == 1 && m[0] == LINKMSG_DOWN) {
			char line[64];
			snprintf(line, sizeof(line), "watch: DOWN after %u frames\n", frames);
			say(line);
			return 0;
		}
		if (n > 1)
			frames++;
	}
	char line[64];
	snprintf(line, sizeof(line), "watch: no DOWN after %u frames\n", frames);
	say(line);
	return 1;
}

static int stand_in(int argc, char **argv)
{
	for (int i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--cmdline"))
			return !strcmp(argv[i + 1], "flood")   ? flood()
			       : !strcmp(argv[i + 1], "watch") ? watch()
							       : 2;
	return 2;
}

/* ---- the tests ------------------------------------------------------------- */

/* Runs the description `text` under system_run in a child, with stdout
 * and stderr to files in dir; returns its status (-1: it did not end
 * within 20 s, and was killed). */
static int run_system(const char *dir, const char *text)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char out[PATH_MAX];
		snprintf(out, sizeof(out), "%s/out", dir);
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(99);
		struct sd_system sys;
		struct sd_errors errs;
		if (sd_load_string(text, strlen(text), "links.cfg", &sys, &errs)) {
			fprintf(stderr, "the description is refused\n");
			_exit(98);
		}
		struct system_opts o = {.self = self};
		_exit(system_run(&sys, &o));
	}
	double end = now_ms() + 20000;
	int st = 0;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		struct timespec t = {0, 20000000};
		nanosleep(&t, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* b fills its net link to a and ends while a does not read: the
 * supervisor's DOWN for b finds a's socket full, is kept, and reaches a
 * once a has read the frames before it (system.c's links_say on every
 * pass of its loop). */
static void a_down_kept_owed_reaches_the_peer(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-system-links-XXXXXX", text[3 * PATH_MAX], path[PATH_MAX];
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text),
		 "log_dir = \"%s/logs\";\n"
		 "vms = (\n"
		 "  { name = \"a\"; kernel = \"%s\"; cmdline = \"watch\"; },\n"
		 "  { name = \"b\"; kernel = \"%s\"; cmdline = \"flood\"; on_exit = \"ignore\"; }\n"
		 ");\n"
		 "links = ( { name = \"lan\"; type = \"net\"; between = [\"a\", \"b\"]; } );\n",
		 dir, self, self);
	int st = run_system(dir, text);
	char *out = NULL, *loga = NULL, *logb = NULL;
	snprintf(path, sizeof(path), "%s/out", dir);
	out = test_read_file(path);
	snprintf(path, sizeof(path), "%s/logs/a.log", dir);
	loga = test_read_file(path);
	snprintf(path, sizeof(path), "%s/logs/b.log", dir);
	logb = test_read_file(path);
	test_note("status %d\n%.2000s\na: %s\nb: %s", st, out ? out : "", loga ? loga : "",
		  logb ? logb : "");
	assert_non_null(logb);
	assert_non_null(strstr(logb, "socket full"));
	assert_non_null(loga);
	assert_non_null(strstr(loga, "watch: DOWN after "));
	/* Every frame b queued came first: the DOWN was not written past
	 * them (it was not written at all until there was room). */
	const char *fa = strstr(loga, "DOWN after "), *fb = strstr(logb, "flood: ");
	long na = strtol(fa + strlen("DOWN after "), NULL, 10);
	long nb = strtol(fb + strlen("flood: "), NULL, 10);
	assert_true(nb > 0);
	assert_int_equal(na, nb);
	assert_int_equal(st, 0);
	free(out), free(loga), free(logb);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	assert_int_equal(system(text), 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "run"))
		return stand_in(argc, argv);
	if (!realpath("/proc/self/exe", self))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_down_kept_owed_reaches_the_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
