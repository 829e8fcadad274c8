/* system: the supervisor of a multi-VM system and its console server. */
#include "system.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blk.h"
#include "console.h"
#include "linkmsg.h"
#include "lswitch.h"
#include "machine.h"
#include "sandbox.h"

/* Descriptor numbers a VM's process finds its resources at. */
#define FD_CONSOLE 3
#define FD_CHAN0 10 /* channel i: mem 10+3i, out 11+3i, in 12+3i */
#define FD_NET 40   /* a net link's socket: --net link=40 */
#define FD_PORT0 41 /* console link i's socket: --port name=LINK,link=41+i */
#define FD_VPEER0 (FD_PORT0 + CONSOLE_MAX_PORTS) /* vsock peer i: peer=CID@(44+i) */
#define FD_SWITCH0 3 /* a switch's ports: 3, 4, ... */
/* A partial line (a prompt waiting for input) is shown after this long. */
#define QUIET_MS 100
/* Drops are reported on the console at most this often per VM. */
#define NOTICE_MS 1000
/* What is read from a VM's streams once it has ended, before they are
 * closed (all it wrote is there already; a bound in case another process
 * holds the other end). */
#define DRAIN_MAX (1u << 20)

_Static_assert(FD_CHAN0 + 3 * CHANNEL_MAX <= FD_NET, "the channels' descriptors end below FD_NET");
_Static_assert(FD_VPEER0 + VSOCK_PEERS_MAX < 100, "the link descriptors end below the 100 "
	       "spawn moves its sources to");

struct chan_rt {
	int mem, a_to_b, b_to_a;
};

struct vmproc {
	const struct sd_vm *vm;
	pid_t pid;           /* 0 when not running */
	int con, err;        /* our ends: console socket, stdout+stderr pipe */
	int log;
	uint64_t logged, log_lost;
	unsigned restarts;
	int wstatus;         /* last wait status, -1 while never ended */
	int net;             /* our copy of its end of its net link, -1 when none */
	char net_arg[64];    /* --net link=FD_NET,mac=... */
	/* Console links: our copy of its end of each, at FD_PORT0 + i. */
	int port[CONSOLE_MAX_PORTS];
	char port_arg[CONSOLE_MAX_PORTS][SD_NAME_MAX + 40]; /* name=LINK,link=N[,restarted] */
	unsigned nports;
	/* Its vsock link: our copy of its end of the pair with each peer,
	 * at FD_VPEER0 + i, and the --vsock argument naming them. */
	int vpeer[VSOCK_PEERS_MAX];
	unsigned npeers;
	char *vsock_arg;
	/* LINKMSG_DOWN owed on its net end and on its vsock ends: the VM
	 * ended and the peer's socket was full (links_say tries again). */
	bool owe_net, owe_vpeer[VSOCK_PEERS_MAX], owe_port[CONSOLE_MAX_PORTS];
	bool restarted_args; /* ",restarted" added to its net and vsock arguments */
	bool termed, killed; /* sent SIGTERM / SIGKILL in this stop */
	struct cstream out, msg; /* console to our stdout, messages to our stderr */
};

struct sup {
	const struct sd_system *sys;
	const struct system_opts *o;
	struct vmproc *vp;
	struct chan_rt *ch;
	pid_t *switches;          /* one per net link of three or more VMs, 0 when none */
	int nul;                  /* /dev/null, for the VMs' stdin */
	pid_t self;
	struct cq sysq;           /* our own messages, to stderr */
	struct cq in;             /* terminal input for the attached VM */
	struct tout tout, terr;
	int attached;
	bool stdin_open;
	bool stopping;
	double stop_deadline;     /* SIGKILL for whoever is left, 0 = none */
	double last_notice;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A message of ours, through the queue like everything else: a slow
 * terminal delays it or drops it (counted), never us. */
__attribute__((format(printf, 2, 3))) static void say(struct sup *s, const char *fmt, ...)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "vmm system: ");
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	cq_push(&s->sysq, line, (size_t)n);
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void child_fail(const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "vmm system: %s: %s\n", what, strerror(errno));
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		_exit(VMM_EXIT_CONFIG);
	_exit(VMM_EXIT_CONFIG);
}

/* ---- net links ------------------------------------------------------------ */

/*
 * A net link of two VMs is one SOCK_SEQPACKET socketpair, an end for each
 * VM's monitor: frames go from one monitor to the other in the host
 * kernel. Of three or more, a socketpair per VM, the other ends to a
 * switch process (lswitch.h) started here before the VMs, so no monitor
 * sees a frame the switch did not give its port. We keep the VMs' ends
 * (so a VM that is restarted gets its end again, emptied first: see
 * net_drain) and never read them otherwise.
 */
static int start_switch(struct sup *s, const struct sd_link *l, const int *ends, pid_t *out)
{
	char fdstr[SD_MAX_VMS][32];
	const char *argv[3 + SD_MAX_VMS + 1];
	int n = 0;
	argv[n++] = s->o->self;
	argv[n++] = "switch";
	argv[n++] = l->name;
	for (unsigned i = 0; i < l->n; i++) {
		/* The port's VM may send only from its own MAC (lswitch.h). */
		const uint8_t *m = l->mac[i];
		snprintf(fdstr[i], sizeof(fdstr[i]), "%u,%02x:%02x:%02x:%02x:%02x:%02x",
			 FD_SWITCH0 + i, m[0], m[1], m[2], m[3], m[4], m[5]);
		argv[n++] = fdstr[i];
	}
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			child_fail("asking to die with the supervisor");
		if (getppid() != s->self)
			_exit(VMM_EXIT_CONFIG);
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		int src[2 + SD_MAX_VMS], dst[2 + SD_MAX_VMS], ns = 0;
		src[ns] = s->nul, dst[ns++] = STDIN_FILENO;
		src[ns] = s->nul, dst[ns++] = STDOUT_FILENO;
		for (unsigned i = 0; i < l->n; i++)
			src[ns] = ends[i], dst[ns++] = FD_SWITCH0 + (int)i;
		for (int i = 0; i < ns; i++)
			if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 100)) < 0)
				child_fail("passing descriptors");
		for (int i = 0; i < ns; i++)
			if (dup2(src[i], dst[i]) < 0)
				child_fail("passing descriptors");
		/* stderr stays ours: the switch's few messages reach the
		 * operator. */
		sandbox_close_range(FD_SWITCH0 + l->n, ~0u);
		execv(s->o->self, (char *const *)(uintptr_t)argv);
		child_fail("starting vmm switch");
	}
	*out = pid;
	return 0;
}

