#!/bin/sh
# run.sh: runs one lab test. QEMU (TCG, with an emulated AMD-V CPU) boots
# the cached Debian kernel with the outer initramfs; its /init loads
# kvm_amd and runs the named test under build/vmm-static. The console goes
# to stdout as it comes; at the end one line says PASS, or which layer
# failed (QEMU start, outer kernel, module load, vmm, inner kernel, inner
# init) followed by the tail of the console.
#
#   lab/run.sh [options] TEST[,TEST...]
#     TEST            info, guests, benchguest, linux, linux:pvh, timing[:N], virtio,
#                     virtio-qemu, chan, vfio, links, linksboot:N or shell
#                     (see lab/init-outer.sh)
#     --cpus N        vCPUs of the Linux guest under vmm (default 1)
#     --mem SIZE      its memory (default 256M)
#     --inner STR     its kernel command line
#     --expect STR    a line fragment that must appear (repeatable)
#     --timeout S     wall-clock limit for the whole QEMU run (default 300)
#     --smp N         CPUs of the lab machine (default: --cpus, at least 1)
#     --log FILE      also keep the console in FILE
#     --drive FILE    a raw disk image for the lab machine (its /dev/vda,
#                     virtio); the virtio tests give copies of it to the
#                     guest and write the guest's changes back to it
#     --virtio LIST   the devices the virtio tests give the guest
#                     (disk,rodisk,rng,vsock,net,console; see lab/init-outer.sh)
#     --pin CPUS      run vmm inside on those lab CPUs only (taskset -c CPUS)
#
# Exit status: 0 the test's markers appeared; 1 a layer failed; 2 usage;
# 3 the lab cannot run here (no QEMU, or the images are not built).
# Environment: BUILD (default build), LAB_CACHE (default lab/cache),
# QEMU (default qemu-system-x86_64).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${LAB_CACHE:-$here/cache}
build=${BUILD:-build}
qemu=${QEMU:-qemu-system-x86_64}

usage() {
	echo "usage: lab/run.sh [--cpus N] [--mem SIZE] [--inner STR] [--expect STR]... [--timeout S] [--smp N] [--log FILE] [--drive FILE] [--virtio LIST] [--pin CPUS] TEST[,TEST...]" >&2
	exit 2
}

cpus=1 mem=256M inner="" timeout=300 smp="" log="" tests="" drive="" virtio="" pin=""
vfio_lab=no
expects=$(mktemp "${TMPDIR:-/tmp}/labexpect.XXXXXX")
console=$(mktemp "${TMPDIR:-/tmp}/labconsole.XXXXXX")
trap 'rm -f "$expects" "$console" "$console.rc"' EXIT
while [ $# -gt 0 ]; do
	case $1 in
	--cpus|--mem|--inner|--expect|--timeout|--smp|--log|--drive|--virtio|--pin)
		[ $# -ge 2 ] || usage
		case $1 in
		--cpus) cpus=$2 ;;
		--mem) mem=$2 ;;
		--inner) inner=$2 ;;
		--expect) printf '%s\n' "$2" >>"$expects" ;;
		--timeout) timeout=$2 ;;
		--smp) smp=$2 ;;
		--log) log=$2 ;;
		--drive) drive=$2 ;;
		--virtio) virtio=$2 ;;
		--pin) pin=$2 ;;
		esac
		shift 2
		;;
	-*) usage ;;
	*)
		[ -z "$tests" ] || usage
		tests=$1
		shift
		;;
	esac
done
[ -n "$tests" ] || usage
case $inner in *'"'*) echo "lab/run.sh: --inner must not contain '\"'" >&2; exit 2 ;; esac
[ -n "$smp" ] || smp=$cpus
case $virtio in *[!a-z,]*) echo "lab/run.sh: --virtio takes a list of names" >&2; exit 2 ;; esac
case $pin in *[!0-9,-]*) echo "lab/run.sh: --pin takes a CPU list such as 1 or 0-1" >&2; exit 2 ;; esac
if [ -n "$drive" ] && [ ! -f "$drive" ]; then
	echo "lab/run.sh: --drive $drive: no such file" >&2
	exit 2
fi

kernel=$cache/kernel/vmlinuz
outer=$build/lab/outer.cpio.gz
if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "lab/run.sh: UNAVAILABLE: $qemu not found (Debian package qemu-system-x86)" >&2
	exit 3
