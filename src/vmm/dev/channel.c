/* channel: shared memory and doorbells between two VMs. */
#include "channel.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include "guestmem.h"

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
	/* The region is BAR2 of the channel's PCI function: a BAR's size is
	 * a power of two and its address a multiple of it (PCI 3.0 sec.
	 * 6.2.5.1). */
	if ((size & (size - 1)) || gpa % size)
		return CHANNEL_BAD_BAR;
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

/* A name for the register page: what a VM name may hold (sysdesc.h). */
static int parse_name(const char *v, size_t len, char *out)
{
	if (len == 0 || len > CHANNEL_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = v[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return -1;
	}
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

int channel_parse(const char *s, struct channel_cfg *c, char *err, size_t errlen)
{
	enum { K_GPA, K_SIZE, K_MEM, K_OUT, K_IN, K_NAME, K_PEER, K_N };
	static const char *const keys[K_N] = {"gpa", "size", "mem", "out", "in", "name", "peer"};
	uint64_t val[K_N] = {0};
	struct channel_cfg out = {0};
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
		size_t k, klen = (size_t)(eq - p), vlen = (size_t)(end - eq - 1);
		for (k = 0; k < K_N; k++)
			if (strlen(keys[k]) == klen && !strncmp(p, keys[k], klen))
				break;
		if (k == K_N) {
			snprintf(err, errlen, "--channel '%s': unknown key '%.*s'; valid: gpa, size, "
					      "mem, out, in, name, peer", s, (int)klen, p);
			return -1;
		}
		bool twice = seen & (1u << k);
		bool bad = k == K_NAME   ? parse_name(eq + 1, vlen, out.name)
			   : k == K_PEER ? parse_name(eq + 1, vlen, out.peer)
					 : parse_num(eq + 1, vlen, &val[k]);
		if (twice || bad) {
			snprintf(err, errlen, "--channel '%s': %s '%.*s' is %s", s, keys[k],
				 (int)vlen, eq + 1,
				 twice ? "given twice"
				 : k >= K_NAME ? "not a name (1-31 of A-Z a-z 0-9 _ - .)"
					       : "not a number");
			return -1;
		}
		seen |= 1u << k;
		p = *end ? end + 1 : end;
	}
	if ((seen & 0x1f) != 0x1f) {
		snprintf(err, errlen, "--channel '%s': needs gpa, size, mem, out and in", s);
		return -1;
	}
	unsigned bad = channel_check_one(val[K_GPA], val[K_SIZE]);
	if (bad == CHANNEL_BAD_BAR) {
		snprintf(err, errlen, "--channel '%s': the region is a PCI BAR: its size must be "
				      "a power of two and gpa a multiple of it", s);
		return -1;
	}
	if (bad) {
		snprintf(err, errlen, "--channel '%s': region (4K to 256M) and its doorbell page "
				      "must be page aligned and inside [%#llx, %#llx)", s,
			 CHANNEL_WINDOW_START, CHANNEL_WINDOW_END);
		return -1;
	}
	if (val[K_MEM] > INT_MAX || val[K_OUT] > INT_MAX || val[K_IN] > INT_MAX) {
		snprintf(err, errlen, "--channel '%s': bad file descriptor", s);
		return -1;
	}
	out.gpa = val[K_GPA];
	out.size = val[K_SIZE];
	out.mem_fd = (int)val[K_MEM];
	out.out_fd = (int)val[K_OUT];
	out.in_fd = (int)val[K_IN];
	*c = out;
	return 0;
}

int channel_setup(unsigned idx, const struct channel_cfg *c, uint8_t **shm, char *err,
		  size_t errlen)
{
	struct stat st;
	if (idx >= CHANNEL_MAX) {
		snprintf(err, errlen, "at most %d channels per VM", CHANNEL_MAX);
		return -1;
	}
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
	/* The monitor reads `in` itself while the guest has no MSI (INTx):
	 * that read must never block the main loop, even when an irqfd took
	 * the count first. The flag is the open file's, shared with the peer,
	 * which only hands its copy to KVM as an ioeventfd. */
	int fl = fcntl(c->in_fd, F_GETFL);
	if (fl < 0 || fcntl(c->in_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "channel %u: incoming doorbell fd %d: %s", idx, c->in_fd,
			 strerror(errno));
		munmap(p, c->size);
		return -1;
	}
	/* A count already in the incoming eventfd is a doorbell the peer rang
	 * before this VM existed (while a restarted VM was down): delivered,
	 * the guest would take it at its first sti, before it has a handler.
	 * Start from zero: a read takes the whole count (eventfd(2)). */
	uint64_t stale;
	if (read(c->in_fd, &stale, sizeof(stale)) < 0 && errno != EAGAIN) {
		snprintf(err, errlen, "channel %u: incoming doorbell fd %d: %s", idx, c->in_fd,
			 strerror(errno));
		munmap(p, c->size);
		return -1;
	}
	*shm = p;
	return 0;
}