/*
 * A console link: one SOCK_SEQPACKET socketpair, an end to each VM's
 * console port named after the link (virtio_console.h, link=): the bytes
 * go from one monitor to the other in the host kernel, as messages, so
 * that the link's state (linkmsg.h) can go with them.
 */
static int setup_console_link(struct sup *s, const struct sd_link *l)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		fprintf(stderr, "vmm system: link %s: socketpair: %s\n", l->name, strerror(errno));
		return -1;
	}
	for (unsigned k = 0; k < 2; k++) {
		struct vmproc *v = &s->vp[l->vm[k]];
		if (v->nports == CONSOLE_MAX_PORTS) {
			/* sd_load refuses more: our bug if it gets here. */
			fprintf(stderr, "vmm system: internal error: VM %s on more than %u console "
				"links\n", v->vm->name, CONSOLE_MAX_PORTS);
			abort();
		}
		snprintf(v->port_arg[v->nports], sizeof(v->port_arg[0]), "name=%s,link=%u", l->name,
			 FD_PORT0 + v->nports);
		v->port[v->nports++] = sp[k];
	}
	return 0;
}

/*
 * A vsock link: a SOCK_SEQPACKET socketpair for each pair of its VMs, an
 * end to each monitor as a peer of its vsock device (vsock_peer.h): a
 * packet for the other's CID goes from one monitor to the other in the
 * host kernel, and a monitor holds sockets only to the CIDs its link
 * names. Each VM's --vsock gets ",peer=CID@FD" for every other.
 */
static int setup_vsock_link(struct sup *s, const struct sd_link *l)
{
	uint64_t cid[SD_MAX_VMS];
	for (unsigned k = 0; k < l->n; k++) {
		struct vsock_cfg vc;
		char err[256];
		const struct sd_vm *vm = &s->sys->vms[l->vm[k]];
		if (!vm->vsock || vsock_parse_option(vm->vsock, &vc, err, sizeof(err))) {
			/* sd_load gave every VM on it a checked vsock. */
			fprintf(stderr, "vmm system: internal error: VM %s on vsock link %s without "
				"a vsock device\n", vm->name, l->name);
			abort();
		}
		cid[k] = vc.cid;
	}
	for (unsigned a = 0; a < l->n; a++) {
		struct vmproc *v = &s->vp[l->vm[a]];
		size_t cap = strlen(v->vm->vsock) + 1 + (size_t)(l->n - 1) * 32;
		if (!(v->vsock_arg = malloc(cap))) {
			fprintf(stderr, "vmm system: out of memory\n");
			return -1;
		}
		snprintf(v->vsock_arg, cap, "%s", v->vm->vsock);
	}
	for (unsigned a = 0; a < l->n; a++)
		for (unsigned b = a + 1; b < l->n; b++) {
			int sp[2];
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
				fprintf(stderr, "vmm system: link %s: socketpair: %s\n", l->name,
					strerror(errno));
				return -1;
			}
			unsigned ends[2] = {a, b};
			for (unsigned e = 0; e < 2; e++) {
				struct vmproc *v = &s->vp[l->vm[ends[e]]];
				size_t len = strlen(v->vsock_arg);
				size_t cap = strlen(v->vm->vsock) + 1 + (size_t)(l->n - 1) * 32;
				if (v->npeers == VSOCK_PEERS_MAX)
					abort(); /* sd_load allows SD_VSOCK_LINK_MAX VMs a link */
				snprintf(v->vsock_arg + len, cap - len, ",peer=%llu@%u",
					 (unsigned long long)cid[ends[!e]], FD_VPEER0 + v->npeers);
				v->vpeer[v->npeers++] = sp[e];
			}
		}
	return 0;
}

static int setup_links(struct sup *s)
{
	const struct sd_system *sys = s->sys;
	for (size_t i = 0; i < sys->nlinks; i++) {
		const struct sd_link *l = &sys->links[i];
		if (l->type == SD_LINK_CONSOLE) {
			if (setup_console_link(s, l))
				return -1;
			continue;
		}
		if (l->type == SD_LINK_VSOCK) {
			if (setup_vsock_link(s, l))
				return -1;
			continue;
		}
		int sw_end[SD_MAX_VMS];
		for (unsigned k = 0; k < l->n; k++) {
			int sp[2];
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
				fprintf(stderr, "vmm system: link %s: socketpair: %s\n", l->name,
					strerror(errno));
				for (unsigned j = 0; j < k && l->n > 2; j++)
					close(sw_end[j]);
				return -1;
			}
			struct vmproc *v = &s->vp[l->vm[k]];
			const uint8_t *m = l->mac[k];
			snprintf(v->net_arg, sizeof(v->net_arg),
				 "link=%d,mac=%02x:%02x:%02x:%02x:%02x:%02x", FD_NET, m[0], m[1], m[2],
				 m[3], m[4], m[5]);
			if (l->n == 2) {
				/* Two VMs: one pair, an end each; the second
				 * iteration's pair is not needed. */
				if (k == 0) {
					v->net = sp[0];
					s->vp[l->vm[1]].net = sp[1];
				} else {
					close(sp[0]);
					close(sp[1]);
				}
				continue;
			}
			v->net = sp[0];
			sw_end[k] = sp[1];
		}
		if (l->n == 2)
			continue;
		int rc = start_switch(s, l, sw_end, &s->switches[i]);
		int e = errno;
		for (unsigned k = 0; k < l->n; k++)
			close(sw_end[k]);
		if (rc) {
			fprintf(stderr, "vmm system: link %s: cannot start its switch: %s\n", l->name,
				strerror(e));
			return -1;
		}
	}
	return 0;
}

