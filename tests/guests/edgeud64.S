/* ELF64 test guest, run with --mem 2M: puts a ud2 (0f 0b) in the last two
 * bytes of RAM and jumps there. With no IDT the #UD triple-faults; the
 * monitor's register dump must still show those two bytes of code, though
 * fewer than its usual 16 lie inside RAM. */
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	call puts
	movl $0x1ffffe, %eax
	movw $0x0b0f, (%rax)
	jmp *%rax
#include "serial64.inc"
	.section .rodata
msg:	.asciz "jumping to the end of RAM\n"
