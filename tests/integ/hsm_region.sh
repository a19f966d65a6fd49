#!/bin/bash
# S3 addressing and region (issue #13): virtual-hosted URLs through the
# strict SigV4 front on a localhost endpoint (Host: BUCKET.localhost:PORT,
# the signature checked over /KEY), the --path-style switch, and region
# discovery for buckets the front puts in other regions
# (S3_BUCKET_REGION): one answering 400 AuthorizationHeaderMalformed
# with <Region> and x-amz-bucket-region, one 301 PermanentRedirect with
# x-amz-bucket-region; the import and the OST's restores, both signed
# for us-east-1 at first, find the bucket's region and work.
#
#   bash tests/integ/hsm_region.sh WORKDIR PORT
#
# Then the OST is restarted with another endpoint and region: origins
# imported with their own (TESS_FEAT_HSM_LOC, kept in the sidecar) still
# restore when their endpoint is an --s3-allow-endpoint, and are refused
# (EIO, logged) when it is not.  hsm state shows each file's location
# (the OSTs send it back in OBJ_HSM_GET), and hsm archive uploads to it,
# whatever the tool's own --endpoint/--region, or, for a file without
# one (a version-1 sidecar), to the tool's own.
#
# Runs an MDS (127.0.0.1:PORT), one OST (PORT+1, --s3-endpoint
# http://localhost:PORT+2) and the strict S3 front (PORT+2) of its own.
# Each check prints "PASS: integ: hsm_region.NAME" or
# "FAIL: integ: hsm_region.NAME: why".
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
work=${1:?work dir}/hsm_region
port=${2:?port}
s3port=$((port + 2))
endpoint=http://localhost:$s3port
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export TESS_MDS="127.0.0.1:$port@tcp" TESS_KEY=$work/key
rm -rf "$work"
mkdir -p "$work/src"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TESS_KEY"
chmod 600 "$TESS_KEY"
fail=0
s3pid= mdspid= ostpid=

hsm() { timeout -k 2 60 "$bin/hsm" "$@"; }
tctl() { timeout -k 2 60 "$bin/tessctl" "$@"; }

. "$top/tests/integ/lib.sh"	# wait_until, and (integ_checks) stop by PIDVAR
integ_checks hsm_region

cleanup() {
	stop ostpid
	stop mdspid
	stop s3pid
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "hsm_region: logs kept in $work"; fi
}
trap cleanup EXIT

s3_up() { curl -s -o /dev/null "http://127.0.0.1:$s3port/"; }
ost_up() { tctl df 2>/dev/null | grep -q UP; }

# curl with SigV4, path-style, signed for region $1
s3curl() {
	local region=$1
	shift
	curl -sS --fail --aws-sigv4 "aws:amz:$region:s3" --user S3RVER:S3RVER \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
sha() { sha256sum <"$1" | cut -c1-64; }
got() { tctl get "$1" - 2>/dev/null | sha256sum | cut -c1-64; }
not() { ! "$@"; }

# ---------------------------------------------------------------- setup
S3_LOG_REQUESTS=1 S3_BUCKET_REGION=far=eu-west-1,farther=ap-south-1:301 \
	node --openssl-legacy-provider "$top/tests/s3/server.js" \
	"$work/s3data" "$s3port" >>"$work/s3rver.log" 2>&1 &
s3pid=$!
wait_until 10 s3_up || { failed setup "the S3 front did not start on 127.0.0.1:$s3port"; exit 1; }

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 1 --lease 5 >>"$work/mds.log" 2>&1 &
mdspid=$!
# the OST signs for us-east-1 and is virtual-hosted on localhost
"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" \
	--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1))@tcp" \
	--s3-endpoint "$endpoint" --s3-region us-east-1 --s3-timeout 5 \
	--s3-readahead 0 >>"$work/ost0.log" 2>&1 &
ostpid=$!
wait_until 20 ost_up || { failed setup "the OST did not register in 20 s: $(tail -n 3 "$work"/*.log)"; exit 1; }

