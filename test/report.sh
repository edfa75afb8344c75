#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# report.sh: test tools/rlab-report on the host (no VM).  Prints TAP ("ok N -
# ...", "not ok N - ...", "# ..." comments, "1..N" last) and exits 0 iff
# every test passed.  Asserts the figures the report computes from fixture
# CSVs (OUTDIR/figures.txt, "key value" lines), not its sentences; then its
# refusals: fields outside their column's form (tools/columns), the output
# directory's and TMPDIR's character set, arguments.  Seconds.
#
#   test/report.sh [STUDY.csv]
#
# STUDY.csv (e.g. the rows of a guest's stall suite) is reported too: study.md,
# three PNGs, a stall row.  Environment: RL_REPORT (the rlab-report to test,
# default tools/rlab-report), RL_REPORT_OUT (keep the outputs there, else a
# temporary directory removed at the end).

# (functions below are called through check; the quoted `...` and $(...) are
# the attacks)
# shellcheck disable=SC2317,SC2016
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=test/lib/tap.sh
. "$top/test/lib/tap.sh"
rr=${RL_REPORT:-$top/tools/rlab-report}
if [ -n "${RL_REPORT_OUT:-}" ]; then
	t=$RL_REPORT_OUT
	rm -rf "$t"
	mkdir -p "$t" || exit 1
else
	t=$(mktemp -d /tmp/rlab-report-test.XXXXXX) || exit 1
	trap 'rm -rf "$t"' EXIT
fi
finish() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
	exit
}
# the header of N columns, from the schema
header() { awk -F'\t+' -v n="$1" '$1 == "column" && ++i <= n {
	printf "%s%s", (i > 1 ? "," : ""), $2 } END { print "" }' "$top/tools/columns"; }
# report NAME [NATIVE]: run rlab-report on $t/NAME.csv into $t/NAME
# (stdout NAME.out, stderr NAME.err); its exit status
report() {
	rm -rf "${t:?}/$1"
	(cd "$t" && "$rr" "$1.csv" "$1" ${2:+"$2"} > "$1.out" 2> "$1.err")
}
# fig NAME KEY: the figure KEY of report NAME ("" when absent)
fig() {
	awk -v k="$2" 'index($0, k " ") == 1 { print substr($0, length(k) + 2); exit }' \
		"$t/$1/figures.txt" 2>/dev/null
}
# is NAME KEY VALUE: a check that figure KEY of NAME is VALUE
is() {
	local v
	v=$(fig "$1" "$2")
	if [ "$v" = "$3" ]; then ok "  $2 = $3"; else nok "  $2 = $3 (found \"$v\")"; fi
}
# absent NAME PATTERN: no figure of NAME has a key matching the ERE PATTERN
absent() { [ -f "$t/$1/figures.txt" ] && ! grep -Eq -- "$2" "$t/$1/figures.txt"; }
png() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG' ]; }

H20=$(header 20)
H21=$(header 21)
H24=$(header 24)
H25=$(header 25)
check "the schema gives headers of 20, 21, 24 and 25 columns" \
	[ "$(echo "$H20" | tr , '\n' | wc -l)$(echo "$H25" | tr , '\n' | wc -l)" = 2025 ]

