#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the path of Debian's linux-source-6.1, unpacked once into the cache
# (keyed by the package version) outside the repository.
set -eu
tarball=/usr/src/linux-source-6.1.tar.xz
[ -r $tarball ] || { echo "ksrc: $tarball missing (apt install linux-source-6.1)" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
dir=${RL_CACHE:-$HOME/.cache/reuseport_lab}/src/$ver
if [ ! -f "$dir/.done" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" -xf $tarball
	touch "$dir/.done"
fi
echo "$dir/linux-source-6.1"
