/* ELF64 test guest for PCI passthrough (vmm run --vfio): drives QEMU's
 * "edu" teaching device (vendor 1234, device 11e8; its register map is
 * QEMU's docs/specs/edu.rst) found by walking PCI bus 0 through
 * configuration mechanism #1. Every access to the device goes through the
 * BAR the monitor maps (a memory slot over the VFIO region) and every
 * interrupt comes through VFIO's eventfds and KVM's irqfds, so a pass here
 * means the whole passthrough path works.
 *
 * The command line picks the case:
 *   all   ID register; liveness (the device answers ~v to v); factorial
 *         by polling; then with MSI (one vector, 0xfee00000/0x40): an
 *         interrupt raised by a register write, a factorial's completion
 *         interrupt, a DMA from guest RAM into the device and one back,
 *         compared; then with MSI off, INTx through the IOAPIC (level,
 *         vector 0x41, the GSI in Interrupt Line): two raised interrupts
 *         (the second arrives only if the first's EOI unmasked the line)
 *         and a DMA's completion. Debug-exit 0x2a (status 85).
 *   oob   a DMA from the device to 128 MiB, outside the guest's RAM (run
 *         it with --mem 64M): the IOMMU must fault it; the device still
 *         completes, and a DMA into RAM afterwards still lands.
 *         Debug-exit 0x2b (status 87).
 *   hold  finds the device, prints "edu: holding" and spins, so another
 *         monitor can be seen asking for the same device.
 *   count M I  M factorial completion interrupts by MSI, then I by INTx,
 *         one at a time, printing the same whatever M and I are, so that
 *         the lab can compare the monitor's exit counts (vmm --kick-stats)
 *         of runs with different M and I. Debug-exit 0x2c (status 89).
 * A failed step prints "edu: FAIL ..." and exits 0x30 + its number
 * (status 97 and up). Interrupt waits are bounded by the TSC (5 s at the
 * monitor's tsc_khz, or 2 GHz when it gives none).
 */
#include "hvboot.h"

#define EDU_ID 0x00
#define EDU_LIVE 0x04
#define EDU_FACT 0x08
#define EDU_STATUS 0x20        /* bit 0 computing, bit 7 interrupt when done */
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98       /* bit 0 start, bit 1 to RAM, bit 2 interrupt */
#define EDU_DMA_BUF 0x40000    /* the device's 4 KiB buffer, in its own space */
#define MSI_VECTOR 0x40
#define INTX_VECTOR 0x41
#define LAPIC 0xfee00000
#define IOAPIC 0xfec00000
#define BUF_A 0x300000
#define BUF_B 0x301000
#define BUF_C 0x302000
#define OOB_ADDR 0x8000000

	.code64
	.text
	.globl _start
_start:
	mov %rdi, info(%rip)
	mov 24(%rdi), %rax             /* hvboot_info.tsc_khz */
	test %rax, %rax
	jnz 1f
	mov $2000000, %eax
1:	imul $5000, %rax               /* 5 s of TSC ticks */
	mov %rax, wait_ticks(%rip)
	/* The 8259s masked; every vector to `stray`, two to ours. */
	mov $0xff, %al
	out %al, $0x21
	out %al, $0xa1
	lea idt(%rip), %rdi
	mov $256, %ecx
	lea stray(%rip), %rax
1:	call gate
	add $16, %rdi
	dec %ecx
	jnz 1b
	lea idt + 16 * MSI_VECTOR(%rip), %rdi
	lea isr_msi(%rip), %rax
	call gate
	lea idt + 16 * INTX_VECTOR(%rip), %rdi
	lea isr_intx(%rip), %rax
	call gate
	lidt idtr(%rip)
	/* The LAPIC software-enabled (SVR bit 8; SDM vol. 3A sec. 10.9). */
	mov $LAPIC + 0xf0, %eax
	movl $0x1ff, (%rax)

	/* Find the device. */
	xor %ebx, %ebx
1:	mov %ebx, %edi
	xor %esi, %esi
	call cfgrd
	cmp $0x11e81234, %eax
	je 2f
	inc %ebx
	cmp $32, %ebx
	jb 1b
	mov $1, %eax
	lea f_none(%rip), %rsi
	jmp fail
