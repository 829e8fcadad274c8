#!/usr/bin/env python3
"""The arm64 lab (lab/arm64/run.sh) under /tmp/lab.lock: Debian's arm64
kernel boots under the arm64 vmm inside QEMU's virt machine with EL2.
Skips (77) with the reason when QEMU, cpio, the cross build or the Debian
packages are missing."""
import argparse
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.parse_args()
    if shutil.which('qemu-system-aarch64') is None:
        print('qemu-system-aarch64 not installed (Debian qemu-system-arm; lab/deps.sh)')
        return 77
    vmm = os.path.join(ROOT, 'build/arm64/vmm')
    if not os.access(vmm, os.X_OK):
        print('build/arm64/vmm not built (the arm64:tests/arm64/build.py item builds it)')
        return 77
    env = dict(os.environ)
    env.setdefault('LAB_CACHE', os.path.join(ROOT, 'lab/cache'))
    env['VMM'] = vmm
    env['OUT'] = os.path.join(ROOT, 'build/arm64/lab')
    # The arm64 benchmark guest, once per workload and both GPIO paths
    # (lab/arm64/bench-cases), when the arm64 build made it.
    guest = os.path.join(ROOT, 'build/arm64/guest/benchguest.elf')
    if 'BENCHGUEST' not in env and os.path.exists(guest):
        env['BENCHGUEST'] = guest
        env['CASES'] = os.path.join(ROOT, 'lab/arm64/bench-cases')
    # hvbench and the native runner, for a short hvbench run beside them.
    for var, path in (('HVBENCH', 'build/arm64/hvbench'), ('BENCH', 'build/arm64/bench')):
        if var not in env and os.access(os.path.join(ROOT, path), os.X_OK):
            env[var] = os.path.join(ROOT, path)
    env.setdefault('LAB_TIMEOUT', '1500')
    p = subprocess.run(['flock', '/tmp/lab.lock', 'sh', os.path.join(ROOT, 'lab/arm64/run.sh')],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors='replace')
    print(out.rstrip())
    if p.returncode == 77:
        print(out.strip().splitlines()[-1] if out.strip() else 'skipped')
    return p.returncode


if __name__ == '__main__':
    sys.exit(main())
