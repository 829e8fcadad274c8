/* neighbour: the --interference neighbours (see neighbour.h). */
#include "neighbour.h"
#include "host.h"
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *const nb_kind_names[NB_MAX] = {"memory", "llc", "io", "host"};

/* Long enough for a neighbour VM to boot and reach its loop, and for the
 * llc one to touch its working set once (600 MiB on the 300 MiB L3 of the
 * machines we build on took 0.33 s). */
#define NB_SETTLE_NS 500000000L

/* The first neighbour's load: 64 MiB, larger than an L2, smaller than a
 * server's L3: what llc fixes. */
#define NB_MEMORY_BLOCK "64M"

int nb_parse(const char *list, unsigned *kinds, char *err, size_t errlen)
{
	const char *p = list;

	*kinds = 0;
	if (!list || !*list) {
		*kinds = HVB_NB_MEMORY;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned bit = 0;

		for (size_t k = 0; k < NB_MAX; k++)
			if (len == strlen(nb_kind_names[k]) && !strncmp(p, nb_kind_names[k], len))
				bit = 1u << k;
		if (!bit) {
			snprintf(err, errlen, "--interference: unknown neighbour '%.*s'; the "
				 "neighbours are memory, llc, io and host (comma separated)",
				 (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		*kinds |= bit;
		p += len;
		if (*p == ',' && !*++p) {
			snprintf(err, errlen, "--interference: the list '%s' ends with a comma",
				 list);
			return -1;
		}
	}
	return 0;
}

void nb_names(unsigned kinds, char *buf, size_t n)
{
	size_t used = 0;

	if (n)
		buf[0] = '\0';
	for (size_t k = 0; k < NB_MAX; k++) {
		if (!(kinds & (1u << k)))
			continue;
		int w = snprintf(buf + used, n > used ? n - used : 0, "%s%s", used ? "," : "",
				 nb_kind_names[k]);
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
	}
}

static int read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)n, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* sysfs cache sizes read "2048K" (drivers/base/cacheinfo.c prints KiB);
 * M and a bare number are taken too. */
static long long parse_size(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -1;
	if (*end == 'K')
		v <<= 10, end++;
	else if (*end == 'M')
		v <<= 20, end++;
	return *end ? -1 : v;
}

long long nb_llc(const char *sysroot, int cpu, int *level, char *path, size_t pathlen)
{
	long long best = -1;

	*level = 0;
	if (pathlen)
		path[0] = '\0';
	if (cpu < 0)
		cpu = 0;
	/* index0..N: the kernel numbers the leaves it knows; stop at the
	 * first missing one. */
	for (int i = 0; i < 32; i++) {
		char p[512], v[64];
		int lvl;
		long long bytes;

		snprintf(p, sizeof(p), "%s/devices/system/cpu/cpu%d/cache/index%d/level", sysroot,
			 cpu, i);
		if (read_line(p, v, sizeof(v)))
			break;
		lvl = atoi(v);
		snprintf(p, sizeof(p), "%s/devices/system/cpu/cpu%d/cache/index%d/type", sysroot,
			 cpu, i);
		if (read_line(p, v, sizeof(v)) || (strcmp(v, "Unified") && strcmp(v, "Data")))
			continue;
		snprintf(p, sizeof(p), "%s/devices/system/cpu/cpu%d/cache/index%d/size", sysroot,
			 cpu, i);
		if (read_line(p, v, sizeof(v)) || (bytes = parse_size(v)) < 0)
			continue;
		if (lvl > *level || (lvl == *level && bytes > best)) {
			*level = lvl;
			best = bytes;
			snprintf(path, pathlen, "%s", p);
		}
	}
	return best;
}

/* The first CPU of a sysfs CPU list ("0-3,8,10-11") that is allowed and
 * not `cpu`; -1 when none. */
static int pick_from_list(const char *list, int cpu, const cpu_set_t *allowed)
{
	const char *p = list;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;

		if (end == p || a < 0)
			return -1;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				return -1;
		}
		for (long c = a; c <= b && c < CPU_SETSIZE; c++)
			if (c != cpu && CPU_ISSET((size_t)c, allowed))
				return (int)c;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return -1;
}

int nb_host_cpu(const char *sysroot, int cpu, const cpu_set_t *allowed, int *rel)
{
	static const char *const files[] = {"thread_siblings_list", "core_siblings_list"};
	static const int rels[] = {HVB_NB_REL_SMT, HVB_NB_REL_PACKAGE};

	for (size_t i = 0; i < 2; i++) {
		char p[512], list[1024];
		int c;

		snprintf(p, sizeof(p), "%s/devices/system/cpu/cpu%d/topology/%s", sysroot,
			 cpu < 0 ? 0 : cpu, files[i]);
		if (read_line(p, list, sizeof(list)))
			continue;
		if ((c = pick_from_list(list, cpu, allowed)) >= 0) {
			*rel = rels[i];
			return c;
		}
	}
	*rel = HVB_NB_REL_OTHER;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (c != cpu && CPU_ISSET((size_t)c, allowed))
			return c;
	return -1;
}

long long nb_working_set(long long llc_bytes)
{
	long long mib = 1LL << 20;

	return (2 * llc_bytes + mib - 1) / mib * mib;
}

static void fmt_bytes(char *buf, size_t n, long long v)
{
	if (v <= 0) /* not recorded (a file from elsewhere) */
		snprintf(buf, n, "? MiB");
	else if (v >= (1LL << 20) && v % (1LL << 20) == 0)
		snprintf(buf, n, "%lld MiB", v >> 20);
	else
		snprintf(buf, n, "%lld KiB", v >> 10);
}

void nb_describe(struct hvb_buf *b, const struct hvb_config *c)
{
	unsigned k = c->nb_kinds ? c->nb_kinds : HVB_NB_MEMORY;
	char ws[32], llc[32];
	const char *sep = "";

	fmt_bytes(ws, sizeof(ws), c->nb_ws_bytes);
	fmt_bytes(llc, sizeof(llc), c->nb_llc_bytes);
	if (k & HVB_NB_MEMORY) {
		hvb_buf_printf(b, "memory: a benchmark guest VM streaming writes through 64 MiB "
				  "on CPU %d", c->nb_cpu);
		sep = "; ";
	}
	if (k & HVB_NB_LLC) {
		hvb_buf_printf(b, "%sllc: a benchmark guest VM streaming writes through %s, twice "
				  "the %s L%d (the last-level cache) on CPU %d", sep, ws, llc,
			       c->nb_llc_level, c->nb_cpu);
		sep = "; ";
	}
	if (k & HVB_NB_IO) {
		hvb_buf_printf(b, "%sio: a benchmark guest VM doing port I/O in a loop (PCI "
				  "configuration reads, each an exit to vmm) on CPU %d", sep,
			       c->nb_cpu);
		sep = "; ";
	}
	if (k & HVB_NB_HOST)
		hvb_buf_printf(b, "%shost: a host process streaming writes through %s on CPU %d, %s",
			       sep, ws, c->nb_host_cpu,
			       c->nb_host_rel == HVB_NB_REL_SMT ? "the measured CPU's SMT sibling"
			       : c->nb_host_rel == HVB_NB_REL_PACKAGE
				       ? "another core of the measured CPU's package (it has no "
					 "SMT sibling)"
				       : "another CPU (the topology is unknown)");
}

/* Forks one neighbour: its own process group (runner_stop signals the
 * group), pinned to cpu, output to /dev/null, killed with hvbench. */
static pid_t spawn(int cpu, const char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		cpu_set_t set;
		int nul = open("/dev/null", O_RDWR);

		CPU_ZERO(&set);
		CPU_SET((size_t)cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		/* execv's argv is char *const []: copies, in the child only */
		char *args[16];
		size_t n = 0;
		for (; argv[n + 1] && n + 1 < sizeof(args) / sizeof(args[0]); n++)
			args[n] = strdup(argv[n + 1]);
		args[n] = NULL;
		execv(argv[0], args);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

int nb_start(struct nb_set *s, const struct hvb_config *c, const char *vmm,
	     const char *guest_image, const char *bench, char *err, size_t errlen)
{
	unsigned kinds = c->nb_kinds ? c->nb_kinds : HVB_NB_MEMORY;
	char ws[32], mem[32], memcmd[128], llccmd[128], wsarg[48];
	/* argv[0] is the program, argv[1] the name the neighbour runs under
	 * (ps shows which is which). */
	const char *vm_memory[] = {vmm, "hvbench-neighbour-memory", "run", "--kernel", guest_image,
				   "--mem", "256M", "--cmdline", memcmd, NULL};
	const char *vm_llc[] = {vmm, "hvbench-neighbour-llc", "run", "--kernel", guest_image,
				"--mem", mem, "--cmdline", llccmd, NULL};
	const char *vm_io[] = {vmm, "hvbench-neighbour-io", "run", "--kernel", guest_image,
			       "--mem", "32M", "--cmdline", "run port-io-loop time_ms=1000000000",
			       NULL};
	const char *host[] = {bench, "hvbench-neighbour-host", "run", "memory", "total_size=16000G",
			      wsarg, "oper=write", NULL};
	const char *const *argv[NB_MAX] = {vm_memory, vm_llc, vm_io, host};

	snprintf(ws, sizeof(ws), "%lldM", c->nb_ws_bytes >> 20);
	snprintf(mem, sizeof(mem), "%lldM", (c->nb_ws_bytes >> 20) + 64);
	snprintf(memcmd, sizeof(memcmd), "run memory total_size=16000G block_size=%s oper=write",
		 NB_MEMORY_BLOCK);
	snprintf(llccmd, sizeof(llccmd), "run memory total_size=16000G block_size=%s oper=write",
		 ws);
	snprintf(wsarg, sizeof(wsarg), "block_size=%s", ws);
	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < NB_MAX; k++) {
		if (!(kinds & (1u << k)))
			continue;
		pid_t pid = spawn((1u << k) == HVB_NB_HOST ? c->nb_host_cpu : c->nb_cpu, argv[k]);
		if (pid < 0) {
			snprintf(err, errlen, "the %s neighbour did not start: %s", nb_kind_names[k],
				 strerror(errno));
			nb_stop(s, NULL);
			return -1;
		}
		s->pid[s->n] = pid;
		s->kind[s->n++] = 1u << k;
	}
	struct timespec t = {0, NB_SETTLE_NS};
	nanosleep(&t, NULL);
	if (nb_check(s, err, errlen)) {
		nb_stop(s, NULL);
		return -1;
	}
	return 0;
}

int nb_check(struct nb_set *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->n; i++) {
		int st;
		const char *name = "?";

		if (waitpid(s->pid[i], &st, WNOHANG) != s->pid[i])
			continue;
		for (size_t k = 0; k < NB_MAX; k++)
			if (s->kind[i] == 1u << k)
				name = nb_kind_names[k];
		snprintf(err, errlen, "the %s neighbour ended (%s %d) while it should have run "
			 "until stopped", name, WIFEXITED(st) ? "exit status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : -1);
		/* reaped: nb_stop must not signal a pid that may be reused */
		s->pid[i] = 0;
		return -1;
	}
	return 0;
}

double nb_proc_cpu_s(pid_t pid)
{
	struct host_proc_stat st;
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0 || host_proc_stat(pid, &st))
		return -1;
	return (double)(st.utime + st.stime) / (double)hz;
}

void nb_stop(struct nb_set *s, double cpu_s[NB_MAX])
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->pid[i] <= 0)
			continue;
		double t = nb_proc_cpu_s(s->pid[i]);
		for (size_t k = 0; cpu_s && t >= 0 && k < NB_MAX; k++)
			if (s->kind[i] == 1u << k)
				cpu_s[k] = (isnan(cpu_s[k]) ? 0 : cpu_s[k]) + t;
		runner_stop(s->pid[i]);
	}
	s->n = 0;
}
