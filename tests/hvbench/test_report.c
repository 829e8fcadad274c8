/* test_report: the results writers against golden files (results.json,
 * results.csv, report.md from a document with fixed host and time fields),
 * the JSON round trip that `hvbench report` relies on, hostile results
 * files, and writing into a folder that cannot be written.
 * HVBENCH_UPDATE_GOLDEN=1 rewrites the golden files from the current code. */
#include "hvbtest.h"
#include "dist.h"
#include "hvbench.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Latency runs as the workloads report them, the virtualised side (tail)
 * with a long tail and one worst case past the histogram. */
static void add_lat_runs(struct hvb_side *s, const double *v, size_t n, int tail)
{
	hvbt_add_lat_runs(s, v, n, 1.0, tail ? 100.0 : 0.0, 1.0, tail ? 4 : n);
}

/* A document as a run on a PVM host would leave it, with fixed host and
 * time fields so the output is the same on every machine. */
static void make_doc(struct hvb_doc *d)
{
	static const double cpu_n[] = {1000, 1010, 990, 1005, 995};
	static const double cpu_v[] = {950, 960, 940, 955, 945};
	static const double qs_n[] = {0.5, 0.52, 0.49, 0.51, 0.5};
	static const double qs_v[] = {0.55, 0.6, 0.5, 0.9, 0.52};
	static const double lat_n[] = {3.1, 3.0, 3.2, 3.1, 3.0};
	static const double lat_v[] = {29.5, 30.1, 29.9, 30.0, 31.2};
	static const double sm_n[] = {2.0};
	struct hvb_result *r;

	hvbt_doc_init(d, "Example CPU @ 2.00GHz", "2026-01-02T03:04:05Z");
	d->config.warmup = 1;
	d->config.size = hvb_xstrdup("default");
	d->config.cpu = 1;
	d->config.timeout_s = 300;
	d->config.vmm = hvb_xstrdup("build/vmm");
	d->config.native_cmd = hvb_xstrdup("build/bench run {name} {params}");
	d->config.virt_cmd = hvb_xstrdup("build/vmm run --kernel build/guest/benchguest.elf "
					 "--cmdline \"run {name} {params}\"");

	r = hvb_doc_add(d, "cpu", "synthetic");
	r->metric = hvb_xstrdup("events_per_s");
	r->unit = hvb_xstrdup("1/s");
	r->better_higher = 1;
	r->has_virt = 1;
	hvbt_add_samples(&r->native, cpu_n, 5);
	hvbt_add_samples(&r->virt, cpu_v, 5);

	r = hvb_doc_add(d, "qsort", "mibench");
	r->metric = hvb_xstrdup("time");
	r->unit = hvb_xstrdup("s");
	r->has_virt = 1;
	hvbt_add_samples(&r->native, qs_n, 5);
	hvbt_add_samples(&r->virt, qs_v, 5);

	r = hvb_doc_add(d, "susan-edges", "mibench");
	r->has_virt = 1;
	hvb_result_set_error(r, "virt: guest reported failure (debug-exit value 1), \"quoted\"");

	r = hvb_doc_add(d, "timer-latency", "latency");
	r->metric = hvb_xstrdup("avg");
	r->unit = hvb_xstrdup("us");
	r->has_virt = 1;
	add_lat_runs(&r->native, lat_n, 5, 0);
	add_lat_runs(&r->virt, lat_v, 5, 1);

	r = hvb_doc_add(d, "smoke", "other");
	r->metric = hvb_xstrdup("time");
	r->unit = hvb_xstrdup("s");
	r->has_virt = 1;
	hvbt_add_samples(&r->native, sm_n, 1);

	for (size_t i = 0; i < d->nresults; i++)
		hvb_result_finish(&d->results[i], 0);
}

static void statuses(void **state)
{
	struct hvb_doc d;

	(void)state;
	make_doc(&d);
	assert_string_equal(d.results[0].status, "ok");
	assert_string_equal(d.results[1].status, "noisy"); /* virt spread 0.5..0.9 */
	assert_string_equal(d.results[2].status, "failed");
	/* Not its sides: its overhead CI spans 69 points (837..906). */
	assert_string_equal(d.results[3].status, "noisy");
	assert_string_equal(d.results[4].status, "ok"); /* no virt sample: no overhead */
	assert_true(d.results[0].overhead > 5.0 && d.results[0].overhead < 6.0);
	hvb_doc_free(&d);
}

