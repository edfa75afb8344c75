#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh - build the lab's small test kernels from Debian's linux-source-6.1.
#
# Usage: test/kernels/build.sh [FLAVOUR...]             (or: make -s kernels)
#
#   FLAVOUR   test/kernels/<FLAVOUR>.config, merged with common.config onto
#             "make tinyconfig"; default: $RL_FLAVOURS, else "nopreempt debug"
#
# Environment: RL_CACHE (default ~/.cache/reuseport_lab), RL_JOBS (default
# nproc), RL_CCACHE_SIZE (default 5G), RL_KEEP_STALE=1 (keep the build dirs
# of older keys of a flavour, which are otherwise removed after a build).
#
# Stdout: exactly one line per flavour,
#   <flavour> <vmlinux> <kdir>
# vmlinux is the uncompressed ELF image (QEMU boots it through its PVH
# entry), kdir the O= build tree: "make -C <kdir> M=<dir> modules" builds an
# out-of-tree module against it.  Everything else goes to stderr, including
#   build: <flavour> <cold|warm|cached> <seconds> s
#
# Each flavour is built once per cache key, the sha256 of the linux-source-6.1
# package version, the CONFIG_ lines of the fragments, the gcc and binutils
# versions and $RECIPE, in $RL_CACHE/kernels/<flavour>-<key12>/; a complete
# build there has a .done marker and is reused as is.  Compiles go through
# ccache ($RL_CACHE/ccache), so a rebuild after a cache miss is "warm".
# The build log is <kdir>/build.log; on failure its tail is printed.
#
# The requested options are checked against the final .config: Kconfig
# silently drops an option whose dependencies are unmet (or changes it), and
# every such option is listed and fails the build.
set -eu

# Bump when the recipe below changes in a way that changes the result (make
# targets or variables, the tinyconfig base, ...): it is part of the key.
RECIPE=rl-kernels-2

# KASAN vs. PVH: QEMU enters vmlinux at pvh_start_xen, which runs
# xen_prepare_pvh() (arch/x86/platform/pvh/enlighten.c, and the memcmp() of
# xen_cpuid_base() from lib/string.c) before startup_64 maps the KASAN
# shadow, so an instrumented build triple-faults before printing anything.
# Build those two objects without KASAN; harmless without CONFIG_KASAN.
# (The price: lib/string.c's str*() and memcmp() are not checked.)
KASAN_NOPVH="KASAN_SANITIZE_enlighten.o=n KASAN_SANITIZE_string.o=n"

here=$(cd "$(dirname "$0")" && pwd)
cache=${RL_CACHE:-$HOME/.cache/reuseport_lab}
kroot=$cache/kernels
jobs=${RL_JOBS:-$(nproc)}

# The kernel's make must not inherit "make -s kernels"'s flags (silent log,
# command-line variables such as CC=, the outer jobserver).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

die() { echo "kernels: $*" >&2; exit 1; }
say() { echo "kernels: $*" >&2; }

for c in make gcc ld ccache flex bison bc awk sha256sum flock readelf; do
	command -v $c >/dev/null || die "$c not found (see test/lib/deps.sh)"
done

