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
# Under S3-like conditions (issue #13): the S3 server (tests/s3/server.js,
# the strict SigV4 front over s3rver) runs in network namespace "s3" at
# 10.77.0.100, behind veth vs3 on the bridge; netem delays what goes to it
# by TESS_BENCH_P5_DELAY (20ms: the round trip of every connection grows
# by that much) and fq paces each connection it sends on to
# TESS_BENCH_P5_RATE (80mbit, fq maxrate: per flow, no cap on the sum).
# Every client goes through that one link: the OSTs (--s3-endpoint) from
# their namespaces, `hsm import`, s3fs, rclone mount and the uploads
# (s3cmd, rclone copy) from this one.
# One TESS_BENCH_P5_MB (256) MiB object read three ways: Tessera (imported
# with `hsm import`, released, read through the kernel mount, the OSTs
# restoring from S3), s3fs-fuse and rclone mount (VFS cache off), all with
# their default settings.  Figures: time to first byte (4 KiB read after
# open, caches dropped), cold full read, warm re-read (page cache kept),
# and for Tessera a re-read with the page cache dropped (data restored on
# the OSTs).  Then TESS_BENCH_P5_NOBJ (400: the issue's 2,000 took over
# 7 min to upload under TCG) objects of 100-200 KiB in a
# second bucket: `hsm import` of them (keys/s, peak RSS) next to
# `rclone lsf -R`, and a cold read of all of them by 4 reader processes,
# Tessera against rclone mount.  Each figure prints "BENCH: P5 ..." with
# the ratio against the peer measured in this run and the issue's target.
# Self-contained: runs alone with TESS_BENCH_ONLY=p5 (see the top of this
# file).
P5_MB=${TESS_BENCH_P5_MB:-256}
P5_NOBJ=${TESS_BENCH_P5_NOBJ:-400}
P5_DELAY=${TESS_BENCH_P5_DELAY:-20ms}
P5_RATE=${TESS_BENCH_P5_RATE:-80mbit}
P5_IP=10.77.0.100
P5_PORT=9000
P5_EP=http://$P5_IP:$P5_PORT
P5=$W/p5
mkdir -p $P5/s3data /mnt/s3fs /mnt/rclone /mnt/rclone-img $MNT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL=$P5_EP
unset AWS_CA_BUNDLE	# (rclone refuses one with its own HTTP transport)
export RCLONE_CONFIG_P5_TYPE=s3 RCLONE_CONFIG_P5_PROVIDER=Other \
	RCLONE_CONFIG_P5_ENDPOINT=$P5_EP RCLONE_CONFIG_P5_ACCESS_KEY_ID=S3RVER \
	RCLONE_CONFIG_P5_SECRET_ACCESS_KEY=S3RVER RCLONE_CONFIG_P5_FORCE_PATH_STYLE=true
