#!/bin/sh
# lab/arm64/fetch.sh: fills $LAB_CACHE/arm64/ with what the arm64 lab boots,
# from this Debian release's archive (the arm64 packages, through apt's
# multiarch: dpkg --add-architecture arm64, done by lab/deps.sh):
#
#   arm64/debs/        the downloaded .deb files
#   arm64/Image        the kernel linux-image-arm64 points at: Debian 12
#                      ships /boot/vmlinuz as an uncompressed arm64 Image
#                      (checked here: an EFI zboot or gzip'd one is refused)
#   arm64/modules/     the virtio disk's modules, uncompressed, and
#   arm64/load-order   the order to load them in, dependencies first
#   arm64/busybox      static busybox (busybox-static:arm64)
#   arm64/ready        stamp
#
# Idempotent; every failure names the step and the package (exit 1).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${LAB_CACHE:-$here/cache}/arm64
want_modules="virtio_pci virtio_blk"

fail() {
	echo "lab/arm64/fetch.sh: $*" >&2
	exit 1
}
[ -f "$cache/ready" ] && exit 0
command -v apt-get >/dev/null 2>&1 || fail "apt-get not found"
command -v dpkg-deb >/dev/null 2>&1 || fail "dpkg-deb not found (package dpkg)"
dpkg --print-foreign-architectures | grep -qx arm64 ||
	fail "dpkg has no arm64 architecture: run lab/deps.sh (dpkg --add-architecture arm64; apt-get update)"
mkdir -p "$cache/debs"
work=$(mktemp -d "${TMPDIR:-/tmp}/labfetch64.XXXXXX")
trap 'rm -rf "$work"' EXIT

download() {
	set -- "$1" -q
	[ "$(id -u)" -eq 0 ] && set -- "$@" -o APT::Sandbox::User=root
	pkg=$1
	shift
	(cd "$cache/debs" && apt-get "$@" download "$pkg:arm64") >"$work/apt.log" 2>&1 ||
		fail "downloading $pkg:arm64 failed:
$(tail -5 "$work/apt.log")"
}
deb_of() {
	# shellcheck disable=SC2012 # plain file names
	ls -t "$cache/debs/$1"_*_arm64.deb 2>/dev/null | head -n 1
}

[ -n "$(deb_of linux-image-arm64)" ] || download linux-image-arm64
meta=$(deb_of linux-image-arm64)
kpkg=$(dpkg-deb -f "$meta" Depends | tr '|' ',' | tr ',' '\n' | sed 's/(.*//; s/[[:space:]]//g' |
	grep '^linux-image-[0-9]' | head -n 1)
[ -n "$kpkg" ] || fail "cannot tell the kernel package from $meta"
[ -n "$(deb_of "$kpkg")" ] || download "$kpkg"
kdeb=$(deb_of "$kpkg")
[ -n "$(deb_of busybox-static)" ] || download busybox-static

echo "lab/arm64/fetch.sh: extracting $(basename "$kdeb")" >&2
dpkg-deb -x "$kdeb" "$work/k" || fail "cannot extract $kdeb"
vmlinuz=$(find "$work/k/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$vmlinuz" ] || fail "$kdeb holds no /boot/vmlinuz-*"
# An arm64 Image has "ARM\x64" at offset 56 (booting.rst).
magic=$(od -An -tx1 -j56 -N4 "$vmlinuz" | tr -d ' \n')
[ "$magic" = 41524d64 ] ||
	fail "$vmlinuz is not an uncompressed arm64 Image (magic $magic); this lab expects Debian 12's"
release=${vmlinuz##*/vmlinuz-}
moddir=$(find "$work/k" -type d -path "*/modules/$release" | head -n 1)
[ -n "$moddir" ] || fail "$kdeb holds no modules for $release"

rm -rf "$cache/modules" "$cache/load-order"
mkdir -p "$cache/modules"
order=$cache/load-order
: >"$work/seen"
# Module $1 uncompressed into modules/, after its dependencies (from its
# own .modinfo depends=). Recursion clobbers variables: only $1 after it.
add_module() {
	name=$1
	grep -qx "$name" "$work/seen" && return 0
	echo "$name" >>"$work/seen"
	alt=$(echo "$name" | tr '_-' '-_')
	file=$(find "$moddir" \( -name "$name.ko*" -o -name "$alt.ko*" \) | head -n 1)
	[ -n "$file" ] || fail "module $name not found in $kdeb"
	out="$cache/modules/$name.ko"
	case $file in
	*.ko) cp "$file" "$out" ;;
	*.ko.xz) xz -dc "$file" >"$out" || fail "cannot decompress $file" ;;
	*) fail "unexpected module file $file" ;;
	esac
	deps=$(tr '\0' '\n' <"$out" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
	for d in $deps; do
		add_module "$d"
	done
	echo "$1" >>"$order"
}
for m in $want_modules; do
	add_module "$m"
done
cp "$vmlinuz" "$cache/Image"
dpkg-deb -x "$(deb_of busybox-static)" "$work/bb" || fail "cannot extract busybox-static"
cp "$work/bb/bin/busybox" "$cache/busybox"
echo "$release" >"$cache/ready"
echo "lab/arm64/fetch.sh: kernel $release, modules: $(tr '\n' ' ' <"$order")" >&2
