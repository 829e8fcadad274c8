#!/bin/sh
# init-outer.sh: /init of the OUTER initramfs, the lab machine QEMU boots.
# It mounts the kernel file systems, loads the KVM modules in dependency
# order, checks /dev/kvm, runs the tests named by lab.test= on the kernel
# command line (comma-separated) and powers the machine off so QEMU exits.
# Each step prints a "LAB: " marker; lab/run.sh reads them to tell which
# layer failed. Options on the kernel command line:
#   lab.test=info,guests,linux,shell  what to run
#   lab.cpus=N     vCPUs of the Linux guest (default 1)
#   lab.mem=SIZE   its memory (default 256M)
#   lab.inner="..." its kernel command line (quoted; default below)
#   lab.timeout=S  time limit of each vmm run inside the lab (default 600)
# Runs under busybox sh without -e: a failing step is reported, and the
# machine is still powered off.
set -u

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "LAB: outer kernel up ($(uname -r), $(nproc) cpus)"

cmdline=$(cat /proc/cmdline)
opt() {
	for w in $cmdline; do
		case $w in
		"$1"=*) echo "${w#*=}"; return ;;
		esac
	done
	echo "$2"
}
tests=$(opt lab.test info)
cpus=$(opt lab.cpus 1)
mem=$(opt lab.mem 256M)
limit=$(opt lab.timeout 600)
# A quoted value keeps its spaces in /proc/cmdline: lab.inner="a b c".
inner=$(echo "$cmdline" | sed -n 's/.*lab\.inner="\([^"]*\)".*/\1/p')
[ -n "$inner" ] || inner="console=ttyS0 bench=cpu"

off() {
	echo "LAB: power off"
	poweroff -f
	sleep 5
}

modules_ok=1
while read -r m; do
	if insmod "/lib/modules/$m.ko"; then
		echo "LAB: module $m loaded"
	else
		echo "LAB: FAIL insmod $m"
		modules_ok=0
		break
	fi
done </lib/modules/load-order
if [ "$modules_ok" = 1 ] && grep -q '^kvm_amd ' /proc/modules; then
	echo "LAB: kvm_amd loaded"
else
	echo "LAB: FAIL kvm_amd not loaded (cpu flags: $(grep -o -w -e svm -e npt /proc/cpuinfo | sort -u | tr '\n' ' '))"
	off
fi
if [ -c /dev/kvm ]; then
	echo "LAB: /dev/kvm ready"
else
	echo "LAB: FAIL no /dev/kvm"
	off
fi

# Runs vmm with the given arguments; its stdout and stderr both go to the
# console, then the exit status marker.
run_vmm() {
	echo "LAB: vmm start: vmm $*"
	timeout "$limit" vmm "$@" 2>&1
	echo "LAB: vmm exit status $?"
}

for t in $(echo "$tests" | tr ',' ' '); do
	echo "LAB: test $t begin"
	case $t in
	info)
		run_vmm info
		;;
	guests)
		for g in hello64 hellomb triple64 unclaimed64; do
			echo "LAB: guest $g"
			run_vmm run --kernel "/lab/guests/$g.elf" --cmdline "lab guest $g"
		done
		;;
	linux)
		echo "LAB: inner cmdline: $inner"
		run_vmm run --kernel /lab/vmlinuz --initrd /lab/inner.cpio.gz \
			--mem "$mem" --cpus "$cpus" --cmdline "$inner"
		;;
	shell)
		echo "LAB: shell (exit to power off)"
		setsid cttyhack sh
		;;
	*)
		echo "LAB: FAIL unknown test $t"
		;;
	esac
	echo "LAB: test $t end"
done
echo "LAB: uptime $(cut -d' ' -f1 /proc/uptime) s"
off
