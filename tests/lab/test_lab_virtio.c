/*
 * Lab tests of the virtio devices: Debian's kernel under vmm, in the nested
 * lab (real SVM semantics), binds its own stock drivers to vmm's
 * virtio-pci functions and uses them: an ext4 disk the host made (read a
 * file, write files, the host reads them back), a read-only disk that
 * refuses writes, the entropy device, a vsock connection each way through
 * vmm's Unix socket, the network to a TAP, and a named console port
 * (/dev/virtio-ports/ctl) to a host socket. The same guest runs under
 * QEMU/KVM in the same lab boot first, as the reference for what the
 * drivers expect: a check that fails under vmm but passes there is vmm's.
 *
 * The same boot then runs the channel case (chan): two Linux guests under
 * one `vmm system`, joined by a channel that each drives with the stock
 * uio_pci_generic driver (examples/uio-channel.c).
 *
 * The lab is slow, so every case here reads the console of ONE lab boot
 * (lab/run.sh --drive IMG --virtio ... virtio-qemu,virtio,chan), made by
 * the first case that needs it. What each console line means is in
 * lab/init-inner.sh (INIT: lines) and lab/init-outer.sh (LAB: lines).
 *
 * LAB_VIRTIO=LIST in the environment gives the guest only those devices
 * (a subset of disk,rodisk,rng,vsock,net,console; for a monitor that has only
 * some so far); the cases of the others then skip, saying so.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lablib.h"

/* QEMU's limit for the shared boot: two Linux guests with every device and
 * their whole kernel logs, 180-200 s on the 2-core machine under a load
 * of 9. Less than tests/run.py's 600 s for the whole program, so that the
 * lab's own limits report a hang, with the console. */
#define VIRTIO_TIMEOUT_S 540
#define DEVICES "disk,rodisk,rng,vsock,net,console"

/* The devices given to the guest: LAB_VIRTIO or all. */
static const char *devices(void)
{
	const char *d = getenv("LAB_VIRTIO");
	return d && *d ? d : DEVICES;
}

/* Whether the device list names dev. */
static bool given(const char *dev)
{
	char list[128], *save = NULL;
	snprintf(list, sizeof(list), "%s", devices());
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, dev) == 0)
			return true;
	return false;
}

/* The guest's name of the disk dev (disk or rodisk): the lab gives the
 * disks in the list's order, vda first. */
static const char *disk_name(const char *dev)
{
	static char name[8];
	char list[128], *save = NULL, letter = 'a';
	snprintf(list, sizeof(list), "%s", devices());
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, dev) == 0)
			break;
		if (strcmp(t, "disk") == 0 || strcmp(t, "rodisk") == 0)
			letter++;
	}
	snprintf(name, sizeof(name), "vd%c", letter);
	return name;
}

/* Skips the case when the device list leaves dev out. */
static void require_device(const char *dev)
{
	if (!given(dev))
		skip_because("LAB_VIRTIO=%s leaves out %s", devices(), dev);
}

static struct {
	bool done;            /* the boot was tried (its result is below) */
	const char *skip_why; /* set: every case skips with this */
	const char *failed_why; /* set: the image could not be made */
	char dir[64];         /* temporary directory: files/, disk.img */
	char img[96];
	char token[64];       /* the first line of host.txt */
	char host_sha[65];    /* sha256 of host.bin */
	struct cmd_result r;
} lab;

/* Runs argv (a shell command line through /bin/sh -c) and returns its
 * stdout in r; the status is the caller's to check. */
static void sh(struct cmd_result *r, const char *cmd)
{
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	run_cmd(argv, 60, r);
}

/* The first 64 hex digits of s, into out[65]; false when there are fewer. */
static bool sha_of(const char *s, char out[65])
{
	size_t n = strspn(s, "0123456789abcdef");
	if (n < 64)
		return false;
	memcpy(out, s, 64);
	out[64] = '\0';
	return true;
}

