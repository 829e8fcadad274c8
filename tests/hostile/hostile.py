#!/usr/bin/env python3
"""The hostile-guest suite: runs each attack (tests/hostile/guests/*.c)
under build/vmm and under the ASan/UBSan build of the monitor
(build/asan/vmm), the attacks on 2 vCPUs also under the ThreadSanitizer
build (build/tsan/vmm), with a time limit, and checks what the monitor did.

    hostile.py [--build DIR] [--full] [--only NAME] [--report FILE]

Output is TAP, so tests/run.py takes it as a `kvm:` item; --full is the
long sweep of `make hostile`. For each run it asserts:
  - the monitor ended within the limit, by an exit (not a signal), with the
    status the attack expects (src/common/vmmstatus.h) and, for statuses
    other than a debug-exit verdict, the message that goes with it;
  - no sanitizer report on stderr; stderr stays bounded;
  - its peak RSS (VmHWM, read with VmRSS every 20 ms while it runs; not
    wait4's ru_maxrss, which keeps the parent's mark across exec) stays
    under a bound, and for floods the RSS at the end is not
    above the RSS early in the flood plus a small slack.
Each attack's expectation is the correct behaviour. Where an attack
reproduces a defect found (and fixed) elsewhere in the monitor, `guards`
names it, and a failure prints it.
"""
import argparse
import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time



