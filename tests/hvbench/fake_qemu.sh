#!/bin/sh
# fake_qemu: stands in for qemu-system-x86_64 running the benchmark guest
# (`-kernel GUEST -append "run NAME k=v..."`) in hvbench's end-to-end tests.
# Like Debian's QEMU on a software KVM that refuses the arch-capabilities
# MSR, `-cpu host` aborts ("failed to set MSR 0x10a"); any other -cpu runs
# fake_bench.sh 20% slower and exits as QEMU's isa-debug-exit device makes
# it: (value << 1) | 1, value 0 on success; `run cpu ...` (hvbench's probe)
# prints a RESULT line of its own. FAKE_ARGV_LOG, when set, gets
# its arguments one a line, then a line "--". Like microvm, it has no PCI
# host bridge: fake_bench.sh's exit-pci says UNAVAILABLE (FAKE_NO_PCI).
here=$(dirname "$0")
if [ -n "${FAKE_ARGV_LOG:-}" ]; then
	printf '%s\n' "$@" -- >>"$FAKE_ARGV_LOG"
fi
cpu="" append="" prev=""
for a in "$@"; do
	case $prev in
	-cpu) cpu=$a ;;
	-append) append=$a ;;
	esac
	prev=$a
done
if [ "$cpu" = host ]; then
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000c04" >&2
	kill -ABRT $$
fi
# The command line is the guest's: "run NAME k=v ...", split at spaces.
# shellcheck disable=SC2086
set -- $append
# hvbench's probe runs the real guest's cheapest workload, which
# fake_bench.sh does not have.
if [ "${2:-}" = cpu ]; then
	printf 'RESULT {"benchmark":"cpu","metric":"events_per_s","unit":"events/s",'
	printf '"better":"higher","value":100}\n'
	exit 1
fi
rc=0
FAKE_NO_PCI=1 FAKE_SCALE=1.2 sh "$here/fake_bench.sh" "$@" || rc=$?
exit $(((rc << 1) | 1))
