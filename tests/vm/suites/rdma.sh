# RDMA suite (issue #10): the @rdma path end to end over soft-RoCE.
# rdma_rxe works within one network namespace on 6.1, so the MDS and 4
# OSTs all run here at 10.88.0.1 (rxe0 on veth rv0, tess_rxe_setup of
# tests/vm/lib.sh), each listening on @rdma and @tcp.  Shown here:
# - mounting HOST@rdma with only tessera.ko loaded pulls in
#   tessera_lnet_rdma; `tessctl net show` and `peer show` list it; the
#   userspace library (tessctl) talks @rdma too
# - a file written over RDMA reads back equal over TCP from a second
#   mount, and the reverse; the OSTs are reached on the mount's network
# - kill -9 of an OST during RDMA I/O and its restart: the write ends and
#   the data is right
# - bad peers (tests/vm/rdma-bad.c): a server and the kernel client each
#   drop a peer that sends bad private data, a message larger than the
#   posted buffers, a wrong length, too many credits or a nonzero
#   reserved field, with a log line; they stay up
# - a client that vanishes without a disconnect (tests/integ/rdma_vanish.c)
#   is found by the MDS's keepalive probe
# - `rdma link delete` of the device mid-read: the read ends (data right
#   over the TCP fallback, or EIO) within the timeout
# - no RDMA resource (PD, CQ, QP, MR) of ours left after umount; the
#   modules unload
# then the data suite (tests/vm/suites/data.sh) over @rdma.
#
# Runs inside the VM (tests/vm/run rdma, TESS_VM_MEM=4G for data's 1 GiB).

TESS_NET=rdma
. "$TESS_REPO/tests/vm/lib.sh"
TESS_TAG=vm-rdma

W=/tmp/tess-rdma
MNT=/mnt/rdma
MNT2=/mnt/rdma-tcp
BAD=$TESS_REPO/build/vm/rdma-bad
ST=/sys/kernel/debug/tessera_lnet/rpc_selftest
T="timeout -k 5 300"
TESS_W=$W
TESS_FSNAME=fs
rm -rf $W
mkdir -p $W $MNT $MNT2

die() {
	fail "$1" "$2"
	tess_finish
}

sha() {
	$T sha256sum "$1" | cut -d' ' -f1
}

drop_caches() {
	$T sync
	echo 3 > /proc/sys/vm/drop_caches
}

# the kernel client's RDMA resources of a kind (pd, cq, qp, mr, cm_id);
# no kind: all of them.  Kernel resources are listed with the module that
# made them in brackets: "comm [tessera_lnet_rdma]" for its PDs, CQs and
# cm_ids, "comm [rdma_cm]" for its QPs (rdma_create_qp() makes them); no
# other kernel user of RDMA runs in this VM.  The daemons' are "comm
# tessera-ost" and the like.
res_list() {
	local k
	for k in ${1:-pd cq qp mr cm_id}; do
		rdma resource show "$k" 2>/dev/null |
			grep -E 'comm \[(tessera_lnet_rdma|rdma_cm)\]'
	done
}
res_count() {
	res_list "$@" | grep -c .
}

dmesg_mark
mount -t debugfs none /sys/kernel/debug 2>/dev/null

# ---- modules: only tessera.ko (and what it needs) ----
tess_modules_load tessera || die "tessera.ko loaded" "modprobe tessera failed"
if module_loaded tessera_lnet_rdma; then
	fail "rdma transport not loaded before an @rdma mount" "already loaded"
else
	pass "rdma transport not loaded before an @rdma mount"
fi
tess_rxe_setup || die "soft-RoCE device rxe0 on rv0" "$(rdma link show 2>&1)"
pass "soft-RoCE device rxe0 on rv0"

# ---- servers on @rdma and @tcp; the userspace library over @rdma ----
tess_cluster_start 4 "--stripe-count 4 --stripe-size 1048576 --nosync" ||
	die "MDS and 4 OSTs up, seen by tessctl over @rdma" \
		"$(tess_osts_up) OSTs up; $(tail -n 3 $W/mds.log | tr '\n' ' ')"