def status_table():
    """What each vmm exit status means, read from the one table that says
    so, src/common/vmmstatus.h (its enum and vmm_status_meaning's words)."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, '..', '..', 'src', 'common', 'vmmstatus.h')) as f:
        text = f.read()
    value = {m.group(1): int(m.group(2)) for m in re.finditer(r'(VMM_EXIT_\w+) = (\d+)', text)}
    return {value[m.group(1)]: m.group(2)
            for m in re.finditer(r'\{(VMM_EXIT_\w+), "([^"]*)"\}', text) if m.group(1) in value}


STATUS_MEANING = status_table()
SANITIZER = ('ERROR: AddressSanitizer', 'runtime error:', 'ERROR: LeakSanitizer',
             'UndefinedBehaviorSanitizer', 'AddressSanitizer:', 'WARNING: ThreadSanitizer')
KEEP = 256 * 1024          # bytes of each stream kept for the checks
STDERR_MAX = 64 * 1024     # more than this on stderr is a log flood
PIPE_FULL = 60 * 1024      # a Linux pipe holds 64 KiB
TERM_GRACE = 5             # seconds the monitor has to end after SIGTERM
CHAN_GPA, CHAN_SIZE = 0xc2000000, 0x2000
RSS_MAX_KIB = {'vmm': 64 * 1024, 'asan': 512 * 1024, 'tsan': 512 * 1024}
GROWTH_SLACK_KIB = 2048


class Attack:
    def __init__(self, name, guest=None, cmdline='', args=(), status=(1,), out=(), err=(),
                 timeout=60, full_timeout=None, flood=False, read_stdout=True,
                 sigterm_after=None, guards=None, full_cmdline=None, channel=False):
        self.name, self.guest = name, guest or name
        self.cmdline, self.args, self.status = cmdline, list(args), tuple(status)
        self.out, self.err = tuple(out), tuple(err)
        self.timeout, self.full_timeout = timeout, full_timeout or timeout * 4
        self.flood, self.read_stdout, self.sigterm_after = flood, read_stdout, sigterm_after
        self.guards, self.full_cmdline, self.channel = guards, full_cmdline, channel


# The attacks. status: what the monitor must end with (1 = the guest's
# "pass" verdict through debug-exit).
ATTACKS = [
    Attack('pci', out=('hostile: pass',)),
    Attack('gpio', out=('hostile: pass',)),
    Attack('gpio-doorbell', guest='gpio', cmdline='doorbell=1', out=('hostile: pass',),
           guards='issue 9 item 8 (gpio.c raise_edge): with MSI disabled a DOORBELL '
                  'write latched nothing and raised no INTx, although gpio.h promised one'),
    Attack('uart', out=('hostile: pass',), flood=True, cmdline='bytes=40000',
           full_cmdline='bytes=400000'),
    # stdout is a pipe nobody reads: once it is full, SIGTERM; the monitor
    # must end within TERM_GRACE seconds.
    Attack('uart-stalled', guest='uart', cmdline='bytes=100000000', read_stdout=False,
           sigterm_after=20.0, status=(143,), err=('stopped by Terminated',), timeout=30,
           full_timeout=30,
           guards='issue 9 item 2 (machine.c serial_tx): a vCPU blocked in write(2) '
                  'to a full stdout pipe retried on EINTR for ever, so SIGTERM never '
                  'ended the run'),
    Attack('chan', out=('hostile: pass', 'chan: INTx interrupts 3,'), channel=True),
    Attack('ports', out=('hostile: pass',),
           guards='issue 9 item 11 (vcpu.c unclaimed/log_first): every unclaimed port '
                  'was logged once, 7.4 MB of stderr for a guest that reads each port'),
    Attack('strio', out=('hostile: pass',)),
    Attack('strio-high', guest='strio', args=('--mem', '4100M'), out=('hostile: pass',)),
    Attack('cmos', out=('hostile: pass',)),
    Attack('i8042', status=(0,), out=('i8042: state machine held',)),
    Attack('mmio', out=('hostile: pass',)),
    Attack('mmio-high', guest='mmio', args=('--mem', '4100M'), out=('hostile: pass',)),
    Attack('race', args=('--cpus', '2'), out=('hostile: pass',)),
    Attack('race-msi', guest='race', cmdline='msi=1', args=('--cpus', '2'),
           out=('hostile: pass',),
           guards='the race of issue 9 items 8 and 12 (MSI written under the PCI lock, '
                  'read under the device lock); TSan must stay quiet'),
    Attack('initsipi', args=('--cpus', '2'), out=('hostile: pass',)),
    Attack('init-self', guest='initsipi', cmdline='self=1', args=('--cpus', '2'), status=(0,),
           guards='issue 9 item 13: INIT to its own APIC ID restarted the BSP at '
                  '0xfffffff0, where nothing was mapped: the run ended as a KVM error, '
                  'status 8'),
    Attack('triple', status=(4,), out=('triple: no IDT',), err=('triple fault',)),
    Attack('triple-idt', guest='triple', cmdline='how=1', status=(4,), err=('triple fault',)),
    Attack('triple-edge', guest='triple', cmdline='how=2', status=(4,), err=('triple fault',)),
    # On hardware the AP's real-mode triple fault is status 4; software KVM
    # (PVM) cannot emulate the real-mode LIDT and stops the run with 8.
    Attack('triple-ap', guest='triple', cmdline='how=3', args=('--cpus', '2'), status=(4, 8),
           err=('vCPU 1: ',)),
    Attack('triple-stack', guest='triple', cmdline='how=5', status=(4,), err=('triple fault',)),
    # An instruction fetch from the hole: KVM cannot run it, status 8.
    Attack('fetch-mmio', guest='triple', cmdline='how=4', status=(8,),
           err=('vCPU 0: KVM internal error',)),
]


class Reader(threading.Thread):
    """Drains one pipe, keeping the first and the last KEEP bytes and
    counting all of them."""

    def __init__(self, f, on=True):
        super().__init__(daemon=True)
        self.f, self.buf, self.tail, self.n, self.on = f, bytearray(), bytearray(), 0, on

    def run(self):
        if not self.on:
            return
        while True:
            b = self.f.read1(65536) if hasattr(self.f, 'read1') else self.f.read(65536)
            if not b:
                break
            self.n += len(b)
            if len(self.buf) < KEEP:
                self.buf += b[:KEEP - len(self.buf)]
            else:
                self.tail = (self.tail + b)[-KEEP:]

    def text(self):
        return (self.buf + self.tail).decode(errors='replace')


def pipe_queued(f):
    """Bytes waiting in a pipe (FIONREAD)."""
    try:
        return struct.unpack('i', fcntl.ioctl(f.fileno(), termios.FIONREAD, b'\0' * 4))[0]
    except OSError:
        return 0


def vm_kib(pid):
    """(VmRSS, VmHWM) of a running process, in KiB, or None."""
    rss = hwm = None
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    rss = int(line.split()[1])
                elif line.startswith('VmHWM:'):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return (rss, hwm) if rss is not None and hwm is not None else None


def run_one(a, vmm, kind, build, full):
    guest = os.path.join(build, 'tests', 'hostile', a.guest + '.elf')
    cmdline = a.full_cmdline if full and a.full_cmdline else a.cmdline
    if full:
        cmdline = (cmdline + ' full=1').strip()
    argv = [vmm, 'run', '--kernel', guest] + a.args
    if cmdline:
        argv += ['--cmdline', cmdline]
    if kind != 'vmm':
        # The sandbox forbids sigaltstack, which the sanitizer runtimes call
        # when a thread ends: the sanitizer builds run without it.
        argv.append('--no-sandbox')
    env = dict(os.environ, ASAN_OPTIONS='abort_on_error=0:detect_leaks=1:exitcode=99',
               UBSAN_OPTIONS='print_stacktrace=1:halt_on_error=1:exitcode=99',
               TSAN_OPTIONS='halt_on_error=1:exitcode=99')
    limit = a.full_timeout if full else a.timeout
    fds = []
    if a.channel:
        # What vmm system hands a VM: a memfd for the region, and the two
        # doorbells' eventfds. The runner rings the incoming one in a loop.
        mem = os.memfd_create('hostile-chan')
        os.ftruncate(mem, CHAN_SIZE)
        out_fd = os.eventfd(0, os.EFD_NONBLOCK)
        in_fd = os.eventfd(0, os.EFD_NONBLOCK)
        fds = [mem, out_fd, in_fd]
        argv += ['--channel', 'gpa=%#x,size=%#x,mem=%d,out=%d,in=%d,name=hostile,peer=runner'
                 % (CHAN_GPA, CHAN_SIZE, mem, out_fd, in_fd)]
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, pass_fds=fds)
    out, err = Reader(p.stdout, a.read_stdout), Reader(p.stderr)
    out.start()
    err.start()
    samples = []
    hwm = 0
    stalled_at, last_q = 0.0, -1
    timed_out = termed = False
    ru = None
    while True:
        pid, wst, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        el = time.monotonic() - t0
        v = vm_kib(p.pid)
        if v:
            samples.append((el, v[0]))
            hwm = max(hwm, v[1])
        if a.sigterm_after is not None and not termed:
            # Once the pipe nobody reads is full and has stopped filling for
            # a second (the vCPU is then blocked writing to it), or after
            # sigterm_after at the latest.
            q = pipe_queued(p.stdout)
            if q != last_q:
                last_q, stalled_at = q, el
            if (q >= PIPE_FULL and el >= stalled_at + 1.0) or el >= a.sigterm_after:
                p.send_signal(signal.SIGTERM)
                termed = True
                limit = min(limit, el + TERM_GRACE)
        if a.channel:
            os.eventfd_write(in_fd, 1)
        if el > limit:
            timed_out = True
            p.kill()
            pid, wst, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    p.returncode = 0
    wall = time.monotonic() - t0
    out.join(5)
    err.join(5)
    for f in (p.stdout, p.stderr):
        f.close()
    # wait4's ru_maxrss would carry this process's own high-water mark over
    # the exec, so the peak is the monitor's VmHWM, sampled while it ran.
    r = {'name': a.name, 'kind': kind, 'wall': wall, 'maxrss': hwm,
         'samples': samples, 'timed_out': timed_out, 'out': out.text(), 'err': err.text(),
         'out_bytes': out.n, 'err_bytes': err.n, 'signal': None, 'status': None}
    if a.channel:
        try:
            r['rung'] = os.eventfd_read(out_fd)
        except BlockingIOError:
            r['rung'] = 0
        r['region'] = os.pread(mem, CHAN_SIZE, 0)
        for fd in fds:
            os.close(fd)
    if os.WIFSIGNALED(wst):
        r['signal'] = os.WTERMSIG(wst)
    elif os.WIFEXITED(wst):
        r['status'] = os.WEXITSTATUS(wst)
    return r


def meaning(st):
    if st in STATUS_MEANING:
        return STATUS_MEANING[st]
    if st is not None and 0 < st < 128 and st & 1:
        return 'debug-exit value %d' % (st >> 1)
    return 'exit status %s' % st


def check(a, r):
    """Returns a list of problems (empty: pass)."""
    bad = []
    if r['timed_out']:
        bad.append('hang: still running after %.0f s (killed)' % r['wall'])
    elif r['signal'] is not None:
        bad.append('monitor killed by signal %d (%s)' % (r['signal'], signal.Signals(r['signal']).name))
    elif r['status'] not in a.status:
        bad.append('status %s (%s), expected %s' % (r['status'], meaning(r['status']),
                                                    ' or '.join(map(str, a.status))))
    for s in SANITIZER:
        if s in r['err']:
            bad.append('sanitizer report on stderr')
            break
    if r['err_bytes'] > STDERR_MAX:
        bad.append('stderr flood: %d bytes' % r['err_bytes'])
    for s in a.out:
        if s not in r['out']:
            bad.append('stdout lacks %r' % s)
    for s in a.err:
        if s not in r['err']:
            bad.append('stderr lacks %r' % s)
    if a.channel and r['status'] == 1:
        if r['rung'] == 0:
            bad.append('the outgoing doorbell never rang the eventfd')
        if r['region'][:8] != b'CHANNEL!' or r['region'][-1] != 0x5a:
            bad.append('the guest\'s writes are not in the shared memory')
    if r['maxrss'] > RSS_MAX_KIB[r['kind']]:
        bad.append('peak RSS %d KiB above %d KiB' % (r['maxrss'], RSS_MAX_KIB[r['kind']]))
    if a.flood and len(r['samples']) >= 8:
        s = [v for _, v in r['samples']]
        early = max(s[len(s) // 4: len(s) // 2])
        late = max(s[3 * len(s) // 4:])
        if late > early + GROWTH_SLACK_KIB:
            bad.append('RSS grows during the flood: %d KiB at mid-run, %d KiB at the end'
                       % (early, late))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.environ.get('BUILD', 'build'))
    ap.add_argument('--full', action='store_true', default=bool(os.environ.get('HOSTILE_FULL')))
    ap.add_argument('--only', action='append')
    ap.add_argument('--report')
    a = ap.parse_args()
    monitors = [('vmm', os.path.join(a.build, 'vmm')),
                ('asan', os.path.join(a.build, 'asan', 'vmm')),
                ('tsan', os.path.join(a.build, 'tsan', 'vmm'))]
    attacks = [x for x in ATTACKS if not a.only or x.name in a.only]
    runs = [(x, kind, vmm) for x in attacks for kind, vmm in monitors
            if kind != 'tsan' or '--cpus' in x.args]
    n = 0
    rows = []
    failed = 0
    kvm_ok = os.access('/dev/kvm', os.R_OK | os.W_OK)
    print('1..%d' % len(runs))
    for x, kind, vmm in runs:
        n += 1
        test = '%s/%s' % (x.name, kind)
        if not kvm_ok:
            print('# SKIP: /dev/kvm is not usable')
            print('ok %d # SKIP %s' % (n, test))
            continue
        if kind == 'tsan' and not os.access(vmm, os.X_OK):
            print('# SKIP: %s is not built (make tsan)' % vmm)
            print('ok %d # SKIP %s' % (n, test))
            continue
        if not os.access(vmm, os.X_OK):
            print('# %s is not built' % vmm)
            print('not ok %d - %s' % (n, test))
            failed += 1
            continue
        r = run_one(x, vmm, kind, a.build, a.full)
        bad = check(x, r)
        what = ('killed' if r['timed_out'] else 'signal %s' % r['signal']
                if r['signal'] is not None else 'status %d (%s)' % (r['status'], meaning(r['status'])))
        lines = r['err'].splitlines()
        if r['err_bytes'] > KEEP:
            lines = lines[:-1]  # the last line kept may be cut short
        msg = next((l for l in lines if l.startswith('vmm: ') and
                    'logged once' not in l), '')
        print('# %s: %s in %.2f s, peak RSS %d KiB, stdout %d B, stderr %d B'
              % (test, what, r['wall'], r['maxrss'], r['out_bytes'], r['err_bytes']))
        if msg:
            print('# message: %s' % msg[:200])
        for b in bad:
            print('# %s' % b)
        if bad:
            if x.guards:
                print('# this attack guards: %s' % x.guards)
            tail = r['out'].strip().splitlines()[-3:] + r['err'].strip().splitlines()[-6:]
            for l in tail:
                print('#   | %s' % l[:200])
            print('not ok %d - %s' % (n, test))
            failed += 1
        else:
            print('ok %d - %s' % (n, test))
        rows.append((test, what, msg, r['maxrss'], r['wall'], 'FAIL' if bad else 'ok'))
        sys.stdout.flush()
    if a.report:
        os.makedirs(os.path.dirname(a.report) or '.', exist_ok=True)
        with open(a.report, 'w') as f:
            f.write('| attack | monitor ended | message | peak RSS KiB | s | verdict |\n')
            f.write('| --- | --- | --- | --- | --- | --- |\n')
            for t, w, m, rss, wall, v in rows:
                f.write('| %s | %s | %s | %d | %.1f | %s |\n' % (t, w, m.replace('|', '/')[:90],
                                                                 rss, wall, v))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