fi
for f in "$kernel" "$outer"; do
	if [ ! -f "$f" ]; then
		echo "lab/run.sh: UNAVAILABLE: $f missing (run: make $build/lab/ready)" >&2
		exit 3
	fi
done

# What each test must show, besides --expect: its end marker, and for the
# Linux guest every layer on the way.
for t in $(echo "$tests" | tr ',' ' '); do
	case $t in
	linux)
		printf '%s\n' "INIT: reached /init" "INIT: done" >>"$expects"
		;;
	linux:pvh)
		printf '%s\n' "INIT: reached /init" "INIT: done" "LAB: linux pvh end" >>"$expects"
		;;
	firmware)
		# SeaBIOS, then the disk's SYSLINUX, then Linux to its /init,
		# and a clean power-off.
		printf '%s\n' "SeaBIOS (version" "SYSLINUX" "INIT: reached /init" "INIT: done" \
			"LAB: vmm exit status 0" >>"$expects"
		;;
	virtio | virtio-qemu)
		# Both tests print the guest's lines; the monitor's status is
		# each test's own.
		mon=vmm
		[ "$t" = virtio ] || mon=qemu
		printf '%s\n' "INIT: reached /init" "INIT: checks done" "INIT: done" \
			"LAB: $mon exit status 0" >>"$expects"
		;;
	timing | timing:*)
		printf '%s\n' "LAB: timing vmm init_ms=" "LAB: timing qemu init_ms=" >>"$expects"
		;;
	chan)
		# Both guests' programs finished, and the system with them.
		printf '%s\n' "[a] INIT: uiochan ping exit status 0" \
			"[b] INIT: uiochan pong exit status 0" >>"$expects"
		;;
	vfio)
		printf '%s\n' "LAB: vfio edu bound to vfio-pci" "LAB: vfio done" >>"$expects"
		vfio_lab=yes
		;;
	links)
		printf '%s\n' "INIT: reached /init" "INIT: link a done" "INIT: link b done" \
			"INIT: link c done" "LAB: vmm exit status 0" >>"$expects"
		;;
	esac
	printf '%s\n' "LAB: test $t end" >>"$expects"
done

# vmm inside gets less time than QEMU, so a hung guest is ended by the
# lab's own `timeout` and its status (143) is reported before QEMU is killed.
inner_limit=$((timeout - 20))
[ "$inner_limit" -ge 10 ] || inner_limit=10
# softlockup_panic=1: a lab kernel with a CPU stuck in the kernel for 20 s
# (seen inside KVM_RUN, after the guest had powered off: docs/lab.md) is
# down, and panics, which panic=-1 and -no-reboot make QEMU's exit, so the
# test boots the lab once more at once instead of at its time limit.
append="console=ttyS0 quiet panic=-1 softlockup_panic=1 lab.test=$tests lab.cpus=$cpus lab.mem=$mem lab.timeout=$inner_limit"
[ -z "$inner" ] || append="$append lab.inner=\"$inner\""
[ -z "$virtio" ] || append="$append lab.virtio=$virtio"
[ -z "$pin" ] || append="$append lab.pin=$pin"
# The disk image, as the lab machine's virtio disk (its own /dev/vda).
# set -- is free here: the options are all read.
set --
[ -z "$drive" ] || set -- -drive "file=$drive,format=raw,if=virtio"
# The passthrough test (docs/passthrough.md): a q35 machine with QEMU's
# emulated VT-d, interrupt remapping on (vfio_iommu_type1 refuses an IOMMU
# without it), and for the lab to pass to guests QEMU's edu device at
# 00:04.0, a virtio-rng-pci at 05.0 (modern only, and iommu_platform=on:
# without it QEMU's virtio devices bypass the IOMMU) and an e1000 at 06.0
# on a hub with a second e1000 at 07.0, the lab machine's own. The VT-d
# model is independent of the CPU's vendor: Linux finds it by the DMAR
# table on the emulated AMD CPU too.
if [ "$vfio_lab" = yes ]; then
	set -- "$@" -machine q35 -device intel-iommu,intremap=on -device edu,addr=04.0 \
		-device virtio-rng-pci,addr=05.0,disable-legacy=on,iommu_platform=on \
		-netdev hubport,id=hp0,hubid=0 -device e1000,netdev=hp0,addr=06.0,romfile= \
		-netdev hubport,id=hp1,hubid=0 -device e1000,netdev=hp1,addr=07.0,romfile=
	append="$append intel_iommu=on"