/* What is queued on one of our copies of a VM's link ends, dropped
 * unread (bounded: a peer may keep sending). */
static void link_drain(int fd)
{
	char buf[4096];
	for (unsigned i = 0; fd >= 0 && i < 100000; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) <= 0)
			break;
}

/* Before a VM starts again: what its peers sent the old guest is not the
 * new one's (the frames, packets and bytes are dropped unread). */
static void links_drain(struct vmproc *v)
{
	link_drain(v->net);
	for (unsigned i = 0; i < v->nports; i++)
		link_drain(v->port[i]);
	for (unsigned i = 0; i < v->npeers; i++)
		link_drain(v->vpeer[i]);
}

/* LINKMSG_DOWN on one of our copies of a VM's ends; false when the
 * socket is full (the peer is not reading): it is owed, and tried again. */
static bool link_say_down(int fd)
{
	uint8_t m = LINKMSG_DOWN;
	ssize_t w;
	do
		w = send(fd, &m, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return !(w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/* What is owed for VM v goes as far as its peers' sockets take it. Called
 * on every pass of the console server (at least every QUIET_MS), so a
 * peer that does not read costs us one send a pass, never a wait. */
static void links_say(struct vmproc *v)
{
	if (v->owe_net)
		v->owe_net = !link_say_down(v->net);
	for (unsigned i = 0; i < v->npeers; i++)
		if (v->owe_vpeer[i])
			v->owe_vpeer[i] = !link_say_down(v->vpeer[i]);
	for (unsigned i = 0; i < v->nports; i++)
		if (v->owe_port[i])
			v->owe_port[i] = !link_say_down(v->port[i]);
}

/* A VM's process ended: on each of its links its peers (or the switch)
 * hear LINKMSG_DOWN from its end (linkmsg.h), which we hold, so that they
 * report the link down (net), reset the connections to it (vsock) or
 * hang up the port (console). */
static void links_down(struct vmproc *v)
{
	v->owe_net = v->net >= 0;
	for (unsigned i = 0; i < v->npeers; i++)
		v->owe_vpeer[i] = true;
	for (unsigned i = 0; i < v->nports; i++)
		v->owe_port[i] = true;
	links_say(v);
}

/* VM v starts again: whatever DOWN we still owe for it is the new
 * monitor's to say, first (`restarted` on its --net, --vsock and --port
 * links: its DOWN then goes before its UP, where ours could come after
 * it). */
static void links_restart(struct vmproc *v)
{
	links_say(v);
	v->owe_net = false;
	memset(v->owe_vpeer, 0, sizeof(v->owe_vpeer));
	memset(v->owe_port, 0, sizeof(v->owe_port));
	if (v->restarted_args)
		return;
	v->restarted_args = true;
	for (unsigned i = 0; i < v->nports; i++) {
		size_t l = strlen(v->port_arg[i]);
		snprintf(v->port_arg[i] + l, sizeof(v->port_arg[i]) - l, ",restarted");
	}
	if (v->net >= 0) {
		size_t l = strlen(v->net_arg);
		snprintf(v->net_arg + l, sizeof(v->net_arg) - l, ",restarted");
	}
	if (v->npeers) {
		size_t l = strlen(v->vsock_arg);
		char *a = realloc(v->vsock_arg, l + sizeof(",restarted"));
		if (a) {
			memcpy(a + l, ",restarted", sizeof(",restarted"));
			v->vsock_arg = a;
		}
	}
}

/* Starts VM v. The child gets: stdin /dev/null, stdout and stderr on a
 * pipe to us, COM1 on FD_CONSOLE, its channels at FD_CHAN0.., nothing
 * else; its host CPU; a clean signal state; and death with us. */
static int spawn(struct sup *s, struct vmproc *v)
{
	const struct sd_system *sys = s->sys;
	int con[2], err[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0)
		return -1;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(con[0]);
		close(con[1]);
		return -1;
	}
	/* Our ends never block us: we read them only when poll says so,
	 * and write the console (input) only as far as it takes. */
	fcntl(con[0], F_SETFL, fcntl(con[0], F_GETFL) | O_NONBLOCK);
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
	/* Argument vector, built before fork (no allocation in the child). */
	char mem[32], cpus[16], chan[CHANNEL_MAX][160], serial[16], forbid[16];
	char pinlist[SD_MAX_CPUS * 12], rtprio[16], haltpoll[24];
	/* self, run; 7 options with a value (kernel, initrd, cmdline, mem,
	 * cpus, serial, test-forbidden-syscall); --no-gpio, --rng; the
	 * disks, net and vsock, the channels, the passthrough functions, each
	 * with a value; NULL. */
	const char *argv[2 + 2 * 7 + 2 + 2 * (VIRTIO_BLK_MAX + 2) + 2 * CHANNEL_MAX +
			 2 * VFIO_MAX_DEVS + 2 * CONSOLE_MAX_PORTS + 1 + 1 + 2 * 4 /* the real-time options */];
	int n = 0;
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)v->vm->mem);
	snprintf(cpus, sizeof(cpus), "%u", v->vm->cpus);
	snprintf(serial, sizeof(serial), "fd:%d", FD_CONSOLE);
	argv[n++] = s->o->self;
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = v->vm->kernel;
	if (v->vm->initrd) {
		argv[n++] = "--initrd";
		argv[n++] = v->vm->initrd;
	}
	argv[n++] = "--cmdline";
	argv[n++] = v->vm->cmdline ? v->vm->cmdline : "";
	argv[n++] = "--mem";
	argv[n++] = mem;
	argv[n++] = "--cpus";
	argv[n++] = cpus;
	argv[n++] = "--serial";
	argv[n++] = serial;
	if (!v->vm->gpio)
		argv[n++] = "--no-gpio"; /* devices = ["gpio"] is the only way in */
	if (v->vm->test_forbidden_s) {
		snprintf(forbid, sizeof(forbid), "%u", v->vm->test_forbidden_s);
		argv[n++] = "--test-forbidden-syscall";
		argv[n++] = forbid;
	}
	/* Real-time (docs/realtime.md): a pin list, or any pin of a real-time
	 * VM, places each vCPU thread on its own CPU in the monitor (--pin),
	 * so its device threads are not confined to the vCPUs' CPUs. */
	if (v->vm->realtime)
		argv[n++] = "--realtime";
	if (v->vm->npins && (v->vm->pin_list || v->vm->realtime)) {
		size_t off = 0;
		for (unsigned i = 0; i < v->vm->npins; i++)
			off += (size_t)snprintf(pinlist + off, sizeof(pinlist) - off, "%s%d",
						i ? "," : "", v->vm->pins[i]);
		argv[n++] = "--pin";
		argv[n++] = pinlist;
	}
	if (v->vm->rt_prio) {
		snprintf(rtprio, sizeof(rtprio), "%d", v->vm->rt_prio);
		argv[n++] = "--rt-prio";
		argv[n++] = rtprio;
	}
	if (v->vm->exits >= 0) {
		argv[n++] = "--exits";
		argv[n++] = v->vm->exits ? "disable" : "keep";
	}
	if (v->vm->halt_poll >= 0) {
		snprintf(haltpoll, sizeof(haltpoll), "%lld", v->vm->halt_poll);
		argv[n++] = "--halt-poll";
		argv[n++] = haltpoll;
	}
	/* The virtio devices, as checked (sysdesc.h): the monitor opens the
	 * images, the TAP and the socket itself. */
	for (unsigned i = 0; i < v->vm->ndisks; i++) {
		argv[n++] = "--disk";
		argv[n++] = v->vm->disks[i].arg;
	}
	if (v->vm->rng)
		argv[n++] = "--rng";
	if (v->vm->net) {
		argv[n++] = "--net";
		argv[n++] = v->vm->net;
	} else if (v->net >= 0) {
		argv[n++] = "--net";
		argv[n++] = v->net_arg;
	}
	if (v->vm->vsock) {
		argv[n++] = "--vsock";
		argv[n++] = v->vsock_arg ? v->vsock_arg : v->vm->vsock;
	}
	for (unsigned i = 0; i < v->nports; i++) {
		argv[n++] = "--port";
		argv[n++] = v->port_arg[i];
	}
	for (unsigned i = 0; i < v->vm->npassthrough; i++) {
		argv[n++] = "--vfio";
		argv[n++] = v->vm->passthrough[i];
	}
	int fds[CHANNEL_MAX * 3], nfds = 0, idx = 0;
	for (size_t i = 0; i < sys->nchans; i++) {
		const struct sd_channel *c = &sys->chans[i];
		bool is_a = !strcmp(c->a, v->vm->name), is_b = !strcmp(c->b, v->vm->name);
		if (!is_a && !is_b)
			continue;
		if (idx == CHANNEL_MAX) {
			/* sd_load refuses more: our bug if it gets here. */
			fprintf(stderr, "vmm system: internal error: VM %s in more than %d "
				"channels\n", v->vm->name, CHANNEL_MAX);
			abort();
		}
		fds[nfds++] = s->ch[i].mem;
		fds[nfds++] = is_a ? s->ch[i].a_to_b : s->ch[i].b_to_a; /* out */
		fds[nfds++] = is_a ? s->ch[i].b_to_a : s->ch[i].a_to_b; /* in */
		/* name and peer go to the channel's register page (chanpci.h);
		 * names longer than it holds are left out. */
		const char *peer = is_a ? c->b : c->a;
		int w = snprintf(chan[idx], sizeof(chan[idx]), "gpa=%#llx,size=%llu,mem=%d,out=%d,in=%d",
				 (unsigned long long)c->gpa, (unsigned long long)c->size,
				 FD_CHAN0 + 3 * idx, FD_CHAN0 + 3 * idx + 1, FD_CHAN0 + 3 * idx + 2);
		if (strlen(c->name) <= CHANNEL_NAME_MAX && strlen(peer) <= CHANNEL_NAME_MAX)
			snprintf(chan[idx] + w, sizeof(chan[idx]) - (size_t)w, ",name=%s,peer=%s",
				 c->name, peer);
		argv[n++] = "--channel";
		argv[n++] = chan[idx];
		idx++;
	}
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0) {
		close(con[0]), close(con[1]), close(err[0]), close(err[1]);
		return -1;
	}
	if (pid == 0) {
		/* Die with the supervisor: a VM must not outlive the process
		 * that serves its console and would stop it. The parent may
		 * have died before the prctl took effect: then go now. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			child_fail("asking to die with the supervisor");
		if (getppid() != s->self)
			_exit(VMM_EXIT_CONFIG);
		/* Own process group: the terminal's Ctrl-C reaches the
		 * supervisor, which stops the VMs in order. */
		setpgid(0, 0);
		/* vmm run starts from a clean signal state, not ours (we
		 * block SIGINT/SIGTERM/SIGCHLD for the signalfd and ignore
		 * SIGPIPE). */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* Move every source out of the way first (to 100 and up), so
		 * that placing one at its number cannot close another. */
		int src[5 + CHANNEL_MAX * 3 + CONSOLE_MAX_PORTS + VSOCK_PEERS_MAX],
			dst[5 + CHANNEL_MAX * 3 + CONSOLE_MAX_PORTS + VSOCK_PEERS_MAX], ns = 0;
		src[ns] = s->nul, dst[ns++] = STDIN_FILENO;
		src[ns] = err[1], dst[ns++] = STDOUT_FILENO;
		src[ns] = err[1], dst[ns++] = STDERR_FILENO;
		src[ns] = con[1], dst[ns++] = FD_CONSOLE;
		for (int i = 0; i < nfds; i++)
			src[ns] = fds[i], dst[ns++] = FD_CHAN0 + i;
		if (v->net >= 0)
			src[ns] = v->net, dst[ns++] = FD_NET;
		for (unsigned i = 0; i < v->nports; i++)
			src[ns] = v->port[i], dst[ns++] = FD_PORT0 + (int)i;
		for (unsigned i = 0; i < v->npeers; i++)
			src[ns] = v->vpeer[i], dst[ns++] = FD_VPEER0 + (int)i;
		for (int i = 0; i < ns; i++)
			if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 100)) < 0)
				child_fail("passing descriptors");
		for (int i = 0; i < ns; i++)
			if (dup2(src[i], dst[i]) < 0) /* dup2 leaves the copy open across exec */
				child_fail("passing descriptors");
		/* Nothing else: not the terminal, not what our own parent let
		 * us inherit without close-on-exec. */
		sandbox_close_range(FD_CONSOLE + 1, FD_CHAN0 - 1);
		sandbox_close_range((unsigned)(FD_CHAN0 + nfds), FD_NET - 1);
		if (v->net < 0)
			sandbox_close_range(FD_NET, FD_NET);
		sandbox_close_range(FD_PORT0 + v->nports, FD_VPEER0 - 1);
		sandbox_close_range(FD_VPEER0 + v->npeers, ~0u);
		if (v->vm->pin >= 0 && !v->vm->pin_list && !v->vm->realtime) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET((size_t)v->vm->pin, &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0)
				child_fail("pinning to its host CPU");
		}
		execv(s->o->self, (char *const *)(uintptr_t)argv);
		child_fail("starting vmm");
	}
	close(con[1]);
	close(err[1]);
	v->pid = pid;
	v->con = con[0];
	v->err = err[0];
	v->termed = v->killed = false;
	v->out.len = v->msg.len = 0;
	return 0;
}

