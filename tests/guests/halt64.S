/* ELF64 test guest: halts with interrupts disabled, which can never end;
 * the monitor must notice and stop with status 6. */
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	call puts
	cli
1:	hlt
	jmp 1b
#include "serial64.inc"
	.section .rodata
msg:	.asciz "halting with interrupts off\n"
