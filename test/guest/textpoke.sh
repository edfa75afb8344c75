# SPDX-License-Identifier: GPL-2.0
# suite textpoke: the emulator runs the text the kernel patched, not a
# stale copy of it.
#
# x86 patches live kernel text (static keys, tracepoints) by writing an
# int3 over the first byte, then the rest, then the new first byte, with
# every CPU serialized between the steps (text_poke_bp(); on 7.2
# smp_text_poke_batch_finish()).  An emulator that goes on running its
# translation of the old bytes on a vCPU meets an int3 that no patch
# claims: "Oops: int3", or a hang.  Every suite that enables a tracepoint
# depends on that not happening, and QEMU 7.2's TCG does it within seconds
# of this loop on two vCPUs (stock 6.1 hangs, 6.12 and 7.2 oops;
# docs/methods.md, "QEMU").  For rl.textpoke_secs= seconds (default 30)
# a shell on each CPU wakes every 200 us (timer, wakeup and scheduler
# paths, which the events patch, run on every CPU; a busy spinner beside
# it made the failure slower to come: 27-45 s against 0.5-7 s) while the
# loop enables and disables the sched, timer, irq, workqueue and rcu
# events.
suite_textpoke() {
	_secs=${RL_TEXTPOKE_SECS:-30}
	T=/sys/kernel/tracing
	diag "textpoke: $_secs s of tracepoint toggling on $(nproc) CPUs"
	kclear
	_groups=
	for _g in sched timer irq workqueue rcu; do
		[ -f "$T/events/$_g/enable" ] && _groups="$_groups $_g"
	done
	check "textpoke: the event groups exist ($_groups)" [ -n "$_groups" ]
	echo > $T/trace
	_pids=
	for _c in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$_c" sh -c 'while :; do usleep 200; done' &
		_pids="$_pids $!"
	done
	_end=$(($(cut -d. -f1 /proc/uptime) + _secs))
	_n=0
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $_end ]; do
		for _g in $_groups; do
			echo 1 > "$T/events/$_g/enable"
			echo 0 > "$T/events/$_g/enable"
		done
		_n=$((_n + 1))
	done
	# shellcheck disable=SC2086
	kill $_pids
	wait 2>/dev/null
	check "  $_n rounds in $_secs s" [ "$_n" -ge 1 ]
	# the window: the patched sites ran on every CPU while enabled
	for _c in $(seq 0 $(($(nproc) - 1))); do
		_e=$(awk '$1 == "entries:" || $1 == "overrun:" { n += $2 } END { print n + 0 }' \
			"$T/per_cpu/cpu$_c/stats")
		check "  CPU $_c traced $_e events" [ "$_e" -gt 0 ]
	done
	check "  dmesg: no warning, oops, lockdep or KASAN report" dmesg_clean
}
