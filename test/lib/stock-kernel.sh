#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# stock-kernel.sh - fetch (never install) one of Debian's stock kernels for
# the QEMU tests: its vmlinux and a kbuild directory to build modules with.
#
# Usage: test/lib/stock-kernel.sh [NAME]        (default: deb12)
#
#   NAME  a stock kernel of test/kernels/kernels.tsv (deb12, bpo12, sid, ...):
#         its suite and flavour say where from.
# Prints (for eval):
#   vmlinux=<uncompressed ELF vmlinux, bootable directly via PVH>
#   kdir=<kbuild dir: make -C <kdir> M=<dir> modules W=1 builds with gcc-12>
#   version=<the package version>  release=<uname -r of that kernel>
#   config=<the kernel's .config, from its image package>
# and to stderr: fetch: <name> <version> <cold|cached> <seconds> s
#
# The newest version of the suite's linux-image-<flavour> metapackage is
# resolved with the private apt configuration of test/kernels/apt.sh; the
# image and the headers (linux-headers-<abi>-<flavour>, -common and
# linux-kbuild, the same version: module vermagic and Module.symvers must
# match the image) are downloaded into the cache and unpacked into
# $RL_CACHE/stock/<release>_<version>/ (only the image's vmlinuz and config
# are unpacked; the modules are not needed).  A complete directory has a
# .done marker and is reused as is.  For deb12, the installed
# /lib/modules/<release>/build is used when linux-headers-<release> of the
# same version is installed (test/lib/deps.sh installs linux-headers-amd64).
#
# Headers of newer kernels come from newer toolchains; they are adapted, in
# the unpacked copy only, to this machine's gcc-12 (see fix_headers) and
# checked with a smoke module built with W=1 that must give no warning.
set -eu

die() { echo "stock-kernel: $*" >&2; exit 1; }
say() { echo "stock-kernel: $*" >&2; }

here=$(cd "$(dirname "$0")" && pwd)
name=${1:-deb12}
table=$here/../kernels/kernels.tsv
# Bump when what is made below changes: part of the directory's name.
RECIPE=s2

row=$(awk -v n="$name" '!/^#/ && $1 == n' "$table")
[ -n "$row" ] || die "no kernel '$name' in $table"
read -r _ origin suite flavour _ <<<"$row"
[ "$origin" = stock ] || die "$name is not a stock kernel (origin $origin)"

# shellcheck source=../kernels/apt.sh
. "$here/../kernels/apt.sh"
cache=$rl_cache/stock
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

rl_apt_update
ver=$(rl_apt_newest "$suite" "linux-image-$flavour")
[ -n "$ver" ] || die "no linux-image-$flavour in $suite"
img=$(rl_apt_deps "linux-image-$flavour" "$ver" | grep -m1 '^linux-image-[0-9]') ||
	die "linux-image-$flavour=$ver names no versioned image"
