#!/usr/bin/env python3
"""Writes the hand-made seed inputs for fuzz_console.

The input format is described at the top of tests/fuzz/fuzz_console.c.
Run from anywhere; the files it writes (tests/fuzz/corpus/console/seed-*)
are committed. Crash inputs kept as regression cases live next to them
under other names and are left alone.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'console')
READY, ADD, REMOVE, PORT_READY, CONSOLE, RESIZE, OPEN, NAME = range(8)
BAD_ID = 0xffffffff


def write(name, data):
    os.makedirs(ROOT, exist_ok=True)
    with open(os.path.join(ROOT, 'seed-' + name), 'wb') as f:
        f.write(data)


def msg(pid, event, value, length=8):
    m = struct.pack('<IHH', pid, event, value) + bytes(8)
    return bytes([0, length]) + m[:length]


def drain(cap=255):
    return bytes([1, cap])


def host(port, connected):
    return bytes([2, port | (0x80 if connected else 0)])


RESET = bytes([3, 0])

probe = msg(BAD_ID, READY, 1) + drain()
for p in range(3):
    probe += msg(p, PORT_READY, 1) + drain()
write('probe', probe)
write('probe-open-hangup', probe + msg(0, OPEN, 1) + host(0, False) + drain() +
      host(0, True) + drain() + msg(0, OPEN, 0))
write('small-buffers', msg(BAD_ID, READY, 1) + drain(8) + drain(4) +
      msg(1, PORT_READY, 1) + drain(10) + drain(30))
write('failed-port', msg(BAD_ID, READY, 1) + drain() + msg(2, PORT_READY, 0) +
      msg(2, PORT_READY, 1) + msg(2, OPEN, 1) + drain())
write('hostile', msg(0, PORT_READY, 1, 4) + msg(0, PORT_READY, 1, 12) +
      msg(0, OPEN, 1) + msg(9, OPEN, 1) + msg(0, ADD, 1) + msg(0, NAME, 1) +
      msg(0, 0x1234, 1) + msg(BAD_ID, READY, 7) + drain())
write('reset', probe + msg(1, OPEN, 1) + RESET + drain() + probe)
