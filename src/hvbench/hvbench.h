/* hvbench: the data model shared by the harness modules: one run's host,
 * configuration and per-benchmark results (the in-memory form of
 * results.json, schema "hvbench/1"), a growable string buffer, and the
 * functions that fill in a result's statistics and convert the model to and
 * from JSON (doc.c). */
#ifndef HVB_HVBENCH_H
#define HVB_HVBENCH_H

#include <stdarg.h>
#include <stddef.h>

#define HVB_SCHEMA "hvbench/1"

#ifndef HVB_VERSION
#define HVB_VERSION "unknown"
#endif

/* Growable NUL-terminated string. Allocation failure aborts: the harness
 * cannot do anything useful without memory and must not print half a table. */
struct hvb_buf {
	char *p;
	size_t len, cap;
};
void hvb_buf_add(struct hvb_buf *b, const char *s, size_t n);
void hvb_buf_puts(struct hvb_buf *b, const char *s);
void hvb_buf_printf(struct hvb_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hvb_buf_vprintf(struct hvb_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Returns the string (never NULL) and leaves b empty; the caller frees it. */
char *hvb_buf_take(struct hvb_buf *b);

void *hvb_xmalloc(size_t n);
void *hvb_xrealloc(void *p, size_t n);
char *hvb_xstrdup(const char *s); /* NULL stays NULL */
/* root (a jansson json_t, whose reference this takes) as indented JSON
 * text with digits significant digits and a final newline, malloc'd. */
struct json_t;
char *hvb_json_text(struct json_t *root, int digits);

/* Result of one benchmark on one side: its samples and their statistics. */
struct hvb_side {
	double *samples;
	size_t n, cap;
	double median;       /* NaN when there are no samples */
	double ci_lo, ci_hi; /* bootstrap 95% CI of the median, NaN if none */
	/* Latency workloads: each run's distribution, one per sample (cap
	 * entries allocated), or NULL when no run had one (dist.h). */
	struct hvb_dist *dist;
};
void hvb_side_add(struct hvb_side *s, double v);

/* Per-result status strings, as written to results.json. */
#define HVB_ST_OK "ok"
#define HVB_ST_NOISY "noisy"
#define HVB_ST_FAILED "failed"
#define HVB_ST_INCOMPLETE "incomplete" /* run stopped by a signal part way */
#define HVB_ST_NOT_RUN "not_run"       /* run stopped before it began */
#define HVB_ST_UNAVAILABLE "not_available" /* needs a device the monitor lacks */

struct hvb_result {
	char *benchmark;
	char *group;  /* synthetic, mibench, latency (from `bench list`) */
	char *metric; /* NULL until a first RESULT line names it */
	char *unit;
	int better_higher; /* 0: lower is better, 1: higher is better */
	struct hvb_side native;
	int has_virt; /* 0 in a native-only run: "virt": null */
	int has_native; /* 0 for a guest-only workload: "native": null */
	struct hvb_side virt;
	double overhead;        /* Equation 1 in %, NaN when undefined */
	double ov_lo, ov_hi;    /* its bootstrap 95% CI, NaN when undefined */
	/* --interference: the virtualised side again, with a memory-heavy
	 * neighbour VM running on another CPU, and Equation 1 of that
	 * against the plain virtualised side (the neighbour's cost). */
	int has_nb;
	struct hvb_side virt_nb;
	double nb_change, nb_lo, nb_hi;
	char *status;           /* HVB_ST_* */
	char *error;            /* why it failed, or NULL */
};

/* Whether r's status is st (one of HVB_ST_*); a result without one is none. */
int hvb_result_is(const struct hvb_result *r, const char *st);

/* s, or dflt when s is NULL (the document's optional strings). */
const char *hvb_str_or(const char *s, const char *dflt);

struct hvb_host {
	char *hostname;
	char *cpu_model;
	char *arch;     /* the architecture hvbench ran on: "x86_64", "arm64" (host_arch_name) */
	int cpus;
	char *kernel;
	char *kvm;      /* "VT-x", "AMD-V", a module name such as "kvm_pvm", "none" */
	char *kvm_kind; /* "hardware", "software", "none" */
	char *governor; /* NULL when the host has no cpufreq */
	char *date;     /* UTC, ISO 8601 */
	char *revision; /* hvbench's git revision */
};

struct hvb_config {
	int reps;
	int warmup; /* discarded runs per side before the measured ones */
	char *size; /* "small", "large", "tiny" or "default" (not passed on) */
	int cpu;    /* CPU the runs are pinned to, -1 when not pinned */
	int timeout_s;
	char *guest;   /* "bare", "linux" */
	char *vmm;     /* monitor path, NULL in a native-only run */
	char *monitor; /* "vmm" or "qemu": which monitor the virt column ran
			* under; NULL in a native-only run */
	char *kernel;  /* the Linux guest's kernel and initramfs, else NULL */
	char *initrd;
	int native_only;
	char *native_only_reason; /* NULL unless native_only */
	char *native_cmd;         /* runner command templates, for the record */
	char *virt_cmd;
	int realtime;     /* --realtime: the measured VM ran as vmm run --realtime */
	int io_placed;    /* device workloads: the guest's I/O threads on CPU
			   * io_cpu (vmm --io-cpus), its vCPU on cpu */
	int io_cpu;
	int interference; /* --interference: a neighbour VM on CPU nb_cpu */
	int nb_cpu;
	/* --interference=LIST (neighbour.h): which neighbours, HVB_NB_* bits;
	 * a file from before the choice was recorded reads as memory. */
	unsigned nb_kinds;
	long long nb_llc_bytes; /* llc, host: the last-level cache, its level */
	int nb_llc_level;
	char *nb_llc_source;    /* the sysfs file its size was read from */
	long long nb_ws_bytes;  /* their working set (twice the cache) */
	int nb_host_cpu;        /* host: the host process's CPU, and what it */
	int nb_host_rel;        /* is to `cpu` (HVB_NB_REL_*) */
	double nb_cpu_s[4];     /* CPU time each neighbour used over the run, by
				 * HVB_NB_* bit index: that it ran; NaN if unknown */
	int incomplete;   /* stopped early by a signal */
	char *stopped_by; /* "SIGINT", "SIGTERM" or NULL */
};

/* The --interference neighbours (neighbour.h). */
#define HVB_NB_MEMORY 1u
#define HVB_NB_LLC 2u
#define HVB_NB_IO 4u
#define HVB_NB_HOST 8u
/* What the host neighbour's CPU is to the measured one. */
#define HVB_NB_REL_SMT 0     /* its SMT sibling (thread_siblings_list) */
#define HVB_NB_REL_PACKAGE 1 /* no SMT sibling: another core of its package */
#define HVB_NB_REL_OTHER 2   /* topology unknown: another allowed CPU */

struct hvb_doc {
	struct hvb_host host;
	struct hvb_config config;
	struct hvb_result *results;
	size_t nresults;
};

/* Appends a zeroed result with status not_run; returns it. */
struct hvb_result *hvb_doc_add(struct hvb_doc *d, const char *benchmark, const char *group);
void hvb_doc_free(struct hvb_doc *d);
void hvb_result_set_error(struct hvb_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Computes medians, CIs, overhead and its CI from the samples, then the
 * status: failed stays failed (stats are still filled in for the record);
 * otherwise "incomplete" if `incomplete`, else ok or noisy by the rule in
 * stats.h. A result with no samples at all stays not_run/failed. */
void hvb_result_finish(struct hvb_result *r, int incomplete);

/* results.json text (indented, ends with a newline); caller frees. */
char *hvb_doc_to_json(const struct hvb_doc *d);
/* Parses results.json text into d (zeroed first). Returns 0, or -1 with a
 * message in err. */
int hvb_doc_from_json(const char *text, size_t len, struct hvb_doc *d, char *err, size_t errlen);

#endif
