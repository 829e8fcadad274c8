/*
 * virt: the arm64 board around the shared machine (machine.h, "The
 * board"): a machine like QEMU's `virt`, at the addresses of arm64map.h.
 *
 * Owns: the PL011 console, the PL061 GPIO looped back and the GPIO's
 * doorbell (its kernel path: ioeventfd + irqfd), the debug-exit
 * register, the PCI host bridge's ECAM window, the kernel, initrd and
 * device tree in RAM (image.h, dtb.h), and the boot CPU's entry state.
 * The GIC, the timer and PSCI are KVM's (kvm_arm64.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "machine.h"
#include "arm64map.h"
#include "debugexit.h"
#include "dtb.h"
#include "image.h"
#include "kvm_arm64.h"
#include "pci.h"
#include "pl011.h"
#include "pl061.h"
#include "sandbox.h"

static struct pl011 *uart;
static struct pl061 gpio;
static bool gpio_on;
static struct debugexit dbg;
static int bell_efd = -1;
static struct kvm_vm *bell_vm;
static struct image_loaded boot;

int board_mem_init(struct guestmem *gm, uint64_t size)
{
	return gm_init_at(gm, ARM64_RAM_BASE, size);
}

uint32_t board_virtio_bar_base(void)
{
	return (uint32_t)ARM64_PCI_MMIO_BASE;
}

unsigned board_pci_intx_gsi(unsigned slot, unsigned pin)
{
	return kvm_arm64_spi(32 + dtb_pci_intx_spi(slot, pin));
}

int board_load(struct board_env *e, char *err, size_t errlen)
{
	if (e->cfg->firmware) {
		snprintf(err, errlen, "--firmware %s: firmware boot is x86 only (SeaBIOS); "
				      "boot an arm64 Image with --kernel", e->cfg->firmware);
		return -1;
	}
	return image_load(&e->m->mem, e->kernel, e->kernel_size, e->initrd, e->initrd_size,
			  e->cfg->kernel, &boot, err, errlen);
}

static size_t con_receive(void *dev, const uint8_t *buf, size_t n)
{
	return pl011_receive(dev, buf, n);
}

static void con_tx_ready(void *dev)
{
	pl011_tx_ready(dev);
}

static uint64_t con_tx_lost(void *dev)
{
	return pl011_tx_lost(dev);
}

static void must_register(struct bus *b, uint64_t base, uint64_t len, bus_handler fn,
			  void *opaque, const char *name)
{
	if (bus_register(b, base, len, fn, opaque, name)) {
		/* Two built-in devices on one range is our bug, not the user's. */
		fprintf(stderr, "vmm: internal error: cannot register %s at %#llx: %s\n", name,
			(unsigned long long)base, strerror(errno));
		abort();
	}
}

/* The doorbell when KVM did not take the store (no ioeventfd/irqfd):
 * the monitor pulses the edge itself. Reads give zero. */
static void bell_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct kvm_vm *vm = opaque;
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (off == 0) {
		kvm_irq_line(vm, kvm_arm64_spi(ARM64_GPIO_DOORBELL_INTID), 1);
		kvm_irq_line(vm, kvm_arm64_spi(ARM64_GPIO_DOORBELL_INTID), 0);
	}
}

/* The kernel path: one eventfd behind an ioeventfd on the doorbell and an
 * irqfd on its SPI (GSI n is SPI n under KVM's default arm64 routing). */
static void bell_kernel_path(struct kvm_vm *vm)
{
	if (!kvm_check_cap(vm, KVM_CAP_IRQFD) || !kvm_check_cap(vm, KVM_CAP_IOEVENTFD)) {
		fprintf(stderr, "vmm: note: GPIO doorbell: no IRQFD/IOEVENTFD; the monitor "
				"serves it\n");
		return;
	}
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return;
	unsigned gsi = ARM64_GPIO_DOORBELL_INTID - 32;
	if (kvm_irqfd(vm, fd, gsi, true) == 0) {
		/* Length 0: a store of any width (api.rst, KVM_IOEVENTFD). */
		if (kvm_ioeventfd(vm, fd, ARM64_GPIO_DOORBELL_BASE, 0, true) == 0) {
			bell_efd = fd;
			bell_vm = vm;
			return;
		}
		kvm_irqfd(vm, fd, gsi, false);
	}
	fprintf(stderr, "vmm: note: GPIO doorbell: no kernel path (%s); the monitor serves it\n",
		strerror(errno));
	close(fd);
}

