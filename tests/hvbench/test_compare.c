/* test_compare: `hvbench compare` (src/hvbench/compare.c) on documents built
 * here: the terminal table, Markdown and JSON against golden files (with a
 * host string full of Markdown and terminal metacharacters, which must come
 * out escaped), the verdicts and the threshold, identical and tied samples,
 * too few samples, workloads one side lacks or could not run, a metric that
 * differs, and the host fields whose difference refuses a comparison.
 * HVBENCH_UPDATE_GOLDEN=1 rewrites the golden files from the current code. */
#include "hvbtest.h"
#include "compare.h"
#include "hvbench.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void base_doc(struct hvb_doc *d, const char *monitor, const char *date)
{
	/* Host strings come from someone else's file: markup and a terminal
	 * escape that must be shown, not obeyed. */
	hvbt_doc_init(d, "Example | *CPU* `x` \x1b[2J", date);
	d->config.monitor = hvb_xstrdup(monitor);
	d->config.vmm = hvb_xstrdup(monitor);
	d->config.virt_cmd = hvb_xstrdup("MONITOR run {name} {params}");
}

static struct hvb_result *add(struct hvb_doc *d, const char *name, const char *metric,
			      int higher, const double *v, size_t n)
{
	struct hvb_result *r = hvb_doc_add(d, name, "synthetic");

	r->metric = hvb_xstrdup(metric);
	r->unit = hvb_xstrdup(higher ? "1/s" : "us");
	r->better_higher = higher;
	r->has_virt = 1;
	r->has_native = 0;
	for (size_t i = 0; i < n; i++)
		hvb_side_add(&r->virt, v[i]);
	return r;
}

static void finish(struct hvb_doc *d)
{
	for (size_t i = 0; i < d->nresults; i++)
		hvb_result_finish(&d->results[i], 0);
}

/* Two documents from the same monitor on the same date. */
static void base_pair(struct hvb_doc *a, struct hvb_doc *b)
{
	base_doc(a, "vmm", "d");
	base_doc(b, "vmm", "d");
}

/* Puts the time samples va on a and vb on b, as one workload `name`. */
static void add_both(struct hvb_doc *a, struct hvb_doc *b, const char *name, const double *va,
		     const double *vb, size_t n)
{
	add(a, name, "time", 0, va, n);
	add(b, name, "time", 0, vb, n);
}

/* Finishes both documents and compares them as `hvbench compare a b` does
 * by default. */
static void finish_and_compare(struct compare *c, struct hvb_doc *a, struct hvb_doc *b)
{
	finish(a);
	finish(b);
	compare_build(c, a, b, CMP_SIDE_AUTO, 0);
}

/* A: one build; B: the exit path 20% slower, qsort faster, cpu the same
 * within noise, the GPIO workload not available on B's monitor, one
 * workload B does not have and one only B has. */
static void make_pair(struct hvb_doc *a, struct hvb_doc *b)
{
	static const double cpu_a[] = {1000, 1010, 990, 1005, 995};
	static const double cpu_b[] = {1002, 996, 1008, 991, 1003};
	static const double exit_a[] = {25.0, 25.4, 24.8, 25.2, 25.1};
	static const double exit_b[] = {30.1, 30.4, 29.9, 30.2, 30.0};
	static const double qs_a[] = {150, 152, 149, 151, 150};
	static const double qs_b[] = {120, 121, 119, 122, 120};
	static const double gpio[] = {24.9, 25.1, 25.0};
	static const double two[] = {1, 2};

	base_doc(a, "vmm", "2026-01-02T03:04:05Z");
	base_doc(b, "qemu", "2026-01-03T03:04:05Z");
	add(a, "cpu", "events_per_s", 1, cpu_a, 5);
	add(b, "cpu", "events_per_s", 1, cpu_b, 5);
	add(a, "exit-roundtrip", "latency_avg", 0, exit_a, 5);
	add(b, "exit-roundtrip", "latency_avg", 0, exit_b, 5);
	add(a, "qsort", "time", 0, qs_a, 5);
	add(b, "qsort", "time", 0, qs_b, 5);
	add(a, "irq-latency-user", "latency_avg", 0, gpio, 3);
	hvb_result_set_error(add(b, "irq-latency-user", "latency_avg", 0, NULL, 0),
			     "not available on QEMU: needs vmm's loopback GPIO controller");
	free(b->results[b->nresults - 1].status);
	b->results[b->nresults - 1].status = hvb_xstrdup(HVB_ST_UNAVAILABLE);
	add(a, "tiny", "time", 0, two, 2);
	add(b, "tiny", "time", 0, two, 2);
	add(a, "only-a", "time", 0, qs_a, 5);
	add(b, "only-b", "time", 0, qs_b, 5);
	finish(a);
	finish(b);
}

