/*
 * machine: assembles a VM from the parts and runs it; the board
 * (arch/x86/pc.c, arch/arm64/virt.c) adds what its architecture has.
 *
 * Start-up order: open KVM, map RAM, load the kernel (so a bad image fails
 * before anything else is created), create the VM and vCPUs, wire the
 * devices, set the boot CPU's state, then start one thread per vCPU. The
 * main thread then owns the terminal and signals: it feeds stdin to the
 * board's UART, writes the console's output queue to its destination, turns SIGINT/SIGTERM
 * into a clean stop, and once a second asks the vCPUs whether the guest is
 * dead (every vCPU halted with interrupts off), which an in-kernel LAPIC
 * would otherwise hide from us forever.
 *
 * No host write on a vCPU's path waits: COM1's bytes go into a bounded
 * queue (outq.h) that the main loop drains with non-blocking writes, and
 * messages go out with one non-blocking write each (vlog.h). So a stdout or
 * stderr that nobody reads slows the guest's console (its UART reports a
 * busy line) but never keeps a vCPU, or the stop, from going on.
 */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "channel.h"
#include "chanpci.h"
#include "cpulist.h"
#include "loader.h"
#include "outq.h"
#include "pci.h"
#include "rng.h"
#include "sandbox.h"
#include "vlog.h"

static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
		tty_raw = false;
	}
}

/* Raw input so the guest sees each key as typed, but ISIG stays on: Ctrl-C
 * stops the VM (the documented way out) rather than reaching the guest. */
static void tty_make_raw(void)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return;
	struct termios t = saved_tty;
	cfmakeraw(&t);
	t.c_lflag |= ISIG;
	t.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
		tty_raw = true;
		atexit(tty_restore);
	}
}

bool machine_stop(struct machine *m, int status, const char *fmt, ...)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&m->stopping, &expected, 1))
		return false;
	m->status = status;
	if (fmt) {
		char msg[VLOG_MAX - 8];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		/* Restore the terminal first so the message lands on a sane
		 * line. The message is one non-blocking write (vlog): the stop
		 * never waits for a stderr nobody reads, nor for its lock. */
		tty_restore();
		vlog("%s", msg);
	}
	uint64_t one = 1;
	if (write(m->stop_efd, &one, sizeof(one)) < 0) {
		/* The eventfd cannot be full after one write; nothing to do. */
	}
	for (unsigned i = 0; i < m->kvm.nvcpus; i++)
		vcpu_kick(m, i);
	return true;
}

/* COM1's sink, called by the UART with its lock held: the byte goes into
 * the output queue, never to the descriptor itself. A full queue makes the
 * UART's transmitter busy until the main loop has drained some of it. */
bool machine_serial_tx(void *ctx, uint8_t byte)
{
	return outq_push(ctx, byte);
}

void machine_debug_exit(void *ctx, int status, uint32_t value)
{
	if (status == VMM_EXIT_DEBUG_RANGE)
		machine_stop(ctx, status,
			     "guest wrote %" PRIu32 " to the debug-exit port; exit statuses carry "
			     "only 0..%d",
			     value, VMM_DEBUG_EXIT_MAX);
	else
		machine_stop(ctx, status, NULL);
}

/* Reset (i8042 pulse, ACPI reset register, PSCI SYSTEM_RESET) and
 * power-off both end the run cleanly: the monitor has no firmware to reboot into. */
void machine_on_reset(void *ctx)
{
	machine_stop(ctx, VMM_EXIT_OK, NULL);
}

/* ---- channels (--channel; chanpci.h) -----------------------------------
 *
 * Each channel is a PCI function. Firmware's job, done here: BAR2 (the
 * region) at the channel's gpa, BAR0 (the register page, doorbell at
 * offset 0) right above it, memory decode and bus mastering on, as for
 * the GPIO. Memory slots 0 and 1 are guest RAM (kvm.c); channels take 2..;
 * their MSI routes follow the GPIO's GSI. The functions take slots after
 * the virtio devices, so those keep the slots (and names) they had.
 */
#define CHAN_SLOT0 2
#define CHAN_GSI(i) (KVM_FIRST_MSI_GSI + 1u + (i))

static struct chanpci chans[CHANNEL_MAX];
static const struct channel_cfg *chan_cfg;
static unsigned nchans;
static bool chan_irqfd[CHANNEL_MAX];
static int chan_wake_fd = -1; /* tells the main loop which in_fds to read */

