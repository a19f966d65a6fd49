#!/bin/bash
# The OST's bounded HSM cache (issue #13): restored data is released, least
# recently read first, when the store passes --cache-high, down to
# --cache-low, and when a restore finds the store full; a reader never
# gets ENOSPC for it, nor a writer whose write the release makes room
# for.  Pinned files (hsm pin) and written (dirty) files are never
# released.
#
#   bash tests/integ/hsm_cache.sh WORKDIR S3PORT PORT
#
# Runs an MDS (127.0.0.1:PORT) and two OSTs (PORT+1, PORT+2), each with
# a store on a tmpfs of its own (root: mount -t tmpfs), so that they fill
# for real.  Restores from the s3rver at S3PORT; when none answers there,
# starts one (tests/s3).  A data set twice the OSTs' free space (8 MiB
# files striped over both OSTs in 1 MiB units) is read end to end twice,
# every file's sha256 checked.  Each check prints "PASS: integ: hsm_cache.NAME" or
# "FAIL: integ: hsm_cache.NAME: why".
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
work=${1:?work dir}/hsm_cache
s3port=${2:?s3 port}
port=${3:?port}
store_mb=${HSM_CACHE_STORE_MB:-32}	# per OST
endpoint=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_ENDPOINT_URL=$endpoint
export TESS_MDS="127.0.0.1:$port@tcp" TESS_KEY=$work/key
fail=0
s3pid= mdspid= ost0= ost1= mounted=
FMB=8					# MiB per file

not() { ! "$@"; }
hsm() { timeout -k 2 120 "$bin/hsm" "$@"; }
tctl() { timeout -k 2 60 "$bin/tessctl" "$@"; }
rd() { timeout -k 2 120 "$bin/hsm_read" "$@"; }
wr() { timeout -k 2 60 "$bin/hsm_write" "$@"; }

. "$top/tests/integ/lib.sh"	# wait_until, and (integ_checks) stop by PIDVAR
integ_checks hsm_cache

cleanup() {
	stop ost0
	stop ost1
	stop mdspid
	stop s3pid
	for m in $mounted; do umount "$m" 2>/dev/null || umount -l "$m"; done
	if [ "$fail" = 0 ] && [ -z "${HSM_CACHE_KEEP:-}" ]; then rm -rf "$work"; else echo "hsm_cache: logs kept in $work"; fi
}
trap cleanup EXIT

rm -rf "$work"
mkdir -p "$work/src" "$work/ost0" "$work/ost1"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TESS_KEY"
chmod 600 "$TESS_KEY"

s3_up() { curl -s -o /dev/null "$endpoint/"; }
ost_up() { [ "$(tctl df 2>/dev/null | grep -c UP)" = 2 ]; }

# ---------------------------------------------------------------- setup
for i in 0 1; do
	if ! mount -t tmpfs -o "size=${store_mb}m" tessera-hsm-cache "$work/ost$i"; then
		failed setup "cannot mount a tmpfs of $store_mb MiB on $work/ost$i (root needed)"
		exit 1
	fi
	mounted="$mounted $work/ost$i"
done
if ! s3_up; then
	node --openssl-legacy-provider "$top/tests/s3/server.js" "$work/s3data" "$s3port" \
		>>"$work/s3rver.log" 2>&1 &
	s3pid=$!
	wait_until 10 s3_up || { failed setup "s3rver did not start on $endpoint"; exit 1; }
fi
integ_s3cfg "$s3port"

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 2 --lease 5 >>"$work/mds.log" 2>&1 &
mdspid=$!
start_ost() {	# INDEX OST-options...: started in the background
	local i=$1
	shift
	"$bin/tessera-ost" --mds "$TESS_MDS" --index "$i" --dir "$work/ost$i" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1 + i))@tcp" \
		--s3-endpoint "$endpoint" --s3-timeout 10 "$@" >>"$work/ost$i.log" 2>&1 &
	eval "ost$i=$!"
}
start_osts() {	# OST options...: both, registered
	start_ost 0 "$@"
	start_ost 1 "$@"
	wait_until 20 ost_up
}
full_count() { cat "$work"/ost[01].log | grep -c 'store full: released'; }
start_osts --cache-high 80 --cache-low 60 ||
	{ failed setup "the OST did not register in 20 s: $(tail -n 3 "$work"/*.log)"; exit 1; }

