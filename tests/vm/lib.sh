# Helpers for VM suites (sourced by tests/vm/suites/*.sh; POSIX sh, run by
# dash).  The guest environment has TESS_REPO, TESS_SUITE, TESS_MODDIR and
# TESS_KVER set (tests/vm/guest-init).
#
# Results: each check prints exactly one line,
#   "PASS: $TESS_TAG: NAME" or "FAIL: $TESS_TAG: NAME: REASON"
# (TESS_TAG defaults to "vm"; a suite may set it after sourcing this file).
#   pass NAME                     fail NAME REASON
#   check NAME CMD...             pass if CMD succeeds within $TESS_STEP_TIMEOUT
#   expect NAME WANT GOT          pass if GOT = WANT
#   TESS_FAILED                   1 once anything failed: end with exit $TESS_FAILED
#
# Bounds (nothing in a suite may wait without one):
#   tess_wait_until SECONDS CMD...   run CMD every 0.2 s until it succeeds;
#                                    status 1 if it still fails after SECONDS
#   tess_timeout SECONDS CMD...      CMD under timeout(1) (SIGKILL 5 s after
#                                    SIGTERM); status 124/137 when it ran out
#   tess_wait_pid SECONDS PID...     wait for background PIDs, each bounded;
#                                    status of the last, 124 if one is left
#   TESS_STEP_TIMEOUT (default 120)  the bound of each `check`
#
# Cluster: the MDS on the bridge address 10.77.0.1 (this namespace, which
# is also where the kernel clients are), OST I in network namespace ost<I>
# at 10.77.0.(10+I), behind veth vo<I> on bridge br0 (cluster_net).
#   tess_modules_load [MODULE...]    copy $TESS_MODDIR/*.ko to /lib/modules/
#                                    $TESS_KVER/extra/tessera, tess_depmod, modprobe
#                                    each MODULE (default: tessera
#                                    tessera_lnet_tcp, which pull in the rest)
#   tess_cluster_start NOST [MDS_EXTRA_ARGS] [OST_EXTRA_ARGS]
#                                    network (once), key file (once), MDS and
#                                    NOST OSTs (dirs $TESS_W/mds, $TESS_W/ost<I>,
#                                    logs $TESS_W/mds.log, $TESS_W/ost<I>.log);
#                                    waits up to $TESS_START_TIMEOUT (60) s until
#                                    all NOST OSTs are registered and UP.
#                                    Sets and exports TESS_MDS_ADDR (10.77.0.1@tcp)
#                                    and TESS_KEY (not TESS_MDS, which switches
#                                    tessctl to the library); sets TESS_NOST, TESS_MDS_PID,
#                                    TESS_OST_PID_<I>.  Status 1 (and the log
#                                    tails printed) if the OSTs did not come up.
#                                    The extra args are kept in TESS_MDS_ARGS and
#                                    TESS_OST_ARGS for later restarts.
#   tess_ost_addr I                  prints OST I's address, 10.77.0.(10+I):(7431+I)@tcp
#   tess_ost_stop I                  kill -9 OST I (bounded wait for its exit)
#   tess_ost_start I [EXTRA_ARGS...] start OST I again (same dir and index;
#                                    EXTRA_ARGS come last, e.g. --listen ADDR)
#   tess_mds_stop / tess_mds_start [EXTRA_ARGS...]
#   tess_cluster_kill                kill -9 the MDS and every OST
#   tess_cluster_restart             tess_mds_start, every tess_ost_start, and
#                                    tess_wait_osts
#   tess_osts_up                     prints how many OSTs the MDS reports UP
#   tess_wait_osts [N [SECONDS]]     until N (TESS_NOST) OSTs are UP, bounded
#   tess_mount MNT [OPTS]            mount -t tessera $TESS_MDS_ADDR:/$TESS_FSNAME
#                                    MNT -o key=$TESS_KEY[,OPTS], bounded
#   tess_cleanup                     umount -f every tessera mount, kill -9 the
#                                    daemons, all bounded
#   tess_log_scan                    one PASS/FAIL line "kernel log clean": no
#                                    BUG, WARNING, Oops, Call Trace, refcount_t,
#                                    hung task ("blocked for more than"), lockdep
#                                    (circular locking ...), KASAN, UBSAN or
#                                    kmemleak report in dmesg since boot
#   tess_finish                      tess_cleanup, tess_log_scan, the tail of
#                                    dmesg and the daemon logs if anything
#                                    failed, exit $TESS_FAILED
#
# Also: tess_diag (processes, stacks of tasks in D state), module_loaded MOD, dmesg_mark / dmesg_since_mark, cluster_net N,
# tess_depmod (the module index tests/vm/run made, or depmod -a).

