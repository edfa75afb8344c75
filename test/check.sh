#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, fetch and build the kernels make
# check runs (test/kernels/kernels.tsv, column check), then the guest
# suites of test/check.tsv in QEMU, as a queue, beside the host checks: the
# Debian packages (whose DKMS builds two boots load) and rlab-repro on the
# host's own kernel first, then at nice 19 the module against each kernel
# with W=1 and sparse, checkpatch, modinfo, i386, DKMS by hand.  Prints
# TAP-like lines and ends with "N passed, N failed".
#
# Environment: RL_OUT (logs, default out/check), RL_CACHE (kernels, sources),
# RL_CHECK_KERNELS (the kernels to run, default those of the table),
# RL_SOAK=1 (make soak: the same run, every boot with rl.soak=1, which runs
# the reliability suite at full volume, and 3x the boots' timeouts; logs in
# out/soak).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. test/lib/tap.sh
soak=${RL_SOAK:-}
out=${RL_OUT:-$top/out/check}
[ -z "$soak" ] || out=${RL_OUT:-$top/out/soak}
rm -rf "$out"
mkdir -p "$out"
t_all=$(date +%s)

# timed STEP COMMAND...: run COMMAND and report its wall time as STEP's
# ("# timing: STEP N s"; every step of make check has one)
timed() {
	local step=$1 t0 rc=0
	shift
	t0=$(date +%s)
	"$@" || rc=$?
	diag "timing: $step $(($(date +%s) - t0)) s"
	return $rc
}

# logto FILE COMMAND...: run COMMAND with its output in FILE
logto() {
	local f=$1
	shift
	"$@" > "$f" 2>&1
}

finish() {
	[ -z "${q_pid:-}" ] || q_finish
	diag "timing: make check $(($(date +%s) - t_all)) s"
	echo "$((T_N - T_FAIL)) passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
	exit
}

# relay NAME LOG: the TAP of a finished run (a guest's, or a host script's)
# as our own lines; a run that did not finish its plan fails.
relay() {
	local name=$1 log=$2 n=0 plan=none line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$name: ${line#ok * - }"; n=$((n + 1)) ;;
		"not ok "*) nok "$name: ${line#not ok * - }"; n=$((n + 1)) ;;
		1..*) plan=${line#1..} ;;
		"# guest-exit"*) ;;
		"#"*) echo "# $name: ${line#\# }" ;;
		esac
	done < "$log"
	check "$name: ran its whole plan ($n of $plan)" [ "$plan" = "$n" ]
	[ "$plan" = "$n" ]
}

if ! timed deps logto "$out/deps.log" test/lib/deps.sh; then
	nok "install the dependencies (see $out/deps.log)"
	finish
fi

# The kernels: fetched (stock) or built (cached), "<name> <vmlinux> <kdir>"
# (and the patched variants of those that test/check.tsv boots: name+patch)
kernels=${RL_CHECK_KERNELS:-$(bash test/kernels/kernels.sh --list check | xargs)}
kernels="$kernels $(awk -v k=" $kernels " '!/^#/ && $1 ~ /\+/ {
	b = $1; sub(/\+.*/, "", b); if (index(k, " " b " ")) print $1 }' test/check.tsv | sort -u | xargs)"
kernels=${kernels% }
make_kernels() {
	# shellcheck disable=SC2086
	bash test/kernels/kernels.sh $kernels > "$out/kernels.txt" 2> "$out/kernels.log"
}
if timed kernels make_kernels; then
	ok "make kernels: $kernels"
else
	nok "make kernels $kernels (see $out/kernels.log)"
	tail -n 20 "$out/kernels.log" | sed 's/^#*/#   /'
fi
grep -E '^(fetch|build):' "$out/kernels.log" | sed 's/^/# /'
kline() { awk -v n="$1" '$1 == n' "$out/kernels.txt"; }
release() { cat "$1/include/config/kernel.release" 2>/dev/null; }