/* What a VM wrote: to its log (every byte, up to SYSTEM_LOG_MAX) and,
 * line by line, to the terminal queues. Returns the bytes read, 0 at end
 * of file (or an error), -1 when there is nothing more for now. */
static ssize_t drain_once(struct vmproc *v, int fd, struct cstream *cs, double now)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return -1;
	if (n <= 0)
		return 0;
	if (v->log >= 0) {
		size_t room = v->logged < SYSTEM_LOG_MAX ? (size_t)(SYSTEM_LOG_MAX - v->logged) : 0;
		size_t take = (size_t)n < room ? (size_t)n : room;
		ssize_t w = take ? write(v->log, buf, take) : 0;
		size_t done = w > 0 ? (size_t)w : 0;
		v->logged += done;
		v->log_lost += (uint64_t)n - done;
	}
	cstream_feed(cs, buf, (size_t)n, now);
	return n;
}

static void close_stream(int *fd, struct cstream *cs)
{
	cstream_flush(cs);
	close(*fd);
	*fd = -1;
}

/* After a VM's process has ended: what it left in its streams (all of
 * it is there already; DRAIN_MAX in case another process holds the other
 * end and keeps writing), then close them. */
static void drain_dead(struct vmproc *v, double now)
{
	int *fds[2] = {&v->con, &v->err};
	struct cstream *cs[2] = {&v->out, &v->msg};
	for (int k = 0; k < 2; k++) {
		if (*fds[k] < 0)
			continue;
		size_t total = 0;
		ssize_t n;
		while (total < DRAIN_MAX && (n = drain_once(v, *fds[k], cs[k], now)) > 0)
			total += (size_t)n;
		close_stream(fds[k], cs[k]);
	}
}

