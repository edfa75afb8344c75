#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# repro.sh: test tools/rlab-repro on the host's own kernel (no VM, no
# module; root and bpf(2) needed for the map tests, which are skipped with a
# reason where bpf(2) is refused).  Builds it with make -C tools, prints TAP
# ("ok N - ...", "not ok N - ...", "# ..." comments, "1..N" last) and exits
# 0 iff every test passed.  Asserts facts, never timings: arguments, exit
# statuses, messages, the CSV's shape (the schema's, tools/columns) and
# values, the preempt column (faked sysfs), the RLIMIT_NOFILE raise, the
# hog's own throttle, the kernel-message classifier; and rlab-study's rows
# from a fake debugfs directory (results by name, the schema's header).  Under 2 minutes; the
# maps are 1M slots (8 MB).
#
# Environment: RL_KSRC, an unpacked kernel tree for checkpatch.pl (else the
# reuseport_lab cache, /tmp/linux-source-6.1, or the three files it needs
# from /usr/src/linux-source-6.1.tar.xz).

# (functions below are called through check)
# shellcheck disable=SC2317
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/tools/rlab-repro
tmp=$(mktemp -d /tmp/rlab-repro-test.XXXXXX) || exit 1
trap '[ -z "${fake_pid:-}" ] || kill "$fake_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

T_N=0
T_FAIL=0
ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
nok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
skip() { T_N=$((T_N + 1)); echo "ok $T_N - # SKIP $*"; }
diag() { echo "# $*"; }
nope() { ! "$@"; }
# check DESC COMMAND...: ok when COMMAND succeeds
check() {
	local _desc=$1
	shift
	if "$@"; then ok "$_desc"; else nok "$_desc"; fi
}
# match STRING REGEX: the whole STRING matches the extended REGEX
match() { printf '%s\n' "$1" | grep -Eqx -- "$2"; }
finish() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
	exit
}

# run ARGS...: $out, $err and $rc of rlab-repro ARGS
run() {
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# col ROW N: the Nth CSV field of ROW
col() { printf '%s\n' "$1" | cut -d, -f"$2"; }
# mode_row MODE: the first row of $out with that mode
mode_row() { printf '%s\n' "$out" | awk -F, -v m="$1" '$9 == m { print; exit }'; }
# gt A B: A > B, both integers (A may be empty)
gt() { [ -n "$1" ] && [ "$1" -gt "$2" ] 2>/dev/null; }
# a private mount namespace, so that files can be faked for one command
private() { unshare -m --propagation private sh -c "$1"; }

# the schema's header (tools/columns), and how many columns it has
header=$("$top/test/lib/columns.sh") || exit 1
ncol=$(printf '%s\n' "$header" | awk -F, '{ print NF }')

# --- build
if make -C "$top/tools" -B >"$tmp/build" 2>&1; then
	ok "make -C tools builds rlab-repro"
else
	nok "make -C tools builds rlab-repro"
	sed 's/^/# /' "$tmp/build"
	finish
fi
if grep -q 'warning:' "$tmp/build"; then
	nok "no compiler warning (-Wall -Wextra)"
	grep 'warning:' "$tmp/build" | sed 's/^/# /'
else
	ok "no compiler warning (-Wall -Wextra)"
fi
static_bin() { readelf -l "$bin" >"$tmp/elf" 2>&1 && ! grep -q INTERP "$tmp/elf"; }
check "rlab-repro is static (no program interpreter)" static_bin

cp_pl=
for d in "${RL_KSRC:-}" "${RL_CACHE:-$HOME/.cache/reuseport_lab}"/src/*/linux-source-6.1 \
	/tmp/linux-source-6.1; do
	[ -n "$d" ] && [ -f "$d/scripts/checkpatch.pl" ] && { cp_pl=$d/scripts/checkpatch.pl; break; }
done
if [ -z "$cp_pl" ] && [ -r /usr/src/linux-source-6.1.tar.xz ]; then
	diag "unpacking checkpatch.pl from /usr/src/linux-source-6.1.tar.xz"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$tmp" --wildcards \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch' 2>/dev/null &&
		cp_pl=$tmp/linux-source-6.1/scripts/checkpatch.pl
fi
if [ -n "$cp_pl" ]; then
	for f in "$top"/tools/repro/*.[ch]; do
		if (cd "$tmp" && perl "$cp_pl" --strict --no-tree -q -f "$f") >"$tmp/cp" 2>&1; then
			ok "checkpatch --strict tools/repro/${f##*/}"
		else
			nok "checkpatch --strict tools/repro/${f##*/}"
			sed 's/^/# /' "$tmp/cp" | head -n 20
		fi
	done
else
	skip "checkpatch: no kernel source (apt install linux-source-6.1)"
fi

