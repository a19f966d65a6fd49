# Benchmark suite (make bench): figures, not pass/fail.
#  (a) unconstrained: 1 GiB streaming write+fsync and cold read of a
#      4-stripe file, against kernel NFSv4.2 exporting the same kind of
#      backing store (tmpfs) in this VM; iperf3 over loopback for scale.
#  (b) link-bound: every OST's veth limited to 100 Mbit/s with tc; write
#      and read of a 1-stripe and a 4-stripe file.
# Lines "BENCH: ..." carry the figures.

. "$TESS_REPO/tests/vm/lib.sh"

B=$TESS_REPO/build/bin
M=$TESS_MODDIR
W=/tmp/tess
MNT=/mnt/tess
KEY=$W/key
MDS_IP=10.77.0.1
SIZE_MB=${TESS_BENCH_MB:-1024}
LINK_MB=${TESS_BENCH_LINK_MB:-128}
mkdir -p $W $MNT /mnt/nfs /export
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $KEY
bench() { echo "BENCH: $*"; }

# MB/s of a command that moves $1 MiB
rate() {
	mb=$1
	shift
	t0=$(date +%s.%N)
	"$@" > /dev/null 2>&1 || { echo "error"; return; }
	t1=$(date +%s.%N)
	echo "$mb $t0 $t1" | awk '{ printf "%.1f", $1 * 1.048576 / ($3 - $2) }'
}
wr() { dd if=/dev/zero of="$1" bs=4M count=$(($2 / 4)) conv=fsync; }
rd() { echo 3 > /proc/sys/vm/drop_caches; dd if="$1" of=/dev/null bs=4M; }

cluster_net 4
modprobe libcrc32c
insmod $M/tessera_lnet.ko && insmod $M/tessera_lnet_tcp.ko && insmod $M/tessera.ko
$B/tessera-mds --dir $W/mds --key $KEY --listen $MDS_IP@tcp --nosync >$W/mds.log 2>&1 &
for i in 0 1 2 3; do
	ip netns exec ost$i $B/tessera-ost --mds $MDS_IP@tcp --index $i --dir $W/ost$i \
		--key $KEY --listen 10.77.0.$((10 + i))@tcp >$W/ost$i.log 2>&1 &
done
n=0
until [ "$($B/tessctl --mds $MDS_IP@tcp --key $KEY df 2>/dev/null | grep -c ' UP$')" = 4 ] ||
      [ $n -gt 100 ]; do sleep 0.2; n=$((n + 1)); done
check "mount" $B/mount.tessera $MDS_IP@tcp:/fs $MNT -o key=$KEY
mkdir -p $MNT/s1 $MNT/s4
$B/tessctl setstripe -c 1 -S 4M $MNT/s1
$B/tessctl setstripe -c 4 -S 4M $MNT/s4

# ---- (a) unconstrained ----
if command -v iperf3 >/dev/null; then
	iperf3 -s -D -1 >/dev/null 2>&1
	sleep 0.5
	ip=$(iperf3 -c 127.0.0.1 -t 5 -f M 2>/dev/null | awk '/receiver/ { print $(NF-2) }')
	bench "iperf3 loopback TCP: ${ip:-n/a} MB/s"
fi
tw=$(rate $SIZE_MB wr $MNT/s4/big $SIZE_MB)
tr_=$(rate $SIZE_MB rd $MNT/s4/big)
bench "tessera 4-stripe ${SIZE_MB} MiB write+fsync: $tw MB/s"
bench "tessera 4-stripe ${SIZE_MB} MiB cold read:    $tr_ MB/s"
rm -f $MNT/s4/big

nw=n/a
nr=n/a
if modprobe nfsd 2>/dev/null && command -v rpc.nfsd >/dev/null; then
	mount -t tmpfs tmpfs /export
	mount -t nfsd nfsd /proc/fs/nfsd 2>/dev/null
	echo "/export 127.0.0.1(rw,no_root_squash,insecure,fsid=0)" > /etc/exports
	rpcbind -w 2>/dev/null || rpcbind 2>/dev/null
	exportfs -ra
	rpc.mountd -N 2 -N 3
	rpc.nfsd -N 3 8
	sleep 1
	if mount -t nfs -o vers=4.2 127.0.0.1:/ /mnt/nfs; then
		nw=$(rate $SIZE_MB wr /mnt/nfs/big $SIZE_MB)
		nr=$(rate $SIZE_MB rd /mnt/nfs/big)
		rm -f /mnt/nfs/big
		umount /mnt/nfs
	fi
	rpc.nfsd 0
fi
bench "nfs v4.2 ${SIZE_MB} MiB write+fsync:        $nw MB/s"
bench "nfs v4.2 ${SIZE_MB} MiB cold read:          $nr MB/s"
echo "$tw $nw $tr_ $nr" | awk '$2+0 > 0 && $4+0 > 0 {
	printf "BENCH: ratio tessera/nfs: write %.2fx, read %.2fx (target >= 1.5x)\n", $1 / $2, $3 / $4 }'

# ---- (b) link-bound: 100 Mbit/s per OST link, both directions ----
for i in 0 1 2 3; do
	tc qdisc add dev vo$i root tbf rate 100mbit burst 64kb latency 100ms
	ip netns exec ost$i tc qdisc add dev eth0 root tbf rate 100mbit burst 64kb latency 100ms
done
w1=$(rate $LINK_MB wr $MNT/s1/f $LINK_MB)
r1=$(rate $LINK_MB rd $MNT/s1/f)
w4=$(rate $LINK_MB wr $MNT/s4/f $LINK_MB)
r4=$(rate $LINK_MB rd $MNT/s4/f)
bench "link-bound 1-stripe ${LINK_MB} MiB: write $w1 MB/s, read $r1 MB/s (link 12.5 MB/s)"
bench "link-bound 4-stripe ${LINK_MB} MiB: write $w4 MB/s, read $r4 MB/s (sum of links 50 MB/s)"
echo "$w1 $r1 $w4 $r4" | awk '$1+0 > 0 && $2+0 > 0 {
	printf "BENCH: 4-stripe vs 1-stripe: write %.2fx, read %.2fx (target >= 3.5x); of 50 MB/s: write %.0f%%, read %.0f%% (target >= 85%%)\n",
		$3 / $1, $4 / $2, $3 * 2, $4 * 2 }'
umount $MNT
pass "bench ran"
exit 0
