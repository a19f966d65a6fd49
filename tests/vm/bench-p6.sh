# ==== P6: RDMA over soft-RoCE (sourced by tests/vm/suites/bench.sh) ====
# The cluster of the sections above is stopped; an MDS and 4 OSTs run in
# this namespace at 10.88.0.1 (rxe0 on veth rv0: rdma_rxe works within one
# namespace only on 6.1), each on @rdma and @tcp.  Figures: a 1 GiB
# 4-stripe (4 MiB stripes) write+fsync and cold read through a mount
# over @rdma and through one over @tcp, next to perftest's raw verbs
# bandwidth on the same device (ib_write_bw, ib_read_bw, ib_send_bw,
# 1 MiB messages).  Runs alone with TESS_BENCH_ONLY=p6.
P6_MB=${TESS_BENCH_P6_MB:-$SIZE_MB}
P6=$W/p6
timeout -k 5 60 umount $MNT 2>/dev/null
tess_cluster_kill
TESS_NET=rdma
TESS_MDS_IP=10.88.0.1
TESS_W=$P6
mkdir -p $P6 $MNT
module_loaded tessera || tess_modules_load || fail "P6: modules" "tess_modules_load failed"
TESS_KEY=$KEY
tess_cluster_start 4 "--nosync" || fail "P6: MDS and 4 OSTs up over @rdma" "$(tess_osts_up) OSTs up"

# perftest: N MiB in 1 MiB messages between two processes on rxe0
p6_perf() {
	local tool=$1 out
	timeout -k 5 300 $tool -d rxe0 -s 1048576 -n "$P6_MB" >/dev/null 2>&1 &
	sleep 1
	# perftest's MB/sec are MiB/s: in MB/s as the figures here
	out=$(timeout -k 5 300 $tool -d rxe0 -s 1048576 -n "$P6_MB" $TESS_MDS_IP 2>/dev/null |
		awk '$1 == 1048576 { printf "%.1f", $4 * 1.048576 }')
	wait
	echo "${out:-error}"
}
pw=$(p6_perf ib_write_bw)
pr=$(p6_perf ib_read_bw)
ps=$(p6_perf ib_send_bw)
bench "P6 raw verbs on rxe0, 1 MiB messages: ib_write_bw $pw MB/s, ib_read_bw $pr MB/s, ib_send_bw $ps MB/s"

for net in rdma tcp; do
	if $B/mount.tessera $TESS_MDS_IP@$net:/fs $MNT -o key=$KEY; then
		mkdir -p $MNT/p6
		$B/tessctl setstripe -c 4 -S 4M $MNT/p6
		w=$(rate $P6_MB wr $MNT/p6/big $P6_MB)
		r=$(rate $P6_MB rd $MNT/p6/big)
		rm -f $MNT/p6/big
		timeout -k 5 60 umount $MNT
	else
		w=error
		r=error
	fi
	eval "p6w_$net=\$w p6r_$net=\$r"
	bench "P6 tessera over @$net, 4-stripe ${P6_MB} MiB: write+fsync $w MB/s, cold read $r MB/s"
done
echo "$p6w_rdma $p6r_rdma $pw $pr $ps $p6w_tcp $p6r_tcp" | awk '
	function f(x) { return x ~ /^[0-9.]+$/ && x + 0 > 0 }
	{
		if (f($1) && f($3)) printf "BENCH: P6 @rdma write / ib_write_bw: %.0f%% (target >= 80%%)\n", 100 * $1 / $3
		if (f($2) && f($4)) printf "BENCH: P6 @rdma read / ib_read_bw: %.0f%% (target >= 80%%)\n", 100 * $2 / $4
		if (f($1) && f($5) && f($2)) printf "BENCH: P6 @rdma of ib_send_bw (what the SEND/RECV stream can reach): write %.0f%%, read %.0f%%\n", 100 * $1 / $5, 100 * $2 / $5
		if (f($1) && f($6) && f($2) && f($7)) printf "BENCH: P6 @rdma / @tcp on the same link: write %.2fx, read %.2fx\n", $1 / $6, $2 / $7
	}'
pass "bench P6 ran"
