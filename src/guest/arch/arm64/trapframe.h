/*
 * trapframe (arm64): the register state at any kernel entry (entry.S),
 * shared by the assembly and kernel.c.
 */
#ifndef TRAPFRAME_H
#define TRAPFRAME_H

/* Which vector entry was taken (entry.S VENT). */
#define TF_KIND_BAD 0      /* an entry this guest never expects (SP_EL0, AArch32, FIQ) */
#define TF_KIND_SYNC_EL1 1 /* a synchronous exception in the kernel */
#define TF_KIND_IRQ_EL1 2  /* an interrupt in the kernel's idle loop */
#define TF_KIND_SERROR 3
#define TF_KIND_SYNC_EL0 4 /* SVC or a fault in a workload */
#define TF_KIND_IRQ_EL0 5  /* an interrupt while a workload ran */

#define TF_X0 0
#define TF_X30 240
#define TF_ELR 256
#define TF_KIND 272 /* kind, then ESR_EL1 */
#define TF_FAR 288
#define TF_STAMP 296 /* CNTVCT_EL0 at an IRQ entry's third instruction */
#define TF_SIZE 304  /* a multiple of 16: SP stays aligned */
#define SW_SIZE 96   /* swtch's x19-x30 */
#define FP_STATE_SIZE 528

#ifndef __ASSEMBLER__
#include <stdint.h>

struct trapframe {
	uint64_t x[31]; /* x0-x30 */
	uint64_t sp_el0, elr, spsr;
	uint64_t kind, esr, far, stamp;
};
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapframe layout");
_Static_assert(__builtin_offsetof(struct trapframe, elr) == TF_ELR, "trapframe layout");
_Static_assert(__builtin_offsetof(struct trapframe, kind) == TF_KIND, "trapframe layout");
_Static_assert(__builtin_offsetof(struct trapframe, stamp) == TF_STAMP, "trapframe layout");
#endif

#endif
