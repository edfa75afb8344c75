#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages (debian/): reuseport-lab-dkms and reuseport-lab-tools.
#
#   bash test/deb.sh build   (make deb) build both into out/deb/ from a
#                            scratch copy of the tree, then run lintian
#   bash test/deb.sh check   TAP on stdout: install both on this host with
#                            apt, check what DKMS built and what the tools
#                            do, build against extra kernels, purge, check
#                            that nothing is left; exit 0 iff all passed
#
# Environment (check): RL_DEB_KDIRS="release:kdir ..." extra kernels for
# "dkms build -k release --kernelsourcedir kdir"; RL_DEB_OUT, where each of
# those modules is copied as <release>/reuseport_lab.ko.  RL_DEB_LOGS: the
# logs' directory (default out/deb/check).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
debout=$top/out/deb
name=reuseport_lab	# dkms.conf's PACKAGE_NAME: /usr/src/$name-$ver
pkgs="reuseport-lab-dkms reuseport-lab-tools"

die() { echo "deb.sh: $*" >&2; exit 1; }

# The one version, in three places that must agree: module/main.c's
# MODULE_VERSION (what modinfo reports), dkms.conf's PACKAGE_VERSION (the
# manual DKMS path) and debian/changelog (the packages; their dkms.conf and
# /usr/src directory are derived from it at build time).
version() {
	local mod dkms deb
	mod=$(sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' module/main.c)
	dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	deb=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
	if [ -z "$deb" ] || [ "$mod" != "$deb" ] || [ "$dkms" != "$deb" ]; then
		echo "deb.sh: version mismatch: debian/changelog '$deb'," \
			"module/main.c MODULE_VERSION '$mod'," \
			"dkms.conf PACKAGE_VERSION '$dkms'" >&2
		return 1
	fi
	echo "$deb"
}

# installed PKG: PKG is installed (not only unpacked or config-files)
installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q ' ok installed$'
}

# The packages a build needs, from apt when missing (as test/lib/deps.sh).
build_deps() {
	local p missing=
	for p in debhelper dh-dkms dpkg-dev lintian gcc make libc6-dev \
		libbpf-dev libelf-dev zlib1g-dev libzstd-dev; do
		installed "$p" || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	echo "deb.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -q >&2
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing >&2
}

# The tree's files (tracked and new, not ignored) into $1: the build never
# writes into the source tree, and out/ and build products stay out.
copy_tree() {
	mkdir -p "$1"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -z -c -o --exclude-standard |
			while IFS= read -r -d '' f; do
				# tracked but deleted in the work tree: skip
				[ ! -e "$top/$f" ] || printf '%s\0' "$f"
			done | tar -C "$top" --null -T - -cf - | tar -C "$1" -xf -
	else
		tar -C "$top" -cf - Kbuild Makefile dkms.conf module tools debian |
			tar -C "$1" -xf -
		rm -f "$1/tools/rlab-repro"
	fi
}

