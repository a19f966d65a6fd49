# HSM suite: lazy import of an S3 bucket, seen and read through the
# kernel mount (mount -t tessera), with the OSTs in network namespaces
# restoring released data from a local S3 server (s3rver, tests/s3) on
# the bridge address 10.77.0.1.
#
#  - import through the MDS copies no data: ls -lR of the mount shows every
#    name, size and mtime of the bucket and the OSTs fetched 0 bytes
#  - 4 KiB at offset 200 MiB of a released 256 MiB file fetches a few MiB
#  - S3 stopped in the middle of a read: the reader gets EIO before the
#    mount's timeout; S3 back: the same read succeeds
#  - sha256 through the mount of every imported file equals the source;
#    hsm prefetch, then hsm status shows 100%
#  - keys that cannot be paths are skipped with a warning
#  - re-import after adding, changing and deleting objects
#
# Sizes: 1000 small objects in nested prefixes, two big objects of 256 MiB
# (a 4 GiB guest: the bucket and the OSTs live in its RAM).  Runs inside
# the VM (tests/vm/run hsm).

. "$TESS_REPO/tests/vm/lib.sh"

B=$TESS_REPO/build/bin
W=/tmp/tess
MNT=/mnt/hsm
KEY=$W/key
MDS_IP=10.77.0.1
S3PORT=9000
EP=http://$MDS_IP:$S3PORT
S3_TIMEOUT=15		# the OSTs' --s3-timeout
MNT_TIMEOUT=60		# the mount's timeout=, larger
BIG_MB=256
T0=$(date +%s)
mkdir -p $W/src/ds $W/src/big $W/s3data $MNT
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $KEY
chmod 600 $KEY
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_ENDPOINT_URL=$EP TESS_MDS=$MDS_IP@tcp TESS_KEY=$KEY
note() { echo "hsm: $*"; }
elapsed() { echo "$(( $(date +%s) - T0 )) s"; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

cluster_net 4

# ---- s3rver on 10.77.0.1 ----
# on the bridge address: the OSTs' network namespaces reach it there
S3PID=
start_s3() {
	node --openssl-legacy-provider $TESS_REPO/tests/s3/server.js \
		$W/s3data $S3PORT $MDS_IP >> $W/s3rver.log 2>&1 &
	S3PID=$!
	tess_wait_until 60 curl -s -m 5 -o /dev/null $EP/
}
stop_s3() {
	kill $S3PID 2>/dev/null
	tess_wait_pid 20 $S3PID >/dev/null
	if [ $? = 124 ]; then	# still running
		kill -9 $S3PID 2>/dev/null
		tess_wait_pid 10 $S3PID >/dev/null
	fi
	S3PID=
}
s3curl() {
	curl -sS --path-as-is --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
cat > $W/s3cfg <<EOF
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = $MDS_IP:$S3PORT
host_bucket = $MDS_IP:$S3PORT
use_https = False
signature_v2 = False
multipart_chunk_size_mb = 64
EOF
s3c() { s3cmd -c $W/s3cfg --no-progress "$@"; }
fetched() { $B/hsm counters | sed -n 's/^total fetched: \([0-9]*\) bytes.*/\1/p'; }
# the OSTs' last restore errors, for a failed check
ost_why() {
	grep -hE 'failed|gave up|corrupt|cannot|not tried' $W/ost*.log 2>/dev/null |
		tail -n 8 | sed 's/^/hsm: OST log: /'
}

if [ ! -d $TESS_REPO/tests/s3/node_modules/s3rver ]; then
	fail "hsm: setup" "s3rver missing: npm ci --prefix tests/s3"
	exit 1
fi
if start_s3; then pass "hsm: s3rver on $EP"; else fail "hsm: s3rver on $EP" "$(tail -3 $W/s3rver.log)"; exit 1; fi

# ---- Tessera: MDS, 4 OSTs restoring from S3, the kernel mount ----
TESS_W=$W
if tess_cluster_start 4 "--stripe-count 4 --stripe-size 1048576" \
	"--s3-endpoint $EP --s3-timeout $S3_TIMEOUT"; then
	pass "hsm: MDS and 4 OSTs (--s3-endpoint $EP --s3-timeout $S3_TIMEOUT) up"
else
	fail "hsm: MDS and 4 OSTs up" "$($B/tessctl df 2>&1 | tr '\n' ' ')"
fi
check "hsm: modules loaded" tess_modules_load
check "hsm: mount -t tessera (timeout=$MNT_TIMEOUT)" $B/mount.tessera $MDS_IP@tcp:/fs $MNT \
	-o key=$KEY,timeout=$MNT_TIMEOUT,acregmin=1,acregmax=1,acdirmin=1,acdirmax=1

# ---- the bucket: 1000 small objects, two big ones, bad keys ----
python3 - $W/src/ds <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(1234)
for d in range(10):
    for s in range(10):
        p = os.path.join(root, "d%02d" % d, "s%02d" % s)
        os.makedirs(p, exist_ok=True)
        for f in range(10):
            with open(os.path.join(p, "f%02d.dat" % f), "wb") as fh:
                fh.write(os.urandom(rnd.randint(1, 8000)))
EOF
for n in a b; do
	head -c $((BIG_MB << 20)) /dev/urandom > $W/src/big/$n.bin
done
(cd $W/src && find . -type f | sed 's|^\./||' | sort | xargs sha256sum) > $W/src.sha256
OFF=$((200 << 20))
WANT_4K=$(dd if=$W/src/big/a.bin bs=4096 skip=$((OFF / 4096)) count=1 2>/dev/null | sha256sum | cut -c1-64)
tu=$(date +%s)
# s3cmd fills the bucket: the 1000 small files in one recursive put, the
# two big ones as multipart uploads of 64 MiB parts
prc=1
if s3c mb s3://data > $W/put.log 2>&1 &&
   s3c put --recursive $W/src/ds s3://data/ >> $W/put.log 2>&1 &&
   s3c put --multipart-chunk-size-mb=64 $W/src/big/a.bin $W/src/big/b.bin s3://data/big/ >> $W/put.log 2>&1; then
	prc=0
fi
if [ $prc = 0 ]; then
	nkeys=$(s3c ls -r s3://data | wc -l)
	[ "$nkeys" = 1002 ] && pass "hsm: s3cmd filled the bucket: 1000 small + 2 x $BIG_MB MiB objects ($(( $(date +%s) - tu )) s)" ||
		fail "hsm: bucket filled" "$nkeys keys, not 1002"
else
	fail "hsm: bucket filled" "s3cmd: $(tail -n 3 $W/put.log | tr '\n' ' ')"
	exit 1
fi
rm -f $W/src/big/*.bin	# memory: the VM's /tmp is RAM; the sums are kept
longseg=$(printf 'L%.0s' $(seq 1 300))
echo ok > $W/ok.txt
s3c mb s3://bad > /dev/null
s3c put $W/ok.txt s3://bad/ok.txt > /dev/null
nbad=0		# curl: s3cmd would normalise these keys before sending them
for k in "a/%2Fb" "../x" "$longseg/f" "c/./d"; do
	s3curl -T $W/ok.txt "$EP/bad/$k" -o /dev/null && nbad=$((nbad + 1))
done
[ $nbad = 4 ] && pass "hsm: 4 keys that cannot be paths put in s3://bad" ||
	fail "hsm: keys that cannot be paths put" "$nbad of 4"
# the S3 server is strict: it refuses what S3 refuses (wrong secret,
# region or token, tampered request, stale date, payload hash)
if s3c mb s3://strict > /dev/null; then
	node $TESS_REPO/tests/s3/strict_test.js $EP strict "$TESS_TAG: hsm: strict"
else
	fail "hsm: strict" "cannot make bucket s3://strict"
fi

# the bucket's own view: key size mtime
list_bucket() {
	python3 $TESS_REPO/tests/s3/list.py $EP "$1"
}
# the mount's view through ls -lR: path size mtime
ls_mount() {
	(cd "$1" && ls -lR --time-style=+%s .) | awk '
		/^\..*:$/ { d = substr($0, 3, length($0) - 3); if (d != "") d = d "/"; next }
		/^-/ { print d $7, $5, $6 }' | sort
}

# ---- import: names, sizes, mtimes, no data ----
note "setup done at $(elapsed)"
mkdir -p $MNT/hsm
f0=$(fetched)
t1=$(ms_now)
if $B/hsm --mds $MDS_IP@tcp --key $KEY import s3://data /hsm/data -j 8 > $W/import.out 2> $W/import.err; then
	note "$(cat $W/import.out)"
	grep -q "1002 keys (2 pages), 1002 created" $W/import.out &&
		pass "hsm: import of 1002 keys through the MDS ($(( $(ms_now) - t1 )) ms)" ||
		fail "hsm: import of 1002 keys" "$(cat $W/import.out)"
else
	fail "hsm: import" "exit $?: $(tail -n 3 $W/import.err | tr '\n' ' ')"
fi
list_bucket data | sort > $W/listing || fail "hsm: list the bucket" "python/curl failed"
sleep 2		# the mount's directory cache (acdirmax=1)
ls_mount $MNT/hsm/data > $W/lsR
if cmp -s $W/listing $W/lsR; then
	pass "hsm: ls -lR of the mount shows all $(wc -l < $W/listing) names, sizes and mtimes of the bucket"
else
	fail "hsm: ls -lR of the mount shows every name, size and mtime" \
		"$(wc -l < $W/lsR) vs $(wc -l < $W/listing) lines; $(diff $W/listing $W/lsR | head -4 | tr '\n' ' ')"
fi
f1=$(fetched)
[ "$((f1 - f0))" = 0 ] && pass "hsm: no object data fetched by import and ls -lR (OST counters)" ||
	fail "hsm: no object data fetched by import and ls -lR" "$((f1 - f0)) bytes"
st=$($B/hsm state /hsm/data/big/a.bin)
echo "$st" | grep -q "exists archived released" && pass "hsm: big/a.bin is released" ||
	fail "hsm: big/a.bin is released" "$st"

# ---- 4 KiB at 200 MiB through the mount ----
got=$(timeout -k 5 120 dd if=$MNT/hsm/data/big/a.bin bs=4096 skip=$((OFF / 4096)) count=1 2>/dev/null | sha256sum | cut -c1-64)
sleep 1		# readahead still in flight counts too
f2=$(fetched)
[ "$got" = "$WANT_4K" ] && pass "hsm: 4 KiB at offset $OFF of a released $BIG_MB MiB file: right bytes" ||
	fail "hsm: 4 KiB at offset $OFF of a released file" "sha256 $got, want $WANT_4K"
d=$((f2 - f1))
[ $d -gt 0 ] && [ $d -le $((4 << 20)) ] &&
	pass "hsm: that 4 KiB read fetched $d bytes ($((d >> 10)) KiB) from S3 (max 4 MiB)" ||
	fail "hsm: 4 KiB read fetches a few MiB" "$d bytes"

# ---- S3 stopped in the middle of a read, then back ----
BSUM=$(grep ' big/b.bin$' $W/src.sha256 | cut -c1-64)
echo 3 > /proc/sys/vm/drop_caches
fb=$(fetched)
(timeout -k 5 $((MNT_TIMEOUT + 40)) dd if=$MNT/hsm/data/big/b.bin bs=1M of=/dev/null 2> $W/dd.err; echo $? > $W/dd.rc; date +%s%N > $W/dd.end) &
DDPID=$!
n=0
while [ $(( $(fetched) - fb )) -lt $((16 << 20)) ] && [ $n -lt 300 ] && [ ! -s $W/dd.rc ]; do
	sleep 0.2
	n=$((n + 1))
done
ts=$(date +%s%N)
stop_s3
note "s3rver stopped after $(( ($(fetched) - fb) >> 20 )) MiB of b.bin were fetched"
tess_wait_pid $((MNT_TIMEOUT + 60)) $DDPID
rc=$(cat $W/dd.rc)
ms=$(( ($(cat $W/dd.end) - ts) / 1000000 ))
if [ $ms -lt 0 ]; then
	# S3 was up all along: an EIO then is a failed restore, not this case
	fail "hsm: S3 stopped mid-read" "dd ended $((-ms)) ms before S3 was stopped: rc $rc: $(tr '\n' ' ' < $W/dd.err)"
	ost_why
elif [ "$rc" != 0 ] && grep -q "Input/output error" $W/dd.err && [ $ms -lt $((MNT_TIMEOUT * 1000)) ]; then
	pass "hsm: S3 stopped mid-read: the reader gets EIO $ms ms later (--s3-timeout $S3_TIMEOUT, mount timeout=$MNT_TIMEOUT)"
else
	fail "hsm: S3 stopped mid-read: EIO within the timeout" "dd rc $rc after $ms ms: $(tr '\n' ' ' < $W/dd.err)"
fi
grep -q "restore of s3://data/big/b.bin bytes .* failed" $W/ost*.log &&
	pass "hsm: the OST logs the failed restore" ||
	fail "hsm: the OST logs the failed restore" "no line"
if start_s3; then
	got=$(timeout -k 5 600 sha256sum $MNT/hsm/data/big/b.bin | cut -c1-64)
	[ "$got" = "$BSUM" ] && pass "hsm: S3 back: the same read succeeds, sha256 equal" ||
		{ fail "hsm: S3 back: the same read succeeds" "sha256 $got"; ost_why; }
else
	fail "hsm: S3 back" "s3rver did not restart"
fi
note "at $(elapsed)"

# ---- sha256 of every imported file through the mount ----
# the small ones restore on access (released until now), 2 readers
verify() {	# verify LIST: files of LIST ("SUM  PATH") that do not match
	# (sha256sum -c: one process for many files, not one exec per file;
	# every file not reported OK counts, unreadable ones too)
	(cd $MNT/hsm/data && sha256sum -c "$1") > "$1.out" 2>&1
	grep -v ': OK$' "$1.out" | head -5 | sed 's/^/hsm: /' >&2
	echo $(( $(wc -l < "$1") - $(grep -c ': OK$' "$1.out") ))
}
grep ' ds/' $W/src.sha256 > $W/small.sha256
split -n l/2 $W/small.sha256 $W/part.
t1=$(ms_now)
verify $W/part.aa > $W/part.aa.res &
p1=$!
verify $W/part.ab > $W/part.ab.res &
p2=$!
tess_wait_pid 1200 $p1 $p2
bad=$(( $(cat $W/part.aa.res) + $(cat $W/part.ab.res) ))
[ "$bad" = 0 ] && pass "hsm: sha256 through the mount of 1000 small released files equals the source ($(( $(ms_now) - t1 )) ms)" ||
	{ fail "hsm: sha256 of the small files through the mount" "$bad of 1000 differ"; ost_why; }

# ---- prefetch, status ----
t1=$(ms_now)
if $B/hsm prefetch /hsm/data -j 8 > $W/prefetch.out 2> $W/prefetch.err; then
	pass "hsm: $(cat $W/prefetch.out) ($(( $(ms_now) - t1 )) ms)"
else
	fail "hsm: prefetch" "$(tail -n 3 $W/prefetch.err | tr '\n' ' ')"
	ost_why
fi
$B/hsm status /hsm/data > $W/status.out 2>&1
sed 's/^/hsm: /' $W/status.out
grep -q "100.0%" $W/status.out && grep -q " 0 released, 0 dirty, 0 lost" $W/status.out &&
	pass "hsm: hsm status shows 100% present, 0 released" ||
	fail "hsm: hsm status shows 100%" "$(tr '\n' ' ' < $W/status.out)"
echo 3 > /proc/sys/vm/drop_caches
bad=$(verify $W/src.sha256)
[ "$bad" = 0 ] && pass "hsm: sha256 through the mount of all 1002 imported files equals the source" ||
	fail "hsm: sha256 of every imported file through the mount" "$bad of 1002 differ"

# ---- bad keys ----
$B/hsm import s3://bad /hsm/bad > $W/bad.out 2> $W/bad.err
rc=$?
w=0
grep -qF "hsm: import: a//b: skipped" $W/bad.err && w=$((w + 1))
grep -qF "hsm: import: ../x: skipped" $W/bad.err && w=$((w + 1))
grep -qF "hsm: import: c/./d: skipped" $W/bad.err && w=$((w + 1))
grep -q "hsm: import: L*/f: skipped: key has a name longer than 255 bytes" $W/bad.err && w=$((w + 1))
[ $rc = 0 ] && [ $w = 4 ] && pass "hsm: 4 keys that cannot be paths skipped with a warning each" ||
	fail "hsm: bad keys skipped with warnings" "exit $rc, $w of 4: $(cut -c1-100 $W/bad.err | tr '\n' ' ')"
[ "$(cat $MNT/hsm/bad/ok.txt 2>&1)" = ok ] && [ "$(ls $MNT/hsm/bad)" = ok.txt ] &&
	pass "hsm: the good key of that bucket reads through the mount, nothing else there" ||
	fail "hsm: the good key of the bad bucket" "$(ls $MNT/hsm/bad 2>&1 | tr '\n' ' ')"

# ---- re-import after adding, changing and deleting objects ----
D=$MNT/hsm/data/ds/d00/s00
cat $D/f01.dat > /dev/null	# cached by the mount
echo "a new key" > $W/new.dat
echo "changed in S3" > $W/f01.new
s3c put $W/new.dat s3://data/ds/d00/s00/new.dat > /dev/null
s3c put $W/f01.new s3://data/ds/d00/s00/f01.dat > /dev/null
s3c del s3://data/ds/d00/s00/f02.dat > /dev/null
$B/hsm import s3://data /hsm/data -j 8 > $W/re.out 2> $W/re.err
rc=$?
note "$(cat $W/re.out)"
grep -q "1002 keys (2 pages), 1 created, 1 invalidated, 1000 unchanged, 0 skipped, 0 conflicts, 1 deleted in S3 (0 removed), 0 failed" $W/re.out &&
	pass "hsm: re-import: 1 created, 1 invalidated, 1000 unchanged, 1 deleted in S3" ||
	fail "hsm: re-import counts" "exit $rc: $(cat $W/re.out $W/re.err | tr '\n' ' ')"
sleep 2		# attribute and name caches of the mount (1 s)
[ "$(cat $D/new.dat 2>&1)" = "a new key" ] && pass "hsm: re-import: the added object reads through the mount" ||
	fail "hsm: re-import: added object" "$(cat $D/new.dat 2>&1 | head -c 80)"
[ "$(cat $D/f01.dat 2>&1)" = "changed in S3" ] && pass "hsm: re-import: the changed object reads its new data through the mount" ||
	fail "hsm: re-import: changed object" "$(head -c 80 $D/f01.dat 2>&1 | od -c | head -2 | tr '\n' ' ')"
grep -q "ds/d00/s00/f02.dat: deleted in S3: /hsm/data/ds/d00/s00/f02.dat kept, marked lost" $W/re.err &&
	$B/hsm state /hsm/data/ds/d00/s00/f02.dat | grep -q lost && [ -e $D/f02.dat ] &&
	pass "hsm: re-import: the deleted object is reported, kept and marked lost" ||
	fail "hsm: re-import: deleted object" "$(cat $W/re.err | tr '\n' ' ')"
$B/hsm import s3://data /hsm/data --delete > $W/re2.out 2> $W/re2.err
sleep 2
[ ! -e $D/f02.dat ] && grep -q "0 created, 0 invalidated, 1002 unchanged" $W/re2.out &&
	pass "hsm: re-import --delete removes it from the mount, the rest unchanged" ||
	fail "hsm: re-import --delete" "$(ls $D 2>&1 | tr '\n' ' '); $(cat $W/re2.out)"

# ---- end ----
check "hsm: umount" umount $MNT
note "the suite took $(elapsed) in the VM"
stop_s3
tess_finish
