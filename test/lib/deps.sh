#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install, with apt, what building, checking and running the lab needs.
#
# No kernel image: the stock kernels the VMs boot are fetched into the cache,
# never installed (test/lib/stock-kernel.sh).  linux-headers-amd64 is for
# the DKMS test (installed headers); linux-source-6.1 for the 6.1 kernels
# and checkpatch.pl.  zstd unpacks the 6.12/7.x vmlinuz; dwarves (pahole)
# makes the module BTF that kernels with DEBUG_INFO_BTF_MODULES expect.
# libbpf-dev (with libelf, zlib and zstd, all static) for rlab-repro.
set -eu
pkgs="linux-headers-amd64 linux-source-6.1 qemu-system-x86
      busybox-static kmod cpio dkms sparse gnuplot-nox xz-utils zstd dwarves
      gcc make libc6-dev bc flex bison libelf-dev libssl-dev ccache perl patch
      libbpf-dev zlib1g-dev libzstd-dev"
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
