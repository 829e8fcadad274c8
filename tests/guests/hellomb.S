/* Multiboot v1 test kernel (ELF32): checks EAX holds the boot loader magic
 * and the info block has a command line and a memory map, prints them, and
 * ends with debug-exit value 0x11 (status 35); a bad hand-off ends with
 * 0x0e (status 29). Multiboot spec 0.6.96 sec. 3.1 (header), 3.3 (info). */
	.set MB_MAGIC, 0x1badb002
	.set MB_FLAGS, 0x3          /* page-align modules, want memory info */
	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.code32
	.text
	.globl _start
_start:
	mov $stack_top, %esp        /* multiboot leaves ESP undefined */
	cmp $0x2badb002, %eax
	jne bad
	mov %ebx, %edi
	testl $(1 << 2), (%edi)     /* flags: cmdline valid */
	jz bad
	testl $(1 << 6), (%edi)     /* flags: mmap valid */
	jz bad
	mov $msg, %esi
	call puts
	mov 16(%edi), %esi          /* cmdline */
	call puts
	mov $mmap, %esi
	call puts
	mov 44(%edi), %eax          /* mmap_length */
	xor %edx, %edx
	mov $24, %ecx               /* size field + 20-byte entry */
	div %ecx
	add $'0', %al
	call putc
	mov $nl, %esi
	call puts
	mov $0x11, %eax
	jmp exit
bad:
	mov $badmsg, %esi
	call puts
	mov $0x0e, %eax
exit:
	mov $0xf4, %dx
	out %eax, %dx
	hlt
	jmp exit
putc:
	mov %al, %ah
	mov $0x3fd, %dx
1:	in %dx, %al
	test $0x20, %al
	jz 1b
	mov $0x3f8, %dx
	mov %ah, %al
	out %al, %dx
	ret
puts:
	lodsb
	test %al, %al
	jz 2f
	call putc
	jmp puts
2:	ret
	.section .bss
	.align 16
	.skip 4096
stack_top:
	.section .rodata
msg:	.asciz "hello from multiboot, cmdline: "
mmap:	.asciz "\nmmap entries: "
nl:	.asciz "\n"
badmsg:	.asciz "bad multiboot hand-off\n"