static int chan_map(void *ctx, unsigned idx, bool on, uint64_t gpa)
{
	struct kvm_vm *vm = ctx;
	struct kvm_userspace_memory_region r = {
		.slot = CHAN_SLOT0 + idx, .guest_phys_addr = gpa,
		.memory_size = on ? chans[idx].size : 0,
		.userspace_addr = (uint64_t)(uintptr_t)chans[idx].shm,
	};
	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static int chan_doorbell(void *ctx, unsigned idx, bool on, uint64_t addr)
{
	if (!kvm_check_cap(ctx, KVM_CAP_IOEVENTFD))
		return -1;
	return kvm_ioeventfd(ctx, chan_cfg[idx].out_fd, addr, 4, on);
}

static int chan_msi_path(void *ctx, unsigned idx, bool on, uint64_t addr, uint32_t data)
{
	struct kvm_vm *vm = ctx;
	if (!on) {
		if (chan_irqfd[idx] && kvm_irqfd(vm, chan_cfg[idx].in_fd, CHAN_GSI(idx), false))
			return -1;
		chan_irqfd[idx] = false;
		return 0;
	}
	if (!kvm_check_cap(vm, KVM_CAP_IRQFD) || !kvm_check_cap(vm, KVM_CAP_IRQ_ROUTING) ||
	    kvm_route_msi(vm, CHAN_GSI(idx), addr, data))
		return -1;
	if (!chan_irqfd[idx] && kvm_irqfd(vm, chan_cfg[idx].in_fd, CHAN_GSI(idx), true)) {
		vlog_guest(VLOG_GPIO, "channel %u: kernel interrupt path unavailable (%s); the "
				      "monitor serves the doorbell", idx, strerror(errno));
		return -1;
	}
	chan_irqfd[idx] = true;
	return 0;
}

static int chan_msi(void *ctx, uint64_t addr, uint32_t data)
{
	return kvm_signal_msi(ctx, addr, data);
}

static int chan_ring(void *ctx, unsigned idx)
{
	uint64_t one = 1;
	(void)ctx;
	return write(chan_cfg[idx].out_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

static void chan_wake(void *ctx)
{
	uint64_t one = 1;
	(void)ctx;
	if (chan_wake_fd >= 0 && write(chan_wake_fd, &one, sizeof(one)) < 0)
		return; /* the count is non-zero already */
}

static int chan_add(struct machine *m, struct pci_bus *pci, const struct machine_config *cfg,
		    uint8_t *const *shm, char *err, size_t errlen)
{
	chan_cfg = cfg->chans;
	if (!cfg->nchans)
		return 0;
	chan_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (chan_wake_fd < 0) {
		snprintf(err, errlen, "channels: eventfd: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < cfg->nchans; i++) {
		const struct channel_cfg *c = &cfg->chans[i];
		struct chanpci *d = &chans[i];
		chanpci_init(d, i, shm[i], c->size, c->name, c->peer, &m->mmio,
			     (struct irq_line){kvm_irq_line, &m->kvm, 0},
			     (struct chanpci_ops){chan_map, chan_doorbell, chan_msi_path, chan_msi,
						  chan_ring, chan_wake, &m->kvm});
		int slot = pci_add(pci, &d->pci);
		if (slot < 0) {
			snprintf(err, errlen, "--channel %u: PCI bus 0 is full", i + 1);
			return -1;
		}
		nchans++;
		if (chanpci_add_caps(d)) {
			fprintf(stderr, "vmm: internal error: channel %u: MSI does not fit\n", i);
			abort();
		}
		/* The board routes INTx for slots 1-8 only (the PC's DSDT):
		 * beyond, MSI only. */
		if (slot <= 8) {
			d->intx.gsi = board_pci_intx_gsi((unsigned)slot, 1u);
			pci_cfg_write(pci, (unsigned)slot, 0, 0x3c, 1, d->intx.gsi);
		} else {
			d->pci.cfg[0x3d] = 0; /* no interrupt pin; before the guest runs */
		}
		pci_cfg_write(pci, (unsigned)slot, 0, 0x18, 4, (uint32_t)c->gpa);
		pci_cfg_write(pci, (unsigned)slot, 0, 0x10, 4, (uint32_t)(c->gpa + c->size));
		pci_cfg_write(pci, (unsigned)slot, 0, 0x04, 2, 0x6); /* memory space, bus master */
		if (!d->bar0_on || !d->bar2_on) {
			snprintf(err, errlen, "--channel %u at %#llx: its region or register page "
					      "overlaps another device", i + 1,
				 (unsigned long long)c->gpa);
			return -1;
		}
	}
	return 0;
}

/* What the sandbox keeps for the channels: the doorbell eventfds (the
 * main loop reads `in` while the guest uses INTx; a vCPU writes `out`
 * where no ioeventfd could be had) and the main loop's wake-up. */
static void chan_sandbox(struct sandbox_opts *sb)
{
	for (unsigned i = 0; i < nchans && sb->ndev + 2 <= SANDBOX_MAX_DEV_FDS; i++) {
		sb->dev_fds[sb->ndev++] = chan_cfg[i].in_fd;
		sb->dev_fds[sb->ndev++] = chan_cfg[i].out_fd;
	}
	if (chan_wake_fd >= 0 && sb->ndev < SANDBOX_MAX_DEV_FDS)
		sb->dev_fds[sb->ndev++] = chan_wake_fd;
	sb->move_slots = nchans > 0;
}

/* ---- virtio devices (--disk, --rng) ------------------------------------
 *
 * Each is a PCI function with its own worker thread (virtio_pci.h). Disks
 * take the first free slots in the order given, so Linux names them vda,
 * vdb, ... in that order; the entropy device follows. Firmware's job, done
 * here as for the GPIO: BAR0 gets an address, memory decode is turned on.
 * The BARs sit in a window the board chooses (board_virtio_bar_base: on
 * the PC the MMIO hole below the channels', which start at 0xc1000000,
 * and above the GPIO's); each device's MSI-X vectors
 * have GSIs of their own from VIRTIO_GSI_BASE, above the channels'.
 */
#define VIRTIO_GSI_BASE 32u
#define VIRTIO_MAX_DEVS (VIRTIO_BLK_MAX + 4) /* disks, rng, net, vsock, console */

static struct virtio_blk vio_disks[VIRTIO_BLK_MAX];
static unsigned vio_ndisks;
static struct virtio_rng vio_rng;
static bool vio_rng_on;
static struct virtio_net vio_net;
static bool vio_net_on;
static struct virtio_vsock vio_vsock;
static bool vio_vsock_on;
static struct virtio_console vio_console;
static bool vio_console_on;
static struct virtio_pci *vio_devs[VIRTIO_MAX_DEVS];
static unsigned vio_ndevs;

/* Each device's hooks get its own context: the VM and the device's
 * requester ID, which its MSIs carry where the interrupt controller
 * translates by sender (arm64's ITS: kvm.h, kvm_route_msi_from). */
struct vio_ctx {
	struct kvm_vm *vm;
	uint32_t devid; /* bus 0: device << 3, function 0 (set by vio_place) */
};
static struct vio_ctx vio_ctxs[VIRTIO_MAX_DEVS];

static int vio_route(void *ctx, unsigned gsi, uint64_t addr, uint32_t data)
{
	struct vio_ctx *c = ctx;
	return kvm_route_msi_from(c->vm, gsi, c->devid, addr, data);
}

static int vio_irqfd(void *ctx, int fd, unsigned gsi)
{
	struct vio_ctx *c = ctx;
	return kvm_irqfd(c->vm, fd, gsi, true);
}

/* Linux's virtio_pci notifies with a 2-byte write of the queue index. */
static int vio_ioeventfd(void *ctx, int fd, uint64_t addr, bool assign)
{
	struct vio_ctx *c = ctx;
	return kvm_ioeventfd(c->vm, fd, addr, 2, assign);
}

static int vio_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct vio_ctx *c = ctx;
	return kvm_signal_msi_from(c->vm, c->devid, addr, data);
}

static struct virtio_pci_hooks vio_hooks(struct machine *m)
{
	bool kernel = kvm_check_cap(&m->kvm, KVM_CAP_IRQFD) &&
		      kvm_check_cap(&m->kvm, KVM_CAP_IOEVENTFD) &&
		      kvm_check_cap(&m->kvm, KVM_CAP_IRQ_ROUTING);
	/* vio_place counts the device in; it is the next. VIRTIO_MAX_DEVS
	 * is every device the configuration can ask for, so a next one past
	 * it is our bug, not the user's (it would share device 0's context). */
	if (vio_ndevs >= VIRTIO_MAX_DEVS) {
		fprintf(stderr, "vmm: internal error: more than %d virtio devices\n",
			VIRTIO_MAX_DEVS);
		abort();
	}
	struct vio_ctx *c = &vio_ctxs[vio_ndevs];
	*c = (struct vio_ctx){&m->kvm, 0};
	return (struct virtio_pci_hooks){
		.route = kernel ? vio_route : NULL,
		.irqfd = kernel ? vio_irqfd : NULL,
		.ioeventfd = kernel ? vio_ioeventfd : NULL,
		.msi = vio_msi,
		.ctx = c,
		/* INTx is wired once the device has its slot (vio_place): a
		 * line set before that would drive GSI 0 (on arm64 not a valid
		 * interrupt at all). */
		.intx = {NULL, NULL, 0},
		.gsi_base = VIRTIO_GSI_BASE + vio_ndevs * (VIRTIO_MAX_QUEUES + 1),
	};
}

static int vio_place(struct pci_bus *pci, struct virtio_pci *vp, char *err, size_t errlen)
{
	int slot = pci_add(pci, &vp->pci);
	if (slot < 0 || slot > 8) {
		snprintf(err, errlen, "%s: no PCI slot with an interrupt route left", vp->role);
		return -1;
	}
	if (virtio_pci_add_caps(vp)) {
		fprintf(stderr, "vmm: internal error: %s: capabilities do not fit\n", vp->role);
		abort();
	}
	struct vio_ctx *c = vp->hooks.ctx;
	c->devid = (uint32_t)slot << 3; /* PCIe Base 4.0 sec. 2.2.6.2: bus 0, function 0 */
	vp->hooks.intx = (struct irq_line){kvm_irq_line, c->vm,
					   board_pci_intx_gsi((unsigned)slot, 1u)};
	pci_cfg_write(pci, (unsigned)slot, 0, 0x3c, 1, vp->hooks.intx.gsi);
	pci_cfg_write(pci, (unsigned)slot, 0, 0x10, 4,
		      board_virtio_bar_base() + (uint32_t)slot * VIRTIO_PCI_BAR_SIZE);
	pci_cfg_write(pci, (unsigned)slot, 0, 0x04, 2, 0x2); /* memory space */
	vio_devs[vio_ndevs++] = vp;
	return 0;
}

/* Opens the images and builds the devices: before the sandbox, so a bad
 * --disk stops here with status 2 and nothing has run. */
static int vio_add(struct machine *m, struct pci_bus *pci, const struct machine_config *cfg,
		   char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		struct virtio_pci_hooks h = vio_hooks(m);
		if (virtio_blk_init(&vio_disks[i], i, &cfg->disks[i], &m->mem, &m->mmio, &h, err,
				    errlen))
			return -1;
		vio_ndisks++;
		if (vio_place(pci, &vio_disks[i].vp, err, errlen))
			return -1;
	}
	if (cfg->rng) {
		struct virtio_pci_hooks h = vio_hooks(m);
		if (virtio_rng_init(&vio_rng, &m->mem, &m->mmio, &h, err, errlen))
			return -1;
		vio_rng_on = true;
		if (vio_place(pci, &vio_rng.vp, err, errlen))
			return -1;
	}
	/* The TAP and the vsock listening socket are opened here, before
	 * the sandbox, like the images. */
	if (cfg->has_net) {
		struct virtio_pci_hooks h = vio_hooks(m);
		if (virtio_net_init(&vio_net, &cfg->net, &m->mem, &m->mmio, &h, err, errlen))
			return -1;
		vio_net_on = true;
		if (vio_place(pci, &vio_net.vp, err, errlen))
			return -1;
	}
	if (cfg->has_vsock) {
		struct virtio_pci_hooks h = vio_hooks(m);
		if (virtio_vsock_init(&vio_vsock, &cfg->vsock, &m->mem, &m->mmio, &h, err, errlen))
			return -1;
		vio_vsock_on = true;
		if (vio_place(pci, &vio_vsock.vp, err, errlen))
			return -1;
	}
	/* The ports' sockets: inherited ones checked, paths connected. */
	if (cfg->nports) {
		struct virtio_pci_hooks h = vio_hooks(m);
		if (virtio_console_init(&vio_console, cfg->ports, cfg->nports, &m->mem, &m->mmio,
					&h, err, errlen))
			return -1;
		vio_console_on = true;
		if (vio_place(pci, &vio_console.vp, err, errlen))
			return -1;
	}
	return 0;
}

const struct virtio_blk *machine_disk(unsigned i)
{
	return i < vio_ndisks ? &vio_disks[i] : NULL;
}

/* The workers wait at the sandbox gate like the vCPUs. Returns how many
 * started. */
static unsigned vio_start(struct machine *m)
{
	char err[256];
	for (unsigned i = 0; i < vio_ndevs; i++)
		if (virtio_pci_start(vio_devs[i], true, err, sizeof(err))) {
			machine_stop(m, VMM_EXIT_CONFIG, "%s", err);
			return i;
		}
	return vio_ndevs;
}

/* --io-cpus (cpulist.h): the device workers on their CPUs, the vCPUs off
 * them. Before the sandbox, while every thread still waits at its gate,
 * so no guest instruction and no request runs on the wrong CPU. */
static int place_threads(struct machine *m, const struct machine_config *cfg, unsigned vcpus,
			 unsigned workers, char *err, size_t errlen)
{
	if (!cfg->has_io_cpus)
		return 0;
	/* --pin has placed each vCPU already (rt.c), on CPUs main.c checked
	 * to be apart from the I/O CPUs. */
	for (unsigned i = 0; cfg->rt.npin == 0 && i < vcpus; i++) {
		char name[16];
		snprintf(name, sizeof(name), "vcpu%u", i);
		if (cpulist_pin(m->vs[i].tid, name, &cfg->vcpu_cpus, err, errlen))
			return -1;
	}
	for (unsigned i = 0; i < workers; i++)
		if (cpulist_pin(vio_devs[i]->thread, vio_devs[i]->role, &cfg->io_cpus, err, errlen))
			return -1;
	return 0;
}

/* What the sandbox keeps: the devices' eventfds, and the images. */
static void vio_sandbox(struct sandbox_opts *sb)
{
	for (unsigned i = 0; i < vio_ndevs; i++)
		sb->ndev += virtio_pci_fds(vio_devs[i], sb->dev_fds + sb->ndev,
					   SANDBOX_MAX_DEV_FDS - sb->ndev);
	for (unsigned i = 0; i < vio_ndisks && sb->ndisk < SANDBOX_MAX_DISKS; i++)
		sb->disk_fds[sb->ndisk++] = vio_disks[i].fd;
	if (vio_net_on)
		sb->tap_fds[sb->ntap++] = vio_net.tap.fd;
	if (vio_vsock_on) {
		sb->epoll_fds[sb->nepoll++] = vsock_conn_fd(vio_vsock.t);
		sb->listen_fds[sb->nlisten++] = vsock_conn_listen_fd(vio_vsock.t);
		/* The peers' sockets: send and recv, whose rules name no fd. */
		for (unsigned i = 0; i < vsock_peers_count(vio_vsock.ps) &&
				     sb->nkeep < SANDBOX_MAX_KEEP_FDS; i++)
			sb->keep_fds[sb->nkeep++] = vsock_peers_fd(vio_vsock.ps, i);
	}
	if (vio_console_on) {
		sb->epoll_fds[sb->nepoll++] = vio_console.epfd;
		sb->nkeep += virtio_console_sockets(&vio_console, sb->keep_fds + sb->nkeep,
						    SANDBOX_MAX_KEEP_FDS - sb->nkeep);
	}
}

/* After the vCPUs stopped: the workers stop, the images close. */
static void vio_free(void)
{
	for (unsigned i = 0; i < vio_ndisks; i++)
		virtio_blk_free(&vio_disks[i]);
	if (vio_rng_on)
		virtio_pci_free(&vio_rng.vp);
	if (vio_net_on)
		virtio_net_free(&vio_net);
	if (vio_vsock_on)
		virtio_vsock_free(&vio_vsock);
	if (vio_console_on)
		virtio_console_free(&vio_console);
	vio_ndisks = vio_ndevs = 0;
	vio_rng_on = vio_net_on = vio_vsock_on = vio_console_on = false;
}

static void sigusr1_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN; vcpu_kick set immediate_exit */
}

/* A vCPU thread waits at the sandbox's gate before its first KVM_RUN. */
static void *vcpu_gated(void *arg)
{
	sandbox_hold(((struct vcpu_arg *)arg)->idx);
	return vcpu_thread(arg);
}

/* COM1's destination. *in_fd is where input comes from, -1 for none. */
static int open_serial(const char *spec, bool *is_stdio, int *in_fd, char *err, size_t errlen)
{
	*is_stdio = false;
	*in_fd = -1;
	if (!spec || strcmp(spec, "stdio") == 0) {
		*is_stdio = true;
		*in_fd = STDIN_FILENO;
		return STDOUT_FILENO;
	}
	if (strncmp(spec, "fd:", 3) == 0) {
		char *end;
		long fd = strtol(spec + 3, &end, 10);
		if (spec[3] && !*end && fd > 2 && fd < 65536 && fcntl((int)fd, F_GETFD) >= 0) {
			*in_fd = (int)fd;
			return (int)fd;
		}
		snprintf(err, errlen, "--serial %s: not an open file descriptor above 2", spec);
		return -1;
	}
	if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
		int fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			snprintf(err, errlen, "--serial %s: %s", spec, strerror(errno));
		return fd;
	}
	snprintf(err, errlen, "--serial %s: expected 'stdio', 'file:PATH' or 'fd:N'", spec);
	return -1;
}

