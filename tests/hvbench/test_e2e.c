/* test_e2e: build/hvbench end to end with fake_bench.sh as the workload
 * runner and fake_vmm.sh as the monitor: the results folder and its
 * contents, a failing, a crashing and a hanging workload reported failed
 * while the rest go on, native-only runs, `hvbench report` re-rendering the
 * same files, usage errors (exit 2), an unwritable folder, SIGINT in the
 * middle of a run keeping what was measured, and the Linux guest with
 * fake_linux.sh in place of vmm and of QEMU: their command lines (kernel,
 * initramfs, the encoded kernel command line), the real tools measured on
 * both sides through lab/realtool.sh, and the refusal on a software KVM. */
#include "testlib.h"
#include "host.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAKE_BENCH "tests/hvbench/fake_bench.sh"
#define FAKE_VMM "tests/hvbench/fake_vmm.sh"
#define FAKE_LINUX "tests/hvbench/fake_linux.sh"
#define REALTOOL "lab/realtool.sh"

static char tmpdir[] = "/tmp/hvbench-e2e-XXXXXX";

static double now_s(void);

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("HVBENCH_BENCH", FAKE_BENCH, 1);
	setenv("HVBENCH_VMM", FAKE_VMM, 1);
	/* Any readable file will do as the "guest": the fake monitor only
	 * checks that it can read it. */
	setenv("HVBENCH_GUEST_IMAGE", FAKE_BENCH, 1);
	setenv("HVBENCH_GNUPLOT", "none", 1);
	setenv("HVBENCH_QEMU", FAKE_LINUX, 1);
	setenv("HVBENCH_REALTOOL", REALTOOL, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *rel)
{
	static char buf[8][512];
	static unsigned next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, rel);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Runs build/hvbench with up to 18 arguments. */
static void hvbench(struct cmd_result *r, const char *const *args)
{
	const char *argv[20];
	size_t n = 0;

	argv[n++] = build_path("hvbench");
	for (; args[n - 1] && n < 19; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	run_cmd(argv, 120, r);
}

static json_t *load_results(const char *dir)
{
	char path[512];
	json_error_t e;
	json_t *j;

	snprintf(path, sizeof(path), "%s/results.json", dir);
	j = json_load_file(path, 0, &e);
	if (!j)
		fail_msg("%s: %s", path, e.text);
	return j;
}

static json_t *result_of(json_t *root, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(root, "results"), i, v)
		if (!strcmp(json_string_value(json_object_get(v, "benchmark")), name))
			return v;
	fail_msg("no result for %s", name);
	return NULL;
}

static const char *status_of(json_t *root, const char *name)
{
	return json_string_value(json_object_get(result_of(root, name), "status"));
}

static size_t nsamples(json_t *res, const char *side)
{
	return json_array_size(json_object_get(json_object_get(res, side), "samples"));
}

static void skip_without_tools(void)
{
	if (access(build_path("hvbench"), X_OK))
		skip_because("%s is not built", build_path("hvbench"));
	if (access(FAKE_BENCH, R_OK))
		skip_because("run from the top of the source tree (no %s)", FAKE_BENCH);
}

static void full_run_with_failures(void **state)
{
	const char *out = tmp_path("r1");
	const char *args[] = {"run", "--bench", "alpha,beta,broken,crash,gamma,hang,garbage",
			      "--reps", "3", "--timeout", "2", "--out", out,
			      "--json", tmp_path("copy.json"), NULL};
	struct cmd_result r;
	json_t *j, *alpha, *beta;
	char *a, *b;
	double ov;

	(void)state;
	skip_without_tools();
	hvbench(&r, args);
	if (r.status != 1)
		fail_msg("exit %d (want 1: failures)\nstdout:\n%s\nstderr:\n%s", r.status, r.out,
			 r.err);
	/* The table on stdout, progress on stderr. */
	assert_non_null(strstr(r.out, "overhead"));
	assert_non_null(strstr(r.out, "FAILED broken: native warm-up: broken: checksum"));
	assert_non_null(strstr(r.err, "rep 3/3 virt"));
	assert_non_null(strstr(r.err, "warm-up"));

	j = load_results(out);
	assert_string_equal(json_string_value(json_object_get(j, "schema")), "hvbench/1");
	assert_non_null(json_object_get(json_object_get(j, "host"), "kvm"));
	{
		/* The architecture it ran on, as uname names it. */
		struct utsname u;
		assert_int_equal(uname(&u), 0);
		assert_string_equal(json_string_value(json_object_get(json_object_get(j, "host"),
									 "arch")),
				    host_arch_name(u.machine));
	}
	alpha = result_of(j, "alpha");
	beta = result_of(j, "beta");
	assert_int_equal(nsamples(alpha, "native"), 3);
	assert_int_equal(nsamples(alpha, "virt"), 3);
	/* The fake monitor is 10% slower, within the fake's jitter. */
	ov = json_number_value(json_object_get(alpha, "overhead_pct"));
	assert_true(ov > 8.0 && ov < 12.5);
	/* A rate that is 10% lower in the VM: positive overhead too. */
	ov = json_number_value(json_object_get(beta, "overhead_pct"));
	assert_true(ov > 8.0 && ov < 12.5);
	assert_string_equal(json_string_value(json_object_get(beta, "better")), "higher");
	assert_string_equal(status_of(j, "gamma"), "ok");
	assert_string_equal(status_of(j, "broken"), "failed");
	assert_string_equal(status_of(j, "crash"), "failed");
	assert_string_equal(status_of(j, "hang"), "failed");
	assert_string_equal(status_of(j, "garbage"), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(result_of(j, "broken"),
								  "error")), "checksum 1234"));
	assert_non_null(strstr(json_string_value(json_object_get(result_of(j, "crash"), "error")),
			       "crashed"));
	assert_non_null(strstr(json_string_value(json_object_get(result_of(j, "hang"), "error")),
			       "timed out"));
	json_decref(j);

	/* The other files, and --json a copy of results.json. */
	a = slurp(tmp_path("r1/results.json"));
	b = slurp(tmp_path("copy.json"));
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	free(a);
	free(b);
	a = slurp(tmp_path("r1/results.csv"));
	assert_non_null(a);
	assert_non_null(strstr(a, "\nbroken,mibench,"));
	free(a);
	a = slurp(tmp_path("r1/report.md"));
	assert_non_null(a);
	assert_non_null(strstr(a, "## Failures"));
	assert_non_null(strstr(a, "**hang**: native warm-up: timed out after 2 s"));
	assert_non_null(strstr(a, "Charts skipped: gnuplot is not installed"));
	free(a);
	cmd_result_free(&r);
}

