/*
 * entry (arm64): the benchmark guest's first instructions, its exception
 * vectors, the trap frame's save and restore, the kernel context switch
 * and the FP/SIMD state switch.
 *
 * Entered per the Linux arm64 boot protocol (Documentation/arch/arm64/
 * booting.rst): EL1h, MMU and D-cache off, x0 = the DTB's physical
 * address (QEMU gives an ELF kernel x0 = 0 and puts the DTB at the RAM
 * base instead: kernel.c looks there). Every exception builds a struct
 * trapframe (trapframe.h) on the current SP_EL1, which is the running
 * thread's kernel stack, and leaves through trap_return with ERET.
 */
#include "trapframe.h"

	.section .text.entry, "ax"
	.globl _start
_start:
	mov x19, x0
	/* FP/SIMD for EL0 and EL1 (CPACR_EL1.FPEN = 0b11): the workloads
	 * use it; the kernel itself is built -mgeneral-regs-only. */
	mov x1, #(3 << 20)
	msr cpacr_el1, x1
	isb
	adrp x1, boot_stack_top
	add x1, x1, :lo12:boot_stack_top
	mov sp, x1
	adrp x1, vectors
	add x1, x1, :lo12:vectors
	msr vbar_el1, x1
	isb
	mov x0, x19
	bl kmain                /* never returns */
1:	wfi
	b 1b

/* The vector table (Arm ARM D1.10.2): 16 entries of 0x80 bytes, in four
 * groups: current EL with SP_EL0 (never used here), current EL with
 * SP_ELx (the kernel), lower EL AArch64 (the workloads), lower EL AArch32
 * (none). Each entry opens a frame, keeps x0/x1, records which entry it
 * was and, for an IRQ, stamps the counter at once: irq-latency measures
 * up to this instruction (irqlat.c). */
