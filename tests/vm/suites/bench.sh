# Benchmark suite (make bench): figures, not pass/fail; the targets are
# issue #11's, and the run ends with one table of them (lines "BENCH: |").
#  P1/P2: 1 GiB streaming write+fsync and cold read of a 4-stripe file,
#      against kernel NFSv4.2 exporting the same kind of backing store
#      (tmpfs) in this VM, with CPU seconds per GiB of both; iperf3 over
#      loopback for scale.
#  sec: the P1/P2 write and read again at sec=integrity and sec=privacy.
#  P7: 4 KiB random reads, 4 jobs, O_DIRECT (fio), against NFSv4.2.
#  P3: every OST's veth limited to 100 Mbit/s with tc; write and read of
#      a 1-stripe and a 4-stripe file.  P3c: NFSv4.2 behind one such link
#      against P3's 4-stripe figures.  P3b: P3 with 20 ms more delay.
#  P4: create, stat, ls -l, unlink of 10,000 files in one directory, the
#      MDS durable (restarted without --nosync), against NFSv4.2 `sync`.
#  P5: HSM restore against s3fs and rclone; P6: @rdma against raw verbs
#      (tests/vm/bench-p6.sh).
# The helpers and P3b, P3c, P4, P7 are in tests/vm/bench-p11.sh.
# After each Tessera figure, "BENCH:   stats ..." lines: the mount's
# per-OST RPC counters over that figure (tessctl stats).
#
# Sizes: TESS_BENCH_MB (P1/P2, 1024), TESS_BENCH_LINK_MB (P3*, 128),
# TESS_BENCH_P4_N (10000), TESS_BENCH_P7_MB (per fio job, 64),
# TESS_BENCH_P7_SECONDS (15), TESS_BENCH_P3B_DELAY (20ms),
# TESS_BENCH_P5_MB, TESS_BENCH_P6_MB: the guest gets them from the kernel
# command line, e.g. TESS_VM_APPEND="TESS_BENCH_MB=256 TESS_BENCH_P4_N=1000".
# TESS_BENCH_ONLY (or tess_bench_only= on the kernel command line; tests/
# vm/run passes it): p5 or p6 alone; sec (P1/P2's tessera figures and the
# flavors); or a comma list of p1, p7, p3, p3b, p3c, p4 (p3c measures P3
# too).  Unset: everything, P5 and P6 included.

. "$TESS_REPO/tests/vm/lib.sh"

B=$TESS_REPO/build/bin
W=/tmp/tess
TESS_W=$W
MNT=/mnt/tess
KEY=$W/key
MDS_IP=10.77.0.1
SIZE_MB=${TESS_BENCH_MB:-1024}
LINK_MB=${TESS_BENCH_LINK_MB:-128}
ONLY=${TESS_BENCH_ONLY:-${tess_bench_only:-}}
mkdir -p $W $MNT /mnt/nfs /export
rm -f $W/rows
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $KEY
chmod 600 $KEY
bench() { echo "BENCH: $*"; }
# sel SECTION: whether TESS_BENCH_ONLY selects SECTION (all when unset)
sel() {
	case ",$ONLY," in
	,,|*,$1,*) return 0 ;;
	esac
	return 1
}

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

. "$TESS_REPO/tests/vm/bench-p11.sh"

# p6 rows of the closing table (tests/vm/bench-p6.sh's figures)
p6_rows() {
	row "P6 @rdma write / ib_write_bw, MB/s" "${p6w_rdma:-}" "${pw:-}" "ib_write_bw" ">=" 0.80
	row "P6 @rdma read / ib_read_bw, MB/s" "${p6r_rdma:-}" "${pr:-}" "ib_read_bw" ">=" 0.80
}

# TESS_BENCH_ONLY=p5: only the P5 section at the end of this file, which
# sets up what it needs
case "$ONLY" in
p5)	sed -n '/^# ==== P5/,$p' "$TESS_REPO/tests/vm/suites/bench.sh" > $W/bench-p5.sh
	. $W/bench-p5.sh ;;
