#!/bin/bash
# What an operator expects of the daemons (issue #14), on an MDS and OSTs
# 0 and 1 of their own:
#  - log lines "2026-11-30T06:35:00.123Z LEVEL PROG: message" (ISO 8601
#    UTC, milliseconds, a syslog level), "PROG: message" intact;
#  - --log-level warning drops info lines;
#  - --log-file, mv, SIGHUP: new lines in the new file, the daemon alive;
#  - SIGHUP with a config whose log-level changed: the new level applies;
#  - SIGTERM: exit 0 within 5 s; for an OST the MDS logs "OST 0 left
#    (clean shutdown)" and tessctl df shows it marked down within 2 s (the
#    MDS pings every 30 s here: no ping time-out can do it);
#  - an OST's log goes to the journal format (<N>PROG: message) when
#    JOURNAL_STREAM names its stderr.
#   usage: daemon_ops.sh WORKDIR PORT     (uses PORT .. PORT+3)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup daemon_ops "$1" "$2"
declare -A pids

tctl() { "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" "$@"; }
ups_is() { [ "$(tctl df 2>/dev/null | grep -c ' UP$')" = "$1" ]; }
marked_down() { tctl df 2>/dev/null | grep -q "^OST000$1 .*DOWN (.*marked down by the MDS"; }
alive() { kill -0 "${pids[$1]}" 2>/dev/null; }
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
LVL='(emerg|alert|crit|err|warning|notice|info|debug)'

start_ost() {	# start_ost INDEX ARGS...
	local i=$1
	shift
	"$bin/tessera-ost" --mds "$TESS_MDS" --index "$i" --dir "$work/ost$i" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1 + i))@tcp" \
		"$@" >>"$work/ost$i.log" 2>&1 &
	pids[ost$i]=$!
}

