/* fw_cfg's DMA interface (QEMU docs/specs/fw_cfg.rst, "DMA interface"), as
 * firmware uses it: the DMA port's signature, the file directory read in
 * two transfers (the second goes on from the offset the first left), a
 * file found in it (etc/acpi/rsdp, which must start "RSD PTR "), a read
 * that runs past the end of its item (zeros after it), a write (refused
 * with the error bit, the item unchanged), a destination outside RAM
 * (the error bit) and a skip. Ends with debug-exit 0x13 (status 39), or
 * prints the failed check and ends with 0x0e (status 29). */
	.set MB_MAGIC, 0x1badb002
	.set MB_FLAGS, 0x3
	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.set CTL_ERROR, 0x01
	.set CTL_READ, 0x02
	.set CTL_SKIP, 0x04
	.set CTL_SELECT, 0x08
	.set CTL_WRITE, 0x10

	.code32
	.text
	.globl _start
_start:
	mov $stack_top, %esp
	/* The DMA port reads "QEMU CFG". */
	mov $0x514, %dx
	in %dx, %eax
	cmp $0x554d4551, %eax     /* "QEMU" */
	mov $e_sig, %esi
	jne bad
	mov $0x518, %dx
	in %dx, %eax
	cmp $0x47464320, %eax     /* " CFG" */
	jne bad
	/* The ID must offer DMA. */
	mov $0x01, %ax
	call fwsel
	call fwrd32
	test $2, %eax
	mov $e_id, %esi
	jz bad
	/* The directory: the count, then the entries from where it left. */
	mov $((0x19 << 16) | CTL_SELECT | CTL_READ), %eax
	mov $4, %ecx
	mov $count, %ebx
	call dma
	mov $e_dma, %esi
	jnz bad
	mov count, %eax
	bswap %eax
	mov %eax, count
	test %eax, %eax
	mov $e_dir, %esi
	jz bad
	cmp $32, %eax
	ja bad
	mov %eax, %ecx
	shl $6, %ecx
	mov $CTL_READ, %eax
	mov $dir, %ebx
	call dma
	mov $e_dma, %esi
	jnz bad
	/* Find etc/acpi/rsdp. */
	mov $dir, %edi
	mov count, %ecx
1:	lea 8(%edi), %esi
	mov $n_rsdp, %ebx
2:	mov (%esi), %al
	cmp (%ebx), %al
	jne 3f
	inc %esi
	inc %ebx
	test %al, %al
	jnz 2b
	jmp 4f
3:	add $64, %edi
	loop 1b
	mov $e_dir, %esi
	jmp bad
4:	movzwl 4(%edi), %eax      /* be16 select */
	xchg %al, %ah
	shl $16, %eax
	or $(CTL_SELECT | CTL_READ), %eax
	mov $36, %ecx
	mov $buf, %ebx
	call dma
	mov $e_dma, %esi
	jnz bad
	cmpl $0x20445352, buf     /* "RSD " */
	mov $e_rsdp, %esi
	jne bad
	cmpl $0x20525450, buf + 4 /* "PTR " */
	jne bad
	mov $m_rsdp, %esi
	call puts
	/* Past the end: the 4-byte signature read as 8 gives 4 zeros. */
	movl $-1, buf
	movl $-1, buf + 4
	mov $((0x00 << 16) | CTL_SELECT | CTL_READ), %eax
	mov $8, %ecx
	mov $buf, %ebx
	call dma
	mov $e_dma, %esi
	jnz bad
	cmpl $0x554d4551, buf
	mov $e_end, %esi
	jne bad
	cmpl $0, buf + 4
	jne bad
	/* A write to NB_CPUS: refused with the error bit, the item as it was. */
	mov $0x05, %ax
	call fwsel
	call fwrd32
	mov %eax, cpus
	movl $0x7777, buf
	mov $((0x05 << 16) | CTL_SELECT | CTL_WRITE), %eax
	mov $2, %ecx
	mov $buf, %ebx
	call dma
	mov $e_write, %esi
	jz bad                    /* no error: it took the write */
	mov $0x05, %ax
	call fwsel
	call fwrd32
	cmp cpus, %eax
	jne bad
	mov $m_write, %esi
	call puts
	/* A destination in the MMIO hole (3 GiB) is not RAM: the error bit. */
	mov $((0x00 << 16) | CTL_SELECT | CTL_READ), %eax
	mov $4, %ecx
	mov $0xc0000000, %ebx
	call dma
	mov $e_hole, %esi
	jz bad
	/* Skip 2 bytes of the signature, read the other 2: "MU". */
	mov $((0x00 << 16) | CTL_SELECT | CTL_SKIP), %eax
	mov $2, %ecx
	mov $buf, %ebx
	call dma
	mov $e_dma, %esi
	jnz bad
	movl $-1, buf
	mov $CTL_READ, %eax
	mov $2, %ecx
	mov $buf, %ebx
	call dma
	mov $e_dma, %esi
	jnz bad
	cmpw $0x554d, buf         /* "MU" */
	mov $e_skip, %esi
	jne bad
	mov $m_ok, %esi
	call puts
	mov $0x13, %eax
	jmp exit
bad:
	call puts
	mov $0x0e, %eax
exit:
	mov $0xf4, %dx
	out %eax, %dx
	hlt
	jmp exit

/* dma: control %eax, length %ecx, destination %ebx. Fills the access
 * structure (big-endian), writes its address to the DMA port (high half,
 * then low half, which starts the transfer), and returns with ZF clear
 * when the device answered with the error bit. */
dma:
	bswap %eax
	mov %eax, acc
	bswap %ecx
	mov %ecx, acc + 4
	movl $0, acc + 8          /* address, high half */
	bswap %ebx
	mov %ebx, acc + 12
	xor %eax, %eax
	mov $0x514, %dx
	out %eax, %dx
	mov $acc, %eax
	bswap %eax
	mov $0x518, %dx
	out %eax, %dx
	mov acc, %eax
	bswap %eax
	test $CTL_ERROR, %eax
	ret

#include "serial32.inc"

	.section .bss
	.align 16
acc:	.skip 16
count:	.long 0
cpus:	.long 0
buf:	.skip 64
dir:	.skip 32 * 64
	.skip 4096
stack_top:
	.section .rodata
m_rsdp:	.asciz "dma: etc/acpi/rsdp starts RSD PTR\n"
m_write: .asciz "dma: write refused with the error bit\n"
m_ok:	.asciz "dma: all checks passed\n"
n_rsdp:	.asciz "etc/acpi/rsdp"
e_sig:	.asciz "bad DMA port signature\n"
e_id:	.asciz "fw_cfg ID has no DMA bit\n"
e_dma:	.asciz "DMA transfer failed\n"
e_dir:	.asciz "bad file directory or no etc/acpi/rsdp\n"
e_rsdp:	.asciz "etc/acpi/rsdp does not start RSD PTR\n"
e_end:	.asciz "a read past the end is not zero-filled\n"
e_write: .asciz "a DMA write was not refused\n"
e_hole:	.asciz "a DMA read into the MMIO hole did not fail\n"
e_skip:	.asciz "skip did not move the offset\n"