# --- bad arguments: status 2, the usage and what is wrong
# bad "DESC" MESSAGE-REGEX ARGS...
bad() {
	local _desc=$1 re=$2
	shift 2
	run "$@"
	if [ "$rc" -eq 2 ] && printf '%s\n' "$err" | grep -q '^usage: ' &&
	   printf '%s\n' "$err" | grep -Eq -- "$re" && [ -z "$out" ]; then
		ok "bad arguments: $_desc: exit 2, usage, '$re'"
	else
		nok "bad arguments: $_desc: exit 2, usage, '$re' (got $rc)"
		printf '%s\n' "$err" | head -n 3 | sed 's/^/# /'
	fi
}
bad "no arguments" '-s SIZE is needed'
bad "-s 0" '-s: bad size' -s 0
bad "-s 5G (over 2^32-1)" '-s: bad size' -s 5G
bad "-s 4294967296" '-s: bad size' -s 4294967296
bad "-s 12X" '-s: bad size' -s 12X
bad "-s 1.5M" '-s: bad size' -s 1.5M
bad "-s without a value" '-s needs an argument' -s
bad "-k over the size" 'more sockets than slots' -s 100 -k 101
bad "-k not a number" '-k: bad socket count' -s 1M -k ten
bad "-r 0" '-r: bad repetition count' -s 1M -r 0
bad "-H not a number" '-H: bad CPU number' -s 1M -H x
bad "-H an offline CPU" 'no such online CPU' -s 1M -H $(($(getconf _NPROCESSORS_CONF) + 1))
bad "-n with a comma" '-n: the scenario must be one word' -s 1M -n a,b
bad "-A empty" '-A: the accel must be one word' -s 1M -A ''
bad "unknown option" 'unknown option -x' -s 1M -x
bad "an operand" 'unexpected arguments' -s 1M extra
bad "-L with a bad size" '-L: bad size' -L 0
bad "-L with -o" 'do not apply to -L, -S and -B' -L 1M -o "$tmp/x.csv"
bad "-S with -r" '-S takes no other option' -S -r 2
bad "-B with -r" '-B takes no other option' -B -r 2
bad "-S with -B" '-S takes no other option' -S -B
bad "-B with -o" 'do not apply to -L, -S and -B' -B -o "$tmp/x.csv"
bad "-t an unknown case" '-t: no such case' -t nosuch -s 1M
bad "-t without a value" '-t needs an argument' -t
bad "-k with htab_timer" '-k does not apply to this case' -t htab_timer -s 1M -k 5
bad "-l with another option" '-l takes no other option' -l -s 1M
bad "-t htab_timer over 2^27 buckets" '-s: more than this map type takes' -t htab_timer -s 200M
bad "-L with -t" 'do not apply to -L, -S and -B' -L 1M -t devmap
run -s 5G
check "a bad size names the range" match "$(printf '%s\n' "$err" | head -n 1)" \
	'rlab-repro: -s: bad size \(1 to 4294967295 slots, K/M/G suffixes\)'

# --- the native loop
run -L 10M
line=$(printf '%s\n' "$out" | head -n 1)
if [ "$rc" -eq 0 ] &&
   match "$line" 'native: n=10000000 ns_per_slot=[0-9]+\.[0-9]{3} \(best of 3\) median [0-9]+\.[0-9]{3}' &&
   awk -v l="$line" 'BEGIN { split(l, a, /[= ]/); exit !(a[5] + 0 > 0) }'; then
	ok "-L 10M: a native line with a positive ns_per_slot"
else
	nok "-L 10M: a native line with a positive ns_per_slot (rc $rc: $line)"
fi
run -L -s 100K -r 5 -k 0
check "-L -s 100K -r 5 -k 0: best of 5" match "$out" \
	'native: n=100000 ns_per_slot=[0-9]+\.[0-9]{3} \(best of 5\) median [0-9]+\.[0-9]{3}'

# an array larger than the memory: refused before anything is allocated
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
if [ "${avail:-0}" -lt 32000 ]; then
	for m in -L -s; do
		run $m 4G -r 1
		check "$m 4G (32 GB) with ${avail} MB available: exit 1, MemAvailable named, no output" \
			sh -c "[ $rc -eq 1 ] && [ -z '$out' ] && printf '%s' '$err' | grep -q 'MB needed (and 256 MB to spare), MemAvailable is'"
	done
else
	skip "memory refusal: more than 32 GB available"
fi

# --- the kernel-message classifier (-S), as rlab-study's stall_scan
# classify EXPECTED LINE...
classify() {
	local want=$1 got
	shift
	got=$(printf '%s\n' "$@" | "$bin" -S)
	if [ "$got" = "$want" ]; then
		ok "-S: '$want'"
	else
		nok "-S: '$want' (got '$got')"
	fi
}
classify "0 none" "rcu: INFO: no stall here" "random line"
classify "1 rcu_preempt:self-detected+tasks-blocked" \
	"[  100.123456] rcu: INFO: rcu_preempt self-detected stall on CPU" \
	"[  100.123460] rcu: 	Tasks blocked on level-0 rcu_node (CPUs 0-1): P123/1:b..l"
