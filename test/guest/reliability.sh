# SPDX-License-Identifier: GPL-2.0
# The reliability suite, for the debug kernel (KASAN, lockdep, kmemleak,
# fault injection): a corpus of malformed inputs, a seeded fuzzer, fault
# injection on every allocation site, and kmemleak at the end.
#
# The fuzzer runs seeds 1 and 2; make check 1000 commands each, rl.soak=1
# (make soak) the full volume, 5000 each (rl.fuzz_cmds= overrides).  1000
# is enough to reach every outcome of every command class of rlfuzz's table
# at least 4 times (counted with an instrumented rlfuzz: alloc OK/EEXIST,
# fill OK/ENOENT/EBUSY, free OK/ENOENT/EBUSY, hog OK/EBUSY, wait, hog off,
# reset, junk and random bytes EINVAL; fill's ENOSPC is reached at neither
# volume, only by the corpus below).  The fault sites are whole in both,
# and so is the corpus but for its 24 malformed numbers: make check sends
# each through alloc and through one other number field in turn (137
# inputs), make soak each through all five (209).

KML=/sys/kernel/debug/kmemleak
R_INPUTS=0
R_FAULTS=0
R_SEEDS="1 2"
if [ -n "${RL_SOAK:-}" ]; then
	R_CMDS=${RL_FUZZ_CMDS:-5000}
else
	R_CMDS=${RL_FUZZ_CMDS:-1000}
fi

# snap: what must not change when a command fails: status, the loopback
# sockets (nsocks) and the module's vmalloc areas (nvmalloc), in one exec
# (a corpus input costs one rlctl and one snapshot)
snap() {
	awk 'FILENAME == "/proc/net/udp" { if ($2 ~ /^0100007F:/) s++; next }
		FILENAME == "/proc/vmallocinfo" { if (/rl_array_alloc/) v++; next }
		{ print } END { print "sockets=" s + 0, "vmalloc=" v + 0 }' \
		$D/status /proc/net/udp /proc/vmallocinfo
}

# R_PREV: the state after the last corpus input, which is the state before
# the next one as long as nothing else ran in between (so each input costs
# one snapshot, not two); "fresh" drops it after any other command.
R_PREV=
fresh() { R_PREV=; }

# corpus_run DESC WANT RLCTL-ARGS...: rlctl gives WANT, and nothing changed
# (quiet unless it fails)
corpus_run() {
	_desc=$1 _want=$2
	shift 2
	_before=${R_PREV:-$(snap)}
	_got=$(rlctl "$@")
	R_PREV=$(snap)
	R_INPUTS=$((R_INPUTS + 1))
	if [ "$_got" != "$_want" ]; then
		nok "corpus: $_desc -> $_want (got $_got)"
	elif [ "$R_PREV" != "$_before" ]; then
		nok "corpus: $_desc changed the state"
	else
		R_OK=$((R_OK + 1))
	fi
}

# bad OUTCOME WORD...: OUTCOME, and nothing changed
bad() {
	_w=$1
	shift
	corpus_run "'$*'" "$_w" "$@"
}

bad_hex() { corpus_run "hex $1" EINVAL -x "$1"; }

# bad_field K X: the malformed number X in number field K other than
# alloc's: EINVAL, and nothing changed
bad_field() {
	case $1 in
	0) bad EINVAL fill "$2" ;;
	1) bad EINVAL fill 1 "random:$2" ;;
	2) bad EINVAL free "batch:$2" ;;
	3) bad EINVAL hog "$2" ;;
	esac
}

corpus_syntax() {
	fresh
	nums="-1 -0 +-1 0x10 1e3 1.5 4294967296 18446744073709551616 99999999999999999999 12a a12 1,0 0b1 0o7 - + 0-1 1_000 nan inf 4294967295x 0.0 ++1 '\\x31'"
	# Every malformed number through alloc, and through one of the other
	# four number fields in turn (each sees 6 of the 24; every field is
	# its own kstrtou32() call, its range check its own); make soak: all
	# 24 through all five.
	_i=0
	for x in $nums; do
		bad EINVAL alloc "$x"
		for _f in 0 1 2 3; do
			[ -n "${RL_SOAK:-}" ] || [ $((_i % 4)) = $_f ] && bad_field $_f "$x"
		done
		_i=$((_i + 1))
	done
	for w in allocate Alloc FILL fre frees waits rst reset! hogs 'hog-1' \
		'alloc=5' 'fill:1' '#' ';' '\\' 'free;' 'alloc\t5' 'wait\\n' \
		'plain' 'batch' 'sync' 'nowait' 'off' 'random' 'dense' '0' '1' \
		'alloc 5 dense' 'fill 1 dense 2' 'free plain batch' 'free worker sync' \
		'free nowait nowait' 'free batch:2 batch:3' 'free resched:1' \
		'free plain:1' 'free sync:1' 'free nowait:1' 'hog off off' 'hog 1 off' \
		'wait wait' 'reset reset' 'hog on' 'fill 1 stride:3' 'fill 1 dense:1'; do
		bad EINVAL "$w"
	done
	for h in 00 0a 20 2020 ff fffefd 616c6c6f6300 616c6c6f63203100 \
		77616974000a 00776169740a 616c6c6f6320ff 66696c6c2031ff c0af \
		e280a8 efbbbf77616974 1b5b41 7f 616c6c6f630931300b0c32; do
		bad_hex "$h"
	done
	for len in 4096 4097 5000 65536; do
		corpus_run "$len-byte write" EINVAL -p $len wait
	done
}