/* `hvbench report DIR` on a copy of results.json writes the same files. */
static void report_rerenders_equal(void **state)
{
	static const char *const files[] = {"report.md", "results.csv"};
	const char *args[] = {"run", "--bench", "alpha,broken,beta", "--reps", "2", "--out",
			      tmp_path("r2"), NULL};
	const char *rep[] = {"report", tmp_path("r3"), NULL};
	struct cmd_result r;
	char cmd[1024];

	(void)state;
	skip_without_tools();
	hvbench(&r, args);
	assert_int_equal(r.status, 1);
	cmd_result_free(&r);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s'", tmp_path("r3"),
		 tmp_path("r2/results.json"), tmp_path("r3/"));
	assert_int_equal(system(cmd), 0);
	hvbench(&r, rep);
	if (r.status != 0)
		fail_msg("report exit %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "alpha"));
	cmd_result_free(&r);
	for (size_t i = 0; i < 2; i++) {
		char a_path[512], b_path[512], *a, *b;

		snprintf(a_path, sizeof(a_path), "%s/%s", tmp_path("r2"), files[i]);
		snprintf(b_path, sizeof(b_path), "%s/%s", tmp_path("r3"), files[i]);
		a = slurp(a_path);
		b = slurp(b_path);
		assert_non_null(a);
		assert_non_null(b);
		if (strcmp(a, b))
			fail_msg("%s differs after `hvbench report`", files[i]);
		free(a);
		free(b);
	}
	/* A folder without results.json is an error naming the file. */
	rep[1] = tmp_path("nothing-here");
	hvbench(&r, rep);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "nothing-here/results.json"));
	cmd_result_free(&r);
}

/* With gnuplot installed: one SVG per group, linked from report.md, and
 * `hvbench report` draws the same charts again. */
static void charts_with_gnuplot(void **state)
{
	const char *args[] = {"run", "--bench", "alpha,beta", "--reps", "2", "--out",
			      tmp_path("r7"), NULL};
	const char *rep[] = {"report", tmp_path("r8"), NULL};
	static const char *const files[] = {"report.md", "overhead_synthetic.svg",
					    "overhead_mibench.svg"};
	struct cmd_result r;
	char cmd[1024];

	(void)state;
	skip_without_tools();
	if (system("command -v gnuplot >/dev/null 2>&1"))
		skip_because("gnuplot is not installed");
	unsetenv("HVBENCH_GNUPLOT");
	hvbench(&r, args);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s'", tmp_path("r8"),
		 tmp_path("r7/results.json"), tmp_path("r8/"));
	assert_int_equal(system(cmd), 0);
	hvbench(&r, rep);
	setenv("HVBENCH_GNUPLOT", "none", 1);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	for (size_t i = 0; i < 3; i++) {
		char a_path[512], b_path[512], *a, *b;

		snprintf(a_path, sizeof(a_path), "%s/%s", tmp_path("r7"), files[i]);
		snprintf(b_path, sizeof(b_path), "%s/%s", tmp_path("r8"), files[i]);
		a = slurp(a_path);
		b = slurp(b_path);
		if (!a || !b)
			fail_msg("%s missing", files[i]);
		if (i == 0)
			assert_non_null(strstr(a, "](overhead_mibench.svg)"));
		else
			assert_non_null(strstr(a, "<svg"));
		if (strcmp(a, b))
			fail_msg("%s differs after `hvbench report`", files[i]);
		free(a);
		free(b);
	}
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A results folder from someone else whose group holds a quote, a newline
 * and a gnuplot system call: `hvbench report` used to hand it to gnuplot,
 * which created the file. Now the file is refused on load, naming the file,
 * the field and the (escaped) value, and nothing is run or written. */
static void report_refuses_crafted_results(void **state)
{
	static const char crafted[] =
		"{\"schema\":\"hvbench/1\",\"host\":{\"kvm_kind\":\"hardware\"},\"config\":{},"
		"\"results\":[{\"benchmark\":\"cpu\","
		"\"group\":\"x'\\nsystem 'touch PWNED'\\n#\",\"metric\":\"time\",\"unit\":\"s\","
		"\"better\":\"lower\",\"status\":\"ok\","
		"\"native\":{\"samples\":[1,1.1],\"median\":1.05,\"ci95\":[1,1.1]},"
		"\"virt\":{\"samples\":[1.2,1.3],\"median\":1.25,\"ci95\":[1.2,1.3]},"
		"\"overhead_pct\":19,\"overhead_ci95\":[9,30]}]}\n";
	const char *dir = tmp_path("crafted");
	const char *rep[] = {"report", dir, NULL};
	char cmd[600];
	struct cmd_result r;
	int have_gnuplot = system("command -v gnuplot >/dev/null 2>&1") == 0;

	(void)state;
	skip_without_tools();
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	write_text(tmp_path("crafted/results.json"), crafted);
	if (have_gnuplot)
		unsetenv("HVBENCH_GNUPLOT"); /* the real gnuplot, as a user has it */
	hvbench(&r, rep);
	setenv("HVBENCH_GNUPLOT", "none", 1);
	if (access(tmp_path("crafted/PWNED"), F_OK) == 0)
		fail_msg("the results file ran a command: %s exists", tmp_path("crafted/PWNED"));
	if (r.status != 1)
		fail_msg("report exit %d (want 1: refused); stderr: %s", r.status, r.err);
	assert_non_null(strstr(r.err, "crafted/results.json: results[0].group: "
				      "\"x'\\nsystem 'touch PWNED'\\n#\" breaks the name rule"));
	assert_non_null(strstr(r.err, "Fix or remove that field"));
	assert_int_equal(access(tmp_path("crafted/report.md"), F_OK), -1);
	assert_int_equal(access(tmp_path("crafted/results.csv"), F_OK), -1);
	assert_null(strchr(r.out, '\x1b'));
	cmd_result_free(&r);
	if (!have_gnuplot)
		skip_because("gnuplot is not installed: refused, but the attack could not have run");
}

