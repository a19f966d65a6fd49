#!/bin/bash
# --metrics-listen (issue #14): an MDS and an OST each serve GET /metrics in
# the Prometheus text format.  Both endpoints parse (every sample line
# "name{labels} number", HELP and TYPE before each family's samples); a
# put and a get through tessctl move the request counters and the bulk
# bytes (before < after); a wrong key counts a failed handshake; another
# path is 404; garbage, an oversized request and a silent connection get
# their answers and neither daemon dies; connections past the per-address
# limit before authentication are counted; a bad --metrics-listen is refused;
# both daemons exit 0 on SIGTERM and the MDS's gauge shows the OST down.
#   usage: metrics.sh WORKDIR PORT   (uses PORT .. PORT+5)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup metrics "$1" "$2"
declare -A pids
mport=$((port + 2))	# the MDS's metrics
oport=$((port + 3))	# the OST's

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--metrics-listen "127.0.0.1:$mport" >>"$work/mds.log" 2>&1 &
pids[mds]=$!
"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" \
	--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1))@tcp" \
	--metrics-listen "127.0.0.1:$oport" >>"$work/ost0.log" 2>&1 &
pids[ost]=$!
up() {
	"$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df 2>/dev/null | grep -q UP
}
wait_until 10 up
ok=$((! $?))
result $ok metrics.setup "the OST did not register in 10 s"
[ $ok = 1 ] || { tail -n 5 "$work"/*.log; exit 1; }

scrape() {	# scrape PORT FILE: 0 if 200
	local code
	code=$(curl -s --max-time 10 -o "$2" -w '%{http_code}' \
		"http://127.0.0.1:$1/metrics")
	[ "$code" = 200 ]
}

# checkfmt FILE: nothing on stdout if well formed, else the bad lines
checkfmt() {
	awk '
	function fam(n,   b) {
		if (n in type) return n
		b = n
		if (sub(/_(bucket|sum|count)$/, "", b) && type[b] == "histogram")
			return b
		return ""
	}
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / {
		if ($4 !~ /^(counter|gauge|histogram)$/) print "bad type: " $0
		type[$3] = $4; next
	}
	/^#/ { next }
	{
		if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? (NaN|[+-]Inf|[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)$/) {
			print "bad line: " $0; next
		}
		n = $0; sub(/[{ ].*/, "", n)
		f = fam(n)
		if (f == "" || !(f in help)) print "no HELP/TYPE before: " $0
		samples++
	}
	END { if (samples < 5) print "only " samples + 0 " samples" }
	' "$1"
}

# value FILE SERIES: the number of the sample line "SERIES number" (0 if none)
value() {
	awk -v k="$2" 'index($0, k " ") == 1 { v = $NF } END { print v + 0 }' "$1"
}

for d in mds:$mport ost:$oport; do
	n=${d%%:*}
	scrape "${d#*:}" "$work/$n.before"
	result $((! $?)) "metrics.$n.scrape" "GET /metrics did not answer 200"
	bad=$(checkfmt "$work/$n.before")
	[ -z "$bad" ]
	result $((! $?)) "metrics.$n.format" "$(echo "$bad" | head -n 3)"
done

# the checker must be able to fail
printf '# HELP x h\n# TYPE x gauge\nx{a=1} 1\ny 2\n' >"$work/bad.prom"
bad=$(checkfmt "$work/bad.prom")
[ -n "$bad" ]
result $((! $?)) metrics.checker_fails "a malformed exposition passed the checker"

# MDS gauges: the one OST up, none down
[ "$(value "$work/mds.before" 'tessera_mds_osts{state="up"}')" = 1 ] &&
	[ "$(value "$work/mds.before" 'tessera_mds_osts{state="down"}')" = 0 ]
result $((! $?)) metrics.mds.osts_up "tessera_mds_osts: $(grep '^tessera_mds_osts' "$work/mds.before" | tr '\n' ' ')"
grep -q '^tessera_ost_hsm_fetches_total [0-9]' "$work/ost.before" &&
	grep -q '^tessera_ost_hsm_objects_cached [0-9]' "$work/ost.before"