pass "MDS and 4 OSTs up, seen by tessctl over @rdma"

# ---- the mount ----
if tess_mount $MNT "timeout=10" 2>$W/mount.err; then
	pass "mount $TESS_MDS_ADDR:/$TESS_FSNAME"
else
	die "mount $TESS_MDS_ADDR:/$TESS_FSNAME" "$(cat $W/mount.err) $(dmesg | tail -n 5 | tr '\n' ' ')"
fi
if module_loaded tessera_lnet_rdma; then
	pass "tessera_lnet_rdma loaded on demand by the mount"
else
	fail "tessera_lnet_rdma loaded on demand by the mount" "not in /proc/modules"
fi
head -c $((24 << 20)) /dev/urandom > $W/ref
if $T cp $W/ref $MNT/a && $T sync; then
	pass "24 MiB written over @rdma"
else
	fail "24 MiB written over @rdma" "cp or sync failed"
fi
drop_caches
if [ "$(sha $MNT/a)" = "$(sha $W/ref)" ]; then
	pass "read back over @rdma after drop_caches: equal"
else
	fail "read back over @rdma after drop_caches" "sha differs"
fi
out=$($T "$TESS_BIN/tessctl" net show 2>&1)
if echo "$out" | grep -Eq '^rdma +up +loaded +tessera_lnet_rdma'; then
	pass "tessctl net show: rdma up, tessera_lnet_rdma loaded"
else
	fail "tessctl net show: rdma up, tessera_lnet_rdma loaded" "$(echo "$out" | tr '\n' '|')"
fi
out=$($T "$TESS_BIN/tessctl" peer show 2>&1)
n=$(echo "$out" | grep -c '@rdma')
if [ "$n" -ge 5 ] && ! echo "$out" | grep -q '@tcp'; then
	pass "tessctl peer show: the MDS and 4 OSTs over @rdma"
else
	fail "tessctl peer show: the MDS and 4 OSTs over @rdma" "$n @rdma peers: $(echo "$out" | tr '\n' '|')"
fi
n=$(res_count qp)
if [ "$n" -ge 5 ]; then
	pass "rdma resource show: $n kernel QPs of the client"
else
	fail "rdma resource show: kernel QPs of the client" "$n: $(rdma resource show qp 2>&1 | head -n 8 | tr '\n' '|')"
fi

# ---- the same file system over TCP from a second mount ----
if timeout -k 5 90 mount -t tessera "$TESS_MDS_IP@tcp:/$TESS_FSNAME" $MNT2 \
	-o "key=$TESS_KEY,timeout=10" 2>$W/mount2.err; then
	pass "second mount over @tcp"
else
	fail "second mount over @tcp" "$(cat $W/mount2.err)"
fi
if [ "$(sha $MNT2/a)" = "$(sha $W/ref)" ]; then
	pass "a file written over @rdma reads back equal over @tcp"
else
	fail "a file written over @rdma reads back equal over @tcp" "sha differs"
fi
head -c $((9 << 20)) /dev/urandom > $W/ref2
$T cp $W/ref2 $MNT2/b && $T sync
drop_caches
if [ "$(sha $MNT/b)" = "$(sha $W/ref2)" ]; then
	pass "a file written over @tcp reads back equal over @rdma"
else
	fail "a file written over @tcp reads back equal over @rdma" "sha differs"
fi
out=$($T "$TESS_BIN/tessctl" peer show 2>&1)
if [ "$(echo "$out" | grep -c '@tcp')" -ge 5 ]; then
	pass "the @tcp mount reaches the MDS and the OSTs over @tcp"
else
	fail "the @tcp mount reaches the MDS and the OSTs over @tcp" "$(echo "$out" | tr '\n' '|')"
fi
$T umount $MNT2 || fail "umount of the @tcp mount" "failed"

