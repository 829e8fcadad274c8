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
 *    the kernel completes it without leaving for user space. Without MSI
 *    (or without ioeventfd/irqfd) the write reaches the monitor and is
 *    served like a rising edge on pin 0.
 *
 * Registers (32-bit, at BAR0):
 *   0x00 OUT       RW   output pins; pin i is wired to input pin i
 *   0x04 IN        RO   input pins
 *   0x08 IRQ_EN    RW   interrupt on a rising edge of input pin i
 *   0x0c IRQ_STAT  RW1C edges latched on enabled pins; INTx is asserted
 *                       while (IRQ_STAT & IRQ_EN) != 0 and MSI is off
 *   0x10 DOORBELL  WO   one interrupt, whatever the value (not gated by
 *                       IRQ_EN, not latched in IRQ_STAT)
 *   0x14 ID        RO   GPIO_ID
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
	uint32_t out, en, stat;
	uint32_t bar;     /* BAR0 address while decoded */
	bool bar_on;
	bool kpath;       /* kernel path installed */
	uint64_t kpath_doorbell, kpath_addr;
	uint32_t kpath_data;
	uint64_t user_irqs; /* interrupts the monitor injected itself */
};

/* Sets the device up (not yet on a bus): `mmio` is where BAR0 appears,
 * `intx` the line INTx drives (its GSI goes to the Interrupt Line
 * register). */
void gpio_init(struct gpio *g, struct bus *mmio, struct irq_line intx, struct gpio_ops ops);
/* After pci_add(): adds the MSI capability to the configuration space. */
void gpio_add_caps(struct gpio *g);
void gpio_mmio(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

#endif
