#!/bin/bash
# Load limits of the MDS (build/bin/mdsload), on MDSs and OSTs of their own:
#  - 300 clients at once doing stat + readdir get no error (the MDS holds
#    every read transaction 2 ms, as a busy many-core server would, so
#    that hundreds of LMDB reader slots are in use at once);
#  - --max-clients: the client past the limit gets EBUSY, the others go on;
#  - a full LMDB map (--map-size 1M): ENOSPC, one log line naming
#    --map-size, and after kill -9 and a restart with a larger map every
#    directory made before is there;
#  - an OST killed for good, or hung, is listed DOWN within 2 ping
#    intervals (--ping-interval 1) and new files get no stripe on it;
#    back, it is UP.
#   usage: mdsload.sh WORKDIR PORT     (uses PORT .. PORT+5)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup mdsload "$1" "$2"
declare -A pids

# start_mds NAME PORT ARGS...
start_mds() {
	local name=$1 p=$2
	shift 2
	"$bin/tessera-mds" --dir "$work/$name" --key "$TESS_KEY" \
		--listen "127.0.0.1:$p@tcp" --stripe-count 1 --lease 3 "$@" \
		>>"$work/$name.log" 2>&1 &
	pids[$name]=$!
	disown	# no "Killed" notices: stop() waits with tail --pid
}

start_ost() {	# start_ost INDEX
	"$bin/tessera-ost" --mds "127.0.0.1:$port@tcp" --index "$1" \
		--dir "$work/ost$1" --key "$TESS_KEY" \
		--listen "127.0.0.1:$((port + 1 + $1))@tcp" >>"$work/ost$1.log" 2>&1 &
	pids[ost$1]=$!
	disown
}

mds_answers() {
	timeout -k 2 10 "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df >/dev/null 2>&1
}

two_up() {
	timeout -k 2 10 "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df 2>/dev/null |
		grep -c ' UP' | grep -qx 2
}

# ---- options: garbage is refused with a clear line ----
for bad in "--map-size 12Q" "--map-size -1" "--map-size 100" "--max-clients 0" \
	   "--max-clients lots" "--ping-interval 0"; do
	opt=${bad%% *}
	out=$("$bin/tessera-mds" --dir "$work/bad" --key "$TESS_KEY" $bad 2>&1 </dev/null)
	rc=$?
	case $out in
	"tessera-mds: $opt: "*) ok=$((rc != 0)) ;;
	*) ok=0 ;;
	esac
	result $ok "mdsload.option_refused[$bad]" "exit $rc, said: $out"
done

# ---- 300 clients, OST liveness: an MDS with 2 OSTs, pinged each second ----
export TESS_MDS="127.0.0.1:$port@tcp"
start_mds mds "$port" --ping-interval 1 --fault-read-delay 2
start_ost 0
start_ost 1
if ! wait_until 20 two_up; then
	result 0 mdsload.setup "2 OSTs did not register in 20 s"
	tail -n 5 "$work"/*.log
	exit 1
fi
"$bin/mdsload" load 300 5 /load || fail=1
n=$(grep -c 'readers full\|MDB_READERS_FULL' "$work/mds.log")
result $((n == 0)) mdsload.no_reader_slot_errors_logged "$n log lines"

# kill -9 of OST 1, for good: DOWN within 2 ping intervals (2 s)
"$bin/mdsload" ostdown 1 "${pids[ost1]}" 2000 || fail=1
unset "pids[ost1]"
grep -q 'OST 1 .*marked down' "$work/mds.log"
result $((! $?)) mdsload.ost_down_logged "no 'OST 1 ... marked down' line in the MDS log"
# back: UP again within 2 intervals of its registration (and a start)
start_ost 1
"$bin/mdsload" ostup 1 4000 || fail=1
# hung (SIGSTOP: the connection stays, no answers): not heard from for 2
# intervals, DOWN (plus 0.5 s for the polling of the check and a loaded
# machine: measured 1.7 s); SIGCONT: UP
"$bin/mdsload" ostdown 0 "${pids[ost0]}" 2500 STOP || fail=1
kill -CONT "${pids[ost0]}"
"$bin/mdsload" ostup 0 4000 || fail=1
stop mds TERM
stop ost0 TERM
stop ost1 TERM

# ---- --max-clients and a full map: an MDS of its own, no OST needed ----
export TESS_MDS="127.0.0.1:$((port + 5))@tcp"
start_mds small "$((port + 5))" --map-size 1M --max-clients 4
wait_until 10 mds_answers || result 0 mdsload.small_setup "the MDS did not answer in 10 s"
"$bin/mdsload" limit 4 || fail=1
grep -q 'refused: .* --max-clients' "$work/small.log"
result $((! $?)) mdsload.limit_logged "no line naming --max-clients in the MDS log"
"$bin/mdsload" fill /fill 200000 "$work/count" || fail=1
n=$(grep -c 'map .* is full.*--map-size' "$work/small.log")
result $((n == 1)) mdsload.map_full_logged_once "$n lines naming --map-size, expected 1"
# committed is committed: kill -9, restart with a larger map
stop small KILL
start_mds small "$((port + 5))" --map-size 64M
wait_until 10 mds_answers || result 0 mdsload.small_restart "the MDS did not answer in 10 s"
"$bin/mdsload" filled /fill "$work/count" || fail=1
stop small TERM

exit $fail