corpus_states() {
	fresh
	# empty
	bad ENOENT fill 1
	bad ENOENT fill 1 dense
	bad ENOENT free
	bad ENOENT free batch:4 sync
	bad ENOENT free nowait
	bad EINVAL alloc
	bad EINVAL alloc 0
	# allocated
	rlctl alloc 100 >/dev/null
	fresh
	bad EEXIST alloc 5
	bad EEXIST alloc 100
	bad EEXIST alloc 4294967295
	bad ENOSPC fill 101
	rlctl fill 100 >/dev/null
	fresh
	# full
	bad ENOSPC fill 1
	bad ENOSPC fill 1 random:5
	bad EEXIST alloc 1
	# hog running
	rlctl hog 0 >/dev/null
	fresh
	bad EBUSY hog 0
	bad EBUSY hog 1
	bad EINVAL hog 2
	rlctl hog off >/dev/null
	fresh
	rlctl reset >/dev/null
	fresh
	# freeing: long enough for the commands below (KASAN: ~250 ns a slot)
	rlctl alloc "${RL_FREEING_SIZE:-40000000}" >/dev/null
	fresh
	rlctl fill 10 >/dev/null
	fresh
	rlctl free batch:1024 nowait >/dev/null
	fresh
	bad EBUSY free
	bad EBUSY free sync
	bad EBUSY free batch:8 nowait
	bad EEXIST alloc 5
	bad EBUSY fill 1
	bad EINVAL free bogus
	check "corpus: still freeing after the wrong-state commands" [ "$(st state)" = freeing ]
	rlctl wait >/dev/null
	fresh
	rlctl reset >/dev/null
	fresh
}

# fault_tally WHAT CHANGED OUTCOME...: count one armed run by its OUTCOME
# (rlctl -F's words); CHANGED is a test that is true when the failed run
# left the state changed.  False when the run was clean: no call was left
# to fail.
fault_tally() {
	_what=$1 _changed=$2
	shift 2
	case "$1 $2" in
	*" clean")
		return 1 ;;
	"OK injected")
		_okinj=$((_okinj + 1)) ;;
	*" injected")
		_inj=$((_inj + 1))
		if eval "$_changed"; then
			_broken=$((_broken + 1))
			diag "fault $_n in $_what -> $1 changed the state"
		fi ;;
	*)
		_broken=$((_broken + 1))
		diag "fault $_n in $_what: rlctl said '$*'" ;;
	esac
}

# fault_site DESC SETUP CMD: fail the Nth fault-injectable call of CMD for
# N = 1, 2, ... until CMD runs clean (at most RL_FAULT_MAX).  An injected
# failure must give an errno and change nothing, or the command must succeed
# all the same (kmalloc falls back to vmalloc).
fault_site() {
	_desc=$1 _setup=$2 _cmd=$3
	_n=1 _inj=0 _okinj=0 _broken=0
	while [ $_n -le "${RL_FAULT_MAX:-300}" ]; do
		rlctl reset >/dev/null
		[ -n "$_setup" ] && eval "$_setup" >/dev/null
		_before=$(snap)
		_out=$(rlctl -F $_n $_cmd)
		fault_tally "'$_cmd'" '[ "$(snap)" != "$_before" ]' $_out || break
		_n=$((_n + 1))
	done
	set -- $_out
	R_FAULTS=$((R_FAULTS + _inj + _okinj))
	check "faults: $_desc: $_inj failed cleanly, $_okinj absorbed, clean run after $((_n - 1))" \
		[ $_broken = 0 -a "$1 $2" = "OK clean" -a $((_inj + _okinj)) -gt 0 ]
	rlctl reset >/dev/null
	check "  nothing left" [ "$(nsocks) $(nvmalloc)" = "0 0" ]
}

# fault_load PARAMS: the same for each fault-injectable call of the module's
# init when loaded with PARAMS (its array, sockets and debugfs files): a
# failed load leaves no module, socket or array behind.  The loader's own
# calls before init are the kernel's, not the module's (and its trace-event
# setup WARNs when one fails): init's are the last ones, located by counting
# the calls of a bare load (array_size=0: init makes only the debugfs files,
# fewer than 20 calls) and of the load with PARAMS.
fault_load() {
	_params=$1 _inj=0 _okinj=0 _broken=0
	unload
	set -- $(rlctl -F 1000000 -L $KO array_size=0 nr_socks=0)
	_bare=${3:-0}
	unload
	set -- $(rlctl -F 1000000 -L $KO $_params)
	_all=${3:-0}
	unload
	diag "insmod: $_bare fault-injectable calls bare, $_all with $_params"
	_n=$((_bare - 20))
	while [ $_n -le $((_all + 20)) ]; do
		unload
		_out=$(rlctl -F $_n -L $KO $_params 2>&1)
		fault_tally insmod 'loaded || [ "$(nsocks) $(nvmalloc)" != "0 0" ]' $_out || break
		_n=$((_n + 1))
	done
	set -- $_out
	R_FAULTS=$((R_FAULTS + _inj + _okinj))
	check "faults: insmod $_params: $_inj failed cleanly, $_okinj absorbed, clean run after $((_n - 1))" \
		[ $_bare -gt 20 -a $_broken = 0 -a "$1 $2" = "OK clean" -a $_inj -gt 0 ]
	check "  loaded, state allocated, $(st filled) sockets" \
		[ "$(st state) $(nsocks)" = "allocated 4" ]
}