TESS_FAILED=0
TESS_TAG=${TESS_TAG:-vm}
TESS_STEP_TIMEOUT=${TESS_STEP_TIMEOUT:-120}
TESS_START_TIMEOUT=${TESS_START_TIMEOUT:-60}
TESS_BIN=${TESS_BIN:-$TESS_REPO/build/bin}
# the programs the cluster helpers run: the build tree's, or with
# TESS_INSTALLED=1 the installed ones (tests/vm/suites/deb.sh)
if [ "${TESS_INSTALLED:-0}" = 1 ]; then
	TESS_MDS_PROG=/usr/sbin/tessera-mds
	TESS_OST_PROG=/usr/sbin/tessera-ost
	TESS_CTL_PROG=/usr/bin/tessctl
else
	TESS_MDS_PROG=$TESS_BIN/tessera-mds
	TESS_OST_PROG=$TESS_BIN/tessera-ost
	TESS_CTL_PROG=$TESS_BIN/tessctl
fi
TESS_W=${TESS_W:-/tmp/tess}
TESS_FSNAME=${TESS_FSNAME:-fs}
# TESS_NET=rdma: the cluster in this namespace over soft-RoCE (rdma_rxe
# works within one namespace only on 6.1): the servers listen on @rdma
# and @tcp at 10.88.0.1, the MDS on 7430, OST I on 7431+I
TESS_NET=${TESS_NET:-tcp}
if [ "$TESS_NET" = rdma ]; then
	TESS_MDS_IP=10.88.0.1
else
	TESS_MDS_IP=10.77.0.1
fi
TESS_NOST=0
TESS_MDS_PID=
TESS_MDS_ARGS=
TESS_OST_ARGS=

# a check that took 10 s or more (since the previous check) says so on a
# line of its own, so a slow suite shows where its time goes
# (suites run under dash: no $SECONDS)
TESS_T0=${TESS_T0:-$(date +%s)}
tess_slow() {
	local now d
	now=$(date +%s)
	d=$((now - ${TESS_LAST_CHECK:-$TESS_T0}))
	[ $d -lt 10 ] || echo "  (${d}s since the previous check, at $((now - TESS_T0))s)"
	TESS_LAST_CHECK=$now
}

pass() {
	echo "PASS: $TESS_TAG: $1"
	tess_slow
}

fail() {
	echo "FAIL: $TESS_TAG: $1: $2"
	tess_slow
	TESS_FAILED=1
}

# tess_timeout SECONDS CMD...: CMD (a program, not a shell function) bounded
tess_timeout() {
	local s=$1
	shift
	timeout -k 5 "$s" "$@"
}

