/* fw_cfg through its ports, as a multiboot test kernel written for QEMU
 * reads it (QEMU docs/specs/fw_cfg.rst): the signature, the ID, the CPU
 * counts and RAM size, every entry of the file directory, and etc/e820,
 * whose RAM entries must add up to the RAM size. Prints what it read (the
 * KVM test compares it with --cpus and --mem) and ends with debug-exit
 * 0x12 (status 37); a check that fails prints why and ends with 0x0e
 * (status 29). */
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
	/* Signature: "QEMU" at key 0. */
	mov $0x00, %ax
	call fwsel
	call fwrd32
	cmp $0x554d4551, %eax
	mov $e_sig, %esi
	jne bad
	mov $m_sig, %esi
	call puts
	/* ID: bit 0 traditional interface, bit 1 DMA. */
	mov $0x01, %ax
	call fwsel
	call fwrd32
	push %eax
	mov $m_id, %esi
	call puts
	pop %eax
	call puthex
	/* FW_CFG_NB_CPUS and FW_CFG_MAX_CPUS: le16. */
	mov $0x05, %ax
	call fwsel
	call fwrd32               /* 2 bytes, then 0s past the end */
	push %eax
	mov $m_cpus, %esi
	call puts
	pop %eax
	call puthex
	mov $0x0f, %ax
	call fwsel
	call fwrd32
	push %eax
	mov $m_max, %esi
	call puts
	pop %eax
	call puthex
	/* FW_CFG_RAM_SIZE: le64. */
	mov $0x03, %ax
	call fwsel
	call fwrd32
	mov %eax, ram_lo
	call fwrd32
	mov %eax, ram_hi
	mov $m_ram, %esi
	call puts
	mov ram_hi, %eax
	call puthex
	mov $':', %al
	call putc
	mov ram_lo, %eax
	call puthex
	/* The directory: be32 count, then 64-byte entries. */
	mov $0x19, %ax
	call fwsel
	call fwrd32be
	mov %eax, nfiles
	test %eax, %eax
	mov $e_dir, %esi
	jz bad
	cmp $32, %eax
	ja bad
	mov $dir, %edi
	mov nfiles, %ecx
	shl $6, %ecx
6:	call fwrd8
	stosb
	loop 6b
	mov $dir, %edi
	mov nfiles, %ecx
7:	push %ecx
	mov $m_file, %esi
	call puts
	lea 8(%edi), %esi
	call puts
	mov $m_size, %esi
	call puts
	mov (%edi), %eax
	bswap %eax
	call puthex
	mov $m_key, %esi
	call puts
	movzwl 4(%edi), %eax
	xchg %al, %ah
	call puthex
	/* etc/e820? Remember its key and size. */
	lea 8(%edi), %esi
	mov $n_e820, %ebx
8:	mov (%esi), %al
	cmp (%ebx), %al
	jne 9f
	inc %esi
	inc %ebx
	test %al, %al
	jnz 8b
	movzwl 4(%edi), %eax
	xchg %al, %ah
	mov %eax, e820_key
	mov (%edi), %eax
	bswap %eax
	mov %eax, e820_len
9:	add $64, %edi
	pop %ecx
	loop 7b
	/* etc/e820: the RAM entries (type 1) must add up to RAM_SIZE. */
	mov e820_key, %eax
	test %eax, %eax
	mov $e_e820, %esi
	jz bad
	call fwsel
	mov e820_len, %eax
	xor %edx, %edx
	mov $20, %ecx
	div %ecx
	test %edx, %edx
	mov $e_e820, %esi
	jnz bad
	mov %eax, %ecx
	xor %esi, %esi            /* sum, low half */
	xor %edi, %edi            /* sum, high half */
10:	call fwrd32               /* address */
	call fwrd32
	call fwrd32               /* length */
	mov %eax, tmp_lo
	call fwrd32
	mov %eax, tmp_hi
	call fwrd32               /* type */
	cmp $1, %eax
	jne 11f
	add tmp_lo, %esi
	adc tmp_hi, %edi
11:	loop 10b
	cmp ram_lo, %esi
	jne 12f
	cmp ram_hi, %edi
	jne 12f
	mov $m_e820, %esi
	call puts
	mov $0x12, %eax
	jmp exit
12:	mov $e_e820, %esi
bad:
	call puts
	mov $0x0e, %eax
exit:
	mov $0xf4, %dx
	out %eax, %dx
	hlt
	jmp exit

#include "serial32.inc"

	.section .bss
	.align 16
ram_lo:	.long 0
ram_hi:	.long 0
nfiles:	.long 0
e820_key: .long 0
e820_len: .long 0
tmp_lo:	.long 0
tmp_hi:	.long 0
dir:	.skip 32 * 64
	.skip 4096
stack_top:
	.section .rodata
m_sig:	.asciz "fw_cfg signature QEMU\n"
m_id:	.asciz "id "
m_cpus:	.asciz "\ncpus "
m_max:	.asciz "\nmax cpus "
m_ram:	.asciz "\nram "
m_file:	.asciz "\nfile "
m_size:	.asciz " size "
m_key:	.asciz " key "
m_e820:	.asciz "\ne820 RAM adds up to RAM_SIZE\n"
n_e820:	.asciz "etc/e820"
e_sig:	.asciz "bad fw_cfg signature\n"
e_dir:	.asciz "\nbad fw_cfg file directory\n"
e_e820:	.asciz "\nbad etc/e820\n"
