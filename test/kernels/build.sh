#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh - build the lab's small test kernels from Debian's linux-source.
#
# Usage: test/kernels/build.sh [NAME...]          (normally via kernels.sh)
#
#   NAME  a built kernel of kernels.tsv (6.1-nopreempt, sid-lazy, ...), with
#         +resched or +batch appended for the same kernel with
#         patches/resched.patch, or every patches/batch/*.patch in the
#         order of their names (one bounded-section fix per loop: all of
#         them in one kernel), applied; the old flavour names nopreempt and
#         debug stand for 6.1-nopreempt and 6.1-debug (and are printed as
#         given).  Default: $RL_FLAVOURS, else "nopreempt debug".
#
# A patch is patches/P.patch or, for a series, the directory patches/P/ of
# *.patch files; each applies with patch -p1 (no fuzz) to every source of
# the matrix, which test/patches.sh checks too.
#
# A kernel is "make tinyconfig" + common.config + the row's fragments
# (test/kernels/<fragment>.config, merged in that order), from the row's
# source: "host" is the installed linux-source-6.1, a suite name (sid) that
# suite's newest linux-source-X.Y (test/lib/ksrc.sh fetches and unpacks it).
#
# Environment: RL_CACHE (default ~/.cache/reuseport_lab), RL_JOBS (default
# nproc), RL_CCACHE_SIZE (default 5G), RL_KEEP_STALE=1 (keep the build dirs
# of older keys of a kernel, which are otherwise removed after a build).
#
# Stdout: exactly one line per kernel,
#   <name> <vmlinux> <kdir>
# vmlinux is the uncompressed ELF image (QEMU boots it through its PVH
# entry), kdir the O= build tree: "make -C <kdir> M=<dir> modules W=1"
# builds an out-of-tree module against it.  Everything else goes to stderr,
# including
#   build: <name> <cold|warm|cached> <seconds> s
#
# Each kernel is built once per cache key, the sha256 of the source package
# name and version, the CONFIG_ lines of the fragments, the patch (the diffs
# of every file of a series, with their names), the gcc
# and binutils versions and $RECIPE, in $RL_CACHE/kernels/<name>-<key12>/:
# a copy of the source made of hard links (cp -al; a patched file is
# replaced by a new file, never edited in place) with the build tree in its
# subdirectory rl-build/.  Being a direct subdirectory, kbuild uses
# "srctree := ..": every command line and dependency file is relative, so
# the trees of a kernel and of its variants are interchangeable.  A variant
# (+resched, +batch) starts from a copy of its base kernel's build tree, so
# only the patched file recompiles and vmlinux relinks.  With RL_CCACHE=1
# compiles are cached by ccache ($RL_CACHE/ccache), so a rebuild after a
# change of fragments is "warm"; it is off by default, since a missing
# compile costs a third more through ccache (kernel/ of 6.1-debug cold:
# 125.8 s without, 172.6 s through it) and a lab machine is fresh each
# session: CI and a first make check build every kernel once.  The command
# lines name "ccache gcc" either way (CCACHE_DISABLE turns it into a plain
# exec), so a tree built one way is not rebuilt the other way.
# A complete build has a .done marker and is reused as is.  The build log is
# <kdir>/build.log; on failure its tail is printed.
#
# The requested options are checked against the final .config: Kconfig
# silently drops an option whose dependencies are unmet (or changes it), and
# every such option is listed and fails the build.
set -eu

# Bump when the recipe below changes in a way that changes the result (make
# targets or variables, the tinyconfig base, the tree layout, ...): it is
# part of the key.
RECIPE=rl-kernels-3

here=$(cd "$(dirname "$0")" && pwd)
table=$here/kernels.tsv
cache=${RL_CACHE:-$HOME/.cache/reuseport_lab}
kroot=$cache/kernels
jobs=${RL_JOBS:-$(nproc)}

# The kernel's make must not inherit "make -s kernels"'s flags (silent log,
# command-line variables such as CC=, the outer jobserver).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

die() { echo "kernels: $*" >&2; exit 1; }
say() { echo "kernels: $*" >&2; }

for c in make gcc ld ccache flex bison bc awk sha256sum flock readelf patch; do
	command -v $c >/dev/null || die "$c not found (see test/lib/deps.sh)"
done

