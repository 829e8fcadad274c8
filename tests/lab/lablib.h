/* lablib: what the lab's test programs share: skipping when the lab cannot
 * run here, running lab/run.sh, and reading its console. */
#ifndef LABLIB_H
#define LABLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "testlib.h"

/* NULL when the lab can run on this machine, otherwise why not (the
 * reason lab/fetch.sh left, no QEMU, images not built). */
const char *lab_unavailable(void);

/* Skips the case when the lab cannot run on this machine. */
void require_lab(void);

/* Runs lab/run.sh --timeout timeout_s with the given options
 * (NULL-terminated, at most 14), allowing it 30 s more; skips when
 * run.sh says the lab cannot run here; notes its verdict, and the
 * console's tail when it failed. When the lab machine itself went down
 * (its kernel panicked or QEMU died before its /init powered it off, and
 * not at the time limit) it keeps that console in
 * $(BUILD)/lab/went-down-*.console, notes it, and boots the lab once more;
 * the second run is the verdict. */
void run_lab_for(struct cmd_result *r, int timeout_s, const char *const opts[]);

/* Fills r from a console kept before (lab/run.sh --log), named by the
 * environment variable var (=path), instead of a boot; fails the case
 * naming both when it cannot be read. */
void lab_kept_console(struct cmd_result *r, const char *var, const char *path);

/* The status in the first "LAB: vmm exit status N" after marker, or -1. */
int vmm_status_after(const char *out, const char *marker);

/* Notes the last `lines` lines of the monitor's run after marker, up to
 * and with its "LAB: vmm exit status" line (or to the end when it has
 * none): what a case shows when a run went wrong before the console's
 * tail, which later steps of the lab's script fill. */
void lab_note_run(const char *out, const char *marker, int lines);

/* The console line that starts with prefix, copied (without its newline)
 * into line; false when there is none. */
bool find_line(const char *out, const char *prefix, char *line, size_t size);

#endif
