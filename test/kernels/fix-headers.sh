# SPDX-License-Identifier: GPL-2.0
# fix-headers.sh - adapt an unpacked copy of Debian's linux-headers (and its
# -common and linux-kbuild) so that "make -C KDIR M=... modules W=1" works
# with this machine's gcc-12 and gives no warning.  Sourced by
# test/lib/stock-kernel.sh; defines fix_headers.  Only the unpacked copy in
# the cache changes.  Every step is a no-op where nothing differs (bookworm's
# own 6.1 and bookworm-backports' 6.12 are built with this gcc-12).
#
# fix_headers ROOT KDIR KBUILD SUITE VERSION
#   ROOT     where the packages were unpacked (ROOT/usr/src, ROOT/usr/lib)
#   KDIR     ROOT/usr/src/linux-headers-<release>
#   KBUILD   ROOT/usr/lib/linux-kbuild-<...>
#   SUITE, VERSION   where linux-source of the same version comes from,
#            should kbuild's binaries or the Kconfig be needed (below)
#
# What it does, and why:
#  1. paths: KDIR/Makefile includes /usr/src/linux-headers-*-common/Makefile
#     by absolute path; point it into ROOT.
#  2. compiler: KDIR/.kernelvariables names the compiler the kernel was built
#     with (x86_64-linux-gnu-gcc-16 for sid's 7.2); where that does not exist
#     here, use gcc-12.
#  3. compiler-dependent configuration (only where CONFIG_GCC_VERSION is not
#     ours): the Kconfig of the same source version is re-run on the image's
#     config with gcc-12 (make olddefconfig CC=gcc-12 in a scratch tree),
#     and ONLY the compiler-capability symbols that come out different
#     (CC_HAS_*, CC_OPT_*, GCC_VERSION, GCC_ASM_*) are changed, in
#     include/config/auto.conf (make's view), include/generated/autoconf.h
#     (C's view) and include/generated/rustc_cfg (Rust's view).  Nothing
#     else: every other option describes the running kernel (struct layouts,
#     ABI) and must stay as built.  For sid's 7.2.13 (gcc 16.2) this changes:
#       CC_HAS_MIN_FUNCTION_ALIGNMENT y->n  gcc-12 rejects
#           -fmin-function-alignment (make falls back to -falign-functions)
#       CC_HAS_SANE_FUNCTION_ALIGNMENT y->n  so __cold is empty: gcc-12
#           would not keep cold functions aligned (compiler_types.h)
#       CC_HAS_ASM_GOTO_OUTPUT, CC_HAS_ASM_GOTO_TIED_OUTPUT y->n  gcc 12.2
#           miscompiles asm goto with outputs (Kconfig's
#           GCC_ASM_GOTO_OUTPUT_BROKEN, n->y); uaccess.h falls back
#       CC_HAS_ASSUME, CC_HAS_COUNTED_BY, CC_HAS_COUNTED_BY_PTR,
#       CC_HAS_MULTIDIMENSIONAL_NONSTRING y->n  attributes gcc-12 lacks
#           (W=1: "'counted_by' attribute directive ignored")
#       CC_HAS_KASAN_SW_TAGS y->n, CC_OPT_INLINE_MEMSET unset: flags gcc-12
#           lacks, unused by external modules on x86
#       GCC_VERSION 160200->120200  gcc-min-version in Makefile.compiler
#  4. pahole: where CONFIG_PAHOLE_VERSION differs from this machine's pahole
#     (sid: 132, bookworm's dwarves: 124), kbuild prints "warning: pahole
#     version differs" for every module build, and module BTF made by an
#     older pahole against a newer vmlinux BTF is not trustworthy: set
#     CONFIG_PAHOLE_VERSION to ours and unset CONFIG_DEBUG_INFO_BTF_MODULES
#     in auto.conf only (no .BTF section in the .ko, which the kernel
#     accepts); autoconf.h keeps it, as struct module's layout depends on it.
#  5. kbuild binaries built against a newer glibc than bookworm's 2.36 (sid's
#     modpost.real-lsb-64, objtool.real-x86, genksyms, resolve_btfids need
#     GLIBC_2.38): replaced by the same programs built here with gcc-12 from
#     linux-source of the same version (make modules_prepare in the scratch
#     tree of step 3).

