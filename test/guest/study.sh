# SPDX-License-Identifier: GPL-2.0
# The study and bench suites: rlab-study with the parameters the host put on
# the kernel command line (rl.sizes=, rl.modes=, rl.reps=, rl.hog=,
# rl.name=); the rows go back as "# csv: " lines.

suite_study() {
	load
	rlab-study -s "${RL_SIZES:-10M,100M}" -m "${RL_MODES:-plain,resched,batch}" \
		-r "${RL_REPS:-3}" ${RL_HOG:+-H "$RL_HOG"} ${RL_NAME:+-n "$RL_NAME"} \
		-o /tmp/study.csv
	check "study: rows written" [ "$(wc -l < /tmp/study.csv)" -gt 1 ]
	# the header: the schema staged beside rlab-study (tools/columns)
	_h=$(awk -F '\t+' '$1 == "column" { printf "%s%s", n++ ? "," : "", $2 }' \
		"$(dirname "$(command -v rlab-study)")/columns")
	check "study: the CSV's header is the schema's (tools/columns)" \
		[ "$(head -n 1 /tmp/study.csv)" = "${_h:-no schema staged}" ]
	while read -r l; do diag "csv: $l"; done < /tmp/study.csv
	unload
}

# The benchmark: plain and batch alternated, then the probe off and on.
suite_bench() {
	load
	n=${RL_SIZES:-100M}
	rlab-study -s "$n" -m plain,batch -r "${RL_REPS:-5}" -n batch -o /tmp/bench.csv
	for r in $(seq "${RL_REPS:-5}"); do
		for p in N Y; do
			echo $p > $P/gp_probe
			rlab-study -s "$n" -m plain -r 1 -n "probe-$p" -o /tmp/bench.csv 2>/dev/null
		done
	done
	check "bench: rows written" [ "$(wc -l < /tmp/bench.csv)" -gt 1 ]
	while read -r l; do diag "csv: $l"; done < /tmp/bench.csv
	unload
}

# The matrix: the replica's three loops at the sizes of rl.sizes= (auto:
# calibrated in this boot), then the real map at the larger size (rl.hog=,
# rl.reps=, rl.name=, rl.stall_extra=).
suite_matrix() {
	load
	rlab-study -s "${RL_SIZES:-auto}" -m plain,resched,batch -r "${RL_REPS:-1}" \
		${RL_HOG:+-H "$RL_HOG"} -n "$RL_NAME" -T "${RL_STALL_EXTRA:-0}" \
		-o /tmp/matrix.csv
	check "matrix: replica rows written" [ "$(wc -l < /tmp/matrix.csv)" -gt 1 ]
	n=$(awk -F, 'NR > 1 { print $7 }' /tmp/matrix.csv | sort -n | tail -n 1)
	unload
	# as large as memory allows once the module is gone (rlab-repro wants
	# 8 bytes a slot + 256 MB of MemAvailable; its sockets need some more)
	n=$(awk -v n="$n" '/^MemAvailable:/ { m = int(($2 * 1024 - 402653184) / 8)
		print (n > m ? m : n) }' /proc/meminfo)
	# rlab-repro's timing threads need a CPU besides the hog's: on one CPU
	# the real map runs without the hog (its rows say hog off).
	h=${RL_HOG:-}
	[ "$(nproc)" -gt 1 ] || h=
	if [ -n "$n" ]; then
		rlab-repro -s "$n" -r "${RL_REPS:-1}" ${h:+-H "$h"} \
			-n "$RL_NAME" -A "${RL_ACCEL:-tcg}" -o /tmp/matrix.csv
		rc=$?
		check "matrix: the real map at $n slots (rlab-repro exit $rc)" \
			sh -c "[ $rc -eq 0 ] && grep -q ',kernel,' /tmp/matrix.csv"
	fi
	# the rows so far, then the pattern: the other real kernel paths that
	# walk a whole map, each case's rows sent as it ends
	csv_sent=0
	csv_flush /tmp/matrix.csv
	cases_matrix /tmp/matrix.csv
	csv_flush /tmp/matrix.csv
}
