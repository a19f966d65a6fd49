#!/bin/bash
# An S3 that comes back slow after failing: restores work again.
#
#   bash tests/integ/hsm_slow.sh WORKDIR PORT
#
# MDS at 127.0.0.1:PORT, one OST at PORT+1 (--s3-timeout 5, readahead
# off), the S3 front (tests/s3/server.js) at PORT+2 and in front of it
# tests/s3/delay_proxy.js at PORT+3, which the OST uses as its endpoint.
# After a fetch fails, the OST counts S3 as failing for a while and tries
# reads for a shorter time (user/ost/hsm_int.h, QUICK_TIMEOUT_S); a try cut
# short that way must not count as a new failure, or an S3 that answers in
# more than that shorter time (but in less than --s3-timeout) never gets
# a read through again.  Cases:
#   probe_*      the OST's start-up probe reaches the endpoint and sends
#                no signed request (none the front accepts before setup)
#   sanity       a read through the proxy
#   blackhole    S3 answers nothing: the read gets EIO, bounded
#   slow_back    S3 back, every answer 4 s late (< --s3-timeout 5): a read
#                succeeds within 30 s of it, after the failing time is over
#   fast_again   and every chunk of the file reads right once S3 is fast
#   lands_*      a GET's data is present as it lands: over a 1 MiB/s link,
#                a read of chunk 1 of a 4 MiB GET in flight for another
#                read returns before that GET ends (before, it waited for
#                the whole GET), and both read right
#   norange_*    a server that ignores Range (200, the whole object from
#                byte 0) for a 1 MiB GET: EIO, nothing of it marked
#                present, and the next read reads right
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
work=${1:?work dir}/hsm_slow
port=${2:?port}
s3port=$((port + 2))
pxport=$((port + 3))
endpoint=http://127.0.0.1:$pxport
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3port
export TESS_MDS="127.0.0.1:$port@tcp" TESS_KEY=$work/key
rm -rf "$work"
mkdir -p "$work/src"
mode=$work/mode
echo 0 >"$mode"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TESS_KEY"
chmod 600 "$TESS_KEY"
fail=0
s3pid= pxpid= mdspid= ostpid=
CS=65536

hsm() { timeout -k 2 60 "$bin/hsm" "$@"; }
tctl() { timeout -k 2 60 "$bin/tessctl" "$@"; }
rd() { timeout -k 2 60 "$bin/hsm_read" "$@"; }
not() { ! "$@"; }

. "$top/tests/integ/lib.sh"
integ_checks hsm_slow
cleanup() {
	stop ostpid
	stop mdspid
	stop pxpid
	stop s3pid
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "hsm_slow: logs kept in $work"; fi
}
trap cleanup EXIT

s3_up() { curl -s -o /dev/null "http://127.0.0.1:$s3port/"; }
px_up() { curl -s -o /dev/null "$endpoint/"; }
ost_up() { tctl df 2>/dev/null | grep -q UP; }

S3_LOG_REQUESTS=1 S3_FAULT_NORANGE_ONCE='^GET /slow/l/n\.bin$' node --openssl-legacy-provider "$top/tests/s3/server.js" "$work/s3data" "$s3port" \
	>>"$work/s3rver.log" 2>&1 &
s3pid=$!
wait_until 10 s3_up || { failed setup "the S3 front did not start"; exit 1; }
node "$top/tests/s3/delay_proxy.js" "$pxport" "$s3port" "$mode" >>"$work/proxy.log" 2>&1 &
pxpid=$!
wait_until 10 px_up || { failed setup "the delay proxy did not start"; exit 1; }
integ_s3cfg "$s3port"

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 1 --lease 5 >>"$work/mds.log" 2>&1 &
mdspid=$!
"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" --key "$TESS_KEY" \
	--listen "127.0.0.1:$((port + 1))@tcp" --s3-endpoint "$endpoint" \
	--s3-timeout 5 --s3-readahead 0 >>"$work/ost0.log" 2>&1 &
ostpid=$!
wait_until 20 ost_up || { failed setup "the OST did not register: $(tail -n 3 "$work"/*.log)"; exit 1; }

# the OST's start-up probe: the endpoint only, no signed request to a
# bucket (on AWS any name is someone's bucket)
wait_until 10 grep -q "S3 endpoint .* answers" "$work/ost0.log"
check probe_answers "no 'S3 endpoint ... answers' line: $(grep -i 'S3 endpoint' "$work/ost0.log")" \
	grep -q "S3 endpoint $endpoint answers (HTTP" "$work/ost0.log"
check probe_unsigned "the probe was a signed request to a bucket: $(grep 'strict front: ok' "$work/s3rver.log" | head -3)" \
	not grep -q "strict front: ok" "$work/s3rver.log"

