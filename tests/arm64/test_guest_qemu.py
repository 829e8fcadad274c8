#!/usr/bin/env python3
"""The arm64 benchmark guest under QEMU, without our monitor.

Boots $BUILD/arm64/guest/benchguest.elf with qemu-system-aarch64 -M
virt,gic-version=3 -cpu max (TCG) once per workload, at a test-size count,
and checks what it prints: the boot line (MMU and caches on), one RESULT
line naming the workload with the five required fields, and the exit value
the guest prints before PSCI SYSTEM_OFF (QEMU has no debug-exit device, so
its own status is 0 whatever the guest meant). The GPIO loopback workloads
must say UNAVAILABLE (QEMU's PL061 does not loop outputs back) and print no
number. The PL061 -> GIC SPI -> handler path is checked with QEMU's own
PL061 input: the power button (QMP system_powerdown) drives input 3. The
timer and that path run on a GICv2 too.
Timings under TCG mean nothing; only correctness is checked.

TAP output, one test per boot, for tests/run.py. Skips with the reason when
the cross compiler (Debian gcc-aarch64-linux-gnu) did not build the guest
or QEMU (Debian qemu-system-arm) is missing.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get('BUILD', 'build')
A64 = BUILD if BUILD.rstrip('/').endswith('/arm64') else os.path.join(BUILD, 'arm64')
ELF = os.path.join(A64, 'guest', 'benchguest.elf')
QEMU = 'qemu-system-aarch64'


def base(gic=3, machine=''):
    return [QEMU, '-M', 'virt,gic-version=%d%s' % (gic, machine), '-cpu', 'max', '-m', '256M',
            '-smp', '1', '-nographic', '-no-reboot', '-kernel', ELF]
TIMEOUT = 120

# (command line, workload, exit value the guest must report)
COMPUTE = [
    ('run cpu time_ms=50', 'cpu'),
    ('run memory total_size=16M', 'memory'),
    ('run threads events=2 threads=3', 'threads'),
    ('run mutex mutex_locks=200 threads=3', 'mutex'),
    ('run basicmath size=tiny', 'basicmath'),
    ('run bitcount size=tiny', 'bitcount'),
    ('run qsort size=tiny', 'qsort'),
    ('run susan-smoothing size=tiny', 'susan-smoothing'),
    ('run susan-edges size=tiny', 'susan-edges'),
    ('run susan-corners size=tiny', 'susan-corners'),
    ('run timer-latency loops=10', 'timer-latency'),
]
REQUIRED = ('benchmark', 'metric', 'unit', 'better', 'value')

results = []


def report(ok, name, why=''):
    results.append(ok)
    n = len(results)
    if not ok:
        for line in why.splitlines()[-20:]:
            print('# ' + line)
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
    sys.stdout.flush()


# The virtio devices, for the guest's driver: QEMU's virt with its ECAM
# low (highmem=off: its high one is beyond the guest's 4 GiB map), modern
# functions only (disable-legacy: the driver knows no transitional IDs).
# The guest assigns the BARs itself (no firmware ran) and takes INTx.
VIRTIO = ',highmem=off'


def virtio_args(disk):
    return ['-drive', 'if=none,format=raw,id=d0,file=' + disk,
            '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on',
            '-device', 'virtio-rng-pci,disable-legacy=on']


def boot(cmdline, gic=3, machine='', extra=()):
    try:
        p = subprocess.run(base(gic, machine) + list(extra) + ['-append', cmdline],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(errors='replace').replace('\r', '')
    except subprocess.TimeoutExpired as e:
        return 'timeout', (e.stdout or b'').decode(errors='replace')


def exit_value(out):
    for line in out.splitlines():
        if line.startswith('benchguest: exit '):
            return int(line.split()[2])
    return None


def check_boot(out, gic=3):
    if 'benchguest: arm64, counter ' not in out:
        return 'no boot line'
    if ' MiB RAM mapped, GICv%d, ' % gic not in out:
        return 'the boot line does not name the GICv%d' % gic
    if 'MMU and caches on' not in out:
        return 'the MMU or the caches are off'
    return ''


def test_compute(cmdline, name, gic=3, machine='', extra=(), label=''):
    rc, out = boot(cmdline, gic, machine, extra)
    why = check_boot(out, gic)
    found = []
    for line in out.splitlines():
        if line.startswith('RESULT '):
            try:
                found.append(json.loads(line[7:]))
            except ValueError as e:
                why = why or 'RESULT line is not JSON: %s' % e
    if not why and len(found) != 1:
        why = '%d RESULT lines, expected 1' % len(found)
    if not why:
        r = found[0]
        missing = [k for k in REQUIRED if k not in r]
        if missing:
            why = 'RESULT lacks %s' % ', '.join(missing)
        elif r['benchmark'] != name:
            why = 'RESULT names %r' % r['benchmark']
        elif not isinstance(r['value'], (int, float)) or r['value'] < 0:
            why = 'RESULT value %r' % r['value']
        elif r.get('check') is False:
            why = 'the workload failed its self-check'
    if not why and (rc != 0 or exit_value(out) != 0):
        why = 'QEMU status %s, guest exit %s, expected 0 and 0' % (rc, exit_value(out))
    report(not why, (label or name) + ('' if gic == 3 else ' on a GICv%d' % gic),
           why + '\n' + out)


def test_unavailable(cmdline, name):
    rc, out = boot(cmdline)
    why = check_boot(out)
    if not why and ('UNAVAILABLE %s: ' % name) not in out:
        why = 'no UNAVAILABLE line'
    if not why and ('RESULT ' in out or 'FAIL ' in out):
        why = 'a RESULT or FAIL line where the workload is unavailable'
    if not why and exit_value(out) != 5:
        why = 'guest exit %s, expected 5 (GUEST_EXIT_UNAVAILABLE)' % exit_value(out)
    report(not why, name + ' unavailable without a loopback', why + '\n' + out)


def test_status(cmdline, want_exit, want_text, name, machine='', extra=()):
    rc, out = boot(cmdline, 3, machine, extra)
    why = check_boot(out)
    if not why and want_text not in out:
        why = 'no %r in the output' % want_text
    if not why and exit_value(out) != want_exit:
        why = 'guest exit %s, expected %d' % (exit_value(out), want_exit)
    report(not why, name, why + '\n' + out)


def qmp(sock_path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    f = s.makefile('rw')
    f.readline()  # the greeting
    for c in ({'execute': 'qmp_capabilities'}, {'execute': cmd}):
        f.write(json.dumps(c) + '\n')
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if 'return' in reply or 'error' in reply:
                break
    s.close()
    return reply


def test_gpio_input(gic=3):
    """Input pin 3 (QEMU's power button) raises the PL061's SPI, delivered
    through the GIC to the guest's handler."""
    name = 'PL061 input interrupt through the GICv%d (QEMU power button)' % gic
    tmp = tempfile.mkdtemp(prefix='a64qmp')
    sock = os.path.join(tmp, 'qmp')
    args = base(gic) + ['-qmp', 'unix:%s,server=on,wait=off' % sock,
                   '-append', 'run gpio-input-wait pin=3 timeout_ms=20000']
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, why = '', ''
    try:
        deadline = time.time() + TIMEOUT
        for raw in p.stdout:
            line = raw.decode(errors='replace').replace('\r', '')
            out += line
            if line.startswith('GPIO READY'):
                r = qmp(sock, 'system_powerdown')
                if 'return' not in r:
                    why = 'QMP system_powerdown: %r' % r
                    break
            if line.startswith('benchguest: exit') or time.time() > deadline:
                break
        p.wait(timeout=30)
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        why = why or 'QEMU or QMP: %s' % e
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    why = why or check_boot(out, gic)
    if not why and 'GPIO IRQ pin 3 count ' not in out:
        why = 'the input edge raised no interrupt'
    if not why and exit_value(out) != 0:
        why = 'guest exit %s, expected 0' % exit_value(out)
    report(not why, name, why + '\n' + out)


def skip(reason):
    print('# SKIP: %s' % reason)
    print('ok 1 # SKIP arm64 benchmark guest under QEMU')
    return 0


def test_virtio():
    """The shared virtio driver on arm64: configuration through the ECAM,
    the rings with their barriers, completions by INTx on a GIC SPI (the
    blk-info hook says irq 1), on a 1 MiB disk that disk-seq-write fills
    with the pattern the reads then check, and virtio-rng."""
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, 'disk.img')
        with open(disk, 'wb') as f:
            f.truncate(1 << 20)
        extra = virtio_args(disk)
        test_status('vtest blk-info', 0, 'VTEST blk-info readonly/irq a=0 b=1',
                    'virtio-blk found through the ECAM, completions by INTx', VIRTIO, extra)
        for cmdline, name in (('run disk-seq-write total=1M', 'disk-seq-write'),
                              ('run disk-seq-read total=1M verify=full', 'disk-seq-read'),
                              ('run disk-seq-read total=1M qd=8 wait=poll', 'disk-seq-read'),
                              ('run disk-rand-read ios=200', 'disk-rand-read'),
                              ('run disk-rand-read ios=100 wait=poll', 'disk-rand-read'),
                              ('run disk-rand-iops ios=500 qd=32', 'disk-rand-iops'),
                              ('run rng-read total=64K', 'rng-read')):
            test_compute(cmdline, name, machine=VIRTIO, extra=extra, label=cmdline)


