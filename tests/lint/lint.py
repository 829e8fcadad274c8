#!/usr/bin/env python3
"""make lint: clang's static analyzer and cppcheck over every C file of the
tree (src/ and tests/), with zero findings allowed.

Each translation unit is analysed with the flags the Makefile builds it
with: the Makefile passes its flag sets in the environment (LINT_CPPFLAGS,
LINT_HVB_CPPFLAGS, LINT_BENCH_FREEFLAGS, LINT_GUEST_CFLAGS; src/guest/guest.mk
LINT_GUEST_A64_CFLAGS) and FILE_GROUPS below says which set each folder uses. The analyzer is run as scan-build
runs it (`clang --analyze`, the default checkers), one file per job, so a
finding is a compiler diagnostic naming its checker; scan-build itself
(`scan-build make`) gives the same findings as HTML when one wants paths
drawn.

A finding is accepted only if tests/lint/suppressions.txt names it, with a
reason; a suppression that no longer matches anything is an error too, so
the file stays a true list. Its format, one per line:

    TOOL CHECK PATH `SOURCE FRAGMENT` REASON...

TOOL is clang or cppcheck, CHECK the checker (core.NullDereference) or
cppcheck id (knownConditionTrueFalse), PATH the file, and the fragment a
piece of the flagged source line (so a suppression follows its line when
the file is edited, and names what it excuses). A check the project does
not follow at all is written with PATH and fragment `*`.

Exit status 0 when clean, 1 with findings (each printed as FILE:LINE: TOOL
CHECK: MESSAGE), 77 when a tool is missing (tests/run.py counts a skip).
"""
import argparse
import concurrent.futures
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

CLANG_ID = b''

# Folder -> the flags its files are built with, in the Makefile's order (it
# matters: src/bench/rng.h and src/vmm/virtio/rng.h share a name): fixed
# ones and flag sets named by environment variable. The first prefix that
# matches wins.
FILE_GROUPS = [
    ('src/bench/native.c', ['$LINT_CPPFLAGS']),
    ('src/bench/', ['$LINT_BENCH_FREEFLAGS']),
    # The arm64 guest's runtime is analysed as the AArch64 code it is.
    ('src/guest/arch/arm64/', ['--target=aarch64-linux-gnu', '$LINT_GUEST_A64_CFLAGS']),
    ('src/guest/', ['$LINT_GUEST_CFLAGS']),
    ('tests/arm64/', ['$LINT_CPPFLAGS', '-Itests/common', '-Isrc/guest/arch/arm64']),
    ('src/hvbench/', ['$LINT_CPPFLAGS', '$LINT_HVB_CPPFLAGS']),
    ('tests/hvbench/', ['$LINT_CPPFLAGS', '$LINT_HVB_CPPFLAGS', '-Itests/common']),
    ('tests/bench/', ['-Isrc/bench', '$LINT_CPPFLAGS', '-Itests/common']),
    # The arm64 monitor's own folder is analysed as the arm64 build sees
    # it (its headers first, arm64's system headers); the tests that take
    # its portable parts on this host add it after the x86 path.
    ('src/vmm/arch/arm64/', ['--target=aarch64-linux-gnu', '-Isrc/vmm/arch/arm64',
                             '$LINT_CPPFLAGS']),
    ('tests/unit/test_dtb.c', ['$LINT_CPPFLAGS', '-Isrc/vmm/arch/arm64', '-Itests/common']),
    ('tests/unit/test_image.c', ['$LINT_CPPFLAGS', '-Isrc/vmm/arch/arm64', '-Itests/common']),
    ('tests/fuzz/fuzz_image.c', ['$LINT_CPPFLAGS', '-Isrc/vmm/arch/arm64']),
    ('src/', ['$LINT_CPPFLAGS']),
    ('tests/', ['$LINT_CPPFLAGS', '-Itests/common']),
]