if [ $# -gt 0 ]; then
	flavours="$*"
else
	flavours=${RL_FLAVOURS:-nopreempt debug}
fi
for fl in $flavours; do
	case $fl in
	common|*/*|.*) die "bad flavour '$fl'" ;;
	esac
	[ -r "$here/$fl.config" ] || die "no fragment $here/$fl.config for flavour '$fl'"
done

src=$(bash "$here/../lib/ksrc.sh")
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
gccver=$(gcc --version | head -n1)
ldver=$(ld --version | head -n1)

# Reproducible version strings (uname -v): the package's own date, fixed
# user and host.  They do not depend on the key, so ccache hits stay hits.
KBUILD_BUILD_TIMESTAMP=$(zcat /usr/share/doc/linux-source-6.1/changelog.Debian.gz 2>/dev/null |
	sed -n 's/^ -- .*>  //p' | head -n1)
[ -n "$KBUILD_BUILD_TIMESTAMP" ] || KBUILD_BUILD_TIMESTAMP='Thu, 01 Jan 1970 00:00:00 +0000'
export KBUILD_BUILD_TIMESTAMP KBUILD_BUILD_USER=rl KBUILD_BUILD_HOST=reuseport-lab
export KBUILD_BUILD_VERSION=1

export CCACHE_DIR=$cache/ccache
mkdir -p "$CCACHE_DIR" "$kroot"
ccache --max-size "${RL_CCACHE_SIZE:-5G}" >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rl-kernels.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Sum of ccache's hit (or miss) counters, to tell a warm build from a cold one.
ccstat() {
	ccache --print-stats | awk -v want="$1" '
		want == "hit" && /^(direct|preprocessed)_cache_hit\t/ { n += $2 }
		want == "miss" && /^cache_miss\t/ { n += $2 }
		END { print n + 0 }'
}

# The fragments' settings, in order: "CONFIG_X=v" and "# CONFIG_X is not set"
# lines only, so editing comments does not invalidate the cache.
settings() {
	grep -hE '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$@"
}

# verify DOTCONFIG FRAGMENT...: every setting of the fragments (a later
# fragment overrides an earlier one, as in merge_config.sh) must hold in the
# final .config; "not set" also holds when the option is absent.  Prints one
# line per option that does not hold, returns 1 if there was any.
verify() {
	local cfg=$1
	shift
	settings "$@" | awk -v cfg="$cfg" '
	function parse(line) {
		if (match(line, /^CONFIG_[A-Za-z0-9_]+=/)) {
			K = substr(line, 1, RLENGTH - 1); V = substr(line, RLENGTH + 1)
		} else if (match(line, /^# CONFIG_[A-Za-z0-9_]+ is not set$/)) {
			split(line, f, " "); K = f[2]; V = "n"
		} else
			return 0
		if (V == "") V = "n"
		return 1
	}
	{ if (parse($0)) { if (!(K in want)) order[++n] = K; want[K] = V } }
	END {
		while ((getline line < cfg) > 0)
			if (parse(line)) got[K] = V
		for (i = 1; i <= n; i++) {
			k = order[i]; w = want[k]; g = (k in got) ? got[k] : "n"
			if (w == g) continue
			printf "  %s: requested %s, got %s%s\n", k, w, g,
				(k in got) ? "" : " (absent: dependencies not met, or no such option)"
			bad++
		}
		exit bad ? 1 : 0
	}'
}

# make in the kernel source for the current flavour's O= tree ($dir), all
# output to its log ($log).
kmake() {
	echo "== $(date '+%F %T') make $*" >>"$log"
	# shellcheck disable=SC2086
	make -C "$src" O="$dir" CC="ccache gcc" HOSTCC="ccache gcc" $KASAN_NOPVH \
		-j"$jobs" "$@" >>"$log" 2>&1
}

fail() {
	echo "kernels: $fl: $* failed; tail of $log:" >&2
	tail -n 40 "$log" | sed 's/^/  /' >&2
	exit 1
}

for fl in $flavours; do
	t0=$(now)
	frags=("$here/common.config" "$here/$fl.config")
	key=$( {
		echo "linux-source-6.1 $pkgver"
		echo "gcc $gccver"
		echo "ld $ldver"
		echo "recipe $RECIPE"
		for f in "${frags[@]}"; do
			echo "fragment ${f##*/}"
			settings "$f"
		done
	} | sha256sum | cut -c1-64)
	dir=$kroot/$fl-${key:0:12}
	log=$dir/build.log

	# One builder per flavour at a time (e.g. make check and make demo
	# started together): the second one waits, then finds .done.
	exec {lock}>"$kroot/.lock-$fl"
	if ! flock -n $lock; then
		say "$fl: waiting for another build (lock $kroot/.lock-$fl)"
		flock $lock
	fi

	if [ -f "$dir/.done" ] && [ -f "$dir/vmlinux" ]; then
		echo "build: $fl cached $(since "$t0") s" >&2
		echo "$fl $dir/vmlinux $dir"
		exec {lock}>&-
		continue
	fi

	rm -rf "$dir"
	mkdir -p "$dir/rl"
	# What was asked for, for the record (the key's inputs and fragments).
	cp "${frags[@]}" "$dir/rl/"
	printf 'key %s\npkg %s\ngcc %s\nld %s\nrecipe %s\n' \
		"$key" "$pkgver" "$gccver" "$ldver" "$RECIPE" >"$dir/rl/key"
	hit0=$(ccstat hit) miss0=$(ccstat miss)
	say "$fl: building in $dir (log: $log)"

	# 1. configure: tinyconfig + fragments, then the defaults of everything
	#    the fragments made visible.
	kmake tinyconfig || fail "make tinyconfig"
	"$src/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" "${frags[@]}" \
		>>"$log" 2>&1 || fail "merge_config.sh"
	kmake olddefconfig || fail "make olddefconfig"
	if ! bad=$(verify "$dir/.config" "${frags[@]}"); then
		[ -n "$bad" ] || die "$fl: checking the .config failed"
		{
			echo "kernels: $fl: Kconfig dropped or changed requested options:"
			echo "$bad"
			echo "kernels: fix test/kernels/{common,$fl}.config (see $dir/.config)"
		} >&2
		exit 1
	fi

	# 2. build: vmlinux, and modules for Module.symvers, modpost and the
	#    rest of what external modules need (no bzImage: QEMU boots vmlinux).
	kmake vmlinux modules || fail "make vmlinux modules"

	# 3. check the result: a PVH entry note (Xen ELF note type 18,
	#    XEN_ELFNOTE_PHYS32_ENTRY), and a real out-of-tree module build.
	readelf -n "$dir/vmlinux" | grep -A1 -w Xen | grep -q '0x00000012' ||
		fail "check for the PVH entry note in vmlinux"
	[ -s "$dir/Module.symvers" ] || fail "check for Module.symvers"
	for o in arch/x86/platform/pvh/.enlighten.o.cmd lib/.string.o.cmd; do
		if grep -qs 'fsanitize=kernel-address' "$dir/$o"; then
			fail "check that ${o%.cmd} has no KASAN (PVH entry)"
		fi
	done
	mkdir -p "$tmp/$fl"
	echo 'obj-m := rl_smoke.o' >"$tmp/$fl/Kbuild"
	cat >"$tmp/$fl/rl_smoke.c" <<-'EOF'
	#include <linux/module.h>
	static int __init rl_smoke_init(void) { return 0; }
	static void __exit rl_smoke_exit(void) { }
	module_init(rl_smoke_init);
	module_exit(rl_smoke_exit);
	MODULE_LICENSE("GPL");
	EOF
	echo "== $(date '+%F %T') out-of-tree module check" >>"$log"
	if ! make -C "$dir" M="$tmp/$fl" modules >>"$log" 2>&1 ||
	   [ ! -f "$tmp/$fl/rl_smoke.ko" ]; then
		fail "out-of-tree module build against $dir"
	fi

	touch "$dir/.done"

	# Warm if ccache answered most of the compiles.
	hits=$(( $(ccstat hit) - hit0 )) misses=$(( $(ccstat miss) - miss0 ))
	kind=cold
	[ "$hits" -gt "$misses" ] && kind=warm
	echo "ccache: $hits hits, $misses misses" >>"$log"
	echo "build: $fl $kind $(since "$t0") s" >&2
	echo "$fl $dir/vmlinux $dir"

	# Build trees of older keys of this flavour are dead weight (and would
	# bloat a CI cache); ccache keeps what is worth keeping.
	if [ "${RL_KEEP_STALE:-0}" != 1 ]; then
		for old in "$kroot/$fl"-*; do
			# only <flavour>-<key12>, not another flavour "<fl>-x"
			[[ ${old#"$kroot/$fl"-} =~ ^[0-9a-f]{12}$ ]] || continue
			[ "$old" = "$dir" ] || [ ! -d "$old" ] || {
				say "$fl: removing stale $old"
				rm -rf "$old"
			}
		done
	fi
	exec {lock}>&-
done
