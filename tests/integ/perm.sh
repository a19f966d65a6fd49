#!/bin/bash
# Permissions on the MDS (issue #12), build/bin/perm: an MDS and one OST
# on 127.0.0.1; users 1000 and 1001 and root as the client library sends
# them (no check on the client side), then the same store under
# --root-squash 65534:65534 with a --nosquash prefix the client is not in
# (10.0.0.0/8) and one it is in (127.0.0.0/8).  A bad --root-squash or
# --nosquash is refused, from the command line and from a config file.
#   usage: perm.sh WORKDIR PORT     (uses PORT and PORT+1)
# PERM_MDS=PATH runs another tessera-mds (an older one, to see it fail).
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup perm "$1" "$2"
declare -A pids
mds_bin=${PERM_MDS:-$bin/tessera-mds}

up() {
	"$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" df 2>/dev/null |
		grep -q UP
}

# start [MDS OPTIONS...]: the MDS and the OST, until the OST is up
start() {
	"$mds_bin" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
		--lease 2 "$@" >>"$work/mds.log" 2>&1 &
	pids[mds]=$!
	"$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1))@tcp" \
		>>"$work/ost0.log" 2>&1 &
	pids[ost]=$!
	wait_until 15 up
}

start
result $((! $?)) perm.start "the OST did not register in 15 s"
"$bin/perm" basic || fail=1
"$bin/perm" setup || fail=1
stop ost TERM
stop mds TERM

start --root-squash 65534:65534 --nosquash 10.0.0.0/8
result $((! $?)) perm.start_squash "the MDS with --root-squash did not serve"
grep -q 'root squash: uid 0 runs as 65534, gid 0 as 65534' "$work/mds.log"
result $((! $?)) perm.squash_logged "no root squash line in the MDS log"
"$bin/perm" squashed || fail=1
stop ost TERM
stop mds TERM

# the same from a config file: nosquash may appear several times
cat >"$work/mds.conf" <<EOF
root-squash = 65534:65534
nosquash = 10.0.0.0/8
nosquash = 127.0.0.0/8
EOF
start --config "$work/mds.conf"
result $((! $?)) perm.start_nosquash "the MDS with --nosquash did not serve"
"$bin/perm" nosquash || fail=1
stop ost TERM
stop mds TERM

# bad values are refused with exit 2 from a file (1 from the command line)
i=0
for bad in "root-squash = 65534" "root-squash = -1:0" "nosquash = 10.0.0.0/33" \
	   "nosquash = 10.0.0/8" "nosquash = ::1"; do
	printf '%s\n' "$bad" >"$work/bad.conf"
	out=$(timeout 10 "$mds_bin" --config "$work/bad.conf" --dir "$work/mds" \
		--key "$TESS_KEY" --listen "127.0.0.1:$port@tcp" 2>&1)
	rc=$?
	i=$((i + 1))
	name=perm.refused_bad_value.$i
	if [ $rc = 2 ] && [[ $out == *"bad.conf:1: --${bad%% *}"* ]]; then
		result 1 "$name"
	else
		result 0 "$name" "'$bad': exit $rc, '$out'"
	fi
done

if [ $fail != 0 ]; then
	echo "perm: logs in $work"
	tail -n 20 "$work/mds.log" "$work/ost0.log"
fi
exit $fail
