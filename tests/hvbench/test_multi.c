/* test_multi: the table of a run with several monitors (src/hvbench/multi.c)
 * against golden files (terminal, Markdown, JSON), from two documents built
 * here as `hvbench run --vmm vmm --vmm qemu` leaves them: a compute
 * workload with a native side (Equation 1 per monitor), the monitor's own
 * workloads without one (each monitor against the first, with the rank
 * test's verdict), one that QEMU cannot run (not available, never a
 * number), one that failed on QEMU, and a host string full of markup and
 * an escape sequence, which must come out escaped. */
#include "hvbtest.h"
#include "compare.h"
#include "multi.h"

#include <math.h>

static struct hvb_result *add(struct hvb_doc *d, const char *name, const char *group,
			      const char *metric, const char *unit, int higher, const double *nat,
			      const double *v, size_t n)
{
	struct hvb_result *r = hvb_doc_add(d, name, group);

	r->metric = hvb_xstrdup(metric);
	r->unit = hvb_xstrdup(unit);
	r->better_higher = higher;
	r->has_virt = 1;
	r->has_native = nat != NULL;
	if (nat)
		hvbt_add_samples(&r->native, nat, n);
	if (v)
		hvbt_add_samples(&r->virt, v, n);
	return r;
}

static void make_docs(struct hvb_doc d[2])
{
	static const double cpu_n[] = {1000, 1010, 990, 1005, 995};
	static const double cpu_v[] = {950, 960, 940, 955, 945};
	static const double cpu_q[] = {948, 962, 941, 950, 946};
	static const double st_v[] = {40.1, 42.0, 39.5, 41.2, 40.7};
	static const double st_q[] = {140.3, 151.0, 138.2, 139.9, 144.4};
	static const double ex_v[] = {16.1, 16.3, 15.9, 16.0, 16.2};
	static const double ex_q[] = {16.0, 16.4, 16.2, 15.8, 16.1};
	static const double mem_v[] = {2048, 2048, 2052, 2048, 2048};
	static const double mem_q[] = {34492, 34500, 34488, 34496, 34492};

	for (int k = 0; k < 2; k++) {
		hvbt_doc_init(&d[k], "Example | *CPU* `x` \x1b[2J", "2026-01-02T03:04:05Z");
		d[k].config.monitor = hvb_xstrdup(k ? "qemu" : "vmm");
		d[k].config.vmm = hvb_xstrdup(k ? "/usr/bin/qemu-system-x86_64" : "build/vmm");
		d[k].config.virt_cmd = hvb_xstrdup(k ? "qemu-system-x86_64 -M microvm {cmdline}"
						     : "build/vmm run --cmdline {cmdline}");
		add(&d[k], "cpu", "synthetic", "events_per_s", "events/s", 1, cpu_n,
		    k ? cpu_q : cpu_v, 5);
		add(&d[k], "startup-entry", "monitor", "to_entry", "ms", 0, NULL, k ? st_q : st_v,
		    5);
		add(&d[k], "exit-port", "monitor", "roundtrip_avg", "us", 0, NULL, k ? ex_q : ex_v,
		    5);
		add(&d[k], "monitor-memory", "monitor", "own_memory", "KiB", 0, NULL,
		    k ? mem_q : mem_v, 5);
		struct hvb_result *r = add(&d[k], "exit-pci", "monitor", "roundtrip_avg", "us", 0,
					   NULL, k ? NULL : ex_v, 5);
		if (k) {
			hvb_result_set_error(r, "not available on qemu: no PCI host bridge at "
						"00:00.0 through 0xcf8/0xcfc");
			free(r->status);
			r->status = hvb_xstrdup(HVB_ST_UNAVAILABLE);
		}
		r = add(&d[k], "exit-uart", "monitor", "roundtrip_avg", "us", 0, NULL,
			k ? NULL : ex_v, 5);
		if (k)
			hvb_result_set_error(r, "virt (qemu): exit status 9");
		for (size_t i = 0; i < d[k].nresults; i++)
			hvb_result_finish(&d[k].results[i], 0);
	}
}

static void golden(void **state)
{
	struct hvb_doc d[2];
	const char *names[] = {"vmm", "qemu"}, *folders[] = {".", "qemu"};
	char *t;

	(void)state;
	make_docs(d);
	t = multi_table(d, names, folders, 2);
	hvbt_check_golden("multi.txt", t);
	/* Shown, not obeyed: the escape arrives as text. */
	assert_null(strchr(t, '\x1b'));
	free(t);
	t = multi_markdown(d, names, folders, 2);
	hvbt_check_golden("multi.md", t);
	assert_non_null(strstr(t, "Example \\| \\*CPU\\* \\`x\\`"));
	free(t);
	t = multi_json(d, names, folders, 2);
	hvbt_check_golden("multi.json", t);
	free(t);
	hvb_doc_free(&d[0]);
	hvb_doc_free(&d[1]);
}

/* The numbers behind the cells: Equation 1 against native for each
 * monitor on the compute row; QEMU against vmm on the monitor's rows, its
 * start-up and memory slower, its exit round trip the same; the workload
 * QEMU cannot run has no number on that side. */
static void cells(void **state)
{
	struct hvb_doc d[2];
	const char *names[] = {"vmm", "qemu"}, *folders[] = {".", "qemu"};
	char *t, *line;

	(void)state;
	make_docs(d);
	t = multi_table(d, names, folders, 2);
	line = strstr(t, "\nstartup-entry ");
	assert_non_null(line);
	assert_non_null(strstr(line, "slower"));
	assert_true(strstr(line, "slower") < strchr(line + 1, '\n'));
	line = strstr(t, "\nexit-port ");
	assert_non_null(line);
	assert_true(strstr(line, "no change") < strchr(line + 1, '\n'));
	line = strstr(t, "\nexit-pci ");
	assert_non_null(line);
	assert_true(strstr(line, "not available") < strchr(line + 1, '\n'));
	assert_true(strstr(line, "not comparable") < strchr(line + 1, '\n'));
	line = strstr(t, "\nexit-uart ");
	assert_true(strstr(line, "failed") < strchr(line + 1, '\n'));
	line = strstr(t, "\ncpu ");
	assert_true(strstr(line, "vs native") < strchr(line + 1, '\n'));
	assert_non_null(strstr(t, "exit-pci on qemu: not available on qemu"));
	free(t);
	t = multi_json(d, names, folders, 2);
	assert_non_null(strstr(t, "\"schema\": \"hvbench-monitors/1\""));
	free(t);
	hvb_doc_free(&d[0]);
	hvb_doc_free(&d[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden),
		cmocka_unit_test(cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
