#!/bin/bash
# tests/install/deb.sh - the Debian packages (debian/): `make deb` into a
# temporary directory (a copy of the work tree, dpkg-buildpackage -b -us
# -uc there: nothing is written into the tree but a copy of the three
# .debs in build/deb, for tests/vm/suites/deb.sh), then the .debs.
# Run by the dkms tier (tests/check.sh); about 30 s on 2 cores.  One
# "PASS: install: deb.NAME" or "FAIL: install: deb.NAME" line per check,
# exit status non-zero on a failure.
#
#   - tessera-dkms, tessera-client and tessera-server .debs are built, and
#     no kernel module (*.ko, /lib/modules) is in any of them
#   - lintian on the three: no E: line (W: lines are listed)
#   - dpkg -x of each: the programs, man pages and completions where they
#     belong; the programs run (-h) from the extracted tree
#   - tessera-dkms: /usr/src/tessera-VERSION holds dkms.conf and exactly
#     the sources tests/dkms/run builds; its VERSION is the upstream
#     version of debian/changelog and dkms.conf's PACKAGE_VERSION; dpkg -I
#     shows Depends: dkms and dh_dkms's postinst/prerm
#   - systemd units (systemd/*.service) and example configs
#     (etc/tessera/*.conf), if the tree has them, are in tessera-server
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)

