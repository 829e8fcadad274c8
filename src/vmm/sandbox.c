/*
 * sandbox: the system-call policy of a running VM and how it is applied.
 *
 * Owns the policy tables (sandbox.h), the order in which privileges are
 * dropped, the SIGSYS report, the vCPU gate and the forbidden-call test
 * hook. References: seccomp(2) and prctl(2) (Linux man-pages), the
 * kernel's Documentation/userspace-api/seccomp_filter.rst, and
 * libseccomp's seccomp_init(3), seccomp_rule_add(3), seccomp_attr_set(3),
 * seccomp_load(3) and seccomp_syscall_resolve_name(3).
 *
 * One filter for the whole process, loaded by the main thread with
 * SECCOMP_FILTER_FLAG_TSYNC (SCMP_FLTATR_CTL_TSYNC) while the vCPU threads
 * wait at the gate. Why one filter rather than one per role: the threads
 * share one address space, so a thread that is taken over can rewrite
 * another's stack and make its calls for it; a per-role split would stop
 * honest bugs (the main thread calling KVM_RUN, a vCPU reading stdin) but
 * not an attacker, and the vCPU role, the one exposed to the guest,
 * already needs nearly the whole set (device models raise interrupts,
 * reprogram MSI routes, print, stop the machine). The `roles` column
 * records who makes each call, so a split is a change of code, not of
 * data: each vCPU thread would load its own narrower filter at the gate
 * and the main thread its own, without TSYNC.
 *
 * Why hold threads rather than filter before creating them: creating a
 * thread needs clone3/clone, mmap of a stack, mprotect of its guard page,
 * set_robust_list and rseq; allowing them would last for the whole run.
 * With the gate none of them is allowed, and TSYNC puts the filter (and
 * no_new_privs, which the kernel copies with it) on every thread at once.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/if_tun.h>
#include <linux/vfio.h>
#include <malloc.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"
#include "machine.h"

#define MAIN SANDBOX_MAIN
#define VCPU SANDBOX_VCPU
#define BLK SANDBOX_BLK
#define RNG SANDBOX_RNG
#define NET SANDBOX_NET
#define VSOCK SANDBOX_VSOCK
#define CONS SANDBOX_CONSOLE
/* every virtio worker */
#define DEV (SANDBOX_BLK | SANDBOX_RNG | SANDBOX_NET | SANDBOX_VSOCK | SANDBOX_CONSOLE)

/*
 * The policy. Every system call the process makes after sandbox_enter(),
 * checked with strace over the KVM tests (all workloads, GPIO paths, dead
 * guest, triple fault, strict-io, signals, shutdown) on glibc 2.36.
 */
