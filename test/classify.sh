#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# classify.sh: the kernel-message classifier (tools/repro/stall.c), the one
# vocabulary of rlab-repro, rlab-study and every guest suite, fed fixture
# kernel logs: RCU stalls (detected, self-detected, expedited; raw, dmesg
# and /dev/kmsg forms), soft and hard lockups, a WARNING, a KASAN report,
# lockdep splats, a hung task, an oops and a clean boot.  Asserts -S's
# "STALLS KIND" and -B's "COUNT KINDS" then "KIND: MESSAGE" lines, that -B
# flags every fixture the guest suites' old regex flagged, and that the
# suites have no vocabulary of their own left.  Prints TAP, exits 0 iff
# every test passed.  No root, no VM, a few seconds.
#
# Environment: RLAB_REPRO, the binary to test (default: tools/rlab-repro,
# built with make -C tools).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib/tap.sh"
tmp=$(mktemp -d /tmp/rlab-classify.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ -n "${RLAB_REPRO:-}" ]; then
	bin=$RLAB_REPRO
else
	bin=$top/tools/rlab-repro
	make -s -C "$top/tools" rlab-repro > "$tmp/make.log" 2>&1 ||
		{ sed 's/^/# /' "$tmp/make.log"; echo "1..0 # make -C tools failed"; exit 1; }
fi
[ -x "$bin" ] || { echo "1..0 # no $bin"; exit 1; }

# The guest suites' regex before the classifier (test/guest/lib.sh's KBAD):
# everything it flagged, -B must flag too.
OLD_KBAD='WARNING:|BUG:|Call Trace|KASAN|detected stalls|self-detected stall|soft lockup'
OLD_KBAD="$OLD_KBAD|blocked for more than|possible recursive|circular locking|suspicious RCU"
OLD_KBAD="$OLD_KBAD|sleeping function called|inconsistent lock state|possible irq lock inversion"

# fixture NAME: the log on stdin, as dmesg prints it
fixture() { cat > "$tmp/$1.log"; }

fixture clean <<'EOF'
[    0.000000] Linux version 7.2.13-rl-lazy (root@host) (gcc (Debian 14.2.0-19) 14.2.0) #1
[    0.000000] rcu: Preemptible hierarchical RCU implementation.
[    0.000000] rcu: 	RCU restricting CPUs from NR_CPUS=64 to nr_cpu_ids=2.
[    0.000000] rcu: RCU calculated value of scheduler-enlistment delay is 25 jiffies.
[    0.012000] kasan: KernelAddressSanitizer initialized (generic)
[    0.100000] watchdog: Delayed init of the lockup detector failed: -19
[    0.110000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
[    0.200000] rcu: Hierarchical SRCU implementation.
[    1.000000] reuseport_lab: loaded; preempt lazy, PREEMPT_RCU n, stall timeout 3 s
[    2.000000] Run /init as init process
EOF

fixture detected <<'EOF'
[   25.120000] rl-test: stall
[   25.123456] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
[   25.123789] rcu: 	Tasks blocked on level-0 rcu_node (CPUs 0-1): P123/1:b..l
[   25.124000] rcu: 	(detected by 1, t=5252 jiffies, g=1234, q=56 ncpus=2)
[   25.125000] task:kworker/0:1     state:R  running task     stack:0     pid:123
[   25.130000] rcu: rcu_preempt kthread starved for 5254 jiffies! g1234 f0x0 RCU_GP_WAIT_FQS(5)
EOF

# the same report as /dev/kmsg records (rlab-study's dmesg -r, kmsg_scan)
sed 's/^\[ *[0-9.]*\] /4,1000,25123456,-;/' "$tmp/detected.log" > "$tmp/detected-kmsg.log"

fixture self <<'EOF'
[   30.100000] rcu: INFO: rcu_sched self-detected stall on CPU
[   30.100100] rcu: 	0-....: (5249 ticks this GP) idle=7c4c/1/0x4000000000000000 fqs=2618
[   30.100200] rcu: 	(t=5250 jiffies g=-1187 q=3 ncpus=2)
[   30.100300] CPU: 0 UID: 0 PID: 45 Comm: kworker/0:1 Not tainted 7.2.13-rl-lazy #1
[   30.100400] Call Trace:
[   30.100500]  <IRQ>
[   30.100600]  rcu_dump_cpu_stacks+0xe4/0x130
EOF

fixture expedited <<'EOF'
[   40.000000] rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-.... } 21258
[   40.000100] rcu: blocking rcu_node structures (internal RCU debug):
EOF