# The accelerator, probed once for every boot, in the background beside
# the staging below (a /dev/kvm that opens but cannot run a vCPU costs the
# probe's 20 s timeout, a boot each otherwise): $out/accel holds the word
# run-vm.sh printed (empty if the probe failed: each boot then chooses
# itself, see accel.log), then accel.secs its wall time.
accel_probe() {
	local image t0
	t0=$(date +%s)
	read -r _ image _ <<<"$(head -n 1 "$out/kernels.txt")"
	if [ -n "$image" ]; then
		test/lib/run-vm.sh --probe --kernel "$image" > "$out/accel" 2> "$out/accel.log" ||
			: > "$out/accel"
	else
		: > "$out/accel"
	fi
	echo $(($(date +%s) - t0)) > "$out/accel.secs"
}
accel_pid=
if [ -n "${RL_ACCEL:-}" ]; then
	echo "$RL_ACCEL" > "$out/accel"
	echo 0 > "$out/accel.secs"
else
	accel_probe &
	accel_pid=$!
fi
# accel_read: RL_ACCEL from the probe, once it is done
accel_read() {
	while [ ! -f "$out/accel.secs" ]; do sleep 1; done
	RL_ACCEL=$(cat "$out/accel")
	[ -z "$RL_ACCEL" ] || export RL_ACCEL
}

# The guest suites (test/check.tsv).  vm_stage KERNEL NAME KO: the module
# and the guest tests into NAME's initramfs; sets image and initrd.
vm_stage() {
	local kernel=$1 name=$2 kosrc=$3 line kdir ko=''
	line=$(kline "$kernel")
	read -r _ image kdir <<<"$line"
	initrd=$out/$name.cpio.gz
	if [ "$kosrc" = deb ]; then
		ko=$out/deb-ko/$(release "$kdir")/reuseport_lab.ko
		check "$name: the DKMS package built the module for $kernel" [ -f "$ko" ] || return 1
	fi
	check "$name: stage the module and the guest tests" \
		logto "$out/stage-$name.log" test/lib/stage.sh "$kdir" "$initrd" $ko
}

# vm_boot KERNEL NAME MEM SMP TIMEOUT APPEND: boot it (image and initrd
# from vm_stage); no TAP line, so that it can run in the background
vm_boot() {
	local kernel=$1 name=$2 mem=$3 smp=$4 tmo=$5 append=$6 facts rc=0
	# shellcheck disable=SC2046
	set -- $(bash test/kernels/kernels.sh --facts "$kernel")
	facts="rl.preempt=$2 rl.kernel_facts=$3,$4,$5,$6"
	if [ -n "$soak" ]; then
		append="$append rl.soak=1"
		tmo=$((tmo * 3))
	fi
	test/lib/run-vm.sh --kernel "$image" --initrd "$initrd" --out "$out/vm-$name" \
		--mem "$mem" --smp "$smp" --timeout "$tmo" --append "$facts $append" \
		2> "$out/vm-$name.err" || rc=$?
	echo "$rc" > "$out/vm-$name.rc"
}

# vm_report NAME: what the boot said, as our own TAP lines
vm_report() {
	local name=$1
	diag "$name: $(grep '^vm:' "$out/vm-$name.err") (run-vm exit $(cat "$out/vm-$name.rc"))"
	if ! relay "$name" "$out/vm-$name/out.log"; then
		diag "$name: console tail:"
		tail -n 30 "$out/vm-$name/console.log" | sed 's/^/#   /'
	fi
}

# The boots (test/check.tsv): a queue, taken in the table's order, one at
# a time beside the deb step (the first host check) and two after it
# (q/open2), while the rest of the host checks run at nice 19.  A boot starts
# when its module is staged (the tree's right after the kernels, the DKMS
# package's after the deb step), when it fits in this machine's memory
# (less 2G) beside the one that runs, and when no boot of its group runs;
# the first row that can start does.  Most of a boot's time one vCPU runs
# a shell script and the other idles, so two boots share the two CPUs; a
# group's boots keep both busy at once (check.tsv says which).  The stall
# and cases suites size their loops from the speed measured in their own
# boot.  Main stages (TAP lines) and writes q/NAME.ready or q/NAME.skip;
# the queue (a background job) writes vm-NAME.rc, .secs (the boot's wall
# time) and .start (seconds after the queue started); the results are
# reported in the table's order after the last boot.
q=$out/q
mkdir -p "$q"
q_rows=()
while read -r -u 3 kernel name mem smp tmo kosrc group append; do
	case $kernel in '#'*|'') continue ;; esac
	[ -n "$(kline "$kernel")" ] || continue
	# a row make check cannot run as written fails, and is not booted
	if ! match "$mem $smp $tmo $kosrc $group" '[1-9][0-9]*[GM] [1-9][0-9]* [1-9][0-9]* \(tree\|deb\) \(-\|[a-z][a-z0-9]*\)'; then
		nok "$name: check.tsv's row: mem smp timeout ko group as N[GM] N N tree|deb -|WORD, not '$mem $smp $tmo $kosrc $group'"
		continue
	fi
	q_rows+=("$kernel $name $mem $smp $tmo $kosrc $group $append")
