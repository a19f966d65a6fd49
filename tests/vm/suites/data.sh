# Data path suite: an MDS and 4 OSTs inside the VM (each OST in its own
# network namespace behind bridge br0, 10.77.0.0/24: tess_cluster_start of
# tests/vm/lib.sh), a kernel mount with 4 x 1 MiB stripes,
# and the data checked against a reference copy in the VM's tmpfs:
# sizes around page and stripe boundaries, random writes, page cache
# drops and remounts, the spread over the OSTs, mmap, O_DIRECT, truncate,
# sparse files, appends, fio verify, an OST whose link goes down, and
# throughput of a 256 MiB write+fsync and cold read.
#
# Runs inside the VM (tests/vm/run data); with TESS_VM_MEM=4G it adds a
# 1 GiB file.

. "$TESS_REPO/tests/vm/lib.sh"
TESS_TAG=${TESS_DATA_TAG:-vm-data}

info() {
	echo "INFO: vm-data: $*"
}

BIN=$TESS_REPO/build/bin
PY=/usr/bin/python3
W=/tmp/tess-data
MNT=/mnt/tessera
REF=$W/ref
mkdir -p $W $REF $MNT
TIMEOUT=10		# mount timeout= (seconds): an OST that is down -> EIO
T="timeout -k 5 300"	# the bound of one step on the mount

die() {
	fail "$1" "$2"
	tess_finish
}

dmesg_mark

# ---- modules ----
tess_modules_load || die "modules" "tess_modules_load failed"

# ---- servers: the MDS on 10.77.0.1, OST i in namespace ost<i> ----
# (TESS_NET=rdma, from tests/vm/suites/rdma.sh: all on 10.88.0.1 over rxe0)
TESS_W=$W
TESS_FSNAME=tessera
tess_cluster_start 4 "--stripe-count 4 --stripe-size 1048576 --nosync" ||
	die "MDS and 4 OSTs up" "$(tess_osts_up) OSTs up; $(tail -n 3 $W/mds.log | tr '\n' ' ')"
pass "MDS and 4 OSTs up"
MDSADDR=$TESS_MDS_ADDR

OPTS="timeout=$TIMEOUT"
do_mount() {
	tess_mount $MNT "$OPTS"
}
if do_mount 2>$W/mount.err; then
	pass "mount"
else
	die "mount" "$(cat $W/mount.err) $(dmesg | tail -n 5 | tr '\n' ' ')"
fi

remount() {
	$T umount $MNT && do_mount
}

drop_caches() {
	$T sync
	echo 3 > /proc/sys/vm/drop_caches
}

sha() {
	$T sha256sum "$1" | cut -d' ' -f1
}