fault_setup() {
	for f in failslab fail_page_alloc; do
		echo 0 > /sys/kernel/debug/$f/verbose
		echo N > /sys/kernel/debug/$f/ignore-gfp-wait
	done
	echo N > /sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem
	echo 0 > /sys/kernel/debug/fail_page_alloc/min-order
}

# lap WHAT: the guest time since the last lap, as a diagnostic
lap() {
	_now=$(date +%s)
	diag "time: $1 $((_now - ${_lap:-$_now})) s"
	_lap=$_now
}

suite_reliability() {
	load
	[ -w $KML ] && echo clear > $KML
	R_OK=0
	_lap=$(date +%s)
	corpus_syntax
	corpus_states
	# 209 inputs in make soak, 137 in make check
	_min=137
	[ -z "${RL_SOAK:-}" ] || _min=209
	check "corpus: $R_OK of $R_INPUTS malformed or wrong-state inputs gave their errno and changed nothing" \
		[ $R_OK = $R_INPUTS -a $R_INPUTS -ge $_min ]
	lap corpus

	for seed in $R_SEEDS; do
		rlctl reset >/dev/null
		out=$(rlfuzz $seed "$R_CMDS" 4 2 2>/tmp/fuzz.err)
		check "fuzz: $out" [ $? = 0 ]
		sed 's/^/# /' /tmp/fuzz.err | head -n 10
		expect OK wait
		s=$(st state)
		check "fuzz: state consistent ($s, size $(st size), filled $(st filled), sockets $(nsocks))" \
			sh -c "[ '$s' = allocated -a $(st filled) -le $(st size) -o '$s $(st size) $(st filled)' = 'empty 0 0' ]"
		check "fuzz: sockets alive = filled" [ "$(nsocks)" = "$(st filled)" ]
		check "fuzz: hog stopped" [ "$(st hog)" = off ]
		check "fuzz: results rows well formed" \
			sh -c "tail -n +2 $D/results | awk 'NF != 13 { exit 1 }'"
	done
	rlctl reset >/dev/null
	lap fuzz

	if [ -d /sys/kernel/debug/failslab ]; then
		fault_setup
		fault_site "command buffer + kmalloc'ed array" "" "alloc 1000"
		fault_site "vmalloc'ed array" "" "alloc 20000"
		fault_site "sockets and their array" "rlctl alloc 1000" "fill 4"
		fault_site "second fill (array growth)" "rlctl alloc 1000; rlctl fill 2" "fill 3 random:4"
		fault_site "hog kthread" "" "hog 1"
		fault_site "status read" "rlctl alloc 100" "-r $D/status"
		fault_site "results read" "rlctl alloc 100; rlctl free" "-r $D/results"
		lap "fault sites"
		fault_load "array_size=20000 nr_socks=4"
		lap "fault insmod"
		diag "faults injected: $R_FAULTS"
	else
		nok "fault injection: no /sys/kernel/debug/failslab on this kernel"
	fi

	unload
	check "after rmmod: nothing left" [ "$(nsocks) $(nvmalloc)" = "0 0" ]
	if [ -w $KML ]; then
		# a scan reports an object it finds unreferenced and unchanged
		# since the scan before, if it was allocated 5 s before the
		# scan's start (mm/kmemleak.c, MSECS_MIN_AGE): two scans, the
		# second more than 6 s after rmmod (7 of date's whole seconds;
		# under TCG and KASAN the first scan takes longer than that by
		# itself)
		_k0=$(date +%s)
		echo scan > $KML
		_k=$((7 - $(date +%s) + _k0))
		[ $_k -le 0 ] || sleep $_k
		echo scan > $KML
		n=$(grep -c 'unreferenced object' $KML)
		check "kmemleak: $n unreferenced objects after two scans" [ "$n" = 0 ]
		head -n 40 $KML | sed 's/^/# /'
		lap kmemleak
	else
		nok "kmemleak: $KML missing"
	fi
	check "dmesg since boot: no KASAN, lockdep, WARN or might_sleep report" dmesg_clean
	diag "reliability: $R_INPUTS inputs, $(($(echo $R_SEEDS | wc -w) * R_CMDS)) fuzzed commands (seeds $R_SEEDS), $R_FAULTS faults injected"
}