if [ $# -gt 0 ]; then
	names="$*"
else
	names=${RL_FLAVOURS:-nopreempt debug}
fi

# resolve NAME: "<base> <patch or -> <source> <fragments>" for a built NAME.
resolve() {
	local n=$1 b=$1 p=- r
	case $n in
	nopreempt|debug) b=6.1-$n ;;
	esac
	case $b in
	*+resched) b=${b%+resched}; p='resched' ;;
	*+batch) b=${b%+batch}; p='batch' ;;
	esac
	r=$(awk -v n="$b" '!/^#/ && $1 == n' "$table")
	[ -n "$r" ] || die "no kernel '$b' in $table"
	# shellcheck disable=SC2086
	set -- $r
	[ "$2" = built ] || die "$b is not a built kernel (origin $2)"
	[ "$p" != - ] || p=$5
	echo "$b $p $3 $4"
}
for n in $names; do resolve "$n" >/dev/null; done

gccver=$(gcc --version | head -n1)
ldver=$(ld --version | head -n1)

export CCACHE_DIR=$cache/ccache
case ${RL_CCACHE:-0} in
0) export CCACHE_DISABLE=1 ;;
1) unset CCACHE_DISABLE ;;
*) die "RL_CCACHE must be 0 or 1, not '$RL_CCACHE'" ;;
esac
# Absolute paths under $kroot (tools/objtool is built with them) are hashed
# relative to the working directory, the same in every tree of the same
# layout: with RL_CCACHE=1 a variant's objtool comes from ccache too.
export CCACHE_BASEDIR=$kroot
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

# make in the current kernel's source copy ($src) for its build tree ($dir),
# all output to its log ($log).
kmake() {
	echo "== $(date '+%F %T') make $*" >>"$log"
	# shellcheck disable=SC2086
	make -C "$src" O="$dir" CC="ccache gcc" HOSTCC="ccache gcc" $kasan_nopvh \
		-j"$jobs" "$@" >>"$log" 2>&1
}

fail() {
	echo "kernels: $name: $* failed; tail of $log:" >&2
	tail -n 40 "$log" | sed 's/^/  /' >&2
	exit 1
}

# patchfiles PATCH: the files a unified diff changes (its "+++ b/..." lines).
patchfiles() {
	sed -n 's#^+++ [^/]*/\([^[:space:]]*\).*#\1#p' "$1"
}

# patchlist P: the files of patch P, one a line, in the order they apply:
# patches/P.patch, or every patches/P/*.patch sorted by name (C locale).
# Nothing (and status 1) if there is neither.
patchlist() {
	local d=$here/patches/$1
	if [ -d "$d" ]; then
		find "$d" -maxdepth 1 -type f -name '*.patch' | LC_ALL=C sort | grep .
	elif [ -f "$d.patch" ]; then
		echo "$d.patch"
	else
		return 1
	fi
}

# smoke KDIR: build a trivial out-of-tree module against KDIR with W=1.
smoke() {
	local m=$tmp/smoke-$name
	rm -rf "$m"
	mkdir -p "$m"
	echo 'obj-m := rl_smoke.o' >"$m/Kbuild"
	cat >"$m/rl_smoke.c" <<-'EOF'
	#include <linux/module.h>
	static int __init rl_smoke_init(void) { return 0; }
	static void __exit rl_smoke_exit(void) { }
	module_init(rl_smoke_init);
	module_exit(rl_smoke_exit);
	MODULE_LICENSE("GPL");
	MODULE_DESCRIPTION("reuseport_lab KDIR smoke test");
	EOF
	echo "== $(date '+%F %T') out-of-tree module check (W=1)" >>"$log"
	make -C "$1" M="$m" modules W=1 >"$m/log" 2>&1 && [ -f "$m/rl_smoke.ko" ] || {
		cat "$m/log" >>"$log"
		return 1
	}
	cat "$m/log" >>"$log"
	! grep -qi warning "$m/log"
}

