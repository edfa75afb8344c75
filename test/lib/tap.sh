# SPDX-License-Identifier: GPL-2.0
# TAP helpers shared by the host scripts (bash) and the guest (busybox sh).
T_N=0
T_FAIL=0

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
nok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
diag() { echo "# $*"; }
nope() { ! "$@"; }

# check DESC COMMAND...: ok when COMMAND succeeds
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}

# match STRING REGEX: the whole STRING matches REGEX
match() { echo "$1" | grep -qx -- "$2"; }