# three buckets: near (us-east-1), far (eu-west-1), farther (ap-south-1)
ok=1
for b in near:us-east-1 far:eu-west-1 farther:ap-south-1; do
	name=${b%%:*} region=${b#*:}
	s3curl "$region" -X PUT "http://127.0.0.1:$s3port/$name" -o /dev/null || ok=0
	for f in "a.dat" "dir with space/b+c.dat" "caf$(printf '\xc3\xa9').dat"; do
		mkdir -p "$work/src/$name/$(dirname "$f")"
		head -c $((100000 + RANDOM)) /dev/urandom >"$work/src/$name/$f"
		enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$f")
		s3curl "$region" -T "$work/src/$name/$f" \
			"http://127.0.0.1:$s3port/$name/$enc" -o /dev/null || ok=0
	done
done
[ $ok = 1 ] || { failed setup "upload through the front failed: $(tail -n 3 "$work/s3rver.log")"; exit 1; }
# the front refuses what is signed for the wrong region, as S3 does
check front_wrong_region "far signed for us-east-1 was not refused with 400 and x-amz-bucket-region" \
	bash -c "curl -s -D - -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' http://127.0.0.1:$s3port/far/a.dat |
		tr -d '\r' | grep -q '^x-amz-bucket-region: eu-west-1' &&
		curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' http://127.0.0.1:$s3port/far/a.dat | grep -qx 400"
check front_wrong_region_301 "farther signed for us-east-1 was not refused with 301" \
	bash -c "curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' http://127.0.0.1:$s3port/farther/a.dat | grep -qx 301"

# ------------------------------------------------------------ addressing
tctl mkdir /r >/dev/null
hsm -v -v import s3://near /r/near --endpoint "$endpoint" >"$work/near.out" 2>&1
check vhost_import "import: $(tail -n 3 "$work/near.out")" \
	grep -q "GET http://near\.localhost:$s3port/?.* -> 0/200" "$work/near.out"
check vhost_signed "the front saw no virtual-hosted request" \
	grep -q "strict front: ok GET near\.localhost:$s3port /?" "$work/s3rver.log"
ok=1
for f in "a.dat" "dir with space/b+c.dat" "caf$(printf '\xc3\xa9').dat"; do
	[ "$(got "/r/near/$f")" = "$(sha "$work/src/near/$f")" ] || { ok=0; echo "near/$f differs"; }
done
check vhost_restore "restored bytes differ" [ $ok = 1 ]
check vhost_restore_by_ost "the OST's ranged GETs were not virtual-hosted" \
	grep -q "strict front: ok GET near\.localhost:$s3port /dir%20with%20space/b%2Bc\.dat" "$work/s3rver.log"

hsm -v -v import s3://near /r/near2 --endpoint "$endpoint" --path-style >"$work/near2.out" 2>&1
check path_style "import --path-style: $(tail -n 3 "$work/near2.out")" \
	grep -q "GET http://localhost:$s3port/near/?.* -> 0/200" "$work/near2.out"

# hsm state shows the location the OSTs restore from
loc_line() {	# ENDPOINT REGION ADDRESSING
	echo "  location: endpoint $1, region $2, $3"
}
st=$(hsm state /r/near/a.dat 2>&1)
check state_loc_vhost "$st" \
	grep -qxF "$(loc_line "$endpoint" us-east-1 virtual-hosted)" <<<"$st"
st=$(hsm state /r/near2/a.dat 2>&1)
check state_loc_path_style "$st" \
	grep -qxF "$(loc_line "$endpoint" us-east-1 path-style)" <<<"$st"

# ---------------------------------------------------------------- region
for b in far farther; do
	hsm -v -v import "s3://$b" "/r/$b" --endpoint "$endpoint" >"$work/$b.out" 2>&1
	rc=$?
	want=eu-west-1
	[ $b = farther ] && want=ap-south-1
	check "discover_$b" "import (rc $rc): $(tail -n 3 "$work/$b.out")" \
		grep -q "bucket $b is in $want, not us-east-1" "$work/$b.out"
	check "import_$b" "import failed (rc $rc): $(tail -n 2 "$work/$b.out")" [ $rc = 0 ]
	ok=1
	for f in "a.dat" "dir with space/b+c.dat" "caf$(printf '\xc3\xa9').dat"; do
		[ "$(got "/r/$b/$f")" = "$(sha "$work/src/$b/$f")" ] || { ok=0; echo "$b/$f differs"; }
	done
	check "restore_$b" "the OST (region us-east-1) did not restore $b's files" [ $ok = 1 ]
done
# the origin carried the bucket's region to the OST (TESS_FEAT_HSM_LOC):
# its GETs (virtual-hosted: /KEY) were never refused; only the setup's
# curl (/BUCKET/KEY) and the import's first listing were
n4=$(grep 'strict front: GET /[^?][^ ]* -> 400 ' "$work/s3rver.log" | grep -vc ' /far/')
n3=$(grep 'strict front: GET /[^?][^ ]* -> 301 ' "$work/s3rver.log" | grep -vc ' /farther/')
check origin_region "$n4 refusals (400) of far's restores, $n3 (301) of farther's, want none" \
	[ "$n4$n3" = 00 ]
st=$(hsm state /r/far/a.dat 2>&1)
check state_loc_region "$st" \
	grep -qxF "$(loc_line "$endpoint" eu-west-1 virtual-hosted)" <<<"$st"

# ------------------------------------------------- per-origin location
# the OST restarted with another endpoint (nothing there) and region:
# origins imported with their own endpoint and region still restore when
# that endpoint is allowed, and fail (logged) when it is not
start_ost() {	# OPTIONS...
	stop ostpid
	"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1))@tcp" \
		--s3-endpoint "http://127.0.0.1:1" --s3-region eu-north-1 \
		--s3-timeout 5 --s3-readahead 0 "$@" >>"$work/ost0.log" 2>&1 &
	ostpid=$!
	sleep 0.5
	wait_until 20 ost_up
}
start_ost --s3-allow-endpoint "$endpoint/" ||
	{ failed setup "the OST did not come back: $(tail -n 3 "$work/ost0.log")"; exit 1; }
nbefore=$(wc -l <"$work/s3rver.log")
for b in near far; do
	hsm import "s3://$b" "/r/${b}_loc" --endpoint "$endpoint" >"$work/${b}_loc.out" 2>&1 ||
		failed "loc_import_$b" "$(tail -n 2 "$work/${b}_loc.out")"
	ok=1
	for f in "a.dat" "dir with space/b+c.dat"; do
		[ "$(got "/r/${b}_loc/$f")" = "$(sha "$work/src/$b/$f")" ] || { ok=0; echo "${b}_loc/$f differs"; }
	done
	check "loc_restore_$b" "the OST (endpoint 127.0.0.1:1, region eu-north-1) did not restore from the origin's: $(grep 'hsm:.*'"$b"'/' "$work/ost0.log" | tail -n 2)" [ $ok = 1 ]
done
n=$(tail -n +"$((nbefore + 1))" "$work/s3rver.log" | grep -c "region 'eu-north-1' is wrong")
check loc_region "$n requests signed for the OST's region eu-north-1, not the origin's" [ "$n" = 0 ]
# files imported before the restart (already read) read the same
check loc_old_files "near/a.dat differs after the restart" \
	[ "$(got "/r/near/a.dat")" = "$(sha "$work/src/near/a.dat")" ]

# hsm archive of a file written since: to its origin (the front, far's
# region eu-west-1, virtual-hosted), not to the tool's own endpoint and
# region (nowhere: 127.0.0.1:1, eu-north-1); the OSTs keep that location
is_dirty() { hsm state "$1" | head -n 1 | grep -q dirty; }
s3got() { s3curl "$1" "http://127.0.0.1:$s3port/$2" | sha256sum | cut -c1-64; }
head -c 150000 /dev/urandom >"$work/far_a.new"
tctl put "$work/far_a.new" /r/far_loc/a.dat >/dev/null || failed setup "put far_loc/a.dat"
wait_until 10 is_dirty /r/far_loc/a.dat || failed setup "far_loc/a.dat not dirty: $(hsm state /r/far_loc/a.dat)"
nbefore=$(wc -l <"$work/s3rver.log")
out=$(hsm archive /r/far_loc/a.dat --endpoint http://127.0.0.1:1 --region eu-north-1 2>&1)
rc=$?
check archive_origin "exit $rc: $out" [ "$rc" = 0 ]
check archive_origin_put "the front saw no virtual-hosted PUT of far/a.dat: $(tail -n 3 "$work/s3rver.log")" \
	grep -q "strict front: ok PUT far\.localhost:$s3port /a\.dat " <(tail -n +"$((nbefore + 1))" "$work/s3rver.log")
check archive_origin_content "S3 has $(s3got eu-west-1 far/a.dat), written $(sha "$work/far_a.new")" \
	[ "$(s3got eu-west-1 far/a.dat)" = "$(sha "$work/far_a.new")" ]
st=$(hsm state /r/far_loc/a.dat 2>&1)
check archive_keeps_loc "$st" \
	grep -qxF "$(loc_line "$endpoint" eu-west-1 virtual-hosted)" <<<"$st"
out=$(hsm release /r/far_loc/a.dat 2>&1)
rc=$?
check archive_release "exit $rc: $out" [ "$rc" = 0 ]
check archive_restore "far_loc/a.dat, released, did not restore from its origin as archived" \
	[ "$(got /r/far_loc/a.dat)" = "$(sha "$work/far_a.new")" ]

# not allowed: the OST refuses to send its credentials there
start_ost || { failed setup "the OST did not come back: $(tail -n 3 "$work/ost0.log")"; exit 1; }
hsm import s3://near /r/near_denied --endpoint "$endpoint" >"$work/near_denied.out" 2>&1 ||
	failed loc_denied_import "$(tail -n 2 "$work/near_denied.out")"
check loc_denied_read "a read of an origin at a host the OST does not allow succeeded" \
	not tctl get /r/near_denied/a.dat /dev/null
check loc_denied_logged "no log line says why" \
	grep -q "neither this OST's (http://127.0.0.1:1) nor an --s3-allow-endpoint" "$work/ost0.log"

# an old sidecar (TSHSM01: no location, as an older OST wrote it) still
# loads, and restores from the OST's own endpoint and region: the OST
# stopped, every sidecar turned into version 1, the OST back on the front
stop ostpid
nconv=$(python3 - "$work/ost0" <<'EOF2'
import glob, sys
n = 0
for p in glob.glob(sys.argv[1] + "/**/*.hsm", recursive=True):
    b = open(p, "rb").read()
    if b[:8] == b"TSHSM02\0":
        # struct sc_loc: endpoint[512], region[64], flags, pad
        open(p, "wb").write(b"TSHSM01\0" + b[8:-584])
        n += 1
print(n)
EOF2
)
check v1_sidecars_made "no version-2 sidecar found to turn into version 1 ($nconv)" \
	[ "${nconv:-0}" -ge 3 ]
start_ost --s3-endpoint "$endpoint" --s3-region us-east-1 ||
	{ failed setup "the OST did not come back: $(tail -n 3 "$work/ost0.log")"; exit 1; }
check v1_sidecar_restore "$nconv sidecars made version 1; near_denied/a.dat did not restore from the OST's own endpoint" \
	[ "$(got /r/near_denied/a.dat)" = "$(sha "$work/src/near/a.dat")" ]
check v1_sidecar_no_corrupt "a version-1 sidecar was taken as corrupt: $(grep 'corrupt sidecar' "$work/ost0.log" | head -n 1)" \
	not grep -q 'corrupt sidecar' "$work/ost0.log"

# no location recorded: hsm state says so, and hsm archive uses the
# tool's own endpoint, region and addressing (here path-style)
st=$(hsm state /r/near_denied/a.dat 2>&1)
check state_no_loc "$st" \
	grep -qxF "  location: none recorded (the OSTs' own endpoint and region)" <<<"$st"
head -c 120000 /dev/urandom >"$work/near_a.new"
tctl put "$work/near_a.new" /r/near_denied/a.dat >/dev/null || failed setup "put near_denied/a.dat"
wait_until 10 is_dirty /r/near_denied/a.dat || failed setup "near_denied/a.dat not dirty: $(hsm state /r/near_denied/a.dat)"
nbefore=$(wc -l <"$work/s3rver.log")
out=$(hsm archive /r/near_denied/a.dat --endpoint "$endpoint" --path-style 2>&1)
rc=$?
check archive_no_loc "exit $rc: $out" [ "$rc" = 0 ]
check archive_no_loc_put "the front saw no path-style PUT of near/a.dat: $(tail -n 3 "$work/s3rver.log")" \
	grep -q "strict front: ok PUT localhost:$s3port /near/a\.dat " <(tail -n +"$((nbefore + 1))" "$work/s3rver.log")
check archive_no_loc_content "S3 has $(s3got us-east-1 near/a.dat), written $(sha "$work/near_a.new")" \
	[ "$(s3got us-east-1 near/a.dat)" = "$(sha "$work/near_a.new")" ]

exit $fail
