# ==== issue #11's figures (sourced by tests/vm/suites/bench.sh) ====
# Helpers (CPU per GiB, client stats per figure, the closing table, the
# NFS peer) and the sections P3b, P3c, P4 and P7.  Every figure is a ratio
# to a peer or a limit measured or set in the same VM run; bench is
# figures, not tests: a target not met is printed as such, not failed.

# ---- CPU seconds per GiB ----
# Busy jiffies of the whole guest (user nice system irq softirq steal of
# /proc/stat's "cpu" line).  Guest-wide on purpose: Tessera's MDS and
# OSTs and NFS's nfsd all run in this guest, so each figure includes its
# servers' work as well as the client's, the same for both.
cpu_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
# crate MB CMD...: prints "MB/s CPU-s/GiB" of CMD, which moves MB MiB
crate() {
	_mb=$1
	shift
	_c0=$(cpu_busy)
	_t0=$(date +%s.%N)
	"$@" > /dev/null 2>&1 || { echo "error error"; return; }
	_t1=$(date +%s.%N)
	_c1=$(cpu_busy)
	echo "$_mb $_t0 $_t1 $_c0 $_c1 $(getconf CLK_TCK)" |
		awk '{ printf "%.1f %.2f", $1 * 1.048576 / ($3 - $2), ($5 - $4) / $6 / ($1 / 1024) }'
}

# ---- the mount's client stats around a figure ----
# st_snap before, st_show LABEL after: per OST, the change of the RPC
# counters of `tessctl stats MNT` (utils/tessctl_stats.c) over the figure,
# one line per OST (columns found by name in its header; levels such as
# max_in_flight printed as they are).
st_snap() {
	$B/tessctl stats ${1:-$MNT} > $W/st0 2>/dev/null || : > $W/st0
}
st_show() {
	if ! $B/tessctl stats ${2:-$MNT} > $W/st1 2>$W/st.err; then
		bench "  stats $1: tessctl stats failed: $(head -n 1 $W/st.err)"
		return
	fi
	awk -v l="$1" '
	function g(k) { return (k in col) ? v[col[k]] - (FILENAME == ARGV[2] ? b[$1, col[k]] : 0) : "?" }
	function m(k) { x = g(k); return x == "?" ? x : sprintf("%.1f", x / 1048576) }
	$1 == "OST" { for (i = 2; i <= NF; i++) col[$i] = i; next }
	$1 !~ /^[0-9]+$/ { next }
	FILENAME == ARGV[1] { for (i = 2; i <= NF; i++) b[$1, i] = $i; next }
	{
		for (i = 2; i <= NF; i++) v[i] = $i
		e = g("read_errors") + g("write_errors")
		printf "BENCH:   stats %s: ost%s read %s RPCs %s MiB, write %s RPCs %s MiB, errors %s, in_flight %s, max_in_flight %s\n",
			l, $1, g("read_rpcs"), m("read_bytes"), g("write_rpcs"), m("write_bytes"), e,
			("in_flight" in col) ? $col["in_flight"] : "?", ("max_in_flight" in col) ? $col["max_in_flight"] : "?"
	}' $W/st0 $W/st1
}

# ---- the closing table ----
# row FIGURE TESSERA PEER PEER_NAME OP TARGET: OP ">=" or "<=" (the ratio
# TESSERA/PEER against TARGET), or "report" (no target)
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >> $W/rows
}
bench_table() {
	[ -s $W/rows ] || return 0
	echo "BENCH: ==== issue #11 figures, one VM run (QEMU TCG; ratios are what count) ===="
	awk -F'\t' '
	function num(x) { return x ~ /^[0-9.]+$/ && x + 0 > 0 }
	BEGIN { printf "BENCH: | %-52s | %9s | %-22s | %7s | %-10s | %-7s |\n", "figure", "tessera", "peer", "ratio", "target", "met" }
	{
		if (num($2) && num($3)) {
			r = $2 / $3
			rs = sprintf("%.2fx", r)
			if ($5 == ">=") met = r >= $6 ? "met" : "NOT met"
			else if ($5 == "<=") met = r <= $6 ? "met" : "NOT met"
			else met = "-"
		} else {
			rs = "n/a"
			met = $5 == "report" ? "-" : "no figure"
		}
		tg = $5 == "report" ? "reported" : $5 " " $6 "x"
		printf "BENCH: | %-52s | %9s | %-22s | %7s | %-10s | %-7s |\n", $1, $2, $3 " " $4, rs, tg, met
	}' $W/rows
	rm -f $W/rows
}

