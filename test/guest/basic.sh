# SPDX-License-Identifier: GPL-2.0
# The interface suite: every row of INTERFACE.md, on whatever kernel boots.
# Sourced by /lab/run after lib.sh.  Expects 2 CPUs and >= 1 GiB.

t_load_params() {
	diag "load-time parameters"
	kclear
	check "insmod free_mode=bogus fails" sh -c "! insmod $KO free_mode=bogus 2>/dev/null"
	check "  dmesg names free_mode" dmesg_has "invalid for parameter .free_mode"
	check "insmod free_ctx=inline fails" sh -c "! insmod $KO free_ctx=inline 2>/dev/null"
	check "insmod batch_size=0 fails" sh -c "! insmod $KO batch_size=0 2>/dev/null"
	check "insmod batch_size=16777217 fails" sh -c "! insmod $KO batch_size=16777217 2>/dev/null"
	check "insmod array_size=-1 fails" sh -c "! insmod $KO array_size=-1 2>/dev/null"
	kclear
	check "insmod nr_socks=5 (no array_size) fails" sh -c "! insmod $KO nr_socks=5 2>/dev/null"
	check "  dmesg says nr_socks needs array_size" dmesg_has "nr_socks=5 needs array_size"
	check "insmod array_size=4 nr_socks=5 fails" sh -c "! insmod $KO array_size=4 nr_socks=5 2>/dev/null"
	kclear
	check "insmod array_size=4000000000 (32 GB) fails" sh -c "! insmod $KO array_size=4000000000 2>/dev/null"
	check "  dmesg says it cannot allocate" dmesg_has "array_size=4000000000: cannot allocate"
	check "no module left after the failed loads" nope loaded
	check "no vmalloc area left" [ "$(nvmalloc)" = 0 ]

	check "insmod array_size=1000 nr_socks=10" load array_size=1000 nr_socks=10
	check "  state allocated" [ "$(st state)" = allocated ]
	check "  size 1000" [ "$(st size)" = 1000 ]
	check "  filled 10" [ "$(st filled)" = 10 ]
	check "  10 loopback UDP sockets exist" [ "$(nsocks)" = 10 ]
	check "  array_size and nr_socks are 0444" \
		[ "$(stat -c %a $P/array_size)$(stat -c %a $P/nr_socks)" = 444444 ]
	check "  'alloc' defaults to array_size: EEXIST now" [ "$(rlctl alloc)" = EEXIST ]
	check "rmmod with a filled array" rmmod reuseport_lab
	check "  sockets released" [ "$(nsocks)" = 0 ]
	check "  no vmalloc area left" [ "$(nvmalloc)" = 0 ]
}

t_runtime_params() {
	diag "runtime parameters"
	load
	check "defaults: plain 1024 worker Y" \
		[ "$(cat $P/free_mode) $(cat $P/batch_size) $(cat $P/free_ctx) $(cat $P/gp_probe)" = "plain 1024 worker Y" ]
	for f in free_mode batch_size free_ctx gp_probe; do
		check "$f is 0644" [ "$(stat -c %a $P/$f)" = 644 ]
	done
	check "free_mode=resched accepted" sh -c "echo resched > $P/free_mode"
	check "  status free_mode: resched" [ "$(st free_mode)" = resched ]
	check "free_mode=fast rejected" sh -c "! echo fast > $P/free_mode 2>/dev/null"
	check "  free_mode still resched" [ "$(cat $P/free_mode)" = resched ]
	check "batch_size=16777216 accepted" sh -c "echo 16777216 > $P/batch_size"
	check "batch_size=16777217 rejected" sh -c "! echo 16777217 > $P/batch_size 2>/dev/null"
	check "batch_size=0 rejected" sh -c "! echo 0 > $P/batch_size 2>/dev/null"
	check "batch_size=12x rejected" sh -c "! echo 12x > $P/batch_size 2>/dev/null"
	check "  batch_size still 16777216" [ "$(st batch_size)" = 16777216 ]
	check "free_ctx=sync accepted" sh -c "echo sync > $P/free_ctx"
	check "free_ctx=irq rejected" sh -c "! echo irq > $P/free_ctx 2>/dev/null"
	check "  status free_ctx: sync" [ "$(st free_ctx)" = sync ]
	check "gp_probe=N accepted" sh -c "echo N > $P/gp_probe"
	check "  status gp_probe: n" [ "$(st gp_probe)" = n ]
	unload
}

t_status() {
	diag "status"
	load
	keys=$(cut -d: -f1 $D/status | tr '\n' ' ')
	want="state size filled bytes free_mode batch_size free_ctx gp_probe hog preempt preempt_rcu debug_atomic_sleep cond_resched_rcu hz rcu_cpu_stall_timeout "
	check "status keys, in order" [ "$keys" = "$want" ]
	check "control 0200, status 0400, results 0400" \
		[ "$(stat -c %a $D/control $D/status $D/results | tr '\n' ' ')" = "200 400 400 " ]
	check "empty: state empty size 0 filled 0 bytes 0" \
		[ "$(st state) $(st size) $(st filled) $(st bytes)" = "empty 0 0 0" ]
	check "rcu_cpu_stall_timeout is the kernel's" \
		[ "$(st rcu_cpu_stall_timeout)" = "$(cat /sys/module/rcupdate/parameters/rcu_cpu_stall_timeout)" ]
	check "preempt_rcu y/n" match "$(st preempt_rcu)" '[yn]'
	check "debug_atomic_sleep y/n" match "$(st debug_atomic_sleep)" '[yn]'
	want_crr=no-op
	if [ "$(st debug_atomic_sleep)" = y ] || [ "$(st preempt_rcu)" = n ]; then want_crr=effective; fi
	check "cond_resched_rcu: $want_crr" [ "$(st cond_resched_rcu)" = $want_crr ]
	check "hz is a number" match "$(st hz)" '[0-9][0-9]*'
	if [ -n "${RL_PREEMPT:-}" ]; then
		check "preempt: $RL_PREEMPT" [ "$(st preempt)" = "$RL_PREEMPT" ]
	fi
	if [ -n "${RL_KERNEL_FACTS:-}" ]; then
		facts="$(st preempt_rcu),$(st debug_atomic_sleep),$(st cond_resched_rcu),$(st hz)"
		check "kernel facts $RL_KERNEL_FACTS" [ "$facts" = "$RL_KERNEL_FACTS" ]
	fi
	rlctl alloc 1000 >/dev/null
	b1=$(st bytes)
	rlctl reset >/dev/null
	rlctl alloc 3000 >/dev/null
	b3=$(st bytes)
	check "bytes = header + 8 x size" [ $((b3 - b1)) = 16000 -a $((b1 - 8000)) -gt 0 ]
	diag "header bytes: $((b1 - 8000))"
	unload
}

