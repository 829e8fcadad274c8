/* test_neighbour: the --interference neighbours (neighbour.h): the list
 * the user gives, the last-level cache and the host neighbour's CPU read
 * from a sysfs tree made here, the working set, the choice's round trip
 * through results.json (and files from before it was recorded), and the
 * report's interference section against golden fragments (the p99 and
 * max change beside the median's).
 * HVBENCH_UPDATE_GOLDEN=1 rewrites the golden files from the current code. */
#include "hvbtest.h"
#include "dist.h"
#include "neighbour.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_list(void **state)
{
	unsigned k;
	char err[256], names[64];

	(void)state;
	assert_int_equal(nb_parse(NULL, &k, err, sizeof(err)), 0);
	assert_int_equal(k, HVB_NB_MEMORY); /* a bare --interference: as before */
	assert_int_equal(nb_parse("", &k, err, sizeof(err)), 0);
	assert_int_equal(k, HVB_NB_MEMORY);
	assert_int_equal(nb_parse("llc,io,host", &k, err, sizeof(err)), 0);
	assert_int_equal(k, HVB_NB_LLC | HVB_NB_IO | HVB_NB_HOST);
	nb_names(k, names, sizeof(names));
	assert_string_equal(names, "llc,io,host");
	assert_int_equal(nb_parse("host,memory,host", &k, err, sizeof(err)), 0);
	nb_names(k, names, sizeof(names));
	assert_string_equal(names, "memory,host"); /* bit order, once each */
	assert_int_equal(nb_parse("llc,cache", &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown neighbour 'cache'"));
	assert_int_equal(nb_parse("llc,", &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ends with a comma"));
	assert_int_equal(nb_parse(",llc", &k, err, sizeof(err)), -1);
	assert_int_equal(nb_parse("ll", &k, err, sizeof(err)), -1);
}

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", text);
	fclose(f);
}

static void cache(int cpu, int idx, const char *level, const char *type, const char *size)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/cache/index%d/level", cpu, idx);
	put(rel, level);
	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/cache/index%d/type", cpu, idx);
	put(rel, type);
	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/cache/index%d/size", cpu, idx);
	put(rel, size);
}

static int mkroot(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-nb-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int rmroot(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void llc_from_sysfs(void **state)
{
	int level;
	char path[512];

	(void)state;
	/* Nothing there: no size rather than a guess. */
	assert_int_equal(nb_llc(root, 1, &level, path, sizeof(path)), -1);
	/* This machine's layout (48K L1d, 32K L1i, 2 MiB L2, 300 MiB L3). */
	cache(1, 0, "1", "Data", "48K");
	cache(1, 1, "1", "Instruction", "32K");
	cache(1, 2, "2", "Unified", "2048K");
	assert_int_equal(nb_llc(root, 1, &level, path, sizeof(path)), 2048 << 10);
	assert_int_equal(level, 2);
	cache(1, 3, "3", "Unified", "307200K");
	assert_int_equal(nb_llc(root, 1, &level, path, sizeof(path)), 307200LL << 10);
	assert_int_equal(level, 3);
	assert_non_null(strstr(path, "/devices/system/cpu/cpu1/cache/index3/size"));
	assert_int_equal(nb_working_set(307200LL << 10), 600LL << 20);
	assert_int_equal(nb_working_set((1LL << 20) + 1), 3LL << 20); /* whole MiB, up */
	/* An instruction cache is never the last level; a bad size is skipped. */
	cache(2, 0, "2", "Unified", "1024K");
	cache(2, 1, "3", "Instruction", "9999K");
	cache(2, 2, "3", "Unified", "lots");
	assert_int_equal(nb_llc(root, 2, &level, path, sizeof(path)), 1024 << 10);
	assert_int_equal(level, 2);
}

static void host_cpu_from_topology(void **state)
{
	cpu_set_t all, one;
	int rel;

	(void)state;
	CPU_ZERO(&all);
	for (int c = 0; c < 8; c++)
		CPU_SET((size_t)c, &all);
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	/* No topology files: another allowed CPU, said to be unknown. */
	assert_int_equal(nb_host_cpu(root, 1, &all, &rel), 0);
	assert_int_equal(rel, HVB_NB_REL_OTHER);
	assert_int_equal(nb_host_cpu(root, 1, &one, &rel), -1);
	/* No SMT (this machine): the package's other core. */
	put("devices/system/cpu/cpu1/topology/thread_siblings_list", "1");
	put("devices/system/cpu/cpu1/topology/core_siblings_list", "0-1");
	assert_int_equal(nb_host_cpu(root, 1, &all, &rel), 0);
	assert_int_equal(rel, HVB_NB_REL_PACKAGE);
	/* SMT: the sibling, even past other cores of the package. */
	put("devices/system/cpu/cpu1/topology/thread_siblings_list", "1,5");
	put("devices/system/cpu/cpu1/topology/core_siblings_list", "0-7");
	assert_int_equal(nb_host_cpu(root, 1, &all, &rel), 5);
	assert_int_equal(rel, HVB_NB_REL_SMT);
	/* A sibling this process may not use is no choice. */
	CPU_CLR(5, &all);
	assert_int_equal(nb_host_cpu(root, 1, &all, &rel), 0);
	assert_int_equal(rel, HVB_NB_REL_PACKAGE);
	put("devices/system/cpu/cpu3/topology/thread_siblings_list", "2-3");
	assert_int_equal(nb_host_cpu(root, 3, &all, &rel), 2);
	assert_int_equal(rel, HVB_NB_REL_SMT);
}

/* Latency runs with a distribution around each sample; `tail` widens the
 * worst case, as a neighbour does. */
static void add_lat_runs(struct hvb_side *s, const double *v, size_t n, double tail)
{
	hvbt_add_lat_runs(s, v, n, tail, 10.0, tail, n);
}

static void make_doc(struct hvb_doc *d, unsigned kinds)
{
	static const double cpu_n[] = {1000, 1010, 990}, cpu_v[] = {950, 960, 940},
			    cpu_b[] = {900, 905, 910};
	static const double lat_n[] = {3.1, 3.0, 3.2}, lat_v[] = {13.0, 13.4, 13.1},
			    lat_b[] = {14.0, 14.5, 13.9};
	struct hvb_result *r;

	memset(d, 0, sizeof(*d));
	d->host.hostname = hvb_xstrdup("testhost");
	d->host.kvm = hvb_xstrdup("kvm_pvm");
	d->host.kvm_kind = hvb_xstrdup("software");
	d->host.date = hvb_xstrdup("2026-01-02T03:04:05Z");
	d->config.reps = 3;
	d->config.cpu = 1;
	d->config.guest = hvb_xstrdup("bare");
	d->config.vmm = hvb_xstrdup("build/vmm");
	d->config.interference = 1;
	d->config.nb_cpu = 0;
	d->config.nb_kinds = kinds;
	d->config.nb_llc_bytes = 307200LL << 10;
	d->config.nb_llc_level = 3;
	d->config.nb_llc_source = hvb_xstrdup("/sys/devices/system/cpu/cpu1/cache/index3/size");
	d->config.nb_ws_bytes = 600LL << 20;
	d->config.nb_host_cpu = 0;
	d->config.nb_host_rel = HVB_NB_REL_PACKAGE;
	for (size_t k = 0; k < NB_MAX; k++)
		d->config.nb_cpu_s[k] = (kinds & (1u << k)) ? 1.5 * (double)(k + 1) : (double)NAN;

	r = hvb_doc_add(d, "cpu", "synthetic");
	r->metric = hvb_xstrdup("events_per_s");
	r->unit = hvb_xstrdup("1/s");
	r->better_higher = 1;
	r->has_virt = r->has_nb = 1;
	for (size_t i = 0; i < 3; i++) {
		hvb_side_add(&r->native, cpu_n[i]);
		hvb_side_add(&r->virt, cpu_v[i]);
		hvb_side_add(&r->virt_nb, cpu_b[i]);
	}
	r = hvb_doc_add(d, "irq-latency-irqfd", "latency");
	r->metric = hvb_xstrdup("latency_avg");
	r->unit = hvb_xstrdup("us");
	r->has_native = 0;
	r->has_virt = r->has_nb = 1;
	add_lat_runs(&r->virt, lat_v, 3, 0);
	add_lat_runs(&r->virt_nb, lat_b, 3, 4);
	r = hvb_doc_add(d, "timer-latency", "latency");
	r->metric = hvb_xstrdup("latency_avg");
	r->unit = hvb_xstrdup("us");
	r->has_virt = r->has_nb = 1;
	add_lat_runs(&r->native, lat_n, 3, 0);
	add_lat_runs(&r->virt, lat_v, 3, 1);
	add_lat_runs(&r->virt_nb, lat_b, 3, 3);
	for (size_t i = 0; i < d->nresults; i++)
		hvb_result_finish(&d->results[i], 0);
}

static void json_round_trip(void **state)
{
	struct hvb_doc d, back;
	char err[512];
	char *j;

	(void)state;
	make_doc(&d, HVB_NB_LLC | HVB_NB_IO | HVB_NB_HOST);
	j = hvb_doc_to_json(&d);
	assert_non_null(strstr(j, "\"neighbours\": [\n"));
	assert_non_null(strstr(j, "\"working_set_bytes\": 629145600"));
	assert_non_null(strstr(j, "\"bytes\": 314572800"));
	assert_non_null(strstr(j, "\"host_cpu_is\": \"same_package\""));
	assert_null(strstr(j, "\"memory\": ")); /* only the chosen ones' CPU time */
	assert_int_equal(hvb_doc_from_json(j, strlen(j), &back, err, sizeof(err)), 0);
	assert_int_equal(back.config.nb_kinds, HVB_NB_LLC | HVB_NB_IO | HVB_NB_HOST);
	assert_true(back.config.nb_llc_bytes == 307200LL << 10);
	assert_int_equal(back.config.nb_llc_level, 3);
	assert_string_equal(back.config.nb_llc_source,
			    "/sys/devices/system/cpu/cpu1/cache/index3/size");
	assert_true(back.config.nb_ws_bytes == 600LL << 20);
	assert_int_equal(back.config.nb_host_cpu, 0);
	assert_int_equal(back.config.nb_host_rel, HVB_NB_REL_PACKAGE);
	assert_true(isnan(back.config.nb_cpu_s[0]));
	assert_true(back.config.nb_cpu_s[2] == 4.5);
	hvb_doc_free(&back);
	free(j);
	hvb_doc_free(&d);

	/* A file from before the choice was recorded: its neighbour was memory. */
	static const char old[] =
		"{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{\"interference\":"
		"{\"neighbour\":\"memory-heavy benchmark guest\",\"cpu\":0}},\"results\":[]}";
	assert_int_equal(hvb_doc_from_json(old, strlen(old), &back, err, sizeof(err)), 0);
	assert_int_equal(back.config.interference, 1);
	assert_int_equal(back.config.nb_kinds, HVB_NB_MEMORY);
	hvb_doc_free(&back);
	/* A name hvbench never writes is refused, not dropped. */
	static const char bad[] =
		"{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{\"interference\":"
		"{\"cpu\":0,\"neighbours\":[\"llc\",\"noise\"]}},\"results\":[]}";
	assert_int_equal(hvb_doc_from_json(bad, strlen(bad), &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "config.interference.neighbours[1]"));
}

/* The section of text from `start` to the next line starting with
 * `stop` (or the end), malloc'd. */
static char *section(const char *text, const char *start, const char *stop)
{
	const char *a = strstr(text, start), *b;
	struct hvb_buf out = {0};

	assert_non_null(a);
	b = strstr(a + strlen(start), stop);
	hvb_buf_add(&out, a, b ? (size_t)(b - a) : strlen(a));
	return hvb_buf_take(&out);
}

static void report_fragments(void **state)
{
	struct hvb_doc d;
	struct report_charts none;
	char *md, *txt, *frag;

	(void)state;
	memset(&none, 0, sizeof(none));
	make_doc(&d, HVB_NB_LLC | HVB_NB_IO | HVB_NB_HOST);
	md = report_markdown(&d, &none);
	frag = section(md, "## Interference", "\n## ");
	hvbt_check_golden("interference.md", frag);
	free(frag);
	frag = section(md, "- **interference**", "\n");
	assert_non_null(strstr(frag, "twice the 300 MiB L3"));
	free(frag);
	txt = report_table(&d);
	frag = section(txt, "interference:", "latency (us)");
	hvbt_check_golden("interference.txt", frag);
	free(frag);
	free(md);
	free(txt);
	hvb_doc_free(&d);

	/* The first neighbour, alone, and on a machine with SMT. */
	make_doc(&d, HVB_NB_MEMORY | HVB_NB_HOST);
	d.config.nb_host_rel = HVB_NB_REL_SMT;
	d.config.nb_host_cpu = 5;
	txt = report_table(&d);
	assert_non_null(strstr(txt, "interference: neighbours memory,host: memory: a benchmark "
				    "guest VM streaming writes through 64 MiB on CPU 0; host: a "
				    "host process streaming writes through 600 MiB on CPU 5, the "
				    "measured CPU's SMT sibling"));
	free(txt);
	hvb_doc_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_list),
		cmocka_unit_test_setup_teardown(llc_from_sysfs, mkroot, rmroot),
		cmocka_unit_test_setup_teardown(host_cpu_from_topology, mkroot, rmroot),
		cmocka_unit_test(json_round_trip),
		cmocka_unit_test(report_fragments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
