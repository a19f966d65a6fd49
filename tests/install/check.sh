#!/bin/bash
# tests/install/check.sh - `make install` and `make uninstall` into a
# DESTDIR (never into /), the man pages and the bash completions.
# Run by the unit tier (tests/unit/run.sh); one "PASS: install: ..." or
# "FAIL: install: ..." line per check, exit status non-zero on a failure.
#
#   - make install DESTDIR= installs exactly the expected files, modes
#     included, and runs no depmod; PREFIX= moves what it should
#   - depmod -b on a copy of the tree: modprobe tessera pulls tessera_lnet,
#     fs-tessera (mount -t tessera) names tessera
#   - every man page renders with `man --warnings -l` with nothing on
#     stderr, and `mandoc -T lint` finds no warning (but the empty .PP
#     scdoc emits after every heading and between definitions); a page
#     with a bad macro is caught
#   - every option and command in each program's usage output, and in its
#     parser (getopt strings, struct option tables, the command tables,
#     the kernel's mount parameters, mount.tessera's generic flags), is in
#     its man page source as a bold term of a definition list (a mention
#     in the synopsis or the text is not enough); tessctl's and hsm's are
#     also in their completion
#   - bash -n on the completions, and one completion each
#   - the systemd units pass `systemd-analyze verify` (a copy whose
#     ExecStart runs build/bin; any warning fails), a broken copy does not;
#     the example configs are accepted by the daemons, a bad line is not
#   - make uninstall with the same variables leaves no file; a config
#     edited after the install is kept
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)

