# RPC suite: the kernel RPC layer of tessera_lnet.ko (lnet/rpc.c) against
# the real daemons, tessera-mds and 4 tessera-ost inside the VM (the OSTs
# in network namespaces: tess_cluster_start of tests/vm/lib.sh), driven
# through the debugfs test hook (lnet/rpc_selftest.c):
# handshake, wrong key, 1000 PINGs 32 in flight, STATFS, 4 MiB bulk write
# and read back, a fatal signal during a bulk read, a stopped server
# (timeouts), an OST killed mid-stream and restarted, bad frames from a
# fake server, module unload and a clean kernel log.
#
# Runs inside the VM (tests/vm/run rpc) with TESS_REPO, TESS_MODDIR and
# TESS_KVER set.  Each check prints "PASS: vm-rpc: NAME" or
# "FAIL: vm-rpc: NAME: REASON".

. "$TESS_REPO/tests/vm/lib.sh"
TESS_TAG=vm-rpc

M=$TESS_MODDIR
B=$TESS_REPO/build/bin
W=/tmp/rpc
TESS_W=$W
ST=/sys/kernel/debug/tessera_lnet/rpc_selftest
MDS=$TESS_MDS_IP:7430@tcp

# value KEY LINE: the value of KEY=... in LINE
value() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# dmesg lines since the last mark
mark() { MARK=$(dmesg | wc -l); }
since() { dmesg | tail -n +"$((MARK + 1))"; }

# st CMD...: run a selftest command (bounded), print its result line
st() {
	timeout -k 5 120 sh -c 'echo "$1" > "$2"' sh "$*" $ST 2>/dev/null
	cat $ST
}

ost_addr() { tess_ost_addr "$1"; }

rm -rf $W
mkdir -p $W
ip link set lo up 2>/dev/null || ifconfig lo up
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $W/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $W/badkey
chmod 600 $W/key $W/badkey
mount -t debugfs none /sys/kernel/debug 2>/dev/null

if tess_modules_load tessera_lnet_tcp && [ -w $ST ]; then
	pass "modules loaded, selftest hook present"
else
	fail "modules loaded, selftest hook present" "modprobe failed or no $ST"
	tess_finish
fi

TESS_KEY=$W/key
if tess_cluster_start 4; then
	pass "tessera-mds and 4 tessera-ost up"
else
	fail "tessera-mds and 4 tessera-ost up" "$(tess_osts_up) OSTs up"
fi
mark

# --- handshake ---
r=$(st connect $MDS $W/key)
if [ "$(value rc "$r")" = 0 ]; then
	pass "connect + HMAC handshake with the MDS ($(value ms "$r") ms)"
else
	fail "connect + HMAC handshake with the MDS" "$r"
fi
r=$(st connect "$(ost_addr 0)" $W/badkey)
if [ "$(value rc "$r")" = -13 ] &&
   since | grep -q "authentication failed: the server does not share our key"; then
	pass "wrong key fails with -EACCES"
else
	fail "wrong key fails with -EACCES" "$r"
fi

# --- PING x1000, 32 in flight ---
r=$(st ping "$(ost_addr 0)" $W/key 1000 32)
if [ "$(value ok "$r")" = 1000 ] && [ "$(value err "$r")" = 0 ]; then
	pass "1000 PINGs, 32 in flight ($(value per_s "$r") round trips/s)"
else
	fail "1000 PINGs, 32 in flight" "$r"
fi

# --- STATFS ---
r=$(st statfs $MDS $W/key)
if [ "$(value rc "$r")" = 0 ] && [ "$(value osts "$r")" = 4 ]; then
	pass "STATFS from the MDS (4 OSTs)"
else
	fail "STATFS from the MDS (4 OSTs)" "$r"
fi

# The objects the tests below write: files of one stripe made through the
# MDS, which has their objects precreated (an OST refuses writes to an
# object it never created: ESTALE)
# st_oid OST NAME: the object id of a new file /NAME striped on OST
st_oid() {
	timeout -k 5 60 "$TESS_REPO/build/bin/tessctl" --mds $MDS --key $W/key \
		setstripe -c 1 -i "$1" "/$2" >/dev/null &&
	timeout -k 5 60 "$TESS_REPO/build/bin/tessctl" --mds $MDS --key $W/key getstripe "/$2" |
		awk -v o="$1" '$1 == o && NF == 2 { print $2 }'
}
OID_BULK=$(st_oid 1 st-bulk)
OID_CANCEL=$(st_oid 2 st-cancel)
OID_KILL=$(st_oid 0 st-kill)
if [ -n "$OID_BULK" ] && [ -n "$OID_CANCEL" ] && [ -n "$OID_KILL" ]; then
	pass "three files of one stripe on OSTs 1, 2, 0 (objects $OID_BULK $OID_CANCEL $OID_KILL)"