t_alloc() {
	diag "alloc"
	load
	expect EINVAL alloc
	expect EINVAL alloc 0
	expect EINVAL alloc abc
	expect EINVAL alloc -1
	expect EINVAL alloc 12abc
	expect EINVAL alloc 4294967296
	expect EINVAL alloc 99999999999999999999999
	expect EINVAL alloc 5 6
	expect ENOMEM alloc 4294967295
	check "  ENOMEM left the state empty" [ "$(st state)" = empty ]
	expect OK alloc 10
	check "  kmalloc'ed (small): no vmalloc area" [ "$(nvmalloc)" = 0 ]
	expect EEXIST alloc 10
	expect EEXIST alloc 4294967295
	check "  still size 10" [ "$(st size)" = 10 ]
	rlctl reset >/dev/null
	expect OK alloc 1000000
	check "  vmalloc'ed (large)" [ "$(nvmalloc)" -ge 1 ]
	rlctl reset >/dev/null
	check "  reset freed it" [ "$(nvmalloc)" = 0 ]
	unload
}

t_fill() {
	diag "fill"
	load
	expect ENOENT fill 1
	rlctl alloc 100 >/dev/null
	expect EINVAL fill
	expect EINVAL fill 0
	expect EINVAL fill x
	expect EINVAL fill 1 sparse
	expect EINVAL fill 1 random:
	expect EINVAL fill 1 random:x
	expect EINVAL fill 1 random:1:2
	expect EINVAL fill 1 dense extra
	expect ENOSPC fill 101
	expect OK fill 10 dense
	expect OK fill 10
	expect OK fill 10 stride
	expect OK fill 10 random
	expect OK fill 10 random:7
	check "  filled 50" [ "$(st filled)" = 50 ]
	check "  50 sockets" [ "$(nsocks)" = 50 ]
	expect ENOSPC fill 51
	check "  ENOSPC left filled 50" [ "$(st filled)" = 50 ]
	expect OK fill 50 random:3
	expect ENOSPC fill 1
	check "  all 100 slots filled" [ "$(st filled)" = 100 ]
	s=$(grep ' 0100007F:' /proc/net/udp | awk '{ print $2 }' | sort -u | wc -l)
	check "  sockets share ports (reuseport groups)" [ "$s" -lt 100 ]
	rlctl free sync >/dev/null
	check "free released all sockets" [ "$(nsocks)" = 0 ]
	expect ENOENT fill 1
	rlctl alloc 3000 >/dev/null
	expect OK fill 2000
	s=$(grep ' 0100007F:' /proc/net/udp | awk '{ print $2 }' | sort -u | wc -l)
	check "  2000 sockets in 2 groups of <= 1024" [ "$s" = 2 ]
	rlctl reset >/dev/null
	check "reset released the sockets" [ "$(nsocks)" = 0 ]
	unload
}

