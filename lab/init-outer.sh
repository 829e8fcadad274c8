#!/bin/sh
# init-outer.sh: /init of the OUTER initramfs, the lab machine QEMU boots.
# It mounts the kernel file systems, loads the KVM modules in dependency
# order, checks /dev/kvm, runs the tests named by lab.test= on the kernel
# command line (comma-separated) and powers the machine off so QEMU exits.
# Each step prints a "LAB: " marker; lab/run.sh reads them to tell which
# layer failed. Options on the kernel command line:
#   lab.test=info,guests,benchguest,linux,firmware,timing,virtio,virtio-qemu,chan,vfio,links,shell
#                  what to run (timing:N: N runs per monitor, default 5;
#                  linksboot:N: the links system booted N times, no checks;
#                  linux:pvh: linux, then the same kernel as vmlinux through PVH)
#   lab.virtio=LIST  the devices the virtio tests give the Linux guest
#                  (disk,rodisk,rng,vsock,net,console; default disk,rodisk,rng; none:
#                  no device, the guest only loads its modules)
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
# lab.pin=CPUS: the monitors (and their VMs' threads) run on those lab CPUs
# only (taskset's list), e.g. to keep vCPU threads from moving between CPUs.
pin=$(opt lab.pin "")
run_vmm() {
	echo "LAB: vmm start: vmm $*${pin:+ (on lab CPUs $pin)}"
	if [ -n "$pin" ]; then
		timeout "$limit" taskset -c "$pin" vmm "$@" 2>&1
	else
		timeout "$limit" vmm "$@" 2>&1
	fi
	echo "LAB: vmm exit status $?"
}

# boot-timing: the same Linux guest (kernel, inner image, command line,
# 256M, 1 vCPU) booted N times under vmm and N times under QEMU/KVM,
# interleaved (vmm, qemu, vmm, qemu, ...) so that a slow phase of the lab
# machine hits both alike. /bin/boottime times each run on this machine's
# monotonic clock, from just before it starts the monitor to the guest's
# "INIT: reached /init" console line and to the monitor's exit (the guest
# powers off). Each run's line also gives guest_init_s, the guest's own
# uptime at /init (its "INIT: uptime" line), which tells the guest kernel's
# boot apart from what comes before its clock starts (monitor start-up,
# firmware, kernel decompression). One "LAB: timing run" line per run, then
# per monitor the medians: "LAB: timing MONITOR init_ms=M off_ms=M
# guest_init_s=M runs=N init=K exit0=K" (K: runs that reached /init, that
# exited 0).
timing_cmdline="console=ttyS0 quiet bench=none"
# The median of the numbers on stdin, printed with $1 decimals.
timing_median() {
	sort -n | awk -v d="$1" '{ v[NR] = $1 }
		END {
			f = "%." d "f\n"
			if (NR == 0) print "none"
			else if (NR % 2) printf f, v[(NR + 1) / 2]
			else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}
boot_timing() {
	n=$1
	case $n in
	'' | *[!0-9]* | 0)
		echo "LAB: FAIL timing: bad run count '$n'"
		return
		;;
	esac
	for p in boottime qemu-system-x86_64; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "LAB: FAIL timing: no $p in the lab image"
			return
		fi
	done
	echo "LAB: timing: $n runs per monitor, interleaved; guest: 256M, 1 vCPU, cmdline: $timing_cmdline"
	res=/tmp/timing.res
	con=/tmp/timing.console
	: >/tmp/timing.vmm
	: >/tmp/timing.qemu
	i=1
	while [ "$i" -le "$n" ]; do
		for m in vmm qemu; do
			echo "LAB: timing run $i/$n $m start"
			rm -f "$res" "$con"
			if [ "$m" = vmm ]; then
				boottime -o "$res" -c "$con" -t "$limit" -m "INIT: reached /init" -- \
					vmm run --kernel /lab/vmlinuz --initrd /lab/inner.cpio.gz \
					--mem 256M --cpus 1 --cmdline "$timing_cmdline"
			else
				# -L: the firmware the image carries (mkinitrd.sh).
				boottime -o "$res" -c "$con" -t "$limit" -m "INIT: reached /init" -- \
					qemu-system-x86_64 -L /lab/qemu -accel kvm -cpu host \
					-m 256M -smp 1 -nographic -no-reboot -nodefaults \
					-serial stdio -kernel /lab/vmlinuz \
					-initrd /lab/inner.cpio.gz -append "$timing_cmdline"
			fi
			if ! read -r init_ms off_ms st <"$res"; then
				init_ms=none off_ms=none st=none
			fi
			up=$(sed -n 's/^INIT: uptime \([0-9.]*\) s.*/\1/p' "$con" 2>/dev/null | head -n 1)
			[ -n "$up" ] || up=none
			echo "LAB: timing run $i/$n $m init_ms=$init_ms off_ms=$off_ms status=$st guest_init_s=$up"
			echo "$init_ms $off_ms $st $up" >>"/tmp/timing.$m"
		done
		i=$((i + 1))
	done
	for m in vmm qemu; do
		f=/tmp/timing.$m
		init=$(awk '$1 != "none"' "$f" | wc -l)
		ok=$(awk '$3 == "0"' "$f" | wc -l)
		echo "LAB: timing $m init_ms=$(awk '$1 != "none" { print $1 }' "$f" | timing_median 1)" \
			"off_ms=$(awk '$2 != "none" { print $2 }' "$f" | timing_median 1)" \
			"guest_init_s=$(awk '$4 != "none" { print $4 }' "$f" | timing_median 2)" \
			"runs=$n init=$init exit0=$ok"
	done
}