head -c $((16 * CS)) /dev/urandom >"$work/src/f.bin"
if ! { s3c mb s3://slow && s3c put "$work/src/f.bin" s3://slow/f.bin; } >"$work/put.log" 2>&1; then
	failed setup "s3cmd upload failed: $(tail -n 3 "$work/put.log")"
	exit 1
fi
tctl mkdir /s >/dev/null && tctl setstripe -c 1 -S 64K /s >/dev/null ||
	{ failed setup "mkdir/setstripe /s"; exit 1; }
# through the proxy: the origin's endpoint is then the OST's own
AWS_ENDPOINT_URL=$endpoint hsm import s3://slow /s >"$work/import.out" 2>&1 ||
	{ failed setup "import: $(cat "$work/import.out")"; exit 1; }

want() {	# OFF LEN: "ok LEN sha256 X" of those bytes of the source
	echo "ok $2 sha256 $(tail -c +$(($1 + 1)) "$work/src/f.bin" | head -c "$2" | sha256sum | cut -c1-64)"
}

out=$(rd /s/f.bin 0 4096)
check sanity "read through the proxy: $out" grep -q "^$(want 0 4096) " <<<"$out"

echo -1 >"$mode"
out=$(rd /s/f.bin $((2 * CS)) 4096)
ms=$(sed -n 's/.* ms \([0-9]*\)$/\1/p' <<<"$out")
check blackhole "S3 answers nothing: $out" grep -q "^error EIO" <<<"$out"
check blackhole_bounded "EIO after ${ms:-?} ms (--s3-timeout 5)" [ "${ms:-99999}" -le 9000 ]

# S3 back, 4 s late: more than the OST's quick try, less than --s3-timeout
echo 4000 >"$mode"
t0=$(date +%s)
tries=0
ok=0
while [ $(( $(date +%s) - t0 )) -lt 30 ]; do
	tries=$((tries + 1))
	out=$(rd /s/f.bin $((4 * CS)) 4096)
	if grep -q "^$(want $((4 * CS)) 4096) " <<<"$out"; then ok=1; break; fi
	sleep 1
done
echo "hsm_slow: S3 4 s late: $tries reads in $(( $(date +%s) - t0 )) s, the last: $out"
check slow_back "no read got through in 30 s of an S3 4 s late (< --s3-timeout 5): $tries reads, the last: $out; OST log: $(grep -c 'failed' "$work/ost0.log") failed restores" [ $ok = 1 ]

echo 0 >"$mode"
out=$(rd /s/f.bin 0 $((16 * CS)))
check fast_again "whole file once S3 is fast: $out" grep -q "^$(want 0 $((16 * CS))) " <<<"$out"

# one 4 MiB stripe unit: one GET of 16 chunks of 256 KiB
head -c $((4 << 20)) /dev/urandom >"$work/src/g.bin"
head -c $((2 << 20)) /dev/urandom >"$work/src/n.bin"
if ! s3c put "$work/src/g.bin" s3://slow/l/g.bin >"$work/put.log" 2>&1 ||
   ! s3c put "$work/src/n.bin" s3://slow/l/n.bin >>"$work/put.log" 2>&1 ||
   ! tctl mkdir /l >/dev/null || ! tctl setstripe -c 1 -S 4M /l >/dev/null ||
   ! AWS_ENDPOINT_URL=$endpoint hsm import s3://slow/l /l >"$work/import.out" 2>&1; then
	failed lands_setup "upload and import of g.bin and n.bin: $(tail -n 3 "$work/put.log" "$work/import.out")"
	exit 1
fi
gwant() { echo "ok $2 sha256 $(tail -c +$(($1 + 1)) "$work/src/g.bin" | head -c "$2" | sha256sum | cut -c1-64)"; }
gets() { grep -c "strict front: ok GET .*/l/g.bin" "$work/s3rver.log"; }
got_get() { [ "$(gets)" -gt "$g0" ]; }
echo "rate 1024" >"$mode"
g0=$(gets)
rd --obj /l/g.bin 0 $((4 << 20)) >"$work/lands_a.out" 2>&1 &
apid=$!
wait_until 10 got_get || failed lands_get "the 4 MiB GET did not start"
# chunk 1, in the GET in flight for the read above
out=$(rd --obj /l/g.bin $((256 << 10)) 4096)
inflight=$(kill -0 $apid 2>/dev/null && ! grep -q "chunks 0-15: fetched" "$work/ost0.log" && echo yes)
wait $apid
echo "hsm_slow: chunk 1: $out; the whole GET: $(cat "$work/lands_a.out"); the GET in flight when chunk 1 came: ${inflight:-no}"
check lands_early "chunk 1 came only after the 4 MiB GET ended: $out; $(grep 'chunks 0-15' "$work/ost0.log")" [ "$inflight" = yes ]
check lands_chunk "chunk 1: $out" grep -q "^$(gwant $((256 << 10)) 4096) " <<<"$out"
check lands_whole "the 4 MiB read: $(cat "$work/lands_a.out")" grep -q "^$(gwant 0 $((4 << 20))) " "$work/lands_a.out"
check lands_one_get "GETs of g.bin: $(( $(gets) - g0 )), not 1" [ $(( $(gets) - g0 )) = 1 ]
echo 0 >"$mode"

# the second MiB of n.bin: one GET of 4 chunks, which the front passes on
# without its Range; s3rver answers with the whole object from byte 0
nwant() { echo "ok $2 sha256 $(tail -c +$(($1 + 1)) "$work/src/n.bin" | head -c "$2" | sha256sum | cut -c1-64)"; }
out=$(rd --obj /l/n.bin $((1 << 20)) $((1 << 20)))
check norange_fired "the fault was not injected: $(grep -c 'fault norange' "$work/s3rver.log")" \
	grep -q "fault norange injected" "$work/s3rver.log"
check norange_eio "a reply without the range asked for: $out" grep -q "^error EIO" <<<"$out"
out=$(rd --obj /l/n.bin $((1 << 20)) $((1 << 20)))
check norange_after "the same read again: $out" grep -q "^$(nwant $((1 << 20)) $((1 << 20))) " <<<"$out"
out=$(rd --obj /l/n.bin 0 $((2 << 20)))
check norange_whole "all of n.bin: $out" grep -q "^$(nwant 0 $((2 << 20))) " <<<"$out"
exit $fail