# check NAME COMMAND...: pass if COMMAND succeeds (within
# $TESS_STEP_TIMEOUT if it is a program), else fail with its output
check() {
	local name=$1 out rc
	shift
	case "$(command -v "$1")" in
	/*) out=$(timeout -k 5 "$TESS_STEP_TIMEOUT" "$@" 2>&1) ;;
	*) out=$("$@" 2>&1) ;;
	esac
	rc=$?
	if [ $rc = 0 ]; then
		pass "$name"
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		fail "$name" "'$*' still running after ${TESS_STEP_TIMEOUT}s"
	else
		fail "$name" "'$*' failed: $(echo "$out" | tr '\n' ' ' | cut -c1-300)"
	fi
}

# expect NAME WANT GOT
expect() {
	if [ "$3" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "got '$3', expected '$2'"
	fi
}

# tess_wait_until SECONDS CMD...: poll CMD until it succeeds, bounded
tess_wait_until() {
	local end
	end=$(( $(date +%s) + $1 ))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# true once PID has exited (gone, or a zombie not yet waited for)
tess_pid_gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# tess_wait_pid SECONDS PID...: wait for background jobs, bounded; the
# status is the last one's, or 124 if one is still running at the end
tess_wait_pid() {
	local s=$1 p rc=0
	shift
	for p in "$@"; do
		if ! tess_wait_until "$s" tess_pid_gone "$p"; then
			echo "tess_wait_pid: pid $p still running after ${s}s:" \
				"$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-200)"
			rc=124
			continue
		fi
		wait "$p" 2>/dev/null
		rc=$?
	done
	return $rc
}

module_loaded() {
	grep -q "^$1 " /proc/modules
}

# dmesg lines printed since dmesg_mark was called
dmesg_mark() {
	TESS_DMESG_MARK=$(dmesg | wc -l)
}

dmesg_since_mark() {
	dmesg | tail -n +"$((TESS_DMESG_MARK + 1))"
}

# cluster_net N: a bridge br0 with 10.77.0.1/24 in this namespace (MDS and
# clients) and N namespaces ost0..ost(N-1), each behind a veth voI on the
# bridge, with address 10.77.0.(10+I).  Only addresses made here are used.
# Namespaces that exist already are kept (a second call adds the missing).
cluster_net() {
	local i=0
	ip link set lo up
	if [ "$TESS_NET" = rdma ]; then
		tess_rxe_setup
		return
	fi
	if ! ip link show br0 >/dev/null 2>&1; then
		ip link add br0 type bridge
		ip addr add $TESS_MDS_IP/24 dev br0
		ip link set br0 up
	fi
	while [ $i -lt "$1" ]; do
		if ! ip link show vo$i >/dev/null 2>&1; then
			ip netns add ost$i
			ip link add vo$i type veth peer name eth0 netns ost$i
			ip link set vo$i master br0 up
			ip -n ost$i addr add 10.77.0.$((10 + i))/24 dev eth0
			ip -n ost$i link set eth0 up
			ip -n ost$i link set lo up
		fi
		i=$((i + 1))
	done
}

# tess_rxe_setup: soft-RoCE device rxe0 on veth rv0 (10.88.0.1/24)
tess_rxe_setup() {
	if ! ip link show rv0 >/dev/null 2>&1; then
		ip link add rv0 type veth peer name rv1
		ip addr add $TESS_MDS_IP/24 dev rv0
		ip link set rv0 up
		ip link set rv1 up
	fi
	timeout -k 5 60 modprobe rdma_rxe || return 1
	rdma link show rxe0/1 >/dev/null 2>&1 ||
		rdma link add rxe0 type rxe netdev rv0
}

# ---- the cluster ----

tess_modules_load() {
	local d=/lib/modules/$TESS_KVER/extra/tessera m rc=0
	mkdir -p "$d"
	cp "$TESS_MODDIR"/*.ko "$d/" || return 1
	tess_depmod || return 1
	[ $# -gt 0 ] || set -- tessera tessera_lnet_tcp
	for m in "$@"; do
		timeout -k 5 60 modprobe "$m" || rc=1
	done
	return $rc
}

# tess_depmod: the module index with the Tessera modules in extra/tessera:
# the one tests/vm/run made on the host (TESS_DEPMOD), else depmod -a here
# (minutes over 9p under TCG)
tess_depmod() {
	if [ -n "${TESS_DEPMOD:-}" ] && [ -s "$TESS_DEPMOD/modules.dep.bin" ] &&
	   grep -q '^extra/tessera/tessera.ko:' "$TESS_DEPMOD/modules.dep"; then
		cp "$TESS_DEPMOD"/modules.* "/lib/modules/$TESS_KVER/"
	else
		timeout -k 5 600 depmod -a "$TESS_KVER"
	fi
}

tess_ost_addr() {
	if [ "$TESS_NET" = rdma ]; then
		echo "$TESS_MDS_IP:$((7431 + $1))@rdma"
	else
		echo "10.77.0.$((10 + $1)):$((7431 + $1))@tcp"
	fi
}

tess_osts_up() {
	timeout -k 2 10 "$TESS_CTL_PROG" --mds "$TESS_MDS_ADDR" --key "$TESS_KEY" df \
		2>/dev/null | grep -c ' UP$'
}

tess_wait_osts() {
	local n=${1:-$TESS_NOST}
	tess_wait_until "${2:-$TESS_START_TIMEOUT}" _tess_osts_are "$n"
}

_tess_osts_are() {
	[ "$(tess_osts_up)" = "$1" ]
}

tess_mds_start() {
	mkdir -p "$TESS_W"
	# shellcheck disable=SC2086
	"$TESS_MDS_PROG" --dir "$TESS_W/mds" --key "$TESS_KEY" \
		$(tess_listen "$TESS_MDS_IP") $TESS_MDS_ARGS "$@" >>"$TESS_W/mds.log" 2>&1 &
	TESS_MDS_PID=$!
}

# kill -9 PID and wait (bounded) for it
_tess_kill9() {
	[ -n "$1" ] || return 0
	kill -9 "$1" 2>/dev/null
	tess_wait_pid 10 "$1" >/dev/null
	return 0
}

tess_mds_stop() {
	_tess_kill9 "$TESS_MDS_PID"
	TESS_MDS_PID=
}

# `ip netns exec` gives the daemon a mount namespace of its own, a copy of
# this one: the Tessera mounts in it are detached first, or the daemon
# would pin the clients' super blocks (and, killed, would sync them to
# dead OSTs on its way out).  sh execs the daemon: $! is its pid.
_TESS_NS_EXEC='for m in $(awk "\$3 == \"tessera\" { print \$2 }" /proc/mounts); do umount -l "$m"; done; exec "$@"'

# the --listen options of a server at HOST[:PORT]: @rdma and @tcp on rdma
tess_listen() {
	if [ "$TESS_NET" = rdma ]; then
		echo "--listen $1@rdma --listen $1@tcp"
	else
		echo "--listen $1@tcp"
	fi
}

# tess_ost_start I [ARGS]: OST I; a --listen in ARGS replaces its default
# address (a daemon listens on every --listen it is given)
tess_ost_start() {
	local i=$1 listen
	shift
	case " $TESS_OST_ARGS $* " in
	*" --listen "*) listen= ;;
	*) if [ "$TESS_NET" = rdma ]; then
		listen=$(tess_listen "$TESS_MDS_IP:$((7431 + i))")
	   else
		listen="--listen 10.77.0.$((10 + i))@tcp"
	   fi ;;
	esac
	if [ "$TESS_NET" = rdma ]; then
		# shellcheck disable=SC2086
		"$TESS_OST_PROG" --mds "$TESS_MDS_ADDR" --index "$i" \
			--dir "$TESS_W/ost$i" --key "$TESS_KEY" \
			$listen $TESS_OST_ARGS "$@" \
			>>"$TESS_W/ost$i.log" 2>&1 &
		eval "TESS_OST_PID_$i=$!"
		return
	fi
	# shellcheck disable=SC2086
	ip netns exec ost$i sh -c "$_TESS_NS_EXEC" sh "$TESS_OST_PROG" --mds "$TESS_MDS_ADDR" \
		--index "$i" --dir "$TESS_W/ost$i" --key "$TESS_KEY" \
		$listen $TESS_OST_ARGS "$@" \
		>>"$TESS_W/ost$i.log" 2>&1 &
	eval "TESS_OST_PID_$i=$!"
}

tess_ost_stop() {
	local p
	eval "p=\${TESS_OST_PID_$1:-}"
	_tess_kill9 "$p"
	eval "TESS_OST_PID_$1="
}

tess_cluster_kill() {
	local i=0
	tess_mds_stop
	while [ $i -lt "$TESS_NOST" ]; do
		tess_ost_stop $i
		i=$((i + 1))
	done
}

tess_cluster_restart() {
	local i=0
	tess_mds_start
	while [ $i -lt "$TESS_NOST" ]; do
		tess_ost_start $i
		i=$((i + 1))
	done
	_tess_wait_up
}

_tess_wait_up() {
	local i
	if tess_wait_osts; then
		return 0
	fi
	echo "tess_cluster: $(tess_osts_up) of $TESS_NOST OSTs up after ${TESS_START_TIMEOUT}s"
	for i in "$TESS_W"/mds.log "$TESS_W"/ost*.log; do
		[ -f "$i" ] && tail -n 5 "$i" | sed "s|^|  ${i##*/}: |"
	done
	return 1
}

