#!/bin/sh
# mkinitrd.sh: builds the lab's two initramfs images (cpio newc, gzip).
#
#   mkinitrd.sh inner OUT [--bench FILE] [--vsockpeer FILE] [--uiochan FILE]
#       The Linux guest that runs under vmm: static busybox, sysbench and
#       cyclictest from this host with the shared libraries they load,
#       our bench runner when given, lab/realtool.sh as /bin/realtool.sh,
#       the kernel's virtio and ext4 modules under /lib/modules (load
#       order in /lib/modules/load-order; /init loads them for the virtio
#       checks), the vsock helper as /bin/vsockpeer when given, the
#       channel example (examples/uio-channel.c) as /bin/uio-channel when
#       given, and lab/init-inner.sh as /init.
#   mkinitrd.sh outer OUT --vmm FILE --inner FILE --guests DIR
#       The lab machine QEMU boots: busybox, the KVM modules (load order
#       in /lib/modules/load-order), the static monitor as /bin/vmm, the
#       tiny test guests DIR/*.elf, the kernel and the inner image under
#       /lab (and the kernel uncompressed as /lab/vmlinux, by
#       lab/extract-vmlinux.py), and lab/init-outer.sh as /init. With --boottime FILE, that
#       stopwatch as /bin/boottime, and this host's qemu-system-x86_64
#       (with its libraries and its firmware under /lab/qemu) so that the
#       boot-timing test can run QEMU/KVM beside vmm on the same guest.
#       The lab machine's own virtio modules (for the disk image QEMU gives
#       it, and tun) go under /lib/modules/virtio, loaded only by the
#       virtio tests; with --vsockpeer FILE the vsock helper as
#       /bin/vsockpeer. The VFIO modules (lab/cache/vfio) go under
#       /lib/modules/vfio, loaded only by the passthrough test.
#
# Needs lab/fetch.sh to have filled lab/cache/ (or $LAB_CACHE), and cpio,
# gzip and ldd on the host.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${LAB_CACHE:-$here/cache}

fail() {
	echo "lab/mkinitrd.sh: $*" >&2
	exit 1
}
usage() {
	fail "usage: mkinitrd.sh inner OUT [--bench FILE] [--vsockpeer FILE] [--uiochan FILE] | outer OUT --vmm FILE --inner FILE --guests DIR [--benchguest FILE] [--boottime FILE] [--vsockpeer FILE]"
}

[ $# -ge 2 ] || usage
kind=$1
out=$2
shift 2
bench="" vmm="" inner="" guests="" benchguest=""
boottime="" vsockpeer="" uiochan=""
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case $1 in
	--bench) bench=$2 ;;
	--vmm) vmm=$2 ;;
	--inner) inner=$2 ;;
	--guests) guests=$2 ;;
	--benchguest) benchguest=$2 ;;
	--boottime) boottime=$2 ;;
	--vsockpeer) vsockpeer=$2 ;;
	--uiochan) uiochan=$2 ;;
	*) usage ;;
	esac
	shift 2
done

[ -f "$cache/ready" ] || fail "lab/cache is not filled: run lab/fetch.sh first"
[ -f "$cache/virtio/ready" ] || fail "lab/cache has no virtio modules: run lab/fetch.sh again"
command -v cpio >/dev/null 2>&1 || fail "cpio not found (Debian package cpio)"
command -v gzip >/dev/null 2>&1 || fail "gzip not found (Debian package gzip)"

