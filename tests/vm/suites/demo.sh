# make demo: in the VM, an MDS and 4 OSTs (each OST in its own network
# namespace), `mount -t tessera`, a file striped over the 4 OSTs, and
# where its bytes went.

. "$TESS_REPO/tests/vm/lib.sh"

B=$TESS_REPO/build/bin
M=$TESS_MODDIR
W=/tmp/demo
MNT=/mnt/tessera
KEY=$W/key
mkdir -p $W $MNT
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $KEY
step() { printf '\n== %s\n' "$*"; }
show() { echo "# $*"; "$@"; }

step "network: MDS on 10.77.0.1, OST i in namespace ost<i> at 10.77.0.(10+i)"
cluster_net 4
modprobe libcrc32c
insmod $M/tessera_lnet.ko && insmod $M/tessera_lnet_tcp.ko && insmod $M/tessera.ko

step "start tessera-mds and 4 x tessera-ost"
$B/tessera-mds --dir $W/mds --key $KEY --listen 10.77.0.1@tcp >$W/mds.log 2>&1 &
for i in 0 1 2 3; do
	ip netns exec ost$i $B/tessera-ost --mds 10.77.0.1@tcp --index $i \
		--dir $W/ost$i --key $KEY --listen 10.77.0.$((10 + i))@tcp >$W/ost$i.log 2>&1 &
done
n=0
until [ "$($B/tessctl --mds 10.77.0.1@tcp --key $KEY df 2>/dev/null | grep -c ' UP$')" = 4 ] ||
      [ $n -gt 100 ]; do sleep 0.2; n=$((n + 1)); done

step "mount"
show mount -t tessera 10.77.0.1@tcp:/demo $MNT -o key=$KEY
grep tessera /proc/mounts

step "tessctl df"
show $B/tessctl df

step "a 4-stripe directory and a 32 MiB file in it"
mkdir $MNT/data
show $B/tessctl setstripe -c 4 -S 1M $MNT/data
head -c $((32 << 20)) /dev/urandom > $W/sample
show dd if=$W/sample of=$MNT/data/sample.bin bs=4M conv=fsync status=none
ls -l $MNT/data

step "tessctl getstripe"
show $B/tessctl getstripe $MNT/data/sample.bin

step "bytes per OST (each holds a quarter)"
for i in 0 1 2 3; do
	f=$(find $W/ost$i/O -type f ! -name '*.hsm' | head -n 1)
	printf 'OST%04d  %-32s %10s bytes\n' $i "${f#$W/}" "$(stat -c %s "$f")"
done

step "read back after dropping the page cache"
echo 3 > /proc/sys/vm/drop_caches
a=$(sha256sum < $W/sample | cut -c1-64)
b=$(sha256sum < $MNT/data/sample.bin | cut -c1-64)
echo "local  $a"
echo "tessera $b"
[ "$a" = "$b" ] && pass "demo: the striped file reads back identical" ||
	fail "demo: the striped file reads back identical" "sha256 differs"
umount $MNT && pass "demo: umount"
exit $TESS_FAILED