fi

# -cpu qemu64,+svm,+npt: an AMD CPU model with SVM and nested paging,
# which kvm_amd requires; TCG emulates both. -no-reboot turns a guest
# reset (a crash) into QEMU's exit. The serial port is the console.
start=$(date +%s)
rcfile=$console.rc
{
	timeout -k 5 "$timeout" "$qemu" -accel tcg -cpu qemu64,+svm,+npt -m 2G -smp "$smp" \
		-nographic -no-reboot -nodefaults -serial stdio -monitor none \
		-kernel "$kernel" -initrd "$outer" -append "$append" "$@" </dev/null 2>&1 &&
		echo 0 >"$rcfile" || echo $? >"$rcfile"
} | tr -d '\r' | tee "$console"
qrc=$(cat "$rcfile")
rm -f "$rcfile"
end=$(date +%s)
[ -z "$log" ] || cp "$console" "$log"
wall=$((end - start))

has() {
	grep -F -q -e "$1" "$console"
}

# Which layer stopped, from the markers that did appear.
layer=""
if ! has "LAB: outer kernel up"; then
	if [ ! -s "$console" ] || has "qemu-system"; then
		layer="QEMU start"
	else
		layer="outer kernel (no 'LAB: outer kernel up')"
	fi
elif ! has "LAB: kvm_amd loaded" || ! has "LAB: /dev/kvm ready"; then
	layer="module load (kvm_amd or /dev/kvm)"
else
	while read -r e; do
		has "$e" && continue
		case $e in
		"INIT: reached /init")
			if ! has "LAB: vmm start"; then
				layer="vmm (never started)"
			elif has "Run /init as init process"; then
				layer="inner init (the kernel ran /init, but it printed nothing)"
			elif has "Linux version"; then
				layer="inner kernel (booted but did not reach /init)"
			else
				layer="vmm or inner kernel (no kernel output at all)"
			fi
			;;
		"INIT: done") layer="inner init (did not finish its workload)" ;;
		"LAB: test "*" end")
			if has "LAB: vmm start" && ! has "LAB: vmm exit status"; then
				layer="vmm (did not exit)"
			else
				layer="test (the lab did not finish it)"
			fi
			;;
		*) layer="test (missing: $e)" ;;
		esac
		break
	done <"$expects"
fi
if [ -z "$layer" ] && [ "$tests" = linux ] && ! has "LAB: vmm exit status 0"; then
	layer="vmm (exit status $(sed -n 's/.*LAB: vmm exit status \([0-9]*\).*/\1/p' "$console" | tail -n 1), want 0)"
fi

# boot-timing passes only when every run under both monitors reached /init
# and exited 0: its summaries end "runs=N init=N exit0=N".
case $tests in
timing | timing:*)
	if [ -z "$layer" ] && grep -a '^LAB: timing [a-z]* init_ms=' "$console" |
		grep -v -q ' runs=\([0-9]*\) init=\1 exit0=\1$'; then
		layer="timing (a run did not reach /init or exit 0; see its LAB: timing lines)"
	fi
	;;
esac
if [ -z "$layer" ]; then
	echo "RUN: PASS $tests in ${wall}s"
	exit 0
fi
case $qrc in
0) how="QEMU exited" ;;
124|137) how="timed out" ;;
*) how="QEMU exit status $qrc" ;;
esac
echo "RUN: FAIL $tests at layer: $layer ($how after ${wall}s; limit ${timeout}s)"
# The first sign of a kernel in trouble (the lab machine's or the guest's:
# both print to this console), which the tail below may have scrolled past.
trouble=$(grep -a -n -m 1 -E 'Kernel panic|BUG:|Oops|general protection fault|soft lockup|rcu_(sched|preempt) (self-)?detected stall|WARNING: CPU|double fault' "$console" | cut -d: -f1)
if [ -n "$trouble" ]; then
	echo "RUN: first kernel trouble, console line $trouble:"
	sed -n "$((trouble > 3 ? trouble - 3 : 1)),$((trouble + 16))p" "$console" | sed 's/^/RUN: ! /'
fi
echo "RUN: console tail:"
tail -n 25 "$console" | sed 's/^/RUN: | /'
exit 1
