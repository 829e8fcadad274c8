#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_image (tests/fuzz/corpus/image/): small
arm64 Images (valid, old-style image_size 0, big-endian, text_offset out
of range, too large for RAM), an ELF64/AArch64 guest, and the gzip and
EFI zboot magics the loader names. fuzz_image takes the bare image (its
last byte also serves as a one-byte initrd).

Run from the repository root: python3 tests/fuzz/make_image_seeds.py
Files already in the directory (crash regressions) are kept.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'image')
RAM = 0x40000000


def image(text_offset=0, image_size=0x200000, flags=0xa, size=256):
    b = bytearray(size)
    struct.pack_into('<QQQ', b, 8, text_offset, image_size, flags)
    b[56:60] = b'ARM\x64'
    return bytes(b)


def elf(entry=RAM + 0x100000, paddr=RAM + 0x100000, filesz=64, memsz=4096, machine=183):
    b = bytearray(192)
    b[0:7] = b'\x7fELF\x02\x01\x01'
    struct.pack_into('<HHIQQQIHHH', b, 16, 2, machine, 1, entry, 64, 0, 0, 64, 56, 1)
    struct.pack_into('<IIQQQQQQ', b, 64, 1, 5, 128, paddr, paddr, filesz, memsz, 0x1000)
    return bytes(b)


SEEDS = {
    'seed_image': image(),
    'seed_image_old': image(text_offset=0x1000, image_size=0),
    'seed_image_be': image(flags=1),
    'seed_image_text_offset': image(text_offset=0x300000),
    'seed_image_huge': image(image_size=1 << 40),
    'seed_elf': elf(),
    'seed_elf_outside': elf(paddr=0x1000, entry=0x1000),
    'seed_elf_x86': elf(machine=62),
    'seed_gzip': b'\x1f\x8b\x08' + bytes(29),
    'seed_zboot': b'MZ\x00\x00zimg' + bytes(56),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