const struct sandbox_rule sandbox_policy[] = {
	{"ioctl", SANDBOX_ARGS_IOCTL, MAIN | VCPU | DEV,
	 "KVM requests of the run loop and terminal restore, on our own fds (sandbox_ioctls)"},
	{"read", SANDBOX_ARGS_READ_FD, MAIN | DEV,
	 "main loop: stdin bytes for the UART, SIGINT/SIGTERM from the signalfd; virtio "
	 "workers: drain their queue-kick and control eventfds"},
	{"write", SANDBOX_ARGS_WRITE_FD, MAIN | VCPU | DEV,
	 "serial output, messages on stderr, waking the main loop (stop eventfd); virtio: "
	 "a kick or reset for a worker, an interrupt through a vector's irqfd eventfd"},
	{"poll", SANDBOX_ARGS_ANY, MAIN | DEV,
	 "main loop waits on signalfd, stop eventfd and stdin; a virtio worker on its eventfds"},
	{"ppoll", SANDBOX_ARGS_ANY, MAIN | DEV, "what poll(3) becomes where libc has no poll(2)"},
	{"preadv", SANDBOX_ARGS_DISK_FD, BLK,
	 "virtio-blk IN: read the image straight into the guest's buffers (disk fds only)"},
	{"pwritev", SANDBOX_ARGS_DISK_FD, BLK,
	 "virtio-blk OUT: write the guest's buffers to the image (disk fds only)"},
	{"fdatasync", SANDBOX_ARGS_DISK_FD, BLK, "virtio-blk FLUSH (disk fds only)"},
	{"fallocate", SANDBOX_ARGS_PUNCH, BLK,
	 "virtio-blk DISCARD: punch a hole in the image (disk fds, PUNCH_HOLE|KEEP_SIZE only)"},
	{"readv", SANDBOX_ARGS_TAP_FD, NET,
	 "virtio-net rx: a frame from the TAP or link straight into the guest's buffer (TAP "
	 "and link fds only)"},
	{"writev", SANDBOX_ARGS_TAP_FD, NET,
	 "virtio-net tx: header and frame from the guest's buffers to the TAP, or the frame "
	 "and the one-byte link state to a net link's socket (TAP and link fds only)"},
	{"epoll_wait", SANDBOX_ARGS_EPOLL_FD, VSOCK | CONS,
	 "virtio-vsock, virtio-console: which host sockets have events (their epoll sets "
	 "only)"},
	{"epoll_pwait", SANDBOX_ARGS_EPOLL_FD, VSOCK | CONS, "what epoll_wait(3) may become"},
	{"epoll_ctl", SANDBOX_ARGS_EPOLL_FD, VSOCK | CONS,
	 "virtio-vsock: watch a connection's or a peer's socket for input or output as its "
	 "state wants; "
	 "virtio-console: a port's socket for input while a guest program has it open and "
	 "has buffers (a console link's whenever no message is read ahead: its state), for "
	 "output while it is full"},
	{"accept4", SANDBOX_ARGS_ACCEPT, VSOCK,
	 "virtio-vsock: a host program connects to --vsock uds=PATH (that socket only)"},
	{"socket", SANDBOX_ARGS_UNIX_SOCKET, VSOCK,
	 "virtio-vsock: the guest connects to host port P, which is the Unix socket PATH_P; "
	 "AF_UNIX stream sockets only"},
	{"connect", SANDBOX_ARGS_ANY, VSOCK,
	 "virtio-vsock: connect that socket to PATH_P. The address is a pointer, which seccomp "
	 "cannot check: a taken-over monitor could connect to any Unix socket it may write "
	 "to (as Firecracker's vsock does). Doing the connect in a helper outside the sandbox "
	 "that passes the fd back would close this; not done yet"},
	{"sendto", SANDBOX_ARGS_SEND, VSOCK | CONS,
	 "virtio-vsock: guest bytes and the OK line to host sockets, packets and link "
	 "messages to a vsock link's peer sockets; virtio-console: a "
	 "port's bytes from the guest's buffers to its socket, a console link's data and "
	 "state messages (send(2): sockets only, no "
	 "descriptor passing, never SIGPIPE or blocking)"},
	{"recvfrom", SANDBOX_ARGS_RECV, VSOCK | CONS,
	 "virtio-vsock: host bytes into the guest's buffer, the CONNECT line (MSG_PEEK), a "
	 "peer's packets; "
	 "virtio-console: a port's socket straight into the guest's receive buffer, a "
	 "console link's next message"},
	{"shutdown", SANDBOX_ARGS_SHUT_WR, VSOCK,
	 "virtio-vsock: the guest's SHUTDOWN(SEND) ends the host program's input"},
	{"getrandom", SANDBOX_ARGS_ANY, RNG,
	 "virtio-rng: fill the guest's buffers from the kernel's pool (no fd, no flags needed)"},
	{"futex", SANDBOX_ARGS_FUTEX, MAIN | VCPU | DEV,
	 "device and bus mutexes, the UART condition variable, the gate, pthread_join"},
	{"tgkill", SANDBOX_ARGS_TGKILL, MAIN | VCPU,
	 "vcpu_kick (SIGUSR1 to a vCPU thread of this process) and abort() on a broken "
	 "invariant"},
	{"getpid", SANDBOX_ARGS_ANY, MAIN | VCPU, "pthread_kill and raise pass our pid to tgkill"},
	{"gettid", SANDBOX_ARGS_ANY, MAIN | VCPU,
	 "pthread_kill of the calling thread (a vCPU stopping the machine kicks itself), raise"},
	{"rt_sigprocmask", SANDBOX_ARGS_ANY, MAIN | VCPU | DEV,
	 "pthread_kill blocks signals around tgkill; thread exit; abort unblocks SIGABRT"},
	{"rt_sigreturn", SANDBOX_ARGS_ANY, VCPU, "return from the SIGUSR1 kick handler"},
	{"restart_syscall", SANDBOX_ARGS_ANY, MAIN | VCPU,
	 "after SIGSTOP/SIGCONT (Ctrl-Z, fg) the kernel resumes the main loop's poll with it"},
	{"eventfd2", SANDBOX_ARGS_EVENTFD, VCPU,
	 "GPIO kernel path: the eventfd behind its ioeventfd and irqfd, made when the guest "
	 "enables MSI"},
	{"close", SANDBOX_ARGS_ANY, MAIN | VCPU | VSOCK,
	 "GPIO kernel path torn down or moved; fds closed at shutdown; a vsock connection ends"},
	{"mmap", SANDBOX_ARGS_MMAP, MAIN | VCPU | DEV,
	 "malloc (GSI routing table, bus ranges): private anonymous, never executable"},
	{"munmap", SANDBOX_ARGS_ANY, MAIN | VCPU | DEV,
	 "free of large blocks; shutdown unmaps guest RAM, kvm_run pages, thread stacks"},
	{"madvise", SANDBOX_ARGS_MADVISE, MAIN | VCPU | DEV,
	 "an exiting thread releases its stack pages; malloc trims freed memory"},
	{"brk", SANDBOX_ARGS_ANY, MAIN | VCPU | DEV, "malloc's heap (one arena: see sandbox_enter)"},
	{"clock_gettime", SANDBOX_ARGS_ANY, MAIN | VCPU | DEV,
	 "UART receive timeout, test hook, vsock deadlines, a polling worker's window "
	 "(--io-poll); the vDSO falls back to the call on some clocks"},
	{"time", SANDBOX_ARGS_ANY, VCPU, "CMOS RTC reads host time; vDSO fallback as above"},
	{"pread64", SANDBOX_ARGS_PREAD_FD, VCPU | MAIN,
	 "passthrough: configuration bytes passed through, trapped BAR pages and I/O BARs are "
	 "read from the function's VFIO regions (its device fd only); liveness check: each "
	 "vCPU's exit counter from KVM's statistics (its stats fd only, read-only data)"},
	{"pwrite64", SANDBOX_ARGS_VFIO_FD, VCPU,
	 "passthrough: the same writes to the function's VFIO regions (its device fd only)"},
	{"exit", SANDBOX_ARGS_ANY, VCPU | DEV, "a vCPU or device thread ends"},
	{"exit_group", SANDBOX_ARGS_ANY, MAIN | VCPU | DEV,
	 "the process ends: normal exit, and the SIGSYS report's _exit"},
};
const size_t sandbox_npolicy = sizeof(sandbox_policy) / sizeof(sandbox_policy[0]);