p6)	. "$TESS_REPO/tests/vm/bench-p6.sh"
	p6_rows
	bench_table
	tess_finish ;;
sec)	SEC_ONLY=1 ;;	# P1/P2's tessera figures and the flavors, no peers
esac

tess_modules_load || fail "modules" "tess_modules_load failed"
TESS_KEY=$KEY
tess_cluster_start 4 "--nosync" || fail "MDS and 4 OSTs up" "$(tess_osts_up) OSTs up"
check "mount" $B/mount.tessera $MDS_IP@tcp:/fs $MNT -o key=$KEY
mkdir -p $MNT/s1 $MNT/s4
$B/tessctl setstripe -c 1 -S 4M $MNT/s1
$B/tessctl setstripe -c 4 -S 4M $MNT/s4

# ---- P1/P2: unconstrained (CPU-bound under TCG) ----
if sel p1 || [ -n "${SEC_ONLY:-}" ]; then
	if [ -z "${SEC_ONLY:-}" ] && command -v iperf3 >/dev/null; then
		iperf3 -s -D -1 >/dev/null 2>&1
		sleep 0.5
		ip=$(iperf3 -c 127.0.0.1 -t 5 -f M 2>/dev/null | awk '/receiver/ { print $(NF-2) }')
		bench "iperf3 loopback TCP: ${ip:-n/a} MB/s"
	fi
	st_snap
	set -- $(crate $SIZE_MB wr $MNT/s4/big $SIZE_MB)
	tw=$1 twc=$2
	st_show "P2 write"
	st_snap
	set -- $(crate $SIZE_MB rd $MNT/s4/big)
	tr_=$1 trc=$2
	st_show "P1 read"
	bench "tessera 4-stripe ${SIZE_MB} MiB write+fsync: $tw MB/s, $twc CPU s/GiB (guest-wide: client and servers)"
	bench "tessera 4-stripe ${SIZE_MB} MiB cold read:    $tr_ MB/s, $trc CPU s/GiB"
	rm -f $MNT/s4/big
fi

if [ -z "${SEC_ONLY:-}" ] && sel p1; then
	nw=n/a nwc=n/a nr=n/a nrc=n/a
	if nfs_mount; then
		set -- $(crate $SIZE_MB wr /mnt/nfs/big $SIZE_MB)
		nw=$1 nwc=$2
		set -- $(crate $SIZE_MB rd /mnt/nfs/big)
		nr=$1 nrc=$2
		rm -f /mnt/nfs/big
		nfs_umount
	fi
	bench "nfs v4.2 ${SIZE_MB} MiB write+fsync:        $nw MB/s, $nwc CPU s/GiB"
	bench "nfs v4.2 ${SIZE_MB} MiB cold read:          $nr MB/s, $nrc CPU s/GiB"
	row "P1 4-stripe ${SIZE_MB} MiB cold read, MB/s" "$tr_" "$nr" nfs4.2 ">=" 1.0
	row "P1 cold read, CPU s/GiB (lower is better)" "$trc" "$nrc" nfs4.2 report ""
	row "P2 4-stripe ${SIZE_MB} MiB write+fsync, MB/s" "$tw" "$nw" nfs4.2 ">=" 1.0
	row "P2 write+fsync, CPU s/GiB (lower is better)" "$twc" "$nwc" nfs4.2 report ""
fi

