/*
 * fuzz_sysdesc: the system description checker on arbitrary text.
 *
 * The input is the description itself, handed to sd_load_string() as if
 * read from a file. Whatever it holds, the checker must return 0 with a
 * model or -1 with at least one problem, each a "NAME:..." line, and never
 * crash, leak or read out of bounds; the devices of a valid model are
 * arguments vmm run's own parsers take. The seeds are tests/system/good
 * and tests/system/bad (tests/fuzz/corpus/sysdesc/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blk.h"
#include "net.h"
#include "sysdesc.h"
#include "vsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

/* libconfig 1.5 (Debian's libconfig9) leaks the text of a string token
 * that ends up in a syntax error, such as the whole file `"x"`: its scanner
 * allocates the token and the parser discards it without freeing it. A few
 * bytes once per failed read, in a process that then exits: not ours to
 * fix. Only leaks allocated inside libconfig are excused; for that the
 * allocation stacks must be complete, and libconfig is built without frame
 * pointers, so the slow unwinder is used for them. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_system sys;
	struct sd_errors errs;
	int r = sd_load_string((const char *)data, size, "fuzz.cfg", &sys, &errs);
	if (r == 0) {
		/* A valid model keeps the invariants the launcher relies on. */
		if (errs.n || !sys.nvms || !sys.log_dir || !sys.file)
			abort();
		for (size_t i = 0; i < sys.nvms; i++) {
			const struct sd_vm *vm = &sys.vms[i];
			if (!vm->name[0] || !vm->kernel || !vm->cmdline || vm->cpus < 1 ||
			    vm->cpus > SD_MAX_CPUS || vm->mem % 4096 || vm->pin < -1)
				abort();
			if (vm->ndisks > VIRTIO_BLK_MAX || (vm->ndisks && !vm->disks))
				abort();
			for (unsigned d = 0; d < vm->ndisks; d++)
				if (!vm->disks[d].path[0] || strncmp(vm->disks[d].arg,
					vm->disks[d].path, strlen(vm->disks[d].path)))
					abort();
			/* (blk_parse_option keeps read-only paths in a static
			 * table of its own: not called here, once per input.) */
			struct net_cfg nc;
			struct vsock_cfg vc;
			char err[256];
			if (vm->net && net_parse_option(vm->net, &nc, err, sizeof(err)))
				abort();
			if (vm->vsock && (vsock_parse_option(vm->vsock, &vc, err, sizeof(err)) ||
					  vc.cid < 3))
				abort();
		}
		for (size_t i = 0; i < sys.nchans; i++) {
			const struct sd_channel *ch = &sys.chans[i];
			/* vmm run would take it: the one layout check. */
			if (!strcmp(ch->a, ch->b) || channel_check_one(ch->gpa, ch->size))
				abort();
			for (size_t j = 0; j < i; j++) {
				const struct sd_channel *o = &sys.chans[j];
				bool shared = !strcmp(o->a, ch->a) || !strcmp(o->b, ch->a) ||
					      !strcmp(o->a, ch->b) || !strcmp(o->b, ch->b);
				if (shared && channel_collide(ch->gpa, ch->size, o->gpa, o->size))
					abort();
			}
		}
		sd_free(&sys);
	} else {
		if (r != -1 || !errs.n)
			abort();
		for (size_t i = 0; i < errs.n; i++)
			if (strncmp(errs.msg[i], "fuzz.cfg", 8))
				abort();
		if (sys.vms || sys.chans || sys.file)
			abort();
		sd_errors_free(&errs);
	}
	return 0;
}
