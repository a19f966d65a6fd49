#!/bin/bash
# Configuration files (issue #14): tessera-mds and one tessera-ost started
# with --config and nothing else serve (tessctl df sees the OST UP), each
# tells systemd READY=1 on $NOTIFY_SOCKET once it serves, and bad files
# are refused at once with exit status 2, "PROG: FILE:LINE: reason" and
# nothing started (no store created, no READY=1): an unknown key, a
# missing value, a bad boolean, a value the option parser refuses, a
# missing file.  Options on the command line win over the file's.
#   usage: conf.sh WORKDIR PORT     (uses PORT..PORT+2; by hand: 25550)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup conf "${1:-/tmp}" "${2:-25550}"
declare -A pids=()

# a datagram socket standing in for systemd's notify socket: every message
# received, one a line, goes to $work/notify
notify_sock=$work/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()
' "$notify_sock" "$work/notify" &
pids[notify]=$!
wait_until 5 test -S "$notify_sock"
result $((! $?)) conf.notify_socket "no notify socket in 5 s"

cat > "$work/mds.conf" <<EOF
# the MDS of conf.sh
dir = $work/mds
key = $TESS_KEY

listen = 127.0.0.1:$port@tcp
  stripe-count = 1
lease=5
nosync = no
EOF
cat > "$work/ost0.conf" <<EOF
mds = 127.0.0.1:$port@tcp
index = 0
dir = $work/ost0
key = $TESS_KEY
listen = 127.0.0.1:$((port + 1))@tcp
	# an indented comment
replace = false
EOF

# ---- started from config files alone ----
NOTIFY_SOCKET=$notify_sock "$bin/tessera-mds" --config "$work/mds.conf" \
	>>"$work/mds.log" 2>&1 &
pids[mds]=$!
NOTIFY_SOCKET=$notify_sock "$bin/tessera-ost" --config "$work/ost0.conf" \
	>>"$work/ost0.log" 2>&1 &
pids[ost0]=$!
ost_up() {
	timeout -k 2 5 "$bin/tessctl" --mds "127.0.0.1:$port@tcp" --key "$TESS_KEY" df \
		>"$work/df" 2>&1 && grep -qE "^OST0000 +127\.0\.0\.1:$((port + 1))@tcp .* UP$" "$work/df"
}
wait_until 20 ost_up
ok=$((! $?))
result $ok conf.started_from_files "tessctl df did not show OST0000 UP in 20 s: $(tail -n 3 "$work/df" 2>/dev/null)"
if [ $ok != 1 ]; then
	tail -n 5 "$work/mds.log" "$work/ost0.log"
fi
grep -q "listening on 127.0.0.1:$port@tcp" "$work/mds.log"
result $((! $?)) conf.mds_settings_taken "the MDS log does not show the listen address of the file"

ready() { [ "$(grep -c '^READY=1' "$work/notify")" -ge 2 ]; }
wait_until 5 ready
result $((! $?)) conf.ready_notified "not 2 READY=1 messages: $(cat "$work/notify" 2>/dev/null)"
grep -q '^READY=1 STATUS=file system tessera, listening on' "$work/notify" &&
	grep -q '^READY=1 STATUS=OST 0 serving' "$work/notify"
result $((! $?)) conf.ready_from_both "READY=1 of the MDS and the OST: $(cat "$work/notify")"