# row_ok ROW SIZE FILLED MODE BATCH CTX: the row's fixed columns and sanity
row_ok() {
	set -- $1 "$2" "$3" "$4" "$5" "$6"
	[ $# = 18 ] || return 1
	[ "$2 $3 $4 $5 $6" = "${14} ${15} ${16} ${17} ${18}" ] || return 1
	# cpu, duration > 0, ns_per_slot = duration / size to 3 decimals
	[ "$7" -ge 0 ] && [ "$7" -lt "$(nproc)" ] && [ "$8" -gt 0 ] || return 1
	[ "$9" = "$(awk -v d="$8" -v s="$2" 'BEGIN { m = int(d * 1000 / s); printf "%d.%03d", int(m / 1000), m % 1000 }')" ]
}

# nps_int NS_PER_SLOT: a speed as results prints it (3 decimals), in
# thousandths of a ns, an integer; empty for an empty one
nps_int() {
	case $1 in *.*) _ni=${1%.*}${1#*.} ;; *) _ni=$1 ;; esac
	_ni=${_ni#"${_ni%%[!0]*}"}
	echo "${_ni:-${1:+0}}"
}

# fastest_nps MODE N [NS_PER_SLOT]: the fastest of NS_PER_SLOT and the
# speeds of N 100000-slot MODE teardowns (one such loop is ~0.5 ms under
# TCG: a host stop inside it sized sid-lazy's ~100 ms loops at 8 ms, which
# counted no grace period, 2026-12-07); empty if none gave one
fastest_nps() {
	_fb=$3
	_fk=$(nps_int "$3")
	for _fi in $(seq "$2"); do
		rlctl alloc 100000 >/dev/null
		rlctl free "$1" sync >/dev/null
		_fv=$(field 9 "$(last_row)")
		_fn=$(nps_int "$_fv")
		[ -n "$_fn" ] || continue
		if [ -z "$_fk" ] || [ "$_fn" -lt "$_fk" ]; then
			_fb=$_fv _fk=$_fn
		fi
	done
	echo "$_fb"
}

# rl_slots NS NS_PER_SLOT MIN MAX: the slots a loop of NS would take,
# within MIN..MAX; NS_PER_SLOT as results prints it (3 decimals).  Not
# slots_for: stall.sh, sourced after this file, has its own.
rl_slots() {
	_ps=$(nps_int "$2")
	[ "${_ps:-0}" -gt 0 ] || _ps=1
	_n=$(($1 * 1000 / _ps))
	[ "$_n" -ge "$3" ] || _n=$3
	[ "$_n" -le "$4" ] || _n=$4
	echo "$_n"
}

# window_slots NS [MODE [MIN MAX]]: the slots of a MODE (default plain)
# loop of about NS in this boot, MIN to MAX (default 1M to 50M), from the
# fastest of three 100000-slot MODE teardowns (50M plain slots are ~0.3 s
# under TCG, ~12 s under KASAN, where a window of NS is enough)
window_slots() {
	rl_slots "$1" "$(fastest_nps "${2:-plain}" 3)" "${3:-1000000}" "${4:-50000000}"
}

# in_write PID: PID is blocked in write(2) (the control file's wait: S,
# or D for reset's killable one), within 10 s; false once it has exited
in_write() {
	_i=0
	while [ $_i -lt 100 ] && [ -d /proc/$1 ]; do
		[ "$(cut -d' ' -f1 /proc/$1/syscall 2>/dev/null)" = 1 ] &&
			case $(cut -d' ' -f3 /proc/$1/stat 2>/dev/null) in S | D) true ;; *) false ;; esac &&
			return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# mem_cap N: N slots, at most what MemAvailable holds less 256 MB
mem_cap() {
	awk -v n="$1" '/^MemAvailable:/ { m = int(($2 * 1024 - 268435456) / 8)
		printf "%.0f\n", n < m ? n : m }' /proc/meminfo
}

# tiny_ok "G:M ...": ten gp_samples:gp_max_ns pairs, each 0 to 2 samples,
# gp_max_ns 0 with 0 samples and > 0 with more
tiny_ok() {
	echo "$1" | tr ' ' '\n' | awk -F: 'NF { n++; if ($1 > 2 || ($1 == 0) != ($2 == 0)) bad = 1 }
		END { exit !(n == 10 && !bad) }'
}

# long_ok "G:M ...": five pairs, each 1 or 2 samples with gp_max_ns > 0, one
# of them 1
long_ok() {
	echo "$1" | tr ' ' '\n' | awk -F: 'NF { n++; if ($1 < 1 || $1 > 2 || $2 <= 0) bad = 1
		if ($1 == 1) one++ } END { exit !(n == 5 && !bad && one >= 1) }'
}

