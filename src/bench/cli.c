/*
 * cli: the command line of the workload runner, shared by build/bench
 * (argv) and the benchmark guest (its kernel command line, split by
 * bench_split): "list", "run NAME key=value ...", "help".
 *
 * Everything here is a pure function of its tokens, with no allocation,
 * so the parsers can be fuzzed directly.
 */
#include "bench.h"
#include "platform.h"

#define CLI_MSG_MAX 2048

static bool cli_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int bench_split(char *line, char *tok[], int max)
{
	int n = 0;

	for (;;) {
		while (cli_is_blank(*line))
			*line++ = '\0';
		if (!*line)
			return n;
		if (n == max)
			return -1;
		tok[n++] = line;
		while (*line && !cli_is_blank(*line))
			line++;
	}
}

const struct bench_workload *bench_find(const char *name)
{
	for (size_t i = 0; i < bench_nworkloads; i++)
		if (fmt_streq(bench_workloads[i]->name, name))
			return bench_workloads[i];
	return NULL;
}

/* Parses s[0..len) as a decimal integer (no sign, no blanks), optionally
 * followed by K, M or G when `size` is set. */
static bool cli_parse_uint(const char *s, size_t len, bool size, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	size_t i;

	if (len && size) {
		switch (s[len - 1]) {
		case 'k': case 'K':
			mul = 1ULL << 10;
			break;
		case 'm': case 'M':
			mul = 1ULL << 20;
			break;
		case 'g': case 'G':
			mul = 1ULL << 30;
			break;
		default:
			break;
		}
		if (mul != 1)
			len--;
	}
	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

static void cli_list_keys(struct fmt *err, const struct bench_workload *w)
{
	for (int i = 0; w->params[i].key; i++) {
		if (i)
			fmt_str(err, ", ");
		fmt_str(err, w->params[i].key);
	}
}

static void cli_describe_value(struct fmt *err, const struct bench_param *p)
{
	if (p->type == BENCH_P_CHOICE) {
		fmt_str(err, "one of ");
		for (int i = 0; p->choices[i]; i++) {
			if (i)
				fmt_char(err, '|');
			fmt_str(err, p->choices[i]);
		}
		return;
	}
	fmt_str(err, p->type == BENCH_P_SIZE ? "a size (suffix K, M or G) in [" :
		"an integer in [");
	fmt_u64(err, p->min);
	fmt_str(err, ", ");
	fmt_u64(err, p->max);
	fmt_char(err, ']');
}

/* Parses value s[0..len) for parameter p into *out. */
static bool cli_parse_value(const struct bench_param *p, const char *s, size_t len,
			    uint64_t *out)
{
	if (p->type == BENCH_P_CHOICE) {
		for (uint64_t i = 0; p->choices[i]; i++) {
			const char *c = p->choices[i];
			size_t n = fmt_strlen(c);
			if (n == len && __builtin_memcmp(c, s, n) == 0) {
				*out = i;
				return true;
			}
		}
		return false;
	}
	if (!cli_parse_uint(s, len, p->type == BENCH_P_SIZE, out))
		return false;
	return *out >= p->min && *out <= p->max;
}

int bench_parse_params(const struct bench_workload *w, int n, const char *const tok[],
		       struct bench_args *a, struct fmt *err)
{
	int np;

	a->w = w;
	for (np = 0; w->params[np].key; np++) {
		const struct bench_param *p = &w->params[np];
		if (np >= BENCH_MAX_PARAMS ||
		    !cli_parse_value(p, p->def, fmt_strlen(p->def), &a->num[np]))
			__builtin_trap(); /* the workload's own table is wrong */
		a->given[np] = false;
	}
	for (int t = 0; t < n; t++) {
		const char *s = tok[t];
		const char *eq = s;
		while (*eq && *eq != '=')
			eq++;
		if (!*eq || eq == s) {
			fmt_str(err, "bad parameter '");
			fmt_str(err, s);
			fmt_str(err, "': expected key=value");
			return 2;
		}
		size_t klen = (size_t)(eq - s);
		int i;
		for (i = 0; i < np; i++) {
			const char *k = w->params[i].key;
			if (fmt_strlen(k) == klen && __builtin_memcmp(k, s, klen) == 0)
				break;
		}
		if (i == np) {
			fmt_str(err, "unknown parameter '");
			fmt_mem(err, s, klen);
			fmt_str(err, "' for ");
			fmt_str(err, w->name);
			fmt_str(err, "; valid: ");
			cli_list_keys(err, w);
			return 2;
		}
		const struct bench_param *p = &w->params[i];
		if (a->given[i]) {
			fmt_str(err, "parameter '");
			fmt_str(err, p->key);
			fmt_str(err, "' given twice");
			return 2;
		}
		if (!cli_parse_value(p, eq + 1, fmt_strlen(eq + 1), &a->num[i])) {
			fmt_str(err, "bad value '");
			fmt_str(err, eq + 1);
			fmt_str(err, "' for ");
			fmt_str(err, p->key);
			fmt_str(err, ": expected ");
			cli_describe_value(err, p);
			return 2;
		}
		a->given[i] = true;
	}
	return 0;
}

static void cli_emit(bench_out_fn out, struct fmt *f)
{
	if (f->overflow && f->len)
		f->buf[f->len - 1] = '\n';
	out(f->buf, f->len);
}

static void cli_usage(struct fmt *f)
{
	fmt_str(f, "usage: bench list\n"
		   "       bench run NAME [key=value ...]\n"
		   "       bench help\n"
		   "Runs one workload and prints one line: RESULT {json}, or FAIL NAME: reason\n"
		   "(exit 1). Usage errors exit 2. Workloads and their parameters:\n");
	for (size_t i = 0; i < bench_nworkloads; i++) {
		const struct bench_workload *w = bench_workloads[i];
		fmt_str(f, "  ");
		fmt_str(f, w->name);
		fmt_str(f, " (");
		fmt_str(f, w->group);
		fmt_str(f, "): ");
		fmt_str(f, w->desc);
		fmt_char(f, '\n');
		for (int j = 0; w->params[j].key; j++) {
			const struct bench_param *p = &w->params[j];
			fmt_str(f, "      ");
			fmt_str(f, p->key);
			fmt_char(f, '=');
			fmt_str(f, p->def);
			fmt_str(f, "  ");
			fmt_str(f, p->help);
			fmt_str(f, " (");
			cli_describe_value(f, p);
			fmt_str(f, ")\n");
		}
	}
}

static void cli_list_workloads(struct fmt *f)
{
	for (size_t i = 0; i < bench_nworkloads; i++) {
		if (i)
			fmt_str(f, ", ");
		fmt_str(f, bench_workloads[i]->name);
	}
}

int bench_cli(int n, const char *const tok[], bench_out_fn err_out)
{
	static char buf[8192];
	struct fmt f;

	fmt_init(&f, buf, sizeof(buf));
	if (n == 0) {
		cli_usage(&f);
		cli_emit(err_out, &f);
		return 2;
	}
	if (fmt_streq(tok[0], "help") || fmt_streq(tok[0], "--help") ||
	    fmt_streq(tok[0], "-h")) {
		cli_usage(&f);
		cli_emit(plat_write, &f);
		return 0;
	}
	if (fmt_streq(tok[0], "list")) {
		for (size_t i = 0; i < bench_nworkloads; i++) {
			const struct bench_workload *w = bench_workloads[i];
			fmt_str(&f, w->name);
			fmt_char(&f, '\t');
			fmt_str(&f, w->group);
			fmt_char(&f, '\t');
			fmt_str(&f, w->desc);
			fmt_char(&f, '\n');
		}
		cli_emit(plat_write, &f);
		return 0;
	}
	if (!fmt_streq(tok[0], "run")) {
		fmt_str(&f, "bench: unknown command '");
		fmt_str(&f, tok[0]);
		fmt_str(&f, "'; valid: list, run, help\n");
		cli_emit(err_out, &f);
		return 2;
	}
	if (n < 2) {
		fmt_str(&f, "bench: run needs a workload name; valid: ");
		cli_list_workloads(&f);
		fmt_char(&f, '\n');
		cli_emit(err_out, &f);
		return 2;
	}
	const struct bench_workload *w = bench_find(tok[1]);
	if (!w) {
		fmt_str(&f, "bench: unknown workload '");
		fmt_str(&f, tok[1]);
		fmt_str(&f, "'; valid: ");
		cli_list_workloads(&f);
		fmt_char(&f, '\n');
		cli_emit(err_out, &f);
		return 2;
	}
	struct bench_args a;
	fmt_str(&f, "bench: ");
	if (bench_parse_params(w, n - 2, tok + 2, &a, &f)) {
		fmt_char(&f, '\n');
		cli_emit(err_out, &f);
		return 2;
	}
	return w->run(&a) ? 1 : 0;
}
