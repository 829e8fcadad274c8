/* host: probing the host for the record (see host.h). Every probe degrades
 * to "unknown" rather than failing: a missing /proc file must not cost a
 * benchmark run. */
#include "host.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static char *read_text(const char *path)
{
	struct hvb_buf b = {0};
	char tmp[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0 && b.len < (4u << 20))
		hvb_buf_add(&b, tmp, n);
	fclose(f);
	return hvb_buf_take(&b);
}

/* Value of the first "key<spaces>: value" line of a cpuinfo text. */
static char *cpuinfo_field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *p = l + klen, *end;

		if (strncmp(l, key, klen) || (*p != ' ' && *p != '\t' && *p != ':'))
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != ':')
			continue;
		while (*p == ' ')
			p++;
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		{
			struct hvb_buf b = {0};

			hvb_buf_add(&b, p, (size_t)(end - p));
			return hvb_buf_take(&b);
		}
	}
	return NULL;
}

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && (p = strstr(p, word)); p += n) {
		int start = p == list || isspace((unsigned char)p[-1]);
		int end = p[n] == '\0' || isspace((unsigned char)p[n]);

		if (start && end)
			return 1;
	}
	return 0;
}

void host_kvm_kind(const char *cpuinfo, const char *sys_module, char **kvm, char **kind)
{
	char *flags = cpuinfo ? cpuinfo_field(cpuinfo, "flags") : NULL;
	char best[256] = "";
	DIR *d;

	if (flags && (has_word(flags, "vmx") || has_word(flags, "svm"))) {
		*kvm = hvb_xstrdup(has_word(flags, "vmx") ? "VT-x" : "AMD-V");
		*kind = hvb_xstrdup("hardware");
		free(flags);
		return;
	}
	free(flags);
	/* arm64: /proc/cpuinfo has no flag for EL2 (it lists "Features", and
	 * "CPU implementer" where x86 has a model name); KVM is built into
	 * the kernel there, so /sys/module/kvm (its parameters) is what
	 * says the kernel has it. It is the hardware's EL2. */
	char *impl = cpuinfo ? cpuinfo_field(cpuinfo, "CPU implementer") : NULL;
	if (impl && sys_module) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/kvm", sys_module);
		DIR *k = opendir(path);
		if (k) {
			closedir(k);
			free(impl);
			*kvm = hvb_xstrdup("EL2");
			*kind = hvb_xstrdup("hardware");
			return;
		}
	}
	free(impl);
	/* No hardware virtualisation visible: a loaded kvm_* module other than
	 * the hardware ones names the software KVM (kvm_pvm on our machines).
	 * The smallest name wins so the answer does not depend on readdir order. */
	d = sys_module ? opendir(sys_module) : NULL;
	if (d) {
		struct dirent *e;

		while ((e = readdir(d))) {
			if (strncmp(e->d_name, "kvm_", 4) || !strcmp(e->d_name, "kvm_intel") ||
			    !strcmp(e->d_name, "kvm_amd") || strlen(e->d_name) >= sizeof(best))
				continue;
			if (!best[0] || strcmp(e->d_name, best) < 0)
				snprintf(best, sizeof(best), "%s", e->d_name);
		}
		closedir(d);
	}
	*kvm = hvb_xstrdup(best[0] ? best : "none");
	*kind = hvb_xstrdup(best[0] ? "software" : "none");
}

void host_kvm_probe(char **kvm, char **kind)
{
	char *cpuinfo = read_text("/proc/cpuinfo");

	host_kvm_kind(cpuinfo, "/sys/module", kvm, kind);
	free(cpuinfo);
}

const char *host_arch_name(const char *machine)
{
	if (!machine || !machine[0])
		return "unknown";
	if (!strcmp(machine, "aarch64") || !strcmp(machine, "arm64"))
		return "arm64";
	if (!strcmp(machine, "x86_64") || !strcmp(machine, "amd64"))
		return "x86_64";
	return machine;
}

void host_iso_date(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *trimmed(char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void host_probe(struct hvb_host *h, int cpu)
{
	char *cpuinfo = read_text("/proc/cpuinfo");
	char path[128], date[32], name[256];
	struct utsname u;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(h, 0, sizeof(*h));
	h->cpu_model = cpuinfo ? cpuinfo_field(cpuinfo, "model name") : NULL;
	if (!h->cpu_model && cpuinfo) {
		/* arm64's /proc/cpuinfo names no model: the MIDR fields it has. */
		char *impl = cpuinfo_field(cpuinfo, "CPU implementer");
		char *part = cpuinfo_field(cpuinfo, "CPU part");
		if (impl && part) {
			struct hvb_buf b = {0};

			hvb_buf_printf(&b, "implementer %s part %s", impl, part);
			h->cpu_model = hvb_buf_take(&b);
		}
		free(impl);
		free(part);
	}
	if (!h->cpu_model)
		h->cpu_model = hvb_xstrdup("unknown");
	h->cpus = ncpu > 0 ? (int)ncpu : 0;
	host_kvm_kind(cpuinfo, "/sys/module", &h->kvm, &h->kvm_kind);
	free(cpuinfo);
	if (uname(&u) == 0) {
		struct hvb_buf b = {0};

		hvb_buf_printf(&b, "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
		h->kernel = hvb_buf_take(&b);
		h->arch = hvb_xstrdup(host_arch_name(u.machine));
	} else {
		h->kernel = hvb_xstrdup("unknown");
		h->arch = hvb_xstrdup("unknown");
	}
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
		 cpu >= 0 ? cpu : 0);
	h->governor = trimmed(read_text(path));
	if (h->governor && !h->governor[0]) {
		free(h->governor);
		h->governor = NULL;
	}
	host_iso_date((long long)time(NULL), date, sizeof(date));
	h->date = hvb_xstrdup(date);
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		h->hostname = hvb_xstrdup(name);
	} else {
		h->hostname = hvb_xstrdup("unknown");
	}
	h->revision = hvb_xstrdup(HVB_VERSION);
}

int host_proc_stat(pid_t pid, struct host_proc_stat *st)
{
	char path[64], buf[1024];
	const char *p;
	ssize_t n;
	int fd, pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may hold spaces and parentheses, so
	 * the fields are counted from its last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
			 "%*d %*d %*d %*d %llu", &pp, &st->utime, &st->stime, &st->start) != 4)
		return -1;
	st->ppid = pp;
	return 0;
}
