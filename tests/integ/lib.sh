# Shared start of the integ scripts that run servers of their own
# (eonce.sh, durable.sh, objlife.sh, mdsload.sh).  Sourced after
# "set -u -o pipefail" with the script's NAME WORKDIR PORT:
#   integ_setup NAME WORKDIR PORT
# sets bin, work (WORKDIR/NAME, emptied), port, a fresh key in TESS_KEY,
# TESS_MDS on 127.0.0.1:PORT, fail=0, and a trap that kills (-KILL) and
# reaps every pid in the array pids, which the script declares (indexed
# or associative).  result OK NAME WHY prints one PASS:/FAIL: line;
# wait_until SECONDS CMD... polls; stop NAME [SIGNAL] ends pids[NAME].

integ_setup() {
	cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
	bin=$(pwd)/build/bin
	work=$2/$1
	port=$3
	rm -rf "$work"
	mkdir -p "$work"
	export TESS_MDS="127.0.0.1:$port@tcp"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/key"
	chmod 600 "$work/key"
	export TESS_KEY=$work/key
	fail=0
	trap integ_cleanup EXIT
}

integ_cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

result() {	# result OK NAME WHY
	if [ "$1" = 1 ]; then echo "PASS: integ: $2"; else echo "FAIL: integ: $2: $3"; fail=1; fi
}

# The HSM scripts (creds, hsm_archive, hsm_cache, hsm_scale, hsm_zeros)
# keep one pid per variable.  integ_checks NAME defines pass CASE,
# failed CASE WHY and check CASE WHY CMD... (cases named NAME.CASE), and
# stop PIDVAR (SIGKILL, reaped, the variable emptied) in place of the
# stop below.
integ_checks() {
	integ_name=$1
	pass() { echo "PASS: integ: $integ_name.$1"; }
	failed() { echo "FAIL: integ: $integ_name.$1: $2"; fail=1; }
	check() {	# NAME WHY CMD...: PASS if CMD succeeds
		local name=$1 why=$2
		shift 2
		if "$@"; then pass "$name"; else failed "$name" "$why"; fi
	}
	stop() {
		local p=${!1}
		[ -n "$p" ] || return 0
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		eval "$1="
	}
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# stop NAME [SIGNAL]: signal (KILL) pids[NAME] (an associative pids),
# wait for it at most 10 s, then SIGKILL
stop() {
	local p=${pids[$1]:-}
	[ -n "$p" ] || return 0
	kill "-${2:-KILL}" "$p" 2>/dev/null
	timeout 10 tail --pid="$p" -f /dev/null || kill -KILL "$p" 2>/dev/null
	unset "pids[$1]"
}

# integ_s3cfg PORT: $work/s3cfg, s3cmd's configuration for the S3 front on
# 127.0.0.1:PORT (path-style, SigV4, s3rver's key), and s3c: s3cmd with it
integ_s3cfg() {
	cat >"$work/s3cfg" <<EOF
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = 127.0.0.1:$1
host_bucket = 127.0.0.1:$1
use_https = False
signature_v2 = False
EOF
	s3c() { s3cmd -c "$work/s3cfg" --no-progress "$@"; }
}