def main():
    if shutil.which(QEMU) is None:
        return skip('%s is not installed (Debian package qemu-system-arm)' % QEMU)
    if not os.path.exists(ELF):
        if shutil.which('aarch64-linux-gnu-gcc') is None:
            return skip('no aarch64-linux-gnu-gcc to build %s (Debian package '
                        'gcc-aarch64-linux-gnu)' % ELF)
        report(False, 'arm64 benchmark guest', '%s is not built' % ELF)
        return 1
    for cmdline, name in COMPUTE:
        test_compute(cmdline, name)
    test_unavailable('run irq-latency-user loops=10', 'irq-latency-user')
    test_unavailable('run irq-latency-irqfd loops=10', 'irq-latency-irqfd')
    test_gpio_input()
    # A GICv2, as a Cortex-A53 board's GIC-400 (the study's ZCU102) is.
    test_compute('run timer-latency loops=10', 'timer-latency', gic=2)
    test_compute('run threads events=2 threads=3', 'threads', gic=2)
    test_gpio_input(gic=2)
    test_status('fault ud', 3, 'FAULT ec 0x0000000000000000 (undefined instruction) in user mode',
                'a fault at EL0 is reported')
    test_status('run nosuch', 2, 'nosuch', 'a bad command line')
    test_status('run disk-seq-read', 1, 'FAIL disk-seq-read: no virtio-blk function on PCI bus 0',
                'the disk workloads say there is no disk')
    test_virtio()
    print('1..%d' % len(results))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
