# make demo: in the VM, an MDS and 4 OSTs (each OST in its own network
# namespace), `mount -t tessera`, a file striped over the 4 OSTs, and
# where its bytes went.
# With TESS_INSTALLED=1 (tests/vm/suites/deb.sh, after dpkg -i of the
# packages) everything comes from the installed paths: the daemons from
# /usr/sbin, tessctl from /usr/bin, mount.tessera from /sbin, and the
# modules are not copied in but loaded by `mount -t tessera` itself
# (fs-tessera alias, the transport through request_module).

. "$TESS_REPO/tests/vm/lib.sh"

TESSCTL=$TESS_CTL_PROG
W=/tmp/demo
MNT=/mnt/tessera
TESS_W=$W
TESS_FSNAME=demo
mkdir -p $W $MNT
step() { printf '\n== %s\n' "$*"; }
show() { echo "# $*"; timeout -k 5 120 "$@"; }	# each step bounded

step "network: MDS on 10.77.0.1, OST i in namespace ost<i> at 10.77.0.(10+i)"
cluster_net 4
if [ "${TESS_INSTALLED:-0}" != 1 ]; then
	tess_modules_load || fail "demo: modules" "tess_modules_load failed"
fi

step "start tessera-mds and 4 x tessera-ost"
tess_cluster_start 4 || fail "demo: MDS and 4 OSTs up" "$(tess_osts_up) OSTs up"

step "mount"
echo "# mount -t tessera $TESS_MDS_ADDR:/demo $MNT -o key=$TESS_KEY"
tess_mount $MNT || fail "demo: mount" "mount failed"
grep tessera /proc/mounts

step "tessctl df"
show $TESSCTL df

step "a 4-stripe directory and a 32 MiB file in it"
timeout -k 5 60 mkdir $MNT/data
show $TESSCTL setstripe -c 4 -S 1M $MNT/data
head -c $((32 << 20)) /dev/urandom > $W/sample
show dd if=$W/sample of=$MNT/data/sample.bin bs=4M conv=fsync status=none
timeout -k 5 60 ls -l $MNT/data

step "tessctl getstripe"
show $TESSCTL getstripe $MNT/data/sample.bin

step "bytes per OST (each holds a quarter)"
# the file's objects, from its layout (each OST also holds empty
# precreated objects, which the first file found could be)
$TESSCTL getstripe $MNT/data/sample.bin 2>/dev/null |
	awk 'NF == 2 && $1 ~ /^[0-9]+$/ { print $1, $2 }' |
	while read -r i oid; do
		f=$(printf '%s/ost%d/O/%02x/%016x' $W "$i" $((oid % 256)) "$oid")
		printf 'OST%04d  %-32s %10s bytes\n' "$i" "${f#$W/}" \
			"$(stat -c %s "$f" 2>/dev/null || echo no)"
	done

step "read back after dropping the page cache"
echo 3 > /proc/sys/vm/drop_caches
a=$(sha256sum < $W/sample | cut -c1-64)
b=$(timeout -k 5 120 sha256sum $MNT/data/sample.bin | cut -c1-64)
echo "local  $a"
echo "tessera $b"
[ "$a" = "$b" ] && pass "demo: the striped file reads back identical" ||
	fail "demo: the striped file reads back identical" "sha256 differs"
timeout -k 5 60 umount $MNT && pass "demo: umount" || fail "demo: umount" "failed"
tess_finish