# --- virtio: the Linux guest with devices ------------------------------------
# `virtio` runs the guest under vmm, `virtio-qemu` the same guest under
# QEMU/KVM, the reference for what Debian's stock drivers expect. Both give
# it the devices lab.virtio= names, tell its /init which checks to run
# (check= on its command line, see init-inner.sh), and play the host's part:
#   disk    the image the host made is this machine's own /dev/vda (QEMU's
#           -drive if=virtio); it is copied to /tmp/disk.img, given to the
#           guest read-write, and copied back to /dev/vda after the run, so
#           that the host reads what the guest wrote
#   rodisk  a second copy, /tmp/rodisk.img, given read-only
#   rng     the entropy device
#   vsock   the host side through vmm's Unix socket (vsockpeer uds-connect
#           to the guest's port 5000, uds-listen for its connection to the
#           host's 5001); under QEMU, vhost-vsock and plain AF_VSOCK
#   console a console port named ctl on the Unix socket /tmp/console.sock,
#           where vsockpeer uds-listen answers the guest's line (vmm
#           connects at start-up, so the listener comes first); under QEMU,
#           virtio-serial-pci with a virtserialport on the same socket
#   net     a TAP (tap0, 192.0.2.1/24) in a new network namespace, in which
#           the monitor runs too, and a TCP listener on port 7777 whose
#           bytes' sha256 is printed
outer_virtio_loaded=no
outer_virtio() {
	[ "$outer_virtio_loaded" = yes ] && return 0
	outer_virtio_loaded=yes
	while read -r m; do
		grep -q "^$(echo "$m" | tr - _) " /proc/modules && continue
		insmod "/lib/modules/virtio/$m.ko" || echo "LAB: FAIL insmod $m"
	done </lib/modules/virtio/load-order
	# The disk's probe is asynchronous.
	i=0
	while [ ! -b /dev/vda ] && [ "$i" -lt 50 ]; do
		usleep 100000
		i=$((i + 1))
	done
}

virtio_test() {
	mon=$1
	t0=$(cut -d' ' -f1 /proc/uptime)
	outer_virtio
	devs=$(opt lab.virtio disk,rodisk,rng)
	script=/tmp/virtio-$mon.sh
	checks="" margs="" peers="" netns=no disk=no letter=a
	for d in $(echo "$devs" | tr ',' ' '); do
		case $d in
		disk | rodisk)
			if [ ! -b /dev/vda ]; then
				echo "LAB: FAIL virtio $mon: no /dev/vda (lab/run.sh --drive IMG gives it)"
				return
			fi
			img=/tmp/$d.img
			dd if=/dev/vda of="$img" bs=1M 2>/dev/null
			if [ "$mon" = vmm ]; then
				ro=""
				[ "$d" = rodisk ] && ro=,readonly
				margs="$margs --disk $img$ro"
			else
				ro=""
				[ "$d" = rodisk ] && ro=,readonly=on
				margs="$margs -drive file=$img,format=raw,if=none,id=$d$ro -device virtio-blk-pci,drive=$d"
			fi
			checks="$checks,$d:vd$letter"
			letter=$(echo "$letter" | tr a-y b-z)
			[ "$d" = disk ] && disk=yes
			;;
		rng)
			if [ "$mon" = vmm ]; then
				margs="$margs --rng"
			else
				margs="$margs -device virtio-rng-pci"
			fi
			checks="$checks,rng"
			;;
		vsock)
			if [ "$mon" = vmm ]; then
				margs="$margs --vsock cid=3,uds=/tmp/vsock.sock"
				peers="$peers
