#!/bin/sh
# Installs the Debian packages the build and the tests need. As root it runs
# apt-get itself; otherwise it prints the apt-get line to run.
set -eu

# build and unit tests: C compilers, cmocka (unit test framework), libFuzzer
# and the sanitizer runtimes (clang + libclang-rt), JSON for hvbench
# (jansson), charts (gnuplot), the reference sysbench for comparisons, and
# iasl (acpica-tools), which compiles the machine's ACPI DSDT; the nested
# lab: QEMU, cpio for its initramfs images, and cyclictest (rt-tests);
# libconfig (system descriptions) and libseccomp (the sandbox); e2fsprogs
# for the lab's virtio disk tests (mke2fs -d, debugfs, e2fsck on the host);
# make lint: cppcheck (clang's analyzer comes with clang); make prove:
# Frama-C (frama-c-base) and the provers WP reaches through Why3 (why3, z3,
# cvc4); firmware boot: SeaBIOS (seabios), booted by the KVM tests, and
# for the lab's firmware disk SYSLINUX (syslinux, syslinux-common), a FAT
# file system (dosfstools) and mtools to fill it without mounting. arm64:
# the cross compiler (gcc-aarch64-linux-gnu with its libc),
# libfdt (the device tree; libfdt-dev for the host's unit tests) and dtc
# (device-tree-compiler, which the tests decompile the tree with), QEMU's
# arm64 machine for the arm64 lab (qemu-system-arm), and the arm64 builds
# of the libraries the monitor and hvbench link (ARM64_PKGS, through multiarch).
PKGS="gcc make binutils seabios clang libclang-rt-14-dev libcmocka-dev libjansson-dev \
gnuplot-nox sysbench python3 acpica-tools qemu-system-x86 cpio rt-tests \
libconfig-dev libseccomp-dev e2fsprogs cppcheck frama-c-base why3 z3 cvc4 \
syslinux syslinux-common dosfstools mtools \
gcc-aarch64-linux-gnu libc6-dev-arm64-cross libfdt-dev device-tree-compiler qemu-system-arm"
ARM64_PKGS="libseccomp-dev:arm64 libconfig-dev:arm64 libjansson-dev:arm64"
# Debian's libfdt-dev cannot be installed for two architectures at once
# (it is not Multi-Arch: same), so the arm64 package's libfdt.a is
# unpacked here instead (the Makefile's ARM64_LIBDIR).
ARM64_LIBDIR=${ARM64_LIBDIR:-/usr/local/lib/aarch64-linux-gnu}

arm64_fdt() {
	[ -f "$ARM64_LIBDIR/libfdt.a" ] && return 0
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download libfdt-dev:arm64 >/dev/null &&
		dpkg-deb -x libfdt-dev_*_arm64.deb x) &&
		mkdir -p "$ARM64_LIBDIR" && cp "$tmp/x/usr/lib/aarch64-linux-gnu/libfdt.a" "$ARM64_LIBDIR/"
	rc=$?
	rm -rf "$tmp"
	return $rc
}

missing=""
for p in $PKGS $ARM64_PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	[ -f "$ARM64_LIBDIR/libfdt.a" ] && exit 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing: $ARM64_LIBDIR/libfdt.a (run lab/deps.sh as root)" >&2
		exit 1
	fi
	arm64_fdt
	exit $?
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing" >&2
	echo "install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The arm64 libraries come through multiarch: dpkg must know the
# architecture, and apt its package lists.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update >/dev/null
fi
if ! apt-get install -y --no-install-recommends $missing >/dev/null; then
	apt-get update >/dev/null
	apt-get install -y --no-install-recommends $missing >/dev/null
fi
arm64_fdt