# exit_within SECONDS NAME: the exit status of pids[NAME] if it ended in
# time, else 255 (then killed)
exit_within() {
	local p=${pids[$2]} end=$((SECONDS + $1)) rc=255
	while [ $SECONDS -le $end ]; do
		if ! kill -0 "$p" 2>/dev/null; then
			wait "$p"
			rc=$?
			break
		fi
		sleep 0.1
	done
	[ $rc = 255 ] && { kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
	unset "pids[$2]"
	return $rc
}

cat >"$work/mds.conf" <<EOF
dir = $work/mds
key = $TESS_KEY
listen = $TESS_MDS
ping-interval = 30
log-level = info
log-file = $work/mds.log
EOF
"$bin/tessera-mds" --config "$work/mds.conf" >"$work/mds.stderr" 2>&1 &
pids[mds]=$!
start_ost 0
start_ost 1 --log-level warning
wait_until 10 ups_is 2
result $((! $?)) daemon_ops.setup "2 OSTs not UP in 10 s: $(tail -n 3 "$work/mds.log" 2>&1 | tr '\n' ' ')"
wait_until 5 grep -q 'OST 1 registered at' "$work/mds.log"

# 1. the format, in the --log-file and on stderr
bad=$(grep -Evc "^$ISO $LVL tessera-mds: " "$work/mds.log")
grep -Eq "^$ISO info tessera-mds: file system .* listening on " "$work/mds.log"
result $((! $? && bad == 0)) daemon_ops.format_mds "$bad lines not 'ISO LEVEL tessera-mds: ': $(head -n 2 "$work/mds.log" | tr '\n' ' ')"
grep -q 'tessera-mds: OST 0 registered at' "$work/mds.log"
result $((! $?)) daemon_ops.format_prog_message "no 'tessera-mds: OST 0 registered at' substring"
bad=$(grep -Evc "^$ISO $LVL tessera-ost: " "$work/ost0.log")
grep -Eq "^$ISO info tessera-ost: OST 0 serving " "$work/ost0.log"
result $((! $? && bad == 0)) daemon_ops.format_ost_stderr "$bad lines not 'ISO LEVEL tessera-ost: ': $(head -n 2 "$work/ost0.log" | tr '\n' ' ')"
[ ! -s "$work/mds.stderr" ]
result $((! $?)) daemon_ops.log_file_not_stderr "the MDS wrote on stderr with --log-file: $(head -c 200 "$work/mds.stderr")"

# 2. --log-level warning: OST 1 registered, yet no info line
n=$(grep -Ec " (info|notice|debug) tessera-ost: " "$work/ost1.log")
alive ost1
result $((! $? && n == 0)) daemon_ops.level_warning_drops_info "$n info/notice lines, alive: $(alive ost1 && echo yes || echo no): $(head -n 2 "$work/ost1.log" | tr '\n' ' ')"
"$bin/tessera-ost" --log-level chatty --mds "$TESS_MDS" --index 2 --dir "$work/x" --key "$TESS_KEY" >"$work/badlevel.out" 2>&1
rc=$?
grep -q -- '--log-level.*err, warning' "$work/badlevel.out"
result $((! $? && rc == 2)) daemon_ops.level_bad_refused "exit $rc: $(head -c 200 "$work/badlevel.out")"

# 3. SIGTERM of an OST: exit 0, the MDS marks it down at once
stop_at=$SECONDS
kill -TERM "${pids[ost0]}"
t0=$(date +%s%N)
exit_within 5 ost0
rc=$?
result $((rc == 0)) daemon_ops.ost_sigterm_exit0 "exit $rc (255: still running after 5 s): $(tail -n 2 "$work/ost0.log" | tr '\n' ' ')"
wait_until 2 marked_down 0
ok=$((! $?))
ms=$((($(date +%s%N) - t0) / 1000000))
result $ok daemon_ops.ost_down_within_2s "OST 0 not marked down by the MDS ${ms} ms after SIGTERM: $(tctl df 2>&1 | grep OST0000)"
grep -q 'tessera-mds: OST 0 left (clean shutdown)' "$work/mds.log"
result $((! $?)) daemon_ops.mds_logs_ost_left "no 'OST 0 left (clean shutdown)' in the MDS log: $(tail -n 2 "$work/mds.log" | tr '\n' ' ')"
grep -Eq "^$ISO notice tessera-ost: SIGTERM: shutting down" "$work/ost0.log"
result $((! $?)) daemon_ops.ost_logs_shutdown "no notice line: $(tail -n 3 "$work/ost0.log" | tr '\n' ' ')"

# 4. logrotate: mv, SIGHUP, the new lines in a new file
mv "$work/mds.log" "$work/mds.log.1"
kill -HUP "${pids[mds]}"
wait_until 3 grep -q 'SIGHUP' "$work/mds.log" 2>/dev/null
ok=$((! $?))
sleep 0.2
alive mds
result $((! $? && ok)) daemon_ops.sighup_reopens "alive: $(alive mds && echo yes || echo no); new file: $(head -c 200 "$work/mds.log" 2>&1)"
[ -s "$work/mds.log.1" ] && ! grep -q SIGHUP "$work/mds.log.1"
result $((! $?)) daemon_ops.sighup_old_file_untouched "the SIGHUP line went to the moved file"
kill -HUP "${pids[ost1]}"
sleep 0.5
alive ost1 && ups_is 1
result $((! $?)) daemon_ops.sighup_ost_alive "OST 1 gone after SIGHUP: $(tail -n 2 "$work/ost1.log" | tr '\n' ' ')"

# 5. SIGHUP re-reads the config's log-level: warning, then OST 0's
# registration (info) is not logged; a restart setting is not applied
sed -i 's/^log-level = info/log-level = warning/' "$work/mds.conf"
kill -HUP "${pids[mds]}"
wait_until 3 grep -q 'log level warning' "$work/mds.log"
result $((! $?)) daemon_ops.sighup_level_logged "no 'log level warning' line: $(tail -n 2 "$work/mds.log" | tr '\n' ' ')"
start_ost 0
wait_until 10 ups_is 2
result $((! $?)) daemon_ops.ost_back "OST 0 not UP again in 10 s"
sleep 0.3
[ -s "$work/mds.log" ] && alive mds && ! grep -q 'OST 0 registered at' "$work/mds.log"
result $((! $?)) daemon_ops.sighup_level_applies "an info line after log-level = warning: $(grep 'registered at' "$work/mds.log")"
alive mds
result $((! $?)) daemon_ops.mds_alive_after_sighups "the MDS is gone"

# 6. the journal: <N>PROG: message, no time stamp
: >"$work/ost9.log"
jd=$(stat -Lc '%d:%i' "$work/ost9.log")
JOURNAL_STREAM=$jd timeout 2 "$bin/tessera-ost" --mds 127.0.0.1:1@tcp --index 9 \
	--dir "$work/ost9" --key "$TESS_KEY" --listen "127.0.0.1:$((port + 3))@tcp" >>"$work/ost9.log" 2>&1
grep -q '^<6>tessera-ost: OST 9 serving ' "$work/ost9.log" && ! grep -Eq "^$ISO" "$work/ost9.log"
result $((! $?)) daemon_ops.journal_prefix "not '<6>tessera-ost: ...': $(head -n 2 "$work/ost9.log" | tr '\n' ' ')"

# 7. SIGTERM of the MDS (and SIGINT of an OST): exit 0 within 5 s
kill -INT "${pids[ost1]}"
exit_within 5 ost1
rc=$?
result $((rc == 0)) daemon_ops.ost_sigint_exit0 "exit $rc"
kill -TERM "${pids[mds]}"
exit_within 5 mds
rc=$?
result $((rc == 0)) daemon_ops.mds_sigterm_exit0 "exit $rc: $(tail -n 2 "$work/mds.log" | tr '\n' ' ')"
# (a request in progress at SIGTERM is answered: not checked here, the old
# MDS did it as well, its store close waiting for the call)
"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "127.0.0.1:$((port + 2))@tcp" \
	--log-level info >"$work/mds2.log" 2>&1 &
pids[mds2]=$!
wait_until 5 grep -q 'listening on' "$work/mds2.log"
kill -TERM "${pids[mds2]}"
exit_within 5 mds2
rc=$?
grep -q 'store closed' "$work/mds2.log"
result $((! $? && rc == 0)) daemon_ops.mds_store_reopens_closed_cleanly "exit $rc: $(tail -n 3 "$work/mds2.log" | tr '\n' ' ')"
stop ost0 TERM
exit $fail