int board_devices(struct board_env *e, struct board_console *con, char *err, size_t errlen)
{
	struct machine *m = e->m;
	/* Channels (machine.c) need nothing of the board but their INTx
	 * (board_pci_intx_gsi) and a window inside the PCI one (channel.h,
	 * arm64map.h): with no ITS their MSI is never a GIC interrupt, so
	 * the guest uses INTx and the monitor serves the incoming doorbell. */
	uart = pl011_new((struct irq_line){kvm_irq_line, &m->kvm,
					   kvm_arm64_spi(ARM64_PL011_INTID)},
			 machine_serial_tx, e->out);
	if (!uart) {
		snprintf(err, errlen, "out of memory creating devices");
		return -1;
	}
	must_register(&m->mmio, ARM64_PL011_BASE, ARM64_PL011_SIZE, pl011_io, uart, "pl011");
	if (!e->cfg->no_gpio) {
		pl061_init(&gpio, (struct irq_line){kvm_irq_line, &m->kvm,
						    kvm_arm64_spi(ARM64_PL061_INTID)});
		gpio_on = true;
		must_register(&m->mmio, ARM64_PL061_BASE, ARM64_PL061_SIZE, pl061_io, &gpio,
			      "pl061");
		must_register(&m->mmio, ARM64_GPIO_DOORBELL_BASE, ARM64_GPIO_DOORBELL_SIZE,
			      bell_io, &m->kvm, "gpio-doorbell");
		bell_kernel_path(&m->kvm);
	}
	dbg = (struct debugexit){machine_debug_exit, m};
	must_register(&m->mmio, ARM64_DEBUGEXIT_BASE, ARM64_DEBUGEXIT_SIZE, debugexit_io, &dbg,
		      "debug-exit");
	/* A config write moves BARs on this same bus: the window is a fixed
	 * range, whose handler runs outside the bus lock (bus.h). */
	if (bus_register_fixed(&m->mmio, ARM64_PCI_ECAM_BASE, ARM64_PCI_ECAM_SIZE, pci_ecam_io,
			       e->pci, "pci-ecam")) {
		fprintf(stderr, "vmm: internal error: cannot register the ECAM window: %s\n",
			strerror(errno));
		abort();
	}
	*con = (struct board_console){con_receive, con_tx_ready, con_tx_lost, uart, "PL011"};
	return 0;
}

int board_finish(struct board_env *e, char *err, size_t errlen)
{
	struct machine *m = e->m;
	struct dtb_machine d = {
		.ram_base = m->mem.base, .ram_size = m->mem.size, .ncpus = m->kvm.nvcpus,
		.gic_version = kvm_arm64_gic_version(), .bootargs = e->cfg->cmdline,
		.initrd_start = boot.initrd_start, .initrd_end = boot.initrd_end,
		.gpio = gpio_on, .debug_exit = true, .its = kvm_arm64_has_its(),
	};
	/* The tree goes in its own 2 MiB at the top of RAM (image.h). */
	uint8_t *dst = gm_ptr(&m->mem, boot.dtb, DTB_MAX_SIZE);
	if (!dst) {
		fprintf(stderr, "vmm: internal error: the device tree's place is not RAM\n");
		abort();
	}
	if (dtb_build(&d, dst, DTB_MAX_SIZE, err, errlen) < 0)
		return -1;
	return kvm_arm64_set_entry(m->kvm.vcpu[0].fd, boot.entry, boot.dtb, err, errlen);
}

/* The doorbell's eventfd: nothing calls on it, but closed by the sandbox
 * it would take the irqfd with it, and the kernel path would go dead. */
void board_sandbox(struct sandbox_opts *sb)
{
	if (bell_efd >= 0 && sb->nkeep < SANDBOX_MAX_KEEP_FDS)
		sb->keep_fds[sb->nkeep++] = bell_efd;
}

void board_free(void)
{
	pl011_free(uart);
	uart = NULL;
	if (gpio_on)
		pl061_destroy(&gpio);
	gpio_on = false;
	if (bell_efd >= 0) {
		kvm_ioeventfd(bell_vm, bell_efd, ARM64_GPIO_DOORBELL_BASE, 0, false);
		kvm_irqfd(bell_vm, bell_efd, ARM64_GPIO_DOORBELL_INTID - 32, false);
		close(bell_efd);
	}
	bell_efd = -1;
}