static void golden_json(void **state)
{
	struct hvb_doc d;
	char *json;

	(void)state;
	make_doc(&d);
	json = hvb_doc_to_json(&d);
	hvbt_check_golden("results.json", json);
	free(json);
	hvb_doc_free(&d);
}

static void golden_csv(void **state)
{
	struct hvb_doc d;
	char *csv;

	(void)state;
	make_doc(&d);
	csv = report_csv(&d);
	hvbt_check_golden("results.csv", csv);
	free(csv);
	hvb_doc_free(&d);
}

static void golden_markdown_and_table(void **state)
{
	struct hvb_doc d;
	struct report_charts c;
	char *md, *table;

	(void)state;
	make_doc(&d);
	report_charts(&d, "/nonexistent", NULL, &c); /* as if gnuplot were missing */
	assert_non_null(strstr(c.note, "gnuplot is not installed"));
	md = report_markdown(&d, &c);
	hvbt_check_golden("report.md", md);
	assert_non_null(strstr(md, "PVM"));
	table = report_table(&d);
	hvbt_check_golden("table.txt", table);
	free(md);
	free(table);
	hvb_doc_free(&d);
}

/* On a software KVM the device workloads are flagged `emulated` too: each
 * completion is an interrupt taken by the guest's emulated kernel. */
static void device_workloads_flagged(void **state)
{
	static const double n[] = {2900, 2950, 3000}, v[] = {640, 650, 660};
	static const char *const names[][2] = {{"disk-seq-read", "disk"},
					       {"rng-read", "synthetic"}};
	(void)state;
	for (int k = 0; k < 2; k++) {
		struct hvb_doc d;
		make_doc(&d);
		struct hvb_result *r = hvb_doc_add(&d, names[k][0], names[k][1]);
		r->metric = hvb_xstrdup("throughput");
		r->unit = hvb_xstrdup("MiB/s");
		r->better_higher = 1;
		r->has_virt = 1;
		hvbt_add_samples(&r->native, n, 3);
		hvbt_add_samples(&r->virt, v, 3);
		hvb_result_finish(r, 0);
		char *t = report_table(&d);
		const char *row = strstr(t, names[k][0]);
		assert_non_null(row);
		const char *eol = strchr(row, '\n');
		assert_non_null(eol);
		const char *flag = strstr(row, "emulated");
		assert_true(flag && flag < eol);
		free(t);
		hvb_doc_free(&d);
	}
}

static void json_round_trip(void **state)
{
	struct hvb_doc d, back;
	char err[256], *a, *b, *ta, *tb;

	(void)state;
	make_doc(&d);
	a = hvb_doc_to_json(&d);
	if (hvb_doc_from_json(a, strlen(a), &back, err, sizeof(err)))
		fail_msg("%s", err);
	b = hvb_doc_to_json(&back);
	assert_string_equal(a, b);
	ta = report_csv(&d);
	tb = report_csv(&back);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	free(a);
	free(b);
	hvb_doc_free(&d);
	hvb_doc_free(&back);
}

static void native_only_json(void **state)
{
	struct hvb_doc d, back;
	struct hvb_result *r;
	char err[256], *json;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.config.native_only = 1;
	d.config.native_only_reason = hvb_xstrdup("asked for with --native-only");
	r = hvb_doc_add(&d, "cpu", "synthetic");
	r->metric = hvb_xstrdup("t");
	r->unit = hvb_xstrdup("s");
	hvb_side_add(&r->native, 1.0);
	hvb_result_finish(r, 0);
	json = hvb_doc_to_json(&d);
	assert_non_null(strstr(json, "\"virt\": null"));
	assert_non_null(strstr(json, "\"overhead_pct\": null"));
	assert_non_null(strstr(json, "\"overhead_ci95\": null"));
	assert_int_equal(hvb_doc_from_json(json, strlen(json), &back, err, sizeof(err)), 0);
	assert_int_equal(back.results[0].has_virt, 0);
	free(json);
	hvb_doc_free(&d);
	hvb_doc_free(&back);
}

