/* test_dist: latency distributions through hvbench: the RESULT line's
 * min/p50/p99/max and histogram parsed and checked, runs merged (bucket
 * counts added, the worst case the maximum over runs, p50 and p99 medians
 * over runs), Equation 1 on each statistic, results.json round trip and
 * refusals, and the histogram chart's inputs. */
#include "testlib.h"
#include "dist.h"
#include "hvbench.h"
#include "latreport.h"
#include "result.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAT_HEAD "{\"benchmark\":\"timer-latency\",\"metric\":\"latency_avg\",\"unit\":\"us\"," \
		 "\"better\":\"lower\",\"value\":5,"

static enum result_status parse(const char *json, struct result_sample *s, char *err)
{
	return result_parse_json(json, strlen(json), s, err, 256);
}

static void result_line_distribution(void **state)
{
	static struct result_sample s;
	char err[256];

	(void)state;
	assert_int_equal(parse(LAT_HEAD "\"min\":1.5,\"p50\":3,\"p99\":9,\"max\":40.25,"
					"\"hist\":[[1,2],[3,7],[9,1]],\"hist_overflow\":1}",
			       &s, err),
			 RESULT_OK);
	assert_true(s.dist.has);
	assert_true(s.dist.min == 1.5 && s.dist.p50 == 3 && s.dist.p99 == 9 &&
		    s.dist.max == 40.25);
	assert_true(s.dist.hist[1] == 2 && s.dist.hist[3] == 7 && s.dist.hist[9] == 1);
	assert_true(s.dist.hist[0] == 0 && s.dist.hist[2] == 0 && s.dist.overflow == 1);
	/* A workload without one (not a latency workload) is fine. */
	assert_int_equal(parse(LAT_HEAD "\"check\":true}", &s, err), RESULT_OK);
	assert_false(s.dist.has);
	/* Nor is the real cyclictest's min/avg/max summary (lab/realtool.sh). */
	assert_int_equal(parse(LAT_HEAD "\"min\":1,\"avg\":2,\"max\":9}", &s, err), RESULT_OK);
	assert_false(s.dist.has);
}

static void result_line_refused(void **state)
{
	static const char *const bad[] = {
		/* partial */
		LAT_HEAD "\"p99\":1}",
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist_overflow\":0}",
		/* out of order */
		LAT_HEAD "\"min\":1,\"p50\":5,\"p99\":3,\"max\":4,\"hist\":[],\"hist_overflow\":0}",
		/* negative, not a number */
		LAT_HEAD "\"min\":-1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[],\"hist_overflow\":0}",
		LAT_HEAD "\"min\":\"1\",\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[],"
			 "\"hist_overflow\":0}",
		/* the old dense form, a bucket out of range, not increasing,
		 * a fractional or huge count, a bad overflow */
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[0,5,9],"
			 "\"hist_overflow\":0}",
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[1000,1]],"
			 "\"hist_overflow\":0}",
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[3,1],[3,1]],"
			 "\"hist_overflow\":0}",
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[3,1.5]],"
			 "\"hist_overflow\":0}",
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[3,1e300]],"
			 "\"hist_overflow\":0}",
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[3,1,2]],"
			 "\"hist_overflow\":0}",
		LAT_HEAD "\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[],"
			 "\"hist_overflow\":-2}",
	};
	static struct result_sample s;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &s, err) != RESULT_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void add_run(struct hvb_side *s, double min, double p50, double p99, double max,
		    const unsigned *hist, size_t nh, unsigned over)
{
	static struct result_dist d;

	memset(&d, 0, sizeof(d));
	d.has = 1;
	d.min = min;
	d.p50 = p50;
	d.p99 = p99;
	d.max = max;
	for (size_t i = 0; i + 1 < nh; i += 2)
		d.hist[hist[i]] = hist[i + 1];
	d.overflow = over;
	hvb_side_add_dist(s, p50, &d);
}

static void make_result(struct hvb_doc *d)
{
	static const unsigned h1[] = {2, 5, 3, 10}, h2[] = {3, 4, 7, 1}, h3[] = {2, 1};
	static const unsigned v1[] = {20, 9, 30, 1}, v2[] = {21, 10}, v3[] = {20, 10};
	struct hvb_result *r;

	memset(d, 0, sizeof(*d));
	r = hvb_doc_add(d, "timer-latency", "latency");
	r->metric = hvb_xstrdup("latency_avg");
	r->unit = hvb_xstrdup("us");
	r->has_virt = 1;
	add_run(&r->native, 2.1, 3.0, 3.9, 4.0, h1, 4, 0);
	add_run(&r->native, 3.0, 3.5, 7.5, 100.0, h2, 4, 1);
	add_run(&r->native, 2.0, 2.5, 2.9, 2.95, h3, 2, 0);
	add_run(&r->virt, 20.0, 20.5, 30.5, 31.0, v1, 4, 0);
	add_run(&r->virt, 21.0, 21.5, 21.9, 22.0, v2, 2, 0);
	add_run(&r->virt, 20.0, 20.4, 20.9, 21.0, v3, 2, 2);
	hvb_result_finish(r, 0);
}