/* Opens log_dir/NAME.log without following a symbolic link, in a
 * directory reached without following one: another local user must not
 * be able to plant a link and have us truncate a file of the operator's.
 * Only a regular file of ours with no other names is truncated. */
/* log_dir comes from the description, which may come from someone else:
 * shown escaped, like guest output. */
static const char *shown(const char *text, char *buf, size_t size)
{
	size_t n = strlen(text);
	if (CONSOLE_ESCAPED_MAX(n) > size)
		n = (size - 1) / 4;
	console_escape((const unsigned char *)text, n, buf);
	return buf;
}

static int open_log(int dfd, const char *dir, const char *name)
{
	char file[SD_NAME_MAX + 8];
	snprintf(file, sizeof(file), "%s.log", name);
	int fd = openat(dfd, file, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
					   O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == ELOOP)
			fprintf(stderr, "vmm system: %s/%s is a symbolic link; a VM's log is not "
				"written through one (it could point anywhere): remove it, or "
				"set log_dir to a directory of your own\n", dir, file);
		else
			fprintf(stderr, "vmm system: %s/%s: %s; check log_dir\n", dir, file,
				strerror(errno));
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_nlink != 1)
		why = "a file with other names (hard links)";
	else if (st.st_uid != geteuid())
		why = "a file of another user";
	if (!why && ftruncate(fd, 0) < 0)
		why = strerror(errno);
	if (why) {
		fprintf(stderr, "vmm system: %s/%s is %s; a VM's log goes only to a regular "
			"file of its own: remove it, or set log_dir to a directory of your own\n",
			dir, file, why);
		close(fd);
		return -1;
	}
	return fd;
}

