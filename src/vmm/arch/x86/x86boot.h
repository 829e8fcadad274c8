/*
 * x86boot: the boot CPU's state at guest entry.
 *
 * Owns: the boot GDT and the identity page tables in low guest memory, and
 * the segment, control and general registers each boot mode defines (Linux
 * boot protocol, "64-bit boot protocol"; Multiboot 0.6.96 sec. 3.2 "Machine
 * state"; the PVH entry state in src/common/pvh.h; our ELF64 entry state
 * in src/common/hvboot.h).
 */
#ifndef X86BOOT_H
#define X86BOOT_H

#include <stddef.h>

#include "guestmem.h"
#include "loader.h"

/* Writes the GDT and page tables, then sets vCPU `vcpu_fd`'s registers so
 * that it starts at `e`. Returns 0 or -1 with a message. */
int x86_boot_setup(int vcpu_fd, const struct guestmem *gm, const struct boot_entry *e,
		   char *err, size_t errlen);

#endif
