# Recovery suite (issue #8): what the kernel client promises when servers go
# away, replies are lost and files are unlinked while open.  An MDS and two
# OSTs in network namespaces (tests/vm/lib.sh), mounts with timeout=5:
#
#   open-unlinked   a file unlinked while open on two mounts keeps its data
#                   until the last close; then its objects are destroyed
#   append/stat     an O_APPEND writer racing stat and open keeps every byte
#   hard            an OST away for 3 x timeout during a 256 MiB write: the
#                   write and its fsync succeed once it is back, data intact
#   soft            the same on a soft mount: fsync reports EIO
#   exactly-once    an MDS that drops the reply of a mkdir, an OST that drops
#                   the reply of a write: mkdir returns 0 once, data intact
#   sync            sync(1) and syncfs make the OSTs sync what they hold
#                   (OBJ_SYNC_OWN: none refused)
#   power cut       writes an OST acknowledged but did not sync: after a
#                   daemon restart (same write verifier) fsync is 0 and the
#                   data intact; after a modelled power cut (their objects
#                   removed, a new verifier) syncfs, fsync and close
#                   return EIO, never 0, and the MDS size does not cover
#                   them
#   kill            SIGKILL ends a writer or a lookup waiting for a server,
#                   and an fsync waiting behind a truncate that waits for
#                   the MDS; creates with every OST away wait (hard) or
#                   fail (soft) once the precreated objects ran out
#   umount -f       a forced umount of a busy mount leaves it usable
#   truncate        a truncate whose SETATTR fails leaves size and data as
#                   they were
#   past the size   with OSTs that lose every shrinking truncate not made
#                   stable, a truncate down then up reads zeros between; a
#                   dead client's writes past the size read as zeros after
#                   a truncate up, and the MDS cuts them once its lease ran
#                   out
#   locks           fcntl and flock fail with ENOLCK; localflock makes them
#                   local
#
# Runs inside the VM: tests/vm/run recovery (TESS_VM_MEM=2G is enough).

. "$TESS_REPO/tests/vm/lib.sh"
TESS_TAG=vm-recovery
TESS_W=/tmp/tess-rec
PY=/usr/bin/python3
BIN=$TESS_BIN
MA=/mnt/a
MB=/mnt/b
MS=/mnt/s
A=$MA/t			# the test directory, as each mount sees it
B=$MB/t
S=$MS/t
T=5			# mount timeout= (seconds)

trap tess_cleanup EXIT

drop_caches() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

# tessctl on mounted paths (lib.sh exports TESS_MDS for the daemons' tools)
tctl() {
	tess_timeout 30 env -u TESS_MDS -u TESS_KEY "$BIN/tessctl" "$@"
}

# the OST object files of a file: "DIR/O/xx/oid" per line
obj_files() {
	local idx oid
	tctl getstripe "$1" 2>/dev/null |
		awk 'NF == 2 && $1 ~ /^[0-9]+$/ { print $1, $2 }' |
		while read -r idx oid; do
			printf '%s/ost%d/O/%02x/%016x\n' "$TESS_W" "$idx" \
				$((oid % 256)) "$oid"
		done
}

# the kernel stack of a task, for a failure message
kstack() {
	tr '\n' ' ' < "/proc/$1/stack" 2>/dev/null | cut -c1-400
}

all_exist() {
	local f
	[ -n "$1" ] || return 1
	for f in $1; do
		[ -f "$f" ] || return 1
	done
}

none_exist() {
	local f
	for f in $1; do
		[ -e "$f" ] && return 1
	done
	return 0
}

mkdir -p "$TESS_W"
if ! tess_modules_load; then
	fail "modules load" "modprobe failed"
	tess_finish
fi
# a short lease: the opens of a client that went away expire quickly
if ! tess_cluster_start 2 "--lease 10"; then
	fail "cluster start" "the OSTs did not come up"
	tess_finish
fi
check "mount A (hard)" tess_mount $MA "timeout=$T"
check "mount B (hard)" tess_mount $MB "timeout=$T"
check "mount S (soft)" tess_mount $MS "timeout=$T,soft"
grep -q " $MS tessera .*,soft" /proc/mounts &&
grep -q " $MA tessera .*,hard" /proc/mounts
expect "mount options: hard is the default, soft shows" 0 $?
# every file on both OSTs: an OST outage hits every file
mkdir -p $A
check "layout: 2 x 1 MiB stripes in the test directory" \
	tctl setstripe -c 2 -S 1M $A

