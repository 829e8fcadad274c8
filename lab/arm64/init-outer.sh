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
# Two vCPUs: Linux brings the second up with PSCI CPU_ON (served by KVM).
/vmm run --kernel /Image --initrd /inner.cpio.gz --mem 256M --cpus 2 --disk /disk.img \
	--cmdline "console=ttyAMA0 quiet panic=-1 rdinit=/init"
echo "LAB: linux status $? after $t0 s, now $(cut -d' ' -f1 /proc/uptime) s"
# The benchmark guest, when the lab has one: each workload, both GPIO paths.
# A case "disk:LINE" runs with --disk /bench.img (4 MiB of zeros, which
# the first disk case, disk-seq-write, fills with the pattern the reads
# check: src/bench/diskpat.h), "rng:LINE" with --rng.
if [ -f /benchguest.elf ]; then
	dd if=/dev/zero of=/bench.img bs=1048576 count=4 2>/dev/null
	for c in $(cat /benchguest.cases); do
		opts= line=$c
		case "$c" in
		disk:*) opts="--disk /bench.img" line=${c#disk:} ;;
		rng:*) opts="--rng" line=${c#rng:} ;;
		esac
		/vmm run $opts --kernel /benchguest.elf --cmdline "$(echo "$line" | tr '+' ' ')"
		echo "LAB: guest $c status $?"
	done
fi
# Two benchmark guests under `vmm system` (lab/arm64/system.cfg): both run,
# the second is restarted once (on_exit = "restart"), and the system ends
# with 0 once every VM has ended cleanly.
if [ -f /benchguest.elf ] && [ -f /system.cfg ]; then
	/vmm system --check /system.cfg
	echo "LAB: system check status $?"
	/vmm system /system.cfg >/tmp/system.out 2>&1
	rc=$?
	cat /tmp/system.out
	echo "LAB: system status $rc"
	# Each VM's log keeps its console byte for byte (its second run's
	# after the first's). The terminal view shows a partial line after
	# 100 ms of quiet (a prompt), which under TCG cuts lines; so results
	# are counted in the logs, and the terminal must show each VM.
	echo "LAB: system compute log results $(grep -c '^RESULT {"benchmark":"cpu"' /tmp/system-logs/compute.log)"
	echo "LAB: system timer log results $(grep -c '^RESULT {"benchmark":"timer-latency"' /tmp/system-logs/timer.log)"
	for v in compute timer; do
		grep -q "^\[$v\] " /tmp/system.out && echo "LAB: system terminal shows $v"
	done
fi
# Links between two benchmark guests under `vmm system`: a net link
# (net-ping/net-pong, polling, then by INTx interrupt) and a vsock link
# (vsock-ping/vsock-pong), lab/arm64/links-*.cfg. Each system ends with 0
# when ping has checked every round trip (it stops the system); ping's
# RESULT line and pong's summary are taken from the logs (the terminal
# view cuts lines under TCG, above).
if [ -f /benchguest.elf ] && [ -f /links-net.cfg ]; then
	for l in net:ping:pong:net-ping net-irq:ping:pong:net-ping vsock:vping:vpong:vsock-ping; do
		IFS=: read -r name ping pong bench <<EOT
$l
EOT
		logs=/tmp/links-$name-logs
		/vmm system --check /links-$name.cfg
		echo "LAB: links $name check status $?"
		/vmm system /links-$name.cfg >/tmp/links-$name.out 2>&1
		rc=$?
		cat /tmp/links-$name.out
		echo "LAB: links $name status $rc"
		echo "LAB: links $name $ping log results $(grep -c "^RESULT {\"benchmark\":\"$bench\"" $logs/$ping.log)"
		grep "^RESULT " $logs/$ping.log | sed "s/^/LAB: links $name $ping /"
		grep "^PONG " $logs/$pong.log | sed "s/^/LAB: links $name $pong /"
	done
fi
# hvbench on arm64: the compute and timer workloads natively and in the
# benchmark guest under vmm, a short run. The numbers mean nothing here
# (TCG); that it measures both sides and writes results.json does.
if [ -x /hvbench ] && [ -x /bench ] && [ -f /benchguest.elf ]; then
	HVBENCH_BENCH=/bench HVBENCH_VMM=/vmm HVBENCH_GUEST_IMAGE=/benchguest.elf \
		HVBENCH_GNUPLOT=none /hvbench run --bench cpu,timer-latency --size small \
		--reps 2 --cpu 0 --timeout 300 --out /tmp/hvbench
	echo "LAB: hvbench status $?"
	echo "LAB: results.json begin"
	cat /tmp/hvbench/results.json
	echo "LAB: results.json end"
	# The QEMU peer is the PC's: refused on arm64 with a usage error.
	HVBENCH_BENCH=/bench /hvbench run --vmm qemu --bench cpu --reps 1 --out /tmp/hvbench-qemu
	echo "LAB: hvbench qemu status $?"
fi
[ -f /cases-arm64links.sh ] && sh /cases-arm64links.sh run # bulk links, the switch, a restart
[ -f /cases-arm64chan.sh ] && . /cases-arm64chan.sh
[ -f /cases-arm64hvb.sh ] && . /cases-arm64hvb.sh
echo "LAB: done"
poweroff -f
