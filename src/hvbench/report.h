/* report: everything hvbench shows or writes from a results document: the
 * terminal table, results.csv, report.md, the per-group overhead charts
 * (gnuplot, when installed) and the results folder itself. Every output is a
 * function of the document alone (plus whether gnuplot could draw), so
 * `hvbench report DIR` re-renders exactly what `hvbench run` wrote. */
#ifndef HVB_REPORT_H
#define HVB_REPORT_H

#include "hvbench.h"

#define REPORT_MAX_GROUPS 16
#define REPORT_MAX_LATENCY 32

/* What happened to the charts, for report.md. */
struct report_charts {
	char note[512];                    /* why there are none, or "" */
	char files[REPORT_MAX_GROUPS][80]; /* overhead_GROUP.svg, drawn */
	char groups[REPORT_MAX_GROUPS][80];
	size_t n;
	/* latency histograms (latreport.h): latency_NAME.svg per workload */
	char lat_files[REPORT_MAX_LATENCY][96];
	char lat_names[REPORT_MAX_LATENCY][64];
	size_t nlat;
};

/* Each returns a malloc'd string. */
char *report_table(const struct hvb_doc *d);
char *report_csv(const struct hvb_doc *d);
char *report_markdown(const struct hvb_doc *d, const struct report_charts *c);

/* Path of gnuplot: $HVBENCH_GNUPLOT if set ("none" disables charts), else
 * the first gnuplot on PATH; NULL when there is none. Static storage. */
const char *report_find_gnuplot(void);

/* Draws one SVG per benchmark group into dir; fills c (never fails: a chart
 * that cannot be drawn is noted in c->note). */
void report_charts(const struct hvb_doc *d, const char *dir, const char *gnuplot,
		   struct report_charts *c);

/* Runs gnuplot on script and writes its SVG to dir/file; on failure notes
 * why in c->note. Returns 0 or -1. */
int report_draw_svg(const char *gnuplot, const char *script, const char *dir, const char *file,
		    struct report_charts *c);
/* Names from a results file go into file names and gnuplot strings: keeps
 * only letters, digits and - _ . (others become '_'). */
void report_safe_name(char *dst, size_t n, const char *s);
/* A signed percentage ("+1.23%") and its CI ("[-0.50, +2.10]"), or "-"
 * where the value is not finite: the one format of every table. */
void report_fmt_pct(char *buf, size_t n, double v);
void report_fmt_ci(char *buf, size_t n, double lo, double hi);

/* mkdir -p. Returns 0, or -1 with "cannot create PATH: reason" in err. */
int report_mkdirs(const char *path, char *err, size_t errlen);

/* Writes text to path via a temporary file and rename, so a full disk
 * leaves no half-written file. Returns 0, or -1 with a message naming the
 * path in err. */
int report_write_file(const char *path, const char *text, char *err, size_t errlen);

/* Writes the results folder: results.json (when with_json), results.csv,
 * charts and report.md. Returns 0, or -1 with the first error in err (it
 * still tries the other files). */
int report_write_dir(const struct hvb_doc *d, const char *dir, int with_json,
		     const char *gnuplot, char *err, size_t errlen);

#endif
