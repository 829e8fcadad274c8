/* ELF64 test guest: walks PCI bus 0 through configuration mechanism #1 and
 * prints, for each function present, its IDs, class, interrupt line/pin
 * and capability list (virtio vendor capabilities with cfg_type, offset,
 * length and notify multiplier; MSI-X with Message Control, table and PBA
 * words). For virtio devices (vendor 1af4) it also reads, through BAR0,
 * the device feature words 0 and 1, num_queues, queue 0's size and the
 * first word of the device configuration. Ends with debug-exit 0x20.
 *
 * One line per device:
 *   dev DD id DDDDVVVV sub SSSSVVVV class CCSSPPRR irq 0000PPLL caps: c09:TT:OOOOOOOO+LLLLLLLL
 *   ... c11:CTRL:TABLE:PBA f0 ... f1 ... nq ... qs ... cfg ...
 */
	.code64
	.text
	.globl _start
_start:
	xor %r12d, %r12d
scan:
	mov %r12d, %edi
	xor %esi, %esi
	call cfgrd
	cmp $0xffffffff, %eax
	je next
	mov %eax, %r13d
	lea s_dev(%rip), %rsi
	call puts
	mov %r12d, %eax
	call puthex8
	lea s_id(%rip), %rsi
	call puts
	mov %r13d, %eax
	call puthex32
	lea s_sub(%rip), %rsi
	call puts
	mov $0x2c, %esi
	call field
	lea s_class(%rip), %rsi
	call puts
	mov $0x08, %esi
	call field
	lea s_irq(%rip), %rsi
	call puts
	mov $0x3c, %esi
	call field
	lea s_caps(%rip), %rsi
	call puts
	mov %r12d, %edi
	mov $0x04, %esi
	call cfgrd
	test $0x100000, %eax           /* STATUS bit 4: capabilities list */
	jz capdone
	mov %r12d, %edi
	mov $0x34, %esi
	call cfgrd
	and $0xfc, %eax
	mov %eax, %r14d
	mov $48, %r15d                 /* bound the walk */
capl:
	test %r14d, %r14d
	jz capdone
	dec %r15d
	js capdone
	mov %r12d, %edi
	mov %r14d, %esi
	call cfgrd
	mov %eax, %ebx
	lea s_c(%rip), %rsi
	call puts
	mov %ebx, %eax
	call puthex8
	cmp $0x09, %bl
	jne 1f
	lea s_colon(%rip), %rsi
	call puts
	mov %ebx, %eax
	shr $24, %eax
	call puthex8
	lea s_colon(%rip), %rsi
	call puts
	lea 8(%r14), %esi
	call field
	lea s_plus(%rip), %rsi
	call puts
	lea 12(%r14), %esi
	call field
	mov %ebx, %eax
	shr $24, %eax
	cmp $2, %eax
	jne 1f
	lea s_star(%rip), %rsi
	call puts
	lea 16(%r14), %esi
	call field
1:	cmp $0x11, %bl
	jne 2f
	lea s_colon(%rip), %rsi
	call puts
	mov %ebx, %eax
	shr $16, %eax
	call puthex16
	lea s_colon(%rip), %rsi
	call puts
	lea 4(%r14), %esi
	call field
	lea s_colon(%rip), %rsi
	call puts
	lea 8(%r14), %esi
	call field
2:	mov %ebx, %eax
	shr $8, %eax
	and $0xfc, %eax
	mov %eax, %r14d
	jmp capl
capdone:
	cmp $0x1af4, %r13w
	jne eol
	mov %r12d, %edi
	mov $0x10, %esi
	call cfgrd
	and $0xfffffff0, %eax
	mov %eax, %ebx                 /* BAR0, identity-mapped below 4 GiB */
	lea s_f0(%rip), %rsi
	call puts
	movl $0, (%rbx)                /* device_feature_select */
	mov 4(%rbx), %eax
	call puthex32
	lea s_f1(%rip), %rsi
	call puts
	movl $1, (%rbx)
	mov 4(%rbx), %eax
	call puthex32
	lea s_nq(%rip), %rsi
	call puts
	movzwl 0x12(%rbx), %eax
	call puthex16
	lea s_qs(%rip), %rsi
	call puts
	movw $0, 0x16(%rbx)            /* queue_select */
	movzwl 0x18(%rbx), %eax
	call puthex16
	lea s_cfg(%rip), %rsi
	call puts
	mov 0x2000(%rbx), %eax
	call puthex32
eol:
	lea s_nl(%rip), %rsi
	call puts
next:
	inc %r12d
	cmp $32, %r12d
	jb scan
	lea s_done(%rip), %rsi
	call puts
	mov $0x20, %eax
	call debug_exit

/* cfgrd: %edi = device, %esi = register -> %eax. Clobbers %ecx, %edx. */
cfgrd:
	mov %edi, %eax
	shl $11, %eax
	or $0x80000000, %eax
	mov %esi, %ecx
	and $0xfc, %ecx
	or %ecx, %eax
	mov $0xcf8, %dx
	out %eax, %dx
	mov $0xcfc, %dx
	in %dx, %eax
	ret

/* field: prints register %esi of device %r12d as 8 hex digits. */
field:
	mov %r12d, %edi
	call cfgrd
	jmp puthex32

/* puthex32/16/8: %eax printed as 8/4/2 hex digits. Clobber rax-rdx, rsi, r8, r9. */
puthex32:
	mov $8, %ecx
	jmp puthexn
puthex16:
	shl $16, %eax
	mov $4, %ecx
	jmp puthexn
puthex8:
	shl $24, %eax
	mov $2, %ecx
puthexn:
	mov %eax, %r8d
	mov %ecx, %r9d
3:	rol $4, %r8d
	mov %r8d, %eax
	and $0xf, %eax
	lea hexd(%rip), %rsi
	movb (%rsi,%rax), %al
	call putc
	dec %r9d
	jnz 3b
	ret

#include "serial64.inc"
	.section .rodata
hexd:	.ascii "0123456789abcdef"
s_dev:	.asciz "dev "
s_id:	.asciz " id "
s_sub:	.asciz " sub "
s_class: .asciz " class "
s_irq:	.asciz " irq "
s_caps:	.asciz " caps:"
s_c:	.asciz " c"
s_colon: .asciz ":"
s_plus:	.asciz "+"
s_star:	.asciz "*"
s_f0:	.asciz " f0 "
s_f1:	.asciz " f1 "
s_nq:	.asciz " nq "
s_qs:	.asciz " qs "
s_cfg:	.asciz " cfg "
s_nl:	.asciz "\n"
s_done:	.asciz "scan done\n"
