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
	[kunit]=3600 [debug]=3600 [dkms]=3600)

tier_build() { bound make -j2 all; }
tier_unit()  { bound bash tests/unit/run.sh; }
tier_fuzz()  { bound bash tests/fuzz/run.sh; }
tier_integ() { bound bash tests/integ/run.sh; }
# KUnit on UML, then checkpatch on the kernel sources (same source tree)
tier_kunit() {
	local rc=0
	# the UML build started at the beginning (below) is awaited; what
	# it did not finish (or failed at) the run below builds and reports
	if [ -n "${kunit_build_pid:-}" ]; then
		wait "$kunit_build_pid"
		echo "kunit: background build ended (exit $?) $(( $(date +%s) - kunit_build_t0 )) s after it started"
	fi
	bound make check-kunit || rc=$?
	bash tests/lint/checkpatch.sh || [ $rc != 0 ] || rc=1
	return $rc
}
# VM runs go two at a time (TESS_VM_LANES), each guest on one vCPU (below):
# parts of suites wait on timeouts and restarts, and a guest of one vCPU
# keeps at most one core busy.  Each run's output is printed whole, in the order queued
# (longest first), from build/check/TIER.d/NAME.out (tests/lanes.sh).
. "$top/tests/lanes.sh"
VM_LANES=${TESS_VM_LANES:-2}
# side by side, each guest gets one vCPU (TESS_VM_SMP): two guests of two
# vCPUs each on 2 cores spin on locks whose holder the host descheduled
# (rdma and model side by side took 1.8x and 2.3x their time alone);
# smoke alone takes 116 s of CPU on one vCPU against 146 s on two
export TESS_VM_SMP=${TESS_VM_SMP:-$([ "$VM_LANES" -gt 1 ] && echo 1 || echo 2)}

# vm_prepare KVER [KERNEL]: what runs side by side share, built once
# first: tests/vm/run's initramfs for KVER and its helpers
vm_prepare() {
	TESS_VM_PREPARE=1 KVER=$1 TESS_VM_KERNEL=${2:-/boot/vmlinuz-$1} \
		bash tests/vm/run smoke
}

# vm_job KVER MODDIR SUITE [ENV=VALUE...]: one VM run of SUITE
vm_job() {
	local kv=$1 moddir=$2 s=$3
	shift 3
	env "$@" KVER="$kv" TESS_MODDIR="$moddir" \
		TESS_VM_MEM="${TESS_VM_MEM:-$(vm_mem "$s")}" \
		TESS_VM_TIMEOUT="${TESS_VM_TIMEOUT:-1500}" bash tests/vm/run "$s"
}