/* NULL when the host has what the image needs, otherwise why not. */
static const char *image_tools_missing(void)
{
	if (system("command -v mke2fs >/dev/null 2>&1 && command -v debugfs >/dev/null 2>&1 &&"
		   " command -v e2fsck >/dev/null 2>&1") != 0)
		return "mke2fs, debugfs or e2fsck not installed (Debian package e2fsprogs)";
	return NULL;
}

/* The ext4 image the guest mounts: /host.txt (a line with a token unique
 * to this run) and /host.bin (300000 random bytes, so that reads take
 * many requests and descriptor chains). NULL on success, else why not. */
static const char *make_image(void)
{
	static char why[256];
	struct cmd_result r;
	snprintf(lab.dir, sizeof(lab.dir), "/tmp/labvirtio.XXXXXX");
	if (!mkdtemp(lab.dir))
		return "cannot make a temporary directory";
	snprintf(lab.img, sizeof(lab.img), "%s/disk.img", lab.dir);
	snprintf(lab.token, sizeof(lab.token), "host-token-%ld-%ld", (long)getpid(),
		 (long)time(NULL));
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir files; echo %s >files/host.txt;"
		 " head -c 300000 /dev/urandom >files/host.bin;"
		 " mke2fs -q -F -t ext4 -d files disk.img 16M >&2;"
		 " sha256sum <files/host.bin",
		 lab.dir, lab.token);
	sh(&r, cmd);
	bool ok = r.status == 0 && sha_of(r.out, lab.host_sha);
	if (!ok)
		snprintf(why, sizeof(why), "making the ext4 image failed: %.200s", r.err);
	cmd_result_free(&r);
	return ok ? NULL : why;
}

/* The shared boot: QEMU/KVM first (the reference), then vmm, each with
 * every device, on copies of the same image. */
static void boot(void)
{
	if (lab.done) {
		if (lab.skip_why)
			skip_because("%s", lab.skip_why);
		if (lab.failed_why)
			fail_msg("%s", lab.failed_why);
		return;
	}
	lab.done = true;
	lab.skip_why = lab_unavailable();
	if (!lab.skip_why)
		lab.skip_why = image_tools_missing();
	if (lab.skip_why)
		skip_because("%s", lab.skip_why);
	const char *why = make_image();
	if (why) {
		/* Every later case fails with the same reason. */
		lab.failed_why = why;
		fail_msg("%s", why);
	}
	const char *opts[] = {"--drive", lab.img, "--virtio", devices(),
			      "--inner", "console=ttyS0 bench=none", "virtio-qemu,virtio,chan", NULL};
	run_lab_for(&lab.r, VIRTIO_TIMEOUT_S, opts);
}

/* The console of one monitor's run: from "LAB: test NAME begin" to its
 * end marker (or the end of the console), malloc'd. A run that did not
 * end with the guest's power-off (status 0) fails the case here, with the
 * monitor's last words: every check of it would fail anyway. */
static char *section(const char *test)
{
	const char *mon = strcmp(test, "virtio") == 0 ? "vmm" : "qemu";
	char begin[64], end[64];
	snprintf(begin, sizeof(begin), "LAB: test %s begin\n", test);
	snprintf(end, sizeof(end), "LAB: test %s end\n", test);
	const char *b = strstr(lab.r.out, begin);
	if (!b)
		fail_msg("no '%.*s' on the console: the lab did not get there", (int)strlen(begin) - 1,
			 begin);
	const char *e = strstr(b, end);
	size_t n = e ? (size_t)(e - b) : strlen(b);
	char *s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, b, n);
	s[n] = '\0';
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "LAB: %s exit status ", mon);
	const char *st = strstr(s, prefix);
	if (!st || atoi(st + strlen(prefix)) != 0) {
		/* The console's part before the status, once per monitor. */
		static bool noted[2];
		size_t at = st ? (size_t)(st - s) : n;
		if (!noted[mon[0] == 'q']) {
			noted[mon[0] == 'q'] = true;
			test_note("%s's run, its end:\n%.*s", mon, (int)(at > 2000 ? 2000 : at),
				  s + (at > 2000 ? at - 2000 : 0));
		}
		if (st)
			fail_msg("%s exited with status %d, not 0: the guest did not run to its "
				 "power-off", mon, atoi(st + strlen(prefix)));
		fail_msg("%s did not exit", mon);
	}
	return s;
}

