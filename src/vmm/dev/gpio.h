/*
 * gpio: a PCI GPIO controller whose output pins are looped back to its
 * input pins, the virtual twin of the study's FPGA loopback: setting an
 * output pin raises the input pin's interrupt. It exists to measure the
 * interrupt path.
 *
 * Owns: the pin, enable and status registers behind BAR0 (4 KiB MMIO),
 * the device's MSI capability (PCI 3.0 sec. 6.8.1, 32-bit address form)
 * and INTx pin A, and the choice of delivery path:
 *  - OUT (user path): the write exits to the monitor, which latches the
 *    edge and injects the interrupt (KVM_SIGNAL_MSI, or KVM_IRQ_LINE for
 *    INTx): the study's kernel -> VMM -> guest path.
 *  - DOORBELL (kernel path): with MSI enabled, the write is taken by an
 *    ioeventfd and the MSI injected by an irqfd on the same eventfd, so
 *    the kernel completes it without leaving for user space. Without
 *    ioeventfd/irqfd the write reaches the monitor, which sends the MSI;
 *    without MSI it latches DB_STAT and raises INTx.
 *
 * PCI COMMAND (PCI 3.0 sec. 6.2.2) is honoured: Interrupt Disable (bit 10)
 * keeps INTx deasserted, and without Bus Master Enable (bit 2) the device
 * sends no MSI (an MSI is a memory write by the device, sec. 6.8.1), by
 * either path: the interrupt is lost, as on hardware.
 *
 * Registers (32-bit, at BAR0):
 *   0x00 OUT       RW   output pins; pin i is wired to input pin i
 *   0x04 IN        RO   input pins
 *   0x08 IRQ_EN    RW   interrupt on a rising edge of input pin i
 *   0x0c IRQ_STAT  RW1C edges latched on enabled pins
 *   0x10 DOORBELL  WO   one interrupt, whatever the value, not gated by
 *                       IRQ_EN: an MSI, or with MSI off DB_STAT bit 0
 *   0x14 ID        RO   GPIO_ID
 *   0x18 DB_STAT   RW1C bit 0: a doorbell rang while MSI was off
 * INTx is asserted while ((IRQ_STAT & IRQ_EN) != 0 or DB_STAT != 0), MSI
 * is off and COMMAND's Interrupt Disable is clear.
 *
 * Locking: the device lock covers the registers and the device's own copy
 * of what it uses from configuration space (COMMAND, the MSI capability),
 * taken in cfg_written while the PCI bus lock guards cfg[]; so the MMIO
 * path never reads cfg[] and an MSI is never sent half-reprogrammed.
 */
#ifndef GPIO_H
#define GPIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "irq.h"
#include "pci.h"

#define GPIO_VENDOR 0x1234 /* the ID emulators use for devices no vendor made */
#define GPIO_DEVICE 0x6770
#define GPIO_BAR_SIZE 0x1000
#define GPIO_OUT 0x00
#define GPIO_IN 0x04
#define GPIO_IRQ_EN 0x08
#define GPIO_IRQ_STAT 0x0c
#define GPIO_DOORBELL 0x10
#define GPIO_ID_REG 0x14
#define GPIO_DB_STAT 0x18
#define GPIO_ID 0x4f495047u /* "GPIO" */
#define GPIO_MSI_CAP 0x40

/* What the device needs from the machine; tests substitute recorders. */
struct gpio_ops {
	/* Sends one MSI. Returns 0 or -1. */
	int (*msi)(void *ctx, uint64_t addr, uint32_t data);
	/* Installs (on=true) or removes the kernel path: doorbell writes at
	 * `doorbell` raise the MSI (addr, data) in the kernel. Returns 0 or
	 * -1 when the host cannot, in which case the monitor serves it. */
	int (*kernel_path)(void *ctx, bool on, uint64_t doorbell, uint64_t addr, uint32_t data);
	void *ctx;
};

struct gpio {
	struct pci_dev pci;
	pthread_mutex_t lock;
	struct gpio_ops ops;
	struct irq_line intx;
	struct bus *mmio;
	uint32_t out, en, stat, db_stat;
	uint32_t bar;     /* BAR0 address while decoded */
	bool bar_on;
	/* From configuration space, copied under both locks (see above). */
	bool msi_on, master, intx_disabled;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool kpath;       /* kernel path installed */
	uint64_t kpath_doorbell, kpath_addr;
	uint32_t kpath_data;
	/* The kernel path failed for exactly this doorbell and MSI: not tried
	 * again until one of them changes (a guest rewriting the same MSI
	 * must not make the monitor retry, nor print, on every write). */
	bool kpath_failed;
	uint64_t failed_doorbell, failed_addr;
	uint32_t failed_data;
	uint64_t user_irqs;   /* interrupts the monitor injected itself */
	uint64_t msi_blocked; /* MSIs not sent: bus mastering off */
};

/* Sets the device up (not yet on a bus): `mmio` is where BAR0 appears,
 * `intx` the line INTx drives (its GSI goes to the Interrupt Line
 * register). */
void gpio_init(struct gpio *g, struct bus *mmio, struct irq_line intx, struct gpio_ops ops);
/* After pci_add(): adds the MSI capability to the configuration space. */
void gpio_add_caps(struct gpio *g);
void gpio_mmio(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

#endif
