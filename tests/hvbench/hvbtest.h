/* hvbtest: what the hvbench unit tests that build documents by hand share:
 * checking text against a golden file (rewritten with
 * HVBENCH_UPDATE_GOLDEN=1), adding samples to a side and the fixed host of
 * a test document, so that every golden file comes out the same on every
 * machine. Header-only (static inline), included by one test file each. */
#ifndef HVBTEST_H
#define HVBTEST_H

#include "testlib.h"
#include "dist.h"
#include "hvbench.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HVBT_GOLDEN "tests/hvbench/golden/"

/* Fails the test unless text is golden/NAME byte for byte. */
static inline void hvbt_check_golden(const char *name, const char *text)
{
	char path[256], err[512];
	char *want;

	snprintf(path, sizeof(path), HVBT_GOLDEN "%s", name);
	if (getenv("HVBENCH_UPDATE_GOLDEN")) {
		assert_int_equal(report_write_file(path, text, err, sizeof(err)), 0);
		test_note("updated %s", path);
		return;
	}
	want = test_read_file(path);
	if (!want)
		fail_msg("cannot read %s (HVBENCH_UPDATE_GOLDEN=1 writes it)", path);
	if (strcmp(want, text)) {
		test_note("%s differs from the output; the output was:", path);
		test_note("%s", text);
		free(want);
		fail_msg("%s differs", path);
	}
	free(want);
}

static inline void hvbt_add_samples(struct hvb_side *s, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hvb_side_add(s, v[i]);
}

/* Latency runs as the workloads report them: each sample's run with a
 * distribution around it (dist.h). Run i's p99 sits p99_step * i above
 * 1.5 times the sample; its worst case a further max_mul * i * max_scale
 * above p99 + half the sample (a long tail, or a neighbour's), and run
 * overflow_at (n or more for none) has its worst case past the histogram. */
static inline void hvbt_add_lat_runs(struct hvb_side *s, const double *v, size_t n,
				     double p99_step, double max_mul, double max_scale,
				     size_t overflow_at)
{
	static struct result_dist d;

	for (size_t i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		d.has = 1;
		d.min = v[i] * 0.8;
		d.p50 = v[i];
		d.p99 = v[i] * 1.5 + (double)i * p99_step;
		d.max = d.p99 + v[i] * 0.5 + max_mul * (double)i * max_scale;
		d.hist[(size_t)d.min] = 90;
		d.hist[(size_t)d.p99] = 9;
		d.overflow = i == overflow_at;
		if (!d.overflow)
			d.hist[(size_t)d.max] += 1;
		hvb_side_add_dist(s, v[i], &d);
	}
}

/* An empty document whose host is the fixed test host of a PVM machine:
 * cpu_model as given (the compare test puts markup in it), the date as
 * given, everything else the same in every test. */
static inline void hvbt_doc_init(struct hvb_doc *d, const char *cpu_model, const char *date)
{
	memset(d, 0, sizeof(*d));
	d->host.hostname = hvb_xstrdup("testhost");
	d->host.cpu_model = hvb_xstrdup(cpu_model);
	d->host.arch = hvb_xstrdup("x86_64");
	d->host.cpus = 2;
	d->host.kernel = hvb_xstrdup("Linux 6.1.0 #1 SMP x86_64");
	d->host.kvm = hvb_xstrdup("kvm_pvm");
	d->host.kvm_kind = hvb_xstrdup("software");
	d->host.governor = NULL;
	d->host.date = hvb_xstrdup(date);
	d->host.revision = hvb_xstrdup("v0-test");
	d->config.reps = 5;
	d->config.guest = hvb_xstrdup("bare");
}

#endif