# same_as NAME REF FILE: sha256 and size of FILE equal those of REF
same_as() {
	_a=$(sha "$2")
	_b=$(sha "$3" 2>&1)
	_sa=$(stat -c %s "$2")
	_sb=$($T stat -c %s "$3" 2>&1)
	if [ "$_a" = "$_b" ] && [ "$_sa" = "$_sb" ]; then
		pass "$1"
	else
		fail "$1" "size $_sb sha ${_b%"${_b#????????????}"} expected size $_sa sha ${_a%"${_a#????????????}"}"
	fi
}

# stripe default from the MDS, or set on the test directory if possible
$T mkdir $MNT/d || die "mkdir" "mkdir $MNT/d failed"
D=$MNT/d

# ---- sizes ----
SIZES="0 1 4095 4096 4097 65536 1048575 1048576 1048577 4194303 4194305 67108864"
for s in $SIZES; do
	head -c $s /dev/urandom > $REF/s$s
	$T cp $REF/s$s $D/s$s || fail "write size $s" "cp failed"
done
for s in $SIZES; do
	same_as "size $s: written (page cache)" $REF/s$s $D/s$s
done
drop_caches
for s in $SIZES; do
	same_as "size $s: after drop_caches" $REF/s$s $D/s$s
done
remount || die "remount" "failed"
for s in $SIZES; do
	same_as "size $s: after umount/mount" $REF/s$s $D/s$s
done

# ---- layout: each OST holds a quarter of a 4-stripe 64 MiB file ----
stripes=$($PY - "$D/s67108864" <<'EOF'
import fcntl, struct, sys, array
# struct tess_ioc_stripe: u32 size, u16 count, u16 offset, u16 count_out,
# u16 pad[3], 256 x {u32 ost, u32 pad, u64 oid}
n = 16 + 256 * 16
TESS_IOC_GETSTRIPE = (2 << 30) | (n << 16) | (ord('T') << 8) | 2
buf = bytearray(n)
try:
    with open(sys.argv[1], 'rb') as f:
        fcntl.ioctl(f, TESS_IOC_GETSTRIPE, buf)
    size, count = struct.unpack_from('<IH', buf, 0)
    print(size, count)
except OSError as e:
    print('err', e.errno)
EOF
)
info "getstripe of the 64 MiB file: $stripes"
for i in 0 1 2 3; do
	b=$(du -sb --apparent-size $W/ost$i | cut -f1)
	eval "OSTB_$i=$b"
done
# objects of the 64 MiB file only: find the biggest object of each OST
ok=1
msg=""
for i in 0 1 2 3; do
	big=$(find $W/ost$i -type f -size +1M -printf '%s\n' | sort -n | tail -n 1)
	msg="$msg OST$i:${big:-0}"
	[ "${big:-0}" = 16777216 ] || ok=0
done
if [ $ok = 1 ]; then
	pass "64 MiB file: a 16 MiB object on each of the 4 OSTs"
else
	fail "64 MiB file: a 16 MiB object on each of the 4 OSTs" "$msg"
fi
info "OST bytes (du, apparent):$(for i in 0 1 2 3; do eval "printf ' %s' \$OSTB_$i"; done)"

# ---- random-offset writes ----
cat > $W/randw.py <<'EOF'
import os, random, sys
ref, tgt, seed, size, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rnd = random.Random(seed)
fr = os.open(ref, os.O_RDWR | os.O_CREAT, 0o644)
ft = os.open(tgt, os.O_RDWR | os.O_CREAT, 0o644)
for _ in range(n):
    off = rnd.randrange(0, size)
    ln = rnd.choice([1, 17, 511, 4096, 5000, 65536, 1048576 + 3, 3 * 1048576])
    data = os.urandom(ln)
    os.pwrite(fr, data, off)
    os.pwrite(ft, data, off)
os.close(fr)
os.close(ft)
EOF
$T $PY $W/randw.py $REF/rand $D/rand 1 $((24 << 20)) 200 ||
	fail "random writes" "python failed"
same_as "random-offset writes (cache)" $REF/rand $D/rand
drop_caches
same_as "random-offset writes after drop_caches" $REF/rand $D/rand
# rewrite into a file that exists on the OSTs (read-modify-write pages)
$T $PY $W/randw.py $REF/rand $D/rand 2 $((30 << 20)) 100
drop_caches
same_as "random overwrites of an existing file" $REF/rand $D/rand

# ---- appends (O_APPEND uses the size fetched at open) ----
: > $REF/app
: > $D/app
for i in 1 2 3 4 5; do
	head -c $((i * 1000 + 7)) /dev/urandom > $W/chunk
	cat $W/chunk >> $REF/app
	cat $W/chunk >> $D/app
done
same_as "appends" $REF/app $D/app
remount
head -c 3000 /dev/urandom > $W/chunk
cat $W/chunk >> $REF/app
cat $W/chunk >> $D/app
drop_caches
same_as "append after remount" $REF/app $D/app

# ---- truncate ----
$T cp $REF/s67108864 $REF/tr
$T cp $REF/s67108864 $D/tr
$T truncate -s 1572867 $REF/tr
$T truncate -s 1572867 $D/tr
same_as "truncate down (cache)" $REF/tr $D/tr
drop_caches
same_as "truncate down (after drop_caches)" $REF/tr $D/tr
$T truncate -s 10000000 $REF/tr
$T truncate -s 10000000 $D/tr
drop_caches
same_as "truncate up: zeros after the old end" $REF/tr $D/tr
$T truncate -s 0 $REF/tr
$T truncate -s 0 $D/tr
remount
same_as "truncate to 0 (after remount)" $REF/tr $D/tr
# O_TRUNC on open
$T cp $REF/s1048577 $D/otr
$T cp $REF/s4097 $D/otr
same_as "O_TRUNC rewrite" $REF/s4097 $D/otr

# ---- sparse files ----
rm -f $REF/sp
$T dd if=/dev/urandom of=$W/chunk bs=1 count=1 status=none
$T dd if=$W/chunk of=$REF/sp bs=1 seek=$((100 << 20)) conv=notrunc status=none
$T dd if=$W/chunk of=$D/sp bs=1 seek=$((100 << 20)) conv=notrunc status=none
$T dd if=$W/chunk of=$REF/sp bs=1 seek=$((7 << 20)) conv=notrunc status=none
$T dd if=$W/chunk of=$D/sp bs=1 seek=$((7 << 20)) conv=notrunc status=none
drop_caches
same_as "sparse file: holes read as zeros" $REF/sp $D/sp
$T truncate -s $((300 << 20)) $REF/sp2
$T truncate -s $((300 << 20)) $D/sp2
remount
same_as "sparse file made by truncate" $REF/sp2 $D/sp2

# ---- mmap ----
$T cp $REF/s4194305 $D/mm
$T cp $REF/s4194305 $REF/mm
if $T $PY - $REF/mm $D/mm <<'EOF'
import mmap, os, sys
ref = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    assert m[:] == ref, 'mmap read differs'
    m.close()
EOF
then
	pass "mmap read"
else
	fail "mmap read" "content differs"
fi
drop_caches
if $T $PY - $REF/mm $D/mm <<'EOF'
import mmap, os, random, sys
rnd = random.Random(7)
fr = open(sys.argv[1], 'r+b')
ft = open(sys.argv[2], 'r+b')
mr = mmap.mmap(fr.fileno(), 0)
mt = mmap.mmap(ft.fileno(), 0)
for _ in range(300):
    off = rnd.randrange(0, len(mr) - 100)
    d = os.urandom(rnd.randrange(1, 100))
    mr[off:off + len(d)] = d
    mt[off:off + len(d)] = d
mt.flush()
mr.flush()
mt.close()
mr.close()
EOF
then
	drop_caches
	same_as "mmap write (msync, drop_caches)" $REF/mm $D/mm
else
	fail "mmap write" "python failed"
fi
remount
same_as "mmap write after remount" $REF/mm $D/mm

# ---- O_DIRECT ----
if $T dd if=$REF/s67108864 of=$D/dio bs=1M oflag=direct status=none; then
	drop_caches
	same_as "O_DIRECT write 1 MiB blocks" $REF/s67108864 $D/dio
else
	fail "O_DIRECT write 1 MiB blocks" "dd failed"
fi
if $T dd if=$D/dio of=$W/dio.back bs=4M iflag=direct status=none; then
	same_as "O_DIRECT read 4 MiB blocks" $REF/s67108864 $W/dio.back
else
	fail "O_DIRECT read 4 MiB blocks" "dd failed"
fi
rm -f $W/dio.back
# unaligned sizes and offsets
if $T dd if=$REF/s4194305 of=$D/dio2 bs=12345 oflag=direct status=none &&
   $T dd if=$D/dio2 of=$W/dio2.back bs=7777 iflag=direct status=none; then
	same_as "O_DIRECT unaligned blocks" $REF/s4194305 $W/dio2.back
else
	fail "O_DIRECT unaligned blocks" "dd failed"
fi
# buffered data seen by an O_DIRECT read, and the other way round
$T cp $REF/s1048577 $D/mix
$T dd if=$D/mix of=$W/mix.back bs=1M iflag=direct status=none
same_as "O_DIRECT read of dirty cached data" $REF/s1048577 $W/mix.back
head -c 5000 /dev/urandom > $W/chunk
cat $D/mix > /dev/null
$T dd if=$W/chunk of=$D/mix bs=5000 seek=1 oflag=direct conv=notrunc status=none
$T cp $REF/s1048577 $REF/mix
$T dd if=$W/chunk of=$REF/mix bs=5000 seek=1 conv=notrunc status=none
same_as "buffered read after O_DIRECT write (cache invalidated)" $REF/mix $D/mix

# ---- a directory striped 3 x 64 KiB (odd count, many units per RPC) ----
mkdir $MNT/s3
if $T $PY - $MNT/s3 <<'EOF'
import fcntl, os, struct, sys
n = 16 + 256 * 16
TESS_IOC_SETSTRIPE = (1 << 30) | (n << 16) | (ord('T') << 8) | 1
buf = bytearray(n)
struct.pack_into('<IHH', buf, 0, 65536, 3, 0xffff)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.ioctl(fd, TESS_IOC_SETSTRIPE, buf)
EOF
then
	$T cp $REF/s4194305 $MNT/s3/f
	$T $PY $W/randw.py $REF/rand3 $MNT/s3/rand 3 $((8 << 20)) 100
	drop_caches
	same_as "3 x 64 KiB stripes: 4 MiB + 1 file" $REF/s4194305 $MNT/s3/f
	same_as "3 x 64 KiB stripes: random writes" $REF/rand3 $MNT/s3/rand
	$T dd if=$MNT/s3/f of=$W/s3.back bs=3333 iflag=direct status=none
	same_as "3 x 64 KiB stripes: O_DIRECT read" $REF/s4194305 $W/s3.back
	rm -f $W/s3.back
else
	fail "3 x 64 KiB stripes" "SETSTRIPE on a directory failed"
fi

# ---- close-to-open against another client (the userspace library) ----
head -c 3000000 /dev/urandom > $REF/cto1
head -c 2000000 /dev/urandom > $REF/cto2
$T cp $REF/cto1 $D/cto
cat $D/cto > /dev/null
if TESS_MDS=$MDSADDR TESS_KEY=$TESS_KEY $BIN/tessctl put $REF/cto2 /d/cto; then
	same_as "close-to-open: another client's rewrite seen at open" $REF/cto2 $D/cto
else
	fail "close-to-open: another client's rewrite seen at open" "tessctl put failed"
fi
TESS_MDS=$MDSADDR TESS_KEY=$TESS_KEY $BIN/tessctl get /d/rand $W/rand.user
same_as "kernel-written file read by the userspace client" $REF/rand $W/rand.user
rm -f $W/rand.user

# ---- fio verify ----
if command -v fio >/dev/null; then
	for direct in 0 1; do
		if $T fio --name=verify --filename=$D/fio$direct --size=32M --bs=64k \
		       --rw=randwrite --ioengine=psync --direct=$direct \
		       --verify=crc32c --verify_fatal=1 --do_verify=1 \
		       >$W/fio$direct.log 2>&1; then
			pass "fio randwrite --verify=crc32c direct=$direct"
		else
			fail "fio randwrite --verify=crc32c direct=$direct" "$(grep -m 2 -i 'err\|verify' $W/fio$direct.log | tr '\n' ' ')"
		fi
	done
	# sequential and random, 4 jobs at once, each verifying its own file
	for rw in write randwrite; do
		if $T fio --name=jobs --directory=$D --size=16M --bs=128k --rw=$rw \
		       --numjobs=4 --ioengine=psync --verify=crc32c --verify_fatal=1 \
		       --do_verify=1 --group_reporting >$W/fio-$rw.log 2>&1; then
			pass "fio $rw 4 jobs --verify=crc32c"
		else
			fail "fio $rw 4 jobs --verify=crc32c" "$(grep -m 2 -i 'err\|verify' $W/fio-$rw.log | tr '\n' ' ')"
		fi
	done
	rm -f $D/jobs.*
	drop_caches
	if $T fio --name=verify --filename=$D/fio0 --size=32M --bs=64k --rw=randwrite \
	       --ioengine=psync --verify=crc32c --verify_only=1 >$W/fio-v.log 2>&1; then
		pass "fio verify_only after drop_caches"
	else
		fail "fio verify_only after drop_caches" "$(grep -m 2 -i 'err\|verify' $W/fio-v.log | tr '\n' ' ')"
	fi
else
	fail "fio verify" "fio is not installed (scripts/install-deps.sh installs it)"
fi

# ---- throughput ----
rate() {	# bytes seconds -> MB/s
	awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.001; printf "%.1f", b / 1e6 / s }'
}
t0=$(date +%s.%N)
if $T dd if=/dev/zero of=$D/perf bs=1M count=256 conv=fsync status=none; then
	t1=$(date +%s.%N)
	wr=$(rate $((256 << 20)) "$(awk "BEGIN{print $t1 - $t0}")")
	drop_caches
	t0=$(date +%s.%N)
	$T dd if=$D/perf of=/dev/null bs=1M status=none
	t1=$(date +%s.%N)
	rd=$(rate $((256 << 20)) "$(awk "BEGIN{print $t1 - $t0}")")
	info "256 MiB dd write+fsync: $wr MB/s, cold read: $rd MB/s"
	pass "256 MiB write+fsync and cold read"