rel=${img#linux-image-}
dir=$cache/${rel}_${ver}_$RECIPE
vmlinux=$dir/vmlinux

# The kbuild directory: the installed one if it is exactly this version.
instkdir=
if [ -f "/lib/modules/$rel/build/Makefile" ] &&
   [ "$(dpkg-query -W -f='${Version}' "linux-headers-$rel" 2>/dev/null)" = "$ver" ]; then
	instkdir=$(readlink -f "/lib/modules/$rel/build")
fi
kdir=${instkdir:-$dir/root/usr/src/linux-headers-$rel}

report() {
	echo "fetch: $name $ver $1 $(since "$t0") s" >&2
	echo "vmlinux=$vmlinux"
	echo "kdir=$kdir"
	echo "version=$ver"
	echo "release=$rel"
	echo "config=$dir/config"
}

# prove: a smoke module built against $kdir with W=1 must give no warning at
# all (and load on this kernel: its vermagic); Module.symvers must be there
# where the kernel has MODVERSIONS.
prove() {
	if grep -q '^CONFIG_MODVERSIONS=y' "$dir/config"; then
		[ -s "$kdir/Module.symvers" ] || die "$name: CONFIG_MODVERSIONS=y but no $kdir/Module.symvers"
	fi
	smoke=$(mktemp -d "${TMPDIR:-/tmp}/rl-smoke.XXXXXX")
	trap 'rm -rf "$smoke"' EXIT
	echo 'obj-m := rl_smoke.o' >"$smoke/Kbuild"
	cat >"$smoke/rl_smoke.c" <<-'EOF'
	#include <linux/module.h>
	#include <linux/rcupdate.h>
	/* cond_resched_rcu(): linux/sched.h in 6.1, linux/rcupdate_wait.h in 6.12+ */
	#include <linux/rcupdate_wait.h>
	#include <linux/sched.h>
	#include <linux/slab.h>
	#include <linux/net.h>
	#include <net/sock.h>
	static int __init rl_smoke_init(void)
	{
		void *p = kmalloc(16, GFP_KERNEL);

		rcu_read_lock();
		cond_resched_rcu();
		rcu_read_unlock();
		kfree(p);
		return 0;
	}
	static void __exit rl_smoke_exit(void) { }
	module_init(rl_smoke_init);
	module_exit(rl_smoke_exit);
	MODULE_LICENSE("GPL");
	MODULE_DESCRIPTION("reuseport_lab KDIR smoke test");
	EOF
	echo "== smoke module, W=1" >>"$log"
	if ! make -C "$kdir" M="$smoke" modules W=1 >"$smoke/log" 2>&1 || [ ! -f "$smoke/rl_smoke.ko" ]; then
		cat "$smoke/log" >>"$log"
		sed 's/^/  /' "$smoke/log" | tail -n 30 >&2
		die "$name: smoke module build against $kdir failed"
	fi
	cat "$smoke/log" >>"$log"
	if grep -qi 'warning' "$smoke/log"; then
		grep -i -A3 'warning' "$smoke/log" | sed 's/^/  /' >&2
		die "$name: smoke module build against $kdir gave warnings"
	fi
	modinfo -F vermagic "$smoke/rl_smoke.ko" | grep -q "^$rel " ||
		die "$name: smoke module's vermagic is not $rel"
}

mkdir -p "$cache"
exec {lock}>"$cache/.lock-$rel"
flock $lock
if [ -f "$dir/.done" ] && { [ -n "$instkdir" ] || [ -f "$dir/.done-headers" ]; }; then
	report cached
	exit 0
fi

say "$name: fetching $rel $ver into $dir"
rm -rf "$dir"
mkdir -p "$dir/img" "$dir/root"
log=$dir/prepare.log
: >"$log"

# pick PKG...: the first package that exists in version $ver.
pick() {
	local p
	for p in "$@"; do
		if rl_apt_has "$p" "$ver"; then echo "$p"; return 0; fi
	done
	return 1
}

# 1. The image.  6.1/6.12: linux-image-<rel>[-unsigned] holds /boot/vmlinuz
#    and /boot/config; 7.x splits it into linux-binary[-unsigned]-<rel>
#    (/usr/lib/modules/<rel>/vmlinuz*) and linux-base-<rel> (config).
bin=$(pick "linux-binary-unsigned-$rel" "$img-unsigned" "linux-binary-$rel" "$img") ||
	die "no package with the kernel image of $img $ver"
pkgs=$bin
if rl_apt_has "linux-base-$rel" "$ver"; then pkgs="$pkgs linux-base-$rel"; fi
for p in $pkgs; do
	deb=$(rl_apt_get "$p" "$ver")
	# only the image and the config (the modules are hundreds of MB)
	members=$(dpkg-deb -c "$deb" | awk '{ print $NF }' |
		grep -E '^\./(boot/(vmlinuz|config)-|(usr/)?lib/modules/[^/]+/(vmlinuz|config))' || :)
	[ -z "$members" ] && continue
	# shellcheck disable=SC2086
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/img" $members
	echo "$p $ver" >>"$dir/packages"
done
vmlinuz=$(find "$dir/img" -type f -name 'vmlinuz*' | head -n1)
config=$(find "$dir/img" -type f \( -name "config-$rel" -o -name config \) | head -n1)
[ -n "$vmlinuz" ] || die "no vmlinuz in $pkgs $ver"
[ -n "$config" ] || die "no config in $pkgs $ver"
cp "$config" "$dir/config"

# 2. vmlinux: as scripts/extract-vmlinux, try each offset where a known
#    compressed stream starts (xz in 6.1, zstd in 6.12 and 7.x; gzip as a
#    fallback) until the output is an ELF.  The decompressors complain about
#    the bzImage bytes after the stream, so their exit status is ignored.
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; }
extract() {
	local magic=$1 off
	shift
	for off in $(LC_ALL=C grep -obUaP "$magic" "$vmlinuz" | cut -d: -f1); do
		tail -c +$((off + 1)) "$vmlinuz" | "$@" >"$vmlinux.tmp" 2>/dev/null || :
		if is_elf "$vmlinux.tmp"; then mv -f "$vmlinux.tmp" "$vmlinux"; return 0; fi
	done
	return 1
}
command -v zstd >/dev/null || die "zstd not installed (test/lib/deps.sh)"
extract '\xfd7zXZ\x00' xz -dcq || extract '\x28\xb5\x2f\xfd' zstd -dcq ||
	extract '\x1f\x8b\x08' gzip -dcq ||
	{ rm -f "$vmlinux.tmp"; die "could not extract an ELF vmlinux from $vmlinuz"; }
readelf -n "$vmlinux" | grep -A1 -w Xen | grep -q '0x00000012' ||
	die "$vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"
rm -rf "$dir/img"
touch "$dir/.done"
if [ -n "$instkdir" ]; then
	say "$name: kdir is the installed $instkdir (same version)"
	prove
	report cold
	exit 0
fi

# 3. The headers: linux-headers-<rel>, its -common and linux-kbuild (the
#    packages it depends on, same version), unpacked together so that their
#    relative symlinks (scripts, tools -> ../../lib/linux-kbuild-*) hold.
hdrs="linux-headers-$rel"
for p in $(rl_apt_deps "linux-headers-$rel" "$ver" | grep -E '^linux-(headers|kbuild)-'); do
	rl_apt_has "$p" "$ver" && hdrs="$hdrs $p"
done
for p in $hdrs; do
	dpkg-deb -x "$(rl_apt_get "$p" "$ver")" "$dir/root"
	echo "$p $ver" >>"$dir/packages"
done
case $hdrs in *linux-kbuild-*) ;; *) die "no linux-kbuild package for $rel $ver" ;; esac
[ -f "$kdir/Makefile" ] || die "no $kdir/Makefile"
kbuild=$(readlink -f "$kdir/scripts/..")

# 4. Adapt the unpacked copy to this machine (see fix_headers).
# shellcheck source=../kernels/fix-headers.sh
. "$here/../kernels/fix-headers.sh"
fix_headers "$dir/root" "$kdir" "$kbuild" "$suite" "$ver" >>"$log" 2>&1 ||
	{ sed 's/^/  /' "$log" | tail -n 30 >&2; die "$name: adapting the headers failed"; }

# 5. Prove it.
prove
touch "$dir/.done-headers"
report cold
