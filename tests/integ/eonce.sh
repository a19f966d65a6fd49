#!/bin/bash
# Exactly-once requests and open files (build/bin/eonce): an MDS and one
# OST of their own on 127.0.0.1, with lost replies injected
# (--fault-drop-reply) and a short lease.
#   usage: eonce.sh WORKDIR PORT     (uses PORT and PORT+1)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup eonce "$1" "$2"
lease=3
pids=()

# MKDIR is opcode 20, OBJ_WRITE 65: the first of each loses its reply
start_mds() {
	"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
		--stripe-count 1 --lease $lease "$@" >>"$work/mds.log" 2>&1 &
	mds_pid=$!
	pids+=($mds_pid)
}
start_mds --fault-drop-reply 20
"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" --key "$TESS_KEY" \
	--listen "127.0.0.1:$((port + 1))@tcp" --lease $lease \
	--fault-drop-reply 65:1 >"$work/ost0.log" 2>&1 &
pids+=($!)
up=0
for _ in $(seq 1 100); do
	if "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df 2>/dev/null | grep -q UP; then
		up=1; break
	fi
	sleep 0.1
done
result $up eonce.setup "the OST did not register in 10 s"
[ $up = 1 ] || { tail -n 5 "$work"/*.log; exit 1; }

"$bin/eonce" mkdir || fail=1
grep -q 'fault injection: no reply to mkdir' "$work/mds.log"
result $((! $?)) eonce.mds_logged_dropped_reply "no 'no reply to mkdir' line in the MDS log"
grep -q 'mkdir (xid [0-9]*) resent: the kept reply' "$work/mds.log"
result $((! $?)) eonce.mds_answered_resend_from_cache "no 'resent: the kept reply' line"

"$bin/eonce" write || fail=1
grep -q 'fault injection: no reply to obj_write' "$work/ost0.log"
result $((! $?)) eonce.ost_logged_dropped_reply "no 'no reply to obj_write' line in the OST log"
n=$(grep -c 'obj_write (xid [0-9]*) resent: the kept reply' "$work/ost0.log")
result $((n == 2)) eonce.ost_answered_resends_from_cache "$n resends answered from the cache, expected 2"

"$bin/eonce" openunlink $lease || fail=1
# CREATE with TESS_CREATE_OPEN (#11): a resend answered once
"$bin/eonce" createopen $lease || fail=1
grep -q 'create (xid [0-9]*) resent: the kept reply (status 0)' "$work/mds.log"
result $((! $?)) eonce.mds_answered_create_open_resend_from_cache "no 'create ... resent: the kept reply' line"
"$bin/eonce" dies $lease || fail=1

# the MDS restarts while a library client holds a file open
rm -f "$work/ready" "$work/go"
"$bin/eonce" restart $lease "$work" & eo=$!
for _ in $(seq 1 300); do [ -e "$work/ready" ] && break; sleep 0.1; done
if [ -e "$work/ready" ]; then
	kill -KILL $mds_pid; wait $mds_pid 2>/dev/null
	start_mds
	for _ in $(seq 1 100); do
		"$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df >/dev/null 2>&1 && break
		sleep 0.1
	done
	touch "$work/go"
fi
wait $eo || fail=1

if [ $fail != 0 ]; then
	echo "eonce: logs in $work"
	tail -n 20 "$work/mds.log" "$work/ost0.log"
fi
exit $fail