/* Each request on the one kind of fd it belongs to (KVM API,
 * Documentation/virt/kvm/api.rst, section 4; termios: ioctl_tty(2)). Not
 * here, so a taken-over monitor cannot do them: new VMs or vCPUs
 * (KVM_CREATE_*), memory slots (KVM_SET_USER_MEMORY_REGION could map any of
 * our memory into the guest), register writes, CPUID and MSR changes. */
const struct sandbox_ioctl sandbox_ioctls[] = {
	{SANDBOX_FD_KVM, KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION",
	 "GPIO kernel path checks IRQFD, IOEVENTFD and IRQ_ROUTING before using them"},
	{SANDBOX_FD_VM, KVM_IRQ_LINE, "KVM_IRQ_LINE",
	 "UART, GPIO INTx, virtio INTx (a worker raises it, an ISR read lowers it): drive a GSI"},
	{SANDBOX_FD_VM, KVM_SIGNAL_MSI, "KVM_SIGNAL_MSI",
	 "GPIO user path: send its MSI; virtio: a vector whose MSI route could not be set"},
	{SANDBOX_FD_VM, KVM_SET_GSI_ROUTING, "KVM_SET_GSI_ROUTING",
	 "GPIO kernel path, virtio MSI-X table writes: route a GSI to the MSI the guest "
	 "programmed"},
	{SANDBOX_FD_VM, KVM_IRQFD, "KVM_IRQFD",
	 "GPIO kernel path: attach or detach its irqfd; virtio: a vector's irqfd, on its first "
	 "route"},
	{SANDBOX_FD_VM, KVM_IOEVENTFD, "KVM_IOEVENTFD",
	 "GPIO kernel path: the doorbell's ioeventfd; virtio: queue notify ioeventfds follow "
	 "BAR0"},
	{SANDBOX_FD_VCPU, KVM_RUN, "KVM_RUN", "run the guest (vcpu.c)"},
	{SANDBOX_FD_VCPU, KVM_GET_REGS, "KVM_GET_REGS", "liveness report and register dumps"},
	{SANDBOX_FD_VCPU, KVM_GET_SREGS, "KVM_GET_SREGS", "liveness report and register dumps"},
	{SANDBOX_FD_VCPU, KVM_GET_MP_STATE, "KVM_GET_MP_STATE",
	 "liveness report: halted or never started"},
	{SANDBOX_FD_VCPU, KVM_TRANSLATE, "KVM_TRANSLATE", "register dump: code bytes at RIP"},
#if defined(__aarch64__)
	/* arm64 has no KVM_GET_REGS for the system registers: each one is read
	 * by its id (vcpu_arm64.c). Reads only; KVM_SET_ONE_REG stays out. */
	{SANDBOX_FD_VCPU, KVM_GET_ONE_REG, "KVM_GET_ONE_REG", "liveness report and register dumps"},
#endif
	{SANDBOX_FD_VFIO, VFIO_DEVICE_SET_IRQS, "VFIO_DEVICE_SET_IRQS",
	 "passthrough: the guest enables or disables MSI-X, so the function's vectors (or its "
	 "INTx) are handed the eventfds behind their irqfds, or taken back"},
	{SANDBOX_FD_VFIO, VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET",
	 "passthrough: reset the function when the VM ends, so the next VM gets it clean"},
	{SANDBOX_FD_VM_VFIO, KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION",
	 "passthrough and channels only: the guest moved a BAR, so the slot over the BAR's "
	 "mapping (a passed-through region, a channel's shared memory) moves. "
	 "The region's address is in memory seccomp cannot read: a taken-over monitor could "
	 "map any of its memory into its own guest (which it can reach anyway); without "
	 "--vfio or --channel this stays forbidden"},
	{SANDBOX_FD_TAP, TUNSETOFFLOAD, "TUNSETOFFLOAD",
	 "virtio-net: the offloads the driver accepted, so the TAP hands it only those"},
	{SANDBOX_FD_TTY, TCGETS, "TCGETS", "tcsetattr may read the settings back"},
	{SANDBOX_FD_TTY, TCSETS, "TCSETS", "restore the terminal from raw mode on every exit"},
};
const size_t sandbox_nioctls = sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]);

