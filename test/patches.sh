#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches.sh - the bounded-section fixes of the +batch kernels as a patch
# series for upstream, in git format-patch form.
#
# Usage: test/patches.sh [MATRIX.csv]          (normally via make patches)
#
#   MATRIX.csv  a CSV of make matrix (default out/matrix/matrix.csv; if the
#               default does not exist, every case is "not measured")
#
# Writes out/patches/ (replacing it): 0000-cover-letter.patch and one patch
# per loop, 0001-... to 0004-..., against the newest linux-source of the
# matrix (the sources of the built kernels of test/kernels/kernels.tsv,
# through test/lib/ksrc.sh).  Each commit message is the description of
# its test/kernels/patches/batch/NN-*.patch (everything before its "---"
# line; the Fixes: tags in it were checked against upstream when written),
# with a "Measured" paragraph added from MATRIX.csv for the modes its
# "Modes:" line names: per kernel and scenario (the scenario column) the
# longest gp_max_ns of those rows against the gp_max_ns of the idle row
# that follows it, and whether any of them stalled.  Each figure is named by
# what it counts (gp_source: membarrier for rlab-repro's rows, probe for the
# module's; a file of 20, 21 or 24 columns has none, and its rows are
# membarrier but for plain, resched and batch); rows of two sources are
# never one maximum, and an idle figure of another source says so.  Figures only ever
# come from the CSV; a mode without rows is "not measured".  The columns
# are found by name; a field used must be a word of [A-Za-z0-9._:+/~-] or
# digits (gp_max_ns and stalls may be empty: not recorded), or the row is
# refused with its line number.
#
# The series is checked before the script succeeds: every lab patch
# applies with patch -p1 --fuzz=0 to every source of the matrix (what
# build.sh does for +batch), every generated patch applies in order with
# git apply --check to a copy of the newest source, and checkpatch.pl
# --strict of that source is clean for each of them (its summary is
# printed).
#
# Signed-off-by: a sign-off certifies the Developer's Certificate of
# Origin, so this script never makes one up: it refuses to run unless
# RL_SIGNOFF="Full Name <email>" names the person who sends the series,
# who is also its author.
#
# Environment:
#   RL_SIGNOFF    required: "Full Name <user@example.org>"
#   RL_PATCH_SRC  an unpacked linux source tree to generate the series
#                 against instead of the newest linux-source of the matrix
#   RL_LINUX_GIT  a linux git checkout: checkpatch runs in it, so the
#                 commit ids of the Fixes: tags are looked up as well
#                 (without it, there is nothing to look them up in, and its
#                 UNKNOWN_COMMIT_ID warning is ignored)
#   RL_OUT        the output directory (default out/patches)
#
# Exit status: 0 done, 1 an error (a bad CSV row, a failed check), 2 bad
# usage or environment.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
lab=$top/test/kernels/patches/batch
table=$top/test/kernels/kernels.tsv

die() { echo "patches: $*" >&2; exit 1; }
usage() { echo "patches: $*" >&2; echo "usage: test/patches.sh [MATRIX.csv]" >&2; exit 2; }
say() { echo "patches: $*" >&2; }

[ $# -le 1 ] || usage "too many arguments"
case ${1:-} in -*) usage "unknown option '$1'" ;; esac
signoff=${RL_SIGNOFF:-}
[ -n "$signoff" ] ||
	usage 'RL_SIGNOFF is not set: RL_SIGNOFF="Full Name <email>" must name the person who signs the series off'
# "Name <local@domain>": no markup in the name, one address.
if ! printf '%s\n' "$signoff" | grep -Eqx '[^<>@",]*[^<>@", ] <[^<>@ ]+@[^<>@ ]+\.[^<>@ ]+>'; then
	usage "RL_SIGNOFF '$signoff' is not \"Full Name <user@example.org>\""
