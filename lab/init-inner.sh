#!/bin/sh
# init-inner.sh: /init of the INNER initramfs, the Linux guest that runs
# under vmm inside the lab. It says it was reached, reports the CPUs it
# sees, runs the workload named by bench= on its kernel command line, runs
# the device checks named by check= (below), and turns the machine off (off=poweroff, the default, through ACPI; or
# off=reboot, through the keyboard controller's reset line). Every line it
# prints for the lab starts with "INIT: ".
# Runs under busybox sh: no -e, so a failing workload is reported and the
# guest still turns itself off.
set -u

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "INIT: reached /init"
echo "INIT: uptime $(cut -d' ' -f1 /proc/uptime) s"

# Options from the kernel command line (the kernel hands unknown ones to
# init as environment variables too, but /proc/cmdline is the whole truth).
cmdline=$(cat /proc/cmdline)
opt() {
	for w in $cmdline; do
		case $w in
		"$1"=*) echo "${w#*=}"; return ;;
		esac
	done
	echo "$2"
}
bench=$(opt bench none)
off=$(opt off poweroff)
checks=$(opt check none)
# The name the disk checks write under (guest-TAG.txt): the lab machine
# says which monitor runs this guest.
tag=$(opt check.tag guest)

echo "INIT: nproc $(nproc)"
echo "INIT: cpus in /proc/cpuinfo $(grep -c '^processor' /proc/cpuinfo)"
echo "INIT: online cpu list $(cat /sys/devices/system/cpu/online)"

# bench=NAME runs one workload and prints its RESULT (or FAIL) line:
# /bin/realtool.sh for the real tools it knows (sysbench-*, cyclictest),
# /bin/bench for ours. Its parameters come from bench.args=, encoded by
# hvbench as lab/realtool.sh describes (comma-separated key=value, %XX for
# other bytes). bench.args= on the command line, even empty, marks such a
# run; without it bench=cpu stays the lab's smoke test (sysbench and bench
# at fixed tiny sizes, sysbench's whole report on the console).
run_one() {
	rt=/bin/realtool.sh
	set --
	# One parameter a line; no parameters still leaves one empty line.
	while IFS= read -r a; do
		[ -z "$a" ] || set -- "$@" "$a"
	done <<ARGS
$("$rt" --decode "$(opt bench.args "")")
ARGS
	if "$rt" --list | cut -f1 | grep -qx "$bench"; then
		echo "INIT: workload $bench: realtool.sh $*"
		"$rt" "$bench" "$@"
	elif [ -x /bin/bench ]; then
		echo "INIT: workload $bench: bench run $bench $*"
		/bin/bench run "$bench" "$@"
	else
		echo "FAIL $bench: this image has no /bin/bench"
		return 1
	fi
}
hvbench_run=no
case " $cmdline " in *" bench.args="*) hvbench_run=yes ;; esac

case $bench:$hvbench_run in
none:*) ;;
cpu:no)
	echo "INIT: workload cpu: sysbench"
	sysbench cpu --cpu-max-prime=2000 --time=0 --events=200 run
	echo "INIT: sysbench exit status $?"
	if [ -x /bin/bench ]; then
		echo "INIT: workload cpu: bench"
		/bin/bench run cpu max_prime=2000 events=200
		echo "INIT: bench exit status $?"
	fi
	;;
*)
	run_one
	rc=$?
	echo "INIT: workload $bench exit status $rc"
	# A workload that died without saying why still fails on the host.
	[ "$rc" -eq 0 ] || echo "FAIL $bench: exit status $rc in the Linux guest"
	;;
esac

# --- device checks (check=NAME[:ARGS],...) ----------------------------------
# Each prints "INIT: NAME ..." lines, and "INIT: FAIL NAME: why" when a
# step fails; the lab's test reads them. All of them first load Debian's
# virtio and ext4 modules (/lib/modules/load-order), which probe whatever
# virtio-pci functions the monitor offers.
#   mods            only load the modules, and list the virtio devices found
#   disk:DEV        mount /dev/DEV (ext4), print /host.txt and the sha256 of
#                   /host.bin, write /guest-TAG.txt ("TAG saw: " and the
#                   first line of host.txt) and /guest-TAG.bin (256 KiB of
#                   /dev/urandom, its sha256 printed), sync, unmount
#   rodisk:DEV      /dev/DEV given read-only: mount it, read /host.txt, and
#                   show that a file write and a raw write are refused
#   rng             the hw_random driver in use and 64 bytes of /dev/hwrng
#   vsock:PORT:HOSTPORT  accept one connection on vsock PORT (from the
#                   host), then connect to the host (CID 2) at HOSTPORT
#   console:NAME    the virtio console port named NAME: link it as
#                   /dev/virtio-ports/NAME from its sysfs name (what udev
#                   does; there is no udev here), write a line to it and
#                   read the host's answer
#   net             eth0 as 192.0.2.2/24: ping 192.0.2.1, send 64 KiB to
#                   192.0.2.1 port 7777 over TCP (its sha256 printed)
#   uiochan:ROLE    the channel to another VM with the stock uio_pci_generic
#                   driver: /bin/uio-channel ROLE 3 (examples/uio-channel.c;
#                   ROLE ping or pong), its exit status printed
#   pci             load /lib/modules/vfio (e1000, for a passed-through
#                   NIC) and list every PCI function with its driver and
#                   its MSI/MSI-X vectors
#   irqs            the interrupts of the virtio and e1000 functions, as
#                   /proc/interrupts has them (count, chip, kind, name)
modules_loaded=no
load_modules() {
	[ "$modules_loaded" = yes ] && return 0
	modules_loaded=yes
	n=0 ok=0
	while read -r m; do
		n=$((n + 1))
		if insmod "/lib/modules/$m.ko" 2>/tmp/insmod.err; then
			ok=$((ok + 1))
		else
			echo "INIT: FAIL insmod $m: $(cat /tmp/insmod.err)"
		fi
	done </lib/modules/load-order
	echo "INIT: modules loaded $ok of $n"
}