/* Costs a working guest nothing: true when some vCPU has left guest mode
 * since the last look, by KVM's own exit counter (kstats.h), read without
 * disturbing it. A dead guest's vCPUs (halted with IF=0, or never started)
 * make no exits at all, so the check below still finds it, a second later
 * at most; a vCPU whose counter cannot be read counts as quiet (today's
 * kick). */
static bool vcpus_moved(struct machine *m)
{
	bool moved = false;
	for (unsigned i = 0; i < m->kvm.nvcpus; i++) {
		uint64_t e;
		if (kstats_exits(&m->vs[i].stats, &e))
			continue;
		moved = moved || e != m->vs[i].last_exits;
		m->vs[i].last_exits = e;
	}
	return moved;
}

/* Once a second: if every vCPU reported itself dead at the last check and
 * the boot CPU is halted with interrupts off, the guest can never run
 * again. Then ask for fresh reports. Two consecutive checks are needed, so
 * a vCPU caught between `cli` and `sti` does not end a live guest. A guest
 * whose vCPUs have run since the last check is alive: no reports, no kick
 * (vcpus_moved). */
static bool dead_check(struct machine *m, int *strikes)
{
	if (vcpus_moved(m)) {
		*strikes = 0;
		for (unsigned i = 0; i < m->kvm.nvcpus; i++)
			atomic_store(&m->vs[i].idle_dead, 0);
		return false;
	}
	bool all = m->kvm.nvcpus > 0 && atomic_load(&m->vs[0].halted_if0);
	for (unsigned i = 0; i < m->kvm.nvcpus; i++)
		all = all && atomic_load(&m->vs[i].idle_dead);
	*strikes = all ? *strikes + 1 : 0;
	if (*strikes >= 2) {
		/* The registers are dumped once the vCPU threads have ended
		 * (machine_run): one may still be answering a report. */
		m->dump_vcpu0 = machine_stop(
			m, VMM_EXIT_HALTED,
			"vCPU 0: guest halted with interrupts disabled; it cannot continue");
		return true;
	}
	for (unsigned i = 0; i < m->kvm.nvcpus; i++) {
		atomic_store(&m->vs[i].check, 1);
		atomic_fetch_add_explicit(&m->vs[i].kicks, 1, memory_order_relaxed);
		vcpu_kick(m, i);
	}
	return false;
}

