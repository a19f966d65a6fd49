#!/bin/bash
# HSM restore never serves zeros for data it does not have: every read of
# an imported file gives the S3 bytes (or what was written since) or EIO.
#
#   bash tests/integ/hsm_zeros.sh WORKDIR S3PORT PORT
#
# Runs an MDS (127.0.0.1:PORT) and one OST (PORT+1) of its own: readahead
# off, so that each read restores exactly its chunks, and HSM fault
# injection on ($TESS_HSM_FAULTS, see user/ost/hsm.c).  Restores from the
# s3rver at S3PORT; when none answers there, starts one (tests/s3).
# Files use 64 KiB stripes, one stripe: one object = the file, 64 KiB
# chunks.  Cases: a read over more than 64 absent runs, corrupt sidecars,
# RELEASE during a read and during a write, RELEASE and re-import whose
# sidecar write fails, a write whose data sync or bitmap write fails,
# prefetch of a missing file and of a file removed meanwhile.  Each check
# prints "PASS: integ: hsm_zeros.NAME" or "FAIL: integ: hsm_zeros.NAME: why".
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
work=${1:?work dir}/hsm_zeros
s3port=${2:?s3 port}
port=${3:?port}
endpoint=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_ENDPOINT_URL=$endpoint
export TESS_MDS="127.0.0.1:$port@tcp" TESS_KEY=$work/key
rm -rf "$work"
mkdir -p "$work/src"
faults=$work/faults
: >"$faults"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TESS_KEY"
chmod 600 "$TESS_KEY"
fail=0
s3pid= mdspid= ostpid=
CS=65536				# chunk size of 64 KiB stripes

hsm() { timeout -k 2 60 "$bin/hsm" "$@"; }
tctl() { timeout -k 2 60 "$bin/tessctl" "$@"; }
rd() { timeout -k 2 60 "$bin/hsm_read" "$@"; }
wr() { timeout -k 2 60 "$bin/hsm_write" "$@"; }

. "$top/tests/integ/lib.sh"	# wait_until, and stop by PIDVAR:
integ_checks hsm_zeros
cleanup() {
	stop ostpid
	stop mdspid
	stop s3pid
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "hsm_zeros: logs kept in $work"; fi
}
trap cleanup EXIT

s3_up() { curl -s -o /dev/null "$endpoint/"; }
ost_up() { tctl df 2>/dev/null | grep -q UP; }
start_ost() {
	TESS_HSM_FAULTS=$faults "$bin/tessera-ost" --mds "$TESS_MDS" --index 0 \
		--dir "$work/ost0" --key "$TESS_KEY" \
		--listen "127.0.0.1:$((port + 1))@tcp" --s3-endpoint "$endpoint" \
		--s3-timeout 5 --s3-readahead 0 >>"$work/ost0.log" 2>&1 &
	ostpid=$!
	wait_until 20 ost_up
}
restart_ost() { stop ostpid; start_ost; }

# ---------------------------------------------------------------- setup
if ! s3_up; then
	node --openssl-legacy-provider "$top/tests/s3/server.js" "$work/s3data" "$s3port" \
		>>"$work/s3rver.log" 2>&1 &
	s3pid=$!
	wait_until 10 s3_up || { failed setup "s3rver did not start on $endpoint"; exit 1; }
fi
integ_s3cfg "$s3port"

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 1 --lease 5 >>"$work/mds.log" 2>&1 &
mdspid=$!
start_ost || { failed setup "the OST did not register in 20 s: $(tail -n 3 "$work"/*.log)"; exit 1; }

# 130 chunks for the many-runs read; 1 MiB files for the rest
head -c $((130 * CS)) /dev/urandom >"$work/src/runs.bin"
for n in corrupt1 corrupt2 inflight wflight scfail restub dsync bmfail; do
	head -c $((16 * CS)) /dev/urandom >"$work/src/$n.bin"