fixture softlockup <<'EOF'
[   52.000000] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:1:45]
[   52.000100] Modules linked in: reuseport_lab(O)
[   52.000200] CPU: 1 UID: 0 PID: 45 Comm: kworker/1:1 Tainted: G           O L     7.2.13 #1
EOF

fixture hardlockup <<'EOF'
[   60.000000] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1
[   60.000100] Modules linked in: reuseport_lab(O)
EOF

# an RCU report, then a soft lockup: the RCU kind, +softlockup
fixture both <<'EOF'
[   25.123456] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:
[   26.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [kworker/0:2:50]
EOF

fixture warning <<'EOF'
[   70.000000] ------------[ cut here ]------------
[   70.000100] WARNING: CPU: 1 PID: 77 at kernel/bpf/core.c:2891 bpf_prog_free+0x50/0x60
[   70.000200] Modules linked in: reuseport_lab(O)
[   70.000300] Call Trace:
[   70.000400]  <TASK>
[   70.000500] ---[ end trace 0000000000000000 ]---
EOF

fixture kasan <<'EOF'
[   80.000000] ==================================================================
[   80.000100] BUG: KASAN: slab-use-after-free in rl_free_plain+0x50/0x90 [reuseport_lab]
[   80.000200] Read of size 8 at addr ffff888012345678 by task kworker/0:1/45
[   80.000300] Call Trace:
[   80.000400] Disabling lock debugging due to kernel taint
EOF

fixture lockdep <<'EOF'
[   90.000000] ======================================================
[   90.000100] WARNING: possible circular locking dependency detected
[   90.000200] 6.1.158-rl-debug #1 Not tainted
[   90.000300] ------------------------------------------------------
[   90.000400] rlctl/99 is trying to acquire lock:
[   90.000500] stack backtrace:
[   90.000600] Call Trace:
EOF

fixture lockdep-rcu <<'EOF'
[   91.000000] =============================
[   91.000100] WARNING: suspicious RCU usage
[   91.000200] 6.1.158-rl-debug #1 Not tainted
[   91.000300] module/array.c:120 suspicious rcu_dereference_check() usage!
EOF

fixture recursive <<'EOF'
[   92.000000] WARNING: possible recursive locking detected
EOF

fixture mightsleep <<'EOF'
[   93.000000] BUG: sleeping function called from invalid context at kernel/sched/core.c:9000
EOF

fixture hung <<'EOF'
[  150.000000] INFO: task rlctl:120 blocked for more than 120 seconds.
EOF

fixture oops <<'EOF'
[  160.000000] Oops: general protection fault, probably for non-canonical address [#1] SMP KASAN
[  160.000100] KASAN: maybe wild-memory-access in range [0x0000000000000800-0x0000000000000807]
EOF

# one line of -S
scan() { "$bin" -S < "$tmp/$1.log" 2> "$tmp/err"; }
# the first line of -B (COUNT KINDS)
bad() { "$bin" -B < "$tmp/$1.log" 2> "$tmp/err" | head -n 1; }

# is NAME -S|-B WANT
is() {
	local got
	if [ "$2" = -S ]; then got=$(scan "$1"); else got=$(bad "$1"); fi
	if [ "$got" = "$3" ]; then
		ok "$1: $2 says '$3'"
	else
		nok "$1: $2 says '$3' (got '$got'$(head -c 200 "$tmp/err" | tr '\n' ' '))"
	fi
}

# -S: the stalls and stall_kind columns (docs/interface.md's vocabulary)
is detected -S "1 rcu_preempt:detected+tasks-blocked+kthread-starved"
is detected-kmsg -S "1 rcu_preempt:detected+tasks-blocked+kthread-starved"
is self -S "1 rcu_sched:self-detected"
is expedited -S "1 rcu_preempt:expedited"
is softlockup -S "1 softlockup"
is hardlockup -S "1 hardlockup"
is both -S "2 rcu_sched:detected+softlockup"
for f in warning kasan lockdep lockdep-rcu recursive mightsleep hung oops clean; do
	is "$f" -S "0 none"
done

# -B: kernel badness, stalls included, one kind a message
is clean -B "0 none"
is detected -B "1 rcu_preempt:detected"
is detected-kmsg -B "1 rcu_preempt:detected"
is self -B "2 rcu_sched:self-detected+call-trace"
is expedited -B "1 rcu_preempt:expedited"
is softlockup -B "1 softlockup"
is hardlockup -B "1 hardlockup"
is both -B "2 rcu_sched:detected+softlockup"
is warning -B "2 warning+call-trace"
is kasan -B "2 kasan+call-trace"
is lockdep -B "2 lockdep-circular+call-trace"
is lockdep-rcu -B "1 lockdep-rcu"
is recursive -B "1 lockdep-recursive"
is mightsleep -B "1 might-sleep"
is hung -B "1 hung-task"
is oops -B "2 oops+kasan"

out=$("$bin" -B < "$tmp/warning.log" 2>&1)
check "-B: one 'KIND: MESSAGE' line a message, after the count" \
	[ "$(printf '%s\n' "$out" | sed -n 2p)" = "warning: $(sed -n 2p "$tmp/warning.log")" ]
check "-B: the count's lines, no more" [ "$(printf '%s\n' "$out" | wc -l)" = 3 ]
out=$("$bin" -B < "$tmp/clean.log" 2>&1)
check "-B: a clean log is one line, '0 none'" [ "$out" = "0 none" ]
"$bin" -B < "$tmp/kasan.log" > /dev/null 2>&1
check "-B: exit 0 on a dirty log" [ $? = 0 ]
"$bin" -B -r 2 < /dev/null > /dev/null 2> "$tmp/err"
rc=$?
check "-B with -r: exit 2 (got $rc), nothing on stdout" [ $rc = 2 ]

# everything the guest suites' own regex flagged, -B flags
miss=
for f in "$tmp"/*.log; do
	n=$(basename "$f" .log)
	if grep -E -q "$OLD_KBAD" "$f" && [ "$(bad "$n" | cut -d' ' -f1)" = 0 ]; then
		miss="$miss $n"
	fi
done
check "-B flags every fixture the old KBAD regex flagged (missed:${miss:- none})" [ -z "$miss" ]

# one vocabulary: the suites ask rlab-repro, they have no pattern list
check "test/guest/lib.sh has no badness regex of its own (KBAD)" \
	nope grep -q 'KBAD=' "$top/test/guest/lib.sh"
check "test/guest/lib.sh's dmesg_clean asks rlab-repro -B" \
	grep -q 'rlab-repro -B' "$top/test/guest/lib.sh"
check "test/guest/fidelity.sh greps no stall message of its own" \
	nope grep -E -q 'self-detected|detected stalls' "$top/test/guest/fidelity.sh"
check "test/guest/fidelity.sh's stall kinds are rlab-repro's (-B)" \
	grep -q 'rlab-repro -B' "$top/test/guest/fidelity.sh"

# docs/interface.md's stall_kind table names each stall kind the table has
for k in FLAVOR:detected FLAVOR:self-detected FLAVOR:expedited softlockup hardlockup \
	+tasks-blocked +kthread-starved; do
	check "docs/interface.md's stall_kind table has $k" \
		grep -q "^| \`$k\`\\|^| suffix \`$k\`" "$top/docs/interface.md"
done

echo "1..$T_N"
diag "passed $((T_N - T_FAIL)) failed $T_FAIL"
[ "$T_FAIL" -eq 0 ]