2:	mov %ebx, dev(%rip)
	lea s_found(%rip), %rsi
	call puts
	mov %ebx, %eax
	call puthex32
	mov %ebx, %edi
	mov $0x10, %esi
	call cfgrd
	and $~0xf, %eax
	jnz 1f
	mov $2, %eax
	lea f_bar(%rip), %rsi
	jmp fail
1:	mov %rax, bar(%rip)
	lea s_bar(%rip), %rsi
	call puts
	mov bar(%rip), %rax
	call puthex32
	/* Memory decode and bus mastering on (the device's DMA and MSI are
	 * memory writes). */
	mov dev(%rip), %edi
	mov $0x04, %esi
	call cfgrd
	or $0x6, %eax
	and $~0x400, %eax              /* INTx not disabled */
	mov %eax, %ecx
	mov dev(%rip), %edi
	mov $0x04, %esi
	call cfgwr

	mov bar(%rip), %r12
	mov EDU_ID(%r12), %eax
	mov %eax, %ebx
	lea s_id(%rip), %rsi
	call puts
	mov %ebx, %eax
	call puthex32
	cmp $0xed, %bl
	je 1f
	mov $3, %eax
	lea f_id(%rip), %rsi
	jmp fail
1:	movl $0x12345678, EDU_LIVE(%r12)
	mov EDU_LIVE(%r12), %eax
	cmp $~0x12345678, %eax
	je 1f
	mov $4, %eax
	lea f_live(%rip), %rsi
	jmp fail
1:	lea s_live(%rip), %rsi
	call puts

	mov info(%rip), %rdi
	mov 32(%rdi), %rsi             /* hvboot_info.cmdline */
	movzbl (%rsi), %eax
	cmp $'h', %al
	je hold
	mov %eax, mode(%rip)

	/* Factorial by polling. */
	movl $0, EDU_STATUS(%r12)
	movl $10, EDU_FACT(%r12)
	mov wait_ticks(%rip), %r13
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	add %rdx, %r13
1:	testl $1, EDU_STATUS(%r12)
	jz 2f
	pause
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	cmp %r13, %rdx
	jb 1b
2:	mov EDU_FACT(%r12), %ebx
	lea s_fact(%rip), %rsi
	call puts
	mov %ebx, %eax
	push %rbx
	call putdec
	pop %rbx
	cmp $3628800, %ebx
	je 1f
	mov $5, %eax
	lea f_fact(%rip), %rsi
	jmp fail

	/* MSI: the capability (ID 05) in the list the monitor shows. */
1:	mov $0x05, %edi
	call findcap
	test %eax, %eax
	jnz 1f
	mov $6, %eax
	lea f_nomsi(%rip), %rsi
	jmp fail
1:	mov %eax, msicap(%rip)
	mov %eax, %esi
	mov dev(%rip), %edi
	call cfgrd
	mov %eax, %ebx                 /* Message Control in bits 31:16 */
	lea s_msi(%rip), %rsi
	call puts
	mov %ebx, %eax
	call puthex32
	/* Address, then data at +8 (32-bit) or +12 (64-bit capable, bit 7). */
	mov msicap(%rip), %esi
	add $4, %esi
	mov dev(%rip), %edi
	mov $LAPIC, %ecx
	call cfgwr
	mov msicap(%rip), %esi
	add $8, %esi
	test $0x800000, %ebx
	jz 2f
	mov dev(%rip), %edi
	xor %ecx, %ecx
	call cfgwr
	mov msicap(%rip), %esi
	add $12, %esi
2:	mov dev(%rip), %edi
	mov $MSI_VECTOR, %ecx
	call cfgwr
	mov %ebx, %ecx
	or $0x10000, %ecx              /* MSI Enable */
	mov dev(%rip), %edi
	mov msicap(%rip), %esi
	call cfgwr
	sti

	cmpb $'o', mode(%rip)
	je oob
	cmpb $'c', mode(%rip)
	je count

	/* 7: a raised interrupt. */
	movl $0x1234, EDU_IRQ_RAISE(%r12)
	lea msi_count(%rip), %rdi
	mov $1, %esi
	call wait_irq
	mov $7, %eax
	lea f_msi_raise(%rip), %rsi
	jc fail
	cmpl $0x1234, msi_status(%rip)
	jne fail
	lea s_msi_raise(%rip), %rsi
	call puts
	/* 8: a factorial's completion interrupt (status bit 7). */
	movl $0x80, EDU_STATUS(%r12)
	movl $5, EDU_FACT(%r12)
	lea msi_count(%rip), %rdi
	mov $2, %esi
	call wait_irq
	mov $8, %eax
	lea f_msi_fact(%rip), %rsi
	jc fail
	cmpl $1, msi_status(%rip)
	jne fail
	cmpl $120, EDU_FACT(%r12)
	jne fail
	movl $0, EDU_STATUS(%r12)
	lea s_msi_fact(%rip), %rsi
	call puts
	/* 9: DMA guest RAM -> device buffer -> guest RAM, with interrupts. */
	mov $BUF_A, %edi
	mov $0x0123456789abcdef, %rax
	mov $8, %ecx
