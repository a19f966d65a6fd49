# tests/lanes.sh - run queued commands N at a time (sourced by bash).
#
#   lanes_reset
#   lanes_add NAME CMD [ARG...]     queue a command (may be a shell function)
#   lanes_run N DIR                 run the queue N at a time, longest first
#                                   as queued; each command's output goes
#                                   whole to DIR/NAME.out and is printed in
#                                   queue order once all have ended, with a
#                                   line "lanes: NAME: exit RC after S s"
#
# A QEMU TCG guest of one vCPU (tests/check.sh) and a libFuzzer run each
# keep at most one of this machine's 2 cores busy: two at a time use both.
# Returns 1 if any command failed.

lanes_reset() {
	LANE_NAMES=()
	LANE_CMDS=()
}

lanes_add() {
	local name=$1
	shift
	LANE_NAMES+=("$name")
	LANE_CMDS+=("$(printf '%q ' "$@")")
}

# _lanes_job I DIR: the I-th command, its exit status and seconds to files
_lanes_job() {
	local i=$1 dir=$2 name=${LANE_NAMES[$1]} t0 rc
	t0=$(date +%s)
	eval "${LANE_CMDS[$i]}" > "$dir/$name.out" 2>&1 < /dev/null
	rc=$?
	echo "$rc $(( $(date +%s) - t0 ))" > "$dir/$name.rc"
}

lanes_run() {
	local n=$1 dir=$2 i pid rc=0 st running=() alive
	[ "$n" -ge 1 ] 2>/dev/null || n=1
	mkdir -p "$dir"
	for i in "${!LANE_CMDS[@]}"; do
		rm -f "$dir/${LANE_NAMES[$i]}.out" "$dir/${LANE_NAMES[$i]}.rc"
	done
	for i in "${!LANE_CMDS[@]}"; do
		while [ ${#running[@]} -ge "$n" ]; do
			wait -n "${running[@]}" 2>/dev/null || :
			alive=()
			for pid in "${running[@]}"; do
				kill -0 "$pid" 2>/dev/null && alive+=("$pid")
			done
			running=(${alive[@]+"${alive[@]}"})
		done
		_lanes_job "$i" "$dir" &
		running+=($!)
	done
	[ ${#running[@]} -eq 0 ] || wait "${running[@]}" 2>/dev/null
	for i in "${!LANE_CMDS[@]}"; do
		cat "$dir/${LANE_NAMES[$i]}.out" 2>/dev/null
		st=$(cat "$dir/${LANE_NAMES[$i]}.rc" 2>/dev/null || echo "1 ?")
		echo "lanes: ${LANE_NAMES[$i]}: exit ${st% *} after ${st#* } s"
		[ "${st% *}" = 0 ] || rc=1
	done
	return $rc
}
