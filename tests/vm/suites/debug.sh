# Debug-kernel wrapper, not a suite of its own: runs the suite named by
# $TESS_INNER (tests/vm/run's TESS_VM_INNER, set by `scripts/debug-kernel.sh
# check SUITE`) on the debug kernel, then unloads the Tessera modules,
# asks kmemleak for a scan and fails on any leak it reports since the
# suite started, and on any KASAN, KFENCE, lockdep, atomic-sleep,
# list-corruption, refcount, RCU or hung-task report in the kernel log
# (from boot on).  Each report is printed in full, lines prefixed
# "KREPORT: ".  The kernel log of the boot is saved and cleared before
# the suite starts, so the suite's own log checks cover only its run.

. "$TESS_REPO/tests/vm/lib.sh"

inner=${TESS_INNER:-}
if [ -z "$inner" ] || [ "$inner" = debug ] || [ ! -f "$TESS_REPO/tests/vm/suites/$inner.sh" ]; then
	fail "debug: setup" "no suite to run: TESS_INNER='$inner' (tests/vm/run's TESS_VM_INNER)"
	exit 1
fi
KL=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
if [ -w $KL ]; then
	# leaks suspected before the suite (boot) are not the suite's:
	# one scan, then mark everything found so far as reported
	echo scan > $KL
	echo clear > $KL
else
	fail "debug: kmemleak" "$KL missing: not a debug kernel ($(uname -r))?"
fi

# the boot's kernel log is checked below, with the suite's; cleared here
# so the suite's own log checks see only its run (a debug kernel's boot
# says "kmemleak: Kernel memory leak detector initialized", for one)
dmesg > /tmp/debug-dmesg-boot.txt
dmesg -C

# every allocation checked and every lock tracked: a create costs about
# 5x its stock time here, so the namespace suite's big directory is
# 3,000 entries (three READDIR batches) rather than 10,000, and the data
# suite's big file 256 MiB rather than 1 GiB
export TESS_NS_BIG=3000 TESS_DATA_BIG_MIB=256
echo "debug: running suite $inner on $(uname -r)"
t0=$(date +%s)
sh "$TESS_REPO/tests/vm/suites/$inner.sh"
rc=$?
echo "debug: suite $inner exited $rc after $(( $(date +%s) - t0 ))s"

# whatever the suite left loaded, so kmemleak sees what unloading frees
for m in tessera tessera_lnet_tcp tessera_lnet_rdma tessera_lnet; do
	if module_loaded $m; then
		check "debug: rmmod $m (left loaded by $inner)" rmmod $m
	fi
done

# kmemleak reports objects older than 5 s that no scan found a pointer to
if [ -w $KL ]; then
	sleep 6
	echo scan > $KL
	echo scan > $KL
	leaks=$(cat $KL)
	if [ -z "$leaks" ]; then
		pass "debug: kmemleak: no leak after $inner"
	else
		n=$(echo "$leaks" | grep -c '^unreferenced object')
		fail "debug: kmemleak: no leak after $inner" "$n unreferenced objects: $(echo "$leaks" | grep -m 1 -A 12 '^unreferenced object' | grep -E '^\s+\[<' | sed 's/.*\] //' | tr '\n' ' ' | cut -c1-240)"
		echo "$leaks" | head -n 400 | sed 's/^/KREPORT: /'
	fi
fi

# one FAIL per report title; the report itself from its first line on
pat='BUG: |WARNING: |general protection fault|Oops|kernel BUG|INFO: task .* blocked for more than|list_(add|del) corruption|refcount_t: |rcu: INFO: |UBSAN:|Kernel panic'
{ cat /tmp/debug-dmesg-boot.txt; dmesg; } > /tmp/debug-dmesg.txt
titles=$(grep -E "$pat" /tmp/debug-dmesg.txt | sed 's/^\[[ 0-9.]*\] //' | sort | uniq -c | sort -rn || true)
if [ -z "$titles" ]; then
	pass "debug: no KASAN/KFENCE/lockdep/list/refcount/hung-task report in dmesg"
else
	echo "$titles" | while read -r count title; do
		fail "debug: kernel report" "$title (x$count)"
	done
	TESS_FAILED=1
	grep -nE "$pat" /tmp/debug-dmesg.txt | head -n 10 | cut -d: -f1 | while read -r ln; do
		echo "KREPORT: ---- dmesg from line $ln ----"
		tail -n +"$ln" /tmp/debug-dmesg.txt | head -n 80 | sed 's/^/KREPORT: /'
	done
fi

[ "$rc" = 0 ] && [ "$TESS_FAILED" = 0 ]
