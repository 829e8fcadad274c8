/* kstats: a vCPU's KVM statistics (see kstats.h). */
#include "kstats.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

/* The layout is KVM's (include/uapi/linux/kvm.h, KVM API 4.131): a header,
 * then num_desc descriptors of sizeof(struct kvm_stats_desc) + name_size
 * bytes each at desc_offset, and the data at data_offset + desc.offset. */
#define KSTATS_MAX_DESC 4096 /* far above any kernel's count: a bound, not a guess */

int kstats_open(struct kstats *k, int vcpu_fd)
{
	struct kvm_stats_header h;
	char *descs = NULL;

	k->fd = -1;
	k->exits_at = 0;
	int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -1;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.num_desc == 0 ||
	    h.num_desc > KSTATS_MAX_DESC || h.name_size == 0 || h.name_size > 4096)
		goto fail;
	size_t one = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(one * h.num_desc);
	if (!descs ||
	    pread(fd, descs, one * h.num_desc, h.desc_offset) != (ssize_t)(one * h.num_desc))
		goto fail;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(void *)(descs + i * one);
		char name[4097];

		memcpy(name, d->name, h.name_size);
		name[h.name_size] = '\0';
		if (strcmp(name, "exits") || d->size != 1 ||
		    (d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE)
			continue;
		k->exits_at = (uint64_t)h.data_offset + d->offset;
		k->fd = fd;
		free(descs);
		return 0;
	}
fail:
	free(descs);
	close(fd);
	return -1;
}

int kstats_exits(const struct kstats *k, uint64_t *out)
{
	if (k->fd < 0)
		return -1;
	return pread(k->fd, out, sizeof(*out), (off_t)k->exits_at) == (ssize_t)sizeof(*out) ? 0
											   : -1;
}

void kstats_close(struct kstats *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}
