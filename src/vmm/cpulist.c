/* cpulist: CPU lists (cpuset(7) list format) and thread placement. */
#include "cpulist.h"

#include <stdio.h>
#include <string.h>

/* One decimal CPU number at *p, below CPU_SETSIZE; advances *p. */
static int cpu_number(const char **p, unsigned *out)
{
	const char *s = *p;
	unsigned long v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= CPU_SETSIZE)
			return -1;
		s++;
	}
	*p = s;
	*out = (unsigned)v;
	return 0;
}

/* Walks LIST (numbers and ranges A-B, comma-separated, no blanks) in
 * order, calling each(ctx, cpu) for every CPU. Returns 0; -1 for a list
 * that does not parse; or what each() returned when it refused a CPU. */
static int cpulist_walk(const char *s, int (*each)(void *ctx, unsigned cpu), void *ctx)
{
	const char *p = s;
	for (;;) {
		unsigned a, b;
		if (cpu_number(&p, &a))
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			if (cpu_number(&p, &b) || b < a)
				return -1;
		}
		for (unsigned c = a; c <= b; c++) {
			int r = each(ctx, c);
			if (r)
				return r;
		}
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static int set_cpu(void *ctx, unsigned cpu)
{
	CPU_SET(cpu, (cpu_set_t *)ctx);
	return 0;
}

int cpulist_parse(const char *opt, const char *s, cpu_set_t *set, char *err, size_t errlen)
{
	CPU_ZERO(set);
	if (cpulist_walk(s, set_cpu, set) == 0)
		return 0;
	snprintf(err, errlen, "%s '%s': expected a CPU list such as 1 or 0,2-3 (CPU numbers "
			      "below %d)", opt, s, CPU_SETSIZE);
	return -1;
}

struct ordered {
	int *cpus;
	unsigned max, *n;
	unsigned dup; /* the CPU listed twice, for the message */
};

/* 1: listed twice; 2: more than max. */
static int append_cpu(void *ctx, unsigned cpu)
{
	struct ordered *o = ctx;
	for (unsigned i = 0; i < *o->n; i++)
		if (o->cpus[i] == (int)cpu) {
			o->dup = cpu;
			return 1;
		}
	if (*o->n == o->max)
		return 2;
	o->cpus[(*o->n)++] = (int)cpu;
	return 0;
}

int cpulist_parse_ordered(const char *s, int *cpus, unsigned max, unsigned *n, char *err,
			  size_t errlen)
{
	struct ordered o = {cpus, max, n, 0};
	*n = 0;
	switch (cpulist_walk(s, append_cpu, &o)) {
	case 0:
		return 0;
	case 1:
		snprintf(err, errlen, "'%s': CPU %u listed twice", s, o.dup);
		return -1;
	case 2:
		snprintf(err, errlen, "'%s': more than %u CPUs", s, max);
		return -1;
	default:
		snprintf(err, errlen, "'%s': expected a CPU list such as 2, 1,3 or 0-3", s);
		return -1;
	}
}

char *cpulist_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int e = c;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		int w = e == c ? snprintf(buf + n, n < len ? len - n : 0, "%s%d", n ? "," : "", c)
			       : snprintf(buf + n, n < len ? len - n : 0, "%s%d-%d", n ? "," : "", c,
					  e);
		if (w < 0 || (size_t)w >= (n < len ? len - n : 0))
			break; /* truncated: what fitted stays */
		n += (size_t)w;
		c = e;
	}
	return buf;
}

int cpulist_split(const char *opt, const cpu_set_t *io, const cpu_set_t *allowed,
		  cpu_set_t *vcpus, char *err, size_t errlen)
{
	char l[128], o[128], al[128];
	cpu_set_t outside;
	CPU_XOR(&outside, io, allowed);
	CPU_AND(&outside, &outside, io);
	if (CPU_COUNT(&outside)) {
		snprintf(err, errlen, "%s %s: CPU %s is not one this process may use (allowed: %s; "
				      "see `taskset -p $$`)", opt, cpulist_format(io, l, sizeof(l)),
			 cpulist_format(&outside, o, sizeof(o)), cpulist_format(allowed, al, sizeof(al)));
		return -1;
	}
	CPU_XOR(vcpus, allowed, io);
	if (!CPU_COUNT(vcpus)) {
		snprintf(err, errlen, "%s %s: takes every CPU this process may use, none is left "
				      "for the vCPUs; leave at least one out", opt,
			 cpulist_format(io, l, sizeof(l)));
		return -1;
	}
	return 0;
}

int cpulist_pin(pthread_t t, const char *name, const cpu_set_t *set, char *err, size_t errlen)
{
	int e = pthread_setaffinity_np(t, sizeof(*set), set);
	if (e) {
		char l[256];
		snprintf(err, errlen, "cannot place %s on CPUs %s: %s", name,
			 cpulist_format(set, l, sizeof(l)), strerror(e));
		return -1;
	}
	return 0;
}