(vsockpeer uds-listen /tmp/vsock.sock_5001 240 2>&1 | sed 's/^/LAB: vsock host /') &
(vsockpeer uds-connect /tmp/vsock.sock 5000 240 'hello guest from host' 2>&1 | sed 's/^/LAB: vsock host /') &"
			else
				margs="$margs -device vhost-vsock-pci,guest-cid=3"
				peers="$peers
(vsockpeer listen 5001 240 host 2>&1 | sed 's/^/LAB: vsock host /') &
(i=0; until vsockpeer connect 3 5000 'hello guest from host' 2>/tmp/vsock.err; do
	i=\$((i + 1)); [ \$i -lt 600 ] && [ ! -e /tmp/virtio.done ] || { cat /tmp/vsock.err; break; }
	usleep 200000; done | sed 's/^/LAB: vsock host /') &"
			fi
			checks="$checks,vsock:5000:5001"
			;;
		console)
			if [ "$mon" = vmm ]; then
				margs="$margs --port name=ctl,path=/tmp/console.sock"
			else
				margs="$margs -device virtio-serial-pci -chardev socket,id=con0,path=/tmp/console.sock -device virtserialport,chardev=con0,name=ctl"
			fi
			peers="$peers
rm -f /tmp/console.sock
(vsockpeer uds-listen /tmp/console.sock 240 2>&1 | sed 's/^/LAB: console host /') &
i=0; while [ ! -S /tmp/console.sock ] && [ \$i -lt 100 ]; do usleep 50000; i=\$((i + 1)); done"
			checks="$checks,console:ctl"
			;;
		net)
			netns=yes
			if [ "$mon" = vmm ]; then
				margs="$margs --net tap=tap0"
			else
				# romfile=: no boot ROM (the image carries none).
				margs="$margs -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0,romfile="
			fi
			peers="$peers
tunctl -t tap0 >/dev/null && ip link set tap0 up && ip addr add 192.0.2.1/24 dev tap0 ||
	echo 'LAB: FAIL net: cannot set up tap0'
# A listening nc ends when its stdin ends; the pipe from sleep keeps it
# open until the guest has sent all and closed.
(sleep 600 | nc -l -p 7777 >/tmp/net.recv; echo \"LAB: net received \$(wc -c </tmp/net.recv) bytes sha256 \$(sha256sum </tmp/net.recv | cut -d' ' -f1)\") &"
			checks="$checks,net"
			;;
		none) ;;
		*)
			echo "LAB: FAIL virtio: unknown device $d"
			return
			;;
		esac
	done
	checks=${checks#,}
	[ -n "$checks" ] || checks=mods
	cmd="$inner check=$checks check.tag=$mon"
	echo "LAB: virtio $mon devices: $devs"
	echo "LAB: inner cmdline: $cmd"
	if [ "$mon" = vmm ]; then
		echo "LAB: vmm start: vmm run --kernel /lab/vmlinuz --initrd /lab/inner.cpio.gz --mem $mem --cpus $cpus$margs"
		run="timeout $limit vmm run --kernel /lab/vmlinuz --initrd /lab/inner.cpio.gz --mem $mem --cpus $cpus --cmdline \"$cmd\"$margs </dev/null 2>&1"
	else
		echo "LAB: qemu start:$margs"
		run="timeout $limit qemu-system-x86_64 -L /lab/qemu -accel kvm -cpu host -m $mem -smp $cpus -nographic -no-reboot -nodefaults -serial stdio -kernel /lab/vmlinuz -initrd /lab/inner.cpio.gz -append \"$cmd\"$margs </dev/null 2>&1"
	fi
	# One script with the host's peers and the monitor, so that with a
	# TAP all of it runs in the new network namespace. The peers still
	# waiting afterwards (their partner never came) are ended.
	rm -f /tmp/virtio.done
	cat >"$script" <<EOF
$peers
# The guest's console and the lab's own lines share this terminal; the
# monitor's output goes out a whole line per write (awk's fflush), so a
# peer's line printed at the same moment never cuts a guest's line.
{ $run; echo "LAB: $mon exit status \$?"; } | awk '{ print; fflush() }'
touch /tmp/virtio.done
sleep 1
for p in \$(pidof vsockpeer nc sleep); do kill \$p 2>/dev/null; done
wait
EOF
	if [ "$netns" = yes ]; then
		unshare -n sh "$script"
	else
		sh "$script"
	fi
	if [ "$disk" = yes ]; then
		if dd if=/tmp/disk.img of=/dev/vda bs=1M conv=fsync 2>/dev/null; then
			echo "LAB: virtio $mon disk written back"
		else
			echo "LAB: FAIL virtio $mon: cannot write the disk back to /dev/vda"
		fi
	fi
	rm -f /tmp/disk.img /tmp/rodisk.img
	echo "LAB: virtio $mon took $(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime) s of the lab machine's uptime"
}

