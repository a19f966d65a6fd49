#!/bin/bash
# HSM integration test: lazy import of an S3 bucket, restore on access.
#
#   bash tests/integ/hsm.sh WORKDIR S3PORT
#
# Run by tests/integ/run.sh with an MDS and 4 OSTs up ($TESS_MDS,
# $TESS_KEY; the OSTs restore from http://127.0.0.1:S3PORT with a 5 s
# time-out).  Starts s3rver (tests/s3, `npm ci --prefix tests/s3`) on
# 127.0.0.1:S3PORT, fills buckets with s3cmd (and curl for keys s3cmd
# cannot send), and checks import, listing, restore, prefetch, status,
# S3 outages, changed ETags, re-import, archive and release; then
# tests/integ/hsm_zeros.sh (MDS and OST of its own on S3PORT-50, -49).  Each check
# prints "PASS: integ: hsm.NAME" or "FAIL: integ: hsm.NAME: why".
#
# Sizes: 1000 small objects in nested prefixes, two 256 MiB objects
# (HSM_BIG_MB overrides), a bucket of bad keys.
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
work=${1:?work dir}/hsm
s3port=${2:?s3 port}
big_mb=${HSM_BIG_MB:-256}
endpoint=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_ENDPOINT_URL=$endpoint
mkdir -p "$work"
fail=0
s3pid=

pass() { echo "PASS: integ: hsm.$1"; }
failed() { echo "FAIL: integ: hsm.$1: $2"; fail=1; }
check() {	# NAME WHY CMD...: PASS if CMD succeeds
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else failed "$name" "$why"; fi
}

not() { ! "$@"; }
hsm() { "$bin/hsm" "$@"; }
tctl() { "$bin/tessctl" "$@"; }

start_s3() {
	# s3rver signs continuation tokens with DES: OpenSSL 3 has it in "legacy"
	node --openssl-legacy-provider "$top/tests/s3/server.js" "$work/s3data" "$s3port" >>"$work/s3rver.log" 2>&1 &
	s3pid=$!
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "$endpoint/" && return 0
		sleep 0.1
	done
	return 1
}

stop_s3() {
	[ -n "$s3pid" ] || return 0
	kill "$s3pid" 2>/dev/null
	wait "$s3pid" 2>/dev/null
	s3pid=
}
trap stop_s3 EXIT

