#!/bin/bash
# Roles (issue #12): separate keys for clients and servers.  An MDS and
# OST 0 with --client-key and --server-key on the command line, OST 1 with
# both as keys of a --config file:
#  - the OSTs register and the MDS reaches them (server key both ways);
#  - a client key cannot declare role OST, MDS or ADMIN (EACCES, logged
#    with the peer); the server key is no client key;
#  - a client-role connection is refused OBJ_DESTROY, OBJ_HSM_SET,
#    OBJ_PRECREATE, OBJ_SYNC oid 0, OST_REGISTER, OST_REPLACE and
#    OST_LEAVE with EPERM (logged), the object unharmed; role MDS and
#    ADMIN may destroy and sync the store (OBJ_SYNC oid 0);
#  - OBJ_SYNC_OWN from a client syncs the objects that client wrote
#    unstably since its last one, not another client's nor the store
#    (the OST logs the count);
#  - the userspace client writes and reads with the client key, the MDS's
#    destroyer removes the objects of an unlinked file, hsm (role ADMIN)
#    works with the server key and fails with the client key;
#  - --client-key alone, without a server key, is refused at start.
#   usage: roles.sh WORKDIR PORT     (uses PORT .. PORT+2)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup roles "$1" "$2"
declare -A pids

ckey=$TESS_KEY
skey=$work/server.key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$skey"
chmod 600 "$skey"
export TESS_SERVER_KEY=$skey

tctl() { "$bin/tessctl" --mds "$TESS_MDS" --key "$ckey" "$@"; }
ups_is() { [ "$(tctl df 2>/dev/null | grep -c ' UP$')" = "$1" ]; }
objfile() {	# objfile OST OID_HEX
	printf '%s/ost%s/O/%02x/%016x' "$work" "$1" $((0x$2 & 0xff)) $((0x$2))
}

"$bin/tessera-mds" --dir "$work/mds" --client-key "$ckey" --server-key "$skey" \
	--listen "$TESS_MDS" --stripe-count 1 --lease 2 >>"$work/mds.log" 2>&1 &
pids[mds]=$!
"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" \
	--client-key "$ckey" --server-key "$skey" --log-level debug \
	--listen "127.0.0.1:$((port + 1))@tcp" >>"$work/ost0.log" 2>&1 &
pids[ost0]=$!
cat >"$work/ost1.conf" <<EOF
mds = $TESS_MDS
index = 1
dir = $work/ost1
client-key = $ckey
server-key = $skey
listen = 127.0.0.1:$((port + 2))@tcp
EOF
"$bin/tessera-ost" --config "$work/ost1.conf" >>"$work/ost1.log" 2>&1 &
pids[ost1]=$!
wait_until 15 ups_is 2
result $((! $?)) roles.osts_up_with_server_key "2 OSTs not UP in 15 s: $(tail -n 3 "$work"/*.log)"

# a daemon with a client key and no server key
out=$("$bin/tessera-ost" --mds "$TESS_MDS" --index 2 --dir "$work/ost2" \
	--client-key "$ckey" 2>&1)
rc=$?
[ $rc != 0 ] && grep -q -- '--server-key' <<<"$out"
result $((! $?)) roles.client_key_alone_refused "exit $rc: $out"

"$bin/roles" auth || fail=1
grep -q '127.0.0.1:[0-9]*: handshake refused: .*(role OST needs the server key)' "$work/mds.log"
result $((! $?)) roles.mds_logged_wrong_role_key "no line with the peer in the MDS log"
grep -q '127.0.0.1:[0-9]*: handshake refused: .*(role admin needs the server key)' "$work/ost0.log"
result $((! $?)) roles.ost_logged_wrong_role_key "no line with the peer in the OST 0 log"

"$bin/roles" ops || fail=1
grep -q 'refused obj_destroy.*not a client' "$work/ost0.log"
result $((! $?)) roles.ost_logged_refusal "no 'refused obj_destroy' line in the OST 0 log"
grep -q 'refused obj_sync (xid [0-9]*): a sync of the whole store' "$work/ost0.log"
result $((! $?)) roles.ost_logged_sync_store_refusal "no 'refused obj_sync' line in the OST 0 log"

# OBJ_SYNC_OWN of a client: its own unstable objects, not another
# client's (2 each run) nor the store
"$bin/roles" sync 0 || fail=1
"$bin/roles" sync 3 || fail=1
grep -q 'obj_sync_own of a client: 0 objects' "$work/ost0.log"
result $((! $?)) roles.sync_own_nothing_written "no '0 objects' line: $(grep 'obj_sync' "$work/ost0.log" | tail -n 3)"
grep -q 'obj_sync_own of a client: 3 objects' "$work/ost0.log"
result $((! $?)) roles.sync_own_own_objects "no '3 objects' line: $(grep 'obj_sync' "$work/ost0.log" | tail -n 3)"
other=$(grep -o 'obj_sync_own of a client: .*' "$work/ost0.log" |
	grep -v ': [03] objects it wrote')
[ -z "$other" ]
result $((! $?)) roles.sync_own_not_others "a count other than 0 and 3: $(grep 'obj_sync_own' "$work/ost0.log" | tail -n 5)"

# the ordinary data path with the client key
head -c 3000000 /dev/urandom >"$work/data"
tctl put -c 2 "$work/data" /roles_data >/dev/null &&
	tctl get /roles_data "$work/data.back" >/dev/null &&
	cmp -s "$work/data" "$work/data.back"
result $((! $?)) roles.client_put_get "put/get of 3 MB over 2 OSTs with the client key"

# the MDS's destroyer (role MDS, server key) removes an unlinked file's object
oid=$(tctl getstripe /roles_kept 2>/dev/null | awk '/^ *0 +[0-9]+$/{print $2; exit}')
[ -n "$oid" ] && oid=$(printf %x "$oid")
if [ -n "$oid" ] && [ -e "$(objfile 0 "$oid")" ]; then
	tctl rm /roles_kept >/dev/null
	wait_until 15 test ! -e "$(objfile 0 "$oid")"
	result $((! $?)) roles.mds_destroys_unlinked "object $oid of /roles_kept still on OST 0 after 15 s"
else
	result 0 roles.mds_destroys_unlinked "no object of /roles_kept found ($oid): $(tctl getstripe /roles_kept 2>&1 | head -n 5)"
fi

# hsm is an admin tool: the server key, not the client key
out=$("$bin/hsm" --mds "$TESS_MDS" --key "$ckey" counters 2>&1)
rc=$?
[ $rc != 0 ] && grep -qi 'authentication failed' <<<"$out"
result $((! $?)) roles.hsm_client_key_refused "exit $rc: $out"
out=$("$bin/hsm" --mds "$TESS_MDS" --key "$skey" counters 2>&1)
result $((! $?)) roles.hsm_server_key_ok "$out"

if [ $fail != 0 ]; then
	echo "roles: logs in $work"
	tail -n 15 "$work"/*.log
fi
exit $fail
