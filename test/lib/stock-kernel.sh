#!/bin/bash
# stock-kernel.sh - locate Debian's installed stock 6.1 kernel for QEMU tests.
#
# Usage: test/lib/stock-kernel.sh            (newest /boot/vmlinuz-6.1.*-amd64)
#        KVER=6.1.0-56-amd64 test/lib/stock-kernel.sh
# Prints:
#   vmlinux=<uncompressed ELF vmlinux, bootable directly via PVH>
#   kdir=<kbuild dir for out-of-tree modules, /lib/modules/$KVER/build>
# The vmlinux is extracted once from /boot/vmlinuz-$KVER into
# ${RL_CACHE:-$HOME/.cache/reuseport_lab}/stock/vmlinux-$KVER and reused.
set -eu

die() { echo "stock-kernel: $*" >&2; exit 1; }

if [ -z "${KVER:-}" ]; then
	# newest installed 6.1 amd64 kernel (version sort on the file names)
	KVER=$(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sort -V | tail -n1)
	KVER=${KVER#/boot/vmlinuz-}
	[ -n "$KVER" ] || die "no /boot/vmlinuz-6.1.*-amd64 (apt install linux-image-amd64)"
fi
vmlinuz=/boot/vmlinuz-$KVER
kdir=/lib/modules/$KVER/build
[ -r "$vmlinuz" ] || die "missing $vmlinuz"
[ -f "$kdir/Makefile" ] || die "missing headers $kdir (apt install linux-headers-$KVER)"
kdir=$(readlink -f "$kdir")

cache=${RL_CACHE:-$HOME/.cache/reuseport_lab}/stock
out=$cache/vmlinux-$KVER

is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; }

if ! is_elf "$out"; then
	command -v xz >/dev/null || die "xz not installed (apt install xz-utils)"
	mkdir -p "$cache"
	tmp=$out.tmp.$$
	trap 'rm -f "$tmp"' EXIT
	# Same idea as scripts/extract-vmlinux: the bzImage payload is an xz
	# stream (CONFIG_KERNEL_XZ); try each xz magic offset until one
	# decompresses to an ELF.  xz complains about the trailing bzImage
	# bytes after the stream, so its exit status is ignored.
	ok=
	for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1); do
		tail -c +$((off + 1)) "$vmlinuz" | xz -dcq >"$tmp" 2>/dev/null || :
		if is_elf "$tmp"; then ok=1; break; fi
	done
	[ -n "$ok" ] || die "could not extract an ELF vmlinux from $vmlinuz (not xz?)"
	mv -f "$tmp" "$out"
	trap - EXIT
fi

echo "vmlinux=$out"
echo "kdir=$kdir"
