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
check "linux read its virtio disk" "INIT: disk says: hvvmm-arm64-disk"
check "linux powered off, vmm ended with 0" "LAB: linux status 0 "
if [ -n "${BENCHGUEST:-}" ]; then
	for c in $(cat "$CASES"); do
		check "benchmark guest $c" "LAB: guest $c status 1\$"
	done
fi
check "lab machine finished" "LAB: done"
grep -E "hypervisor mode|vGIC|IPA size" "$out/console.txt" | sed 's/^/info: /' || true
echo "lab run: $secs s (QEMU status $qrc)"
[ "$fails" -eq 0 ] || exit 1