/* ---- the SIGSYS report ------------------------------------------------ */

/* Names of the native calls, copied from libseccomp's table before the
 * filter goes on: the handler may not call libseccomp (it allocates). */
#define SANDBOX_NR_NAMES 512
#define SANDBOX_NAME_LEN 32
static char sandbox_names[SANDBOX_NR_NAMES][SANDBOX_NAME_LEN];
static _Thread_local char sandbox_role[16] = "main";
static atomic_flag sandbox_reported = ATOMIC_FLAG_INIT;
static uint32_t sandbox_arch; /* seccomp_arch_native(), an AUDIT_ARCH_* value */
static int sandbox_tty_fd = -1;
static struct termios sandbox_tty_saved;

static size_t sandbox_put(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

static size_t sandbox_put_uint(char *buf, size_t n, size_t cap, unsigned long v)
{
	char d[24];
	size_t k = 0;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof(d));
	while (k && n < cap)
		buf[n++] = d[--k];
	return n;
}

/*
 * SECCOMP_RET_TRAP delivers SIGSYS with si_code SYS_SECCOMP, si_syscall
 * and si_arch (seccomp(2)). Only async-signal-safe functions here (POSIX
 * XSH 2.4.3): write, tcsetattr and _exit are all on that list, so the
 * terminal is restored here (atexit handlers do not run on _exit). Each is
 * allowed by the filter. The first thread to trap reports; any other stops
 * the process with the same status.
 */
static void sandbox_sigsys(int sig, siginfo_t *si, void *uctx)
{
	(void)sig;
	(void)uctx;
	if (atomic_flag_test_and_set(&sandbox_reported))
		_exit(VMM_EXIT_SANDBOX);
	char msg[200];
	size_t n = 0, cap = sizeof(msg) - 1;
	int nr = si->si_syscall;
	n = sandbox_put(msg, n, cap, "vmm: sandbox: forbidden system call ");
	if (si->si_arch != sandbox_arch) {
		n = sandbox_put_uint(msg, n, cap, (unsigned long)(unsigned)nr);
		n = sandbox_put(msg, n, cap, " (not the native system call ABI)");
	} else if (nr >= 0 && nr < SANDBOX_NR_NAMES && sandbox_names[nr][0]) {
		n = sandbox_put(msg, n, cap, sandbox_names[nr]);
		n = sandbox_put(msg, n, cap, " (");
		n = sandbox_put_uint(msg, n, cap, (unsigned long)nr);
		n = sandbox_put(msg, n, cap, ")");
	} else {
		n = sandbox_put_uint(msg, n, cap, (unsigned long)(unsigned)nr);
	}
	n = sandbox_put(msg, n, cap, " in thread ");
	n = sandbox_put(msg, n, cap, sandbox_role);
	n = sandbox_put(msg, n, cap, "; stopping this VM\n");
	if (sandbox_tty_fd >= 0)
		(void)tcsetattr(sandbox_tty_fd, TCSANOW, &sandbox_tty_saved);
	(void)!write(STDERR_FILENO, msg, n);
	_exit(VMM_EXIT_SANDBOX);
}

/* ---- the vCPU gate ---------------------------------------------------- */

static pthread_mutex_t sandbox_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sandbox_gate_cond = PTHREAD_COND_INITIALIZER;
static bool sandbox_gate_open;
static unsigned sandbox_gate_arrived;

void sandbox_hold(unsigned vcpu)
{
	char role[16];
	snprintf(role, sizeof(role), "vcpu%u", vcpu);
	sandbox_hold_role(role);
}

void sandbox_hold_role(const char *role)
{
	snprintf(sandbox_role, sizeof(sandbox_role), "%s", role);
	pthread_mutex_lock(&sandbox_gate_lock);
	sandbox_gate_arrived++;
	pthread_cond_broadcast(&sandbox_gate_cond);
	while (!sandbox_gate_open)
		pthread_cond_wait(&sandbox_gate_cond, &sandbox_gate_lock);
	pthread_mutex_unlock(&sandbox_gate_lock);
}

