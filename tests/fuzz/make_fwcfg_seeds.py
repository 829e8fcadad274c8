#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_fwcfg (format: tests/fuzz/fuzz_fwcfg.c).

Each seed is a sequence a guest or firmware would send: the signature by
the data port, the directory by DMA, a file by key, a write, a read past
the end, a skip, a structure outside RAM.

Run from the repository root: python3 tests/fuzz/make_fwcfg_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'fwcfg')
READ, SKIP, SELECT, WRITE = 0x02, 0x04, 0x08, 0x10


def sel(key):
    return bytes([0]) + struct.pack('<H', key)


def rd(n):
    return bytes([1 | ((n - 1) << 3)])


def dma(control, length, addr):
    return bytes([2]) + struct.pack('>IIQ', control, length, addr)


def dma_at(addr):
    return bytes([3]) + struct.pack('>Q', addr)


SEEDS = {
    'signature': sel(0) + rd(4) + sel(1) + rd(4),
    'numbers': sel(5) + rd(2) + sel(0x0f) + rd(2) + sel(3) + rd(8),
    'dir_ports': sel(0x19) + rd(4) + rd(32) + rd(32),
    'dir_dma': dma(0x19 << 16 | SELECT | READ, 4, 0x9000) + dma(READ, 320, 0x9100),
    'file_rsdp': dma(0x21 << 16 | SELECT | READ, 36, 0x9000),
    'loader': dma(0x23 << 16 | SELECT | READ, 1024, 0x10000),
    'past_end': dma(0x00 << 16 | SELECT | READ, 64, 0x9000),
    'write': dma(0x05 << 16 | SELECT | WRITE, 2, 0x9000) + sel(5) + rd(2),
    'skip': dma(0x15 << 16 | SELECT | SKIP, 2, 0) + dma(READ, 8, 0x9000),
    'hole': dma(0x00 << 16 | SELECT | READ, 4, 0xc0000000),
    'wrap': dma(0x00 << 16 | SELECT | READ, 0xffffffff, 0xfffffffffffffff0),
    'acc_outside': dma_at(0x1fffff8) + dma_at(0xfffffffffffffff8),
    'kernel': sel(0x17) + rd(4) + dma(0x18 << 16 | SELECT | READ, 0x600, 0x20000)
              + dma(0x11 << 16 | SELECT | READ, 0x1000, 0x30000),
    'odd_widths': bytes([4 | (2 << 3), 1, 0, 0, 0, 0]) + bytes([4 | (1 << 3), 5])
                  + bytes([4 | (6 << 3), 8, 1, 2, 3, 4]) + bytes([6 | (1 << 3), 5, 0]),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, 'seed-' + name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
