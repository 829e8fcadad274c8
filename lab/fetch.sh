#!/bin/sh
# fetch.sh: fills lab/cache/ with what the nested lab boots from, taken from
# this Debian release's archive: the kernel that linux-image-amd64 points at
# (vmlinuz plus the KVM modules and their dependencies) and a static busybox.
#
#   lab/cache/debs/            the downloaded .deb files
#   lab/cache/kernel/vmlinuz   the kernel (used both outside and inside vmm)
#   lab/cache/kernel/*.ko      uncompressed modules
#   lab/cache/kernel/load-order  module names, dependencies first
#   lab/cache/kernel/release   the kernel release string (uname -r)
#   lab/cache/busybox          static busybox
#   lab/cache/virtio/*.ko      uncompressed virtio (and ext4) modules of the
#                              same kernel, for the virtio cases
#   lab/cache/virtio/load-order.inner  what the Linux guest loads, in order
#   lab/cache/virtio/load-order.outer  what the lab machine loads to see its
#                              own virtio disk and to make a TAP
#   lab/cache/vfio/*.ko, load-order  the VFIO modules (and e1000) the lab
#                              machine loads for the passthrough case;
#                              load-order.inner: the Linux guest's e1000
#
# Idempotent: once lab/cache/ready exists and lab/cache/virtio/ready names
# the module lists below it does nothing; a cache filled before the virtio modules were wanted only gets
# them added (from the kernel package already downloaded). Every failure
# names the step and the package; the exit status is 1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${LAB_CACHE:-$here/cache}
# The modules /dev/kvm needs on an AMD-V machine; their dependencies are
# added from each module's own modinfo.
want_modules="kvm-amd"
# The Linux guest's virtio drivers (the PCI transport, disk, entropy,
# network, vsock) and ext4 for the disk it mounts. ext4 and jbd2 name their
# checksum only as a soft dependency (softdep=pre: crypto-crc32c, an alias
# that depends= does not list), so crc32c_generic is named here.
# uio_pci_generic (and uio) for the channel case: a Linux program maps our
# channel function with the stock driver (examples/uio-channel.c).
want_inner="virtio_pci virtio_blk virtio-rng virtio_net vmw_vsock_virtio_transport virtio_console crc32c_generic ext4 uio_pci_generic"
# The lab machine's own: the disk QEMU gives it (the image the host made),
# tun for the TAP the guest's network reaches, and vhost_vsock for the
# QEMU/KVM reference run's vsock device.
want_outer="virtio_pci virtio_blk tun vhost_vsock"
# The lab machine's VFIO stack, for the passthrough case (lab.test=vfio):
# the type1 IOMMU back end and vfio-pci; the IOMMU drivers themselves
# (intel-iommu, amd-iommu) are built into Debian's kernel. Kept in
# lab/cache/vfio/ with a stamp of its own, so that this list and the
# virtio lists change without refetching each other.
want_vfio="vfio_iommu_type1 vfio_pci e1000"
# The Linux guest's driver for the passed-through e1000 (its virtio-rng
# uses the virtio modules above).
want_vfio_inner="e1000"

fail() {
	echo "lab/fetch.sh: $*" >&2
	exit 1
}

# The virtio stamp names the wanted lists, so that a changed list is fetched.
virtio_want="guest: $want_inner; lab machine: $want_outer"
[ -f "$cache/ready" ] && [ "$(head -n 1 "$cache/virtio/ready" 2>/dev/null)" = "$virtio_want" ] &&
	[ "$(head -n 1 "$cache/vfio/ready" 2>/dev/null)" = "vfio: $want_vfio; guest: $want_vfio_inner" ] &&
	exit 0

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: the lab takes its kernel and busybox from a Debian archive"
command -v dpkg-deb >/dev/null 2>&1 || fail "dpkg-deb not found (package dpkg)"

