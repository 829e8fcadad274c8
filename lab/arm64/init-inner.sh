#!/bin/sh
# /init of the arm64 lab's inner initramfs: Debian's arm64 kernel under
# the arm64 vmm. It says it was reached, loads the virtio disk's modules,
# reads the marker the lab put on the disk, lists the virtio devices'
# interrupts (MSI-X or INTx), and powers off (PSCI
# SYSTEM_OFF, which ends vmm with status 0). Lines for the lab start
# with "INIT: ".
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "INIT: reached /init"
echo "INIT: uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "INIT: nproc $(grep -c '^processor' /proc/cpuinfo)"
while read -r m; do
	insmod "/lib/modules/$m.ko" || echo "INIT: insmod $m failed"
done </lib/modules/load-order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -b /dev/vda ]; then
	echo "INIT: disk says: $(head -c 32 /dev/vda | tr -d '\0')"
else
	echo "INIT: no /dev/vda"
fi
# The virtio devices' interrupts: MSI-X through the ITS where the monitor
# gave one (chip ITS-MSI or ITS-PCI-MSIX-...), else INTx (GICv3 or GIC,
# Level). lab/arm64/run.sh compares the count with what `vmm info` said.
grep virtio /proc/interrupts | tr -s ' ' | sed 's/^ */INIT: irq /'
echo "INIT: virtio msi vectors $(grep virtio /proc/interrupts | grep -c -e ITS-MSI -e PCI-MSIX)"
echo "INIT: powering off"
poweroff -f
