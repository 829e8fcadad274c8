#!/usr/bin/env python3
"""make loc: the monitor's size in source lines, by folder, against its budget.

A source line is a line of a .c, .h, .S or .asl file with something on it
that is not a comment (C's /* */ and //, the assembler's and ASL's too) and
not blank. The monitor's core is every such file under src/vmm and
src/system (the monitor and its supervisor, `vmm system`), folders
included as they come (a new src/vmm/arch/... counts without an edit here);
tests, the benchmark tool and the guests are elsewhere and do not count.

With --check (or --build, as the item lint:tests/lint/loc.py of `make
test`; `make lint` runs it too) the exit status is 1 when the core passes BUDGET (README.md,
"Size budget", says why it is what it is and how it is raised), else 0.
"""
import argparse
import os
import sys

# The budget of the monitor's core in source lines (README.md, "Size
# budget"). Raising it is a decision: change it here and in the README in
# the commit that needs it, saying what the lines buy.
BUDGET = 22000

ROOTS = ('src/vmm', 'src/system')
EXTS = ('.c', '.h', '.S', '.asl')


def code_lines(text):
    """Lines with code on them: comments, string and character literals
    are told apart so that "/*" inside a string is not a comment."""
    n = 0
    in_comment = False
    for line in text.splitlines():
        code = False
        i, end = 0, len(line)
        quote = None
        while i < end:
            ch = line[i]
            if in_comment:
                if line.startswith('*/', i):
                    in_comment = False
                    i += 2
                    continue
                i += 1
                continue
            if quote:
                code = True
                if ch == '\\':
                    i += 2
                    continue
                if ch == quote:
                    quote = None
                i += 1
                continue
            if line.startswith('/*', i):
                in_comment = True
                i += 2
                continue
            if line.startswith('//', i):
                break
            if ch in '"\'':
                quote = ch
            if not ch.isspace():
                code = True
            i += 1
        n += code
    return n


def count(root='.'):
    """{folder: source lines} for every folder under ROOTS with sources."""
    by_dir = {}
    for top in ROOTS:
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith(EXTS):
                    with open(os.path.join(d, f), encoding='utf-8', errors='replace') as fh:
                        rel = os.path.relpath(d, root)
                        by_dir[rel] = by_dir.get(rel, 0) + code_lines(fh.read())
    return by_dir


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--check', action='store_true',
                    help='fail when the core passes the budget')
    ap.add_argument('--root', default='.')
    ap.add_argument('--budget', type=int, default=BUDGET,
                    help='another budget, to see the check fail (default %(default)s)')
    ap.add_argument('--build', help='as a test item of tests/run.py: implies --check')
    a = ap.parse_args()
    a.check = a.check or a.build is not None
    by_dir = count(a.root)
    total = sum(by_dir.values())
    for d in sorted(by_dir):
        print('%6d  %s' % (by_dir[d], d))
    print('%6d  the monitor\'s core (%s), budget %d (%d left)'
          % (total, ' and '.join(ROOTS), a.budget, a.budget - total))
    if a.check and total > a.budget:
        print('loc: the core is %d source lines, over its budget of %d by %d: '
              'README.md, "Size budget", says how the budget is raised'
              % (total, a.budget, total - a.budget))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
