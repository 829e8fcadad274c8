#!/bin/sh
# mkbootdisk.sh OUT KERNEL INITRD CMDLINE: a raw disk image that PC
# firmware boots through its own boot loader, for the lab's firmware test
# (SeaBIOS under vmm, lab.test=firmware). Made from Debian packages
# without mounting anything:
#   sector 0      SYSLINUX's MBR boot code (syslinux-common: mbr.bin) and
#                 a partition table with one active FAT16 partition (LBA)
#   from 1 MiB    the partition: a FAT16 file system (dosfstools' mkfs.fat)
#                 with SYSLINUX installed in it (syslinux --install, through
#                 mtools), KERNEL as vmlinuz, INITRD as initrd.gz and a
#                 syslinux.cfg that boots them with CMDLINE on COM1
# The image is 64 MiB. Failures name the step.
set -eu

fail() {
	echo "lab/mkbootdisk.sh: $*" >&2
	exit 1
}
[ $# -eq 4 ] || fail "usage: mkbootdisk.sh OUT KERNEL INITRD CMDLINE"
out=$1 kernel=$2 initrd=$3 cmdline=$4
[ -f "$kernel" ] || fail "kernel $kernel not found"
[ -f "$initrd" ] || fail "initrd $initrd not found"
mbr=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$mbr" ] || fail "$mbr not found (Debian package syslinux-common)"
for p in syslinux mkfs.fat mcopy python3; do
	command -v "$p" >/dev/null 2>&1 || fail "$p not found (lab/deps.sh installs syslinux, dosfstools, mtools)"
done

size_mb=64
start=2048                           # sectors: the partition at 1 MiB
sectors=$((size_mb * 2048 - start))
tmp="$out.tmp"
rm -f "$tmp"
truncate -s "${size_mb}M" "$tmp"
# The file system first, in place at its offset (mkfs.fat --offset takes
# sectors; -h the hidden sectors the boot sector records).
mkfs.fat -F 16 -n HVVMM --offset "$start" -h "$start" "$tmp" $((sectors / 2)) >/dev/null ||
	fail "mkfs.fat failed"
off=$((start * 512))
syslinux --offset "$off" --install "$tmp" || fail "syslinux --install failed"
cfg=$(mktemp "${TMPDIR:-/tmp}/syslinux.cfg.XXXXXX")
trap 'rm -f "$cfg"' EXIT
cat >"$cfg" <<CFG
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT linux
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND $cmdline
CFG
MTOOLS_SKIP_CHECK=1 mcopy -i "$tmp@@$off" "$kernel" ::vmlinuz || fail "mcopy $kernel failed"
MTOOLS_SKIP_CHECK=1 mcopy -i "$tmp@@$off" "$initrd" ::initrd.gz || fail "mcopy $initrd failed"
MTOOLS_SKIP_CHECK=1 mcopy -i "$tmp@@$off" "$cfg" ::syslinux.cfg || fail "mcopy syslinux.cfg failed"
# The MBR: boot code (440 bytes), then one partition entry (MBR layout:
# status 0x80 active, CHS fields unused with LBA, type 0x0e FAT16 LBA,
# le32 first sector, le32 sector count) and the 0x55aa signature.
dd if="$mbr" of="$tmp" bs=440 count=1 conv=notrunc 2>/dev/null || fail "cannot write the MBR"
python3 - "$tmp" "$start" "$sectors" <<'PY' || fail "cannot write the partition table"
import struct, sys
path, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
entry = struct.pack('<B3sB3sII', 0x80, b'\xfe\xff\xff', 0x0e, b'\xfe\xff\xff', start, count)
with open(path, 'r+b') as f:
    f.seek(446)
    f.write(entry + bytes(48) + b'\x55\xaa')
PY
mv "$tmp" "$out"
echo "lab/mkbootdisk.sh: $out (${size_mb} MiB, SYSLINUX, cmdline: $cmdline)" >&2