# chan: two Linux guests under one `vmm system`, joined by a channel (our
# PCI function, src/vmm/dev/chanpci.h). Each loads the stock uio and
# uio_pci_generic modules and runs examples/uio-channel.c: "a" sends three
# messages and rings, "b" waits on its interrupt (INTx through
# uio_pci_generic), answers each and rings back. Their consoles come out
# with "[a] " and "[b] " before each line.
chan_test() {
	mkdir -p /tmp/chan
	cat >/tmp/chan/chan.cfg <<EOF
log_dir = "/tmp/chan/logs";
vms = (
  { name = "a"; kernel = "/lab/vmlinuz"; initrd = "/lab/inner.cpio.gz"; mem = "256M";
    cmdline = "console=ttyS0 quiet bench=none check=uiochan:ping"; on_exit = "ignore"; },
  { name = "b"; kernel = "/lab/vmlinuz"; initrd = "/lab/inner.cpio.gz"; mem = "256M";
    cmdline = "console=ttyS0 quiet bench=none check=uiochan:pong"; on_exit = "ignore"; }
);
channels = ( { name = "ab"; between = [ "a", "b" ]; gpa = "0xe0000000"; size = "64K"; } );
EOF
	t0=$(cut -d' ' -f1 /proc/uptime)
	run_vmm system /tmp/chan/chan.cfg
	echo "LAB: chan took $(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime) s of the lab machine's uptime"
}