.macro VENT kind
	.balign 0x80
	sub sp, sp, #TF_SIZE
	stp x0, x1, [sp, #TF_X0]
	.if (\kind == TF_KIND_IRQ_EL1) || (\kind == TF_KIND_IRQ_EL0)
	mrs x0, cntvct_el0
	str x0, [sp, #TF_STAMP]
	.endif
	mov x0, #\kind
	b trap_entry
.endm

	.text
	.balign 0x800
	.globl vectors
vectors:
	VENT TF_KIND_BAD
	VENT TF_KIND_BAD
	VENT TF_KIND_BAD
	VENT TF_KIND_BAD
	VENT TF_KIND_SYNC_EL1
	VENT TF_KIND_IRQ_EL1
	VENT TF_KIND_BAD
	VENT TF_KIND_SERROR
	VENT TF_KIND_SYNC_EL0
	VENT TF_KIND_IRQ_EL0
	VENT TF_KIND_BAD
	VENT TF_KIND_SERROR
	VENT TF_KIND_BAD
	VENT TF_KIND_BAD
	VENT TF_KIND_BAD
	VENT TF_KIND_BAD

trap_entry:
	stp x2, x3, [sp, #16]
	stp x4, x5, [sp, #32]
	stp x6, x7, [sp, #48]
	stp x8, x9, [sp, #64]
	stp x10, x11, [sp, #80]
	stp x12, x13, [sp, #96]
	stp x14, x15, [sp, #112]
	stp x16, x17, [sp, #128]
	stp x18, x19, [sp, #144]
	stp x20, x21, [sp, #160]
	stp x22, x23, [sp, #176]
	stp x24, x25, [sp, #192]
	stp x26, x27, [sp, #208]
	stp x28, x29, [sp, #224]
	mrs x1, sp_el0
	stp x30, x1, [sp, #TF_X30]
	mrs x1, elr_el1
	mrs x2, spsr_el1
	stp x1, x2, [sp, #TF_ELR]
	mrs x1, esr_el1
	mrs x2, far_el1
	stp x0, x1, [sp, #TF_KIND]
	str x2, [sp, #TF_FAR]
	mov x0, sp
	bl trap
	.globl trap_return
trap_return:
	ldp x1, x2, [sp, #TF_ELR]
	msr elr_el1, x1
	msr spsr_el1, x2
	ldp x30, x1, [sp, #TF_X30]
	msr sp_el0, x1
	ldp x0, x1, [sp, #0]
	ldp x2, x3, [sp, #16]
	ldp x4, x5, [sp, #32]
	ldp x6, x7, [sp, #48]
	ldp x8, x9, [sp, #64]
	ldp x10, x11, [sp, #80]
	ldp x12, x13, [sp, #96]
	ldp x14, x15, [sp, #112]
	ldp x16, x17, [sp, #128]
	ldp x18, x19, [sp, #144]
	ldp x20, x21, [sp, #160]
	ldp x22, x23, [sp, #176]
	ldp x24, x25, [sp, #192]
	ldp x26, x27, [sp, #208]
	ldp x28, x29, [sp, #224]
	add sp, sp, #TF_SIZE
	eret

/* swtch(save_sp, new_sp): saves the callee-saved registers (AAPCS64:
 * x19-x29 and the return address x30) on this stack, stores SP in
 * *save_sp, and resumes the thread whose stack is new_sp. A new thread's
 * stack holds zeros and trap_return as its x30 (kernel.c thread_new). */
	.globl swtch
swtch:
	sub sp, sp, #SW_SIZE
	stp x19, x20, [sp, #0]
	stp x21, x22, [sp, #16]
	stp x23, x24, [sp, #32]
	stp x25, x26, [sp, #48]
	stp x27, x28, [sp, #64]
	stp x29, x30, [sp, #80]
	mov x2, sp
	str x2, [x0]
	mov sp, x1
	ldp x19, x20, [sp, #0]
	ldp x21, x22, [sp, #16]
	ldp x23, x24, [sp, #32]
	ldp x25, x26, [sp, #48]
	ldp x27, x28, [sp, #64]
	ldp x29, x30, [sp, #80]
	add sp, sp, #SW_SIZE
	ret

/* fp_save(buf) / fp_restore(buf): the user's FP/SIMD state, q0-q31 then
 * FPCR and FPSR (FP_STATE_SIZE bytes, 16-aligned), switched with the
 * thread (the kernel never touches these registers). */
	.globl fp_save
fp_save:
	stp q0, q1, [x0, #0]
	stp q2, q3, [x0, #32]
	stp q4, q5, [x0, #64]
	stp q6, q7, [x0, #96]
	stp q8, q9, [x0, #128]
	stp q10, q11, [x0, #160]
	stp q12, q13, [x0, #192]
	stp q14, q15, [x0, #224]
	stp q16, q17, [x0, #256]
	stp q18, q19, [x0, #288]
	stp q20, q21, [x0, #320]
	stp q22, q23, [x0, #352]
	stp q24, q25, [x0, #384]
	stp q26, q27, [x0, #416]
	stp q28, q29, [x0, #448]
	stp q30, q31, [x0, #480]
	mrs x1, fpcr
	mrs x2, fpsr
	add x0, x0, #512
	stp x1, x2, [x0]
	ret

	.globl fp_restore
fp_restore:
	ldp q0, q1, [x0, #0]
	ldp q2, q3, [x0, #32]
	ldp q4, q5, [x0, #64]
	ldp q6, q7, [x0, #96]
	ldp q8, q9, [x0, #128]
	ldp q10, q11, [x0, #160]
	ldp q12, q13, [x0, #192]
	ldp q14, q15, [x0, #224]
	ldp q16, q17, [x0, #256]
	ldp q18, q19, [x0, #288]
	ldp q20, q21, [x0, #320]
	ldp q22, q23, [x0, #352]
	ldp q24, q25, [x0, #384]
	ldp q26, q27, [x0, #416]
	ldp q28, q29, [x0, #448]
	ldp q30, q31, [x0, #480]
	add x0, x0, #512
	ldp x1, x2, [x0]
	msr fpcr, x1
	msr fpsr, x2
	ret

	.bss
	.balign 16
boot_stack:
	.space 16384
boot_stack_top:
