/* fuzz_result: libFuzzer target for the RESULT-line parser, which reads the
 * untrusted output of workloads and guest consoles. Any input must be
 * classified without a crash, a leak or undefined behaviour, and an accepted
 * sample must satisfy the contract the statistics rely on. */
#include "result.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result_sample s;
	char err[RESULT_REASON_MAX];
	const char *in = (const char *)data;

	/* With and without an expected name: both paths differ. */
	if (result_scan(in, size, NULL, &s, err, sizeof(err)) == RESULT_OK) {
		if (!isfinite(s.value) || s.value < 0 || (s.better_higher && s.value == 0))
			abort();
		if (!s.benchmark[0] || !s.metric[0] || strlen(s.unit) >= sizeof(s.unit))
			abort();
		/* A distribution, when accepted, is ordered, finite and whole. */
		if (s.dist.has && !(s.dist.min >= 0 && s.dist.min <= s.dist.p50 &&
				    s.dist.p50 <= s.dist.p99 && s.dist.p99 <= s.dist.max &&
				    isfinite(s.dist.max) && s.dist.overflow == floor(s.dist.overflow)))
			abort();
		for (size_t i = 0; i < RESULT_HIST_MAX; i++)
			if (s.dist.hist[i] < 0 || s.dist.hist[i] > RESULT_COUNT_MAX ||
			    s.dist.hist[i] != floor(s.dist.hist[i]))
				abort();
	}
	if (result_scan(in, size, "cpu", &s, err, sizeof(err)) == RESULT_OK &&
	    strcmp(s.benchmark, "cpu"))
		abort();
	result_parse_json(in, size, &s, err, sizeof(err));
	return 0;
}