/* A monitor that printed a good RESULT line but whose exit status is not
 * "debug-exit value 0": a value too large to carry (14), an exit with 143
 * (which the old reading took for debug-exit value 71), and a monitor
 * killed by SIGKILL. None is a pass, and each is named for what it is. */
static void forged_verdicts(void **state)
{
	static const struct {
		const char *exit, *why;
	} cases[] = {
		{"14", "guest reported failure: debug-exit value too large for an exit status "
		       "(exit status 14)"},
		{"143", "monitor failed: stopped by SIGTERM (exit status 143)"},
		{"kill", "vmm killed by signal 9"},
	};
	struct cmd_result r;

	(void)state;
	skip_without_tools();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		const char *args[] = {"run", "--bench", "alpha", "--reps", "1", "--out", NULL, NULL};
		json_t *j;
		const char *err;

		snprintf(out, sizeof(out), "forged-%s", cases[i].exit);
		args[6] = tmp_path(out);
		setenv("FAKE_VMM_EXIT", cases[i].exit, 1);
		hvbench(&r, args);
		unsetenv("FAKE_VMM_EXIT");
		if (r.status != 1)
			fail_msg("exit %s: hvbench exit %d (want 1); stderr: %s", cases[i].exit,
				 r.status, r.err);
		j = load_results(args[6]);
		assert_string_equal(status_of(j, "alpha"), "failed");
		assert_int_equal(nsamples(result_of(j, "alpha"), "virt"), 0);
		err = json_string_value(json_object_get(result_of(j, "alpha"), "error"));
		if (!err || !strstr(err, cases[i].why))
			fail_msg("exit %s: error '%s', wanted '%s'", cases[i].exit, err, cases[i].why);
		json_decref(j);
		cmd_result_free(&r);
	}
}

static int pid_alive(int pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/* The time limit hits a monitor that ignores SIGTERM and has started a
 * "VM" in a process group of its own that ignores it too: hvbench sends
 * SIGTERM, then SIGKILL after the grace period, to the group and to that
 * VM, and waits for them; nothing is left running when it exits. */
static void time_limit_ends_everything(void **state)
{
	const char *pids = tmp_path("hang.pids");
	const char *args[] = {"run", "--bench", "alpha", "--reps", "1", "--timeout", "1",
			      "--out", tmp_path("hang"), NULL};
	struct cmd_result r;
	int mon = 0, vm = 0;
	double t0;
	FILE *f;
	json_t *j;

	(void)state;
	skip_without_tools();
	if (system("command -v setsid >/dev/null 2>&1"))
		skip_because("setsid (util-linux) is not installed");
	setenv("FAKE_VMM_HANG", pids, 1);
	t0 = now_s();
	hvbench(&r, args);
	unsetenv("FAKE_VMM_HANG");
	f = fopen(pids, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d %d", &mon, &vm), 2);
	fclose(f);
	if (pid_alive(mon) || pid_alive(vm)) {
		kill(mon, SIGKILL);
		kill(vm, SIGKILL);
		fail_msg("left running after the time limit: monitor %d %s, VM %d %s", mon,
			 pid_alive(mon) ? "alive" : "gone", vm, pid_alive(vm) ? "alive" : "gone");
	}
	assert_true(now_s() - t0 < 30);
	assert_int_equal(r.status, 1);
	j = load_results(tmp_path("hang"));
	assert_string_equal(status_of(j, "alpha"), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(result_of(j, "alpha"), "error")),
			       "timed out after 1 s"));
	json_decref(j);
	cmd_result_free(&r);
}

/* Runs build/hvbench with args as a child that first plants a link at the
 * path the old code used, /tmp/hvbench-channel-<its pid>.cfg, pointing at
 * victim (exec keeps the pid). When stop_after is set, sends SIGINT once
 * stderr shows it, and returns the wait status. */