static void main_loop(struct machine *m, int sfd, const struct board_console *con,
		      struct outq *out, int in_fd)
{
	bool input = in_fd >= 0;
	uint8_t pend[256];
	size_t npend = 0, off = 0;
	int strikes = 0;
	while (!atomic_load(&m->stopping)) {
		sandbox_tick(); /* --test-forbidden-syscall */
		bool pending = outq_pending(out);
		struct pollfd p[6 + CHANNEL_MAX] = {
			{sfd, POLLIN, 0},
			{m->stop_efd, POLLIN, 0},
			{input && npend == 0 ? in_fd : -1, POLLIN, 0},
			{out->wake_fd, POLLIN, 0},
			{pending ? out->fd : -1, POLLOUT, 0},
			{chan_wake_fd, POLLIN, 0},
		};
		/* A channel's incoming doorbells, while no irqfd takes them. */
		for (unsigned i = 0; i < nchans; i++)
			p[6 + i] = (struct pollfd){
				chanpci_monitor_reads(&chans[i]) ? chan_cfg[i].in_fd : -1, POLLIN, 0};
		int r = poll(p, 6 + nchans, npend ? 10 : 1000);
		if (r < 0 && errno != EINTR) {
			/* Leaving without a stop would wait for ever for the
			 * vCPU threads. */
			machine_stop(m, VMM_EXIT_KVM_ERROR, "main loop: poll: %s", strerror(errno));
			break;
		}
		/* A real-time VM is never kicked by the monitor: its dead-guest
		 * check is off (rt.h). */
		if (r == 0 && !npend && !m->realtime && dead_check(m, &strikes))
			break;
		/* COM1's output: what the destination takes now; a transmitter
		 * that was busy is free again once there is room. */
		if ((p[3].revents & POLLIN) || (p[4].revents & (POLLOUT | POLLERR | POLLHUP))) {
			if (outq_drain(out))
				con->tx_ready(con->dev);
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				machine_stop(m, si.ssi_signo == SIGINT ? VMM_EXIT_SIGINT
								    : VMM_EXIT_SIGTERM,
					     "stopped by %s", strsignal((int)si.ssi_signo));
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(in_fd, pend, sizeof(pend));
			if (n > 0)
				npend = (size_t)n, off = 0;
			else if (n == 0 || (errno != EAGAIN && errno != EINTR))
				input = false; /* EOF: the guest just gets no more input */
		}
		uint64_t cnt;
		if ((p[5].revents & POLLIN) && read(chan_wake_fd, &cnt, sizeof(cnt)) < 0)
			cnt = 0; /* drained already */
		for (unsigned i = 0; i < nchans; i++)
			if ((p[6 + i].revents & POLLIN) &&
			    read(chan_cfg[i].in_fd, &cnt, sizeof(cnt)) == sizeof(cnt) && cnt)
				chanpci_incoming(&chans[i]);
		if (npend) {
			size_t took = con->receive(con->dev, pend + off, npend);
			off += took;
			npend -= took;
		}
	}
}

