/* dtb: the arm64 machine's device tree (dtb.h). */
#include "dtb.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "arm64map.h"

#define PHANDLE_GIC 1
#define PHANDLE_CLK 2
#define PHANDLE_ITS 3

/* GIC interrupt specifiers (bindings/interrupt-controller/arm,gic*.yaml):
 * <type number flags>, type 0 = SPI (number = INTID - 32), 1 = PPI
 * (number = INTID - 16); flags 4 = level high, and for GICv2 PPIs the CPU
 * mask in bits 15:8. */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_LEVEL_HIGH 4
#define IRQ_EDGE_RISING 1

unsigned dtb_pci_intx_spi(unsigned slot, unsigned pin)
{
	return (unsigned)(ARM64_PCI_INTX_INTID - 32) + (slot + pin - 1) % 4;
}

/* fdt_property of a list of big-endian cells. */
static int prop_cells(void *fdt, const char *name, const uint32_t *v, size_t n)
{
	fdt32_t be[64];
	if (n > sizeof(be) / sizeof(be[0]))
		return -FDT_ERR_NOSPACE;
	for (size_t i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	return fdt_property(fdt, name, be, (int)(n * sizeof(be[0])));
}

/* A reg of <address size> pairs, two cells each (the root's layout). */
static int prop_reg2(void *fdt, const uint64_t *v, size_t npairs)
{
	uint32_t c[16];
	for (size_t i = 0; i < npairs * 2 && i < 8; i++) {
		c[2 * i] = (uint32_t)(v[i] >> 32);
		c[2 * i + 1] = (uint32_t)v[i];
	}
	return prop_cells(fdt, "reg", c, npairs * 4);
}

/* Each fdt_* call returns 0 or a negative FDT_ERR_*; the first failure
 * is kept and the rest are skipped. */
#define TRY(x) do { if (r == 0) r = (x); } while (0)

static int build(const struct dtb_machine *d, void *fdt, size_t size)
{
	int r = 0;
	char name[64];
	TRY(fdt_create(fdt, (int)size));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
	TRY(fdt_property_string(fdt, "model", "hvvmm arm64 virt"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));

	/* /chosen (bindings/chosen.txt; booting.rst, "Setup the device tree"). */
	TRY(fdt_begin_node(fdt, "chosen"));
	snprintf(name, sizeof(name), "/pl011@%llx", (unsigned long long)ARM64_PL011_BASE);
	TRY(fdt_property_string(fdt, "stdout-path", name));
	if (d->bootargs && d->bootargs[0])
		TRY(fdt_property_string(fdt, "bootargs", d->bootargs));
	if (d->initrd_end > d->initrd_start) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", d->initrd_start));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", d->initrd_end));
	}
	TRY(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)d->ram_base);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "device_type", "memory"));
	uint64_t mem[2] = {d->ram_base, d->ram_size};
	TRY(prop_reg2(fdt, mem, 1));
	TRY(fdt_end_node(fdt));

	/* CPUs (bindings/arm/cpus.yaml): reg is the MPIDR affinity, which KVM
	 * gives vCPU n as Aff0 = n % 16, Aff1 = n / 16. */
	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned i = 0; i < d->ncpus; i++) {
		unsigned mpidr = (i / 16) << 8 | (i % 16);
		snprintf(name, sizeof(name), "cpu@%x", mpidr);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
		TRY(fdt_property_u32(fdt, "reg", mpidr));
		if (d->ncpus > 1)
			TRY(fdt_property_string(fdt, "enable-method", "psci"));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_end_node(fdt));

	/* PSCI 0.2 through HVC, served by KVM (bindings/arm/psci.yaml). */
	TRY(fdt_begin_node(fdt, "psci"));
	static const char psci_compat[] = "arm,psci-0.2\0arm,psci";
	TRY(fdt_property(fdt, "compatible", psci_compat, sizeof(psci_compat)));
	TRY(fdt_property_string(fdt, "method", "hvc"));
	TRY(fdt_end_node(fdt));

	/* The GIC (bindings/interrupt-controller/arm,gic-v3.yaml, arm,gic.yaml). */
	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)ARM64_GICD_BASE);
	TRY(fdt_begin_node(fdt, name));
	if (d->gic_version == 3) {
		TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
		uint64_t reg[4] = {ARM64_GICD_BASE, ARM64_GICD_SIZE, ARM64_GICR_BASE,
				   ARM64_GICR_SIZE_PER_CPU * d->ncpus};
		TRY(prop_reg2(fdt, reg, 2));
		TRY(fdt_property_u32(fdt, "#redistributor-regions", 1));
	} else {
		TRY(fdt_property_string(fdt, "compatible", "arm,cortex-a15-gic"));
		uint64_t reg[4] = {ARM64_GICD_BASE, 0x1000, ARM64_GICC_BASE, ARM64_GICC_SIZE};
		TRY(prop_reg2(fdt, reg, 2));
	}
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	bool its = d->its && d->gic_version == 3;
	if (its) {
		/* The ITS, a child of the GIC (arm,gic-v3.yaml, "its" nodes;
		 * bindings/interrupt-controller/msi.txt): its reg is in the
		 * root's address space, so the GIC maps 1:1 (empty ranges). */
		TRY(fdt_property(fdt, "ranges", NULL, 0));
		snprintf(name, sizeof(name), "its@%llx", (unsigned long long)ARM64_GITS_BASE);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
		uint64_t itsreg[2] = {ARM64_GITS_BASE, ARM64_GITS_SIZE};
		TRY(prop_reg2(fdt, itsreg, 1));
		TRY(fdt_property(fdt, "msi-controller", NULL, 0));
		TRY(fdt_property_u32(fdt, "#msi-cells", 1)); /* the DeviceID */
		TRY(fdt_property_u32(fdt, "phandle", PHANDLE_ITS));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_end_node(fdt));

	/* The architected timer (bindings/timer/arm,arch_timer.yaml): secure
	 * physical, non-secure physical, virtual and hypervisor PPIs. */
	TRY(fdt_begin_node(fdt, "timer"));
	TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	uint32_t pflags = IRQ_LEVEL_HIGH;
	if (d->gic_version == 2)
		pflags |= ((1u << (d->ncpus > 8 ? 8 : d->ncpus)) - 1) << 8;
	uint32_t tirq[12] = {
		GIC_PPI, ARM64_TIMER_SEC_INTID - 16, pflags,
		GIC_PPI, ARM64_TIMER_PHYS_INTID - 16, pflags,
		GIC_PPI, ARM64_TIMER_VIRT_INTID - 16, pflags,
		GIC_PPI, ARM64_TIMER_HYP_INTID - 16, pflags,
	};
	TRY(prop_cells(fdt, "interrupts", tirq, 12));
	TRY(fdt_property(fdt, "always-on", NULL, 0));
	TRY(fdt_end_node(fdt));

	/* The PrimeCells' bus clock (bindings/clock/fixed-clock.yaml). */
	TRY(fdt_begin_node(fdt, "apb-pclk"));
	TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
	TRY(fdt_property_u32(fdt, "#clock-cells", 0));
	TRY(fdt_property_u32(fdt, "clock-frequency", 24000000));
	TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CLK));
	TRY(fdt_end_node(fdt));

	static const char primecell_uart[] = "arm,pl011\0arm,primecell";
	static const char primecell_gpio[] = "arm,pl061\0arm,primecell";
	/* bindings/serial/arm,pl011.yaml */
	snprintf(name, sizeof(name), "pl011@%llx", (unsigned long long)ARM64_PL011_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property(fdt, "compatible", primecell_uart, sizeof(primecell_uart)));
	uint64_t ureg[2] = {ARM64_PL011_BASE, ARM64_PL011_SIZE};
	TRY(prop_reg2(fdt, ureg, 1));
	uint32_t uirq[3] = {GIC_SPI, ARM64_PL011_INTID - 32, IRQ_LEVEL_HIGH};
	TRY(prop_cells(fdt, "interrupts", uirq, 3));
	uint32_t clks[2] = {PHANDLE_CLK, PHANDLE_CLK};
	TRY(prop_cells(fdt, "clocks", clks, 2));
	static const char uclk_names[] = "uartclk\0apb_pclk";
	TRY(fdt_property(fdt, "clock-names", uclk_names, sizeof(uclk_names)));
	TRY(fdt_end_node(fdt));

	if (d->gpio) { /* bindings/gpio/pl061-gpio.yaml */
		snprintf(name, sizeof(name), "pl061@%llx", (unsigned long long)ARM64_PL061_BASE);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property(fdt, "compatible", primecell_gpio, sizeof(primecell_gpio)));
		uint64_t greg[2] = {ARM64_PL061_BASE, ARM64_PL061_SIZE};
		TRY(prop_reg2(fdt, greg, 1));
		uint32_t girq[3] = {GIC_SPI, ARM64_PL061_INTID - 32, IRQ_LEVEL_HIGH};
		TRY(prop_cells(fdt, "interrupts", girq, 3));
		TRY(fdt_property(fdt, "gpio-controller", NULL, 0));
		TRY(fdt_property_u32(fdt, "#gpio-cells", 2));
		TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
		TRY(fdt_property_u32(fdt, "#interrupt-cells", 2));
		TRY(fdt_property_u32(fdt, "clocks", PHANDLE_CLK));
		TRY(fdt_property_string(fdt, "clock-names", "apb_pclk"));
		TRY(fdt_end_node(fdt));
		/* ours: the GPIO's kernel path (arm64map.h) */
		snprintf(name, sizeof(name), "gpio-doorbell@%llx",
			 (unsigned long long)ARM64_GPIO_DOORBELL_BASE);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "compatible", "hvvmm,gpio-doorbell"));
		uint64_t breg[2] = {ARM64_GPIO_DOORBELL_BASE, ARM64_GPIO_DOORBELL_SIZE};
		TRY(prop_reg2(fdt, breg, 1));
		uint32_t birq[3] = {GIC_SPI, ARM64_GPIO_DOORBELL_INTID - 32, IRQ_EDGE_RISING};
		TRY(prop_cells(fdt, "interrupts", birq, 3));
		TRY(fdt_end_node(fdt));
	}

	if (d->debug_exit) { /* ours: a 32-bit store of v ends the run (arm64map.h) */
		snprintf(name, sizeof(name), "debug-exit@%llx",
			 (unsigned long long)ARM64_DEBUGEXIT_BASE);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "compatible", "hvvmm,debug-exit"));
		uint64_t dreg[2] = {ARM64_DEBUGEXIT_BASE, ARM64_DEBUGEXIT_SIZE};
		TRY(prop_reg2(fdt, dreg, 1));
		TRY(fdt_end_node(fdt));
	}

	/* The ECAM host bridge (bindings/pci/host-generic-pci.yaml, and the
	 * PCI bus binding's interrupt-map, IEEE 1275 PCI binding 2.1). */
	snprintf(name, sizeof(name), "pcie@%llx", (unsigned long long)ARM64_PCI_ECAM_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "pci-host-ecam-generic"));
	TRY(fdt_property_string(fdt, "device_type", "pci"));
	TRY(fdt_property_u32(fdt, "#address-cells", 3));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	uint32_t busr[2] = {0, (uint32_t)(ARM64_PCI_ECAM_SIZE >> 20) - 1};
	TRY(prop_cells(fdt, "bus-range", busr, 2));
	TRY(fdt_property_u32(fdt, "linux,pci-domain", 0));
	TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
	uint64_t ereg[2] = {ARM64_PCI_ECAM_BASE, ARM64_PCI_ECAM_SIZE};
	TRY(prop_reg2(fdt, ereg, 1));
	/* One 32-bit non-prefetchable memory window, identity-mapped. */
	uint32_t ranges[7] = {0x02000000, 0, (uint32_t)ARM64_PCI_MMIO_BASE, 0,
			      (uint32_t)ARM64_PCI_MMIO_BASE, 0, (uint32_t)ARM64_PCI_MMIO_SIZE};
	TRY(prop_cells(fdt, "ranges", ranges, 7));
	/* Each entry: child address (3 cells, the device number in bits
	 * 15:11 of the first), pin, the GIC, its address (2 cells), the
	 * interrupt (3 cells). Four slots by four pins cover the swizzle:
	 * the mask keeps the low two bits of the device number. */
	uint32_t imap[16 * 10];
	size_t n = 0;
	for (unsigned slot = 0; slot < 4; slot++)
		for (unsigned pin = 1; pin <= 4; pin++) {
			uint32_t e[10] = {slot << 11, 0, 0, pin, PHANDLE_GIC, 0, 0,
					  GIC_SPI, dtb_pci_intx_spi(slot, pin), IRQ_LEVEL_HIGH};
			memcpy(imap + n, e, sizeof(e));
			n += 10;
		}
	if (r == 0) {
		fdt32_t be[16 * 10];
		for (size_t i = 0; i < n; i++)
			be[i] = cpu_to_fdt32(imap[i]);
		r = fdt_property(fdt, "interrupt-map", be, (int)(n * sizeof(be[0])));
	}
	uint32_t imask[4] = {3u << 11, 0, 0, 7};
	TRY(prop_cells(fdt, "interrupt-map-mask", imask, 4));
	if (its) {
		/* bindings/pci/pci-msi.txt: requester IDs 0..0xffff go to the
		 * ITS as DeviceIDs 0..0xffff, the devid KVM is given with each
		 * MSI (kvm.h, kvm_route_msi_from). */
		uint32_t mmap[4] = {0, PHANDLE_ITS, 0, 0x10000};
		TRY(prop_cells(fdt, "msi-map", mmap, 4));
	}
	TRY(fdt_end_node(fdt));

	TRY(fdt_end_node(fdt)); /* / */
	TRY(fdt_finish(fdt));
	return r;
}

int dtb_build(const struct dtb_machine *d, void *buf, size_t size, char *err, size_t errlen)
{
	if (size > DTB_MAX_SIZE)
		size = DTB_MAX_SIZE;
	int r = build(d, buf, size);
	if (r) {
		snprintf(err, errlen, "device tree: %s", fdt_strerror(r));
		return -1;
	}
	return (int)fdt_totalsize(buf);
}
