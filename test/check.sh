#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, build with W=1, run sparse and
# checkpatch, test modinfo and DKMS on the host, then the guest suites in
# QEMU.  Prints TAP-like lines and ends with "N passed, N failed".
#
# Environment: RL_OUT (logs, default out/check), RL_CACHE (kernels, sources).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. test/lib/tap.sh
out=${RL_OUT:-$top/out/check}
rm -rf "$out"
mkdir -p "$out"
t_all=$(date +%s)

# timed NAME COMMAND...: run and report the wall time
timed() {
	local t0 rc=0
	t0=$(date +%s)
	"$@" || rc=$?
	diag "timing: ${1##*/}${2:+ ${2##*/}} $(($(date +%s) - t0)) s"
	return $rc
}

# logto FILE COMMAND...: run COMMAND with its output in FILE
logto() {
	local f=$1
	shift
	"$@" > "$f" 2>&1
}

finish() {
	diag "timing: make check $(($(date +%s) - t_all)) s"
	echo "$((T_N - T_FAIL)) passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
	exit
}

if ! timed test/lib/deps.sh > "$out/deps.log" 2>&1; then
	nok "install the dependencies (see $out/deps.log)"
	finish
fi
eval "$(test/lib/stock-kernel.sh)" || { nok "stock kernel"; finish; }
kver=${vmlinux##*vmlinux-}
ksrc=$(test/lib/ksrc.sh) || { nok "kernel source"; finish; }

# Static checks
make -s clean KDIR="$kdir" >/dev/null 2>&1
check "build against $kver with W=1" \
	logto "$out/build.log" make KDIR="$kdir" W=1
check "  no compiler warning" nope grep -q 'warning:' "$out/build.log"
check "  reuseport_lab.ko built" test -f reuseport_lab.ko
make KDIR="$kdir" C=2 > "$out/sparse.log" 2>&1
check "sparse (C=2): no finding" \
	nope grep -E -q '(warning|error):' "$out/sparse.log"
grep -E '(warning|error):' "$out/sparse.log" | head -n 20 | sed 's/^/# /'
for f in module/*.c module/*.h test/guest/*.c Kbuild Makefile; do
	check "checkpatch --strict $f" \
		perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree -q -f "$f"
done

info=$(modinfo reuseport_lab.ko)
for k in description version; do
	check "modinfo $k" match "$(modinfo -F $k reuseport_lab.ko)" '..*'
done
check "modinfo license GPL" [ "$(modinfo -F license reuseport_lab.ko)" = GPL ]
for p in array_size nr_socks free_mode batch_size free_ctx gp_probe; do
	check "modinfo parm $p has a description" \
		match "$(echo "$info" | sed -n "s/^parm: *$p://p")" '...*'
done

# DKMS against the installed Debian headers
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
timed dkms_test

# vm_suite NAME VMLINUX INITRD MEM SMP TIMEOUT APPEND: one guest, its TAP
# relayed line by line; a guest that did not finish its plan fails.
vm_suite() {
	local name=$1 kernel=$2 initrd=$3 mem=$4 smp=$5 tmo=$6 append=$7
	local d=$out/vm-$name rc=0 n=0 plan=none line
	test/lib/run-vm.sh --kernel "$kernel" --initrd "$initrd" --out "$d" \
		--mem "$mem" --smp "$smp" --timeout "$tmo" --append "$append" \
		2> "$out/vm-$name.err" || rc=$?
	diag "$name: $(grep '^vm:' "$out/vm-$name.err")"
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$name: ${line#ok * - }"; n=$((n + 1)) ;;
		"not ok "*) nok "$name: ${line#not ok * - }"; n=$((n + 1)) ;;
		1..*) plan=${line#1..} ;;
		"# guest-exit"*) ;;
		"#"*) echo "# $name: ${line#\# }" ;;
		esac
	done < "$d/out.log"
	check "$name: guest ran its whole plan ($n of $plan, run-vm exit $rc)" \
		[ "$plan" = "$n" ]
	if [ "$plan" != "$n" ]; then
		diag "$name: console tail:"
		tail -n 30 "$d/console.log" | sed 's/^/#   /'
	fi
}

initrd=$out/stock.cpio.gz
if check "stage the module and guest tests for $kver" \
	logto "$out/stage.log" test/lib/stage.sh "$kdir" "$initrd"; then
	timed vm_suite stock "$vmlinux" "$initrd" 1G 2 600 \
		"rl.suite=basic,fidelity rl.sizes=10M rl.reps=1 rl.preempt=dynamic:voluntary rl.kernel_facts=y,n,no-op,250"
	timed vm_suite stall "$vmlinux" "$initrd" 12G 2 900 \
		"rl.suite=stall rcupdate.rcu_cpu_stall_timeout=3"
	# The study report from the stall suite's rows
	sed -n 's/^# csv: //p' "$out/vm-stall/out.log" > "$out/stall.csv"
	check "rlab-report makes study.md and plots from the guest's CSV" \
		logto "$out/report.log" tools/rlab-report "$out/stall.csv" "$out/report"
	for png in ns_per_slot max_section gp_latency; do
		check "  $png.png is a PNG" \
			match "$(head -c 4 "$out/report/$png.png" 2>/dev/null | od -An -c | tr -d ' ')" '211PNG'
	done
	check "  study.md has the stall row" \
		grep -q '| plain .*rcu_preempt:self-detected' "$out/report/study.md"
fi
# The kernels where cond_resched_rcu() is effective (make kernels: cached
# builds of linux-source-6.1), with their expected status facts.
kernel_suites() {
	local flavour image kdir initrd
	while read -r flavour image kdir; do
		initrd=$out/$flavour.cpio.gz
		check "stage the module and guest tests for $flavour" \
			logto "$out/stage-$flavour.log" test/lib/stage.sh "$kdir" "$initrd" || continue
		case $flavour in
		nopreempt)
			timed vm_suite nopreempt "$image" "$initrd" 1G 2 900 \
				"rl.suite=basic rl.preempt=none rl.kernel_facts=n,n,effective,250"
			timed vm_suite nopreempt-stall "$image" "$initrd" 9G 2 1200 \
				"rl.suite=stall rcupdate.rcu_cpu_stall_timeout=3 rl.stall_size=1000000000"
			;;
		debug)
			timed vm_suite debug "$image" "$initrd" 2G 2 1800 \
				"rl.suite=basic,reliability rl.preempt=full rl.kernel_facts=y,y,effective,250 rl.freeing_size=40000000"
			# PROVE_RCU waits 5 s more before it warns: 3 + 5 s.
			# The loop is sized from the ns/slot measured in the
			# guest to last 12 s (~250 ns/slot: ~48M slots).  A
			# 1024-slot section takes ~0.25 ms here, and ticks
			# under lockdep and KASAN stretch it: bound 5 ms.
			timed vm_suite debug-stall "$image" "$initrd" 2G 2 1800 \
				"rl.suite=stall rcupdate.rcu_cpu_stall_timeout=3 rl.stall_extra=5 rl.stall_seconds=12 rl.section_size=2M rl.section_max_ns=5000000"
			;;
		esac
	done < "$out/kernels.txt"
}

flavours=${RL_CHECK_FLAVOURS:-nopreempt debug}
# shellcheck disable=SC2086
if bash test/kernels/build.sh $flavours > "$out/kernels.txt" 2> "$out/kernels.log"; then
	ok "make kernels: $(awk '{ print $1 }' "$out/kernels.txt" | xargs)"
	grep '^build:' "$out/kernels.log" | sed 's/^/# /'
	kernel_suites
else
	nok "make kernels (see $out/kernels.log)"
	tail -n 20 "$out/kernels.log" | sed 's/^/#   /'
fi
finish