/* The rest of the line after prefix in s, into out; fails the case
 * naming what was missing. */
static void after(const char *s, const char *prefix, char *out, size_t size)
{
	const char *p = strstr(s, prefix);
	if (!p)
		fail_msg("no '%s' on the console", prefix);
	p += strlen(prefix);
	size_t n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void want(const char *s, const char *fragment)
{
	if (!strstr(s, fragment))
		fail_msg("no '%s' on the console", fragment);
}

/* No "INIT: FAIL NAME" line (a failed step of that check). */
static void no_fail(const char *s, const char *name)
{
	char f[64], line[256];
	snprintf(f, sizeof(f), "INIT: FAIL %s", name);
	if (find_line(s, f, line, sizeof(line)))
		fail_msg("%s", line);
}

/* Every module loaded, and each device bound to its stock driver
 * (virtio 1.2, 5: device type 2 block, 4 entropy, 19 socket, 1 net, 3
 * console). */
static void check_drivers(const char *test)
{
	char *s = section(test);
	char line[128];
	after(s, "INIT: modules loaded ", line, sizeof(line));
	int ok = -1, n = -2;
	if (sscanf(line, "%d of %d", &ok, &n) != 2 || ok != n)
		fail_msg("INIT: modules loaded %s", line);
	no_fail(s, "insmod");
	static const struct {
		const char *dev, *line;
	} bound[] = {{"disk", "type 2 driver virtio_blk"},
		     {"rodisk", "type 2 driver virtio_blk"},
		     {"rng", "type 4 driver virtio_rng"},
		     {"vsock", "type 19 driver vmw_vsock_virtio_transport"},
		     {"net", "type 1 driver virtio_net"},
		     {"console", "type 3 driver virtio_console"}};
	int count = 0;
	for (size_t i = 0; i < sizeof(bound) / sizeof(bound[0]); i++) {
		if (!given(bound[i].dev))
			continue;
		want(s, bound[i].line);
		count++;
	}
	char total[48];
	snprintf(total, sizeof(total), "INIT: virtio devices %d\n", count);
	want(s, total);
	free(s);
}

/* The read-write disk (vda unless LAB_VIRTIO orders otherwise): the
 * host's files read right, the guest's written back to the image (read
 * here with debugfs), and the file system clean. tag: the guest-TAG.*
 * names the run under this monitor wrote. */
static void check_disk(const char *test, const char *tag)
{
	char *s = section(test);
	char line[256], want_line[160], sha[65], prefix[96];
	const char *vd = disk_name("disk");
	no_fail(s, "disk");
	snprintf(prefix, sizeof(prefix), "INIT: disk %s host.txt: ", vd);
	after(s, prefix, line, sizeof(line));
	assert_string_equal(line, lab.token);
	snprintf(prefix, sizeof(prefix), "INIT: disk %s host.bin sha256 ", vd);
	after(s, prefix, line, sizeof(line));
	assert_string_equal(line, lab.host_sha);
	snprintf(prefix, sizeof(prefix), "INIT: disk %s ok\n", vd);
	want(s, prefix);
	snprintf(prefix, sizeof(prefix), "INIT: disk %s guest-%s.bin sha256 ", vd, tag);
	after(s, prefix, line, sizeof(line));
	if (!sha_of(line, sha))
		fail_msg("bad sha256 '%s'", line);
	snprintf(prefix, sizeof(prefix), "LAB: virtio %s disk written back", tag);
	want(s, prefix);
	free(s);

	/* What the guest wrote, as the host sees it in the image. */
	struct cmd_result r;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /guest-%s.txt' %s 2>/dev/null", tag, lab.img);
	sh(&r, cmd);
	snprintf(want_line, sizeof(want_line), "%s saw: %s\n", tag, lab.token);
	if (strcmp(r.out, want_line) != 0)
		fail_msg("/guest-%s.txt in the image holds '%.100s', want '%.100s'", tag, r.out,
			 want_line);
	cmd_result_free(&r);
	snprintf(cmd, sizeof(cmd),
		 "debugfs -R 'dump /guest-%s.bin %s/guest.bin' %s >/dev/null 2>&1 &&"
		 " sha256sum <%s/guest.bin && rm -f %s/guest.bin",
		 tag, lab.dir, lab.img, lab.dir, lab.dir);
	sh(&r, cmd);
	char host_view[65];
	if (r.status != 0 || !sha_of(r.out, host_view))
		fail_msg("cannot read /guest-%s.bin from the image: %.200s", tag, r.err);
	if (strcmp(host_view, sha) != 0)
		fail_msg("/guest-%s.bin: the guest wrote sha256 %s, the image holds %s", tag, sha,
			 host_view);
	cmd_result_free(&r);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s 2>&1", lab.img);
	sh(&r, cmd);
	if (r.status != 0)
		fail_msg("e2fsck -fn on the image after the guest: status %d\n%.1500s", r.status, r.out);
	cmd_result_free(&r);
}

/* The read-only disk (vdb unless LAB_VIRTIO orders otherwise): Linux
 * sees it read-only, mounts it only read-only, reads the host's file, and
 * both a file write and a raw write to the disk are refused. */
static void check_rodisk(const char *test)
{
	char *s = section(test);
	char line[256], prefix[96];
	const char *vd = disk_name("rodisk");
	no_fail(s, "rodisk");
	snprintf(prefix, sizeof(prefix), "INIT: rodisk %s sectors ", vd);
	after(s, prefix, line, sizeof(line));
	if (!strstr(line, " ro 1"))
		fail_msg("the read-only disk is not read-only to Linux: sectors %s", line);
	snprintf(prefix, sizeof(prefix), "INIT: rodisk %s mounted ", vd);
	after(s, prefix, line, sizeof(line));
	if (strncmp(line, "ro,", 3) != 0 && strcmp(line, "ro") != 0)
		fail_msg("the read-only disk was mounted '%s'", line);
	snprintf(prefix, sizeof(prefix), "INIT: rodisk %s host.txt: ", vd);
	after(s, prefix, line, sizeof(line));
	assert_string_equal(line, lab.token);
	snprintf(prefix, sizeof(prefix), "INIT: rodisk %s file write refused: ", vd);
	after(s, prefix, line, sizeof(line));
	test_note("file write: %s", line);
	snprintf(prefix, sizeof(prefix), "INIT: rodisk %s raw write refused: ", vd);
	after(s, prefix, line, sizeof(line));
	test_note("raw write: %s", line);
	snprintf(prefix, sizeof(prefix), "INIT: rodisk %s done", vd);
	want(s, prefix);
	free(s);
}

/* The entropy device is the kernel's hw_random source and gives 64
 * bytes that are not all one value. */
static void check_rng(const char *test)
{
	char *s = section(test);
	char line[256];
	after(s, "INIT: rng current ", line, sizeof(line));
	if (strncmp(line, "virtio_rng", 10) != 0)
		fail_msg("hw_random's current source is '%s', want virtio_rng.N", line);
	after(s, "INIT: rng bytes ", line, sizeof(line));
	if (strlen(line) != 128 || strspn(line, "0123456789abcdef") != 128)
		fail_msg("/dev/hwrng gave '%s', want 64 bytes", line);
	bool varied = false;
	for (size_t i = 2; i < 128; i += 2)
		varied |= line[i] != line[0] || line[i + 1] != line[1];
	if (!varied)
		fail_msg("/dev/hwrng gave 64 equal bytes: %s", line);
	free(s);
}

/* A connection from the host to the guest's port 5000 and one from the
 * guest to the host's port 5001, one line each way. Under vmm the host
 * side goes through its Unix socket (CONNECT 5000 answered "OK ..."). */
static void check_vsock(const char *test, bool uds)
{
	char *s = section(test);
	if (uds)
		want(s, "LAB: vsock host vsockpeer: ok: OK ");
	want(s, "INIT: vsock vsockpeer: received: hello guest from host");
	want(s, "LAB: vsock host vsockpeer: reply: guest got: hello guest from host");
	want(s, "LAB: vsock host vsockpeer: received: hello host from guest");
	want(s, "INIT: vsock vsockpeer: reply: host got: hello host from guest");
	want(s, "INIT: vsock done");
	free(s);
}

/* The port Linux named ctl from PORT_NAME: the guest's line reaches the
 * host's socket and the host's answer comes back on the same port.
 * answer: whether to look for the answer's line, which under QEMU can be
 * cut by the lab machine's own line printed at the same moment (its
 * serial and the guest's share the console). */
static void check_console(const char *test, bool answer)
{
	char *s = section(test);
	no_fail(s, "console");
	want(s, "INIT: console ctl is /dev/vport");
	want(s, "LAB: console host vsockpeer: received: hello host from console");
	if (answer)
		want(s, "INIT: console reply: host got: hello host from console");
	want(s, "INIT: console done");
	free(s);
}

/* The guest's eth0 reaches 192.0.2.1 on the TAP: three pings answered,
 * 64 KiB over TCP arrive whole. */
static void check_net(const char *test)
{
	char *s = section(test);
	char line[256], sent[65], got[65];
	no_fail(s, "net");
	after(s, "INIT: net ping: ", line, sizeof(line));
	if (!strstr(line, "3 packets received"))
		fail_msg("ping 192.0.2.1 from the guest: %s", line);
	after(s, "INIT: net sent sha256 ", line, sizeof(line));
	assert_true(sha_of(line, sent));
	after(s, "LAB: net received ", line, sizeof(line));
	const char *h = strstr(line, "sha256 ");
	if (strncmp(line, "65536 bytes", 11) != 0 || !h || !sha_of(h + 7, got) ||
	    strcmp(got, sent) != 0)
		fail_msg("the TAP side received %s; the guest sent 65536 bytes sha256 %s", line, sent);
	free(s);
}

static void lab_virtio_drivers_bind(void **state)
{
	(void)state;
	boot();
	check_drivers("virtio");
}

static void lab_virtio_disk_round_trip(void **state)
{
	(void)state;
	require_device("disk");
	boot();
	check_disk("virtio", "vmm");
}

static void lab_virtio_readonly_disk_refuses_writes(void **state)
{
	(void)state;
	require_device("rodisk");
	boot();
	check_rodisk("virtio");
}

static void lab_virtio_rng_gives_bytes(void **state)
{
	(void)state;
	require_device("rng");
	boot();
	check_rng("virtio");
}

static void lab_virtio_vsock_both_ways(void **state)
{
	(void)state;
	require_device("vsock");
	boot();
	check_vsock("virtio", true);
}

static void lab_virtio_console_port_both_ways(void **state)
{
	(void)state;
	require_device("console");
	boot();
	check_console("virtio", true);
}

static void lab_virtio_net_reaches_tap(void **state)
{
	(void)state;
	require_device("net");
	boot();
	check_net("virtio");
}

/* The same guest and checks under QEMU/KVM: the drivers' reference. */
static void lab_virtio_qemu_reference(void **state)
{
	(void)state;
	boot();
	check_drivers("virtio-qemu");
	if (given("disk"))
		check_disk("virtio-qemu", "qemu");
	if (given("rodisk"))
		check_rodisk("virtio-qemu");
	if (given("rng"))
		check_rng("virtio-qemu");
	if (given("vsock"))
		check_vsock("virtio-qemu", false);
	if (given("net"))
		check_net("virtio-qemu");
	if (given("console"))
		check_console("virtio-qemu", false);
}

/* The channel between two Linux guests (lab/init-outer.sh, chan_test):
 * each found the function, bound uio_pci_generic and mapped both BARs;
 * b waited on its interrupt and answered each of a's three doorbells, a
 * got every reply; the system ended cleanly. */
static void lab_channel_uio_doorbell(void **state)
{
	(void)state;
	boot();
	const char *b = strstr(lab.r.out, "LAB: test chan begin\n");
	if (!b)
		fail_msg("no 'LAB: test chan begin' on the console: the lab did not get there");
	const char *e = strstr(b, "LAB: test chan end\n");
	size_t n = e ? (size_t)(e - b) : strlen(b);
	char *s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, b, n);
	s[n] = '\0';
	char line[256];
	if (find_line(s, "[a] INIT: FAIL", line, sizeof(line)) ||
	    find_line(s, "[b] INIT: FAIL", line, sizeof(line)))
		fail_msg("%s", line);
	want(s, "[a] uio-channel: /sys/bus/pci/devices/");
	want(s, ": channel \"ab\" to \"b\", 65536 bytes"); /* a's peer */
	want(s, ": channel \"ab\" to \"a\", 65536 bytes"); /* b's */
	want(s, "[b] uio-channel: pong ready on ");
	for (int i = 1; i <= 3; i++) {
		char w[96];
		snprintf(w, sizeof(w), "[a] uio-channel: reply %d: pong got: ping %d over ", i, i);
		want(s, w);
		snprintf(w, sizeof(w), "[b] uio-channel: answered %d: ping %d over ", i, i);
		want(s, w);
	}
	want(s, "[a] uio-channel: ping done, 3 replies");
	want(s, "[b] uio-channel: pong done after 3 messages");
	want(s, "[a] INIT: uiochan ping exit status 0");
	want(s, "[b] INIT: uiochan pong exit status 0");
	/* The doorbells came as interrupts on uio_pci_generic's line. */
	after(s, "[b] INIT: uiochan interrupts: ", line, sizeof(line));
	if (!strstr(line, "uio"))
		fail_msg("no uio interrupt line in b's /proc/interrupts: '%s'", line);
	if (vmm_status_after(s, "LAB: test chan begin") != 0)
		fail_msg("vmm system did not end with status 0");
	free(s);
}

