#!/bin/bash
# tests/check.sh [TIER...] - run test tiers, count their PASS:/FAIL: lines,
# end with "N passed, N failed".  Exit non-zero if anything failed.
#
# Tiers: build unit fuzz integ kunit vm debug dkms (default: all, in that
# order).
# Each tier's full output is kept in build/check/TIER.log.  Every tier is
# bounded (TIER_TIMEOUT below, seconds; a VM suite by its own
# TESS_VM_TIMEOUT); a tier that runs out fails with a line saying so.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
logdir=$top/build/check
mkdir -p "$logdir"

# bound CMD...: CMD with the tier's time limit (SIGKILL 30 s after SIGTERM)
bound() { timeout -k 30 "${TIER_TIMEOUT[$tier]}" "$@"; }
declare -A TIER_TIMEOUT=([build]=1800 [unit]=600 [fuzz]=600 [integ]=1800
	[kunit]=3600 [debug]=3600 [dkms]=1800)

tier_build() { bound make -j2 all; }
tier_unit()  { bound bash tests/unit/run.sh; }
tier_fuzz()  { bound bash tests/fuzz/run.sh; }
tier_integ() { bound bash tests/integ/run.sh; }
# KUnit on UML, then checkpatch on the kernel sources (same source tree)
tier_kunit() {
	local rc=0
	bound make check-kunit || rc=$?
	bash tests/lint/checkpatch.sh || [ $rc != 0 ] || rc=1
	return $rc
}
# VM suites in make check; others run with make check-vm SUITE=NAME
VM_SUITES=${VM_SUITES:-smoke rpc namespace data cluster recovery model hsm}
tier_vm() {
	local s rc=0
	for s in $VM_SUITES; do
		# data writes a 1 GiB file onto OSTs kept in the guest's RAM,
		# hsm keeps a bucket and OSTs of 0.5 GiB each there
		mem=2G
		case $s in data|hsm) mem=4G ;; esac
		TESS_VM_MEM=${TESS_VM_MEM:-$mem} TESS_VM_TIMEOUT=${TESS_VM_TIMEOUT:-1500} \
			make --no-print-directory check-vm SUITE="$s" || rc=1
	done
	return $rc
}
# The debug kernel (KASAN, lockdep, atomic-sleep, kmemleak, KFENCE; built
# once into /var/cache/tessera, scripts/debug-kernel.sh), then these suites
# on it: a kernel report or a leak fails them.  Namespace and data take
# 4x their stock time there (24 min for namespace): make check-debug
# SUITE=namespace runs them by hand.
DEBUG_SUITES=${DEBUG_SUITES:-smoke cluster}
tier_debug() {
	local s rc=0
	for s in $DEBUG_SUITES; do
		bound make --no-print-directory check-debug SUITE="$s" || rc=1
	done
	return $rc
}
tier_dkms()  { bound make check-dkms; }

tiers=("$@")
[ ${#tiers[@]} -eq 0 ] && tiers=(build unit fuzz integ kunit vm debug dkms)

pass=0
fail=0
for t in "${tiers[@]}"; do
	tier=$t
	log=$logdir/$t.log
	start=$(date +%s)
	echo "== $t"
	if ! declare -F "tier_$t" >/dev/null; then
		echo "FAIL: check: no tier named '$t'"
		fail=$((fail + 1))
		continue
	fi
	"tier_$t" >"$log" 2>&1
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "FAIL: $t: still running after ${TIER_TIMEOUT[$t]} s, stopped" | tee -a "$log"
	fi
	grep -E '^(PASS|FAIL): ' "$log"
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	# the build counts as one test; a tier that fails without saying
	# which case failed is a failure of its own
	if [ "$t" = build ]; then
		if [ $rc -eq 0 ]; then p=1; echo "PASS: build: make all"; else f=1; echo "FAIL: build: make all"; fi
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $t: exited with status $rc without naming a failed case"
		f=1
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $t: ran no test"
		f=1
	fi
	if [ $rc -ne 0 ]; then
		echo "-- last lines of $log:"
		grep -vE '^(PASS|FAIL): ' "$log" | tail -n 25 | sed 's/^/   /'
	fi
	echo "-- $t: $p passed, $f failed in $(( $(date +%s) - start )) s"
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