1:	mov %rax, (%rdi)
	movq $0, BUF_B - BUF_A(%rdi)
	rol $8, %rax
	add $8, %rdi
	dec %ecx
	jnz 1b
	movl $BUF_A, EDU_DMA_SRC(%r12)
	movl $EDU_DMA_BUF, EDU_DMA_DST(%r12)
	movl $64, EDU_DMA_CNT(%r12)
	movl $0x5, EDU_DMA_CMD(%r12)   /* start, to the device, interrupt */
	lea msi_count(%rip), %rdi
	mov $3, %esi
	call wait_irq
	mov $9, %eax
	lea f_dma_in(%rip), %rsi
	jc fail
	cmpl $0x100, msi_status(%rip)
	jne fail
	movl $EDU_DMA_BUF, EDU_DMA_SRC(%r12)
	movl $BUF_B, EDU_DMA_DST(%r12)
	movl $64, EDU_DMA_CNT(%r12)
	movl $0x7, EDU_DMA_CMD(%r12)   /* start, to RAM, interrupt */
	lea msi_count(%rip), %rdi
	mov $4, %esi
	call wait_irq
	mov $10, %eax
	lea f_dma_out(%rip), %rsi
	jc fail
	mov $BUF_A, %esi
	mov $BUF_B, %edi
	mov $64, %ecx
	repe cmpsb
	mov $10, %eax
	lea f_dma_cmp(%rip), %rsi
	jne fail
	lea s_dma(%rip), %rsi
	call puts

	call to_intx
	movl $0x77, EDU_IRQ_RAISE(%r12)
	lea intx_count(%rip), %rdi
	mov $1, %esi
	call wait_irq
	mov $12, %eax
	lea f_intx1(%rip), %rsi
	jc fail
	cmpl $0x77, intx_status(%rip)
	jne fail
	movl $0x88, EDU_IRQ_RAISE(%r12)
	lea intx_count(%rip), %rdi
	mov $2, %esi
	call wait_irq
	mov $13, %eax
	lea f_intx2(%rip), %rsi
	jc fail
	cmpl $0x88, intx_status(%rip)
	jne fail
	movl $EDU_DMA_BUF, EDU_DMA_SRC(%r12)
	movl $BUF_C, EDU_DMA_DST(%r12)
	movl $64, EDU_DMA_CNT(%r12)
	movl $0x7, EDU_DMA_CMD(%r12)
	lea intx_count(%rip), %rdi
	mov $3, %esi
	call wait_irq
	mov $14, %eax
	lea f_intx_dma(%rip), %rsi
	jc fail
	mov $BUF_A, %esi
	mov $BUF_C, %edi
	mov $64, %ecx
	repe cmpsb
	mov $14, %eax
	lea f_dma_cmp(%rip), %rsi
	jne fail
	lea s_intx_ok(%rip), %rsi
	call puts
	lea s_all(%rip), %rsi
	call puts
	mov $0x2a, %eax
	call debug_exit

	/* A DMA to OOB_ADDR, outside RAM: the device finishes (its write is
	 * dropped by the IOMMU), then a DMA into RAM still lands. */
oob:
	mov info(%rip), %rdi
	cmpq $OOB_ADDR, 16(%rdi)       /* hvboot_info.mem_size */
	jb 1f
	mov $15, %eax
	lea f_oobmem(%rip), %rsi
	jmp fail
1:	mov $BUF_A, %edi
	mov $0x5a5a5a5a5a5a5a5a, %rax
	mov $8, %ecx
