/* A multiboot kernel linked at 0x8000 (tests/guests/lowmb.ld), over where
 * the monitor keeps its boot block for images at 1 MiB. Checks that it
 * runs where it was linked, that its own 120 KiB of data (from about
 * 0x9000, over HVBOOT_MMAP and the command-line area at 0x20000) are what
 * the image holds, that the information
 * structure, its command line and the memory map lie outside the image,
 * and prints the command line, where the structure is, and the module.
 * Ends with debug-exit 0x14 (status 41), or prints the failed check and
 * ends with 0x0e (status 29). */
	.set MB_MAGIC, 0x1badb002
	.set MB_FLAGS, 0x3
	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.code32
	.text
	.globl _start
_start:
	mov $stack_top, %esp
	cmp $0x2badb002, %eax
	mov $e_magic, %esi
	jne bad
	/* Where are we? The address call pushes is where we run. */
	call 1f
1:	pop %eax
	cmp $1b, %eax
	mov $e_where, %esi
	jne bad
	cmp $0x100000, %eax
	jae bad
	/* The data the image brought: words i * 0x01010101 + 0x55. */
	mov $pattern, %edi
	xor %ecx, %ecx
2:	mov %ecx, %eax
	imul $0x01010101, %eax
	add $0x55, %eax
	cmp (%edi,%ecx,4), %eax
	mov $e_data, %esi
	jne bad
	inc %ecx
	cmp $(PATTERN_WORDS), %ecx
	jne 2b
	/* The information structure, its command line and memory map lie
	 * outside [_start, image_end). */
	mov %ebx, info
	mov %ebx, %eax
	call outside
	mov $e_info, %esi
	jc bad
	testl $(1 << 2), (%ebx)
	jz bad
	testl $(1 << 6), (%ebx)
	jz bad
	mov 16(%ebx), %eax
	call outside
	jc bad
	mov 48(%ebx), %eax
	call outside
	jc bad
	mov $m_hello, %esi
	call puts
	mov 16(%ebx), %esi
	call puts
	mov $m_info, %esi
	call puts
	mov info, %eax
	call puthex
	mov info, %ebx
	testl $(1 << 3), (%ebx)
	jz 3f
	cmpl $0, 20(%ebx)
	je 3f
	mov 24(%ebx), %edi
	mov $m_mod, %esi
	call puts
	mov (%edi), %eax
	call puthex
	mov $'-', %al
	call putc
	mov 4(%edi), %eax
	call puthex
3:	mov $m_nl, %esi
	call puts
	mov $0x14, %eax
	jmp exit
bad:
	call puts
	mov $0x0e, %eax
exit:
	mov $0xf4, %dx
	out %eax, %dx
	hlt
	jmp exit

/* CF set when %eax lies inside the image. */
outside:
	cmp $_start, %eax
	jb 4f
	cmp $image_end, %eax
	jae 4f
	stc
	ret
4:	clc
	ret

#include "serial32.inc"

	.section .data
	.align 4
	.set PATTERN_WORDS, 30720
pattern:
	.set i, 0
	.rept PATTERN_WORDS
	.long i * 0x01010101 + 0x55
	.set i, i + 1
	.endr
	.section .bss
	.align 16
info:	.long 0
	.skip 4096
stack_top:
image_end:
	.section .rodata
m_hello: .asciz "hello from below 1 MiB, cmdline: "
m_info:	.asciz "\ninfo at "
m_mod:	.asciz " module "
m_nl:	.asciz "\n"
e_magic: .asciz "bad multiboot magic\n"
e_where: .asciz "not running where linked\n"
e_data:	.asciz "the image's data was overwritten\n"
e_info:	.asciz "the boot information overlaps the image\n"