classify "2 rcu_sched:detected+kthread-starved" \
	"4,1234,5678,-;rcu: INFO: rcu_sched detected stalls on CPUs/tasks:" \
	"4,1235,5679,-;rcu: rcu_sched kthread starved for 2101 jiffies! g4 f0x0" \
	"4,1236,5680,c;rcu: INFO: rcu_sched detected stalls on CPUs/tasks:"
classify "1 rcu_preempt:expedited" \
	"rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies s: 225 root: 0x2/."
classify "1 softlockup" "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/u4:1:55]"
classify "2 rcu_preempt:detected+softlockup" \
	"rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" \
	"watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [x:1]"

# --- rlab-study against a fake debugfs directory (no module): its rows
# take the module's results by the names of their header line, in any
# order; its header is the schema's
study=$top/tools/rlab-study
fake=$tmp/debugfs
# fake_results HEADER ROW [stale]: a debugfs directory whose results file
# reads HEADER for rlab-study's first two reads (its check, and the id
# before its teardown), then HEADER and ROW, as if the teardown had written
# it; with "stale" HEADER and ROW from the first read on (the row after a
# teardown is an old one).  results is a symlink to one FIFO per read,
# moved on to the next as soon as a reader has opened the current one, so
# each read gets its own content whatever the timing; commands go to
# control, a plain file.
fake_stop() {
	[ -z "${fake_pid:-}" ] || { kill "$fake_pid"; wait "$fake_pid"; } 2>/dev/null
	fake_pid=
}
fake_results() {
	fake_stop
	rm -rf "$fake"
	mkdir -p "$fake"
	: >"$fake/control"
	printf 'state: empty\npreempt: dynamic:full\n' >"$fake/status"
	mkfifo "$fake/r.1"
	ln -s r.1 "$fake/results"
	(
		i=1
		while :; do
			exec 4>"$fake/r.$i" || exit 0
			mkfifo "$fake/r.$((i + 1))" && ln -s "r.$((i + 1))" "$fake/next" &&
				mv -T "$fake/next" "$fake/results" || exit 1
			if [ "$i" -le 2 ] && [ "${3:-}" != stale ]; then
				printf '%s\n' "$1" >&4
			else
				printf '%s\n%s\n' "$1" "$2" >&4
			fi
			exec 4>&-
			rm -f "$fake/r.$i"
			i=$((i + 1))
		done
	) &
	fake_pid=$!
}
# study_run: rlab-study on the fake directory, one 1000-slot plain
# teardown, rows to $tmp/s.csv; $rc, $err
study_run() {
	RL_DEBUGFS=$fake "$study" -s 1000 -m plain -r 1 -f 0 -H 0 -n fake -A native \
		-o "$tmp/s.csv" 2>"$tmp/s.err"
	rc=$?
	err=$(cat "$tmp/s.err")
}
rm -f "$tmp/s.csv"
fake_results 'gp_max_ns gp_samples sections max_section_ns ns_per_slot duration_ns cpu ctx batch mode filled size id' \
	'7000 6 5 4000 3.000 3000 1 worker - plain 0 1000 1'
study_run
srow=$(sed -n 2p "$tmp/s.csv")
check "rlab-study, results header reordered: exit $rc, the schema's header" \
	[ "$rc,$(head -n 1 "$tmp/s.csv")" = "0,$header" ]
check "  each field by its name (size 1000, duration 3000, ns/slot 3.000, section 4000 x 5, gp 6 / 7000)" \
	[ "$(col "$srow" 7-11),$(col "$srow" 13-18)" = "1000,0,plain,-,worker,3000,3.000,4000,5,6,7000" ]
check "  $ncol columns, gp_source probe, no trigger or function figures" \
	[ "$(printf '%s\n' "$srow" | awk -F, '{ print NF }'),$(col "$srow" 22-25)" = "$ncol,,,,probe" ]
check "  scenario, preempt (status), hog 0, accel" \
	[ "$(col "$srow" 1),$(col "$srow" 3),$(col "$srow" 5),$(col "$srow" 21)" = "fake,dynamic:full,0,native" ]
cp "$tmp/s.csv" "$tmp/s.keep"
fake_results 'id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples' \
	'1 1000 0 plain - worker 1 3000 3.000 4000 5 6'
