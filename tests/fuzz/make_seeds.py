#!/usr/bin/env python3
"""Writes the seed corpora of the loader fuzz targets.

tests/fuzz/corpus/bzimage/, elf64/, multiboot/ and pvh/ get a few small images
each: valid ones (so the fuzzers start past the header checks and reach the
placement and boot-block code) and near-valid ones (one field off). The
bzimage and multiboot targets take a 4-byte trailer, u16 initrd length and
u16 command-line length, after the image and the initrd (see
fuzz_bzimage.c); elf64 and pvh take the bare image.

Run from the repository root: python3 tests/fuzz/make_seeds.py
Files already in the corpus directories (crash regressions) are kept.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')


def put(buf, off, fmt, *vals):
    struct.pack_into('<' + fmt, buf, off, *vals)


def trailer(image, initrd=b'', cmdline_len=13):
    return bytes(image) + initrd + struct.pack('<HH', len(initrd), cmdline_len)


# ---- bzImage: boot sector + setup sectors with a protocol 2.15 header ----

def bzimage(sects=4, payload=512, version=0x020f, xlf=0x3, cmdline_size=2047,
            init_size=0x40000, initrd_max=0x7fffffff, hdr_len=0x66, syssize=None,
            pref=0, reloc=1):
    setup = ((sects or 4) + 1) * 512
    b = bytearray(setup + payload)
    b[0x1f1] = sects
    put(b, 0x1f4, 'I', syssize if syssize is not None else (payload + 15) // 16)
    put(b, 0x1fa, 'H', 0xffff)        # vid_mode
    put(b, 0x1fe, 'H', 0xaa55)        # boot_flag
    b[0x200] = 0xeb                   # jmp short over the header
    b[0x201] = hdr_len                # header ends at 0x202 + hdr_len
    b[0x202:0x206] = b'HdrS'
    put(b, 0x206, 'H', version)
    b[0x211] = 0x01                   # LOADED_HIGH
    put(b, 0x22c, 'I', initrd_max)
    put(b, 0x230, 'I', 0x200000)      # kernel_alignment
    b[0x234] = reloc                  # relocatable_kernel
    put(b, 0x236, 'H', xlf)
    put(b, 0x238, 'I', cmdline_size)
    put(b, 0x258, 'Q', pref)          # pref_address
    put(b, 0x260, 'I', init_size)
    for i in range(payload):
        b[setup + i] = (i * 7 + 3) & 0xff
    return b


def bz_seeds():
    rd = bytes(range(256)) * 8
    return {
        'valid': trailer(bzimage()),
        'valid_initrd': trailer(bzimage(), rd, 200),
        'sects0': trailer(bzimage(sects=0)),
        'initrd_low_max': trailer(bzimage(initrd_max=0x2fffff), rd),
        'initrd_no_room': trailer(bzimage(initrd_max=0x2405ff), rd),
        'pref_8m': trailer(bzimage(pref=0x800000), rd, 64),
        'not_reloc': trailer(bzimage(pref=0x400000, reloc=0)),
        'proto_2_05': trailer(bzimage(version=0x0205)),
        'proto_2_11': trailer(bzimage(version=0x020b, hdr_len=0x3a)),
        'no_64bit': trailer(bzimage(xlf=0x2)),
        'cmdline_long': trailer(bzimage(cmdline_size=10), b'', 40),
        'init_size_huge': trailer(bzimage(init_size=0xffffffff)),
        'syssize_long': trailer(bzimage(syssize=0x1000)),
    }


# ---- ELF64 ----------------------------------------------------------------

PT_LOAD, PT_NOTE = 1, 4


def elf64(segs, entry, machine=62, etype=2, data_off=0x200):
    """segs: (type, flags, paddr, data, memsz); data packed from data_off."""
    phoff = 64
    b = bytearray(data_off)
    b[0:4] = b'\x7fELF'
    b[4], b[5], b[6] = 2, 1, 1
    put(b, 16, 'HHIQQQIHHHHHH', etype, machine, 1, entry, phoff, 0, 0, 64, 56,
        len(segs), 0, 0, 0)
    for i, (ptype, flags, paddr, data, memsz) in enumerate(segs):
        off = len(b)
        put(b, phoff + 56 * i, 'IIQQQQQQ', ptype, flags, off, paddr, paddr,
            len(data), memsz, 0x1000)
        b += data
    return b


def elf64_seeds():
    text = bytes((i * 13 + 1) & 0xff for i in range(256))
    data = bytes(64)
    two = [(PT_LOAD, 5, 0x100000, text, 256), (PT_LOAD, 6, 0x200000, data, 0x2000)]
    return {
        'valid': elf64(two, 0x100010),
        'one_seg': elf64([(PT_LOAD, 7, 0x100000, text, 0x1000)], 0x100000),
        'note_and_load': elf64([(PT_NOTE, 4, 0, b'\0' * 16, 16)] + two, 0x100020),
        'high_seg': elf64([(PT_LOAD, 5, 0xf00000, text, 0xff000)], 0xf00000),
        'entry_outside': elf64(two, 0x300000),
        'below_1m': elf64([(PT_LOAD, 5, 0x90000, text, 256)], 0x90000),
        'filesz_gt_memsz': elf64([(PT_LOAD, 5, 0x100000, text, 16)], 0x100000),
        'too_big': elf64([(PT_LOAD, 5, 0x100000, text, 0x2000000)], 0x100000),
        'et_dyn': elf64(two, 0x100010, etype=3),
    }


# ---- PVH: an ELF with the "Xen" PHYS32_ENTRY note (src/common/pvh.h) ---------

def elf_note(name, ntype, desc):
    n = name.encode() + b'\0'
    pad = lambda x: x + b'\0' * (-len(x) % 4)
    return struct.pack('<III', len(n), len(desc), ntype) + pad(n) + pad(desc)


def pvh_image(notes, entry=0x100020, note_align=4, is64=True):
    text = bytes((i * 13 + 1) & 0xff for i in range(256))
    blob = b''.join(notes)
    if is64:
        b = elf64([(PT_NOTE, 4, 0, blob, len(blob)), (PT_LOAD, 5, 0x100000, text, 0x2000)],
                  0x100000)
        put(b, 64 + 48, 'Q', note_align)
        return b
    b = elf32([(5, 0x100000, text, 0x2000)], 0x100000)
    # a PT_NOTE after the PT_LOAD: the ELF32 helper writes PT_LOADs only
    put(b, 44, 'H', 2)
    off = len(b)
    put(b, 52 + 32, 'IIIIIIII', PT_NOTE, off, 0, 0, len(blob), len(blob), 4, 4)
    return b + blob


def pvh_seeds():
    q = struct.pack('<Q', 0x100020)
    l = struct.pack('<I', 0x100020)
    xen = lambda d: elf_note('Xen', 18, d)
    return {
        'valid64': pvh_image([elf_note('GNU', 3, b'abcd'), xen(q)]),
        'valid32desc': pvh_image([xen(l)]),
        'elf32': pvh_image([xen(l)], is64=False),
        'both_notes': pvh_image([xen(q), elf_note('hvvmm', 1, struct.pack('<I', 1))]),
        'align8': pvh_image([xen(q)], note_align=8),
        'desc5': pvh_image([xen(b'\x20\x00\x10\x00\x00')]),
        'high_entry': pvh_image([xen(struct.pack('<Q', 1 << 32))]),
        'two_disagree': pvh_image([xen(q), xen(struct.pack('<Q', 0x100024))]),
    }


# ---- multiboot --------------------------------------------------------------

MB_MAGIC = 0x1badb002


def mb_header(flags, addrs=None):
    h = struct.pack('<III', MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xffffffff)
    if addrs:
        h += struct.pack('<IIIII', *addrs)
    return h


def elf32(segs, entry, machine=3):
    """segs: (flags, paddr, data, memsz); data from 0x80 on."""
    phoff = 52
    b = bytearray(0x80)
    b[0:4] = b'\x7fELF'
    b[4], b[5], b[6] = 1, 1, 1
    put(b, 16, 'HHIIIIIHHHHHH', 2, machine, 1, entry, phoff, 0, 0, 52, 32,
        len(segs), 0, 0, 0)
    for i, (flags, paddr, data, memsz) in enumerate(segs):
        off = len(b)
        put(b, phoff + 32 * i, 'IIIIIIII', PT_LOAD, off, paddr, paddr, len(data),
            memsz, flags, 0x1000)
        b += data
    return b


def aout(load_end=0, bss_end=0x104000, entry=0x100100, flags=0x10003, size=0x200,
         hoff=0x40, load_addr=0x100000):
    b = bytearray((i * 3) & 0xff for i in range(size))
    hdr = mb_header(flags, (load_addr + hoff, load_addr, load_end, bss_end, entry))
    b[hoff:hoff + len(hdr)] = hdr
    return b


def mb_seeds():
    text = mb_header(0x3) + bytes((0x90 + i) & 0xff for i in range(0x74))
    rd = bytes(range(256)) * 4
    e = elf32([(5, 0x100000, text, 0x1000)], 0x100010)
    e2 = elf32([(5, 0x100000, text, 0x80), (6, 0x180000, bytes(32), 0x3000)], 0x100020)
    bad = bytearray(aout())
    put(bad, 0x48, 'I', 0x12345678)
    return {
        'elf32': trailer(e),
        'elf32_initrd': trailer(e, rd, 64),
        'elf32_two_segs': trailer(e2),
        'aout': trailer(aout()),
        'aout_initrd': trailer(aout(), rd),
        'aout_load_end': trailer(aout(load_end=0x100180, bss_end=0)),
        'aout_entry_out': trailer(aout(entry=0x100200)),
        'aout_below_1m': trailer(aout(load_addr=0x10000, bss_end=0, entry=0x10100)),
        'bad_checksum': trailer(bad),
        'flag_bit3': trailer(aout(flags=0x10003 | 8)),
        'elf32_no_addr_raw': trailer(aout(flags=0x3)),
    }


def main():
    for name, seeds in (('bzimage', bz_seeds()), ('elf64', elf64_seeds()),
                        ('multiboot', mb_seeds()), ('pvh', pvh_seeds())):
        d = os.path.join(ROOT, name)
        os.makedirs(d, exist_ok=True)
        for fname, data in seeds.items():
            with open(os.path.join(d, 'seed_' + fname), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
