/*
 * pc: the PC board around the shared machine (machine.h, "The board").
 *
 * Owns: COM1 (16550), the i8042, the CMOS RTC, the POST port, the
 * isa-debug-exit port, PCI configuration mechanism #1, the ACPI tables,
 * registers and firmware ROM, fw_cfg, the GPIO controller on PCI, the x86
 * boot formats (loader.h) and the boot CPU's state (x86boot.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "machine.h"
#include "acpi.h"
#include "cmos.h"
#include "debugexit.h"
#include "firmware.h"
#include "fw_cfg.h"
#include "gpio.h"
#include "i8042.h"
#include "loader.h"
#include "pci.h"
#include "sandbox.h"
#include "uart16550.h"
#include "vlog.h"
#include "x86boot.h"

/* Port 0x80 is the POST-code port; Linux writes it as an I/O delay. A PC
 * has nothing there that answers, so reads are all-ones, but claiming it
 * keeps those writes out of the unclaimed-access log. */
#define POST_PORT 0x80

static void post_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)off;
	if (!is_write)
		memset(data, 0xff, len);
}

/* The firmware ROM at the top of 4 GiB: our reset stub (acpi.h) or the
 * --firmware image (firmware.h). Guest reads come from its memory slot;
 * this handler answers what still exits: writes (to a read-only slot they
 * exit as MMIO) are dropped, as a ROM drops them, and claiming the range
 * keeps a PCI BAR from being moved over it. */
struct rom_desc {
	const uint8_t *p;
	uint64_t size;
};

static void rom_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	const struct rom_desc *rom = opaque;
	if (is_write)
		return;
	for (uint32_t i = 0; i < len; i++)
		data[i] = off + i < rom->size ? rom->p[off + i] : 0xff;
}

/* The GPIO's interrupt paths on KVM (gpio.h). The kernel path routes a
 * GSI to the guest's MSI and puts one eventfd behind both an ioeventfd on
 * the doorbell and an irqfd on that GSI. */
#define GPIO_MSI_GSI KVM_FIRST_MSI_GSI
static int gpio_efd = -1;

static int gpio_msi(void *ctx, uint64_t addr, uint32_t data)
{
	return kvm_signal_msi(ctx, addr, data);
}

static int gpio_kernel_path(void *ctx, bool on, uint64_t bell, uint64_t addr, uint32_t data)
{
	struct kvm_vm *vm = ctx;
	if (!on) {
		if (gpio_efd >= 0) {
			kvm_ioeventfd(vm, gpio_efd, bell, 4, false);
			kvm_irqfd(vm, gpio_efd, GPIO_MSI_GSI, false);
			close(gpio_efd);
			gpio_efd = -1;
		}
		return 0;
	}
	if (!kvm_check_cap(vm, KVM_CAP_IRQFD) || !kvm_check_cap(vm, KVM_CAP_IOEVENTFD) ||
	    !kvm_check_cap(vm, KVM_CAP_IRQ_ROUTING))
		return -1;
	gpio_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (gpio_efd < 0)
		return -1;
	if (kvm_route_msi(vm, GPIO_MSI_GSI, addr, data) == 0 &&
	    kvm_irqfd(vm, gpio_efd, GPIO_MSI_GSI, true) == 0) {
		if (kvm_ioeventfd(vm, gpio_efd, bell, 4, true) == 0)
			return 0;
		kvm_irqfd(vm, gpio_efd, GPIO_MSI_GSI, false);
	}
	/* A guest can ask again and again (each MSI reprogramming): the
	 * message is rate-limited like every guest-triggered one. */
	vlog_guest(VLOG_GPIO, "gpio: kernel interrupt path unavailable (%s); the monitor serves "
			      "the doorbell",
		   strerror(errno));
	close(gpio_efd);
	gpio_efd = -1;
	return -1;
}

/* Firmware's job, done here: give BAR0 an address in the MMIO hole and
 * turn on memory decode and bus mastering, as a BIOS that hands the device
 * over ready to use would. Bus mastering is what lets the device send an
 * MSI (PCI 3.0 sec. 6.8.1); a guest may turn it off again. */
static int add_gpio(struct machine *m, struct pci_bus *pci, struct gpio *g, char *err,
		    size_t errlen)
{
	int slot;
	gpio_init(g, &m->mmio, (struct irq_line){kvm_irq_line, &m->kvm, 0},
		  (struct gpio_ops){gpio_msi, gpio_kernel_path, &m->kvm});
	slot = pci_add(pci, &g->pci);
	if (slot < 0) {
		snprintf(err, errlen, "cannot add the GPIO controller to PCI bus 0");
		return -1;
	}
	g->intx.gsi = ACPI_PCI_INTX_GSI((unsigned)slot, 1u);
	pci_cfg_write(pci, (unsigned)slot, 0, 0x3c, 1, g->intx.gsi);
	gpio_add_caps(g);
	pci_cfg_write(pci, (unsigned)slot, 0, 0x10, 4,
		      (uint32_t)GM_MMIO_BASE + (uint32_t)slot * GPIO_BAR_SIZE);
	pci_cfg_write(pci, (unsigned)slot, 0, 0x04, 2, 0x6); /* memory space, bus master */
	return 0;
}