# Only preprocessor and code-generation options matter to the analysers;
# warnings are the compiler's business (and -Werror would turn an analyzer
# note into a failed compile).
KEEP = re.compile(r'^(-D|-U|-I|-std=|--target=|-f(freestanding|no-builtin)|-m(no-red-zone|general-regs-only))')

# The version the build stamps in (git describe) changes with every commit;
# a fixed one keeps the caches of both tools valid from one commit to the
# next.
VERSION = re.compile(r'^(-D\w*_VERSION)=.*$')

DIAG = re.compile(r'^(?P<file>[^:\s][^:]*):(?P<line>\d+):(?P<col>\d+): warning: (?P<msg>.*?)'
                  r'(?: \[(?P<check>[\w.-]+)\])?$')


def flags_for(path):
    for prefix, parts in FILE_GROUPS:
        if path.startswith(prefix):
            out = ['-std=c11']
            for p in parts:
                flags = shlex.split(os.environ.get(p[1:], '')) if p.startswith('$') else [p]
                out += [VERSION.sub(r'\1="lint"', f) for f in flags if KEEP.match(f)]
            return out
    raise SystemExit('lint: no flag group for %s' % path)


def c_files():
    files = sorted(glob.glob('src/**/*.c', recursive=True) + glob.glob('tests/**/*.c', recursive=True))
    # tests/prove holds deliberately broken copies kept as proof inputs;
    # tests/lint holds the canary, checked on its own.
    return [f for f in files if not f.startswith(('tests/prove/', 'tests/lint/'))]


# The canary's bugs, which each analyser must find (see canary.c).
CANARY = 'tests/lint/canary.c'
CANARY_WANT = {('clang', 'core.NullDereference'), ('cppcheck', 'arrayIndexOutOfBounds')}


