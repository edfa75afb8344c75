#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: figures and ratios, each measured within one boot of the stock
# kernel (TCG timings drift between boots; never compare across them).
#   1. batch/plain loop duration and the probe's cost (on/off), 100M slots;
#   2. fidelity: the kernel's reuseport_array_free() against the replica's
#      plain loop, timed by kprobes, alternated; alloc vs BPF_MAP_CREATE;
#   3. the same under -icount shift=3 -smp 1: time counts instructions
#      (8 ns each), so ns/slot / 8 = instructions per slot;
#   4. at the stall size, both stall with the same kernel message;
#   5. the slot loop's machine code: the kernel's reuseport_array_free()
#      (vmlinux, addresses from /proc/kallsyms under nokaslr) against the
#      replica's rl_free_plain() (the staged .ko);
#   6. natively, on this machine's own kernel (no VM, no module): the slot
#      loop in user space with the map's layout (rlab-repro -L), against the
#      replica's plain loop under TCG; and a real map closed while a thread
#      times grace periods (rlab-repro), against an idle window;
#   7. the wall time of the last make demo;
#   8. each fix's cost per case, where host noise cannot move it: the walk's
#      instructions per iteration under -icount (shift=3, 1 CPU), unpatched
#      (sid-lazy) against patched (sid-lazy+batch), one boot each (the
#      guest suite icount, test/guest/cases.sh): the walking function's
#      own time (less other tasks and interrupts) at two small sizes,
#      (ns2 - ns1) / (iterations2 - iterations1) / 8, so that the fixed
#      costs cancel; one table (docs/records/2026-12-02-icount-cases.md).
# Logs in out/bench/.  Environment: BENCH_N (default 100M), BENCH_REPS (5),
# KERNELS (default deb12): 1, 4 and 6 on the first; 2, 3 and 5 (fidelity,
# icount, disasm) on each, since struct bpf_map and the compiler differ
# from kernel to kernel.  BENCH_ICOUNT_KERNELS (default "sid-lazy
# sid-lazy+batch"; empty: no 8): 8's kernels, unpatched first.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/out/bench
rm -rf "$out"
mkdir -p "$out"
n=${BENCH_N:-100M}
reps=${BENCH_REPS:-5}

bash test/lib/deps.sh
kernels=${KERNELS:-deb12}
# shellcheck disable=SC2086
bash test/kernels/kernels.sh $kernels > "$out/kernels.txt" 2> "$out/kernels.log" ||
	{ tail -n 20 "$out/kernels.log"; exit 1; }
first=$(awk 'NR == 1 { print $1 }' "$out/kernels.txt")
ikernels=${BENCH_ICOUNT_KERNELS-sid-lazy sid-lazy+batch}
: > "$out/ikernels.txt"
if [ -n "$ikernels" ]; then
	# shellcheck disable=SC2086
	bash test/kernels/kernels.sh $ikernels > "$out/ikernels.txt" 2> "$out/ikernels.log" ||
		{ tail -n 20 "$out/ikernels.log"; exit 1; }
fi

# stage_for NAME: vmlinux, kdir and initrd of kernel NAME, staged once
stage_for() {
	read -r _ vmlinux kdir <<<"$(awk -v n="$1" '$1 == n { print; exit }' \
		"$out/kernels.txt" "$out/ikernels.txt")"
	initrd=$out/$1.cpio.gz
	[ -f "$initrd" ] || test/lib/stage.sh "$kdir" "$initrd" > "$out/stage-$1.log" 2>&1 ||
		{ cat "$out/stage-$1.log"; exit 1; }
}

vm() {
	local name=$1
	shift
	echo "bench: boot $name" >&2
	test/lib/run-vm.sh --kernel "$vmlinux" --initrd "$initrd" \
		--out "$out/$name" --timeout 3600 "$@" 2> "$out/$name.err" ||
		echo "bench: $name: guest failed, see $out/$name" >&2
}