static struct uart *uart;
static struct i8042 *kbd;
static struct cmos *cmos;
static struct debugexit dbg;
static struct acpi_regs acpi;
static struct gpio gpio;
static uint8_t *fw_rom = MAP_FAILED;
static struct boot_entry pc_entry;
/* QEMU's fw_cfg device, one per process like the machine. */
static struct fwcfg fwcfg_dev;
static bool fwcfg_on;
/* --firmware: the image and its debug console. */
static struct firmware fw_dev;
static bool fw_on;


int board_mem_init(struct guestmem *gm, uint64_t size)
{
	return gm_init(gm, size);
}

uint32_t board_virtio_bar_base(void)
{
	return (uint32_t)GM_MMIO_BASE + 0x800000u;
}

unsigned board_pci_intx_gsi(unsigned slot, unsigned pin)
{
	return ACPI_PCI_INTX_GSI(slot, pin);
}

int board_load(struct board_env *e, char *err, size_t errlen)
{
	const struct machine_config *cfg = e->cfg;
	struct load_request req = {
		.kernel = e->kernel, .kernel_size = e->kernel_size, .initrd = e->initrd,
		.initrd_size = e->initrd_size, .cmdline = cfg->cmdline ? cfg->cmdline : "",
		.kernel_name = cfg->kernel, .ncpus = cfg->cpus, .boot = (enum boot_choice)cfg->boot,
		.tsc_khz = e->m->kvm.tsc_khz,
	};
	/* With --firmware the CPU starts at the reset vector, in the state
	 * KVM gives a new vCPU (Intel SDM vol. 3A table 9-1), and the
	 * firmware loads what it boots. */
	if (cfg->firmware) {
		if (firmware_load(&fw_dev, cfg->firmware, cfg->firmware_log, err, errlen))
			return -1;
		fw_on = true;
		return 0;
	}
	return load_kernel(&e->m->mem, &req, &pc_entry, err, errlen);
}

static size_t con_receive(void *dev, const uint8_t *buf, size_t n)
{
	return uart_receive(dev, buf, n);
}

static void con_tx_ready(void *dev)
{
	uart_tx_ready(dev);
}

static uint64_t con_tx_lost(void *dev)
{
	return uart_tx_lost(dev);
}

int board_devices(struct board_env *e, struct board_console *con, char *err, size_t errlen)
{
	struct machine *m = e->m;
	uart = uart_new((struct irq_line){kvm_irq_line, &m->kvm, UART_COM1_IRQ}, machine_serial_tx, e->out);
	kbd = i8042_new(machine_on_reset, m);
	cmos = cmos_new(m->mem.low_size, m->mem.size - m->mem.low_size);
	dbg = (struct debugexit){machine_debug_exit, m};
	acpi = (struct acpi_regs){machine_on_reset, machine_on_reset, m};
	/* Firmware builds the ACPI tables itself, from fw_cfg's table
	 * loader, and owns the BIOS area they would take. */
	if (!fw_on && acpi_build(&m->mem, m->kvm.nvcpus, err, errlen))
		return -1;
	/* A CPU that takes INIT (a guest can send one to itself) restarts at
	 * 0xfffffff0: without a ROM there, KVM cannot fetch and the run
	 * would end as a KVM error. */
	static struct rom_desc romd;
	if (fw_on) {
		romd = (struct rom_desc){fw_dev.image, fw_dev.size};
		if (firmware_place(&fw_dev, &m->mem, err, errlen))
			return -1;
	} else {
		fw_rom = mmap(NULL, ACPI_ROM_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fw_rom == MAP_FAILED) {
			snprintf(err, errlen, "cannot map the firmware ROM: %s", strerror(errno));
			return -1;
		}
		acpi_build_rom(fw_rom);
		romd = (struct rom_desc){fw_rom, ACPI_ROM_SIZE};
	}
	uint64_t rom_base = FIRMWARE_TOP - romd.size;
	if (kvm_map_rom(&m->kvm, rom_base, (void *)(uintptr_t)romd.p, romd.size, err, errlen))
		return -1;
	if (bus_register(&m->mmio, rom_base, romd.size, rom_io, &romd, "firmware-rom")) {
		fprintf(stderr, "vmm: internal error: cannot register the firmware ROM: %s\n",
			strerror(errno));
		abort();
	}
	if (!e->cfg->no_gpio && add_gpio(m, e->pci, &gpio, err, errlen))
		return -1;
	*con = (struct board_console){con_receive, con_tx_ready, con_tx_lost, uart, "COM1"};
	return 0;
}

