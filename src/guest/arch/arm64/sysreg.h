/*
 * sysreg (arm64): system-register access and the few barriers the kernel
 * needs. GICv3 CPU-interface registers are named by their encodings
 * (GICv3 spec, 12.1), which every assembler accepts.
 */
#ifndef SYSREG_H
#define SYSREG_H

#include <stdint.h>

#define sysreg_read(name)                                            \
	({                                                           \
		uint64_t v_;                                         \
		__asm__ volatile("mrs %0, " #name : "=r"(v_)::"memory"); \
		v_;                                                  \
	})
#define sysreg_write(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")

#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
/* The macros above paste their argument: expand a name first. */
#define sysreg_read_x(name) sysreg_read(name)
#define sysreg_write_x(name, v) sysreg_write(name, v)

#endif
