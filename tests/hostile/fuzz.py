#!/usr/bin/env python3
"""Runs libFuzzer targets one after another for a fixed time each.

    fuzz.py --build build --seconds 600 build/fuzz/fuzz_pci ...

Each target NAME (fuzz_NAME) starts from its seed corpus
tests/fuzz/corpus/NAME/ (read only) and grows a working corpus in
BUILD/fuzz/work/NAME/, which is not in git. A crash, leak, timeout or
out-of-memory input is copied into tests/fuzz/corpus/NAME/, where every
`make test` then replays it as a regression case; the target is restarted
for the rest of its time (up to MAX_RESTARTS times), so one crash does not
end the hunt; the inputs are copied only when its time is up, so a restart
does not replay them. Prints one line per target (executions, corpus size, new
crash inputs) and exits 1 if any target found one.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

MAX_RESTARTS = 5
ARTIFACT = re.compile(r'^(crash|leak|timeout|oom|slow-unit)-[0-9a-f]+$')


def run_target(path, build, seconds):
    name = os.path.basename(path)
    target = name[len('fuzz_'):] if name.startswith('fuzz_') else name
    seeds = os.path.join('tests', 'fuzz', 'corpus', target)
    work = os.path.join(build, 'fuzz', 'work', target)
    arts = os.path.join(build, 'fuzz', 'artifacts', target)
    os.makedirs(work, exist_ok=True)
    os.makedirs(arts, exist_ok=True)
    os.makedirs(seeds, exist_ok=True)
    before = set(os.listdir(arts))
    execs = 0
    crashes = []
    end = time.monotonic() + seconds
    runs = 0
    while runs <= MAX_RESTARTS:
        left = int(end - time.monotonic())
        if left < 1:
            break
        runs += 1
        cmd = [path, '-max_total_time=%d' % left, '-timeout=10', '-rss_limit_mb=2048',
               '-artifact_prefix=' + arts + '/', '-print_final_stats=1', work, seeds]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=left + 300)
        out = p.stdout.decode(errors='replace')
        m = re.search(r'stat::number_of_executed_units:\s*(\d+)', out)
        if m:
            execs += int(m.group(1))
        if p.returncode == 0:
            break
        with open(os.path.join(build, 'fuzz', 'artifacts', target + '.log'), 'a') as f:
            f.write(out[-20000:])
        new = [a for a in os.listdir(arts) if a not in before and ARTIFACT.match(a)]
        written = re.search(r'Test unit written to (\S+)', out)
        if not new and written and os.path.basename(written.group(1)) in crashes:
            # The same input again: restarting would only find it again.
            break
        if not new:
            print('FAIL fuzz/%s: exited %d without leaving an input' % (name, p.returncode))
            print('\n'.join('     ' + l for l in out.splitlines()[-30:]))
            crashes.append('(exit %d)' % p.returncode)
            break
        for a in new:
            before.add(a)
            crashes.append(a)
            summary = re.search(r'SUMMARY: (.*)', out)
            print('     %s: %s -> %s' % (name, summary.group(1) if summary else 'failure',
                                         os.path.join(seeds, a)))
    for a in crashes:
        if ARTIFACT.match(a):
            shutil.copy(os.path.join(arts, a), os.path.join(seeds, a))
    corpus = len(os.listdir(work))
    print('%s fuzz/%s: %d executions in %d s, working corpus %d inputs, %d new crash input%s'
          % ('FAIL' if crashes else 'PASS', name, execs, seconds, corpus, len(crashes),
             '' if len(crashes) == 1 else 's'))
    sys.stdout.flush()
    return not crashes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--seconds', type=int, default=600)
    ap.add_argument('targets', nargs='+')
    a = ap.parse_args()
    ok = True
    for t in a.targets:
        if not os.access(t, os.X_OK):
            print('FAIL fuzz/%s: not built' % t)
            ok = False
            continue
        ok = run_target(t, a.build, a.seconds) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