root=$(mktemp -d "${TMPDIR:-/tmp}/labinitrd.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/lab"
cp "$cache/busybox" "$root/bin/busybox"
# /init starts with #!/bin/sh; the other applet links are made by /init.
ln -s busybox "$root/bin/sh"
# The kernel needs /dev/console before /init runs to give it a console.
# Creating device nodes needs root; without it devtmpfs (mounted by /init)
# provides them, and the kernel falls back to no console until then.
mknod "$root/dev/console" c 5 1 2>/dev/null || true

# Copies the host program $1 to $2 in the image, with every shared library
# ldd names, each at the same path as on the host.
add_prog() {
	src=$1
	[ -x "$src" ] || fail "$src not found or not executable"
	mkdir -p "$root$(dirname "$2")"
	cp "$src" "$root$2"
	libs=$(ldd "$src" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p') || true
	if ldd "$src" 2>/dev/null | grep -q 'not found'; then
		fail "$src needs libraries this host lacks: $(ldd "$src" | grep 'not found' | tr '\n' ' ')"
	fi
	for l in $libs; do
		[ -e "$root$l" ] && continue
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l"
	done
}

# The boot-timing test's tools: the stopwatch, and QEMU as the peer
# monitor. QEMU is dynamically linked (about 50 libraries, which add_prog
# copies at their host paths); of its data files, a -kernel boot with
# -nodefaults reads only SeaBIOS, the Linux boot option ROM and the vapic
# ROM (found by tracing its file accesses), so only those go under
# /lab/qemu, which the test names with -L. Without QEMU on this host the
# image is still built, and the test says QEMU is missing.
add_timing_tools() {
	[ -x "$1" ] || fail "stopwatch $1 not found"
	if ldd "$1" >/dev/null 2>&1; then
		fail "$1 is dynamically linked; the lab needs it static"
	fi
	cp "$1" "$root/bin/boottime"
	if ! qemu=$(command -v qemu-system-x86_64); then
		echo "lab/mkinitrd.sh: qemu-system-x86_64 not found; the outer image has no QEMU" >&2
		return 0
	fi
	add_prog "$qemu" /bin/qemu-system-x86_64
	mkdir -p "$root/lab/qemu"
	for fw in bios-256k.bin linuxboot_dma.bin kvmvapic.bin; do
		for d in /usr/share/seabios /usr/share/qemu; do
			if [ -f "$d/$fw" ]; then
				cp -L "$d/$fw" "$root/lab/qemu/$fw"
				break
			fi
		done
		[ -f "$root/lab/qemu/$fw" ] || fail "QEMU firmware $fw not found in /usr/share/seabios or /usr/share/qemu"
	done
}

# add_modules LIST DIR: the modules lab/cache/virtio/load-order.LIST names
# into DIR of the image, with that list as DIR/load-order.
add_modules() {
	mkdir -p "$root$2"
	while read -r m; do
		cp "$cache/virtio/$m.ko" "$root$2/"
	done <"$cache/virtio/load-order.$1"
	cp "$cache/virtio/load-order.$1" "$root$2/load-order"
}

# The vsock helper, static like everything the images run bare.
add_vsockpeer() {
	[ -x "$1" ] || fail "vsock helper $1 not found"
	if ldd "$1" >/dev/null 2>&1; then
		fail "$1 is dynamically linked; the lab needs it static"
	fi
	cp "$1" "$root/bin/vsockpeer"
}

case $kind in
inner)
	cp "$here/init-inner.sh" "$root/init"
	# The converter from the real tools' reports to RESULT lines: /init runs
	# it for bench=sysbench-*|cyclictest, as hvbench runs it on the host.
	cp "$here/realtool.sh" "$root/bin/realtool.sh"
	chmod 755 "$root/bin/realtool.sh"
	prog=$(command -v sysbench) || fail "sysbench not found on this host (Debian package sysbench)"
	add_prog "$prog" /bin/sysbench
	if prog=$(command -v cyclictest); then
		add_prog "$prog" /bin/cyclictest
	else
		echo "lab/mkinitrd.sh: cyclictest not found (Debian package rt-tests); the inner image has none" >&2
	fi
	[ -z "$bench" ] || add_prog "$bench" /bin/bench
	add_modules inner /lib/modules
	# The driver of the passthrough case's e1000, when fetched.
	if [ -f "$cache/vfio/load-order.inner" ]; then
		mkdir -p "$root/lib/modules/vfio"
		while read -r m; do
			cp "$cache/vfio/$m.ko" "$root/lib/modules/vfio/"
		done <"$cache/vfio/load-order.inner"
		cp "$cache/vfio/load-order.inner" "$root/lib/modules/vfio/load-order"
	fi
	mkdir -p "$root/mnt"
	[ -z "$vsockpeer" ] || add_vsockpeer "$vsockpeer"
	if [ -n "$uiochan" ]; then
		[ -x "$uiochan" ] || fail "channel example $uiochan not found"
		! ldd "$uiochan" >/dev/null 2>&1 || fail "$uiochan is dynamically linked; the lab needs it static"
		cp "$uiochan" "$root/bin/uio-channel"
	fi
	;;
outer)
	if [ -z "$vmm" ] || [ -z "$inner" ] || [ -z "$guests" ]; then
		usage
	fi
	[ -x "$vmm" ] || fail "monitor $vmm not found"
	[ -f "$inner" ] || fail "inner image $inner not found"
	if ldd "$vmm" >/dev/null 2>&1; then
		fail "$vmm is dynamically linked; the lab needs the static build (make build/vmm-static)"
	fi
	cp "$here/init-outer.sh" "$root/init"
	cp "$vmm" "$root/bin/vmm"
	mkdir -p "$root/lib/modules" "$root/lab/guests"
	while read -r m; do
		cp "$cache/kernel/$m.ko" "$root/lib/modules/"
	done <"$cache/kernel/load-order"
	cp "$cache/kernel/load-order" "$root/lib/modules/"
	cp "$cache/kernel/vmlinuz" "$root/lab/vmlinuz"
	# The same kernel uncompressed (vmlinux, an ELF with the PVH note) for
	# the linux test's PVH boot. Without it the image is still built and
	# that run says why it is missing.
	if ! command -v python3 >/dev/null 2>&1; then
		echo "lab/mkinitrd.sh: python3 not found; the outer image has no /lab/vmlinux" >&2
	elif ! python3 "$here/extract-vmlinux.py" "$cache/kernel/vmlinuz" "$root/lab/vmlinux"; then
		echo "lab/mkinitrd.sh: vmlinux not extracted from $cache/kernel/vmlinuz; the outer image has no /lab/vmlinux" >&2
	fi
	cp "$inner" "$root/lab/inner.cpio.gz"
	found=0
	for g in "$guests"/*.elf; do
		[ -f "$g" ] || continue
		cp "$g" "$root/lab/guests/"
		found=1
	done
	[ "$found" = 1 ] || fail "no test guests in $guests (make the guests first)"
	# The benchmark guest, to prove it under hardware virtualisation too.
	[ -z "$benchguest" ] || cp "$benchguest" "$root/lab/guests/benchguest.elf"
	[ -z "$boottime" ] || add_timing_tools "$boottime"
	# SeaBIOS for the firmware test (vmm run --firmware), when installed.
	[ ! -f /usr/share/seabios/bios-256k.bin ] || cp -L /usr/share/seabios/bios-256k.bin "$root/lab/"
	add_modules outer /lib/modules/virtio
	[ -z "$vsockpeer" ] || add_vsockpeer "$vsockpeer"
	# The VFIO modules of the passthrough case, when fetched.
	if [ -f "$cache/vfio/ready" ]; then
		mkdir -p "$root/lib/modules/vfio"
		while read -r m; do
			cp "$cache/vfio/$m.ko" "$root/lib/modules/vfio/"
		done <"$cache/vfio/load-order"
		cp "$cache/vfio/load-order" "$root/lib/modules/vfio/"
	fi
	;;
*)
	usage
	;;
esac
chmod 755 "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 -n >"$out.tmp"
mv "$out.tmp" "$out"
echo "lab/mkinitrd.sh: $out ($kind, $(du -k "$out" | cut -f1) KiB)" >&2
