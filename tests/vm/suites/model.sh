# Model suite (issue #8): the model checkers of tests/model against the
# kernel client.  An MDS and 4 OSTs (each OST in its own network
# namespace), two kernel mounts (two clients) A and B, then
#  - fsx, four at once, fixed seeds, >= 50,000 operations in all:
#    buffered and O_DIRECT on 4 x 1 MiB stripes, mmap and all kinds mixed
#    on 4 x 64 KiB; every read checked against fsx's model;
#  - the fsx files read the same through mount B, and after remounting;
#  - nsstress: 4 processes, two on each mount, an exact model of each
#    one's subtree and invariants in a shared directory; the tree checked
#    through both mounts at the end, again after drop_caches, and after
#    umount/mount of both together with the MDS's own view (client library).
#
# Runs inside the VM: TESS_VM_TIMEOUT=1200 make check-vm SUITE=model (the
# fsx phase takes what the VM's time limit leaves it, at most 900 s; it
# ends sooner once its 52,000 operations are done).  With TESS_MODEL_SOAK=
# SECONDS set (tests/vm/suites/model-soak.sh, `make soak`) it loops over
# random seeds for that long after the fixed-seed checks instead.

. "$TESS_REPO/tests/vm/lib.sh"
TESS_TAG=vm-model

B=$TESS_REPO/build/bin
W=${TESS_W:-/tmp/tess}
A=/mnt/a
C=/mnt/b
SOAK=${TESS_MODEL_SOAK:-0}
# the mounts: attributes and names cached 1 s, so B sees A within 1 s
MOPTS=timeout=30,acregmin=1,acregmax=1,acdirmin=1,acdirmax=1
SUITE_T0=$(date +%s)

info() {
	echo "INFO: vm-model: $*"
}

# stage NAME: where the time goes (seconds since the suite started)
stage() {
	info "t=$(($(date +%s) - SUITE_T0)) s: $*"
}

bail() {
	fail "$1" "$2"
	tess_finish
}

for t in fsx nsstress; do
	[ -x "$B/$t" ] || bail "$t built" "no $B/$t: run make all (mk/model.mk) on the host first"
done
# the guest reads the host's tree live: a rebuild on the host while this
# runs would swap binaries under the daemons and the checkers (seen: a
# new nsstress against the old MDS).  Run copies, taken at the start.
mkdir -p $W/bin
for t in fsx nsstress tessera-mds tessera-ost tessctl; do
	cp "$B/$t" $W/bin/ || bail "copy $t" "cp failed"
done
B=$W/bin
TESS_BIN=$W/bin

# ---- cluster, two mounts, two layouts ----
tess_modules_load || bail "modules load" "modprobe failed"
# --nosync: fsync still reaches the MDS, LMDB just does not flush to the
# (tmpfs) disk; the runs are about the client, not the MDS's durability
if tess_cluster_start 4 --nosync; then
	pass "MDS and 4 OSTs up ($(($(date +%s) - SUITE_T0)) s after the start)"
else
	bail "MDS and 4 OSTs up" "not all OSTs UP"
fi
tess_mount $A "$MOPTS" 2>$W/mount.err || bail "mount A" "$(cat $W/mount.err)"
tess_mount $C "$MOPTS" 2>$W/mount.err || bail "mount B" "$(cat $W/mount.err)"
pass "two mounts (two clients)"

mkdir -p $A/s1m $A/s64k
# through the mounts (the ioctl), not the library that $TESS_MDS selects
if timeout -k 5 30 env -u TESS_MDS -u TESS_KEY "$B/tessctl" setstripe -c 4 -S 1M $A/s1m &&
   timeout -k 5 30 env -u TESS_MDS -u TESS_KEY "$B/tessctl" setstripe -c 4 -S 64K $A/s64k; then
	pass "layouts 4 x 1 MiB and 4 x 64 KiB"
else
	fail "layouts 4 x 1 MiB and 4 x 64 KiB" "tessctl setstripe failed"
fi

# ---- fsx ----
# fsx_start NAME DIR ARGS...: in the background, output in $W/fsx-NAME.log
FSX_JOBS=""
fsx_start() {
	_name=$1
	_dir=$2
	shift 2
	# -T: fsx itself stops in time and still counts and compares; the
	# timeout only catches a hang
	timeout -k 5 "$FSX_TIMEOUT" "$B/fsx" -P 2000 -T $((FSX_TIMEOUT - 40)) "$@" \
		"$_dir/fsx-$_name" >$W/fsx-$_name.log 2>&1 &
	eval "FSX_PID_$_name=$!"
	FSX_JOBS="$FSX_JOBS $_name"
}

