/* ELF64 test guest: sends INIT to its own local APIC through the ICR
 * (Intel SDM vol. 3A sec. 11.6.1: delivery mode 101b, level assert, the
 * "self" destination shorthand, which KVM delivers to the sender). The CPU
 * then restarts in real mode at the reset vector 0xfffffff0, where the
 * monitor's firmware stub asks for a reset: the run ends with status 0. If
 * the INIT does nothing, the guest ends with debug-exit 0x21 (status 67). */
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	call puts
	mov $0xfee00000, %rbx
	movl $0x44500, 0x300(%rbx) /* ICR low: INIT, assert, shorthand self */
	mov $100000, %ecx
1:	pause
	dec %ecx
	jnz 1b
	lea nomsg(%rip), %rsi
	call puts
	mov $0x21, %eax
	call debug_exit
#include "serial64.inc"
	.section .rodata
msg:	.asciz "sending INIT to myself\n"
nomsg:	.asciz "INIT did not restart the CPU\n"