static void hostile_results_file(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{\"schema\":\"other/1\"}",
		"{\"schema\":\"hvbench/1\"}",
		"{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{},\"results\":[1]}",
		"{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{},\"results\":[{}]}",
		"{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{},\"results\":"
		"[{\"benchmark\":\"x\",\"native\":{\"samples\":[\"a\"]}}]}",
		"{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{},\"results\":"
		"[{\"benchmark\":\"x\",\"native\":{\"samples\":[1]},\"virt\":5}]}",
	};
	/* Numbers of the wrong type are tolerated and rendered as unknown. */
	static const char odd[] =
		"{\"schema\":\"hvbench/1\",\"host\":{\"cpus\":\"two\"},"
		"\"config\":{\"reps\":[]},\"results\":[{\"benchmark\":\"x\","
		"\"error\":\"a|b <b>c</b>\",\"status\":\"failed\","
		"\"native\":{\"samples\":[1,2],\"ci95\":[1]},\"overhead_pct\":\"big\"}]}";
	struct hvb_doc d;
	char err[512], *t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hvb_doc_from_json(bad[i], strlen(bad[i]), &d, err, sizeof(err)) == 0)
			fail_msg("case %zu accepted", i);
	assert_int_equal(hvb_doc_from_json(odd, strlen(odd), &d, err, sizeof(err)), 0);
	t = report_table(&d);
	free(t);
	t = report_markdown(&d, NULL);
	assert_non_null(strstr(t, "a\\|b \\<b>c\\</b>"));
	free(t);
	t = report_csv(&d);
	free(t);
	hvb_doc_free(&d);
}

/* Every string of results.json meets the rule it is written by, or the
 * file is refused with a message naming the field and the value. */
struct refused_case {
	const char *host, *config, *result; /* JSON members, or NULL */
	const char *field, *value;          /* in the message */
};

static void refused_strings(void **state)
{
	static const struct refused_case cases[] = {
		{NULL, NULL, "\"benchmark\":\"x|y\"", "results[0].benchmark", "\"x|y\""},
		{NULL, NULL, "\"benchmark\":\"x\",\"group\":\"x'\\nsystem 'touch PWNED'\\n#\"",
		 "results[0].group", "\"x'\nsystem 'touch PWNED'\n#\""},
		{NULL, NULL, "\"benchmark\":\"x\",\"group\":5", "results[0].group", "not a string"},
		{NULL, NULL, "\"benchmark\":\"x\",\"metric\":\"m\\nn\"", "results[0].metric",
		 "\"m\nn\""},
		{NULL, NULL, "\"benchmark\":\"x\",\"unit\":\"u s\"", "results[0].unit", "\"u s\""},
		{NULL, NULL, "\"benchmark\":\"x\",\"status\":\"pwned\"", "results[0].status",
		 "\"pwned\""},
		{NULL, NULL, "\"benchmark\":\"x\",\"better\":\"sideways\"", "results[0].better",
		 "\"sideways\""},
		{NULL, NULL, "\"benchmark\":\"x\",\"error\":\"\\u001b[2J\"", "results[0].error",
		 "\"\x1b[2J\""},
		{"\"hostname\":\"\\u001b]0;owned\\u0007\"", NULL, NULL, "host.hostname", "owned"},
		{"\"kvm\":\"a\\u202eb\"", NULL, NULL, "host.kvm", "\"a\xe2\x80\xae" "b\""},
		{NULL, "\"native_only_reason\":\"\\u009b2J\"", NULL, "config.native_only_reason",
		 "2J"},
		{NULL, "\"runners\":{\"virt\":\"vmm\\nrm -rf /\"}", NULL, "config.runners.virt",
		 "rm -rf"},
	};
	struct hvb_doc d;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct refused_case *c = &cases[i];
		struct hvb_buf b = {0};

		hvb_buf_printf(&b, "{\"schema\":\"hvbench/1\",\"host\":{%s},\"config\":{%s},"
				   "\"results\":[{%s}]}", c->host ? c->host : "",
			       c->config ? c->config : "",
			       c->result ? c->result : "\"benchmark\":\"x\"");
		if (hvb_doc_from_json(b.p, b.len, &d, err, sizeof(err)) == 0)
			fail_msg("case %zu accepted: %s", i, b.p);
		if (!strstr(err, c->field) || !strstr(err, c->value))
			fail_msg("case %zu: message '%s' does not name %s and %s", i, err, c->field,
				 c->value);
		free(b.p);
	}
}