# The symbols step 3 may change: compiler capabilities, nothing else.
RL_CC_SYMS='^CONFIG_(CC_HAS_[A-Z0-9_]+|CC_OPT_[A-Z0-9_]+|GCC_VERSION|GCC_ASM_[A-Z0-9_]+)$'

# rl_conf_val FILE SYM: the value of SYM in a .config-style FILE ("" = unset).
rl_conf_val() {
	sed -n "s/^$2=//p" "$1" | head -n1
}

# rl_set_sym KDIR SYM VALUE [make-only]: set (or with VALUE "" unset) SYM in
# auto.conf and, unless make-only, in autoconf.h and rustc_cfg.
rl_set_sym() {
	local k=$1 s=$2 v=$3 only=${4:-} c h r
	c=$k/include/config/auto.conf
	h=$k/include/generated/autoconf.h
	r=$k/include/generated/rustc_cfg
	echo "  $s: '$(rl_conf_val "$c" "$s")' -> '$v'${only:+ (auto.conf only)}"
	sed -i "/^$s=/d" "$c"
	[ -n "$v" ] && echo "$s=$v" >>"$c"
	[ -n "$only" ] && return 0
	sed -i "/^#define ${s}\(_MODULE\)\? /d" "$h"
	case $v in
	'') ;;
	\"*) sed -i "$ s/^$s=\"\(.*\)\"\$/$s=\1/" "$c"	# auto.conf: unquoted
	      echo "#define $s $v" >>"$h" ;;
	y) echo "#define $s 1" >>"$h" ;;
	m) echo "#define ${s}_MODULE 1" >>"$h" ;;
	*) echo "#define $s $v" >>"$h" ;;
	esac
	if [ -f "$r" ]; then
		sed -i "/^--cfg=$s\(=.*\)\?\$/d" "$r"
		case $v in
		'') ;;
		y|m) printf -- '--cfg=%s\n--cfg=%s="%s"\n' "$s" "$s" "$v" >>"$r" ;;
		\"*) printf -- '--cfg=%s=%s\n' "$s" "$v" >>"$r" ;;
		*) printf -- '--cfg=%s="%s"\n' "$s" "$v" >>"$r" ;;
		esac
	fi
}

# rl_scratch SUITE VERSION CONFIG DIR: configure linux-source VERSION (of
# SUITE) with CONFIG and gcc-12 in DIR, and build what external modules use
# (make modules_prepare: modpost, objtool, genksyms).
rl_scratch() {
	local src pkg sver
	read -r src pkg sver _ < <(bash "$(dirname "${BASH_SOURCE[0]}")/../lib/ksrc.sh" --info "$1")
	[ "$sver" = "$2" ] || {
		echo "fix-headers: $1 has $pkg $sver, not $2: cannot rebuild kbuild's tools" >&2
		return 1
	}
	mkdir -p "$4"
	cp "$3" "$4/.config"
	(
		unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
		make -C "$src" O="$4" CC=gcc-12 HOSTCC=gcc-12 olddefconfig &&
		make -C "$src" O="$4" CC=gcc-12 HOSTCC=gcc-12 -j"$(nproc)" modules_prepare
	)
}

# rl_runs BIN: true if BIN can be executed here (its glibc is not too new).
rl_runs() {
	! "$1" --version 2>&1 | grep -q 'GLIBC_[0-9.]*. not found'
}