# ---- security flavors (issue 12): the same 4-stripe write and read
# through a second mount asking sec=integrity, then sec=privacy (the
# daemons take any flavor), next to sec=auth above ----
if [ -z "$ONLY" ] || [ -n "${SEC_ONLY:-}" ]; then
	mkdir -p /mnt/tsec
	for sec in integrity privacy; do
		if ! $B/mount.tessera $MDS_IP@tcp:/fs /mnt/tsec -o key=$KEY,sec=$sec \
			>$W/mount-$sec.log 2>&1; then
			bench "sec=$sec: mount failed: $(tail -n 1 $W/mount-$sec.log)"
			continue
		fi
		sw=$(rate $SIZE_MB wr /mnt/tsec/s4/sec-$sec $SIZE_MB)
		sr=$(rate $SIZE_MB rd /mnt/tsec/s4/sec-$sec)
		rm -f /mnt/tsec/s4/sec-$sec
		timeout -k 5 60 umount /mnt/tsec
		bench "tessera 4-stripe ${SIZE_MB} MiB sec=$sec: write+fsync $sw MB/s, cold read $sr MB/s"
		echo "$sw $tw $sr $tr_" | awk -v s=$sec '$2+0 > 0 && $4+0 > 0 {
			printf "BENCH: sec=%s vs sec=auth: write %.2fx, read %.2fx\n", s, $1 / $2, $3 / $4 }'
	done
fi

if [ -n "${SEC_ONLY:-}" ]; then
	timeout -k 5 60 umount $MNT
	pass "bench (sec only) ran"
	tess_finish
fi

# ---- P7: 4 KiB random reads (tests/vm/bench-p11.sh) ----
sel p7 && p7_run

# ---- P3: link-bound: 100 Mbit/s per OST link, both directions ----
if sel p3 || sel p3c; then
	for i in 0 1 2 3; do
		tc qdisc replace dev vo$i root tbf rate 100mbit burst 64kb latency 100ms
		ip netns exec ost$i tc qdisc replace dev eth0 root tbf rate 100mbit burst 64kb latency 100ms
	done
	st_snap
	w1=$(rate $LINK_MB wr $MNT/s1/f $LINK_MB)
	r1=$(rate $LINK_MB rd $MNT/s1/f)
	st_show "P3 1-stripe write+read"
	st_snap
	w4=$(rate $LINK_MB wr $MNT/s4/f $LINK_MB)
	st_show "P3 4-stripe write"
	st_snap
	r4=$(rate $LINK_MB rd $MNT/s4/f)
	st_show "P3 4-stripe read"
	rm -f $MNT/s1/f $MNT/s4/f
	bench "link-bound 1-stripe ${LINK_MB} MiB: write $w1 MB/s, read $r1 MB/s (link 12.5 MB/s)"
	bench "link-bound 4-stripe ${LINK_MB} MiB: write $w4 MB/s, read $r4 MB/s (sum of links 50 MB/s)"
	row "P3 4-stripe read, of the 4 links' sum, MB/s" "$r4" 50 "link sum" ">=" 0.85
	row "P3 4-stripe read vs 1-stripe, MB/s" "$r4" "$r1" "1-stripe" ">=" 3.5
	row "P3 4-stripe write, of the 4 links' sum, MB/s" "$w4" 50 "link sum" ">=" 0.85
	row "P3 4-stripe write vs 1-stripe, MB/s" "$w4" "$w1" "1-stripe" ">=" 3.5
	# ---- P3c: NFS behind one such link (tests/vm/bench-p11.sh) ----
	sel p3c && p3c_run
	for i in 0 1 2 3; do
		tc qdisc del dev vo$i root 2>/dev/null
		ip netns exec ost$i tc qdisc del dev eth0 root 2>/dev/null
	done
fi

# ---- P3b: P3 with 20 ms more delay per link ----
sel p3b && p3b_run

# ---- P4: metadata with a durable MDS (restarts it) ----
sel p4 && p4_run

timeout -k 5 60 umount $MNT
pass "bench ran"
if [ -n "$ONLY" ]; then
	bench_table
	tess_finish
fi

