# Cluster suite: one MDS and 4 OSTs, each OST in its own network
# namespace behind a veth on a bridge; two mounts on this node are two
# clients.  Close-to-open visibility, concurrent creates, renames seen by
# the other client, kill -9 and restart of every daemon with the mounts
# outliving it, umount -f with servers gone, mount errors, module unload.
#
# Runs inside the VM (tests/vm/run cluster).

. "$TESS_REPO/tests/vm/lib.sh"

B=$TESS_REPO/build/bin
M=$TESS_MODDIR
W=/tmp/tess
A=/mnt/a
C=/mnt/b
KEY=$W/key
MDS_IP=10.77.0.1
mkdir -p $W $A $C
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $KEY

# ---- network: bridge in the root namespace, one namespace per OST ----
cluster_net 4

start_mds() {
	$B/tessera-mds --dir $W/mds --key $KEY --listen $MDS_IP@tcp \
		--stripe-count 4 --stripe-size 1048576 >>$W/mds.log 2>&1 &
	MDS_PID=$!
}
start_ost() {
	ip netns exec ost$1 $B/tessera-ost --mds $MDS_IP@tcp --index $1 \
		--dir $W/ost$1 --key $KEY --listen 10.77.0.$((10 + $1))@tcp \
		>>$W/ost$1.log 2>&1 &
	eval OST$1_PID=$!
}
wait_osts() {
	n=0
	while [ $n -lt 100 ]; do
		[ "$($B/tessctl --mds $MDS_IP@tcp --key $KEY df 2>/dev/null | grep -c ' UP$')" = 4 ] && return 0
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}
start_all() {
	start_mds
	for i in 0 1 2 3; do start_ost $i; done
	wait_osts
}

check "modprobe libcrc32c" modprobe libcrc32c
check "insmod tessera_lnet" insmod $M/tessera_lnet.ko
check "insmod tessera_lnet_tcp" insmod $M/tessera_lnet_tcp.ko
check "insmod tessera" insmod $M/tessera.ko

# ---- mount errors ----
t0=$(date +%s)
out=$($B/mount.tessera $MDS_IP@tcp:/fs $A -o key=$KEY,timeout=3 2>&1)
t1=$(date +%s)
if [ $? -ne 0 ] || ! mountpoint -q $A; then
	if [ $((t1 - t0)) -le 8 ]; then
		pass "mount with no MDS fails within the timeout ($((t1 - t0)) s): $out"
	else
		fail "mount with no MDS fails within the timeout" "took $((t1 - t0)) s"
	fi
else
	fail "mount with no MDS fails" "mounted"
	umount $A
fi

# (not through check: its subshell would lose the daemons' PIDs)
if start_all; then pass "start MDS and 4 OSTs in namespaces"; else fail "start MDS and 4 OSTs in namespaces" "OSTs not up"; fi

if $B/mount.tessera $MDS_IP@tcp:/fs $A -o key=$KEY,bogus=1 2>/dev/null; then
	fail "bad option refused" "mounted"
	umount $A
else
	pass "bad option refused"
fi
dmesg | grep -q "bogus" && pass "bad option named in dmesg" ||
	fail "bad option named in dmesg" "no line"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $W/wrongkey
out=$($B/mount.tessera $MDS_IP@tcp:/fs $A -o key=$W/wrongkey 2>&1)
case "$out" in
*authentication*) pass "wrong key refused: $out" ;;
*) fail "wrong key refused" "got: $out"; mountpoint -q $A && umount $A ;;
esac

# ---- two clients ----
OPTS=key=$KEY,timeout=10,acregmin=1,acregmax=1,acdirmin=1,acdirmax=1
check "mount client A" $B/mount.tessera $MDS_IP@tcp:/fs $A -o $OPTS
check "mount client B" $B/mount.tessera $MDS_IP@tcp:/fs $C -o $OPTS
n=$(grep -c ' tessera ' /proc/mounts)
[ "$n" = 2 ] && pass "two tessera mounts" || fail "two tessera mounts" "$n"

check "tessctl df on the mount lists 4 OSTs" sh -c "$B/tessctl df $A | grep -c ' UP\$' | grep -qx 4"

# close-to-open
head -c 5000000 /dev/urandom > $W/ref
cp $W/ref $A/cto
sum_ref=$(sha256sum < $W/ref)
sum_b=$(sha256sum < $C/cto)
[ "$sum_ref" = "$sum_b" ] && pass "close-to-open: B reads A's data" ||
	fail "close-to-open: B reads A's data" "sha256 differs"
sa=$(stat -c '%s %Y' $A/cto)
sb=$(stat -c '%s %Y' $C/cto)
[ "$sa" = "$sb" ] && pass "close-to-open: size and mtime agree ($sa)" ||
	fail "close-to-open: size and mtime agree" "A: $sa B: $sb"
