#!/bin/sh
# lab/arm64/run.sh: the arm64 lab. QEMU's virt machine with EL2
# (qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,
# TCG) boots Debian's arm64 kernel, which brings KVM up inside; its
# initramfs holds the arm64 vmm, which boots the same kernel to its /init
# with a virtio disk (and the arm64 benchmark guest's cases, when one is
# given). Timings here mean nothing (TCG); correctness does.
#
#   VMM=build/arm64/vmm OUT=build/arm64/lab \
#   [BENCHGUEST=build/arm64/guest/benchguest.elf CASES=lab/arm64/bench-cases] \
#   [HVBENCH=build/arm64/hvbench BENCH=build/arm64/bench] \
#       flock /tmp/lab.lock sh lab/arm64/run.sh
#
# Exit 0 when every check passed, 1 when one failed, 77 (skip) with the
# reason on the last line when QEMU, cpio or the Debian packages are
# missing. The console is kept in $OUT/console.log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export LAB_CACHE="${LAB_CACHE:-$root/lab/cache}"
cache=$LAB_CACHE/arm64
vmm=${VMM:-$root/build/arm64/vmm}
out=${OUT:-$root/build/arm64/lab}
timeout_s=${LAB_TIMEOUT:-900}

skip() {
	echo "SKIP: $*"
	exit 77
}
command -v qemu-system-aarch64 >/dev/null 2>&1 ||
	skip "qemu-system-aarch64 not installed (Debian package qemu-system-arm; lab/deps.sh)"
command -v cpio >/dev/null 2>&1 || skip "cpio not installed (lab/deps.sh)"
[ -x "$vmm" ] || skip "$vmm not built (make ARCH=arm64)"
sh "$here/fetch.sh" 2>"$out.fetch.log" || skip "arm64 packages unavailable: $(tail -1 "$out.fetch.log")"

rm -rf "$out"
mkdir -p "$out/inner/bin" "$out/inner/lib/modules" "$out/outer/bin"
for d in inner outer; do
	mkdir -p "$out/$d/proc" "$out/$d/sys" "$out/$d/dev" "$out/$d/tmp"