static int run_planted(const char *const *args, const char *victim, const char *stop_after,
		       char *planted, size_t plen)
{
	int pe[2], st;
	char buf[65536];
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe(pe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[24];
		size_t n = 0;
		char link[128];

		snprintf(link, sizeof(link), "/tmp/hvbench-channel-%d.cfg", (int)getpid());
		unlink(link);
		if (symlink(victim, link))
			_exit(126);
		argv[n++] = strdup(build_path("hvbench"));
		for (; args[n - 1] && n < 23; n++)
			argv[n] = strdup(args[n - 1]); /* the child's own, for execv */
		argv[n] = NULL;
		dup2(pe[1], 2);
		close(pe[0]);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pe[1]);
	snprintf(planted, plen, "/tmp/hvbench-channel-%d.cfg", (int)pid);
	for (;;) {
		ssize_t n = read(pe[0], buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (len > sizeof(buf) / 2)
			len = 0;
		if (stop_after && strstr(buf, stop_after)) {
			usleep(300 * 1000);
			kill(pid, SIGINT);
			stop_after = NULL;
		}
	}
	close(pe[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* channel-ping's description and its consoles' logs live in a mkdtemp
 * folder under $TMPDIR: a link planted at the old predictable path
 * /tmp/hvbench-channel-<pid>.cfg is not followed (the file it points to is
 * untouched), the description is a regular file written there, and the
 * folder is gone after the run, and after a Ctrl-C in the middle of one. */
static void channel_ping_temp_files(void **state)
{
	const char *victim = tmp_path("victim"), *log = tmp_path("system-argv");
	const char *args[] = {"run", "--bench", "channel-ping", "--reps", "1", "--out",
			      tmp_path("chan"), NULL};
	char planted[128], cmd[600], *text, *nl;
	size_t tlen;
	int st;
	json_t *j;

	(void)state;
	skip_without_tools();
	write_text(victim, "precious\n");
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", tmp_path("tmpdir"));
	assert_int_equal(system(cmd), 0);
	setenv("TMPDIR", tmp_path("tmpdir"), 1);
	setenv("FAKE_ARGV_LOG", log, 1);
	st = run_planted(args, victim, NULL, planted, sizeof(planted));
	unlink(planted);
	text = slurp(victim);
	assert_non_null(text);
	if (strcmp(text, "precious\n"))
		fail_msg("the planted link was followed: %s now holds '%s'", victim, text);
	free(text);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	j = load_results(tmp_path("chan"));
	assert_string_equal(status_of(j, "channel-ping"), "ok");
	assert_int_equal(nsamples(result_of(j, "channel-ping"), "virt"), 1);
	json_decref(j);
	/* Where the description was: $TMPDIR/hvbench-XXXXXX/, now removed. */
	text = slurp(log);
	assert_non_null(text);
	tlen = strlen(tmp_path("tmpdir/hvbench-"));
	if (strncmp(text, tmp_path("tmpdir/hvbench-"), tlen))
		fail_msg("description not under $TMPDIR: %s", text);
	nl = strchr(text + tlen, '/');
	assert_non_null(nl);
	*nl = '\0';
	assert_int_equal(access(text, F_OK), -1);
	free(text);
	unlink(log);

	/* Ctrl-C while vmm system runs: the folder goes too. */
	setenv("FAKE_SLEEP", "30", 1);
	st = run_planted(args, victim, "channel-ping: warm-up virt", planted, sizeof(planted));
	unsetenv("FAKE_SLEEP");
	unlink(planted);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	text = slurp(log);
	assert_non_null(text);
	nl = strchr(text + tlen, '/');
	assert_non_null(nl);
	*nl = '\0';
	assert_int_equal(access(text, F_OK), -1);
	free(text);
	unsetenv("FAKE_ARGV_LOG");
	unsetenv("TMPDIR");
	snprintf(cmd, sizeof(cmd), "rmdir '%s'", tmp_path("tmpdir")); /* empty: nothing left */
	assert_int_equal(system(cmd), 0);
}

/* A shared results folder is hostile in its files too: a FIFO named
 * results.json is refused at once (it used to block `hvbench report` for
 * ever), and a chart name planted as a link to another file is replaced,
 * not written through (gnuplot's own `set output` followed it). */
static void report_hostile_folder(void **state)
{
	const char *run[] = {"run", "--bench", "alpha,beta", "--reps", "2", "--out",
			     tmp_path("hf-src"), NULL};
	const char *fifo_dir = tmp_path("hf-fifo"), *dir = tmp_path("hf");
	const char *argv[] = {build_path("hvbench"), "report", fifo_dir, NULL};
	const char *rep[] = {"report", dir, NULL};
	char cmd[1200], *text;
	struct cmd_result r;
	struct stat st;

	(void)state;
	skip_without_tools();
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && mkfifo '%s/results.json'", fifo_dir,
		 fifo_dir);
	assert_int_equal(system(cmd), 0);
	run_cmd(argv, 10, &r);
	if (r.status != 1 || !strstr(r.err, "not a regular file"))
		fail_msg("FIFO results.json: exit %d, stderr '%s'", r.status, r.err);
	cmd_result_free(&r);

	if (system("command -v gnuplot >/dev/null 2>&1"))
		skip_because("gnuplot is not installed: no charts to plant links for");
	hvbench(&r, run);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	write_text(tmp_path("hf-victim"), "precious\n");
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s/' && ln -s '%s' '%s/overhead_synthetic.svg'",
		 dir, tmp_path("hf-src/results.json"), dir, tmp_path("hf-victim"), dir);
	assert_int_equal(system(cmd), 0);
	unsetenv("HVBENCH_GNUPLOT");
	hvbench(&r, rep);
	setenv("HVBENCH_GNUPLOT", "none", 1);
	if (r.status != 0)
		fail_msg("report exit %d: %s", r.status, r.err);
	cmd_result_free(&r);
	text = slurp(tmp_path("hf-victim"));
	assert_non_null(text);
	if (strcmp(text, "precious\n"))
		fail_msg("the planted chart link was written through");
	free(text);
	assert_int_equal(lstat(tmp_path("hf/overhead_synthetic.svg"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	text = slurp(tmp_path("hf/overhead_synthetic.svg"));
	assert_non_null(text);
	assert_non_null(strstr(text, "<svg"));
	free(text);
}

static void native_only(void **state)
{
	const char *args[] = {"run", "--bench", "alpha", "--reps", "2", "--out",
			      tmp_path("r4"), NULL};
	const char *forced[] = {"run", "--native-only", "--bench", "synthetic", "--reps", "1",
				"--timeout", "2", "--out", tmp_path("r5"), "--csv",
				tmp_path("r5.csv"), NULL};
	struct cmd_result r;
	json_t *j, *alpha;

	(void)state;
	skip_without_tools();
	/* No guest image: native only, said on stderr and in the report. */
	setenv("HVBENCH_GUEST_IMAGE", "/nonexistent/benchguest.elf", 1);
	hvbench(&r, args);
	setenv("HVBENCH_GUEST_IMAGE", FAKE_BENCH, 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "native only: the bare guest /nonexistent/benchguest.elf"));
	assert_non_null(strstr(r.out, "native only"));
	j = load_results(tmp_path("r4"));
	alpha = result_of(j, "alpha");
	assert_true(json_is_null(json_object_get(alpha, "virt")));
	assert_true(json_is_null(json_object_get(alpha, "overhead_pct")));
	assert_int_equal(nsamples(alpha, "native"), 2);
	assert_true(json_is_true(json_object_get(json_object_get(j, "config"), "native_only")));
	json_decref(j);
	cmd_result_free(&r);

	/* --native-only, a group name in --bench, --csv. */
	hvbench(&r, forced);
	assert_int_equal(r.status, 1); /* the group holds crash, hang, garbage */
	assert_int_equal(access(tmp_path("r5.csv"), R_OK), 0);
	j = load_results(tmp_path("r5"));
	assert_string_equal(status_of(j, "sleepy"), "ok");
	assert_string_equal(status_of(j, "crash"), "failed");
	json_decref(j);
	cmd_result_free(&r);
}

/* A neighbour that ends at once (the fake monitor refuses --mem) fails
 * the workload with its name, rather than measuring beside nothing. */
static void neighbour_that_ends_fails(void **state)
{
	const char *args[] = {"run", "--interference=io", "--bench", "alpha", "--reps", "1",
			      "--out", tmp_path("r-nb"), NULL};
	struct cmd_result r;
	json_t *j;
	const char *err;

	(void)state;
	skip_without_tools();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip_because("the neighbour needs a second CPU");
	hvbench(&r, args);
	test_note("status %d\n%.2000s", r.status, r.err);
	assert_int_equal(r.status, 1);
	j = load_results(tmp_path("r-nb"));
	assert_string_equal(status_of(j, "alpha"), "failed");
	err = json_string_value(json_object_get(result_of(j, "alpha"), "error"));
	assert_non_null(err);
	assert_non_null(strstr(err, "the io neighbour ended (exit status 2)"));
	json_t *itf = json_object_get(json_object_get(j, "config"), "interference");
	assert_string_equal(json_string_value(json_array_get(json_object_get(itf, "neighbours"), 0)),
			    "io");
	json_decref(j);
	cmd_result_free(&r);
}

struct usage_case {
	const char *args[8];
	const char *msg;
};

static void usage_errors(void **state)
{
	static const struct usage_case cases[] = {
		{{"run", "--reps", "0"}, "--reps '0'"},
		{{"run", "--reps", "ten"}, "--reps 'ten'"},
		{{"run", "--guest", "linux"}, "--guest linux: needs --kernel FILE and --initrd"},
		{{"run", "--guest", "linux", "--kernel", "/nonexistent", "--initrd", FAKE_VMM},
		 "--kernel /nonexistent: No such file"},
		{{"run", "--guest", "windows"}, "--guest 'windows'"},
		{{"run", "--vmm", "qemu", "--interference"}, "cannot go with --vmm qemu"},
		{{"run", "--interference=llc,cache"}, "unknown neighbour 'cache'"},
		{{"run", "--interference=io,"}, "ends with a comma"},
		{{"run", "--kernel", FAKE_BENCH}, "--kernel is for --guest linux"},
		{{"run", "--size", "huge"}, "--size 'huge'"},
		{{"run", "--cpu", "-1"}, "--cpu '-1'"},
		{{"run", "--timeout", "0"}, "--timeout '0'"},
		{{"run", "--frobnicate"}, "unknown option '--frobnicate'"},
		{{"run", "--reps"}, "'--reps' needs a value"},
		{{"run", "extra"}, "unexpected argument 'extra'"},
		{{"run", "--bench", "nosuch"}, "unknown workload or group 'nosuch'"},
		{{"frob"}, "unknown command 'frob'"},
		{{"report"}, "report: expected one folder"},
	};
	struct cmd_result r;

	(void)state;
	skip_without_tools();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hvbench(&r, cases[i].args);
		if (r.status != 2 || !strstr(r.err, cases[i].msg))
			fail_msg("case %zu: exit %d, stderr '%s', wanted '%s'", i, r.status, r.err,
				 cases[i].msg);
		cmd_result_free(&r);
	}
}

static void help_version_list(void **state)
{
	const char *help[] = {"--help", NULL}, *ver[] = {"--version", NULL};
	const char *list[] = {"list", NULL};
	struct cmd_result r;

	(void)state;
	skip_without_tools();
	hvbench(&r, help);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--native-only"));
	cmd_result_free(&r);
	hvbench(&r, ver);
	assert_int_equal(r.status, 0);
	assert_true(!strncmp(r.out, "hvbench ", 8));
	cmd_result_free(&r);
	hvbench(&r, list);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "alpha"));
	assert_non_null(strstr(r.out, "synthetic"));
	assert_non_null(strstr(r.out, "sysbench-cpu"));
	assert_non_null(strstr(r.out, "virt (linux)"));
	assert_non_null(strstr(r.out, "peer (qemu)"));
	assert_null(strstr(r.out, "not implemented yet"));
	cmd_result_free(&r);
}

static void unwritable_folder(void **state)
{
	const char *args[] = {"run", "--bench", "alpha", "--reps", "1", "--native-only", "--out",
			      "/proc/hvbench-cannot/out", NULL};
	struct cmd_result r;

	(void)state;
	skip_without_tools();
	hvbench(&r, args);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "/proc/hvbench-cannot"));
	/* The table is still printed. */
	assert_non_null(strstr(r.out, "alpha"));
	cmd_result_free(&r);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* SIGINT while `sleepy` runs: alpha is kept, sleepy is incomplete, beta was
 * never run, and the sleeping child is killed at once. */
