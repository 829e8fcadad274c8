/* fuzz_doc: libFuzzer target for the results.json loader, which reads
 * results folders from other people (`hvbench report DIR`). Any input must
 * be refused or loaded without a crash, a leak or undefined behaviour; a
 * loaded document must render to a terminal table and to Markdown without a
 * control character, and what hvbench writes from it must load again. */
#include "hvbench.h"
#include "latreport.h"
#include "report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Nothing but newlines may be a control character in rendered text. */
static void no_controls(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvb_doc d, back;
	char err[1024], *t;

	if (hvb_doc_from_json((const char *)data, size, &d, err, sizeof(err)))
		return 0;
	t = report_table(&d);
	no_controls(t);
	free(t);
	t = report_markdown(&d, NULL);
	no_controls(t);
	free(t);
	free(report_csv(&d));
	/* The latency charts' scripts: one gnuplot command per line, so no
	 * control character but newlines either. */
	for (size_t i = 0; i < d.nresults; i++) {
		t = latreport_chart_script(&d.results[i]);
		if (t)
			no_controls(t);
		free(t);
	}
	t = hvb_doc_to_json(&d);
	if (hvb_doc_from_json(t, strlen(t), &back, err, sizeof(err)))
		abort(); /* hvbench must read back what it writes */
	hvb_doc_free(&back);
	free(t);
	hvb_doc_free(&d);
	return 0;
}
