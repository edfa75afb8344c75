#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# columns.sh [N]: the study CSV's header from tools/columns, the schema (its
# first N names: 20, 21, 24 or 25; default all), for tests and fixtures, so
# that no header is spelled anywhere else.  RL_COLUMNS: another schema file.
set -eu
f=${RL_COLUMNS:-$(dirname "$0")/../../tools/columns}
n=${1:-0}
case $n in ''|*[!0-9]*) echo "columns.sh: bad count '$n'" >&2; exit 2 ;; esac
awk -F '\t+' -v want="$n" '
	$1 == "column" && (!want || k < want) { h = h (k++ ? "," : "") $2 }
	END {
		if (want && k < want) {
			printf "columns.sh: %s has %d columns, not %d\n", FILENAME, k, want > "/dev/stderr"
			exit 1
		}
		print h
	}' "$f"