# ---- 1. an unlinked open file keeps its data until the last close ----

head -c $((6 << 20)) /dev/urandom > $TESS_W/ref1
cp $TESS_W/ref1 $A/u1 && sync
objs=$(obj_files $A/u1)
all_exist "$objs"
expect "open-unlinked: the file's objects exist" 0 $?
tess_timeout 120 $PY - "$A/u1" "$B/u1" "$TESS_W/ref1" > $TESS_W/u1.out 2>&1 <<'EOF'
import hashlib, os, sys, time
a_path, b_path, ref = sys.argv[1:4]
want = open(ref, "rb").read()
fa = os.open(a_path, os.O_RDWR)
fb = os.open(b_path, os.O_RDONLY)
os.unlink(a_path)
print("unlinked", flush=True)
time.sleep(12)			# past the lease and the destroyer's rounds
def whole(fd):
    return os.pread(fd, len(want) + 4096, 0)
ok = whole(fa) == want and whole(fb) == want
print("read-after-unlink", "ok" if ok else "BAD", flush=True)
new = os.urandom(1 << 20)
os.pwrite(fa, new, 1 << 20)
os.fsync(fa)
with open("/proc/sys/vm/drop_caches", "w") as f:
    f.write("3")
exp = want[:1 << 20] + new + want[2 << 20:]
ok = whole(fa) == exp and whole(fb) == exp
print("write-after-unlink", "ok" if ok else "BAD", flush=True)
os.close(fa)
os.close(fb)
print("closed", flush=True)
EOF
grep -q "read-after-unlink ok" $TESS_W/u1.out
expect "open-unlinked: both mounts read the data 12 s after unlink" 0 $?
grep -q "write-after-unlink ok" $TESS_W/u1.out
expect "open-unlinked: a write through the open fd reads back on both mounts" 0 $?
[ ! -e $A/u1 ] && [ ! -e $B/u1 ]
expect "open-unlinked: the name is gone" 0 $?
tess_wait_until 30 none_exist "$objs"
expect "open-unlinked: objects destroyed after the last close" 0 $?

# a process killed while holding it open closes it (the lease of a client
# that dies without CLOSE is tested in the integ tier, tests/integ)
cp $TESS_W/ref1 $A/u2 && sync
objs=$(obj_files $A/u2)
$PY -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
print("open", flush=True)
time.sleep(600)' $A/u2 > $TESS_W/u2.out &
holder=$!
tess_wait_until 60 grep -q open $TESS_W/u2.out
rm -f $B/u2
sleep 3
all_exist "$objs"
expect "open-unlinked: objects kept while another client holds it" 0 $?
kill -9 $holder
tess_wait_pid 10 $holder >/dev/null
tess_wait_until 30 none_exist "$objs"
expect "open-unlinked: destroyed when the holder is killed" 0 $?

# the MDS restarts while a file is open: the client sends its opens again
# within the MDS's grace period, and the file outlives an unlink
cp $TESS_W/ref1 $A/u3 && sync
objs=$(obj_files $A/u3)
rm -f $TESS_W/u3.go
tess_timeout 300 $PY - "$A/u3" "$TESS_W/ref1" "$TESS_W/u3.go" > $TESS_W/u3.out 2>&1 <<'EOF' &
import os, sys, time
path, ref, go = sys.argv[1:4]
fd = os.open(path, os.O_RDONLY)
print("open", flush=True)
for _ in range(2400):
    if os.path.exists(go):
        break
    time.sleep(0.1)
with open("/proc/sys/vm/drop_caches", "w") as f:
    f.write("3")
ok = os.pread(fd, 8 << 20, 0) == open(ref, "rb").read()
print("read", "ok" if ok else "BAD", flush=True)
os.close(fd)
EOF
holder=$!
tess_wait_until 60 grep -q open $TESS_W/u3.out
tess_mds_stop
tess_mds_start
tess_wait_osts 2 60 >/dev/null
rm -f $B/u3
sleep 15			# past the MDS's grace (lease 10 s)
all_exist "$objs"
expect "MDS restart: an open file's objects outlive an unlink (opens sent again)" 0 $?
touch $TESS_W/u3.go
tess_wait_pid 120 $holder >/dev/null
grep -q "read ok" $TESS_W/u3.out
expect "MDS restart: the open file still reads its data" 0 $?
tess_wait_until 30 none_exist "$objs"
expect "MDS restart: objects destroyed after its close" 0 $?