mkdir -p "$cache/debs"
work=$(mktemp -d "${TMPDIR:-/tmp}/labfetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

# apt-get download PKG into the debs directory; on "unable to locate"
# refresh the package lists once (root only) and try again.
refreshed=0
download() {
	pkg=$1
	set -- -q
	# As root, apt drops to the _apt user, which cannot write here.
	[ "$(id -u)" -eq 0 ] && set -- "$@" -o APT::Sandbox::User=root
	if (cd "$cache/debs" && apt-get "$@" download "$pkg") >"$work/apt.log" 2>&1; then
		return 0
	fi
	if [ "$refreshed" -eq 0 ] && [ "$(id -u)" -eq 0 ] &&
	    grep -q -i -e 'unable to locate' -e 'no candidate' "$work/apt.log"; then
		refreshed=1
		echo "lab/fetch.sh: $pkg not in the package lists; running apt-get update" >&2
		apt-get -q update >"$work/update.log" 2>&1 ||
			fail "apt-get update failed (no network or no mirror?):
$(tail -5 "$work/update.log")"
		(cd "$cache/debs" && apt-get "$@" download "$pkg") >"$work/apt.log" 2>&1 && return 0
	fi
	if grep -q -i -e 'unable to locate' -e 'no candidate' "$work/apt.log"; then
		fail "package $pkg not found in the configured Debian archive:
$(tail -5 "$work/apt.log")"
	fi
	fail "downloading package $pkg failed (no network or mirror unreachable?):
$(tail -5 "$work/apt.log")"
}

# The newest .deb of PKG in the cache.
deb_of() {
	# Names are PKG_VERSION_ARCH.deb; apt escapes ':' in versions as %3a.
	# shellcheck disable=SC2012 # plain file names, no special characters
	ls -t "$cache/debs/$1"_*.deb 2>/dev/null | head -n 1
}

have_deb() {
	[ -n "$(deb_of "$1")" ]
}

# --- the kernel ----------------------------------------------------------
# linux-image-amd64 is a metapackage; its one Depends names the real
# package (linux-image-6.1.0-NN-amd64 on bookworm).
have_deb linux-image-amd64 || download linux-image-amd64
meta=$(deb_of linux-image-amd64)
kpkg=$(dpkg-deb -f "$meta" Depends | tr '|' ',' | tr ',' '\n' | sed 's/(.*//; s/[[:space:]]//g' |
	grep '^linux-image-[0-9]' | head -n 1)
[ -n "$kpkg" ] || fail "cannot tell the kernel package from $meta (Depends: $(dpkg-deb -f "$meta" Depends))"
have_deb "$kpkg" || download "$kpkg"
kdeb=$(deb_of "$kpkg")

echo "lab/fetch.sh: extracting $(basename "$kdeb")" >&2
dpkg-deb -x "$kdeb" "$work/k" || fail "cannot extract $kdeb"
vmlinuz=$(find "$work/k/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$vmlinuz" ] || fail "$kdeb holds no /boot/vmlinuz-*"
release=${vmlinuz##*/vmlinuz-}
moddir=$(find "$work/k" -type d -path "*/modules/$release" | head -n 1)
[ -n "$moddir" ] || fail "$kdeb holds no modules directory for $release"

# Copies module $1 (a name as modinfo spells it, '-' or '_') uncompressed
# into $dest, after its dependencies; appends it to $order. $work/seen
# lists the modules already in $order. POSIX sh has no local variables: the
# recursion below clobbers every variable, so after it only $1 is used.
add_module() {
	name=$1
	grep -qx "$name" "$work/seen" 2>/dev/null && return 0
	echo "$name" >>"$work/seen"
	alt=$(echo "$name" | tr '_-' '-_')
	file=$(find "$moddir" \( -name "$name.ko*" -o -name "$alt.ko*" \) | head -n 1)
	[ -n "$file" ] || fail "module $name not found in $kdeb"
	out="$dest/$name.ko"
	case $file in
	*.ko) cp "$file" "$out" ;;
	*.ko.xz) xz -dc "$file" >"$out" || fail "cannot decompress $file (xz)" ;;
	*.ko.zst) zstd -qdc "$file" >"$out" || fail "cannot decompress $file (zstd)" ;;
	*.ko.gz) gzip -dc "$file" >"$out" || fail "cannot decompress $file (gzip)" ;;
	*) fail "unexpected module file $file" ;;
	esac
	# The .modinfo section holds NUL-separated key=value strings.
	deps=$(tr '\0' '\n' <"$out" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
	for d in $deps; do
		add_module "$d"
	done
	echo "$1" >>"$order"
}
# add_modules ORDERFILE NAME...: NAME and their dependencies into $dest,
# ORDERFILE listing them dependencies first.
add_modules() {
	order=$1
	shift
	: >"$order"
	: >"$work/seen"
	for m in "$@"; do
		add_module "$m"
	done
}