# median: of the numbers on stdin
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# fid LOG KIND: the median of one kind of "# fid:" value
fid() {
	sed -n "s/^# fid: [0-9]* $2 [0-9]* //p" "$1" | median
}

# ratio A B [DIGITS]
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN { if (b > 0) printf "%.*f", d, a / b; else printf "nan" }'
}

t0=$(date +%s)
stage_for "$first"
vm main --mem 4G --append "nokaslr rl.suite=bench,fidelity rl.sizes=$n rl.reps=$reps"
vm icount --icount --mem 1G --append "rl.suite=fidelity rl.sizes=10M rl.reps=3"
vm stall --mem 12G --append "rl.suite=fidstall rcupdate.rcu_cpu_stall_timeout=3"

log=$out/main/out.log
sed -n 's/^# csv: //p' "$log" > "$out/bench.csv"
col() {
	awk -F, -v s="$1" -v m="$2" '$1 == s && $9 == m { print $13 }' "$out/bench.csv" | median
}
slots=$(sed -n 's/^# fid: 1 real \([0-9]*\) .*/\1/p' "$log")
p=$(col batch plain) b=$(col batch batch)
echo "batch_plain: n=$slots plain_ns=$p batch_ns=$b ratio=$(ratio "$b" "$p") (target <= 1.03; medians of $reps)"
bs=$(awk -F, '$1 == "batch" && $9 == "batch" { print $15 }' "$out/bench.csv" | sort -n | head -n 1)
echo "batch_section: n=$slots best_longest_section_ns=$bs (target <= 1000000; best of $reps)"
off=$(col probe-N plain) on=$(col probe-Y plain)
echo "probe: n=$slots off_ns=$off on_ns=$on ratio=$(ratio "$on" "$off") (target <= 1.02)"
# loop_insns: the slot loop of a function disassembled on stdin (objdump
# --no-show-raw-insn): from the target of its last backward conditional jump
# to that jump, with registers, jump and call targets and a 0x0
# displacement written the same way for both.
loop_insns() {
	awk -F'\t' '
	# addresses as 16 hex digits: compared as strings (too big for awk)
	function hex(s) {
		sub(/^0x/, "", s)
		while (length(s) < 16) s = "0" s
		return s
	}
	$1 ~ /^ *[0-9a-f]+:$/ {
		a = $1; gsub(/[ :]/, "", a); n++; addr[n] = hex(a); ins[n] = $2
		split($2, w, " +")
		if (w[1] ~ /^j/ && w[1] != "jmp" && hex(w[2]) < addr[n]) {
			last = n; target = hex(w[2])
		}
	}
	END {
		for (i = 1; i <= last; i++) {
			if (addr[i] == target) on = 1
			if (!on) continue
			x = ins[i]
			split(x, w, " +")
			if (w[1] ~ /^(j|call)/) x = w[1]
			gsub(/%[a-z0-9]+/, "R", x); gsub(/ 0x0\(/, " (", x); gsub(/,0x0\(/, ",(", x)
			gsub(/ +/, " ", x); print x
		}
	}'
}
# fidelity_lines LOG ILOG: the fidelity, alloc, icount and disasm lines of
# kernel $k from its main boot's and its icount boot's logs.
fidelity_lines() {
	local log=$1 ilog=$2 fs rp rd al cr islots ip id sym
	fs=$(sed -n 's/^# fid: 1 real \([0-9]*\) .*/\1/p' "$log")
	rp=$(fid "$log" replica) rd=$(fid "$log" real)
	echo "fidelity: $k n=$fs replica_ns_per_slot=$(ratio "$rp" "$fs") real_ns_per_slot=$(ratio "$rd" "$fs") ratio=$(ratio "$rp" "$rd")"
	al=$(fid "$log" alloc_ns) cr=$(fid "$log" create_ns)
	echo "alloc: $k n=$fs alloc_ms=$(ratio "$al" 1000000 1) create_ms=$(ratio "$cr" 1000000 1) ratio=$(ratio "$al" "$cr")"

	islots=$(sed -n 's/^# fid: 1 real \([0-9]*\) .*/\1/p' "$ilog")
	ip=$(fid "$ilog" replica) id=$(fid "$ilog" real)
	echo "icount: $k n=$islots replica_insn_per_slot=$(ratio "$ip" "$((${islots:-1} * 8))" 2) real_insn_per_slot=$(ratio "$id" "$((${islots:-1} * 8))" 2) ratio=$(ratio "$ip" "$id")"

	sym=$(sed -n 's/^# sym: reuseport_array_free //p' "$log")
	set -- $sym
	if [ $# = 2 ]; then
		objdump -d --no-show-raw-insn --start-address=0x$1 --stop-address=0x$2 \
			"$vmlinux" | loop_insns > "$out/loop-kernel-$k.txt"
		zcat "$initrd" | (cd "$out" && cpio -i --quiet --to-stdout lab/reuseport_lab.ko > "rl-$k.ko")
		objdump -d --no-show-raw-insn "$out/rl-$k.ko" |
			awk '/<rl_free_plain>:/ { on = 1; next } on && /^$/ { exit } on' |
			loop_insns > "$out/loop-replica-$k.txt"
		if [ -s "$out/loop-kernel-$k.txt" ] &&
		   cmp -s "$out/loop-kernel-$k.txt" "$out/loop-replica-$k.txt"; then
			echo "disasm: $k: slot loop of $(wc -l < "$out/loop-kernel-$k.txt") instructions, kernel and replica identical (registers aside)"
		else
			echo "disasm: $k: slot loops differ (kernel $(wc -l < "$out/loop-kernel-$k.txt"), replica $(wc -l < "$out/loop-replica-$k.txt") instructions):"
			diff "$out/loop-kernel-$k.txt" "$out/loop-replica-$k.txt" | sed 's/^/    /'
		fi
	else
		echo "disasm: $k: no reuseport_array_free address from the guest"
	fi
}

slog=$out/stall/out.log
echo "stall: $first: $(sed -n 's/^# at /at /p' "$slog"); $(grep -c '^ok' "$slog") of 2 checks ok"
k=$first
fidelity_lines "$log" "$out/icount/out.log"
for k in $(awk 'NR > 1 { print $1 }' "$out/kernels.txt"); do
	stage_for "$k"
	vm "main-$k" --mem 4G --append "nokaslr rl.suite=fidelity rl.sizes=$n rl.reps=3"
	vm "icount-$k" --icount --mem 1G --append "rl.suite=fidelity rl.sizes=10M rl.reps=3"
	fidelity_lines "$out/main-$k/out.log" "$out/icount-$k/out.log"
done

# 8. each case under -icount, unpatched against patched
# icpi LOG CASE: the case's instructions per iteration in an icount boot's
# log ("# icount: CASE ITERATIONS OWN_NS ...", two sizes; shift=3: 8 ns an
# instruction), or nan
icpi() {
	awk -v c="$2" '$1 == "#" && $2 == "icount:" && $3 == c { n++; it[n] = $4; ns[n] = $5 }
		END {
			if (n == 2 && it[2] > it[1] && ns[2] > ns[1])
				printf "%.2f", (ns[2] - ns[1]) / (it[2] - it[1]) / 8
			else
				printf "nan"
		}' "$1"
}
if [ -n "$ikernels" ]; then
	for k in $ikernels; do
		stage_for "$k"
		vm "icount-cases-$k" --icount --mem 2G --append "rl.suite=icount"
		ilog=$out/icount-cases-$k/out.log
		grep -q '^# guest-exit 0' "$ilog" 2>/dev/null ||
			echo "icount_cases: $k: the guest's suite failed, see $ilog"
	done
	# shellcheck disable=SC2086
	set -- $ikernels
	echo "icount_cases: the walk's own instructions per iteration under -icount" \
		"(less other tasks and interrupts; between 1M and 4M entries, htab_timer" \
		"100K and 400K elements; one boot each)"
	printf '| case |'
	for k in "$@"; do printf ' %s |' "$k"; done
	[ $# -lt 2 ] || printf ' %s / %s |' "${!#}" "$1"
	echo
	printf '|---|'
	for k in "$@"; do printf -- '---|'; done
	[ $# -lt 2 ] || printf -- '---|'
	echo
	ilog=$out/icount-cases-$1/out.log
	for c in $(awk '$2 == "icount:" && !s[$3]++ { print $3 }' "$ilog" 2>/dev/null); do
		printf '| %s |' "$c"
		for k in "$@"; do printf ' %s |' "$(icpi "$out/icount-cases-$k/out.log" "$c")"; done
		[ $# -lt 2 ] ||
			printf ' %s |' "$(ratio "$(icpi "$out/icount-cases-${!#}/out.log" "$c")" \
				"$(icpi "$out/icount-cases-$1/out.log" "$c")" 2)"
		echo
	done
fi
stage_for "$first"

# 6. natively
make -s -C tools rlab-repro > "$out/tools.log" 2>&1 || cat "$out/tools.log"
tools/rlab-repro -L "$n" -r "$reps" > "$out/native.log" 2> "$out/native.err" || cat "$out/native.err"
nat=$(sed -n 's/^native: .*ns_per_slot=\([0-9.]*\).*/\1/p' "$out/native.log")
echo "native: n=$slots ns_per_slot=${nat:-?} tcg_ns_per_slot=$(ratio "$p" "$slots") tcg_native=$(ratio "$(ratio "$p" "$slots")" "${nat:-0}" 1)"
rn=${BENCH_REPRO_N:-400M}
if tools/rlab-repro -s "$rn" -r 1 -n bench -o "$out/repro.csv" > "$out/repro.log" 2>&1; then
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ g[$c["mode"]] = $c["gp_max_ns"]; st[$c["mode"]] = $c["stalls"]; if ($c["mode"] == "kernel") s = $c["size"] }
		END { printf "repro: n=%s gp_max_ms=%.1f idle_gp_max_ms=%.1f ratio=%.1f stalls=%s (this machine'"'"'s kernel, natively)\n",
			s, g["kernel"] / 1e6, g["idle"] / 1e6, (g["idle"] > 0 ? g["kernel"] / g["idle"] : 0), st["kernel"] }' "$out/repro.csv"
else
	echo "repro: rlab-repro failed or bpf(2) refused here: $(tail -n 1 "$out/repro.log")"
fi
# every other case of rlab-repro, natively, at its native size: one line each
tools/rlab-repro -l | awk '/^[a-z]/ && $1 != "reuseport" { print $1, $3, $11 }' > "$out/cases.list"
while read -r c m cn; do
	if tools/rlab-repro -t "$c" -s "$cn" -r 1 -n bench -o "$out/repro-$c.csv" > "$out/repro-$c.log" 2>&1; then
		awk -F, -v m="$m" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			{ g[$c["mode"]] = $c["gp_max_ns"]; if ($c["mode"] == m) { s = $c["size"]; d = $c["duration_ns"]; st = $c["stalls"]; fn = $c["fn_timing"] } }
			END { printf "repro: %s n=%s walk_ms=%s gp_max_ms=%.1f idle_gp_max_ms=%.1f ratio=%.1f stalls=%s %s (natively)\n",
				m, s, d == "" ? "untimed" : sprintf("%.1f", d / 1e6), g[m] / 1e6, g["idle"] / 1e6, (g["idle"] > 0 ? g[m] / g["idle"] : 0), st, fn }' "$out/repro-$c.csv"
	else
		echo "repro: $c: rlab-repro failed or refused here: $(tail -n 1 "$out/repro-$c.log")"
	fi
done < "$out/cases.list"

last=$(ls -d results/*/ 2>/dev/null | tail -n 1)
if [ -n "$last" ] && [ -f "$last/wall_seconds" ]; then
	echo "demo: wall_s=$(cat "$last/wall_seconds") ($last)"
else
	echo "demo: no finished make demo in results/"
fi
echo "bench: done in $(($(date +%s) - t0)) s"
