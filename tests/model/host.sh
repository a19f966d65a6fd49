#!/bin/bash
# tests/model/host.sh - the model checkers on this host's own file systems
# (no Tessera): fsx and nsstress must find nothing wrong on /tmp and
# /dev/shm, and must fail when a fault is injected into them.  One line
# per check, "PASS: model-host: NAME" or "FAIL: model-host: NAME: REASON".
#
#   FSX_OPS (default 20000 per run)  NS_OPS (default 3000 per process)
set -u
cd "$(dirname "$0")/../.."
BIN=$(pwd)/build/bin
FSX_OPS=${FSX_OPS:-20000}
NS_OPS=${NS_OPS:-3000}
W=$(mktemp -d /tmp/tess-model.XXXXXX)
S=$(mktemp -d /dev/shm/tess-model.XXXXXX 2>/dev/null || mktemp -d /tmp/tess-model-shm.XXXXXX)
failed=0
MNTS=()

pass() { echo "PASS: model-host: $1"; }
fail() { echo "FAIL: model-host: $1: $2"; failed=1; }

cleanup() {
	local m
	for m in "${MNTS[@]}"; do
		umount "$m" 2>/dev/null
	done
	rm -rf "$W" "$S"
}
trap cleanup EXIT

for t in fsx nsstress; do
	[ -x "$BIN/$t" ] || { fail "$t built" "no $BIN/$t (make model)"; exit 1; }
done

# fsx NAME ARGS...: must pass
fsx_ok() {
	local name=$1 out
	shift
	if out=$(timeout -k 5 300 "$BIN/fsx" -q "$@" 2>&1); then
		pass "fsx $name: $(echo "$out" | grep -m 1 ' 0 mismatches' | sed 's/^fsx: [^ ]* //')"
	else
		fail "fsx $name" "$(echo "$out" | grep -m 1 'MISMATCH\|ERROR')"
		echo "$out" | tail -n 60
	fi
}

# fsx_bad NAME ARGS...: an injected fault; must exit 1 with a report
fsx_bad() {
	local name=$1 out rc
	shift
	out=$(timeout -k 5 300 "$BIN/fsx" -q "$@" 2>&1)
	rc=$?
	if [ $rc = 1 ] && echo "$out" | grep -q 'MISMATCH' &&
	   echo "$out" | grep -q 'replay:'; then
		pass "fsx self-test $name is caught: $(echo "$out" | grep -m 1 'MISMATCH' | cut -c1-160)"
	else
		fail "fsx self-test $name is caught" "exit $rc: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
}

DROP=-D
[ "$(id -u)" = 0 ] && DROP=
for fs in "$S" "$W"; do
	fstype=$(stat -f -c %T "$fs")
	n=$FSX_OPS
	# a disk file system: fsync and msync are slow, a quarter of the ops
	[ "$fstype" = tmpfs ] || n=$((FSX_OPS / 4))
	for m in buffered mmap direct all; do
		fsx_ok "$m on $fstype" -D -S 11 -N "$n" -m $m -l 2M -o 128K "$fs/fsx-$m"
	done
	fsx_ok "all, 4 KiB max op, on $fstype" -D -S 12 -N "$n" -l 256K -o 4K "$fs/fsx-small"
done
# drop_caches (root only): few ops, the host's caches are everyone's
fsx_ok "all with drop_caches on $(stat -f -c %T "$W")" $DROP -S 13 -N 2000 "$W/fsx-drop"
fsx_bad "(a byte of the model corrupted after op 100)" -D -S 1 -N 5000 -F 100 "$S/fsx-inj1"
fsx_bad "(a byte of the file corrupted after op 777)" -D -S 1 -N 5000 -B 777 "$S/fsx-inj2"

# nsstress: two views of one directory (bind mounts when root)
ns_run() {	# NAME DIR ARGS...: must pass (bad=1: must fail)
	local name=$1 d=$2 bad=$3 out rc roots
	shift 3
	mkdir -p "$d/tree" "$d/logs"
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$d/a" "$d/b"
		mount --bind "$d/tree" "$d/a" && MNTS+=("$d/a")
		mount --bind "$d/tree" "$d/b" && MNTS+=("$d/b")
		roots="$d/a $d/b"
	else
		roots="$d/tree $d/tree/."
	fi
	# shellcheck disable=SC2086
	out=$(timeout -k 5 300 "$BIN/nsstress" run -d "$d/logs" "$@" $roots 2>&1)
	rc=$?
	if [ "$bad" = 0 ] && [ $rc = 0 ]; then
		pass "nsstress $name: $(echo "$out" | grep -c 'invariants hold') views ok, $(echo "$out" | grep -c identical) pairs identical"
	elif [ "$bad" = 1 ] && [ $rc = 1 ] && echo "$out" | grep -q 'the model expected\|the tree does not'; then
		pass "nsstress self-test $name is caught: $(echo "$out" | grep -m 1 'the model expected\|the tree does not' | cut -c1-160)"
	else
		fail "nsstress $name" "exit $rc: $(echo "$out" | grep -v '^nsstress: p[0-9]* via' | tail -n 3 | tr '\n' ' ')"
	fi
}

for fs in "$W" "$S"; do
	ns_run "6 processes x $NS_OPS ops on $(stat -f -c %T "$fs")" "$fs/ns" 0 -p 6 -n "$NS_OPS" -S 21
done
ns_run "(a file removed behind the model's back)" "$S/nsbad" 1 -p 2 -n 2000 -S 3 -F 1000

exit $failed