# VM suites on Debian's kernel in make check; others run with make
# check-vm SUITE=NAME.  Namespace, data and cluster run on the debug
# kernel instead (tier debug): the same suites, with every report of
# KASAN, lockdep or kmemleak failing them.  Longest first (minutes on
# this machine, one at a time: hsm 9, rdma 9, model 8, powerfail 7,
# recovery 5, smoke 2.5, rpc, sec and stats about 1 each).
VM_SUITES=${VM_SUITES:-hsm rdma model powerfail recovery smoke rpc sec stats}
tier_vm() {
	local s kv
	kv=$(make --no-print-directory kernel-info | sed -n 's/^KVER=//p')
	make --no-print-directory modules || return 1
	vm_prepare "$kv" || return 1
	lanes_reset
	for s in $VM_SUITES; do
		lanes_add "$s" vm_job "$kv" "$top/build/kmod/$kv/modules" "$s"
	done
	lanes_run "$VM_LANES" "$logdir/vm.d"
}
# data writes a 1 GiB file (512 MiB on the debug kernel) onto OSTs kept in
# the guest's RAM, hsm keeps a bucket and OSTs of 0.5 GiB each there
vm_mem() {
	case $1 in
	data|hsm|rdma) echo 4G ;;
	*) echo 2G ;;
	esac
}
# The debug kernel (KASAN, lockdep, atomic-sleep, kmemleak, KFENCE; built
# once into /var/cache/tessera, scripts/debug-kernel.sh), then these suites
# on it: a kernel report or a leak fails them.  They take 2-5x their stock
# time there; tests/vm/suites/debug.sh makes namespace's big directory and
# data's big file smaller to fit (see README, "How long each tier takes").
DEBUG_SUITES=${DEBUG_SUITES:-data namespace cluster}
tier_debug() {
	local s d
	# a cold kernel build started at the beginning (below) is awaited
	if [ -n "${debug_kernel_pid:-}" ]; then
		echo "debug: waiting for the debug kernel build (pid $debug_kernel_pid, started $(( $(date +%s) - debug_kernel_t0 )) s ago)"
		if ! wait "$debug_kernel_pid"; then
			echo "FAIL: debug: kernel build (scripts/debug-kernel.sh build): see $logdir/debug-kernel.log"
			tail -n 20 "$logdir/debug-kernel.log"
			return 1
		fi
		echo "debug: kernel built in the background in $(( $(date +%s) - debug_kernel_t0 )) s: $(tail -n 1 "$logdir/debug-kernel.log")"
	fi
	# the initramfs for it, once, before the runs (each check builds
	# the modules against it, one at a time: scripts/debug-kernel.sh)
	d=$(bash scripts/debug-kernel.sh path) || return 1
	vm_prepare "$(cat "$d/kver")" "$d/vmlinuz" || return 1
	lanes_reset
	for s in $DEBUG_SUITES; do
		lanes_add "$s" env TESS_VM_MEM="${TESS_VM_MEM:-$(vm_mem "$s")}" \
			timeout -k 30 "${TIER_TIMEOUT[debug]}" \
			bash scripts/debug-kernel.sh check "$s"
	done
	lanes_run "$VM_LANES" "$logdir/debug.d"
}
# dkms build and install of dkms.conf for both Debian kernels
# (tests/dkms/run), the Debian packages (make deb into a temporary
# directory, lintian, their contents: tests/install/deb.sh, ~30 s), the
# packages installed with dpkg -i into a clean overlay of the root, DKMS
# building for both kernels (tests/install/deb-root.sh, ~25 s); then in
# the VM, on each Debian kernel, that installed system (suite deb: the
# demo from the installed paths, an fstab mount, dpkg --purge; 2 min
# each), and on 6.12 the smoke, namespace and data suites from the
# modules DKMS built (6.1 runs them in tiers vm and debug)
tier_dkms() {
	local rc=0 kv s
	bound make check-dkms || rc=$?
	bound bash tests/install/deb.sh || rc=1
	bound bash tests/install/deb-root.sh || rc=1
	lanes_reset
	for kv in $(debian_kernels); do
		vm_prepare "$kv" || rc=1
		[ "$(kseries "$kv")" = 6.12 ] || continue
		for s in data namespace; do
			lanes_add "$s-6.12" vm_job "$kv" \
				"$top/build/dkms/root/lib/modules/$kv/updates/dkms" "$s" \
				TESS_VM_LABEL=6.12
		done
	done
	for kv in $(debian_kernels); do
		lanes_add "deb-$(kseries "$kv")" env TESS_VM_LAYER=build/deb/root \
			TESS_VM_LABEL="$(kseries "$kv")" KVER="$kv" TESS_VM_TIMEOUT=900 \
			bash tests/vm/run deb
	done
	for kv in $(debian_kernels); do
		[ "$(kseries "$kv")" = 6.12 ] || continue
		lanes_add "smoke-6.12" vm_job "$kv" \
			"$top/build/dkms/root/lib/modules/$kv/updates/dkms" smoke \
			TESS_VM_LABEL=6.12
	done
	lanes_run "$VM_LANES" "$logdir/dkms.d" || rc=1
	return $rc
}
# Debian's kernels here: a /boot image and a linux-headers package
debian_kernels() {
	local b kv
	for b in /lib/modules/*/build; do
		case $(readlink -f "$b") in /usr/src/linux-headers-*) ;; *) continue ;; esac
		kv=${b%/build}
		kv=${kv##*/}
		[ -r "/boot/vmlinuz-$kv" ] && echo "$kv"
	done | sort -V
}
# kseries 6.12.117+deb12-amd64 -> 6.12
kseries() { echo "$1" | cut -d. -f1,2; }

tiers=("$@")
[ ${#tiers[@]} -eq 0 ] && tiers=(build unit fuzz integ kunit vm debug dkms)

# A debug kernel not built yet (a new machine: about 19 min of one core)
# is built at nice 19 alongside the other tiers, which leave a core idle
# most of the time (a TCG guest runs on one); tier_debug waits for it.
debug_kernel_pid=
for t in "${tiers[@]}"; do
	[ "$t" = debug ] || continue
	if ! bash scripts/debug-kernel.sh path >/dev/null 2>&1; then
		debug_kernel_t0=$(date +%s)
		timeout -k 30 "${TIER_TIMEOUT[debug]}" bash scripts/debug-kernel.sh build \
			>"$logdir/debug-kernel.log" 2>&1 &
		debug_kernel_pid=$!
		echo "== debug kernel: not cached, building in the background (pid $debug_kernel_pid, log build/check/debug-kernel.log)"
	fi
done

# KUnit's UML kernel (a fresh clone: extract linux-source, then about
# 5 min of both cores) is likewise built at nice 19 from the start, on
# what fuzz and integ leave idle; tier_kunit waits for it, then runs.
kunit_build_pid=
for t in "${tiers[@]}"; do
	[ "$t" = kunit ] && [ "${tiers[0]}" != kunit ] || continue
	kunit_build_t0=$(date +%s)
	nice -n 19 timeout -k 30 "${TIER_TIMEOUT[kunit]}" \
		bash tests/kunit/run --build-only >"$logdir/kunit-build.log" 2>&1 &
	kunit_build_pid=$!
	echo "== kunit: building UML in the background (pid $kunit_build_pid, log build/check/kunit-build.log)"
done

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
