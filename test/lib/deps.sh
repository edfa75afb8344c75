#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install, with apt, what building, checking and running the lab needs.
set -eu
pkgs="linux-image-amd64 linux-headers-amd64 linux-source-6.1 qemu-system-x86
      busybox-static kmod cpio dkms sparse gnuplot-nox xz-utils gcc make
      libc6-dev bc flex bison libelf-dev libssl-dev ccache perl"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
