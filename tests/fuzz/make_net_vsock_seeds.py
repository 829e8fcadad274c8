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


# --- vsock: records of header, 2-byte chain length, payload ---------------
REQUEST, RESPONSE, RST, SHUTDOWN, RW, CREDIT_UPDATE, CREDIT_REQUEST = range(1, 8)


def pkt(op, sport, dport, payload=b'', flags=0, buf_alloc=65536, fwd=0,
        src_cid=3, dst_cid=2, length=None, typ=1):
    h = struct.pack('<QQIIIHHIII', src_cid, dst_cid, sport, dport,
                    len(payload) if length is None else length, typ, op,
                    flags, buf_alloc, fwd)
    # The harness supplies the payload bytes; only their count is input.
    return h + struct.pack('<H', len(payload))


write('vsock', 'connect-rw-close',
      pkt(REQUEST, 1000, 5000) + pkt(RW, 1000, 5000, b'hello') +
      pkt(CREDIT_REQUEST, 1000, 5000) + pkt(SHUTDOWN, 1000, 5000, flags=3))
write('vsock', 'no-listener', pkt(REQUEST, 1, 7000) + pkt(RW, 1, 7000, b'x'))
write('vsock', 'other-cid', pkt(REQUEST, 1, 5000, dst_cid=9))
write('vsock', 'spoofed', pkt(REQUEST, 1, 5000, src_cid=4))
write('vsock', 'bad-len', pkt(REQUEST, 1, 5000) +
      pkt(RW, 1, 5000, b'abc', length=100))
write('vsock', 'credit-overrun',
      pkt(REQUEST, 2, 5000) + b''.join(pkt(RW, 2, 5000, bytes(60000))
                                      for _ in range(6)))
write('vsock', 'small-credit', pkt(REQUEST, 3, 5000, buf_alloc=1) +
      pkt(CREDIT_UPDATE, 3, 5000, buf_alloc=100, fwd=1))
write('vsock', 'ops', b''.join(pkt(op, 4, 5000) for op in
                               (REQUEST, RESPONSE, 0, 8, 0xffff, RST)))
write('vsock', 'double-request', pkt(REQUEST, 5, 5000) + pkt(REQUEST, 5, 5000))
write('vsock', 'half-shutdown', pkt(REQUEST, 6, 5000) +
      pkt(SHUTDOWN, 6, 5000, flags=2) + pkt(RW, 6, 5000, b'late') +
      pkt(SHUTDOWN, 6, 5000, flags=0xfffffffd))