else
	fail "three files of one stripe on OSTs 1, 2, 0" "objects '$OID_BULK' '$OID_CANCEL' '$OID_KILL'"
fi

# --- bulk: 4 MiB from pages, read back, short read ---
r=$(st bulk "$(ost_addr 1)" $W/key 4 4 "$OID_BULK")
if [ "$(value rc "$r")" = 0 ] && [ "$(value same "$r")" = 1 ] &&
   [ "$(value got "$r")" = 4194304 ]; then
	pass "OBJ_WRITE 4 MiB from pages, OBJ_READ back equal (write $(value write_mb_s "$r") MB/s, read $(value read_mb_s "$r") MB/s)"
else
	fail "OBJ_WRITE 4 MiB from pages, OBJ_READ back equal" "$r"
fi
if [ "$(value short_rc "$r")" = 0 ] && [ "$(value short_got "$r")" = 4096 ]; then
	pass "short OBJ_READ at the object end (reply_bulk_len 4096 < 65536)"
else
	fail "short OBJ_READ at the object end" "$r"
fi

# --- a fatal signal during a bulk read: the writer is SIGKILLed ---
(echo "cancel $(ost_addr 2) $W/key $OID_CANCEL" > $ST) 2>/dev/null
r=$(cat $ST)
if [ "$(value rc "$r")" = -4 ] && [ "$(value untouched "$r")" = 1 ] &&
   [ "$(value ping_after "$r")" = 0 ]; then
	pass "SIGKILL ends tnet_call with -EINTR, caller pages untouched, connection stays usable ($(value ms "$r") ms, $(value late "$r") late replies drained)"
else
	fail "SIGKILL ends tnet_call with -EINTR, caller pages untouched" "$r"
fi
if [ "$(value late "$r")" -ge 1 ] 2>/dev/null; then
	pass "late reply of the cancelled read drained into scratch"
else
	fail "late reply of the cancelled read drained into scratch" "$r"
fi

# --- a stopped server: -ETIMEDOUT after the 3 s timeout ---
st hang "$(ost_addr 3)" $W/key 3000 2500 >$W/hang.out &
bg=$!
sleep 1.5
kill -STOP "$TESS_OST_PID_3"
tess_wait_pid 60 $bg
r=$(cat $W/hang.out)
ms=$(value second_ms "$r")
if [ "$(value first "$r")" = 0 ] && [ "$(value second "$r")" = -110 ] &&
   [ "$ms" -ge 2900 ] && [ "$ms" -le 5000 ]; then
	pass "stopped server: request fails -ETIMEDOUT after the timeout ($ms ms for 3000)"
else
	fail "stopped server: request fails -ETIMEDOUT after the timeout" "$r"
fi
ms=$(value idem_ms "$r")
if [ "$(value idem "$r")" = -110 ] && [ "$ms" -le 5000 ]; then
	pass "stopped server: idempotent request also -ETIMEDOUT ($ms ms)"
else
	fail "stopped server: idempotent request also -ETIMEDOUT" "$r"
fi
r=$(st connect "$(ost_addr 3)" $W/key 2000)
ms=$(value ms "$r")
if [ "$(value rc "$r")" = -110 ] && [ "$ms" -le 3500 ]; then
	pass "stopped server: handshake times out ($ms ms for 2000)"
else
	fail "stopped server: handshake times out" "$r"
fi
kill -CONT "$TESS_OST_PID_3"
r=$(st ping "$(ost_addr 3)" $W/key 100 8)
if [ "$(value ok "$r")" = 100 ]; then
	pass "server continued: PINGs work again"
else
	fail "server continued: PINGs work again" "$r"
fi

# --- kill -9 of an OST mid-stream, restart ---
mark
st kill "$(ost_addr 0)" $W/key 10000 "$OID_KILL" >$W/kill.out &
bg=$!
sleep 3
tess_ost_stop 0
sleep 2
tess_ost_start 0
tess_wait_pid 180 $bg
r=$(cat $W/kill.out)
# every request in flight when the server died is resent (same xid) and
# completes after the restart: none fails, none is lost
if [ "$(value err "$r")" = 0 ] && [ "$(value resets "$r")" -ge 1 ] 2>/dev/null &&
   [ "$(value ok "$r")" = "$(value sent "$r")" ]; then
	pass "OST killed mid-stream: every pending request resent and completed ($(value ok "$r") of $(value sent "$r"), $(value resends "$r") resends)"
else
	fail "OST killed mid-stream: every pending request resent and completed" "$r"
