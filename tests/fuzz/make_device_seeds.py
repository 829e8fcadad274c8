#!/usr/bin/env python3
"""Writes the hand-made seed inputs for fuzz_uart, fuzz_pci, fuzz_virtq and
fuzz_blk.

The input formats are described at the top of tests/fuzz/fuzz_uart.c,
fuzz_pci.c, fuzz_virtq.c and fuzz_blk.c. Run from the repository root; the
files it writes (tests/fuzz/corpus/NAME/seed-*) are committed.
Crash inputs kept as regression cases live next to them under other names
and are left alone.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')

# --- uart ---------------------------------------------------------------
RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR = range(8)


def rd(reg):
    return bytes([(reg << 3) | 0])


def wr(reg, val):
    return bytes([(reg << 3) | 2, val])


def recv(data):
    assert len(data) < 32
    return bytes([(len(data) << 3) | 4]) + data


def odd(off, how, val=None):
    out = bytes([(off << 3) | 5, how])
    return out + (bytes([val]) if how & 4 else b'')


def wait():
    return bytes([6])


def peek(reg):
    return bytes([(reg << 3) | 7])


def uart_seeds():
    s = {}
    # Linux 8250 start-up: divisor, 8N1, FIFOs, OUT2, interrupts, output.
    s['linux-init'] = (wr(LCR, 0x80) + wr(RBR, 0x01) + wr(IER, 0x00) +
                       wr(LCR, 0x03) + wr(IIR, 0xc7) + wr(MCR, 0x0b) +
                       wr(IER, 0x0f) + rd(IIR) + b''.join(wr(RBR, c) for c in b'hello') +
                       rd(IIR) + rd(LSR) + recv(b'0123456789abcdefghij') +
                       rd(IIR) + b''.join(rd(RBR) for _ in range(17)) + rd(IIR))
    # Autoconfig: scratch, IER test, loopback MSR test.
    s['autoconfig'] = (wr(SCR, 0xa5) + rd(SCR) + wr(IER, 0x00) + rd(IER) +
                       wr(IER, 0x0f) + rd(IER) + wr(MCR, 0x1a) + rd(MSR) +
                       wr(MCR, 0x00) + rd(MSR) + rd(IIR))
    # Loopback overrun in FIFO mode, then drain.
    s['loopback'] = (wr(IIR, 0x01) + wr(MCR, 0x1f) + wr(IER, 0x0f) +
                     b''.join(wr(RBR, i) for i in range(18)) + rd(IIR) + rd(LSR) +
                     rd(IIR) + b''.join(rd(RBR) for _ in range(16)) + rd(IIR) +
                     rd(IIR) + rd(MSR) + rd(IIR) + wr(MCR, 0x08))
    # Trigger levels and the timeout indication.
    s['triggers'] = (wr(MCR, 0x08) + wr(IER, 0x01) + wr(IIR, 0x41) + recv(b'abc') +
                     rd(IIR) + recv(b'd') + rd(IIR) + wr(IIR, 0x83) + recv(b'0123456') +
                     rd(IIR) + recv(b'7') + rd(IIR) + wr(IIR, 0xc7) +
                     recv(b'0123456789abcd') + rd(IIR) + rd(RBR) + rd(IIR))
    # 16450 mode: one-byte receiver, overrun replaces RBR.
    s['no-fifo'] = (wr(MCR, 0x18) + wr(IER, 0x05) + wr(RBR, 1) + wr(RBR, 2) +
                    rd(IIR) + rd(LSR) + rd(RBR) + wr(MCR, 0x08) + recv(b'xyz') +
                    rd(RBR) + wait() + recv(b'yz'))
    # Odd widths, out-of-range offsets, peeks, DLAB round trip.
    s['odd'] = (odd(7, 0) + odd(7, 5, 0x11) + odd(9, 1) + odd(31, 6, 0xff) +
                peek(IIR) + peek(LSR) + wr(LCR, 0x83) + wr(RBR, 0x0c) + wr(IER, 0x00) +
                rd(RBR) + rd(IER) + wr(LCR, 0x03) + peek(RBR))
    return s


# --- pci ----------------------------------------------------------------
def op(c, val=0):
    return bytes([c]) + struct.pack('<I', val & 0xffffffff)


LEN = {1: 0, 2: 1, 4: 2}


def pio(off, length, val=0, write=False):
    return op((off << 3) | (LEN[length] << 1) | int(write), val)


def select(dev, reg):
    return op(0x40, (dev << 8) | reg)


def cfg_write(dev, reg, length, val):
    # Value bytes 0-1 name the register and device; the word written is the
    # value rotated by 16 bits, so bytes 2-3 are its low half (a 4-byte
    # write's upper half is the register and device bytes).
    assert val <= 0xffff
    return op(0x80 | (LEN[length] << 1), (val << 16) | (dev << 8) | reg)


def cfg_read(dev, reg, length, fn=0):
    return op(0xc0 | (LEN[length] << 1), (fn << 13) | (dev << 8) | reg)


def pci_seeds():
    s = {}
    # Linux pci_check_type1 and a scan of bus 0.
    s['probe'] = (bytes([0x3c]) + pio(3, 1, 0x01, True) + pio(0, 4) +
                  pio(0, 4, 0x80000000, True) + pio(0, 4) + pio(4, 4) +
                  pio(0, 4, 0x80000008, True) + pio(4, 4) +
                  pio(0, 4, 0x80000800, True) + pio(4, 4) + pio(6, 2) +
                  pio(0, 4, 0x80001000, True) + pio(4, 4) +
                  pio(0, 4, 0x80010000, True) + pio(4, 4) +
                  pio(0, 4, 0x80000100, True) + pio(4, 4))
    # BAR sizing with decode off, programming, decode on, move, decode off.
    s['bars'] = (bytes([0x52]) + select(1, 0x10) + pio(4, 4, 0xffffffff, True) +
                 pio(4, 4) + pio(4, 4, 0xfebf0000, True) +
                 select(1, 0x14) + pio(4, 4, 0xffffffff, True) + pio(4, 4) +
                 pio(4, 4, 0xc000, True) +
                 select(1, 0x18) + pio(4, 4, 0xffffffff, True) + pio(4, 4, 0xfebf1000, True) +
                 select(1, 0x04) + pio(4, 2, 0x0007, True) +
                 select(1, 0x10) + pio(4, 4, 0xfe000000, True) + pio(7, 1, 0xfd, True) +
                 select(1, 0x14) + pio(5, 1, 0xd0, True) +
                 select(1, 0x04) + pio(4, 1, 0x01, True) + pio(4, 1, 0x02, True) +
                 pio(4, 2, 0x0000, True))
    # The same through the direct interface, and byte/word offsets.
    s['direct'] = (bytes([0x00]) + cfg_write(1, 0x10, 2, 0xffff) + cfg_read(1, 0x10, 4) +
                   cfg_write(1, 0x12, 2, 0xfebf) + cfg_write(1, 0x04, 1, 0x03) +
                   cfg_write(1, 0x12, 2, 0xfeb0) + cfg_write(1, 0x3c, 1, 0x0b) +
                   cfg_read(1, 0x3c, 2) + cfg_read(2, 0, 4) + cfg_read(0, 0, 4, fn=3) +
                   cfg_read(1, 0xfe, 4) + cfg_write(1, 0xfe, 2, 0xffff) +
                   cfg_write(1, 0x14, 4, 0xffff))
    s['offsets'] = (bytes([0xff]) + select(0, 0x00) + pio(5, 1) + pio(6, 2) + pio(7, 1) +
                    pio(5, 2) + pio(6, 4) + pio(1, 1, 0, True) + pio(2, 2) +
                    select(1, 0x3c) + pio(6, 2, 0xffff, True) + pio(4, 1, 0x05, True) +
                    pio(0, 4, 0x00000000, True) + pio(4, 4) + pio(0, 4, 0xffffffff, True) +
                    pio(0, 4))
    return s


# --- virtq --------------------------------------------------------------
NEXT, WRITE, INDIRECT = 1, 2, 4
RING = 0x1000  # guest-physical address of the descriptor table


def desc(addr, length, flags=0, nxt=0):
    return struct.pack('<QIHH', addr, length, flags, nxt)


def avail(heads, size, flags=0, used_event=0):
    ring = list(heads) + [0] * (size - len(heads))
    return struct.pack('<HH', flags, len(heads)) + struct.pack('<%dH' % size, *ring) + \
        struct.pack('<H', used_event)


def virtq_input(log2, descs, heads, event_idx=False, indirect=False, extra=b''):
    size = 1 << log2
    table = b''.join(descs) + b'\0' * (16 * (size - len(descs)))
    head = bytes([log2 | (8 if event_idx else 0) | (16 if indirect else 0)])
    return head + table + avail(heads, size) + extra


def virtq_seeds():
    s = {}
    data = 0x20000
    # A block request: header, data, status; then a second chain.
    s['blk-like'] = virtq_input(3, [desc(data, 16, NEXT, 1), desc(data + 0x100, 512, WRITE | NEXT, 2),
                                    desc(data + 0x400, 1, WRITE), desc(data, 64, WRITE)], [0, 3])
    s['event-idx'] = virtq_input(2, [desc(data, 8, WRITE), desc(data + 8, 8, WRITE)], [0, 1, 0],
                                 event_idx=True)
    # An indirect table placed after the avail ring, inside the input.
    size = 4
    table_gpa = RING + 16 * size + 4 + 2 * size + 2
    itab = desc(data, 16, NEXT, 1) + desc(data + 0x100, 4096, WRITE | NEXT, 2) + desc(data + 0x2000, 1, WRITE)
    s['indirect'] = virtq_input(2, [desc(table_gpa, len(itab), INDIRECT)], [0], indirect=True, extra=itab)
    nested = desc(data, 16, NEXT, 1) + desc(table_gpa, 32, INDIRECT)
    s['indirect-nested'] = virtq_input(2, [desc(table_gpa, len(nested), INDIRECT)], [0], indirect=True,
                                       extra=nested)
    s['loop'] = virtq_input(2, [desc(data, 8, NEXT, 1), desc(data, 8, NEXT, 0)], [0])
    s['write-then-read'] = virtq_input(2, [desc(data, 8, WRITE | NEXT, 1), desc(data, 8)], [0])
    s['outside-ram'] = virtq_input(2, [desc((2 << 20) - 8, 16)], [0])
    s['bad-head'] = virtq_input(2, [desc(data, 8)], [9])
    return s


# --- blk ----------------------------------------------------------------
def blk_input(flags, bufs, payload):
    out = bytes([flags, len(bufs) - 1])
    for length, writable in bufs:
        out += struct.pack('<HB', length, 1 if writable else 0)
    return out + payload


def blk_hdr(t, sector):
    return struct.pack('<IIQ', t, 0, sector)


def blk_seeds():
    s = {}
    s['read'] = blk_input(0, [(16, False), (512, True), (1, True)], blk_hdr(0, 3))
    s['write'] = blk_input(0, [(16, False), (1024, False), (1, True)], blk_hdr(1, 5) + b'\x5a' * 1024)
    s['write-ro'] = blk_input(1, [(16, False), (512, False), (1, True)], blk_hdr(1, 0) + b'\xa5' * 512)
    s['flush'] = blk_input(0, [(16, False), (1, True)], blk_hdr(4, 0))
    s['get-id'] = blk_input(0, [(16, False), (20, True), (1, True)], blk_hdr(8, 0))
    s['discard'] = blk_input(2, [(16, False), (32, False), (1, True)],
                             blk_hdr(11, 0) + struct.pack('<QII', 8, 8, 0) + struct.pack('<QII', 100, 4, 1))
    s['past-end'] = blk_input(0, [(16, False), (512, True), (1, True)], blk_hdr(0, 127))
    s['split-header'] = blk_input(0, [(5, False), (11, False), (100, True), (413, True)], blk_hdr(0, 1))
    s['no-status'] = blk_input(0, [(16, False)], blk_hdr(4, 0))
    return s


def main():
    for name, seeds in (('uart', uart_seeds()), ('pci', pci_seeds()), ('virtq', virtq_seeds()),
                        ('blk', blk_seeds())):
        d = os.path.join(ROOT, name)
        os.makedirs(d, exist_ok=True)
        for base, data in sorted(seeds.items()):
            with open(os.path.join(d, 'seed-' + base), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
