#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make matrix [KERNELS="name ..."]: the study on every kernel of the matrix,
# one boot per kernel and scenario of test/matrix.tsv.  Default kernels:
# every kernel of test/kernels/kernels.tsv, and the posted patch and the
# bounded-section change on the real function of the kernels where
# cond_resched_rcu() is not empty (sid-lazy, 6.1-nopreempt) and of the
# report's configuration (sid-reporter).
# Leaves out/matrix/: matrix.csv (every row), matrix.md (one row per kernel
# and scenario), each boot's logs.  test/matrix.sh --table CSV prints the
# table of an earlier run's CSV (and its boots.txt: test/matrix.sh --table
# CSV BOOTS).  Environment: RL_SCENARIOS (a subset of
# the scenarios), RL_MATRIX_MEM (guest memory, default: what the host has
# free less 2 GiB, at most 14 GiB).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# table CSV [BOOTS]: one row per kernel and scenario: the kernel's facts
# (preempt as the module's status said in that boot: preempt=full on a
# PREEMPT_DYNAMIC kernel shows dynamic:full), then per mode the stalls (k/n and kind) and ns/slot at the larger size;
# BOOTS (matrix.sh's boots.txt: "kernel/scenario outcome") adds the boots
# that wrote no row and the outcome of each.
table() {
	local facts boots=${2:-/dev/null}
	# shellcheck disable=SC2046
	facts=$(bash test/kernels/kernels.sh --facts $({ awk -F, 'NR > 1 { print $1 }' "$1"; awk '{ print $1 }' "$boots"; } | sed 's,/.*,,' | sort -u))
	awk -F, -v facts="$facts" -v bootsf="$boots" '
BEGIN {
	n = split(facts, L, "\n")
	for (i = 1; i <= n; i++) { split(L[i], f, " "); P[f[1]] = f[2]; F[f[1]] = f[3] " | " f[4] " | " f[5] }
	while ((getline l < bootsf) > 0) {
		sc = l; sub(/ .*/, "", sc); o = l; sub(/^[^ ]* /, "", o)
		if (!(sc in seen)) { seen[sc] = 1; order[++ns] = sc }
		boot[sc] = o
	}
}
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
# an idle row belongs to the row before it (rlab-repro writes them in pairs)
$c["mode"] == "idle" { if (last[$1] == "kernel") { idle[$1] = $c["gp_max_ns"]; isrc[$1] = src() }; next }
{ last[$1] = $c["mode"] }
# the other cases of rlab-repro: their own tables (cases_table)
$c["mode"] != "kernel" && $c["mode"] != "plain" && $c["mode"] != "resched" && $c["mode"] != "batch" { next }
{
	sc = $1; if (!(sc in seen)) { seen[sc] = 1; order[++ns] = sc }
	ver[sc] = $c["kernel"]; acc[sc] = $c["accel"]
	if ($c["mode"] != "kernel" && $c["preempt"] != "") pre[sc] = $c["preempt"]
	if ($c["mode"] == "kernel") khog[sc] = $c["hog"]; else rhog[sc] = $c["hog"]
	m = $c["mode"]; s = $c["size"] + 0
	if (s >= big[sc, m]) {
		if (s > big[sc, m]) { st[sc, m] = 0; nr[sc, m] = 0; kind[sc, m] = "" }
		big[sc, m] = s; nr[sc, m]++; nps[sc, m] = $c["ns_per_slot"]
		if ($c["stalls"] + 0 > 0) { st[sc, m]++; if (kind[sc, m] == "") kind[sc, m] = $c["stall_kind"] }
		if (m == "kernel") { gp[sc] = $c["gp_max_ns"]; gsrc[sc] = src() }
	}
}
# what gp_max_ns counts: gp_source; before it (20, 21, 24 columns) the
# module wrote plain, resched and batch (probe), rlab-repro the rest
function src() {
	if ("gp_source" in c && $c["gp_source"] != "") return $c["gp_source"]
	return $c["mode"] ~ /^(plain|resched|batch)$/ ? "probe" : "membarrier"
}
# the real map'"'"'s gp max / idle: membarrier waits, as the column says; a
# figure of another source says which
function gpcell(sc,   g, i) {
	g = sprintf("%.0f ms", gp[sc] / 1e6); i = sprintf("%.0f ms", idle[sc] / 1e6)
	if (gsrc[sc] != "membarrier") g = g " (" gsrc[sc] ")"
	if ((sc in isrc) && isrc[sc] != "membarrier") i = i " (" isrc[sc] ")"
	return g " / " i
}
function cell(sc, m) {
	if (!((sc, m) in nr)) return "-"
	return sprintf("%d/%d %s, %s%s%s", st[sc, m], nr[sc, m], st[sc, m] ? kind[sc, m] : "no stall",
		nps[sc, m] == "" ? "untimed" : nps[sc, m] " ns/slot", big[sc, m] != big[sc, "plain"] ? " at " big[sc, m] " slots" : "",
		m == "kernel" && khog[sc] != rhog[sc] ? " (hog " khog[sc] ")" : "")
}
END {
	print "| kernel/scenario | release | preempt | preempt_rcu | debug_atomic_sleep | cond_resched_rcu | size | plain | resched | batch | real map (kernel) | real map gp wait (membarrier) max / idle | boot |"
	print "|---|---|---|---|---|---|--:|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) {
		sc = order[i]; k = sc; sub(/\/.*/, "", k)
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sc, (sc in ver) ? ver[sc] : "-",
			(sc in pre) ? pre[sc] : (k in P) ? P[k] : "?", (k in F) ? F[k] : "? | ? | ?", (sc, "plain") in big ? big[sc, "plain"] : "-", cell(sc, "plain"),
			cell(sc, "resched"), cell(sc, "batch"), cell(sc, "kernel"),
			!((sc, "kernel") in nr) || gp[sc] == "" ? "-" : gpcell(sc),
			(sc in boot) ? boot[sc] : "-"
	}
}' "$1"
}

