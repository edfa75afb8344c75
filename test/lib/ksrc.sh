#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ksrc.sh - print the path of an unpacked Debian kernel source tree, unpacked
# once into the cache (keyed by package name and version), outside the
# repository.
#
# Usage: test/lib/ksrc.sh [--info] [SOURCE]
#
#   SOURCE  host   (default) the host's installed linux-source-6.1
#                  (test/lib/deps.sh installs it)
#           SUITE  the newest linux-source-X.Y of that suite (e.g. sid),
#                  fetched with the private apt configuration of
#                  test/kernels/apt.sh, never installed
#   --info  print "DIR PACKAGE VERSION TIMESTAMP" instead of DIR (TIMESTAMP:
#           the date of the package's newest changelog entry, RFC 2822)
set -eu

die() { echo "ksrc: $*" >&2; exit 1; }
info=
[ "${1:-}" = --info ] && { info=1; shift; }
origin=${1:-host}
cache=${RL_CACHE:-$HOME/.cache/reuseport_lab}

if [ "$origin" = host ]; then
	pkg=linux-source-6.1
	tarball=/usr/src/$pkg.tar.xz
	[ -r $tarball ] || die "$tarball missing (apt install $pkg)"
	ver=$(dpkg-query -W -f='${Version}' $pkg)
	changelog=/usr/share/doc/$pkg/changelog.Debian.gz
	# (the historical layout, src/<version>/, kept: caches stay valid)
	dir=$cache/src/$ver
else
	# shellcheck source=../kernels/apt.sh
	. "$(dirname "$0")/../kernels/apt.sh"
	rl_apt_update
	# linux-source (the metapackage) names the newest linux-source-X.Y.
	meta=$(rl_apt_newest "$origin" linux-source)
	[ -n "$meta" ] || die "no linux-source in $origin"
	pkg=$(rl_apt_deps linux-source "$meta" | grep -m1 '^linux-source-[0-9]') ||
		die "linux-source=$meta of $origin names no linux-source-X.Y"
	ver=$(rl_apt_newest "$origin" "$pkg")
	[ -n "$ver" ] || die "no $pkg in $origin"
	dir=$cache/src/${pkg}_$ver
	changelog=$dir/deb/usr/share/doc/$pkg/changelog.Debian.gz
fi

if [ ! -f "$dir/.done" ]; then
	mkdir -p "$cache/src"
	exec {lock}>"$cache/src/.lock"
	flock $lock
	if [ ! -f "$dir/.done" ]; then
		echo "ksrc: unpacking $pkg $ver into $dir" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		if [ "$origin" != host ]; then
			deb=$(rl_apt_get "$pkg" "$ver")
			dpkg-deb -x "$deb" "$dir/deb"
			tarball=$(ls "$dir/deb/usr/src/$pkg".tar.*)
		fi
		tar -C "$dir" -xf "$tarball"
		# the .deb's copy of the tarball is not needed any more
		rm -f "$dir/deb/usr/src/$pkg".tar.*
		touch "$dir/.done"
	fi
	exec {lock}>&-
fi
[ -d "$dir/$pkg" ] || die "$dir/$pkg missing"
if [ -n "$info" ]; then
	stamp=$(zcat "$changelog" 2>/dev/null | sed -n 's/^ -- .*>  //p' | head -n1)
	echo "$dir/$pkg $pkg $ver ${stamp:-Thu, 01 Jan 1970 00:00:00 +0000}"
else
	echo "$dir/$pkg"
fi
