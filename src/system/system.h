/*
 * system: runs a system description: one vmm process per VM, the channels
 * between them, and the console server.
 *
 * Owns: the supervisor. It creates each channel's shared memory (a memfd)
 * and its two doorbell eventfds, starts each VM as `vmm run` in its own
 * process (pinned to its host CPU, its COM1 on a socket to us, its stdout
 * and stderr on a pipe to us, the channel descriptors at fixed numbers and
 * nothing else; it dies with the supervisor), multiplexes the consoles
 * onto the terminal with a "[name] " prefix (escaped: console.h) and into
 * one log file per VM, forwards the terminal's input to the attached VM,
 * and applies each VM's on_exit policy when it ends: restart it, stop the
 * others, or let them go on. The supervisor never maps guest memory; a
 * VM's process sees only its own RAM and its channels.
 *
 * Its loop never waits for anyone: every output goes through a bounded
 * queue (what does not fit is dropped, counted and reported), so a guest
 * that does not read its UART or a terminal that does not keep up cannot
 * keep it from SIGINT/SIGTERM. A stop sends SIGTERM and, after
 * SYSTEM_STOP_GRACE_MS, SIGKILL.
 */
#ifndef SYSTEM_H
#define SYSTEM_H

#include "sysdesc.h"

/* From SIGTERM to SIGKILL for a VM that does not stop (`vmm run` stops
 * in milliseconds on SIGTERM). */
#define SYSTEM_STOP_GRACE_MS 3000
/* At the end, how long the terminal gets to take what is still queued. */
#define SYSTEM_FLUSH_MS 1000
/* Bytes of terminal input held for the attached VM. */
#define SYSTEM_INPUT_MAX (16u * 1024)
/* Bytes of console log per VM (all its runs together); the rest is
 * counted, not written, so a guest cannot fill the disk. */
#define SYSTEM_LOG_MAX (256ull << 20)

struct system_opts {
	const char *attach; /* VM whose console gets our stdin, or NULL */
	const char *self;   /* path of the vmm binary to start VMs with */
};

/* Runs the system until every VM has ended (or SIGINT/SIGTERM). Returns
 * the exit status: 0 when every VM ended cleanly (powered off, or
 * debug-exit value 0), 1 otherwise, 2 for a start-up error, 130/143 when
 * stopped by a signal. */
int system_run(const struct sd_system *sys, const struct system_opts *o);

#endif
