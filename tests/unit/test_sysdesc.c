/*
 * test_sysdesc: the system description checker against golden files.
 *
 * every tests/system/good/NAME.cfg must load without a problem; each
 * tests/system/bad/NAME.cfg must fail with exactly the lines in
 * NAME.expected, in order. Messages that name this host's CPUs or RAM are
 * written in the .expected files with @MAXCPU@ (the highest CPU number) and
 * @RAM_MIB@ (RAM in MiB), filled in here. Paths are relative to the
 * repository root, where the tests run.
 */
#include "testlib.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk.h"
#include "net.h"
#include "sysdesc.h"
#include "vsock.h"

#define GOOD_DIR "tests/system/good"
#define BAD_DIR "tests/system/bad"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files in dir ending in suffix, sorted, NULL-terminated. */
static char **list_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("%s: cannot open it; run the test from the repository root", dir);
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof(*v));
	assert_non_null(v);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), sl = strlen(suffix);
		if (len <= sl || strcmp(e->d_name + len - sl, suffix))
			continue;
		if (n + 1 == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[n] = malloc(strlen(dir) + len + 2);
		assert_non_null(v[n]);
		sprintf(v[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	v[n] = NULL;
	return v;
}

static void free_list(char **v)
{
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("%s: cannot open it", path);
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Replaces every `key` in *s by `val`. */
static void subst(char **s, const char *key, const char *val)
{
	char *p;
	while ((p = strstr(*s, key))) {
		size_t pre = (size_t)(p - *s), kl = strlen(key), vl = strlen(val);
		char *n = malloc(strlen(*s) - kl + vl + 1);
		assert_non_null(n);
		memcpy(n, *s, pre);
		memcpy(n + pre, val, vl);
		strcpy(n + pre + vl, p + kl);
		free(*s);
		*s = n;
	}
}

static char *expected_for(const char *cfg)
{
	char path[512];
	snprintf(path, sizeof(path), "%.*s.expected", (int)(strlen(cfg) - 4), cfg);
	if (access(path, R_OK))
		fail_msg("%s has no %s; write the lines the checker must print", cfg, path);
	char *exp = read_all(path);
	char maxcpu[32], ram[32];
	snprintf(maxcpu, sizeof(maxcpu), "%ld", sysconf(_SC_NPROCESSORS_CONF) - 1);
	snprintf(ram, sizeof(ram), "%llu",
		 (unsigned long long)sysconf(_SC_PHYS_PAGES) *
			 (unsigned long long)sysconf(_SC_PAGESIZE) >> 20);
	subst(&exp, "@MAXCPU@", maxcpu);
	subst(&exp, "@RAM_MIB@", ram);
	return exp;
}

static void test_good_files_load(void **state)
{
	(void)state;
	char **files = list_files(GOOD_DIR, ".cfg");
	assert_non_null(files[0]);
	for (size_t i = 0; files[i]; i++) {
		struct sd_system sys;
		struct sd_errors errs;
		int r = sd_load(files[i], &sys, &errs);
		for (size_t j = 0; j < errs.n; j++)
			test_note("%s", errs.msg[j]);
		if (r != 0)
			fail_msg("%s: expected no problems", files[i]);
		assert_int_equal(errs.n, 0);
		assert_string_equal(sys.file, files[i]);
		assert_true(sys.nvms > 0);
		sd_free(&sys);
	}
	free_list(files);
}

static void test_bad_files_report(void **state)
{
	(void)state;
	char **files = list_files(BAD_DIR, ".cfg");
	size_t nfiles = 0;
	for (size_t i = 0; files[i]; i++, nfiles++) {
		struct sd_system sys;
		struct sd_errors errs;
		char *exp = expected_for(files[i]);
		int r = sd_load(files[i], &sys, &errs);
		size_t total = 1;
		for (size_t j = 0; j < errs.n; j++)
			total += strlen(errs.msg[j]) + 1;
		char *got = malloc(total);
		assert_non_null(got);
		got[0] = '\0';
		for (size_t j = 0; j < errs.n; j++) {
			strcat(got, errs.msg[j]);
			strcat(got, "\n");
		}
		if (r != -1 || strcmp(got, exp)) {
			test_note("%s: expected:\n%s", files[i], exp);
			test_note("%s: got (sd_load returned %d):\n%s", files[i], r, got);
			fail_msg("%s: the problems differ from the .expected file", files[i]);
		}
		assert_null(sys.vms);
		assert_int_equal(sys.nvms, 0);
		free(got);
		free(exp);
		sd_errors_free(&errs);
	}
	/* Every check has a golden file; a .expected without its .cfg is stale. */
	assert_true(nfiles >= 20);
	char **exps = list_files(BAD_DIR, ".expected");
	for (size_t i = 0; exps[i]; i++) {
		char cfg[512];
		snprintf(cfg, sizeof(cfg), "%.*s.cfg", (int)(strlen(exps[i]) - 9), exps[i]);
		if (access(cfg, R_OK))
			fail_msg("%s has no %s", exps[i], cfg);
	}
	free_list(exps);
	free_list(files);
}

static void test_two_vms_model(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	assert_int_equal(sd_load(GOOD_DIR "/two-vms.cfg", &sys, &errs), 0);
	assert_string_equal(sys.log_dir, "logs");
	assert_int_equal(sys.nvms, 2);
	const struct sd_vm *a = &sys.vms[0], *b = &sys.vms[1];
	assert_string_equal(a->name, "ping");
	assert_string_equal(a->kernel, "tests/system/fake-kernel");
	assert_null(a->initrd);
	assert_string_equal(a->cmdline, "run cpu time_ms=100");
	assert_int_equal(a->mem, 64ull << 20);
	assert_int_equal(a->cpus, 1);
	assert_int_equal(a->pin, 0);
	assert_true(a->gpio);
	assert_int_equal(a->on_exit, SD_EXIT_STOP_ALL);
	assert_int_equal(a->line, 4);
	assert_string_equal(b->name, "pong");
	assert_string_equal(b->cmdline, "");
	assert_int_equal(b->pin, 1);
	assert_false(b->gpio);
	assert_int_equal(b->on_exit, SD_EXIT_RESTART);
	assert_int_equal(b->restarts, 2);
	assert_int_equal(sys.nchans, 1);
	assert_string_equal(sys.chans[0].name, "pp");
	assert_string_equal(sys.chans[0].a, "ping");
	assert_string_equal(sys.chans[0].b, "pong");
	assert_int_equal(sys.chans[0].gpa, 0xe0000000ull);
	assert_int_equal(sys.chans[0].size, 64ull << 10);
	assert_int_equal(sys.chans[0].line, 10);
	sd_free(&sys);
}

static void test_defaults_and_forms(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	assert_int_equal(sd_load(GOOD_DIR "/minimal.cfg", &sys, &errs), 0);
	assert_string_equal(sys.log_dir, "logs");
	assert_int_equal(sys.nvms, 1);
	assert_int_equal(sys.vms[0].mem, 256ull << 20);
	assert_int_equal(sys.vms[0].cpus, 1);
	assert_int_equal(sys.vms[0].pin, -1);
	assert_int_equal(sys.vms[0].on_exit, SD_EXIT_STOP_ALL);
	assert_int_equal(sys.vms[0].restarts, 3);
	assert_int_equal(sys.nchans, 0);
	assert_null(sys.chans);
	sd_free(&sys);

	assert_int_equal(sd_load(GOOD_DIR "/full.cfg", &sys, &errs), 0);
	assert_string_equal(sys.log_dir, "/tmp/vmm-logs");
	assert_int_equal(sys.nvms, 4);
	assert_string_equal(sys.vms[0].initrd, "tests/system/fake-kernel");
	assert_int_equal(sys.vms[0].mem, 2ull << 20);
	assert_int_equal(sys.vms[0].cpus, 64);
	assert_true(sys.vms[0].gpio);
	assert_int_equal(sys.vms[0].on_exit, SD_EXIT_IGNORE);
	assert_int_equal(sys.vms[2].mem, 64ull << 20);
	assert_int_equal(sys.vms[2].restarts, 100);
	assert_int_equal(sys.vms[3].mem, 4ull << 20);
	assert_int_equal(sys.vms[3].restarts, 0);
	assert_int_equal(sys.nchans, 4);
	assert_int_equal(sys.chans[0].gpa, CHANNEL_WINDOW_START);
	assert_int_equal(sys.chans[0].size, 4096);
	/* The highest: its doorbell page is the last page below the IOAPIC. */
	assert_int_equal(sys.chans[1].gpa + sys.chans[1].size + CHANNEL_DOORBELL_SIZE,
			 CHANNEL_WINDOW_END);
	assert_string_equal(sys.chans[1].a, "b");
	assert_int_equal(sys.chans[2].size, 8192);
	assert_int_equal(sys.chans[3].size, CHANNEL_MAX_SIZE);
	assert_string_equal(sd_on_exit_name(sys.vms[2].on_exit), "restart");
	sd_free(&sys);
}

/* The real-time keys and pin as a list (docs/system.md "Real-time VMs"). */
static void test_realtime_model(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	int r = sd_load(GOOD_DIR "/realtime.cfg", &sys, &errs);
	for (size_t j = 0; j < errs.n; j++)
		test_note("%s", errs.msg[j]);
	assert_int_equal(r, 0);
	const struct sd_vm *rt = &sys.vms[0], *bg = &sys.vms[1];
	assert_true(rt->realtime);
	assert_int_equal(rt->pin, 1);
	assert_int_equal(rt->npins, 1);
	assert_int_equal(rt->pins[0], 1);
	assert_false(rt->pin_list);
	assert_int_equal(rt->rt_prio, 20);
	assert_int_equal(rt->exits, 0);
	assert_int_equal(rt->halt_poll, 0);
	assert_false(bg->realtime);
	assert_true(bg->pin_list);
	assert_int_equal(bg->npins, 1);
	assert_int_equal(bg->pin, 0);
	assert_int_equal(bg->rt_prio, 0);
	assert_int_equal(bg->exits, 1);
	assert_int_equal(bg->halt_poll, 200000);
	sd_free(&sys);

	/* Defaults: not real-time, vmm run's own choices. */
	assert_int_equal(sd_load(GOOD_DIR "/minimal.cfg", &sys, &errs), 0);
	assert_false(sys.vms[0].realtime);
	assert_int_equal(sys.vms[0].npins, 0);
	assert_int_equal(sys.vms[0].exits, -1);
	assert_int_equal(sys.vms[0].halt_poll, -1);
	sd_free(&sys);
}

/* The example is what the launcher is tried with: it must stay valid. */
static void test_example(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	if (access("build/guest/benchguest.elf", R_OK))
		skip_because("build/guest/benchguest.elf is not built (make)");
	int r = sd_load("examples/two-vms.cfg", &sys, &errs);
	for (size_t j = 0; j < errs.n; j++)
		test_note("%s", errs.msg[j]);
	assert_int_equal(r, 0);
	assert_int_equal(sys.nvms, 2);
	assert_int_equal(sys.vms[0].pin, 0);
	assert_int_equal(sys.vms[1].pin, 1);
	assert_int_equal(sys.nchans, 1);
	sd_free(&sys);

	/* disk-vm.cfg with the images its comment says to make (kept when
	 * they are there already). */
	static const char *const imgs[] = {"build/disk-vm.img", "build/disk-vm-base.img"};
	bool made[2] = {false, false};
	for (int i = 0; i < 2; i++) {
		if (!access(imgs[i], F_OK))
			continue;
		int fd = open(imgs[i], O_WRONLY | O_CREAT | O_EXCL, 0644);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 1 << 20), 0);
		close(fd);
		made[i] = true;
	}
	r = sd_load("examples/disk-vm.cfg", &sys, &errs);
	for (size_t j = 0; j < errs.n; j++)
		test_note("%s", errs.msg[j]);
	for (int i = 0; i < 2; i++)
		if (made[i])
			unlink(imgs[i]);
	assert_int_equal(r, 0);
	assert_int_equal(sys.vms[0].ndisks, 2);
	assert_true(sys.vms[0].disks[1].readonly);
	assert_true(sys.vms[0].rng);
	sd_free(&sys);
}

static void expect_one(int r, struct sd_errors *errs, const char *want)
{
	assert_int_equal(r, -1);
	assert_int_equal(errs->n, 1);
	assert_string_equal(errs->msg[0], want);
	sd_errors_free(errs);
}

/* The devices become vmm run's arguments, and vmm run's parsers take
 * them as meant. */
static void test_virtio_model(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	assert_int_equal(sd_load(GOOD_DIR "/virtio.cfg", &sys, &errs), 0);
	assert_int_equal(sys.nvms, 4);
	const struct sd_vm *db = &sys.vms[0], *web = &sys.vms[1];
	assert_int_equal(db->ndisks, 2);
	assert_string_equal(db->disks[0].path, "tests/system/disk-a.img");
	assert_false(db->disks[0].readonly);
	assert_string_equal(db->disks[0].arg, "tests/system/disk-a.img");
	assert_true(db->disks[1].readonly);
	assert_string_equal(db->disks[1].arg, "tests/system/disk-b.img,readonly");
	assert_int_equal(db->disks[1].line, 10);
	assert_true(db->rng);
	assert_string_equal(db->net, "tap=tap-db,mac=02:00:00:00:00:01");
	assert_string_equal(db->vsock, "cid=3,uds=tests/system/db.vsock");
	assert_false(web->rng);
	assert_string_equal(web->net, "tap=tap-web");
	assert_string_equal(web->vsock, "cid=4294967294,uds=tests/system/web.vsock");
	assert_int_equal(sys.vms[2].ndisks, VIRTIO_BLK_MAX);
	assert_int_equal(sys.vms[3].ndisks, 0);
	assert_null(sys.vms[3].net);
	assert_null(sys.vms[3].vsock);
	assert_false(sys.vms[3].rng);

	struct blk_cfg bc;
	struct net_cfg nc;
	struct vsock_cfg vc;
	char err[256];
	assert_int_equal(blk_parse_option(db->disks[1].arg, &bc, err, sizeof(err)), 0);
	assert_string_equal(bc.path, "tests/system/disk-b.img");
	assert_true(bc.readonly);
	assert_int_equal(net_parse_option(db->net, &nc, err, sizeof(err)), 0);
	assert_string_equal(nc.tap, "tap-db");
	assert_true(nc.mac_given);
	assert_int_equal(nc.mac[5], 1);
	assert_int_equal(vsock_parse_option(web->vsock, &vc, err, sizeof(err)), 0);
	assert_int_equal(vc.cid, 4294967294ull);
	assert_string_equal(vc.uds, "tests/system/web.vsock");
	sd_free(&sys);
}

/* Permissions: only as a user the file's mode applies to. */
static void test_image_permissions(void **state)
{
	(void)state;
	if (geteuid() == 0)
		skip_because("running as root: file modes do not stop root");
	char img[64], text[512];
	snprintf(img, sizeof(img), "/tmp/test-sysdesc-%d.img", (int)getpid());
	int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 512), 0);
	close(fd);
	int n = snprintf(text, sizeof(text), "vms = ( { name = \"a\"; kernel = "
			 "\"tests/system/fake-kernel\";\n disks = ( { path = \"%s\"; } ); } );",
			 img);
	struct sd_system sys;
	struct sd_errors errs;
	char want[256];
	assert_int_equal(chmod(img, 0400), 0);
	snprintf(want, sizeof(want), "perm:2: disks: path = \"%s\" cannot be written: "
		 "Permission denied; fix its permissions, or add readonly = true;", img);
	expect_one(sd_load_string(text, (size_t)n, "perm", &sys, &errs), &errs, want);
	assert_int_equal(chmod(img, 0), 0);
	snprintf(want, sizeof(want), "perm:2: disks: path = \"%s\" cannot be read: "
		 "Permission denied; fix its permissions", img);
	expect_one(sd_load_string(text, (size_t)n, "perm", &sys, &errs), &errs, want);
	unlink(img);
}

