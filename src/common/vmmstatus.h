/*
 * vmmstatus: the one table that says what an exit status of `vmm run`
 * means. The monitor exits with these; `vmm system` and hvbench explain a
 * child's wait status with vmm_status_explain(), so all three agree.
 *
 * The statuses are laid out so that no two meanings share a number:
 *   - even 0..14: the monitor's own verdicts (below);
 *   - odd 1..127: the guest wrote V (0..63) to the isa-debug-exit port, and
 *     the status is (V << 1) | 1, as QEMU's isa-debug-exit defines it;
 *   - 128 + N: stopped by signal N (130 SIGINT, 143 SIGTERM).
 * A debug-exit value of 64 or more cannot be carried without landing in the
 * signal range (V = 71 would read as 143, "SIGTERM"; V = 128 would wrap to 1,
 * "passed"), so the monitor reports it as VMM_EXIT_DEBUG_RANGE instead, with
 * the value printed on stderr.
 */
#ifndef VMMSTATUS_H
#define VMMSTATUS_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

enum vmm_status {
	VMM_EXIT_OK = 0,           /* guest powered off or rebooted */
	VMM_EXIT_CONFIG = 2,       /* usage, host or configuration error at start-up */
	VMM_EXIT_TRIPLE_FAULT = 4, /* guest shutdown (triple fault) */
	VMM_EXIT_HALTED = 6,       /* every vCPU halted with interrupts disabled */
	VMM_EXIT_KVM_ERROR = 8,    /* failed entry, internal error, unhandled exit */
	VMM_EXIT_STRICT_IO = 10,   /* --strict-io: access nobody claims */
	VMM_EXIT_SANDBOX = 12,     /* a system call outside the sandbox policy */
	VMM_EXIT_DEBUG_RANGE = 14, /* debug-exit value >= 64: not representable */
	VMM_EXIT_SIGINT = 130,
	VMM_EXIT_SIGTERM = 143,
};

/* The largest debug-exit value the status can carry. */
#define VMM_DEBUG_EXIT_MAX 63

static inline int vmm_status_is_debug_exit(int status)
{
	return status > 0 && status < 128 && (status & 1);
}

/* Explains an exit status of vmm (not a raw wait status) in a few words. */
static inline const char *vmm_status_meaning(int status, char *buf, size_t len)
{
	static const struct {
		int status;
		const char *what;
	} table[] = {
		{VMM_EXIT_OK, "guest powered off or rebooted"},
		{VMM_EXIT_CONFIG, "usage or start-up error"},
		{VMM_EXIT_TRIPLE_FAULT, "guest triple-faulted"},
		{VMM_EXIT_HALTED, "guest halted with interrupts off"},
		{VMM_EXIT_KVM_ERROR, "KVM error or unhandled exit"},
		{VMM_EXIT_STRICT_IO, "--strict-io: unclaimed access"},
		{VMM_EXIT_SANDBOX, "forbidden system call (sandbox)"},
		{VMM_EXIT_DEBUG_RANGE, "debug-exit value too large for an exit status"},
		{VMM_EXIT_SIGINT, "stopped by SIGINT"},
		{VMM_EXIT_SIGTERM, "stopped by SIGTERM"},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].status == status) {
			snprintf(buf, len, "%s", table[i].what);
			return buf;
		}
	if (vmm_status_is_debug_exit(status))
		snprintf(buf, len, "debug-exit value %d", status >> 1);
	else if (status > 128 && status < 128 + 65)
		snprintf(buf, len, "stopped by signal %d (%s)", status - 128,
			 strsignal(status - 128));
	else
		snprintf(buf, len, "exit status %d (not one vmm uses)", status);
	return buf;
}

/* Explains a wait status from waitpid(2) of a vmm process: an exit is
 * explained by the table above, a death by a signal says so (a monitor
 * killed by SIGSEGV is not the same thing as one that exited 139). */
static inline const char *vmm_wait_meaning(int wstatus, char *buf, size_t len)
{
	if (WIFSIGNALED(wstatus)) {
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)));
		return buf;
	}
	if (WIFEXITED(wstatus))
		return vmm_status_meaning(WEXITSTATUS(wstatus), buf, len);
	snprintf(buf, len, "wait status 0x%x", (unsigned)wstatus);
	return buf;
}

#endif
