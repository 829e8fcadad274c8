#!/usr/bin/env python3
"""Runs every test program and prints one summary line: N passed, N failed, N skipped.

Arguments are KIND:PATH items. unit/asan/kvm programs are cmocka test
binaries run with TAP output; each TAP line is one test. fuzz programs are
libFuzzer targets run for a bounded time over their seed corpus in
tests/fuzz/corpus/NAME (crash inputs kept there are regression cases); each
is one test. lint (tests/lint/lint.py) and prove (tests/prove/prove.py)
programs are checkers run with --build; each is one test, passed when it
exits 0 and skipped when it exits 77 (a tool is missing). A program that crashes or exits non-zero without reporting a
failure counts as one failed test.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

TAP = re.compile(r'^(not ok|ok) \d+ (?:- |# SKIP )?(.*)$')
# A result line glued to the end of a child's unterminated output (a
# monitor the test started on the same stdout): the same line, found after
# the other text.
TAP_GLUED = re.compile(r'(not ok|ok) \d+ (?:- |# SKIP )(.*)$')
PLAN = re.compile(r'^1\.\.(\d+)$')


def run_tap(kind, path, counts, timeout):
    name = os.path.basename(path)
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT='TAP')
    if not os.access(path, os.X_OK):
        print('FAIL %s/%s: not built' % (kind, name))
        counts['failed'] += 1
        return
    # stderr apart: cmocka writes a failure's message there ("ERROR: ..."),
    # unbuffered, so in one stream with the buffered TAP lines it would land
    # anywhere, even inside another line.
    try:
        p = subprocess.run([path], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        out, err = p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')
        rc = p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'').decode(errors='replace')
        err = (e.stderr or b'').decode(errors='replace')
        rc = 'timeout'
    failed_here = 0
    notes = []
    last_failed = False
    planned, seen = None, 0
    for line in out.splitlines():
        pm = PLAN.match(line)
        if pm:
            planned = int(pm.group(1))
            continue
        m = TAP.match(line)
        if not m and not line.startswith('# '):
            m = TAP_GLUED.search(line)
        # cmocka's "# FILE:LINE: error: ..." follows the "not ok" it explains.
        if last_failed and re.match(r'^# \S+:\d+: error: ', line):
            print('     %s' % line[2:])
            continue
        if line.startswith('# ') and not line.startswith('# not ok') and not line.startswith('# ok'):
            notes.append(line[2:])
            continue
        if not m:
            continue
        last_failed = False
        seen += 1
        test = '%s/%s/%s' % (kind, name, m.group(2))
        if '# SKIP' in line:
            reason = next((n[6:] for n in reversed(notes) if n.startswith('SKIP: ')), 'no reason given')
            print('SKIP %s: %s' % (test, reason))
            counts['skipped'] += 1
        elif m.group(1) == 'ok':
            print('PASS %s' % test)
            counts['passed'] += 1
        else:
            print('FAIL %s' % test)
            for n in notes[-15:]:
                print('     %s' % n)
            counts['failed'] += 1
            failed_here += 1
            last_failed = True
        notes = []
    if planned is not None and seen < planned:
        # A lost line hides no failure (a failed case makes the program
        # exit non-zero, below), but the count is short: say so.
        print('     %s/%s: %d of its %d results were not found in its output'
              % (kind, name, planned - seen, planned))
    if failed_here and err.strip():
        print('     %s/%s standard error (the failures\' messages):' % (kind, name))
        print('\n'.join('       ' + l for l in err.strip().splitlines()[-20:]))
    if rc != 0 and failed_here == 0:
        print('FAIL %s/%s: exited with %s without reporting a failure' % (kind, name, rc))
        print('\n'.join('     ' + l for l in (out + err).splitlines()[-30:]))
        counts['failed'] += 1


def run_fuzz(path, build, seconds, counts):
    name = os.path.basename(path)
    target = name[len('fuzz_'):] if name.startswith('fuzz_') else name
    seeds = os.path.join('tests', 'fuzz', 'corpus', target)
    work = os.path.join(build, 'fuzz', 'work', target)
    arts = os.path.join(build, 'fuzz', 'artifacts', target) + '/'
    os.makedirs(work, exist_ok=True)
    os.makedirs(arts, exist_ok=True)
    if not os.path.isdir(seeds):
        print('FAIL fuzz/%s: no seed corpus at %s' % (name, seeds))
        counts['failed'] += 1
        return
    cmd = [path, '-max_total_time=%d' % seconds, '-timeout=10', '-rss_limit_mb=2048',
           '-artifact_prefix=' + arts, '-print_final_stats=1', work, seeds]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=seconds + 120)
    out = p.stdout.decode(errors='replace')
    execs = re.search(r'stat::number_of_executed_units:\s*(\d+)', out)
    if p.returncode == 0:
        print('PASS fuzz/%s (%s inputs in %d s)' % (name, execs.group(1) if execs else '?', seconds))
        counts['passed'] += 1
    else:
        print('FAIL fuzz/%s: crash or leak; the input is in %s (add it to %s as a regression case)'
              % (name, arts, seeds))
        print('\n'.join('     ' + l for l in out.splitlines()[-40:]))
        counts['failed'] += 1


def run_checker(kind, path, build, counts, timeout):
    name = os.path.basename(path)
    try:
        p = subprocess.run([sys.executable, path, '--build', build], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out, rc = p.stdout.decode(errors='replace'), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b'').decode(errors='replace'), 'timeout'
    lines = out.strip().splitlines()
    last = lines[-1] if lines else ''
    if rc == 0:
        print('PASS %s/%s (%s)' % (kind, name, last))
        counts['passed'] += 1
    elif rc == 77:
        print('SKIP %s/%s: %s' % (kind, name, last))
        counts['skipped'] += 1
    else:
        print('FAIL %s/%s: exit status %s' % (kind, name, rc))
        print('\n'.join('     ' + l for l in lines[-60:]))
        counts['failed'] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--fuzz-seconds', type=int, default=8)
    ap.add_argument('--timeout', type=int, default=600)
    ap.add_argument('items', nargs='*')
    a = ap.parse_args()
    os.environ.setdefault('BUILD', a.build)
    counts = {'passed': 0, 'failed': 0, 'skipped': 0}
    took = []
    for item in a.items:
        kind, _, path = item.partition(':')
        started = time.monotonic()
        if kind == 'fuzz':
            if shutil.which(path) is None and not os.access(path, os.X_OK):
                print('FAIL fuzz/%s: not built' % path)
                counts['failed'] += 1
                continue
            run_fuzz(path, a.build, a.fuzz_seconds, counts)
        elif kind in ('lint', 'prove', 'arm64'):
            # The proofs take minutes of CPU from a cold cache, more on a
            # busy machine (tests/prove/README.md): 25 minutes at most.
            run_checker(kind, path, a.build, counts,
                        max(a.timeout, 1500) if kind == 'prove' else a.timeout)
        elif kind == 'lab':
            # One program boots the lab machine once or more and bounds each
            # boot itself (tests/lab/lablib.h), and boots once more when the
            # lab machine itself went down; 25 minutes for all of it.
            run_tap(kind, path, counts, max(a.timeout, 1500))
        else:
            run_tap(kind, path, counts, a.timeout)
        took.append((time.monotonic() - started, item))
        sys.stdout.flush()
    # Where the time went, for keeping `make test` inside its budget.
    if len(took) > 1:
        total = sum(t for t, _ in took)
        print('# wall time: %.0f s over %d items; the slowest:' % (total, len(took)))
        for t, item in sorted(took, reverse=True)[:12]:
            print('#   %6.0f s  %s' % (t, item))
    print('%d passed, %d failed, %d skipped' % (counts['passed'], counts['failed'], counts['skipped']))
    return 1 if counts['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
