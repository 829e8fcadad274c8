/* ELF64 test guest: reads each of the 65536 I/O ports once (most are
 * claimed by no device, so each is an "unclaimed access" the monitor may
 * log), then ends with debug-exit 0 (status 1), or spins for ever when
 * its command line starts with 's' (for the SIGTERM tests). */
	.code64
	.text
	.globl _start
_start:
	mov 32(%rdi), %rbx     /* hvboot_info.cmdline */
	xor %ecx, %ecx
1:	mov %cx, %dx
	in %dx, %al
	inc %ecx
	cmp $0x10000, %ecx
	jne 1b
	cmpb $'s', (%rbx)
	je 2f
	lea msg(%rip), %rsi
	call puts
	xor %eax, %eax
	call debug_exit
2:	pause
	jmp 2b
#include "serial64.inc"
	.section .rodata
msg:	.asciz "all ports read\n"
