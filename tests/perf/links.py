#!/usr/bin/env python3
"""Round trips between VMs over each kind of link, side by side in one run.

Each repetition runs, interleaved:
  channel  channel-ping / channel-pong under `vmm system` (a channel);
  net      net-ping / net-pong under `vmm system` (a net link);
  vsock    vsock-ping / vsock-pong in two `vmm run --vsock ...,peer=CID@FD`
           joined by a SOCK_SEQPACKET socketpair made here, as `vmm system`
           joins them for a vsock link; left out (said so) when the monitor
           has no vsock peers;
  vsock-host  vsock-ping to an echo on the host, through the Unix socket
           of `vmm run --vsock` (the echo is this script's, in Python);
  net-bulk, vsock-bulk  a one-way stream (20000 1514-byte frames; 16 MiB),
           its throughput.
Ping runs on CPU --cpu, pong on --peer-cpu, as hvbench pins channel-ping.
For each kind: the median over the repetitions of each run's p50 and p99,
and the mean time of one notification (the notify write's exit) where the
workload reports it.

    python3 tests/perf/links.py --build build --reps 5 --loops 2000
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading


def result_of(text):
    for line in text.splitlines():
        i = line.find('RESULT {')
        if i >= 0:
            return json.loads(line[i + 7:])
    return None


def run_system(a, tmp, ping, pong, conn, loops=None):
    cfg = os.path.join(tmp, 'sys.cfg')
    guest = os.path.join(a.build, 'guest', 'benchguest.elf')
    with open(cfg, 'w') as f:
        f.write('log_dir = "%s/logs";\nvms = (\n'
                '  { name = "ping"; kernel = "%s"; cmdline = "run %s loops=%d"; mem = "32M";'
                ' pin = %d; on_exit = "stop-all"; },\n'
                '  { name = "pong"; kernel = "%s"; cmdline = "run %s loops=%d"; mem = "32M";'
                ' pin = %d; on_exit = "ignore"; }\n);\n%s\n'
                % (tmp, guest, ping, loops or a.loops, a.cpu, guest, pong, loops or a.loops,
                   a.peer_cpu, conn))
    p = subprocess.run([os.path.join(a.build, 'vmm'), 'system', cfg], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    return result_of(p.stdout), p.stdout + p.stderr


def vmm_run(a, cpu, vsock, cmd, pass_fds=()):
    argv = ['taskset', '-c', str(cpu), os.path.join(a.build, 'vmm'), 'run', '--kernel',
            os.path.join(a.build, 'guest', 'benchguest.elf'), '--mem', '32M', '--vsock', vsock,
            '--cmdline', cmd]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            pass_fds=pass_fds)


def run_vsock_pair(a, tmp, bulk=False):
    s0, s1 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if bulk:
        pcmd, ccmd = 'run vsock-sink port=5000', 'run vsock-bulk cid=4 port=5000 total=16M'
    else:
        pcmd = 'run vsock-pong port=5000 loops=%d' % a.loops
        ccmd = 'run vsock-ping cid=4 port=5000 loops=%d' % a.loops
    pong = vmm_run(a, a.peer_cpu, 'cid=4,uds=%s/b.sock,peer=3@%d' % (tmp, s1.fileno()), pcmd,
                   (s1.fileno(),))
    ping = vmm_run(a, a.cpu, 'cid=3,uds=%s/a.sock,peer=4@%d' % (tmp, s0.fileno()), ccmd,
                   (s0.fileno(),))
    out, err = ping.communicate(timeout=300)
    pong.communicate(timeout=60)
    s0.close()
    s1.close()
    if ping.returncode == 2 and 'peer=' in err:
        return None, 'the monitor has no vsock peers (peer=CID@FD) yet'
    return result_of(out), out + err


def run_vsock_host(a, tmp):
    path = os.path.join(tmp, 'h.sock')
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(path + '_5000')
    lst.listen(1)

    def echo():
        c, _ = lst.accept()
        while True:
            d = c.recv(4096)
            if not d:
                break
            c.sendall(d)
        c.close()
    t = threading.Thread(target=echo, daemon=True)
    t.start()
    ping = vmm_run(a, a.cpu, 'cid=3,uds=%s' % path, 'run vsock-ping cid=2 port=5000 loops=%d'
                   % a.loops)
    out, err = ping.communicate(timeout=300)
    t.join(5)
    lst.close()
    err = out + err
    for p in (path, path + '_5000'):
        if os.path.exists(p):
            os.unlink(p)
    return result_of(out), err


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default='build')
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--loops', type=int, default=2000)
    ap.add_argument('--cpu', type=int, default=1)
    ap.add_argument('--peer-cpu', type=int, default=0)
    a = ap.parse_args()
    kinds = {
        'channel': lambda t: run_system(a, t, 'channel-ping', 'channel-pong',
                                        'channels = ({ name = "pp"; between = ["ping", "pong"];'
                                        ' gpa = "0xe0000000"; size = "64K"; });'),
        'net': lambda t: run_system(a, t, 'net-ping', 'net-pong',
                                    'links = ({ name = "lan"; type = "net";'
                                    ' between = ["ping", "pong"]; });'),
        'vsock': lambda t: run_vsock_pair(a, t),
        'vsock-host': lambda t: run_vsock_host(a, t),
        'net-bulk': lambda t: run_system(a, t, 'net-bulk', 'net-sink',
                                         'links = ({ name = "lan"; type = "net";'
                                         ' between = ["ping", "pong"]; });', 20000),
        'vsock-bulk': lambda t: run_vsock_pair(a, t, True),
    }
    got = {k: [] for k in kinds}
    skipped = {}
    for rep in range(a.reps):
        for k, fn in kinds.items():
            if k in skipped:
                continue
            with tempfile.TemporaryDirectory(prefix='links-') as t:
                r, why = fn(t)
            if r is None:
                if 'peer' in (why or '') and k.startswith('vsock') and k != 'vsock-host':
                    skipped[k] = why
                    continue
                sys.exit('links: %s failed: %s' % (k, (why or '').strip()[-400:]))
            got[k].append(r)
            if r['unit'] == 'us':
                print('rep %d %-10s p50 %8.1f us  p99 %9.1f us' % (rep + 1, k, r['p50'],
                                                                   r['p99']), file=sys.stderr)
            else:
                print('rep %d %-10s %.1f MB/s' % (rep + 1, k, r['value'] / 1e6), file=sys.stderr)
    with open('/proc/loadavg') as f:
        load = f.read().split()[0]
    print('kind        p50 (us)  p99 (us)  notify (us)   [%d reps x %d round trips, ping on CPU %d,'
          ' pong on CPU %d, load %s]' % (a.reps, a.loops, a.cpu, a.peer_cpu, load))
    for k, rs in got.items():
        if k in skipped:
            print('%-10s  skipped: %s' % (k, skipped[k]))
            continue
        if rs and rs[0]['unit'] != 'us':
            print('%-10s  %.1f MB/s (median)' % (k, statistics.median(r['value'] for r in rs) / 1e6))
            continue
        n = [r['notify_us'] for r in rs if 'notify_us' in r]
        print('%-10s  %8.1f  %8.1f  %11s' % (
            k, statistics.median(r['p50'] for r in rs), statistics.median(r['p99'] for r in rs),
            '%.1f' % statistics.median(n) if n else '-'))


if __name__ == '__main__':
    main()
