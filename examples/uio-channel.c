/*
 * uio-channel: a Linux program that uses a channel between two VMs (the
 * PCI function of src/vmm/dev/chanpci.h; docs/system.md, "The channel
 * device") with nothing but the stock uio_pci_generic driver: no kernel
 * module of ours.
 *
 *   uio-channel pong [N]    answer N messages (default 3), then exit
 *   uio-channel ping [N]    send N messages to the other VM, check replies
 *   uio-channel info        the function's address, name, peer and size
 *
 * It finds the function in /sys/bus/pci/devices (vendor 0x1234, device
 * 0x6368; ID register "CHAN"), binds uio_pci_generic to it if nothing is
 * bound (new_id), maps BAR0 (registers) and BAR2 (shared memory) through
 * /sys/bus/pci/devices/ADDR/resource0 and resource2, and waits for the
 * doorbell interrupt on /dev/uioN: uio_pci_generic masks INTx with the
 * PCI 2.3 Interrupt Disable bit in its handler; we acknowledge the
 * device's PENDING register and unmask (a write of 1 to /dev/uioN, or on
 * kernels without uio_pci_generic's irqcontrol, clearing the bit through
 * ADDR/config).
 *
 * The protocol in the shared memory (little-endian):
 *   0x00 u32 request sequence (ping writes it last)
 *   0x04 u32 reply sequence (pong writes it last)
 *   0x40 request text (64 bytes)   0x80 reply text (128 bytes)
 * ping rings again every second until the reply comes: the other side may
 * not have started yet (a doorbell rung before it opened /dev/uioN is
 * still in PENDING, which pong reads first).
 *
 * Build: cc -O2 -o uio-channel examples/uio-channel.c (as root in the guest:
 * modprobe uio_pci_generic, then run it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VENDOR 0x1234
#define DEVICE 0x6368
#define R_DOORBELL 0x00
#define R_PENDING 0x04
#define R_ID 0x08
#define R_SIZE_LO 0x10
#define R_NAME 0x40
#define R_PEER 0x60
#define CHAN_ID 0x4e414843u
#define DRIVER "/sys/bus/pci/drivers/uio_pci_generic"

#define REQ_SEQ 0x00
#define RSP_SEQ 0x04
#define REQ_TEXT 0x40
#define RSP_TEXT 0x80

struct chan {
	char dev[300];       /* /sys/bus/pci/devices/ADDR */
	int uio;             /* /dev/uioN */
	int config;          /* ADDR/config: configuration space */
	volatile uint32_t *regs;
	volatile uint8_t *shm;
	size_t size;
};

static void die(const char *what)
{
	fprintf(stderr, "uio-channel: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long read_hex(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtol(buf, NULL, 16);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The first channel function in sysfs, into c->dev. */
static int find_function(struct chan *c)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[400];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (read_hex(p) != VENDOR)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (read_hex(p) != DEVICE)
			continue;
		snprintf(c->dev, sizeof(c->dev), "/sys/bus/pci/devices/%s", e->d_name);
		closedir(d);
		return 0;
	}
	closedir(d);
	return -1;
}

/* uio_pci_generic matches no device by itself: new_id hands it ours. */
static void bind_uio(struct chan *c)
{
	char p[400], link[400] = "";
	snprintf(p, sizeof(p), "%s/driver", c->dev);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (strstr(link, "uio_pci_generic"))
			return;
		fprintf(stderr, "uio-channel: %s is bound to %s; unbind it first\n", c->dev, link);
		exit(1);
	}
	char id[32];
	snprintf(id, sizeof(id), "%x %x", VENDOR, DEVICE);
	if (write_str(DRIVER "/new_id", id) && errno != EEXIST)
		die(DRIVER "/new_id (modprobe uio_pci_generic first)");
}