# ---- the NFS peer ----
# kernel NFSv4.2 server in this guest exporting a tmpfs (the OSTs' and the
# MDS's stores are on the guest's tmpfs too), `sync` export (NFS's
# default, written out: P4 compares it with a durable MDS).  nfs_up:
# status 0 if nfsd runs.
NFS_STATE=
nfs_up() {
	[ -z "$NFS_STATE" ] || return $NFS_STATE
	NFS_STATE=1
	modprobe nfsd 2>/dev/null && command -v rpc.nfsd >/dev/null || return 1
	mountpoint -q /export || mount -t tmpfs tmpfs /export
	mount -t nfsd nfsd /proc/fs/nfsd 2>/dev/null
	echo "/export *(rw,sync,no_root_squash,insecure,no_subtree_check,fsid=0)" > /etc/exports
	rpcbind -w 2>/dev/null || rpcbind 2>/dev/null
	exportfs -ra
	rpc.mountd -N 2 -N 3
	rpc.nfsd -N 3 8 || return 1
	sleep 1
	NFS_STATE=0
}
nfs_mount() {	# [SERVER_IP]
	nfs_up || return 1
	timeout -k 5 60 mount -t nfs -o vers=4.2 ${1:-127.0.0.1}:/ /mnt/nfs
}
nfs_umount() {
	timeout -k 5 60 umount /mnt/nfs
}

# ---- P7: 4 KiB random reads, 4 jobs, O_DIRECT ----
P7_MB=${TESS_BENCH_P7_MB:-64}	# per job
P7_T=${TESS_BENCH_P7_SECONDS:-15}
# p7_fio DIR: read IOPS of fio over 4 files of P7_MB MiB in DIR (laid
# out by fio before the timed part)
p7_fio() {
	mkdir -p $1
	fio --name=p7 --directory=$1 --rw=randread --bs=4k --numjobs=4 --direct=1 \
		--ioengine=psync --time_based --runtime=$P7_T --size=${P7_MB}M \
		--group_reporting --output-format=terse --terse-version=3 2>$W/p7.err |
		awk -F';' 'NR == 1 && $8 + 0 > 0 { printf "%.0f", $8; ok = 1 } END { if (!ok) print "error" }'
	rm -rf $1
}
p7_run() {
	if ! command -v fio >/dev/null; then
		bench "P7: fio not installed (apt-get install fio)"
		return
	fi
	st_snap
	t7=$(p7_fio $MNT/s4/p7)
	bench "P7 tessera 4-stripe, 4 x ${P7_MB} MiB, 4 KiB randread O_DIRECT x 4 jobs, ${P7_T} s: $t7 IOPS"
	st_show P7
	n7=n/a
	if nfs_mount; then
		n7=$(p7_fio /mnt/nfs/p7)
		nfs_umount
	fi
	bench "P7 nfs v4.2, the same: $n7 IOPS"
	[ "$t7" != error ] || bench "P7 fio: $(tail -n 2 $W/p7.err | tr '\n' ' ')"
	row "P7 4K randread O_DIRECT 4 jobs, IOPS" "$t7" "$n7" nfs4.2 ">=" 1.0
}