t_free() {
	diag "free and results"
	load
	expect ENOENT free
	rlctl alloc 100000 >/dev/null
	rlctl fill 100 >/dev/null
	for bad in "bogus" "batch:0" "batch:16777217" "batch:" "batch:x" "plain plain" \
		"sync worker" "nowait nowait" "plain sync nowait extra" "plain:5"; do
		expect EINVAL free $bad
	done
	check "  state still allocated" [ "$(st state)" = allocated ]
	check "results: header only" [ "$(cat $D/results)" = "id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples gp_max_ns" ]

	expect OK free plain sync
	r=$(last_row)
	diag "$r"
	check "plain sync row" row_ok "$r" 100000 100 plain - sync
	check "  id 1" [ "$(field 1 $r)" = 1 ]
	check "  max_section = duration, 1 section" \
		[ "$(field 10 $r) $(field 11 $r)" = "$(field 8 $r) 1" ]
	check "  state empty, sockets gone" [ "$(st state) $(nsocks)" = "empty 0" ]
	# the speed the loops below are sized from: the fastest of that
	# teardown and two more
	nps=$(fastest_nps plain 2 "$(field 9 $r)")

	# The probe counts only grace periods running when the loop began or
	# started later, and started before it ended: never the ones the
	# teardown's synchronize_rcu() waits for after it, nor ones that
	# passed before the loop while its vCPU was stopped (a 3 once on
	# 6.1-debug, 2026-12-07, before the begin mark).  A grace period that
	# starts during plain's one section cannot end before the section
	# does, so only one can end during the loop: one already running when
	# it began.  Hence 2 at most,
	# 0 when none ran at the end (a one-slot loop, under TCG a window of
	# tens of us: the probe's own request often starts one within it).
	g=
	for i in $(seq 10); do
		rlctl alloc 1 >/dev/null
		rlctl free plain sync >/dev/null
		r=$(last_row)
		g="$g $(field 12 "$r"):$(field 13 "$r")"
	done
	check "10 one-slot loops: gp_samples 0 to 2, gp_max_ns 0 with 0 ($g)" tiny_ok "$g"
	# Plain loops of ~100 ms (sized from this boot's ns/slot): the grace
	# period the probe requests at the start is in flight at the end, held
	# by the section, and counted: 1, or 2 with one running at the start
	# (each free comes 300 ms after its rlctl started, so that the grace
	# periods of the exits and execs before it are over: rarely).  Counting
	# the one after the loop (synchronize_rcu() waits for a whole one after
	# the one in flight) made it 2 or 3.
	n=$(rl_slots 100000000 "$nps" 1000000 50000000)
	g=
	for i in 1 2 3 4 5; do
		rlctl alloc $n >/dev/null
		rlctl -d 300 free plain sync >/dev/null
		r=$(last_row)
		[ "$(field 2 "$r")" = "$n" ] || r="0 0 0 0 0 0 0 0 0 0 0 0 0"
		g="$g $(field 12 "$r"):$(field 13 "$r")"
	done
	diag "$r"
	check "5 plain loops of $n slots ($(field 8 "$r") ns): gp_samples 1 or 2, 1 at least once ($g)" \
		long_ok "$g"

	rlctl alloc 100000 >/dev/null
	rlctl fill 10 >/dev/null
	expect OK free batch:3000
	r=$(last_row)
	diag "$r"
	check "batch:3000 worker row" row_ok "$r" 100000 10 batch 3000 worker
	check "  sections = ceil(100000 / 3000) = 34" [ "$(field 11 $r)" = 34 ]
	# A section reads long across a late tick (local_clock()), and is
	# long in truth where the host holds its vCPU off: milliseconds,
	# against the ~1 ms loop above (docs/methods.md).  The longest
	# section is held against the loop where the loop is ~300 ms (1M to
	# 50M slots: 334 sections or more).
	n=$(rl_slots 300000000 "$nps" 1000000 50000000)
	rlctl alloc $n >/dev/null
	expect OK free batch:3000
	r=$(last_row)
	diag "$r"
	check "batch:3000 over $n slots: $(( (n + 2999) / 3000 )) sections" \
		[ "$(field 11 $r)" = $(( (n + 2999) / 3000 )) ]
	check "  0 < max_section $(field 10 $r) < half the loop $(field 8 $r)" \
		sh -c "[ $(field 10 $r) -gt 0 ] && [ $((2 * $(field 10 $r))) -lt $(field 8 $r) ]"

	rlctl alloc 100000 >/dev/null
	expect OK free batch
	check "batch with batch_size 1024: 98 sections" [ "$(field 11 $(last_row))" = 98 ]
	check "  batch column 1024" [ "$(field 5 $(last_row))" = 1024 ]

	rlctl alloc 100000 >/dev/null
	expect OK free resched worker
	r=$(last_row)
	if [ "$(st cond_resched_rcu)" = effective ]; then n=100000; else n=1; fi
	check "resched row: $n sections ($(st cond_resched_rcu))" \
		sh -c "[ '$(field 4 $r) $(field 11 $r)' = 'resched $n' ]"

	diag "defaults come from the parameters"
	echo batch > $P/free_mode
	echo 2500 > $P/batch_size
	echo sync > $P/free_ctx
	echo N > $P/gp_probe
	rlctl alloc 10000 >/dev/null
	expect OK free
	r=$(last_row)
	check "parameter defaults: batch 2500 sync, 4 sections" row_ok "$r" 10000 0 batch 2500 sync
	check "  4 sections" [ "$(field 11 $r)" = 4 ]
	check "  gp_probe=N: no samples" [ "$(field 12 $r) $(field 13 $r)" = "0 0" ]
	echo plain > $P/free_mode
	echo worker > $P/free_ctx
	echo Y > $P/gp_probe

	# The long nowait teardowns here and below run batch: bounded sections,
	# so no stall warning however slow the host makes the guest (plain's
	# 50M slots take 12 s on the debug kernel, past 26 s on a busy host).
	diag "nowait, EBUSY while freeing, wait"
	n=$(rl_slots 2000000000 "$nps" 1000000 50000000)
	rlctl alloc $n >/dev/null
	rlctl fill 100 >/dev/null
	expect OK free batch:1024 nowait
	check "  state freeing" [ "$(st state)" = freeing ]
	check "  status keeps size while freeing" [ "$(st size) $(st filled)" = "$n 100" ]
	expect EBUSY free
	expect EEXIST alloc 5
	expect EBUSY fill 1
	expect OK wait
	check "  after wait: empty" [ "$(st state)" = empty ]
	check "  row for the nowait teardown" row_ok "$(last_row)" $n 100 batch 1024 worker
	expect OK wait

	diag "the last 64 rows at least"
	# (the shell's own writes: 140 rlctl execs took 30 s under KASAN; the
	# ids below count the teardowns: each takes the next, past the rows
	# the table drops)
	id0=$(field 1 "$(last_row)")
	for i in $(seq 70); do
		echo "alloc 1" > $D/control && echo "free sync" > $D/control
	done 2>/dev/null
	n=$(($(wc -l < $D/results) - 1))
	check "results keeps >= 64 rows ($n)" [ "$n" -ge 64 ]
	check "  ids run to the last teardown ($id0 + 70)" [ "$(field 1 "$(last_row)")" = $((id0 + 70)) ]
	unload
}

t_trace() {
	diag "tracepoints"
	load
	T=/sys/kernel/tracing
	check "events exist" [ -d $T/events/reuseport_lab/rl_free_begin -a -d $T/events/reuseport_lab/rl_free_end ]
	check "  comm recording is off (lib.sh): enabling them hooks no sched_switch or sched_wakeup" \
		[ "$(cat $T/options/record-cmd)" = 0 ]
	echo > $T/trace
	echo 1 > $T/events/reuseport_lab/enable
	rlctl alloc 5000 >/dev/null
	rlctl fill 7 >/dev/null
	rlctl free batch:100 >/dev/null
	echo 0 > $T/events/reuseport_lab/enable
	check "rl_free_begin traced" grep -q 'rl_free_begin: size=5000 filled=7 mode=batch duration=0' $T/trace
	d=$(field 8 $(last_row))
	check "rl_free_end traced with the row's duration" grep -q "rl_free_end: size=5000 filled=7 mode=batch duration=$d" $T/trace
	check "  the format prints the mode symbolically" \
		grep -q '__print_symbolic(REC->mode' $T/events/reuseport_lab/rl_free_end/format
	check "  with the mode table's names" \
		grep -q '{ 0, "plain" }, { 1, "resched" }, { 2, "batch" }' \
		$T/events/reuseport_lab/rl_free_end/format

	# free_ctx=worker runs on the unbound system workqueue (events_unbound): the task that traced
	# rl_free_begin is, while the teardown runs, an unbound kworker whose
	# current work is events_unbound's ('+': running now).
	n0=$(window_slots 500000000 batch:1 100000 4000000)
	for n in $n0 $((n0 * 4)) $((n0 * 16)); do
		echo > $T/trace
		echo 1 > $T/events/reuseport_lab/rl_free_begin/enable
		rlctl alloc $n >/dev/null
		rlctl free batch:1 nowait >/dev/null
		i=0
		while ! grep -q rl_free_begin $T/trace && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		pid=$(sed -n 's/^ *.*-\([0-9][0-9]*\) *\[.*rl_free_begin:.*/\1/p' $T/trace)
		comm=$(cat /proc/$pid/comm 2>/dev/null)
		s=$(st state)
		echo 0 > $T/events/reuseport_lab/rl_free_begin/enable
		rlctl wait >/dev/null
		[ "$s" = freeing ] && break
	done
	check "the worker teardown runs in $comm (pid $pid, $n slots; state then $s)" \
		sh -c "[ '$s' = freeing ] && echo '$comm' | grep -q -x 'kworker/u[0-9]*:[0-9]*+events_unbound'"
	unload
}