tess_cluster_start() {
	local i=0
	TESS_NOST=$1
	TESS_MDS_ARGS=${2:-}
	TESS_OST_ARGS=${3:-}
	TESS_MDS_ADDR=$TESS_MDS_IP@$TESS_NET
	TESS_KEY=${TESS_KEY:-$TESS_W/key}
	# (not TESS_MDS: with it, tessctl works through the library instead
	# of the ioctls of a mounted path)
	export TESS_MDS_ADDR TESS_KEY
	mkdir -p "$TESS_W"
	if [ ! -s "$TESS_KEY" ]; then
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TESS_KEY"
		chmod 600 "$TESS_KEY"
	fi
	cluster_net "$TESS_NOST"
	tess_mds_start
	while [ $i -lt "$TESS_NOST" ]; do
		tess_ost_start $i
		i=$((i + 1))
	done
	_tess_wait_up
}

# tess_mount MNT [OPTS]
tess_mount() {
	mkdir -p "$1"
	timeout -k 5 90 mount -t tessera "$TESS_MDS_ADDR:/$TESS_FSNAME" "$1" \
		-o "key=$TESS_KEY${2:+,$2}"
}

tess_cleanup() {
	local m
	for m in $(awk '$3 == "tessera" { print $2 }' /proc/mounts); do
		timeout -k 5 30 umount -f "$m" 2>/dev/null ||
			timeout -k 5 30 umount -l "$m" 2>/dev/null
	done
	tess_cluster_kill
}

