#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guest-csv.sh OUT.LOG CSV: append the "# csv: " rows of a guest's output to
# CSV (the header only when CSV is new).
set -eu
[ -s "$2" ] && skip=1 || skip=0
sed -n 's/^# csv: //p' "$1" | awk -v skip=$skip 'NR > 1 || !skip' >> "$2"
