#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# stage.sh KDIR OUT.cpio.gz: build reuseport_lab.ko against KDIR and the
# guest tools, and pack them with the guest scripts into an initramfs.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 KDIR OUT.cpio.gz" >&2; exit 2; }
kdir=$1 out=$2
build=$(mktemp -d "${TMPDIR:-/tmp}/rl-build.XXXXXX")
trap 'rm -rf "$build"' EXIT

# Build out of the source tree so that kernels can be built for in parallel.
cp -a "$top/Kbuild" "$top/module" "$build/"
make -s -C "$kdir" M="$build" modules >&2
mkdir "$build/stage"
cp "$build/reuseport_lab.ko" "$top"/test/guest/*.sh "$top/test/guest/run" \
	"$top/test/lib/tap.sh" "$build/stage/"
[ -d "$top/tools" ] && cp "$top"/tools/* "$build/stage/"
for t in rlctl mkmap rlfuzz; do
	gcc -static -O2 -Wall -o "$build/stage/$t" "$top/test/guest/$t.c"
done
"$top/test/lib/mkinitramfs.sh" "$out" "$build/stage"