void sandbox_release(void)
{
	pthread_mutex_lock(&sandbox_gate_lock);
	sandbox_gate_open = true;
	pthread_cond_broadcast(&sandbox_gate_cond);
	pthread_mutex_unlock(&sandbox_gate_lock);
}

/* ---- the test hook ---------------------------------------------------- */

static bool sandbox_test_armed;
static struct timespec sandbox_test_at;

/* openat is outside the policy: with the sandbox on, this never returns. */
void sandbox_tick(void)
{
	struct timespec now;
	if (!sandbox_test_armed)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < sandbox_test_at.tv_sec ||
	    (now.tv_sec == sandbox_test_at.tv_sec && now.tv_nsec < sandbox_test_at.tv_nsec))
		return;
	sandbox_test_armed = false;
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	fprintf(stderr, "vmm: sandbox: test: openat(/etc/hostname) %s\n",
		fd >= 0 ? "was allowed (no sandbox)" : strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ---- building the filter ---------------------------------------------- */

/* fds and requests are 32-bit in the kernel (ioctl(2) takes unsigned int
 * fd and cmd); compare the low half only, as the kernel reads them. */
#define LOW32 0xffffffffull

/* Argument comparisons (seccomp_rule_add(3)): arg & mask == value. */
static struct scmp_arg_cmp sandbox_cmp(unsigned arg, uint64_t mask, uint64_t value)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask,
				     .datum_b = value};
}

static struct scmp_arg_cmp sandbox_eq(unsigned arg, uint64_t value)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_EQ, .datum_a = value};
}

static int sandbox_allow(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *c)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, c);
}

static int sandbox_allow_fds(scmp_filter_ctx ctx, int nr, const int *fds, unsigned nfds)
{
	for (unsigned i = 0; i < nfds; i++) {
		if (fds[i] < 0)
			continue;
		struct scmp_arg_cmp c = sandbox_cmp(0, LOW32, (uint32_t)fds[i]);
		int r = sandbox_allow(ctx, nr, 1, &c);
		if (r)
			return r;
	}
	return 0;
}

static int sandbox_ioctl_rules(scmp_filter_ctx ctx, int nr, const struct sandbox_opts *o)
{
	for (size_t i = 0; i < sandbox_nioctls; i++) {
		const struct sandbox_ioctl *q = &sandbox_ioctls[i];
		int fds[KVM_MAX_VCPUS + SANDBOX_MAX_NET + SANDBOX_MAX_VFIO];
		unsigned nfds = 0;
		if (q->fd == SANDBOX_FD_TAP)
			for (unsigned t = 0; t < o->ntap && t < SANDBOX_MAX_NET; t++)
				fds[nfds++] = o->tap_fds[t];
		if (q->fd == SANDBOX_FD_TTY && o->tty_fd >= 0)
			fds[nfds++] = o->tty_fd;
		if (q->fd == SANDBOX_FD_KVM && o->kvm)
			fds[nfds++] = o->kvm->sys_fd;
		if (q->fd == SANDBOX_FD_VM && o->kvm)
			fds[nfds++] = o->kvm->fd;
		if (q->fd == SANDBOX_FD_VM_VFIO && o->kvm && (o->nvfio || o->move_slots))
			fds[nfds++] = o->kvm->fd;
		if (q->fd == SANDBOX_FD_VFIO)
			for (unsigned t = 0; t < o->nvfio && t < SANDBOX_MAX_VFIO; t++)
				fds[nfds++] = o->vfio_fds[t];
		if (q->fd == SANDBOX_FD_VCPU && o->kvm)
			for (unsigned v = 0; v < o->kvm->nvcpus; v++)
				fds[nfds++] = o->kvm->vcpu[v].fd;
		for (unsigned f = 0; f < nfds; f++) {
			struct scmp_arg_cmp c[2] = {
				sandbox_cmp(0, LOW32, (uint32_t)fds[f]),
				sandbox_cmp(1, LOW32, q->request & LOW32),
			};
			int r = sandbox_allow(ctx, nr, 2, c);
			if (r)
				return r;
		}
	}
	return 0;
}

