#!/bin/bash
# The layout of imported files (issue #13): in a directory without a
# layout of its own, a stripe unit chosen from the object size (1 MiB up
# to 64 MiB, 4 MiB up to 1 GiB, else 8 MiB) and no more stripes than the
# object fills nor than the file system's default count: a 100 KiB object
# on one OST, 3 MiB on 3 of 1 MiB, 100 MiB on 4 (the default) of 4 MiB.
# In a directory with one (tessctl setstripe -c 2 -S 2M) that layout, also
# in the subdirectories the import makes.  A re-import keeps every layout,
# also of a file whose key changed (invalidated).  Every file reads back
# with the S3 object's sha256.  The import learns the default count from
# the MDS's STATFS, making no probe file: one CREATE per object and no
# UNLINK on the MDS (its STATS counters).
#
#   bash tests/integ/hsm_layout.sh WORKDIR PORT
#
# Runs an MDS (127.0.0.1:PORT, --stripe-count 4), 4 OSTs (PORT+1..4) and
# the strict S3 front (PORT+5) of its own.  Each check prints
# "PASS: integ: hsm_layout.NAME" or "FAIL: integ: hsm_layout.NAME: why".
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
work=${1:?work dir}/hsm_layout
port=${2:?port}
s3port=$((port + 5))
endpoint=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
unset AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
export AWS_ENDPOINT_URL=$endpoint
export TESS_MDS="127.0.0.1:$port@tcp" TESS_KEY=$work/key
rm -rf "$work"
mkdir -p "$work/src/sub"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TESS_KEY"
chmod 600 "$TESS_KEY"
fail=0
s3pid= mdspid= ost0= ost1= ost2= ost3=

hsm() { timeout -k 2 120 "$bin/hsm" "$@"; }
tctl() { timeout -k 2 120 "$bin/tessctl" "$@"; }

. "$top/tests/integ/lib.sh"	# wait_until, and (integ_checks) stop by PIDVAR
integ_checks hsm_layout

cleanup() {
	stop ost0; stop ost1; stop ost2; stop ost3
	stop mdspid
	stop s3pid
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "hsm_layout: logs kept in $work"; fi
}
trap cleanup EXIT

s3_up() { curl -s -o /dev/null "$endpoint/"; }
osts_up() { [ "$(tctl df 2>/dev/null | grep -c UP)" = 4 ]; }
s3put() {	# FILE KEY
	curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$1" \
		"$endpoint/lay/$2" -o /dev/null
}
not() { ! "$@"; }
sha() { sha256sum <"$1" | cut -c1-64; }
got() { tctl get "$1" - 2>/dev/null | sha256sum | cut -c1-64; }
layout() {	# PATH: "COUNT SIZE" of tessctl getstripe
	tctl getstripe "$1" | awk '/^stripe_count:/ { c = $2 } /^stripe_size:/ { s = $2 }
		END { print c " " s }'
}
want_layout() {	# CASE PATH "COUNT SIZE"
	local l
	l=$(layout "$2")
	check "$1" "$2: stripe count and size $l, not $3" [ "$l" = "$3" ]
}

# ---------------------------------------------------------------- setup
node --openssl-legacy-provider "$top/tests/s3/server.js" "$work/s3data" "$s3port" \
	>>"$work/s3rver.log" 2>&1 &
s3pid=$!
wait_until 10 s3_up || { failed setup "the S3 front did not start on $endpoint"; exit 1; }

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 4 --lease 5 >>"$work/mds.log" 2>&1 &
mdspid=$!
for i in 0 1 2 3; do
	"$bin/tessera-ost" --mds "$TESS_MDS" --index $i --dir "$work/ost$i" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1 + i))@tcp" \
		--s3-endpoint "$endpoint" --s3-timeout 10 >>"$work/ost$i.log" 2>&1 &
	eval "ost$i=$!"
done
wait_until 20 osts_up || { failed setup "the OSTs did not register in 20 s: $(tail -n 3 "$work"/*.log)"; exit 1; }

head -c $((100 * 1024)) /dev/urandom >"$work/src/small.bin"
head -c $((3 << 20)) /dev/urandom >"$work/src/mid.bin"
head -c $((100 << 20)) /dev/urandom >"$work/src/big.bin"
head -c 12345 /dev/urandom >"$work/src/sub/deep.bin"
tu=$(date +%s.%N)
ok=1
curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X PUT "$endpoint/lay" -o /dev/null || ok=0
for f in small.bin mid.bin big.bin sub/deep.bin; do
	s3put "$work/src/$f" "$f" || ok=0
