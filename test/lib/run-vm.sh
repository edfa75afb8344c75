#!/bin/bash
# run-vm.sh - boot one QEMU (TCG) guest with an initramfs from mkinitramfs.sh.
#
# Usage: test/lib/run-vm.sh --kernel VMLINUX --initrd IMG --out DIR
#            [--mem 1G] [--smp 2] [--append 'extra cmdline'] [--timeout 300]
#            [--icount] [--idle SECONDS]
#        test/lib/run-vm.sh --probe --kernel VMLINUX
#
#   VMLINUX  uncompressed ELF vmlinux (booted via PVH; see stock-kernel.sh)
#   --icount adds "-icount shift=3" (deterministic-ish timing) and forces -smp 1
#            (and TCG)
#   --idle   stops the guest when ttyS1 (out.log) has not grown for SECONDS: a
#            guest whose user space gets no CPU any more (a SCHED_FIFO hog
#            on a kernel that does not throttle it) ends there, not at the
#            timeout; exit 125
#   --probe  only print the accelerator a boot would use (kvm or tcg) and
#            exit: a caller that boots many guests probes once and passes it
#            on in RL_ACCEL (where /dev/kvm opens but cannot run a vCPU, the
#            probe waits out its 20 s timeout)
#
# Accelerator: KVM (-accel kvm -cpu host) when /dev/kvm is usable, TCG
# (-cpu max,-erms,-fsrm, below) otherwise; RL_ACCEL=tcg|kvm forces one.
# The guest is told with rl.accel= on its command line (rlab-study's accel
# column).
#
# Writes DIR/console.log (ttyS0: kernel log + /init chatter), DIR/out.log
# (ttyS1: output of /lab/run, ends with "# guest-exit N"), DIR/cmdline (kernel
# command line), DIR/qemu.cmd and DIR/qemu.err.  \r is stripped from both logs.
# Exit: 0 guest-exit 0 | 1 guest-exit non-zero or no guest-exit line (panic..)
#       | 124 timeout (QEMU killed) | 125 no output for --idle SECONDS
#       | 2 QEMU failed to start/run.
# Prints "vm: <accel> <seconds> s" (wall time) to stderr.
set -eu

die() { echo "run-vm: $*" >&2; exit 2; }
usage() { sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

kernel='' initrd='' out='' mem=1G smp=2 append='' tmo=300 icount='' idle='' probe=''
while [ $# -gt 0 ]; do
	case $1 in
	--*=*) a=${1%%=*}; v=${1#*=}; shift; set -- "$a" "$v" "$@"; continue ;;
	esac
	case $1 in
	--icount) icount=1; shift; continue ;;
	--probe) probe=1; shift; continue ;;
	-h|--help) usage ;;
	--kernel|--initrd|--out|--mem|--smp|--append|--timeout|--idle)
		[ $# -ge 2 ] || die "$1 needs an argument" ;;
	*) echo "run-vm: unknown option '$1'" >&2; usage ;;
	esac
	case $1 in
	--kernel) kernel=$2 ;; --initrd) initrd=$2 ;; --out) out=$2 ;;
	--mem) mem=$2 ;; --smp) smp=$2 ;; --append) append=$2 ;;
	--timeout) tmo=$2 ;; --idle) idle=$2 ;;
	esac
	shift 2
done
if [ -n "$probe" ]; then
	[ -n "$kernel" ] || usage
elif [ -z "$kernel" ] || [ -z "$initrd" ] || [ -z "$out" ]; then
	usage
fi
[ -r "$kernel" ] || die "cannot read kernel '$kernel'"
[ -n "$probe" ] || [ -r "$initrd" ] || die "cannot read initrd '$initrd'"
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || die "$qemu not found (apt install qemu-system-x86)"

accel=${RL_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	# Usable, not just present: a /dev/kvm that opens can still fail to
	# run a vCPU (nested hosts: "failed to set MSR", QEMU aborts), or run
	# one far slower than TCG (nested here: ~20x), so boot the kernel once
	# with KVM and no init; it panics and exits.  TCG does that in ~6 s
	# (Debian's 6.1, with a kernel build beside it); a KVM that needs more
	# than 20 s is slower than TCG would be, and is not used.
	if [ -c /dev/kvm ] && { : 3<>/dev/kvm; } 2>/dev/null &&
	   (timeout 20 "$qemu" -accel kvm -cpu host -machine q35 -m 256M \
		-nodefaults -display none -no-reboot -kernel "$kernel" \
		-append "panic=-1 rdinit=/rl-none init=/rl-none"; exit) \
		</dev/null >/dev/null 2>&1; then
		accel=kvm
	fi
fi
# Under TCG the guest's CPU is max without ERMS and FSRM (the fast-string
# features): with them the guest kernels clear pages with rep stosb, which
# QEMU 10.0's TCG runs ~5x slower than clear_page_orig's unrolled stores
# (Debian's 6.1, 6.12 and 7.2 alike: 100M slots, 800 MB, allocated again
# in 1.44-1.99 s against 0.17-0.45 s; first touched in 3.72-4.12 s against
# 2.36-3.00 s; without them /proc/cpuinfo shows no rep_good either).  The
# walks the lab times read slots and detach the few sockets they hold:
# plain's ns/slot is the same either way (7.2, 20M slots: 4.35-5.46 with
# them, 4.33-4.76 without).
case $accel in
tcg) cpu=max,-erms,-fsrm ;;
kvm) cpu=host ;;
*) die "RL_ACCEL must be tcg or kvm, not '$accel'" ;;
esac
if [ -n "$probe" ]; then
	echo "$accel"
	exit 0