# ==== P5: HSM restore against FUSE S3 file systems ====
# One 256 MiB object in a local s3rver (on the bridge, 10.77.0.1:9000)
# read three ways: Tessera (imported with `hsm import`, released, read
# through the kernel mount, the OSTs restoring from S3), s3fs-fuse and
# rclone mount (VFS cache off), all with their default settings.
# Figures: time to first byte (4 KiB read after open, caches dropped),
# cold full read, warm re-read (page cache kept), and for Tessera a re-read
# with the page cache dropped (data restored on the OSTs).  Self-contained:
# runs alone with TESS_BENCH_ONLY=p5 (see the top of this file).
P5_MB=${TESS_BENCH_P5_MB:-256}
P5_PORT=9000
P5_EP=http://$MDS_IP:$P5_PORT
P5=$W/p5
mkdir -p $P5/s3data /mnt/s3fs /mnt/rclone $MNT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL=$P5_EP
p5ms() { echo $(( $(date +%s%N) / 1000000 )); }
# ms to open FILE and read its first 4 KiB, caches dropped first, timed
# inside one process (tests/vm/first-byte.c): no fork and exec in it
p5_ttfb() {
	echo 3 > /proc/sys/vm/drop_caches
	$TESS_REPO/build/vm/first-byte "$1" 2>/dev/null || echo error
}
p5_rd() { dd if="$1" of=/dev/null bs=4M; }
p5_cold() { echo 3 > /proc/sys/vm/drop_caches; p5_rd "$1"; }

# the cluster, unless the sections above made it
module_loaded tessera || tess_modules_load || fail "modules" "tess_modules_load failed"
TESS_KEY=$KEY
if [ "$TESS_NOST" = 0 ]; then
	tess_cluster_start 4 "--nosync" "--s3-endpoint $P5_EP --s3-timeout 20" ||
		fail "P5: MDS and 4 OSTs up" "$(tess_osts_up) OSTs up"
else
	# the OSTs again, now restoring from S3, without the link limits
	TESS_OST_ARGS="--s3-endpoint $P5_EP --s3-timeout 20"
	for i in 0 1 2 3; do
		tess_ost_stop $i
		ip netns exec ost$i tc qdisc del dev eth0 root 2>/dev/null
		tc qdisc del dev vo$i root 2>/dev/null
		tess_ost_start $i
	done
	tess_wait_osts || fail "P5: 4 OSTs up again" "$(tess_osts_up) OSTs up"
fi
mountpoint -q $MNT || $B/mount.tessera $MDS_IP@tcp:/fs $MNT -o key=$KEY

# s3rver on the bridge address, which the OSTs' namespaces reach
node --openssl-legacy-provider $TESS_REPO/tests/s3/server.js \
	$P5/s3data $P5_PORT $MDS_IP >>$P5/s3rver.log 2>&1 &
P5_S3PID=$!
tess_wait_until 60 curl -s -m 5 -o /dev/null $P5_EP/
cat > $P5/s3cfg <<CFG
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = $MDS_IP:$P5_PORT
host_bucket = $MDS_IP:$P5_PORT
use_https = False
signature_v2 = False
multipart_chunk_size_mb = 64
CFG
head -c $((P5_MB << 20)) /dev/urandom > $P5/big.bin
P5_SUM=$(sha256sum < $P5/big.bin | cut -c1-64)
if ! s3cmd -c $P5/s3cfg --no-progress mb s3://p5bench >/dev/null 2>$P5/put.log ||
   ! s3cmd -c $P5/s3cfg --no-progress put $P5/big.bin s3://p5bench/big.bin >>$P5/put.log 2>&1; then
	bench "P5 cannot fill the bucket: $(tail -n 2 $P5/put.log | tr '\n' ' ')"
fi
rm -f $P5/big.bin
bench "P5 object: s3://p5bench/big.bin, $P5_MB MiB of random data, s3rver on $P5_EP (QEMU TCG: all figures are relative)"

# s3rver's first GET under TCG includes its own warm-up (hundreds of ms):
# a ranged GET of a few bytes before any of the three is timed
curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -r 0-15 -o /dev/null \
	$P5_EP/p5bench/big.bin

