/*
 * Lab tests of the links between VMs (docs/system.md, "Links"): three
 * Debian kernels under one `vmm system` in the nested lab. a and b share a
 * net link (frames straight between their monitors), a console link ctl
 * and a vsock link (CIDs 3 and 4); c (CID 5) has a vsock device and is on
 * no link. a pings b and b pings a; a sends b 256 KiB over TCP and 32 KiB
 * over the console port, each compared by sha256 on both ends; a connects
 * to b's vsock port; a connection from a to CID 5, and from c to 3 and 4,
 * is refused (the monitor answers RST: connect fails with ECONNRESET).
 * Then b is restarted (on_exit = "restart"): a sees its carrier go off
 * (the supervisor's LINKMSG_DOWN for the ended b) and come back (the new
 * b's LINKMSG_UP), and does it all again with the new b.
 *
 * Every case reads the console of ONE lab boot (lab/run.sh links), made by
 * the first case that needs it. What each line means is in
 * lab/init-inner.sh (check=link:ROLE[:N]) and lab/init-outer.sh (links_test);
 * the supervisor prefixes each guest's lines with "[NAME] ". With
 * LAB_LINKS_CONSOLE=FILE the cases read a console kept before (lab/run.sh
 * --log; the cases' own boot keeps /tmp/lab-links.console) instead.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lablib.h"

/* QEMU's limit for the boot: three Linux guests on one lab CPU. Less
 * than half of tests/run.py's limit for a lab program, so that a second
 * boot (lablib.h: the lab machine went down) still fits. */
#define LINKS_TIMEOUT_S 720

static struct {
	bool done;
	const char *skip_why;
	struct cmd_result r;
} lab;

static void boot(void)
{
	if (lab.done) {
		if (lab.skip_why)
			skip_because("%s", lab.skip_why);
		return;
	}
	lab.done = true;
	/* LAB_LINKS_CONSOLE=FILE: check a console kept before (--log) instead
	 * of booting the lab again, as a passed run.sh left it. */
	const char *kept = getenv("LAB_LINKS_CONSOLE");
	if (kept && *kept) {
		lab_kept_console(&lab.r, "LAB_LINKS_CONSOLE", kept);
		return;
	}
	lab.skip_why = lab_unavailable();
	if (lab.skip_why)
		skip_because("%s", lab.skip_why);
	/* The whole console is kept (the notes show only its tail). Every
	 * monitor runs on lab CPU 1 only (--pin): with the three guests'
	 * vCPUs free to run at once on both lab CPUs, about one first boot in
	 * ten was damaged under the nested emulation and
	 * triple-faulted; pinned, none of 30 first boots did (docs/lab.md,
	 * "A triple fault in the links boot"). */
	const char *opts[] = {"--inner", "console=ttyS0 quiet", "--smp", "2", "--pin", "1",
			      "--log", "/tmp/lab-links.console", "links", NULL};
	run_lab_for(&lab.r, LINKS_TIMEOUT_S, opts);
}

/* The rest of the nth (from 1) line after prefix, into out; fails
 * naming it. */
