/* ELF64 test guest for vmm system: says it is up, then sleeps for ever
 * with interrupts on and never reads its UART, so input sent to it piles
 * up in front of the monitor (the supervisor must not wait for it). Every
 * vector goes to a handler that acknowledges the LAPIC and the PIC and
 * returns, so a stray interrupt cannot end it. */
#include "hvboot.h"
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	call puts
	/* 256 interrupt gates (SDM vol. 3A sec. 6.14.1) to `stray`. */
	lea idt(%rip), %rdi
	lea stray(%rip), %rax
	mov $256, %ecx
1:	mov %ax, (%rdi)                  /* offset 15:0 */
	movw $HVBOOT_SEL_CODE64, 2(%rdi)
	movw $0x8e00, 4(%rdi)            /* present, DPL 0, 64-bit interrupt gate */
	mov %rax, %rdx
	shr $16, %rdx
	mov %dx, 6(%rdi)                 /* offset 31:16 */
	shr $16, %rdx
	mov %edx, 8(%rdi)                /* offset 63:32 */
	movl $0, 12(%rdi)
	add $16, %rdi
	dec %ecx
	jnz 1b
	lidt idtr(%rip)
	sti
2:	hlt
	jmp 2b
stray:
	push %rax
	mov $0xfee000b0, %eax
	movl $0, (%rax)                  /* LAPIC EOI */
	mov $0x20, %al
	out %al, $0x20                   /* 8259 non-specific EOI */
	pop %rax
	iretq
#include "serial64.inc"
	.section .rodata
msg:	.asciz "noread: up, not reading\n"
	.data
	.align 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.bss
	.align 16
idt:	.skip 256 * 16
