/* PVH test kernel (src/common/pvh.h): an ELF64 whose only entry is the PVH
 * note's, with a 4-byte descriptor (the 32-bit form). In 32-bit protected
 * mode it checks the documented entry state (CR0 = PE without PG, CR4 = 0,
 * IF clear, EBX = a version 1 start info whose rsdp_paddr names an RSDP),
 * prints the command line, the number of memory map entries and modules
 * and the first module's size, and ends with debug-exit value 0x12
 * (status 37); a bad hand-off ends with 0x0e (status 29). */
#include "pvh.h"
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, PVH_NOTE_PHYS32_ENTRY
	.asciz PVH_NOTE_NAME
	.balign 4
	.long _start
	.balign 4

	.code32
	.text
	.globl _start
_start:
	mov $stack_top, %esp
	mov %ebx, %edi
	cmpl $PVH_START_MAGIC, (%edi)
	jne bad
	cmpl $1, 4(%edi)            /* version: 1 has the memory map */
	jb bad
	mov %cr0, %eax
	cmp $0x11, %eax             /* PE, and ET, which the CPU fixes at 1 */
	jne bad
	mov %cr4, %eax
	test %eax, %eax
	jnz bad
	pushf
	pop %eax
	test $0x200, %eax           /* IF */
	jnz bad
	mov 32(%edi), %eax          /* rsdp_paddr */
	cmpl $0x20445352, (%eax)    /* "RSD " */
	jne bad
	mov $msg, %esi
	call puts
	mov 24(%edi), %esi          /* cmdline_paddr */
	call puts
	mov $mmap, %esi
	call puts
	mov 48(%edi), %eax          /* memmap_entries */
	call putdec
	mov $mods, %esi
	call puts
	mov 12(%edi), %eax          /* nr_modules */
	call putdec
	cmpl $0, 12(%edi)
	je 1f
	mov $modsz, %esi
	call puts
	mov 16(%edi), %ebx          /* modlist_paddr */
	mov 8(%ebx), %eax           /* modules[0].size */
	call putdec
1:	mov $nl, %esi
	call puts
	mov $0x12, %eax
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
2:	in %dx, %al
	test $0x20, %al
	jz 2b
	mov $0x3f8, %dx
	mov %ah, %al
	out %al, %dx
	ret
puts:
	lodsb
	test %al, %al
	jz 3f
	call putc
	jmp puts
3:	ret
/* putdec: %eax printed in decimal. Clobbers eax, ecx, edx, esi. */
putdec:
	sub $16, %esp
	lea 15(%esp), %esi
	movb $0, (%esi)
	mov $10, %ecx
4:	xor %edx, %edx
	div %ecx
	add $'0', %dl
	dec %esi
	mov %dl, (%esi)
	test %eax, %eax
	jnz 4b
	call puts
	add $16, %esp
	ret
	.section .bss
	.align 16
	.skip 4096
stack_top:
	.section .rodata
msg:	.asciz "hello from pvh, cmdline: "
mmap:	.asciz "\nmemmap entries: "
mods:	.asciz "\nmodules: "
modsz:	.asciz "\nmodule size: "
nl:	.asciz "\n"
badmsg:	.asciz "bad pvh hand-off\n"