1:	mov %rax, (%rdi)
	movq $0, BUF_B - BUF_A(%rdi)
	add $8, %rdi
	dec %ecx
	jnz 1b
	movl $BUF_A, EDU_DMA_SRC(%r12)
	movl $EDU_DMA_BUF, EDU_DMA_DST(%r12)
	movl $64, EDU_DMA_CNT(%r12)
	movl $0x5, EDU_DMA_CMD(%r12)
	lea msi_count(%rip), %rdi
	mov $1, %esi
	call wait_irq
	mov $9, %eax
	lea f_dma_in(%rip), %rsi
	jc fail
	lea s_oob(%rip), %rsi
	call puts
	movl $EDU_DMA_BUF, EDU_DMA_SRC(%r12)
	movl $OOB_ADDR, EDU_DMA_DST(%r12)
	movl $64, EDU_DMA_CNT(%r12)
	movl $0x7, EDU_DMA_CMD(%r12)
	lea msi_count(%rip), %rdi
	mov $2, %esi
	call wait_irq
	mov $16, %eax
	lea f_oob(%rip), %rsi
	jc fail
	lea s_oob_done(%rip), %rsi
	call puts
	movl $EDU_DMA_BUF, EDU_DMA_SRC(%r12)
	movl $BUF_B, EDU_DMA_DST(%r12)
	movl $64, EDU_DMA_CNT(%r12)
	movl $0x7, EDU_DMA_CMD(%r12)
	lea msi_count(%rip), %rdi
	mov $3, %esi
	call wait_irq
	mov $10, %eax
	lea f_dma_out(%rip), %rsi
	jc fail
	mov $BUF_A, %esi
	mov $BUF_B, %edi
	mov $64, %ecx
	repe cmpsb
	mov $10, %eax
	lea f_dma_cmp(%rip), %rsi
	jne fail
	lea s_oob_after(%rip), %rsi
	call puts
	mov $0x2b, %eax
	call debug_exit

	/* "count M I": M factorial completion interrupts by MSI, then I by
	 * INTx, one at a time (each waited for before the next factorial is
	 * started). The output is the same whatever M and I are, so the
	 * monitor's exit counts of two runs differ only by what the
	 * interrupts themselves cost it (docs/passthrough.md). */
count:
	mov info(%rip), %rdi
	mov 32(%rdi), %rsi             /* hvboot_info.cmdline: "count M I" */
	add $5, %rsi
	call getnum
	mov %eax, %r13d
	call getnum
	mov %eax, %r14d
	movl $0x80, EDU_STATUS(%r12)   /* an interrupt when a factorial is done */
	test %r13d, %r13d
	jz 2f
1:	mov msi_count(%rip), %esi
	inc %esi
	movl $5, EDU_FACT(%r12)
	lea msi_count(%rip), %rdi
	call wait_irq
	mov $8, %eax
	lea f_msi_fact(%rip), %rsi
	jc fail
	cmpl $1, msi_status(%rip)
	jne fail
	dec %r13d
	jnz 1b
2:	call to_intx
	test %r14d, %r14d
	jz 2f
1:	mov intx_count(%rip), %esi
	inc %esi
	movl $5, EDU_FACT(%r12)
	lea intx_count(%rip), %rdi
	call wait_irq
	mov $17, %eax
	lea f_intx_fact(%rip), %rsi
	jc fail
	cmpl $1, intx_status(%rip)
	jne fail
	dec %r14d
	jnz 1b
2:	movl $0, EDU_STATUS(%r12)
	lea s_count(%rip), %rsi
	call puts
	mov $0x2c, %eax
	call debug_exit

/* getnum: %rsi = text; skips spaces, reads a decimal number of up to 6
 * digits -> %eax (0 when there is none); %rsi past it. Clobbers rdx. */
getnum:
	xor %eax, %eax
1:	cmpb $' ', (%rsi)
	jne 2f
	inc %rsi
	jmp 1b
2:	mov $6, %edx
3:	movzbl (%rsi), %ecx
	sub $'0', %ecx
	cmp $9, %ecx
	ja 4f
	imul $10, %eax
	add %ecx, %eax
	inc %rsi
	dec %edx
	jnz 3b
4:	ret

/* to_intx: MSI off (%ebx: its capability's first dword), the Interrupt
 * Line's GSI to INTX_VECTOR in the IOAPIC, level-triggered. Fails the run
 * when the function has no pin. Clobbers rax-rdx, rsi, rdi. */