t_hog() {
	diag "hog"
	load
	expect EINVAL hog
	expect EINVAL hog x
	expect EINVAL hog -1
	expect EINVAL hog 2
	expect EINVAL hog 4096
	expect EINVAL hog 1 2
	expect OK hog 1
	check "  status hog: 1" [ "$(st hog)" = 1 ]
	pid=$(pidof rl_hog/1)
	check "  rl_hog/1 runs" [ -n "$pid" ]
	check "  SCHED_FIFO" [ "$(awk '{ print $41 }' /proc/$pid/stat)" = 1 ]
	check "  bound to CPU 1" sh -c "grep -q 'Cpus_allowed_list:[[:space:]]*1$' /proc/$pid/status"
	expect EBUSY hog 0
	expect OK hog off
	check "  status hog: off" [ "$(st hog)" = off ]
	check "  thread gone" [ -z "$(pidof rl_hog/1)" ]
	expect OK hog off

	# The hog throttles itself (950 ms of every second): with the RT
	# throttle off, a task pinned to its CPU still runs.  An RT task below
	# the hog's priority (sched_set_fifo(): 50), so that only the hog's own
	# rest lets it run: since 6.12 the deadline fair server gives a normal
	# task 50 ms a second too.  Writing the fair server's runtime to turn it
	# off WARNs on 6.12 now and then (dl_rq_change_utilization(): the
	# running bandwidth underflows; twice in make check, 2026-12-02).
	rt=$(cat /proc/sys/kernel/sched_rt_runtime_us)
	echo -1 > /proc/sys/kernel/sched_rt_runtime_us
	expect OK hog 1
	rtrun 1 1 true &
	p=$!
	i=0
	while kill -0 $p 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	done_in=$i
	kill -0 $p 2>/dev/null && done_in=never
	expect OK hog off
	wait $p
	rc=$?
	echo "$rt" > /proc/sys/kernel/sched_rt_runtime_us
	check "sched_rt_runtime_us=-1: a SCHED_FIFO 1 task pinned to the hog's CPU ran (${done_in} x 100 ms, < 5 s, exit $rc)" \
		[ "$done_in" != never -a "$rc" = 0 ]

	# A hog whose CPU goes offline is moved elsewhere by hotplug: it must
	# stop spinning there and status must say so.
	if [ -w /sys/devices/system/cpu/cpu1/online ]; then
		expect OK hog 1
		pid=$(pidof rl_hog/1)
		check "cpu1 offline with the hog on it" sh -c "echo 0 > /sys/devices/system/cpu/cpu1/online"
		sleep 0.5
		check "  status hog: parked ($(st hog))" [ "$(st hog)" = parked ]
		check "  the hog sleeps (state S) on CPU 0" \
			[ "$(awk '{ print $3, $39 }' /proc/$pid/stat)" = "S 0" ]
		expect EBUSY hog 0
		expect OK hog off
		check "  thread gone" [ -z "$(pidof rl_hog/1)" ]
		expect EINVAL hog 1
		check "  offline CPU: no hog started" [ "$(st hog)" = off -a -z "$(pidof rl_hog/1)" ]
		check "cpu1 back online" sh -c "echo 1 > /sys/devices/system/cpu/cpu1/online"
		expect OK hog 1
		check "  status hog: 1 again" [ "$(st hog)" = 1 ]
		expect OK hog off
	else
		diag "no CPU hotplug here: hog hotplug checks left out"
	fi
	unload
}

# reset drops the lock while it waits for a teardown: a hog started by
# another writer meanwhile must not survive a successful reset.
t_reset_hog() {
	diag "reset against a concurrent hog"
	load
	# the race's window: 'hog 1' while the teardown runs, proved by the
	# state read after it (still freeing); the teardown sized for ~2 s from
	# batch:1's ns/slot in this boot, then larger until the window is hit
	# (a floor of 4M slots made it 23 s on the debug kernel, 5.7 us a
	# slot; under TCG, 240-520 ns, 2 s is 3.9M-8.4M)
	n1=$(window_slots 2000000000 batch:1 200000 16000000)
	for n in $n1 $((n1 * 4)); do
		rlctl alloc $n >/dev/null
		rlctl free batch:1 nowait >/dev/null
		rlctl reset > /tmp/reset.out &
		r=$!
		sleep 0.3
		h=$(rlctl hog 1)
		s=$(st state)
		wait $r
		[ "$s" = freeing ] && break
		rlctl hog off >/dev/null
	done
	check "'hog 1' came while the teardown ran ($n slots: $h, state $s)" \
		[ "$h $s" = "OK freeing" ]
	check "  reset -> OK" [ "$(cat /tmp/reset.out)" = OK ]
	check "  hog off after the reset ($(st hog))" [ "$(st hog)" = off ]
	check "  no hog thread" [ -z "$(pidof rl_hog/1)" ]
	unload
}