# --- vfio: PCI passthrough behind the emulated IOMMU ---------------------------
# lab/run.sh gives this machine QEMU's VT-d (intel_iommu=on) and its edu
# device at 00:04.0. The test loads the VFIO modules, runs vmm once on the
# device still unbound (refused: not bound to vfio-pci), binds it with
# driver_override, and runs the tiny guest edu64.elf under vmm --vfio: its
# checks (ID, factorial, DMA both ways, MSI, INTx) twice, so the second run
# shows the device handed over clean; a run whose guest aims a DMA outside
# its RAM (the IOMMU's fault must show in this machine's log); and a second
# vmm asking for the device while a first holds it (refused); the
# exits per interrupt on both paths (vfio_count below); and the device
# given through a system description (vfio_system).
vfio_bdf=0000:00:04.0
# Debian's kernel as the guest, with the virtio-rng-pci (MSI-X) and the
# e1000 (INTx) passed through: its own virtio_rng reads /dev/hwrng, its
# e1000 driver brings the link up and talks to this machine's e1000 on the
# same QEMU hub (192.0.2.1 here, 192.0.2.2 in the guest; nothing leaves the
# lab machine): ping, and 64 KiB over TCP to port 7777.
vfio_linux() {
	echo "LAB: vfio case linux"
	args=""
	for b in $vfio_linux_bdfs; do
		d=/sys/bus/pci/devices/$b
		if [ ! -e "$d/driver" ] || [ "$(basename "$(readlink "$d/driver")")" != vfio-pci ]; then
			echo "LAB: FAIL vfio linux: $b not bound to vfio-pci"
			return
		fi
		echo "LAB: vfio linux $b $(cat "$d/vendor"):$(cat "$d/device") iommu group $(basename "$(readlink "$d/iommu_group")")"
		args="$args --vfio $b"
	done
	nic=""
	for n in /sys/class/net/*; do
		[ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = e1000 ] && nic=$(basename "$n")
	done
	if [ -z "$nic" ]; then
		echo "LAB: FAIL vfio linux: the lab machine's e1000 (07.0) has no interface"
		return
	fi
	ip link set "$nic" up && ip addr add 192.0.2.1/24 dev "$nic" ||
		echo "LAB: FAIL vfio linux: cannot set up $nic"
	echo "LAB: vfio linux lab nic $nic"
	(sleep 600 | nc -l -p 7777 >/tmp/net.recv
		echo "LAB: net received $(wc -c </tmp/net.recv) bytes sha256 $(sha256sum </tmp/net.recv | cut -d' ' -f1)") &
	cmd="console=ttyS0 quiet check=pci,rng,net,irqs check.tag=vfio"
	echo "LAB: inner cmdline: $cmd"
	# shellcheck disable=SC2086 # the --vfio options
	run_vmm run --kernel /lab/vmlinuz --initrd /lab/inner.cpio.gz --mem 256M --cpus 1 \
		--cmdline "$cmd" $args
	sleep 1
	for p in $(pidof nc sleep); do kill "$p" 2>/dev/null; done
	wait
	echo "LAB: vfio linux done"
}

# Exits per interrupt, by the monitor's own counters (vmm --kick-stats):
# the guest's count case takes M factorial completion interrupts by MSI,
# then I by INTx, and prints the same whatever M and I are; runs with
# M I = 10 10, 100 10 and 10 100 differ only by what 90 more interrupts on
# one path cost the monitor.
vfio_count() {
	for c in "base 10 10" "msi 100 10" "intx 10 100"; do
		# shellcheck disable=SC2086 # three words: the name, M and I
		set -- $c
		echo "LAB: vfio case count-$1"
		run_vmm run --kernel "$g" --mem 64M --kick-stats --vfio "$vfio_bdf" --cmdline "count $2 $3"
	done
}
# The device given through a system description (passthrough = [...]): one
# VM that runs the guest's all case; then a description that gives it to
# two VMs, which --check refuses.
vfio_system() {
	echo "LAB: vfio case system"
	mkdir -p /tmp/vsys
	cat >/tmp/vsys/one.cfg <<EOF
log_dir = "/tmp/vsys/logs";
vms = ( { name = "edu"; kernel = "$g"; mem = "64M"; cmdline = "all";
          passthrough = [ "$vfio_bdf" ]; } );
EOF
	sed 's/^/LAB: vfio system: /' /tmp/vsys/one.cfg
	run_vmm system /tmp/vsys/one.cfg
	echo "LAB: vfio case system-two"
	cat >/tmp/vsys/two.cfg <<EOF
log_dir = "/tmp/vsys/logs";
vms = ( { name = "a"; kernel = "$g"; mem = "64M"; passthrough = [ "$vfio_bdf" ]; },
        { name = "b"; kernel = "$g"; mem = "64M"; passthrough = [ "$vfio_bdf" ]; } );
EOF
	run_vmm system --check /tmp/vsys/two.cfg
}
vfio_linux_bdfs="0000:00:05.0 0000:00:06.0"
vfio_test() {
	# The Linux guest's functions go to vfio-pci as its module loads (a
	# driver_override'd function binds to no other driver: not the e1000
	# module loaded next, which takes the lab machine's own NIC at 07.0).
	for b in $vfio_linux_bdfs; do
		[ -e "/sys/bus/pci/devices/$b" ] && echo vfio-pci >"/sys/bus/pci/devices/$b/driver_override"
	done
	while read -r m; do
		grep -q "^$(echo "$m" | tr - _) " /proc/modules && continue
		insmod "/lib/modules/vfio/$m.ko" || echo "LAB: FAIL insmod $m"
	done </lib/modules/vfio/load-order
	dev=/sys/bus/pci/devices/$vfio_bdf
	echo "LAB: vfio dmar: $(dmesg | grep -c -e DMAR -e 'Intel(R) Virtualization') lines, $(ls /sys/kernel/iommu_groups | wc -l) iommu groups"
	dmesg | grep -e 'DMAR: IOMMU enabled' -e 'Enabled IRQ remapping' -e 'DMAR-IR: Enabled' | sed 's/^/LAB: vfio dmesg: /'
	if [ ! -e "$dev" ] || [ "$(cat "$dev/vendor"):$(cat "$dev/device")" != 0x1234:0x11e8 ]; then
		echo "LAB: FAIL vfio: no edu device at $vfio_bdf"
		return
	fi
	echo "LAB: vfio edu at $vfio_bdf, iommu group $(basename "$(readlink "$dev/iommu_group")")"
	g=/lab/guests/edu64.elf
	echo "LAB: vfio case unbound"
	run_vmm run --kernel "$g" --mem 64M --vfio "$vfio_bdf" --cmdline "all"
	echo vfio-pci >"$dev/driver_override"
	echo "$vfio_bdf" >/sys/bus/pci/drivers_probe
	if [ "$(basename "$(readlink "$dev/driver")")" = vfio-pci ] && [ -c "/dev/vfio/$(basename "$(readlink "$dev/iommu_group")")" ]; then
		echo "LAB: vfio edu bound to vfio-pci"
	else
		echo "LAB: FAIL vfio: edu not bound to vfio-pci (driver: $(readlink "$dev/driver"))"
		return
	fi
	for run in 1 2; do
		echo "LAB: vfio case all run $run"
		run_vmm run --kernel "$g" --mem 64M --vfio "$vfio_bdf" --cmdline "all"
	done
	echo "LAB: vfio case oob"
	dmesg -c >/dev/null
	run_vmm run --kernel "$g" --mem 64M --vfio "$vfio_bdf" --cmdline "oob"
	sleep 1
	dmesg | grep -i -e DMAR -e 'fault' | head -n 5 | sed 's/^/LAB: vfio oob dmesg: /'
	echo "LAB: vfio case busy"
	rm -f /tmp/hold.out
	timeout "$limit" vmm run --kernel "$g" --mem 64M --vfio "$vfio_bdf" --cmdline "hold" >/tmp/hold.out 2>&1 &
	holder=$!
	i=0
	while ! grep -q "edu: holding" /tmp/hold.out && [ "$i" -lt 600 ]; do
		usleep 100000
		i=$((i + 1))
	done
	sed 's/^/LAB: vfio holder: /' /tmp/hold.out
	run_vmm run --kernel "$g" --mem 64M --vfio "$vfio_bdf" --cmdline "all"
	kill "$holder" 2>/dev/null
	wait "$holder"
	echo "LAB: vfio holder exit status $?"
	echo "LAB: vfio case after-busy"
	run_vmm run --kernel "$g" --mem 64M --vfio "$vfio_bdf" --cmdline "all"
	vfio_count
	vfio_system
	vfio_linux
	echo "LAB: vfio done"
}

# --- links: Linux guests on links between VMs, under one vmm system --------
# Three Linux guests under `vmm system`: a and b share a net link (frames
# straight between their monitors), a console link ctl and a vsock link
# (CIDs 3 and 4); c (CID 5) has a vsock device but is on no link. Each
# guest's /init plays its part (check=link:ROLE, init-inner.sh) and powers
# off; b is restarted once (on_exit = "restart") and a does its part again
# with the new b, after seeing its carrier go off and come back. The
# system ends when a, c and b's second run have ended.
# The KVM trace of a links run (tracefs; the kvm module's tracepoints):
# every VM exit, exception KVM injects and exit to vmm, in the lab
# kernel's ring buffer (16 MiB a CPU, the newest events kept). The first shutdown exit (SVM exit code 0x7f: the guest
# triple-faulted) stops the trace, so what led to it stays in the buffer.
# It is needed because on AMD KVM answers a shutdown by resetting the vCPU
# (the VMCB is undefined after one; Linux's svm.c shutdown_interception)
# before vmm can read it: vmm's register dump then shows the reset state,
# while the trace's kvm_exit line of the shutdown still has its RIP.
trace=/sys/kernel/tracing
trace_events="kvm_exit kvm_inj_exception kvm_userspace_exit kvm_unmap_hva_range"
kvm_trace_start() {
	[ -d $trace/events ] || mount -t tracefs nodev $trace 2>/dev/null
	if [ ! -d $trace/events/kvm ]; then
		echo "LAB: kvm trace unavailable (no tracefs or no kvm events)"
		return
	fi
	echo 0 >$trace/tracing_on
	echo 16384 >$trace/buffer_size_kb
	echo >$trace/trace
	for e in $trace_events; do
		echo 1 >$trace/events/kvm/$e/enable 2>/dev/null
	done
	echo 'traceoff if exit_reason == 127' >$trace/events/kvm/kvm_exit/trigger
	echo 1 >$trace/tracing_on
	echo "LAB: kvm trace on"
}
# The lab kernel's page moves so far (/proc/vmstat): huge pages collapsed
# and split, pages migrated (compaction), which unmap guest RAM from under
# a running VM (KVM then rebuilds its mapping on the next access).
kvm_vmstat() {
	echo "LAB: vmstat $1: $(grep -E '^(thp_collapse_alloc|thp_split_pmd|thp_fault_alloc|thp_fault_fallback|pgmigrate_success|compact_stall|compact_success) ' /proc/vmstat | tr '\n' ' ')khugepaged_collapsed $(cat /sys/kernel/mm/transparent_hugepage/khugepaged/pages_collapsed 2>/dev/null)"
}
# After the run: when a shutdown stopped the trace, the events of that
# vCPU thread (its first 40 and its last 150) and every CPU's last 30.
kvm_trace_report() {
	[ -d $trace/events/kvm ] || return
	if [ "$(cat $trace/tracing_on)" = 1 ]; then
		echo 0 >$trace/tracing_on
		echo "LAB: kvm trace: no shutdown exit"
	else
		t=/tmp/kvm.trace
		grep -v '^#' $trace/trace >$t
		task=$(grep -m1 'kvm_exit: .*reason shutdown' $t | awk '{ print $1 }')
		echo "LAB: kvm trace: shutdown exit in task $task ($(wc -l <$t) events kept)"
		if [ -n "$task" ]; then
			grep -F -e " $task " $t | head -n 40 | sed 's/^/LAB: trace first: /'
			grep -F -e " $task " $t | tail -n 150 | sed 's/^/LAB: trace last: /'
			# Every nested page fault of that vCPU on the guest page of
			# its last one: a page it had used before faults again only
			# if the host unmapped it in between.
			pg=$(grep -F -e " $task " $t | grep 'reason npf' | tail -n 1 |
				sed -n 's/.*info2 0x\([0-9a-f]\{13\}\).*/\1/p')
			[ -z "$pg" ] || grep -F -e " $task " $t | grep "info2 0x$pg" | tail -n 20 |
				sed 's/^/LAB: trace page: /'
		fi
		tail -n 30 $t | sed 's/^/LAB: trace all: /'
		# Guest RAM unmapped by the lab kernel (THP collapse, migration):
		# KVM's MMU notifier, in the task that moved the pages.
		echo "LAB: kvm trace: $(grep -c 'kvm_unmap_hva_range:' $t) unmaps of guest RAM kept"
		grep 'kvm_unmap_hva_range:' $t | tail -n 40 | sed 's/^/LAB: trace unmap: /'
	fi
	echo '!traceoff if exit_reason == 127' >$trace/events/kvm/kvm_exit/trigger 2>/dev/null
	for e in $trace_events; do
		echo 0 >$trace/events/kvm/$e/enable 2>/dev/null
	done
	echo >$trace/trace
}
# The links test's system description, into /tmp/links.cfg: $1 is each
# guest's command line, followed by check=link:ROLE when $2 is "check".
links_cfg() {
	cfg=/tmp/links.cfg
	k="kernel = \"/lab/vmlinuz\"; initrd = \"/lab/inner.cpio.gz\"; mem = \"$mem\"; cpus = $cpus;"
	ca="" cb="" cc=""
	if [ "$2" = check ]; then
		ca=" check=link:a:2" cb=" check=link:b:10" cc=" check=link:c"
	fi
	cat >"$cfg" <<EOF
log_dir = "/tmp/links-logs";
vms = (
  { name = "a"; $k cmdline = "$1$ca"; vsock = { cid = 3; uds = "/tmp/a.vsock"; };
    on_exit = "ignore"; },
  { name = "b"; $k cmdline = "$1$cb"; vsock = { cid = 4; uds = "/tmp/b.vsock"; };
    on_exit = "restart"; restarts = 1; },
  { name = "c"; $k cmdline = "$1$cc"; vsock = { cid = 5; uds = "/tmp/c.vsock"; };
    on_exit = "ignore"; }
);
links = (
  { name = "lan"; type = "net"; between = [ "a", "b" ]; },
  { name = "ctl"; type = "console"; between = [ "a", "b" ]; },
  { type = "vsock"; between = [ "a", "b" ]; }
);
EOF
}
# The checked run goes without the KVM trace (it doubles the run's time);
# linksboot:N keeps it, for finding a fault again.
links_test() {
	links_cfg "$inner" check
	echo "LAB: links system: $(tr '\n' ' ' <"$cfg")"
	kvm_vmstat before
	run_vmm system "$cfg"
	kvm_vmstat after
}
# linksboot:N: the same system N times over, its guests without checks
# (each powers off at its /init): many first boots of three VMs started
# together, with the links test's devices and links, for a fault that
# shows in few of them.
links_boot() {
	case $1 in
	'' | *[!0-9]* | 0)
		echo "LAB: FAIL linksboot: bad run count '$1'"
		return
		;;
	esac
	links_cfg "$inner" none
	echo "LAB: links system: $(tr '\n' ' ' <"$cfg")"
	i=1
	while [ "$i" -le "$1" ]; do
		echo "LAB: links boot $i/$1"
		kvm_vmstat before
		kvm_trace_start
		run_vmm system "$cfg"
		kvm_vmstat after
		kvm_trace_report
		i=$((i + 1))
	done
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
	benchguest)
		# The benchmark guest under SVM: the workloads that use its
		# kernel (threads, sleeps, the LAPIC timer, the GPIO's MSI on
		# both paths) and a fault report.
		for w in "run cpu time_ms=100" "run threads events=2" \
			"run mutex mutex_locks=200" "run timer-latency loops=20" \
			"run irq-latency-user loops=50" "run irq-latency-irqfd loops=50" \
			"run basicmath size=tiny" "fault ud"; do
			echo "LAB: benchguest $w"
			run_vmm run --kernel /lab/guests/benchguest.elf --cmdline "$w"
		done
		# The same guest as a real-time VM under SVM: HLT and PAUSE
		# exits disabled (KVM_CAP_X86_DISABLE_EXITS), the vCPU pinned
		# at SCHED_FIFO, RAM locked. The guest's HLT then stays in
		# guest mode, and its LAPIC timer (timer-latency's sleeps) and
		# the GPIO's MSI must still wake it; on PVM a halted guest is
		# emulated by the host either way.
		for w in "run timer-latency loops=20" "run irq-latency-irqfd loops=50"; do
			echo "LAB: benchguest realtime $w"
			run_vmm run --realtime --pin 0 --exits disable --kick-stats \
				--kernel /lab/guests/benchguest.elf --cmdline "$w"
		done
		;;
	linux|linux:pvh)
		echo "LAB: inner cmdline: $inner"
		run_vmm run --kernel /lab/vmlinuz --initrd /lab/inner.cpio.gz \
			--mem "$mem" --cpus "$cpus" --cmdline "$inner"
		# linux:pvh then boots the same kernel uncompressed (vmlinux,
		# extracted by lab/mkinitrd.sh) through its PVH entry, with the
		# same inner image and command line.
		if [ "$t" = linux:pvh ]; then
			echo "LAB: linux pvh begin"
			if [ -f /lab/vmlinux ]; then
				run_vmm run --kernel /lab/vmlinux --boot pvh --initrd /lab/inner.cpio.gz \
					--mem "$mem" --cpus "$cpus" --cmdline "$inner"
			else
				echo "LAB: FAIL linux pvh: no /lab/vmlinux (lab/mkinitrd.sh could not extract it; see its build output)"
			fi
			echo "LAB: linux pvh end"
		fi
		;;
	firmware)
		# Firmware boot under SVM: SeaBIOS boots this machine's disk
		# (lab/mkbootdisk.sh: SYSLINUX, Debian's kernel and the inner
		# image) through its own boot loader, to the inner /init, which
		# powers off. The firmware's debug log follows.
		outer_virtio
		if [ ! -f /lab/bios-256k.bin ] || [ ! -b /dev/vda ]; then
			echo "LAB: FAIL firmware: needs /lab/bios-256k.bin and a --drive (lab/mkbootdisk.sh)"
		else
			run_vmm run --firmware /lab/bios-256k.bin --firmware-log /tmp/firmware.log \
				--disk /dev/vda,readonly --mem "$mem" --cpus "$cpus"
			echo "LAB: firmware log:"
			tail -n 40 /tmp/firmware.log
		fi
		;;
	timing)
		boot_timing 5
		;;
	timing:*)
		boot_timing "${t#timing:}"
		;;
	virtio)
		virtio_test vmm
		;;
	links)
		links_test
		;;
	linksboot:*)
		links_boot "${t#linksboot:}"
		;;
	virtio-qemu)
		if command -v qemu-system-x86_64 >/dev/null 2>&1; then
			virtio_test qemu
		else
			echo "LAB: FAIL virtio-qemu: no qemu-system-x86_64 in the lab image"
		fi
		;;
	chan)
		chan_test
		;;
	vfio)
		vfio_test
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
