#!/usr/bin/env python3
"""Measures what the monitor adds to a trap-and-emulate round trip, and its
own memory footprint.

Round trip: the measurement guest (tests/guests/roundtrip64.S) writes a
port N times from CPL3; each write exits to user space. It runs under
`vmm` (the write goes through the exit switch, the port bus and the UART
model) and under `rawloop` (same VM set-up, a bare KVM_RUN loop with no
device model), interleaved vmm, raw, vmm, raw... The guest times its loop
with the TSC; we report the median ns per round trip of each and the ratio.

Memory: while a 256 MiB guest runs, the monitor's RSS minus the resident
part of the guest RAM mapping (from /proc/PID/smaps).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

LINE = re.compile(r'ROUNDTRIP count=(\d+) cycles=(\d+) tsc_khz=(\d+)')


def kvm_kind(vmm):
    out = subprocess.run([vmm, 'info'], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r'^kvm kind: (.*)$', out, re.M)
    return m.group(1) if m else 'unknown'


def one(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    m = LINE.search(p.stdout)
    if p.returncode != 1 or not m:
        sys.exit('roundtrip: %s failed (status %d): %s%s' % (cmd[0], p.returncode,
                                                           p.stdout[-500:], p.stderr[-500:]))
    n, cyc, khz = (int(x) for x in m.groups())
    return cyc / n / khz * 1e6  # ns per round trip


def rss_split(vmm, guest, mem_mib):
    p = subprocess.Popen([vmm, 'run', '--kernel', guest, '--mem', '%dM' % mem_mib,
                          '--cmdline', '200000'], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    time.sleep(1.5)
    total = guest_rss = None
    try:
        with open('/proc/%d/status' % p.pid) as f:
            total = int(re.search(r'VmRSS:\s+(\d+) kB', f.read()).group(1))
        size = None
        with open('/proc/%d/smaps' % p.pid) as f:
            for line in f:
                m = re.match(r'Size:\s+(\d+) kB', line)
                if m:
                    size = int(m.group(1))
                m = re.match(r'Rss:\s+(\d+) kB', line)
                if m and size == mem_mib * 1024:
                    guest_rss = int(m.group(1))
    finally:
        p.terminate()
        p.wait()
    return total, guest_rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--reps', type=int, default=11)
    ap.add_argument('--count', type=int, default=20000)
    a = ap.parse_args()
    vmm = os.path.join(a.build, 'vmm')
    raw = os.path.join(a.build, 'rawloop')
    guest = os.path.join(a.build, 'tests', 'guests', 'roundtrip64.elf')
    print('kvm kind: %s' % kvm_kind(vmm))
    v, r = [], []
    for i in range(a.reps):
        v.append(one([vmm, 'run', '--kernel', guest, '--cmdline', str(a.count)]))
        r.append(one([raw, guest, str(a.count)]))
        print('rep %d/%d: vmm %.0f ns, raw %.0f ns' % (i + 1, a.reps, v[-1], r[-1]),
              file=sys.stderr)
    mv, mr = statistics.median(v), statistics.median(r)
    print('port-I/O round trip from CPL3, %d writes x %d reps, interleaved:' % (a.count, a.reps))
    print('  vmm (exit switch + bus + uart16550): median %.0f ns' % mv)
    print('  raw KVM_RUN loop (no device model):  median %.0f ns' % mr)
    print('  monitor adds %+.2f%% (%+.0f ns)' % ((mv - mr) / mr * 100, mv - mr))
    total, g = rss_split(vmm, guest, 256)
    if total is not None and g is not None:
        print('memory, 256 MiB guest: RSS %d KiB, guest RAM resident %d KiB, monitor %d KiB'
              % (total, g, total - g))
    else:
        print('memory: could not read /proc smaps')


if __name__ == '__main__':
    main()
