# SPDX-License-Identifier: GPL-2.0
# The pattern (busybox sh): each of rlab-repro's cases (rlab-repro -l: one
# real kernel path that walks a whole map), no module.  A first teardown
# at a small size gives, in this boot, the walk's cost per entry and the
# idle window's longest grace period; the next are sized from the last
# for a walk of 20x that (at most what memory allows), until the walk is
# 10x its idle window's figure, or 0.8 of the longest walk the stall
# timeout allows (half of it) where a noisy host's idle window asks for
# more: there one section makes a grace period
# wait for it, gp max at least half the walk.  Where the walk's sections
# are bounded (the +batch kernels, rl.cases_bounded=1; a cond_resched_rcu()
# yield where that is effective) it is sized for 20x and at least 1 s, and
# the longest grace period must stay below half the walk.  A walk that
# was not timed (its window bounds it from above) and whose window is
# already what the next size is sized for runs again at its size.  A case
# whose walk does not get there within memory or 4 more runs fails.
# The walking function is timed by fentry/fexit where the kernel has BTF,
# and the row says why not elsewhere.  Rows go to the log as "# csv: ".

# col ROW N: the Nth CSV field of ROW
cases_col() { echo "$1" | cut -d, -f"$2"; }

# cases_walk ROW: the walk's duration: duration_ns (the pollers' brackets
# of its first and last entries), else fn_ns (the walking function timed
# by fexit: the walk and the little the function does around it), which
# times a walk the pollers could not bracket because both CPUs were busy
# (sid beside the debug boot, 2026-12-07: devmap_hash untimed at 39.6M
# entries, fn_ns 500 ms against a 23.7 ms idle window); empty if neither
cases_walk() {
	_w=$(cases_col "$1" 13)
	[ -n "$_w" ] || _w=$(cases_col "$1" 23)
	echo "$_w"
}

# cases_run CASE SIZE CSV: one teardown; the case's row and its idle row
cases_run() {
	_k=
	[ "$1" = htab_timer ] || _k="-k 100"
	# shellcheck disable=SC2086
	rlab-repro -t "$1" -s "$2" -r 1 $_k -A "${RL_ACCEL:-tcg}" \
		-n "${RL_NAME:-$(uname -r)}" -o "$3" 2> /tmp/cases-$1.err
}

