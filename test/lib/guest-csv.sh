#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guest-csv.sh OUT.LOG CSV: append the "# csv: " rows of a guest's output to
# CSV (the header only when CSV is new).  A CSV that has another header than
# the guest's (an older schema's, tools/columns) is refused and left as it
# is: rows of two schemas in one file would be read by the wrong names;
# so is a guest's output with two different headers.
set -eu
[ $# -eq 2 ] || { echo "usage: guest-csv.sh OUT.LOG CSV" >&2; exit 2; }
rows=$(sed -n 's/^# csv: //p' "$1")
[ -n "$rows" ] || exit 0
# a header further down (a second writer's) must be the first one, and is
# dropped; another is refused too
first=$(printf '%s\n' "$rows" | head -n 1)
if printf '%s\n' "$rows" | sed 1d | grep '^scenario,' | grep -qvxF -e "$first"; then
	echo "guest-csv.sh: $1 has rows under two headers; not appended" >&2
	exit 1
fi
rows=$(printf '%s\n' "$rows" | awk -v h="$first" 'NR == 1 || $0 != h')
if [ -s "$2" ]; then
	old=$(head -n 1 "$2")
	new=$(printf '%s\n' "$rows" | head -n 1)
	if [ "$old" != "$new" ]; then
		echo "guest-csv.sh: $2 has another header than $1's rows; not appended" >&2
		exit 1
	fi
	printf '%s\n' "$rows" | sed 1d >> "$2"
else
	printf '%s\n' "$rows" >> "$2"
fi
