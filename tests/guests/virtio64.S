/* ELF64 test guest: one request to each of the first virtio-blk and
 * virtio-rng functions on PCI bus 0, by polling (interrupts stay off), as
 * a minimal driver would (virtio 1.2 3.1.1, 4.1.4.3, 2.7.13):
 *   blk: IN of sector 0 into 512 bytes; prints "blk status SS used LLLLLLLL
 *        data DDDDDDDD" (the first dword read);
 *   rng: 32 writable bytes; prints "rng used LLLLLLLL".
 * A device that is absent is skipped. Ends with debug-exit 0x21. */
	.code64
	.text
	.globl _start
_start:
	mov $0x1042, %edi
	call find
	test %eax, %eax
	jz 1f
	mov %eax, %ebx
	mov $0x200000, %r12d           /* rings at 2 MiB */
	call bring_up
	/* header at 0x210000: type IN (0), sector 0; data 0x211000; status 0x212000 */
	movq $0, 0x210000
	movq $0, 0x210008
	movb $0xee, 0x212000
	movq $0x210000, 0x200000       /* desc 0: header, NEXT -> 1 */
	movl $16, 0x200008
	movw $1, 0x20000c
	movw $1, 0x20000e
	movq $0x211000, 0x200010       /* desc 1: data, WRITE|NEXT -> 2 */
	movl $512, 0x200018
	movw $3, 0x20001c
	movw $2, 0x20001e
	movq $0x212000, 0x200020       /* desc 2: status, WRITE */
	movl $1, 0x200028
	movw $2, 0x20002c
	movw $0, 0x20002e
	call submit
	lea s_blk(%rip), %rsi
	call puts
	movzbl 0x212000, %eax
	call puthex8
	lea s_used(%rip), %rsi
	call puts
	mov 0x202008, %eax             /* used ring[0].len */
	call puthex32
	lea s_data(%rip), %rsi
	call puts
	mov 0x211000, %eax
	call puthex32
	lea s_nl(%rip), %rsi
	call puts
1:	mov $0x1044, %edi
	call find
	test %eax, %eax
	jz 2f
	mov %eax, %ebx
	mov $0x300000, %r12d
	call bring_up
	movq $0x311000, 0x300000       /* desc 0: 32 bytes, WRITE */
	movl $32, 0x300008
	movw $2, 0x30000c
	movw $0, 0x30000e
	call submit
	lea s_rng(%rip), %rsi
	call puts
	mov 0x302008, %eax
	call puthex32
	lea s_nl(%rip), %rsi
	call puts
2:	mov $0x21, %eax
	call debug_exit

/* find: %edi = device ID -> %eax = BAR0 of the first such 1af4 function, or 0. */
find:
	xor %r13d, %r13d
3:	mov %r13d, %eax
	shl $11, %eax
	or $0x80000000, %eax
	mov $0xcf8, %dx
	out %eax, %dx
	mov $0xcfc, %dx
	in %dx, %eax
	mov %edi, %ecx
	shl $16, %ecx
	or $0x1af4, %ecx
	cmp %ecx, %eax
	je 4f
	inc %r13d
	cmp $32, %r13d
	jb 3b
	xor %eax, %eax
	ret
4:	mov %r13d, %eax
	shl $11, %eax
	or $0x80000010, %eax
	mov $0xcf8, %dx
	out %eax, %dx
	mov $0xcfc, %dx
	in %dx, %eax
	and $0xfffffff0, %eax
	ret

/* bring_up: device at BAR %rbx, queue 0 of 8 with rings at %r12
 * (desc), +0x1000 (avail), +0x2000 (used). */
bring_up:
	movb $0, 0x14(%rbx)            /* reset, then wait for status 0 */
5:	movzbl 0x14(%rbx), %eax
	test %eax, %eax
	jnz 5b
	movb $1, 0x14(%rbx)
	movb $3, 0x14(%rbx)
	movl $1, 0x08(%rbx)            /* driver_feature_select 1 */
	movl $1, 0x0c(%rbx)            /* VERSION_1 */
	movb $11, 0x14(%rbx)           /* FEATURES_OK */
	movw $0, 0x16(%rbx)
	movw $8, 0x18(%rbx)
	mov %r12d, %eax
	movl %eax, 0x20(%rbx)
	movl $0, 0x24(%rbx)
	add $0x1000, %eax
	movl %eax, 0x28(%rbx)
	movl $0, 0x2c(%rbx)
	add $0x1000, %eax
	movl %eax, 0x30(%rbx)
	movl $0, 0x34(%rbx)
	movw $1, 0x1c(%rbx)
	movb $15, 0x14(%rbx)           /* DRIVER_OK */
	ret

/* submit: head 0 made available, queue 0 notified, then poll used.idx. */
submit:
	movw $0, 0x1004(%r12)          /* avail.ring[0] = 0 */
	movw $1, 0x1002(%r12)          /* avail.idx = 1 */
	movw $0, 0x3000(%rbx)          /* notify queue 0: a 2-byte write */
	mov $1000000, %ecx
6:	cmpw $1, 0x2002(%r12)
	je 7f
	pause
	dec %ecx
	jnz 6b
7:	ret

puthex32:
	mov $8, %ecx
	jmp puthexn
puthex8:
	shl $24, %eax
	mov $2, %ecx
puthexn:
	mov %eax, %r8d
	mov %ecx, %r9d
8:	rol $4, %r8d
	mov %r8d, %eax
	and $0xf, %eax
	lea hexd(%rip), %rsi
	movb (%rsi,%rax), %al
	call putc
	dec %r9d
	jnz 8b
	ret

#include "serial64.inc"
	.section .rodata
hexd:	.ascii "0123456789abcdef"
s_blk:	.asciz "blk status "
s_used:	.asciz " used "
s_data:	.asciz " data "
s_rng:	.asciz "rng used "
s_nl:	.asciz "\n"
