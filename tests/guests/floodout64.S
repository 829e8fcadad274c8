/* ELF64 test guest for vmm system: prints the same 4 KiB of numbered
 * 64-byte lines over and over, each 4 KiB with one `rep outsb` (one exit;
 * the block is built once, since guest kernel code is slow on a software
 * KVM), so a terminal that does not keep up falls behind at once. It
 * never stops by itself. */
	.code64
	.text
	.globl _start
_start:
	xor %ebx, %ebx                   /* line number */
1:	lea buf(%rip), %rdi
	mov $64, %ecx                    /* 64 lines of 64 bytes */
2:	push %rcx
	push %rdi
	lea pre(%rip), %rsi
	mov $8, %ecx
	rep movsb                        /* "floodout" */
	mov %rbx, %rax
	inc %rbx
	mov $16, %ecx                    /* 16 hex digits */
3:	rol $4, %rax
	mov %eax, %edx
	and $15, %edx
	lea hex(%rip), %rsi
	movb (%rsi,%rdx), %dl
	mov %dl, (%rdi)
	inc %rdi
	dec %ecx
	jnz 3b
	mov $39, %ecx                    /* padding, then the newline */
	mov $'.', %al
	rep stosb
	movb $'\n', (%rdi)
	pop %rdi
	add $64, %rdi
	pop %rcx
	dec %ecx
	jnz 2b
4:	lea buf(%rip), %rsi
	mov $4096, %ecx
	mov $0x3f8, %dx
	rep outsb
	jmp 4b
	.section .rodata
pre:	.ascii "floodout"
hex:	.ascii "0123456789abcdef"
	.bss
	.align 64
buf:	.skip 4096