# ---- 2. appends racing stat and open keep every byte ----

# The window: right after an fsync (no dirty page, the MDS knows the
# size) a refresh decides it may take the MDS's size, an append grows
# i_size meanwhile, and the refresh cut it back.  A mount that refreshes
# on every stat and open, an fsync every 4 records, two stat/open loops.
tess_mount /mnt/ac "timeout=$T,acregmin=0,acregmax=0"
AC=/mnt/ac/t
rm -f $AC/app
: > $AC/app
statters=
for _ in 1 2; do
	(
		while [ ! -e $TESS_W/app.done ]; do
			stat -c %s $AC/app >/dev/null 2>&1
			: < $AC/app
		done
	) &
	statters="$statters $!"
done
tess_timeout 600 $PY - "$AC/app" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
for i in range(3000):
    rec = (b"record %08d " % i).ljust(4096, b".")
    os.write(fd, rec)
    if i % 4 == 3:
        os.fsync(fd)
os.close(fd)
EOF
touch $TESS_W/app.done
tess_wait_pid 30 $statters >/dev/null
drop_caches
tess_timeout 120 $PY - "$A/app" > $TESS_W/app.out 2>&1 <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
n = 3000
if len(data) != n * 4096:
    print("size", len(data), "want", n * 4096)
    sys.exit(1)
for i in range(n):
    if not data[i * 4096:].startswith(b"record %08d " % i):
        print("record", i, "missing or moved")
        sys.exit(1)
print("ok")
EOF
rc=$?
expect "append/stat: 3000 O_APPEND records racing stat+open all kept, in order ($(cat $TESS_W/app.out))" 0 $rc

# ---- 3. hard: an OST away for 3 x timeout during a 256 MiB write ----

head -c $((256 << 20)) /dev/urandom > $TESS_W/big
(
	dd if=$TESS_W/big of=$A/big bs=1M conv=fsync 2>$TESS_W/hard.err
	echo $? > $TESS_W/hard.rc
) &
writer=$!
sleep 2
tess_ost_stop 1
sleep $((3 * T))
tess_ost_start 1
tess_wait_pid 300 $writer >/dev/null
expect "hard: 256 MiB write+fsync across a $((3 * T)) s OST outage succeeds" 0 "$(cat $TESS_W/hard.rc 2>/dev/null)"
drop_caches
check "hard: the file reads back identical" cmp $TESS_W/big $A/big
rm -f $A/big

# ---- soft: the same outage gives EIO at fsync ----

tess_wait_osts 2 60 >/dev/null
(
	dd if=$TESS_W/big of=$S/big bs=1M conv=fsync 2>$TESS_W/soft.err
	echo $? > $TESS_W/soft.rc
) &
writer=$!
sleep 2
tess_ost_stop 1
tess_wait_pid $((12 * T + 60)) $writer >/dev/null
tess_ost_start 1
rc=$(cat $TESS_W/soft.rc 2>/dev/null)
if [ -n "$rc" ] && [ "$rc" != 0 ] && grep -q "Input/output error" $TESS_W/soft.err; then
	pass "soft: the write or its fsync fails with EIO during the outage"
else
	fail "soft: the write or its fsync fails with EIO during the outage" \
		"rc=$rc: $(tr '\n' ' ' < $TESS_W/soft.err)"
fi
rm -f $S/big $TESS_W/big
tess_wait_osts 2 60 >/dev/null

# ---- 4. exactly-once: lost replies ----

tess_mds_stop
tess_mds_start --fault-drop-reply 20	# MKDIR
tess_wait_osts 2 60 >/dev/null
start=$(date +%s)
tess_timeout $((10 * T)) mkdir $A/lost
rc=$?
took=$(( $(date +%s) - start ))
expect "exactly-once: mkdir whose reply the MDS dropped returns 0 (${took}s)" 0 $rc
expect "exactly-once: the directory exists once" 1 "$(ls $A | grep -c '^lost$')"
grep -q "fault injection: no reply to mkdir" $TESS_W/mds.log
expect "exactly-once: the MDS did drop a reply" 0 $?
tess_mds_stop
tess_mds_start
tess_wait_osts 2 60 >/dev/null

