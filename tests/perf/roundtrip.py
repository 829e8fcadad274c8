#!/usr/bin/env python3
"""Measures what the monitor adds to a trap-and-emulate round trip, and its
own memory footprint.

Round trip: the measurement guest (tests/guests/roundtrip64.S) writes a
port N times from CPL3; each write exits to user space. It runs under
`vmm` (the write goes through the exit switch, the port bus and the UART
model) and under `rawloop` (same VM set-up, a bare KVM_RUN loop with no
device model), interleaved vmm, raw, vmm, raw... The guest times its loop
with the TSC; we report the median ns per round trip of each and the ratio.

The sandbox (seccomp filter, on by default) runs its BPF program on every
system call, KVM_RUN included. --vmm-args passes options to vmm (e.g.
--vmm-args=--no-sandbox); --sandbox-ab adds a third interleaved series,
vmm --no-sandbox, so the filter's cost is measured in the same run.

Memory: while a 256 MiB guest runs, the monitor's RSS minus the resident
part of the guest RAM mapping (from /proc/PID/smaps; a sandboxed vmm is
not dumpable, so that needs root or the same run with --no-sandbox).
"""
import argparse
import os
import re
import shlex
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


def rss_split(vmm, guest, mem_mib, extra):
    p = subprocess.Popen([vmm, 'run', '--kernel', guest, '--mem', '%dM' % mem_mib,
                          '--cmdline', '200000'] + extra, stdout=subprocess.DEVNULL,
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
    except (OSError, AttributeError):
        pass
    finally:
        p.terminate()
        p.wait()
    return total, guest_rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--reps', type=int, default=11)
    ap.add_argument('--count', type=int, default=20000)
    ap.add_argument('--vmm-args', default='', help='extra options for vmm run')
    ap.add_argument('--sandbox-ab', action='store_true',
                    help='also run vmm --no-sandbox, interleaved, and compare')
    a = ap.parse_args()
    extra = shlex.split(a.vmm_args)
    vmm = os.path.join(a.build, 'vmm')
    raw = os.path.join(a.build, 'rawloop')
    guest = os.path.join(a.build, 'tests', 'guests', 'roundtrip64.elf')
    print('kvm kind: %s' % kvm_kind(vmm))
    run = [vmm, 'run', '--kernel', guest, '--cmdline', str(a.count)]
    v, r, u = [], [], []
    for i in range(a.reps):
        v.append(one(run + extra))
        if a.sandbox_ab:
            u.append(one(run + extra + ['--no-sandbox']))
        r.append(one([raw, guest, str(a.count)]))
        print('rep %d/%d: vmm %.0f ns,%s raw %.0f ns'
              % (i + 1, a.reps, v[-1], ' no-sandbox %.0f ns,' % u[-1] if u else '', r[-1]),
              file=sys.stderr)
    mv, mr = statistics.median(v), statistics.median(r)
    print('port-I/O round trip from CPL3, %d writes x %d reps, interleaved:' % (a.count, a.reps))
    print('  vmm %s(exit switch + bus + uart16550): median %.0f ns'
          % (' '.join(extra) + ' ' if extra else '', mv))
    if u:
        mu = statistics.median(u)
        print('  vmm --no-sandbox:                    median %.0f ns' % mu)
        print('  the sandbox adds %+.2f%% (%+.0f ns)' % ((mv - mu) / mu * 100, mv - mu))
    print('  raw KVM_RUN loop (no device model):  median %.0f ns' % mr)
    print('  monitor adds %+.2f%% (%+.0f ns)' % ((mv - mr) / mr * 100, mv - mr))
    total, g = rss_split(vmm, guest, 256, extra)
    if total is not None and g is not None:
        print('memory, 256 MiB guest: RSS %d KiB, guest RAM resident %d KiB, monitor %d KiB'
              % (total, g, total - g))
    else:
        print('memory: could not read /proc smaps')


if __name__ == '__main__':
    main()
