/* Unit tests of cpulist: the --io-cpus list format and its checks. */
#include <string.h>

#include "testlib.h"
#include "cpulist.h"

static cpu_set_t set_of(const int *cpus, int n)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	for (int i = 0; i < n; i++)
		CPU_SET((size_t)cpus[i], &s);
	return s;
}

static void parses_lists(void **state)
{
	(void)state;
	cpu_set_t s;
	char err[256], buf[64];
	assert_int_equal(cpulist_parse("--io-cpus", "0", &s, err, sizeof(err)), 0);
	assert_int_equal(CPU_COUNT(&s), 1);
	assert_true(CPU_ISSET(0, &s));
	assert_int_equal(cpulist_parse("--io-cpus", "0,2-4,7", &s, err, sizeof(err)), 0);
	assert_string_equal(cpulist_format(&s, buf, sizeof(buf)), "0,2-4,7");
	assert_int_equal(cpulist_parse("--io-cpus", "3-3,1", &s, err, sizeof(err)), 0);
	assert_string_equal(cpulist_format(&s, buf, sizeof(buf)), "1,3");
	assert_int_equal(cpulist_parse("--io-cpus", "1023", &s, err, sizeof(err)), 0);
}

static void refuses_bad_lists(void **state)
{
	(void)state;
	static const char *const bad[] = {"", ",", "1,", ",1", "a", "1-", "-1", "2-1", "1 ",
					  "1024", "99999999999999999999", "1,,2", "0x1", "1-2-3"};
	cpu_set_t s;
	char err[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cpulist_parse("--io-cpus", bad[i], &s, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "--io-cpus"));
	}
}

static void formats_into_small_buffers(void **state)
{
	(void)state;
	int cpus[] = {0, 2, 4, 6, 8, 10};
	cpu_set_t s = set_of(cpus, 6);
	char buf[6];
	assert_string_equal(cpulist_format(&s, buf, sizeof(buf)), "0,2,4");
	CPU_ZERO(&s);
	assert_string_equal(cpulist_format(&s, buf, sizeof(buf)), "");
}

/* The I/O CPUs inside the allowed ones, and some left for the vCPUs. */
static void splits_against_allowed(void **state)
{
	(void)state;
	int a[] = {0, 1, 2, 3}, io1[] = {0}, io2[] = {3, 5}, all[] = {0, 1, 2, 3};
	cpu_set_t allowed = set_of(a, 4), io, vcpus;
	char err[256], buf[64];
	io = set_of(io1, 1);
	assert_int_equal(cpulist_split("--io-cpus", &io, &allowed, &vcpus, err, sizeof(err)), 0);
	assert_string_equal(cpulist_format(&vcpus, buf, sizeof(buf)), "1-3");
	io = set_of(io2, 2);
	assert_int_equal(cpulist_split("--io-cpus", &io, &allowed, &vcpus, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CPU 5 is not one this process may use (allowed: 0-3"));
	io = set_of(all, 4);
	assert_int_equal(cpulist_split("--io-cpus", &io, &allowed, &vcpus, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "none is left for the vCPUs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_lists),
		cmocka_unit_test(refuses_bad_lists),
		cmocka_unit_test(formats_into_small_buffers),
		cmocka_unit_test(splits_against_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