# Group leaders walk ip_local_port_range, one port a group of 1024: a fill
# succeeds while free ports remain and fails with EADDRINUSE, leaving
# nothing, only when one of its groups finds none left.
t_ports() {
	diag "fills on a narrow port range"
	# 2 ports, so 2048 sockets (the proc file of every UDP socket is read
	# several times: 32 ports, 32768 sockets took 40 s under TCG; 4 ports
	# 24 s on the debug kernel, 2 ports 10 s: 2026-12-02-make-check-fast)
	R=/proc/sys/net/ipv4/ip_local_port_range
	old=$(cat $R)
	echo "40000 40001" > $R
	check "  ip_local_port_range: 40000-40001" [ "$(cat $R | tr -s '\t ' ' ')" = "40000 40001" ]
	load
	rlctl alloc 4000 >/dev/null
	expect OK fill 2048
	check "  2 groups on 2 ports" [ "$(grep ' 0100007F:' /proc/net/udp | awk '{ print $2 }' | sort -u | wc -l)" = 2 ]
	expect EADDRINUSE fill 1
	check "  no port left: the failed fill left nothing ($(st filled) placed, $(nsocks) sockets)" \
		[ "$(st filled) $(nsocks)" = "2048 2048" ]
	rlctl free sync >/dev/null
	check "  free released them" [ "$(nsocks)" = 0 ]
	rlctl alloc 4000 >/dev/null
	expect OK fill 1024
	# its first group takes the last port, its second finds none
	expect EADDRINUSE fill 2048
	check "  one port left: the failed fill left nothing ($(st filled) placed, $(nsocks) sockets)" \
		[ "$(st filled) $(nsocks)" = "1024 1024" ]
	expect OK fill 1024
	check "  both ports used: 2048 sockets" [ "$(st filled) $(nsocks)" = "2048 2048" ]
	rlctl reset >/dev/null
	echo "$old" > $R
	unload
}

# free ... keep: the loop and the socket release as usual, the array stays.
t_keep() {
	diag "free keep"
	load
	rlctl alloc 5000 >/dev/null
	rlctl fill 100 >/dev/null
	expect EINVAL free keep keep
	expect OK free plain sync keep
	r=$(last_row)
	check "keep: a row as usual" row_ok "$r" 5000 100 plain - sync
	check "  state allocated, size 5000, filled 0" \
		[ "$(st state) $(st size) $(st filled)" = "allocated 5000 0" ]
	check "  sockets released, array kept" [ "$(nsocks) $(nvmalloc)" = "0 1" ]
	expect OK fill 1000 random:5
	expect OK free keep batch:512
	check "  worker + keep: allocated again" [ "$(st state) $(st filled)" = "allocated 0" ]
	expect OK fill 5000 dense
	check "  every slot was NULL again: 5000 fit" [ "$(st filled)" = 5000 ]
	expect OK free resched keep nowait
	expect OK wait
	check "  rows: 3" [ "$(($(wc -l < $D/results) - 1))" = 3 ]
	expect OK free
	check "a free without keep frees the array" [ "$(st state) $(nvmalloc)" = "empty 0" ]
	unload
}

# The guest helpers refuse what they cannot do instead of doing less.
t_helpers() {
	diag "guest helpers"
	rlctl -x abc > /tmp/x.out 2>&1
	check "rlctl -x with an odd number of digits: misuse (exit 2)" [ $? = 2 ]
	rlctl -d 0 wait > /tmp/x.out 2>&1
	check "rlctl -d 0: misuse (exit 2)" [ $? = 2 ]
	(ulimit -S -n 1024; exec mkmap 100000 2000) > /tmp/mkmap.out 2>&1 &
	m=$!
	i=0
	while ! grep -q closed /tmp/mkmap.out && kill -0 $m 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "mkmap: 2000 sockets with a soft limit of 1024 descriptors" grep -q closed /tmp/mkmap.out
	kill $m 2>/dev/null
	wait $m 2>/dev/null

	# rlab-study dies after its alloc (a fill that cannot get a port): it
	# must reset what it made, so the next run can start.
	load
	R=/proc/sys/net/ipv4/ip_local_port_range
	old=$(cat $R)
	echo "40000 40000" > $R
	rlab-study -s 10000 -f 2000 -m plain -r 1 -H 1 -o /tmp/dead.csv 2>/tmp/dead.err
	check "rlab-study fails when its fill fails (exit $?)" [ $? != 0 ]
	echo "$old" > $R
	check "  and leaves the module empty, no hog ($(st state), hog $(st hog))" \
		[ "$(st state) $(st hog) $(nsocks)" = "empty off 0" ]
	check "  the next run starts" \
		rlab-study -s 10000 -f 10 -m plain -r 1 -o /tmp/next.csv
	# a bad option: exit 2 and the usage, before anything is done
	for a in "-f abc" "-s auto -f 10000001" "-T 5s" "-r 0" "-m foo" "-s 5G"; do
		# shellcheck disable=SC2086
		rlab-study $a -o /tmp/bad.csv 2>/tmp/bad.err
		rc=$?
		check "rlab-study $a: exit 2 (got $rc), the usage, no CSV" \
			sh -c "[ $rc = 2 ] && grep -q '^  -o CSV' /tmp/bad.err && [ ! -e /tmp/bad.csv ]"
	done
	check "  its usage ends with the header's last paragraph" \
		grep -q 'to stderr.$' /tmp/bad.err
	# no marker in the log (printk_devkmsg=off drops writes to /dev/kmsg):
	# the row's stall fields are empty, never a count since boot
	old=$(cat /proc/sys/kernel/printk_devkmsg)
	echo off > /proc/sys/kernel/printk_devkmsg
	rlab-study -s 10000 -f 10 -m plain -r 1 -o /tmp/nomark.csv 2>/dev/null
	echo "$old" > /proc/sys/kernel/printk_devkmsg
	check "rlab-study, its marker not in the log: stalls and stall_kind empty" \
		[ "$(awk -F, 'NR == 2 { print $19 "," $20 }' /tmp/nomark.csv)" = "," ]
	rlab-study -s 10000 -f 10 -m plain -r 1 -o /tmp/mark.csv 2>/dev/null
	check "  with its marker: 0,none" \
		[ "$(awk -F, 'NR == 2 { print $19 "," $20 }' /tmp/mark.csv)" = "0,none" ]
	rt=$(cat /proc/sys/kernel/sched_rt_runtime_us)
	echo -1 > /proc/sys/kernel/sched_rt_runtime_us
	rlab-study -s 10000 -m plain -r 1 -H 1 -o /tmp/rt.csv 2>/tmp/rt.err
	rc=$?
	check "rlab-study runs a hog with RT throttling off: the hog throttles itself (exit $rc)" \
		[ "$rc" = 0 -a "$(awk -F, 'NR == 2 { print $5 }' /tmp/rt.csv)" = 1 ]
	echo "$rt" > /proc/sys/kernel/sched_rt_runtime_us
	check "  no hog, no array left" [ "$(st state) $(st hog)" = "empty off" ]
	unload
}

