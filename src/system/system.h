/*
 * system: runs a system description: one vmm process per VM, the channels
 * between them, and the console server.
 *
 * Owns: the supervisor. It creates each channel's shared memory (a memfd)
 * and its two doorbell eventfds, starts each VM as `vmm run` in its own
 * process (pinned to its host CPU, its COM1 on a socket to us, the
 * channel descriptors inherited at fixed numbers), multiplexes the
 * consoles onto the terminal with a "[name] " prefix and into one log file
 * per VM, forwards the terminal's input to the attached VM, and applies
 * each VM's on_exit policy when it ends: restart it, stop the others, or
 * let them go on. The supervisor never maps guest memory; a VM's process
 * sees only its own RAM and its channels.
 */
#ifndef SYSTEM_H
#define SYSTEM_H

#include "sysdesc.h"

struct system_opts {
	const char *attach; /* VM whose console gets our stdin, or NULL */
	const char *self;   /* path of the vmm binary to start VMs with */
};

/* Runs the system until every VM has ended (or SIGINT/SIGTERM). Returns
 * the exit status: 0 when every VM ended cleanly (powered off, or
 * debug-exit value 0), 1 otherwise, 2 for a start-up error, 130/143 when
 * stopped by a signal. */
int system_run(const struct sd_system *sys, const struct system_opts *o);

/* What a `vmm run` exit status means, for reports. */
const char *system_status_meaning(int status, char *buf, size_t len);

#endif