# ---- P3b: P3's links with 20 ms more delay each way ----
# netem with its own rate (netem's rate limits like P3's tbf, after the
# delay), on both ends of each OST's veth: RTT + 2 x delay.
P3B_DELAY=${TESS_BENCH_P3B_DELAY:-20ms}
p3b_run() {
	for i in 0 1 2 3; do
		tc qdisc replace dev vo$i root netem delay $P3B_DELAY rate 100mbit limit 10000
		ip netns exec ost$i tc qdisc replace dev eth0 root netem delay $P3B_DELAY rate 100mbit limit 10000
	done
	if command -v iperf3 >/dev/null; then
		ip netns exec ost0 iperf3 -s -D -1 >/dev/null 2>&1
		sleep 0.5
		l=$(iperf3 -c 10.77.0.10 -t 5 -f M 2>/dev/null | awk '/receiver/ { printf "%.1f", $(NF-2) * 1.048576 }')
		bench "P3b iperf3 over one OST link (100 Mbit/s, +$P3B_DELAY each way), 1 stream: ${l:-n/a} MB/s"
	fi
	st_snap
	bw=$(rate $LINK_MB wr $MNT/s4/fb $LINK_MB)
	st_show "P3b write"
	st_snap
	br=$(rate $LINK_MB rd $MNT/s4/fb)
	st_show "P3b read"
	rm -f $MNT/s4/fb
	bench "P3b link-bound + $P3B_DELAY delay each way, 4-stripe ${LINK_MB} MiB: write $bw MB/s, read $br MB/s (sum of links 50 MB/s)"
	row "P3b 4-stripe read, +$P3B_DELAY/link, MB/s" "$br" 50 "link sum" ">=" 0.80
	row "P3b 4-stripe write, +$P3B_DELAY/link, MB/s" "$bw" 50 "link sum" report ""
	for i in 0 1 2 3; do
		tc qdisc del dev vo$i root 2>/dev/null
		ip netns exec ost$i tc qdisc del dev eth0 root 2>/dev/null
	done
}

# ---- P3c: NFSv4.2 behind one 100 Mbit/s link ----
# The NFS server stays in this namespace (as for P1) but is reached at an
# address of its own, P3C_IP on lo, and an htb on lo limits port 2049's
# traffic to and from that address to 100 Mbit/s each way, as P3's tbf
# limits each direction of an OST's veth: the client's whole path to the
# server crosses one such link.  (nfsd in an OST's netns would do the
# same with a second mountd and nfsd per netns; the limit on lo is
# simpler and leaves P1's nfsd untouched.)  Tessera's side is P3's
# 4-stripe figures: 4 OSTs behind one such link each.
P3C_IP=10.77.9.1
p3c_run() {
	ip addr add $P3C_IP/32 dev lo 2>/dev/null
	tc qdisc add dev lo root handle 1: htb
	tc class add dev lo parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 128k cburst 128k
	tc class add dev lo parent 1: classid 1:2 htb rate 100mbit ceil 100mbit burst 128k cburst 128k
	tc filter add dev lo parent 1: protocol ip prio 1 u32 \
		match ip dst $P3C_IP/32 match ip dport 2049 0xffff flowid 1:1
	tc filter add dev lo parent 1: protocol ip prio 1 u32 \
		match ip src $P3C_IP/32 match ip sport 2049 0xffff flowid 1:2
	cw=n/a
	cr=n/a
	if nfs_mount $P3C_IP; then
		cw=$(rate $LINK_MB wr /mnt/nfs/fc $LINK_MB)
		cr=$(rate $LINK_MB rd /mnt/nfs/fc)
		rm -f /mnt/nfs/fc
		nfs_umount
	fi
	tc qdisc del dev lo root
	bench "P3c nfs v4.2 behind one 100 Mbit/s link (htb on lo, $P3C_IP:2049), ${LINK_MB} MiB: write $cw MB/s, read $cr MB/s (link 12.5 MB/s)"
	echo "$cw $cr" | awk '$1 + 0 > 13.5 || $2 + 0 > 13.5 { print "BENCH: P3c WARNING: nfs faster than its link: the limit did not apply" }'
	row "P3c 4-stripe read vs nfs behind 1 link, MB/s" "$r4" "$cr" "nfs4.2 1 link" ">=" 3.5
	row "P3c 4-stripe write vs nfs behind 1 link, MB/s" "$w4" "$cw" "nfs4.2 1 link" ">=" 3.5
}