# build NAME: build (or find) one kernel; sets $out to "<vmlinux> <kdir>".
build() {
	local name=$1 base patch origin frags f key t0 lock hit0 miss0 hits misses kind
	local pristine pkg pkgver stamp bdir dir log src kasan_nopvh='' pfile
	local -a fragfiles pfiles=()
	t0=$(now)
	read -r base patch origin frags < <(resolve "$name")
	read -r pristine pkg pkgver stamp < <(bash "$here/../lib/ksrc.sh" --info "$origin")
	fragfiles=("$here/common.config")
	for f in ${frags//,/ }; do
		[ -r "$here/$f.config" ] || die "$base: no fragment $here/$f.config"
		fragfiles+=("$here/$f.config")
	done
	if [ "$patch" != - ]; then
		mapfile -t pfiles < <(patchlist "$patch")
		[ ${#pfiles[@]} -gt 0 ] ||
			die "$name: no patch $here/patches/$patch.patch or $here/patches/$patch/*.patch"
		for pfile in "${pfiles[@]}"; do
			[ -r "$pfile" ] || die "$name: cannot read $pfile"
		done
	fi
	key=$( {
		echo "$pkg $pkgver"
		echo "gcc $gccver"
		echo "ld $ldver"
		echo "recipe $RECIPE"
		for f in "${fragfiles[@]}"; do
			echo "fragment ${f##*/}"
			settings "$f"
		done
		if [ ${#pfiles[@]} -gt 0 ]; then
			# the diffs only: editing a description changes nothing
			# (a single patch's key is what it was before series)
			echo "patch $patch"
			for pfile in "${pfiles[@]}"; do
				[ ! -d "$here/patches/$patch" ] || echo "file ${pfile##*/}"
				sed -n '/^--- /,$p' "$pfile"
			done
		fi
	} | sha256sum | cut -c1-64)
	# The directory is named after the table's name (a variant's: base+patch).
	local dname=$base
	[ "$patch" = - ] || [ "$patch" = "$(awk -v n="$base" '!/^#/ && $1 == n { print $5 }' "$table")" ] ||
		dname=$base+$patch
	bdir=$kroot/$dname-${key:0:12}
	src=$bdir
	dir=$bdir/rl-build
	log=$dir/build.log

	# One builder per kernel at a time (e.g. make check and make demo
	# started together): the second one waits, then finds .done.
	exec {lock}>"$kroot/.lock-$dname"
	if ! flock -n $lock; then
		say "$name: waiting for another build (lock $kroot/.lock-$dname)"
		flock $lock
	fi

	if [ -f "$dir/.done" ] && [ -f "$dir/vmlinux" ]; then
		echo "build: $name cached $(since "$t0") s" >&2
		out="$dir/vmlinux $dir"
		exec {lock}>&-
		return 0
	fi

	# A variant starts from its base kernel's finished build tree.
	local basedir=''
	if [ "$dname" != "$base" ]; then
		build "$base" >/dev/null
		basedir=${out#* }
	fi

	# Reproducible version strings (uname -v): the package's own date, fixed
	# user and host.  They do not depend on the key, so ccache hits stay hits.
	export KBUILD_BUILD_TIMESTAMP=$stamp KBUILD_BUILD_USER=rl
	export KBUILD_BUILD_HOST=reuseport-lab KBUILD_BUILD_VERSION=1

	# KASAN vs. PVH: QEMU enters vmlinux at pvh_start_xen, which runs
	# xen_prepare_pvh() (arch/x86/platform/pvh/enlighten.c, and in 6.1 the
	# memcmp() of xen_cpuid_base() from lib/string.c) before startup_64 maps
	# the KASAN shadow, so an instrumented build triple-faults before
	# printing anything.  6.1 needs those two objects built without KASAN
	# (harmless without CONFIG_KASAN; the price: lib/string.c's str*() and
	# memcmp() are not checked).  Newer sources do it themselves
	# (KASAN_SANITIZE := n in arch/x86/platform/pvh/Makefile, and
	# cpuid_base_hypervisor() uses __builtin_memcmp): nothing to add.
	if ! grep -qs '^KASAN_SANITIZE := n' "$pristine/arch/x86/platform/pvh/Makefile"; then
		kasan_nopvh="KASAN_SANITIZE_enlighten.o=n KASAN_SANITIZE_string.o=n"
	fi

	rm -rf "$bdir"
	# The source copy: hard links to the unpacked tree (which must never
	# change: a patched file is replaced by a new one).
	cp -al "$pristine" "$bdir"
	mkdir -p "$dir/rl"
	# What was asked for, for the record (the key's inputs and fragments).
	cp "${fragfiles[@]}" "${pfiles[@]}" "$dir/rl/"
	printf 'key %s\npkg %s %s\ngcc %s\nld %s\nrecipe %s\npatch %s\n' \
		"$key" "$pkg" "$pkgver" "$gccver" "$ldver" "$RECIPE" "$patch" >"$dir/rl/key"
	for pfile in "${pfiles[@]}"; do
		for f in $(patchfiles "$pfile"); do
			[ -f "$src/$f" ] || die "$name: $f (of $pfile) not in $pkg"
			# a file two patches change is still a hard link only
			# the first time: copying it again is harmless
			cp "$src/$f" "$src/$f.rl-new"
			mv -f "$src/$f.rl-new" "$src/$f"
		done
		echo "== $(date '+%F %T') patch -p1 < $pfile" >>"$log"
		patch -p1 -d "$src" --no-backup-if-mismatch --fuzz=0 <"$pfile" >>"$log" 2>&1 ||
			fail "applying $pfile"
	done
	if [ -n "$basedir" ]; then
		# Copy (not link: make rewrites its outputs in place) the base's tree.
		mv "$dir/rl" "$tmp/rl-$name"
		rm -rf "$dir"
		cp -a "$basedir" "$dir"
		rm -rf "$dir/rl" "$dir/.done"
		mv "$tmp/rl-$name" "$dir/rl"
		echo "== $(date '+%F %T') variant of $basedir, patch $patch" >>"$log"
	fi
	hit0=$(ccstat hit) miss0=$(ccstat miss)
	say "$name: building in $dir (log: $log)"

	# 1. configure: tinyconfig + fragments, then the defaults of everything
	#    the fragments made visible (a variant has its base's .config).
	if [ -z "$basedir" ]; then
		kmake tinyconfig || fail "make tinyconfig"
		"$src/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" "${fragfiles[@]}" \
			>>"$log" 2>&1 || fail "merge_config.sh"
		kmake olddefconfig || fail "make olddefconfig"
		local bad
		if ! bad=$(verify "$dir/.config" "${fragfiles[@]}"); then
			[ -n "$bad" ] || die "$name: checking the .config failed"
			{
				echo "kernels: $name: Kconfig dropped or changed requested options:"
				echo "$bad"
				echo "kernels: fix test/kernels/{common,${frags//,/,}}.config (see $dir/.config)"
			} >&2
			exit 1
		fi
	fi

	# 2. build: vmlinux, and modules for Module.symvers, modpost and the
	#    rest of what external modules need (no bzImage: QEMU boots vmlinux).
	kmake vmlinux modules || fail "make vmlinux modules"

	# 3. check the result: a PVH entry note (Xen ELF note type 18,
	#    XEN_ELFNOTE_PHYS32_ENTRY), no KASAN in the PVH entry objects, and a
	#    real out-of-tree module build, W=1 without a warning.
	readelf -n "$dir/vmlinux" | grep -A1 -w Xen | grep -q '0x00000012' ||
		fail "check for the PVH entry note in vmlinux"
	[ -s "$dir/Module.symvers" ] || fail "check for Module.symvers"
	local o
	for o in arch/x86/platform/pvh/.enlighten.o.cmd ${kasan_nopvh:+lib/.string.o.cmd}; do
		if grep -qs 'fsanitize=kernel-address' "$dir/$o"; then
			fail "check that ${o%.cmd} has no KASAN (PVH entry)"
		fi
	done
	smoke "$dir" || fail "out-of-tree module build (W=1, no warning) against $dir"

	touch "$dir/.done"

	# Warm if ccache answered most of the compiles, or if it is a variant
	# (an incremental build in a copy of its base kernel's tree).
	hits=$(( $(ccstat hit) - hit0 )) misses=$(( $(ccstat miss) - miss0 ))
	kind=cold
	[ "$hits" -gt "$misses" ] && kind=warm
	[ -z "$basedir" ] || kind=warm
	echo "ccache: $hits hits, $misses misses" >>"$log"
	echo "build: $name $kind $(since "$t0") s" >&2
	out="$dir/vmlinux $dir"

	# Build trees of older keys of this kernel are dead weight (and would
	# bloat a CI cache); with RL_CCACHE=1 ccache keeps their compiles.
	if [ "${RL_KEEP_STALE:-0}" != 1 ]; then
		local old
		for old in "$kroot/$dname"-*; do
			# only <name>-<key12>, not another kernel "<name>-x"
			[[ ${old#"$kroot/$dname"-} =~ ^[0-9a-f]{12}$ ]] || continue
			[ "$old" = "$bdir" ] || [ ! -d "$old" ] || {
				say "$name: removing stale $old"
				rm -rf "$old"
			}
		done
	fi
	exec {lock}>&-
}

for n in $names; do
	build "$n"
	echo "$n $out"
done