# tess_diag: what is running and where the stuck tasks wait (the
# processes with their wait channel, the kernel stack of each task in D
# state), for a failure that may be a hang
tess_diag() {
	local p
	echo "--- processes ---"
	ps -eo pid,ppid,stat,etimes,wchan:28,args 2>/dev/null | grep -v ' \[.*\]$' | cut -c1-200
	for p in /proc/[0-9]*; do
		grep -q '^State:.*D (disk sleep)' "$p/status" 2>/dev/null || continue
		echo "--- in D state: $(tr '\0' ' ' < "$p/cmdline" | cut -c1-120) (${p#/proc/})"
		cat "$p/stack" 2>/dev/null
	done
}

TESS_LOG_PATTERN='BUG:|WARNING:|Oops|general protection|Call Trace|list_del corruption|refcount_t|UBSAN|KASAN|kmemleak|hung_task|blocked for more than|circular locking|possible recursive locking|inconsistent lock state|lock held when returning'

tess_log_scan() {
	local bad
	bad=$(dmesg | grep -E "$TESS_LOG_PATTERN")
	if [ -z "$bad" ]; then
		pass "kernel log clean (no BUG, WARNING, Call Trace, refcount_t, hung task, lockdep, KASAN or kmemleak report)"
	else
		fail "kernel log clean (no BUG, WARNING, Call Trace, refcount_t, hung task, lockdep, KASAN or kmemleak report)" \
			"$(echo "$bad" | head -n 3 | tr '\n' ' ' | cut -c1-400)"
		echo "--- kernel log: the reports ---"
		dmesg | grep -E -A 25 "$TESS_LOG_PATTERN" | head -n 150
	fi
}

tess_finish() {
	local f
	tess_cleanup
	tess_log_scan
	if [ "$TESS_FAILED" != 0 ]; then
		echo "--- dmesg (tail) ---"
		dmesg | tail -n 60
		for f in "$TESS_W"/mds.log "$TESS_W"/ost*.log; do
			[ -f "$f" ] || continue
			echo "--- ${f##*/} (tail) ---"
			tail -n 10 "$f"
		done
	fi
	exit $TESS_FAILED
}