fi
sname=${signoff% <*}
smail=${signoff##*<}
smail=${smail%>}

csv=${1:-$top/out/matrix/matrix.csv}
if [ $# -eq 1 ]; then
	[ -f "$csv" ] && [ -r "$csv" ] || usage "no readable CSV '$csv'"
elif [ ! -e "$csv" ]; then
	say "no $csv: every case is \"not measured\""
	csv=
fi

out=${RL_OUT:-$top/out/patches}
for c in git patch perl awk fmt sort; do
	command -v "$c" >/dev/null || usage "$c not found"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rl-patches.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mapfile -t series < <(find "$lab" -maxdepth 1 -type f -name '[0-9][0-9]-*.patch' | LC_ALL=C sort)
[ ${#series[@]} -gt 0 ] || die "no patches in $lab"

# files P: the files a lab patch changes.
files() {
	sed -n 's#^+++ [^/]*/\([^[:space:]]*\).*#\1#p' "$1"
}
# copyfiles SRC DEST: DEST gets SRC's copy of every file of the series.
copyfiles() {
	local p f
	for p in "${series[@]}"; do
		for f in $(files "$p"); do
			[ -f "$1/$f" ] || die "$f (of ${p##*/}) is not in $1"
			mkdir -p "$2/$(dirname "$f")"
			cp "$1/$f" "$2/$f"
		done
	done
}

# 1. The sources: the newest one is what the series is made against; the
#    lab patches must apply to all of them.
declare -a srcs=()
if [ -n "${RL_PATCH_SRC:-}" ]; then
	[ -f "$RL_PATCH_SRC/Makefile" ] && [ -d "$RL_PATCH_SRC/kernel/bpf" ] ||
		usage "RL_PATCH_SRC=$RL_PATCH_SRC is not a linux source tree"
	newest=$(cd "$RL_PATCH_SRC" && pwd)
	newname="linux source $newest"
	srcs=("$newest")
else
	best='' newest='' newname=''
	for origin in $(awk '!/^#/ && $2 == "built" { print $3 }' "$table" | sort -u); do
		read -r dir pkg ver _ < <(bash "$top/test/lib/ksrc.sh" --info "$origin") ||
			die "no linux source for '$origin' (test/lib/ksrc.sh)"
		srcs+=("$dir")
		# linux-source-X.Y: the newest X.Y wins
		v=${pkg#linux-source-}
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n1)" = "$v" ]; then
			best=$v newest=$dir newname="$pkg $ver"
		fi
	done
	[ -n "$newest" ] || die "no built kernel in $table"
fi
say "series against $newname"

for s in "${srcs[@]}"; do
	w=$tmp/apply-$(printf '%s' "$s" | cksum | cut -d' ' -f1)
	copyfiles "$s" "$w"
	for p in "${series[@]}"; do
		patch -p1 -d "$w" --fuzz=0 --dry-run -s <"$p" >/dev/null 2>&1 &&
			patch -p1 -d "$w" --fuzz=0 -s --no-backup-if-mismatch <"$p" >/dev/null 2>&1 ||
			die "${p#"$top"/} does not apply (patch -p1 --fuzz=0) to $s"
	done
	say "lab patches apply with patch -p1 --fuzz=0 to $s"
done

# 2. The figures.  measured MODE...: the "Measured" paragraph of a patch.
#    The awk script checks every field it uses and refuses a bad row.
figures=$tmp/figures.tsv
: >"$figures"
if [ -n "$csv" ]; then
	heads=$(for n in 20 21 24 25; do "$top/test/lib/columns.sh" $n || exit 1; done) ||
		die "tools/columns: not the schema of 25 columns"
	awk -F, -v file="$csv" -v OFS='\t' -v heads="$heads" '
	function bad(what) {
		printf "patches: %s:%d: %s\n", file, NR, what > "/dev/stderr"
		err = 1
		exit 1
	}
	function word(col, v) {
		v = $c[col]
		if (v !~ /^[A-Za-z0-9._:+\/~-]+$/)
			bad("column " col ": \"" v "\" is not a word of [A-Za-z0-9._:+/~-]")
		return v
	}
	# a number, or empty where the bench did not record one
	function num(col, v) {
		v = $c[col]
		if (v !~ /^[0-9]*$/)
			bad("column " col ": \"" v "\" is not a number")
		return v
	}
	function num1(col, v) {
		v = num(col)
		if (v == "")
			bad("column " col ": empty")
		return v
	}
	# what gp_samples and gp_max_ns count: gp_source; before it (20, 21
	# and 24 columns) the module wrote plain, resched and batch (probe),
	# rlab-repro everything else (membarrier)
	function source(   v) {
		if ("gp_source" in c && $c["gp_source"] != "") {
			v = $c["gp_source"]
			if (v != "probe" && v != "membarrier")
				bad("column gp_source: \"" v "\" is not probe or membarrier")
			return v
		}
		# empty (the schema allows it): as rlab-report and the matrix do
		return $c["mode"] ~ /^(plain|resched|batch)$/ ? "probe" : "membarrier"
	}
	# a case row, remembered until the next line (its idle row); rows of
	# another gp source are another figure, never mixed into one maximum
	function keep(   m, s, g, st, d, src) {
		m = word("mode"); s = word("scenario"); num1("size"); d = num("duration_ns")
		g = num("gp_max_ns"); st = num("stalls"); src = source()
		if (st != "" && st + 0 > 0) word("stall_kind")
		k = m SUBSEP s SUBSEP src
		if (!(k in runs)) { order[++n] = k; runs[k] = 0; stalled[k] = 0 }
		runs[k]++
		if (st != "" && st + 0 > 0) {
			stalled[k]++
			if (!(k in kind)) kind[k] = $c["stall_kind"]
		}
		pend = ""
		if (g != "" && (!(k in gp) || g + 0 > gp[k] + 0)) {
			gp[k] = g; size[k] = $c["size"]; idle[k] = ""; isrc[k] = ""; pend = k; pscen = s
			dur[k] = d
		}
	}
	NR == 1 {
		# the schema (tools/columns) of 20, 21, 24 or 25 columns
		sub(/\r$/, "")
		nh = split(heads, H, "\n")
		for (i = 1; i <= nh; i++) if ($0 == H[i]) ok = 1
		if (!ok)
			bad("the header is not the schema'"'"'s (tools/columns: its first 20, 21, 24 or 25 names)")
		ncol = NF
		for (i = 1; i <= NF; i++) c[$i] = i
		split(modes, M, " ")
		for (i in M) wanted[M[i]] = 1
		next
	}
	{
		sub(/\r$/, "")
		if (NF != ncol) bad(NF " fields, the header has " ncol)
		m = word("mode")
		if (m == "idle") {
			if (pend != "" && word("scenario") == pscen) {
				idle[pend] = num("gp_max_ns"); isrc[pend] = source()
			}
			pend = ""
			next
		}
		pend = ""
		if (m in wanted) keep()
	}
	END {
		if (err) exit 1
		for (i = 1; i <= n; i++) {
			k = order[i]; split(k, f, SUBSEP)
			print f[1], f[2], (k in gp) ? gp[k] : "-", (k in gp) && idle[k] != "" ? idle[k] : "-",
				(k in gp) ? size[k] : "-", stalled[k], runs[k], (k in kind) ? kind[k] : "-",
				(k in dur) && dur[k] != "" ? dur[k] : "-", f[3],
				(k in gp) && isrc[k] != "" ? isrc[k] : "-"
		}
	}' modes="$(sed -n 's/^Modes: //p' "${series[@]}" | tr '\n' ' ')" "$csv" >"$figures" ||
		exit 1
fi

# ns N: N nanoseconds, readably; number and unit joined by a \001 that
# measured() turns into a space after fmt, so no line ends between them.
ns() {
	awk -v n="$1" 'BEGIN {
		if (n >= 1e6) printf "%.1f\001ms", n / 1e6
		else if (n >= 1e3) printf "%.1f\001us", n / 1e3
		else printf "%d\001ns", n
	}'
}

measured() {
	local m sc g i sz st runs kind d src isrc gpw text='' any
	for m in "$@"; do
		any=
		text+="Measured with reuseport_lab (mode $m):"
		while IFS=$'\t' read -r _ sc g i sz st runs kind d src isrc; do
			any=1
			text+=" on $sc"
			# the figure named by what it counts (gp_source)
			case $src in
			membarrier) gpw="the longest membarrier(MEMBARRIER_CMD_GLOBAL) wait" ;;
			*) gpw="the longest grace period (the module's probe)" ;;
			esac
			if [ "$g" != - ]; then
				if [ "$d" != - ]; then
					text+=", $gpw was $(ns "$g") (size $sz, a walk of $(ns "$d"))"
				else
					text+=", $gpw was $(ns "$g") (size $sz, the walk not timed)"
				fi
				if [ "$i" != - ] && [ "$isrc" != "$src" ]; then
					text+=" against $(ns "$i") idle ($isrc)"
				elif [ "$i" != - ]; then
					text+=" against $(ns "$i") idle"
				else
					text+=", with no idle row after it"
				fi
			else
				text+=", no grace period recorded"
			fi
			if [ "$st" -gt 0 ]; then
				text+=", stalls: yes ($st of $runs runs, $kind);"
			elif [ "$runs" = 1 ]; then
				text+=", stalls: no (1 run);"
			else
				text+=", stalls: no ($runs runs);"
			fi
		done < <(awk -F'\t' -v m="$m" '$1 == m' "$figures")
		if [ -n "$any" ]; then
			text=${text%;}.
		else
			text+=" not measured."
		fi
		text+=$'\n\n'
	done
	printf '%s' "$text" | fmt -w 72 | tr '\001' ' '
}

# 3. The series: a scratch repository with the newest source's copy of the
#    files the series changes, one commit per lab patch.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=$sname GIT_AUTHOR_EMAIL=$smail
export GIT_COMMITTER_NAME=$sname GIT_COMMITTER_EMAIL=$smail
repo=$tmp/repo
copyfiles "$newest" "$repo"
g() { git -C "$repo" -c core.abbrev=12 -c format.useAutoBase=false "$@"; }
g init -q
g add -A
g commit -q -m "$newname"
base=$(g rev-parse HEAD)
for p in "${series[@]}"; do
	modes=$(sed -n 's/^Modes: //p' "$p")
	[ -n "$modes" ] || die "${p#"$top"/}: no Modes: line"
	printf '%s\n' "$modes" | grep -Eqx '[a-z_]+( [a-z_]+)*' || die "${p#"$top"/}: bad Modes: line"
	# shellcheck disable=SC2086
	{
		# the description up to "---", without its Fixes: tags...
		awk '$0 == "---" { exit } !/^Fixes: / { print }' "$p" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
		echo
		measured $modes
		# ...which go with the sign-off, after the figures
		awk '$0 == "---" { exit } /^Fixes: / { print }' "$p"
		echo "Signed-off-by: $sname <$smail>"
	} >"$tmp/msg"
	git -C "$repo" apply --check "$p" 2>"$tmp/err" || die "${p#"$top"/} does not apply to $newname: $(cat "$tmp/err")"
	git -C "$repo" apply "$p"
	g commit -q -a --cleanup=whitespace -F "$tmp/msg"
done

rm -rf "$out"
mkdir -p "$out"
blurb=$tmp/blurb
{
	cat <<-'EOF'
	Several BPF map paths walk a whole map inside one RCU read-side
	section: on CONFIG_PREEMPT_RCU kernels the section is preemptible but
	holds off the grace period for the whole walk, and the
	cond_resched_rcu() some of them use compiles to nothing there unless
	DEBUG_ATOMIC_SLEEP is set.  A large map keeps the grace period
	waiting for as long as the walk takes, long enough for RCU stall
	warnings and for memory waiting on the grace period to pile up.

	Each patch ends the read-side section unconditionally every 1024
	iterations, lets the scheduler run and starts a new one, as
	__htab_map_lookup_and_delete_batch() does after
	HTAB_BATCH_EMPTY_RESCHED empty buckets, keeping what each loop needs
	across the break; its message says why that is safe there.  The
	devmap patch also bounds the interrupts-off section of the
	DEVMAP_HASH walk.

	The figures in each message come from reuseport_lab, a test bench
	that measures the longest grace period during the walk against an
	idle system, on kernels with and without the series.
	EOF
} >"$blurb"
g format-patch -q --cover-letter --subject-prefix='PATCH bpf' -o "$out" "$base"..HEAD
cover=$out/0000-cover-letter.patch
[ -f "$cover" ] || die "git format-patch wrote no cover letter"
awk -v blurbf="$blurb" '
	/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, "bpf: Bound the RCU read-side sections of whole-map walks") }
	/^\*\*\* BLURB HERE \*\*\*$/ { while ((getline l < blurbf) > 0) print l; next }
	{ print }' "$cover" >"$tmp/cover" && mv "$tmp/cover" "$cover"

