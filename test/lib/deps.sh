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
# QEMU 10.0 or later: under TCG with two vCPUs, QEMU now and then runs
# guest code that the guest kernel's text patching has just replaced (its
# int3: "Oops: int3", or a hang), 7.2 far more often than 10.0 in a loop
# that toggles tracepoints (docs/methods.md, "QEMU").
# bookworm-backports has 10.0.
qemu_min=1:10.0
qemu_bpo=
qv=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || :)
if ! dpkg --compare-versions "${qv:-0}" ge "$qemu_min"; then
	codename=$(sed -n "s/^VERSION_CODENAME=//p" /etc/os-release 2>/dev/null)
	if [ "$codename" != bookworm ]; then
		echo "deps: qemu-system-x86 ${qv:-(none)} is older than $qemu_min and this is not bookworm (its backports have it): install a newer one" >&2
		exit 1
	fi
	qemu_bpo=1
fi
missing=
for p in $pkgs; do
	[ "$p" = qemu-system-x86 ] && [ -n "$qemu_bpo" ] && continue
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -n "$missing$qemu_bpo" ] || exit 0
export DEBIAN_FRONTEND=noninteractive
if [ -n "$qemu_bpo" ]; then
	echo "deb ${RL_MIRROR:-http://deb.debian.org}/debian bookworm-backports main" \
		>/etc/apt/sources.list.d/reuseport_lab-bookworm-backports.list
fi
apt-get update -q >&2
if [ -n "$missing" ]; then
	echo "deps: installing$missing" >&2
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >&2
fi
if [ -n "$qemu_bpo" ]; then
	echo "deps: installing qemu-system-x86 from bookworm-backports (${qv:-none} is older than $qemu_min)" >&2
	apt-get install -y -q --no-install-recommends -t bookworm-backports qemu-system-x86 >&2
fi
