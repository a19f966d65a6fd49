#!/bin/bash
# Bytes an object holds past its file's size never read back as data where
# zeros belong (build/bin/trim): an MDS with a 2 s lease and two OSTs that
# lose every shrinking truncate not made stable before its reply
# (TESS_OST_FAULT_LOSE_PUNCH=1, what a power cut does to it), on 127.0.0.1.
#   usage: trim.sh WORKDIR PORT     (uses PORT, PORT+1 and PORT+2)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup trim "$1" "$2"
pids=()

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--lease 2 >>"$work/mds.log" 2>&1 &
pids+=($!)
for i in 0 1; do
	TESS_OST_FAULT_LOSE_PUNCH=1 "$bin/tessera-ost" --mds "$TESS_MDS" --index $i \
		--dir "$work/ost$i" --key "$TESS_KEY" \
		--listen "127.0.0.1:$((port + 1 + i))@tcp" >>"$work/ost$i.log" 2>&1 &
	pids+=($!)
done
up() {
	[ "$("$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df 2>/dev/null |
	     grep -c UP)" -ge 2 ]
}
wait_until 10 up
ok=$((! $?))
result $ok trim.setup "the OSTs did not register in 10 s"
[ $ok = 1 ] || { tail -n 5 "$work"/*.log; exit 1; }

"$bin/trim" lostpunch || fail=1
grep -q 'fault injection: TESS_OST_FAULT_LOSE_PUNCH' "$work/ost0.log"
result $((! $?)) trim.ost_logged_fault "no 'TESS_OST_FAULT_LOSE_PUNCH' line in the OST 0 log"
"$bin/trim" deadwriter "$work" || fail=1

if [ $fail != 0 ]; then
	echo "trim: logs in $work"
	tail -n 20 "$work/mds.log" "$work/ost0.log" "$work/ost1.log"
fi
exit $fail