# ---- P4: metadata, durable MDS vs NFSv4.2 `sync` export ----
# N files in one directory: create (open O_CREAT|O_EXCL + close), stat
# (caches dropped first: a lookup and attributes per file), `ls -l` of
# the N entries (caches dropped first), unlink; each phase timed in one
# process (tests/vm/bench-meta.c) but ls.  The MDS restarts without
# --nosync first: each change committed to LMDB and synced.
P4_N=${TESS_BENCH_P4_N:-10000}
META=$TESS_REPO/build/vm/bench-meta
p4_meta_build() {
	if [ ! -x "$META" ] || [ "$TESS_REPO/tests/vm/bench-meta.c" -nt "$META" ]; then
		META=$W/bench-meta
		gcc -O2 -Wall -o $META "$TESS_REPO/tests/vm/bench-meta.c"
	fi
}
# p4_one DIR: "create/s stat/s ls-l-entries/s unlink/s"
p4_one() {
	mkdir -p $1 || { echo "error error error error"; return; }
	c=$($META create $1 $P4_N) || c=
	echo 3 > /proc/sys/vm/drop_caches
	s=$($META stat $1 $P4_N) || s=
	echo 3 > /proc/sys/vm/drop_caches
	t0=$(date +%s.%N)
	l=$(ls -l $1 | wc -l)
	t1=$(date +%s.%N)
	[ "$l" = $((P4_N + 1)) ] && l=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }') || l=
	u=$($META unlink $1 $P4_N) || u=
	rmdir $1
	echo "$P4_N ${c:-x} ${s:-x} ${l:-x} ${u:-x}" | awk '{
		for (i = 2; i <= 5; i++) printf "%s ", ($i + 0 > 0) ? sprintf("%.0f", $1 / $i) : "error" }'
}
p4_run() {
	p4_meta_build
	timeout -k 5 60 umount $MNT
	tess_mds_stop
	TESS_MDS_ARGS=
	tess_mds_start
	tess_wait_osts || bench "P4: $(tess_osts_up) OSTs up after the MDS restart"
	$B/mount.tessera $MDS_IP@tcp:/fs $MNT -o key=$KEY || { bench "P4: mount failed"; return; }
	# the MDS's last start line: no ", NOSYNC" in it
	grep -a "listening on" $W/mds.log | tail -n 1 | grep -q NOSYNC &&
		bench "P4 WARNING: the MDS still runs with --nosync"
	st_snap
	set -- $(p4_one $MNT/p4)
	tc_=$1 ts_=$2 tl_=$3 tu_=$4
	st_show P4
	# the servers' request counters, where tessctl has them (since mount)
	$B/tessctl --key $KEY stats --servers $MNT 2>/dev/null | head -n 12 |
		sed 's/^/BENCH:   servers after P4: /'
	set -- error error error error
	if nfs_mount; then
		set -- $(p4_one /mnt/nfs/p4)
		nfs_umount
	fi
	bench "P4 $P4_N files in one directory, ops/s: tessera (durable MDS) create $tc_, stat $ts_, ls -l $tl_ entries/s, unlink $tu_"
	bench "P4 the same, nfs v4.2 sync export: create $1, stat $2, ls -l $3 entries/s, unlink $4"
	row "P4 create, $P4_N in one dir, ops/s" "$tc_" "$1" "nfs4.2 sync" ">=" 1.0
	row "P4 stat (cold), ops/s" "$ts_" "$2" "nfs4.2 sync" ">=" 1.0
	row "P4 ls -l $P4_N entries (cold), entries/s" "$tl_" "$3" "nfs4.2 sync" ">=" 1.0
	row "P4 unlink, ops/s" "$tu_" "$4" "nfs4.2 sync" ">=" 1.0
}