/* /dev/uioN from ADDR/uio/uioN, once the driver has made it. */
static void open_uio(struct chan *c)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/uio", c->dev);
	for (int i = 0; i < 100; i++) {
		DIR *d = opendir(p);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, "uio", 3) != 0)
				continue;
			char node[300];
			snprintf(node, sizeof(node), "/dev/%s", e->d_name);
			closedir(d);
			c->uio = open(node, O_RDWR);
			if (c->uio < 0)
				die(node);
			return;
		}
		if (d)
			closedir(d);
		usleep(100000);
	}
	fprintf(stderr, "uio-channel: %s has no uio device after 10 s\n", c->dev);
	exit(1);
}

static void *map_bar(struct chan *c, int bar, size_t *size)
{
	char p[400];
	struct stat st;
	snprintf(p, sizeof(p), "%s/resource%d", c->dev, bar);
	int fd = open(p, O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st) < 0)
		die(p);
	*size = (size_t)st.st_size;
	void *m = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die(p);
	close(fd);
	return m;
}

static void open_chan(struct chan *c)
{
	size_t bar0;
	if (find_function(c)) {
		fprintf(stderr, "uio-channel: no channel function (%04x:%04x) in "
				"/sys/bus/pci/devices\n", VENDOR, DEVICE);
		exit(1);
	}
	bind_uio(c);
	open_uio(c);
	char p[400];
	snprintf(p, sizeof(p), "%s/config", c->dev);
	c->config = open(p, O_RDWR);
	if (c->config < 0)
		die(p);
	c->regs = map_bar(c, 0, &bar0);
	c->shm = map_bar(c, 2, &c->size);
	if (c->regs[R_ID / 4] != CHAN_ID) {
		fprintf(stderr, "uio-channel: %s: ID register %#x, not a channel\n", c->dev,
			c->regs[R_ID / 4]);
		exit(1);
	}
	if (c->regs[R_SIZE_LO / 4] < c->size)
		c->size = c->regs[R_SIZE_LO / 4]; /* BAR2 may be larger than the region */
}

/* A register-page string, read with 32-bit loads (MMIO: no wider). */
static void reg_str(const struct chan *c, unsigned off, char out[33])
{
	for (unsigned i = 0; i < 32; i += 4) {
		uint32_t w = c->regs[(off + i) / 4];
		memcpy(out + i, &w, 4);
	}
	out[32] = '\0';
}

/* Unmasks the interrupt: clears COMMAND's Interrupt Disable (bit 10, bit 2
 * of configuration byte 5) that uio_pci_generic's handler set. Kernels
 * whose uio_pci_generic has irqcontrol do it for a write of 1 to
 * /dev/uioN; the others (Debian 12's 6.1) leave it to us, through the
 * function's config file, as the kernel's UIO HOWTO shows. */
static void irq_enable(const struct chan *c)
{
	int32_t on = 1;
	if (write(c->uio, &on, sizeof(on)) == sizeof(on))
		return;
	if (errno != ENOSYS)
		die("enable the interrupt (/dev/uioN)");
	uint8_t hi;
	if (pread(c->config, &hi, 1, 5) != 1)
		die("read COMMAND");
	hi &= (uint8_t)~0x4;
	if (pwrite(c->config, &hi, 1, 5) != 1)
		die("clear Interrupt Disable");
}

/* Waits up to ms for a doorbell: 1 when one came (acknowledged in
 * PENDING, the interrupt unmasked again), 0 on timeout. */
static int wait_bell(const struct chan *c, int ms)
{
	struct pollfd p = {c->uio, POLLIN, 0};
	int r = poll(&p, 1, ms);
	if (r < 0)
		die("poll /dev/uioN");
	int got = 0;
	if (r == 1) {
		uint32_t count;
		if (read(c->uio, &count, sizeof(count)) != sizeof(count))
			die("read /dev/uioN");
		got = 1;
	}
	/* Acknowledge before unmasking: a doorbell after this re-raises. */
	if (c->regs[R_PENDING / 4] & 1) {
		c->regs[R_PENDING / 4] = 1;
		got = 1;
	}
	if (got)
		irq_enable(c);
	return got;
}

static void ring(const struct chan *c)
{
	c->regs[R_DOORBELL / 4] = 1;
}

static volatile uint32_t *u32_at(const struct chan *c, size_t off)
{
	return (volatile uint32_t *)(c->shm + off);
}

