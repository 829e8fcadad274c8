/* test_devwl: the device workloads' part of a run: the image is made only
 * when a disk workload is selected, in the results folder under a name
 * nobody can guess (or in a private mkdtemp folder when there is no
 * results folder), holds generation 0 of the pattern over its whole size,
 * and is gone after cleanup; the runners pass it to both sides (`bench
 * --disk IMAGE`, `vmm run --disk IMAGE`) and give rng-read `--rng`. */
#include "testlib.h"
#include "devwl.h"
#include "runner.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/bench/diskpat.h"

static void expect_argv(const struct runner *r, const char *name, const char *const *want)
{
	const char *params[] = {"qd=4"};
	char *argv[24];
	int n = runner_expand(r, name, params, 1, argv, 24);
	int i = 0;
	assert_true(n > 0);
	for (; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	runner_free_argv(argv);
}

static void image_in_results_folder(void **state)
{
	struct hvb_doc d;
	struct devwl dw;
	char dir[] = "/tmp/test-devwl-XXXXXX", err[512];
	struct stat st;
	static uint64_t buf[(1u << 20) / 8];

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&d, 0, sizeof(d));
	hvb_doc_add(&d, "rng-read", "synthetic");
	hvb_doc_add(&d, "disk-seq-read", "disk");
	assert_int_equal(devwl_setup(&dw, &d, "B", "V", "G", dir, 1, 1, 30, err, sizeof(err)), 0);
	assert_int_equal(strncmp(dw.image, dir, strlen(dir)), 0);
	assert_non_null(strstr(dw.image, "/disk-"));
	assert_string_equal(dw.image + strlen(dw.image) - 4, ".img");
	assert_string_not_equal(dw.image + strlen(dir), "/disk-XXXXXX.img");
	assert_int_equal(stat(dw.image, &st), 0);
	assert_int_equal(st.st_size, DEVWL_IMAGE_SIZE);
	int fd = open(dw.image, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), sizeof(buf));
	assert_int_equal(diskpat_check(buf, 0, sizeof(buf), 0, 1), 0);
	uint64_t last = DEVWL_IMAGE_SIZE - sizeof(buf);
	assert_int_equal(pread(fd, buf, sizeof(buf), (off_t)last), sizeof(buf));
	assert_int_equal(diskpat_check(buf, last, sizeof(buf), 0, 1), 0);
	close(fd);

	const char *nat[] = {"B", "--disk", dw.image, "run", "disk-seq-read", "qd=4", NULL};
	expect_argv(devwl_native(&dw, &d.results[1]), "disk-seq-read", nat);
	const char *virt[] = {"V", "run", "--kernel", "G", "--disk", dw.image, "--cmdline",
			      "run disk-seq-read qd=4", NULL};
	expect_argv(devwl_virt(&dw, &d.results[1]), "disk-seq-read", virt);
	const char *rng[] = {"V", "run", "--kernel", "G", "--rng", "--cmdline",
			     "run rng-read qd=4", NULL};
	assert_null(devwl_native(&dw, &d.results[0]));
	expect_argv(devwl_virt(&dw, &d.results[0]), "rng-read", rng);
	assert_int_equal(devwl_virt(&dw, &d.results[1])->cpu, 1);
	assert_true(devwl_is_device(&d.results[0]) && devwl_is_device(&d.results[1]));

	char img[sizeof(dw.image)];
	snprintf(img, sizeof(img), "%s", dw.image);
	devwl_cleanup(&dw);
	assert_int_equal(access(img, F_OK), -1);
	assert_int_equal(rmdir(dir), 0); /* nothing else was left there */
	hvb_doc_free(&d);
}

static void no_disk_workload_no_image(void **state)
{
	struct hvb_doc d;
	struct devwl dw;
	char err[512];

	(void)state;
	memset(&d, 0, sizeof(d));
	hvb_doc_add(&d, "cpu", "synthetic");
	assert_int_equal(devwl_setup(&dw, &d, "B", "V", "G", "/nonexistent", 1, -1, 0, err,
				     sizeof(err)), 0);
	assert_string_equal(dw.image, "");
	assert_null(devwl_native(&dw, &d.results[0]));
	assert_null(devwl_virt(&dw, &d.results[0]));
	assert_false(devwl_is_device(&d.results[0]));
	devwl_cleanup(&dw);
	hvb_doc_free(&d);
}

/* A second CPU: the guest runners get `--io-cpus N` and may use both CPUs
 * (vmm puts the vCPU on the other); the native side keeps one CPU. */
static void io_threads_placed(void **state)
{
	struct hvb_doc d;
	struct devwl dw;
	char err[512];

	(void)state;
	memset(&d, 0, sizeof(d));
	hvb_doc_add(&d, "rng-read", "synthetic");
	assert_int_equal(devwl_setup(&dw, &d, "B", "V", "G", "/nonexistent", 1, 1, 30, err,
				     sizeof(err)), 0);
	assert_int_equal(devwl_place_io(&dw, -1), 0);
	assert_int_equal(devwl_place_io(&dw, 1), 0); /* the measurement CPU itself */
	assert_int_equal(devwl_virt(&dw, &d.results[0])->io_cpu, -1);
	assert_int_equal(devwl_place_io(&dw, 0), 1);
	const char *rng[] = {"V", "run", "--kernel", "G", "--rng", "--cmdline",
			     "run rng-read qd=4", "--io-cpus", "0", NULL};
	expect_argv(devwl_virt(&dw, &d.results[0]), "rng-read", rng);
	assert_int_equal(devwl_virt(&dw, &d.results[0])->cpu, 1);
	assert_int_equal(devwl_virt(&dw, &d.results[0])->io_cpu, 0);
	assert_int_equal(dw.virt.io_cpu, 0);
	assert_int_equal(dw.native.io_cpu, -1);
	devwl_cleanup(&dw);
	hvb_doc_free(&d);

	/* not pinned at all: nothing to place */
	memset(&d, 0, sizeof(d));
	hvb_doc_add(&d, "rng-read", "synthetic");
	assert_int_equal(devwl_setup(&dw, &d, "B", "V", "G", "/nonexistent", 1, -1, 30, err,
				     sizeof(err)), 0);
	assert_int_equal(devwl_place_io(&dw, 0), 0);
	devwl_cleanup(&dw);
	hvb_doc_free(&d);
}

/* No results folder: a private folder in $TMPDIR, removed afterwards; a
 * folder that cannot be written is an error naming it. */
static void private_folder_without_results(void **state)
{
	struct hvb_doc d;
	struct devwl dw;
	char tmp[] = "/tmp/test-devwl-XXXXXX", err[512];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	setenv("TMPDIR", tmp, 1);
	memset(&d, 0, sizeof(d));
	hvb_doc_add(&d, "disk-rand-read", "disk");
	assert_int_equal(devwl_setup(&dw, &d, "B", "V", "G", "/nonexistent", 0, -1, 0, err,
				     sizeof(err)), 0);
	assert_int_equal(strncmp(dw.tmpdir, tmp, strlen(tmp)), 0);
	assert_int_equal(stat(dw.tmpdir, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(stat(dw.image, &st), 0);
	devwl_cleanup(&dw);
	assert_int_equal(rmdir(tmp), 0);

	assert_int_equal(devwl_setup(&dw, &d, "B", "V", "G", "/nonexistent", 1, -1, 0, err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/disk-"));
	unsetenv("TMPDIR");
	hvb_doc_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_in_results_folder),
		cmocka_unit_test(no_disk_workload_no_image),
		cmocka_unit_test(io_threads_placed),
		cmocka_unit_test(private_folder_without_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
