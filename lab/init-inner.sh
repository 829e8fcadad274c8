#!/bin/sh
# init-inner.sh: /init of the INNER initramfs, the Linux guest that runs
# under vmm inside the lab. It says it was reached, reports the CPUs it
# sees, runs the workload named by bench= on its kernel command line, and
# turns the machine off (off=poweroff, the default, through ACPI; or
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

echo "INIT: nproc $(nproc)"
echo "INIT: cpus in /proc/cpuinfo $(grep -c '^processor' /proc/cpuinfo)"
echo "INIT: online cpu list $(cat /sys/devices/system/cpu/online)"

case $bench in
none) ;;
cpu)
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
	echo "INIT: unknown workload bench=$bench"
	;;
esac

echo "INIT: done, uptime $(cut -d' ' -f1 /proc/uptime) s, turning off by $off"
case $off in
reboot) reboot -f ;;
*) poweroff -f ;;
esac
# Only reached when the request failed.
echo "INIT: $off failed"
sleep 2
reboot -f