static int sandbox_rule_add(scmp_filter_ctx ctx, const struct sandbox_rule *p, int nr,
			    const struct sandbox_opts *o)
{
	switch (p->args) {
	case SANDBOX_ARGS_ANY:
		return sandbox_allow(ctx, nr, 0, NULL);
	case SANDBOX_ARGS_IOCTL:
		return sandbox_ioctl_rules(ctx, nr, o);
	case SANDBOX_ARGS_READ_FD: {
		static const int in[] = {STDIN_FILENO};
		int r = sandbox_allow_fds(ctx, nr, in, 1);
		r = r ? r : sandbox_allow_fds(ctx, nr, o->dev_fds, o->ndev);
		return r ? r : sandbox_allow_fds(ctx, nr, o->read_fds, o->nread);
	}
	case SANDBOX_ARGS_WRITE_FD: {
		static const int out[] = {STDOUT_FILENO, STDERR_FILENO};
		int r = sandbox_allow_fds(ctx, nr, out, 2);
		r = r ? r : sandbox_allow_fds(ctx, nr, o->dev_fds, o->ndev);
		return r ? r : sandbox_allow_fds(ctx, nr, o->write_fds, o->nwrite);
	}
	case SANDBOX_ARGS_DISK_FD:
		return sandbox_allow_fds(ctx, nr, o->disk_fds, o->ndisk);
	case SANDBOX_ARGS_TAP_FD:
		return sandbox_allow_fds(ctx, nr, o->tap_fds, o->ntap);
	case SANDBOX_ARGS_EPOLL_FD:
		return sandbox_allow_fds(ctx, nr, o->epoll_fds, o->nepoll);
	case SANDBOX_ARGS_VFIO_FD:
		return sandbox_allow_fds(ctx, nr, o->vfio_fds, o->nvfio);
	case SANDBOX_ARGS_PREAD_FD: {
		int r = sandbox_allow_fds(ctx, nr, o->vfio_fds, o->nvfio);
		return r ? r : sandbox_allow_fds(ctx, nr, o->stats_fds, o->nstats);
	}
	case SANDBOX_ARGS_ACCEPT:
		for (unsigned i = 0; i < o->nlisten; i++) {
			struct scmp_arg_cmp c[2] = {
				sandbox_cmp(0, LOW32, (uint32_t)o->listen_fds[i]),
				sandbox_cmp(3, LOW32, SOCK_NONBLOCK | SOCK_CLOEXEC),
			};
			int r = o->listen_fds[i] < 0 ? 0 : sandbox_allow(ctx, nr, 2, c);
			if (r)
				return r;
		}
		return 0;
	case SANDBOX_ARGS_UNIX_SOCKET: {
		struct scmp_arg_cmp c[3] = {
			sandbox_eq(0, AF_UNIX),
			sandbox_eq(1, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC),
			sandbox_eq(2, 0),
		};
		return sandbox_allow(ctx, nr, 3, c);
	}
	case SANDBOX_ARGS_SEND: {
		struct scmp_arg_cmp c = sandbox_cmp(3, LOW32, MSG_NOSIGNAL | MSG_DONTWAIT);
		return sandbox_allow(ctx, nr, 1, &c);
	}
	case SANDBOX_ARGS_RECV: {
		struct scmp_arg_cmp c = sandbox_cmp(3, LOW32, MSG_DONTWAIT);
		int r = sandbox_allow(ctx, nr, 1, &c);
		c = sandbox_cmp(3, LOW32, MSG_DONTWAIT | MSG_PEEK);
		return r ? r : sandbox_allow(ctx, nr, 1, &c);
	}
	case SANDBOX_ARGS_SHUT_WR: {
		struct scmp_arg_cmp c = sandbox_eq(1, SHUT_WR);
		return sandbox_allow(ctx, nr, 1, &c);
	}
	case SANDBOX_ARGS_PUNCH:
		for (unsigned i = 0; i < o->ndisk; i++) {
			struct scmp_arg_cmp c[2] = {
				sandbox_cmp(0, LOW32, (uint32_t)o->disk_fds[i]),
				sandbox_cmp(1, LOW32, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE),
			};
			int r = o->disk_fds[i] < 0 ? 0 : sandbox_allow(ctx, nr, 2, c);
			if (r)
				return r;
		}
		return 0;
	case SANDBOX_ARGS_FUTEX: {
		/* The operation is op & FUTEX_CMD_MASK (futex(2)): the private
		 * and clock flags may be set or not. */
		static const int ops[] = {FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_BITSET,
					  FUTEX_WAKE_BITSET};
		const uint64_t mask = LOW32 & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			struct scmp_arg_cmp c = sandbox_cmp(1, mask, (uint64_t)ops[i]);
			int r = sandbox_allow(ctx, nr, 1, &c);
			if (r)
				return r;
		}
		return 0;
	}
	case SANDBOX_ARGS_TGKILL: {
		static const int sigs[] = {SIGUSR1, SIGABRT};
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct scmp_arg_cmp c[2] = {
				sandbox_eq(0, (uint64_t)getpid()),
				sandbox_eq(2, (uint64_t)sigs[i]),
			};
			int r = sandbox_allow(ctx, nr, 2, c);
			if (r)
				return r;
		}
		return 0;
	}
	case SANDBOX_ARGS_EVENTFD: {
		struct scmp_arg_cmp c = sandbox_eq(1, EFD_CLOEXEC | EFD_NONBLOCK);
		return sandbox_allow(ctx, nr, 1, &c);
	}
	case SANDBOX_ARGS_MMAP: {
		/* No file or shared mappings (MAP_TYPE and MAP_ANONYMOUS fixed),
		 * no MAP_FIXED over what is mapped, no executable pages. */
		struct scmp_arg_cmp c[2] = {
			sandbox_cmp(2, PROT_EXEC, 0),
			sandbox_cmp(3, 0x0f | MAP_ANONYMOUS | MAP_FIXED,
				   MAP_PRIVATE | MAP_ANONYMOUS),
		};
		return sandbox_allow(ctx, nr, 2, c);
	}
	case SANDBOX_ARGS_MADVISE: {
		struct scmp_arg_cmp c = sandbox_eq(2, MADV_DONTNEED);
		return sandbox_allow(ctx, nr, 1, &c);
	}
	}
	return -EINVAL;
}

