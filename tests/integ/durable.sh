#!/bin/bash
# fsync and close against an OST that loses unstable data
# (build/bin/durable): an MDS, OST 0, and OST 1 whose every OBJ_SYNC fails
# (TESS_OST_FAULT_SYNC=5), on 127.0.0.1.  A daemon restart of OST 0
# (SIGKILL, start) loses nothing.  The "power cut" of OST 0 is a SIGKILL,
# the removal of the objects written since their last sync (listed by the
# program in WORK/lost) and a start with TESS_OST_FAULT_NEW_VERF=1: a new
# write verifier, as after a reboot.
#   usage: durable.sh WORKDIR PORT     (uses PORT, PORT+1 and PORT+2)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup durable "$1" "$2"
pids=()

start_ost() {	# start_ost INDEX [VAR=VALUE...]
	local i=$1; shift
	env "$@" "$bin/tessera-ost" --mds "$TESS_MDS" --index "$i" --dir "$work/ost$i" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1 + i))@tcp" \
		>>"$work/ost$i.log" 2>&1 &
	ost_pid[$i]=$!
	pids+=($!)
}
wait_up() {	# wait_up N: N OSTs UP
	for _ in $(seq 1 100); do
		[ "$("$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df 2>/dev/null |
		     grep -c UP)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 1 >>"$work/mds.log" 2>&1 &
pids+=($!)
start_ost 0
start_ost 1 TESS_OST_FAULT_SYNC=5
wait_up 2
up=$((! $?))
result $up durable.setup "the OSTs did not register in 10 s"
[ $up = 1 ] || { tail -n 5 "$work"/*.log; exit 1; }

"$bin/durable" ordered || fail=1
grep -q 'fault injection: TESS_OST_FAULT_SYNC' "$work/ost1.log"
result $((! $?)) durable.ost_logged_fault "no 'TESS_OST_FAULT_SYNC' line in the OST 1 log"

verf_of_ost0() {
	grep -o 'write verifier 0x[0-9a-f]*' "$work/ost0.log" | tail -n 1
}

# a daemon restart: the same write verifier, nothing lost
rm -f "$work/ready" "$work/go"
"$bin/durable" restart "$work" & du=$!
for _ in $(seq 1 300); do [ -e "$work/ready" ] && break; sleep 0.1; done
if [ -e "$work/ready" ]; then
	v1=$(verf_of_ost0)
	kill -KILL "${ost_pid[0]}"; wait "${ost_pid[0]}" 2>/dev/null
	start_ost 0
	wait_up 2
	touch "$work/go"
fi
wait $du || fail=1
v2=$(verf_of_ost0)
[ -n "${v1:-}" ] && [ "$v1" = "$v2" ]
result $((! $?)) durable.restart_keeps_verifier "before: '${v1:-}', after: '$v2'"

# a power cut: unsynced objects gone, a new write verifier
rm -f "$work/ready" "$work/go"
"$bin/durable" powercut "$work" & du=$!
for _ in $(seq 1 300); do [ -e "$work/ready" ] && break; sleep 0.1; done
if [ -e "$work/ready" ]; then
	kill -KILL "${ost_pid[0]}"; wait "${ost_pid[0]}" 2>/dev/null
	n=0
	while read -r oid; do
		f=$(printf '%s/ost0/O/%02x/%016x' "$work" $((0x$oid & 0xff)) $((0x$oid)))
		rm -f "$f" && n=$((n + 1))
	done <"$work/lost"
	result $((n == 2)) durable.powercut_model "removed $n objects, expected 2"
	start_ost 0 TESS_OST_FAULT_NEW_VERF=1
	wait_up 2
	touch "$work/go"
fi
wait $du || fail=1

if [ $fail != 0 ]; then
	echo "durable: logs in $work"
	tail -n 20 "$work/mds.log" "$work/ost0.log" "$work/ost1.log"
fi
exit $fail