study_run
check "rlab-study, results without gp_max_ns: exit 1 naming it, nothing appended, no command sent" \
	sh -c "[ $rc -eq 1 ] && printf '%s' '$err' | grep -q 'results: no field \"gp_max_ns\" in its header' &&
		cmp -s '$tmp/s.csv' '$tmp/s.keep' && [ ! -s '$fake/control' ]"
fake_results 'id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples gp_max_ns' \
	'1 1000 0 plain - worker 1 3000 3.000 4000 5 6'
study_run
check "rlab-study, a results row shorter than its header: exit 1, named" \
	sh -c "[ $rc -eq 1 ] && printf '%s' '$err' | grep -q 'the last row has 12 fields, the header 13'"
fake_results 'id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples gp_max_ns' \
	'1 1000 0 plain - worker 1 3000 3.000 4000 5 6 7000'
"$top/test/lib/columns.sh" 24 >"$tmp/old.csv"
RL_DEBUGFS=$fake "$study" -s 1000 -m plain -r 1 -f 0 -H 0 -o "$tmp/old.csv" 2>"$tmp/s.err"
rc=$?
check "rlab-study -o a CSV with another header (24 columns): exit 1, nothing appended" \
	sh -c "[ $rc -eq 1 ] && grep -q 'its header is not the schema' '$tmp/s.err' && [ \$(wc -l <'$tmp/old.csv') -eq 1 ]"
rm -f "$tmp/s.csv"
fake_results 'id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples gp_max_ns' \
	'1 1000 0 plain - worker 1 3000 3.000 4000 5 6 7000' stale
study_run
check "rlab-study, the row after a teardown is the one before it (a stale row): exit 1, named, no row" \
	sh -c "[ $rc -eq 1 ] && printf '%s' \"\$1\" | grep -q 'row 1 .* after row 1 is not this teardown' &&
		[ \$(wc -l <'$tmp/s.csv') -eq 1 ]" sh "$err"
fake_results 'id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples gp_max_ns' \
	'1 1000 0 plain - worker 1 3000 3.000 4000 5 6 7000'
rm -f "$tmp/s.csv"
RL_DEBUGFS=$fake "$study" -s 1000 -m batch:8 -r 1 -f 0 -H 0 -n fake -A native -o "$tmp/s.csv" 2>"$tmp/s.err"
rc=$?
check "rlab-study, a batch:8 teardown answered by a plain row: exit 1, named, no row" \
	sh -c "[ $rc -eq 1 ] && grep -q 'is not this teardown.s (1000 slots, batch:8)' '$tmp/s.err' &&
		[ \$(wc -l <'$tmp/s.csv') -eq 1 ]"
{ cat "$top/tools/columns"; printf 'column\tnew_one\t26\tnum\ta column rlab-study does not know\n'; } \
	>"$tmp/columns"
rm -f "$tmp/s.csv"
RL_COLUMNS=$tmp/columns study_run
check "rlab-study, a schema with a column it does not write: exit 1 naming it, no CSV" \
	sh -c "[ $rc -eq 1 ] && grep -q \"column 'new_one' is not one rlab-study writes\" '$tmp/s.err' &&
		[ ! -e '$tmp/s.csv' ]"

fake_stop

# -B: kernel badness (stall.c's vocabulary; test/classify.sh has the rest)
got=$(printf '%s\n' "hello" "WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 foo+0x0/0x10" | "$bin" -B | head -n 1)
check "-B: a WARNING is badness ('$got')" [ "$got" = "1 warning" ]
got=$(printf '%s\n' "hello" | "$bin" -B)
check "-B: nothing bad: '0 none' ('$got')" [ "$got" = "0 none" ]

# --- the real map
run -s 1M -k 100 -r 1
if [ "$rc" -eq 2 ] && printf '%s\n' "$err" | grep -q 'refuses bpf(2)'; then
	diag "$err"
	skip "bpf(2) refused on this machine: the map tests (exit 2 and the message checked)"
	finish
fi
check "-s 1M -k 100 -r 1: exit 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || printf '%s\n' "$err" | sed 's/^/# /'
check "the header is the schema's (tools/columns, $ncol columns)" \
	[ "$(printf '%s\n' "$out" | head -n 1)" = "$header" ]
check "a kernel row and an idle row after the header" \
	[ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f9 | tr '\n' ' ')" = "kernel idle " ]
check "every line has $ncol columns" \
	[ "$(printf '%s\n' "$out" | awk -F, -v n="$ncol" 'NF != n' | wc -l)" -eq 0 ]
check "gp_source membarrier on every row" \
	[ "$(printf '%s\n' "$out" | sed 1d | cut -d, -f25 | sort -u)" = membarrier ]