result $((! $?)) metrics.ost.hsm_series "no tessera_ost_hsm_* samples"

# I/O: 3 MiB in and out again
head -c 3145728 /dev/urandom >"$work/data"
timeout 60 "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" put "$work/data" /f >/dev/null &&
	timeout 60 "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" get /f "$work/back" >/dev/null &&
	cmp -s "$work/data" "$work/back"
result $((! $?)) metrics.io "put/get of 3 MiB through tessctl failed"
# a wrong key: a failed handshake at the MDS
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/wrongkey"
chmod 600 "$work/wrongkey"
timeout 20 "$bin/tessctl" --mds "$TESS_MDS" --key "$work/wrongkey" df >/dev/null 2>&1

scrape $mport "$work/mds.after"
scrape $oport "$work/ost.after"
grow() {	# grow NAME FILE-STEM SERIES [AT-LEAST]: after - before >= AT-LEAST (1)
	local b a
	b=$(value "$work/$2.before" "$3")
	a=$(value "$work/$2.after" "$3")
	awk -v a="$a" -v b="$b" -v m="${4:-1}" 'BEGIN { exit !(a - b >= m) }'
	result $((! $?)) "metrics.$1" "$3: $b before, $a after"
}
grow mds.requests_create mds 'tessera_requests_total{op="create"}'
grow mds.requests_getattr_or_lookup mds 'tessera_requests_total{op="lookup"}'
grow mds.handshake_failed mds tessera_handshakes_failed_total
grow mds.connections mds tessera_connections_total
grow ost.requests_obj_write ost 'tessera_requests_total{op="obj_write"}'
grow ost.requests_obj_read ost 'tessera_requests_total{op="obj_read"}'
grow ost.bulk_received ost tessera_bulk_received_bytes_total 3145728
grow ost.bulk_sent ost tessera_bulk_sent_bytes_total 3145728
grow ost.write_latency_count ost 'tessera_request_duration_seconds_count{op="obj_write"}'
# histogram: +Inf bucket = _count for obj_write
inf=$(value "$work/ost.after" 'tessera_request_duration_seconds_bucket{op="obj_write",le="+Inf"}')
cnt=$(value "$work/ost.after" 'tessera_request_duration_seconds_count{op="obj_write"}')
[ "$inf" = "$cnt" ] && [ "$cnt" -gt 0 ]
result $((! $?)) metrics.ost.histogram_count "+Inf bucket $inf, _count $cnt"

# another path: 404; another method: 405
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/nope")
[ "$code" = 404 ]
result $((! $?)) metrics.mds.404 "GET /nope answered $code"
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$oport/metrics")
[ "$code" = 405 ]
result $((! $?)) metrics.ost.405 "POST /metrics answered $code"

# raw REQUEST to PORT over /dev/tcp; prints the status line
raw() {
	timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 || exit 1
		printf "%b" "$2" >&3 2>/dev/null
		head -n 1 <&3' _ "$1" "$2" 2>/dev/null | tr -d '\r'
}
st=$(raw $mport '\x00\x01\xff garbage\r\n\r\n')
[[ "$st" == "HTTP/1.0 400"* ]]
result $((! $?)) metrics.mds.garbage_400 "garbage answered '$st'"
big=$(head -c 20000 /dev/zero | tr '\0' A)
st=$(raw $oport "GET /$big")
[[ "$st" == "HTTP/1.0 431"* ]]
result $((! $?)) metrics.ost.oversized_431 "20000 bytes without an end answered '$st'"
# a silent connection holds the responder at most its read deadline (2 s)
timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; sleep 5' _ $mport 2>/dev/null &
silent=$!
sleep 0.3
t0=$(date +%s%N)
scrape $mport "$work/mds.late"
ok=$((! $?))
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ok = 1 ] && [ $ms -lt 4000 ]
result $((! $?)) metrics.mds.silent_peer_bounded "a scrape behind a silent connection: 200=$ok after $ms ms"
kill $silent 2>/dev/null; wait $silent 2>/dev/null