head -c $((8 << 20)) /dev/urandom > $TESS_W/ref4
tess_ost_stop 0
tess_ost_start 0 --fault-drop-reply 65	# OBJ_WRITE
tess_wait_osts 2 60 >/dev/null
tess_timeout $((10 * T)) dd if=$TESS_W/ref4 of=$A/w4 bs=1M conv=fsync 2>/dev/null
expect "exactly-once: a write whose reply the OST dropped completes" 0 $?
drop_caches
check "exactly-once: its data reads back identical" cmp $TESS_W/ref4 $A/w4
tess_ost_stop 0
tess_ost_start 0
tess_wait_osts 2 60 >/dev/null

# ---- 5. sync(1) and syncfs reach the OSTs' disks ----

syncs_of_sync() {
	# $1: the sync command; prints how many syncfs/fsync OST 0 made
	local p
	eval "p=\$TESS_OST_PID_0"
	head -c $((4 << 20)) /dev/urandom > $A/s5
	strace -f -qq -e trace=syncfs,fsync,fdatasync -p "$p" -o $TESS_W/strace.out &
	st=$!
	sleep 2
	"$@"
	sleep 1
	kill $st 2>/dev/null
	tess_wait_pid 10 $st >/dev/null
	grep -cE '^[0-9]+ +(syncfs|fsync|fdatasync)\(' $TESS_W/strace.out
}
n=$(syncs_of_sync sync)
[ "${n:-0}" -ge 1 ]
expect "sync: sync(1) makes the OST sync (${n:-0} calls)" 0 $?
n=$(syncs_of_sync sync -f $A/s5)
[ "${n:-0}" -ge 1 ]
expect "sync: syncfs makes the OST sync (${n:-0} calls)" 0 $?
# the kernel syncs with OBJ_SYNC_OWN: a client's OBJ_SYNC of oid 0 (the
# whole store) would be refused (EPERM) and logged
! grep -h 'refused obj_sync' $TESS_W/ost*.log
expect "sync: the OSTs refused no sync of the kernel client (OBJ_SYNC_OWN)" 0 $?

# ---- 6. an OST that lost writes it acknowledged: EIO, never 0 ----
# O_DIRECT writes (acknowledged by OST 0, not synced) on a file kept open
# across a restart of OST 0.  A daemon restart keeps the write verifier:
# the page cache still holds them, fsync makes them stable.  A power cut is
# modelled as kill -9, the removal of the objects written since their last
# sync, and a start with TESS_OST_FAULT_NEW_VERF=1 (a new verifier, as
# after a reboot of its host).

mkdir -p $A/p6
tctl setstripe -c 1 -i 0 $A/p6
head -c $((4 << 20)) /dev/urandom > $TESS_W/ref6
rm -f $TESS_W/p6.ready $TESS_W/p6.go
# p6_writer OUT FILE...: O_DIRECT-write ref6 to each FILE, keep them open;
# after p6.go: syncfs, fsync the first (twice), ftruncate one named d to
# 3 MiB, close all; one result line per step
p6_writer() {
	local out=$1
	shift
	$PY - "$TESS_W" "$@" > "$out" 2>&1 <<'PYEOF' &
import errno, mmap, os, sys, time
w, files = sys.argv[1], sys.argv[2:]
data = open(w + "/ref6", "rb").read()
buf = mmap.mmap(-1, len(data))
buf.write(data)
fds = []
for f in files:
    fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT)
    print("write", f, os.write(fd, buf), flush=True)
    fds.append(fd)
open(w + "/p6.ready", "w").close()
for _ in range(600):
    if os.path.exists(w + "/p6.go"):
        break
    time.sleep(0.1)
def rc(fn, *a):
    try:
        fn(*a)
        return 0
    except OSError as e:
        return errno.errorcode.get(e.errno, e.errno)
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def syncfs(fd):
    if libc.syncfs(fd):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
print("syncfs", rc(syncfs, fds[0]), flush=True)
print("fsync", rc(os.fsync, fds[0]), flush=True)
print("fsync-again", rc(os.fsync, fds[0]), flush=True)
for f, fd in zip(files, fds):
    if f.endswith("/d"):	# a truncate up to a size the MDS never had
        print("truncate", f, rc(os.ftruncate, fd, 3 << 20), flush=True)
for f, fd in zip(files, fds):
    print("close", f, rc(os.close, fd), flush=True)
PYEOF
	p6=$!
	tess_wait_until 60 test -e $TESS_W/p6.ready
}

