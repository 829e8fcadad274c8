/* ELF64 test guest: reads a port and an MMIO address no device claims and
 * checks they read all-ones, writes to both, then ends with debug-exit 0
 * (status 1) on success or 1 (status 3) on failure. */
	.code64
	.text
	.globl _start
_start:
	mov $0x300, %dx
	in %dx, %al
	cmp $0xff, %al
	jne bad
	mov $0x304, %dx
	in %dx, %eax
	cmp $0xffffffff, %eax
	jne bad
	out %eax, %dx
	mov $0xd0000000, %rbx  /* in the MMIO hole, identity-mapped */
	mov (%rbx), %eax
	cmp $0xffffffff, %eax
	jne bad
	movl $0x12345678, (%rbx)
	lea okmsg(%rip), %rsi
	call puts
	xor %eax, %eax
	call debug_exit
bad:
	lea badmsg(%rip), %rsi
	call puts
	mov $1, %eax
	call debug_exit
#include "serial64.inc"
	.section .rodata
okmsg:	.asciz "unclaimed reads all-ones\n"
badmsg:	.asciz "unclaimed read returned something else\n"
