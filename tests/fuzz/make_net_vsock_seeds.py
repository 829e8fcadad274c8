#!/usr/bin/env python3
"""Writes the hand-made seed inputs for fuzz_net and fuzz_vsock.

The input formats are described at the top of tests/fuzz/fuzz_net.c and
tests/fuzz/fuzz_vsock.c. Run from the repository root; the files it writes
(tests/fuzz/corpus/net/seed-*, tests/fuzz/corpus/vsock/seed-*) are
committed. Crash inputs kept as regression cases live next to them under
other names and are left alone.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


# --- net: features, struct net_hdr, frame --------------------------------
CSUM, GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_UFO = 0, 1, 7, 8, 10
HOST_TSO4, HOST_TSO6, HOST_ECN, HOST_UFO, MRG_RXBUF = 11, 12, 13, 14, 15


def bits(*fs):
    v = 0
    for f in fs:
        v |= 1 << f
    return v


def net(features, flags, gso, hdr_len, gso_size, cs, co, frame_len):
    hdr = struct.pack('<BBHHHHH', flags, gso, hdr_len, gso_size, cs, co, 0)
    return struct.pack('<Q', features) + hdr + bytes(frame_len)


ALL = bits(CSUM, GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_UFO, HOST_TSO4,
           HOST_TSO6, HOST_ECN, HOST_UFO, MRG_RXBUF)
write('net', 'plain', net(0, 0, 0, 0, 0, 0, 0, 60))
write('net', 'csum', net(ALL, 1, 0, 0, 0, 34, 16, 60))
write('net', 'tso4', net(ALL, 1, 1, 54, 1448, 34, 16, 1514))
write('net', 'tso6-ecn', net(ALL, 1, 0x84, 74, 1428, 54, 16, 1514))
write('net', 'ufo', net(ALL, 1, 3, 42, 1400, 34, 6, 1514))
write('net', 'csum-outside', net(ALL, 1, 0, 0, 0, 0xffff, 0xffff, 60))
# Frame shorter than 8 bytes: the length comes from the override.
write('net', 'long', net(ALL, 1, 1, 54, 1448, 34, 16, 0) +
      struct.pack('<Q', 65536 + 256))