# twice the OSTs' free space, in files of FMB MiB
free=0
for i in 0 1; do
	free=$((free + $(df -B1 --output=avail "$work/ost$i" | tail -n 1 | tr -d ' ')))
done
nfiles=$(((2 * free + (FMB << 20) - 1) / (FMB << 20)))
for i in $(seq -w 1 "$nfiles"); do
	head -c $((FMB << 20)) /dev/urandom >"$work/src/f$i.bin"
done
head -c $((FMB << 20)) /dev/urandom >"$work/src/pinned.bin"
head -c $((FMB << 20)) /dev/urandom >"$work/src/dirty.bin"
total=$(du -cb "$work/src" | tail -n 1 | cut -f1)
echo "hsm_cache: 2 OSTs of ${store_mb} MiB, $((free >> 20)) MiB free; data set $nfiles x $FMB MiB + pinned + dirty = $((total >> 20)) MiB"
if ! { s3c mb s3://cache && s3c put --recursive "$work/src/" s3://cache/; } >"$work/put.log" 2>&1; then
	failed setup "s3cmd upload failed: $(tail -n 3 "$work/put.log")"
	exit 1
fi
tctl mkdir /c >/dev/null && tctl setstripe -c 2 -S 1M /c >/dev/null ||
	{ failed setup "mkdir/setstripe /c"; exit 1; }
if ! hsm import s3://cache /c >"$work/import.out" 2>&1; then
	failed setup "import: $(cat "$work/import.out")"
	exit 1
fi

sha() { sha256sum | cut -c1-64; }
present() {	# PATH: bytes present, as hsm state says
	hsm state "$1" | sed -n 's/^  present: \([0-9]*\) of .*/\1/p'
}
evictions() {	# objects the OSTs released to make room
	hsm counters | sed -n 's/^total evicted: \([0-9]*\) objects.*/\1/p'
}
readall() {	# FILE: "ok" when /c/FILE reads as the source did
	local out
	out=$(rd "/c/$1" 0 $((FMB << 20)) 2>&1)
	case $out in
	"ok $((FMB << 20)) sha256 $(sha <"$work/src/$1") "*) return 0 ;;
	esac
	echo "$1: $out" >>"$work/read_errors"
	return 1
}

# ------------------------------------------------------------ pin
# pin: the pinned file, read once, keeps every byte present
out=$(hsm pin /c/pinned.bin 2>&1)
rc=$?
check pin "hsm pin: $out" [ "$rc" = 0 ]
check pin_state "hsm state shows no pin: $(hsm state /c/pinned.bin)" \
	grep -q '^  pinned:' <<<"$(hsm state /c/pinned.bin)"
check pin_missing "hsm pin of a missing file did not fail" not hsm pin /c/nonexistent
check pinned_read "first read of the pinned file" readall pinned.bin
# dirty: written data is not in S3; it must never be released
head -c 65536 /dev/zero | tr '\0' 'Z' | dd of="$work/src/dirty.bin" bs=65536 \
	seek=3 conv=notrunc status=none
check dirty_write "write into dirty.bin" grep -q '^ok' <<<"$(wr /c/dirty.bin $((3 * 65536)) 65536 90)"

# ------------------------------------------------------------ two passes
t0=$(date +%s.%N)
for pass_no in 1 2; do
	: >"$work/read_errors"
	bad=0
	for i in $(seq -w 1 "$nfiles"); do
		readall "f$i.bin" || bad=$((bad + 1))
	done
	readall dirty.bin || bad=$((bad + 1))
	check "pass$pass_no" "$bad of $((nfiles + 1)) files read wrong: $(head -n 3 "$work/read_errors")" \
		[ "$bad" = 0 ]
	check "pass${pass_no}_no_enospc" "a reader got ENOSPC: $(grep -m1 ENOSPC "$work/read_errors")" \
		not grep -q ENOSPC "$work/read_errors"