# 10 silent RPC connections from one address: past TNET_PREAUTH_PER_ADDR
# (8) the MDS closes them at once, and counts them
holders=()
for i in $(seq 1 10); do
	timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; sleep 3' _ "$port" 2>/dev/null &
	holders+=($!)
done
refused() {
	scrape $mport "$work/mds.refused" &&
		r=$(value "$work/mds.refused" 'tessera_connections_refused_total{reason="per_address"}') &&
		[ "$r" -ge 1 ]
}
r=0
wait_until 4 refused
result $((! $?)) metrics.mds.refused_per_address "tessera_connections_refused_total{reason=\"per_address\"} $r after 10 silent connections"
kill "${holders[@]}" 2>/dev/null
wait "${holders[@]}" 2>/dev/null
wait_until 15 up
result $((! $?)) metrics.mds.serves_after_refusals "tessctl df failed after the silent connections"

for n in mds ost; do
	kill -0 "${pids[$n]}" 2>/dev/null
	result $((! $?)) "metrics.$n.alive" "the daemon died"
done
scrape $mport "$work/mds.end" && scrape $oport "$work/ost.end"
result $((! $?)) metrics.still_serving "a scrape after the bad requests failed"
[ -z "$(checkfmt "$work/mds.end")" ] && [ -z "$(checkfmt "$work/ost.end")" ]
result $((! $?)) metrics.format_after_io "the exposition after I/O does not parse"

# a bad --metrics-listen is refused with a reason; a port in use too
"$bin/tessera-mds" --dir "$work/mds2" --key "$TESS_KEY" --listen "127.0.0.1:$((port + 4))" \
	--metrics-listen 127.0.0.1 >"$work/bad1.log" 2>&1
rc=$?
# (the MDS exits 1 for a bad command-line value, 2 for a config file's)
[ $rc = 1 ] && grep -q -- "--metrics-listen: '127.0.0.1': no port" "$work/bad1.log"
result $((! $?)) metrics.refuse_no_port "exit $rc: $(head -n 2 "$work/bad1.log")"
timeout 10 "$bin/tessera-ost" --mds "$TESS_MDS" --index 1 --dir "$work/ost1" --key "$TESS_KEY" \
	--listen "127.0.0.1:$((port + 5))" --metrics-listen "127.0.0.1:$mport" >"$work/bad2.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q -- '--metrics-listen' "$work/bad2.log"
result $((! $?)) metrics.refuse_port_in_use "exit $rc: $(head -n 2 "$work/bad2.log")"

# SIGTERM to the OST: a clean exit (0) with its /metrics thread running (a
# thread that took the signal would kill it: 143), and the MDS's gauge
# shows it down (at once with OST_LEAVE, else after 2 ping intervals)
kill -TERM "${pids[ost]}"
wait "${pids[ost]}"
rc=$?
unset "pids[ost]"
[ $rc = 0 ]
result $((! $?)) metrics.ost.sigterm_exit_0 "the OST exited $rc on SIGTERM"
down() {
	scrape $mport "$work/mds.down" &&
		[ "$(value "$work/mds.down" 'tessera_mds_osts{state="down"}')" = 1 ] &&
		[ "$(value "$work/mds.down" 'tessera_mds_osts{state="up"}')" = 0 ]
}
wait_until 15 down
result $((! $?)) metrics.mds.osts_down "tessera_mds_osts after the OST stopped: $(grep '^tessera_mds_osts' "$work/mds.down" | tr '\n' ' ')"
kill -TERM "${pids[mds]}"
wait "${pids[mds]}"
rc=$?
unset "pids[mds]"
[ $rc = 0 ]
result $((! $?)) metrics.mds.sigterm_exit_0 "the MDS exited $rc on SIGTERM"

if [ $fail != 0 ]; then
	echo "metrics: logs in $work"
	tail -n 20 "$work/mds.log" "$work/ost0.log"
fi
exit $fail