done
head -c $((256 * CS)) /dev/urandom >"$work/src/pf_a.bin"
head -c $((128 * CS)) /dev/urandom >"$work/src/pf_b.bin"
if ! { s3c mb s3://zeros && s3c put --recursive "$work/src/" s3://zeros/; } >"$work/put.log" 2>&1; then
	failed setup "s3cmd upload failed: $(tail -n 3 "$work/put.log")"
	exit 1
fi
tctl mkdir /z >/dev/null && tctl setstripe -c 1 -S 64K /z >/dev/null ||
	{ failed setup "mkdir/setstripe /z"; exit 1; }
if ! hsm import s3://zeros /z >"$work/import.out" 2>&1; then
	failed setup "import: $(cat "$work/import.out")"
	exit 1
fi

sha() { sha256sum | cut -c1-64; }
src_sha() { sha <"$work/src/$1"; }	# NAME
want() {	# NAME OFF LEN: "ok LEN sha256 X" of those bytes of the source
	echo "ok $3 sha256 $(tail -c +$(($2 + 1)) "$work/src/$1" | head -c "$3" | sha)"
}
present() {	# PATH: bytes present, as hsm state says
	hsm state "$1" | sed -n 's/^  present: \([0-9]*\) of .*/\1/p'
}
oid_of() { tctl getstripe "$1" | awk '$1 == "0" && $2 ~ /^[0-9]+$/ { print $2 }'; }
sidecar() {	# PATH: the sidecar file of its object
	local oid
	oid=$(oid_of "$1")
	printf '%s/ost0/O/%02x/%016x.hsm' "$work" $((oid & 255)) "$oid"
}
logged() { grep -c "$1" "$work/ost0.log"; }
more_logged() { [ "$(logged "$1")" -gt "$2" ]; }	# PATTERN COUNT

# ---------------------------------------------------------------- > 64 absent runs
# every other chunk restored, then one OBJ_READ of all 130: 65 absent runs
for c in $(seq 0 2 129); do
	rd /z/runs.bin $((c * CS)) 1 >/dev/null
done
p=$(present /z/runs.bin)
check many_runs_setup "$p bytes present, not 65 chunks" [ "$p" = $((65 * CS)) ]
out=$(rd --obj /z/runs.bin 0 $((130 * CS)))
check many_runs "one read of 65 absent runs: $out" \
	[ "${out% ms *}" = "$(want runs.bin 0 $((130 * CS)))" ]

# ---------------------------------------------------------------- corrupt sidecars
sc1=$(sidecar /z/corrupt1.bin)
sc2=$(sidecar /z/corrupt2.bin)
if [ -f "$sc1" ] && [ -f "$sc2" ]; then
	stop ostpid
	printf 'X' | dd of="$sc1" bs=1 count=1 conv=notrunc 2>/dev/null	# magic
	truncate -s -1 "$sc2"						# bitmap cut
	start_ost || failed corrupt "the OST did not come back"
	out=$(rd /z/corrupt1.bin 0 $CS)
	check corrupt_magic_eio "read with a bad sidecar magic: $out" grep -q "^error EIO" <<<"$out"
	out=$(rd /z/corrupt2.bin 0 $CS)
	check corrupt_short_eio "read with a cut sidecar bitmap: $out" grep -q "^error EIO" <<<"$out"
	check corrupt_logged "no OST log line for the corrupt sidecars" \
		[ "$(logged 'corrupt sidecar')" -ge 2 ]
else
	failed corrupt "no sidecar at $sc1 or $sc2"
fi

# ---------------------------------------------------------------- prefetch errors
out=$(hsm prefetch /z/nope.bin 2>&1)
rc=$?
clean_fail() {	# RC OUTPUT PATTERN: exit nonzero, no crash, the message
	[ "$1" != 0 ] && [ "$1" -lt 128 ] && grep -q "$3" <<<"$2"
}
check prefetch_missing "exit $rc: $out" \
	clean_fail "$rc" "$out" "^hsm: prefetch: /z/nope.bin: No such file or directory"
# a file removed once prefetch has planned its work: its reads fail, the
# tool says so and goes on (it dereferenced NULL on the file's second unit)
echo "io-pause=300" >"$faults"
hsm prefetch /z/pf_a.bin /z/pf_b.bin -j 1 >"$work/pf.out" 2>&1 &
pf=$!
wait_until 20 grep -q "held 300 ms" "$work/ost0.log"
tctl rm /z/pf_b.bin >/dev/null
wait $pf
rc=$?
: >"$faults"
check prefetch_vanished "exit $rc: $(cat "$work/pf.out")" \
	clean_fail "$rc" "$(cat "$work/pf.out")" "^hsm: prefetch: /z/pf_b.bin: "

# ---------------------------------------------------------------- release vs I/O in flight
# a read that ost_hsm_begin let in, then RELEASE: the reader gets the data
hsm prefetch /z/inflight.bin >/dev/null 2>&1
n0=$(logged "held 2000 ms")
echo "io-pause=2000" >"$faults"
rd /z/inflight.bin 0 $((16 * CS)) >"$work/inflight.out" &
r=$!
wait_until 20 more_logged "held 2000 ms" "$n0"
hsm release /z/inflight.bin >"$work/inflight.rel" 2>&1
rrc=$?
wait $r
: >"$faults"
out=$(cat "$work/inflight.out")
echo "hsm_zeros: release during a read: exit $rrc, $(head -n 1 "$work/inflight.rel")"
check release_during_read "release exit $rrc ($(cat "$work/inflight.rel")), reader: $out" \
	[ "${out% ms *}" = "$(want inflight.bin 0 $((16 * CS)))" ]
out=$(rd /z/inflight.bin 0 $((16 * CS)))
check release_during_read_after "read after: $out" [ "${out% ms *}" = "$(want inflight.bin 0 $((16 * CS)))" ]

# a write let in, then RELEASE: the write is not overwritten by S3 data later
hsm prefetch /z/wflight.bin >/dev/null 2>&1
n0=$(logged "held 2000 ms")
echo "io-pause=2000" >"$faults"
wr /z/wflight.bin $CS 4096 0x5a >"$work/wflight.out" &
w=$!
wait_until 20 more_logged "held 2000 ms" "$n0"
hsm release /z/wflight.bin >"$work/wflight.rel" 2>&1
rrc=$?
wait $w
: >"$faults"
out=$(rd /z/wflight.bin $CS 4096)
echo "hsm_zeros: release during a write: exit $rrc, $(head -n 1 "$work/wflight.rel")"
wsha=$(head -c 4096 /dev/zero | tr '\0' '\132' | sha)
if grep -q "^ok" "$work/wflight.out"; then
	check release_during_write "write: $(cat "$work/wflight.out"), release exit $rrc ($(cat "$work/wflight.rel")), read back: $out" \
		[ "${out% ms *}" = "ok 4096 sha256 $wsha" ]
else
	failed release_during_write "the write failed: $(cat "$work/wflight.out")"
fi

# ---------------------------------------------------------------- failed sidecar writes
# RELEASE whose new sidecar cannot be written: fails, the data stays served
hsm prefetch /z/scfail.bin >/dev/null 2>&1
echo "sidecar-write" >"$faults"
hsm release /z/scfail.bin >"$work/scfail.rel" 2>&1
rrc=$?
: >"$faults"
out=$(rd /z/scfail.bin 0 $((16 * CS)))
check release_sidecar_fails "release exit $rrc ($(cat "$work/scfail.rel")), read: $out" \
	[ "$rrc" != 0 -a "${out% ms *}" = "$(want scfail.bin 0 $((16 * CS)))" ]

# re-import (STUB) of a changed key whose sidecar cannot be written: the
# old data, the new data or EIO; never zeros
hsm prefetch /z/restub.bin >/dev/null 2>&1
head -c $((16 * CS)) /dev/urandom >"$work/restub.new"
s3c put "$work/restub.new" s3://zeros/restub.bin >/dev/null 2>&1
echo "sidecar-write" >"$faults"
hsm import s3://zeros /z >"$work/restub.imp" 2>&1
: >"$faults"
out=$(rd /z/restub.bin 0 $((16 * CS)))
got=${out% ms *}
echo "hsm_zeros: read after a failed re-import: $got"
check restub_sidecar_fails "read after a failed re-import: $out" \
	[ "$got" = "$(want restub.bin 0 $((16 * CS)))" -o \
	  "$got" = "ok $((16 * CS)) sha256 $(sha <"$work/restub.new")" -o \
	  "${got#error EIO}" != "$got" ]

# a write over a whole absent chunk whose data sync fails: EIO, the chunk
# stays absent and reads give the S3 bytes
echo "data-sync" >"$faults"
out=$(wr /z/dsync.bin 0 $CS 0x33)
p=$(present /z/dsync.bin)
: >"$faults"
check write_data_sync_fails "write: $out; $p bytes present" \
	grep -q "^error EIO" <<<"$out"
check write_data_sync_absent "$p bytes present after the failed write, not 0" [ "$p" = 0 ]
restart_ost || failed restart "the OST did not come back"
p=$(present /z/dsync.bin)
check write_data_sync_absent_on_disk "$p bytes present after a restart, not 0" [ "$p" = 0 ]
out=$(rd /z/dsync.bin 0 $CS)
check write_data_sync_read "read: $out" [ "${out% ms *}" = "$(want dsync.bin 0 $CS)" ]

# the same when the bitmap write fails
echo "sidecar-write" >"$faults"
out=$(wr /z/bmfail.bin 0 $CS 0x33)
p=$(present /z/bmfail.bin)
: >"$faults"
check write_bitmap_fails "write: $out; $p bytes present" grep -q "^error EIO" <<<"$out"
check write_bitmap_absent "$p bytes present after the failed write, not 0" [ "$p" = 0 ]
restart_ost || failed restart "the OST did not come back"
p=$(present /z/bmfail.bin)
check write_bitmap_absent_on_disk "$p bytes present after a restart, not 0" [ "$p" = 0 ]
out=$(rd /z/bmfail.bin 0 $CS)
check write_bitmap_read "read: $out" [ "${out% ms *}" = "$(want bmfail.bin 0 $CS)" ]

# ---------------------------------------------------------------- after a restart
# what the failed cases left on disk agrees with what they answered
restart_ost || failed restart "the OST did not come back"
out=$(rd /z/scfail.bin 0 $((16 * CS)))
check restart_release_sidecar_fails "read: $out" [ "${out% ms *}" = "$(want scfail.bin 0 $((16 * CS)))" ]
out=$(rd /z/runs.bin 0 $((130 * CS)))
check restart_many_runs "read: $out" [ "${out% ms *}" = "$(want runs.bin 0 $((130 * CS)))" ]

exit $fail