static void sigint_keeps_results(void **state)
{
	char dir[512];
	char prog[512], run[] = "run", bench[] = "--bench", list[] = "alpha,sleepy,beta";
	char reps[] = "--reps", two[] = "2", out[] = "--out";
	char *argv[] = {prog, run, bench, list, reps, two, out, dir, NULL};
	int pe[2], st;
	char buf[65536];
	size_t len = 0;
	double t0;
	pid_t pid;
	json_t *j;

	(void)state;
	skip_without_tools();
	snprintf(dir, sizeof(dir), "%s", tmp_path("r6"));
	snprintf(prog, sizeof(prog), "%s", build_path("hvbench"));
	setenv("FAKE_SLEEP", "60", 1);
	assert_int_equal(pipe(pe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pe[1], 2);
		close(pe[0]);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pe[1]);
	/* Wait until the sleepy workload is running. */
	t0 = now_s();
	while (len < sizeof(buf) - 1 && now_s() - t0 < 60) {
		ssize_t n = read(pe[0], buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "sleepy: warm-up native"))
			break;
	}
	unsetenv("FAKE_SLEEP");
	assert_non_null(strstr(buf, "sleepy: warm-up native"));
	usleep(200 * 1000);
	t0 = now_s();
	kill(pid, SIGINT);
	while (read(pe[0], buf, sizeof(buf) - 1) > 0)
		;
	close(pe[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(now_s() - t0 < 10); /* the 60 s sleep was killed */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	j = load_results(dir);
	assert_true(json_is_true(json_object_get(json_object_get(j, "config"), "incomplete")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "config"),
							      "stopped_by")), "SIGINT");
	assert_string_equal(status_of(j, "alpha"), "ok");
	assert_int_equal(nsamples(result_of(j, "alpha"), "native"), 2);
	assert_string_equal(status_of(j, "sleepy"), "incomplete");
	assert_string_equal(status_of(j, "beta"), "not_run");
	json_decref(j);
	assert_int_equal(access(tmp_path("r6/report.md"), R_OK), 0);
}

