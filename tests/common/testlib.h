/* testlib: what every test program shares: cmocka, skipping with a reason,
 * and running a command (the monitor) with a time limit. */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Prints the reason as a TAP diagnostic (the runner shows it), then skips. */
#define skip_because(...)                                                   \
	do {                                                                \
		test_note("SKIP: " __VA_ARGS__);                            \
		skip();                                                     \
	} while (0)

void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct cmd_result {
	int status;     /* exit status, or 128 + signal */
	int timed_out;  /* killed after the time limit */
	char *out;      /* stdout, NUL-terminated (malloc'd) */
	char *err;      /* stderr, NUL-terminated (malloc'd) */
};

/* Runs argv (argv[0] a path) with stdin from /dev/null, collecting stdout
 * and stderr, killing it after timeout_s seconds. */
void run_cmd(const char *const argv[], int timeout_s, struct cmd_result *r);
void cmd_result_free(struct cmd_result *r);

/* NULL when /dev/kvm can run a VM here, otherwise why not. */
const char *kvm_unusable(void);

/* Skips the current test, with the reason, unless /dev/kvm works. */
#define REQUIRE_KVM()                                                   \
	do {                                                            \
		const char *why_ = kvm_unusable();                      \
		if (why_)                                               \
			skip_because("%s", why_);                       \
	} while (0)

/* Path of a file in the build directory (BUILD env var, default "build"). */
const char *build_path(const char *rel);

#endif
