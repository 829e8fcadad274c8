/* channel: shared memory and doorbells between two VMs. */
#include "channel.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestmem.h"

/* Memory slots 0 and 1 are guest RAM (kvm.c); channels take 2.. */
#define CHANNEL_SLOT0 2

static int parse_num(const char *v, size_t len, uint64_t *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9' && buf[1] != 'x' && buf[1] != 'X')
		return gm_parse_size(buf, out);
	char *end;
	errno = 0;
	unsigned long long n = strtoull(buf, &end, 0);
	if (errno || *end || buf[0] == '-')
		return -1;
	*out = n;
	return 0;
}

unsigned channel_check_one(uint64_t gpa, uint64_t size)
{
	unsigned bad = 0;
	if (size == 0 || size > CHANNEL_MAX_SIZE)
		bad |= CHANNEL_BAD_SIZE;
	else if (size % CHANNEL_PAGE)
		bad |= CHANNEL_BAD_SIZE_ALIGN;
	if (gpa % CHANNEL_PAGE)
		bad |= CHANNEL_BAD_GPA_ALIGN;
	if (bad)
		return bad;
	/* size <= 256M, so gpa + size + 4K wraps only when gpa is near 2^64. */
	if (gpa > UINT64_MAX - size - CHANNEL_DOORBELL_SIZE)
		return CHANNEL_BAD_WRAP;
	/* The doorbell page counts: a region ending at the IOAPIC would put
	 * its doorbell on the IOAPIC's registers. */
	if (gpa < CHANNEL_WINDOW_START || gpa + size + CHANNEL_DOORBELL_SIZE > CHANNEL_WINDOW_END)
		return CHANNEL_BAD_WINDOW;
	return 0;
}

uint64_t channel_span_end(uint64_t gpa, uint64_t size)
{
	return gpa + size + CHANNEL_DOORBELL_SIZE;
}

bool channel_collide(uint64_t gpa_a, uint64_t size_a, uint64_t gpa_b, uint64_t size_b)
{
	return gpa_a < channel_span_end(gpa_b, size_b) && gpa_b < channel_span_end(gpa_a, size_a);
}

int channel_check_layout(const struct channel_cfg *c, size_t n, char *err, size_t errlen)
{
	if (n > CHANNEL_MAX) {
		snprintf(err, errlen, "%zu channels; a VM has at most %d", n, CHANNEL_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (channel_collide(c[i].gpa, c[i].size, c[j].gpa, c[j].size)) {
				snprintf(err, errlen,
					 "--channel %zu at [%#llx, %#llx) with its doorbell page "
					 "overlaps --channel %zu at [%#llx, %#llx) with its doorbell "
					 "page; move one of them",
					 i + 1, (unsigned long long)c[i].gpa,
					 (unsigned long long)channel_span_end(c[i].gpa, c[i].size),
					 j + 1, (unsigned long long)c[j].gpa,
					 (unsigned long long)channel_span_end(c[j].gpa, c[j].size));
				return -1;
			}
	return 0;
}

int channel_parse(const char *s, struct channel_cfg *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"gpa", "size", "mem", "out", "in", "vector"};
	uint64_t val[6];
	unsigned seen = 0;
	const char *p = s;
	while (*p) {
		const char *eq = strchr(p, '='), *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end) {
			snprintf(err, errlen, "--channel '%s': expected key=value items separated "
					      "by commas", s);
			return -1;
		}
		size_t k, klen = (size_t)(eq - p);
		for (k = 0; k < 6; k++)
			if (strlen(keys[k]) == klen && !strncmp(p, keys[k], klen))
				break;
		if (k == 6) {
			snprintf(err, errlen, "--channel '%s': unknown key '%.*s'; valid: gpa, size, "
					      "mem, out, in, vector", s, (int)klen, p);
			return -1;
		}
		if (seen & (1u << k) || parse_num(eq + 1, (size_t)(end - eq - 1), &val[k])) {
			snprintf(err, errlen, "--channel '%s': %s '%.*s' is %s", s, keys[k],
				 (int)(end - eq - 1), eq + 1,
				 seen & (1u << k) ? "given twice" : "not a number");
			return -1;
		}
		seen |= 1u << k;
		p = *end ? end + 1 : end;
	}
	if (seen != 0x3f) {
		snprintf(err, errlen, "--channel '%s': needs gpa, size, mem, out, in and vector", s);
		return -1;
	}
	if (channel_check_one(val[0], val[1])) {
		snprintf(err, errlen, "--channel '%s': region (4K to 256M) and its doorbell page "
				      "must be page aligned and inside [%#llx, %#llx)", s,
			 CHANNEL_WINDOW_START, CHANNEL_WINDOW_END);
		return -1;
	}
	if (val[5] < 32 || val[5] > 254) {
		snprintf(err, errlen, "--channel '%s': vector %llu must be 32-254", s,
			 (unsigned long long)val[5]);
		return -1;
	}
	if (val[2] > INT_MAX || val[3] > INT_MAX || val[4] > INT_MAX) {
		snprintf(err, errlen, "--channel '%s': bad file descriptor", s);
		return -1;
	}
	*c = (struct channel_cfg){val[0], val[1], (int)val[2], (int)val[3], (int)val[4],
				  (unsigned)val[5]};
	return 0;
}