to_intx:
	mov dev(%rip), %edi
	mov msicap(%rip), %esi
	mov %ebx, %ecx
	and $~0x10000, %ecx
	call cfgwr
	mov dev(%rip), %edi
	mov $0x3c, %esi
	call cfgrd
	mov %eax, %ebx
	lea s_intx(%rip), %rsi
	call puts
	mov %ebx, %eax
	call puthex32
	test $0xff00, %ebx
	jnz 1f
	mov $11, %eax
	lea f_nopin(%rip), %rsi
	jmp fail
	/* IOAPIC redirection entry of GSI n: registers 0x10 + 2n (low),
	 * 0x11 + 2n (high, destination APIC ID 0). 82093AA datasheet 3.2.4. */
1:	movzbl %bl, %eax
	lea 0x10(,%rax,2), %eax
	mov $IOAPIC, %edx
	mov %eax, (%rdx)
	movl $(INTX_VECTOR | 0x8000), 0x10(%rdx)
	inc %eax
	mov %eax, (%rdx)
	movl $0, 0x10(%rdx)
	ret

hold:
	lea s_hold(%rip), %rsi
	call puts
1:	pause
	jmp 1b

/* fail: %eax = step, %rsi = message. */
fail:
	cli
	mov %eax, %ebx
	push %rsi
	lea s_fail(%rip), %rsi
	call puts
	pop %rsi
	call puts
	lea s_nl(%rip), %rsi
	call puts
	lea 0x30(%rbx), %eax
	call debug_exit

/* wait_irq: %rdi = counter, %esi = the count to reach. CF set on time-out.
 * Clobbers rax, rdx, r8. */
wait_irq:
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov wait_ticks(%rip), %r8
	add %rdx, %r8
1:	cmp %esi, (%rdi)
	jae 2f
	pause
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	cmp %r8, %rdx
	jb 1b
	stc
	ret
2:	clc
	ret

/* gate: %rax = handler, %rdi = IDT entry (SDM vol. 3A sec. 6.14.1):
 * present, DPL 0, 64-bit interrupt gate. Clobbers rdx. */
gate:
	mov %ax, (%rdi)
	movw $HVBOOT_SEL_CODE64, 2(%rdi)
	movw $0x8e00, 4(%rdi)
	mov %rax, %rdx
	shr $16, %rdx
	mov %dx, 6(%rdi)
	shr $16, %rdx
	mov %edx, 8(%rdi)
	movl $0, 12(%rdi)
	ret

/* cfgrd: %edi = device on bus 0, %esi = register -> %eax. cfgwr: the same
 * with %ecx the value. Mechanism #1 (PCI Local Bus 3.0 sec. 3.2.2.3.2).
 * Clobber rax, rdx. */
cfgaddr:
	mov %edi, %eax
	shl $11, %eax
	or %esi, %eax
	or $0x80000000, %eax
	mov $0xcf8, %dx
	out %eax, %dx
	mov $0xcfc, %dx
	ret
cfgrd:
	call cfgaddr
	in %dx, %eax
	ret
cfgwr:
	call cfgaddr
	mov %ecx, %eax
	out %eax, %dx
	ret

/* findcap: %edi = capability ID -> %eax its offset, or 0. Bounded walk. */
findcap:
	push %rbx
	push %r13
	push %r14
	mov %edi, %r13d
	mov dev(%rip), %edi
	mov $0x04, %esi
	call cfgrd
	xor %ebx, %ebx
	test $0x100000, %eax           /* STATUS: capabilities list */
	jz 3f
	mov $0x34, %esi
	call cfgrd
	and $0xfc, %eax
	mov %eax, %ebx
	mov $48, %r14d
1:	test %ebx, %ebx
	jz 3f
	dec %r14d
	js 2f
	mov %ebx, %esi
	call cfgrd
	cmp %r13b, %al
	je 3f
	shr $8, %eax
	and $0xfc, %eax
	mov %eax, %ebx
	jmp 1b
2:	xor %ebx, %ebx
3:	mov %ebx, %eax
	pop %r14
	pop %r13
	pop %rbx
	ret

/* Interrupt handlers: count, keep the device's interrupt status, ack it
 * (which for INTx lowers the line), EOI the LAPIC (for INTx the IOAPIC's
 * EOI then reaches the monitor's resample fd, and VFIO unmasks). */
isr_msi:
	push %rax
	push %rdx
	mov bar(%rip), %rdx
	mov EDU_IRQ_STATUS(%rdx), %eax
	mov %eax, msi_status(%rip)
	mov %eax, EDU_IRQ_ACK(%rdx)
	incl msi_count(%rip)
	mov $LAPIC + 0xb0, %eax
	movl $0, (%rax)
	pop %rdx
	pop %rax
	iretq