# p6_power_on: OST 0 (stopped, its store cut as a power cut would) back
# with a new write verifier, as after a reboot of its host; then the
# writer goes on (p6.go) and is waited for
p6_power_on() {
	export TESS_OST_FAULT_NEW_VERF=1
	tess_ost_start 0
	unset TESS_OST_FAULT_NEW_VERF
	tess_wait_osts 2 60 >/dev/null
	touch $TESS_W/p6.go
	tess_wait_pid 120 $p6 >/dev/null
}

# a daemon restart: nothing lost
p6_writer $TESS_W/p6a.out $A/p6/a
tess_ost_stop 0
tess_ost_start 0
tess_wait_osts 2 60 >/dev/null
touch $TESS_W/p6.go
tess_wait_pid 120 $p6 >/dev/null
expect "power cut: after a daemon restart of the OST, syncfs returns 0" \
	"syncfs 0" "$(grep '^syncfs ' $TESS_W/p6a.out)"
expect "power cut: after a daemon restart of the OST, fsync returns 0" \
	"fsync 0" "$(grep '^fsync ' $TESS_W/p6a.out)"
drop_caches
check "power cut: after a daemon restart, the data is intact" cmp $TESS_W/ref6 $A/p6/a

# a modelled power cut: the objects of b, c and d removed, a new verifier
rm -f $TESS_W/p6.ready $TESS_W/p6.go
p6_writer $TESS_W/p6b.out $A/p6/b $A/p6/c $A/p6/d
objs=$( (obj_files $A/p6/b; obj_files $A/p6/c; obj_files $A/p6/d) )
tess_ost_stop 0
n=0
for f in $objs; do rm -f "$f" && n=$((n + 1)); done
expect "power cut: the model removed the 3 unsynced objects" 3 $n
p6_power_on
expect "power cut: syncfs of a mount whose OST lost writes returns EIO" \
	"syncfs EIO" "$(grep '^syncfs ' $TESS_W/p6b.out)"
expect "power cut: fsync of data the OST lost returns EIO, not 0 (after that syncfs too)" \
	"fsync EIO" "$(grep '^fsync ' $TESS_W/p6b.out)"
expect "power cut: a close that would expose lost data returns EIO" \
	"close $A/p6/c EIO" "$(grep "^close $A/p6/c " $TESS_W/p6b.out)"
expect "power cut: the EIO is reported once per file" \
	"fsync-again 0" "$(grep '^fsync-again ' $TESS_W/p6b.out)"
dmesg | grep -q 'restarted (write verifier .*may be lost'
expect "power cut: the kernel logged the lost writes" 0 $?
drop_caches
expect "power cut: the MDS size of b does not cover lost data" 0 "$(stat -c %s $B/p6/b)"
expect "power cut: the MDS size of c does not cover lost data" 0 "$(stat -c %s $B/p6/c)"
expect "power cut: a truncate up over lost data returns EIO" \
	"truncate $A/p6/d EIO" "$(grep "^truncate $A/p6/d " $TESS_W/p6b.out)"
expect "power cut: the MDS size of d does not cover lost data" 0 "$(stat -c %s $B/p6/d)"
tess_ost_stop 0
tess_ost_start 0
tess_wait_osts 2 60 >/dev/null

# an O_APPEND log: 64 KiB fsynced, 64 KiB more written to the OST but not
# synced; the power cut loses those (the object cut back to 64 KiB, a new
# verifier).  A child that inherited the fd exits: its close finds the
# loss and puts the size back to the MDS's.  The writer's next append
# then lands at 64 KiB (not past a hole of zeros at 128 KiB), its fsync
# returns EIO, and what the first fsync acknowledged is intact.
head -c 65536 /dev/urandom > $TESS_W/ref6e
rm -f $TESS_W/p6.ready $TESS_W/p6.go
$PY - "$TESS_W" $A/p6/e > $TESS_W/p6e.out 2>&1 <<'PYEOF' &
import errno, os, sys, time
w, f = sys.argv[1], sys.argv[2]
ref = open(w + "/ref6e", "rb").read()
fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
os.write(fd, ref)
os.fsync(fd)
os.write(fd, b"L" * 65536)
# to the OST, unstable: written back, not synced (sync_file_range(2)
# WAIT_BEFORE | WRITE | WAIT_AFTER)
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong,
                                 ctypes.c_longlong, ctypes.c_uint]
if libc.sync_file_range(fd, 0, 0, 7):
    raise OSError(ctypes.get_errno(), "sync_file_range")