done
[ $ok = 1 ] || { failed setup "upload through the front failed: $(tail -n 3 "$work/s3rver.log")"; exit 1; }
echo "hsm_layout: uploaded 103 MiB in $(echo "$(date +%s.%N) - $tu" | bc | cut -c1-5) s"

# /auto: no layout of its own; /own: setstripe -c 2 -S 2M
tctl mkdir /auto >/dev/null && tctl mkdir /own >/dev/null &&
	tctl setstripe -c 2 -S 2M /own >/dev/null ||
	{ failed setup "mkdir/setstripe"; exit 1; }
check dir_no_layout "/auto has a layout of its own: $(tctl getstripe /auto)" \
	grep -q "no layout" <<<"$(tctl getstripe /auto)"
# mds_op FILE OP: the MDS's count of OP in a tessctl stats --servers --json
mds_op() {
	python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["servers"]:
    if s["name"] == "MDS":
        print(s.get("ops", {}).get(sys.argv[2], {}).get("count", 0))
' "$@" 2>/dev/null
}
tctl stats --servers --json >"$work/stats0.json" 2>/dev/null
for d in auto own; do
	if ! hsm import s3://lay "/$d" >"$work/import_$d.out" 2>&1; then
		failed setup "import into /$d: $(cat "$work/import_$d.out")"
		exit 1
	fi
	[ $d = own ] || tctl stats --servers --json >"$work/stats1.json" 2>/dev/null
done

# ---------------------------------------------------------------- layouts
# the file the importer made to learn the default stripe count is gone
check no_probe_left "$(tctl ls /auto | grep probe)" not grep -q probe <<<"$(tctl ls /auto)"
# and was never made: the MDS's STATFS tells the default count, so the
# import into /auto cost 4 CREATEs (its 4 objects) and no UNLINK
c0=$(mds_op "$work/stats0.json" create) c1=$(mds_op "$work/stats1.json" create)
u0=$(mds_op "$work/stats0.json" unlink) u1=$(mds_op "$work/stats1.json" unlink)
no_probe() {
	[ -n "$c0" ] && [ -n "$c1" ] && [ -n "$u0" ] && [ -n "$u1" ] &&
		[ $((c1 - c0)) = 4 ] && [ $((u1 - u0)) = 0 ]
}
check no_probe_made "the import into /auto cost $((${c1:-0} - ${c0:-0})) CREATEs and $((${u1:-0} - ${u0:-0})) UNLINKs, not 4 and 0 (create ${c0:-none} -> ${c1:-none}, unlink ${u0:-none} -> ${u1:-none})" \
	no_probe
want_layout auto_small /auto/small.bin "1 1048576"
want_layout auto_mid /auto/mid.bin "3 1048576"
want_layout auto_big /auto/big.bin "4 4194304"
want_layout auto_sub /auto/sub/deep.bin "1 1048576"
for f in small mid big; do
	want_layout "own_$f" "/own/$f.bin" "2 2097152"
done
want_layout own_sub /own/sub/deep.bin "2 2097152"

# ---------------------------------------------------------------- data
for d in auto own; do
	for f in small.bin mid.bin big.bin sub/deep.bin; do
		g=$(got "/$d/$f")
		check "read_${d}_${f//[\/.]/_}" "/$d/$f reads sha256 $g, not that of S3's object" \
			[ "$g" = "$(sha "$work/src/$f")" ]
	done
done

# ---------------------------------------------------------------- re-import
# small.bin changes in S3 (now 3 MiB): invalidated, its layout kept
head -c $((3 << 20)) /dev/urandom >"$work/src/small.bin"
s3put "$work/src/small.bin" small.bin || failed reimport "upload of the new small.bin"
for d in auto own; do
	hsm import s3://lay "/$d" >"$work/reimport_$d.out" 2>&1
	check "reimport_$d" "re-import into /$d: $(cat "$work/reimport_$d.out")" \
		grep -q " 0 created, 1 invalidated, 3 unchanged" "$work/reimport_$d.out"
done
want_layout reimport_auto_changed /auto/small.bin "1 1048576"
want_layout reimport_auto_same /auto/mid.bin "3 1048576"
want_layout reimport_own_changed /own/small.bin "2 2097152"
for d in auto own; do
	g=$(got "/$d/small.bin")
	check "reimport_read_$d" "/$d/small.bin reads sha256 $g after re-import, not the new object's" \
		[ "$g" = "$(sha "$work/src/small.bin")" ]
done

exit $fail