def run_clang(clang, path, build):
    # The analysis depends only on the preprocessed file and the analyzer:
    # a file whose preprocessed text is unchanged since the last run keeps
    # its findings, so a second `make lint` costs seconds, not minutes.
    flags = flags_for(path)
    cmd = [clang, '--analyze', '-Xclang', '-analyzer-output=text', '-o', os.devnull,
           '-Wno-everything'] + flags + [path]
    pre = subprocess.run([clang, '-E'] + flags + [path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    key = hashlib.sha256(repr((CLANG_ID, cmd)).encode() + pre.stdout).hexdigest()
    cached = os.path.join(build, 'lint', 'clang', key + '.json')
    if pre.returncode == 0 and os.path.exists(cached):
        with open(cached) as f:
            return [tuple(x) for x in json.load(f)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    found = []
    for line in p.stdout.decode(errors='replace').splitlines():
        m = DIAG.match(line)
        if m:
            found.append((os.path.normpath(m['file']), int(m['line']), 'clang',
                          m['check'] or 'clang', m['msg']))
    if p.returncode != 0 and not found:
        found.append((path, 0, 'clang', 'error', 'analysis failed: ' +
                      p.stdout.decode(errors='replace').strip()[-400:]))
    elif pre.returncode == 0:
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        with open(cached + '.tmp', 'w') as f:
            json.dump(found, f)
        os.replace(cached + '.tmp', cached)
    return found


def run_cppcheck(cppcheck, path, build):
    cell = os.path.join(build, 'lint', 'cppcheck', path.replace('/', '_'))
    os.makedirs(cell, exist_ok=True)
    cmd = [cppcheck, '-q', '--std=c11', '--enable=warning,style,performance,portability',
           '--inconclusive', '--suppress=missingIncludeSystem', '--cppcheck-build-dir=' + cell,
           '--error-exitcode=0',
           # cppcheck defines __CPPCHECK__ only when given no -D of ours.
           '-D__CPPCHECK__',
           '--template={file}:{line}: cppcheck {id}: {message}'] + \
        [f for f in flags_for(path) if f.startswith(('-D', '-U', '-I'))] + [path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    found = []
    for line in p.stdout.decode(errors='replace').splitlines():
        m = re.match(r'^(?P<file>[^:]+):(?P<line>\d+): cppcheck (?P<id>\w+): (?P<msg>.*)$', line)
        if m:
            found.append((os.path.normpath(m['file']), int(m['line']), 'cppcheck', m['id'], m['msg']))
    return found


def load_suppressions(path):
    sups = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith('#'):
                continue
            m = re.match(r'^(clang|cppcheck)\s+(\S+)\s+(\S+)\s+`([^`]+)`\s+(.+)$', s)
            if not m:
                raise SystemExit('%s:%d: not TOOL CHECK PATH `FRAGMENT` REASON' % (path, n))
            sups.append({'where': '%s:%d' % (path, n), 'tool': m[1], 'check': m[2],
                         'file': m[3], 'frag': m[4], 'used': 0})
    return sups


def source_line(path, line, cache={}):
    if path not in cache:
        try:
            with open(path, errors='replace') as f:
                cache[path] = f.read().splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1] if 0 < line <= len(lines) else ''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--suppressions', default='tests/lint/suppressions.txt')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('files', nargs='*', help='default: every C file under src/ and tests/')
    a = ap.parse_args()
    clang = os.environ.get('CLANG', 'clang')
    tools = {'clang': shutil.which(clang), 'cppcheck': shutil.which('cppcheck')}
    for name, where in tools.items():
        if not where:
            print('lint: %s not installed (Debian packages clang, cppcheck; lab/deps.sh installs them)'
                  % name, file=sys.stderr)
            return 77
    unset = [v for v in ('LINT_CPPFLAGS', 'LINT_HVB_CPPFLAGS', 'LINT_BENCH_FREEFLAGS',
                         'LINT_GUEST_CFLAGS', 'LINT_GUEST_A64_CFLAGS') if v not in os.environ]
    if unset:
        print('lint: %s not set: run it as `make lint` (the Makefile passes its flags)'
              % ', '.join(unset), file=sys.stderr)
        return 1
    files = a.files or c_files()
    global CLANG_ID
    CLANG_ID = subprocess.run([tools['clang'], '--version'], stdout=subprocess.PIPE).stdout
    sups = load_suppressions(a.suppressions)
    t0 = time.monotonic()
    findings = set()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        jobs = [pool.submit(run_clang, tools['clang'], f, a.build) for f in files]
        jobs += [pool.submit(run_cppcheck, tools['cppcheck'], f, a.build) for f in files]
        canary = [pool.submit(run_clang, tools['clang'], CANARY, a.build),
                  pool.submit(run_cppcheck, tools['cppcheck'], CANARY, a.build)]
        for j in jobs:
            findings.update(j.result())
    bad = []
    got = {(t, c) for j in canary for (_, _, t, c, _) in j.result()}
    for tool, check in sorted(CANARY_WANT - got):
        bad.append('%s: %s did not report its %s bug: is the analyser working?'
                   % (CANARY, tool, check))
    for f in sorted(findings):
        path, line, tool, check, msg = f
        text = source_line(path, line)
        hit = [s for s in sups if s['tool'] == tool and s['check'] == check and
               s['file'] in ('*', path) and (s['frag'] == '*' or s['frag'] in text)]
        if hit:
            for s in hit:
                s['used'] += 1
        else:
            bad.append('%s:%d: %s %s: %s\n    | %s' % (path, line, tool, check, msg, text.strip()))
    if not a.files:
        for s in sups:
            if not s['used']:
                bad.append('%s: suppression matches nothing (remove it): %s %s %s `%s`'
                           % (s['where'], s['tool'], s['check'], s['file'], s['frag']))
    for b in bad:
        print(b)
    print('lint: %d files, clang --analyze and cppcheck: %d findings, %d suppressed, %.0f s'
          % (len(files), len(bad), sum(s['used'] for s in sups), time.monotonic() - t0))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
