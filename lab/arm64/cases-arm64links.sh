#!/bin/sh
# lab/arm64/cases-arm64links.sh: the arm64 lab's bulk links, switch and
# restart (lab/arm64/arm64links-bulk.cfg: four benchmark guests under one
# `vmm system`). Two halves, one file:
#   sh cases-arm64links.sh run     inside the lab machine (init-outer.sh):
#                                  runs the system, prints "LAB: arm64links ..."
#   . cases-arm64links.sh check    in lab/arm64/run.sh, with its check():
#                                  the verdicts, from the console
# Results are taken from the VMs' logs: the terminal view cuts lines under
# TCG (docs/arm64.md, "vmm system on arm64").

arm64links_run() {
	[ -f /benchguest.elf ] && [ -f /arm64links-bulk.cfg ] || return 0
	logs=/tmp/arm64links-bulk-logs
	/vmm system --check /arm64links-bulk.cfg
	echo "LAB: arm64links bulk check status $?"
	/vmm system /arm64links-bulk.cfg >/tmp/arm64links-bulk.out 2>&1
	rc=$?
	cat /tmp/arm64links-bulk.out
	echo "LAB: arm64links bulk status $rc"
	for v in nb vb; do
		grep "^RESULT " $logs/$v.log | sed "s/^/LAB: arm64links bulk $v /"
	done
	for v in ns vs; do
		grep "^SINK " $logs/$v.log | sed "s/^/LAB: arm64links bulk $v /"
	done
	echo "LAB: arm64links bulk vs sinks $(grep -c '^SINK received 65536 bytes in order' $logs/vs.log)"
	# The switch process ran to the end: had it died (its seccomp filter
	# on arm64, say), the supervisor would have said "the switch of link".
	grep -q "the switch of link" /tmp/arm64links-bulk.out ||
		echo "LAB: arm64links bulk switch lived"
}

arm64links_check() {
	p="LAB: arm64links bulk"
	check "arm64links: vmm system --check takes the bulk description" "$p check status 0\$"
	# vb ends the system and stops the third vs (arm64links-bulk.cfg):
	# every VM but vs must have ended by itself with debug-exit 0.
	for v in nb ns vb; do
		check "arm64links: VM $v ended by itself, debug-exit 0" \
			"summary: VM $v: debug-exit value 0\$"
	done
	check "arm64links: VM vs was restarted twice, then stopped" \
		"summary: VM vs: stopped by SIGTERM (after 2 restarts)"
	check "arm64links: the switch process (vmm switch) ran to the end" "$p switch lived\$"
	# net-bulk: 300 full frames through the switch; the sink's DONE says
	# how many came (some, all at most: a link drops what a slow reader
	# leaves, so not a fixed number).
	check "arm64links: net-bulk through the switch: the sink's count came back" \
		"$p nb RESULT {\"benchmark\":\"net-bulk\".*\"frames_received\":[1-9][0-9]*,.*\"frame_bytes\":1514"
	check "arm64links: net-sink counted net-bulk's frames" "$p ns SINK received [1-9][0-9]* frames, "
	# vsock-bulk: 128 KiB to two sinks of 64 KiB, the second after vs's
	# restart: every byte in order, one reconnection at least.
	check "arm64links: vsock-bulk delivered 128 KiB across the sink's restart" \
		"$p vb RESULT {\"benchmark\":\"vsock-bulk\".*\"check\":131072,.*\"resyncs\":[1-9]"
	check "arm64links: vsock-sink checked 64 KiB in order twice (before and after a restart)" \
		"$p vs sinks 2\$"
	check "arm64links: vmm system restarted vs" "restarting VM vs (2 of 2)"
}

case "${1:-}" in
run) arm64links_run ;;
check) arm64links_check ;;
esac