k=$(mode_row kernel)
i=$(mode_row idle)
accel=native
grep -q 'rl\.suite=' /proc/cmdline && accel=tcg
timeout=$(cat /sys/module/rcupdate/parameters/rcu_cpu_stall_timeout 2>/dev/null)
model=$(sed -n 's/.*[([]\([a-z]*\)[])].*/\1/p' /sys/kernel/debug/sched/preempt 2>/dev/null)
check "kernel row: mode kernel, size 1000000, filled 100, rep 1" \
	[ "$(col "$k" 7-9),$(col "$k" 12)" = "1000000,100,kernel,1" ]
check "kernel row: accel $accel" [ "$(col "$k" 21)" = "$accel" ]
check "kernel row: kernel $(uname -r), $(grep -c '^processor' /proc/cpuinfo) cpus, hog off" \
	[ "$(col "$k" 2),$(col "$k" 6),$(col "$k" 5)" = "$(uname -r),$(grep -c '^processor' /proc/cpuinfo),off" ]
check "kernel row: batch -, ctx worker" [ "$(col "$k" 10-11)" = "-,worker" ]
check "kernel row: scenario ${model:-unknown}-t${timeout:-unknown}, stall_timeout ${timeout}" \
	[ "$(col "$k" 1),$(col "$k" 4)" = "${model:-unknown}-t${timeout:-unknown},$timeout" ]
check "kernel row: preempt '${model:+dynamic:$model}' (sched/preempt's mode)" \
	[ "$(col "$k" 3)" = "${model:+dynamic:$model}" ]
check "kernel row: gp_samples >= 1" gt "$(col "$k" 17)" 0
check "kernel row: gp_max_ns > 0" gt "$(col "$k" 18)" 0
check "kernel row: max_section_ns and sections empty" [ "$(col "$k" 15-16)" = "," ]
dur=$(col "$k" 13)
nps=$(col "$k" 14)
if [ -z "$dur" ]; then
	check "kernel row: duration_ns empty (loop not timed), so is ns_per_slot" [ -z "$nps" ]
else
	per_slot() { gt "$dur" 0 && [ "$(awk -v d="$dur" 'BEGIN { printf "%d.%03d", d / 1e6, (d % 1e6) / 1e3 }')" = "$nps" ]; }
	check "kernel row: duration_ns > 0 and ns_per_slot = duration_ns / size" per_slot
fi
if [ -r /dev/kmsg ]; then
	check "kernel row: stalls a count, stall_kind classified" \
		match "$(col "$k" 19-20)" '[0-9]+,(none|rcu[a-z_]*:(detected|self-detected|expedited)(\+[a-z+-]+)?|softlockup)'
fi
check "idle row: size 1000000, filled 0, rep 1, accel $accel" \
	[ "$(col "$i" 7-8),$(col "$i" 12),$(col "$i" 21)" = "1000000,0,1,$accel" ]
check "idle row: duration_ns (the window) > 0, gp_samples >= 1, gp_max_ns > 0" \
	sh -c "[ '$(col "$i" 13)' -gt 0 ] && [ '$(col "$i" 17)' -ge 1 ] && [ '$(col "$i" 18)' -gt 0 ]"
check "stderr: one progress line per rep with the loop, gp max and idle" \
	match "$(printf '%s\n' "$err" | grep -c 'rep 1/1: window .* gp max .* (idle ')" 1

# --- the cases (-l, -t): each a real kernel path, a row of its mode and
# an idle row; the walk's trigger timed; the function timed by fexit where
# the kernel allows it, else the reason in the row
run -l
check "-l: the five cases" [ "$(printf '%s\n' "$out" | awk '/^[a-z]/ { print $1 }' | tr '\n' ' ')" = \
	"reuseport perf_event_array htab_timer devmap devmap_hash " ]
