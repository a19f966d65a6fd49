#!/bin/bash
# Security flavors (issue 12): an MDS and OST 0 at --sec integrity, then
# at --sec auth, with build/bin/secproxy as a man in the middle in front of
# the OST (it recomputes the CRCs of what it alters, as an attacker would):
#  - integrity: a flipped body byte, a flipped bulk byte (the data on the
#    OST unchanged), a replayed request: the OST logs "frame
#    authentication failed" and closes, the client sees it fail;
#  - a HELLO with the flavor bits cleared (downgrade): EACCES at the
#    client; a client asking sec=auth of an integrity server: EACCES and a
#    log line;
#  - privacy: a known pattern written through the proxy is not in its dump
#    of the bytes (at an integrity server, which takes the stronger one,
#    and at an auth one);
#  - the controls, that show the attacks are real: at sec=auth the same
#    bulk flip is taken (the altered data is stored), the pattern is in the
#    dump, and a downgrade still fails (the MACs cover the HELLO).
#   usage: sec.sh WORKDIR PORT     (uses PORT .. PORT+2)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup sec "$1" "$2"
declare -A pids

ost=127.0.0.1:$((port + 1))
mitm=127.0.0.1:$((port + 2))
sp=$bin/secproxy
authfail='closing connection: frame authentication failed'

up() {
	TESSERA_SEC=$1 "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df \
		2>/dev/null | grep -q ' UP$'
}

# start FLAVOR: the MDS and the OST at --sec FLAVOR, until the OST is up
start() {
	"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
		--lease 2 --stripe-count 1 --sec "$1" >>"$work/mds.log" 2>&1 &
	pids[mds]=$!
	"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" \
		--key "$TESS_KEY" --listen "$ost@tcp" --sec "$1" \
		>>"$work/ost0.log" 2>&1 &
	pids[ost]=$!
	wait_until 15 up "$1"
}

# proxy ATTACK [DUMP]: secproxy in front of the OST at $mitm
proxy() {
	: >"$work/proxy.out"
	"$sp" proxy $((port + 2)) "$ost" "$@" >"$work/proxy.out" 2>&1 &
	pids[proxy]=$!
	disown	# no "Killed" line from bash when stop ends it
	wait_until 5 grep -q ready "$work/proxy.out"
}

# client FLAVOR ARGS...: secproxy write|read asking for FLAVOR; output in $out
client() {
	local sec=$1
	shift
	out=$(TESSERA_SEC=$sec timeout 20 "$sp" "$@" 2>&1)
}

nfail() { grep -c "$authfail" "$work/ost0.log"; }
attacked() { grep -q "secproxy: $1" "$work/proxy.out"; }

p1=AAAAAAAAAAAAAAAA-first-pattern-1
p2=BBBBBBBBBBBBBBBB-other-pattern-2
secret=SECRET-PATTERN-7f3a91-not-on-net

# ---- the servers at --sec integrity ----
start integrity
result $((! $?)) sec.integrity_start "the OST did not come up at sec=integrity: $(tail -n 3 "$work"/*.log)"
oid=$(TESSERA_SEC=integrity "$sp" mkobj /secfile)
result $((! $?)) sec.integrity_library_client "mkobj /secfile: $oid"

proxy none
client integrity write "$mitm" "$oid" "$p1"
grep -q "read: 0 $p1" <<<"$out"
result $((! $?)) sec.integrity_round_trip "$out"
stop proxy

n0=$(nfail)
proxy body:1
client integrity write "$mitm" "$oid" "$p2"
attacked 'flipped a body byte of request 1 .*protected' &&
	! grep -q 'write: 0' <<<"$out"
result $((! $?)) sec.integrity_body_flip_refused "$out / $(cat "$work/proxy.out")"
wait_until 5 test "$(nfail)" -gt "$n0"
result $((! $?)) sec.integrity_body_flip_logged "no '$authfail' in the OST log"
stop proxy

