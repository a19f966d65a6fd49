#!/bin/bash
# Integration tier: an MDS and 4 OSTs on loopback, driven through the
# client library by the programs in build/bin (io, namespace, badinput).
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
base=${INTEG_PORT:-17430}
work=$(mktemp -d /tmp/tessera-integ.XXXXXX)
export TESS_MDS="127.0.0.1:$base@tcp" TESS_KEY=$work/key
# the OSTs restore HSM files from the local S3 server hsm.sh starts
s3port=$((base + 90))
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TESS_KEY"

declare -A pids
fail=0

start_mds() {
	"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" \
		--listen "127.0.0.1:$base@tcp" --stripe-count 1 --lease 5 \
		>>"$work/mds.log" 2>&1 &
	pids[mds]=$!
}

start_ost() {
	local i=$1
	"$bin/tessera-ost" --mds "$TESS_MDS" --index "$i" --dir "$work/ost$i" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((base + 1 + i))@tcp" \
		--s3-endpoint "http://127.0.0.1:$s3port" --s3-timeout 5 \
		>>"$work/ost$i.log" 2>&1 &
	pids[ost$i]=$!
}

start_all() {
	start_mds
	for i in 0 1 2 3; do start_ost "$i"; done
	# wait until all four OSTs are registered and answer statfs
	for _ in $(seq 1 100); do
		if "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df 2>/dev/null |
			grep -c 'UP' | grep -qx 4; then
			return 0
		fi
		sleep 0.1
	done
	echo "FAIL: integ: setup: 4 OSTs did not register in 10 s"
	tail -n 5 "$work"/*.log
	return 1
}

kill_all() {
	local sig=$1
	for p in "${pids[@]}"; do kill "-$sig" "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
}

cleanup() {
	kill_all KILL
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "logs kept in $work"; fi
}
trap cleanup EXIT

run() {	# run a test program; its PASS/FAIL lines go straight out
	"$@" || fail=1
}

start_all || { fail=1; exit 1; }

run "$bin/namespace" namespace
run "$bin/io" random /big 12345
run "$bin/io" lifecycle

# two clients creating 1000 files each in one directory at once
"$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" mkdir /many >/dev/null || fail=1
"$bin/namespace" concurrent 1000 /many a & p1=$!
"$bin/namespace" concurrent 1000 /many b & p2=$!
wait $p1 || fail=1
wait $p2 || fail=1
run "$bin/namespace" listdir /many 2000

run "$bin/badinput"
# the daemons logged a clear line for the refused input
for d in mds ost0; do
	if grep -qE 'checksum mismatch|authentication failed' "$work/$d.log"; then
		echo "PASS: integ: bad.$d.logged_refusals"
	else
		echo "FAIL: integ: bad.$d.logged_refusals: no log line for refused input"; fail=1
	fi
done

# HSM: lazy import from a local S3 server, restore on access
run bash tests/integ/hsm.sh "$work" "$s3port"

# exactly-once requests (lost replies injected) and open-unlinked files,
# on an MDS and OST of their own
run bash tests/integ/eonce.sh "$work" $((base + 60))

# kill -9 of everything after fsync'd writes, restart: namespace and data intact
kill_all KILL
start_all || { fail=1; exit 1; }
run "$bin/io" verify /big 12345
if "$bin/namespace" listdir /many 2000 | sed 's/concurrent\./restart./'; then :; else fail=1; fi

kill_all TERM
exit $fail