done
dt=$(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5)
ev=$(evictions)
echo "hsm_cache: 2 passes over $(( (nfiles + 1) * FMB )) MiB in $dt s; $ev evictions; $(hsm counters | tail -n 1)"
check evicted "no eviction counted (hsm counters: $(hsm counters | tail -n 1))" [ "${ev:-0}" -gt 0 ]
st=$(hsm status /c)
check status_evictions "hsm status shows no evictions: $st" grep -q "evicted: [1-9]" <<<"$st"
for i in 0 1; do
	used=$(df -B1 --output=used "$work/ost$i" | tail -n 1 | tr -d ' ')
	check "below_full_ost$i" "store of OST $i full after the passes: $used bytes used" \
		[ "$used" -lt $((store_mb << 20)) ]
done

# the pinned file was never released: every byte present, still right
p=$(present /c/pinned.bin)
check pinned_present "pinned file has $p of $((FMB << 20)) bytes present" [ "$p" = $((FMB << 20)) ]
check pinned_reads "pinned file reads wrong" readall pinned.bin
# the written file kept its data (it is not the S3 copy any more)
check dirty_kept "dirty file lost its written data" readall dirty.bin
# least recently read first: the last file of pass 2 stays, the first went
last=$(seq -w 1 "$nfiles" | tail -n 1)
p_last=$(present "/c/f$last.bin") p_first=$(present /c/f01.bin)
check lru_order "after pass 2, f$last.bin (read last) has $p_last and f01.bin (read first) $p_first of $((FMB << 20)) bytes present" \
	[ "$p_last" = $((FMB << 20)) -a "$p_first" -lt $((FMB << 20)) ]
# an explicit release of a pinned file is refused too
out=$(hsm release /c/pinned.bin 2>&1)
check release_pinned "hsm release of a pinned file: $out" grep -q 'pinned (hsm unpin it first)' <<<"$out"
check release_pinned_kept "hsm release took data of a pinned file" [ "$(present /c/pinned.bin)" = $((FMB << 20)) ]

# unpin: the file may go now; reading the others releases it
check unpin "hsm unpin" hsm unpin /c/pinned.bin
check unpin_state "hsm state still shows a pin" not grep -q '^  pinned:' <<<"$(hsm state /c/pinned.bin)"
for i in $(seq -w 1 "$nfiles"); do readall "f$i.bin" >/dev/null; done
p=$(present /c/pinned.bin)
check unpinned_released "unpinned, least recently read file still has $p bytes present" \
	[ "$p" -lt $((FMB << 20)) ]
# no watermark: only restores that find the store full release data;
# after a restart (what was read when: the sidecars' mtimes), with the
# pin back on, which the restart keeps
check repin "hsm pin" hsm pin /c/pinned.bin
stop ost0
stop ost1
if start_osts --cache-high 0; then pass restart; else failed restart "the OSTs did not come back: $(tail -n 3 "$work"/ost[01].log)"; fi
check pin_kept "the pin did not survive the restart" grep -q '^  pinned:' <<<"$(hsm state /c/pinned.bin)"
nfull0=$(full_count)
: >"$work/read_errors"
bad=0
for i in $(seq -w 1 "$nfiles"); do
	readall "f$i.bin" || bad=$((bad + 1))
done
readall dirty.bin || bad=$((bad + 1))
readall pinned.bin || bad=$((bad + 1))
check full_store_reads "$bad of $((nfiles + 2)) files read wrong with --cache-high 0: $(head -n 3 "$work/read_errors")" \
	[ "$bad" = 0 ]
check full_store_no_enospc "a reader got ENOSPC: $(grep -m1 ENOSPC "$work/read_errors")" \
	not grep -q ENOSPC "$work/read_errors"
nfull=$(full_count)
check full_store_released "no release by a restore that found the store full" [ "$nfull" -gt "$nfull0" ]
p=$(present /c/pinned.bin)
check full_store_pinned "pinned file has $p of $((FMB << 20)) bytes present" [ "$p" = $((FMB << 20)) ]