int channel_setup(struct kvm_vm *vm, unsigned idx, const struct channel_cfg *c, char *err,
		  size_t errlen)
{
	struct stat st;
	if (idx >= CHANNEL_MAX) {
		snprintf(err, errlen, "at most %d channels per VM", CHANNEL_MAX);
		return -1;
	}
	errno = 0;
	errno = 0;
	if (fstat(c->mem_fd, &st) < 0 || (uint64_t)st.st_size < c->size) {
		snprintf(err, errlen, "channel %u: shared memory fd %d is not %llu bytes: %s", idx,
			 c->mem_fd, (unsigned long long)c->size,
			 errno ? strerror(errno) : "too small");
		return -1;
	}
	void *p = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->mem_fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "channel %u: mmap: %s", idx, strerror(errno));
		return -1;
	}
	struct kvm_userspace_memory_region r = {
		.slot = CHANNEL_SLOT0 + idx, .guest_phys_addr = c->gpa, .memory_size = c->size,
		.userspace_addr = (uint64_t)(uintptr_t)p,
	};
	unsigned gsi = KVM_FIRST_MSI_GSI + 1 + idx;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ||
	    kvm_ioeventfd(vm, c->out_fd, c->gpa + c->size, 4, true) < 0 ||
	    kvm_route_msi(vm, gsi, 0xfee00000u, c->vector) < 0) {
		snprintf(err, errlen, "channel %u at %#llx: %s", idx, (unsigned long long)c->gpa,
			 strerror(errno));
		return -1;
	}
	/* A count already in the incoming eventfd is a doorbell the peer rang
	 * before this VM existed (while a restarted VM was down): the irqfd
	 * would inject it as soon as it is assigned, and the guest would take
	 * it at its first sti, before it has a handler. Start from zero, just
	 * before the irqfd takes over: a read takes the whole count
	 * (eventfd(2)); poll first, since the descriptor may be blocking. */
	struct pollfd pf = {c->in_fd, POLLIN, 0};
	uint64_t stale;
	if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN) &&
	    read(c->in_fd, &stale, sizeof(stale)) < 0 && errno != EAGAIN) {
		snprintf(err, errlen, "channel %u: incoming doorbell fd %d: %s", idx, c->in_fd,
			 strerror(errno));
		return -1;
	}
	if (kvm_irqfd(vm, c->in_fd, gsi, true) < 0) {
		snprintf(err, errlen, "channel %u at %#llx: %s", idx, (unsigned long long)c->gpa,
			 strerror(errno));
		return -1;
	}
	/* The mapping lives as long as the VM; the process ends with it. */
	return 0;
}
