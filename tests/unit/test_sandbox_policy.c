/*
 * Unit tests of the sandbox policy (src/vmm/sandbox.c), no KVM needed:
 * every entry is justified and names a call libseccomp knows; the filter
 * builds; and, in a child process, the filter really traps: a forbidden
 * call ends the process with status 12 and names the call and the thread,
 * from the main thread and from a thread held at the vCPU gate.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm.h"
#include "sandbox.h"
#include "testlib.h"

static void every_entry_justified_and_known(void **state)
{
	(void)state;
	assert_true(sandbox_npolicy > 0);
	for (size_t i = 0; i < sandbox_npolicy; i++) {
		const struct sandbox_rule *p = &sandbox_policy[i];
		test_note("%s: %s", p->name, p->why);
		assert_non_null(p->why);
		assert_true(strlen(p->why) >= 10);
		assert_true(p->roles != 0);
		assert_int_not_equal(seccomp_syscall_resolve_name(p->name), __NR_SCMP_ERROR);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(p->name, sandbox_policy[j].name);
	}
	for (size_t i = 0; i < sandbox_nioctls; i++) {
		const struct sandbox_ioctl *q = &sandbox_ioctls[i];
		assert_non_null(q->name);
		assert_non_null(q->why);
		assert_true(strlen(q->why) >= 10);
		for (size_t j = 0; j < i; j++)
			assert_false(q->request == sandbox_ioctls[j].request &&
				     q->fd == sandbox_ioctls[j].fd);
	}
}

/* Never allowed: what would let a taken-over monitor reach other VMs, files
 * or new processes, or create VMs and memory slots. */
static void dangerous_calls_absent(void **state)
{
	(void)state;
	static const char *const never[] = {
		"open", "openat", "openat2", "execve", "execveat", "fork", "vfork", "clone",
		"clone3", "ptrace", "process_vm_readv", "process_vm_writev", "kill", "mprotect",
		"prctl", "seccomp", "setuid", "mount", "sendmsg", "recvmsg", "bind", "listen",
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		for (size_t j = 0; j < sandbox_npolicy; j++)
			assert_string_not_equal(never[i], sandbox_policy[j].name);
	/* socket and connect only for virtio-vsock's guest connections to
	 * PATH_P, and socket only for AF_UNIX streams (inet_socket_forbidden
	 * checks the filter). */
	for (size_t j = 0; j < sandbox_npolicy; j++) {
		const struct sandbox_rule *p = &sandbox_policy[j];
		if (!strcmp(p->name, "socket")) {
			assert_int_equal(p->args, SANDBOX_ARGS_UNIX_SOCKET);
			assert_int_equal(p->roles, SANDBOX_VSOCK);
		}
		if (!strcmp(p->name, "connect") || !strcmp(p->name, "accept4"))
			assert_int_equal(p->roles, SANDBOX_VSOCK);
	}
	for (size_t i = 0; i < sandbox_nioctls; i++) {
		assert_false(sandbox_ioctls[i].request == KVM_CREATE_VM);
		assert_false(sandbox_ioctls[i].request == KVM_CREATE_VCPU);
		/* Memory slots only for passthrough BAR moves, and only on the
		 * VM fd of a VM with a passed-through function. */
		if (sandbox_ioctls[i].request == KVM_SET_USER_MEMORY_REGION)
			assert_int_equal(sandbox_ioctls[i].fd, SANDBOX_FD_VM_VFIO);
	}
}

static void filter_builds(void **state)
{
	(void)state;
	static struct kvm_vm vm;
	char err[256] = "";
	vm.sys_fd = 3;
	vm.fd = 4;
	vm.nvcpus = KVM_MAX_VCPUS;
	for (unsigned i = 0; i < vm.nvcpus; i++)
		vm.vcpu[i].fd = 5 + (int)i;
	struct sandbox_opts o = {
		.enabled = true, .kvm = &vm, .read_fds = {100, -1}, .nread = 2,
		.write_fds = {1, 101}, .nwrite = 2, .tty_fd = 0,
	};
	int r = sandbox_check(&o, err, sizeof(err));
	test_note("sandbox_check: %d %s", r, err);
	assert_int_equal(r, 0);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void *held_thread(void *arg)
{
	(void)arg;
	sandbox_hold(3);
	/* Allowed, then forbidden. */
	if (write(STDERR_FILENO, "thread allowed\n", 15) != 15)
		return NULL;
	int fd = open("/etc/hostname", O_RDONLY);
	(void)fd;
	return NULL;
}

/* Forks a child that enters the sandbox, makes an allowed call, then
 * (in the main thread, or in a held thread) a forbidden one. */
static void child_traps(bool in_thread, const char *want)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		pthread_t t;
		dup2(p[1], STDERR_FILENO);
		if (in_thread && pthread_create(&t, NULL, held_thread, NULL))
			_exit(98);
		struct sandbox_opts o = {.enabled = true, .tty_fd = -1,
					 .threads = in_thread ? 1 : 0};
		if (sandbox_enter(&o, err, sizeof(err))) {
			fprintf(stderr, "sandbox_enter: %s\n", err);
			_exit(99);
		}
		sandbox_release();
		if (in_thread) {
			pthread_join(t, NULL);
		} else if (getpid() > 0 && write(STDERR_FILENO, "main allowed\n", 13) == 13) {
			int fd = open("/etc/hostname", O_RDONLY);
			(void)fd;
		}
		_exit(97); /* the forbidden call did not stop us */
	}
	close(p[1]);
	char out[1024];
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	test_note("child: %s", out);
#ifdef UNDER_ASAN
	/* The sanitizer's _exit interceptor makes calls of its own after the
	 * report, which the filter (rightly) stops with SIGSYS. */
	assert_true(WIFEXITED(st) ? WEXITSTATUS(st) == 12 : WTERMSIG(st) == SIGSYS);
#else
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 12);
#endif
	assert_non_null(strstr(out, in_thread ? "thread allowed\n" : "main allowed\n"));
	assert_non_null(strstr(out, want));
}

static void forbidden_in_main_thread(void **state)
{
	(void)state;
	child_traps(false, "vmm: sandbox: forbidden system call openat (257) in thread main; "
			   "stopping this VM\n");
}

static void forbidden_in_held_thread(void **state)
{
	(void)state;
	child_traps(true, "vmm: sandbox: forbidden system call openat (257) in thread vcpu3; "
			  "stopping this VM\n");
}

/* The vsock worker may make AF_UNIX stream sockets; nothing may make an
 * Internet one. */
static void inet_socket_forbidden(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		dup2(p[1], STDERR_FILENO);
		struct sandbox_opts o = {.enabled = true, .tty_fd = -1};
		if (sandbox_enter(&o, err, sizeof(err)))
			_exit(99);
		sandbox_release();
		int u = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (u >= 0 && write(STDERR_FILENO, "unix allowed\n", 13) == 13)
			(void)socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		_exit(97);
	}
	close(p[1]);
	char out[1024];
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	test_note("child: %s", out);
	assert_non_null(strstr(out, "unix allowed\n"));
	assert_non_null(strstr(out, "forbidden system call socket (41)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_entry_justified_and_known),
		cmocka_unit_test(dangerous_calls_absent),
		cmocka_unit_test(filter_builds),
		cmocka_unit_test(forbidden_in_main_thread),
		cmocka_unit_test(forbidden_in_held_thread),
		cmocka_unit_test(inet_socket_forbidden),
	};
	return cmocka_run_group_tests_name("sandbox_policy", tests, NULL, NULL);
}