static void after_nth(const char *prefix, int nth, char *out, size_t size)
{
	boot();
	const char *p = lab.r.out;
	for (int i = 0; i < nth && p; i++)
		if ((p = strstr(p, prefix)))
			p += strlen(prefix);
	if (!p)
		fail_msg("no '%s' (#%d) on the console", prefix, nth);
	size_t n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void after(const char *prefix, char *out, size_t size)
{
	after_nth(prefix, 1, out, size);
}

/* How many times fragment is on the console. */
static int count(const char *fragment)
{
	boot();
	int n = 0;
	for (const char *p = lab.r.out; (p = strstr(p, fragment)); p += strlen(fragment))
		n++;
	return n;
}

static void want(const char *fragment)
{
	boot();
	if (!strstr(lab.r.out, fragment))
		fail_msg("no '%s' on the console", fragment);
}

static void no_fail(const char *vm)
{
	char f[64], line[256];
	snprintf(f, sizeof(f), "[%s] INIT: FAIL", vm);
	boot();
	if (find_line(lab.r.out, f, line, sizeof(line)))
		fail_msg("%s", line);
}

/* The rounds: with b, and with the restarted b. */
#define ROUNDS 2

/* a and b each answer the other's ping over the net link, both rounds. */
static void lab_links_net_ping(void **state)
{
	(void)state;
	int a = count("[a] INIT: link ping b: 3 packets transmitted, 3 packets received");
	int b = count("[b] INIT: link ping a: 3 packets transmitted, 3 packets received");
	if (a != ROUNDS || b != ROUNDS)
		fail_msg("%d and %d of %d pings a->b, b->a answered", a, b, ROUNDS);
}

/* What a sent and b received in each round: the same bytes. */
static void same_bytes(const char *what, const char *size)
{
	for (int r = 1; r <= ROUNDS; r++) {
		char pa[96], pb[96], sent[128], got[160], expect[192];
		snprintf(pa, sizeof(pa), "[a] INIT: link %s sent sha256 ", what);
		snprintf(pb, sizeof(pb), "[b] INIT: link %s received ", what);
		after_nth(pa, r, sent, sizeof(sent));
		after_nth(pb, r, got, sizeof(got));
		snprintf(expect, sizeof(expect), "%s bytes sha256 %s", size, sent);
		if (strcmp(got, expect))
			fail_msg("round %d: b received '%s' over %s, a sent %s bytes sha256 %s", r,
				 got, what, size, sent);
	}
}

/* 256 KiB over TCP, the same bytes on both ends. */
static void lab_links_net_tcp(void **state)
{
	(void)state;
	same_bytes("tcp", "262144");
}

/* A file over the console link ctl: a's /dev/virtio-ports/ctl to b's. */
static void lab_links_console_file(void **state)
{
	(void)state;
	same_bytes("console", "32768");
	no_fail("a");
	no_fail("b");
}

/* A vsock stream from a (CID 3) to b (CID 4), a line each way. */
static void lab_links_vsock(void **state)
{
	(void)state;
	if (count("[b] INIT: link vsock vsockpeer: received: hello b from a") != ROUNDS ||
	    count("[a] INIT: link vsock vsockpeer: reply: b got: hello b from a") != ROUNDS)
		fail_msg("not %d vsock exchanges a->b", ROUNDS);
}

/* b restarted: a saw the link go down and come back. */
static void lab_links_restart_seen(void **state)
{
	(void)state;
	want("vmm system: restarting VM b (1 of 1)");
	/* Prefixes only: a guest's line that stalls half-way is shown in two
	 * parts (docs/system.md, the console server), and these come from
	 * two processes at once. */
	want("[a] INIT: link carrier 0");
	want("[a] INIT: link carrier went down");
	want("[a] INIT: link carrier up again");
	want("[a] INIT: link round 2");
	no_fail("a");
}

/* Off the link: a to CID 5 (c), c to CIDs 3 and 4 are refused by the
 * monitor (RST: ECONNRESET), never delivered; c has no network device. */
static void lab_links_outsider_refused(void **state)
{
	(void)state;
	static const char *const lines[] = {"[a] INIT: link to cid 5 status ",
					    "[c] INIT: link to cid 3 status ",
					    "[c] INIT: link to cid 4 status "};
	for (size_t i = 0; i < 3; i++) {
		char l[256];
		after(lines[i], l, sizeof(l));
		if (l[0] != '1' || !strstr(l, "reset by peer"))
			fail_msg("%s%s (want status 1 and connection reset by peer)", lines[i], l);
	}
	want("[c] INIT: link c network devices: lo \n");
	want("[c] INIT: link c done");
	if (strstr(lab.r.out, "hello c from a") && strstr(lab.r.out, "received: hello c"))
		fail_msg("c received a's message");
}

/* The system as a whole: every guest powered off, vmm system exited 0. */
static void lab_links_run_passes(void **state)
{
	(void)state;
	boot();
	assert_false(lab.r.timed_out);
	assert_int_equal(lab.r.status, 0);
	assert_int_equal(vmm_status_after(lab.r.out, "LAB: links system:"), 0);
}

static int cleanup(void **state)
{
	(void)state;
	if (lab.done && !lab.skip_why)
		cmd_result_free(&lab.r);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lab_links_net_ping),
		cmocka_unit_test(lab_links_net_tcp),
		cmocka_unit_test(lab_links_console_file),
		cmocka_unit_test(lab_links_vsock),
		cmocka_unit_test(lab_links_restart_seen),
		cmocka_unit_test(lab_links_outsider_refused),
		cmocka_unit_test(lab_links_run_passes),
	};
	return cmocka_run_group_tests_name("lab-links", tests, NULL, cleanup);
}