if [ ! -f "$cache/ready" ]; then
	rm -rf "$cache/kernel.new"
	mkdir -p "$cache/kernel.new"
	cp "$vmlinuz" "$cache/kernel.new/vmlinuz"
	echo "$release" >"$cache/kernel.new/release"
	dest=$cache/kernel.new
	# shellcheck disable=SC2086 # a list of module names
	add_modules "$cache/kernel.new/load-order" $want_modules
	rm -rf "$cache/kernel"
	mv "$cache/kernel.new" "$cache/kernel"

	# --- busybox -------------------------------------------------------
	have_deb busybox-static || download busybox-static
	bdeb=$(deb_of busybox-static)
	dpkg-deb -x "$bdeb" "$work/bb" || fail "cannot extract $bdeb"
	[ -x "$work/bb/bin/busybox" ] || fail "$bdeb holds no bin/busybox"
	cp "$work/bb/bin/busybox" "$cache/busybox"

	echo "kernel $release ($kpkg), modules: $(tr '\n' ' ' <"$cache/kernel/load-order")" >"$cache/ready"
	echo "lab/fetch.sh: $(cat "$cache/ready")" >&2
fi

# --- the virtio modules ------------------------------------------------------
# From the same package as the kernel above, so that they load into it.
[ "$(cat "$cache/kernel/release")" = "$release" ] ||
	fail "lab/cache/kernel is $(cat "$cache/kernel/release") but $kdeb is $release: empty lab/cache and fetch again"
rm -rf "$cache/virtio.new"
mkdir -p "$cache/virtio.new"
dest=$cache/virtio.new
# shellcheck disable=SC2086 # lists of module names
add_modules "$dest/load-order.inner" $want_inner
# shellcheck disable=SC2086
add_modules "$dest/load-order.outer" $want_outer
{
	echo "$virtio_want"
	echo "kernel $release, guest: $(tr '\n' ' ' <"$dest/load-order.inner"); lab machine: $(tr '\n' ' ' <"$dest/load-order.outer")"
} >"$dest/ready"
rm -rf "$cache/virtio"
mv "$cache/virtio.new" "$cache/virtio"
echo "lab/fetch.sh: virtio modules: $(tail -n 1 "$cache/virtio/ready")" >&2

# --- the VFIO modules --------------------------------------------------------
if [ "$(head -n 1 "$cache/vfio/ready" 2>/dev/null)" != "vfio: $want_vfio; guest: $want_vfio_inner" ]; then
	rm -rf "$cache/vfio.new"
	mkdir -p "$cache/vfio.new"
	dest=$cache/vfio.new
	# shellcheck disable=SC2086 # a list of module names
	add_modules "$dest/load-order" $want_vfio
	# shellcheck disable=SC2086
	add_modules "$dest/load-order.inner" $want_vfio_inner
	{
		echo "vfio: $want_vfio; guest: $want_vfio_inner"
		echo "kernel $release: $(tr '\n' ' ' <"$dest/load-order")"
	} >"$dest/ready"
	rm -rf "$cache/vfio"
	mv "$cache/vfio.new" "$cache/vfio"
	echo "lab/fetch.sh: vfio modules: $(tail -n 1 "$cache/vfio/ready")" >&2
fi
