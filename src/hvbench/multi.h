/* multi: the table of a run with several monitors (`hvbench run --vmm A
 * --vmm B`): one row per workload, the native median, one column per
 * monitor (its median, and Equation 1 against native where the workload
 * has a native side), and for each monitor after the first a column
 * comparing it with the first: compare.h's change, 95% CI, Mann-Whitney p
 * and verdict. The monitor's own workloads (group `monitor`: start-up,
 * exit round trips, memory) have no native side, so that last column is
 * their overhead: against the other monitor, as the host has no monitor.
 *
 * The documents are the monitors' results.json as written (the same
 * workloads in the same order, the native samples shared); names[k] is
 * each one's monitor, folders[k] where its results.json is, relative to
 * the run's folder. Every string from the documents goes out through the
 * escapers (escape.h). */
#ifndef HVB_MULTI_H
#define HVB_MULTI_H

#include "hvbench.h"

#define MULTI_SCHEMA "hvbench-monitors/1"

/* The terminal table, Markdown and JSON; each malloc'd. */
char *multi_table(const struct hvb_doc *d, const char *const *names,
		  const char *const *folders, size_t n);
char *multi_markdown(const struct hvb_doc *d, const char *const *names,
		     const char *const *folders, size_t n);
char *multi_json(const struct hvb_doc *d, const char *const *names,
		 const char *const *folders, size_t n);

#endif