/* The filter: trap anything not allowed, including calls made through
 * another ABI (int 0x80 from a 64-bit process: SCMP_FLTATR_ACT_BADARCH,
 * whose default would kill without a report). */
static scmp_filter_ctx sandbox_build(const struct sandbox_opts *o, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return NULL;
	}
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r) {
		snprintf(err, errlen, "seccomp_attr_set: %s", strerror(-r));
		seccomp_release(ctx);
		return NULL;
	}
	for (size_t i = 0; i < sandbox_npolicy; i++) {
		const struct sandbox_rule *p = &sandbox_policy[i];
		int nr = seccomp_syscall_resolve_name(p->name);
		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "policy names an unknown system call '%s'", p->name);
			seccomp_release(ctx);
			return NULL;
		}
		r = sandbox_rule_add(ctx, p, nr, o);
		/* ioctl (KVM_RUN) is made once per guest exit: test it first
		 * (seccomp_syscall_priority(3)). */
		if (r == 0 && p->args == SANDBOX_ARGS_IOCTL)
			r = seccomp_syscall_priority(ctx, nr, 255);
		if (r) {
			snprintf(err, errlen, "cannot add the rule for %s: %s", p->name,
				 strerror(-r));
			seccomp_release(ctx);
			return NULL;
		}
	}
	return ctx;
}

int sandbox_check(const struct sandbox_opts *o, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = sandbox_build(o, err, errlen);
	if (!ctx)
		return -1;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (r) {
		snprintf(err, errlen, "seccomp_export_bpf: %s", strerror(-r));
		return -1;
	}
	return 0;
}

/* ---- entering --------------------------------------------------------- */

#define SANDBOX_MAX_KEEP                                                            \
	(KVM_MAX_VCPUS + 4 + 2 * SANDBOX_MAX_FDS + SANDBOX_MAX_DEV_FDS + SANDBOX_MAX_DISKS + \
	 3 * SANDBOX_MAX_NET + SANDBOX_MAX_KEEP_FDS + 2 * SANDBOX_MAX_VFIO + SANDBOX_MAX_STATS)

static void sandbox_keep(int *keep, unsigned *n, int fd)
{
	if (fd > STDERR_FILENO && *n < SANDBOX_MAX_KEEP)
		keep[(*n)++] = fd;
}

void sandbox_close_range(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	/* close_range(2) is Linux 5.9; before it, one by one. */
	struct rlimit rl;
	unsigned top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
			       ? (unsigned)rl.rlim_cur
			       : 65536;
	for (unsigned fd = lo; fd <= hi && fd < top; fd++)
		close((int)fd);
}

/* Closes every fd above stderr that is not in the keep list: whatever the
 * parent left open (a supervisor's sockets, another VM's files) is gone
 * before the guest runs. */