open(w + "/p6.ready", "w").close()
for _ in range(600):
    if os.path.exists(w + "/p6.go"):
        break
    time.sleep(0.1)
pid = os.fork()
if pid == 0:
    os._exit(0)		# closes its copy of fd: a flush by an exiting task
os.waitpid(pid, 0)
for _ in range(100):	# the size work of that close
    if os.fstat(fd).st_size != 131072:
        break
    time.sleep(0.1)
print("size", os.fstat(fd).st_size, flush=True)
os.write(fd, b"N" * 4096)
print("append-at", os.lseek(fd, 0, os.SEEK_CUR) - 4096, flush=True)
try:
    os.fsync(fd)
    print("fsync 0", flush=True)
except OSError as e:
    print("fsync", errno.errorcode.get(e.errno, e.errno), flush=True)
os.close(fd)
PYEOF
p6=$!
check "power cut, append: 64 KiB fsynced, 64 KiB written back unsynced" \
	tess_wait_until 60 test -e $TESS_W/p6.ready
obj=$(obj_files $A/p6/e)
tess_ost_stop 0
[ -n "$obj" ] && [ "$(stat -c %s "$obj" 2>/dev/null)" = 131072 ] && truncate -s 65536 "$obj"
expect "power cut, append: the model cut the object back to the synced 64 KiB" 0 $?
p6_power_on
expect "power cut, append: an exiting child's close put the size back to the MDS's" \
	"size 65536" "$(grep '^size ' $TESS_W/p6e.out)"
expect "power cut, append: the next append lands there, not past a hole" \
	"append-at 65536" "$(grep '^append-at ' $TESS_W/p6e.out)"
expect "power cut, append: the writer's fsync returns EIO" \
	"fsync EIO" "$(grep '^fsync ' $TESS_W/p6e.out)"
drop_caches
check "power cut, append: what the first fsync acknowledged is intact" \
	cmp -n 65536 $TESS_W/ref6e $B/p6/e

# ---- 7. nothing waits for ever ----

tess_ost_stop 0
tess_ost_stop 1
dd if=/dev/zero of=$A/k7 bs=1M count=8 conv=fsync 2>/dev/null &
w=$!
sleep 4
tess_pid_gone $w
expect "kill: a writer waits for the OSTs (hard)" 1 $?
before=$(kstack $w)
kill -9 $w
tess_wait_pid 10 $w >/dev/null
if [ $? != 124 ]; then
	pass "kill: SIGKILL ends its wait at once"
else
	fail "kill: SIGKILL ends its wait at once" "waiting in: $before; after: $(kstack $w)"
fi
tess_ost_start 0
tess_ost_start 1
tess_wait_osts 2 60 >/dev/null
tess_mds_stop
stat $A/no-such-name >/dev/null 2>&1 &
w=$!
sleep 3
before=$(kstack $w)
kill -9 $w
tess_wait_pid 10 $w >/dev/null
if [ $? != 124 ]; then
	pass "kill: SIGKILL ends a lookup waiting for the MDS"
else
	fail "kill: SIGKILL ends a lookup waiting for the MDS" "waiting in: $before; after: $(kstack $w)"
fi
tess_mds_start
tess_wait_osts 2 60 >/dev/null
# the size of a file goes to the MDS under its io_lock, which a truncate
# takes too: with the MDS away, an fsync holds it while it waits; killed,
# its size goes on in a worker (size_work), which waits on, holding it.
# A truncate behind it (first in the xattr lookup of file_remove_privs)
# must still end on SIGKILL (it was an uninterruptible mutex_lock).
: > $A/k7t && sync
rm -f $TESS_W/k7t.*
$PY -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, b"x" * 8192)
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2] + ".go"):
	time.sleep(0.05)
os.ftruncate(fd, 100)
' $A/k7t $TESS_W/k7t.t &
tr=$!
$PY -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(fd, b"y" * 4096, 16384)
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2] + ".go"):
	time.sleep(0.05)
os.fsync(fd)
' $A/k7t $TESS_W/k7t.f &
fs=$!
check "kill: a truncater and an fsyncer have the file open" \
	tess_wait_until 30 test -e $TESS_W/k7t.t.ready -a -e $TESS_W/k7t.f.ready