# ---- Tessera: import, read the released file through the kernel mount ----
# p5_import DIR SIZE: the bucket imported into DIR, 4 stripes of SIZE
p5_import() {
	mkdir -p $MNT/$1
	$B/tessctl setstripe -c 4 -S $2 $MNT/$1
	$B/hsm --mds $MDS_IP@tcp --key $KEY import s3://p5bench /$1 >$P5/import-$1.out 2>&1 ||
		bench "P5 tessera: hsm import failed: $(tail -n 2 $P5/import-$1.out | tr '\n' ' ')"
}
p5_release() {	# all in S3 again
	$B/hsm --mds $MDS_IP@tcp --key $KEY release /$1/big.bin >/dev/null 2>&1
}
p5_import p5 1M
TF=$MNT/p5/big.bin
t_ttfb=$(p5_ttfb $TF)
grep -h "hsm: oid" $W/ost*.log | head -3 | sed 's/^/BENCH: P5 diag: /'
p5_release p5
t_cold=$(rate $P5_MB p5_cold $TF)
t_warm=$(rate $P5_MB p5_rd $TF)
t_ost=$(rate $P5_MB p5_cold $TF)
[ "$(sha256sum < $TF | cut -c1-64)" = "$P5_SUM" ] || t_ost="$t_ost (sha256 DIFFERS)"
bench "P5 tessera (4 x 1 MiB stripes, released, kernel mount): first byte $t_ttfb ms, cold full read $t_cold MB/s, warm re-read $t_warm MB/s, re-read from the OSTs (page cache dropped) $t_ost MB/s"
# the same object imported with 8 MiB stripe units: an OST's GET covers at
# most one stripe unit, so this layout makes 8 MiB GETs instead of 1 MiB
# ones (s3rver spends tens of ms of CPU on each request under TCG)
p5_import p5s8 8M
T8=$MNT/p5s8/big.bin
t8_ttfb=$(p5_ttfb $T8)
p5_release p5s8
t8_cold=$(rate $P5_MB p5_cold $T8)
[ "$(sha256sum < $T8 | cut -c1-64)" = "$P5_SUM" ] || t8_cold="$t8_cold (sha256 DIFFERS)"
bench "P5 tessera (4 x 8 MiB stripes): first byte $t8_ttfb ms, cold full read $t8_cold MB/s"

# ---- s3fs-fuse ----
modprobe fuse 2>/dev/null
s_ttfb=n/a s_cold=n/a s_warm=n/a
if ! command -v s3fs >/dev/null; then
	bench "P5 s3fs: not installed (apt-get install s3fs)"
else
	echo S3RVER:S3RVER > $P5/s3fs.pw
	chmod 600 $P5/s3fs.pw
	if s3fs p5bench /mnt/s3fs -o url=$P5_EP -o use_path_request_style \
		-o passwd_file=$P5/s3fs.pw -o endpoint=us-east-1 >$P5/s3fs.log 2>&1 &&
	   n=0 && until [ -e /mnt/s3fs/big.bin ] || [ $n -gt 100 ]; do sleep 0.2; n=$((n + 1)); done &&
	   [ -e /mnt/s3fs/big.bin ]; then
		s_ttfb=$(p5_ttfb /mnt/s3fs/big.bin)
		s_cold=$(rate $P5_MB p5_cold /mnt/s3fs/big.bin)
		s_warm=$(rate $P5_MB p5_rd /mnt/s3fs/big.bin)
		[ "$(sha256sum < /mnt/s3fs/big.bin | cut -c1-64)" = "$P5_SUM" ] || s_warm="$s_warm (sha256 DIFFERS)"
		bench "P5 s3fs (defaults, no use_cache): first byte $s_ttfb ms, cold full read $s_cold MB/s, warm re-read $s_warm MB/s"
	else
		bench "P5 s3fs: cannot mount s3rver's bucket: $(tail -n 2 $P5/s3fs.log | tr '\n' ' ')"
	fi
	umount /mnt/s3fs 2>/dev/null
