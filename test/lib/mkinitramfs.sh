#!/bin/bash
# mkinitramfs.sh - build a tiny busybox-static initramfs for QEMU module tests.
#
# Usage: test/lib/mkinitramfs.sh OUT.cpio.gz STAGEDIR
#
# Image layout: /bin/busybox + applet symlinks (bin, sbin, usr/bin, usr/sbin),
# STAGEDIR copied verbatim (modes kept, owner root) to /lab, and an /init that
#   - mounts proc, sysfs, devtmpfs, debugfs, tracefs (failures ignored),
#   - brings up lo (the module under test binds to 127.0.0.1),
#   - puts /dev/ttyS1 in raw mode (no \n -> \r\n translation),
#   - exports every kernel cmdline word rl.KEY=VALUE as RL_KEY=VALUE
#     (KEY upper-cased, '-' and '.' -> '_'),
#   - runs /lab/run (cwd /lab, stdin /dev/null, stdout+stderr -> /dev/ttyS1),
#   - writes "# guest-exit <status>" to ttyS1, syncs and does reboot -f.
# Run QEMU with -no-reboot so the reboot ends the VM (see run-vm.sh).
# Kernel messages go to the console (ttyS0); results belong on ttyS1.
set -eu

die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 OUT.cpio.gz STAGEDIR"
out=$1 stage=$2
[ -d "$stage" ] || die "STAGEDIR '$stage' is not a directory"
[ -f "$stage/run" ] || echo "mkinitramfs: warning: $stage/run missing, guest will only report an error" >&2

# Needs a *static* busybox (no libc in the image): Debian's busybox-static.
bb=${BUSYBOX:-$(command -v busybox || :)}
[ -x "$bb" ] || die "busybox not found (apt install busybox-static)"
if head -c 4096 "$bb" | grep -qa 'ld-linux'; then
	die "$bb is dynamically linked (apt install busybox-static)"
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/rl-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,root,lab}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
# One symlink per applet at its canonical path (e.g. usr/bin/env, sbin/ip).
for a in $("$bb" --list-full); do
	case $a in */*) [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a" ;; esac
done
# A console node lets the kernel give /init fds 0-2 before devtmpfs is
# mounted; needs root, /init re-opens /dev/console anyway.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || :
cp -a "$stage/." "$root/lab/"

cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/lab HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
hostname guest
ip link set lo up

echo "rl-init: /lab/run starting at uptime $(cut -d' ' -f1 /proc/uptime) s"
out=/dev/ttyS1
# raw: no output post-processing (\n stays \n), no echo, no line discipline.
stty -F $out raw -echo 2>/dev/null || echo "init: stty on $out failed" >&2

# rl.KEY=VALUE on the kernel command line -> RL_KEY=VALUE in the environment.
# (The kernel itself drops dotted words as "module parameters".)
set -f
for w in $(cat /proc/cmdline); do
	case $w in
	rl.*=*)
		k=${w%%=*}; k=${k#rl.}
		k=$(echo "$k" | tr 'a-z.-' 'A-Z__')
		export "RL_$k=${w#*=}"
		;;
	esac
done
set +f

if [ -f /lab/run ]; then
	cd /lab
	if [ -x /lab/run ]; then /lab/run; else sh /lab/run; fi </dev/null >$out 2>&1
	rc=$?
	cd /
else
	echo "init: /lab/run missing" >$out
	rc=127
fi
# The last close of the tty waits for the UART to drain, so this line (and
# everything before it) is in the host file before the reboot.
echo "# guest-exit $rc" >$out
sync
reboot -f
# not reached; if reboot failed, panic (panic=-1 makes QEMU exit)
exit $rc
INIT
chmod 755 "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	| gzip -1 >"$out.tmp"
mv -f "$out.tmp" "$out"