# 4. The checks: in order, against a fresh copy of the newest source...
chk=$tmp/check
copyfiles "$newest" "$chk"
mapfile -t made < <(find "$out" -maxdepth 1 -type f -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | LC_ALL=C sort)
[ ${#made[@]} -eq ${#series[@]} ] || die "${#made[@]} patches written for ${#series[@]} lab patches"
for p in "${made[@]}"; do
	(cd "$chk" && git apply --check "$p" && git apply "$p") 2>"$tmp/err" ||
		die "${p##*/} does not apply in order to $newname: $(cat "$tmp/err")"
done
say "git apply --check: ${#made[@]} patches apply in order to $newname"

# ...and checkpatch --strict, outside any other git tree.
cp=$newest/scripts/checkpatch.pl
[ -f "$cp" ] || die "no $cp"
if [ -n "${RL_LINUX_GIT:-}" ]; then
	[ -d "$RL_LINUX_GIT/.git" ] || usage "RL_LINUX_GIT=$RL_LINUX_GIT is not a git checkout"
	cpdir=$RL_LINUX_GIT cpopt=()
else
	cpdir=$tmp cpopt=(--ignore UNKNOWN_COMMIT_ID)
	say "checkpatch: no RL_LINUX_GIT, the commit ids of Fixes: tags are not looked up"
fi
bad=0
for p in "${made[@]}"; do
	r=0
	(cd "$cpdir" && perl "$cp" --strict --no-tree "${cpopt[@]}" "$p") >"$tmp/cp" 2>&1 || r=$?
	sum=$(grep -m1 '^total: ' "$tmp/cp" || echo "no summary")
	echo "checkpatch --strict ${p##*/}: $sum"
	if [ "$r" -ne 0 ] || [ "${sum#total: 0 errors, 0 warnings, 0 checks,}" = "$sum" ]; then
		sed 's/^/  /' "$tmp/cp"
		bad=1
	fi
done
[ "$bad" = 0 ] || die "checkpatch is not clean"
say "wrote $out ($(ls "$out" | wc -l) files)"
