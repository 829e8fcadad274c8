/* devwl: the device workloads' image and runners (see devwl.h). */
#include "devwl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/diskpat.h"

static int is_disk(const struct hvb_result *r)
{
	return r->group && !strcmp(r->group, "disk");
}

int devwl_is_device(const struct hvb_result *r)
{
	return is_disk(r) || !strcmp(r->benchmark, DEVWL_RNG_WORKLOAD);
}

int devwl_fill(int fd, unsigned long long size, unsigned gen)
{
	enum { CHUNK = 1 << 20 };
	uint64_t *buf = malloc(CHUNK);

	if (!buf)
		return -1;
	for (unsigned long long off = 0; off < size; off += CHUNK) {
		size_t done = 0;

		diskpat_fill(buf, off, CHUNK, gen);
		while (done < CHUNK) {
			ssize_t n = pwrite(fd, (char *)buf + done, CHUNK - done,
					   (off_t)(off + done));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				int e = n < 0 ? errno : EIO;

				free(buf);
				errno = e;
				return -1;
			}
			done += (size_t)n;
		}
	}
	free(buf);
	return 0;
}

/* The image goes where the results go, under a name nobody can guess in
 * advance (mkstemps: O_EXCL, so no file planted there is followed); with
 * no usable results folder, into a new private mkdtemp folder. */
static int make_image(struct devwl *dw, const char *dir, int dir_ok, unsigned long long size,
		      char *err, size_t errlen)
{
	int fd;

	if (dir_ok) {
		snprintf(dw->image, sizeof(dw->image), "%s/disk-XXXXXX.img", dir);
		fd = mkstemps(dw->image, 4);
	} else {
		const char *t = getenv("TMPDIR");

		snprintf(dw->tmpdir, sizeof(dw->tmpdir), "%s/hvbench-disk-XXXXXX",
			 t && *t ? t : "/tmp");
		if (!mkdtemp(dw->tmpdir)) {
			snprintf(err, errlen, "cannot make a folder for the disk image (%s): %s",
				 dw->tmpdir, strerror(errno));
			dw->tmpdir[0] = dw->image[0] = '\0';
			return -1;
		}
		snprintf(dw->image, sizeof(dw->image), "%s/disk.img", dw->tmpdir);
		fd = open(dw->image, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the disk image %s: %s", dw->image,
			 strerror(errno));
		dw->image[0] = '\0';
		devwl_cleanup(dw);
		return -1;
	}
	if (devwl_fill(fd, size, 0) || close(fd)) {
		snprintf(err, errlen, "cannot write the disk image %s: %s", dw->image,
			 strerror(errno));
		close(fd);
		devwl_cleanup(dw);
		return -1;
	}
	return 0;
}

int devwl_setup(struct devwl *dw, const struct hvb_doc *d, const char *bench, const char *vmm,
		const char *guest, const char *dir, int dir_ok, int cpu, int timeout_s, char *err,
		size_t errlen)
{
	int any_disk = 0;
	/* --size tiny (a lab under TCG): a 16 MiB image, which its totals fit. */
	unsigned long long size = d->config.size && !strcmp(d->config.size, "tiny")
					  ? DEVWL_IMAGE_TINY
					  : DEVWL_IMAGE_SIZE;

	memset(dw, 0, sizeof(*dw));
	for (size_t i = 0; i < d->nresults; i++)
		any_disk |= is_disk(&d->results[i]);
	if (any_disk && make_image(dw, dir, dir_ok, size, err, errlen))
		return -1;
	runner_native_disk(&dw->native, bench, dw->image);
	runner_bare_dev(&dw->virt, vmm, guest, "--disk", dw->image);
	runner_bare_dev(&dw->rng, vmm, guest, "--rng", NULL);
	dw->native.cpu = dw->virt.cpu = dw->rng.cpu = cpu;
	dw->native.timeout_s = dw->virt.timeout_s = dw->rng.timeout_s = timeout_s;
	return 0;
}

/* Adds "--io-cpus N" to a guest runner's template (after --cmdline's
 * argument: vmm's options may come in any order). */
static void add_io_cpus(struct runner *r, const char *arg, int io_cpu)
{
	if (r->ntmpl + 2 > RUNNER_MAX_ARGS)
		abort(); /* the templates are ours and short */
	r->tmpl[r->ntmpl++] = "--io-cpus";
	r->tmpl[r->ntmpl++] = arg;
	r->io_cpu = io_cpu;
}

int devwl_place_io(struct devwl *dw, int io_cpu)
{
	if (io_cpu < 0 || dw->virt.cpu < 0 || io_cpu == dw->virt.cpu)
		return 0;
	snprintf(dw->io_cpus, sizeof(dw->io_cpus), "%d", io_cpu);
	add_io_cpus(&dw->virt, dw->io_cpus, io_cpu);
	add_io_cpus(&dw->rng, dw->io_cpus, io_cpu);
	return 1;
}

const struct runner *devwl_native(const struct devwl *dw, const struct hvb_result *r)
{
	return is_disk(r) ? &dw->native : NULL;
}

const struct runner *devwl_virt(const struct devwl *dw, const struct hvb_result *r)
{
	if (is_disk(r))
		return &dw->virt;
	return !strcmp(r->benchmark, DEVWL_RNG_WORKLOAD) ? &dw->rng : NULL;
}

void devwl_cleanup(struct devwl *dw)
{
	if (dw->image[0])
		unlink(dw->image);
	if (dw->tmpdir[0])
		rmdir(dw->tmpdir);
	dw->image[0] = dw->tmpdir[0] = '\0';
}