/* The argument log of fake_linux.sh: every run's words, one a line, "--"
 * after each. Returns the first run's words joined by single spaces. */
static char *first_run_words(const char *log)
{
	char *text = slurp(log), *end;

	if (!text)
		fail_msg("no argument log %s: the fake monitor never ran", log);
	end = strstr(text, "\n--\n");
	if (!end)
		fail_msg("argument log %s has no end marker", log);
	*end = '\0';
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return text;
}

/* --guest linux under (fake) vmm: the template with the kernel, the
 * initramfs, 512M, one vCPU and the kernel command line with bench= and the
 * encoded bench.args=; a bench workload and a real tool (cyclictest, run for
 * real through lab/realtool.sh on both sides) are measured. */
static void linux_guest_under_vmm(void **state)
{
	const char *out = tmp_path("linux"), *log = tmp_path("linux-argv");
	const char *args[] = {"run", "--guest", "linux", "--kernel", FAKE_BENCH, "--initrd",
			      FAKE_VMM, "--force", "--bench", "cyclictest,alpha", "--size",
			      "small", "--reps", "2", "--out", out, NULL};
	struct cmd_result r;
	json_t *j, *cfg;
	char *words;

	(void)state;
	skip_without_tools();
	if (system("command -v cyclictest >/dev/null 2>&1"))
		skip_because("cyclictest is not installed (Debian package rt-tests)");
	setenv("HVBENCH_VMM", FAKE_LINUX, 1);
	setenv("FAKE_ARGV_LOG", log, 1);
	hvbench(&r, args);
	setenv("HVBENCH_VMM", FAKE_VMM, 1);
	unsetenv("FAKE_ARGV_LOG");
	if (r.status != 0)
		fail_msg("exit %d; stderr: %s", r.status, r.err);
	words = first_run_words(log);
	assert_string_equal(words, "run --kernel " FAKE_BENCH " --initrd " FAKE_VMM
				   " --mem 512M --cpus 1 --cmdline console=ttyS0 quiet panic=-1 "
				   "bench=cyclictest bench.args=loops=200");
	free(words);
	/* The kernel command line is one argument. */
	words = slurp(log);
	assert_non_null(strstr(words, "\nconsole=ttyS0 quiet panic=-1 bench=cyclictest "
				      "bench.args=loops=200\n"));
	free(words);
	j = load_results(out);
	cfg = json_object_get(j, "config");
	assert_string_equal(json_string_value(json_object_get(cfg, "guest")), "linux");
	assert_string_equal(json_string_value(json_object_get(cfg, "monitor")), "vmm");
	assert_string_equal(json_string_value(json_object_get(cfg, "kernel")), FAKE_BENCH);
	assert_string_equal(json_string_value(json_object_get(cfg, "initrd")), FAKE_VMM);
	assert_non_null(strstr(json_string_value(json_object_get(
				       json_object_get(cfg, "runners"), "native")),
			       "real tools: /bin/sh " REALTOOL " {name} {params}"));
	assert_int_equal(nsamples(result_of(j, "cyclictest"), "native"), 2);
	assert_int_equal(nsamples(result_of(j, "cyclictest"), "virt"), 2);
	assert_int_equal(nsamples(result_of(j, "alpha"), "virt"), 2);
	assert_string_equal(json_string_value(json_object_get(result_of(j, "cyclictest"),
							      "metric")), "latency_avg");
	json_decref(j);
	assert_non_null(strstr(r.out, "virt: linux guest under vmm"));
	cmd_result_free(&r);
}

/* --vmm qemu: the peer's command line (same kernel, initramfs, memory and
 * CPU count; the guest's power-off ends QEMU with 0), and the report names
 * QEMU as the monitor of the virt column. */
static void linux_guest_under_qemu(void **state)
{
	const char *out = tmp_path("qemu"), *log = tmp_path("qemu-argv");
	const char *args[] = {"run", "--guest", "linux", "--vmm", "qemu", "--kernel", FAKE_BENCH,
			      "--initrd", FAKE_VMM, "--force", "--bench", "beta,cyclictest",
			      "--reps", "2", "--out", out, NULL};
	struct cmd_result r;
	json_t *j;
	char *words, *md;

	(void)state;
	skip_without_tools();
	if (system("command -v cyclictest >/dev/null 2>&1"))
		skip_because("cyclictest is not installed (Debian package rt-tests)");
	setenv("FAKE_ARGV_LOG", log, 1);
	/* No benchmark guest to probe QEMU's -cpu with: -cpu host. */
	setenv("HVBENCH_GUEST_IMAGE", "/nonexistent", 1);
	hvbench(&r, args);
	setenv("HVBENCH_GUEST_IMAGE", FAKE_BENCH, 1);
	unsetenv("FAKE_ARGV_LOG");
	if (r.status != 0)
		fail_msg("exit %d; stderr: %s", r.status, r.err);
	words = first_run_words(log);
	assert_string_equal(words, "-accel kvm -cpu host -m 512M -smp 1 -nographic "
				   "-no-reboot -nodefaults -serial stdio -monitor none -kernel "
				   FAKE_BENCH " -initrd " FAKE_VMM " -append console=ttyS0 quiet "
				   "panic=-1 bench=beta bench.args=");
	free(words);
	j = load_results(out);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "config"),
							      "monitor")), "qemu");
	assert_int_equal(nsamples(result_of(j, "beta"), "virt"), 2);
	/* No parameters: an empty bench.args= must give the tool none. */
	assert_int_equal(nsamples(result_of(j, "cyclictest"), "virt"), 2);
	json_decref(j);
	assert_non_null(strstr(r.out, "virt: linux guest under QEMU/KVM (peer)"));
	md = slurp(tmp_path("qemu/report.md"));
	assert_non_null(md);
	assert_non_null(strstr(md, "QEMU/KVM (peer)"));
	free(md);
	cmd_result_free(&r);
}

