/*
 * The machine's DSDT (ACPI 6.x, sec. 5.2.11.1), compiled by iasl at build
 * time. It describes what a guest OS cannot probe safely on its own:
 *  - the PCI host bridge (PNP0A03) with its bus, I/O and MMIO windows and
 *    the INTx routing of slots 1-8 (src/vmm/arch/x86/acpi.h: ACPI_PCI_INTX_GSI);
 *  - COM1 and the CMOS RTC;
 *  - the S5 (soft-off) sleep type that the FADT's sleep control register
 *    takes (ACPI sec. 7.4.2; hardware-reduced sleep, sec. 4.8.3.7).
 */
DefinitionBlock ("", "DSDT", 2, "HVVMM ", "HVVMMDSD", 1)
{
    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_SEG, Zero)
            Name (_BBN, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x0000, 0x0000, 0x0001)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                /* The MMIO hole below the IOAPIC (src/vmm/guestmem.h). */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
                    NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
            })
            /* Slot S, pin P (0 = INTA#) -> GSI 16 + ((S + P) & 7): the
             * IOAPIC's PCI pins, spread so neighbouring slots do not share. */
            Name (_PRT, Package ()
            {
                Package () { 0x0001FFFF, 0, 0, 17 }, Package () { 0x0001FFFF, 1, 0, 18 },
                Package () { 0x0001FFFF, 2, 0, 19 }, Package () { 0x0001FFFF, 3, 0, 20 },
                Package () { 0x0002FFFF, 0, 0, 18 }, Package () { 0x0002FFFF, 1, 0, 19 },
                Package () { 0x0002FFFF, 2, 0, 20 }, Package () { 0x0002FFFF, 3, 0, 21 },
                Package () { 0x0003FFFF, 0, 0, 19 }, Package () { 0x0003FFFF, 1, 0, 20 },
                Package () { 0x0003FFFF, 2, 0, 21 }, Package () { 0x0003FFFF, 3, 0, 22 },
                Package () { 0x0004FFFF, 0, 0, 20 }, Package () { 0x0004FFFF, 1, 0, 21 },
                Package () { 0x0004FFFF, 2, 0, 22 }, Package () { 0x0004FFFF, 3, 0, 23 },
                Package () { 0x0005FFFF, 0, 0, 21 }, Package () { 0x0005FFFF, 1, 0, 22 },
                Package () { 0x0005FFFF, 2, 0, 23 }, Package () { 0x0005FFFF, 3, 0, 16 },
                Package () { 0x0006FFFF, 0, 0, 22 }, Package () { 0x0006FFFF, 1, 0, 23 },
                Package () { 0x0006FFFF, 2, 0, 16 }, Package () { 0x0006FFFF, 3, 0, 17 },
                Package () { 0x0007FFFF, 0, 0, 23 }, Package () { 0x0007FFFF, 1, 0, 16 },
                Package () { 0x0007FFFF, 2, 0, 17 }, Package () { 0x0007FFFF, 3, 0, 18 },
                Package () { 0x0008FFFF, 0, 0, 16 }, Package () { 0x0008FFFF, 1, 0, 17 },
                Package () { 0x0008FFFF, 2, 0, 18 }, Package () { 0x0008FFFF, 3, 0, 19 },
            })
        }

        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                IRQNoFlags () {4}
            })
        }

        /* The 8042's keyboard port, so Linux's i8042 driver finds its
         * ports and IRQ 1 through ACPI (no legacy IRQs are preallocated on
         * a hardware-reduced machine). The aux (PS/2 mouse) port is not
         * emulated and so not described. */
        Device (KBD)
        {
            Name (_HID, EisaId ("PNP0303"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                IRQNoFlags () {1}
            })
        }

        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
            })
        }
    }

    /* SLP_TYP 5 for both PM1a and PM1b; the sleep control register sees
     * (5 << 2) | SLP_EN. */
    Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })
}
