/*
 * entry: the benchmark guest's first instructions, its exception,
 * interrupt and system-call stubs, and the kernel context switch.
 *
 * vmm enters _start in long mode at CPL0 with interrupts off and RDI
 * pointing at struct hvboot_info (src/common/hvboot.h); a PVH monitor
 * enters _start_pvh (at the end of this file) in 32-bit protected mode.
 * Every kernel entry
 * builds a struct trapframe (guest.h) on the current thread's kernel stack
 * (the CPU switches to TSS.RSP0 when coming from CPL3) and leaves through
 * trap_return with iretq.
 */
#include "guest.h"
#include "hvboot.h"
#include "pvh.h"

	.code64
	.section .text.entry, "ax"
	.globl _start
_start:
	/* The first instruction: the TSC the start-up workloads measure the
	 * monitor's start-up to (monwl.c). */
	rdtsc
	mov %eax, entry_tsc(%rip)
	mov %edx, entry_tsc+4(%rip)
	lea boot_stack_top(%rip), %rsp
	call kmain              /* never returns */
1:	hlt
	jmp 1b

/* One stub per vector: vectors where the CPU pushes no error code push a
 * zero so every frame has the same shape (Intel SDM vol. 3A sec. 6.13). */
.macro VEC n, has_err
vec\n:
	.if \has_err == 0
	push $0
	.endif
	push $\n
	jmp trap_common
.endm

	.text
VEC 0, 0
VEC 1, 0
VEC 2, 0
VEC 3, 0
VEC 4, 0
VEC 5, 0
VEC 6, 0
VEC 7, 0
VEC 8, 1
VEC 9, 0
VEC 10, 1
VEC 11, 1
VEC 12, 1
VEC 13, 1
VEC 14, 1
VEC 15, 0
VEC 16, 0
VEC 17, 1
VEC 18, 0
VEC 19, 0
VEC 20, 0
VEC 21, 1
VEC 22, 0
VEC 23, 0
VEC 24, 0
VEC 25, 0
VEC 26, 0
VEC 27, 0
VEC 28, 0
VEC 29, 1
VEC 30, 1
VEC 31, 0
VEC 48, 0      /* TIMER_VECTOR */
VEC 255, 0     /* SPURIOUS_VECTOR */


/* The GPIO's MSI (GPIO_VECTOR): the irq-latency workload measures from
 * setting the pin to this first instruction, so the handler only stamps
 * the TSC, counts, and acknowledges the LAPIC (EOI register at
 * 0xfee000b0, SDM vol. 3A sec. 10.8.5); no trap frame, no C. */
.macro STAMP_VEC name, tsc, count
	.globl \name
\name:
	push %rax
	push %rdx
	rdtsc
	mov %eax, \tsc(%rip)
	mov %edx, \tsc+4(%rip)
	incq \count(%rip)
	mov $0xfee000b0, %eax
	movl $0, (%rax)
	pop %rdx
	pop %rax
	iretq
.endm
STAMP_VEC vec_gpio, gpio_irq_tsc, gpio_irq_count
/* A channel's doorbell (CHANNEL_VECTOR), the same way. */
STAMP_VEC vec_chan, chan_irq_tsc, chan_irq_count
/* The virtio driver's MSI-X vectors (VIRTIO_VECTOR + 0..3): the driver
 * runs at CPL3 and polls these counts, so the interrupt costs the guest
 * these ten instructions at CPL0 and nothing more. */
STAMP_VEC vec_virtio0, virtio_irq_tsc, virtio_irq_count
STAMP_VEC vec_virtio1, virtio_irq_tsc+8, virtio_irq_count+8
STAMP_VEC vec_virtio2, virtio_irq_tsc+16, virtio_irq_count+16
STAMP_VEC vec_virtio3, virtio_irq_tsc+24, virtio_irq_count+24

	.section .rodata
	.globl trap_vectors
	.align 8
/* Exceptions 0-31, then timer and spurious. */
trap_vectors:
	.quad vec0, vec1, vec2, vec3, vec4, vec5, vec6, vec7
	.quad vec8, vec9, vec10, vec11, vec12, vec13, vec14, vec15
	.quad vec16, vec17, vec18, vec19, vec20, vec21, vec22, vec23
	.quad vec24, vec25, vec26, vec27, vec28, vec29, vec30, vec31
	.quad vec48, vec255

	.text
trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld
	call trap
	.globl trap_return
trap_return:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp           /* vector, error code */
	iretq

