#!/usr/bin/env python3
"""Writes the hand-made seed inputs for fuzz_vfio_cfg (format at the top of
tests/fuzz/fuzz_vfio_cfg.c: 16 bytes that perturb the device's capability
bodies, then 6-byte records op, reg, len selector, 3 value bytes). Run from
the repository root; the files it writes (tests/fuzz/corpus/vfio_cfg/seed-*)
are committed.
"""
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'vfio_cfg')
LEN = {1: 0, 2: 1, 4: 2}


def cw(reg, n, v):
    return bytes([0, reg, LEN[n], v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff])


def cr(reg, n):
    return bytes([1, reg, LEN[n], 0, 0, 0])


def mm(page, off, write, v=0):
    return bytes([2, page, (off & 0xfc) | (0x20 if write else 0), v & 0xff, 0, 0])


HEAD = bytes(16)
seeds = {
    # sizing, placing, decode on, a move
    'bars': HEAD + cw(0x10, 4, 0xffffff) + cr(0x10, 4) + cw(0x10, 4, 0) + cw(0x04, 2, 2)
    + cw(0x11, 1, 0x10) + cw(0x04, 2, 0),
    # MSI-X: unmask a vector in the table page, enable, mask, disable
    'msix': HEAD + cw(0x10, 4, 0) + cw(0x13, 1, 0xe0) + cw(0x04, 2, 6) + mm(0x20, 0, True, 0x10)
    + mm(0x20, 8, True, 0x41) + mm(0x20, 12, True, 0) + cw(0x53, 1, 0x80) + mm(0x20, 12, True, 1)
    + mm(0x30, 0, False) + cw(0x53, 1, 0),
    # MSI: the capability at 0x50 made MSI (ID 0x11 ^ 0x14), address, data,
    # enable, a new data word while enabled, disable
    'msi': bytes(14) + bytes([0x14, 0]) + cw(0x10, 4, 0) + cw(0x04, 2, 6) + cw(0x54, 4, 0xfee000)
    + cw(0x58, 2, 0x41) + cw(0x52, 1, 1) + cr(0x50, 4) + cw(0x58, 2, 0x42) + cw(0x52, 1, 0),
    # walking the capability list, passthrough bytes, I/O BAR
    'walk': HEAD + cr(0x34, 1) + cr(0x40, 2) + cr(0x50, 4) + cw(0x44, 1, 3) + cw(0x18, 4, 0xd000)
    + cw(0x04, 2, 1) + bytes([3, 0x00, 0, 0x55, 0, 0]),
}
os.makedirs(ROOT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(ROOT, 'seed-' + name), 'wb') as f:
        f.write(data)
