# Cluster suite: one MDS and 4 OSTs, each OST in its own network
# namespace behind a veth on a bridge; two mounts on this node are two
# clients.  Close-to-open visibility, concurrent creates, renames seen by
# the other client, kill -9 and restart of every daemon with the mounts
# outliving it, umount -f with servers gone, mount errors, module unload.
#
# Runs inside the VM (tests/vm/run cluster).

. "$TESS_REPO/tests/vm/lib.sh"

B=$TESS_REPO/build/bin
W=/tmp/tess
A=/mnt/a
C=/mnt/b
TESS_W=$W
TESS_KEY=$W/key
KEY=$TESS_KEY
MDS_IP=$TESS_MDS_IP
T="timeout -k 5 120"		# the bound of one step on a mount
mkdir -p $W $A $C
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $KEY
chmod 600 $KEY

# ---- network: bridge in the root namespace, one namespace per OST ----
cluster_net 4

check "modules loaded (tess_modules_load)" tess_modules_load

# ---- mount errors ----
t0=$(date +%s)
out=$($T $B/mount.tessera $MDS_IP@tcp:/fs $A -o key=$KEY,timeout=3 2>&1)
rc=$?
t1=$(date +%s)
if [ $rc -ne 0 ] && ! mountpoint -q $A; then
	if [ $((t1 - t0)) -le 8 ]; then
		pass "mount with no MDS fails within the timeout ($((t1 - t0)) s): $out"
	else
		fail "mount with no MDS fails within the timeout" "took $((t1 - t0)) s"
	fi
else
	fail "mount with no MDS fails" "rc $rc, mounted: $(grep -c " $A " /proc/mounts)"
	$T umount $A
fi

# (not through check: its subshell would lose the daemons' PIDs)
if tess_cluster_start 4 "--stripe-count 4 --stripe-size 1048576"; then
	pass "start MDS and 4 OSTs in namespaces"
else
	fail "start MDS and 4 OSTs in namespaces" "OSTs not up"
fi

if $T $B/mount.tessera $MDS_IP@tcp:/fs $A -o key=$KEY,bogus=1 2>/dev/null; then
	fail "bad option refused" "mounted"
	$T umount $A
else
	pass "bad option refused"
fi
dmesg | grep -q "bogus" && pass "bad option named in dmesg" ||
	fail "bad option named in dmesg" "no line"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $W/wrongkey
chmod 600 $W/wrongkey
out=$($T $B/mount.tessera $MDS_IP@tcp:/fs $A -o key=$W/wrongkey 2>&1)
case "$out" in
*authentication*) pass "wrong key refused: $out" ;;
*) fail "wrong key refused" "got: $out"; mountpoint -q $A && $T umount $A ;;
esac

# ---- two clients ----
OPTS=key=$KEY,timeout=10,acregmin=1,acregmax=1,acdirmin=1,acdirmax=1
check "mount client A" $B/mount.tessera $MDS_IP@tcp:/fs $A -o $OPTS
check "mount client B" $B/mount.tessera $MDS_IP@tcp:/fs $C -o $OPTS
n=$(grep -c ' tessera ' /proc/mounts)
[ "$n" = 2 ] && pass "two tessera mounts" || fail "two tessera mounts" "$n"

check "tessctl df on the mount lists 4 OSTs" sh -c "$B/tessctl df $A | grep -c ' UP\$' | grep -qx 4"

# close-to-open
sha() {	# sha256 of a file, bounded
	$T sha256sum "$1" 2>/dev/null | cut -c1-64
}
head -c 5000000 /dev/urandom > $W/ref
$T cp $W/ref $A/cto
sum_ref=$(sha $W/ref)
[ "$sum_ref" = "$(sha $C/cto)" ] && pass "close-to-open: B reads A's data" ||
	fail "close-to-open: B reads A's data" "sha256 differs"
sa=$($T stat -c '%s %Y' $A/cto)
sb=$($T stat -c '%s %Y' $C/cto)
[ -n "$sa" ] && [ "$sa" = "$sb" ] && pass "close-to-open: size and mtime agree ($sa)" ||
	fail "close-to-open: size and mtime agree" "A: $sa B: $sb"
# B has the file cached; A rewrites it; B's next open sees the new data
$T cat $C/cto > /dev/null
head -c 3000000 /dev/urandom > $W/ref2
$T cp $W/ref2 $A/cto
[ "$(sha $C/cto)" = "$(sha $W/ref2)" ] &&
	pass "close-to-open: B sees A's rewrite on its next open" ||
	fail "close-to-open: B sees A's rewrite on its next open" "stale data"
$T sh -c "echo more >> $A/cto"
# B's attribute cache lasts acregmax=1 s
size_b_is() { [ "$($T stat -c %s $C/cto)" = "$1" ]; }
tess_wait_until 5 size_b_is 3000005 && pass "append on A: size seen by B" ||
	fail "append on A: size seen by B" "$($T stat -c %s $C/cto)"