# case NAME SIZE FILLED CTX: one teardown of NAME, its rows checked
case_run() {
	local name=$1 size=$2 filled=$3 ctx=$4 r d t fn ft
	shift 4
	run -t "$name" -s "$size" -r 1 "$@"
	if [ "$rc" -eq 2 ]; then
		diag "$err"
		skip "-t $name: the kernel refuses it here (exit 2)"
		return
	fi
	check "-t $name -s $size: exit 0, a $name row and an idle row" \
		[ "$rc,$(printf '%s\n' "$out" | sed 1d | cut -d, -f9 | tr '\n' ' ')" = "0,$name idle " ]
	[ "$rc" -eq 0 ] || { printf '%s\n' "$err" | tail -n 3 | sed 's/^/# /'; return; }
	r=$(mode_row "$name")
	check "-t $name: $ncol columns, filled $filled, ctx $ctx, gp_source membarrier" \
		[ "$(printf '%s\n' "$r" | awk -F, '{ print NF }'),$(col "$r" 8),$(col "$r" 11),$(col "$r" 25)" = "$ncol,$filled,$ctx,membarrier" ]
	t=$(col "$r" 22)
	check "-t $name: trigger_ns > 0" gt "$t" 0
	d=$(col "$r" 13)
	case $name in
	perf_event_array|htab_timer)
		check "-t $name: the walk is the close(): duration_ns = trigger_ns" [ "$d" = "$t" ] ;;
	*)
		check "-t $name: duration_ns empty (not timed) or > 0" sh -c "[ -z '$d' ] || [ '$d' -gt 0 ]" ;;
	esac
	fn=$(col "$r" 23)
	ft=$(col "$r" 24)
	check "-t $name: fn_timing fexit:FUNC or none:REASON ($ft)" \
		match "$ft" '(fexit:[a-z_]+|none:[a-z0-9-]+)'
	case $ft in
	fexit:*) check "-t $name: fexit timed the function: fn_ns > 0" gt "$fn" 0 ;;
	*) check "-t $name: no fexit: fn_ns empty" [ -z "$fn" ] ;;
	esac
	check "-t $name: the idle row has no trigger or function figures, gp_source membarrier" \
		[ "$(col "$(mode_row idle)" 22-25)" = ",,,membarrier" ]
}
case_run perf_event_array 1M 100 task -k 100
case_run htab_timer 100K 100000 task
case_run devmap 1M 100 worker -k 100
case_run devmap_hash 1M 100 worker -k 100
r=$(mode_row devmap_hash)
check "-t devmap_hash -s 1M: size is the buckets walked (2^20)" [ "$(col "$r" 7)" = 1048576 ]
check "-t devmap, devmap_hash: no child left behind (no rlab-repro process)" nope pgrep -x rlab-repro

# -o: a header once, rows appended
csv=$tmp/study.csv
run -s 1M -k 10 -r 1 -o "$csv"
run -s 1M -k 10 -r 2 -o "$csv"
check "-o CSV: nothing on stdout" [ -z "$out" ]
check "-o CSV twice: one header, 6 rows" \
	[ "$(grep -c '^scenario,' "$csv"),$(sed 1d "$csv" | wc -l)" = "1,6" ]
check "-o CSV: header first" [ "$(head -n 1 "$csv")" = "$header" ]
check "-r 2: reps 1 and 2" [ "$(sed 1d "$csv" | cut -d, -f12 | tr '\n' ' ')" = "1 1 1 1 2 2 " ]
"$top/test/lib/columns.sh" 24 >"$tmp/old.csv"
run -s 1M -k 10 -r 1 -o "$tmp/old.csv"
check "-o a CSV with another header (24 columns): exit 1, named, nothing appended" \
	sh -c "[ $rc -eq 1 ] && grep -q 'old.csv: its header is not the schema' '$tmp/err' &&
		[ \$(wc -l <'$tmp/old.csv') -eq 1 ]"

# -n, -A, -k 0
run -s 1M -k 0 -r 1 -n myscen -A kvm
k=$(mode_row kernel)
check "-n myscen -A kvm -k 0: scenario, accel, filled 0, no duration" \
	[ "$rc,$(col "$k" 1),$(col "$k" 21),$(col "$k" 8),$(col "$k" 13)" = "0,myscen,kvm,0," ]

# -k for entries that hold no file: no RLIMIT_NOFILE raise needed
run_limited_devmap() {
	bash -c "ulimit -n 256 && '$bin' -t devmap -s 1M -k 2000 -r 1" >"$tmp/out" 2>"$tmp/err"
}
run_limited_devmap
check "-t devmap -k 2000 under ulimit -n 256: the entries are ifindexes, not files (exit $?)" \
	[ "$(awk -F, '$9 == "devmap" { print $8 }' "$tmp/out")" = 2000 ]