# Waits up to $2 seconds (tenths) for the path $1 to exist.
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ "$i" -lt "$(($2 * 10))" ]; do
		usleep 100000
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# The virtio functions the kernel found: ID, device type (virtio 1.2, 5)
# and the driver bound to each.
list_virtio() {
	found=0
	for d in /sys/bus/virtio/devices/*; do
		[ -e "$d/device" ] || continue
		drv=none
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		echo "INIT: virtio device $(basename "$d") type $(($(cat "$d/device"))) driver $drv"
		found=$((found + 1))
	done
	echo "INIT: virtio devices $found"
}

check_disk() {
	dev=$1
	if ! wait_for "/dev/$dev" 10; then
		echo "INIT: FAIL disk $dev: no /dev/$dev"
		return
	fi
	echo "INIT: disk $dev sectors $(cat "/sys/block/$dev/size") ro $(cat "/sys/block/$dev/ro")"
	mkdir -p "/mnt/$dev"
	if ! mount -t ext4 "/dev/$dev" "/mnt/$dev" 2>/tmp/mount.err; then
		echo "INIT: FAIL disk $dev: mount: $(cat /tmp/mount.err)"
		return
	fi
	d=/mnt/$dev
	echo "INIT: disk $dev host.txt: $(head -n 1 "$d/host.txt")"
	echo "INIT: disk $dev host.bin sha256 $(sha256sum <"$d/host.bin" | cut -d' ' -f1)"
	echo "$tag saw: $(head -n 1 "$d/host.txt")" >"$d/guest-$tag.txt"
	dd if=/dev/urandom of="$d/guest-$tag.bin" bs=4096 count=64 2>/dev/null
	echo "INIT: disk $dev guest-$tag.bin sha256 $(sha256sum <"$d/guest-$tag.bin" | cut -d' ' -f1)"
	sync
	if umount "$d" 2>/tmp/mount.err; then
		echo "INIT: disk $dev ok"
	else
		echo "INIT: FAIL disk $dev: umount: $(cat /tmp/mount.err)"
	fi
}

check_rodisk() {
	dev=$1
	if ! wait_for "/dev/$dev" 10; then
		echo "INIT: FAIL rodisk $dev: no /dev/$dev"
		return
	fi
	echo "INIT: rodisk $dev sectors $(cat "/sys/block/$dev/size") ro $(cat "/sys/block/$dev/ro")"
	d=/mnt/$dev
	mkdir -p "$d"
	# Asked for read-write; busybox mount falls back to read-only when
	# the kernel refuses (EACCES/EROFS on a read-only disk).
	if ! mount -t ext4 -o rw "/dev/$dev" "$d" 2>/tmp/mount.err; then
		echo "INIT: FAIL rodisk $dev: mount: $(cat /tmp/mount.err)"
		return
	fi
	echo "INIT: rodisk $dev mount: $(tr '\n' ' ' </tmp/mount.err)"
	echo "INIT: rodisk $dev mounted $(awk -v m="$d" '$2 == m { print $4 }' /proc/mounts)"
	echo "INIT: rodisk $dev host.txt: $(head -n 1 "$d/host.txt")"
	if (echo "$tag" >"$d/guest-$tag.txt") 2>/tmp/write.err; then
		echo "INIT: FAIL rodisk $dev: a file write succeeded"
	else
		echo "INIT: rodisk $dev file write refused: $(cat /tmp/write.err)"
	fi
	# Sector 0 is outside ext4 (its superblock starts at byte 1024).
	if dd if=/dev/zero of="/dev/$dev" bs=512 count=1 conv=fsync 2>/tmp/write.err; then
		echo "INIT: FAIL rodisk $dev: a raw write succeeded"
	else
		echo "INIT: rodisk $dev raw write refused: $(tr '\n' ' ' </tmp/write.err)"
	fi
	umount "$d"
	echo "INIT: rodisk $dev done"
}

check_rng() {
	r=/sys/class/misc/hw_random
	cur=none
	i=0
	while [ "$i" -lt 50 ]; do
		cur=$(cat "$r/rng_current" 2>/dev/null)
		[ -n "$cur" ] && [ "$cur" != none ] && break
		usleep 100000
		i=$((i + 1))
	done
	echo "INIT: rng current $cur available $(cat "$r/rng_available" 2>/dev/null)"
	# A device that never answers must not hang the guest.
	bytes=$(timeout 20 dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
	echo "INIT: rng bytes ${bytes:-none}"
}

check_vsock() {
	port=$(echo "$1" | cut -d: -f1)
	hport=$(echo "$1" | cut -d: -f2)
	vsockpeer listen "$port" 120 2>&1 | sed 's/^/INIT: vsock /'
	vsockpeer connect 2 "$hport" "hello host from guest" 2>&1 | sed 's/^/INIT: vsock /'
	echo "INIT: vsock done"
}

check_console() {
	name=$1
	dev=""
	i=0
	while [ -z "$dev" ] && [ "$i" -lt 100 ]; do
		for p in /sys/class/virtio-ports/*; do
			[ "$(cat "$p/name" 2>/dev/null)" = "$name" ] && dev=$(basename "$p")
		done
		[ -n "$dev" ] || usleep 100000
		i=$((i + 1))
	done
	if [ -z "$dev" ]; then
		echo "INIT: FAIL console $name: no port named $name in /sys/class/virtio-ports"
		return
	fi
	mkdir -p /dev/virtio-ports
	ln -sf "../$dev" "/dev/virtio-ports/$name"
	echo "INIT: console $name is /dev/$dev"
	# One descriptor both ways: the host answers on the same port.
	exec 3<>"/dev/virtio-ports/$name"
	echo "hello host from console" >&3
	if read -r -t 60 reply <&3; then
		echo "INIT: console reply: $reply"
	else
		echo "INIT: FAIL console $name: no answer"
	fi
	exec 3>&-
	echo "INIT: console done"
}

check_net() {
	if ! wait_for /sys/class/net/eth0 10; then
		echo "INIT: FAIL net: no eth0"
		return
	fi
	echo "INIT: net eth0 mac $(cat /sys/class/net/eth0/address)"
	ip link set eth0 up
	ip addr add 192.0.2.2/24 dev eth0
	echo "INIT: net ping: $(ping -c 3 -w 20 192.0.2.1 2>&1 | grep 'packets transmitted')"
	dd if=/dev/urandom of=/tmp/net.bin bs=4096 count=16 2>/dev/null
	echo "INIT: net sent sha256 $(sha256sum </tmp/net.bin | cut -d' ' -f1)"
	if nc -w 10 192.0.2.1 7777 </tmp/net.bin; then
		echo "INIT: net tcp done"
	else
		echo "INIT: FAIL net: nc exit status $?"
	fi
}

check_uiochan() {
	if [ ! -x /bin/uio-channel ]; then
		echo "INIT: FAIL uiochan: this image has no /bin/uio-channel"
		return
	fi
	/bin/uio-channel "$1" 3 2>&1
	rc=$?
	echo "INIT: uiochan $1 exit status $rc"
	[ "$rc" = 0 ] || echo "INIT: FAIL uiochan: uio-channel $1 exit status $rc"
	echo "INIT: uiochan interrupts: $(grep -i uio /proc/interrupts | tr -s ' ' | tr '\n' ' ')"
}

check_pci() {
	while read -r m; do
		insmod "/lib/modules/vfio/$m.ko" 2>/dev/null || echo "INIT: FAIL insmod $m"
	done </lib/modules/vfio/load-order
	usleep 500000
	for d in /sys/bus/pci/devices/*; do
		drv=none
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		# MSI/MSI-X vectors in use: one file each in msi_irqs/, holding
		# its mode (msi or msix).
		nv=$(ls "$d/msi_irqs" 2>/dev/null | wc -l)
		mode=$(cat "$d"/msi_irqs/* 2>/dev/null | sort -u | tr '\n' ' ')
		echo "INIT: pci $(basename "$d") $(cut -c3- "$d/vendor"):$(cut -c3- "$d/device") irq $(cat "$d/irq") driver $drv vectors $nv ${mode:-none}"
	done
}

check_irqs() {
	grep -e virtio -e eth -e e1000 /proc/interrupts | tr -s ' ' | sed 's/^ */INIT: irq /'
}

if [ "$checks" != none ]; then
	load_modules
	list_virtio
	for c in $(echo "$checks" | tr ',' ' '); do
		echo "INIT: check $c"
		case $c in
		mods) ;;
		disk:*) check_disk "${c#disk:}" ;;
		rodisk:*) check_rodisk "${c#rodisk:}" ;;
		rng) check_rng ;;
		vsock:*) check_vsock "${c#vsock:}" ;;
		console:*) check_console "${c#console:}" ;;
		net) check_net ;;
		uiochan:*) check_uiochan "${c#uiochan:}" ;;
		pci) check_pci ;;
		irqs) check_irqs ;;
		*) echo "INIT: FAIL unknown check $c" ;;
		esac
	done
	echo "INIT: checks done"
fi

echo "INIT: done, uptime $(cut -d' ' -f1 /proc/uptime) s, turning off by $off"
case $off in
reboot) reboot -f ;;
*) poweroff -f ;;
esac
# Only reached when the request failed.
echo "INIT: $off failed"
sleep 2
reboot -f