static const struct compare_row *row(const struct compare *c, const char *name)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i].benchmark, name))
			return &c->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

static void golden(void **state)
{
	struct hvb_doc a, b;
	struct compare c = {0};
	char *t;

	(void)state;
	make_pair(&a, &b);
	compare_build(&c, &a, &b, CMP_SIDE_AUTO, 0);
	c.a_name = "results/A";
	c.b_name = "results/B";
	t = compare_table(&c);
	hvbt_check_golden("compare.txt", t);
	/* Nothing a document holds reaches the terminal raw. */
	assert_null(strchr(t, '\x1b'));
	free(t);
	t = compare_markdown(&c);
	hvbt_check_golden("compare.md", t);
	assert_non_null(strstr(t, "Example \\| \\*CPU\\* \\`x\\`"));
	free(t);
	t = compare_json(&c);
	hvbt_check_golden("compare.json", t);
	free(t);
	compare_free(&c);
	hvb_doc_free(&a);
	hvb_doc_free(&b);
}

static void verdicts(void **state)
{
	struct hvb_doc a, b;
	struct compare c = {0};
	const struct compare_row *w;

	(void)state;
	make_pair(&a, &b);
	compare_build(&c, &a, &b, CMP_SIDE_AUTO, 0);
	assert_string_equal(c.side, "virt");
	assert_string_equal(row(&c, "cpu")->verdict, CMP_SAME);
	w = row(&c, "exit-roundtrip");
	assert_string_equal(w->verdict, CMP_SLOWER);
	assert_true(fabs(w->change - (30.1 - 25.1) / 25.1 * 100) < 1e-9);
	assert_true(w->lo > 0 && w->lo <= w->change && w->change <= w->hi);
	/* Lower is better: 150 -> 120 is faster; the change is negative. */
	w = row(&c, "qsort");
	assert_string_equal(w->verdict, CMP_FASTER);
	assert_true(w->change < 0 && w->hi < 0);
	w = row(&c, "irq-latency-user");
	assert_string_equal(w->verdict, CMP_NA);
	assert_non_null(strstr(w->why, "B: not_available (not available on QEMU"));
	assert_non_null(strstr(row(&c, "tiny")->why, "2 samples on this side"));
	assert_non_null(strstr(row(&c, "only-a")->why, "B: not in this document"));
	assert_non_null(strstr(row(&c, "only-b")->why, "A: not in this document"));
	assert_int_equal(c.nslower, 1);
	assert_int_equal(c.nfaster, 1);
	assert_int_equal(c.ncompared, 3);
	compare_free(&c);

	/* Beyond a 25% threshold nothing is slower or faster. */
	compare_build(&c, &a, &b, CMP_SIDE_AUTO, 25);
	assert_string_equal(row(&c, "exit-roundtrip")->verdict, CMP_SAME);
	assert_string_equal(row(&c, "qsort")->verdict, CMP_SAME);
	assert_int_equal(c.nslower, 0);
	compare_free(&c);

	/* A document against itself: no change anywhere, change exactly 0. */
	compare_build(&c, &a, &a, CMP_SIDE_AUTO, 0);
	for (size_t i = 0; i < c.nrows; i++)
		if (strcmp(c.rows[i].verdict, CMP_NA)) {
			assert_string_equal(c.rows[i].verdict, CMP_SAME);
			assert_true(c.rows[i].change == 0);
		}
	compare_free(&c);

	/* The native side has nothing here. */
	compare_build(&c, &a, &b, CMP_SIDE_NATIVE, 0);
	assert_string_equal(c.side, "native");
	assert_int_equal(c.ncompared, 0);
	compare_free(&c);
	hvb_doc_free(&a);
	hvb_doc_free(&b);
}

/* Identical and tied samples: a degenerate CI at the difference, so two
 * constant sides that differ are a real change, and equal ones are not. */