# cases_table CSV: one table per case of rlab-repro (tools/rlab-repro -l:
# its mode and the upstream walk's yield), a row per kernel/scenario at the
# largest size it ran: the kernel's facts, the yield as compiled there
# (none; cond_resched_rcu no-op or effective, from kernels.tsv; bounded on
# +batch, whose patches end the section every 1024 iterations), ns per
# entry, the longest grace period against its idle window's, stalls.
cases_table() {
	local facts list
	make -s -C tools rlab-repro >&2 || return 1
	list=$(tools/rlab-repro -l | awk '/^[a-z]/ { print $1, $3, $8 }')
	# shellcheck disable=SC2046
	facts=$(bash test/kernels/kernels.sh --facts $(awk -F, 'NR > 1 { print $1 }' "$1" | sed 's,/.*,,' | sort -u))
	awk -F, -v facts="$facts" -v list="$list" '
BEGIN {
	n = split(facts, L, "\n")
	for (i = 1; i <= n; i++) { split(L[i], f, " "); P[f[1]] = f[2]; PR[f[1]] = f[3]; CRR[f[1]] = f[5] }
	nc = split(list, L, "\n")
	for (i = 1; i <= nc; i++) { split(L[i], f, " "); CN[i] = f[1]; CM[i] = f[2]; CY[f[2]] = f[3] }
}
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
# what gp_max_ns counts (as in table)
function src() {
	if ("gp_source" in c && $c["gp_source"] != "") return $c["gp_source"]
	return $c["mode"] ~ /^(plain|resched|batch)$/ ? "probe" : "membarrier"
}
function ms(v, s) { return sprintf("%.0f ms", v / 1e6) (s != "membarrier" ? " (" s ")" : "") }
$c["mode"] == "idle" {
	k = $1 SUBSEP last[$1]
	# the longest of the idle windows at that size, as gp is the longest
	# of the case rows gp source only: two sources are never one figure
	if (k in got && $c["size"] + 0 == size[k] && (!(k in gsrc) || gsrc[k] == src()) &&
	    $c["gp_max_ns"] + 0 > idle[k] + 0) {
		idle[k] = $c["gp_max_ns"]; isrc[k] = src()
	}
	next
}
{
	sc = $1; m = $c["mode"]; last[sc] = m
	if (!(m in CY)) next
	k = sc SUBSEP m
	if (!(k in got)) { got[k] = 1; order[m, ++nr[m]] = sc }
	s = $c["size"] + 0
	if (s < size[k]) next
	if (s > size[k]) { st[k] = 0; reps[k] = 0; kind[k] = ""; gp[k] = ""; delete idle[k]; delete isrc[k]; delete gsrc[k]; delete mixed[k] }
	size[k] = s; reps[k]++; nps[k] = $c["ns_per_slot"]; pre[k] = $c["preempt"]
	# one source a cell: a row of another source than the first is not
	# taken into its maximum, and the cell says so
	if (!(k in gsrc)) gsrc[k] = src()
	if (src() != gsrc[k]) mixed[k] = 1
	else if ($c["gp_max_ns"] != "" && $c["gp_max_ns"] + 0 > gp[k] + 0) gp[k] = $c["gp_max_ns"]
	if ($c["stalls"] + 0 > 0) { st[k]++; if (kind[k] == "") kind[k] = $c["stall_kind"] }
}
function yield(sc, m,   kn) {
	kn = sc; sub(/\/.*/, "", kn)
	if (kn ~ /\+batch$/) return "bounded (1024)"
	if (CY[m] == "cond_resched_rcu" || (m == "kernel" && kn ~ /\+resched$/))
		return "cond_resched_rcu " ((kn in CRR) ? CRR[kn] : "?")
	return "none"
}
END {
	for (i = 1; i <= nc; i++) {
		m = CM[i]
		if (!nr[m]) continue
		printf "\n### %s (mode %s)\n\n", CN[i], m
		print "| kernel/scenario | preempt | preempt_rcu | yield as compiled | size | ns per entry | gp wait (membarrier) max / idle | stalls |"
		print "|---|---|---|---|--:|--:|---|---|"
		for (j = 1; j <= nr[m]; j++) {
			sc = order[m, j]; k = sc SUBSEP m; kn = sc; sub(/\/.*/, "", kn)
			printf "| %s | %s | %s | %s | %s | %s | %s | %d/%d %s |\n", sc,
				pre[k] != "" ? pre[k] : (kn in P) ? P[kn] : "?", (kn in PR) ? PR[kn] : "?",
				yield(sc, m), size[k], nps[k] == "" ? "untimed" : nps[k],
				(gp[k] == "" ? "untimed" : ms(gp[k], gsrc[k]) " / " (idle[k] == "" ? "-" : ms(idle[k], isrc[k]))) \
					(k in mixed ? " (rows of another gp_source left out)" : ""),
				st[k], reps[k], st[k] ? kind[k] : "no stall"
		}
	}
	# the answer per case, from the same cells: did the walk stall at its
	# largest size, unpatched (a built or stock name) and on +batch
	printf "\n## Stalls per case\n\nAt the largest size of each kernel/scenario (the tables above).\n\n"
	for (i = 1; i <= nc; i++) {
		m = CM[i]
		if (!nr[m]) continue
		us = un = bs = bn = ""
		for (j = 1; j <= nr[m]; j++) {
			sc = order[m, j]; k = sc SUBSEP m; kn = sc; sub(/\/.*/, "", kn)
			if (kn ~ /\+batch$/) { if (st[k]) bs = add(bs, sc); else bn = add(bn, sc) }
			else if (kn !~ /\+/) { if (st[k]) us = add(us, sc); else un = add(un, sc) }
		}
		printf "- %s: unpatched, stalled on %s; no stall on %s.  +batch: stalled on %s; no stall on %s.\n",
			m == "kernel" ? "reuseport (mode kernel)" : m, none(us), none(un), none(bs), none(bn)
	}
}
function add(l, x) { return l == "" ? x : l ", " x }
function none(l) { return l == "" ? "none" : l }' "$1"
}