tmp=$(mktemp -d /tmp/tess-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
pass() { echo "PASS: install: $*"; }
fail() { echo "FAIL: install: $*"; failed=1; }
# check NAME CMD...: one line, PASS if CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# a depmod that only records that it was called: DESTDIR must not run it
mkdir -p "$tmp/fakebin"
printf '#!/bin/sh\necho "$@" >> %s/depmod-called\n' "$tmp" > "$tmp/fakebin/depmod"
chmod +x "$tmp/fakebin/depmod"

KVER=$(make -s --no-print-directory kernel-info | sed -n 's/^KVER=//p')
if [ -z "$KVER" ]; then
	fail "no KVER from make kernel-info (kernel headers missing?)"
	exit 1
fi

# the RDMA transport, where the kernel has rdma_cm (it has on Debian's)
rdma_ko() {
	if [ -f "build/kmod/$KVER/modules/tessera_lnet_rdma.ko" ]; then
		echo "644 lib/modules/$KVER/updates/tessera_lnet_rdma.ko"
	fi
}

# expected FILE list: "MODE PATH" under PREFIX=$1
expected() {
	local p=${1#/}
	grep -v '^$' <<-EOF | sort
	644 lib/modules/$KVER/updates/tessera.ko
	644 lib/modules/$KVER/updates/tessera_lnet.ko
	644 lib/modules/$KVER/updates/tessera_lnet_tcp.ko
	$(rdma_ko)
	755 sbin/mount.tessera
	755 $p/sbin/tessera-mds
	755 $p/sbin/tessera-ost
	755 $p/bin/tessctl
	755 $p/bin/hsm
	644 $p/share/man/man1/tessctl.1
	644 $p/share/man/man1/hsm.1
	644 $p/share/man/man7/tessera.7
	644 $p/share/man/man8/mount.tessera.8
	644 $p/share/man/man8/tessera-mds.8
	644 $p/share/man/man8/tessera-ost.8
	644 $p/share/bash-completion/completions/tessctl
	644 $p/share/bash-completion/completions/hsm
	644 $p/share/man/man5/tessera.conf.5
	644 lib/systemd/system/tessera-mds.service
	644 lib/systemd/system/tessera-ost@.service
	644 etc/tessera/mds.conf
	644 etc/tessera/ost-0.conf
	EOF
}
listing() { (cd "$1" && find . ! -type d -printf '%m %P\n' | sort); }

# install_into DIR [PREFIX]: make install, compare the files
install_into() {
	local dir=$1 prefix=${2:-} log=$tmp/install.log
	local args=(DESTDIR="$dir")
	[ -n "$prefix" ] && args+=(PREFIX="$prefix")
	if ! PATH=$tmp/fakebin:$PATH make --no-print-directory install "${args[@]}" >"$log" 2>&1; then
		fail "make install ${args[*]//"$tmp"/TMP}: failed"
		tail -n 20 "$log" | sed 's/^/   /'
		return 1
	fi
	if diff -u <(expected "${prefix:-/usr}") <(listing "$dir") > "$tmp/diff"; then
		pass "make install ${args[*]//"$tmp"/TMP}: the $(expected / | wc -l) expected files, modes 644/755"
	else
		fail "make install ${args[*]//"$tmp"/TMP}: files differ from the expected list (- expected, + installed):"
		sed 's/^/   /' "$tmp/diff"
	fi
}

# uninstall_from DIR [PREFIX]
uninstall_from() {
	local dir=$1 prefix=${2:-} left
	local args=(DESTDIR="$dir")
	[ -n "$prefix" ] && args+=(PREFIX="$prefix")
	if ! PATH=$tmp/fakebin:$PATH make --no-print-directory uninstall "${args[@]}" >"$tmp/uninstall.log" 2>&1; then
		fail "make uninstall ${args[*]//"$tmp"/TMP}: failed"
		tail -n 20 "$tmp/uninstall.log" | sed 's/^/   /'
		return
	fi
	left=$(cd "$dir" && find . ! -type d)
	if [ -z "$left" ]; then
		pass "make uninstall ${args[*]//"$tmp"/TMP}: no file left"
	else
		fail "make uninstall ${args[*]//"$tmp"/TMP}: files left: $(echo $left)"
	fi
}

root=$tmp/root
install_into "$root" || exit 1
install_into "$tmp/opt" /opt/tessera
check "no depmod run with DESTDIR set" test ! -e "$tmp/depmod-called"

# the module tree as depmod and modprobe see it
cp -a "$root" "$tmp/dep"
if depmod -b "$tmp/dep" "$KVER" 2>"$tmp/depmod.err"; then
	deps=$(modprobe -d "$tmp/dep" -S "$KVER" --show-depends tessera 2>&1 | awk '{print $2}' | xargs -rn1 basename | xargs)
	check "modprobe tessera loads tessera_lnet first (depmod -b: $deps)" \
		test "$deps" = "tessera_lnet.ko tessera.ko"
	fsdeps=$(modprobe -d "$tmp/dep" -S "$KVER" --show-depends fs-tessera 2>&1 | awk '{print $2}' | xargs -rn1 basename | xargs)
	check "mount -t tessera's fs-tessera alias loads tessera ($fsdeps)" \
		test "$fsdeps" = "tessera_lnet.ko tessera.ko"
	tdeps=$(modprobe -d "$tmp/dep" -S "$KVER" --show-depends tessera-lnet-tcp 2>&1 | awk '{print $2}' | xargs -rn1 basename | xargs)
	check "the kernel's request_module(tessera-lnet-tcp) finds the transport ($tdeps)" \
		test "$tdeps" = "tessera_lnet.ko tessera_lnet_tcp.ko"
	if [ -n "$(rdma_ko)" ]; then
		rdeps=$(modprobe -d "$tmp/dep" -S "$KVER" --show-depends tessera-lnet-rdma 2>&1 | awk '{print $2}' | xargs -rn1 basename | xargs)
		check "request_module(tessera-lnet-rdma) finds the RDMA transport ($rdeps)" \
			test "$rdeps" = "tessera_lnet.ko tessera_lnet_rdma.ko"
		mdeps=$(modinfo -F depends "build/kmod/$KVER/modules/tessera_lnet_rdma.ko")
		check "tessera_lnet_rdma.ko depends on rdma_cm and ib_core ($mdeps)" \
			sh -c 'case ",$1," in *,rdma_cm,*) case ",$1," in *,ib_core,*) exit 0 ;; esac ;; esac; exit 1' sh "$mdeps"
	fi
else
	fail "depmod -b on the installed tree: $(head -n 3 "$tmp/depmod.err")"
fi

# ---- man pages ----
# man_problems PAGE: what man --warnings and mandoc -T lint say of it (the
# empty .PP that scdoc writes after each heading and between definitions
# apart), and whether a NAME section renders
man_problems() {
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$1" 2>/dev/null | grep -q "^NAME" ||
		echo "no NAME section rendered"
	mandoc -T lint -W warning "$1" 2>&1 |
		grep -vE 'WARNING: skipping paragraph macro: PP (empty|after SH)$'
}
mandir=$root/usr/share/man
for page in "$mandir"/man*/*; do
	name=$(basename "$page")
	err=$(man_problems "$page")
	check "$name renders with man --warnings -l and mandoc -T lint, no warning${err:+: $err}" \
		test -z "$err"
done
# the check of the check: a page with a bad macro fails it
{ cat "$mandir/man1/tessctl.1"; printf '.foo bar\n.sp -x\n'; } > "$tmp/bad.1"
err=$(man_problems "$tmp/bad.1")
check "a page with an unknown macro and a bad number is caught ($(echo $err | cut -c1-60)...)" \
	test -n "$err"

# ---- options and commands: program, page, completion ----
# tokens of a source file's parser
long_opts() { grep -oE '\{ *"[a-z0-9-]+", *(no|required|optional)_argument' "$@" | sed -E 's/^\{ *"([^"]*)".*/--\1/'; }
short_opts() {
	grep -oE 'getopt(_long)? *\(argc, argv, "[^"]*"' "$@" | sed -E 's/.*"([^"]*)"/\1/' |
		tr -d '+:-' | grep -o . | sed 's/^/-/'
}
commands() { grep -oE '^[[:space:]]*\{ *"[a-z]+",[[:space:]]*cmd_' "$@" | sed -E 's/.*"([a-z]+)".*/\1/'; }
# tokens of a usage text on stdin: --long and -x options (bundled flags,
# as -fnsv, one by one), and the command word of "  [PROG ]COMMAND ..." lines
usage_opts() {
	grep -oE -- '(^|[^a-zA-Z0-9$])--?[a-zA-Z][a-zA-Z0-9-]*' | sed -E 's/^[^-]*//' |
		sed -E '/^-[a-zA-Z]{2,}$/{s/^-//;s/(.)/-\1\n/g;s/\n$//}'
}
usage_cmds() { sed -nE "s/^  ($1 )?([a-z]+)( .*|$)/\2/p"; }

# the terms of a page's definition lists: the unindented lines starting
# with a bold word just above a tab-indented definition (not the synopsis,
# not the running text), backslash escapes dropped
terms() {
	awk '/^\*/ { buf = buf $0 "\n"; next }
	     /^\t/ { printf "%s", buf; buf = ""; next }
	     { buf = "" }' "man/$1.scd" | sed 's/\\//g'
}
# in_page PAGE TOKEN: TOKEN is a bold term of the page (*--dir*, *key=*)
in_page() { terms "$1" | grep -qF -e "*$2*" -e "*$2=*"; }
# a command: a term of its own
cmd_in_page() { terms "$1" | grep -qE "^\*$2\*( |$)"; }
in_completion() { tr -cs 'A-Za-z0-9_-' '\n' < "utils/completion/$1" | grep -qFx -- "$2"; }

# cover PROG PAGE COMPLETION-OR-"" KIND TOKENS...: every token in the page
# (and in the completion)
cover() {
	local prog=$1 page=$2 comp=$3 kind=$4 t missing=() mcomp=() tokens
	shift 4
	tokens=($(printf '%s\n' "$@" | sort -u))
	set -- "${tokens[@]}"
	for t in "$@"; do
		if [ "$kind" = command ]; then
			cmd_in_page "$page" "$t" || missing+=("$t")
		else
			in_page "$page" "$t" || missing+=("$t")
		fi
		[ -z "$comp" ] || in_completion "$comp" "$t" || mcomp+=("$t")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		pass "$page.scd documents every $kind of $prog ($#)"
	else
		fail "$page.scd does not document these ${kind}s of $prog: ${missing[*]}"
	fi
	if [ -n "$comp" ]; then
		if [ ${#mcomp[@]} -eq 0 ]; then
			pass "completion of $comp offers every $kind ($#)"
		else
			fail "completion of $comp lacks these ${kind}s: ${mcomp[*]}"
		fi
	fi
}

bin=$top/build/bin
# -h prints the usage of all five (mount.tessera's on stderr)
for p in tessera-mds tessera-ost tessctl hsm mount.tessera; do
	"$bin/$p" -h > "$tmp/$p.usage" 2>&1 || fail "$p -h: exit status $?"
	[ -s "$tmp/$p.usage" ] || fail "$p -h: no usage printed"
done
cover tessera-mds tessera-mds.8 "" option \
	$(usage_opts < "$tmp/tessera-mds.usage") $(long_opts user/mds/main.c) $(short_opts user/mds/main.c)
cover tessera-ost tessera-ost.8 "" option \
	$(usage_opts < "$tmp/tessera-ost.usage") $(long_opts user/ost/main.c) $(short_opts user/ost/main.c)
cover tessctl tessctl.1 tessctl option \
	$(usage_opts < "$tmp/tessctl.usage") $(long_opts utils/tessctl.c) $(short_opts utils/tessctl.c)
cover tessctl tessctl.1 tessctl command \
	$(usage_cmds "" < "$tmp/tessctl.usage") $(commands utils/tessctl.c)
cover hsm hsm.1 hsm option \
	$(usage_opts < "$tmp/hsm.usage") $(long_opts utils/hsm.c) $(short_opts utils/hsm.c)
cover hsm hsm.1 hsm command \
	$(usage_cmds hsm < "$tmp/hsm.usage") $(commands utils/hsm.c)
cover mount.tessera mount.tessera.8 "" option \
	$(usage_opts < "$tmp/mount.tessera.usage") $(short_opts utils/mount_tessera.c)
# -o: what the kernel parses, and the flags mount.tessera takes itself
cover mount.tessera mount.tessera.8 "" "mount option" \
	$(grep -oE 'fsparam_[a-z0-9_]+\("[a-z0-9_]+"' kmod/options.c | sed -E 's/.*"(.*)"/\1/') \
	$(grep -oE '\{ "[a-z_]+", (MS_[A-Z]+|0), (MS_[A-Z]+|0) \}' utils/mount_tessera.c | sed -E 's/\{ "([^"]*)".*/\1/')

# the test of the test: the extractors found what they should
n=$(long_opts user/mds/main.c | wc -l)
check "the MDS's option table is read ($n options)" test "$n" -ge 13
n=$(grep -oE 'fsparam_[a-z0-9_]+\("[a-z0-9_]+"' kmod/options.c | wc -l)
check "the kernel's mount parameters are read ($n)" test "$n" -ge 10
n=$(commands utils/tessctl.c | wc -l)
check "tessctl's command table is read ($n commands)" test "$n" -ge 10

# ---- completions ----
comps=$root/usr/share/bash-completion/completions
for c in tessctl hsm; do
	check "bash -n completions/$c" bash -n "$comps/$c"
done
got=$(bash -c 'source "$1"; COMP_WORDS=(tessctl --mds m@tcp set); COMP_CWORD=3; _tessctl; echo "${COMPREPLY[*]}"' _ "$comps/tessctl" 2>&1)
check "completion: tessctl --mds m@tcp set<TAB> is setstripe ($got)" test "$got" = setstripe
got=$(bash -c 'source "$1"; COMP_WORDS=(hsm import --del); COMP_CWORD=2; _hsm; echo "${COMPREPLY[*]}"' _ "$comps/hsm" 2>&1)
check "completion: hsm import --del<TAB> is --delete ($got)" test "$got" = --delete

# ---- systemd units and example configs ----
# verify_unit UNIT DIR: systemd-analyze verify of DIR/UNIT (a template by an
# instance), quiet and successful; what it says on failure
verify_unit() {
	local out
	out=$(cd "$2" && systemd-analyze verify --man=no "$2/$1" 2>&1) &&
		[ -z "$out" ] && return 0
	echo "${out:-exit status non-zero}" | head -n 3
	return 1
}
units=$tmp/units
mkdir -p "$units"
# the installed units, with ExecStart= on build/bin (verify needs the binaries)
for u in tessera-mds.service tessera-ost@.service; do
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$bin/|" "$root/lib/systemd/system/$u" > "$units/$u"
done
grep -q "^ExecStart=$bin/tessera-mds --config /etc/tessera/mds.conf\$" "$units/tessera-mds.service" &&
	grep -q "^ExecStart=$bin/tessera-ost --config /etc/tessera/ost-%i.conf --index %i\$" "$units/tessera-ost@.service"
check "the units' ExecStart= are the daemons with --config" test $? = 0
for u in tessera-mds.service tessera-ost@0.service; do
	err=$(verify_unit "$u" "$units")
	check "systemd-analyze verify $u${err:+: $err}" test -z "$err"
done
for t in Type=notify Restart=on-failure NoNewPrivileges=yes ProtectSystem=strict \
	 ProtectHome=yes PrivateTmp=yes ReadWritePaths=/var/lib/tessera; do
	n=$(cat "$units"/*.service | grep -cx "$t")
	check "both units set $t ($n)" test "$n" = 2
done
# the check of the check: a bad value and an unknown key are caught
mkdir -p "$units/bad"
sed 's/^Type=notify$/Type=notifyy/' "$units/tessera-mds.service" > "$units/bad/tessera-mds.service"
err=$(verify_unit tessera-mds.service "$units/bad")
check "verify catches Type=notifyy ($(echo $err | cut -c1-70)...)" test -n "$err"
sed 's/^PrivateTmp=yes$/PrivateTmpp=yes/' "$units/tessera-ost@.service" > "$units/bad/tessera-ost@.service"
err=$(verify_unit tessera-ost@0.service "$units/bad")
check "verify catches an unknown key ($(echo $err | cut -c1-70)...)" test -n "$err"

# the example configs as installed: every line accepted (-h after them
# exits 0 once the file's options passed the parser)
for d in "tessera-mds mds.conf" "tessera-ost ost-0.conf"; do
	set -- $d
	out=$("$bin/$1" --config "$root/etc/tessera/$2" -h 2>&1 >/dev/null)
	rc=$?
	check "$1 accepts the example $2 (exit $rc${out:+: $out})" test "$rc:$out" = 0:
	{ cat "$root/etc/tessera/$2"; echo "lease = 0"; } > "$tmp/bad-$2"
	n=$(wc -l < "$tmp/bad-$2")
	out=$("$bin/$1" --config "$tmp/bad-$2" -h 2>&1 >/dev/null)
	rc=$?
	case $out in
	"$1: $tmp/bad-$2:$n: --lease: "*) ok=$rc ;;
	*) ok=no ;;
	esac
	check "$1 refuses line $n of a bad $2 (exit $rc: ${out//"$tmp"/TMP})" test "$ok" = 2
done

# ---- uninstall ----
# a config edited after the install is the admin's: uninstall keeps it
echo "lease = 30" >> "$tmp/opt/etc/tessera/ost-0.conf"
PATH=$tmp/fakebin:$PATH make --no-print-directory uninstall DESTDIR="$tmp/opt" \
	PREFIX=/opt/tessera >"$tmp/uninstall.log" 2>&1
left=$(cd "$tmp/opt" && find . ! -type d | xargs)
check "make uninstall keeps an edited config, removes the rest (left: $left)" \
	test "$left" = ./etc/tessera/ost-0.conf
rm -f "$tmp/opt/etc/tessera/ost-0.conf"
uninstall_from "$root"
uninstall_from "$tmp/opt" /opt/tessera
check "no depmod run by uninstall with DESTDIR set" test ! -e "$tmp/depmod-called"

exit $failed
