#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sparse.sh: print the path of a sparse that the kernels of the matrix
# accept.  Kernels from 6.16 on need __typeof_unqual__ (their
# scripts/checker-valid.sh), which bookworm's sparse 0.6.4 lacks; sid's
# sparse binary needs a newer glibc.  So sid's sparse source package is
# fetched with a private apt configuration (deb-src only, in the cache; the
# host's apt is not touched) and built once into the cache (~10 s).
#
# sparse.sh --fix KDIR: Debian's linux-headers-*-common of 7.x lack
# scripts/checker-valid.sh, which kbuild runs for C= (missing, it disables
# the checker with "not available or not up to date"): copy it there (the
# unpacked copy in the cache) from an unpacked linux-source that has it.
set -eu
cache=${RL_CACHE:-$HOME/.cache/reuseport_lab}
dir=$cache/sparse

if [ "${1:-}" = --fix ]; then
	kdir=$2
	src=$(sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$kdir/Makefile" | head -n 1)
	[ -n "$src" ] || src=$kdir
	if [ ! -e "$src/scripts/checker-valid.sh" ] && grep -qs checker-valid.sh "$src/Makefile"; then
		have=$(ls "$cache"/src/*/linux-source-*/scripts/checker-valid.sh 2>/dev/null | head -n 1)
		[ -n "$have" ] || { echo "sparse: no checker-valid.sh to copy into $src" >&2; exit 1; }
		cp "$have" "$src/scripts/checker-valid.sh"
	fi
	exit 0
fi
A=(-q -o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=-
   -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
   -o Dir::State::status=/dev/null -o Debug::NoLocking=1
   -o APT::Sandbox::User=root)

if [ -x "$dir/bin/sparse" ]; then
	echo "$dir/bin/sparse"
	exit 0
fi
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${RL_MIRROR:-http://deb.debian.org}/debian sid main" \
	> "$dir/sources.list"
{
	apt-get "${A[@]}" update &&
	(cd "$dir/src" && rm -rf ./* && apt-get "${A[@]}" source --download-only sparse)
} > "$dir/fetch.log" 2>&1 || { echo "sparse: fetching sid's source failed, see $dir/fetch.log" >&2; exit 1; }
tarball=$(ls "$dir"/src/sparse_*.orig.tar.* | head -n 1)
rm -rf "$dir/build"
mkdir -p "$dir/build"
tar -C "$dir/build" -xf "$tarball" --strip-components=1
make -C "$dir/build" -j"$(nproc)" sparse > "$dir/build.log" 2>&1 ||
	{ echo "sparse: build failed, see $dir/build.log" >&2; exit 1; }
mkdir -p "$dir/bin"
cp "$dir/build/sparse" "$dir/bin/sparse"
echo "$dir/bin/sparse"
