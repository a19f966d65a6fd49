#!/bin/bash
# tessctl stats --servers (issue #11): the MDS's and each OST's request
# counters over STATS requests.  An MDS and 2 OSTs: every server answers
# (table and --json, which parses), a put and a get move the requests of
# the MDS and of each OST and the OSTs' bulk bytes; a STATS request with a
# body (8 bytes, the request has none) is refused EBADMSG and logged, and
# both daemons go on answering; a killed OST is a row with its error while
# the MDS and the other OST still print, and the exit status is 1.
#   usage: srvstats.sh WORKDIR PORT   (uses PORT .. PORT+2)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup srvstats "$1" "$2"
declare -A pids

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	>>"$work/mds.log" 2>&1 &
pids[mds]=$!
for i in 0 1; do
	"$bin/tessera-ost" --mds "$TESS_MDS" --index $i --dir "$work/ost$i" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1 + i))@tcp" \
		>>"$work/ost$i.log" 2>&1 &
	pids[ost$i]=$!
done
two_up() {
	timeout -k 2 10 "$bin/tessctl" df 2>/dev/null | grep -c ' UP$' | grep -qx 2
}
wait_until 20 two_up
ok=$((! $?))
result $ok srvstats.setup "2 OSTs did not register in 20 s"
[ $ok = 1 ] || { tail -n 5 "$work"/*.log; exit 1; }

tctl() { timeout -k 2 30 "$bin/tessctl" "$@"; }

# stats FILE: --servers --json into FILE; its exit status
stats() { tctl stats --servers --json >"$1" 2>"$1.err"; }

# field FILE SERVER KEY: a number of one server's object, "" if none
field() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["servers"]:
    if s["name"] == sys.argv[2]:
        v = s
        for k in sys.argv[3].split("."):
            v = v[k]
        print(json.dumps(v))
' "$@" 2>/dev/null
}

stats "$work/before.json"
result $((! $?)) srvstats.all_answer_exit_0 "exit $? ($(cat "$work/before.json.err"))"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [s["name"] for s in d["servers"]] == ["MDS","OST0000","OST0001"] and all(s["ok"] for s in d["servers"])' "$work/before.json" 2>/dev/null
result $((! $?)) srvstats.json_parses "not 3 servers MDS, OST0000, OST0001 all ok: $(head -c 300 "$work/before.json")"
# the MDS counts the OSTs' connections (role ost)
[ "$(field "$work/before.json" MDS connections_open.ost)" = 2 ]
result $((! $?)) srvstats.mds_sees_2_ost_connections "connections_open.ost is $(field "$work/before.json" MDS connections_open.ost)"

# I/O: a 3 MiB file over both OSTs (1 MiB stripes), and read back
head -c 3145728 /dev/urandom >"$work/data"
tctl put -c 2 -S 1M "$work/data" /f >/dev/null &&
	tctl get /f "$work/back" >/dev/null && cmp -s "$work/data" "$work/back"
result $((! $?)) srvstats.io "put/get of a striped file failed"

stats "$work/after.json"
result $((! $?)) srvstats.after_io_exit_0 "exit $?"
for s in MDS OST0000 OST0001; do
	b=$(field "$work/before.json" $s requests)
	a=$(field "$work/after.json" $s requests)
	[ -n "$b" ] && [ -n "$a" ] && [ "$a" -gt "$b" ]
	result $((! $?)) "srvstats.$s.requests_increase" "requests $b before the I/O, $a after"
done
for s in OST0000 OST0001; do
	for k in bulk_in_bytes bulk_out_bytes ops.obj_write.count ops.obj_read.count; do
		b=$(field "$work/before.json" $s $k)
		a=$(field "$work/after.json" $s $k)
		[ -n "$a" ] && [ "$a" -gt "${b:-0}" ]
		result $((! $?)) "srvstats.$s.$k.increases" "$k ${b:-none} before the I/O, ${a:-none} after"
	done
done
b=$(field "$work/before.json" MDS ops.create.count)
a=$(field "$work/after.json" MDS ops.create.count)
[ -n "$a" ] && [ "$a" -gt "${b:-0}" ]
result $((! $?)) srvstats.MDS.create_counted "create ${b:-none} before, ${a:-none} after"

# the table: a header and one row per server, numbers in REQUESTS
tctl stats --servers >"$work/table" 2>"$work/table.err"
rc=$?
[ $rc = 0 ] && [ "$(wc -l <"$work/table")" = 4 ] &&
	awk 'NR > 1 && $1 ~ /^(MDS|OST000[01])$/ && $4 ~ /^[0-9]+$/ { n++ } END { exit n != 3 }' "$work/table"
result $((! $?)) srvstats.table "exit $rc: $(cat "$work/table" "$work/table.err")"

# a malformed STATS request (a body where none belongs): refused, logged,
# the daemon answers the next one on the same connection and stays up
run_bad() {
	timeout -k 2 30 "$bin/srvstats" bad "$1" ||
		result 0 "srvstats.bad_$1" "build/bin/srvstats bad $1 failed (exit $?)"
}
run_bad mds
run_bad 0
grep -q 'refused stats .*malformed' "$work/mds.log" &&
	grep -q 'refused stats .*malformed' "$work/ost0.log"
result $((! $?)) srvstats.bad_request_logged "no 'refused stats' line in the MDS's and OST0's logs"
kill -0 "${pids[mds]}" 2>/dev/null && kill -0 "${pids[ost0]}" 2>/dev/null
result $((! $?)) srvstats.daemons_up_after_bad_request "a daemon exited"

# an OST down: its row is an error, the others print, exit 1
stop ost1 KILL
tctl stats --servers >"$work/down.table" 2>"$work/down.err"
rc=$?
result $(( rc == 1 )) srvstats.down.exit_1 "exit $rc"
grep -q '^tessctl: stats: OST0001: ' "$work/down.err"
result $((! $?)) srvstats.down.stderr "stderr: $(cat "$work/down.err")"
grep -q '^OST0001 .*ERROR: ' "$work/down.table" &&
	awk '$1 ~ /^(MDS|OST0000)$/ && $4 ~ /^[0-9]+$/ { n++ } END { exit n != 2 }' "$work/down.table"
result $((! $?)) srvstats.down.rows "$(cat "$work/down.table")"
stats "$work/down.json"
rc=$?
python3 -c 'import json,sys; d={s["name"]: s for s in json.load(open(sys.argv[1]))["servers"]}; assert d["MDS"]["ok"] and d["OST0000"]["ok"] and not d["OST0001"]["ok"] and d["OST0001"]["error"]' "$work/down.json" 2>/dev/null
result $(( ! $? && rc == 1 )) srvstats.down.json "exit $rc: $(head -c 400 "$work/down.json")"

# usage errors: exit 2
TESS_KEY= tctl stats --servers >/dev/null 2>"$work/nokey.err"
rc=$?
[ $rc = 2 ] && grep -q 'key' "$work/nokey.err"
result $((! $?)) srvstats.no_key_exit_2 "exit $rc: $(cat "$work/nokey.err")"

exit $fail
