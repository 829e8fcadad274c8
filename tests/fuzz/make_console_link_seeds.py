#!/usr/bin/env python3
"""Writes the hand-made seed inputs for fuzz_console_link.

The input format is described at the top of tests/fuzz/fuzz_console_link.c.
Run from anywhere; the files it writes (tests/fuzz/corpus/console_link/seed-*)
are committed. Crash inputs kept as regression cases live next to them
under other names and are left alone.
"""
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'console_link')
MULTI, RESTARTED, SMALL = 1, 2, 4
DATA, STATE, RAW, CTL, RXBUF, TXCHAIN, CTLBUF, PEER_READ, RESET, HANGUP, RUN = range(11)
UP, DOWN = 0, 1
# CTL operands: (event index << 1) | port
READY, PORT_READY1, PORT_READY0, OPEN1, OPEN0 = (k << 1 for k in range(5))


def write(name, data):
    os.makedirs(ROOT, exist_ok=True)
    with open(os.path.join(ROOT, 'seed-' + name), 'wb') as f:
        f.write(data)


def ops(*pairs):
    return b''.join(bytes([op, arg]) for op, arg in pairs)


# The driver finds the port, makes it ready and opens it.
PROBE = ops((CTLBUF, 79), (CTLBUF, 79), (CTLBUF, 79), (CTL, READY), (CTLBUF, 79),
            (CTL, PORT_READY1), (CTLBUF, 79), (CTLBUF, 79), (CTL, OPEN1))
TALK = ops((STATE, UP), (RXBUF, 10), (RXBUF, 200), (DATA, 3), (DATA, 250),
           (TXCHAIN, 4), (TXCHAIN, 201), (PEER_READ, 0), (RXBUF, 50), (DATA, 1))

write('plain', bytes([0]) + TALK + ops((STATE, DOWN), (DATA, 9), (STATE, UP),
                                        (RXBUF, 7), (DATA, 9), (PEER_READ, 0)))
write('multiport', bytes([MULTI]) + PROBE + TALK + ops((CTL, OPEN0), (DATA, 5),
                                                         (CTL, OPEN1), (RXBUF, 3)))
write('stale-before-up', bytes([MULTI]) + PROBE + ops((DATA, 7), (RXBUF, 9), (STATE, UP),
                                                        (DATA, 8), (PEER_READ, 0)))
write('restart', bytes([MULTI | RESTARTED]) + PROBE + TALK + ops(
    (DATA, 4), (STATE, DOWN), (TXCHAIN, 9), (RESET, 0), (PEER_READ, 0)) + PROBE + TALK)
write('full', bytes([SMALL]) + ops((STATE, UP)) +
      ops(*[(TXCHAIN, 170)] * 8) + ops((RUN, 0), (PEER_READ, 0), (RUN, 0), (PEER_READ, 0)) +
      ops(*[(DATA, 240)] * 6) + ops((RXBUF, 255), (RXBUF, 255)))
write('rubbish', bytes([0]) + ops((STATE, UP), (RXBUF, 100)) +
      bytes([RAW, 3, 0x02, 0x41, 0x42]) + bytes([RAW, 1, 0x07]) +
      bytes([RAW, 2, 0x09, 0x01]) + bytes([RAW, 1, 0x00]) + ops((DATA, 247), (RXBUF, 3)))
write('hangup', bytes([MULTI]) + PROBE + TALK + ops((DATA, 2), (HANGUP, 0), (TXCHAIN, 3),
                                                    (RXBUF, 5), (RUN, 0)))