t_commands() {
	diag "malformed commands change nothing"
	load
	rlctl alloc 1000 >/dev/null
	rlctl fill 5 >/dev/null
	before=$(cat $D/status)
	expect EINVAL ""
	expect EINVAL "   "
	expect EINVAL bogus
	expect EINVAL ALLOC 5
	expect EINVAL "alloc  5  6"
	expect EINVAL wait now
	expect EINVAL reset all
	expect EINVAL "free plain sync nowait x"
	expect_hex EINVAL "" "empty write"
	expect_hex EINVAL "616c6c6f6300" "alloc + NUL"
	expect_hex EINVAL "666972737400310a" "NUL inside"
	expect_hex EINVAL "fffe" "binary bytes"
	expect_hex EINVAL "fffefd80" "binary bytes"
	check "one page write: EINVAL" [ "$(rlctl -p 4096 wait)" = EINVAL ]
	check "one page minus one: accepted" [ "$(rlctl -p 4095 wait)" = OK ]
	expect OK "  wait  "
	expect_hex OK "0977616974200a" "tab wait newline"
	check "partial 'all' + 'oc 5': both EINVAL" [ "$(rlctl all)$(rlctl oc 5)" = EINVALEINVAL ]
	check "status unchanged" [ "$(cat $D/status)" = "$before" ]
	unload
}

t_reset() {
	diag "reset"
	load
	expect OK reset
	rlctl alloc 1000 >/dev/null
	rlctl fill 10 >/dev/null
	rlctl free sync >/dev/null
	rlctl alloc 2000 >/dev/null
	rlctl fill 20 >/dev/null
	rlctl hog 0 >/dev/null
	expect OK reset
	check "  empty, no hog" [ "$(st state) $(st hog) $(st filled)" = "empty off 0" ]
	check "  results cleared" [ "$(wc -l < $D/results)" = 1 ]
	check "  sockets and array freed" [ "$(nsocks) $(nvmalloc)" = "0 0" ]
	check "  hog thread gone" [ -z "$(pidof rl_hog/0)" ]
	# the window: the reset seen blocked in its write while the state is
	# freeing, else larger (within memory)
	n0=$(window_slots 1000000000)
	for n in $n0 $((n0 * 2)) $((n0 * 8)); do
		n=$(mem_cap $n)
		rlctl alloc $n >/dev/null
		rlctl free batch:1024 nowait >/dev/null
		rlctl reset > /tmp/reset.out &
		w=$!
		inw=no
		in_write $w && inw=yes
		s=$(st state)
		wait $w
		o=$(cat /tmp/reset.out)
		[ "$inw $s" = "yes freeing" ] && break
	done
	check "  reset during a teardown waits for it ($n slots; reset blocked in its write: $inw, the state then: $s)" \
		[ "$inw $s $o $(st state)" = "yes freeing OK empty" ]
	rlctl alloc 10 >/dev/null; rlctl free sync >/dev/null
	check "  ids restart at 1" [ "$(field 1 $(last_row))" = 1 ]
	unload
}

# eintr_one WHAT SLOTS COMMAND...: under the hog, a batch:1 teardown of
# SLOTS (started by COMMAND itself for free) that COMMAND waits for;
# SIGUSR1 while it is blocked in its write gives EINTR, and the teardown
# goes on
eintr_one() {
	_what=$1 _slots=$2
	shift 2
	rlctl hog 1 >/dev/null
	rlctl alloc "$_slots" >/dev/null
	[ "$_what" = free ] || rlctl free batch:1 nowait >/dev/null
	rlctl "$@" > /tmp/eintr.out &
	w=$!
	check "  $_what blocked in its write (the window)" in_write $w
	kill -USR1 $w
	wait $w
	check "$_what -> EINTR on a signal" [ "$(cat /tmp/eintr.out)" = EINTR ]
	check "  the teardown goes on" [ "$(st state)" = freeing ]
	rlctl hog off >/dev/null
	expect OK wait
}