isr_intx:
	push %rax
	push %rdx
	mov bar(%rip), %rdx
	mov EDU_IRQ_STATUS(%rdx), %eax
	mov %eax, intx_status(%rip)
	mov %eax, EDU_IRQ_ACK(%rdx)
	incl intx_count(%rip)
	mov $LAPIC + 0xb0, %eax
	movl $0, (%rax)
	pop %rdx
	pop %rax
	iretq
stray:
	push %rax
	mov $LAPIC + 0xb0, %eax
	movl $0, (%rax)
	pop %rax
	iretq

/* puthex32: %eax as 8 hex digits and a newline. Clobbers rax, rdx, rsi. */
puthex32:
	push %rbx
	push %rcx
	mov %eax, %ecx
	mov $8, %ebx
1:	rol $4, %ecx
	mov %ecx, %eax
	and $0xf, %eax
	lea hexd(%rip), %rsi
	mov (%rsi,%rax), %al
	call putc
	dec %ebx
	jnz 1b
	mov $'\n', %al
	call putc
	pop %rcx
	pop %rbx
	ret

#include "serial64.inc"

	.section .rodata
hexd:		.ascii "0123456789abcdef"
s_found:	.asciz "edu: found at device "
s_bar:		.asciz "edu: BAR0 at "
s_id:		.asciz "edu: id "
s_live:		.asciz "edu: liveness ok\n"
s_fact:		.asciz "edu: polled factorial of 10: "
s_msi:		.asciz "\nedu: MSI capability, control word "
s_msi_raise:	.asciz "edu: MSI raised interrupt ok\n"
s_msi_fact:	.asciz "edu: MSI factorial interrupt ok\n"
s_dma:		.asciz "edu: DMA to the device and back ok (MSI)\n"
s_intx:		.asciz "edu: INTx line/pin "
s_intx_ok:	.asciz "edu: INTx two raised interrupts and a DMA completion ok\n"
s_all:		.asciz "edu: all ok\n"
s_oob:		.asciz "edu: oob: DMA into the device ok; now a DMA to 0x08000000, outside RAM\n"
s_oob_done:	.asciz "edu: oob: the device completed the DMA outside RAM\n"
s_oob_after:	.asciz "edu: oob: DMA into RAM after it ok\n"
s_hold:		.asciz "edu: holding\n"
s_count:	.asciz "edu: count ok\n"
s_fail:		.asciz "edu: FAIL "
s_nl:		.asciz "\n"
f_none:		.asciz "no edu device (1234:11e8) on bus 0"
f_bar:		.asciz "BAR0 unassigned"
f_id:		.asciz "ID register's low byte is not 0xed"
f_live:		.asciz "liveness register did not invert"
f_fact:		.asciz "polled factorial of 10 is not 3628800"
f_nomsi:	.asciz "no MSI capability"
f_msi_raise:	.asciz "MSI: raised interrupt missing or wrong status"
f_msi_fact:	.asciz "MSI: factorial interrupt missing or wrong"
f_dma_in:	.asciz "MSI: DMA to the device: no completion interrupt"
f_dma_out:	.asciz "MSI: DMA to RAM: no completion interrupt"
f_dma_cmp:	.asciz "DMA: bytes back differ from bytes sent"
f_nopin:	.asciz "INTx: no interrupt pin"
f_intx1:	.asciz "INTx: first raised interrupt missing or wrong status"
f_intx2:	.asciz "INTx: second interrupt missing (line not unmasked after EOI?)"
f_intx_dma:	.asciz "INTx: DMA completion interrupt missing"
f_intx_fact:	.asciz "INTx: factorial interrupt missing or wrong"
f_oobmem:	.asciz "oob: guest RAM reaches 0x08000000; run with --mem 64M"
f_oob:		.asciz "oob: no completion interrupt for the DMA outside RAM"

	.data
	.align 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.align 8
info:		.quad 0
bar:		.quad 0
wait_ticks:	.quad 0
dev:		.long 0
msicap:		.long 0
mode:		.long 0
msi_count:	.long 0
msi_status:	.long 0
intx_count:	.long 0
intx_status:	.long 0
	.bss
	.align 16
idt:	.skip 256 * 16
