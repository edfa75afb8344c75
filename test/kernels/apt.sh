# SPDX-License-Identifier: GPL-2.0
# apt.sh - a private apt configuration in the cache, to fetch (never install)
# Debian packages of other suites.  Sourced by test/lib/stock-kernel.sh and
# test/lib/ksrc.sh; defines the rl_apt_* functions below.
#
# $RL_CACHE/apt/ (default ~/.cache/reuseport_lab/apt) holds its own
# sources.list, package lists (Dir::State::Lists), apt caches and downloaded
# .debs (Dir::Cache), so nothing of the host's apt configuration, dpkg status,
# /boot or /lib/modules changes.  The suites are signed by keys in the host's
# debian-archive-keyring (sid's Release is signed today with the bookworm and
# trixie keys, both in bookworm's debian-archive-keyring).
# The lists are refreshed at most once a day (stamp file), so runs with a
# fresh stamp and cached packages make no network access.  RL_APT_REFRESH=1 forces an update, RL_APT_REFRESH=0 never updates
# once lists exist.

rl_cache=${RL_CACHE:-$HOME/.cache/reuseport_lab}
rl_aptdir=$rl_cache/apt
rl_mirror=${RL_MIRROR:-http://deb.debian.org}

# "bookworm" is what the host runs: the release plus its -updates and
# -security suites (Debian's current 6.1 is in bookworm-security).
rl_apt_sources() {
	local k="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
	echo "deb $k $rl_mirror/debian bookworm main"
	echo "deb $k $rl_mirror/debian bookworm-updates main"
	echo "deb $k $rl_mirror/debian-security bookworm-security main"
	echo "deb $k $rl_mirror/debian bookworm-backports main"
	echo "deb $k $rl_mirror/debian sid main"
}

# The suites a table suite name stands for (see rl_apt_sources).
rl_apt_suites() {
	case $1 in
	bookworm) echo "bookworm bookworm-updates bookworm-security" ;;
	*) echo "$1" ;;
	esac
}

# rl_apt CMD ARGS...: apt-get or apt-cache on the private configuration.
# Dir::State::status=/dev/null: the host's installed packages play no part;
# APT::Sandbox::User=root: the cache is root's, _apt could not write there;
# the binary caches are named explicitly, as a host may turn them off
# (Docker images' docker-clean): with them an apt-cache call takes 0.03 s
# instead of 3 s.
rl_apt() {
	local cmd=$1
	shift
	"$cmd" -q -o Dir::Etc::sourcelist="$rl_aptdir/sources.list" \
		-o Dir::Etc::sourceparts=- -o Dir::State::Lists="$rl_aptdir/lists" \
		-o Dir::Cache="$rl_aptdir/cache" -o Dir::State::status=/dev/null \
		-o Dir::Cache::pkgcache="$rl_aptdir/cache/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$rl_aptdir/cache/srcpkgcache.bin" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

# rl_apt_update: (re)write sources.list and run "apt-get update" if the
# lists are older than a day, missing, or were made from another list.
rl_apt_update() {
	local stamp=$rl_aptdir/.updated lock
	mkdir -p "$rl_aptdir/lists/partial" "$rl_aptdir/cache/archives/partial" "$rl_aptdir/debs"
	exec {lock}>"$rl_aptdir/.lock"
	flock $lock
	rl_apt_sources >"$rl_aptdir/sources.list.new"
	if cmp -s "$rl_aptdir/sources.list.new" "$rl_aptdir/sources.list"; then
		rm -f "$rl_aptdir/sources.list.new"
	else
		mv -f "$rl_aptdir/sources.list.new" "$rl_aptdir/sources.list"
		rm -f "$stamp"
	fi
	if [ -f "$stamp" ] && { [ "${RL_APT_REFRESH:-}" = 0 ] ||
	   { [ "${RL_APT_REFRESH:-}" != 1 ] && [ -n "$(find "$stamp" -mmin -1440)" ]; }; }; then
		exec {lock}>&-
		return 0
	fi
	echo "apt: updating the private package lists ($rl_aptdir)" >&2
	if ! rl_apt apt-get update >"$rl_aptdir/update.log" 2>&1 ||
	   grep -q '^[WE]: ' "$rl_aptdir/update.log"; then
		sed 's/^/  /' "$rl_aptdir/update.log" >&2
		exec {lock}>&-
		echo "apt: apt-get update failed" >&2
		return 1
	fi
	touch "$stamp"
	exec {lock}>&-
}

# rl_apt_newest SUITE PKG: the newest version of PKG in SUITE (a table suite
# name, see rl_apt_suites); nothing if there is none.
rl_apt_newest() {
	local want best='' v where s
	want=" $(rl_apt_suites "$1") "
	while IFS='|' read -r _ v where; do
		v=${v// /}
		# WHERE is " URL SUITE/main amd64 Packages"
		s=${where#"${where%%[! ]*}"}
		s=${s#* }; s=${s%%/*}
		case $want in *" $s "*) ;; *) continue ;; esac
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done < <(rl_apt apt-cache madison "$2" 2>/dev/null)
	echo "$best"
}

# rl_apt_deps PKG VER: the names of the packages PKG=VER depends on (first
# alternatives), one a line.
rl_apt_deps() {
	rl_apt apt-cache show "$1=$2" 2>/dev/null | sed -n 's/^Depends: //p' | head -n1 |
		tr ',' '\n' | sed 's/|.*//; s/^ *//; s/[ (].*//'
}

# rl_apt_has PKG VER: true if PKG=VER is in the lists.
rl_apt_has() {
	[ -n "$(rl_apt apt-cache show "$1=$2" 2>/dev/null | sed -n 's/^Version: //p')" ]
}

# rl_apt_get PKG VER: download PKG=VER (once) and print the .deb's path.
rl_apt_get() {
	local deb=$rl_aptdir/debs/$1_$2.deb tmp
	if [ ! -s "$deb" ]; then
		tmp=$(mktemp -d "$rl_aptdir/debs/.dl.XXXXXX")
		if ! (cd "$tmp" && rl_apt apt-get download "$1=$2") >"$tmp.log" 2>&1; then
			sed 's/^/  /' "$tmp.log" >&2
			rm -rf "$tmp" "$tmp.log"
			echo "apt: apt-get download $1=$2 failed" >&2
			return 1
		fi
		mv -f "$tmp"/*.deb "$deb"
		rm -rf "$tmp" "$tmp.log"
	fi
	echo "$deb"
}
