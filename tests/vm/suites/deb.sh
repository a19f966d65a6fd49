# deb suite: Tessera installed the way a site installs it, booted on a
# Debian kernel.  tests/install/deb-root.sh installed the three packages
# with dpkg -i into a clean overlay of the host root (DKMS built the
# modules for each Debian kernel in tessera-dkms's postinst); tests/vm/run
# lays that installed system over the guest's root (TESS_VM_LAYER).  Here:
# the packages and modules are where dpkg and DKMS put them, the demo
# (tests/vm/suites/demo.sh) runs from the installed paths only (daemons
# from /usr/sbin, tessctl from /usr/bin, mount.tessera from /sbin) and
# `mount -t tessera` loads the modules itself (nothing insmod'ed or
# copied), an fstab line with _netdev mounts with `mount -a`, and
# dpkg --purge takes everything away again.
#
# tests/check.sh (tier dkms) runs it on each Debian kernel, e.g.
#   TESS_VM_LAYER=build/deb/root TESS_VM_LABEL=6.12 KVER=6.12.N+deb12-amd64 \
#	tests/vm/run deb

TESS_INSTALLED=1
export TESS_INSTALLED
. "$TESS_REPO/tests/vm/lib.sh"
TESS_TAG=deb
export TESS_TAG

KV=$(uname -r)
W=/tmp/deb
mkdir -p $W

# ---- the installed system ----
if [ -z "${tess_layer:-}" ]; then
	fail "installed system" "no TESS_VM_LAYER (tests/install/deb-root.sh makes build/deb/root)"
	tess_finish
fi
ver=$(dpkg-query -W -f '${Version}' tessera-dkms 2>/dev/null | cut -d- -f1)
st=$(dpkg-query -W -f '${Package}=${Status} ' tessera-client tessera-dkms tessera-server 2>&1)
expect "dpkg: the three packages are installed" \
	"tessera-client=install ok installed tessera-dkms=install ok installed tessera-server=install ok installed " "$st"

ds=$(dkms status -m tessera -v "$ver" -k "$KV" 2>&1)
case $ds in
*": installed"*) pass "dkms status: tessera/$ver installed for $KV" ;;
*) fail "dkms status: tessera/$ver installed for $KV" "$ds" ;;
esac

# every module where modprobe finds it, built for this kernel
mods="tessera tessera_lnet tessera_lnet_tcp"
grep -qs '^CONFIG_INFINIBAND_ADDR_TRANS=y' "/boot/config-$KV" &&
	mods="$mods tessera_lnet_rdma"
for m in $mods; do
	path=$(modinfo -n "$m" 2>&1)
	vm=$(modinfo -F vermagic "$m" 2>/dev/null | cut -d' ' -f1)
	case $path in
	/lib/modules/"$KV"/updates/dkms/"$m".ko*)
		expect "modinfo $m: $path, vermagic" "$KV" "$vm" ;;
	*) fail "modinfo $m: in /lib/modules/$KV/updates/dkms" "$path" ;;
	esac
done

# the programs and man pages from the packages
for f in /sbin/mount.tessera /usr/bin/tessctl /usr/bin/hsm /usr/sbin/tessera-mds /usr/sbin/tessera-ost; do
	owner=$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)
	if [ -x "$f" ] && [ -n "$owner" ]; then
		pass "installed: $f (from $owner)"
	else
		fail "installed: $f" "missing or not from a package"
	fi
done
check "man -w mount.tessera tessctl hsm tessera-mds tessera-ost tessera.conf" \
	man -w mount.tessera tessctl hsm tessera-mds tessera-ost tessera.conf

# ---- the demo from the installed paths ----
if grep -q '^tessera' /proc/modules; then
	fail "no tessera module loaded before the mount" "$(grep -o '^tessera[a-z_]*' /proc/modules | xargs)"
else
	pass "no tessera module loaded before the mount"
fi
TESS_INSTALLED=1 sh "$TESS_REPO/tests/vm/suites/demo.sh" || TESS_FAILED=1
# the mount loaded them: tessera (the fs-tessera alias) pulls in
# tessera_lnet, and the transport comes through request_module
for m in tessera tessera_lnet tessera_lnet_tcp; do
	if module_loaded $m; then
		pass "mount -t tessera loaded $m"
	else
		fail "mount -t tessera loaded $m" "not in /proc/modules"
	fi
done
# an fstab line with _netdev, mounted by mount -a (through mount.tessera)
TESS_W=$W/fstab
TESS_FSNAME=fstab
if tess_cluster_start 2; then
	mkdir -p /mnt/fstab
	echo "$TESS_MDS_ADDR:/$TESS_FSNAME /mnt/fstab tessera key=$TESS_KEY,_netdev 0 0" >> /etc/fstab
	check "mount -a: the fstab line with _netdev" tess_timeout 90 mount -a -t tessera
	if awk '$2 == "/mnt/fstab" && $3 == "tessera"' /proc/mounts | grep -q .; then
		pass "mount -a: /mnt/fstab mounted"
	else
		fail "mount -a: /mnt/fstab mounted" "not in /proc/mounts"
	fi
	check "write and read back through the fstab mount" \
		sh -c 'echo fstab > /mnt/fstab/f && sync && [ "$(cat /mnt/fstab/f)" = fstab ]'
	check "umount /mnt/fstab" tess_timeout 60 umount /mnt/fstab
	tess_cluster_kill
else
	fail "fstab cluster: MDS and 2 OSTs up" "$(tess_osts_up) OSTs up"
fi

check "modprobe -r tessera tessera_lnet_tcp tessera_lnet" \
	modprobe -r tessera tessera_lnet_tcp tessera_lnet

# ---- and away again ----
if tess_timeout 600 env DEBIAN_FRONTEND=noninteractive dpkg --purge \
	tessera-server tessera-client tessera-dkms >$W/purge.log 2>&1; then
	pass "dpkg --purge tessera-server tessera-client tessera-dkms"
else
	fail "dpkg --purge tessera-server tessera-client tessera-dkms" "$(tail -n 5 $W/purge.log | tr '\n' ' ')"
fi
left="$(ls /sbin/mount.tessera /usr/sbin/tessera-mds /usr/bin/tessctl 2>/dev/null)"
left="$left $(find /lib/modules/"$KV" -name 'tessera*.ko*' 2>/dev/null | head -n 3)"
left="$left $(dkms status -m tessera 2>/dev/null)"
left=$(echo $left)
expect "purged: no program, module or DKMS tree left" "" "$left"
tess_finish
