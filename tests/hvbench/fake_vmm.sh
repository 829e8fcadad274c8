#!/bin/sh
# fake_vmm: stands in for build/vmm in hvbench's end-to-end tests:
# `run --kernel FILE --cmdline "run NAME k=v..."` runs fake_bench.sh 10%
# slower, prints its output among console noise with CRLF line ends as a
# serial console would, and exits like vmm after the guest's debug-exit
# write: (value << 1) | 1, value 0 on success.
kernel=
cmdline=
while [ $# -gt 0 ]; do
	case "$1" in
	run) ;;
	--kernel) kernel=$2; shift ;;
	--cmdline) cmdline=$2; shift ;;
	*) echo "fake_vmm: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -r "$kernel" ] || { echo "fake_vmm: cannot read $kernel" >&2; exit 2; }
printf 'fake-vmm: booting %s\r\n' "$kernel"
# shellcheck disable=SC2086 # the command line is split into words on purpose
out=$(FAKE_SCALE=1.1 sh "$(dirname "$0")/fake_bench.sh" $cmdline)
rc=$?
printf '%s\n' "$out" | sed 's/$/\r/'
printf 'guest: bye\r\n'
[ $rc -eq 0 ] && exit 1
exit 3
