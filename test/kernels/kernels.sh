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

# The kernels are made by background jobs: one fetches the stock ones, in
# turn; one a source and configuration builds each built one and then its
# variants (+resched, +batch: from its tree), so that the two CPUs stay
# busy through each build's serial parts (unpacking the source, linking
# vmlinux, kallsyms) and the fetches' waits on the network.  apt.sh locks
# its package lists and downloads each package to a directory of its own;
# build.sh locks each kernel's build directory and its ccache is shared.
# A job writes kernel I's "vmlinux kdir config" to $tmp/I.line.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rl-kernels.XXXXXX")
pids=
trap '[ -z "$pids" ] || kill $pids 2>/dev/null; rm -rf "$tmp"' EXIT

origin() { row "$1" | awk '{ print $2 }'; }

# key NAME: the job that makes NAME: "stock", or its base kernel's name
key() { if [ "$(origin "$1")" = stock ]; then echo stock; else base "$1"; fi; }

# make_one I NAME: fetch or build kernel I of the arguments
make_one() {
	local i=$1 n=$2 out vmlinux kdir
	if [ "$(origin "$n")" = stock ]; then
		out=$(bash "$here/../lib/stock-kernel.sh" "$n") || return 1
		echo "$(sed -n 's/^vmlinux=//p' <<<"$out")" \
			"$(sed -n 's/^kdir=//p' <<<"$out")" \
			"$(sed -n 's/^config=//p' <<<"$out")" > "$tmp/$i.line"
	else
		out=$(bash "$here/build.sh" "$n") || return 1
		read -r _ vmlinux kdir <<<"$out"
		echo "$vmlinux $kdir $kdir/.config" > "$tmp/$i.line"
	fi
}

# chain KEY NAME...: make, in the order given, the arguments whose key is KEY
# ("stock", or a built kernel's base name); stop at the first failure
chain() {
	local k=$1 i=0 n
	shift
	for n in "$@"; do
		i=$((i + 1))
		[ "$(key "$n")" = "$k" ] || continue
		make_one $i "$n" || return 0
	done
}

keys=$(for n in "$@"; do key "$n"; done | awk '!seen[$0]++')
for k in $keys; do
	chain "$k" "$@" &
	pids="$pids $!"
done
wait
pids=

i=0
for n in "$@"; do
	i=$((i + 1))
	if [ ! -s "$tmp/$i.line" ]; then
		[ "$(origin "$n")" = stock ] && die "$n: fetching the stock kernel failed"
		die "$n: building the kernel failed"
	fi
	read -r vmlinux kdir config < "$tmp/$i.line"
	[ -f "$vmlinux" ] && [ -d "$kdir" ] && [ -f "$config" ] ||
		die "$n: missing vmlinux, kdir or config ($vmlinux $kdir $config)"
	want=$(row "$n" | awk '{ print $7, $8, $9, $10, $11 }')
	got=$(facts_of "$config")
	[ "$want" = "$got" ] ||
		die "$n: the table says '$want', its .config ($config) says '$got'"
	echo "$n $vmlinux $kdir"
done