fi

# ---- rclone mount ----
r_ttfb=n/a r_cold=n/a r_warm=n/a
if ! command -v rclone >/dev/null; then
	bench "P5 rclone: not installed (apt-get install rclone fuse3)"
else
	export RCLONE_CONFIG_P5_TYPE=s3 RCLONE_CONFIG_P5_PROVIDER=Other \
		RCLONE_CONFIG_P5_ENDPOINT=$P5_EP RCLONE_CONFIG_P5_ACCESS_KEY_ID=S3RVER \
		RCLONE_CONFIG_P5_SECRET_ACCESS_KEY=S3RVER RCLONE_CONFIG_P5_FORCE_PATH_STYLE=true
	rclone mount p5:p5bench /mnt/rclone --read-only >$P5/rclone.log 2>&1 &
	P5_RCPID=$!
	n=0
	until [ -e /mnt/rclone/big.bin ] || [ $n -gt 150 ]; do sleep 0.2; n=$((n + 1)); done
	if [ -e /mnt/rclone/big.bin ]; then
		r_ttfb=$(p5_ttfb /mnt/rclone/big.bin)
		r_cold=$(rate $P5_MB p5_cold /mnt/rclone/big.bin)
		r_warm=$(rate $P5_MB p5_rd /mnt/rclone/big.bin)
		[ "$(sha256sum < /mnt/rclone/big.bin | cut -c1-64)" = "$P5_SUM" ] || r_warm="$r_warm (sha256 DIFFERS)"
		bench "P5 rclone mount (--vfs-cache-mode off): first byte $r_ttfb ms, cold full read $r_cold MB/s, warm re-read $r_warm MB/s"
	else
		bench "P5 rclone: cannot mount s3rver's bucket: $(tail -n 2 $P5/rclone.log | tr '\n' ' ')"
	fi
	umount /mnt/rclone 2>/dev/null
	kill $P5_RCPID 2>/dev/null
	tess_wait_pid 20 $P5_RCPID
fi

echo "$t_ttfb $s_ttfb $t_cold $r_cold $t_warm $s_warm $t8_cold" | awk '
	function f(x) { return x ~ /^[0-9.]+$/ && x + 0 > 0 }
	{
		if (f($1) && f($2)) printf "BENCH: P5 first byte: tessera %d ms = %.3f of s3fs (target <= 0.1)\n", $1, $1 / $2
		else print "BENCH: P5 first byte: no ratio (tessera " $1 ", s3fs " $2 ")"
		if (f($3) && f($4)) printf "BENCH: P5 cold full read: tessera/rclone %.2fx (target >= 1.0x)\n", $3 / $4
		else print "BENCH: P5 cold full read: no ratio (tessera " $3 ", rclone " $4 ")"
		if (f($7) && f($4)) printf "BENCH: P5 cold full read, 8 MiB stripes: tessera/rclone %.2fx\n", $7 / $4
		if (f($5) && f($6)) printf "BENCH: P5 warm re-read: tessera/s3fs %.1fx (target >= 5x)\n", $5 / $6
		else print "BENCH: P5 warm re-read: no ratio (tessera " $5 ", s3fs " $6 ")"
	}'
row "P5 first byte, ms (lower is better)" "$t_ttfb" "$s_ttfb" s3fs "<=" 0.1
row "P5 cold full read, MB/s" "$t_cold" "$r_cold" rclone ">=" 1.0
row "P5 warm re-read, MB/s" "$t_warm" "$s_warm" s3fs ">=" 5
kill $P5_S3PID 2>/dev/null
tess_wait_pid 20 $P5_S3PID
pass "bench P5 ran"
if [ "$ONLY" != p5 ]; then
	. "$TESS_REPO/tests/vm/bench-p6.sh"
	p6_rows
fi
bench_table
tess_finish