static int open_logs(struct sup *s)
{
	char esc[CONSOLE_ESCAPED_MAX(256)];
	const char *raw = s->sys->log_dir ? s->sys->log_dir : "logs";
	const char *dir = shown(raw, esc, sizeof(esc));
	if (mkdir(raw, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "vmm system: log_dir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int dfd = open(raw, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		struct stat st;
		if (lstat(raw, &st) == 0 && S_ISLNK(st.st_mode))
			fprintf(stderr, "vmm system: log_dir %s is a symbolic link; the logs are "
				"not written through one: name the directory itself\n", dir);
		else
			fprintf(stderr, "vmm system: log_dir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < s->sys->nvms && rc == 0; i++)
		if ((s->vp[i].log = open_log(dfd, dir, s->sys->vms[i].name)) < 0)
			rc = -1;
	close(dfd);
	return rc;
}

/* SIGTERM to every running VM; SIGKILL after the grace period. */
static void stop_all(struct sup *s, double now)
{
	s->stopping = true;
	for (size_t i = 0; i < s->sys->nvms; i++) {
		struct vmproc *v = &s->vp[i];
		if (v->pid > 0 && !v->termed) {
			kill(v->pid, SIGTERM);
			v->termed = true;
		}
	}
	if (!s->stop_deadline)
		s->stop_deadline = now + SYSTEM_STOP_GRACE_MS;
}

static void kill_all(struct sup *s, const char *why)
{
	for (size_t i = 0; i < s->sys->nvms; i++) {
		struct vmproc *v = &s->vp[i];
		if (v->pid > 0 && !v->killed) {
			say(s, "VM %s %s; killing it (SIGKILL)", v->vm->name, why);
			kill(v->pid, SIGKILL);
			v->killed = true;
		}
	}
}

/* Reports what was dropped since the last report, at most once a
 * NOTICE_MS (or always, when `final`). */
static void notice_drops(struct sup *s, double now, bool final)
{
	if (!final && now - s->last_notice < NOTICE_MS)
		return;
	s->last_notice = now;
	for (size_t i = 0; i < s->sys->nvms; i++) {
		struct vmproc *v = &s->vp[i];
		struct {
			struct cq *q;
			const char *what;
		} k[] = {{&v->out.q, "console output"}, {&v->msg.q, "messages"}};
		for (size_t j = 0; j < 2; j++) {
			struct cq *q = k[j].q;
			if (q->dropped == q->noticed)
				continue;
			say(s, "VM %s: %llu bytes (%llu lines) of %s not shown: the terminal does "
			    "not keep up (the log has them)", v->vm->name,
			    (unsigned long long)q->dropped, (unsigned long long)q->dropped_units,
			    k[j].what);
			q->noticed = q->dropped;
		}
	}
	if (s->attached >= 0 && s->in.dropped != s->in.noticed) {
		say(s, "VM %s: %llu bytes of terminal input dropped: the VM does not read its "
		    "console", s->vp[s->attached].vm->name, (unsigned long long)s->in.dropped);
		s->in.noticed = s->in.dropped;
	}
}

/* Reaps every VM that ended and applies its policy. */
static void reap(struct sup *s, int *running, bool *clean, double now)
{
	char why[128];
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		size_t i;
		for (i = 0; i < s->sys->nvms && s->vp[i].pid != pid; i++)
			;
		if (i == s->sys->nvms) {
			for (size_t k = 0; k < s->sys->nlinks; k++)
				if (s->switches[k] == pid) {
					s->switches[k] = 0;
					say(s, "the switch of link %s ended (status %d)",
					    s->sys->links[k].name, st);
				}
			continue;
		}
		struct vmproc *v = &s->vp[i];
		v->pid = 0;
		(*running)--;
		v->wstatus = st;
		drain_dead(v, now);
		links_down(v);
		say(s, "VM %s ended: %s", v->vm->name, vmm_wait_meaning(st, why, sizeof(why)));
		bool ok = WIFEXITED(st) && (WEXITSTATUS(st) == VMM_EXIT_OK || WEXITSTATUS(st) == 1);
		if (!ok)
			*clean = false;
		if (s->stopping)
			continue;
		if (v->vm->on_exit == SD_EXIT_RESTART && v->restarts < v->vm->restarts) {
			v->restarts++;
			say(s, "restarting VM %s (%u of %u)", v->vm->name, v->restarts,
			    v->vm->restarts);
			links_drain(v);
			links_restart(v);
			if (spawn(s, v) == 0)
				(*running)++;
			else
				say(s, "cannot restart VM %s: %s", v->vm->name, strerror(errno));
		} else if (v->vm->on_exit != SD_EXIT_IGNORE && *running > 0) {
			say(s, "VM %s's policy stops the others", v->vm->name);
			stop_all(s, now);
		}
	}
}

/* Terminal input for the attached VM: into its queue as far as it fits
 * (the rest is dropped and counted), out to its console as far as the
 * socket takes it. */
static void input(struct sup *s, short stdin_ev, short con_ev)
{
	struct vmproc *v = s->attached >= 0 ? &s->vp[s->attached] : NULL;
	if (stdin_ev & (POLLIN | POLLHUP | POLLERR)) {
		char buf[4096];
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n > 0)
			cq_push_some(&s->in, buf, (size_t)n);
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			s->stdin_open = false; /* end of input */
	}
	if (v && v->con >= 0 && s->in.len && (con_ev & POLLOUT)) {
		ssize_t w = send(v->con, s->in.buf + s->in.head, s->in.len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			cq_consume(&s->in, (size_t)w);
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			cq_discard(&s->in); /* the VM is gone */
	}
}

static void summary(struct sup *s)
{
	char why[128];
	for (size_t i = 0; i < s->sys->nvms; i++) {
		struct vmproc *v = &s->vp[i];
		char extra[256] = "";
		size_t o = 0;
		if (v->out.q.dropped)
			o += (size_t)snprintf(extra + o, sizeof(extra) - o,
					      "; %llu bytes of console output not shown",
					      (unsigned long long)v->out.q.dropped);
		if (v->msg.q.dropped && o < sizeof(extra))
			o += (size_t)snprintf(extra + o, sizeof(extra) - o,
					      "; %llu bytes of messages not shown",
					      (unsigned long long)v->msg.q.dropped);
		if ((int)i == s->attached && s->in.dropped && o < sizeof(extra))
			o += (size_t)snprintf(extra + o, sizeof(extra) - o,
					      "; %llu bytes of input dropped",
					      (unsigned long long)s->in.dropped);
		if (v->log_lost && o < sizeof(extra))
			snprintf(extra + o, sizeof(extra) - o, "; %llu bytes not logged",
				 (unsigned long long)v->log_lost);
		char again[48] = "";
		if (v->restarts)
			snprintf(again, sizeof(again), " (after %u restart%s)", v->restarts,
				 v->restarts == 1 ? "" : "s");
		say(s, "summary: VM %s: %s%s%s", v->vm->name,
		    v->wstatus == -1 ? "never started"
				     : vmm_wait_meaning(v->wstatus, why, sizeof(why)),
		    again, extra);
	}
	if (s->sysq.dropped)
		say(s, "summary: %llu bytes of our own messages not shown",
		    (unsigned long long)s->sysq.dropped);
}

/* Gives the terminals until `deadline` to take what is queued. */
static void flush_until(struct sup *s, double deadline)
{
	for (;;) {
		tout_pump(&s->tout);
		tout_pump(&s->terr);
		bool po = tout_pending(&s->tout), pe = tout_pending(&s->terr);
		double left = deadline - now_ms();
		if ((!po && !pe) || left <= 0)
			return;
		struct pollfd p[2] = {{po ? s->tout.t.fd : -1, POLLOUT, 0},
				      {pe ? s->terr.t.fd : -1, POLLOUT, 0}};
		if (poll(p, 2, (int)left + 1) < 0 && errno != EINTR)
			return;
	}
}

static int sup_init(struct sup *s, const struct sd_system *sys, const struct system_opts *o)
{
	*s = (struct sup){.sys = sys, .o = o, .nul = -1, .attached = -1, .self = getpid()};
	s->vp = calloc(sys->nvms, sizeof(*s->vp));
	s->ch = calloc(sys->nchans ? sys->nchans : 1, sizeof(*s->ch));
	s->switches = calloc(sys->nlinks ? sys->nlinks : 1, sizeof(*s->switches));
	/* One stdout queue per VM, and for stderr ours plus one per VM. */
	s->tout.qs = calloc(2 * sys->nvms + 1, sizeof(*s->tout.qs)); /* room to merge */
	s->terr.qs = calloc(sys->nvms + 1, sizeof(*s->terr.qs));
	if (!s->vp || !s->ch || !s->switches || !s->tout.qs || !s->terr.qs ||
	    cq_init(&s->sysq, CONSOLE_QUEUE_MAX) || cq_init(&s->in, SYSTEM_INPUT_MAX))
		return -1;
	s->tout.busy = s->terr.busy = -1;
	s->terr.qs[s->terr.nq++] = &s->sysq;
	for (size_t i = 0; i < sys->nvms; i++) {
		struct vmproc *v = &s->vp[i];
		*v = (struct vmproc){.vm = &sys->vms[i], .con = -1, .err = -1, .log = -1,
				     .wstatus = -1, .net = -1};
		v->out.name = v->msg.name = v->vm->name;
		if (cq_init(&v->out.q, CONSOLE_QUEUE_MAX) || cq_init(&v->msg.q, CONSOLE_QUEUE_MAX))
			return -1;
		s->tout.qs[s->tout.nq++] = &v->out.q;
		s->terr.qs[s->terr.nq++] = &v->msg.q;
		if (o->attach && !strcmp(o->attach, sys->vms[i].name))
			s->attached = (int)i;
	}
	for (size_t i = 0; i < sys->nchans; i++)
		s->ch[i] = (struct chan_rt){-1, -1, -1};
	return 0;
}

static void sup_free(struct sup *s)
{
	if (s->nul >= 0)
		close(s->nul);
	for (size_t i = 0; s->vp && i < s->sys->nvms; i++) {
		struct vmproc *v = &s->vp[i];
		if (v->log >= 0)
			close(v->log);
		if (v->con >= 0)
			close(v->con);
		if (v->err >= 0)
			close(v->err);
		if (v->net >= 0)
			close(v->net);
		for (unsigned k = 0; k < v->nports; k++)
			close(v->port[k]);
		for (unsigned k = 0; k < v->npeers; k++)
			close(v->vpeer[k]);
		free(v->vsock_arg);
		cq_free(&v->out.q);
		cq_free(&v->msg.q);
	}
	for (size_t i = 0; s->ch && i < s->sys->nchans; i++) {
		if (s->ch[i].mem >= 0)
			close(s->ch[i].mem);
		if (s->ch[i].a_to_b >= 0)
			close(s->ch[i].a_to_b);
		if (s->ch[i].b_to_a >= 0)
			close(s->ch[i].b_to_a);
	}
	/* The switches end when their ports close (above); a switch that
	 * does not is stopped (it dies with us in any case). */
	for (size_t i = 0; s->switches && i < s->sys->nlinks; i++)
		if (s->switches[i] > 0) {
			kill(s->switches[i], SIGTERM);
			waitpid(s->switches[i], NULL, 0);
		}
	free(s->switches);
	cq_free(&s->sysq);
	cq_free(&s->in);
	free(s->tout.qs);
	free(s->terr.qs);
	free(s->vp);
	free(s->ch);
}

int system_run(const struct sd_system *sys, const struct system_opts *o)
{
	struct sup sup, *s = &sup;
	int rc = VMM_EXIT_CONFIG, sfd = -1, running = 0, stop_sig = 0;
	bool clean = true, terms = false;
	struct pollfd *p = NULL;

	/* sd_load allows no more: the poll set below is sized by it. */
	if (sys->nvms > SD_MAX_VMS) {
		fprintf(stderr, "vmm system: internal error: %zu VMs\n", sys->nvms);
		abort();
	}
	/* A standard descriptor we were started without would be the next
	 * one opened: a log or a VM's console would become our "stdout". */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
			fprintf(stderr, "vmm system: cannot open /dev/null as fd %d\n", fd);
			return VMM_EXIT_CONFIG;
		}
	if (sup_init(s, sys, o) || !(p = calloc(4 + 2 * sys->nvms, sizeof(*p)))) {
		fprintf(stderr, "vmm system: out of memory\n");
		goto out;
	}
	s->nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->nul < 0) {
		fprintf(stderr, "vmm system: /dev/null: %s\n", strerror(errno));
		goto out;
	}
	if (open_logs(s))
		goto out;
	for (size_t i = 0; i < sys->nchans; i++) {
		const struct sd_channel *c = &sys->chans[i];
		s->ch[i].mem = memfd_create(c->name, MFD_CLOEXEC);
		s->ch[i].a_to_b = eventfd(0, EFD_CLOEXEC);
		s->ch[i].b_to_a = eventfd(0, EFD_CLOEXEC);
		if (s->ch[i].mem < 0 || s->ch[i].a_to_b < 0 || s->ch[i].b_to_a < 0 ||
		    ftruncate(s->ch[i].mem, (off_t)c->size) < 0) {
			fprintf(stderr, "vmm system: channel %s: %s\n", c->name, strerror(errno));
			goto out;
		}
	}
	if (setup_links(s))
		goto out;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, "vmm system: signalfd: %s\n", strerror(errno));
		goto out;
	}
	/* From here on everything we write goes through the queues. */
	fflush(stdout);
	fflush(stderr);
	term_open(&s->tout.t, STDOUT_FILENO);
	term_open(&s->terr.t, STDERR_FILENO);
	terms = true;
	/* stdout and stderr on one pipe or terminal (2>&1): one writer for
	 * both, or a write the pipe takes only in part would let a line of
	 * the other in between. */
	struct stat so, se;
	if (fstat(STDOUT_FILENO, &so) == 0 && fstat(STDERR_FILENO, &se) == 0 &&
	    so.st_dev == se.st_dev && so.st_ino == se.st_ino) {
		for (size_t i = 0; i < s->terr.nq; i++)
			s->tout.qs[s->tout.nq++] = s->terr.qs[i];
		s->terr.nq = 0;
	}
	s->stdin_open = s->attached >= 0;

	double t0 = now_ms();
	for (size_t i = 0; i < sys->nvms; i++) {
		if (spawn(s, &s->vp[i]) < 0) {
			say(s, "cannot start VM %s: %s", sys->vms[i].name, strerror(errno));
			clean = false;
			stop_all(s, now_ms());
			break;
		}
		running++;
	}
	say(s, "%d VM%s started in %.1f ms%s%s", running, running == 1 ? "" : "s",
	    now_ms() - t0, s->attached >= 0 ? "; stdin goes to " : "",
	    s->attached >= 0 ? sys->vms[s->attached].name : "");

	/* The console server: until every VM has ended. Nothing in here
	 * waits but poll. */
	for (;;) {
		double now = now_ms();
		if (s->stopping && s->stop_deadline && now >= s->stop_deadline) {
			char why[64];
			snprintf(why, sizeof(why), "did not stop within %d ms of SIGTERM",
				 SYSTEM_STOP_GRACE_MS);
			kill_all(s, why);
		}
		for (size_t i = 0; i < sys->nvms; i++) {
			struct vmproc *v = &s->vp[i];
			if (v->out.len && now - v->out.last_ms >= QUIET_MS)
				cstream_flush(&v->out);
			if (v->msg.len && now - v->msg.last_ms >= QUIET_MS)
				cstream_flush(&v->msg);
		}
		notice_drops(s, now, false);
		for (size_t i = 0; i < sys->nvms; i++)
			if (!s->vp[i].pid)
				links_say(&s->vp[i]);
		tout_pump(&s->tout);
		tout_pump(&s->terr);
		if (!running)
			break;

		struct vmproc *att = s->attached >= 0 ? &s->vp[s->attached] : NULL;
		size_t np = 0;
		p[np++] = (struct pollfd){sfd, POLLIN, 0};
		p[np++] = (struct pollfd){s->stdin_open && att && att->con >= 0 ? STDIN_FILENO : -1,
					  POLLIN, 0};
		p[np++] = (struct pollfd){tout_pending(&s->tout) ? s->tout.t.fd : -1, POLLOUT, 0};
		p[np++] = (struct pollfd){tout_pending(&s->terr) ? s->terr.t.fd : -1, POLLOUT, 0};
		for (size_t i = 0; i < sys->nvms; i++) {
			struct vmproc *v = &s->vp[i];
			short ev = POLLIN;
			if (v == att && s->in.len)
				ev |= POLLOUT;
			p[np++] = (struct pollfd){v->con, ev, 0};
			p[np++] = (struct pollfd){v->err, POLLIN, 0};
		}
		int r = poll(p, np, QUIET_MS);
		if (r < 0 && errno != EINTR) {
			say(s, "poll: %s; stopping every VM", strerror(errno));
			stop_all(s, now_ms());
			kill_all(s, "cannot be served");
			break;
		}
		now = now_ms();
		for (size_t i = 0; i < sys->nvms; i++) {
			struct vmproc *v = &s->vp[i];
			if ((p[4 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR)) && v->con >= 0 &&
			    drain_once(v, v->con, &v->out, now) == 0)
				close_stream(&v->con, &v->out);
			if ((p[5 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR)) && v->err >= 0 &&
			    drain_once(v, v->err, &v->msg, now) == 0)
				close_stream(&v->err, &v->msg);
		}
		if (att)
			input(s, p[1].revents, p[4 + 2 * (size_t)s->attached].revents);
		if (!(p[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		bool chld = false;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD) {
				chld = true;
			} else if (!stop_sig) {
				stop_sig = (int)si.ssi_signo;
				say(s, "%s: stopping every VM (SIGKILL after %d ms)",
				    strsignal(stop_sig), SYSTEM_STOP_GRACE_MS);
				stop_all(s, now);
			} else {
				/* A second Ctrl-C: the operator does not want to wait. */
				kill_all(s, "is still running at the second signal");
			}
		}
		if (chld)
			reap(s, &running, &clean, now);
	}
	rc = stop_sig ? 128 + stop_sig : clean ? 0 : 1;
out:
	if (terms) {
		/* The last of the output, then the summary, each with a
		 * deadline: a stuck terminal gets what it takes. */
		double now = now_ms();
		for (size_t i = 0; i < sys->nvms; i++) {
			cstream_flush(&s->vp[i].out);
			cstream_flush(&s->vp[i].msg);
		}
		flush_until(s, now + SYSTEM_FLUSH_MS);
		notice_drops(s, now_ms(), true);
		summary(s);
		flush_until(s, now_ms() + SYSTEM_FLUSH_MS / 2);
		term_close(&s->tout.t);
		term_close(&s->terr.t);
	}
	if (sfd >= 0)
		close(sfd);
	free(p);
	sup_free(s);
	return rc;
}
