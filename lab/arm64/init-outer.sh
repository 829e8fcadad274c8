#!/bin/sh
# /init of the arm64 lab machine (QEMU's virt with EL2, KVM inside): what
# the host offers, then each case under the arm64 vmm, each result on a
# line "LAB: CASE status N". Then it powers the lab machine off.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "LAB: up after $(cut -d' ' -f1 /proc/uptime) s"
[ -c /dev/kvm ] || echo "LAB: no /dev/kvm"
/vmm info
# Debian's arm64 kernel to its /init with a virtio disk.
# A 1 MiB disk (whole sectors) that starts with the marker.
{ printf 'hvvmm-arm64-disk\n'; dd if=/dev/zero bs=1024 count=1024 2>/dev/null; } |
	head -c 1048576 >/disk.img
t0=$(cut -d' ' -f1 /proc/uptime)
/vmm run --kernel /Image --initrd /inner.cpio.gz --mem 256M --disk /disk.img \
	--cmdline "console=ttyAMA0 quiet panic=-1 rdinit=/init"
echo "LAB: linux status $? after $t0 s, now $(cut -d' ' -f1 /proc/uptime) s"
# The benchmark guest, when the lab has one: each workload, both GPIO paths.
if [ -f /benchguest.elf ]; then
	for c in $(cat /benchguest.cases); do
		/vmm run --kernel /benchguest.elf --cmdline "$(echo "$c" | tr '+' ' ')"
		echo "LAB: guest $c status $?"
	done
fi
echo "LAB: done"
poweroff -f
