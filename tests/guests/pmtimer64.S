/* ELF64 test guest: the ACPI PM timer (port 0x608, the FADT's PM_TMR_BLK;
 * ACPI 6.x sec. 4.8.3.3) against the TSC. Counts 0.1 s of PM timer ticks
 * (357954 at 3.579545 MHz, the 24-bit counter's wrap handled) and checks
 * that the TSC, at the frequency the monitor hands over in hvboot_info,
 * advanced by the same time within 5%. Prints both counts and ends with
 * debug-exit 0x15 (status 43); a wrong rate ends with 0x0e (status 29). */
#include "hvboot.h"
	.set PM_TMR, 0x608
	.set TICKS, 357954          /* 0.1 s */
	.code64
	.text
	.globl _start
_start:
	mov 24(%rdi), %r15          /* hvboot_info.tsc_khz */
	test %r15, %r15
	lea e_khz(%rip), %rsi
	jz bad
	mov $PM_TMR, %dx
	in %dx, %eax
	mov %eax, %r8d              /* previous reading */
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %r12              /* TSC at the start */
	xor %r9, %r9                /* ticks so far */
1:	mov $PM_TMR, %dx
	in %dx, %eax
	test $0xff000000, %eax
	lea e_bits(%rip), %rsi
	jnz bad                     /* a 24-bit counter */
	mov %eax, %ecx
	sub %r8d, %ecx
	and $0xffffff, %ecx
	add %rcx, %r9
	mov %eax, %r8d
	cmp $TICKS, %r9
	jb 1b
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	sub %r12, %rdx
	mov %rdx, %r13              /* TSC ticks */
	lea m_pm(%rip), %rsi
	call puts
	mov %r9, %rax
	call putdec
	lea m_tsc(%rip), %rsi
	call puts
	mov %r13, %rax
	call putdec
	mov $'\n', %al
	call putc
	/* a = TSC ticks * 3579545, b = PM ticks * tsc_khz * 1000: equal at
	 * the right rate; |a - b| < a / 20 passes. */
	mov %r13, %rax
	mov $3579545, %rcx
	mul %rcx
	mov %rax, %r10
	mov %r9, %rax
	mul %r15
	mov $1000, %rcx
	mul %rcx
	mov %r10, %rcx
	sub %rax, %rcx
	jns 2f
	neg %rcx
2:	mov %r10, %rax
	xor %edx, %edx
	mov $20, %r11
	div %r11
	cmp %rax, %rcx
	lea e_rate(%rip), %rsi
	jae bad
	lea m_ok(%rip), %rsi
	call puts
	mov $0x15, %eax
	call debug_exit
bad:
	call puts
	mov $0x0e, %eax
	call debug_exit
#include "serial64.inc"
	.section .rodata
m_pm:	.asciz "pm timer ticks "
m_tsc:	.asciz " tsc ticks "
m_ok:	.asciz "pm timer: rate ok\n"
e_khz:	.asciz "no TSC frequency in hvboot_info\n"
e_bits:	.asciz "pm timer: more than 24 bits\n"
e_rate:	.asciz "pm timer: wrong rate against the TSC\n"