# ---- kill -9 of an OST during RDMA I/O (a hard mount waits for it) ----
head -c $((64 << 20)) /dev/urandom > $W/ref3
$T dd if=$W/ref3 of=$MNT/k bs=1M conv=fsync status=none 2>$W/k.err &
ddpid=$!
sleep 2
tess_ost_stop 1
sleep 2
tess_ost_start 1
if tess_wait_pid 200 $ddpid && [ -z "$(cat $W/k.err)" ]; then
	pass "kill -9 of OST1 during an @rdma write: the write and fsync end"
else
	fail "kill -9 of OST1 during an @rdma write" "dd: $(cat $W/k.err)"
fi
drop_caches
if [ "$(sha $MNT/k)" = "$(sha $W/ref3)" ]; then
	pass "after the OST restart: the file reads back equal"
else
	fail "after the OST restart: the file reads back equal" "sha differs"
fi

# ---- bad peers ----
# a server drops a bad client (and keeps serving)
for mode in privdata big badlen credits reserved; do
	before=$(wc -l < $W/mds.log)
	out=$(timeout -k 5 40 "$BAD" client $TESS_MDS_IP 7430 $mode 2>&1)
	rc=$?
	sleep 1
	line=$(tail -n +"$((before + 1))" $W/mds.log | grep -i 'rdma' | head -n 1)
	if [ $rc = 0 ] && [ -n "$line" ] && tess_osts_up >/dev/null &&
	   [ "$(tess_osts_up)" = 4 ]; then
		pass "tessera-mds drops a client sending $mode (${line##*: }), still serves"
	else
		fail "tessera-mds drops a client sending $mode" "rdma-bad rc $rc: $out; log: $line"
	fi
done
# a client that vanishes without a disconnect (its queue pair in error,
# as after a power cut): the MDS's keepalive probe (a zero-byte RDMA
# WRITE after TNET_KEEPIDLE_S = 30 s of silence) goes unanswered and the
# connection ends, with a log line; the MDS still serves
before=$(wc -l < $W/mds.log)
"$TESS_REPO/build/bin/rdma_vanish" "$TESS_MDS_IP:7430@rdma" "$TESS_KEY" 90 \
	> $W/vanish.out 2>&1 &
vpid=$!
line= t=0
while [ $t -lt 80 ] && kill -0 $vpid 2>/dev/null; do
	sleep 2
	t=$((t + 2))
	line=$(tail -n +"$((before + 1))" $W/mds.log | grep 'keepalive' | head -n 1)
	[ -n "$line" ] && break
done
kill $vpid 2>/dev/null
wait $vpid 2>/dev/null
if [ -n "$line" ] && [ $t -ge 28 ] && grep -q 'queue pair in error' $W/vanish.out &&
   [ "$(tess_osts_up)" = 4 ]; then
	pass "tessera-mds ends an @rdma connection whose client vanished, by keepalive after ${t}s (${line##*: }), still serves"
else
	fail "tessera-mds ends an @rdma connection whose client vanished, by keepalive" \
		"after ${t}s: log '$line'; rdma_vanish: $(tr '\n' ' ' < $W/vanish.out)"
fi
# the kernel client drops a bad server
if [ -w $ST ]; then
	port=7990
	for mode in privdata big badlen credits reserved; do
		port=$((port + 1))
		timeout -k 5 40 "$BAD" server $TESS_MDS_IP $port $mode > $W/bad.out 2>&1 &
		badpid=$!
		sleep 1
		mark=$(dmesg | wc -l)
		timeout -k 5 60 sh -c "echo 'connect $TESS_MDS_IP:$port@rdma $TESS_KEY 5000' > $ST"
		res=$(cat $ST)
		tess_wait_pid 30 $badpid
		wait $badpid
		rc=$?
		line=$(dmesg | tail -n +"$((mark + 1))" | grep 'tessera_lnet_rdma' | head -n 1)
		if [ $rc = 0 ] && [ -n "$line" ] && ! echo "$res" | grep -q 'status=0\b'; then
			pass "the kernel client drops a server sending $mode ($(echo "$line" | sed 's/.*tessera_lnet_rdma: //' | cut -c1-80))"
		else
			fail "the kernel client drops a server sending $mode" "rdma-bad rc $rc: $(tr '\n' ' ' < $W/bad.out); selftest: $res; dmesg: $line"
		fi
	done