/* The run as a whole: lab/run.sh saw every layer through. */
static void lab_virtio_run_passes(void **state)
{
	(void)state;
	boot();
	assert_false(lab.r.timed_out);
	assert_int_equal(lab.r.status, 0);
}

static int cleanup(void **state)
{
	(void)state;
	if (lab.done && !lab.skip_why && !lab.failed_why)
		cmd_result_free(&lab.r);
	if (lab.dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", lab.dir);
		if (system(cmd) != 0)
			test_note("could not remove %s", lab.dir);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lab_virtio_qemu_reference),
		cmocka_unit_test(lab_virtio_drivers_bind),
		cmocka_unit_test(lab_virtio_disk_round_trip),
		cmocka_unit_test(lab_virtio_readonly_disk_refuses_writes),
		cmocka_unit_test(lab_virtio_rng_gives_bytes),
		cmocka_unit_test(lab_virtio_vsock_both_ways),
		cmocka_unit_test(lab_virtio_net_reaches_tap),
		cmocka_unit_test(lab_virtio_console_port_both_ways),
		cmocka_unit_test(lab_channel_uio_doorbell),
		cmocka_unit_test(lab_virtio_run_passes),
	};
	return cmocka_run_group_tests_name("lab-virtio", tests, NULL, cleanup);
}