# fsx_collect: one line per job started since the last fsx_collect
fsx_collect() {
	for _name in $FSX_JOBS; do
		eval "_pid=\$FSX_PID_$_name"
		tess_wait_pid $((FSX_TIMEOUT + 20)) "$_pid" >/dev/null
		_rc=$?
		_sum=$(grep '^fsx: .* 0 mismatches' $W/fsx-$_name.log | sed 's/^fsx: [^ ]* //')
		if [ $_rc = 0 ] && [ -n "$_sum" ]; then
			pass "fsx $_name: $_sum"
			FSX_OPS=$((FSX_OPS + $(echo "$_sum" | sed 's/.* ops=\([0-9]*\) .*/\1/')))
			grep ': op [0-9]* size\|seconds:' $W/fsx-$_name.log | tail -n 2 | sed 's/^/INFO: vm-model: /'
		else
			case $_rc in
			124|137) _why="still running after ${FSX_TIMEOUT}s; $(grep ': op [0-9]* size' $W/fsx-$_name.log | tail -n 1)" ;;
			*) _why="exit $_rc: $(grep -m 1 'MISMATCH\|ERROR' $W/fsx-$_name.log)" ;;
			esac
			fail "fsx $_name" "$_why"
			echo "--- fsx $_name: the report (replay with the line 'replay:') ---"
			tail -n 90 $W/fsx-$_name.log
		fi
	done
	FSX_JOBS=""
}

FSX_OPS=0
# fsx stops at its op count or at its time limit, whichever comes first:
# the limit is what the VM's time (tess_timeout, TESS_VM_TIMEOUT on the
# host) leaves after the rest of the suite (about 250 s), 60..900 s
if [ -z "${FSX_TIMEOUT:-}" ]; then
	FSX_TIMEOUT=$(( ${tess_timeout:-300} - 330 + 40 ))
	[ $FSX_TIMEOUT -ge 100 ] || FSX_TIMEOUT=100
	[ $FSX_TIMEOUT -le 940 ] || FSX_TIMEOUT=940
fi
t0=$(date +%s)
# four at once, one per mode, the modes over both layouts: 5 MiB files
# span every OST of the 1 MiB layout and wrap around, 1-2 MiB ones wrap
# the 64 KiB one many times; a full compare every 1000 operations and
# after each reopen.  (Eight at once did fewer in all: the guest's two
# CPUs are the limit.)
FSX_N=${FSX_N:-13000}
fsx_start buffered $A/s1m -S 101 -N $FSX_N -m buffered -l 5M -o 64K -c 1000
fsx_start mmap $A/s64k -S 102 -N $FSX_N -m mmap -l 1M -o 64K -c 1000
fsx_start direct $A/s1m -S 103 -N $FSX_N -m direct -l 5M -o 64K -c 1000
fsx_start all $A/s64k -S 104 -N $FSX_N -m all -l 2M -o 64K -c 1000
fsx_collect
t1=$(date +%s)
info "fsx: $FSX_OPS operations in $((t1 - t0)) s (4 processes at once)"
if [ "$FSX_OPS" -ge 50000 ] || [ "$SOAK" -gt 0 ]; then
	# (a soak holds this part short: its rounds are the volume)
	pass "fsx: $FSX_OPS operations, 0 mismatches"
else
	fail "fsx: at least 50000 operations without a mismatch" "$FSX_OPS operations in the time limit of $((FSX_TIMEOUT - 40)) s: this VM is too slow for 50000 (give it more: TESS_VM_TIMEOUT=1200)"
fi

stage "fsx files through mount B"
# the other client reads what fsx left (close-to-open), and after remount
same_on_b=1
FSX_FILES="s1m/fsx-buffered s64k/fsx-mmap s1m/fsx-direct s64k/fsx-all"
for f in $FSX_FILES; do
	[ -f $A/$f ] || continue
	sha_a=$(timeout -k 5 60 sha256sum < $A/$f)
	sha_b=$(timeout -k 5 60 sha256sum < $C/$f)
	eval "SHA_$(echo $f | tr '/-' '__')=\"\$sha_a\""
	if [ "$sha_a" != "$sha_b" ]; then
		same_on_b=0
		info "$f: A $(stat -c %s $A/$f) bytes, B $(stat -c %s $C/$f) bytes, contents differ"
	fi
done
[ $same_on_b = 1 ] && pass "fsx files read the same through mount B" ||
	fail "fsx files read the same through mount B" "see INFO lines"

stage "nsstress run"
# ---- nsstress on both mounts ----
NS_OPS=${NS_OPS:-1500}
mkdir -p $A/ns $W/ns
t0=$(date +%s)
if timeout -k 5 300 "$B/nsstress" run -p 4 -n $NS_OPS -S 201 -d $W/ns -w 2 \
	$A/ns $C/ns >$W/ns-run.log 2>&1; then
	pass "nsstress: 4 processes x $NS_OPS ops on 2 mounts, models and invariants hold, mounts agree ($(($(date +%s) - t0)) s)"
else
	fail "nsstress: 4 processes x $NS_OPS ops on 2 mounts" "$(grep -v '^nsstress: p[0-9]* via' $W/ns-run.log | grep -m 2 -i 'expected\|not\|differ\|fail\|twice\|nlink\|returned' | tr '\n' ' ' | cut -c1-300)"
	echo "--- nsstress run ---"
	tail -n 40 $W/ns-run.log
	for l in $W/ns/p*.log; do
		echo "--- $l: before the first result the model did not allow ---"
		grep -m 1 -B 25 'MISMATCH\|NOT ALLOWED' "$l"
		echo "--- $l: every result not allowed ---"
		grep 'MISMATCH\|NOT ALLOWED' "$l" | head -n 20
	done