static void copy_out(const struct chan *c, size_t off, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n >= max)
		n = max - 1;
	for (size_t i = 0; i < n; i++)
		c->shm[off + i] = (uint8_t)s[i];
	c->shm[off + n] = 0;
}

static void copy_in(const struct chan *c, size_t off, char *s, size_t max)
{
	size_t i;
	for (i = 0; i + 1 < max && c->shm[off + i]; i++)
		s[i] = (char)c->shm[off + i];
	s[i] = '\0';
}

static int pong(struct chan *c, unsigned n)
{
	unsigned answered = 0;
	uint32_t last = *u32_at(c, RSP_SEQ);
	irq_enable(c);
	printf("uio-channel: pong ready on %s\n", c->dev);
	fflush(stdout);
	for (int idle = 0; answered < n && idle < 120;) {
		/* PENDING first: a doorbell from before we opened /dev/uioN. */
		if (!wait_bell(c, 1000)) {
			idle++;
			continue;
		}
		idle = 0;
		uint32_t seq = *u32_at(c, REQ_SEQ);
		__sync_synchronize();
		if (seq == last)
			continue; /* a ring again for what we answered */
		char req[64], rsp[128];
		copy_in(c, REQ_TEXT, req, sizeof(req));
		snprintf(rsp, sizeof(rsp), "pong got: %s", req);
		copy_out(c, RSP_TEXT, rsp, 128);
		__sync_synchronize();
		*u32_at(c, RSP_SEQ) = seq;
		last = seq;
		ring(c);
		answered++;
		printf("uio-channel: answered %u: %s\n", seq, req);
		fflush(stdout);
	}
	printf("uio-channel: pong %s after %u messages\n", answered == n ? "done" : "gave up",
	       answered);
	return answered == n ? 0 : 1;
}

static int ping(struct chan *c, unsigned n)
{
	irq_enable(c);
	for (uint32_t seq = *u32_at(c, REQ_SEQ) + 1, i = 0; i < n; i++, seq++) {
		char req[64], rsp[128], want[128];
		const char *addr = strrchr(c->dev, '/');
		snprintf(req, sizeof(req), "ping %u over %.40s", (unsigned)seq, addr + 1);
		copy_out(c, REQ_TEXT, req, 64);
		__sync_synchronize();
		*u32_at(c, REQ_SEQ) = seq;
		ring(c);
		int waited = 0;
		while (*u32_at(c, RSP_SEQ) != seq) {
			if (!wait_bell(c, 1000)) {
				if (++waited >= 120) {
					printf("uio-channel: FAIL no reply to %u in 120 s\n",
					       (unsigned)seq);
					return 1;
				}
				ring(c); /* the peer may have come up since */
			}
		}
		__sync_synchronize();
		copy_in(c, RSP_TEXT, rsp, sizeof(rsp));
		snprintf(want, sizeof(want), "pong got: %s", req);
		if (strcmp(rsp, want) != 0) {
			printf("uio-channel: FAIL reply %u is '%s'\n", (unsigned)seq, rsp);
			return 1;
		}
		printf("uio-channel: reply %u: %s\n", (unsigned)seq, rsp);
		fflush(stdout);
	}
	printf("uio-channel: ping done, %u replies\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct chan c = {.uio = -1, .config = -1};
	unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 3;
	if (argc < 2 || (strcmp(argv[1], "ping") && strcmp(argv[1], "pong") &&
			 strcmp(argv[1], "info"))) {
		fprintf(stderr, "usage: uio-channel ping|pong|info [N]\n");
		return 2;
	}
	open_chan(&c);
	char name[33], peer[33];
	reg_str(&c, R_NAME, name);
	reg_str(&c, R_PEER, peer);
	printf("uio-channel: %s: channel \"%s\" to \"%s\", %zu bytes\n", c.dev, name, peer,
	       c.size);
	fflush(stdout);
	if (!strcmp(argv[1], "info"))
		return 0;
	return !strcmp(argv[1], "ping") ? ping(&c, n) : pong(&c, n);
}
