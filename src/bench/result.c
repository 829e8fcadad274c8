/*
 * result: typed parameter access and the RESULT/FAIL line protocol shared
 * by every workload (see bench.h).
 */
#include "bench.h"
#include "platform.h"

static int bench_param_index(const struct bench_args *a, const char *key)
{
	for (int i = 0; a->w->params[i].key; i++)
		if (fmt_streq(a->w->params[i].key, key))
			return i;
	__builtin_trap(); /* a workload asked for a parameter it did not declare */
}

uint64_t bench_arg(const struct bench_args *a, const char *key)
{
	return a->num[bench_param_index(a, key)];
}

const char *bench_arg_str(const struct bench_args *a, const char *key)
{
	int i = bench_param_index(a, key);

	return a->w->params[i].choices[a->num[i]];
}

bool bench_arg_is(const struct bench_args *a, const char *key, const char *choice)
{
	return fmt_streq(bench_arg_str(a, key), choice);
}

bool bench_arg_given(const struct bench_args *a, const char *key)
{
	return a->given[bench_param_index(a, key)];
}

void result_key(struct bench_result *r, const char *key)
{
	fmt_char(&r->f, ',');
	fmt_json_str(&r->f, key);
	fmt_char(&r->f, ':');
}

void result_begin(struct bench_result *r, const struct bench_args *a, const char *metric,
		  const char *unit, const char *better, double value, unsigned decimals)
{
	r->a = a;
	fmt_init(&r->f, r->buf, sizeof(r->buf));
	fmt_str(&r->f, "RESULT {\"benchmark\":");
	fmt_json_str(&r->f, a->w->name);
	result_str(r, "metric", metric);
	result_str(r, "unit", unit);
	result_str(r, "better", better);
	result_f64(r, "value", value, decimals);
}

void result_u64(struct bench_result *r, const char *key, uint64_t v)
{
	result_key(r, key);
	fmt_u64(&r->f, v);
}

void result_f64(struct bench_result *r, const char *key, double v, unsigned decimals)
{
	result_key(r, key);
	fmt_f64(&r->f, v, decimals);
}

void result_str(struct bench_result *r, const char *key, const char *v)
{
	result_key(r, key);
	fmt_json_str(&r->f, v);
}

int result_end(struct bench_result *r)
{
	const struct bench_param *p = r->a->w->params;

	result_key(r, "params");
	fmt_char(&r->f, '{');
	for (int i = 0; p[i].key; i++) {
		if (i)
			fmt_char(&r->f, ',');
		fmt_json_str(&r->f, p[i].key);
		fmt_char(&r->f, ':');
		if (p[i].type == BENCH_P_CHOICE)
			fmt_json_str(&r->f, p[i].choices[r->a->num[i]]);
		else
			fmt_u64(&r->f, r->a->num[i]);
	}
	fmt_str(&r->f, "}}\n");
	if (r->f.overflow)
		return bench_fail(r->a, "RESULT line longer than its buffer");
	plat_write(r->f.buf, r->f.len);
	return 0;
}

int bench_fail(const struct bench_args *a, const char *reason)
{
	char buf[512];
	struct fmt f;

	fmt_init(&f, buf, sizeof(buf));
	fmt_str(&f, "FAIL ");
	fmt_str(&f, a->w->name);
	fmt_str(&f, ": ");
	fmt_str(&f, reason);
	if (f.overflow)
		f.len = sizeof(buf) - 2;
	buf[f.len] = '\n';
	plat_write(buf, f.len + 1);
	return 1;
}