# ---- bad files: refused, exit 2, FILE:LINE, nothing started ----
# refused NAME PROG WANT TEXT: a config of TEXT (its dir under
# $work/NAME.store) is refused with the line WANT ("FILE" for its path)
refused() {
	local name=$1 prog=$2 want=$3 text=$4 f=$work/$1.conf out rc
	printf '%s\n' "$text" > "$f"
	want=${want//FILE/$f}
	out=$(timeout -k 2 10 env NOTIFY_SOCKET="$notify_sock" \
		"$bin/$prog" --config "$f" 2>&1)
	rc=$?
	if [ $rc = 2 ] && [ "$out" = "$want" ] && [ ! -e "$work/$name.store" ]; then
		result 1 "conf.$name"
	else
		result 0 "conf.$name" "exit $rc (2 expected), output '$(head -c 300 <<<"$out")', expected '$want'$([ -e "$work/$name.store" ] && echo ', store created')"
	fi
}
refused bad_unknown_key tessera-mds "tessera-mds: FILE:3: unknown key 'stripe_count'" \
"dir = $work/bad_unknown_key.store
key = $TESS_KEY
stripe_count = 2
listen = 127.0.0.1:$port@tcp"
refused bad_missing_value tessera-ost "tessera-ost: FILE:4: missing value for 'dir'" \
"mds = 127.0.0.1:$port@tcp
index = 1
# the store:
dir =
key = $TESS_KEY"
refused bad_boolean tessera-mds "tessera-mds: FILE:2: bad boolean 'on' for 'nosync' (yes, no, true, false, 1 or 0)" \
"dir = $work/bad_boolean.store
nosync = on
key = $TESS_KEY"
refused bad_value_mds tessera-mds "tessera-mds: FILE:4: --stripe-size: must be a multiple of 64K between 64K and 1G" \
"dir = $work/bad_value_mds.store
key = $TESS_KEY

stripe-size = 100K"
refused bad_value_ost tessera-ost "tessera-ost: FILE:2: --index: '1024' is not an OST index (0..1023)" \
"mds = 127.0.0.1:$port@tcp
index = 1024
dir = $work/bad_value_ost.store
key = $TESS_KEY"
refused bad_address tessera-ost "tessera-ost: FILE:5: --listen: '127.0.0.1:99999': bad port '99999'" \
"mds = 127.0.0.1:$port@tcp
index = 1
dir = $work/bad_address.store
key = $TESS_KEY
listen = 127.0.0.1:99999"
out=$(timeout -k 2 10 "$bin/tessera-mds" --config "$work/none.conf" 2>&1)
rc=$?
[ $rc = 2 ] && [ "$out" = "tessera-mds: $work/none.conf: No such file or directory" ]
result $((! $?)) conf.bad_missing_file "exit $rc (2 expected), output '$out'"

# the refused ones sent no READY=1, the servers still serve
n=$(grep -c '^READY=1' "$work/notify")
[ "$n" = 2 ]
result $((! $?)) conf.refused_not_ready "$n READY=1 messages (2 expected)"
ost_up
result $((! $?)) conf.still_serving "the MDS and the OST stopped serving"

# ---- the command line wins over the file ----
# mds.conf's dir and listen overridden: a second MDS serves on PORT+2
"$bin/tessera-mds" --config "$work/mds.conf" --dir "$work/mds2" \
	--listen "127.0.0.1:$((port + 2))@tcp" >>"$work/mds2.log" 2>&1 &
pids[mds2]=$!
up2() {
	timeout -k 2 5 "$bin/tessctl" --mds "127.0.0.1:$((port + 2))@tcp" \
		--key "$TESS_KEY" df >/dev/null 2>&1
}
wait_until 10 up2 && [ -e "$work/mds2" ]
result $((! $?)) conf.command_line_wins "no MDS on port $((port + 2)) with store mds2 in 10 s: $(tail -n 2 "$work/mds2.log")"
p=${pids[mds2]}
stop mds2 TERM
wait "$p" 2>/dev/null
# a bad value on the command line names no file line (exit 1 as before)
out=$(timeout -k 2 10 "$bin/tessera-mds" --config "$work/mds.conf" --lease 0 2>&1)
rc=$?
[ $rc = 1 ] && [ "$out" = "tessera-mds: --lease: must be 1..86400 seconds" ]
result $((! $?)) conf.command_line_value_refused "exit $rc, output '$out'"

if [ $fail != 0 ]; then
	echo "conf: logs in $work"
	tail -n 10 "$work/mds.log" "$work/ost0.log"
fi
exit $fail