done 3< test/check.tsv
q_have=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 - 2048 }' /proc/meminfo)

# mib SIZE: QEMU's -m SIZE (G or M) in MiB
mib() { case $1 in *G) echo $((${1%G} * 1024)) ;; *M) echo "${1%M}" ;; *) echo "$1" ;; esac; }

boot_queue() {
	local r kernel name mem smp tmo kosrc group append t_q used n slots busy
	local -a pend=("${q_rows[@]}") run=() left
	t_q=$(date +%s)
	accel_read
	while [ ${#pend[@]} -gt 0 ] || [ ${#run[@]} -gt 0 ]; do
		left=()
		for r in "${run[@]}"; do
			read -r name _ <<<"$r"
			[ -f "$out/vm-$name.secs" ] || left+=("$r")
		done
		run=("${left[@]}")
		# the running boots' memory (MiB) and groups
		used=0 busy=
		for r in "${run[@]}"; do
			read -r _ mem group <<<"$r"
			used=$((used + mem)) busy="$busy $group"
		done
		slots=1
		[ -f "$q/open2" ] && slots=2
		n=0 left=()
		for r in "${pend[@]}"; do
			read -r kernel name mem smp tmo kosrc group append <<<"$r"
			if [ -f "$q/$name.skip" ]; then
				:
			elif [ $n = 0 ] && [ ${#run[@]} -lt $slots ] && [ -f "$q/$name.ready" ] &&
			     { [ ${#run[@]} = 0 ] || [ $((used + $(mib "$mem"))) -le "$q_have" ]; } &&
			     { [ "$group" = - ] || [[ " $busy " != *" $group "* ]]; }; then
				n=1
				echo $(($(date +%s) - t_q)) > "$out/vm-$name.start"
				(
					t0=$(date +%s)
					read -r image initrd < "$q/$name.ready"
					vm_boot "$kernel" "$name" "$mem" "$smp" "$tmo" "$append"
					echo $(($(date +%s) - t0)) > "$out/vm-$name.secs"
				) &
				run+=("$name $(mib "$mem") $group")
			else
				left+=("$r")
			fi
		done
		pend=("${left[@]}")
		[ $n = 1 ] || sleep 1
	done
	wait
	echo $(($(date +%s) - t_q)) > "$q/secs"
}

# q_stage KOSRC: stage the rows whose module is KOSRC's (tree or deb)
q_stage() {
	local r kernel name kosrc
	for r in "${q_rows[@]}"; do
		read -r kernel name _ _ _ kosrc _ <<<"$r"
		[ "$kosrc" = "$1" ] || continue
		if vm_stage "$kernel" "$name" "$kosrc"; then
			echo "$image $initrd" > "$q/$name.ready"
		else
			touch "$q/$name.skip"
		fi
	done
}

# q_finish: no more rows (the ones never staged are skipped), both slots
# open; wait for the queue, then every boot's results in the table's order
q_finish() {
	local r name
	[ -n "${q_pid:-}" ] || return 0
	for r in "${q_rows[@]}"; do
		read -r _ name _ <<<"$r"
		[ -f "$q/$name.ready" ] || touch "$q/$name.skip"
	done
	touch "$q/open2"
	wait "$q_pid"
	q_pid=
	for r in "${q_rows[@]}"; do
		read -r _ name _ <<<"$r"
		[ -f "$q/$name.ready" ] || continue
		vm_report "$name"
		diag "timing: guest $name $(cat "$out/vm-$name.secs") s (from +$(cat "$out/vm-$name.start") s)"
	done
	diag "timing: guests $(cat "$q/secs") s (the queue, from the kernels to its last boot)"
}

boot_queue &
q_pid=$!
q_stage tree
if [ -n "$accel_pid" ]; then
	wait "$accel_pid"
	accel_read
	diag "accelerator: ${RL_ACCEL:-none (see $out/accel.log)}"
	diag "timing: accel-probe $(cat "$out/accel.secs") s (beside the staging)"
fi

# make matrix's machinery, without its long boots: a guest that prints
# nothing is stopped by run-vm.sh --idle (exit 125) long before the
# timeout, and the table shows the boots that wrote no row.  The guest
# sleeps (a halted vCPU costs the host nothing), so it runs beside the
# rest from here; idle_test reports it at the end.
idle_run() {
	local image initrd rc=0 t0
	read -r _ image _ <<<"$(head -n 1 "$out/kernels.txt")"
	for initrd in "$out"/*.cpio.gz; do break; done
	[ -n "$image" ] && [ -f "$initrd" ] || return 0
	t0=$(date +%s)
	test/lib/run-vm.sh --kernel "$image" --initrd "$initrd" --out "$out/vm-idle" \
		--smp 1 --timeout 600 --idle 15 --append "rdinit=/bin/sleep -- 3600" \
		2> "$out/vm-idle.err" || rc=$?
	echo "$rc $(($(date +%s) - t0))" > "$out/vm-idle.rc"
}
idle_run &
idle_pid=$!

# rlab-repro on the host's own kernel (natively, no module), beside the
# deb step and before the second slot opens: its -H runs a SCHED_FIFO hog
# (priority 50, 950 ms of every second) that no nice holds back, and its
# timing threads run at SCHED_FIFO 51: not beside two boots that time
# grace periods.  Its lines are printed after the deb step's.
timed repro logto "$out/repro.log" bash test/repro.sh > "$out/repro.tap" &
repro_pid=$!

# The Debian packages: make deb, install, DKMS builds for every stock kernel
# of the run (the .ko of each goes to $out/deb-ko/<release>/), purge.
debkdirs=
while read -r -u 3 name _ kdir; do
	case $(awk -v n="$name" '$1 == n { print $2 }' test/kernels/kernels.tsv) in
	stock) debkdirs="$debkdirs $(release "$kdir"):$kdir" ;;
	esac
done 3< "$out/kernels.txt"
RL_DEB_KDIRS=${debkdirs# } RL_DEB_OUT=$out/deb-ko RL_DEB_LOGS=$out/deb \
	timed deb logto "$out/deb.log" bash test/deb.sh check
relay deb "$out/deb.log"
# the boots that take the module the package built
q_stage deb
wait "$repro_pid"
cat "$out/repro.tap"
relay repro "$out/repro.log"

# The second slot opens now: the host checks left are the compiles and
# tests that no boot waits for and that run no real-time thread (the
# classifier, on fixture logs), and they run at nice 19 beside
# two boots, so that a guest's vCPU, which times grace periods, gets its
# CPU when it wants it and they take what the boots leave (most boots keep
# one vCPU busy, the other idle).  The boots (the queue, started above)
# keep nice 0.
touch "$q/open2"
renice -n 19 -p $$ > /dev/null

# Static checks: the module against every kernel's headers, W=1 and sparse,
# in a copy of the tree (one build directory a kernel).
static_checks() {
	local name=$1 kdir=$2 b=$out/build-$1
	rm -rf "$b"
	mkdir -p "$b"
	cp -a Kbuild module "$b/"
	check "$name: build with W=1" logto "$b/build.log" make -C "$kdir" M="$b" W=1 modules
	check "$name:   no compiler warning" nope grep -q 'warning:' "$b/build.log"
	grep 'warning:' "$b/build.log" | head -n 10 | sed 's/^/#   /'
	bash test/lib/sparse.sh --fix "$kdir" > "$b/sparse.log" 2>&1
	make -C "$kdir" M="$b" C=2 CHECK="$sparse" modules >> "$b/sparse.log" 2>&1
	check "$name: sparse (C=2) ran on the 3 files" \
		[ "$(grep -c '^ *CHECK .*module/.*\.c$' "$b/sparse.log")" = 3 ]
	check "$name: sparse (C=2): no finding" \
		nope grep -E -q '(warning|error):|not available or not up to date' "$b/sparse.log"
	grep -E '(warning|error):' "$b/sparse.log" | head -n 10 | sed 's/^/#   /'
}
t0=$(date +%s)
sparse=$(bash test/lib/sparse.sh 2> "$out/sparse-build.log") ||
	nok "build sid's sparse (see $out/sparse-build.log)"
diag "timing: sparse $(($(date +%s) - t0)) s"
while read -r -u 3 name _ kdir; do
	# a variant has its base's headers: checked there
	case $name in *+*) continue ;; esac
	timed "static $name" static_checks "$name" "$kdir"
done 3< "$out/kernels.txt"

checkpatch() {
	local f
	for f in module/*.c module/*.h test/guest/*.c tools/*.c Kbuild Makefile; do
		[ -f "$f" ] || continue
		check "checkpatch --strict $f" \
			perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree -q -f "$f"
	done
}
t0=$(date +%s)
ksrc=$(test/lib/ksrc.sh) || { nok "kernel source (checkpatch)"; finish; }
diag "timing: ksrc $(($(date +%s) - t0)) s"
timed checkpatch checkpatch

modinfo_test() {
	local ko info k p
	ko=$out/build-$(awk 'NR == 1 { print $1 }' "$out/kernels.txt")/reuseport_lab.ko
	info=$(modinfo "$ko")
	for k in description version; do
		check "modinfo $k" match "$(modinfo -F $k "$ko")" '..*'
	done
	check "modinfo license GPL" [ "$(modinfo -F license "$ko")" = GPL ]
	for p in array_size nr_socks free_mode batch_size free_ctx gp_probe; do
		check "modinfo parm $p has a description and a type" \
			match "$(echo "$info" | sed -n "s/^parm: *$p://p")" '...* ([a-z]*)'
	done
}
timed modinfo modinfo_test

# 32-bit: compiled against an i386 configuration (no 64-bit libgcc calls)
timed i386 logto "$out/i386.log" bash test/i386.sh
relay i386 "$out/i386.log"

# DKMS by hand, against the installed Debian headers (README's fallback)
kver=$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -n 1)
dkms_test() {
	local ver src
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	src=/usr/src/reuseport_lab-$ver
	dkms remove "reuseport_lab/$ver" --all >/dev/null 2>&1
	rm -rf "$src"
	mkdir -p "$src"
	cp -a Kbuild Makefile dkms.conf module "$src/"
	{
		dkms add "reuseport_lab/$ver" &&
		dkms build "reuseport_lab/$ver" -k "$kver" &&
		dkms install "reuseport_lab/$ver" -k "$kver"
	} > "$out/dkms.log" 2>&1
	check "dkms add, build, install for $kver" [ $? -eq 0 ]
	check "  modinfo of the installed module: $ver in updates/dkms" match \
		"$(modinfo -k "$kver" -F filename reuseport_lab 2>/dev/null) $(modinfo -k "$kver" -F version reuseport_lab 2>/dev/null)" \
		"/lib/modules/$kver/updates/dkms/reuseport_lab.ko.* $ver"
	dkms remove "reuseport_lab/$ver" --all >> "$out/dkms.log" 2>&1
	check "  dkms remove: module and DKMS tree gone" \
		[ -z "$(ls /lib/modules/"$kver"/updates/dkms/reuseport_lab.ko* 2>/dev/null)$(dkms status reuseport_lab 2>/dev/null)" ]
	rm -rf "$src"
}
timed dkms dkms_test

# One schema (tools/columns): no tracked file but it spells the CSV's header
# (of 20, 21, 24 or 25 columns); rlab-repro's is generated from it.  That
# each writer's CSV has the schema's header: repro.sh (rlab-repro, and
# rlab-study on a fake debugfs directory), the stall suite (rlab-study in a
# guest), deb.sh (the installed rlab-study).
schema_test() {
	local n h files
	for n in 20 21 24 25; do
		h=$(test/lib/columns.sh "$n") || { nok "tools/columns has $n columns"; continue; }
		files=$(git grep -lF -e "$h" -- . ':!tools/columns' | xargs)
		check "the header of $n columns is spelled in no tracked file but tools/columns${files:+ (it is in: $files)}" \
			[ -z "$files" ]
	done
	# shellcheck disable=SC2016
	check "rlab-repro's header is generated from the schema (tools/repro/columns.h)" \
		sh -c 'make -s -C tools repro/columns.h && [ "$(sed -n "s/^#define CSV_HEADER \"\(.*\)\"$/\1/p" tools/repro/columns.h)" = "$(test/lib/columns.sh)" ]'
}
timed schema schema_test

# the kernel-log classifier (rlab-repro -S and -B) on fixture logs
timed classify logto "$out/classify.log" bash test/classify.sh
relay classify "$out/classify.log"

q_finish

report_test() {
	local args=()
	if [ -f "$out/vm-deb12/out.log" ]; then
		sed -n 's/^# csv: //p' "$out/vm-deb12/out.log" > "$out/stall.csv"
		args=("$out/stall.csv")
	fi
	RL_REPORT_OUT=$out/report logto "$out/report.log" bash test/report.sh "${args[@]}"
	relay report "$out/report.log"
}
timed report report_test

# The fix series (make patches) from this run's rows of rlab-repro's cases:
# it applies to the newest linux-source of the matrix, is checkpatch-clean,
# and says what was measured (the +batch kernel is the series built and
# booted above)
patches_test() {
	local v
	rm -f "$out/cases.csv"
	for v in sid sid-lazy sid-lazy-batch debug-batch; do
		[ -f "$out/vm-$v/out.log" ] && test/lib/guest-csv.sh "$out/vm-$v/out.log" "$out/cases.csv"
	done
	[ -s "$out/cases.csv" ] || return 0
	check "make patches: the series applies and is checkpatch --strict clean" \
		logto "$out/patches.log" env RL_SIGNOFF="reuseport_lab check <check@example.invalid>" \
		RL_OUT="$out/patches" bash test/patches.sh "$out/cases.csv"
	check "  a cover letter and one patch a loop (4)" \
		[ "$(ls "$out"/patches/*.patch 2>/dev/null | wc -l)" = 5 ]
	check "  the perf_event_array patch quotes this run's +batch rows" \
		grep -q 'sid-lazy+batch/check' "$out"/patches/0002-*.patch
}
timed patches patches_test

# make patches from a fixture of 25 columns: each Measured figure named by
# its gp_source, an idle figure of another source labelled
patches_source_test() {
	{
		test/lib/columns.sh 25
		echo 'sid-lazy+batch/t3,7.2.13,lazy,3,off,2,1048576,4000000,htab_timer,-,task,1,4000000000,3814.697,,,300,60000000,0,none,tcg,4000000000,,none:no-btf,membarrier'
		echo 'sid-lazy+batch/t3,7.2.13,lazy,3,off,2,1048576,0,idle,-,,1,4000000000,,,,300,20000000,0,none,tcg,,,,probe'
	} > "$out/sources-patches.csv"
	check "make patches from 25 columns (gp_source)" \
		logto "$out/patches-sources.log" env RL_SIGNOFF="reuseport_lab check <check@example.invalid>" \
		RL_OUT="$out/patches-sources" bash test/patches.sh "$out/sources-patches.csv"
	check "  htab_timer's figure is a membarrier wait; its idle figure, the probe's, says so" \
		grep -q 'the longest membarrier(MEMBARRIER_CMD_GLOBAL) wait was 60.0 ms (size 1048576, a walk of 4000.0 ms) against 20.0 ms idle (probe)' \
		<(cat "$out"/patches-sources/0003-*.patch | tr '\n' ' ')
}
timed patches-sources patches_source_test

idle_test() {
	local rc secs
	wait "$idle_pid"
	[ -f "$out/vm-idle.rc" ] || return 0
	read -r rc secs < "$out/vm-idle.rc"
	check "run-vm --idle 15: a silent guest is stopped (exit 125, got $rc)" [ "$rc" -eq 125 ]
	check "  well before the 600 s timeout ($secs s)" [ "$secs" -lt 300 ]
	check "  and says why" grep -q 'no output on ttyS1 for 15 s' "$out/vm-idle.err"
}
timed idle idle_test

# make matrix's table, from a fixture
table_test() {
	printf '%s\n' "$(test/lib/columns.sh 21)" \
		'deb12/t3,6.1.0-56-amd64,dynamic:voluntary,3,off,2,1000,1000,plain,-,worker,1,5000,5.000,5000,1,1,4000000,1,rcu_preempt:self-detected,tcg' \
		'deb12/t3,6.1.0-56-amd64,dynamic:voluntary,3,off,2,1000,1000,kernel,-,worker,1,5000,5.000,,,3,9000000,0,none,tcg' \
		'deb12/t3,6.1.0-56-amd64,dynamic:voluntary,3,off,2,1000,0,idle,-,,1,5000,,,,3,2000000,0,none,tcg' \
		'bpo12/hog,6.12.95+deb12-amd64,dynamic:voluntary,3,0,1,1000,1000,plain,-,worker,1,6000,6.000,6000,1,,,0,none,tcg' \
		'bpo12/hog,6.12.95+deb12-amd64,dynamic:voluntary,3,off,1,1000,1000,kernel,-,worker,1,,,,,,,0,none,tcg' > "$out/table.csv"
	printf '%s\n' 'deb12/t3 ok' 'deb12/hog stopped: no output for 600 s' 'deb12-rt/hog skipped: not run on rt (matrix.tsv)' 'bpo12/hog ok' > "$out/table.boots"
	bash test/matrix.sh --table "$out/table.csv" "$out/table.boots" > "$out/table.md" 2>&1
	check "matrix table: the real map's gp column says what it counts (membarrier)" \
		grep -q '^| kernel/scenario | .* | real map gp wait (membarrier) max / idle | boot |$' "$out/table.md"
	check "matrix table: a row with the kernel's facts, stalls and the real map's gp max / idle" \
		grep -qx '| deb12/t3 | 6.1.0-56-amd64 | dynamic:voluntary | y | n | no-op | 1000 | 1/1 rcu_preempt:self-detected, 5.000 ns/slot | - | - | 0/1 no stall, 5.000 ns/slot | 9 ms / 2 ms | ok |' "$out/table.md"
	check "  a row for a boot that was stopped" grep -q '^| deb12/hog | - | dynamic:voluntary .* | stopped: no output for 600 s |$' "$out/table.md"
	check "  a real map the loop could not be timed for (one CPU), run without the scenario's hog" \
		grep -q '^| bpo12/hog | .* | 0/1 no stall, untimed (hog off) | - | ok |$' "$out/table.md"
	check "  a row for a scenario skipped on rt" grep -q '^| deb12-rt/hog | - | rt | .* | skipped: not run on rt (matrix.tsv) |$' "$out/table.md"
	# rlab-repro's cases: one table each; an idle row is the row's before it
	printf '%s\n' "$(test/lib/columns.sh 24)" \
		'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1000,1000,kernel,-,worker,1,5000,5.000,,,3,9000000,0,none,tcg,100,6000,fexit:reuseport_array_free' \
		'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1000,0,idle,-,,1,5000,,,,3,2000000,0,none,tcg,,,' \
		'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1048576,4000000,htab_timer,-,task,1,4000000000,3814.697,,,3,4100000000,1,rcu_preempt:self-detected,tcg,4000000000,3990000000,fexit:htab_map_free_internal_structs' \
		'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1048576,0,idle,-,,1,4000000000,,,,300,30000000,0,none,tcg,,,' \
		'sid-lazy+batch/t3,7.2.13,lazy,3,off,2,1048576,4000000,htab_timer,-,task,1,4000000000,3814.697,,,300,60000000,0,none,tcg,4000000000,,none:no-btf' \
		'sid-lazy+batch/t3,7.2.13,lazy,3,off,2,1048576,0,idle,-,,1,4000000000,,,,300,20000000,0,none,tcg,,,' > "$out/cases-table.csv"
	bash test/matrix.sh --table "$out/cases-table.csv" > "$out/cases.md" 2>&1
	bash test/findings.sh "$out/cases-table.csv" -o "$out/findings.md" 2>/dev/null
	check "make findings: per case, where the walk stalled unpatched and on +batch" \
		grep -qxF -- '- htab_timer: unpatched, stalled on sid/t3; no stall on none.  +batch: stalled on none; no stall on sid-lazy+batch/t3.' "$out/findings.md"
	check "matrix: the real map's gp max against its own idle row (2 ms), not a later case's" \
		grep -q '^| sid/t3 | .* | 9 ms / 2 ms | - |$' "$out/cases.md"
	check "  a table per case" grep -qx '### htab_timer (mode htab_timer)' "$out/cases.md"
	check "  a stock kernel: cond_resched_rcu() compiled out, the walk stalled" \
		grep -qx '| sid/t3 | dynamic:lazy | y | cond_resched_rcu no-op | 1048576 | 3814.697 | 4100 ms / 30 ms | 1/1 rcu_preempt:self-detected |' "$out/cases.md"
	check "  its +batch row: bounded, 60 ms against 20 ms, no stall" \
		grep -qx '| sid-lazy+batch/t3 | lazy | n | bounded (1024) | 1048576 | 3814.697 | 60 ms / 20 ms | 0/1 no stall |' "$out/cases.md"
	check "  the cases' gp column says what it counts (membarrier)" \
		grep -q '^| kernel/scenario | .* | gp wait (membarrier) max / idle | stalls |$' "$out/cases.md"
	# 25 columns: each figure by its gp_source; another source than the
	# column's is labelled, never mixed into its maximum
	{
		test/lib/columns.sh 25
		echo 'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1000,1000,kernel,-,worker,1,5000,5.000,,,3,9000000,0,none,tcg,100,6000,fexit:reuseport_array_free,membarrier'
		echo 'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1000,0,idle,-,,1,5000,,,,3,2000000,0,none,tcg,,,,probe'
		echo 'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1048576,4000000,htab_timer,-,task,1,4000000000,3814.697,,,3,4100000000,1,rcu_preempt:self-detected,tcg,4000000000,3990000000,fexit:htab_map_free_internal_structs,membarrier'
		echo 'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1048576,4000000,htab_timer,-,task,2,4000000000,3814.697,,,3,9900000000,1,rcu_preempt:self-detected,tcg,4000000000,3990000000,fexit:htab_map_free_internal_structs,probe'
		echo 'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1048576,0,idle,-,,1,4000000000,,,,300,30000000,0,none,tcg,,,,membarrier'
		# an idle row of another source: not the case's idle figure
		echo 'sid/t3,7.2.13+deb14-amd64,dynamic:lazy,3,off,2,1048576,0,idle,-,,2,4000000000,,,,300,99000000,0,none,tcg,,,,probe'
	} > "$out/sources.csv"
	bash test/matrix.sh --table "$out/sources.csv" > "$out/sources.md" 2>&1
	check "matrix, 25 columns: an idle figure of another gp_source is labelled" \
		grep -q '^| sid/t3 | .* | 9 ms / 2 ms (probe) | - |$' "$out/sources.md"
	check "  a case's row (and an idle row) of another gp_source is left out of the maximum, and the cell says so" \
		grep -qx '| sid/t3 | dynamic:lazy | y | cond_resched_rcu no-op | 1048576 | 3814.697 | 4100 ms / 30 ms (rows of another gp_source left out) | 2/2 rcu_preempt:self-detected |' "$out/sources.md"
	# a guest's rows under two headers are refused; the same header again
	# (a second writer) is dropped
	printf '# csv: %s\n' "$(test/lib/columns.sh)" x "$(test/lib/columns.sh 24)" y > "$out/two.log"
	rm -f "$out/two.csv"
	check "guest-csv.sh: a guest's rows under two headers: refused, no CSV" \
		sh -c "! test/lib/guest-csv.sh '$out/two.log' '$out/two.csv' 2>/dev/null && [ ! -e '$out/two.csv' ]"
	printf '# csv: %s\n' "$(test/lib/columns.sh)" x "$(test/lib/columns.sh)" y > "$out/two.log"
	check "  the same header twice: one header, both rows" \
		sh -c "test/lib/guest-csv.sh '$out/two.log' '$out/two.csv' && [ \"\$(wc -l < '$out/two.csv')\" = 3 ]"
}
timed matrix-table table_test
finish
