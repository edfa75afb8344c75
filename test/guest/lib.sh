# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers (busybox sh): TAP output, module and status access.

D=/sys/kernel/debug/reuseport_lab
P=/sys/module/reuseport_lab/parameters
KO=/lab/reuseport_lab.ko
. /lab/tap.sh

# No comm recording when a trace event is enabled: it hooks sched_switch
# and sched_wakeup, so enabling any event (the module's, a kprobe's)
# patches the scheduler's hot text while the other vCPU runs it, and TCG
# gets that wrong now and then (QEMU 7.2 often, 10.0 rarely): "Oops: int3"
# or a hang (docs/methods.md, "QEMU").  Trace lines show <...> as the comm.
echo 0 > /sys/kernel/tracing/options/record-cmd 2>/dev/null

# expect OUTCOME WORD...: one control write gives OUTCOME (OK or an errno)
expect() {
	_want=$1
	shift
	_got=$(rlctl "$@")
	if [ "$_got" = "$_want" ]; then
		ok "'$*' -> $_want"
	else
		nok "'$*' -> $_want (got $_got)"
	fi
}

# Same, for a raw write given in hex.
expect_hex() {
	_want=$1
	_got=$(rlctl -x "$2")
	if [ "$_got" = "$_want" ]; then
		ok "$3 -> $_want"
	else
		nok "$3 -> $_want (got $_got)"
	fi
}

# st KEY: a value from status (the shell's own read: every check calls
# this, and an exec under KASAN and lockdep costs tens of ms)
st() {
	while IFS= read -r _l; do
		case $_l in "$1: "*) echo "${_l#"$1: "}" ;; esac
	done < $D/status
}

# last_row: the newest results row
last_row() { tail -n 1 $D/results; }

# field N ROW...: the Nth word of a row (no exec, as st)
field() {
	_n=$1
	shift
	set -- $*
	eval "echo \"\${$_n}\""
}

# Loopback UDP sockets alive (the module's own are the only ones).
nsocks() { grep -c ' 0100007F:' /proc/net/udp; }

# vmalloc areas the module holds
nvmalloc() { grep -c 'rl_array_alloc' /proc/vmallocinfo; }

loaded() { [ -d /sys/module/reuseport_lab ]; }

load() { insmod $KO "$@" 2>/dev/null; }

unload() { loaded && rmmod reuseport_lab; }

# kclear: start a fresh kernel log, keeping the old one for dmesg_clean
kclear() { dmesg -c >> /tmp/kmsg.all; }

# dmesg_has PATTERN: the kernel log since the last kclear has PATTERN
dmesg_has() { dmesg | grep -q -- "$1"; }

# dmesg_clean: the whole kernel log since boot carries no kernel badness:
# a warning, oops, lockdep, KASAN, might_sleep, hung-task or stall report
# (rlab-repro -B: the one vocabulary, tools/repro/stall.c).  Else the kinds
# and the first report, from the "rl-test: " marker before it, 40 lines,
# as diagnostics; the classified lines are in /tmp/kmsg.bad.
dmesg_clean() {
	kclear
	if ! rlab-repro -B < /tmp/kmsg.all > /tmp/kmsg.bad 2> /tmp/kmsg.err; then
		diag "rlab-repro -B failed: $(head -n 1 /tmp/kmsg.err)"
		return 1
	fi
	read -r _n _k < /tmp/kmsg.bad
	[ "$_n" = 0 ] && return 0
	diag "kernel log: $_n badness messages ($_k); the first:"
	# "KIND: MESSAGE" (a kind has no space); MESSAGE may be cut: a prefix
	sed -n '2s/^[^ ]*: //p' /tmp/kmsg.bad > /tmp/kmsg.first
	awk 'NR == FNR { m = $0; next }
		/rl-test: / { t = $0 }
		!s && index($0, m) == 1 { if (t != "") print t; s = FNR }
		s && FNR >= s && FNR < s + 40' /tmp/kmsg.first /tmp/kmsg.all | sed 's/^/# /'
	return 1
}

tap_end() {
	echo "1..$T_N"
	diag "passed $((T_N - T_FAIL)) failed $T_FAIL"
	[ $T_FAIL -eq 0 ]
}