# --- a guest's study CSV, when given
if [ $# -ge 1 ]; then
	cp "$1" "$t/study.csv"
	check "rlab-report makes study.md and plots from $1" report study
	for p in ns_per_slot max_section gp_latency; do
		check "  $p.png is a PNG" png "$t/study/$p.png"
	done
	check "  study.md has the stall row" \
		grep -q '| plain .*rcu_preempt:self-detected' "$t/study/study.md"
fi

# --- TCG and native rows (21 columns): each native figure extrapolated on
# its own, a user-space loop far below the timeout and a kernel loop (as
# measured in a virtual machine, 2026-11-29) past it
S=voluntary-t3,6.1.0-57-amd64,voluntary,3,off,2
# the plain row of S, 1G slots at 5 ns, stalled
SP=$S,1000000000,1000,plain,-,worker,1,5000000000,5.000,5000000000,1,3,5000000000,1
SP=$SP,rcu_preempt:self-detected,tcg
ST=rcu_preempt:self-detected
N=native21,6.18.44,,21,off,2,2000000000
printf '%s\n' "$H21" \
	"$SP" \
	"$N,1000,kernel,-,worker,1,33847245268,16.923,,,10858,33556955115,1,$ST,native" \
	"$N,1000,kernel,-,worker,2,40000000000,20.000,,,9000,30000000000,1,$ST,native" \
	"$N,0,idle,-,,1,35207625649,,,,1281664,36751703,0,none,native" > "$t/native.csv"
check "rlab-report: TCG and native rows, the native loop 0.345 ns/slot" report native 0.345
for f in study.md ns_per_slot.png max_section.png gp_latency.png figures.txt; do
	check "  wrote $f" test -s "$t/native/$f"
done
check "  stdout is study.md's main table" grep -qxF -- "$(sed -n 3p "$t/native.out")" \
	"$t/native/study.md"
P=group,voluntary-t3,1000000000,plain
is native rows 1
is native $P,reps 1
is native $P,ns_per_slot 5
is native $P,loop_ns 5000000000
is native $P,gp_max_ns 5000000000
is native $P,stalls 1/1
is native $P,stall_kinds rcu_preempt:self-detected
is native extrap,voluntary-t3,plain,slots_timeout 600000000
is native extrap,voluntary-t3,plain,u32_section_s 21.47483648
is native tcg_plain_ns_per_slot 5
# 2^32-1 slots at 0.345 ns: 1.48 s; 21 s at 0.345 ns: 60.9G slots
is native native,limit_section_s 1.481763717
is native native,slots_21s 60869565217
K=repro,native21,native,kernel,membarrier
is native $K,teardowns 2
is native $K,size 2000000000
is native $K,ns_per_iter 16.923
is native $K,gp_max_ns 33556955115
is native $K,idle_gp_max_ns 36751703
is native $K,stalled 2
is native $K,slots_21s 1240914731
is native $K,limit_section_s 72.68373153

# --- rlab-repro's other cases natively (24 columns; as measured on this
# machine's 6.18, 2026-12-01): the walk, the gp against its own idle row, the
# map type's limit
C=native-cases,6.18.44,,59,off,2
E1=424912516,,none:trampoline-eperm
E2=149103,,none:trampoline-eperm
printf '%s\n' "$H24" \
	"$SP,,," \
	"$C,400000000,1000,perf_event_array,-,task,1,424912516,1.062,,,3,816178274,0,none,native,$E1" \
	"$C,400000000,0,idle,-,,1,424935417,,,,56,23972810,0,none,native,,," \
	"$C,536870912,1000,devmap_hash,-,worker,1,,,,,2,815969182,0,none,native,$E2" \
	"$C,536870912,0,idle,-,,1,771932181,,,,99,24006983,0,none,native,,," > "$t/cases.csv"
check "rlab-report: rlab-repro's cases natively" report cases
K=repro,native-cases,native,perf_event_array,membarrier
is cases $K,ns_per_iter 1.062
is cases $K,gp_max_ns 816178274
is cases $K,idle_gp_max_ns 23972810
is cases $K,limit 4294967295
is cases $K,limit_section_s 4.561255267
is cases $K,slots_21s 19774011299
K=repro,native-cases,native,devmap_hash,membarrier
is cases $K,unit buckets
is cases $K,size 536870912
is cases $K,ns_per_iter -
is cases $K,gp_max_ns 815969182
is cases $K,idle_gp_max_ns 24006983

# --- issue 20.2: a kernel row with an empty duration_ns keeps its grace
# period and its stall (HEAD skipped it before its native branch); an empty
# gp_max_ns is not measured, not 0 (HEAD: "0 ms against 0 ms")
printf '%s\n' "$H24" \
	"$SP,,," \
	"$N,1000,kernel,-,worker,1,,,,,10858,33556955115,1,$ST,native,,," \
	"$N,0,idle,-,,1,35207625649,,,,1281664,36751703,0,none,native,,," \
	"g0,6.18.44,,21,off,2,1000000,1000,kernel,-,worker,1,5000000,5.000,,,,,0,none,native,,," \
	"g0,6.18.44,,21,off,2,1000000,0,idle,-,,1,5000000,,,,,,0,none,native,,," > "$t/empty.csv"
check "rlab-report: native kernel rows with an empty duration_ns, an empty gp_max_ns" \
	report empty
K=repro,native21,native,kernel,membarrier
is empty $K,teardowns 1
is empty $K,loop_measured 0
is empty $K,ns_per_iter -
is empty $K,gp_max_ns 33556955115
is empty $K,idle_gp_max_ns 36751703
is empty $K,stalled 1
is empty $K,stall_kinds rcu_preempt:self-detected
is empty repro,g0,native,kernel,membarrier,gp_max_ns -
is empty repro,g0,native,kernel,membarrier,idle_gp_max_ns -
is empty repro,g0,native,kernel,membarrier,ns_per_iter 5
check "  study.md: the empty gp_max_ns reads not measured (HEAD: 0 ms against 37 ms)" \
	grep -q 'not measured' "$t/empty/study.md"
check "  nor 0 ms against anything" nope grep -q ' 0 ms against' "$t/empty/study.md"
check "  the stalled real map's line is there" \
	grep -q "^- The real map on this machine's kernel (6.18.44): 2000M slots, 1 " \
	"$t/empty/study.md"

# --- issue 20.2: kernel and idle rows under tcg are rlab-repro's, not the
# study's: not in the table (HEAD: idle at "0.00" ns/slot, the window as its
# loop, ranked with batch, and "/worker" on every mode for the idle row's
# empty ctx); the TCG plain median only from accel tcg rows
V=dynamic:voluntary,3,off
G=deb12/t3,6.1.0-56-amd64,$V,2,1000
printf '%s\n' "$H21" \
	"$G,1000,plain,-,worker,1,5000,5.000,5000,1,1,4000000,1,rcu_preempt:self-detected,tcg" \
	"$G,1000,batch,64,worker,1,6000,6.000,600,16,3,1000000,0,none,tcg" \
	"$G,1000,kernel,-,worker,1,5000,5.000,,,3,9000000,0,none,tcg" \
	"$G,0,idle,-,,1,5000,,,,3,2000000,0,none,tcg" \
	"hw,6.1.0-56-amd64,$V,2,1000,1000,plain,-,worker,1,1000,1.000,1000,1,1,1000,0,none,native" \
	"bpo12/hog,6.12.95+deb12-amd64,$V,1,1000,1000,kernel,-,worker,1,,,,,,,0,none,tcg" \
	> "$t/guest.csv"
check "rlab-report: kernel and idle rows under tcg beside rlab-study's" report guest 0.5
check "  no table row, no series of kernel or idle" \
	absent guest '^(group|series),[^,]*,.*(kernel|idle)'
check "  no mode gains /worker" absent guest '/worker,'
is guest series,deb12/t3,plain,ns_per_slot 5
is guest series,deb12/t3,batch:64,ns_per_slot 6
is guest rows 3
check "  stdout's table: plain then batch:64, no kernel or idle row" \
	[ "$(awk -F' *[|] *' 'NR > 2 { printf "%s ", $4 }' "$t/guest.out")" = "plain batch:64 plain " ]
is guest tcg_plain_ns_per_slot 5
K=repro,deb12/t3,tcg,kernel,membarrier
is guest $K,ns_per_iter 5
is guest $K,gp_max_ns 9000000
is guest $K,idle_gp_max_ns 2000000
K=repro,bpo12/hog,tcg,kernel,membarrier
is guest $K,teardowns 1
is guest $K,ns_per_iter -
is guest $K,gp_max_ns -
check "  no extrapolation from a guest's rlab-repro" absent guest '^repro,[^ ]*,tcg,.*slots_21s'

# --- gp_source (25 columns): each grace-period figure labelled by its source,
# a probe figure never set beside a membarrier one
printf '%s\n' "$H25" \
	"$G,1000,plain,-,worker,1,5000,5.000,5000,1,1,4000000,1,rcu_preempt:self-detected,tcg,,,,probe" \
	"$G,1000,resched,-,worker,1,5000,5.000,5000,1,1,7000000,0,none,tcg,,,,membarrier" \
	"$G,1000,kernel,-,worker,1,5000,5.000,,,3,9000000,0,none,tcg,,,,membarrier" \
	"$G,0,idle,-,,1,5000,,,,3,2000000,0,none,tcg,,,,membarrier" \
	"$G,1000,devmap,-,worker,1,5000,5.000,,,3,8000000,0,none,tcg,,,,probe" \
	"$G,0,idle,-,,1,5000,,,,3,3000000,0,none,tcg,,,,probe" > "$t/gpsrc.csv"
check "rlab-report: a 25-column file with gp_source" report gpsrc
is gpsrc group,deb12/t3,1000,plain,gp_max_ns 4000000
is gpsrc group,deb12/t3,1000,resched,gp_max_ns -
is gpsrc repro,deb12/t3,tcg,kernel,membarrier,gp_label "longest grace-period wait (membarrier)"
is gpsrc repro,deb12/t3,tcg,kernel,membarrier,gp_max_ns 9000000
is gpsrc repro,deb12/t3,tcg,devmap,probe,gp_label "longest grace period"
is gpsrc repro,deb12/t3,tcg,devmap,probe,idle_gp_max_ns 3000000
check "  the membarrier line says so" grep -q "^- deb12/t3: the real map under tcg .*;\
 longest grace-period wait (membarrier) 9 ms against 2 ms" "$t/gpsrc/study.md"

# --- the Conclusions' figures: plain stalls from 10M slots, resched not at
# 10M but at 100M, batch never; in a second scenario resched splits the
# section, batch:256 stalls, batch:512 has no stall count, batch:128 shares
# no size with plain; two ctx (worker, sync)
R=vol-t3,6.1.0-57-amd64,voluntary,3,off,2
Q=pre-t3,6.1.0-57-amd64,full,3,0,2
{
	echo "$H24"
	for z in 1000000 10000000 100000000; do
		d=$((z * 5)) e=$((z * 6)) st=0,none rs=0,none
		[ $z -ge 10000000 ] && st=1,$ST
		[ $z -ge 100000000 ] && rs=1,rcu_preempt:detected
		echo "$R,$z,1000,plain,-,worker,1,$d,5.000,$d,1,3,$d,$st,tcg,,,"
		echo "$R,$z,1000,plain,-,worker,2,$e,6.000,$e,1,3,$e,$st,tcg,,,"
		echo "$R,$z,1000,resched,-,worker,1,$d,5.100,$d,1,3,$d,$rs,tcg,,,"
		b=$((d * 11 / 10)),5.500,5000,$((z / 1024)),90,20000000,0,none,tcg,,,
		echo "$R,$z,1000,batch,1024,worker,1,$b"
	done
	echo "$R,1000000,1000,plain,-,sync,1,4000000,4.000,4000000,1,3,4000000,0,none,tcg,,,"
	echo "$R,1000000,1000,batch,64,sync,1,4400000,4.400,300,15625,3,2000000,0,none,tcg,,,"
	for z in 1000000 10000000; do
		d=$((z * 7))
		echo "$Q,$z,1000,plain,-,worker,1,$d,7.000,$d,1,3,$d,0,none,tcg,,,"
		echo "$Q,$z,1000,resched,-,worker,1,$d,7.000,$((d / 10)),10,3,$((d / 10)),0,none,tcg,,,"
		echo "$Q,$z,1000,batch,256,worker,1,$d,7.000,2000,$((z / 256)),3,20000000,1,$ST,tcg,,,"
		echo "$Q,$z,1000,batch,512,worker,1,$d,7.000,4000,$((z / 512)),3,20000000,,,tcg,,,"
	done
	echo "$Q,5000000,1000,batch,128,worker,1,35000000,7.000,1000,39062,3,20000000,0,none,tcg,,,"
} > "$t/concl.csv"
check "rlab-report: the Conclusions of two scenarios, three sizes, two ctx" report concl
is concl overall,plain_stalled 1
is concl overall,batch_stalled 1
is concl series,vol-t3,plain/worker,ns_per_slot 5.5
K=stall,vol-t3,plain/worker
is concl $K,first_size 10000000
is concl $K,first_stalls 2/2
is concl $K,ok_size 1000000
is concl $K,stalled_sizes "10000000|100000000"
is concl stall,vol-t3,plain/sync,first_size -
K=vs,vol-t3,resched/worker,plain/worker
is concl $K,same 0
is concl $K,differ 10000000
is concl $K,both_stalled 100000000
is concl $K,section_ratio 0.9090909091
is concl vs,pre-t3,resched/worker,plain/worker,section_ratio 0.1
# at 100M: 550 ms (5.5 ns/slot) against plain's median of 500 and 600 ms
is concl vs,vol-t3,batch:1024/worker,plain/worker,loop_ratio 1
is concl vs,vol-t3,batch:64/sync,plain/sync,loop_ratio 1.1
check "  batch:64/sync is not set against plain/worker" \
	absent concl '^vs,vol-t3,batch:64/sync,plain/worker,'
is concl vs,pre-t3,batch:128/worker,plain/worker,size -
is concl series,pre-t3,batch:256/worker,stalls 2/2
is concl series,pre-t3,batch:512/worker,stalls -
is concl series,vol-t3,batch:1024/worker,largest_sections 97656

# --- older files: 20 columns, and files appended to one another (a header
# again), are read
printf '%s\n' "$H20" "$G,1000,plain,-,worker,1,5000,5.000,5000,1,1,4000000,0,none" \
	"$H20" "$G,1000,plain,-,worker,2,7000,7.000,7000,1,1,4000000,0,none" > "$t/old.csv"
check "rlab-report: 20 columns, the header twice" report old
is old rows 2
is old group,deb12/t3,1000,plain,ns_per_slot 6

# --- refusals: a bad input gives a clear error and writes nothing
# A CSV field never reaches gnuplot or a shell unchecked: gnuplot runs
# `...` inside double-quoted strings, and plot titles hold the scenario.
sed '2s/^voluntary-t3,/x`touch pwned`,/' "$t/native.csv" > "$t/evil.csv"
rm -f "$t/pwned"
report evil
rc=$?
check "rlab-report refuses a scenario with a backquote (exit $rc)" [ "$rc" -eq 1 ]
check "  naming the line and the field" \
	grep -q '^rlab-report: evil.csv:2: field 1 (scenario) "x`touch pwned`"' "$t/evil.err"
check "  and runs nothing, writes nothing" nope test -e "$t/pwned" -o -e "$t/evil"
sed '3s/,rcu_preempt:self-detected,native$/,$(touch pwned),native/' "$t/native.csv" \
	> "$t/evil2.csv"
report evil2
rc=$?
check "rlab-report refuses a \$(...) in stall_kind, the 20th column (exit $rc)" [ "$rc" -eq 1 ]
check "  naming it" grep -q '^rlab-report: evil2.csv:3: field 20 (stall_kind)' "$t/evil2.err"
check "  writes nothing" nope test -e "$t/pwned" -o -e "$t/evil2"
sed '1s/,accel$/,acel/' "$t/native.csv" > "$t/hdr.csv"
report hdr
rc=$?
check "rlab-report refuses a header not of the schema (exit $rc)" [ "$rc" -eq 1 ]
check "  saying so" grep -q '^rlab-report: hdr.csv: header does not match' "$t/hdr.err"
check "  writes nothing" nope test -e "$t/hdr"
# the forms are the schema's: a tighter form in a copy of tools/ refuses
mkdir -p "$t/lib"
cp "$top/tools/rlab-report" "$top/tools/rlab-report.awk" "$top/tools/rlab-report-check.awk" \
	"$top/tools/columns" "$t/lib/"
sed -i 's/^form\tword\t.*/form\tword\t^[a-z0-9.]*$/' "$t/lib/columns"
(cd "$t" && lib/rlab-report native.csv tight > tight.out 2> tight.err)
rc=$?
check "rlab-report reads the forms from the columns beside it (exit $rc)" [ "$rc" -eq 1 ]
check "  the scenario refused by the tighter form" \
	grep -qF 'field 1 (scenario) "voluntary-t3" is not of the form ^[a-z0-9.]*$' \
	"$t/tight.err"
# the columns are read by their names: a schema with hog and cpus swapped
# and native.csv's fields swapped to match give the same figures
mkdir -p "$t/swap"
cp "$top/tools/rlab-report" "$top/tools/rlab-report.awk" "$top/tools/rlab-report-check.awk" \
	"$t/swap/"
awk -F'\t+' '$1 == "column" && $2 == "hog" { h = $0; next }
	{ print } $1 == "column" && $2 == "cpus" { print h }' "$top/tools/columns" >"$t/swap/columns"
awk -F, -v OFS=, '{ x = $5; $5 = $6; $6 = x; print }' "$t/native.csv" >"$t/swapped.csv"
(cd "$t" && swap/rlab-report swapped.csv swapped 0.345 > swapped.out 2> swapped.err)
rc=$?
check "rlab-report, hog and cpus swapped in the schema and the CSV: exit $rc, the same figures" \
	sh -c "[ $rc -eq 0 ] && cmp -s '$t/swapped/figures.txt' '$t/native/figures.txt'"
# OUTDIR and TMPDIR reach gnuplot's scripts: letters, digits, ._/+=~:- only
(cd "$t" && "$rr" native.csv 'o"x' > /dev/null 2> odir.err)
rc=$?
check "rlab-report refuses an output directory with a quote (exit $rc)" [ "$rc" -eq 1 ]
check "  and creates nothing" nope test -e "$t/o\"x"
(cd "$t" && "$rr" native.csv "$(printf 'o\nx')" > /dev/null 2> odir2.err)
rc=$?
check "rlab-report refuses an output directory with a newline (exit $rc)" [ "$rc" -eq 1 ]
(cd "$t" && TMPDIR='/tmp/a`b' "$rr" native.csv tmpd > /dev/null 2> tmpd.err)
rc=$?
check "rlab-report refuses a TMPDIR with a backquote (exit $rc)" [ "$rc" -eq 1 ]
check "  and writes nothing" nope test -e "$t/tmpd"
# the CSV is handed to awk as a path: a name NAME=VALUE is a file
cp "$t/native.csv" "$t/x=1.csv"
(cd "$t" && "$rr" x=1.csv assign > /dev/null 2>&1)
diag "a CSV named x=1.csv, read as a file:"
is assign rows 1
# gnuplot's double-quoted strings lose " \` \\ \$ (gq())
printf 'BEGIN { print gq("a\\"b`c\\\\d$e"); dead = 1; exit }\n' > "$t/gq.awk"
check "gq() strips \" \` \\ \$" \
	[ "$(awk -f "$t/gq.awk" -f "$top/tools/rlab-report.awk" /dev/null 2>/dev/null)" = abcde ]
# arguments
"$rr" "$t/native.csv" > /dev/null 2>&1
rc=$?
check "rlab-report with one argument: usage, exit 2 (exit $rc)" [ "$rc" -eq 2 ]
(cd "$t" && "$rr" native.csv natx 0.3x > /dev/null 2> natx.err)
rc=$?
check "rlab-report refuses NATIVE_NS_PER_SLOT 0.3x (exit $rc)" [ "$rc" -eq 1 ]
check "  and writes nothing" nope test -e "$t/natx"
(cd "$t" && "$rr" missing.csv miss > /dev/null 2> miss.err)
rc=$?
check "rlab-report: a missing CSV (exit $rc)" grep -q '^rlab-report: missing.csv: no such file' \
	"$t/miss.err"
printf '%s\n' "$H24" > "$t/norows.csv"
report norows
rc=$?
check "rlab-report: a header and no rows (exit $rc)" \
	grep -q '^rlab-report: norows.csv: no data rows after the header' "$t/norows.err"
finish
