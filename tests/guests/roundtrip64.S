/* ELF64 measurement guest: drops to CPL3 (IOPL 3, so port I/O needs no
 * kernel) and writes the UART scratch register N times, N from the command
 * line (default 10000). Each write is one trap to the monitor and back.
 * Prints "ROUNDTRIP count=N cycles=C tsc_khz=K" and ends with debug-exit 0
 * (status 1). CPL3 keeps the loop out of emulated kernel code on software
 * KVM hosts, so what is timed is the exit path alone. */
#include "hvboot.h"
	.code64
	.text
	.globl _start
_start:
	mov %rdi, %rbx
	mov 32(%rbx), %rsi          /* cmdline */
	xor %r12, %r12
1:	movzbq (%rsi), %rax
	sub $'0', %rax
	cmp $9, %rax
	ja 2f
	imul $10, %r12
	add %rax, %r12
	inc %rsi
	jmp 1b
2:	test %r12, %r12
	jnz 3f
	mov $10000, %r12
3:	/* iretq frame: SS, RSP, RFLAGS, CS, RIP */
	push $(HVBOOT_SEL_UDATA | 3)
	push $(HVBOOT_STACK_TOP - 0x1000)
	push $0x3002                /* IOPL 3, IF 0 */
	push $(HVBOOT_SEL_UCODE64 | 3)
	lea user(%rip), %rax
	push %rax
	iretq
user:
	mov %r12, %r15
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %r13
	mov $0x3ff, %dx
4:	out %al, %dx
	dec %r15
	jnz 4b
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	sub %r13, %rdx
	mov %rdx, %r14
	lea m1(%rip), %rsi
	call puts
	mov %r12, %rax
	call putdec
	lea m2(%rip), %rsi
	call puts
	mov %r14, %rax
	call putdec
	lea m3(%rip), %rsi
	call puts
	mov 24(%rbx), %rax          /* tsc_khz */
	call putdec
	lea nl(%rip), %rsi
	call puts
	xor %eax, %eax
	call debug_exit
#include "serial64.inc"
	.section .rodata
m1:	.asciz "ROUNDTRIP count="
m2:	.asciz " cycles="
m3:	.asciz " tsc_khz="
nl:	.asciz "\n"