/* Rendering does not trust the document either: text that never passed
 * the loader (a document built in memory) is still escaped. */
static void rendering_escapes(void **state)
{
	struct hvb_doc d;
	struct hvb_result *r;
	char *t;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.config.native_cmd = hvb_xstrdup("bench `rm -rf ~` run");
	d.config.guest = hvb_xstrdup("bare");
	d.config.monitor = hvb_xstrdup("vmm\x1b[2J");
	d.host.kvm = hvb_xstrdup("kvm_pvm`<script>");
	d.host.kvm_kind = hvb_xstrdup("software");
	r = hvb_doc_add(&d, "cpu", "synthetic");
	hvb_result_set_error(r, "\x1b]0;owned\x07 [x](javascript:y)");
	hvb_result_finish(r, 0);
	t = report_table(&d);
	assert_null(strchr(t, '\x1b'));
	assert_null(strchr(t, '\x07'));
	assert_non_null(strstr(t, "FAILED cpu: \\x1b]0;owned\\x07 [x](javascript:y)"));
	assert_non_null(strstr(t, "under vmm\\x1b[2J"));
	free(t);
	t = report_markdown(&d, NULL);
	assert_null(strchr(t, '\x1b'));
	assert_non_null(strstr(t, "- native runner: ``bench `rm -rf ~` run``\n"));
	assert_non_null(strstr(t, "(``kvm_pvm`<script>``)"));
	assert_non_null(strstr(t, "?\\]0;owned? \\[x\\](javascript:y)"));
	free(t);
	hvb_doc_free(&d);
}

/* The temporary file of a write is not a name another user can predict:
 * a link planted at the old name PATH.tmp is left alone, and so is the
 * file it points to. */
static void write_ignores_planted_link(void **state)
{
	char dir[] = "/tmp/hvbench-link-XXXXXX", path[256], link[256], victim[256], err[512];
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/results.json", dir);
	snprintf(link, sizeof(link), "%s/results.json.tmp", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(report_write_file(victim, "precious\n", err, sizeof(err)), 0);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(report_write_file(path, "{}\n", err, sizeof(err)), 0);
	text = test_read_file(victim);
	assert_string_equal(text, "precious\n");
	free(text);
	text = test_read_file(path);
	assert_string_equal(text, "{}\n");
	free(text);
	unlink(path);
	unlink(link);
	unlink(victim);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left behind */
}

static void unwritable_folder(void **state)
{
	struct hvb_doc d;
	char err[512];

	(void)state;
	make_doc(&d);
	assert_int_equal(report_write_dir(&d, "/proc/hvbench-test/out", 1, NULL, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "/proc/hvbench-test"));
	assert_int_equal(report_write_file("/proc/version/x.json", "{}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/proc/version/x.json"));
	hvb_doc_free(&d);
}

static void write_folder(void **state)
{
	char dir[] = "/tmp/hvbench-test-XXXXXX", path[256], err[512];
	struct hvb_doc d;
	char *md;

	(void)state;
	assert_non_null(mkdtemp(dir));
	make_doc(&d);
	assert_int_equal(report_write_dir(&d, dir, 1, NULL, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/report.md", dir);
	md = test_read_file(path);
	assert_non_null(md);
	hvbt_check_golden("report.md", md);
	free(md);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	assert_int_equal(access(path, R_OK), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/report.md", dir);
	unlink(path);
	rmdir(dir);
	hvb_doc_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statuses),
		cmocka_unit_test(device_workloads_flagged),
		cmocka_unit_test(golden_json),
		cmocka_unit_test(golden_csv),
		cmocka_unit_test(golden_markdown_and_table),
		cmocka_unit_test(json_round_trip),
		cmocka_unit_test(native_only_json),
		cmocka_unit_test(hostile_results_file),
		cmocka_unit_test(refused_strings),
		cmocka_unit_test(rendering_escapes),
		cmocka_unit_test(write_ignores_planted_link),
		cmocka_unit_test(unwritable_folder),
		cmocka_unit_test(write_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