# ms to open FILE and read its first 4 KiB, caches dropped first, timed
# inside one process (tests/vm/first-byte.c): no fork and exec in it
p5_ttfb() {
	echo 3 > /proc/sys/vm/drop_caches
	$TESS_REPO/build/vm/first-byte "$1" 2>/dev/null || echo error
}
p5_rd() { dd if="$1" of=/dev/null bs=4M; }
p5_cold() { echo 3 > /proc/sys/vm/drop_caches; p5_rd "$1"; }
# seconds a command takes (its output discarded), or "error"
p5_time() {
	_t0=$(date +%s.%N)
	"$@" > /dev/null 2>&1 || { echo error; return; }
	_t1=$(date +%s.%N)
	echo "$_t0 $_t1" | awk '{ printf "%.2f", $2 - $1 }'
}
# p5_many DIR: cold read of the P5_NOBJ objects under DIR by 4 reader
# processes (each cat reads a quarter of them in turn), bounded
p5_many() {
	echo 3 > /proc/sys/vm/drop_caches
	(cd "$1" && timeout -k 5 900 xargs -P 4 -n $(((P5_NOBJ + 3) / 4)) cat < $P5/names > /dev/null)
}
# p5_cmp FIGURE TESSERA PEER PEERNAME OP TARGET: "BENCH: P5 FIGURE" with
# the ratio tessera/peer and whether the issue's target is met, and the
# closing table's row
p5_cmp() {
	echo "$2|$3" | awk -F'|' -v fig="$1" -v pn="$4" -v op="$5" -v tg="$6" '
	function num(x) { return x ~ /^[0-9.]+$/ && x + 0 > 0 }
	{
		if (num($1) && num($2)) {
			r = $1 / $2
			if (op == ">=") m = r >= tg ? "met" : "NOT met"
			else if (op == "<=") m = r <= tg ? "met" : "NOT met"
			if (op == "report")
				printf "BENCH: P5 %s: tessera %s, %s %s: ratio %.3fx (no target: reported)\n",
					fig, $1, pn, $2, r
			else
				printf "BENCH: P5 %s: tessera %s, %s %s: ratio %.3fx (target %s %sx): %s\n",
					fig, $1, pn, $2, r, op, tg, m
		} else
			printf "BENCH: P5 %s: no ratio: not measured or not valid (tessera %s, %s %s; target %s)\n",
				fig, $1, pn, $2, op == "report" ? "none" : op " " tg "x"
	}'
	row "P5 $1" "$2" "$3" "$4" "$5" "$6"
}
# the OSTs' restores between p5_mark and p5_fetches LABEL: GETs, bytes,
# their mean and longest time (the OSTs' "fetched" log lines), and the
# GETs in flight on average (their summed time over the wall time)
p5_mark() {
	for _i in 0 1 2 3; do wc -l < $W/ost$_i.log 2>/dev/null || echo 0; done > $P5/mark
	date +%s.%N > $P5/mark.t
}
p5_fetches() {
	_i=0
	for _n in $(cat $P5/mark); do
		tail -n +$((_n + 1)) $W/ost$_i.log 2>/dev/null
		_i=$((_i + 1))
	done | sed -n 's/.*hsm: oid .* fetched s3:.*(\([0-9]*\) bytes, \([0-9]*\) ms\(.*\)).*/\1 \2 \3/p' |
	awk -v l="$1" -v t0="$(cat $P5/mark.t)" -v t1="$(date +%s.%N)" '
	{ n++; b += $1; ms += $2; if ($2 > mx) mx = $2; if ($0 ~ /readahead/) ra++ }
	END {
		if (!n) { print "BENCH:   P5 " l ": no GET logged by the OSTs"; exit }
		printf "BENCH:   P5 %s: OSTs made %d GETs (%d readahead), %.1f MiB, mean %.0f KiB and %.0f ms each, longest %d ms, %.1f in flight on average over %.1f s\n",
			l, n, ra, b / 1048576, b / n / 1024, ms / n, mx, ms / 1000 / (t1 - t0), t1 - t0
	}'
}

# the S3 server's namespace and link (cluster_net's bridge first)
cluster_net 4
if ! ip link show vs3 >/dev/null 2>&1; then
	ip netns add s3
	ip link add vs3 type veth peer name eth0 netns s3
	ip link set vs3 master br0 up
	ip -n s3 addr add $P5_IP/24 dev eth0
	ip -n s3 link set eth0 up
	ip -n s3 link set lo up
fi
modprobe sch_netem 2>/dev/null
modprobe sch_fq 2>/dev/null
P5_LINK="netem delay $P5_DELAY toward the server (vs3), fq maxrate $P5_RATE per connection from it (s3's eth0)"
tc qdisc replace dev vs3 root netem delay $P5_DELAY limit 100000 2>$P5/tc.err ||
	P5_LINK="$P5_LINK; netem FAILED: $(head -n 1 $P5/tc.err)"
ip netns exec s3 tc qdisc replace dev eth0 root fq maxrate $P5_RATE 2>$P5/tc.err ||
	P5_LINK="$P5_LINK; fq FAILED: $(head -n 1 $P5/tc.err)"
bench "P5 link: $(tc qdisc show dev vs3 | head -n 1) | s3: $(ip netns exec s3 tc qdisc show dev eth0 | head -n 1)"

# the S3 server in its namespace (the Tessera mounts detached in its mount
# namespace, as for the OSTs: lib.sh's _TESS_NS_EXEC), started before the
# OSTs so their start-up probe finds it
ip netns exec s3 sh -c "$_TESS_NS_EXEC" sh node --openssl-legacy-provider \
	$TESS_REPO/tests/s3/server.js $P5/s3data $P5_PORT $P5_IP >>$P5/s3rver.log 2>&1 &