/* On a software KVM (PVM) --guest linux is refused before anything runs,
 * unless --force; --native-only boots no guest and is allowed. */
static void linux_refused_on_software_kvm(void **state)
{
	const char *out = tmp_path("refused");
	const char *args[] = {"run", "--guest", "linux", "--kernel", FAKE_BENCH, "--initrd",
			      FAKE_VMM, "--bench", "alpha", "--reps", "1", "--out", out, NULL};
	const char *native[] = {"run", "--guest", "linux", "--kernel", FAKE_BENCH, "--initrd",
				FAKE_VMM, "--native-only", "--bench", "alpha", "--reps", "1",
				"--out", tmp_path("refused-native"), NULL};
	struct cmd_result r;
	char *kvm, *kind;
	int software;

	(void)state;
	skip_without_tools();
	host_kvm_probe(&kvm, &kind);
	software = !strcmp(kind, "software");
	free(kvm);
	free(kind);
	if (!software)
		skip_because("this host's KVM is not a software KVM: nothing to refuse");
	setenv("HVBENCH_VMM", FAKE_LINUX, 1);
	hvbench(&r, args);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "software KVM"));
	assert_non_null(strstr(r.err, "emulates guest kernel code"));
	assert_non_null(strstr(r.err, "--force"));
	assert_int_equal(access(out, F_OK), -1); /* refused before any output */
	cmd_result_free(&r);
	hvbench(&r, native);
	setenv("HVBENCH_VMM", FAKE_VMM, 1);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
}

/* --vmm qemu with the bare guest: the -cpu model is probed (fake_qemu.sh
 * aborts on -cpu host as Debian's QEMU does on this software KVM), the
 * command it then runs is the one results.json records, the workloads run
 * under it, and the one that needs vmm's GPIO is reported not available on
 * QEMU, never as a number. */
static void bare_guest_under_qemu(void **state)
{
	const char *out = tmp_path("qbare"), *log = tmp_path("qbare-argv");
	const char *args[] = {"run", "--vmm", "qemu", "--bench", "alpha,irq-latency-user",
			      "--reps", "2", "--out", out, NULL};
	struct cmd_result r;
	json_t *j, *gpio;
	const char *virt;
	char *words, *md;

	(void)state;
	skip_without_tools();
	setenv("HVBENCH_QEMU", "tests/hvbench/fake_qemu.sh", 1);
	setenv("FAKE_ARGV_LOG", log, 1);
	hvbench(&r, args);
	unsetenv("FAKE_ARGV_LOG");
	setenv("HVBENCH_QEMU", FAKE_LINUX, 1);
	if (r.status != 0)
		fail_msg("exit %d; stderr: %s", r.status, r.err);
	/* The first try is -cpu host on microvm, and it fails. */
	words = first_run_words(log);
	assert_non_null(strstr(words, "-cpu host -M microvm"));
	free(words);
	j = load_results(out);
	virt = json_string_value(json_object_get(json_object_get(json_object_get(j, "config"),
								 "runners"), "virt"));
	assert_non_null(virt);
	assert_non_null(strstr(virt, "tests/hvbench/fake_qemu.sh -accel kvm -cpu "
				     "host,-arch-capabilities -M microvm -m 256M -smp 1"));
	assert_non_null(strstr(virt, "-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "
				     FAKE_BENCH " -append \"run {name} {params}\""));
	assert_int_equal(nsamples(result_of(j, "alpha"), "virt"), 2);
	assert_int_equal(nsamples(result_of(j, "alpha"), "native"), 2);
	gpio = result_of(j, "irq-latency-user");
	assert_string_equal(json_string_value(json_object_get(gpio, "status")), "not_available");
	assert_int_equal(nsamples(gpio, "virt"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(gpio, "error")), "GPIO"));
	json_decref(j);
	assert_non_null(strstr(r.out, "not available irq-latency-user: not available on QEMU"));
	assert_non_null(strstr(r.out, "virt: bare guest under QEMU/KVM (peer)"));
	md = slurp(tmp_path("qbare/report.md"));
	assert_non_null(md);
	assert_non_null(strstr(md, "`not available` **irq-latency-user**"));
	free(md);
	cmd_result_free(&r);
}

/* --vmm given twice: fake vmm (10% slower than native) and fake QEMU (20%)
 * interleaved with the native runs in one run; vmm's document in the
 * folder, QEMU's in DIR/qemu, the same native samples in both; the table
 * with a column per monitor on stdout and in monitors.md/.json, QEMU
 * against vmm `slower` on the constant samples; the start-up workload gets
 * the host's time (t0=) on its command line; the PCI read that the fake
 * QEMU's guest calls UNAVAILABLE is not_available there, never a number,
 * and not a failure of the run. */