fi
grep '^nsstress: p[0-9]* via' $W/ns-run.log | sed 's/^/INFO: vm-model: /'
# a name twice in one listing while others renamed: allowed, but shown
# with what all processes did just before (the logs merged in time order)
first=$(sort -n $W/ns/p*.log | grep -m 1 -n 'twice' | cut -d: -f1)
if [ -n "$first" ]; then
	info "readdir passes that listed a name twice (allowed during renames): $(cat $W/ns/p*.log | grep -c twice); the first, after what came before it:"
	sort -n $W/ns/p*.log | head -n "$first" | tail -n 25 | sed 's/^/INFO: vm-model:   /'
fi

grep '^nsstress: .* processes x' $W/ns-run.log | sed 's/^/INFO: vm-model: /'
stage "drop_caches, nsstress verify"
sync
echo 3 > /proc/sys/vm/drop_caches
sleep 2
if timeout -k 5 300 "$B/nsstress" verify -p 4 -d $W/ns $A/ns $C/ns >$W/ns-v1.log 2>&1; then
	pass "nsstress: tree after drop_caches: models, invariants, both mounts agree"
else
	fail "nsstress: tree after drop_caches" "$(grep -m 3 -v 'invariants hold\|identical' $W/ns-v1.log | tr '\n' ' ' | cut -c1-300)"
	tail -n 20 $W/ns-v1.log
fi

stage "umount, mount"
# ---- umount, mount: what is left is what the MDS and OSTs hold ----
if timeout -k 5 120 umount $A && timeout -k 5 120 umount $C &&
   tess_mount $A "$MOPTS" && tess_mount $C "$MOPTS"; then
	pass "umount and mount both"
else
	bail "umount and mount both" "failed"
fi
same=1
for f in $FSX_FILES; do
	eval "want=\${SHA_$(echo $f | tr '/-' '__'):-}"
	[ -n "$want" ] || continue
	[ "$(timeout -k 5 60 sha256sum < $A/$f)" = "$want" ] &&
		[ "$(timeout -k 5 60 sha256sum < $C/$f)" = "$want" ] || same=0
done
[ $same = 1 ] && pass "fsx files unchanged after umount/mount (both mounts)" ||
	fail "fsx files unchanged after umount/mount" "sha256 differs"
stage "nsstress verify with the MDS"
if timeout -k 5 300 "$B/nsstress" verify -p 4 -d $W/ns -m "$TESS_MDS_ADDR" -k "$TESS_KEY" -M /ns \
	$A/ns $C/ns >$W/ns-v2.log 2>&1; then
	pass "nsstress: tree after remount: models, invariants, both mounts and the MDS agree"
else
	fail "nsstress: tree after remount (and the MDS's view)" "$(grep -m 3 -v 'invariants hold\|identical' $W/ns-v2.log | tr '\n' ' ' | cut -c1-300)"
	tail -n 20 $W/ns-v2.log
fi
grep 'nsstress: verify' $W/ns-v2.log | sed 's/^/INFO: vm-model: /'
info "fixed-seed part: $(($(date +%s) - SUITE_T0)) s in the guest"

# ---- soak: random seeds until the time is up (make soak) ----
if [ "$SOAK" -gt 0 ]; then
	end=$(( $(date +%s) + SOAK ))
	round=0
	# the rounds run even if the fixed part failed; they stop at their own
	# first failure
	failed_before=$TESS_FAILED
	TESS_FAILED=0
	modes="buffered mmap direct all"
	while [ "$(date +%s)" -lt $end ] && [ "$TESS_FAILED" = 0 ]; do
		round=$((round + 1))
		seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		echo "SEED: vm-model-soak: round $round seed $seed"
		FSX_TIMEOUT=300
		for m in $modes; do
			case $((round % 2)) in 0) d=$A/s1m ;; *) d=$A/s64k ;; esac
			fsx_start "soak${round}_$m" $d -S $seed -N 5000 -m $m -l 3M -o 256K
		done
		fsx_collect
		mkdir -p $A/soak$round $W/soak$round
		if timeout -k 5 300 "$B/nsstress" run -p 4 -n 1000 -S $seed -d $W/soak$round -w 2 \
			$A/soak$round $C/soak$round >$W/soak$round.log 2>&1; then
			pass "soak round $round: nsstress seed $seed"
		else
			fail "soak round $round: nsstress seed $seed" "$(grep -v 'via' $W/soak$round.log | tail -n 3 | tr '\n' ' ' | cut -c1-300)"
			tail -n 40 $W/soak$round.log
		fi
		rm -rf $A/soak$round $A/s1m/fsx-soak* $A/s64k/fsx-soak*
	done
	info "soak: $round rounds in $SOAK s"
	[ "$failed_before" = 0 ] || TESS_FAILED=1
fi

tess_finish