/* void swtch(uint64_t *save_sp, uint64_t new_sp): saves the callee-saved
 * registers on this kernel stack, switches stacks, restores the other's. A
 * new thread's stack is built to "return" into trap_return. */
	.globl swtch
swtch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.bss
	.globl gpio_irq_tsc, gpio_irq_count, chan_irq_tsc, chan_irq_count
	.globl virtio_irq_tsc, virtio_irq_count
	.align 8
virtio_irq_tsc:
	.skip 8 * VIRTIO_NVEC
virtio_irq_count:
	.skip 8 * VIRTIO_NVEC
gpio_irq_tsc:
	.quad 0
gpio_irq_count:
	.quad 0
chan_irq_tsc:
	.quad 0
chan_irq_count:
	.quad 0
	.globl entry_tsc
entry_tsc:
	.quad 0
	.align 16
	.skip 16384
boot_stack_top:

/* ---- PVH entry (src/common/pvh.h) ----
 * A PVH monitor enters _start_pvh in 32-bit protected mode, paging off,
 * EBX = the start info. It builds what vmm's ELF64 entry would have given
 * (hvboot.h): the boot GDT's layout, the first 4 GiB identity-mapped with
 * user-accessible 2 MiB pages, long mode (Intel SDM vol. 3A sec. 9.8.5:
 * CR4.PAE, CR3, EFER.LME, then CR0.PG), and a stack; pvh_boot (pvh.c)
 * turns the start info into a struct hvboot_info for kmain. The tables
 * are data in the image, so the switch costs a dozen instructions (each
 * one emulated on software KVM) and no loop. */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 8, PVH_NOTE_PHYS32_ENTRY /* namesz, descsz, type */
	.asciz PVH_NOTE_NAME
	.balign 4
	.quad _start_pvh /* 8 bytes, as Linux's vmlinux: QEMU reads a pointer */
	.balign 4

/* ... and that vmm should prefer its own entry (hvboot.h). */
	.section .note.hvvmm, "a", @note
	.balign 4
	.long 6, 4, HVBOOT_NOTE_ENTRY
	.asciz HVBOOT_NOTE_NAME
	.balign 4
	.long HVBOOT_VERSION

	.code32
	.section .text.pvh, "ax"
	.globl _start_pvh
_start_pvh:
	rdtsc                   /* first instruction: as _start's */
	mov %eax, entry_tsc
	mov %edx, entry_tsc+4
	mov %ebx, %esi          /* the start info, kept for pvh_boot */
	lgdt pvh_gdt_ptr
	mov $0x20, %eax         /* CR4.PAE */
	mov %eax, %cr4
	mov $pvh_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx   /* IA32_EFER */
	rdmsr
	or $0x100, %eax         /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000020, %eax    /* PG, NE (PE is on) */
	mov %eax, %cr0
	ljmp $HVBOOT_SEL_CODE64, $pvh_long

	.code64
pvh_long:
	mov $HVBOOT_SEL_DATA, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	lea boot_stack_top(%rip), %rsp
	mov %esi, %edi          /* zero-extended: the upper half is undefined */
	call pvh_boot
	mov %rax, %rdi
	call kmain              /* never returns */
1:	hlt
	jmp 1b

	.section .data.pvh, "aw"
	.balign 4096
/* PML4 -> one PDPT -> four page directories of 2 MiB pages; entries are
 * present, writable, user (0x7), PS (0x80) in the directories. */
pvh_pml4:
	.quad pvh_pdpt + 0x7
	.fill 511, 8, 0
pvh_pdpt:
	.quad pvh_pd + 0x0007, pvh_pd + 0x1007, pvh_pd + 0x2007, pvh_pd + 0x3007
	.fill 508, 8, 0
pvh_pd:
	.set pvh_i, 0
	.rept 2048
	.quad (pvh_i << 21) | 0x87
	.set pvh_i, pvh_i + 1
	.endr
/* hvboot.h's GDT: 0x08 code32, 0x10 code64, 0x18 data, 0x20 user data,
 * 0x28 user code64 (kernel.c's tables_init writes the same). */
	.balign 16
pvh_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff, 0x00af9b000000ffff, 0x00cf93000000ffff
	.quad 0x00cff3000000ffff, 0x00affb000000ffff
pvh_gdt_end:
pvh_gdt_ptr:
	.word pvh_gdt_end - pvh_gdt - 1
	.long pvh_gdt

	.section .note.GNU-stack, "", @progbits
