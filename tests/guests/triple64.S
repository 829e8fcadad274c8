/* ELF64 test guest: raises #UD with no IDT (the monitor enters with an IDT
 * limit of 0), so the CPU cannot deliver it, nor the #DF that follows: a
 * triple fault, which must end the run with status 4. */
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	call puts
	ud2
#include "serial64.inc"
	.section .rodata
msg:	.asciz "about to triple fault\n"