tmp=$(mktemp -d /tmp/tess-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
pass() { echo "PASS: install: deb.$*"; }
fail() { echo "FAIL: install: deb.$*"; failed=1; }

for t in dpkg-buildpackage dpkg-checkbuilddeps lintian dh; do
	command -v "$t" >/dev/null || { fail "setup: $t not installed (scripts/install-deps.sh)"; exit 1; }
done
missing=$(dpkg-checkbuilddeps 2>&1) ||
	{ fail "setup: build dependencies missing: ${missing#*: }"; exit 1; }

ver=$(dpkg-parsechangelog -S Version)
upver=${ver%-*}
start=$(date +%s)
out=$tmp/out
if make --no-print-directory deb DEB_DIR="$out" >"$tmp/build.log" 2>&1; then
	pass "build: make deb ($ver) in $(( $(date +%s) - start )) s"
else
	fail "build: make deb failed, last lines of the log:"
	tail -n 25 "$tmp/build.log" | sed 's/^/   /'
	exit 1
fi

debs=()
for p in tessera-dkms tessera-client tessera-server; do
	d=$(ls "$out"/${p}_"$ver"_*.deb 2>/dev/null | head -n 1)
	if [ -n "$d" ]; then
		pass "$p: ${d##*/} built"
		debs+=("$d")
		mkdir -p "$tmp/root/$p"
		dpkg -x "$d" "$tmp/root/$p"
	else
		fail "$p: no ${p}_${ver}_*.deb in make deb's output ($(cd "$out" && echo *.deb))"
	fi
done
[ ${#debs[@]} -eq 3 ] || exit 1
# kept in build/deb (where `make deb` puts them) for the VM suite that
# installs them (tests/vm/suites/deb.sh)
mkdir -p "$top/build/deb"
rm -f "$top"/build/deb/tessera-*.deb
cp "${debs[@]}" "$top/build/deb/"

# ---- lintian ----
lintian "${debs[@]}" >"$tmp/lintian" 2>&1
errors=$(grep '^E: ' "$tmp/lintian")
warnings=$(grep -c '^W: ' "$tmp/lintian")
if [ -z "$errors" ]; then
	pass "lintian: no error ($warnings warnings)"
else
	fail "lintian: errors:"
	echo "$errors" | sed 's/^/   /'
fi
grep '^W: ' "$tmp/lintian" | sed 's/^/   /'

# ---- contents ----
# has PKG PATH...: every PATH is a file in PKG's extracted tree
has() {
	local p=$1 f miss=()
	shift
	for f in "$@"; do
		[ -f "$tmp/root/$p$f" ] || miss+=("$f")
	done
	if [ ${#miss[@]} -eq 0 ]; then
		pass "$p.files: $(echo "$@" | xargs -n1 basename | xargs)"
	else
		fail "$p.files: missing ${miss[*]}"
	fi
}
has tessera-client /sbin/mount.tessera /usr/bin/tessctl /usr/bin/hsm \
	/usr/share/man/man8/mount.tessera.8.gz /usr/share/man/man1/tessctl.1.gz \
	/usr/share/man/man1/hsm.1.gz /usr/share/man/man7/tessera.7.gz \
	/usr/share/bash-completion/completions/tessctl \
	/usr/share/bash-completion/completions/hsm
has tessera-server /usr/sbin/tessera-mds /usr/sbin/tessera-ost \
	/usr/share/man/man8/tessera-mds.8.gz /usr/share/man/man8/tessera-ost.8.gz \
	$(ls man/tessera.conf.5.scd >/dev/null 2>&1 && echo /usr/share/man/man5/tessera.conf.5.gz)
src=/usr/src/tessera-$upver
has tessera-dkms $src/dkms.conf $src/Kbuild

# the programs run from the packaged tree (usage on -h, exit 0)
for pb in tessera-client/sbin/mount.tessera tessera-client/usr/bin/tessctl \
	tessera-client/usr/bin/hsm tessera-server/usr/sbin/tessera-mds \
	tessera-server/usr/sbin/tessera-ost; do
	if "$tmp/root/$pb" -h >"$tmp/run.out" 2>&1 && [ -s "$tmp/run.out" ]; then
		pass "run: ${pb##*/} -h from the .deb"
	else
		fail "run: ${pb##*/} -h from the .deb: $(head -n 2 "$tmp/run.out")"
	fi
done

# no kernel module is built or shipped by any package
kos=$(cd "$tmp/root" && find . -name '*.ko' -o -path '*/lib/modules*' | head -n 5)
if [ -z "$kos" ]; then
	pass "no-modules: no .ko and no /lib/modules in the packages"
else
	fail "no-modules: found $(echo $kos)"
fi

# ---- tessera-dkms ----
# the source tree is what tests/dkms/run copies and builds
dkver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
if [ "$dkver" = "$upver" ] && [ -d "$tmp/root/tessera-dkms$src" ]; then
	pass "dkms.version: /usr/src/tessera-$upver, dkms.conf PACKAGE_VERSION $dkver, debian/changelog $ver"
else
	fail "dkms.version: dkms.conf PACKAGE_VERSION '$dkver', debian/changelog upstream '$upver'"
fi
want=$( { echo dkms.conf; echo Kbuild
	find kmod lnet common include -type f \( -name '*.[ch]' -o -name Kbuild -o -name '*.mk' \); } | sort)
got=$(cd "$tmp/root/tessera-dkms$src" 2>/dev/null && find . -type f -printf '%P\n' | sort)
if [ "$want" = "$got" ]; then
	pass "dkms.source: $src holds the $(echo "$want" | wc -l) files tests/dkms/run builds"
else
	fail "dkms.source: $src differs from tests/dkms/run's sources (- expected, + packaged):"
	diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^</   -/; s/^>/   +/'
fi
if cmp -s dkms.conf "$tmp/root/tessera-dkms$src/dkms.conf"; then
	pass "dkms.conf: the tree's dkms.conf, unchanged"
else
	fail "dkms.conf: $src/dkms.conf is not the tree's dkms.conf"
fi
dkms_deb=${debs[0]}
dep=$(dpkg -I "$dkms_deb" | sed -n 's/^ Depends: //p')
if echo "$dep" | grep -qE '(^|, )dkms( |,|$)'; then
	pass "dkms.depends: dpkg -I: Depends: $dep"
else
	fail "dkms.depends: no dkms in Depends ('$dep')"
fi
dpkg -e "$dkms_deb" "$tmp/ctl"
if grep -q '^DKMS_NAME=tessera$' "$tmp/ctl/postinst" 2>/dev/null &&
	grep -q "^DKMS_VERSION=$upver\$" "$tmp/ctl/postinst" &&
	grep -q 'common.postinst' "$tmp/ctl/postinst" &&
	grep -q 'dkms remove -m $DKMS_NAME' "$tmp/ctl/prerm" 2>/dev/null; then
	pass "dkms.scripts: postinst registers tessera/$upver (dkms common.postinst), prerm removes it"
else
	fail "dkms.scripts: dh_dkms's postinst/prerm for tessera/$upver not found"
fi

# ---- what tessera-server gets when the tree has it ----
units=$(ls systemd/*.service systemd/*.socket systemd/*.target 2>/dev/null)
if [ -n "$units" ]; then
	miss=()
	for u in $units; do
		[ -f "$tmp/root/tessera-server/lib/systemd/system/${u##*/}" ] ||
			[ -f "$tmp/root/tessera-server/usr/lib/systemd/system/${u##*/}" ] ||
			miss+=("${u##*/}")
	done
	if [ ${#miss[@]} -eq 0 ]; then
		pass "server.units: $(echo $units | xargs -n1 basename | xargs)"
	else
		fail "server.units: not in tessera-server: ${miss[*]}"
	fi
	# installed, not enabled or started (they need a key and a store
	# first): no start, and the enable dh_installsystemd writes only for a
	# unit an administrator enabled before (guarded by debian-installed;
	# without --no-enable it enables on the first installation)
	dpkg -e "${debs[2]}" "$tmp/sctl"
	pi=$tmp/sctl/postinst
	if [ -f "$pi" ] && { grep -qE 'deb-systemd-invoke (start|restart)' "$pi" ||
		{ grep -q 'was-enabled' "$pi" && ! grep -q 'deb-systemd-helper debian-installed' "$pi"; }; }; then
		fail "server.units-not-started: tessera-server's postinst enables or starts a unit"
	else
		pass "server.units-not-started: postinst neither enables nor starts them"
	fi
fi
[ -f "$tmp/sctl/postinst" ] || dpkg -e "${debs[2]}" "$tmp/sctl"
confs=$(cd etc 2>/dev/null && find tessera -type f 2>/dev/null)
if [ -n "$confs" ]; then
	miss=()
	for c in $confs; do
		[ -f "$tmp/root/tessera-server/etc/$c" ] ||
			[ -f "$tmp/root/tessera-server/usr/share/doc/tessera-server/examples/${c##*/}" ] ||
			miss+=("$c")
	done
	for c in $confs; do
		grep -qx "/etc/$c" "$tmp/sctl/conffiles" 2>/dev/null ||
			[ ! -f "$tmp/root/tessera-server/etc/$c" ] || miss+=("$c (not a conffile)")
	done
	if [ ${#miss[@]} -eq 0 ]; then
		pass "server.configs: $(echo $confs | xargs), conffiles"
	else
		fail "server.configs: not in tessera-server: ${miss[*]}"
	fi
fi

exit $failed