fi
# TCG needs QEMU 10.0 or later: 7.2 runs guest code that the guest kernel's
# text patching has just replaced far more often (test/lib/deps.sh;
# docs/methods.md, "QEMU").  RL_QEMU_ANY=1 boots an older one anyway.
if [ "$accel" = tcg ] && [ -z "${RL_QEMU_ANY:-}" ]; then
	qver=$("$qemu" --version | sed -n '1s/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
	[ -n "$qver" ] || die "cannot read the version of $qemu"
	[ "${qver%%.*}" -ge 10 ] ||
		die "$qemu is QEMU $qver: TCG needs 10.0 or later (bash test/lib/deps.sh installs it)"
fi
mkdir -p "$out"
rm -f "$out"/console.log "$out"/out.log "$out"/qemu.err "$out"/idle
[ -z "$icount" ] || [ "$accel" = tcg ] || die "--icount needs TCG"
# Under TCG every guest times with the HPET from boot (tsc=unstable): 6.1
# finds its TSCs unsynchronized at boot and does so anyway; 6.12 and 7.2
# start on the TSC and the clocksource watchdog moves them to the HPET
# mid-run when the host is busy, so durations straddled the switch, and
# 6.12 with a SCHED_FIFO hog running died silently in that switch (2 boots
# of 3 in t_reset_hog on a fast machine, 2026-12-02; none of 3 with it).
clk=
[ "$accel" != tcg ] || clk=" tsc=unstable"
cmdline="console=ttyS0 panic=-1 quiet mitigations=off$clk rl.accel=$accel${append:+ $append}"
printf '%s\n' "$cmdline" >"$out/cmdline"

qaccel=$accel
if [ -n "$icount" ]; then smp=1; qaccel="tcg -icount shift=3"; fi
# -nodefaults + -display none: no VGA, NIC, monitor or implicit serial, so
# the two -serial options are exactly ttyS0 and ttyS1.  -no-reboot turns the
# guest's "reboot -f" (and panic=-1) into a QEMU exit.  The PVH entry of an
# ELF vmlinux skips the bzImage real-mode/decompression path (much faster).
# shellcheck disable=SC2086
set -- "$qemu" -accel $qaccel -machine q35 -cpu $cpu -smp "$smp" -m "$mem" \
	-nodefaults -display none -no-reboot \
	-serial "file:$out/console.log" -serial "file:$out/out.log" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline"
printf '%q ' "$@" >"$out/qemu.cmd"; echo >>"$out/qemu.cmd"

t0=$(date +%s.%N)
rc=0
timeout --kill-after=10 "$tmo" "$@" </dev/null 2>"$out/qemu.err" &
qpid=$!
wpid=''
if [ -n "$idle" ]; then
	# the watchdog: out.log's size every 5 s
	(
		last=-1 quiet=0
		while sleep 5; do
			sz=$(stat -c %s "$out/out.log" 2>/dev/null || echo 0)
			if [ "$sz" != "$last" ]; then
				last=$sz quiet=0
			else
				quiet=$((quiet + 5))
			fi
			if [ "$quiet" -ge "$idle" ]; then
				echo "$quiet" >"$out/idle"
				kill "$qpid" 2>/dev/null
				exit
			fi
		done
	) &
	wpid=$!
fi
wait "$qpid" || rc=$?
if [ -n "$wpid" ]; then
	kill "$wpid" 2>/dev/null || :
	wait "$wpid" 2>/dev/null || :
fi
t1=$(date +%s.%N)

# Serial consoles emit \r\n; ttyS1 is raw in the guest, strip any \r anyway.
for f in "$out/console.log" "$out/out.log"; do
	[ -f "$f" ] && sed -i 's/\r$//' "$f"
done
# If /lab/run's output did not end in \n, put the marker on its own line.
[ -f "$out/out.log" ] && sed -i '$ s/\(.\)\(# guest-exit [0-9]*\)$/\1\n\2/' "$out/out.log"

boot=$(sed -n 's/^rl-init: .* uptime \([0-9.]*\) s$/\1/p' "$out/console.log" 2>/dev/null | tail -n1)
awk -v a="$t0" -v b="$t1" -v i="$boot" -v acc="$accel" 'BEGIN {
	printf "vm: %s %.1f s%s\n", acc, b - a, i == "" ? "" : " (/lab/run started at guest uptime " i " s)" }' >&2

if [ -s "$out/idle" ]; then
	echo "run-vm: no output on ttyS1 for $(cat "$out/idle") s: guest stopped, see $out/console.log" >&2
	exit 125
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "run-vm: timeout after $tmo s, see $out/console.log" >&2
	exit 124
elif [ "$rc" -ne 0 ]; then
	echo "run-vm: $qemu failed (rc=$rc):" >&2
	sed 's/^/  /' "$out/qemu.err" >&2
	exit 2
fi
st=$(sed -n 's/^# guest-exit \([0-9]*\)$/\1/p' "$out/out.log" 2>/dev/null | tail -n1)
if [ -z "$st" ]; then
	echo "run-vm: guest ended without '# guest-exit' (panic/crash?), see $out/console.log" >&2
	exit 1
fi
[ "$st" -eq 0 ] || { echo "run-vm: guest exit status $st" >&2; exit 1; }
exit 0
