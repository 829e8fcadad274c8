#!/usr/bin/env python3
"""The arm64 cross build: `make ARCH=arm64` must give static AArch64
programs: build/arm64/vmm, and hvbench with its native runner
(build/arm64/hvbench, build/arm64/bench) for the arm64 lab. Skips (77)
when the cross compiler or an arm64 library is missing (lab/deps.sh
installs them)."""
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
    cc = 'aarch64-linux-gnu-gcc'
    if shutil.which(cc) is None:
        print('%s not installed (Debian gcc-aarch64-linux-gnu; lab/deps.sh)' % cc)
        return 77
    libdir = os.environ.get('ARM64_LIBDIR', '/usr/local/lib/aarch64-linux-gnu')
    for lib, where in (('libseccomp.a', '/usr/lib/aarch64-linux-gnu'),
                       ('libconfig.a', '/usr/lib/aarch64-linux-gnu'),
                       ('libjansson.a', '/usr/lib/aarch64-linux-gnu'),
                       ('libfdt.a', libdir)):
        if not os.path.exists(os.path.join(where, lib)):
            print('%s/%s missing (the arm64 libraries: lab/deps.sh)' % (where, lib))
            return 77
    # The x86 build's BUILD (tests/run.py sets it) must not reach the arm64
    # make, whose own default is build/arm64.
    env = dict(os.environ)
    env.pop('BUILD', None)
    progs = ('build/arm64/vmm', 'build/arm64/hvbench', 'build/arm64/bench')
    p = subprocess.run(['make', '-C', ROOT, '--no-print-directory', '-j2', 'ARCH=arm64']
                       + list(progs), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env)
    out = p.stdout.decode(errors='replace')
    if p.returncode != 0:
        print(out[-4000:])
        print('make ARCH=arm64 failed')
        return 1
    for prog in progs:
        path = os.path.join(ROOT, prog)
        with open(path, 'rb') as f:
            hdr = f.read(64)
        # ELF64, little-endian, e_machine 183 (EM_AARCH64); no PT_INTERP
        # (static) is what `file` reports as "statically linked".
        machine = int.from_bytes(hdr[18:20], 'little')
        if hdr[:4] != b'\x7fELF' or hdr[4] != 2 or machine != 183:
            print('%s is not an ELF64 AArch64 executable' % prog)
            return 1
        r = subprocess.run(['aarch64-linux-gnu-readelf', '-l', path], stdout=subprocess.PIPE)
        if b'INTERP' in r.stdout:
            print('%s is dynamically linked' % prog)
            return 1
        print('%s: static AArch64, %d bytes' % (prog, os.path.getsize(path)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
