/* ELF64 test guest: checks the hvboot_info block in %rdi, prints a greeting
 * and the command line, then ends with debug-exit value 0x10 (status 33).
 * A bad boot block ends with value 0x0f (status 31). */
#include "hvboot.h"
	.code64
	.text
	.globl _start
_start:
	mov %rdi, %rbx
	movabs $HVBOOT_MAGIC, %rax
	cmp (%rbx), %rax
	jne bad
	lea msg(%rip), %rsi
	call puts
	mov 32(%rbx), %rsi     /* hvboot_info.cmdline */
	call puts
	lea mem(%rip), %rsi
	call puts
	mov 16(%rbx), %rax     /* hvboot_info.mem_size */
	shr $20, %rax
	call putdec
	lea nl(%rip), %rsi
	call puts
	mov $0x10, %eax
	call debug_exit
bad:
	lea badmsg(%rip), %rsi
	call puts
	mov $0x0f, %eax
	call debug_exit
#include "serial64.inc"
	.section .rodata
msg:	.asciz "hello from elf64, cmdline: "
mem:	.asciz "\nmem MiB: "
nl:	.asciz "\n"
badmsg:	.asciz "bad boot info\n"