int machine_run(const struct machine_config *cfg)
{
	static struct machine mach; /* large (a state per vCPU), one per process */
	struct machine *m = &mach;
	char err[512] = "";
	int status = VMM_EXIT_CONFIG;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t ksize = 0, isize = 0;
	struct board_console con = {0};
	int serial_fd = -1, serial_in = -1, sfd = -1;
	bool serial_stdio = false;
	struct pci_bus pci;
	unsigned started = 0;
	static struct outq out; /* COM1's output */
	bool out_ok = false;

	memset(m, 0, sizeof(*m));
	m->stop_efd = -1;
	m->kvm.sys_fd = m->kvm.fd = -1;
	m->strict_io = cfg->strict_io;
	m->pio = (struct bus)BUS_INIT("pio");
	m->mmio = (struct bus)BUS_INIT("mmio");
	pthread_mutex_init(&m->log_lock, NULL);

	/* Passthrough's host checks come first: without an IOMMU, VFIO or
	 * the right binding nothing else is worth doing (vfio.h). */
	if (cfg->nvfio && vfio_check(cfg->vfio, cfg->nvfio, cfg->mem, err, sizeof(err)))
		goto out;
	/* With --firmware there is no kernel to read: the board loads the
	 * firmware image instead (board_load). */
	if (!cfg->firmware && load_file(cfg->kernel, &kernel, &ksize, err, sizeof(err)))
		goto out;
	if (cfg->initrd && load_file(cfg->initrd, &initrd, &isize, err, sizeof(err)))
		goto out;
	if (kvm_open(&m->kvm, err, sizeof(err)))
		goto out;
	if (board_mem_init(&m->mem, cfg->mem)) {
		snprintf(err, sizeof(err), "--mem: cannot map %llu bytes of guest RAM: %s",
			 (unsigned long long)cfg->mem, strerror(errno));
		goto out;
	}
	if (rt_check(&cfg->rt, cfg->cpus, err, sizeof(err)) ||
	    rt_lock_memory(&cfg->rt, &m->mem, err, sizeof(err)))
		goto out;
	m->kvm.rt = &cfg->rt;
	m->realtime = cfg->rt.realtime;
	struct board_env be = {
		.m = m, .cfg = cfg, .pci = &pci, .out = &out,
		.kernel = kernel, .kernel_size = ksize, .initrd = initrd, .initrd_size = isize,
	};
	/* The TSC frequency goes into the boot block, so create the VM first
	 * and load second; loading is still before any vCPU runs. */
	if (kvm_create_vm(&m->kvm, &m->mem, cfg->cpus, err, sizeof(err)))
		goto out;
	uint8_t *chan_shm[CHANNEL_MAX] = {0};
	for (unsigned i = 0; i < cfg->nchans; i++)
		if (channel_setup(i, &cfg->chans[i], &chan_shm[i], err, sizeof(err)))
			goto out;
	if (board_load(&be, err, sizeof(err)))
		goto out;
	/* The kernel and initrd stay: a board may serve them again (fw_cfg). */

	serial_fd = open_serial(cfg->serial, &serial_stdio, &serial_in, err, sizeof(err));
	if (serial_fd < 0)
		goto out;
	/* COM1's destination may be a pipe nobody reads: writes to it must
	 * not block, and they come from the main loop only. */
	(void)outq_nonblock(serial_fd);
	if (outq_init(&out, serial_fd, OUTQ_SERIAL_SIZE)) {
		snprintf(err, sizeof(err), "COM1 output queue: %s", strerror(errno));
		goto out;
	}
	out_ok = true;
	m->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (m->stop_efd < 0) {
		snprintf(err, sizeof(err), "eventfd: %s", strerror(errno));
		goto out;
	}

	/* Devices: the board's own, the virtio devices, passthrough, then
	 * what the board adds once every PCI function is in place (tables
	 * that list them, the boot CPU's state). */
	pci_init(&pci);
	if (board_devices(&be, &con, err, sizeof(err)))
		goto out;
	if (vio_add(m, &pci, cfg, err, sizeof(err)))
		goto out;
	if (chan_add(m, &pci, cfg, chan_shm, err, sizeof(err)))
		goto out;
	struct vfio_env venv = {&m->kvm, &m->mem, &m->mmio, &m->pio, &pci};
	if (vfio_attach(&venv, cfg->vfio, cfg->nvfio, err, sizeof(err)))
		goto out;
	if (board_finish(&be, err, sizeof(err)))
		goto out;

	/* Signals: SIGINT/SIGTERM are read from a signalfd by the main thread
	 * only; SIGUSR1 kicks vCPU threads (unblocked there). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = sigusr1_handler};
	sigaction(SIGUSR1, &sa, NULL);
	sigdelset(&set, SIGUSR1);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		snprintf(err, sizeof(err), "signalfd: %s", strerror(errno));
		goto out;
	}
	if (serial_stdio)
		tty_make_raw();
	/* From here on messages may come from vCPUs (guest-triggered) and
	 * from the stop: stderr must not block either. */
	vlog_init();

	static struct vcpu_arg args[KVM_MAX_VCPUS];
	for (started = 0; started < m->kvm.nvcpus; started++) {
		args[started] = (struct vcpu_arg){m, started};
		int e = pthread_create(&m->vs[started].tid, NULL, vcpu_gated, &args[started]);
		if (e) {
			machine_stop(m, VMM_EXIT_CONFIG, "cannot start vCPU thread %u: %s", started,
				     strerror(e));
			break;
		}
		m->vs[started].started = true;
		char name[16];
		snprintf(name, sizeof(name), "vcpu%u", started);
		pthread_setname_np(m->vs[started].tid, name); /* for ps, top, the tests */
		/* Pinning and SCHED_FIFO while the thread waits at the gate:
		 * before the sandbox, so its policy needs neither call. */
		char rerr[400];
		if (rt_vcpu_setup(&cfg->rt, started, (unsigned long)m->vs[started].tid, rerr,
				  sizeof(rerr))) {
			started++;
			machine_stop(m, VMM_EXIT_CONFIG, "%s", rerr);
			break;
		}
	}
	if (cfg->has_io_cpus)
		for (unsigned i = 0; i < vio_ndevs; i++)
			vio_devs[i]->poll_ns = 1000u * (uint32_t)cfg->io_poll_us;
	unsigned vio_started = atomic_load(&m->stopping) ? 0 : vio_start(m);
	if (!atomic_load(&m->stopping) &&
	    place_threads(m, cfg, started, vio_started, err, sizeof(err)))
		machine_stop(m, VMM_EXIT_CONFIG, "--io-cpus: %s", err);
	/* Set-up is over: the sandbox goes on while the vCPU threads wait at
	 * its gate, so no thread ever runs the guest unfiltered (sandbox.h). */
	/* Each vCPU's KVM statistics, for the liveness check (kstats.h). */
	for (unsigned i = 0; i < m->kvm.nvcpus; i++)
		kstats_open(&m->vs[i].stats, m->kvm.vcpu[i].fd);
	struct sandbox_opts sb = {
		.enabled = !cfg->no_sandbox, .kvm = &m->kvm,
		.read_fds = {sfd, serial_in, out.wake_fd}, .nread = 3,
		.write_fds = {serial_fd, m->stop_efd, out.wake_fd}, .nwrite = 3,
		.tty_fd = tty_raw ? STDIN_FILENO : -1, .tty_saved = &saved_tty,
		.threads = started + vio_started, .test_forbidden_s = cfg->test_forbidden_s,
	};
	for (unsigned i = 0; i < m->kvm.nvcpus && i < SANDBOX_MAX_STATS; i++)
		sb.stats_fds[sb.nstats++] = m->vs[i].stats.fd;
	vio_sandbox(&sb);
	chan_sandbox(&sb);
	board_sandbox(&sb);
	vfio_sandbox(&sb);
	char serr[256];
	if (!atomic_load(&m->stopping) && sandbox_enter(&sb, serr, sizeof(serr)))
		machine_stop(m, VMM_EXIT_CONFIG, "sandbox: %s", serr);
	sandbox_release();
	main_loop(m, sfd, &con, &out, serial_in);
	for (unsigned i = 0; i < started; i++)
		pthread_join(m->vs[i].tid, NULL);
	vio_free();
	vfio_detach();
	if (m->dump_vcpu0)
		vcpu_dump(m, &m->vs[0].regs, -1);
	for (unsigned i = 0; cfg->rt.kick_stats && i < started; i++)
		vlog("vCPU %u: %u liveness kick%s by the monitor, %u KVM_RUN call%s ended by a "
		     "signal", i, atomic_load(&m->vs[i].kicks),
		     atomic_load(&m->vs[i].kicks) == 1 ? "" : "s",
		     atomic_load(&m->vs[i].sig_exits),
		     atomic_load(&m->vs[i].sig_exits) == 1 ? "" : "s");
	/* Every exit to the monitor, by reason, beside KVM's count of all the
	 * vCPU's exits (kstats.h; most it handles itself): what a device's
	 * interrupts cost the monitor (docs/passthrough.md) is the growth of
	 * the first with the number of interrupts. */
	for (unsigned i = 0; cfg->rt.kick_stats && i < started; i++) {
		const struct vcpu_state *v = &m->vs[i];
		uint64_t all = 0;
		char kvm[64] = "KVM's count of all exits unavailable";
		if (kstats_exits(&v->stats, &all) == 0)
			snprintf(kvm, sizeof(kvm), "KVM counted %" PRIu64 " exits in all", all);
		vlog("vCPU %u: %" PRIu64 " exits to the monitor (port I/O %" PRIu64 ", MMIO %" PRIu64
		     ", signal %u, other %" PRIu64 "); %s",
		     i, v->io_exits + v->mmio_exits + v->other_exits + atomic_load(&v->sig_exits),
		     v->io_exits, v->mmio_exits, atomic_load(&v->sig_exits), v->other_exits, kvm);
	}
	/* The guest's last words (a verdict before debug-exit) still go out,
	 * within the bounds of outq_flush. */
	outq_flush(&out);
	if (out.discarded)
		vlog("%s: %" PRIu64 " byte%s of the guest's output not written: %s", con.name,
		     out.discarded, out.discarded == 1 ? "" : "s",
		     out.dead ? "its destination failed" : "its destination took no more in time");
	tty_restore();
	uint64_t lost = con.tx_lost(con.dev);
	if (lost)
		vlog("%s: %" PRIu64 " byte%s written while the transmitter was busy %s lost",
		     con.name, lost, lost == 1 ? "" : "s", lost == 1 ? "was" : "were");
	vlog_summary();
	status = m->status;
	err[0] = '\0';
out:
	if (err[0])
		fprintf(stderr, "vmm: %s\n", err);
	if (sfd >= 0)
		close(sfd);
	if (m->stop_efd >= 0)
		close(m->stop_efd);
	if (serial_fd >= 0 && !serial_stdio)
		close(serial_fd);
	vio_free();
	vfio_detach();
	board_free();
	if (out_ok)
		outq_free(&out);
	bus_free(&m->pio);
	bus_free(&m->mmio);
	kvm_close(&m->kvm);
	gm_free(&m->mem);
	free(kernel);
	free(initrd);
	return status;
}