int board_finish(struct board_env *e, char *err, size_t errlen)
{
	/* fw_cfg (fw_cfg.h): what QEMU's PC tells its firmware and test
	 * kernels. The boot order names the disks by their PCI slots, the
	 * way QEMU names a virtio-blk disk to SeaBIOS. */
	struct machine *m = e->m;
	fwcfg_init(&fwcfg_dev, &m->mem);
	fwcfg_on = true;
	char bootorder[VIRTIO_BLK_MAX * 32] = "";
	const struct virtio_blk *d;
	unsigned bn = 0;
	for (unsigned i = 0; (d = machine_disk(i)) != NULL; i++)
		for (unsigned slot = 0; slot < PCI_MAX_DEVICES; slot++)
			if (e->pci->dev[slot] == &d->vp.pci)
				bn += (unsigned)snprintf(bootorder + bn, sizeof(bootorder) - bn,
							 "/pci@i0cf8/scsi@%x/disk@0,0\n", slot);
	/* One path a line, no newline after the last (as QEMU writes it):
	 * SeaBIOS would read an empty last entry. */
	if (bn)
		bootorder[bn - 1] = '\0';
	struct fwcfg_pc fpc = {
		.ncpus = m->kvm.nvcpus, .max_cpus = m->kvm.nvcpus,
		.kernel = e->kernel, .kernel_size = e->kernel_size, .initrd = e->initrd,
		.initrd_size = e->initrd_size,
		.cmdline = e->cfg->cmdline, .bootorder = bootorder,
	};
	if (fwcfg_add_pc(&fwcfg_dev, &fpc, err, errlen))
		return -1;
	if (fw_on && firmware_add_fwcfg(&fwcfg_dev)) {
		fprintf(stderr, "vmm: internal error: fw_cfg has no room for the firmware's files\n");
		abort();
	}
	if (!uart || !kbd || !cmos) {
		snprintf(err, errlen, "out of memory creating devices");
		return -1;
	}
	const struct {
		uint64_t base, len;
		bus_handler fn;
		void *opaque;
		const char *name;
	} ports[] = {
		{UART_COM1_BASE, UART_NREGS, uart_io, uart, "uart16550 (COM1)"},
		{0x60, 5, i8042_io, kbd, "i8042"},
		{0x70, 2, cmos_io, cmos, "cmos-rtc"},
		{POST_PORT, 1, post_io, NULL, "post"},
		{DEBUGEXIT_PORT, DEBUGEXIT_LEN, debugexit_io, &dbg, "isa-debug-exit"},
		{PCI_CONFIG_ADDRESS, 8, pci_io, e->pci, "pci-conf1"},
		{ACPI_PORT_BASE, ACPI_PORT_LEN, acpi_io, &acpi, "acpi"},
		{FWCFG_PORT_BASE, FWCFG_PORT_LEN, fwcfg_io, &fwcfg_dev, "fw_cfg"},
		{FIRMWARE_DEBUG_PORT, 1, firmware_debug_io, &fw_dev, "debugcon"},
	};
	/* The debug console only with --firmware: a kernel booted directly
	 * finds nothing at 0x402, as on a PC. */
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]) - !fw_on; i++) {
		if (bus_register(&m->pio, ports[i].base, ports[i].len, ports[i].fn,
				 ports[i].opaque, ports[i].name)) {
			/* Two built-in devices on one port is our bug, not the user's. */
			fprintf(stderr, "vmm: internal error: cannot register %s at %#llx: %s\n",
				ports[i].name, (unsigned long long)ports[i].base, strerror(errno));
			abort();
		}
	}

	if (!fw_on && x86_boot_setup(m->kvm.vcpu[0].fd, &m->mem, &pc_entry, err, errlen))
		return -1;

	return 0;
}

void board_sandbox(struct sandbox_opts *sb)
{
	/* The GPIO's eventfd is made after the sandbox, on demand; the
	 * firmware's debug log is written from a vCPU. */
	if (fw_on && fw_dev.log_fd >= 0 && sb->nwrite < SANDBOX_MAX_FDS)
		sb->write_fds[sb->nwrite++] = fw_dev.log_fd;
}

void board_free(void)
{
	uart_free(uart);
	i8042_free(kbd);
	cmos_free(cmos);
	uart = NULL;
	kbd = NULL;
	cmos = NULL;
	if (fwcfg_on)
		fwcfg_free(&fwcfg_dev);
	fwcfg_on = false;
	if (fw_on)
		firmware_free(&fw_dev);
	fw_on = false;
	if (fw_rom != MAP_FAILED)
		munmap(fw_rom, ACPI_ROM_SIZE);
	fw_rom = MAP_FAILED;
}
