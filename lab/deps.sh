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
# file system (dosfstools) and mtools to fill it without mounting.
PKGS="gcc make binutils seabios clang libclang-rt-14-dev libcmocka-dev libjansson-dev \
gnuplot-nox sysbench python3 acpica-tools qemu-system-x86 cpio rt-tests \
libconfig-dev libseccomp-dev e2fsprogs cppcheck frama-c-base why3 z3 cvc4 \
syslinux syslinux-common dosfstools mtools"
# The arm64 benchmark guest: the cross compiler, and QEMU's arm64 system
# emulator, which boots it in make test (tests/arm64/).
PKGS="$PKGS gcc-aarch64-linux-gnu qemu-system-arm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing" >&2
	echo "install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing >/dev/null; then
	apt-get update >/dev/null
	apt-get install -y --no-install-recommends $missing >/dev/null
fi