static void test_unreadable(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	expect_one(sd_load("tests/system/no-such.cfg", &sys, &errs), &errs,
		   "tests/system/no-such.cfg: cannot open it: No such file or directory; give the "
		   "path of a system description");
	expect_one(sd_load("tests/system", &sys, &errs), &errs,
		   "tests/system: cannot read it: Is a directory; give the path of a system "
		   "description");
	assert_null(sys.file);
}

static void test_text_limits(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	static const char nul[] = "vms = ();\n\n# x\0y\n";
	expect_one(sd_load_string(nul, sizeof(nul) - 1, "mem", &sys, &errs), &errs,
		   "mem:3: a NUL byte; a system description is a text file");

	expect_one(sd_load_string("", 0, "empty", &sys, &errs), &errs,
		   "empty:1: no vms; add vms = ( { name = \"...\"; kernel = \"...\"; } );");

	size_t big = SD_MAX_FILE + 1;
	char *text = malloc(big);
	assert_non_null(text);
	memset(text, '\n', big);
	expect_one(sd_load_string(text, big, "big", &sys, &errs), &errs,
		   "big: larger than 1024K; a system description is a short text file");
	free(text);

	/* Strings echoed back are quoted and cut short. */
	static const char odd[] = "vms = ( { name = \"a\\x01\\\"bcdefghijklmnopqrstuvwxyz0123456789"
				  "abcdefghijklmnopqrstuvwxyz0123456789\"; kernel = "
				  "\"tests/system/fake-kernel\"; } );";
	expect_one(sd_load_string(odd, strlen(odd), "odd", &sys, &errs), &errs,
		   "odd:1: name = \"a\\x01\\\"bcdefghijklmnopqrstuvwxyz0123456789"
		   "abcdefghijklmnopqrstuvwxyz012...\" is "
		   "longer than 31 characters; use 1 to 31 characters a-z, 0-9, '_' and '-', "
		   "starting with a letter or digit");
}

