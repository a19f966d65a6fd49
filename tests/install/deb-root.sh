#!/bin/bash
# tests/install/deb-root.sh - the three .debs that tests/install/deb.sh
# left in build/deb installed with `dpkg -i` into a clean overlay of this
# machine's root, as into an installer's chroot: this machine itself is
# not changed (a private mount namespace, the overlay's upper layer on a
# tmpfs).  tessera-dkms's postinst has DKMS build and install the modules
# there, natively, for each Debian kernel whose headers are installed (a
# chroot's `uname -r` is the host's, so DKMS builds for every kernel in
# /lib/modules; the debug kernel's entry, not a Debian kernel, is hidden).
#
# The upper layer is then copied to build/deb/root: tests/vm/run lays it
# over the host root (TESS_VM_LAYER), and the VM suite `deb` boots each
# Debian kernel on the installed system, runs the demo from the installed
# paths and purges the packages (tests/vm/suites/deb.sh).
#
# One "PASS: install: deb-root.NAME" or "FAIL: ..." line per check.
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
out=$top/build/deb/root
failed=0
pass() { echo "PASS: install: deb-root.$*"; }
fail() { echo "FAIL: install: deb-root.$*"; failed=1; }

debs=()
for p in tessera-dkms tessera-client tessera-server; do
	f=$(ls "$top"/build/deb/${p}_*.deb 2>/dev/null | sort -V | tail -n 1)
	[ -n "$f" ] || { fail "setup: no ${p}_*.deb in build/deb (tests/install/deb.sh makes them)"; exit 1; }
	debs+=("$f")
done
for t in unshare chroot dkms; do
	command -v $t >/dev/null || { fail "setup: $t not installed"; exit 1; }
done
ver=$(dpkg-deb -f "${debs[0]}" Version)
upver=${ver%-*}

# the Debian kernels DKMS should build for: those with a headers package
kernels=
for b in /lib/modules/*/build; do
	case $(readlink -f "$b") in
	/usr/src/linux-headers-*) k=${b%/build}; kernels="$kernels ${k##*/}" ;;
	esac
done
kernels=${kernels# }
[ -n "$kernels" ] || { fail "setup: no Debian kernel headers installed"; exit 1; }

rm -rf "$out"
mkdir -p "$out"
log=$top/build/deb/root.log
start=$(date +%s)
unshare -m --propagation private bash -s "$out" "${debs[@]}" >"$log" 2>&1 <<'EOS'
set -u
out=$1
shift
t=$(mktemp -d /tmp/tess-debroot.XXXXXX)
mount -t tmpfs -o mode=0755 tmpfs "$t" || exit 1
mkdir "$t/upper" "$t/work" "$t/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" "$t/root" || exit 1
r=$t/root
mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" &&
	mount --rbind /dev "$r/dev" && mount -t tmpfs tmpfs "$r/tmp" &&
	mount -t tmpfs tmpfs "$r/run" || exit 1
# a clean root: Tessera not installed
if chroot "$r" dpkg-query -W 'tessera*' 2>/dev/null | grep -q .; then
	echo "deb-root: a tessera package is installed on this machine" >&2
	exit 3
fi
# only Debian's kernels (the debug kernel is a symlink into its cache)
for k in "$r"/lib/modules/*; do
	[ -L "$k" ] && rm -f "$k"
done
# man-db's trigger would index every man page: as with
# man-db/auto-update=false (the VM's purge runs without it too)
rm -f "$r/var/lib/man-db/auto-update"
cp "$@" "$r/tmp/"
echo "deb-root: dpkg -i $*"
timeout -k 10 900 chroot "$r" env DEBIAN_FRONTEND=noninteractive dpkg -i $(for d; do echo "/tmp/${d##*/}"; done)
rc=$?
echo "deb-root: dpkg -i exit $rc"
chroot "$r" dkms status tessera
umount -R "$r" || exit 1
# the upper layer (whiteouts and opaque directories kept: cp -a)
cp -a "$t/upper/." "$out/" || exit 1
umount -l "$t"
rmdir "$t" 2>/dev/null
exit $rc
EOS
rc=$?
secs=$(( $(date +%s) - start ))
case $rc in
0) pass "dpkg-i: tessera-dkms tessera-client tessera-server $ver into a clean overlay ($secs s, DKMS included)" ;;
3) fail "clean: a tessera package is installed on this machine (dpkg -l 'tessera*')" ;;
*) fail "dpkg-i: exit $rc, see $log:"
   tail -n 25 "$log" | sed 's/^/   /' ;;
esac
[ $rc = 0 ] || exit 1

# has PATH: an installed file in the upper layer (/lib, /sbin are in /usr
# on a merged-/usr system)
has() { [ -e "$out/$1" ] || [ -e "$out/usr/$1" ]; }

# DKMS built and installed the modules for every Debian kernel
for k in $kernels; do
	mods="tessera tessera_lnet tessera_lnet_tcp"
	grep -qs '^CONFIG_INFINIBAND_ADDR_TRANS=y' "/boot/config-$k" &&
		mods="$mods tessera_lnet_rdma"
	miss=
	for m in $mods; do
		has "lib/modules/$k/updates/dkms/$m.ko" || has "lib/modules/$k/updates/dkms/$m.ko.xz" ||
			miss="$miss $m"
	done
	if [ -z "$miss" ] && grep -q "^tessera/$upver, $k, .*: installed" "$log"; then
		pass "dkms.$k: dkms status installed; $(echo $mods | wc -w) modules in /lib/modules/$k/updates/dkms"
	else
		fail "dkms.$k: not installed by the postinst (missing:${miss:- none}; see $log)"
	fi
done
miss=
for f in sbin/mount.tessera usr/bin/tessctl usr/bin/hsm usr/sbin/tessera-mds usr/sbin/tessera-ost; do
	has "$f" || miss="$miss /$f"
done
if [ -z "$miss" ]; then
	pass "files: mount.tessera tessctl hsm tessera-mds tessera-ost installed"
else
	fail "files: not installed:$miss"
fi
echo "deb-root: installed system in $out ($(du -sh "$out" | cut -f1)), log $log" >&2
exit $failed
