/* testlib: what every test program shares: cmocka, skipping with a reason,
 * and running a command (the monitor) with a time limit. */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* cmocka's _fail() and _skip() (behind fail(), fail_msg(), skip() and
 * every failed assertion) never return: they jump back to the runner, or
 * exit. cmocka 1.1 does not declare them so; saying it lets the compiler
 * and the analysers of `make lint` see that the code after a failed check
 * does not run. */
__attribute__((noreturn)) void _fail(const char *const file, const int line);
__attribute__((noreturn)) void _skip(const char *const file, const int line);

#if defined(__clang_analyzer__) || defined(__CPPCHECK__)
/* For the analysers only (tests/lint/lint.py): cmocka's assertions are
 * functions that return when the check holds, which an analyser cannot
 * see from their declarations, so it would explore the failed case on.
 * These say the same checks as expressions that stop when they fail.
 * The built tests use cmocka's own. */
#include <string.h>
#undef fail
#undef fail_msg
#undef skip
#define fail() _fail(__FILE__, __LINE__)
#define fail_msg(...) _fail(__FILE__, __LINE__)
#define skip() _skip(__FILE__, __LINE__)
#define testlib_check_(c) ((c) ? (void)0 : _fail(__FILE__, __LINE__))
#undef assert_true
#undef assert_false
#undef assert_non_null
#undef assert_null
#undef assert_int_equal
#undef assert_int_not_equal
#undef assert_ptr_equal
#undef assert_string_equal
#undef assert_string_not_equal
#undef assert_memory_equal
#undef assert_memory_not_equal
#define assert_true(c) testlib_check_(c)
#define assert_false(c) testlib_check_(!(c))
#define assert_non_null(p) testlib_check_((p) != NULL)
#define assert_null(p) testlib_check_((p) == NULL)
#define assert_int_equal(a, b) \
	testlib_check_((uintmax_t)(a) == (uintmax_t)(b))
#define assert_int_not_equal(a, b) \
	testlib_check_((uintmax_t)(a) != (uintmax_t)(b))
#define assert_ptr_equal(a, b) testlib_check_((const void *)(a) == (const void *)(b))
#define assert_string_equal(a, b) testlib_check_(strcmp((a), (b)) == 0)
#define assert_string_not_equal(a, b) testlib_check_(strcmp((a), (b)) != 0)
#define assert_memory_equal(a, b, n) testlib_check_(memcmp((a), (b), (n)) == 0)
#define assert_memory_not_equal(a, b, n) testlib_check_(memcmp((a), (b), (n)) != 0)
#endif

/* Prints the reason as a TAP diagnostic (the runner shows it), then skips. */
#define skip_because(...)                                                   \
	do {                                                                \
		test_note("SKIP: " __VA_ARGS__);                            \
		skip();                                                     \
	} while (0)

void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads exactly len bytes from fd (a socket the device under test writes
 * to), failing the test when a read waits more than 2 s or hits the end. */
void test_read_exact(int fd, void *buf, size_t len);
/* The whole of the file at path, NUL-terminated and malloc'd (free it), or
 * NULL when it cannot be opened or read. */
char *test_read_file(const char *path);

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
/* Runs argv as run_cmd does and fails the test unless it exits 2 (a usage
 * or config error) with want_substring in its stderr. */
void expect_usage_error(const char *const argv[], int timeout_s, const char *want_substring);

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