t_eintr() {
	diag "a signal interrupts wait"
	load
	# Unbound work on CPU 1 with a FIFO hog there: batch:1 yields at every
	# slot and only runs while the hog rests or a throttle holds it back,
	# so a teardown of ~1 s at full speed (2M slots at most: 1.9M-2M
	# under TCG, 240-520 ns a slot; ~175K on the debug kernel, 5.7 us)
	# lasts far longer than the window, and the wait after 'hog off'
	# about 1 s.
	ne=$(window_slots 1000000000 batch:1 100000 2000000)
	old=$(cat /sys/devices/virtual/workqueue/cpumask)
	echo 2 > /sys/devices/virtual/workqueue/cpumask
	eintr_one wait "$ne" wait
	# free (without nowait) waits the same way
	eintr_one free "$ne" free batch:1

	# reset: only a fatal signal interrupts its wait, and then it resets
	# nothing (-EINTR before the free and the clearing of results).  reset
	# stops the hog first, so the teardown is sized to outlast the kill
	# at full speed: ~3 s from batch:1's ns/slot in this boot.
	n=$(mem_cap "$(window_slots 3000000000 batch:1 200000 100000000)")
	diag "$(last_row)"
	rows=$(($(wc -l < $D/results) - 1))
	expect OK alloc $n
	rlctl free batch:1 nowait >/dev/null
	rlctl reset > /tmp/reset.out &
	w=$!
	check "  reset blocked in its write (the window)" in_write $w
	r1=$(st state)
	kill -USR1 $w
	sleep 0.3
	r2=$(st state)
	kill -KILL $w
	wait $w
	rc=$?
	s=$(st state)
	expect OK wait
	check "reset ($n slots): a signal does not interrupt it, SIGKILL does (exit $rc; $r1 $r2 $s)" \
		[ "$rc $r1 $r2 $s" = "137 freeing freeing freeing" ]
	check "  and it reset nothing: the rows kept, plus the teardown's" \
		[ "$(($(wc -l < $D/results) - 1))" = $((rows + 1)) ]
	check "  nothing printed by the killed reset" [ ! -s /tmp/reset.out ]
	echo "$old" > /sys/devices/virtual/workqueue/cpumask
	unload
}

t_concurrency() {
	diag "4 writers and 2 readers"
	load
	for w in 1 2 3 4; do
		(
			for i in $(seq 40); do
				case $(((i + w) % 8)) in
				0) rlctl alloc $((w * 1000)) ;;
				1) rlctl fill $w ;;
				2) rlctl free nowait ;;
				3) rlctl free batch:7 sync ;;
				4) rlctl fill 3 random:$i ;;
				5) rlctl wait ;;
				6) rlctl free resched ;;
				7) rlctl alloc ;;
				esac
			done > /tmp/w$w.out
		) &
	done
	for r in 1 2; do
		(for i in $(seq 80); do cat $D/status $D/results > /dev/null || echo readfail; done > /tmp/r$r.out) &
	done
	wait
	check "writers got only OK or the documented errnos" \
		sh -c "! cat /tmp/w?.out | grep -v -x -E 'OK|EINVAL|EEXIST|ENOENT|ENOSPC|EBUSY'"
	check "readers never failed" sh -c "! grep -q readfail /tmp/r?.out"
	expect OK wait
	s=$(st state)
	check "state consistent after the storm ($s, filled $(st filled))" \
		sh -c "[ '$s' = allocated ] || [ '$s $(st filled) $(nsocks)' = 'empty 0 0' ]"
	check "sockets alive = filled" [ "$(nsocks)" = "$(st filled)" ]
	rows=$(($(wc -l < $D/results) - 1))
	check "results rows ($rows) well formed" \
		sh -c "tail -n +2 $D/results | awk 'NF != 13 { exit 1 }'"
	unload
	check "nothing left after rmmod" [ "$(nsocks) $(nvmalloc)" = "0 0" ]
}

t_rmmod() {
	diag "rmmod at any point"
	load
	rlctl alloc 20000 >/dev/null
	check "rmmod with an allocated, empty array" rmmod reuseport_lab
	check "  nothing left" [ "$(nsocks) $(nvmalloc)" = "0 0" ]
	load
	n=$(window_slots 1000000000)
	rlctl alloc $n >/dev/null
	rlctl fill 100 >/dev/null
	rlctl free batch:1024 nowait >/dev/null
	check "  the teardown runs ($n slots)" [ "$(st state)" = freeing ]
	check "rmmod during a nowait teardown" rmmod reuseport_lab
	check "  nothing left" [ "$(nsocks) $(nvmalloc)" = "0 0" ]
	load
	rlctl hog 0 >/dev/null
	rlctl alloc 1000 >/dev/null
	check "rmmod with a hog running" rmmod reuseport_lab
	check "  hog gone" [ -z "$(pidof rl_hog/0)" ]
	load
	rlctl hog 1 >/dev/null
	rlctl alloc $((n * 3 / 5)) >/dev/null
	rlctl fill 1000 >/dev/null
	rlctl free batch:16 nowait >/dev/null
	check "  the teardown runs" [ "$(st state)" = freeing ]
	check "rmmod during a teardown with a hog running" rmmod reuseport_lab
	check "  nothing left" [ "$(nsocks) $(nvmalloc)" = "0 0" ]
	check "  hog gone" [ -z "$(pidof rl_hog/1)" ]
	check "reload after all that" load
	unload
}

suite_basic() {
	kclear
	for t in t_load_params t_runtime_params t_status t_alloc t_fill t_free \
		t_trace t_hog t_commands t_reset t_reset_hog t_ports t_keep \
		t_helpers t_eintr t_concurrency t_rmmod; do
		echo "rl-test: $t" > /dev/kmsg
		_bt0=$(date +%s)
		"$t"
		diag "time: $t $(($(date +%s) - _bt0)) s"
	done
	check "dmesg since boot: no warning, oops, lockdep or KASAN report" dmesg_clean
}
