/*
 * kvm_arm64: the arm64 part of the KVM layer (kvm.h), Documentation/
 * virt/kvm/api.rst and devices/arm-vgic-v3.rst, arm-vgic.rst.
 *
 * Owns: each vCPU's KVM_ARM_VCPU_INIT (the preferred target, PSCI 0.2,
 * secondaries powered off until PSCI CPU_ON), the in-kernel vGIC as a KVM
 * device (v3, else v2) at the addresses of arm64map.h, the ITS beside a v3, the interrupt
 * numbers KVM_IRQ_LINE takes, and what `vmm info` says of the host.
 */
#ifndef KVM_ARM64_H
#define KVM_ARM64_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm.h"

/* The vGIC this VM got: 3 or 2 (0 before kvm_create_vm). */
int kvm_arm64_gic_version(void);

/* Whether this VM got an in-kernel GICv3 ITS (kvm_arch_vm_ready makes one
 * where the host offers it): the device tree then gives the PCI host
 * bridge its msi-map, and the devices' MSIs carry their requester ID. */
bool kvm_arm64_has_its(void);

/* The irq field of KVM_IRQ_LINE for an SPI (INTID 32 and up): what an
 * irq_line's `gsi` holds on arm64 (api.rst, KVM_IRQ_LINE, "ARM/arm64"). */
unsigned kvm_arm64_spi(unsigned intid);

/* Sets vCPU `fd` to enter at pc with x0 = x0, in EL1h with DAIF masked
 * (booting.rst). Returns 0 or -1 with a message. */
int kvm_arm64_set_entry(int fd, uint64_t pc, uint64_t x0, char *err, size_t errlen);

#endif
