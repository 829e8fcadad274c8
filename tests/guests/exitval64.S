/* ELF64 test guest: writes the decimal number on its command line to the
 * isa-debug-exit port as one 32-bit write, so tests can try values the
 * exit status cannot carry (64 and above). */
	.code64
	.text
	.globl _start
_start:
	mov 32(%rdi), %rsi     /* hvboot_info.cmdline */
	xor %eax, %eax
1:	movzbl (%rsi), %ecx
	sub $'0', %ecx
	cmp $9, %ecx
	ja 2f
	imul $10, %eax, %eax
	add %ecx, %eax
	inc %rsi
	jmp 1b
2:	call debug_exit
#include "serial64.inc"