# faked files, in a private mount namespace
if unshare -m --propagation private true 2>/dev/null; then
	echo "quiet rl.suite=stall" >"$tmp/cmdline"
	printf 'none voluntary (full) lazy\n' >"$tmp/preempt"
	private "mount -t tmpfs none /sys/kernel/debug && mkdir /sys/kernel/debug/sched &&
		cp '$tmp/preempt' /sys/kernel/debug/sched/preempt &&
		mount --bind '$tmp/cmdline' /proc/cmdline &&
		'$bin' -s 1M -k 10 -r 1" >"$tmp/out" 2>/dev/null
	k=$(awk -F, '$9 == "kernel"' "$tmp/out")
	check "rl.suite= in /proc/cmdline: accel tcg" [ "$(col "$k" 21)" = tcg ]
	check "sched/preempt '(full)': preempt dynamic:full, scenario full-t$timeout" \
		[ "$(col "$k" 3),$(col "$k" 1)" = "dynamic:full,full-t$timeout" ]
	mkfifo "$tmp/fifo"
	private "mount --bind '$tmp/fifo' /dev/kmsg && '$bin' -s 1M -k 10 -r 1" >"$tmp/out" 2>/dev/null
	k=$(awk -F, '$9 == "kernel"' "$tmp/out")
	check "/dev/kmsg unreadable: stalls and stall_kind empty, gp columns kept" \
		sh -c "[ '$(col "$k" 19-20)' = , ] && [ '$(col "$k" 18)' -gt 0 ]"
	# the hog throttles itself: RT throttling off is no reason to refuse
	echo -1 >"$tmp/rt"
	hc=$(($(getconf _NPROCESSORS_ONLN) - 1))
	private "mount --bind '$tmp/rt' /proc/sys/kernel/sched_rt_runtime_us && '$bin' -s 1M -r 1 -H $hc" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	# (rlab-repro no longer reads the setting: this shows only that -H
	# runs and fills its column; the throttle itself is the test below)
	check "-H (sched_rt_runtime_us faked -1, no longer read): runs (exit $rc), hog column $hc" \
		[ "$rc,$(col "$(awk -F, '$9 == "kernel"' "$tmp/out")" 5)" = "0,$hc" ]
	# PREEMPT_RT: /sys/kernel/realtime is 1; sched/preempt says full (or
	# lazy) there, the module says dynamic:rt: so does rlab-repro
	rt_model() {
		private "mount -t tmpfs none /sys/kernel && mkdir -p /sys/kernel/debug/sched &&
			printf '$1\n' > /sys/kernel/debug/sched/preempt &&
			{ [ -z '$2' ] || echo '$2' > /sys/kernel/realtime; } &&
			'$bin' -s 1M -k 10 -r 1" 2>"$tmp/err" | awk -F, '$9 == "kernel"'
	}
	k=$(rt_model 'none voluntary (full)' 1)
	check "sched/preempt '(full)', /sys/kernel/realtime 1: preempt dynamic:rt, scenario rt-t$timeout" \
		[ "$(col "$k" 3),$(col "$k" 1)" = "dynamic:rt,rt-t$timeout" ]
	k=$(rt_model 'full (lazy)' 1)
	check "sched/preempt '(lazy)', /sys/kernel/realtime 1: preempt dynamic:rt" \
		[ "$(col "$k" 3)" = "dynamic:rt" ]
	k=$(rt_model 'none voluntary (full)' 0)
	check "sched/preempt '(full)', /sys/kernel/realtime 0: preempt dynamic:full" \
		[ "$(col "$k" 3)" = "dynamic:full" ]
	k=$(private "mount -t tmpfs none /sys/kernel && echo 1 > /sys/kernel/realtime &&
		'$bin' -s 1M -k 10 -r 1" 2>/dev/null | awk -F, '$9 == "kernel"')
	check "no sched/preempt (PREEMPT_DYNAMIC=n), /sys/kernel/realtime 1: preempt rt" \
		[ "$(col "$k" 3),$(col "$k" 1)" = "rt,rt-t$timeout" ]
else
	skip "faked /proc/cmdline, sched/preempt, /dev/kmsg, sched_rt_runtime_us, realtime: no unshare -m"
fi

# -H: a real hog
cpus=$(getconf _NPROCESSORS_ONLN)
if [ "$cpus" -lt 2 ]; then
	skip "-H: one CPU only"
else
	hc=$((cpus - 1))
	run -s 1M -k 100 -r 1 -H $hc
	k=$(mode_row kernel)
	i=$(mode_row idle)
	check "-H $hc: exit 0, hog column $hc on both rows" \
		[ "$rc,$(col "$k" 5),$(col "$i" 5)" = "0,$hc,$hc" ]
	# The hog throttles itself: 950 ms of spinning, then a sleep, every
	# second, whatever sched_rt_runtime_us says.  Seen from /proc: a
	# SCHED_FIFO thread at priority 50 (the timing threads run at 51) seen
	# before 0.9 s of its life (its start time in stat) and again after
	# 1.2 s has slept in between: its voluntary_ctxt_switches grew.
	# htab_timer at 8M buckets (1.2 GB) for windows of seconds: two hog
	# threads, the walk's and the idle window's.
	# The watcher runs at SCHED_FIFO 99 on CPU 0 (not the hog's: RT
	# throttling there would hold it too), on builtins but sleep.
	hog_watch() (
		local p t l f v now tck
		tck=$(getconf CLK_TCK)
		"$bin" -t htab_timer -s 8M -r 1 -H $hc >"$tmp/hog.csv" 2>"$tmp/hog.err" &
		p=$!
		chrt -f -p 99 "$BASHPID" && taskset -p -c 0 "$BASHPID" >/dev/null || exit 1
		while kill -0 $p 2>/dev/null; do
			for t in "/proc/$p/task/"*; do
				# stat after "(comm) ": starttime 20th, rt_priority
				# 38th, policy 39th
				read -r l <"$t/stat" 2>/dev/null || continue
				read -ra f <<<"${l##*) }"
				[ "${f[37]}:${f[38]}" = 50:1 ] || continue
				v=
				while read -r l; do
					case $l in voluntary_ctxt_switches:*) v=${l##*[[:space:]]} ;; esac
				done <"$t/status" 2>/dev/null
				read -r now _ </proc/uptime
				echo "${t##*/} $now ${f[19]} $tck $v"
			done
			sleep 0.05
		done >"$tmp/hog.seen"
		wait $p
	)
	if hog_watch; then
		diag "-t htab_timer -s 8M -H $hc: $(grep -o 'rep [0-9/]*: window [0-9.]* ms' "$tmp/hog.err")"
		# per thread: its age at the first and the last look, and how much
		# its count grew in between
		awk '$5 != "" { age = $2 - $3 / $4
			if (!($1 in a0)) { a0[$1] = age; v0[$1] = $5 }; a1[$1] = age; v1[$1] = $5 }
			END { for (k in a0) printf "%s %.2f %.2f %d\n", k, a0[k], a1[k], v1[k] - v0[k] }' \
			"$tmp/hog.seen" >"$tmp/hog.spans"
		diag "hog threads (tid, age at first and last look, voluntary switches between): $(tr '\n' ';' <"$tmp/hog.spans")"
		if awk '$2 <= 0.9 && $3 >= 1.2 { n++ } END { exit !n }' "$tmp/hog.spans"; then
			# shellcheck disable=SC2016
			check "-H $hc: a hog thread seen before 0.9 s and after 1.2 s of its life slept between (voluntary switches)" \
				awk '$2 <= 0.9 && $3 >= 1.2 && $4 < 1 { bad = 1 } END { exit bad }' "$tmp/hog.spans"
		else
			skip "-H $hc: no hog thread seen before 0.9 s and after 1.2 s of its life (windows too short here)"
		fi
	else
		nok "-H $hc -t htab_timer -s 8M: exit 0"
		tail -n 3 "$tmp/hog.err" | sed 's/^/# /'
	fi