# B has the file cached; A rewrites it; B's next open sees the new data
cat $C/cto > /dev/null
head -c 3000000 /dev/urandom > $W/ref2
cp $W/ref2 $A/cto
[ "$(sha256sum < $C/cto)" = "$(sha256sum < $W/ref2)" ] &&
	pass "close-to-open: B sees A's rewrite on its next open" ||
	fail "close-to-open: B sees A's rewrite on its next open" "stale data"
echo more >> $A/cto
[ "$(stat -c %s $C/cto)" = 3000005 ] 2>/dev/null || sleep 2
[ "$(stat -c %s $C/cto)" = 3000005 ] && pass "append on A: size seen by B" ||
	fail "append on A: size seen by B" "$(stat -c %s $C/cto)"

# concurrent creates in one directory
mkdir $A/many
( i=0; while [ $i -lt 1000 ]; do : > $A/many/a$i; i=$((i + 1)); done ) &
p1=$!
( i=0; while [ $i -lt 1000 ]; do : > $C/many/b$i; i=$((i + 1)); done ) &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && pass "concurrent creates from two clients" ||
	fail "concurrent creates from two clients" "rc $r1 $r2"
sleep 2
na=$(ls $A/many | wc -l)
nb=$(ls $C/many | sort | uniq | wc -l)
[ "$na" = 2000 ] && [ "$nb" = 2000 ] && pass "both clients list 2000 entries" ||
	fail "both clients list 2000 entries" "A $na B $nb"

# rename on A seen by B
echo x > $A/r1
ls -l $C/r1 > /dev/null 2>&1
mkdir -p $A/rdir
mv $A/r1 $A/rdir/r2
sleep 2
if [ ! -e $C/r1 ] && [ -e $C/rdir/r2 ]; then
	pass "rename on A seen by B"
else
	fail "rename on A seen by B" "B still sees r1 or not rdir/r2"
fi

# ---- kill -9 of every daemon after fsync; mounts outlive it ----
head -c 20000000 /dev/urandom > $W/ref3
dd if=$W/ref3 of=$A/durable bs=1M conv=fsync 2>/dev/null
kill -9 $MDS_PID $OST0_PID $OST1_PID $OST2_PID $OST3_PID
wait 2>/dev/null
sleep 1
if start_all; then pass "restart MDS and OSTs"; else fail "restart MDS and OSTs" "OSTs not up"; fi
echo 3 > /proc/sys/vm/drop_caches
[ "$(sha256sum < $A/durable)" = "$(sha256sum < $W/ref3)" ] &&
	pass "mount that outlived the restart reads fsync'd data" ||
	fail "mount that outlived the restart reads fsync'd data" "differs"
echo after > $A/after-restart && [ "$(cat $C/after-restart)" = after ] &&
	pass "mounts resume writing after the restart" ||
	fail "mounts resume writing after the restart" "write or read failed"
check "umount A" umount $A
check "remount A" $B/mount.tessera $MDS_IP@tcp:/fs $A -o $OPTS
[ "$(sha256sum < $A/durable)" = "$(sha256sum < $W/ref3)" ] &&
	pass "data intact after remount" || fail "data intact after remount" "differs"
[ "$(ls $A/many | wc -l)" = 2000 ] && pass "namespace intact after restart" ||
	fail "namespace intact after restart" "$(ls $A/many | wc -l) entries"

# ---- an OST down: EIO after the timeout, not a hang ----
check "umount B" umount $C
check "mount B with timeout=3" $B/mount.tessera $MDS_IP@tcp:/fs $C -o key=$KEY,timeout=3
kill -9 $OST2_PID
wait $OST2_PID 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
t0=$(date +%s)
cat $C/durable > /dev/null 2>$W/err
rc=$?
t1=$(date +%s)
if [ $rc -ne 0 ] && [ $((t1 - t0)) -le 30 ]; then
	pass "read with an OST down fails in $((t1 - t0)) s: $(cat $W/err)"
else
	fail "read with an OST down fails within the timeout" "rc $rc after $((t1 - t0)) s"
fi

# ---- servers gone: umount -f returns ----
kill -9 $MDS_PID $OST0_PID $OST1_PID $OST3_PID
wait 2>/dev/null
echo dirty > $A/dirty-when-gone &
t0=$(date +%s)
umount -f $A 2>/dev/null || umount -f $A 2>/dev/null
umount -f $C 2>/dev/null || umount -f $C 2>/dev/null
t1=$(date +%s)
if ! grep -q ' tessera ' /proc/mounts && [ $((t1 - t0)) -le 40 ]; then
	pass "umount -f with servers gone returns ($((t1 - t0)) s)"
else
	fail "umount -f with servers gone returns" "$(grep -c ' tessera ' /proc/mounts) left after $((t1 - t0)) s"
fi
sleep 1
for m in tessera tessera_lnet_tcp tessera_lnet; do
	check "rmmod $m" rmmod $m
done
if dmesg | grep -qE 'BUG:|WARNING:|Oops|general protection'; then
	fail "kernel log clean" "$(dmesg | grep -E 'BUG:|WARNING:|Oops' | head -3 | tr '\n' ' ')"
else
	pass "kernel log clean"
fi
exit $TESS_FAILED
