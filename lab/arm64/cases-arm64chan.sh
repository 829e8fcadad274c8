# Sourced by lab/arm64/init-outer.sh: channels on arm64. Two benchmark
# guests under `vmm system` on a channel (lab/arm64/arm64chan-pingpong.cfg),
# channel-ping and channel-pong with a payload, the doorbell by INTx.
# tests/arm64/lab.py checks the lines: check status 0, system status 0,
# exactly one channel-ping RESULT in ping's log, pong's "PONG echoed 20".
if [ -f /benchguest.elf ] && [ -f /arm64chan-pingpong.cfg ]; then
	t0=$(cut -d' ' -f1 /proc/uptime)
	/vmm system --check /arm64chan-pingpong.cfg
	echo "LAB: chan check status $?"
	/vmm system /arm64chan-pingpong.cfg >/tmp/arm64chan.out 2>&1
	rc=$?
	cat /tmp/arm64chan.out
	echo "LAB: chan status $rc"
	logs=/tmp/arm64chan-logs
	echo "LAB: chan ping log results $(grep -c '^RESULT {"benchmark":"channel-ping"' $logs/ping.log)"
	grep "^RESULT " $logs/ping.log | sed "s/^/LAB: chan ping /"
	grep "^PONG " $logs/pong.log | sed "s/^/LAB: chan pong /"
	echo "LAB: chan took from $t0 s to $(cut -d' ' -f1 /proc/uptime) s of uptime"
fi
