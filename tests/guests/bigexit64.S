/* ELF64 test guest: writes debug-exit value 80 (0x50), which an exit
 * status (V << 1) | 1 cannot carry: 161 would read as "signal 33". The
 * monitor reports it as VMM_EXIT_DEBUG_RANGE (src/common/vmmstatus.h);
 * vmm system must never call it a death by a signal. */
	.code64
	.text
	.globl _start
_start:
	lea msg(%rip), %rsi
	call puts
	mov $80, %eax
	call debug_exit
#include "serial64.inc"
	.section .rodata
msg:	.asciz "exiting with debug-exit value 80\n"
