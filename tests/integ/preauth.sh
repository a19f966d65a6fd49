#!/bin/bash
# Key files and peers that never authenticate (issue #12, first part):
# tessera-mds, tessera-ost and tessctl refuse a key file group or others
# can read; an MDS of its own on 127.0.0.1 closes a HELLO that declares a
# 16 MiB bulk without allocating it, a slow-loris sender at the handshake
# deadline, the connection past TNET_PREAUTH_MAX idle unauthenticated
# ones, and past TNET_PREAUTH_PER_ADDR from one address (500 of them do
# not keep a client at another address out) (build/bin/preauth), while an
# authenticated client is served.
#   usage: preauth.sh WORKDIR PORT     (uses PORT; by hand: PORT 25430)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup preauth "${1:-/tmp}" "${2:-25430}"
declare -A pids=()

# ---- key files others can read are refused, with the fix in the message ----
# refused NAME KEYFILE CMD...: CMD exits non-zero at once and says
# "chmod 600 KEYFILE"
refused() {
	local name=$1 k=$2 out rc
	shift 2
	out=$(timeout -k 2 5 "$@" 2>&1)
	rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ] && [ $rc != 137 ] &&
	   grep -qF "chmod 600 $k" <<<"$out"; then
		result 1 "$name"
	else
		result 0 "$name" "exit $rc, output: $(head -c 300 <<<"$out")"
	fi
}
cp "$TESS_KEY" "$work/key644"
chmod 644 "$work/key644"
cp "$TESS_KEY" "$work/key640"
chmod 640 "$work/key640"
refused preauth.key644_refused_mds "$work/key644" "$bin/tessera-mds" \
	--dir "$work/mds644" --key "$work/key644" --listen "$TESS_MDS"
refused preauth.key644_refused_ost "$work/key644" "$bin/tessera-ost" \
	--mds "$TESS_MDS" --index 0 --dir "$work/ost644" --key "$work/key644" \
	--listen "127.0.0.1:$((port + 1))@tcp"
refused preauth.key644_refused_tessctl "$work/key644" "$bin/tessctl" \
	--mds "$TESS_MDS" --key "$work/key644" df
refused preauth.key640_refused_tessctl "$work/key640" "$bin/tessctl" \
	--mds "$TESS_MDS" --key "$work/key640" df
# (the owner rule, another user than the caller or root, needs root to test)

# ---- an MDS of its own, with the 0600 key ----
"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	>>"$work/mds.log" 2>&1 &
pids[mds]=$!
up() { "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df >/dev/null 2>&1; }
wait_until 10 up
ok=$((! $?))
result $ok preauth.setup "the MDS did not answer in 10 s"
[ $ok = 1 ] || { tail -n 5 "$work/mds.log"; exit 1; }

# the bulk check first: the daemon's VmHWM has seen nothing else yet
"$bin/preauth" bulk "${pids[mds]}" || fail=1
"$bin/preauth" loris "${pids[mds]}" || fail=1
"$bin/preauth" cap "${pids[mds]}" || fail=1
"$bin/preauth" peraddr "${pids[mds]}" || fail=1
"$bin/preauth" keepalive "${pids[mds]}" || fail=1

grep -q 'no bulk before authentication' "$work/mds.log"
result $((! $?)) preauth.bulk_logged "no log line for the refused HELLO"
grep -q 'handshake deadline' "$work/mds.log"
result $((! $?)) preauth.loris_logged "no log line for the slow handshake"
n=$(grep -c 'in all are not yet authenticated (the limit)' "$work/mds.log")
[ "$n" -ge 1 ] && [ "$n" -le 3 ]
result $((! $?)) preauth.cap_logged_once "$n log lines for the connection past the limit (1..3 expected)"
n=$(grep -c 'from this address are not yet authenticated (the limit)' "$work/mds.log")
[ "$n" -ge 1 ] && [ "$n" -le 4 ]
result $((! $?)) preauth.peraddr_logged_rarely "$n log lines for 492 connections past the limit of one address (1..4 expected)"
kill -0 "${pids[mds]}" 2>/dev/null
result $((! $?)) preauth.mds_alive "the MDS is gone"

if [ $fail != 0 ]; then
	echo "preauth: logs in $work"
	tail -n 20 "$work/mds.log"
fi
exit $fail