static void summary_over_runs(void **state)
{
	struct hvb_doc d;
	static struct dist_summary s;
	struct dist_overhead o;

	(void)state;
	make_result(&d);
	assert_int_equal(dist_summarise(&d.results[0].native, &s), 0);
	assert_int_equal(s.nruns, 3);
	/* Merged: bucket 2 from runs 1 and 3, bucket 3 from runs 1 and 2. */
	assert_int_equal(s.hist[2], 6);
	assert_int_equal(s.hist[3], 14);
	assert_int_equal(s.hist[7], 1);
	assert_int_equal(s.overflow, 1);
	assert_int_equal(s.total, 22);
	/* The worst case is the worst run's, not the median run's. */
	assert_true(s.max == 100.0);
	assert_true(s.min == 2.0);
	assert_true(s.p50 == 3.0); /* median of 3.0, 3.5, 2.5 */
	assert_true(s.p99 == 3.9); /* median of 3.9, 7.5, 2.9 */
	dist_overhead(&d.results[0].native, &d.results[0].virt, &o);
	assert_true(fabs(o.p50 - (20.5 / 3.0 - 1) * 100) < 1e-9);
	assert_true(fabs(o.p99 - (21.9 / 3.9 - 1) * 100) < 1e-9);
	assert_true(fabs(o.max - (31.0 / 100.0 - 1) * 100) < 1e-9);
	assert_true(isfinite(o.p50_lo) && o.p50_lo <= o.p50 && o.p50 <= o.p50_hi);
	/* A side with no distribution: nothing to sum up. */
	assert_int_equal(dist_summarise(&d.results[0].virt_nb, &s), -1);
	hvb_doc_free(&d);
}

static void json_round_trip(void **state)
{
	struct hvb_doc d, back;
	char err[512], *a, *b;

	(void)state;
	make_result(&d);
	d.host.kvm = hvb_xstrdup("kvm_pvm");
	a = hvb_doc_to_json(&d);
	assert_non_null(strstr(a, "\"runs\""));
	assert_non_null(strstr(a, "\"max_of_runs\": 100.0"));
	assert_int_equal(hvb_doc_from_json(a, strlen(a), &back, err, sizeof(err)), 0);
	assert_int_equal(dist_count(&back.results[0].native), 3);
	assert_int_equal(back.results[0].native.dist[1].nhist, 2);
	b = hvb_doc_to_json(&back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	hvb_doc_free(&d);
	hvb_doc_free(&back);
}

static void json_refused(void **state)
{
	static const char *const runs[] = {
		"[{\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[],\"hist_overflow\":0}]",
		"[{\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[],\"hist_overflow\":0},"
		"{\"min\":5,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[],\"hist_overflow\":0}]",
		"[{\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[\"x\",1]],"
		"\"hist_overflow\":0},null]",
		"[{},null]",
		"[7,null]",
		"{}",
	};
	struct hvb_doc d;
	char err[512], text[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{},\"results\":[{"
			 "\"benchmark\":\"timer-latency\",\"native\":{\"samples\":[1,2],"
			 "\"runs\":%s},\"virt\":null}]}",
			 runs[i]);
		if (!hvb_doc_from_json(text, strlen(text), &d, err, sizeof(err)))
			fail_msg("accepted runs %s", runs[i]);
		assert_non_null(strstr(err, "results[0].native.runs"));
	}
	/* null runs beside good ones are a run without a distribution. */
	snprintf(text, sizeof(text),
		 "{\"schema\":\"hvbench/1\",\"host\":{},\"config\":{},\"results\":[{"
		 "\"benchmark\":\"timer-latency\",\"native\":{\"samples\":[1,2],\"runs\":[null,"
		 "{\"min\":1,\"p50\":2,\"p99\":3,\"max\":4,\"hist\":[[2,5]],\"hist_overflow\":0}]},"
		 "\"virt\":null}]}");
	assert_int_equal(hvb_doc_from_json(text, strlen(text), &d, err, sizeof(err)), 0);
	assert_int_equal(dist_count(&d.results[0].native), 1);
	hvb_doc_free(&d);
}

static void chart_inputs(void **state)
{
	struct hvb_doc d;
	char *s;

	(void)state;
	make_result(&d);
	s = latreport_chart_script(&d.results[0]);
	assert_non_null(s);
	assert_non_null(strstr(s, "set logscale y"));
	/* Both sides overlaid, merged counts, empty buckets at the floor. */
	assert_non_null(strstr(s, "$n << EOD\n0 0.5\n1 0.5\n2 6\n3 14\n"));
	assert_non_null(strstr(s, "\n20 19\n21 10\n"));
	assert_non_null(strstr(s, "'native: 22 samples, 1 beyond the range, max 100.0 us'"));
	assert_non_null(strstr(s, "'virt: 32 samples, 2 beyond the range, max 31.0 us'"));
	assert_non_null(strstr(s, "set xrange [0:32]"));
	free(s);
	/* A name with a quote stays inside its gnuplot literal. */
	free(d.results[0].benchmark);
	d.results[0].benchmark = hvb_xstrdup("x'\nsystem('id')");
	s = latreport_chart_script(&d.results[0]);
	assert_null(strstr(s, "\nsystem"));
	free(s);
	hvb_doc_free(&d);
	/* No distribution, no chart. */
	memset(&d, 0, sizeof(d));
	hvb_doc_add(&d, "cpu", "synthetic");
	assert_null(latreport_chart_script(&d.results[0]));
	hvb_doc_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(result_line_distribution),
		cmocka_unit_test(result_line_refused),
		cmocka_unit_test(summary_over_runs),
		cmocka_unit_test(json_round_trip),
		cmocka_unit_test(json_refused),
		cmocka_unit_test(chart_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