/* A file full of mistakes lists SD_MAX_ERRORS of them, then a count. */
static void test_error_cap(void **state)
{
	(void)state;
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, "vms = ( { name = \"a\"; kernel = "
			      "\"tests/system/fake-kernel\"; } );\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, cap - n, "junk%d = 1;\n", i);
	struct sd_system sys;
	struct sd_errors errs;
	assert_int_equal(sd_load_string(text, n, "many", &sys, &errs), -1);
	assert_int_equal(errs.n, SD_MAX_ERRORS + 1);
	assert_non_null(strstr(errs.msg[0], "many:2: unknown key \"junk0\""));
	assert_string_equal(errs.msg[SD_MAX_ERRORS],
			    "many: 100 more problems not shown; fix these first");
	sd_errors_free(&errs);
	free(text);
}

/* The links' model: VM indices in between's order, MACs given or derived
 * (stable, unicast, locally administered, different per VM and link). */
static void test_links_model(void **state)
{
	(void)state;
	struct sd_system sys;
	struct sd_errors errs;
	assert_int_equal(sd_load(GOOD_DIR "/links.cfg", &sys, &errs), 0);
	assert_int_equal(sys.nlinks, 5);
	const struct sd_link *pair = &sys.links[0], *lan = &sys.links[1], *ctl = &sys.links[2],
			     *vs = &sys.links[4];
	assert_string_equal(pair->name, "pair");
	assert_int_equal(pair->type, SD_LINK_NET);
	assert_int_equal(pair->n, 2);
	assert_int_equal(pair->vm[0], 0);
	assert_int_equal(pair->vm[1], 1);
	uint8_t m[6];
	sd_link_mac("pair", "a", m);
	assert_memory_equal(pair->mac[0], m, 6);
	assert_int_equal(m[0] & 3, 2); /* locally administered, unicast */
	assert_memory_not_equal(pair->mac[0], pair->mac[1], 6);
	sd_link_mac("lan", "a", m);
	assert_memory_not_equal(pair->mac[0], m, 6);
	assert_int_equal(lan->n, 3);
	assert_int_equal(lan->vm[2], 4);
	assert_memory_equal(lan->mac[2], "\x02\x00\x00\x00\x00\x0e", 6);
	assert_int_equal(ctl->type, SD_LINK_CONSOLE);
	assert_int_equal(vs->type, SD_LINK_VSOCK);
	assert_string_equal(vs->name, "vsock");
	sd_free(&sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_files_load),
		cmocka_unit_test(test_bad_files_report),
		cmocka_unit_test(test_two_vms_model),
		cmocka_unit_test(test_defaults_and_forms),
		cmocka_unit_test(test_realtime_model),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_virtio_model),
		cmocka_unit_test(test_links_model),
		cmocka_unit_test(test_image_permissions),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_error_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