static void two_monitors_one_run(void **state)
{
	const char *out = tmp_path("twomon"), *log = tmp_path("twomon-argv");
	const char *args[] = {"run", "--vmm", FAKE_VMM, "--vmm", "qemu", "--bench",
			      "alpha,startup-entry,exit-pci", "--reps", "4", "--out", out, NULL};
	struct cmd_result r;
	json_t *j, *q, *pci;
	char *md, *words, *line;

	(void)state;
	skip_without_tools();
	setenv("HVBENCH_QEMU", "tests/hvbench/fake_qemu.sh", 1);
	setenv("FAKE_ARGV_LOG", log, 1);
	unlink(log);
	hvbench(&r, args);
	unsetenv("FAKE_ARGV_LOG");
	setenv("HVBENCH_QEMU", FAKE_LINUX, 1);
	if (r.status != 0)
		fail_msg("exit %d; stderr: %s", r.status, r.err);
	assert_non_null(strstr(r.err, "rep 1/4 virt (vmm)"));
	assert_non_null(strstr(r.err, "rep 1/4 virt (qemu)"));
	j = load_results(out);
	q = load_results(tmp_path("twomon/qemu"));
	assert_int_equal(nsamples(result_of(j, "alpha"), "native"), 4);
	assert_int_equal(nsamples(result_of(q, "alpha"), "native"), 4);
	assert_int_equal(nsamples(result_of(j, "alpha"), "virt"), 4);
	assert_int_equal(nsamples(result_of(q, "alpha"), "virt"), 4);
	assert_int_equal(nsamples(result_of(q, "startup-entry"), "virt"), 4);
	assert_string_equal(json_string_value(json_object_get(json_object_get(q, "config"),
							      "monitor")), "qemu");
	assert_int_equal(nsamples(result_of(j, "exit-pci"), "virt"), 4);
	pci = result_of(q, "exit-pci");
	assert_string_equal(json_string_value(json_object_get(pci, "status")), "not_available");
	assert_int_equal(nsamples(pci, "virt"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(pci, "error")),
			       "not available on qemu: no PCI host bridge"));
	json_decref(j);
	json_decref(q);
	/* The host's spawn time reaches the start-up workload's command line. */
	words = slurp(log);
	assert_non_null(words);
	assert_non_null(strstr(words, "run startup-entry t0="));
	free(words);
	/* The rows of the last table, the one with a column per monitor. */
	line = strstr(r.out, "one column per monitor\n");
	assert_non_null(line);
	line = strstr(line, "\nstartup-entry ");
	assert_non_null(line);
	assert_true(strstr(line, "slower") && strstr(line, "slower") < strchr(line + 1, '\n'));
	line = strstr(strstr(r.out, "one column per monitor\n"), "\nexit-pci ");
	assert_non_null(line);
	assert_true(strstr(line, "not available") < strchr(line + 1, '\n'));
	md = slurp(tmp_path("twomon/monitors.md"));
	assert_non_null(md);
	assert_non_null(strstr(md, "| benchmark | metric | native | vmm | qemu | qemu vs vmm |"));
	free(md);
	md = slurp(tmp_path("twomon/monitors.json"));
	assert_non_null(md);
	assert_non_null(strstr(md, "\"schema\": \"hvbench-monitors/1\""));
	free(md);
	cmd_result_free(&r);
}

/* hvbench compare on two real results folders: a folder against itself is
 * no change anywhere (exit 0); a run whose monitor is 30% slower instead of
 * 10% is slower on both workloads (exit 1, the CI gate), but not beyond a
 * 50% threshold; Markdown and JSON are written; a folder from another host
 * is refused (exit 2) naming the field, unless --force, which the output
 * then says. */
static void compare_two_runs(void **state)
{
	const char *a = tmp_path("cmpA"), *b = tmp_path("cmpB");
	const char *md = tmp_path("cmp.md"), *js = tmp_path("cmp.json");
	const char *run_a[] = {"run", "--bench", "alpha,beta", "--reps", "5", "--out", a, NULL};
	const char *run_b[] = {"run", "--bench", "alpha,beta", "--reps", "5", "--out", b, NULL};
	const char *same[] = {"compare", a, a, NULL};
	const char *ab[] = {"compare", "--md", md, "--json", js, a, b, NULL};
	const char *loose[] = {"compare", "--threshold", "50", a, b, NULL};
	const char *forced[] = {"compare", "--force", a, b, NULL};
	struct cmd_result r;
	char path[600], *text, *p;
	FILE *f;

	(void)state;
	skip_without_tools();
	hvbench(&r, run_a);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	setenv("FAKE_VMM_SCALE", "1.3", 1);
	hvbench(&r, run_b);
	unsetenv("FAKE_VMM_SCALE");
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);

	hvbench(&r, same);
	if (r.status != 0)
		fail_msg("exit %d; stdout: %s stderr: %s", r.status, r.out, r.err);
	assert_non_null(strstr(r.out, "0 slower, 0 faster, 2 of 2 compared"));
	assert_null(strstr(r.out, "  slower"));
	cmd_result_free(&r);

	hvbench(&r, ab);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "2 slower, 0 faster, 2 of 2 compared"));
	assert_non_null(strstr(r.out, "verdict rule (T = 0.00%)"));
	cmd_result_free(&r);
	text = slurp(md);
	assert_non_null(text);
	assert_non_null(strstr(text, "| alpha | time (s, lower=better) |"));
	assert_non_null(strstr(text, "| slower |"));
	free(text);
	text = slurp(js);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"schema\": \"hvbench-compare/2\""));
	assert_non_null(strstr(text, "\"verdict\": \"slower\""));
	free(text);

	hvbench(&r, loose);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "0 slower, 0 faster"));
	cmd_result_free(&r);

	/* B from "another host": its hostname changed in the file. */
	snprintf(path, sizeof(path), "%s/results.json", b);
	text = slurp(path);
	assert_non_null(text);
	p = strstr(text, "\"hostname\": \"");
	assert_non_null(p);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%.*s\"hostname\": \"other-%s", (int)(p - text), text, p + 13);
	fclose(f);
	free(text);
	{
		const char *plain[] = {"compare", a, b, NULL};
		hvbench(&r, plain);
	}
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "refused"));
	assert_non_null(strstr(r.err, "hostname: "));
	assert_non_null(strstr(r.err, " vs other-"));
	cmd_result_free(&r);
	hvbench(&r, forced);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "FORCED: the documents come from different hosts"));
	cmd_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_run_with_failures),
		cmocka_unit_test(report_rerenders_equal),
		cmocka_unit_test(charts_with_gnuplot),
		cmocka_unit_test(report_refuses_crafted_results),
		cmocka_unit_test(report_hostile_folder),
		cmocka_unit_test(forged_verdicts),
		cmocka_unit_test(time_limit_ends_everything),
		cmocka_unit_test(channel_ping_temp_files),
		cmocka_unit_test(native_only),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(neighbour_that_ends_fails),
		cmocka_unit_test(help_version_list),
		cmocka_unit_test(unwritable_folder),
		cmocka_unit_test(sigint_keeps_results),
		cmocka_unit_test(linux_guest_under_vmm),
		cmocka_unit_test(linux_guest_under_qemu),
		cmocka_unit_test(bare_guest_under_qemu),
		cmocka_unit_test(two_monitors_one_run),
		cmocka_unit_test(compare_two_runs),
		cmocka_unit_test(linux_refused_on_software_kvm),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