P5_S3PID=$!
tess_wait_until 60 curl -s -m 5 -o /dev/null $P5_EP/ ||
	bench "P5: the S3 server at $P5_EP does not answer: $(tail -n 2 $P5/s3rver.log | tr '\n' ' ')"

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
grep -h "S3 endpoint" $W/ost0.log | tail -n 1 | sed 's/^/BENCH: P5 ost0: /'

cat > $P5/s3cfg <<CFG
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = $P5_IP:$P5_PORT
host_bucket = $P5_IP:$P5_PORT
use_https = False
signature_v2 = False
multipart_chunk_size_mb = 64
CFG
head -c $((P5_MB << 20)) /dev/urandom > $P5/big.bin
P5_SUM=$(sha256sum < $P5/big.bin | cut -c1-64)
t_put=$(p5_time sh -c "s3cmd -c $P5/s3cfg --no-progress mb s3://p5bench >$P5/put.log 2>&1 &&
	s3cmd -c $P5/s3cfg --no-progress put $P5/big.bin s3://p5bench/big.bin >>$P5/put.log 2>&1")
[ "$t_put" != error ] ||
	bench "P5 cannot fill the bucket: $(tail -n 2 $P5/put.log | tr '\n' ' ')"
rm -f $P5/big.bin
bench "P5 object: s3://p5bench/big.bin, $P5_MB MiB of random data (s3cmd put: $t_put s), S3 server in netns s3 at $P5_EP; link: $P5_LINK (delay $P5_DELAY, rate $P5_RATE); QEMU TCG: all figures are relative"

# P5_NOBJ objects of 100-200 KiB (random sizes, fixed seed) in bucket
# p5img, uploaded by rclone copy (16 at a time) through the same link
mkdir -p $P5/img
P5_IMG_B=$(python3 - $P5/img $P5_NOBJ <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
random.seed(13)
t = 0
for i in range(n):
    b = os.urandom(random.randint(100, 200) * 1024)
    with open("%s/%05d.jpg" % (d, i), "wb") as f:
        f.write(b)
    t += len(b)
print(t)
PY
)
awk -v n=$P5_NOBJ 'BEGIN { for (i = 0; i < n; i++) printf "%05d.jpg\n", i }' > $P5/names
P5_IMG_MB=$(echo "${P5_IMG_B:-0}" | awk '{ printf "%.1f", $1 / 1048576 }')
P5_IMG_SUM=$( (cd $P5/img && xargs cat < $P5/names) | sha256sum | cut -c1-64)
p5_up=rclone
t_up=$(p5_time sh -c "timeout -k 5 900 rclone copy $P5/img p5:p5img --transfers 16 --checkers 16 >$P5/up.log 2>&1")
if [ "$t_up" = error ]; then
	bench "P5 rclone copy of the objects failed: $(tail -n 3 $P5/up.log | tr '\n' ' '); s3cmd put instead"
	p5_up=s3cmd
	t_up=$(p5_time sh -c "s3cmd -c $P5/s3cfg --no-progress mb s3://p5img >>$P5/up.log 2>&1;
		timeout -k 5 900 s3cmd -c $P5/s3cfg --no-progress put --recursive $P5/img/ s3://p5img/ >>$P5/up.log 2>&1")
fi
rm -rf $P5/img
bench "P5 objects: $P5_NOBJ of 100-200 KiB ($P5_IMG_MB MiB) in s3://p5img, uploaded by $p5_up in $t_up s ($(echo "$P5_NOBJ $t_up" | awk '$2 + 0 > 0 { printf "%.0f objects/s", $1 / $2 }'))"
[ "$t_up" != error ] || bench "P5 upload of the objects failed: $(tail -n 3 $P5/up.log | tr '\n' ' ')"

# the link as a client sees it: TCP connect time (one round trip) and one
# connection's rate (a ranged GET of up to 16 MiB); also s3rver's warm-up
# (its first GET under TCG takes hundreds of ms) before anything is timed
p5_r=$(( (P5_MB < 16 ? P5_MB : 16) << 20 ))
curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -r 0-15 -o /dev/null \
	$P5_EP/p5bench/big.bin
bench "P5 link check from this namespace: $(curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -r 0-$((p5_r - 1)) -o /dev/null \
	-w 'TCP connect %{time_connect} s, first byte %{time_starttransfer} s, %{size_download} bytes at %{speed_download} B/s' \
	$P5_EP/p5bench/big.bin)"
bench "P5 link check from ost0: $(ip netns exec ost0 curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -r 0-$((p5_r - 1)) -o /dev/null \
	-w 'TCP connect %{time_connect} s, first byte %{time_starttransfer} s, %{size_download} bytes at %{speed_download} B/s' \
	$P5_EP/p5bench/big.bin)"

# what the S3 server gives many connections at once, as the OSTs' fetchers
# open them: 4 GETs of 1 MiB from each OST's namespace together; next to
# one connection's rate above, whether the server side (s3rver, the strict
# front, the link) caps Tessera's cold reads, not the OSTs
p5_par() {
	for i in 0 1 2 3; do
		for j in 0 1 2 3; do
			o=$(( ((i * 4 + j) % (P5_MB > 0 ? P5_MB : 1)) << 20 ))
			ip netns exec ost$i curl -s --aws-sigv4 "aws:amz:us-east-1:s3" \
				--user S3RVER:S3RVER -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
				-r $o-$((o + (1 << 20) - 1)) -o /dev/null $P5_EP/p5bench/big.bin &
		done
	done
	wait
}
t_par=$(p5_time p5_par)
bench "P5 link check, 16 GETs of 1 MiB at once from the OSTs' namespaces: $t_par s, $(echo "$t_par" | awk '$1 + 0 > 0 { printf "%.1f MB/s together", 16 * 1.048576 / $1 }')"

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
p5_mark
t_ttfb=$(p5_ttfb $TF)
p5_fetches "first byte, 4 x 1 MiB"
p5_release p5
p5_mark
st_snap
t_cold=$(rate $P5_MB p5_cold $TF)
st_show "P5 cold read"
p5_fetches "cold read, 4 x 1 MiB"
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
p5_mark
t8_cold=$(rate $P5_MB p5_cold $T8)
p5_fetches "cold read, 4 x 8 MiB"
[ "$(sha256sum < $T8 | cut -c1-64)" = "$P5_SUM" ] || t8_cold="$t8_cold (sha256 DIFFERS)"
bench "P5 tessera (4 x 8 MiB stripes): first byte $t8_ttfb ms, cold full read $t8_cold MB/s"

# the objects: import (timed, peak RSS), then the cold read by 4 readers;
# one stripe per file (1 MiB unit: a file is one OST object, one GET)
mkdir -p $MNT/p5img
$B/tessctl setstripe -c 1 -S 1M $MNT/p5img
p5_imp_img() {
	/usr/bin/time -f %M -o $P5/import-img.rss timeout -k 5 900 \
		$B/hsm --mds $MDS_IP@tcp --key $KEY import s3://p5img /p5img >$P5/import-img.out 2>&1
}
t_imp=$(p5_time p5_imp_img)
[ "$t_imp" != error ] || bench "P5 tessera: hsm import of s3://p5img failed: $(tail -n 2 $P5/import-img.out | tr '\n' ' ')"
imp_rss=$(tail -n 1 $P5/import-img.rss 2>/dev/null)
imp_ks=$(echo "$P5_NOBJ $t_imp" | awk '$2 ~ /^[0-9.]+$/ && $2 > 0 { printf "%.0f", $1 / $2 }')
bench "P5 tessera import of $P5_NOBJ keys: $t_imp s, ${imp_ks:-n/a} keys/s, peak RSS ${imp_rss:-n/a} KiB: $(grep '^import:' $P5/import-img.out | tail -n 1)"
p5_mark
st_snap
t_many=$(p5_time p5_many $MNT/p5img)
st_show "P5 $P5_NOBJ objects"
p5_fetches "$P5_NOBJ objects, 4 readers"
t_many_os=$(echo "$P5_NOBJ $t_many" | awk '$2 ~ /^[0-9.]+$/ && $2 > 0 { printf "%.1f", $1 / $2 }')
[ "$( (cd $MNT/p5img && xargs cat < $P5/names) | sha256sum | cut -c1-64)" = "$P5_IMG_SUM" ] ||
	t_many_os="$t_many_os (sha256 DIFFERS)"
bench "P5 tessera cold read of $P5_NOBJ objects ($P5_IMG_MB MiB), 4 reader processes: $t_many s, ${t_many_os:-n/a} objects/s"
$B/hsm --mds $MDS_IP@tcp --key $KEY counters 2>&1 | sed 's/^/BENCH:   P5 hsm counters: /'

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
r_ttfb=n/a r_cold=n/a r_warm=n/a r_many=n/a r_many_os=n/a t_lsf=n/a lsf_ks=n/a
if ! command -v rclone >/dev/null; then
	bench "P5 rclone: not installed (apt-get install rclone fuse3)"
else
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

	# the objects: a bare listing, then a mount of their bucket, nothing
	# listed before the timed cold read
	p5_lsf() { timeout -k 5 600 rclone lsf -R p5:p5img > $P5/lsf.out 2>$P5/lsf.err; }
	t_lsf=$(p5_time p5_lsf)
	lsf_n=$(wc -l < $P5/lsf.out)
	lsf_ks=$(echo "$lsf_n $t_lsf" | awk '$2 ~ /^[0-9.]+$/ && $2 > 0 { printf "%.0f", $1 / $2 }')
	bench "P5 rclone lsf -R p5:p5img: $lsf_n keys in $t_lsf s, ${lsf_ks:-n/a} keys/s"
	[ "$t_lsf" != error ] || bench "P5 rclone lsf failed: $(tail -n 2 $P5/lsf.err | tr '\n' ' ')"
	rclone mount p5:p5img /mnt/rclone-img --read-only >$P5/rclone-img.log 2>&1 &
	P5_RCPID=$!
	if tess_wait_until 30 mountpoint -q /mnt/rclone-img; then
		r_many=$(p5_time p5_many /mnt/rclone-img)
		r_many_os=$(echo "$P5_NOBJ $r_many" | awk '$2 ~ /^[0-9.]+$/ && $2 > 0 { printf "%.1f", $1 / $2 }')
		[ "$( (cd /mnt/rclone-img && xargs cat < $P5/names) | sha256sum | cut -c1-64)" = "$P5_IMG_SUM" ] ||
			r_many_os="$r_many_os (sha256 DIFFERS)"
		bench "P5 rclone mount cold read of $P5_NOBJ objects ($P5_IMG_MB MiB), 4 reader processes: $r_many s, ${r_many_os:-n/a} objects/s"
	else
		bench "P5 rclone: cannot mount s3://p5img: $(tail -n 2 $P5/rclone-img.log | tr '\n' ' ')"
	fi
	umount /mnt/rclone-img 2>/dev/null
	kill $P5_RCPID 2>/dev/null
	tess_wait_pid 20 $P5_RCPID
fi

bench "P5 figures (S3 link: delay $P5_DELAY, $P5_RATE per connection; ratios against the peer in this run, targets of issue #13):"
p5_cmp "first byte, ms (lower is better)" "$t_ttfb" "$s_ttfb" s3fs "<=" 0.1
p5_cmp "cold full read ${P5_MB} MiB, MB/s" "$t_cold" "$r_cold" rclone ">=" 2
p5_cmp "cold full read, 8 MiB stripes, MB/s" "$t8_cold" "$r_cold" rclone ">=" 2
p5_cmp "cold read $P5_NOBJ objects, 4 procs, obj/s" "$t_many_os" "$r_many_os" rclone ">=" 2
p5_cmp "warm re-read ${P5_MB} MiB, MB/s" "$t_warm" "$s_warm" s3fs ">=" 5
p5_cmp "import $P5_NOBJ keys vs lsf -R, keys/s" "${imp_ks:-n/a}" "${lsf_ks:-n/a}" "rclone-lsf" report ""
kill $P5_S3PID 2>/dev/null
tess_wait_pid 20 $P5_S3PID
pass "bench P5 ran"
if [ "$ONLY" != p5 ]; then
	. "$TESS_REPO/tests/vm/bench-p6.sh"
	p6_rows
fi
bench_table
tess_finish
