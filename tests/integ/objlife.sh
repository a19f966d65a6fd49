#!/bin/bash
# The life of OST objects (build/bin/objlife; issue 9, finding 3), on an
# MDS and OSTs 0 and 1 of their own:
#  - a late write to a destroyed object gets ESTALE, the file stays gone;
#  - an object deleted behind the OST's back reads EIO (not zeros) and the
#    OST logs a line naming it; a never-written stripe reads zeros;
#  - `tessctl check` names the file whose object is missing and a planted
#    stray object, exits 1; on a clean store it exits 0;
#  - an OST on a freshly formatted directory at the index of an existing
#    one is refused, and accepted with --replace;
#  - creates go on while one OST is down.
#   usage: objlife.sh WORKDIR PORT     (uses PORT .. PORT+3)
set -u -o pipefail
. "$(dirname "$0")/lib.sh"
integ_setup objlife "$1" "$2"
declare -A pids

tctl() { "$bin/tessctl" --mds "$TESS_MDS" --key "$TESS_KEY" "$@"; }
ups_is() { [ "$(tctl df 2>/dev/null | grep -c ' UP$')" = "$1" ]; }
objfile() {	# objfile OST OID_HEX
	printf '%s/ost%s/O/%02x/%016x' "$work" "$1" $((0x$2 & 0xff)) $((0x$2))
}

start_ost() {	# start_ost INDEX DIR ARGS...
	local i=$1 d=$2
	shift 2
	"$bin/tessera-ost" --mds "$TESS_MDS" --index "$i" --dir "$work/$d" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1 + i))@tcp" \
		"$@" >>"$work/$d.log" 2>&1 &
	pids[ost$i]=$!
	disown
}

"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 1 --lease 2 --ping-interval 1 >>"$work/mds.log" 2>&1 &
pids[mds]=$!
disown
start_ost 0 ost0
start_ost 1 ost1
wait_until 10 ups_is 2
result $((! $?)) objlife.setup "2 OSTs not UP in 10 s"

# 1. a late write to a destroyed object
"$bin/objlife" destroyed "$work" || fail=1
if [ -s "$work/destroyed" ]; then
	f=$(objfile 0 "$(cat "$work/destroyed")")
	[ ! -e "$f" ]
	result $((! $?)) objlife.destroyed_file_absent "$f exists again"
fi

# 2. an object lost behind the OST's back
"$bin/objlife" lose "$work" || fail=1
read -r lost_oid lost_ino <"$work/lost" || true
f=$(objfile 1 "${lost_oid:-0}")
rm -f "$f"
"$bin/objlife" lost-read || fail=1
grep -qi "oid 0x0*$lost_oid.*\(missing\|lost\)\|\(missing\|lost\).*oid 0x0*$lost_oid" "$work/ost1.log"
result $((! $?)) objlife.lost_logged "no line naming oid $lost_oid as missing in the OST 1 log"

# 3. tessctl check: the missing object, a stray one, then clean
stray=fffff0
: >"$(objfile 0 $stray)"
tctl check >"$work/check1.out" 2>"$work/check1.err"
rc=$?
result $((rc == 1)) objlife.check_exit_1 "exit $rc, expected 1 ($(head -c 300 "$work/check1.err"))"
grep -q "missing.*ost 1 oid 0x0*$lost_oid .*ino $lost_ino\b" "$work/check1.out"
result $((! $?)) objlife.check_missing "no missing line for oid $lost_oid ino $lost_ino: $(head -c 300 "$work/check1.out")"
grep -q "orphan.*ost 0 oid 0x0*$stray\b" "$work/check1.out"
result $((! $?)) objlife.check_orphan "no orphan line for oid $stray: $(head -c 300 "$work/check1.out")"
n=$(wc -l <"$work/check1.out")
result $((n == 2)) objlife.check_one_line_each "$n lines, expected 2"
rm -f "$(objfile 0 $stray)"
tctl rm /lost >/dev/null
# the orphan of /lost goes once the MDS's destroyer ran (its object is gone)
wait_until 10 tctl check >"$work/check2.out" 2>&1
result $((! $?)) objlife.check_clean "still findings after 10 s: $(head -c 300 "$work/check2.out")"

# 4. a freshly formatted OST at a used index
stop ost1
start_ost 1 ost1new
wait_until 10 sh -c "! kill -0 ${pids[ost1]} 2>/dev/null"
result $((! $?)) objlife.replace_refused_exits "an OST with a new store at index 1 still runs after 10 s"
grep -qi 'refused.*--replace\|--replace.*refused' "$work/ost1new.log"
result $((! $?)) objlife.replace_refused_logged "no line about --replace in the OST log: $(tail -n 2 "$work/ost1new.log")"
stop ost1
start_ost 1 ost1new --replace
wait_until 10 ups_is 2
result $((! $?)) objlife.replace_accepted "OST 1 with --replace not UP in 10 s"
grep -qi 'OST 1.*replaced' "$work/mds.log"
result $((! $?)) objlife.replace_logged "no 'OST 1 ... replaced' line in the MDS log"
"$bin/objlife" creates 4 after_replace || fail=1

# 5. creates go on while one OST is down
stop ost0
wait_until 10 grep -q 'OST 0 .*marked down' "$work/mds.log"
result $((! $?)) objlife.ost0_down "the MDS did not mark OST 0 down in 10 s"
"$bin/objlife" creates 4 one_down || fail=1

if [ $fail != 0 ]; then
	echo "objlife: logs in $work"
	tail -n 15 "$work"/*.log
fi
exit $fail
