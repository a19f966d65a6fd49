#!/bin/bash
# tessctl stats --servers (issue #11): the MDS's and each OST's request
# counters over STATS requests.  An MDS and 2 OSTs: every server answers
# (table and --json, which parses), a put and a get move the requests of
# the MDS and of each OST and the OSTs' bulk bytes; the library's
# tess_open(O_CREAT) of 50 new names costs 50 CREATEs and no OPEN
# (build/bin/libcreate; CREATE then OPEN when its connection did not agree
# TESS_FEAT_CREATE_OPEN); a STATS request with a body (8 bytes, the
# request has none) is refused EBADMSG and logged, and both daemons go on
# answering; a killed OST is a row with its error while the MDS and the
# other OST still print, and the exit status is 1.
# With -i 2 -n 3: the totals, then 3 reports of the change per second,
# the first of them moved by a put done meanwhile, --json one document a
# line; an OST killed between reports is an ERROR row (exit 1 when it is
# still down in the last report) and, restarted, a row of its totals
# marked restarted, never a negative number.
#   usage: srvstats.sh WORKDIR PORT   (uses PORT .. PORT+2)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup srvstats "$1" "$2"
declare -A pids

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	>>"$work/mds.log" 2>&1 &
pids[mds]=$!
start_ost() {
	"$bin/tessera-ost" --mds "$TESS_MDS" --index $1 --dir "$work/ost$1" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1 + $1))@tcp" \
		>>"$work/ost$1.log" 2>&1 &
	pids[ost$1]=$!
}
start_ost 0
start_ost 1
two_up() {
	timeout -k 2 10 "$bin/tessctl" df 2>/dev/null | grep -c ' UP$' | grep -qx 2
}
wait_until 20 two_up
ok=$((! $?))
result $ok srvstats.setup "2 OSTs did not register in 20 s"
[ $ok = 1 ] || { tail -n 5 "$work"/*.log; exit 1; }

tctl() { timeout -k 2 30 "$bin/tessctl" "$@"; }
# the interpreter itself, not a shim that takes seconds to start it (the
# script parses JSON some 25 times, under run.sh's bound of 120 s)
py=$(python3 -c 'import sys; print(sys.executable)') || py=python3

# stats FILE: --servers --json into FILE; its exit status
stats() { tctl stats --servers --json >"$1" 2>"$1.err"; }

# field FILE SERVER KEY: a number of one server's object, "" if none
field() {
	"$py" -c '
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
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [s["name"] for s in d["servers"]] == ["MDS","OST0000","OST0001"] and all(s["ok"] for s in d["servers"])' "$work/before.json" 2>/dev/null
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

# tess_open(O_CREAT) of new names (issue #11): one CREATE each and no
# OPEN against this MDS (TESS_CREATE_OPEN), one CLOSE each; and CREATE then
# OPEN as the library does with an MDS without TESS_FEAT_CREATE_OPEN
# (build/bin/libcreate old clears the feature from its connection)
timeout -k 2 60 "$bin/libcreate" new 50 /lc || fail=1
timeout -k 2 60 "$bin/libcreate" old 20 /lc || fail=1

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

# lines FILE N: FILE has N lines or more
lines() { [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]; }

# -i 2 -n 3: 4 reports (the totals, then 3 intervals, as tessctl stats
# -i does for mounts); a put while the first interval runs moves its
# OSTs' requests and bulk bytes in; the last report is idle.  2 s, not
# 1: a put on a busy machine took more than 1 s
tctl stats --servers -i 2 -n 3 >"$work/iv.table" 2>"$work/iv.err" &
ivpid=$!
wait_until 10 lines "$work/iv.table" 4
tctl put -c 2 -S 1M "$work/data" /iv >/dev/null
result $((! $?)) srvstats.interval.io "put during the interval failed"
wait $ivpid
rc=$?
# report R (1 = the totals), server S: column C
awk -v rc=$rc '
/^SERVER / { r++; next }
/^servers: per second over / { per[r + 1] = 1; next }
/^$/ { next }
{ n[r]++; v[r, $1, "req"] = $4; v[r, $1, "in"] = $7 }
/-[0-9]/ { neg = 1 }
END {
	if (rc != 0) { print "exit " rc; exit 1 }
	if (r != 4) { print r " reports, not 4"; exit 1 }
	for (i = 1; i <= 4; i++)
		if (n[i] != 3 || (i > 1) != (i in per)) { print "report " i " malformed"; exit 1 }
	if (neg) { print "a negative number"; exit 1 }
	for (s = 0; s < 2; s++) {
		o = sprintf("OST%04d", s)
		if (!(v[2, o, "req"] >= 1 && v[2, o, "in"] > 0)) { print o " in the 2nd report: requests " v[2, o, "req"] ", bulk in " v[2, o, "in"]; exit 1 }
		if (v[4, o, "in"] != 0) { print o " in the 4th report: bulk in " v[4, o, "in"]; exit 1 }
	}
	if (!(v[2, "MDS", "req"] > 0)) { print "MDS in the 2nd report: requests " v[2, "MDS", "req"]; exit 1 }
}' "$work/iv.table" >"$work/iv.why"
result $((! $?)) srvstats.interval.table "$(cat "$work/iv.why") ($(cat "$work/iv.table" "$work/iv.err"))"

# --json -i 1 -n 2: 3 documents, a line each; the later ones per second
tctl stats --servers --json -i 1 -n 2 >"$work/iv.json" 2>"$work/iv.json.err"
rc=$?
"$py" -c '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert len(docs) == 3, len(docs)
assert "per_second" not in docs[0]
for d in docs[1:]:
    assert d["per_second"] is True and d["interval"] > 0.5, d
    assert [s["name"] for s in d["servers"]] == ["MDS", "OST0000", "OST0001"]
    for s in d["servers"]:
        assert s["ok"] and s["per_second"] and not s["restarted"], s
        assert s["requests"] > 0 and s["bulk_in_bytes"] >= 0 and s["uptime_ms"] > 0, s
' "$work/iv.json" 2>"$work/iv.json.why"
result $(( ! $? && rc == 0 )) srvstats.interval.json "exit $rc: $(tail -n 1 "$work/iv.json.why") $(head -c 600 "$work/iv.json")"

# an OST killed after the first report: an ERROR row in each later one,
# a line on stderr, exit 1 (it is down in the last report)
tctl stats --servers -i 1 -n 2 >"$work/ivdown.table" 2>"$work/ivdown.err" &
ivpid=$!
wait_until 10 lines "$work/ivdown.table" 4
stop ost1 KILL
wait $ivpid
rc=$?
[ $rc = 1 ] && [ "$(grep -c '^OST0001 .*ERROR: ' "$work/ivdown.table")" = 2 ] &&
	[ "$(grep -c '^OST0000 ' "$work/ivdown.table")" = 3 ] &&
	grep -q '^tessctl: stats: OST0001: ' "$work/ivdown.err"
result $((! $?)) srvstats.interval.ost_killed "exit $rc: $(cat "$work/ivdown.table" "$work/ivdown.err")"

# restarted between reports: its row has its totals, marked restarted,
# then per second again; no negative number; exit 0 (all up at the end).
# OST0000, up since the start: its uptime goes down.  Then OST0001, just
# started again: its uptime grows, its start moved.
start_ost 1
all_answer() { tctl stats --servers >/dev/null 2>&1; }
wait_until 20 all_answer
result $((! $?)) srvstats.interval.ost1_back "OST0001 did not answer again in 20 s"
restarted() {	# restarted IDX
	tctl stats --servers --json -i 2 -n 3 >"$work/ivre$1.json" 2>"$work/ivre$1.err" &
	ivpid=$!
	wait_until 10 lines "$work/ivre$1.json" 1
	stop ost$1 KILL
	wait_until 10 lines "$work/ivre$1.json" 2
	start_ost $1
	wait $ivpid
	rc=$?
	"$py" -c '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert len(docs) == 4, len(docs)
o = [{s["name"]: s for s in d["servers"]}[sys.argv[2]] for d in docs]
assert o[0]["ok"] and not o[1]["ok"] and o[1]["error"], o[:2]
assert o[2]["ok"] and o[2]["restarted"] and not o[2]["per_second"], o[2]
if sys.argv[2] == "OST0000":
    assert o[2]["uptime_ms"] < o[0]["uptime_ms"], (o[0]["uptime_ms"], o[2]["uptime_ms"])
assert o[3]["ok"] and o[3]["per_second"] and not o[3]["restarted"], o[3]
def walk(v):
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        assert v >= 0, v
for d in docs: walk(d)
' "$work/ivre$1.json" OST000$1 2>"$work/ivre$1.why"
	result $(( ! $? && rc == 0 )) srvstats.interval.ost$1_restarted "exit $rc: $(tail -n 1 "$work/ivre$1.why") $(cat "$work/ivre$1.err")"
	wait_until 20 all_answer
	result $((! $?)) srvstats.interval.ost$1_answers "OST000$1 did not answer again in 20 s"
}
restarted 0
restarted 1

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
"$py" -c 'import json,sys; d={s["name"]: s for s in json.load(open(sys.argv[1]))["servers"]}; assert d["MDS"]["ok"] and d["OST0000"]["ok"] and not d["OST0001"]["ok"] and d["OST0001"]["error"]' "$work/down.json" 2>/dev/null
result $(( ! $? && rc == 1 )) srvstats.down.json "exit $rc: $(head -c 400 "$work/down.json")"

# usage errors: exit 2
tctl stats --servers -n 2 >/dev/null 2>"$work/noi.err"
rc=$?
[ $rc = 2 ] && grep -q '^tessctl: stats: -n needs -i' "$work/noi.err"
result $((! $?)) srvstats.n_without_i_exit_2 "exit $rc: $(cat "$work/noi.err")"
TESS_KEY= tctl stats --servers >/dev/null 2>"$work/nokey.err"
rc=$?
[ $rc = 2 ] && grep -q 'key' "$work/nokey.err"
result $((! $?)) srvstats.no_key_exit_2 "exit $rc: $(cat "$work/nokey.err")"

exit $fail