# curl with SigV4, for keys s3cmd cannot send ("a//b")
s3curl() {
	curl -sS --path-as-is --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

cat >"$work/s3cfg" <<EOF
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = 127.0.0.1:$s3port
host_bucket = 127.0.0.1:$s3port
use_https = False
signature_v2 = False
multipart_chunk_size_mb = 64
EOF
s3c() { s3cmd -c "$work/s3cfg" --no-progress "$@"; }

ost_fetched() {	# total bytes the OSTs fetched from S3
	hsm counters | sed -n 's/^total fetched: \([0-9]*\) bytes.*/\1/p'
}

# ---------------------------------------------------------------- setup
t0=$(date +%s)
if [ ! -d "$top/tests/s3/node_modules/s3rver" ]; then
	failed setup "s3rver missing: npm ci --prefix tests/s3 (scripts/install-deps.sh)"
	exit 1
fi
if ! command -v s3cmd >/dev/null; then
	failed setup "s3cmd missing (scripts/install-deps.sh)"
	exit 1
fi
rm -rf "$work/s3data" "$work/src"
mkdir -p "$work/s3data" "$work/src/ds" "$work/src/big"
if ! start_s3; then
	failed setup "s3rver did not start on 127.0.0.1:$s3port"
	exit 1
fi

# 1000 small objects, 10 x 10 x 10, random sizes 1..8000 bytes
python3 - "$work/src/ds" <<'EOF'
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
# two big objects of random data
for n in a b; do
	head -c $((big_mb << 20)) /dev/urandom >"$work/src/big/$n.bin"
done
(cd "$work/src" && find . -type f | sed 's|^\./||' | sort | xargs sha256sum) >"$work/src.sha256"

tu=$(date +%s.%N)
if s3c mb s3://data >/dev/null &&
   s3c put --recursive "$work/src/ds/" s3://data/ds/ >"$work/put.log" 2>&1 &&
   s3c put --recursive "$work/src/big/" s3://data/big/ >>"$work/put.log" 2>&1; then
	nkeys=$(s3c ls -r s3://data | wc -l)
	echo "hsm: uploaded $nkeys objects ($big_mb MiB x 2 + 1000 small) in $(echo "$(date +%s.%N) - $tu" | bc | cut -c1-5) s"
	check setup "bucket holds $nkeys objects, not 1002" [ "$nkeys" = 1002 ]
else
	failed setup "s3cmd upload failed: $(tail -n 3 "$work/put.log")"
	exit 1
fi
# the S3 server is strict: it refuses what S3 refuses (wrong secret,
# region or token, tampered request, stale date, payload hash)
if s3c mb s3://strict >/dev/null; then
	node "$top/tests/s3/strict_test.js" "$endpoint" strict "integ: hsm.strict" || fail=1
else
	failed strict "cannot make bucket s3://strict"
fi
# the bad keys, and one good one, in a bucket of their own
longseg=$(printf 'L%.0s' $(seq 1 300))
echo ok >"$work/ok.txt"
s3c mb s3://bad >/dev/null
s3c put "$work/ok.txt" s3://bad/ok.txt >/dev/null
for k in "a/%2Fb" "../x" "$longseg/f" "c/./d"; do
	s3curl -T "$work/ok.txt" "$endpoint/bad/$k" -o /dev/null || failed setup "upload of bad key $k"
done

# ---------------------------------------------------------------- import
tctl mkdir /hsm >/dev/null 2>&1
tctl mkdir /hsm/data >/dev/null && tctl setstripe -c 4 /hsm/data >/dev/null ||
	failed import "mkdir/setstripe /hsm/data"
f0=$(ost_fetched)
ti=$(date +%s%N)
if hsm import s3://data /hsm/data -j 8 >"$work/import.out" 2>"$work/import.err"; then
	ms=$(( ($(date +%s%N) - ti) / 1000000 ))
	echo "hsm: $(cat "$work/import.out")"
	echo "hsm: import of 1002 keys took $ms ms"
	check import "not 1002 created: $(cat "$work/import.out")" \
		grep -q "1002 keys (2 pages), 1002 created" "$work/import.out"
else
	failed import "exit $?: $(tail -n 3 "$work/import.err")"
fi

# every name, size and mtime, with no data fetched
python3 "$top/tests/s3/list.py" "$endpoint" data >"$work/listing" || failed listing "cannot list the bucket"
bad=0
while read -r key size mtime; do
	out=$(tctl stat "/hsm/data/$key" 2>&1)
	got_size=$(sed -n 's/.* size \([0-9]*\) .*/\1/p' <<<"$out")
	got_mtime=$(sed -n 's/.* mtime \([0-9]*\)\..*/\1/p' <<<"$out")
	if [ "$got_size" != "$size" ] || [ "$got_mtime" != "$mtime" ]; then
		[ $bad -lt 3 ] && echo "hsm: $key: S3 size $size mtime $mtime, here: $out"
		bad=$((bad + 1))
	fi
done <"$work/listing"
names_ok=1
for d in $(seq -f 'd%02g' 0 9); do
	n=$(tctl ls "/hsm/data/ds/$d" | wc -l)
	[ "$n" = 10 ] || names_ok=0
done
[ "$(tctl ls /hsm/data/big | awk '{print $2}' | sort | tr '\n' ' ')" = "a.bin b.bin " ] || names_ok=0
check listing "$bad of $(wc -l <"$work/listing") keys differ in size or mtime, names ok=$names_ok" \
	[ "$bad" = 0 -a "$(wc -l <"$work/listing")" = 1002 -a "$names_ok" = 1 ]
f1=$(ost_fetched)
check no_data_fetched "the OSTs fetched $((f1 - f0)) bytes during import and listing" \
	[ "$((f1 - f0))" = 0 ]
st=$(hsm state /hsm/data/big/a.bin)
check state_released "state is: $st" grep -q "exists archived released" <<<"$st"

# ---------------------------------------------------------------- 4 KiB at 200 MiB
off=$(( (big_mb * 200 / 256) << 20 ))
want=$(dd if="$work/src/big/a.bin" bs=4096 skip=$((off / 4096)) count=1 2>/dev/null | sha256sum | cut -c1-64)
out=$("$bin/hsm_read" /hsm/data/big/a.bin "$off" 4096)
sleep 0.5	# let readahead finish before counting
f2=$(ost_fetched)
echo "hsm: 4 KiB read at offset $off of a $big_mb MiB released file fetched $((f2 - f1)) bytes from S3"
check read_4k_data "read: $out" grep -q "^ok 4096 sha256 $want" <<<"$out"
check read_4k_fetch "fetched $((f2 - f1)) bytes for a 4 KiB read (max 4 MiB)" \
	[ "$((f2 - f1))" -gt 0 -a "$((f2 - f1))" -le $((4 << 20)) ]
st=$(hsm state /hsm/data/big/a.bin)
check state_ranges "state does not show the restored range: $st" \
	grep -qE "present: [0-9]+ of $((big_mb << 20)) bytes .*: [0-9]+-[0-9]+" <<<"$st"

# ---------------------------------------------------------------- bad keys
hsm import s3://bad /hsm/bad >"$work/bad.out" 2>"$work/bad.err"
rc=$?
w=0
grep -qF "hsm: import: a//b: skipped" "$work/bad.err" && w=$((w + 1))
grep -qF "hsm: import: ../x: skipped" "$work/bad.err" && w=$((w + 1))
grep -qF "hsm: import: c/./d: skipped" "$work/bad.err" && w=$((w + 1))
grep -q "hsm: import: L*/f: skipped: key has a name longer than 255 bytes" "$work/bad.err" && w=$((w + 1))
check bad_keys "exit $rc, $w of 4 warnings: $(cat "$work/bad.err" | cut -c1-120)" \
	[ "$rc" = 0 -a "$w" = 4 ]
check bad_keys_rest_imported "ok.txt: $(tctl ls /hsm/bad 2>&1)" \
	[ "$(tctl get /hsm/bad/ok.txt - 2>/dev/null)" = ok ]

# ---------------------------------------------------------------- odd keys
# keys with space, '+', '~', '=', '&', UTF-8 and '/': put by curl (its own
# signer), listed, imported and restored by hsm and the OSTs (sigv4.c)
# through the strict server, whole and by prefix ("p+q r/")
odd=("sp ace/a+b~c=d&e.txt" $'uni/\xc3\xbc \xc3\xb1 \xe6\x97\xa5.dat' "p+q r/x=1&y=2+3" "t~/%41")
s3c mb s3://odd >/dev/null
nput=0
for k in "${odd[@]}"; do
	enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/~"))' "$k")
	printf 'key %s\n' "$k" >"$work/odd.txt"
	s3curl -T "$work/odd.txt" "$endpoint/odd/$enc" -o /dev/null && nput=$((nput + 1))
done
check odd_keys_put "$nput of ${#odd[@]} put" [ "$nput" = "${#odd[@]}" ]
hsm import s3://odd /hsm/odd >"$work/odd.out" 2>"$work/odd.err"
check odd_keys_import "$(cat "$work/odd.out" "$work/odd.err" | tr '\n' ' ')" \
	grep -q "4 keys (1 pages), 4 created.* 0 skipped" "$work/odd.out"
nok=0
for k in "${odd[@]}"; do
	got=$(tctl get "/hsm/odd/$k" - 2>&1)
	if [ "$got" = "key $k" ]; then nok=$((nok + 1)); else echo "hsm: odd key $k: read '$got'"; fi
done
check odd_keys_restored "$nok of ${#odd[@]} read back" [ "$nok" = "${#odd[@]}" ]
hsm import "s3://odd/p+q r/" /hsm/oddp >"$work/oddp.out" 2>"$work/oddp.err"
check odd_prefix_import "$(cat "$work/oddp.out" "$work/oddp.err" | tr '\n' ' ')" \
	grep -q "1 keys (1 pages), 1 created" "$work/oddp.out"
check odd_prefix_restored "x=1&y=2+3: $(tctl get "/hsm/oddp/x=1&y=2+3" - 2>&1)" \
	[ "$(tctl get "/hsm/oddp/x=1&y=2+3" - 2>/dev/null)" = "key p+q r/x=1&y=2+3" ]

# ---------------------------------------------------------------- session token
# a second strict server that wants a session token: hsm lists it with
# $AWS_SESSION_TOKEN (signed as x-amz-security-token), not without
tok='FwoGZXIvYXdzEXAMPLE+/token='
mkdir -p "$work/s3tok"
node --openssl-legacy-provider "$top/tests/s3/server.js" "$work/s3tok" 0 127.0.0.1 \
	--session-token "$tok" >"$work/s3tok.log" 2>&1 &
tokpid=$!
tokport=
for _ in $(seq 1 100); do
	tokport=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$work/s3tok.log")
	[ -n "$tokport" ] && break
	sleep 0.1
done
tokep=http://127.0.0.1:$tokport
tokcurl() { s3curl -H "x-amz-security-token: $tok" "$@"; }
if [ -n "$tokport" ] && tokcurl -X PUT "$tokep/tokb" -o /dev/null &&
   echo one | tokcurl -T - "$tokep/tokb/a%2Bb/one" -o /dev/null &&
   echo two | tokcurl -T - "$tokep/tokb/t%20wo" -o /dev/null; then
	AWS_SESSION_TOKEN= hsm import s3://tokb /hsm/tokn --endpoint "$tokep" \
		>"$work/tokn.out" 2>"$work/tokn.err"
	rc=$?
	refused=0
	[ $rc != 0 ] && grep -q "403.*InvalidAccessKeyId" "$work/tokn.err" && refused=1
	check token_missing_refused "exit $rc: $(tr '\n' ' ' <"$work/tokn.err")" \
		[ $refused = 1 ]
	AWS_SESSION_TOKEN=$tok hsm import s3://tokb /hsm/tok --endpoint "$tokep" \
		>"$work/tok.out" 2>"$work/tok.err"
	check token_import "$(cat "$work/tok.out" "$work/tok.err" | tr '\n' ' ')" \
		grep -q "2 keys (1 pages), 2 created" "$work/tok.out"
else
	failed token_setup "token server on port '$tokport': $(tail -n 3 "$work/s3tok.log")"
fi
kill "$tokpid" 2>/dev/null
wait "$tokpid" 2>/dev/null

# ---------------------------------------------------------------- sha256 of everything
# the small files restore on access (4 readers at once) ...
verify() {	# lines "SUM  PATH" of the source: compare through tessctl get
	local bad=0 sum path got
	while read -r sum path; do
		got=$(tctl get "/hsm/data/$path" - 2>/dev/null | sha256sum | cut -c1-64)
		if [ "$got" != "$sum" ]; then
			echo "hsm: $path: sha256 $got, source $sum" >&2
			bad=$((bad + 1))
		fi
	done
	echo "$bad"
}
grep ' ds/' "$work/src.sha256" >"$work/small.sha256"
rm -f "$work"/part.*
split -n l/4 "$work/small.sha256" "$work/part."
bad=0
vpids=()
for p in "$work"/part.??; do
	verify <"$p" >"$p.res" &
	vpids+=($!)
done
wait "${vpids[@]}"	# not s3rver
for p in "$work"/part.*.res; do bad=$((bad + $(cat "$p"))); done
check sha256_small "$bad of 1000 small files differ" [ "$bad" = 0 ]

# ... one big one read from start to end: the OSTs' readahead fetches
# every byte once, none twice, in GETs of more than one chunk
ost_fetches() { hsm counters | sed -n 's/^total fetched: [0-9]* bytes, \([0-9]*\) fetches.*/\1/p'; }
f3=$(ost_fetched)
n3=$(ost_fetches)
ts=$(date +%s%N)
got=$(tctl get /hsm/data/big/b.bin - 2>"$work/seq.err" | sha256sum | cut -c1-64)
ms=$(( ($(date +%s%N) - ts) / 1000000 ))
sleep 0.5	# readahead in flight counts too
f4=$(ost_fetched)
n4=$(ost_fetches)
echo "hsm: sequential read of released big/b.bin: $ms ms, $((f4 - f3)) bytes in $((n4 - n3)) fetches"
check seq_read_sha256 "sha256 $got: $(cat "$work/seq.err")" \
	[ "$got" = "$(grep ' big/b.bin$' "$work/src.sha256" | cut -c1-64)" ]
check seq_read_each_byte_once "fetched $((f4 - f3)) bytes for $((big_mb << 20))" \
	[ "$((f4 - f3))" = "$((big_mb << 20))" ]
check seq_read_multichunk_gets "$((n4 - n3)) fetches for $((big_mb * 4)) chunks of 256 KiB" \
	[ "$((n4 - n3))" -gt 0 -a "$((n4 - n3))" -lt $((big_mb * 4)) ]

# ... the big ones with prefetch, in parallel
tp=$(date +%s%N)
if hsm prefetch /hsm/data -j 8 >"$work/prefetch.out" 2>"$work/prefetch.err"; then
	echo "hsm: $(cat "$work/prefetch.out") ($(( ($(date +%s%N) - tp) / 1000000 )) ms)"
	pass prefetch
else
	failed prefetch "$(tail -n 3 "$work/prefetch.err")"
fi
hsm status /hsm/data >"$work/status.out" 2>&1
cat "$work/status.out" | sed 's/^/hsm: /'
check status_100 "status: $(cat "$work/status.out")" \
	grep -q "100.0%" "$work/status.out"
check status_states "status: $(cat "$work/status.out")" \
	grep -q "1002 exists, 1002 archived, 0 released, 0 dirty, 0 lost" "$work/status.out"
bad=$(grep ' big/' "$work/src.sha256" | verify)
check sha256_big "$bad of 2 big files differ" [ "$bad" = 0 ]

# ---------------------------------------------------------------- S3 down, S3 back
hsm release /hsm/data/big/b.bin >/dev/null 2>"$work/release.err" ||
	failed release "$(cat "$work/release.err")"
st=$(hsm state /hsm/data/big/b.bin)
check release "state after release: $st" grep -q "released" <<<"$st"
stop_s3
off=$(( (big_mb * 100 / 256) << 20 ))
want=$(dd if="$work/src/big/b.bin" bs=4096 skip=$((off / 4096)) count=1 2>/dev/null | sha256sum | cut -c1-64)
out=$("$bin/hsm_read" /hsm/data/big/b.bin "$off" 4096)
ms=$(sed -n 's/.* ms \([0-9]*\)$/\1/p' <<<"$out")
echo "hsm: read with S3 down: $out"
check s3_down_eio "read with S3 down: $out" grep -q "^error EIO" <<<"$out"
check s3_down_bounded "EIO after ${ms:-?} ms (bound: --s3-timeout 5 s)" [ "${ms:-99999}" -le 8000 ]
check s3_down_logged "no OST log line for the failed restore" \
	grep -q "restore of s3://data/big/b.bin bytes .* failed: .*readers get EIO" "${1}"/ost*.log
start_s3 || failed s3_back "s3rver did not restart"
out=$("$bin/hsm_read" /hsm/data/big/b.bin "$off" 4096)
check s3_back "read after S3 came back: $out" grep -q "^ok 4096 sha256 $want" <<<"$out"

# ---------------------------------------------------------------- ETag changed
hsm release /hsm/data/ds/d00/s00/f01.dat >/dev/null || failed etag_changed "release failed"
echo "changed in S3" >"$work/f01.new"
s3c put "$work/f01.new" s3://data/ds/d00/s00/f01.dat >/dev/null
out=$("$bin/hsm_read" /hsm/data/ds/d00/s00/f01.dat 0 100)
check etag_changed "read of an object changed in S3: $out" grep -q "^error EIO" <<<"$out"
check etag_changed_logged "no 'ETag changed since import' log line" \
	grep -q "restore of s3://data/ds/d00/s00/f01.dat .*ETag changed since import" "${1}"/ost*.log

# ---------------------------------------------------------------- re-import
echo "a new key" >"$work/new.dat"
s3c put "$work/new.dat" s3://data/ds/d00/s00/new.dat >/dev/null
s3c del s3://data/ds/d00/s00/f02.dat >/dev/null
hsm import s3://data /hsm/data -j 8 >"$work/reimport.out" 2>"$work/reimport.err"
rc=$?
echo "hsm: $(cat "$work/reimport.out")"
check reimport "exit $rc: $(cat "$work/reimport.out") $(cat "$work/reimport.err")" \
	grep -q "1002 keys (2 pages), 1 created, 1 invalidated, 1000 unchanged, 0 skipped, 0 conflicts, 1 deleted in S3 (0 removed), 0 failed" "$work/reimport.out"
check reimport_new "new.dat: $(tctl get /hsm/data/ds/d00/s00/new.dat - 2>&1)" \
	[ "$(tctl get /hsm/data/ds/d00/s00/new.dat - 2>/dev/null)" = "a new key" ]
check reimport_invalidated "f01.dat: $(tctl get /hsm/data/ds/d00/s00/f01.dat - 2>&1 | head -c 80)" \
	[ "$(tctl get /hsm/data/ds/d00/s00/f01.dat - 2>/dev/null)" = "changed in S3" ]
check reimport_deleted_reported "no report of the deleted key: $(cat "$work/reimport.err")" \
	grep -q "ds/d00/s00/f02.dat: deleted in S3: /hsm/data/ds/d00/s00/f02.dat kept, marked lost" "$work/reimport.err"
check reimport_lost "state: $(hsm state /hsm/data/ds/d00/s00/f02.dat)" \
	grep -q "lost" <<<"$(hsm state /hsm/data/ds/d00/s00/f02.dat)"
hsm import s3://data /hsm/data --delete >"$work/reimport2.out" 2>"$work/reimport2.err"
check reimport_delete "f02.dat still there: $(cat "$work/reimport2.err")" \
	not tctl stat /hsm/data/ds/d00/s00/f02.dat
check reimport_idempotent "$(cat "$work/reimport2.out")" \
	grep -q "0 created, 0 invalidated, 1002 unchanged" "$work/reimport2.out"

# ---------------------------------------------------------------- archive, release
head -c $((20 << 20)) /dev/urandom >"$work/changed.bin"
tctl put "$work/changed.bin" /hsm/data/ds/d00/s00/f03.dat >/dev/null
st=$(hsm state /hsm/data/ds/d00/s00/f03.dat)
check dirty "state after a write: $st" grep -q "dirty" <<<"$st"
check release_refused_dirty "release of a dirty file was not refused" \
	not hsm release /hsm/data/ds/d00/s00/f03.dat
out=$(hsm archive /hsm/data/ds/d00/s00/f03.dat 2>&1)
echo "hsm: $out"
got=$(s3c get s3://data/ds/d00/s00/f03.dat - 2>/dev/null | sha256sum | cut -c1-64)
check archive "S3 copy $got, written $(sha256sum <"$work/changed.bin" | cut -c1-64): $out" \
	[ "$got" = "$(sha256sum <"$work/changed.bin" | cut -c1-64)" ]
check archive_multipart "$out" grep -q multipart <<<"$out"
st=$(hsm state /hsm/data/ds/d00/s00/f03.dat)
check archive_state "state after archive: $st" grep -q "^/hsm/data/ds/d00/s00/f03.dat: exists archived$" <<<"$st"
out=$(hsm release /hsm/data/ds/d00/s00/f03.dat 2>&1)
got=$(tctl get /hsm/data/ds/d00/s00/f03.dat - 2>/dev/null | sha256sum | cut -c1-64)
check archive_release_read "after release: $out; read back $got" \
	[ "$got" = "$(sha256sum <"$work/changed.bin" | cut -c1-64)" ]

# ---------------------------------------------------------------- never zeros
# data or EIO in every corner (issue 9, finding 4): on an MDS and an OST
# of their own, with fault injection
bash "$top/tests/integ/hsm_zeros.sh" "$1" "$s3port" $((s3port - 50)) || fail=1

echo "hsm: the HSM test took $(( $(date +%s) - t0 )) s"
exit $fail