fi

# RLIMIT_NOFILE: raised to fit the sockets, up to the hard limit, beyond it
# with CAP_SYS_RESOURCE; else a clear failure
run_limited() {
	bash -c "ulimit $1 256 && $2 '$bin' -s 1M -k 2000 -r 1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	k=$(awk -F, '$9 == "kernel"' "$tmp/out")
}
limit_msg='RLIMIT_NOFILE: -k 2000 needs 2064 open files; the limit is 256 (hard 256) and raising it failed'
run_limited -Sn ""
check "ulimit -Sn 256 (soft), -k 2000: raised, 2000 sockets placed" \
	[ "$rc,$(col "$k" 8)" = "0,2000" ]
eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
run_limited -n ""
if [ $(( 0x${eff:-0} >> 24 & 1 )) -eq 1 ]; then
	check "ulimit -n 256 (soft and hard), CAP_SYS_RESOURCE, -k 2000: raised, 2000 sockets placed" \
		[ "$rc,$(col "$k" 8)" = "0,2000" ]
else
	diag "no CAP_SYS_RESOURCE here: the hard limit cannot be raised"
	check "ulimit -n 256 (soft and hard), no CAP_SYS_RESOURCE, -k 2000: exit 1 naming RLIMIT_NOFILE" \
		sh -c "[ $rc -eq 1 ] && grep -q '$limit_msg' '$tmp/err' && [ ! -s '$tmp/out' ]"
fi
if setpriv --bounding-set=-sys_resource true 2>/dev/null; then
	run_limited -n "setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource"
	check "ulimit -n 256 with CAP_SYS_RESOURCE dropped, -k 2000: exit 1 naming RLIMIT_NOFILE" \
		sh -c "[ $rc -eq 1 ] && grep -q '$limit_msg' '$tmp/err' && [ ! -s '$tmp/out' ]"
else
	skip "RLIMIT_NOFILE refusal: setpriv cannot drop CAP_SYS_RESOURCE"
fi

# a machine that refuses bpf(2): root without capabilities
if setpriv --bounding-set=-all true 2>/dev/null; then
	setpriv --inh-caps=-all --bounding-set=-all "$bin" -s 1M -r 1 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "bpf(2) refused (no capabilities): exit 2, a clear message, no CSV" \
		sh -c "[ $rc -eq 2 ] && grep -q 'this machine refuses bpf(2) for BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: BPF_MAP_CREATE: Operation not permitted' '$tmp/err' && [ ! -s '$tmp/out' ] && ! grep -q '^usage:' '$tmp/err'"
else
	skip "bpf(2) refusal: setpriv cannot drop capabilities"
fi

finish
