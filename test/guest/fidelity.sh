# SPDX-License-Identifier: GPL-2.0
# Fidelity: the kernel's own reuseport_array_free() against the replica's
# plain loop, timed the same way by kprobes, alternately in one boot.
# Rows go back as "# fid: round kind n value" lines for test/bench.sh.
#   real:    entry of reuseport_array_free -> entry of bpf_map_area_free
#   replica: entry of rl_free_plain        -> return of rl_free_plain

TR=/sys/kernel/tracing

kp_setup() {
	echo 0 > $TR/tracing_on
	echo mono > $TR/trace_clock
	echo > $TR/kprobe_events
	cat >> $TR/kprobe_events <<-EOF
	p:rl/real_begin reuseport_array_free
	p:rl/real_end bpf_map_area_free
	p:rl/rep_begin rl_free_plain
	r:rl/rep_end rl_free_plain
	EOF
	echo 1 > $TR/events/rl/enable
	echo 1 > $TR/tracing_on
}

kp_teardown() {
	echo 0 > $TR/events/rl/enable
	echo > $TR/kprobe_events
}

# span BEGIN END [FILE]: ns from the last BEGIN event to the END event after
# it, in FILE (default: the trace buffer)
span() {
	awk -v b="$1:" -v e="$2:" '
		{ for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = $i; ev = $(i + 1); break } }
		ev == b { t0 = ts + 0 }
		ev == e && t0 != "" { d = ts - t0; t0 = "" }
		END { if (d == "") print 0; else printf "%.0f\n", d * 1e9 }' "${3:-$TR/trace}"
}

# real_free N K: create, fill and close a real map; its free's span in ns.
# The kernel frees the map in a kworker after the close, so something must
# wait for the end: a reader of trace_pipe sleeps in the kernel until an
# event arrives (real_begin, then real_end).  Polling the trace from the
# shell instead (a grep every 0.2 s) ran during the loop and, on a
# preemptible kernel (sid: lazy), preempted it inside its span: 8.97
# against 8.23 instructions per slot under -icount, where bpo12
# (voluntary, not preempted) showed 8.05 against 8.11.
real_free() {
	echo > $TR/trace
	/lab/mkmap "$1" "$2" > /tmp/mkmap.out &
	_pid=$!
	timeout 120 awk '{ print } / real_end: / { exit }' $TR/trace_pipe > /tmp/real.trace
	kill $_pid
	wait $_pid 2>/dev/null
	span real_begin real_end /tmp/real.trace
}

# rep_free N K: the replica's plain teardown of the same array
rep_free() {
	echo > $TR/trace
	rlctl -t alloc "$1" | awk '{ print "alloc_ns", $2 }' > /tmp/alloc.out
	rlctl fill "$2" stride >/dev/null
	rlctl free plain worker >/dev/null
	span rep_begin rep_end
}

suite_fidelity() {
	load
	kp_setup
	# For make bench's disassembly (boots with nokaslr): where the kernel's
	# function starts and the next symbol, i.e. where it ends.
	diag "sym: reuseport_array_free $(grep -w -A 1 reuseport_array_free /proc/kallsyms | awk '{ print $1 }' | xargs)"
	n=$(echo "${RL_SIZES:-100M}" | sed 's/M$/000000/; s/G$/000000000/')
	k=1000
	for r in $(seq "${RL_REPS:-3}"); do
		# Alternate which goes first: each follows the other's teardown
		# (its vfree, socket release and RCU callbacks) equally often.
		if [ $((r % 2)) = 1 ]; then
			rd=$(real_free "$n" $k)
			rp=$(rep_free "$n" $k)
		else
			rp=$(rep_free "$n" $k)
			rd=$(real_free "$n" $k)
		fi
		echo "# fid: $r real $n $rd"
		echo "# fid: $r replica $n $rp"
		echo "# fid: $r create_ns $n $(sed -n 's/^create_ns //p' /tmp/mkmap.out)"
		echo "# fid: $r alloc_ns $n $(sed -n 's/^alloc_ns //p' /tmp/alloc.out)"
		check "round $r: both loops timed ($rd ns real, $rp ns replica)" \
			[ "$rd" -gt 0 -a "$rp" -gt 0 ]
	done
	kp_teardown
	unload
}

# At the stall size (memory-bound), both must stall with the same message:
# the distinct kinds (rlab-repro -B's, FLAVOR:detected or FLAVOR:self-
# detected: stall_kind's words) of the RCU stall reports since kclear.
stall_kind() {
	dmesg | rlab-repro -B | sed -n '2,$s/: .*//p' | grep -E '^rcu[a-z_]*:(self-)?detected$' |
		sort -u | tr '\n' ';'
}

suite_fidstall() {
	load
	kp_setup
	n=$(awk '/^MemAvailable:/ { printf "%.0f", ($2 * 1024 - 536870912) / 8 }' /proc/meminfo)
	kclear
	rd=$(real_free "$n" 1000)
	kr=$(stall_kind)
	kclear
	rp=$(rep_free "$n" 1000)
	kp=$(stall_kind)
	echo "# fid: 1 real $n $rd"
	echo "# fid: 1 replica $n $rp"
	diag "at $n slots: real $rd ns '$kr', replica $rp ns '$kp'"
	check "the real map stalls at $n slots" [ -n "$kr" ]
	check "the replica stalls with the same message" [ "$kr" = "$kp" ]
	kp_teardown
	unload
}