cases_one() {
	_c=$1 _mode=$2 _bpi=$3 _unit=$4 _yield=$5
	# bounded: the +batch kernels (rl.cases_bounded=1), and a walk whose
	# upstream yield is cond_resched_rcu() where that is effective
	# (rl.kernel_facts=preempt_rcu,das,crr,hz from kernels.tsv)
	_bounded=${RL_CASES_BOUNDED:-0}
	_crr=$(echo "${RL_KERNEL_FACTS:-}" | cut -d, -f3)
	[ "$_yield" = cond_resched_rcu ] && [ "$_crr" = effective ] && _bounded=1
	# a bounded walk must be long for its grace periods to be short beside
	# it: 20x the idle window and at least 1 s (RCU forces a quiescent
	# state after a few hundred ms: sid-lazy+batch's perf_event_array held
	# 224 ms against walks of 0.37-0.47 s)
	_x=10 _min=0
	[ "$_bounded" = 1 ] && _x=20 _min=1000000000
	_n0=1000000
	[ "$_c" = htab_timer ] && _n0=100000
	rm -f /tmp/cases-$_c.csv
	cases_run "$_c" $_n0 /tmp/cases-$_c.csv
	_rc=$?
	check "$_c: rlab-repro -t $_c -s $_n0 (exit $_rc)" [ $_rc -eq 0 ]
	if [ $_rc -ne 0 ]; then
		tail -n 3 /tmp/cases-$_c.err | while read -r l; do diag "$l"; done
		return
	fi
	_r=$(awk -F, -v m="$_mode" '$9 == m' /tmp/cases-$_c.csv)
	_i=$(awk -F, '$9 == "idle"' /tmp/cases-$_c.csv)
	# as many columns as the header, the schema's (24 or more: tools/columns)
	check "$_c: a $_mode row and an idle row, the header's columns" \
		[ "$(awk -F, 'NR == 1 { h = NF } NR > 1 && NF == h && h >= 24 { n++ }
			END { print n + 0 }' /tmp/cases-$_c.csv)" = 2 ]
	_ft=$(cases_col "$_r" 24)
	if [ -r /sys/kernel/btf/vmlinux ]; then
		check "$_c: BTF here: the function timed by fexit ($_ft)" \
			match "$_ft" 'fexit:[a-z_]*'
		check "$_c:   fn_ns > 0" [ "$(cases_col "$_r" 23)" -gt 0 ]
	else
		check "$_c: no BTF here: fn_timing says so ($_ft)" [ "$_ft" = none:no-btf ]
	fi
	# Then larger, sized from the last run's walk and idle window, until
	# the walk is 10x the idle window's longest grace period (at most 4
	# more runs; within MemAvailable less 512 MB, buckets: up to 2x the
	# entries); there, one section holds grace periods: gp max above idle.
	# (3 until 2026-12-07: with QEMU's vCPUs held to half a core, sid's
	# perf_event_array read idle figures of 20, 32, 41 and 108 ms as its
	# walk grew, and its third walk, 890 ms, was 10x the one before's,
	# not its own; a fourth is sized for 20x, or the stall timeout's cap.)
	# Each is sized for twice the ratio it must reach: a case's cost per
	# entry falls as it grows and its idle window's longest grace period
	# grows with the window, and at 1.5x (until 2026-12-03) sid-lazy's
	# reuseport ended 3% and then 2% short (178 ms against 184, 197
	# against 201) and ran out of runs.
	# An idle window above 100 ms and 10x the quietest this case has read
	# is the host's noise (2026-12-03: 1.2 s against 20-64 ms at 4.5M
	# htab_timer elements, beside another guest, which then sized the walk
	# for the stall timeout's cap): that size runs once more first.
	_n=$_n0 _try=0 _qmin= _again=
	while :; do
		_d=$(cases_walk "$_r")
		_gp=$(cases_col "$_r" 18)
		_idle=$(cases_col "$_i" 18)
		if [ -z "$_idle" ] || [ -z "$_gp" ]; then
			diag "$_c: no grace-period timing here (one CPU?)"
			break
		fi
		[ -n "$_qmin" ] && [ "$_qmin" -le "$_idle" ] || _qmin=$_idle
		diag "$_c: $_n, walk ${_d:-untimed} ns (duration_ns, else fn_ns), gp max $_gp ns against $_idle ns idle, stalls $(cases_col "$_r" 19-20)"
		# long enough: 10x (20x) the idle window, or as long as the
		# stall timeout lets it be (below; 0.8 of that, as the sizing
		# from a measured cost lands near it) where a noisy host's idle
		# window asks for more
		_t=$(cat /sys/module/rcupdate/parameters/rcu_cpu_stall_timeout 2>/dev/null)
		_cap=$(( ${_t:-21} * 400000000 ))
		if [ -n "$_d" ] && { [ "$_d" -ge $((_x * _idle)) ] || [ "$_d" -ge $_cap ]; } &&
		   [ "$_d" -ge $_min ]; then
			[ "$_d" -ge $((_x * _idle)) ] ||
				diag "$_c: the idle window ($_idle ns) is above 1/${_x} of the longest walk the timeout allows; asserted there"
			if [ "$_bounded" = 1 ]; then
				check "$_c: bounded sections: gp max $_gp < half the walk $_d" \
					[ $((2 * _gp)) -lt "$_d" ]
			else
				# a grace period requested during the section waits
				# for its end: about the walk, far above idle
				check "$_c: one section: a grace period waits for the walk (gp max $_gp >= half the walk $_d)" \
					[ $((2 * _gp)) -ge "$_d" ]
			fi
			break
		fi
		# the window is an upper bound of the walk where it was not timed
		_untimed=
		if [ -z "$_d" ]; then
			_untimed=1 _d=$(cases_col "$_i" 13)
			grep 'not timed' "/tmp/cases-$_c.err" | while read -r l; do diag "$l"; done
		fi
		# "SIZE MEM": the size for a walk of 2x the ratio (and at
		# most half the stall timeout: no report), and the most entries
		# memory allows
		_mm=$(awk -v d="$_d" -v n="$_n" -v idle="$_idle" -v b="$_bpi" -v u="$_unit" -v f=$((_x * 2)) -v t="${_t:-21}" -v mn=$_min '
			/^MemAvailable:/ {
				if (u == "buckets") b *= 2
				m = int(($2 * 1024 - 536870912) / b)
				if (m > 4294967295) m = 4294967295
				w = f * idle
				if (w < 1.5 * mn) w = 1.5 * mn
				if (w > t * 5e8) w = t * 5e8
				x = int(n * w / d) + 1
				print x, m
			}' /proc/meminfo)
		_m=${_mm% *} _mem=${_mm#* }
		# An untimed walk (the pollers could not bracket it: both CPUs
		# busy, and no BTF for fexit) may be long enough already: its
		# window bounds it from above only.  sid-lazy's devmap_hash
		# (make check, 2026-12-07): untimed at 40.9M entries, window
		# 574 ms against 23.7 ms idle, and sized from the window below
		# the size it had run at.  The same size runs again (it has
		# just run: memory's figure, read afresh, does not cap it).
		# Otherwise memory caps the size.
		_capped=
		if [ -n "$_untimed" ] && [ "$_m" -le "$_n" ]; then
			_m=$_n
			diag "$_c: the walk at $_n was not timed; its window ($_d ns) may be long enough: $_n again"
		elif [ "$_m" -gt "$_mem" ]; then
			_m=$_mem _capped=1
		fi
		# (the run once more is not one of the 4: on 2026-12-03 it took
		# the last, and the walk ended 1.2% short of 10x)
		if [ -z "$_again" ] && [ "$_idle" -gt 100000000 ] &&
		   [ "$_idle" -gt $((10 * _qmin)) ]; then
			diag "$_c: an idle window of $_idle ns, 10x this case's quietest ($_qmin ns): the host's noise; $_n once more"
			_again=1 _m=$_n
		else
			_try=$((_try + 1))
			# Out of memory or of runs, the claim is untested: a
			# failure, not a pass with nothing asserted (the sizing
			# above already scales from the last run's measured
			# cost; what stops it is the guest's memory, or a cost
			# per entry that grows with the size: give the guest
			# more memory).  A walk short of its target is sized
			# for at least 1.25x its size (20x against 10x, 1.5x
			# its minimum, half the timeout against 0.4 of it): a
			# cap of at most 1.05x cannot reach it, whatever the few
			# kB memory's figure moves between runs.  So the size
			# grows but where memory caps it or an untimed walk
			# runs again.
			_why=
			if [ -n "$_capped" ] && [ "$_mem" -le $((_n + _n / 20)) ]; then
				_why="memory's limit"
			elif [ $_try -gt 4 ]; then
				_why="out of runs"
			fi
			if [ -n "$_why" ]; then
				nok "$_c: the walk reaches ${_x}x the idle window ($_idle ns) and $_min ns" \
					"($_why: at $_n: ${_untimed:+untimed, window }$_d ns; memory allows $_mem, $((_try - 1)) more runs done${_again:+ and one once more})"
				break
			fi
		fi
		_n=$_m
		rm -f /tmp/cases-$_c.csv
		cases_run "$_c" "$_n" /tmp/cases-$_c.csv
		_rc=$?
		check "$_c: rlab-repro -t $_c -s $_n (exit $_rc)" [ $_rc -eq 0 ]
		[ $_rc -eq 0 ] || return
		_r=$(awk -F, -v m="$_mode" '$9 == m' /tmp/cases-$_c.csv)
		_i=$(awk -F, '$9 == "idle"' /tmp/cases-$_c.csv)
	done
	while read -r l; do diag "csv: $l"; done < /tmp/cases-$_c.csv
}

suite_cases() {
	rlab-repro -l | awk '/^[a-z]/ { print $1, $3, $5, $4, $8 }' > /tmp/cases.list
	check "cases: rlab-repro -l lists five" [ "$(wc -l < /tmp/cases.list)" = 5 ]
	while read -r c mode bpi unit yield; do
		_ct0=$(date +%s)
		cases_one "$c" "$mode" "$bpi" "$unit" "$yield"
		diag "time: case $c $(($(date +%s) - _ct0)) s"
	done < /tmp/cases.list
}

# csv_flush CSV: its lines not yet sent to the log as "# csv: " lines (a
# boot stopped later keeps the rows it had)
csv_flush() {
	_f=$(( ${csv_sent:-0} + 1 ))
	sed -n "${_f},\$p" "$1" | while read -r l; do diag "csv: $l"; done
	csv_sent=$(wc -l < "$1")
}

# cases_matrix CSV: make matrix's part: every case but reuseport (the
# matrix's real map, run before) once, as large as memory allows (the
# module is gone by then) and no larger than a walk of 5x the stall
# timeout (its extra seconds included), sized from a first teardown at 2M
# entries in this boot (a debug kernel walks at ~300 ns an entry: memory's
# size would be a silent walk of minutes); with the scenario's hog where
# there is a CPU besides it; htab_timer at most rl.htab_max= elements
# (default 4M: its elements go in at ~1M per 25 s under TCG).
cases_matrix() {
	_h=${RL_HOG:-}
	[ "$(nproc)" -gt 1 ] || _h=
	rlab-repro -l | awk '/^[a-z]/ && $1 != "reuseport" { print $1, $5, $4 }' > /tmp/cases.list
	while read -r c bpi unit; do
		_n=$(awk -v b="$bpi" -v u="$unit" -v c="$c" -v hm="${RL_HTAB_MAX:-4000000}" '
			/^MemAvailable:/ {
				if (u == "buckets") b *= 2
				n = int(($2 * 1024 - 536870912) / b)
				if (c == "htab_timer" && n > hm) n = hm
				if (n > 4294967295) n = 4294967295
				print n
			}' /proc/meminfo)
		# the walk's cost here: its first teardown at 2M (htab_timer 200K)
		_s0=2000000
		[ "$c" = htab_timer ] && _s0=200000
		rm -f /tmp/cases-size.csv
		if ! cases_run "$c" "$_s0" /tmp/cases-size.csv; then
			nok "matrix: $c: its sizing teardown at $_s0 failed: $(tail -n 1 /tmp/cases-$c.err)"
			continue
		fi
		_r=$(grep ",$c," /tmp/cases-size.csv | head -n 1)
		_i=$(grep ',idle,' /tmp/cases-size.csv | head -n 1)
		_d=$(cases_walk "$_r")
		[ -n "$_d" ] || _d=$(cases_col "$_i" 13)
		_t=$(cat /sys/module/rcupdate/parameters/rcu_cpu_stall_timeout 2>/dev/null)
		_t=$(( (${_t:-21} + ${RL_STALL_EXTRA:-0}) * 5 ))
		# and the elements' insertion (htab_timer: "put in N ms"), which
		# prints nothing either: at most 120 s of it with the walk
		_p=$(sed -n 's/.* put in \([0-9]*\) ms$/\1/p' /tmp/cases-$c.err | tail -n 1)
		# memory's size, or the time's if smaller (never below the
		# sizing run's); an untimed sizing run leaves memory's
		_n=$(awk -v n="$_n" -v s="$_s0" -v d="${_d:-0}" -v t="$_t" -v p="${_p:-0}" 'BEGIN {
			c = d > 0 ? int(s * t * 1e9 / d) : n
			if (p > 0 && int(s * 120e9 / (p * 1e6 + d)) < c) c = int(s * 120e9 / (p * 1e6 + d))
			if (c < s) c = s
			printf "%.0f\n", c < n ? c : n }')
		diag "matrix: $c: ${_d:-?} ns at $_s0 here: $_n for a walk of at most ${_t} s"
		_k=
		[ "$c" = htab_timer ] || _k="-k 1000"
		# shellcheck disable=SC2086
		rlab-repro -t "$c" -s "$_n" -r "${RL_REPS:-1}" $_k ${_h:+-H "$_h"} \
			-n "$RL_NAME" -A "${RL_ACCEL:-tcg}" -o "$1" 2> /tmp/cases-$c.err
		_rc=$?
		check "matrix: $c at $_n (rlab-repro exit $_rc)" \
			sh -c "[ $_rc -eq 0 ] && grep -q ',$c,' '$1'"
		csv_flush "$1"
	done < /tmp/cases.list
}

# suite_icount (make bench, under -icount: guest time counts instructions):
# each case's walking function timed by kprobes (entry to return; reuseport:
# entry to its bpf_map_area_free(), as fidelity.sh), at two small sizes
# (rl.icount_sizes=N1,N2 entries; htab_timer a tenth of them), one teardown
# each, 100 entries filled.  One CPU (-icount): no grace-period timing, no
# hog.  The walk's own time leaves out what is not its own: where it yields
# (cond_resched), the other tasks that run (rlab-repro's waits and devmap's
# poller, RCU's kthreads), from sched_switch events; and interrupts and
# softirqs (the irq tracepoints; the outermost of nested ones).  Rows:
# "# icount: CASE ITERATIONS OWN_NS SPAN_NS OFF_NS IRQ_NS YIELDS", one a
# size (OFF_NS: other tasks; YIELDS: times it left the CPU); make bench
# takes (own2 - own1) / (iterations2 - iterations1): the fixed costs (the
# filled entries, the call) cancel.
ICOUNT_IRQ="irq_vectors/local_timer irq_vectors/reschedule irq_vectors/call_function
irq_vectors/call_function_single irq_vectors/irq_work irq/irq_handler irq/softirq"

# icount_events 0|1: the sched_switch and interrupt tracepoints off or on
icount_events() {
	echo "$1" > $TR/events/sched/sched_switch/enable
	for _e in $ICOUNT_IRQ; do
		for _x in entry exit; do
			[ ! -f $TR/events/${_e}_$_x/enable ] || echo "$1" > $TR/events/${_e}_$_x/enable
		done
	done
}

icount_span() {
	awk '
		{
			for (i = 1; i < NF; i++)
				if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = $i; ev = $(i + 1); break }
			# the task: the word before "[CPU]", COMM-PID
			pid = ""
			for (j = 1; j < i; j++)
				if ($(j + 1) ~ /^\[[0-9]+\]$/) { pid = $j; sub(/.*-/, "", pid); break }
		}
		ev == "ic_b:" { t0 = ts; w = pid; off = 0; irq = 0; y = 0; out = ""; d = 0; next }
		t0 == "" { next }
		ev ~ /_entry:$/ { if (!d++) { is = ts; ion = (out == "") }; next }
		ev ~ /_exit:$/ { if (d && !--d && ion) irq += ts - is; next }
		ev == "sched_switch:" {
			pp = $0; sub(/.* prev_pid=/, "", pp); sub(/ .*/, "", pp)
			np = $0; sub(/.* next_pid=/, "", np); sub(/ .*/, "", np)
			if (pp == w) { out = ts; y++ }
			else if (np == w && out != "") { off += ts - out; out = "" }
		}
		ev == "ic_e:" && pid == w {
			own = ts - t0 - off - irq
			if (own > best) {
				best = own; span = ts - t0; boff = off; birq = irq; by = y
			}
			t0 = ""
		}
		END {
			printf "%.0f %.0f %.0f %.0f %d\n", best * 1e9, span * 1e9, boff * 1e9,
				birq * 1e9, by
		}' "$1"
}

icount_case() {
	_c=$1 _fl=$2
	_f=
	for _x in $(echo "$_fl" | tr , ' '); do
		if grep -q " [tT] $_x\$" /proc/kallsyms; then
			_f=$_x
			break
		fi
	done
	check "icount: $_c: a walking function here ($_fl)" [ -n "$_f" ]
	[ -n "$_f" ] || return
	echo 0 > $TR/tracing_on
	echo > $TR/kprobe_events
	echo "p:rl/ic_b $_f" >> $TR/kprobe_events
	if [ "$_c" = reuseport ]; then
		echo "p:rl/ic_e bpf_map_area_free" >> $TR/kprobe_events
	else
		echo "r:rl/ic_e $_f" >> $TR/kprobe_events
	fi
	echo 1 > $TR/events/rl/enable
	icount_events 1
	for _s in $(echo "${RL_ICOUNT_SIZES:-1000000,4000000}" | tr , ' '); do
		_k="-k 100"
		if [ "$_c" = htab_timer ]; then
			_s=$((_s / 10)) _k=
		fi
		echo > $TR/trace
		echo 1 > $TR/tracing_on
		rm -f /tmp/icount.csv
		# shellcheck disable=SC2086
		rlab-repro -t "$_c" -s "$_s" -r 1 $_k -A "${RL_ACCEL:-tcg}" \
			-n icount -o /tmp/icount.csv 2> /tmp/icount.err
		_rc=$?
		echo 0 > $TR/tracing_on
		_it=$(awk -F, -v c="$_c" 'NR > 1 && $9 != "idle" { print $7; exit }' /tmp/icount.csv)
		_t=$(icount_span $TR/trace)
		_ns=${_t%% *}
		_good=0
		[ $_rc -eq 0 ] && [ -n "$_it" ] && [ "$_ns" -gt 0 ] && _good=1
		check "icount: $_c -s $_s: exit $_rc, ${_it:-no} iterations; own span off irq ns, yields: $_t" \
			[ $_good = 1 ]
		[ $_rc -eq 0 ] || tail -n 3 /tmp/icount.err | while read -r l; do diag "$l"; done
		echo "# icount: $_c ${_it:-0} $_t"
	done
	icount_events 0
	echo 0 > $TR/events/rl/enable
	echo > $TR/kprobe_events
}

suite_icount() {
	# TR: fidelity.sh
	echo mono > $TR/trace_clock
	check "icount: the sched_switch and local_timer tracepoints here" \
		[ -d $TR/events/sched/sched_switch -a -d $TR/events/irq_vectors/local_timer_entry ]
	rlab-repro -l | awk '/^[a-z]/ { print $1, $9 }' > /tmp/icount.list
	check "icount: rlab-repro -l lists five" [ "$(wc -l < /tmp/icount.list)" = 5 ]
	while read -r c fl; do
		icount_case "$c" "$fl"
	done < /tmp/icount.list
}
