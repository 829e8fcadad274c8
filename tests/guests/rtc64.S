/* ELF64 test guest: reads the CMOS clock (MC146818 registers 0x00-0x09
 * through ports 0x70/0x71) as an OS does at boot, prints the year register
 * (BCD, as two digits), and ends with debug-exit 0x12 (status 37). Run
 * under the sandbox it proves that reading the clock needs no system call
 * the policy forbids. */
	.code64
	.text
	.globl _start
_start:
	xor %ecx, %ecx
1:	mov %cl, %al
	out %al, $0x70
	in $0x71, %al
	inc %ecx
	cmp $10, %ecx
	jne 1b
	mov %al, %bl               /* register 9: year, BCD */
	lea msg(%rip), %rsi
	call puts
	mov %bl, %al
	shr $4, %al
	add $'0', %al
	call putc
	mov %bl, %al
	and $0xf, %al
	add $'0', %al
	call putc
	mov $'\n', %al
	call putc
	mov $0x12, %eax
	call debug_exit
#include "serial64.inc"
	.section .rodata
msg:	.asciz "rtc year "
