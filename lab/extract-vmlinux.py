#!/usr/bin/env python3
"""extract-vmlinux.py BZIMAGE OUT: writes the uncompressed kernel ELF
(vmlinux) that a bzImage carries as its xz payload to OUT.

The payload starts after the real-mode setup sectors (setup_sects in the
setup header, Linux Documentation/arch/x86/boot.rst); the first offset
there that holds the xz stream magic FD 37 7A 58 5A 00 and decompresses to
data starting with the ELF magic is the kernel. On failure it says why on
stderr and exits 1, writing nothing.
"""
import lzma
import os
import sys

XZ_MAGIC = b"\xfd7zXZ\x00"
ELF_MAGIC = b"\x7fELF"


def fail(msg):
    sys.stderr.write("lab/extract-vmlinux.py: %s\n" % msg)
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        fail("usage: extract-vmlinux.py BZIMAGE OUT")
    src, out = sys.argv[1], sys.argv[2]
    try:
        with open(src, "rb") as f:
            data = f.read()
    except OSError as e:
        fail("cannot read %s: %s" % (src, e))
    if len(data) < 0x260 or data[0x202:0x206] != b"HdrS":
        fail("%s is not a bzImage (no HdrS setup header at 0x202)" % src)
    setup_sects = data[0x1F1] or 4
    start = (setup_sects + 1) * 512
    pos = data.find(XZ_MAGIC, start)
    if pos < 0:
        fail("%s has no xz payload after its setup sectors (another compression?)" % src)
    tried = 0
    while pos >= 0:
        tried += 1
        try:
            # The stream is followed by the decompressor's trailer, so
            # read one stream and ignore what comes after it.
            dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
            kernel = dec.decompress(data[pos:])
            # A cut-off stream decompresses as far as it goes without
            # an error: only a complete one is the kernel.
            if not dec.eof:
                kernel = b""
        except lzma.LZMAError:
            kernel = b""
        if kernel.startswith(ELF_MAGIC):
            try:
                with open(out + ".tmp", "wb") as f:
                    f.write(kernel)
                os.replace(out + ".tmp", out)
            except OSError as e:
                fail("cannot write %s: %s" % (out, e))
            return
        pos = data.find(XZ_MAGIC, pos + 1)
    fail("%s: none of the %d xz streams after the setup sectors is complete and decompresses to an ELF" % (src, tried))


main()