static void sandbox_close_fds(const struct sandbox_opts *o)
{
	int keep[SANDBOX_MAX_KEEP];
	unsigned n = 0;
	if (o->kvm) {
		sandbox_keep(keep, &n, o->kvm->sys_fd);
		sandbox_keep(keep, &n, o->kvm->fd);
		for (unsigned i = 0; i < o->kvm->nvcpus; i++)
			sandbox_keep(keep, &n, o->kvm->vcpu[i].fd);
	}
	for (unsigned i = 0; i < o->nread && i < SANDBOX_MAX_FDS; i++)
		sandbox_keep(keep, &n, o->read_fds[i]);
	for (unsigned i = 0; i < o->nwrite && i < SANDBOX_MAX_FDS; i++)
		sandbox_keep(keep, &n, o->write_fds[i]);
	for (unsigned i = 0; i < o->ndev && i < SANDBOX_MAX_DEV_FDS; i++)
		sandbox_keep(keep, &n, o->dev_fds[i]);
	for (unsigned i = 0; i < o->ndisk && i < SANDBOX_MAX_DISKS; i++)
		sandbox_keep(keep, &n, o->disk_fds[i]);
	for (unsigned i = 0; i < o->ntap && i < SANDBOX_MAX_NET; i++)
		sandbox_keep(keep, &n, o->tap_fds[i]);
	for (unsigned i = 0; i < o->nlisten && i < SANDBOX_MAX_NET; i++)
		sandbox_keep(keep, &n, o->listen_fds[i]);
	for (unsigned i = 0; i < o->nepoll && i < SANDBOX_MAX_NET; i++)
		sandbox_keep(keep, &n, o->epoll_fds[i]);
	for (unsigned i = 0; i < o->nkeep && i < SANDBOX_MAX_KEEP_FDS; i++)
		sandbox_keep(keep, &n, o->keep_fds[i]);
	for (unsigned i = 0; i < o->nvfio && i < SANDBOX_MAX_VFIO; i++)
		sandbox_keep(keep, &n, o->vfio_fds[i]);
	for (unsigned i = 0; i < o->nvfio_keep && i < SANDBOX_MAX_VFIO; i++)
		sandbox_keep(keep, &n, o->vfio_keep_fds[i]);
	for (unsigned i = 0; i < o->nstats && i < SANDBOX_MAX_STATS; i++)
		sandbox_keep(keep, &n, o->stats_fds[i]);
	sandbox_keep(keep, &n, o->tty_fd);
	for (unsigned i = 1; i < n; i++) /* insertion sort: a few dozen fds */
		for (unsigned j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	unsigned lo = STDERR_FILENO + 1;
	for (unsigned i = 0; i < n; i++) {
		if ((unsigned)keep[i] > lo)
			sandbox_close_range(lo, (unsigned)keep[i] - 1);
		if ((unsigned)keep[i] >= lo)
			lo = (unsigned)keep[i] + 1;
	}
	sandbox_close_range(lo, ~0u);
}

int sandbox_enter(const struct sandbox_opts *o, char *err, size_t errlen)
{
	snprintf(sandbox_role, sizeof(sandbox_role), "main");
	if (o->test_forbidden_s) {
		clock_gettime(CLOCK_MONOTONIC, &sandbox_test_at);
		sandbox_test_at.tv_sec += (time_t)o->test_forbidden_s;
		sandbox_test_armed = true;
	}
	if (!o->enabled)
		return 0;

	/* A new thread makes calls of its own before it runs our code (glibc
	 * registers rseq and its robust futex list from the new thread), with
	 * every signal blocked: filtered, they would kill it with no report.
	 * So wait until each has reached the gate. */
	pthread_mutex_lock(&sandbox_gate_lock);
	while (sandbox_gate_arrived < o->threads)
		pthread_cond_wait(&sandbox_gate_cond, &sandbox_gate_lock);
	pthread_mutex_unlock(&sandbox_gate_lock);

	sandbox_arch = seccomp_arch_native();
	for (int nr = 0; nr < SANDBOX_NR_NAMES; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(sandbox_arch, nr);
		if (s)
			snprintf(sandbox_names[nr], SANDBOX_NAME_LEN, "%s", s);
		free(s);
	}
	if (o->tty_fd >= 0 && o->tty_saved) {
		sandbox_tty_saved = *o->tty_saved;
		sandbox_tty_fd = o->tty_fd;
	}
	struct sigaction sa = {.sa_sigaction = sandbox_sigsys, .sa_flags = SA_SIGINFO};
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		snprintf(err, errlen, "sigaction(SIGSYS): %s", strerror(errno));
		return -1;
	}
	/* SIGSYS must not be blocked anywhere: the kernel would then reset it
	 * to the default action and kill us without the report (seccomp(2),
	 * SECCOMP_RET_TRAP; the signal is forced). Threads inherit our mask. */
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);

	/* malloc (mallopt(3), M_ARENA_MAX) would give each vCPU thread its own
	 * arena on its first allocation: mmap'd heaps grown with mprotect and,
	 * when trimmed, a one-time open of /proc/sys/vm/overcommit_memory. One
	 * arena keeps run-time allocations (rare, small) in the brk heap. The
	 * vCPU threads are still at the gate and have allocated nothing. */
	mallopt(M_ARENA_MAX, 1);
	/* The first gmtime_r (the CMOS clock, when a guest first reads it)
	 * initialises glibc's time-zone state, which opens /etc/localtime:
	 * do that now, while opening files is still allowed. A Linux guest
	 * reads the RTC at boot; the lab found this. */
	tzset();
	struct tm tm;
	time_t now = time(NULL);
	gmtime_r(&now, &tm);
	sandbox_close_fds(o);

	/* prctl(2): no_new_privs is what lets an unprivileged process load a
	 * filter, and keeps exec from gaining privileges; non-dumpable keeps
	 * other processes of our user (another VM's monitor) from ptrace or
	 * /proc/PID/mem on this one, and guest RAM out of core dumps. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		snprintf(err, errlen, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return -1;
	}
	scmp_filter_ctx ctx = sandbox_build(o, err, errlen);
	if (!ctx)
		return -1;
	/* TSYNC: every thread gets this filter (and no_new_privs), or the
	 * load fails and nothing changes (seccomp(2),
	 * SECCOMP_FILTER_FLAG_TSYNC; seccomp_attr_set(3)). */
	int r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-r));
		return -1;
	}
	return 0;
}
