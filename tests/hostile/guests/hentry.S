/* Entry of the hostile guests (ELF64, entered in long mode at CPL0 with
 * RDI = struct hvboot_info, README "Guest entry state"), and the IDT stubs:
 * each vector pushes its number (and a zero where the CPU pushes no error
 * code) and calls hl_trap(vector, frame) in hlib.c. */
	.code64
	.text
	.globl _start
_start:
	mov $0x80000, %rsp
	call hl_start
1:	hlt
	jmp 1b

/* Vectors 8, 10-14, 17, 21, 29 and 30 push an error code (Intel SDM
 * vol. 3A, table 6-1); the others get a zero so every frame is alike. */
	.altmacro
	.macro stub n
	.align 16
	.if \n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30
	push $\n
	.else
	push $0
	push $\n
	.endif
	jmp trap_common
	.endm

	.align 16
	.globl hl_stubs
hl_stubs:
	.set i, 0
	.rept 256
	stub %i
	.set i, i + 1
	.endr

trap_common:
	push %rbx
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov 80(%rsp), %rdi   /* vector */
	lea 80(%rsp), %rsi   /* &vector, error code, rip, cs, rflags, rsp, ss */
	mov %rsp, %rbx       /* callee-saved: survives hl_trap */
	and $-16, %rsp
	call hl_trap
	mov %rbx, %rsp
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	pop %rbx
	add $16, %rsp
	iretq
	.section .note.GNU-stack,"",@progbits
