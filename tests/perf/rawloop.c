/*
 * rawloop: the baseline for the trap-and-emulate cost. It sets the machine
 * up exactly as vmm does (same KVM set-up, loader and boot state) but runs
 * a bare KVM_RUN loop with no device model: a port write exits to user
 * space and the loop re-enters at once. Only what the measurement guest
 * needs to report is answered: COM1 output to stdout, LSR reads "ready",
 * and the debug-exit port ends the run with the same status vmm gives.
 *
 * usage: rawloop KERNEL [CMDLINE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guestmem.h"
#include "kvm.h"
#include "loader.h"
#include "x86boot.h"

int main(int argc, char **argv)
{
	static struct kvm_vm vm;
	struct guestmem gm;
	struct boot_entry e;
	char err[512];
	uint8_t *img;
	size_t n;
	if (argc < 2) {
		fprintf(stderr, "usage: rawloop KERNEL [CMDLINE]\n");
		return 2;
	}
	if (load_file(argv[1], &img, &n, err, sizeof(err)) || kvm_open(&vm, err, sizeof(err)) ||
	    (gm_init(&gm, 256ull << 20) ? (snprintf(err, sizeof(err), "gm_init failed"), 1) : 0) ||
	    kvm_create_vm(&vm, &gm, 1, err, sizeof(err))) {
		fprintf(stderr, "rawloop: %s\n", err);
		return 2;
	}
	struct load_request req = {.kernel = img, .kernel_size = n,
				   .cmdline = argc > 2 ? argv[2] : "", .kernel_name = argv[1],
				   .tsc_khz = vm.tsc_khz, .ncpus = 1};
	if (load_kernel(&gm, &req, &e, err, sizeof(err)) ||
	    x86_boot_setup(vm.vcpu[0].fd, &gm, &e, err, sizeof(err))) {
		fprintf(stderr, "rawloop: %s\n", err);
		return 2;
	}
	struct kvm_run *run = vm.vcpu[0].run;
	for (;;) {
		if (ioctl(vm.vcpu[0].fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("rawloop: KVM_RUN");
			return 8;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;
			if (run->io.direction == KVM_EXIT_IO_OUT) {
				if (run->io.port == 0xf4)
					return (int)((d[0] << 1) | 1);
				if (run->io.port == 0x3f8)
					fputc(d[0], stdout);
			} else {
				d[0] = run->io.port == 0x3fd ? 0x20 : 0xff;
			}
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MMIO)
			continue;
		fprintf(stderr, "rawloop: exit reason %u\n", run->exit_reason);
		return 8;
	}
}
