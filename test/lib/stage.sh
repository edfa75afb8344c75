#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# stage.sh KDIR OUT.cpio.gz [KO]: build reuseport_lab.ko against KDIR (or
# take the prebuilt KO, e.g. the one the DKMS package built) and the guest
# tools, and pack them with the guest scripts into an initramfs (rlab-study
# beside tools/columns, the CSV's schema, where it looks for it).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 KDIR OUT.cpio.gz [KO]" >&2; exit 2; }
kdir=$1 out=$2 ko=${3:-}
build=$(mktemp -d "${TMPDIR:-/tmp}/rl-build.XXXXXX")
trap 'rm -rf "$build"' EXIT

mkdir "$build/stage"
if [ -n "$ko" ]; then
	cp "$ko" "$build/stage/reuseport_lab.ko"
else
	# Out of the source tree, so that kernels can be built for in parallel.
	cp -a "$top/Kbuild" "$top/module" "$build/"
	make -s -C "$kdir" M="$build" modules >&2
	cp "$build/reuseport_lab.ko" "$build/stage/"
fi
cp "$top"/test/guest/*.sh "$top/test/guest/run" "$top/test/lib/tap.sh" \
	"$top/tools/rlab-study" "$top/tools/rlab-report" "$top/tools/columns" "$build/stage/"
# rlab-report's awk programs, which it looks for beside it
for f in "$top"/tools/*.awk; do
	[ ! -f "$f" ] || cp "$f" "$build/stage/"
done
for t in rlctl mkmap rlfuzz rtrun; do
	gcc -static -O2 -Wall -o "$build/stage/$t" "$top/test/guest/$t.c"
done
if [ -f "$top/tools/repro/main.c" ]; then
	make -s -C "$top/tools" rlab-repro >&2
	cp "$top/tools/rlab-repro" "$build/stage/"
fi
"$top/test/lib/mkinitramfs.sh" "$out" "$build/stage"