else
	fail "the kernel client drops a bad server" "no $ST (debugfs)"
fi
drop_caches
if [ "$(sha $MNT/a)" = "$(sha $W/ref)" ]; then
	pass "the mount still reads right after the bad peers"
else
	fail "the mount still reads right after the bad peers" "sha differs"
fi

# ---- nothing of ours left on the device after umount ----
$T umount $MNT || fail "umount of the @rdma mount" "failed"
n=$(res_count)
if [ "$n" = 0 ]; then
	pass "no RDMA resource (PD, CQ, QP, MR) of the kernel client left after umount"
else
	fail "no RDMA resource of the kernel client left after umount" "$(res_list | head -n 3 | tr '\n' '|')"
fi

# ---- the device goes away mid-read (soft mount: ends within timeout) ----
# The mount source lists both networks: the MDS client moves to @tcp
# too.  rxe cannot take a device away from a running process (no
# disassociate), so the removal itself completes only once the servers,
# which use the same rxe0 here, exit; the client must not wait for it.
timeout -k 5 90 mount -t tessera "$TESS_MDS_IP@rdma,$TESS_MDS_IP@tcp:/$TESS_FSNAME" $MNT \
	-o "key=$TESS_KEY,timeout=10,soft" 2>$W/mount.err ||
	fail "soft mount of $TESS_MDS_IP@rdma,$TESS_MDS_IP@tcp" "$(cat $W/mount.err)"
head -c $((48 << 20)) /dev/urandom > $W/ref4
$T cp $W/ref4 $MNT/gone && $T sync
drop_caches
mark=$(dmesg | wc -l)
t0=$(date +%s)
timeout -s KILL 150 sha256sum $MNT/gone > $W/gone.out 2>$W/gone.err &
rdpid=$!
sleep 1
rm -f $W/del
(timeout -k 5 300 rdma link delete rxe0; echo "rc=$?" > $W/del) &
wait $rdpid
rc=$?
t1=$(date +%s)
if [ $rc = 0 ] && [ "$(cut -d' ' -f1 $W/gone.out)" = "$(sha $W/ref4)" ]; then
	pass "rdma link delete mid-read: the read ends right over the @tcp fallback ($((t1 - t0))s)"
elif [ $rc != 137 ] && grep -q 'Input/output error' $W/gone.err; then
	pass "rdma link delete mid-read: EIO after $((t1 - t0))s, no hang"
else
	fail "rdma link delete mid-read" "rc $rc after $((t1 - t0))s: $(cat $W/gone.err)"
fi
if dmesg | tail -n +"$((mark + 1))" | grep -q 'tessera_lnet_rdma: .*RDMA device rxe0 removed'; then
	pass "the kernel client let go of rxe0 at once (logged)"
else
	fail "the kernel client let go of rxe0 at once" "no log line"
fi
timeout -k 5 60 umount $MNT || timeout -k 5 30 umount -f $MNT
tess_cluster_kill
tess_wait_until 60 test -s $W/del
if [ "$(cat $W/del 2>/dev/null)" = rc=0 ]; then
	pass "rdma link delete completes once the servers exit"
else
	fail "rdma link delete completes once the servers exit" "$(cat $W/del 2>/dev/null || echo still waiting)"
fi
tess_rxe_setup || fail "rxe0 added again" "$(rdma link show 2>&1)"

# ---- the modules unload ----
if timeout -k 5 60 rmmod tessera tessera_lnet_rdma 2>$W/rmmod.err &&
   ! module_loaded tessera_lnet_rdma; then
	pass "rmmod tessera tessera_lnet_rdma"
else
	fail "rmmod tessera tessera_lnet_rdma" "$(cat $W/rmmod.err)"
fi
tess_log_scan

# ---- the data suite over @rdma ----
TESS_DATA_TAG=vm-rdma-data
. "$TESS_REPO/tests/vm/suites/data.sh"
