/* lablib: see lablib.h. */
#include "lablib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *lab_unavailable(void)
{
	static char why[640];
	char buf[512] = "";
	FILE *f = fopen(build_path("lab/unavailable"), "r");
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(why, sizeof(why), "the lab's kernel could not be fetched: %s", buf);
		return why;
	}
	if (system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0)
		return "qemu-system-x86_64 not installed (Debian package qemu-system-x86)";
	/* run.sh reads the kernel from $LAB_CACHE, as make does. */
	const char *cache = getenv("LAB_CACHE");
	char kernel[4096];
	snprintf(kernel, sizeof(kernel), "%s/kernel/vmlinuz", cache && *cache ? cache : "lab/cache");
	if (access(kernel, R_OK) != 0 || access(build_path("lab/outer.cpio.gz"), R_OK) != 0) {
		snprintf(why, sizeof(why), "lab images not built (make %s)", build_path("lab/ready"));
		return why;
	}
	return NULL;
}

void require_lab(void)
{
	const char *why = lab_unavailable();
	if (why)
		skip_because("%s", why);
}

/* The lab machine went down by itself: no "LAB: power off" from its /init,
 * and not at the time limit. Its kernel panicked (panic=-1 and -no-reboot
 * make QEMU exit) or QEMU died. The monitor under test runs inside with
 * its own time limit, so a hung or crashed guest still ends in the lab's
 * power-off: only the lab machine's kernel or QEMU can end a run this way,
 * and both are the nested emulation, not the code under test. */
static bool lab_machine_went_down(const struct cmd_result *r)
{
	return r->status == 1 && !r->timed_out && !strstr(r->out, "LAB: power off") &&
	       !strstr(r->out, " timed out after ");
}

/* Keeps the console of a run whose lab machine went down, for whoever
 * finds out why; the name goes into the test's notes. */
static void keep_console(const struct cmd_result *r, char *path, size_t size)
{
	snprintf(path, size, "%s-%ld-%d.console", build_path("lab/went-down"), (long)time(NULL),
		 (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f || fputs(r->out, f) == EOF)
		snprintf(path, size, "(not kept: %s)", strerror(errno));
	if (f)
		fclose(f);
}

static void run_lab_once(struct cmd_result *r, int timeout_s, const char *const opts[])
{
	const char *argv[20];
	char limit[16];
	int n = 0;
	snprintf(limit, sizeof(limit), "%d", timeout_s);
	argv[n++] = "/bin/sh";
	argv[n++] = "lab/run.sh";
	argv[n++] = "--timeout";
	argv[n++] = limit;
	for (int i = 0; opts[i] && n < 19; i++)
		argv[n++] = opts[i];
	argv[n] = NULL;
	run_cmd(argv, timeout_s + 30, r);
	if (r->status == 3)
		skip_because("lab/run.sh: %.300s", r->err);
}

void run_lab_for(struct cmd_result *r, int timeout_s, const char *const opts[])
{
	run_lab_once(r, timeout_s, opts);
	if (lab_machine_went_down(r)) {
		/* Once more, and say so: a second crash fails the case. */
		char kept[512];
		const char *verdict = strstr(r->out, "RUN: ");
		keep_console(r, kept, sizeof(kept));
		test_note("LAB MACHINE WENT DOWN (its kernel or QEMU; console kept in %s); "
			  "booting it once more. Its verdict:\n%.4000s",
			  kept, verdict ? verdict : "no verdict line");
		fprintf(stderr, "lab: the lab machine went down; console kept in %s; booting it once more\n",
			kept);
		cmd_result_free(r);
		run_lab_once(r, timeout_s, opts);
	}
	const char *verdict = strstr(r->out, "RUN: ");
	test_note("lab/run.sh status %d%s; %s", r->status, r->timed_out ? " (timed out)" : "",
		  verdict ? verdict : "no verdict line");
	if (r->status != 0) {
		size_t len = strlen(r->out);
		test_note("console tail:\n%s", len > 3000 ? r->out + len - 3000 : r->out);
		if (*r->err)
			test_note("stderr: %.500s", r->err);
	}
}

void lab_kept_console(struct cmd_result *r, const char *var, const char *path)
{
	*r = (struct cmd_result){0};
	r->out = test_read_file(path);
	if (!r->out)
		fail_msg("%s=%s: cannot read it: %s", var, path, strerror(errno));
	r->err = calloc(1, 1);
	assert_non_null(r->err);
}

int vmm_status_after(const char *out, const char *marker)
{
	const char *p = strstr(out, marker);
	if (!p)
		return -1;
	p = strstr(p, "LAB: vmm exit status ");
	if (!p)
		return -1;
	return atoi(p + strlen("LAB: vmm exit status "));
}

void lab_note_run(const char *out, const char *marker, int lines)
{
	const char *begin = strstr(out, marker);
	if (!begin) {
		test_note("no \"%s\" in the console", marker);
		return;
	}
	const char *end = strstr(begin, "LAB: vmm exit status ");
	end = end ? end + strcspn(end, "\n") : begin + strlen(begin);
	const char *from = end;
	int n = 0;
	while (from > begin && !(from[-1] == '\n' && ++n == lines))
		from--;
	test_note("the run after \"%s\", its last %d lines:\n%.*s", marker, lines,
		  (int)(end - from), from);
}

bool find_line(const char *out, const char *prefix, char *line, size_t size)
{
	const char *p = strstr(out, prefix);
	if (!p)
		return false;
	size_t n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(line, p, n);
	line[n] = '\0';
	return true;
}