else
	fail "256 MiB write+fsync and cold read" "dd failed"
fi
rm -f $D/perf

# ---- 1 GiB, if the VM has the memory (TESS_VM_MEM=4G): OSTs are tmpfs ----
# Written in 1 MiB write()s (dd from a fifo that tee feeds; tee's own 8 KiB
# writes made this step 10x slower).  The debug kernel (tests/vm/suites/
# debug.sh) sets TESS_DATA_BIG_MIB=256: KASAN makes every byte cost 5x or
# more, and its shadow takes an eighth of RAM.
BIG_MIB=${TESS_DATA_BIG_MIB:-1024}
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
if [ "$mem_kb" -gt $((BIG_MIB * 3418)) ]; then
	rm -f $D/s* $D/rand $D/dio* $D/fio* $D/mm $D/sp* $D/mix $MNT/s3/* $W/big.fifo
	mkfifo $W/big.fifo
	timeout -k 5 900 dd if=$W/big.fifo of=$D/big bs=1M iflag=fullblock status=none &
	ddpid=$!
	t0=$(date +%s)
	sum1=$($PY -c '
import random, sys
r = random.Random(5)
o = sys.stdout.buffer
for _ in range('"$BIG_MIB"'):
    o.write(r.randbytes(1 << 20))
' | timeout -k 5 900 tee $W/big.fifo | sha256sum | cut -d" " -f1)
	tess_wait_pid 60 $ddpid || sum1="dd failed"
	rm -f $W/big.fifo
	t1=$(date +%s)
	drop_caches
	sum2=$(timeout -k 5 900 sha256sum $D/big | cut -d' ' -f1)
	t2=$(date +%s)
	size=$(stat -c %s $D/big)
	if [ "$sum1" = "$sum2" ] && [ "$size" = $((BIG_MIB << 20)) ]; then
		pass "$BIG_MIB MiB file (write $((t1 - t0))s, cold read $((t2 - t1))s)"
	else
		fail "$BIG_MIB MiB file" "size $size, sha differs"
	fi
	rm -f $D/big
else
	fail "$BIG_MIB MiB file" "the VM has $((mem_kb / 1024)) MiB; run with TESS_VM_MEM=4G (make check does)"
fi

# ---- an OST that stops answering: EIO after the timeout, no hang ----
# (a soft mount: a hard one, the default, waits for the OST)
$T cp $REF/s4194305 $D/down
OPTS="timeout=$TIMEOUT,soft"
remount
# over rdma the OSTs share one link (rxe0 on rv0): OST2 is stopped instead
if [ "$TESS_NET" = rdma ]; then
	kill -STOP "$TESS_OST_PID_2"
	how="OST2 stopped (SIGSTOP)"
else
	ip link set vo2 down
	how="link of OST2 down"
fi
t0=$(date +%s)
timeout -s KILL $((TIMEOUT * 6 + 30)) cat $D/down > $W/down.out 2>$W/down.err
rc=$?
t1=$(date +%s)
if [ "$TESS_NET" = rdma ]; then
	kill -CONT "$TESS_OST_PID_2"
else
	ip link set vo2 up
fi
if [ $rc = 137 ]; then
	fail "read with $how" "still hanging after $((t1 - t0))s"
elif [ $rc != 0 ] && grep -q "Input/output error" $W/down.err; then
	pass "read with $how fails with EIO after $((t1 - t0))s"
else
	fail "read with $how" "rc $rc: $(cat $W/down.err)"
fi
sleep 1
drop_caches
same_as "read after OST2 came back" $REF/s4194305 $D/down

# ---- umount, kernel log ----
if $T umount $MNT; then
	pass "umount"
else
	fail "umount" "busy or failed"
fi
tess_finish
