/* ELF64 test guest: prints a line on COM1 for ever, polling LSR.THRE
 * before each byte as a driver does. Under a reader that never reads,
 * the monitor must still stop on SIGTERM (tests/kvm/test_boot.c). */
	.code64
	.text
	.globl _start
_start:
1:	lea msg(%rip), %rsi
	call puts
	jmp 1b
#include "serial64.inc"
	.section .rodata
msg:	.asciz "flood flood flood flood flood flood flood flood flood flood flood\n"