# --table CSV: just the tables, from an earlier run's CSV
if [ "${1:-}" = --table ]; then
	table "$2" "${3:-}"
	cases_table "$2"
	exit
fi

out=${RL_OUT:-$top/out/matrix}
mkdir -p "$out"
t_all=$(date +%s)

bash test/lib/deps.sh
if [ $# -gt 0 ]; then
	kernels="$*"
else
	kernels="$(bash test/kernels/kernels.sh --list | xargs) sid-lazy+resched sid-lazy+batch 6.1-nopreempt+resched sid-reporter+resched"
fi
want=${RL_SCENARIOS:-$(awk '!/^#/ && NF { print $1 }' test/matrix.tsv | xargs)}
mem=${RL_MATRIX_MEM:-$(awk '/^MemAvailable:/ { g = int($2 / 2^20) - 2; if (g > 14) g = 14; print g "G" }' /proc/meminfo)}

echo "matrix: kernels: $kernels; scenarios: $want; guest memory $mem"
# shellcheck disable=SC2086
bash test/kernels/kernels.sh $kernels > "$out/kernels.txt" 2> "$out/kernels.log" ||
	{ tail -n 20 "$out/kernels.log"; exit 1; }
grep -E '^(fetch|build):' "$out/kernels.log" | sed 's/^/matrix: /'

csv=$out/matrix.csv
boots=$out/boots.txt
rm -f "$csv" "$boots"
while read -r -u 3 name image kdir; do
	initrd=$out/$name.cpio.gz
	test/lib/stage.sh "$kdir" "$initrd" > "$out/stage-$name.log" 2>&1 ||
		{ echo "matrix: $name: staging failed, see $out/stage-$name.log"; continue; }
	# PROVE_RCU kernels wait 5 s more before they warn.
	extra=0
	grep -qs '^CONFIG_PROVE_RCU=y' "$kdir/.config" && extra=5
	for sc in $want; do
		line=$(awk -v s="$sc" '$1 == s' test/matrix.tsv)
		[ -n "$line" ] || { echo "matrix: no scenario $sc" >&2; exit 1; }
		# shellcheck disable=SC2086
		set -- $line
		cpus=$2 hog=$3 timeout=$4 reps=$5 sizes=$6 idle=$7 skip=$8 only=$9 boot=${10}
		[ "$hog" = - ] && hog=
		[ "$boot" = - ] && boot=
		d=$out/$name-$sc
		fact=$(bash test/kernels/kernels.sh --facts "$name" | awk '{ print $2 }')
		model=${fact#dynamic:}
		if [[ ",$skip," == *",$model,"* ]]; then
			echo "matrix: $name/$sc: skipped ($model)"
			echo "$name/$sc skipped: not run on $model (matrix.tsv)" >> "$boots"
			continue
		fi
		if [ "$only" != - ] && [[ ",$only," != *",$fact,"* ]]; then
			echo "matrix: $name/$sc: not for $fact"
			continue
		fi
		echo "matrix: $name/$sc: cpus=$cpus hog=${hog:-off} timeout=${timeout}s (elapsed $(($(date +%s) - t_all)) s)"
		append="${boot:+$boot }rcupdate.rcu_cpu_stall_timeout=$timeout loglevel=3 rl.suite=matrix"
		append="$append rl.name=$name/$sc rl.reps=$reps rl.sizes=$sizes rl.stall_extra=$extra${hog:+ rl.hog=$hog}"
		rc=0
		test/lib/run-vm.sh --kernel "$image" --initrd "$initrd" --out "$d" \
			--mem "$mem" --smp "$cpus" --timeout 3600 --idle "$idle" \
			--append "$append" 2> "$d.err" || rc=$?
		case $rc in
		0) boot=ok ;;
		125) boot="stopped: no output for ${idle} s" ;;
		124) boot="timeout" ;;
		*) boot="failed (run-vm exit $rc)" ;;
		esac
		[ $rc -eq 0 ] || echo "matrix: $name/$sc: $boot, see $d"
		echo "$name/$sc $boot" >> "$boots"
		test/lib/guest-csv.sh "$d/out.log" "$csv" ||
			echo "matrix: $name/$sc: its rows are not in $csv (another header)"
	done
done 3< "$out/kernels.txt"

{ table "$csv" "$boots"; cases_table "$csv"; } > "$out/matrix.md"
cat "$out/matrix.md"
echo "matrix: done in $(($(date +%s) - t_all)) s: $out/matrix.md"