done
cp "$cache/busybox" "$out/inner/bin/busybox"
ln -s busybox "$out/inner/bin/sh" # the kernel runs /init through #!/bin/sh
cp "$here/init-inner.sh" "$out/inner/init"
cp "$cache/modules/"*.ko "$cache/load-order" "$out/inner/lib/modules/"
chmod 755 "$out/inner/init"
(cd "$out/inner" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/outer/inner.cpio.gz"
cp "$cache/busybox" "$out/outer/bin/busybox"
ln -s busybox "$out/outer/bin/sh"
cp "$here/init-outer.sh" "$out/outer/init"
cp "$vmm" "$out/outer/vmm"
cp "$cache/Image" "$out/outer/Image"
chmod 755 "$out/outer/init" "$out/outer/vmm"
if [ -n "${BENCHGUEST:-}" ]; then
	cp "$BENCHGUEST" "$out/outer/benchguest.elf"
	cp "$CASES" "$out/outer/benchguest.cases"
	cp "$here/system.cfg" "$out/outer/system.cfg"
	cp "$here/links-net.cfg" "$here/links-net-irq.cfg" "$here/links-vsock.cfg" "$out/outer/"
	cp "$here/cases-arm64links.sh" "$here/arm64links-bulk.cfg" "$out/outer/"
	cp "$here/cases-arm64chan.sh" "$here/arm64chan-pingpong.cfg" "$out/outer/"
fi
# hvbench and the native runner (make ARCH=arm64 builds both, static),
# for a short hvbench run there when the benchmark guest is given too.
if [ -n "${BENCHGUEST:-}" ] && [ -n "${HVBENCH:-}" ] && [ -n "${BENCH:-}" ]; then
	cp "$HVBENCH" "$out/outer/hvbench"
	cp "$BENCH" "$out/outer/bench"
	chmod 755 "$out/outer/hvbench" "$out/outer/bench"
	cp "$here/cases-arm64hvb.sh" "$out/outer/cases-arm64hvb.sh"
fi
(cd "$out/outer" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/outer.cpio.gz"

start=$(date +%s)
set +e
timeout "$timeout_s" qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max \
	-smp 1 -m 1G -nographic -no-reboot -monitor none -serial stdio \
	-kernel "$cache/Image" -initrd "$out/outer.cpio.gz" \
	-append "console=ttyAMA0 panic=-1 rdinit=/init" </dev/null >"$out/console.log" 2>&1
qrc=$?
set -e
secs=$(($(date +%s) - start))
tr -d '\r' <"$out/console.log" >"$out/console.txt"

fails=0
check() {
	if grep -q -- "$2" "$out/console.txt"; then
		echo "PASS $1"
	else
		echo "FAIL $1 (no '$2' in $out/console.log)"
		fails=$((fails + 1))
	fi
}
check "lab machine has /dev/kvm" "hypervisor mode"
check "linux reached /init under vmm" "INIT: reached /init"
check "linux brought up its second vCPU (PSCI CPU_ON)" "INIT: nproc 2"
check "linux read its virtio disk" "INIT: disk says: hvvmm-arm64-disk"
check "linux powered off, vmm ended with 0" "LAB: linux status 0 "
# MSI-X through the in-kernel ITS where `vmm info` found one (the disk,
# read above, then completes by MSI-X); INTx, no MSI, where it did not.
if grep -q "GICv3 ITS *yes" "$out/console.txt"; then
	check "linux's virtio devices use MSI-X through the ITS" "INIT: virtio msi vectors [1-9]"
else
	check "linux's virtio devices use INTx (no ITS)" "INIT: virtio msi vectors 0\$"
fi
if [ -n "${BENCHGUEST:-}" ]; then
	for c in $(cat "$CASES"); do
		check "benchmark guest $c" "LAB: guest $c status 1\$"
	done
	# The virtio driver's completions come by INTx (a level GIC SPI): no
	# MSI without an ITS, and a silent fall-back to polling would hide it.
	if grep -q '^disk:vtest+blk-info$' "$CASES"; then
		check "benchmark guest's virtio-blk takes INTx interrupts" \
			"VTEST blk-info readonly/irq a=0 b=1"
	fi
fi
if [ -n "${BENCHGUEST:-}" ]; then
	check "vmm system --check takes the description" "LAB: system check status 0\$"
	check "vmm system ran two guests and ended with 0" "LAB: system status 0\$"
	check "vmm system: VM compute gave its result" "LAB: system compute log results 1\$"
	check "vmm system: VM timer ran twice (restarted once)" "LAB: system timer log results 2\$"
	check "vmm system: the terminal shows VM compute" "LAB: system terminal shows compute"
	check "vmm system: the terminal shows VM timer" "LAB: system terminal shows timer"
	check "vmm system: VM timer restarted" "restarting VM timer (1 of 1)"
	check "vmm system: the summary says so" "summary: VM timer: .* (after 1 restart)"
	# Links (lab/arm64/links-*.cfg): two guests on a net link, polling
	# and by INTx, and two on a vsock link; ping checks each round trip.
	for l in net net-irq vsock; do
		check "vmm system links $l: --check takes it" "LAB: links $l check status 0\$"
		check "vmm system links $l: the system ended with 0" "LAB: links $l status 0\$"
	done
	check "links net: net-ping gave its result" "LAB: links net ping log results 1\$"
	check "links net: net-ping checked its 50 round trips" \
		"LAB: links net ping RESULT {\"benchmark\":\"net-ping\".*\"check\":50"
	check "links net: net-pong echoed 50 frames" "LAB: links net pong PONG echoed 50 frames"
	check "links net-irq: net-ping gave its result" "LAB: links net-irq ping log results 1\$"
	check "links net-irq: net-ping took its frames by interrupt (INTx)" \
		"LAB: links net-irq ping RESULT {\"benchmark\":\"net-ping\".*\"virtio_irq\":1"
	check "links net-irq: net-pong echoed 50 frames" "LAB: links net-irq pong PONG echoed 50 frames"
	check "links vsock: vsock-ping gave its result" "LAB: links vsock vping log results 1\$"
	check "links vsock: vsock-ping's peer was CID 4" \
		"LAB: links vsock vping RESULT {\"benchmark\":\"vsock-ping\".*\"peer_cid\":4"
	check "links vsock: vsock-pong echoed 50 bytes" "LAB: links vsock vpong PONG echoed 50 bytes, cid 4"
	. "$here/cases-arm64links.sh" && arm64links_check
fi
# Channels (lab/arm64/cases-arm64chan.sh): channel-ping/-pong by INTx.
if [ -n "${BENCHGUEST:-}" ]; then
	check "vmm system chan: --check takes it" "LAB: chan check status 0\$"
	check "vmm system chan: the system ended with 0" "LAB: chan status 0\$"
	check "chan: channel-ping gave its result" "LAB: chan ping log results 1\$"
	check "chan: channel-ping checked its 20 round trips" \
		"LAB: chan ping RESULT {\"benchmark\":\"channel-ping\".*\"check\":20"
	check "chan: channel-pong echoed 20 messages" "LAB: chan pong PONG echoed 20 messages"
fi
if [ -n "${BENCHGUEST:-}" ] && [ -n "${HVBENCH:-}" ] && [ -n "${BENCH:-}" ]; then
	check "hvbench run ended with 0" "LAB: hvbench status 0\$"
	check "hvbench refuses --vmm qemu on arm64 (status 2)" "LAB: hvbench qemu status 2\$"
	sed -n '/^LAB: results.json begin$/,/^LAB: results.json end$/p' "$out/console.txt" |
		sed '1d;$d' >"$out/results.json"
	# results.json: host.arch arm64, and each workload measured on both
	# sides (as many samples as --reps; ok, or noisy: TCG's timing is
	# what it is, and says nothing of arm64 hardware).
	if python3 - "$out/results.json" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d['host']['arch'] == 'arm64', d['host']
got = {r['benchmark']: r for r in d['results']}
for name in ('cpu', 'timer-latency'):
    r = got[name]
    assert r['status'] in ('ok', 'noisy'), (name, r['status'], r.get('error'))
    for side in ('native', 'virt'):
        assert len(r[side]['samples']) == 2, (name, side, r[side])
PY
		echo "PASS hvbench results.json: arch arm64, cpu and timer-latency on both sides"
	else
		echo "FAIL hvbench results.json (kept in $out/results.json)"
		fails=$((fails + 1))
	fi
fi
if [ -n "${BENCHGUEST:-}" ] && [ -n "${HVBENCH:-}" ] && [ -n "${BENCH:-}" ]; then
	# lab/arm64/cases-arm64hvb.sh: the GPIO, disk and rng workloads through
	# hvbench, channel-ping not_available (no channels on arm64), --ab.
	check "hvbench device workloads run ended with 0" "LAB: hvb dev status 0\$"
	check "hvbench --ab vmm against itself ended with 0" "LAB: hvb ab status 0\$"
	check "hvbench --ab compare names irq-latency-user" "LAB: hvb ab compare rows [1-9]"
	sed -n '/^LAB: hvb dev results.json begin$/,/^LAB: hvb dev results.json end$/p' \
		"$out/console.txt" | sed '1d;$d' >"$out/hvb-dev.json"
	if python3 - "$out/hvb-dev.json" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d['host']['arch'] == 'arm64', d['host']
got = {r['benchmark']: r for r in d['results']}
for name in ('irq-latency-user', 'irq-latency-irqfd', 'disk-rand-read', 'rng-read',
             'channel-ping'):
    r = got[name]
    assert r['status'] in ('ok', 'noisy'), (name, r['status'], r.get('error'))
    assert len(r['virt']['samples']) == 1, (name, r['virt'])
PY
		echo "PASS hvbench results.json: arm64, GPIO/disk/rng and channel-ping measured"
	else
		echo "FAIL hvbench device results.json (kept in $out/hvb-dev.json)"
		fails=$((fails + 1))
	fi
fi
check "lab machine finished" "LAB: done"
grep -E "hypervisor mode|vGIC|GICv3 ITS|IPA size|INIT: irq " "$out/console.txt" | sed 's/^/info: /' || true
echo "lab run: $secs s (QEMU status $qrc)"
[ "$fails" -eq 0 ] || exit 1
