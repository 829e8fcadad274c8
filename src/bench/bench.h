/*
 * bench: what a workload is, how its parameters reach it, and how it
 * reports.
 *
 * Owns: struct bench_workload (name, group, description, parameter table,
 * run function), the registry of all workloads (registry.c), typed access to
 * parsed parameters, and the RESULT/FAIL line protocol:
 *
 *   RESULT {"benchmark":..., "metric":..., "unit":..., "better":...,
 *           "value":..., "check":..., <extra fields>, "params":{...}}
 *   FAIL <name>: <reason>
 *
 * One line per run, written with a single plat_write. Freestanding: used
 * unchanged by the native runner and the benchmark guest.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

#define BENCH_MAX_PARAMS 8

enum bench_ptype {
	BENCH_P_UINT,   /* decimal integer in [min, max] */
	BENCH_P_SIZE,   /* integer with optional K, M or G suffix (powers of 1024) */
	BENCH_P_CHOICE, /* one of the NULL-terminated `choices` */
};

struct bench_param {
	const char *key;
	enum bench_ptype type;
	const char *def;                 /* default, in command-line syntax */
	const char *help;
	uint64_t min, max;               /* UINT and SIZE only */
	const char *const *choices;      /* CHOICE only */
};

struct bench_args;

struct bench_workload {
	const char *name;
	const char *group;               /* synthetic, mibench or latency */
	const char *desc;
	const struct bench_param *params; /* ends with a zeroed entry */
	/* Runs once with validated parameters; prints exactly one RESULT or
	 * FAIL line. Returns 0 on success, 1 when it printed FAIL. */
	int (*run)(const struct bench_args *a);
};

/* Parsed parameters of one run: every parameter of the workload has a
 * value (the given one or its default). */
struct bench_args {
	const struct bench_workload *w;
	uint64_t num[BENCH_MAX_PARAMS];  /* UINT/SIZE value; CHOICE index */
	bool given[BENCH_MAX_PARAMS];    /* set on the command line */
};

extern const struct bench_workload *const bench_workloads[];
extern const size_t bench_nworkloads;

/* The workload called `name`, or NULL. */
const struct bench_workload *bench_find(const char *name);

/* The value of parameter `key`; a key the workload does not declare is a
 * bug in the workload and traps. */
uint64_t bench_arg(const struct bench_args *a, const char *key);
/* The chosen string of a CHOICE parameter. */
const char *bench_arg_str(const struct bench_args *a, const char *key);
bool bench_arg_is(const struct bench_args *a, const char *key, const char *choice);
/* Whether parameter `key` was set on the command line (not its default). */
bool bench_arg_given(const struct bench_args *a, const char *key);

/* Fills `a` from tokens "key=value" (n of them). Returns 0, or 2 with a
 * one-line message in `err` naming the bad token and listing the valid
 * keys or values. Touches nothing but its arguments. */
int bench_parse_params(const struct bench_workload *w, int n, const char *const tok[],
		       struct bench_args *a, struct fmt *err);

/* Splits a command line in place into at most `max` blank-separated
 * tokens (NULs written over the separators). Returns the count, or -1 if
 * there were more than `max`. */
int bench_split(char *line, char *tok[], int max);

/* The command line: tok[0] is "list", "run", "help" or "--help". Results
 * go to plat_write; usage errors to `err_out`. Returns the exit status:
 * 0 ok, 1 a self-check failed, 2 a usage error. */
typedef void (*bench_out_fn)(const char *s, size_t len);
int bench_cli(int n, const char *const tok[], bench_out_fn err_out);

/* A RESULT line being built. */
struct bench_result {
	const struct bench_args *a;
	struct fmt f;
	char buf[4096];
};

/* Starts the line with the five required fields. `better` is "lower" or
 * "higher"; value is printed with `decimals` digits. */
void result_begin(struct bench_result *r, const struct bench_args *a, const char *metric,
		  const char *unit, const char *better, double value, unsigned decimals);
void result_u64(struct bench_result *r, const char *key, uint64_t v);
void result_f64(struct bench_result *r, const char *key, double v, unsigned decimals);
void result_str(struct bench_result *r, const char *key, const char *v);
/* Starts a field whose JSON value the caller appends to r->f itself. */
void result_key(struct bench_result *r, const char *key);
/* Adds "params":{...} with every effective parameter, closes the object
 * and writes the line. Returns 0, or 1 (after a FAIL line) if the line did
 * not fit. */
int result_end(struct bench_result *r);

/* Writes the RESULT line of a latency workload from its n samples (ns,
 * sorted in place): value = the mean in us under `metric`, check = n,
 * min/avg/p50/p99/max in us, a 1 us histogram up to hmax_us ("hist",
 * "hist_overflow") and time_ms from elapsed_ns. Returns as result_end.
 * Shared by timer-latency and the guest's irq-latency and channel-ping. */
int latency_report(const struct bench_args *a, const char *metric, uint64_t *lat_ns, uint64_t n,
		   uint64_t hmax_us, uint64_t elapsed_ns);

/* The same fields, leaving the line open for more (result_end writes it). */
void latency_begin(struct bench_result *r, const struct bench_args *a, const char *metric,
		   uint64_t *lat_ns, uint64_t n, uint64_t hmax, uint64_t elapsed_ns);

/* Prints "FAIL <name>: <reason>" and returns 1. */
int bench_fail(const struct bench_args *a, const char *reason);

/* Elapsed-time helpers shared by the workloads. */
static inline double bench_ns_to_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

#endif
