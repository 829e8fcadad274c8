/* A two-sector raw disk for firmware boot (vmm run --firmware): the first
 * sector is an MBR boot sector that the BIOS loads at 0x7c00 and enters in
 * real mode with the boot drive in DL. It prints through int 10h (AH 0x0e,
 * teletype output; SeaBIOS mirrors it on COM1 when fw_cfg names COM1 in
 * etc/sercon-port), reads the disk's second sector to 0x7e00 through
 * int 13h (AH 0x02, CHS 0/0/2), checks the signature there, prints the
 * line it holds and ends with debug-exit 0x15 (status 43). A failed read
 * or a wrong signature prints why and ends with 0x0e (status 29).
 * Linked at 0x7c00 and written out raw (tests/guests/boot.mk). */
	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
	sti
	mov %dl, drive
	mov $m_hello, %si
	call puts
	mov $0x0201, %ax	/* read, one sector */
	mov $0x0002, %cx	/* cylinder 0, sector 2 */
	xor %dh, %dh		/* head 0 */
	mov drive, %dl
	mov $0x7e00, %bx	/* ES:BX */
	int $0x13
	mov $m_ioerr, %si
	jc bad
	cmpl $0x32434553, 0x7e00	/* "SEC2" */
	mov $m_sig, %si
	jne bad
	mov $0x7e04, %si
	call puts
	call drain
	mov $0x15, %al
	out %al, $0xf4
1:	hlt
	jmp 1b
bad:
	call puts
	call drain
	mov $0x0e, %al
	out %al, $0xf4
	jmp 1b

/* SeaBIOS's serial console sends int 10h text from its timer tick, not at
 * once: wait three ticks of the BIOS tick count (0x46c, IRQ 0 at 18.2 Hz)
 * so the last line is out before the debug-exit ends the run. (Not int 15h
 * AH 0x86: SeaBIOS times that with the RTC's periodic interrupt.) */
drain:
	mov 0x46c, %cx
	add $3, %cx
3:	hlt
	cmp 0x46c, %cx
	jne 3b
	ret

/* %si: NUL-terminated string, through int 10h teletype output. */
puts:
	lodsb
	test %al, %al
	jz 2f
	mov $0x0e, %ah
	mov $0x0007, %bx	/* page 0, attribute */
	int $0x10
	jmp puts
2:	ret

drive:	.byte 0
m_hello: .asciz "biosboot: boot sector running\r\n"
m_ioerr: .asciz "biosboot: int 13h read failed\r\n"
m_sig:	.asciz "biosboot: sector 2 has the wrong signature\r\n"

	.org 510
	.byte 0x55, 0xaa

/* The second sector: a signature and the line to print. */
	.ascii "SEC2"
	.asciz "biosboot: sector 2 read through int 13h\r\n"
	.org 1024