tess_mds_stop
touch $TESS_W/k7t.t.go
sleep 2
touch $TESS_W/k7t.f.go
sleep 2
before=$(kstack $fs)
tess_pid_gone $tr || tess_pid_gone $fs
expect "kill: the truncate and the fsync wait for the MDS (hard)" 1 $?
kill -9 $fs
tess_wait_pid 10 $fs >/dev/null
if [ $? != 124 ]; then
	pass "kill: SIGKILL ends an fsync waiting behind a truncate that waits for the MDS"
else
	fail "kill: SIGKILL ends an fsync waiting behind a truncate that waits for the MDS" \
		"waiting in: $before; after: $(kstack $fs)"
fi
kill -9 $tr
tess_wait_pid 10 $tr >/dev/null
[ $? != 124 ]
expect "kill: SIGKILL ends the truncate waiting for the MDS" 0 $?
tess_mds_start
tess_wait_osts 2 60 >/dev/null

# creates while every OST is away: the MDS hands out objects the OSTs
# precreated; once those ran out it answers EAGAIN, and the client
# waits for the OSTs (hard) or gives up after timeout= (soft, EIO),
# never EIO on a hard mount (it was EIO at once)
mkdir -p $A/c7
: > $A/c7/prime		# (the pools of the OSTs it picked are filled)
tess_ost_stop 0
tess_ost_stop 1
(
	for i in $(seq 150); do
		: > $A/c7/f$i || { echo "create of f$i failed" > $TESS_W/c7.err; exit 1; }
	done
) &
cr=$!
sleep 4
tess_pid_gone $cr
expect "creates, OSTs away: past the precreated objects a create waits (hard)" 1 $?
# (through B: the waiting create holds A's directory lock, as on NFS)
n=$(tess_timeout 30 ls $B/c7 | grep -c '^f')
[ "$n" -gt 0 ] && [ "$n" -lt 150 ]
expect "creates, OSTs away: the precreated objects went first ($n files)" 0 $?
tess_timeout 60 touch $S/c7/soft 2>/dev/null
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && [ ! -e $B/c7/soft ]
expect "creates, OSTs away: a soft mount gives up (status $rc), nothing made" 0 $?
tess_ost_start 0
tess_ost_start 1
tess_wait_osts 2 60 >/dev/null
tess_wait_pid 60 $cr >/dev/null
expect "creates, OSTs away: all 150 made once the OSTs are back" "0 150 " \
	"$? $(ls $A/c7 | grep -c '^f') $(cat $TESS_W/c7.err 2>/dev/null)"

tess_mount /mnt/busy "timeout=$T"
echo busy > /mnt/busy/t/f7
(cd /mnt/busy && sleep 600) &
holder=$!
sleep 1
umount -f /mnt/busy 2>/dev/null
grep -q ' /mnt/busy tessera' /proc/mounts
expect "umount -f: a busy mount stays mounted" 0 $?
sleep $((T + 1))
check "umount -f: the busy mount still works after it" grep -q busy /mnt/busy/t/f7
kill -9 $holder
tess_wait_pid 10 $holder >/dev/null
check "umount -f: then it unmounts" tess_timeout 60 umount /mnt/busy

# ---- 8. a truncate whose SETATTR fails changes nothing ----

head -c $((8 << 20)) /dev/urandom > $TESS_W/ref8
cp $TESS_W/ref8 $S/t8 && sync
tess_mds_stop
tess_timeout $((6 * T)) truncate -s 1M $S/t8 2>/dev/null
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && [ $rc != 137 ]
expect "truncate: fails while the MDS is away (soft)" 0 $?
tess_mds_start
tess_wait_osts 2 60 >/dev/null
drop_caches
expect "truncate: the size is unchanged" $((8 << 20)) "$(stat -c %s $S/t8)"
check "truncate: the data is unchanged" cmp $TESS_W/ref8 $S/t8

# ---- 9. bytes past a file's size never read back as data ----

# the OSTs lose every shrinking truncate they did not make stable
# (TESS_OST_FAULT_LOSE_PUNCH=1: a power cut before their next commit)
for i in 0 1; do tess_ost_stop $i; done
export TESS_OST_FAULT_LOSE_PUNCH=1
for i in 0 1; do tess_ost_start $i; done
unset TESS_OST_FAULT_LOSE_PUNCH
check "past the size: the OSTs are back" tess_wait_osts 2 60
head -c $((2 << 20)) /dev/urandom > $TESS_W/ref9
cp $TESS_W/ref9 $A/t9 && sync
truncate -s 100000 $A/t9 && truncate -s 2M $A/t9
expect "past the size: truncate down, then up" 0 $?
{ head -c 100000 $TESS_W/ref9; head -c $(((2 << 20) - 100000)) /dev/zero; } \
	> $TESS_W/want9
