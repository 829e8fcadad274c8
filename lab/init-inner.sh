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

echo "INIT: done, uptime $(cut -d' ' -f1 /proc/uptime) s, turning off by $off"
case $off in
reboot) reboot -f ;;
*) poweroff -f ;;
esac
# Only reached when the request failed.
echo "INIT: $off failed"
sleep 2
reboot -f
