#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh - the lab's kernel matrix (make -s kernels KERNELS="name ...").
#
# Usage: test/kernels/kernels.sh [NAME...]      every kernel of the table if none
#        test/kernels/kernels.sh --facts NAME...
#        test/kernels/kernels.sh --list [check]
#
#   NAME  a kernel of test/kernels/kernels.tsv, or a built one with +resched
#         or +batch appended (patches/resched.patch, the series patches/batch/)
#
# Stdout: exactly one line per kernel, "<name> <vmlinux> <kdir>": vmlinux is
# the uncompressed ELF image QEMU boots through PVH, kdir a directory where
# "make -C <kdir> M=<dir> modules W=1" builds an out-of-tree module with this
# machine's gcc-12 without any warning.  Stock kernels come from
# test/lib/stock-kernel.sh (stderr: "fetch: <name> <version> <cold|cached>
# <seconds> s"), built ones from build.sh (stderr: "build: <name>
# <cold|warm|cached> <seconds> s").  Everything else goes to stderr.
#
# --facts prints "NAME preempt preempt_rcu debug_atomic_sleep
# cond_resched_rcu hz check" from the table (a variant: its base kernel's);
# --list prints the names of the table (with "check": those make check runs).
#
# After each kernel is ready, the table's facts are checked against its real
# .config: a mismatch fails (the table is what the tests expect of it).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
table=$here/kernels.tsv
die() { echo "kernels: $*" >&2; exit 1; }

rows() { awk '!/^#/ && NF' "$table"; }

# base NAME: the table's name for NAME (a variant's base kernel).
base() {
	local n=${1%+resched}
	n=${n%+batch}
	echo "$n"
}

# row NAME: NAME's row of the table (for a variant, its base kernel's; only
# built kernels have variants).
row() {
	local b r
	b=$(base "$1")
	r=$(rows | awk -v n="$b" '$1 == n')
	[ -n "$r" ] || die "no kernel '$b' in $table (see --list)"
	if [ "$b" != "$1" ] && [ "$(echo "$r" | awk '{ print $2 }')" != built ]; then
		die "$1: only built kernels have +resched/+batch variants"
	fi
	echo "$r"
}

# facts_of CONFIG: "preempt preempt_rcu das crr hz" as the module reports
# them on a kernel built with that .config.
facts_of() {
	awk -F= '
	/^CONFIG_/ { c[$1] = $2 }
	END {
		m = "none"
		if (c["CONFIG_PREEMPT_VOLUNTARY"] == "y") m = "voluntary"
		if (c["CONFIG_PREEMPT"] == "y") m = "full"
		if (c["CONFIG_PREEMPT_LAZY"] == "y") m = "lazy"
		if (c["CONFIG_PREEMPT_RT"] == "y") m = "rt"
		if (c["CONFIG_PREEMPT_DYNAMIC"] == "y") m = "dynamic:" m
		rcu = c["CONFIG_PREEMPT_RCU"] == "y" ? "y" : "n"
		das = c["CONFIG_DEBUG_ATOMIC_SLEEP"] == "y" ? "y" : "n"
		crr = (das == "y" || rcu == "n") ? "effective" : "no-op"
		print m, rcu, das, crr, c["CONFIG_HZ"]
	}' "$1"
}

case ${1:-} in
--facts)
	shift
	[ $# -gt 0 ] || die "--facts needs a name"
	for n in "$@"; do row "$n" >/dev/null; done
	for n in "$@"; do
		row "$n" | awk -v n="$n" '{ print n, $7, $8, $9, $10, $11, $6 }'
	done
	exit 0
	;;
--list)
	case ${2:-} in
	'') rows | awk '{ print $1 }' ;;
	check) rows | awk '$6 == "y" { print $1 }' ;;
	*) die "--list [check]" ;;
	esac
	exit 0
	;;
-*) die "unknown option $1 (usage: see $0)" ;;
esac

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046
	set -- $(rows | awk '{ print $1 }')
fi
for n in "$@"; do row "$n" >/dev/null; done

# The stock kernels are fetched in the background while the built ones
# build: a fetch waits on the network and on xz, a build on the CPUs (on an
# empty cache this saves most of the fetches' ~2 minutes).  apt.sh locks its
# package lists and downloads each package to a directory of its own.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rl-kernels.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fetch_all() {
	local n i=0
	for n in "$@"; do
		i=$((i + 1))
		[ "$(row "$n" | awk '{ print $2 }')" = stock ] || continue
		if bash "$here/../lib/stock-kernel.sh" "$n" > "$tmp/$i.out"; then
			touch "$tmp/$i.ok"
		fi
	done
}
fetch_all "$@" &
fetcher=$!
trap 'kill $fetcher 2>/dev/null; rm -rf "$tmp"' EXIT

# ready I NAME: the kernel's "vmlinux kdir config" (built here, or fetched by
# the background job, which has ended when this is called for a stock one)
ready() {
	local i=$1 n=$2 out vmlinux kdir
	if [ "$(row "$n" | awk '{ print $2 }')" = stock ]; then
		[ -f "$tmp/$i.ok" ] || die "$n: fetching the stock kernel failed"
		out=$(cat "$tmp/$i.out")
		echo "$(sed -n 's/^vmlinux=//p' <<<"$out")" \
			"$(sed -n 's/^kdir=//p' <<<"$out")" \
			"$(sed -n 's/^config=//p' <<<"$out")"
	else
		out=$(bash "$here/build.sh" "$n") || die "$n: building the kernel failed"
		read -r _ vmlinux kdir <<<"$out"
		echo "$vmlinux $kdir $kdir/.config"
	fi
}

# the built ones first, then the fetched ones; printed in the order asked
i=0
for n in "$@"; do
	i=$((i + 1))
	[ "$(row "$n" | awk '{ print $2 }')" = stock ] && continue
	ready $i "$n" > "$tmp/$i.line"
done
wait $fetcher
i=0
for n in "$@"; do
	i=$((i + 1))
	[ -f "$tmp/$i.line" ] || ready $i "$n" > "$tmp/$i.line"
	read -r vmlinux kdir config < "$tmp/$i.line"
	[ -f "$vmlinux" ] && [ -d "$kdir" ] && [ -f "$config" ] ||
		die "$n: missing vmlinux, kdir or config ($vmlinux $kdir $config)"
	want=$(row "$n" | awk '{ print $7, $8, $9, $10, $11 }')
	got=$(facts_of "$config")
	[ "$want" = "$got" ] ||
		die "$n: the table says '$want', its .config ($config) says '$got'"
	echo "$n $vmlinux $kdir"
done