fix_headers() {
	local root=$1 k=$2 kb=$3 suite=$4 ver=$5
	local conf=$k/include/config/auto.conf scratch='' ccv hostcc f s v want pv hostpv
	echo "== fix_headers $k"

	# 1. absolute paths into ROOT
	sed -i "s#/usr/src/#$root/usr/src/#g" "$k/Makefile"
	echo "Makefile: $(tr '\n' ' ' <"$k/Makefile")"

	# 2. the compiler
	ccv=$(sed -n 's/^CC = .*gcc-\([0-9][0-9]*\).*/\1/p' "$k/.kernelvariables")
	if [ -n "$ccv" ] && ! command -v "x86_64-linux-gnu-gcc-$ccv" >/dev/null; then
		hostcc=$(gcc -dumpversion)
		echo "compiler: gcc-$ccv -> gcc-$hostcc"
		sed -i "s/gcc-$ccv\\b/gcc-$hostcc/" "$k/.kernelvariables"
	fi

	# 3. compiler-dependent configuration
	want=$(gcc -dumpfullversion | awk -F. '{ printf "%d%02d%02d", $1, $2, $3 }')
	if [ "$(rl_conf_val "$conf" CONFIG_GCC_VERSION)" != "$want" ]; then
		scratch=$(mktemp -d "${TMPDIR:-/tmp}/rl-kconfig.XXXXXX")
		rl_scratch "$suite" "$ver" "$k/.config" "$scratch" || return 1
		echo "compiler-dependent symbols (Kconfig with gcc-12):"
		for s in $( { grep -oE '^CONFIG_[A-Za-z0-9_]+' "$conf"
			      grep -oE '^CONFIG_[A-Za-z0-9_]+' "$scratch/.config"; } |
			    sort -u | grep -E "$RL_CC_SYMS"); do
			# (compared in .config's format: auto.conf does not quote strings)
			v=$(rl_conf_val "$scratch/.config" "$s")
			[ "$(rl_conf_val "$k/.config" "$s")" = "$v" ] || rl_set_sym "$k" "$s" "$v"
		done
		echo "other symbols Kconfig would change with this toolchain (left as built):"
		diff <(grep '^CONFIG_' "$k/.config" | sort) <(grep '^CONFIG_' "$scratch/.config" | sort) |
			sed -n 's/^[<>] //p' | grep -oE '^CONFIG_[A-Za-z0-9_]+' | sort -u |
			grep -vE "$RL_CC_SYMS" | tr '\n' ' '
		echo
	fi

	# 4. pahole
	pv=$(rl_conf_val "$conf" CONFIG_PAHOLE_VERSION)
	hostpv=$("$k/scripts/pahole-version.sh" pahole 2>/dev/null || echo 0)
	if [ -n "$pv" ] && [ "$pv" != "$hostpv" ]; then
		echo "pahole: kernel $pv, here $hostpv"
		rl_set_sym "$k" CONFIG_PAHOLE_VERSION "$hostpv"
		rl_set_sym "$k" CONFIG_DEBUG_INFO_BTF_MODULES '' make-only
	fi

	# 5. kbuild binaries that do not run here
	for f in scripts/mod/modpost.real-lsb-64:scripts/mod/modpost \
		 scripts/mod/modpost:scripts/mod/modpost \
		 tools/objtool/objtool.real-x86:tools/objtool/objtool \
		 tools/objtool/objtool:tools/objtool/objtool \
		 scripts/genksyms/genksyms:scripts/genksyms/genksyms \
		 tools/bpf/resolve_btfids/resolve_btfids:tools/bpf/resolve_btfids/resolve_btfids; do
		[ -f "$kb/${f%%:*}" ] || continue
		rl_runs "$kb/${f%%:*}" && continue
		if [ -z "$scratch" ]; then
			scratch=$(mktemp -d "${TMPDIR:-/tmp}/rl-kconfig.XXXXXX")
			rl_scratch "$suite" "$ver" "$k/.config" "$scratch" || return 1
		fi
		if [ -x "$scratch/${f#*:}" ]; then
			echo "kbuild: ${f%%:*} needs a newer glibc: replaced by ${f#*:} built here"
			cp -f "$scratch/${f#*:}" "$kb/${f%%:*}"
		else
			echo "kbuild: ${f%%:*} needs a newer glibc, not rebuilt (not needed here)"
		fi
	done
	[ -z "$scratch" ] || rm -rf "$scratch"
	echo "== fix_headers done"
}
