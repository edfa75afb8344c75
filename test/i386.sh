#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# i386.sh: the module on a 32-bit kernel, compiled (not booted): a 64-bit
# division written as '/' or '%' compiles there to a libgcc call
# (__udivdi3, __umoddi3, ...) that no kernel exports, so the module would
# not load.  Configures linux-source-6.1 for i386 (tinyconfig + what the
# module needs) once into the cache, runs modules_prepare, builds the module
# against it with W=1 and prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib/tap.sh"
src=$(bash "$top/test/lib/ksrc.sh") || { nok "i386: kernel source"; echo "1..$T_N"; exit 1; }
cache=${RL_CACHE:-$HOME/.cache/reuseport_lab}
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
dir=$cache/i386/$ver
log=$dir/prepare.log
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

if [ ! -f "$dir/.done" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	cat > "$dir/rl.config" <<-'CFG'
	CONFIG_MODULES=y
	CONFIG_MODULE_UNLOAD=y
	CONFIG_NET=y
	CONFIG_INET=y
	CONFIG_BPF_SYSCALL=y
	CONFIG_DEBUG_FS=y
	CONFIG_FTRACE=y
	CONFIG_ENABLE_DEFAULT_TRACERS=y
	CONFIG_HIGH_RES_TIMERS=y
	CFG
	{
		make -C "$src" O="$dir" ARCH=i386 tinyconfig &&
		"$src/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" "$dir/rl.config" &&
		make -C "$src" O="$dir" ARCH=i386 olddefconfig &&
		make -C "$src" O="$dir" ARCH=i386 -j"$(nproc)" modules_prepare
	} > "$log" 2>&1 && touch "$dir/.done"
fi
check "i386: linux-source-6.1 configured and prepared (see $log)" [ -f "$dir/.done" ]
check "i386: a 32-bit x86 kernel (CONFIG_X86_32)" grep -q '^CONFIG_X86_32=y' "$dir/.config"

b=$(mktemp -d "${TMPDIR:-/tmp}/rl-i386.XXXXXX")
trap 'rm -rf "$b"' EXIT
cp -a "$top/Kbuild" "$top/module" "$b/"
# No vmlinux, so no Module.symvers: modpost only warns about every import.
KBUILD_MODPOST_WARN=1 make -C "$dir" M="$b" ARCH=i386 W=1 modules > "$b/build.log" 2>&1
check "i386: the module builds" [ -f "$b/reuseport_lab.ko" ]
check "i386:   no compiler warning" nope grep -q '^[^ ]*:[0-9]*:[0-9]*: warning:' "$b/build.log"
grep 'warning:' "$b/build.log" | grep -v modpost | head -n 5 | sed 's/^/# /'
libgcc=$(nm -u "$b/reuseport_lab.ko" 2>/dev/null | awk '$2 ~ /^__(u?div|u?mod|udivmod)di3$/ { print $2 }' | xargs)
check "i386:   no libgcc 64-bit division call (${libgcc:-none})" [ -z "$libgcc" ]
echo "1..$T_N"
[ "$T_FAIL" -eq 0 ]
