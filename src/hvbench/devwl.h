/* devwl: the part of a run that the device workloads need: the disk
 * workloads (group "disk": an image file both sides use, natively through
 * `bench --disk IMAGE`, in the guest through `vmm run --disk IMAGE`) and
 * rng-read (the guest with `--rng`). Owns the image: created for the run,
 * filled with generation 0 of the pattern (src/bench/diskpat.h), removed
 * at the end. */
#ifndef HVB_DEVWL_H
#define HVB_DEVWL_H

#include <stddef.h>

#include "hvbench.h"
#include "runner.h"

#define DEVWL_RNG_WORKLOAD "rng-read"
#define DEVWL_IMAGE_SIZE (256ull << 20)
#define DEVWL_IMAGE_TINY (16ull << 20) /* --size tiny */

struct devwl {
	struct runner native, virt, rng;
	char image[4200];  /* "" when the run has no disk workload */
	char tmpdir[4096]; /* the mkdtemp'd folder holding the image, or "" */
	char io_cpus[16];  /* the guest's --io-cpus argument, or "" */
};

/* Makes the image (in `dir` when dir_ok, else in a new mkdtemp folder)
 * if one of the selected results is a disk workload, and the runners,
 * pinned to cpu with timeout_s. Returns 0, or -1 with err set. */
int devwl_setup(struct devwl *dw, const struct hvb_doc *d, const char *bench, const char *vmm,
		const char *guest, const char *dir, int dir_ok, int cpu, int timeout_s, char *err,
		size_t errlen);
/* Places the guest's device I/O threads on io_cpu (`vmm run --io-cpus`)
 * and its vCPU on the measurement CPU, the guest's process being allowed
 * both; the native side stays on the measurement CPU alone: the device's
 * work is kept off the vCPU's CPU, as in a real-time setup
 * (docs/hvbench.md says what that changes). No-op when io_cpu < 0 or the
 * runs are not pinned. Returns whether it placed them. */
int devwl_place_io(struct devwl *dw, int io_cpu);
/* The runner of r's native or virtualised side when r is a device
 * workload, else NULL. */
const struct runner *devwl_native(const struct devwl *dw, const struct hvb_result *r);
const struct runner *devwl_virt(const struct devwl *dw, const struct hvb_result *r);
/* Whether r is a device workload (no --interference run for it). */
int devwl_is_device(const struct hvb_result *r);
/* Removes the image and its folder. */
void devwl_cleanup(struct devwl *dw);

/* Writes a new image of `size` bytes (a multiple of 1 MiB) holding
 * generation gen of the pattern to the open descriptor fd. Returns 0 or
 * -1 (errno). */
int devwl_fill(int fd, unsigned long long size, unsigned gen);

#endif