# concurrent creates in one directory: each writer stops at its first
# failed create and exits with its status
creates() {	# creates DIR PREFIX
	i=0
	while [ $i -lt 1000 ]; do
		: > "$1/$2$i" || { echo "create $1/$2$i failed" >&2; exit 1; }
		i=$((i + 1))
	done
	exit 0
}
$T mkdir $A/many
( creates $A/many a ) &
p1=$!
( creates $C/many b ) &
p2=$!
tess_wait_pid 300 $p1; r1=$?
tess_wait_pid 300 $p2; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && pass "concurrent creates from two clients" ||
	fail "concurrent creates from two clients" "rc $r1 $r2"
# every name exactly once, on both clients: duplicates and missing names fail
i=0
while [ $i -lt 1000 ]; do echo a$i; echo b$i; i=$((i + 1)); done | sort > $W/many.want
sleep 2		# acdirmax=1
$T ls $A/many | sort > $W/many.a
$T ls $C/many | sort > $W/many.b
for c in a b; do
	name="client $(echo $c | tr ab AB) lists the 2000 names once each"
	if cmp -s $W/many.want $W/many.$c; then
		pass "$name"
	else
		fail "$name" "$(wc -l < $W/many.$c) entries, duplicates: $(uniq -d $W/many.$c | head -n 3 | tr '\n' ' ')missing: $(comm -23 $W/many.want $W/many.$c | head -n 3 | tr '\n' ' ')"
	fi
done

# rename on A seen by B
$T sh -c "echo x > $A/r1"
$T ls -l $C/r1 > /dev/null 2>&1
$T mkdir -p $A/rdir
$T mv $A/r1 $A/rdir/r2
renamed_on_b() { ! $T stat $C/r1 >/dev/null 2>&1 && $T stat $C/rdir/r2 >/dev/null 2>&1; }
if tess_wait_until 5 renamed_on_b; then
	pass "rename on A seen by B"
else
	fail "rename on A seen by B" "B still sees r1 or not rdir/r2"
fi

# ---- kill -9 of every daemon after fsync; mounts outlive it ----
head -c 20000000 /dev/urandom > $W/ref3
$T dd if=$W/ref3 of=$A/durable bs=1M conv=fsync 2>/dev/null
tess_cluster_kill
if tess_cluster_restart; then pass "restart MDS and OSTs"; else fail "restart MDS and OSTs" "OSTs not up"; fi
echo 3 > /proc/sys/vm/drop_caches
[ "$(sha $A/durable)" = "$(sha $W/ref3)" ] &&
	pass "mount that outlived the restart reads fsync'd data" ||
	fail "mount that outlived the restart reads fsync'd data" "differs"
$T sh -c "echo after > $A/after-restart" && [ "$($T cat $C/after-restart)" = after ] &&
	pass "mounts resume writing after the restart" ||
	fail "mounts resume writing after the restart" "write or read failed"
check "umount A" umount $A
check "remount A" $B/mount.tessera $MDS_IP@tcp:/fs $A -o $OPTS
[ "$(sha $A/durable)" = "$(sha $W/ref3)" ] &&
	pass "data intact after remount" || fail "data intact after remount" "differs"
$T ls $A/many | sort > $W/many.r
cmp -s $W/many.want $W/many.r && pass "namespace intact after restart" ||
	fail "namespace intact after restart" "$(wc -l < $W/many.r) entries"

# ---- an OST down: EIO after the timeout, not a hang (a soft mount) ----
check "umount B" umount $C
check "mount B with timeout=3,soft" $B/mount.tessera $MDS_IP@tcp:/fs $C -o key=$KEY,timeout=3,soft
tess_ost_stop 2
echo 3 > /proc/sys/vm/drop_caches
t0=$(date +%s)
$T cat $C/durable > /dev/null 2>$W/err
rc=$?
t1=$(date +%s)
if [ $rc -ne 0 ] && [ $rc != 124 ] && [ $rc != 137 ] && [ $((t1 - t0)) -le 30 ]; then
	pass "read with an OST down fails in $((t1 - t0)) s: $(cat $W/err)"
else
	fail "read with an OST down fails within the timeout" "rc $rc after $((t1 - t0)) s"
fi

# ---- servers gone: umount -f returns ----
tess_cluster_kill
$T sh -c "echo dirty > $A/dirty-when-gone" 2>/dev/null &
t0=$(date +%s)
for m in $A $C; do
	timeout -k 5 30 umount -f $m 2>/dev/null || timeout -k 5 30 umount -f $m 2>/dev/null
done
t1=$(date +%s)
if ! grep -q ' tessera ' /proc/mounts && [ $((t1 - t0)) -le 40 ]; then
	pass "umount -f with servers gone returns ($((t1 - t0)) s)"
else
	fail "umount -f with servers gone returns" "$(grep -c ' tessera ' /proc/mounts) left after $((t1 - t0)) s"
fi
tess_wait_pid 30 $! >/dev/null
for m in tessera tessera_lnet_tcp tessera_lnet; do
	check "rmmod $m" rmmod $m
done
tess_finish