fi
rms=$(value reconnect_ms "$r")
if [ "$rms" -ge 0 ] 2>/dev/null && [ "$(value uuid_changed "$r")" = 1 ]; then
	pass "next call reconnects after the restart ($rms ms after the failure, new server uuid)"
else
	fail "next call reconnects after the restart" "$r; ost0.log: $(tail -n 4 $W/ost0.log | tr '\n' ' ')"
fi
if [ "$(value resends "$r")" -ge 1 ] 2>/dev/null; then
	pass "requests resent on the new connection ($(value resends "$r") resends)"
else
	fail "requests resent on the new connection" "$r"
fi
if since | grep -q "selftest ($(ost_addr 0)): closing the connection"; then
	pass "connection loss logged with the peer"
else
	fail "connection loss logged with the peer" "no 'closing the connection' line"
fi

# --- bad frames from a fake server ---
# It completes the handshake like tessera-ost, then answers a PING with a
# broken frame (MODE).
cat >$W/fake.py <<'PYEOF'
import hmac, hashlib, os, socket, struct, sys

T = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)

def crc32c(data, crc=0xFFFFFFFF):
    for b in data:
        crc = T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc

HDR = "<IHHQIIIIIIQ"
MAGIC = 0x41525354

def frame(op, xid, flags, status=0, body=b"", magic=MAGIC, body_len=None,
          crc_xor=0):
    bl = len(body) if body_len is None else body_len
    h = struct.pack(HDR, magic, 1, op, xid, flags, status, bl, 0, 0, 0, 0)
    crc = (crc32c(h + body) ^ 0xFFFFFFFF) ^ crc_xor
    return struct.pack(HDR, magic, 1, op, xid, flags, status, bl, 0, crc,
                       0, 0) + body

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b

def recv_frame(s):
    h = struct.unpack(HDR, recvn(s, 48))
    return h, recvn(s, h[6])

key = open(sys.argv[1], "rb").read().strip()
port, mode = int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
print("listening", flush=True)
ls.settimeout(30)
s, _ = ls.accept()
h, body = recv_frame(s)
nc = body[32:64]
ns = os.urandom(32)
mac = hmac.new(key, b"tessera-server" + nc + ns, hashlib.sha256).digest()
rep = struct.pack("<HHIQ", 1, 0, 0, 1) + os.urandom(16) + ns + mac
s.sendall(frame(1, h[3], 2, body=rep))
h, body = recv_frame(s)
s.sendall(frame(2, h[3], 2))
h, body = recv_frame(s)
op, xid = h[2], h[3]
if mode == "magic":
    s.sendall(frame(op, xid, 2, magic=0x12345678))
elif mode == "bodylen":
    s.sendall(frame(op, xid, 2, body_len=200000))
elif mode == "bodycrc":
    s.sendall(frame(op, xid, 2, body=b"x" * 8, crc_xor=1) + b"x" * 8)
elif mode == "malformed":
    s.sendall(frame(op, xid, 2, body=b"\0" * 8))
elif mode == "opcode":
    s.sendall(frame(28, xid, 2, body=b"\0" * 56))
elif mode == "truncated":
    s.sendall(frame(op, xid, 2)[:20])
    s.shutdown(socket.SHUT_WR)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print("fake server done:", mode)
PYEOF
if command -v python3 >/dev/null; then
	for mode in magic bodylen bodycrc malformed opcode truncated; do
		mark
		python3 $W/fake.py $W/key 7499 "$mode" >$W/fake.$mode 2>&1 &
		fpid=$!
		tess_wait_until 30 grep -q listening $W/fake.$mode
		r=$(st ping 127.0.0.1:7499@tcp $W/key 1 1 1)
		tess_wait_pid 60 $fpid
		why=$(since | grep -m1 "closing the connection" | sed 's/.*connection: //')
		if [ "$(value ok "$r")" = 0 ] && [ -n "$why" ]; then
			pass "bad frame ($mode) resets the connection: $why; request: $(value last_err "$r")"
		else
			fail "bad frame ($mode) resets the connection" "$r / $(tr '\n' ' ' <$W/fake.$mode)"
		fi
	done
else
	fail "bad frames" "no python3 in the VM"
fi

# --- unload ---
if ps -e -o comm 2>/dev/null | grep -q '^tess-rx'; then
	fail "no receive threads left" "$(ps -e -o comm | grep tess-rx | tr '\n' ' ')"
else
	pass "no receive threads left"
fi
if rmmod tessera_lnet_tcp && rmmod tessera_lnet; then
	pass "rmmod tessera_lnet_tcp tessera_lnet"
else
	fail "rmmod tessera_lnet_tcp tessera_lnet" "rmmod failed"
fi

tess_finish