n0=$(nfail)
proxy bulk
client integrity write "$mitm" "$oid" "$p2"
attacked 'flipped a bulk byte of an OBJ_WRITE (protected)' &&
	! grep -q 'write: 0' <<<"$out"
result $((! $?)) sec.integrity_bulk_flip_refused "$out / $(cat "$work/proxy.out")"
wait_until 5 test "$(nfail)" -gt "$n0"
result $((! $?)) sec.integrity_bulk_flip_logged "no '$authfail' in the OST log"
stop proxy
client integrity read "$ost" "$oid" ${#p1}
grep -q "read: 0 $p1" <<<"$out"
result $((! $?)) sec.integrity_bulk_flip_data_unchanged "$out"

n0=$(nfail)
proxy replay
client integrity write "$mitm" "$oid" "$p1"
attacked 'replaying request 1' && ! grep -q "read: 0" <<<"$out"
result $((! $?)) sec.integrity_replay_refused "$out / $(cat "$work/proxy.out")"
wait_until 5 test "$(nfail)" -gt "$n0"
result $((! $?)) sec.integrity_replay_logged "no '$authfail' in the OST log"
stop proxy

proxy downgrade
client integrity read "$mitm" "$oid" ${#p1}
attacked 'cleared the flavor bits' && grep -q "connect: -13" <<<"$out"
result $((! $?)) sec.integrity_downgrade_refused "$out / $(cat "$work/proxy.out")"
stop proxy

client auth read "$ost" "$oid" ${#p1}
grep -q "connect: -13" <<<"$out"
result $((! $?)) sec.integrity_server_refuses_auth_client "$out"
grep -q 'handshake refused.*sec=auth.*sec=integrity or stronger' "$work/ost0.log"
result $((! $?)) sec.integrity_server_logs_weak_client "$(grep 'handshake refused' "$work/ost0.log" | tail -n 2)"

proxy none "$work/dump.privacy"
client privacy write "$mitm" "$oid" "$secret"
grep -q "read: 0 $secret" <<<"$out" && [ -s "$work/dump.privacy" ] &&
	! grep -q "$secret" "$work/dump.privacy"
result $((! $?)) sec.privacy_pattern_not_on_wire "$out; in the dump: $(grep -c "$secret" "$work/dump.privacy")"
stop proxy
stop ost TERM
stop mds TERM

# ---- the controls: the servers at --sec auth ----
start auth
result $((! $?)) sec.auth_start "the OST did not come up at sec=auth"

proxy bulk
client auth write "$mitm" "$oid" "$p2"
attacked 'flipped a bulk byte of an OBJ_WRITE (sec=auth)' && grep -q 'write: 0' <<<"$out"
result $((! $?)) sec.control_auth_bulk_flip_taken "$out / $(cat "$work/proxy.out")"
stop proxy
client auth read "$ost" "$oid" ${#p2}
flipped=b${p2:1}
grep -q "read: 0 $flipped" <<<"$out"
result $((! $?)) sec.control_auth_altered_data_stored "$out (expected $flipped)"

proxy none "$work/dump.auth"
client auth write "$mitm" "$oid" "$secret"
grep -q "read: 0 $secret" <<<"$out" && grep -q "$secret" "$work/dump.auth"
result $((! $?)) sec.control_auth_pattern_on_wire "$out"
stop proxy

proxy none "$work/dump.privacy2"
client privacy write "$mitm" "$oid" "$secret"
grep -q "read: 0 $secret" <<<"$out" && [ -s "$work/dump.privacy2" ] &&
	! grep -q "$secret" "$work/dump.privacy2"
result $((! $?)) sec.privacy_at_auth_server "$out"
stop proxy

proxy downgrade
client integrity read "$mitm" "$oid" ${#p2}
attacked 'cleared the flavor bits' && grep -q "connect: -13" <<<"$out"
result $((! $?)) sec.downgrade_fails_the_macs "$out / $(cat "$work/proxy.out")"
stop proxy

stop ost TERM
stop mds TERM
exit $fail