static void ties_and_metrics(void **state)
{
	static const double five[] = {5, 5, 5, 5, 5}, six[] = {6, 6, 6, 6, 6};
	static const double tie_a[] = {10, 10, 11, 11, 10}, tie_b[] = {10, 11, 10, 11, 11};
	struct hvb_doc a, b;
	struct compare c = {0};
	const struct compare_row *w;

	(void)state;
	base_pair(&a, &b);
	add_both(&a, &b, "same", five, five, 5);
	add_both(&a, &b, "const", five, six, 5);
	add_both(&a, &b, "ties", tie_a, tie_b, 5);
	add(&a, "renamed", "time", 0, five, 5);
	add(&b, "renamed", "duration", 0, five, 5);
	finish_and_compare(&c, &a, &b);
	w = row(&c, "same");
	assert_string_equal(w->verdict, CMP_SAME);
	assert_true(w->lo == 0 && w->hi == 0);
	w = row(&c, "const");
	assert_string_equal(w->verdict, CMP_SLOWER);
	assert_true(fabs(w->lo - 20) < 1e-9 && fabs(w->hi - 20) < 1e-9);
	/* Medians 10 and 11 but the samples overlap: no change. */
	assert_string_equal(row(&c, "ties")->verdict, CMP_SAME);
	assert_string_equal(row(&c, "renamed")->verdict, CMP_NA);
	assert_string_equal(row(&c, "renamed")->why, "the metric differs");
	compare_free(&c);
	hvb_doc_free(&a);
	hvb_doc_free(&b);
}

/* Three runs a side, wholly apart: the bootstrap CI lies above 0, but the
 * rank test's smallest two-sided p for 3 against 3 is 2/20 = 0.1, so the
 * samples cannot show a change at 0.05: `no change`, with p = 0.1 shown.
 * Five against five, wholly apart, reach 2/252 and are `slower`. */
static void rank_test_decides(void **state)
{
	static const double a3[] = {10, 10.1, 10.2}, b3[] = {12, 12.1, 12.2};
	static const double a5[] = {10, 10.1, 10.2, 10.3, 10.4}, b5[] = {12, 12.1, 12.2, 12.3, 12.4};
	struct hvb_doc a, b;
	struct compare c = {0};
	const struct compare_row *w;

	(void)state;
	base_pair(&a, &b);
	add_both(&a, &b, "three", a3, b3, 3);
	add_both(&a, &b, "five", a5, b5, 5);
	finish_and_compare(&c, &a, &b);
	w = row(&c, "three");
	assert_true(w->lo > 0);
	assert_true(fabs(w->p - 0.1) < 1e-12);
	assert_string_equal(w->verdict, CMP_SAME);
	w = row(&c, "five");
	assert_true(fabs(w->p - 2.0 / 252) < 1e-12);
	assert_true(w->u == 0);
	assert_string_equal(w->verdict, CMP_SLOWER);
	compare_free(&c);
	hvb_doc_free(&a);
	hvb_doc_free(&b);
}

static void host_fields(void **state)
{
	struct hvb_doc a, b;
	char diff[1024];

	(void)state;
	base_doc(&a, "vmm", "d");
	base_doc(&b, "vmm", "e");
	assert_int_equal(compare_host_diff(&a, &b, diff, sizeof(diff)), 0);
	assert_string_equal(diff, "");
	/* A different kernel or date is no reason to refuse. */
	free(b.host.kernel);
	b.host.kernel = hvb_xstrdup("Linux 6.2.0");
	assert_int_equal(compare_host_diff(&a, &b, diff, sizeof(diff)), 0);
	free(b.host.kvm_kind);
	b.host.kvm_kind = hvb_xstrdup("hardware");
	free(b.host.kvm);
	b.host.kvm = hvb_xstrdup("VT-x");
	assert_int_equal(compare_host_diff(&a, &b, diff, sizeof(diff)), 2);
	assert_string_equal(diff, "kvm: kvm_pvm vs VT-x; kvm_kind: software vs hardware");
	free(b.host.hostname);
	b.host.hostname = NULL;
	b.host.cpus = 4;
	assert_int_equal(compare_host_diff(&a, &b, diff, sizeof(diff)), 4);
	assert_non_null(strstr(diff, "hostname: testhost vs ?"));
	assert_non_null(strstr(diff, "cpus: 2 vs 4"));
	/* Runs on different architectures are runs on different hosts. */
	free(b.host.arch);
	b.host.arch = hvb_xstrdup("arm64");
	assert_int_equal(compare_host_diff(&a, &b, diff, sizeof(diff)), 5);
	assert_non_null(strstr(diff, "arch: x86_64 vs arm64"));
	hvb_doc_free(&a);
	hvb_doc_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden),
		cmocka_unit_test(verdicts),
		cmocka_unit_test(ties_and_metrics),
		cmocka_unit_test(rank_test_decides),
		cmocka_unit_test(host_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
