#!/bin/sh
# fake_linux: stands in, in hvbench's tests, for a Linux guest booted by
# vmm (`run --kernel K --initrd I ... --cmdline STR`) or by QEMU (`-kernel K
# -initrd I ... -append STR`). Like the inner image's /init it reads
# bench=NAME and bench.args= from the kernel command line, decodes the
# parameters with lab/realtool.sh --decode, runs the real tools through
# lab/realtool.sh and the other workloads through fake_bench.sh (10% slower),
# prints the output among console noise with CRLF line ends, and "powers
# off": exit status 0. FAKE_ARGV_LOG, when set, gets its arguments one a
# line, then a line "--", so the tests can check the command line.
set -eu
here=$(dirname "$0")
realtool=$here/../../lab/realtool.sh
if [ -n "${FAKE_ARGV_LOG:-}" ]; then
	printf '%s\n' "$@" -- >>"$FAKE_ARGV_LOG"
fi
cmdline="" kernel="" initrd="" prev=""
for a in "$@"; do
	case $prev in
	--cmdline | -append) cmdline=$a ;;
	--kernel | -kernel) kernel=$a ;;
	--initrd | -initrd) initrd=$a ;;
	esac
	prev=$a
done
if [ ! -r "$kernel" ] || [ ! -r "$initrd" ]; then
	echo "fake_linux: cannot read kernel '$kernel' or initrd '$initrd'" >&2
	exit 2
fi
name="" enc=""
for w in $cmdline; do
	case $w in
	bench=*) name=${w#bench=} ;;
	bench.args=*) enc=${w#bench.args=} ;;
	esac
done
printf '[    0.000000] Linux version 6.1.0-fake\r\n'
set --
while IFS= read -r a; do
	[ -z "$a" ] || set -- "$@" "$a"
done <<ARGS
$(sh "$realtool" --decode "$enc")
ARGS
rc=0
if sh "$realtool" --list | cut -f1 | grep -qx "$name"; then
	out=$(sh "$realtool" "$name" "$@") || rc=$?
else
	out=$(FAKE_SCALE=1.1 sh "$here/fake_bench.sh" run "$name" "$@") || rc=$?
fi
printf '%s\n' "$out" | sed 's/$/\r/'
[ "$rc" -eq 0 ] || printf 'FAIL %s: exit status %d in the Linux guest\r\n' "$name" "$rc"
printf '[    1.000000] reboot: Power down\r\n'
exit 0