drop_caches
check "past the size: zeros between the truncate down and up" \
	cmp $TESS_W/want9 $B/t9
# a client that wrote 1 MiB past the size of two files and died
: > $A/d9a && : > $A/d9b && sync
# (env execs it: $! is the writer, killed below)
env TESS_MDS=$TESS_MDS_ADDR "$BIN/trim" writer $TESS_W/d9.ready \
	/t/d9a /t/d9b > $TESS_W/d9.out 2>&1 &
wp=$!
check "past the size: a client wrote past the size" \
	tess_wait_until 30 test -e $TESS_W/d9.ready
kill -9 $wp
tess_wait_pid 10 $wp >/dev/null
truncate -s 1M $A/d9a
drop_caches
check "past the size: a dead client's bytes read as zeros after a truncate up" \
	cmp -n $((1 << 20)) /dev/zero $B/d9a
# its lease (10 s) runs out: the MDS cuts d9b's objects to its size, 0
d9b=$(obj_files $A/d9b)
objs_empty() {
	[ -n "$d9b" ] && [ -z "$(find $d9b -size +0c 2>/dev/null)" ]
}
check "past the size: the MDS cuts a dead client's bytes once its lease ran out" \
	tess_wait_until 60 objs_empty
printf x | dd of=$A/d9b bs=1 seek=$(((1 << 20) - 1)) conv=notrunc 2>/dev/null
sync
drop_caches
{ head -c $(((1 << 20) - 1)) /dev/zero; printf x; } > $TESS_W/want9b
check "past the size: then a write past the end has zeros below it" \
	cmp $TESS_W/want9b $B/d9b

# a writer killed with its pages still going out (the file was truncated
# to 0 at its open, so the MDS has a trim recorded): half its data is on
# the OSTs past the MDS size (sync_file_range), half still dirty; the
# pages land, then the size, and only then may the MDS cut past it
head -c $((32 << 20)) /dev/urandom > $TESS_W/ref9k
head -c $((32 << 20)) /dev/urandom > $TESS_W/new9k
cp $TESS_W/ref9k $A/k9 && sync
$PY - $A/k9 $TESS_W/new9k <<'EOF'
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
data = open(sys.argv[2], "rb").read()
half = len(data) // 2
os.write(fd, data[:half])
# SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER: on the OSTs, no size
if libc.sync_file_range(fd, ctypes.c_longlong(0), ctypes.c_longlong(half), 7):
    sys.exit("sync_file_range: " + os.strerror(ctypes.get_errno()))
os.write(fd, data[half:])
os.kill(os.getpid(), signal.SIGKILL)
EOF
size_is() {
	[ "$(stat -c %s "$1")" = "$2" ]
}
check "past the size: a killed writer's size reaches the MDS" \
	tess_wait_until 60 size_is $B/k9 $((32 << 20))
sleep 2
drop_caches
check "past the size: and its data, not zeros (the CLOSE waits for it)" \
	cmp $TESS_W/new9k $B/k9

# ---- 10. locks are not silently local ----

: > $A/l10
flock -n $A/l10 true 2>$TESS_W/flock.err
rc=$?
[ $rc != 0 ] && grep -q "No locks available" $TESS_W/flock.err
expect "locks: flock fails with ENOLCK" 0 $?
$PY -c '
import fcntl, sys
f = open(sys.argv[1], "w")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError as e:
    sys.exit(0 if e.errno == 37 else 2)
sys.exit(1)' $A/l10
expect "locks: fcntl lock fails with ENOLCK" 0 $?
tess_mount /mnt/lf "timeout=$T,localflock"
$PY -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)' /mnt/lf/t/l10 > $TESS_W/lk.out 2>&1 &
lk=$!
tess_wait_until 60 grep -q locked $TESS_W/lk.out
expect "locks: with localflock flock works" 0 $?
flock -n /mnt/lf/t/l10 true 2>/dev/null
expect "locks: with localflock a second flock -n is refused" 1 $?
kill -9 $lk 2>/dev/null
tess_wait_pid 10 $lk >/dev/null
flock -n /mnt/lf/t/l10 true
expect "locks: with localflock it is taken once free" 0 $?

tess_finish