do_build() {
	local ver arch src lint t0 rc=0
	t0=$(date +%s)
	ver=$(version) || exit 1
	[ -f tools/repro/main.c ] ||
		die "tools/repro/main.c is missing: reuseport-lab-tools ships rlab-repro"
	build_deps
	arch=$(dpkg --print-architecture)
	rm -rf "$debout/build"
	src=$debout/build/reuseport-lab-$ver
	copy_tree "$src"
	echo "deb.sh: building reuseport-lab $ver in $src (log: $debout/build.log)" >&2
	(cd "$src" && dpkg-buildpackage -us -uc) > "$debout/build.log" 2>&1 || {
		tail -n 40 "$debout/build.log" >&2
		die "dpkg-buildpackage failed (see $debout/build.log)"
	}
	# lintian on the source and both packages (the .changes lists all
	# three); errors fail the build.  Not as root, which it warns about:
	# as nobody, on a copy nobody can read (the tree may be in a
	# directory only root enters, such as /root).
	lint=lintian
	[ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1 ||
		lint="runuser -u nobody -- env HOME=/tmp lintian"
	lintdir=$(mktemp -d /tmp/rl-lintian.XXXXXX)
	cp "$debout"/build/reuseport-lab*_"$ver"[._]* "$lintdir/"
	chmod -R a+rX "$lintdir"
	(cd "$lintdir" && $lint --display-level '>=pedantic' \
		"reuseport-lab_${ver}_$arch.changes") > "$debout/lintian.log" 2>&1 || rc=$?
	rm -rf "$lintdir"
	sed 's/^/lintian: /' "$debout/lintian.log" >&2
	[ -s "$debout/lintian.log" ] ||
		echo "deb.sh: lintian: no tag (overrides, with reasons: debian/*lintian-overrides)" >&2
	[ "$rc" -eq 0 ] || die "lintian failed (exit $rc; see $debout/lintian.log)"
	rm -f "$debout"/reuseport-lab-*.deb
	mv "$debout/build/reuseport-lab-dkms_${ver}_all.deb" \
		"$debout/build/reuseport-lab-tools_${ver}_$arch.deb" "$debout/"
	ls -l "$debout"/reuseport-lab-*_"$ver"_*.deb >&2
	echo "deb.sh: make deb took $(($(date +%s) - t0)) s" >&2
}

# ---------------------------------------------------------------------------
# check

# shellcheck source=test/lib/tap.sh
. test/lib/tap.sh

# check_cmd DESC COMMAND...: ok when COMMAND succeeds (check() with set -e off)
check_cmd() { set +e; check "$@"; set -e; }

# logto FILE COMMAND...: run COMMAND with its output in FILE
logto() {
	local f=$1
	shift
	"$@" > "$f" 2>&1
}

# prints REGEX COMMAND...: COMMAND's output (both streams, any exit status,
# at most 10 s) has a line matching REGEX, case-insensitively
prints() {
	local re=$1
	shift
	timeout 10 "$@" 2>&1 | grep -qi -- "$re"
}

# gone PKG: dpkg knows nothing of PKG (not even its configuration files)
gone() { ! dpkg-query -W "$1" >/dev/null 2>&1; }

# report_ok DIR: rlab-report (awk, gnuplot) made study.md and three PNGs
report_ok() {
	/usr/bin/rlab-report "$log/study.csv" "$1" > "$log/report.log" 2>&1 &&
		grep -q 'batch:1024' "$1/study.md" &&
		for f in ns_per_slot max_section gp_latency; do
			[ "$(head -c 4 "$1/$f.png" | od -An -c | tr -d ' ')" = 211PNG ] || return 1
		done
}

# is_static ELF: a program with no interpreter (PT_INTERP)
is_static() {
	LC_ALL=C readelf -lW "$1" > "$log/readelf.log" 2>&1 &&
		grep -q '^ *LOAD' "$log/readelf.log" && ! grep -q INTERP "$log/readelf.log"
}

# The host's installed packages, for "leave the host as found".
pkg_list() {
	dpkg-query -W -f='${Status} ${Package}\n' | sed -n 's/^install ok installed //p' | sort
}

# Left behind by the packages, or by an interrupted manual DKMS test
leftovers() {
	ls -d /usr/src/*reuseport* /var/lib/dkms/*reuseport* \
		/lib/modules/*/updates/*/reuseport_lab.ko* \
		/lib/modules/*/updates/reuseport_lab.ko* /usr/bin/rlab-* 2>/dev/null || true
}

# apt_get: apt-get, waiting for the dpkg lock if another apt is running
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# pulled: what our install added (ours and their new dependencies); only
# these are purged, so that what others install meanwhile is left alone
pulled() {
	[ -f "$log/pkgs.pulled" ] ||
		comm -13 "$log/pkgs.before" <(pkg_list) > "$log/pkgs.pulled"
	cat "$log/pkgs.pulled"
}

purged=
# purge: remove our packages and whatever their install pulled in
purge() {
	[ -z "$purged" ] || return 0
	purged=1
	local p new
	new=$(pulled | tr '\n' ' ')
	for p in $pkgs; do
		dpkg-query -W "$p" >/dev/null 2>&1 && new="$new $p"
	done
	# shellcheck disable=SC2086
	[ -z "${new// /}" ] || apt_get purge -y $new >> "$log/purge.log" 2>&1
	# dkms makes a module signing key at its first build: ours, if new
	[ -n "$mok_before" ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
}

do_check() {
	local ver arch k kdir rel pair ko kver_of t0 src dkms_deb tools_deb targets
	local kernels=0
	t0=$(date +%s)
	log=${RL_DEB_LOGS:-$debout/check}
	mkdir -p "$log"
	# this run's files only: the directory may be shared
	rm -rf "$log"/pkgs.* "$log/report" "$log"/dkms-*.log
	: > "$log/purge.log"
	if ! ver=$(version 2>"$log/version.err"); then
		nok "one version in module/main.c, dkms.conf, debian/changelog: $(cat "$log/version.err")"
		echo "1..$T_N"
		exit 1
	fi
	ok "one version in module/main.c, dkms.conf and debian/changelog: $ver"
	arch=$(dpkg --print-architecture)
	dkms_deb=$debout/reuseport-lab-dkms_${ver}_all.deb
	tools_deb=$debout/reuseport-lab-tools_${ver}_$arch.deb

	# Build when out/deb has no packages for this version, or the sources
	# are newer than them.
	if [ ! -f "$dkms_deb" ] || [ ! -f "$tools_deb" ] ||
		[ -n "$(find Kbuild Makefile dkms.conf module tools debian -newer "$dkms_deb" \
			! -name rlab-repro -print -quit)" ]; then
		# in a subshell: do_build exits on failure
		check_cmd "make deb (log: $log/build.log)" \
			logto "$log/build.log" bash "$0" build
	else
		diag "packages for $ver are up to date in $debout"
	fi
	check_cmd "reuseport-lab-dkms_${ver}_all.deb built" test -f "$dkms_deb"
	check_cmd "reuseport-lab-tools_${ver}_$arch.deb built" test -f "$tools_deb"
	if [ ! -f "$dkms_deb" ] || [ ! -f "$tools_deb" ]; then
		echo "1..$T_N"
		exit 1
	fi

	# The host as found: our packages not installed, nothing left over.
	for p in $pkgs; do
		if dpkg-query -W "$p" >/dev/null 2>&1; then
			diag "$p was installed before the test: purging it"
			apt_get purge -y "$p" >> "$log/purge.log" 2>&1
		fi
	done
	if [ -n "$(dkms status "$name" 2>/dev/null || true)" ]; then
		diag "a manual DKMS install of $name was left: removing it"
		dkms status "$name" | sed 's/^/#   /'
		for k in /var/lib/dkms/"$name"/*/source; do
			[ -e "$k" ] || continue
			k=${k%/source}
			dkms remove "$name/${k##*/}" --all >> "$log/purge.log" 2>&1 || true
		done
	fi
	for k in /usr/src/"$name"-*; do
		[ -e "$k" ] || continue
		dpkg -S "$k" >/dev/null 2>&1 || { diag "removing unowned $k"; rm -rf "$k"; }
	done
	pkg_list > "$log/pkgs.before"
	mok_before=$(ls /var/lib/dkms/mok.key 2>/dev/null || true)
	trap 'purge' EXIT
	trap 'exit 130' INT TERM

	# Install, as on a lab machine
	check_cmd "apt-get install ./reuseport-lab-dkms ./reuseport-lab-tools (log: $log/install.log)" \
		logto "$log/install.log" apt_get install -y "$dkms_deb" "$tools_deb"
	diag "the install added: $(pulled | tr '\n' ' ')"
	for p in $pkgs; do
		check_cmd "  $p $ver installed" match \
			"$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null)" \
			"install ok installed $ver"
	done
	sed -n 's/^\(Building for\|Building initial module\|Module build\|.*headers.*\)/# install: &/p' \
		"$log/install.log"

	# The DKMS package: source, dkms.conf, registration
	src=/usr/src/$name-$ver
	check_cmd "  $src has Kbuild, Makefile, module/main.c, dkms.conf" \
		test -f "$src/Kbuild" -a -f "$src/Makefile" -a -f "$src/module/main.c" -a -f "$src/dkms.conf"
	check_cmd "  its dkms.conf: PACKAGE_NAME=$name, PACKAGE_VERSION=$ver, AUTOINSTALL=yes" \
		match "$(sed -n 's/^\(PACKAGE_NAME\|PACKAGE_VERSION\|AUTOINSTALL\)=//p' "$src/dkms.conf" | tr -d '"' | tr '\n' ' ')" \
		"$name $ver yes "
	check_cmd "  its dkms.conf is the repository's" \
		cmp -s "$src/dkms.conf" dkms.conf
	check_cmd "  dkms status lists $name/$ver" \
		match "$(dkms status "$name/$ver" 2>/dev/null | head -n 1)" "$name/$ver.*"

	# The kernels DKMS's postinst (common.postinst) builds for: every one in
	# /lib/modules when the running kernel is not installed (a build host, a
	# container), else the running and the newest; each must have it if it
	# has headers.
	# shellcheck disable=SC2012 # as common.postinst does
	targets=$(ls -v /lib/modules)
	if [ -d "/lib/modules/$(uname -r)" ]; then
		targets=$(printf '%s\n' "$(uname -r)" "$(echo "$targets" | tail -n 1)" | sort -u)
	fi
	diag "postinst targets: $(echo "$targets" | tr '\n' ' ')"
	for k in $targets; do
		[ -f "/lib/modules/$k/build/Makefile" ] || continue
		kernels=$((kernels + 1))
		check_cmd "dkms built and installed $name/$ver for $k" \
			match "$(dkms status "$name/$ver" -k "$k" 2>/dev/null)" ".*: installed.*"
		check_cmd "  modinfo -k $k: /lib/modules/$k/updates/dkms/reuseport_lab.ko*, version $ver" match \
			"$(modinfo -k "$k" -F filename reuseport_lab 2>/dev/null) $(modinfo -k "$k" -F version reuseport_lab 2>/dev/null)" \
			"/lib/modules/$k/updates/dkms/reuseport_lab\.ko[.a-z]* $ver"
	done
	check_cmd "at least one of them has headers ($kernels)" [ "$kernels" -gt 0 ]

	# The tools package
	for t in rlab-study rlab-report rlab-repro; do
		check_cmd "/usr/bin/$t is executable, from reuseport-lab-tools" \
			match "$(test -x "/usr/bin/$t" && dpkg -S "/usr/bin/$t" 2>/dev/null)" \
			"reuseport-lab-tools: /usr/bin/$t"
		check_cmd "  its man page" test -f "/usr/share/man/man1/$t.1.gz"
	done
	check_cmd "rlab-study -h prints its usage" \
		prints 'rlab-study \[-s SIZES' /usr/bin/rlab-study -h
	for t in columns rlab-report.awk rlab-report-check.awk; do
		check_cmd "/usr/share/reuseport-lab/$t, from reuseport-lab-tools" \
			match "$(dpkg -S "/usr/share/reuseport-lab/$t" 2>/dev/null)" \
			"reuseport-lab-tools: /usr/share/reuseport-lab/$t"
	done
	check_cmd "the installed schema is the tree's (tools/columns)" \
		cmp -s /usr/share/reuseport-lab/columns "$top/tools/columns"
	check_cmd "the installed rlab-study writes the installed schema's header" \
		[ "$(study_header)" = "$(installed_header)" ]
	check_cmd "rlab-report without arguments prints its usage" \
		prints '^usage: rlab-report STUDY.csv OUTDIR' /usr/bin/rlab-report
	mkcsv > "$log/study.csv"
	check_cmd "rlab-report (its awk and gnuplot dependencies) makes study.md and 3 PNGs" \
		report_ok "$log/report"
	check_cmd "rlab-repro -h prints a usage" prints 'usage' /usr/bin/rlab-repro -h
	check_cmd "rlab-repro is statically linked (no ELF interpreter)" \
		is_static /usr/bin/rlab-repro

	# The installed package builds against other kernels' headers
	if [ -z "${RL_DEB_KDIRS:-}" ]; then
		diag "RL_DEB_KDIRS is empty: no other kernel"
	fi
	for pair in ${RL_DEB_KDIRS:-}; do
		rel=${pair%%:*}
		kdir=${pair#*:}
		# UTS_RELEASE, which vermagic carries (Debian's kernel.release
		# file says 6.1.N, not 6.1.0-N-amd64)
		kver_of=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
			"$kdir/include/generated/utsrelease.h" 2>/dev/null || true)
		check_cmd "dkms build $name/$ver -k $rel --kernelsourcedir $kdir (log: $log/dkms-$rel.log)" \
			logto "$log/dkms-$rel.log" dkms build "$name/$ver" -k "$rel" --kernelsourcedir "$kdir"
		grep -q 'already built' "$log/dkms-$rel.log" &&
			diag "$rel: the package's postinst had built it already"
		ko=$(find /var/lib/dkms/"$name/$ver/$rel"/*/module -name 'reuseport_lab.ko*' 2>/dev/null | head -n 1)
		# never leave an older module where a guest would load this one
		[ -z "${RL_DEB_OUT:-}" ] || rm -f "$RL_DEB_OUT/$rel/reuseport_lab.ko"
		if [ -z "$ko" ]; then
			nok "  $rel: no reuseport_lab.ko in /var/lib/dkms/$name/$ver/$rel"
			continue
		fi
		check_cmd "  $rel: reuseport_lab.ko with version $ver, vermagic $kver_of" match \
			"$(modinfo -F version "$ko" 2>/dev/null) $(modinfo -F vermagic "$ko" 2>/dev/null)" \
			"$ver $kver_of .*"
		[ -n "${RL_DEB_OUT:-}" ] || continue
		# uncompressed, as the guest loads it with insmod
		mkdir -p "$RL_DEB_OUT/$rel"
		if case $ko in
			*.ko.xz) xz -dc "$ko" ;;
			*.ko.zst) zstd -dcq "$ko" ;;
			*.ko.gz) gzip -dc "$ko" ;;
			*) cat "$ko" ;;
			esac > "$RL_DEB_OUT/$rel/reuseport_lab.ko.tmp"; then
			mv "$RL_DEB_OUT/$rel/reuseport_lab.ko.tmp" "$RL_DEB_OUT/$rel/reuseport_lab.ko"
		else
			rm -f "$RL_DEB_OUT/$rel/reuseport_lab.ko.tmp"
		fi
		check_cmd "  copied to $RL_DEB_OUT/$rel/reuseport_lab.ko" \
			match "$(modinfo -F version "$RL_DEB_OUT/$rel/reuseport_lab.ko" 2>/dev/null)" "$ver"
	done

	# Purge: nothing of ours is left
	purge
	for p in $pkgs; do
		check_cmd "apt-get purge: $p is gone" gone "$p"
	done
	check_cmd "  nothing in /usr/src/*reuseport*" \
		[ -z "$(ls -d /usr/src/*reuseport* 2>/dev/null)" ]
	check_cmd "  nothing in /var/lib/dkms/*reuseport*" \
		[ -z "$(ls -d /var/lib/dkms/*reuseport* 2>/dev/null)" ]
	check_cmd "  no /lib/modules/*/updates/**/reuseport_lab.ko*" \
		[ -z "$(find /lib/modules/*/updates -name 'reuseport_lab.ko*' 2>/dev/null)" ]
	check_cmd "  no /usr/bin/rlab-*" [ -z "$(ls /usr/bin/rlab-* 2>/dev/null)" ]
	check_cmd "  none of the packages the install added is left" \
		[ -z "$(comm -12 "$log/pkgs.pulled" <(pkg_list))" ]
	leftovers | sed 's/^/# left: /'
	diag "timing: deb.sh check $(($(date +%s) - t0)) s"
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}

# the installed schema's header (/usr/share/reuseport-lab/columns)
installed_header() {
	awk -F '\t+' '$1 == "column" { printf "%s%s", n++ ? "," : "", $2 } END { print "" }' \
		/usr/share/reuseport-lab/columns
}

# mkcsv: a small study CSV (three modes at two sizes) for rlab-report, with
# the installed schema's header (its 25 columns)
mkcsv() {
	local m s
	installed_header
	for m in plain resched batch; do
		for s in 1000000 10000000; do
			echo "deb-t3,6.1.0,dynamic:voluntary,3,off,2,$s,1000,$m,1024,worker,1,$((s * 5)),5.0,$((s * 5)),1,2,3000000,0,none,native,,,,probe"
		done
	done
}

# study_header: the header the installed rlab-study writes, run on a fake
# debugfs directory (no module)
study_header() {
	local d=$log/fake-debugfs
	rm -rf "$d"
	mkdir -p "$d"
	: > "$d/control"
	printf 'state: empty\npreempt: none\n' > "$d/status"
	printf '%s\n%s\n' 'id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples gp_max_ns' \
		'1 1000 0 plain - worker 1 3000 3.000 4000 5 6 7000' > "$d/results"
	RL_DEBUGFS=$d /usr/bin/rlab-study -s 1000 -m plain -r 1 -f 0 2>/dev/null | head -n 1
}

case ${1:-} in
build) do_build ;;
check) do_check ;;
*)
	echo "usage: bash test/deb.sh build|check" >&2
	exit 2
	;;
esac