# ------------------------------------------------------------ a user's write
# A store full of clean restored data (--cache-high 0: no background
# release): a user's write that needs more than the free space gets no
# ENOSPC; the OST releases LRU restored data for it (never the pinned or
# the written file) and writes again.  The released files read again
# (restored from S3).
for i in $(seq -w 1 "$nfiles"); do readall "f$i.bin" >/dev/null; done
wmb=16					# MiB: 8 on each OST (-c 2 -S 1M)
head -c $((wmb << 20)) /dev/urandom >"$work/new.bin"
nw0=$(cat "$work"/ost[01].log | grep -c 'for a write of')
a0=$(df -B1 --output=avail "$work/ost0" | tail -n 1 | tr -d ' ')
a1=$(df -B1 --output=avail "$work/ost1" | tail -n 1 | tr -d ' ')
check write_store_full "the stores are not full before the write: $a0 and $a1 bytes free" \
	[ "$a0" -lt $((wmb << 19)) -a "$a1" -lt $((wmb << 19)) ]
out=$(tctl put -c 2 -S 1M "$work/new.bin" /new.bin 2>&1)
check write_full_store "a write of $wmb MiB into full stores: $out" [ $? = 0 ]
nw=$(cat "$work"/ost[01].log | grep -c 'for a write of')
check write_released "no release for the write (OST logs)" [ "$nw" -gt "$nw0" ]
got=$(tctl get /new.bin - 2>/dev/null | sha)
check write_reads "the written file reads back wrong" [ "$got" = "$(sha <"$work/new.bin")" ]
: >"$work/read_errors"
bad=0
for i in $(seq -w 1 "$nfiles"); do
	readall "f$i.bin" || bad=$((bad + 1))
done
readall dirty.bin || bad=$((bad + 1))
check write_then_reads "$bad of $((nfiles + 1)) files read wrong after the write: $(head -n 3 "$work/read_errors")" \
	[ "$bad" = 0 ]
p=$(present /c/pinned.bin)
check write_pinned "pinned file has $p of $((FMB << 20)) bytes present after the write" [ "$p" = $((FMB << 20)) ]
check write_pinned_reads "pinned file reads wrong after the write" readall pinned.bin

# explicit pin of a tree reaches every file of it
check pin_tree "hsm pin /c" hsm pin /c
check pin_tree_state "f1 not pinned after hsm pin /c" grep -q '^  pinned:' <<<"$(hsm state "/c/f$(seq -w 1 "$nfiles" | head -n1).bin")"

# a pinned tree: files a later import adds under it are pinned too (hsm
# pin DIR marks the directory); elsewhere, and after hsm unpin, not
pinned_q() { grep -q '^  pinned:' <<<"$(hsm state "$1")"; }
head -c 65536 /dev/urandom >"$work/late.bin"
if ! { s3c put "$work/late.bin" s3://cache/late.bin &&
	s3c put "$work/late.bin" s3://cache/sub/late2.bin; } >>"$work/put.log" 2>&1; then
	failed setup "s3cmd upload of late.bin failed: $(tail -n 3 "$work/put.log")"
fi
out=$(hsm import s3://cache /c 2>&1)
check pin_import "hsm import into the pinned /c: $out" [ $? = 0 ]
check pin_import_new "a file imported into the pinned /c is not pinned: $(hsm state /c/late.bin)" pinned_q /c/late.bin
check pin_import_subdir "a file imported into a new dir under the pinned /c is not pinned" pinned_q /c/sub/late2.bin
check pin_import_reads "the pinned late import reads wrong" \
	[ "$(rd /c/late.bin 0 65536 2>&1 | cut -d' ' -f4)" = "$(sha <"$work/late.bin")" ]
out=$(hsm import s3://cache/sub/ /d 2>&1)
check pin_import_other "hsm import into /d: $out" [ $? = 0 ]
check pin_import_elsewhere "a file imported into the unpinned /d is pinned" not pinned_q /d/late2.bin
check unpin_tree "hsm unpin /c" hsm unpin /c
s3c put "$work/late.bin" s3://cache/late3.bin >>"$work/put.log" 2>&1
hsm import s3://cache /c >>"$work/import.out" 2>&1
check unpin_tree_import "a file imported into /c after hsm unpin /c is pinned" not pinned_q /c/late3.bin

exit $fail
