#!/bin/bash
# S3 credentials from each provider of the AWS chain (issue #13), for the
# OST's restores and for the hsm tool, and temporary credentials that
# expire while in use:
#   - environment, shared credentials file (a profile), config file
#     ([profile x]), web identity (STS AssumeRoleWithWebIdentity),
#     container (EKS Pod Identity token file), IMDSv2: for each, an OST
#     started with only that provider, `hsm import`, a restore read through
#     the OST, and `hsm archive` of new contents
#   - credentials valid 4 s, read from the OST over 14 s: refreshed before
#     they expire, no read fails, the S3 front never saw an expired key
#   - credentials that say they last an hour but are refused as expired
#     after 3 s (and, for the hsm tool, dead on arrival): the S3 answer
#     ExpiredToken makes the client refresh and retry, no read fails
#   - no provider: the message names every provider tried
#
#   bash tests/integ/creds.sh WORKDIR PORT
#
# MDS at PORT, OST PORT+1, the strict S3 front (tests/s3/server.js with
# --temp-creds) PORT+2, the fake IMDS / container / STS endpoints
# (tests/s3/fake_creds.js) PORT+3.  Each check prints "PASS: integ:
# creds.NAME" or "FAIL: integ: creds.NAME: why".
set -u -o pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$top/build/bin
work=${1:?work dir}/creds
port=${2:?port}
s3port=$((port + 2))
fport=$((port + 3))
endpoint=http://127.0.0.1:$s3port
fake=http://127.0.0.1:$fport
export TESS_MDS="127.0.0.1:$port@tcp" TESS_KEY=$work/key
rm -rf "$work"
mkdir -p "$work/src" "$work/home"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TESS_KEY"
chmod 600 "$TESS_KEY"
fail=0
s3pid= mdspid= ostpid= fakepid=

tctl() { timeout -k 2 60 "$bin/tessctl" "$@"; }

. "$top/tests/integ/lib.sh"	# wait_until, and (integ_checks) stop by PIDVAR
integ_checks creds
cleanup() {
	stop ostpid
	stop mdspid
	stop s3pid
	stop fakepid
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "creds: logs kept in $work"; fi
}
trap cleanup EXIT

# Every AWS variable cleared, IMDS off, an empty HOME: then only what a
# provider's case adds (NAME=VALUE...) is there.
PROV=()
aws_env_args() {	# AE: the arguments of env(1) for that
	AE=(-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
		-u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_CONFIG_FILE \
		-u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_ROLE_ARN -u AWS_ROLE_SESSION_NAME \
		-u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
		-u AWS_CONTAINER_AUTHORIZATION_TOKEN -u AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \
		-u AWS_EC2_METADATA_SERVICE_ENDPOINT -u AWS_ENDPOINT_URL_STS \
		HOME="$work/home" AWS_EC2_METADATA_DISABLED=true \
		AWS_ENDPOINT_URL="$endpoint" "${PROV[@]}")
}
aws_env() { aws_env_args; env "${AE[@]}" "$@"; }
hsm() { aws_env timeout -k 2 120 "$bin/hsm" "$@"; }

s3_up() { curl -s -o /dev/null "$endpoint/"; }
fake_up() { curl -s -o /dev/null "$fake/"; }
ost_up() { tctl df 2>/dev/null | grep -q UP; }
start_s3() {
	node --openssl-legacy-provider "$top/tests/s3/server.js" "$work/s3data" \
		"$s3port" --temp-creds "$work/temp.json" >>"$work/s3rver.log" 2>&1 &
	s3pid=$!
	wait_until 10 s3_up
}
start_fake() {	# fake_creds.js options
	stop fakepid
	node "$top/tests/s3/fake_creds.js" "$fport" "$work/temp.json" \
		--auth "Bearer pod-identity-token" --web-token "oidc-jwt-token" \
		--role-arn "arn:aws:iam::123456789012:role/tess" "$@" \
		>>"$work/fake.log" 2>&1 &
	fakepid=$!
	wait_until 10 fake_up
}
start_ost() {	# [OST options]: an OST with the provider of PROV only
	stop ostpid
	: >"$work/ost.log"
	aws_env_args
	env "${AE[@]}" "$bin/tessera-ost" --mds "$TESS_MDS" --index 0 --dir "$work/ost0" \
		--key "$TESS_KEY" --listen "127.0.0.1:$((port + 1))@tcp" \
		--s3-endpoint "$endpoint" --s3-timeout 5 "$@" >>"$work/ost.log" 2>&1 &
	ostpid=$!
	wait_until 20 ost_up
}
s3curl() {
	curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
s3sha() { s3curl "$endpoint/creds/$1" 2>/dev/null | sha256sum | cut -c1-64; }
sha() { sha256sum <"$1" | cut -c1-64; }
is_dirty() { hsm state "$1" 2>/dev/null | head -n 1 | grep -q dirty; }
count() { grep -c -- "$1" "$2" 2>/dev/null; }

# ---------------------------------------------------------------- setup
start_s3 || { failed setup "the S3 front did not start on $endpoint"; exit 1; }
start_fake --ttl 600 || { failed setup "fake_creds did not start on $fake"; exit 1; }
cat >"$work/s3cfg" <<EOF
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = 127.0.0.1:$s3port
host_bucket = 127.0.0.1:$s3port
use_https = False
signature_v2 = False
EOF
provs="env files config webid container imds"
for p in $provs; do
	mkdir -p "$work/src/$p"
	head -c $((1 << 20)) /dev/urandom >"$work/src/$p/f.dat"
done
mkdir -p "$work/src/big"
head -c $((16 << 20)) /dev/urandom >"$work/src/big/b.dat"
if ! { s3cmd -c "$work/s3cfg" --no-progress mb s3://creds &&
	s3cmd -c "$work/s3cfg" --no-progress put --recursive "$work/src/" s3://creds/; } >"$work/put.log" 2>&1; then
	failed setup "s3cmd upload failed: $(tail -n 3 "$work/put.log")"
	exit 1
fi
"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	--stripe-count 1 --lease 5 >>"$work/mds.log" 2>&1 &
mdspid=$!
tctl mkdir /creds >/dev/null 2>&1

# the files and variables of each provider
cat >"$work/credentials" <<EOF
[default]
aws_access_key_id = WRONG
aws_secret_access_key = WRONG

[tess]
# the profile asked for
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER
EOF
cat >"$work/config" <<EOF
[default]
region = us-east-1

[profile cfg]
region = us-east-1
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER
EOF
echo oidc-jwt-token >"$work/webid.token"
echo "Bearer pod-identity-token" >"$work/pod.token"
prov_env() {	# PROVIDER: PROV set to its variables
	case $1 in
	env) PROV=(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER) ;;
	files) PROV=(AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_PROFILE=tess) ;;
	config) PROV=(AWS_SHARED_CREDENTIALS_FILE="$work/credentials"
		      AWS_CONFIG_FILE="$work/config" AWS_PROFILE=cfg) ;;
	webid) PROV=(AWS_WEB_IDENTITY_TOKEN_FILE="$work/webid.token"
		     AWS_ROLE_ARN=arn:aws:iam::123456789012:role/tess
		     AWS_ROLE_SESSION_NAME=tessera-test AWS_ENDPOINT_URL_STS="$fake/sts/") ;;
	container) PROV=(AWS_CONTAINER_CREDENTIALS_FULL_URI="$fake/creds/pod"
			 AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$work/pod.token") ;;
	imds) PROV=(AWS_EC2_METADATA_DISABLED=false
		    AWS_EC2_METADATA_SERVICE_ENDPOINT="$fake") ;;
	esac
}
declare -A name=([env]=environment [files]="shared files" [config]="shared files"
		 [webid]="web identity" [container]=container [imds]=IMDS)
declare -A src=([webid]=sts [container]=container [imds]=imds)

# ---------------------------------------------------------------- each provider
for p in $provs; do
	prov_env "$p"
	if ! start_ost; then
		failed "$p.ost" "the OST did not register in 20 s: $(tail -n 3 "$work/ost.log")"
		continue
	fi
	check "$p.ost_source" "$(grep 'HSM restores' "$work/ost.log")" \
		grep -q "credentials from ${name[$p]}," "$work/ost.log"
	out=$(hsm import "s3://creds/$p" "/creds/$p" 2>&1)
	check "$p.import" "$out" grep -q "1 created" <<<"$out"
	got=$(tctl get "/creds/$p/f.dat" - 2>"$work/get.err" | sha256sum | cut -c1-64)
	check "$p.restore" "read $got, S3 has $(sha "$work/src/$p/f.dat"): $(cat "$work/get.err")" \
		[ "$got" = "$(sha "$work/src/$p/f.dat")" ]
	head -c $((1 << 20)) /dev/urandom >"$work/$p.new"
	tctl put "$work/$p.new" "/creds/$p/f.dat" >/dev/null
	wait_until 10 is_dirty "/creds/$p/f.dat"
	out=$(hsm archive "/creds/$p/f.dat" 2>&1)
	check "$p.archive" "exit $?, S3 has $(s3sha "$p/f.dat"): $out" \
		[ "$(s3sha "$p/f.dat")" = "$(sha "$work/$p.new")" ]
	if [ -n "${src[$p]:-}" ]; then
		check "$p.temporary" "no temporary key from ${src[$p]} used at the front" \
			grep -q "temporary key ASIA[0-9A-F]* (${src[$p]}) used" "$work/s3rver.log"
	fi
done
check no_expired "the front refused an expired key: $(grep ExpiredToken "$work/s3rver.log" | head -n 2)" \
	[ "$(count ExpiredToken "$work/s3rver.log")" = 0 ]

# ---------------------------------------------------------------- errors
PROV=(AWS_PROFILE=nobody)
out=$(hsm import s3://creds/env /creds/none 2>&1)
check no_credentials "$out" grep -qF \
	"hsm: import: s3://creds/env: no AWS credentials: tried environment, shared files (profile nobody), web identity, container, IMDS (disabled)" <<<"$out"
PROV=(AWS_CONTAINER_CREDENTIALS_FULL_URI="$fake/creds/pod"
      AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer wrong")
out=$(hsm import s3://creds/env /creds/none 2>&1)
check container_refused "$out" grep -q "hsm: import: s3://creds/env: AWS credentials from container: .*HTTP 403" <<<"$out"
echo wrong-jwt >"$work/bad.token"
prov_env webid
PROV+=(AWS_WEB_IDENTITY_TOKEN_FILE="$work/bad.token")
out=$(hsm import s3://creds/env /creds/none 2>&1)
check webid_refused "$out" grep -q "AWS credentials from web identity: .*InvalidIdentityToken" <<<"$out"
PROV=(AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$((port + 4)))
t0=$(date +%s%N)
out=$(hsm import s3://creds/env /creds/none 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
check imds_unreachable "$out" grep -q "no AWS credentials: tried .*IMDS (http://127.0.0.1:$((port + 4))/latest/api/token: " <<<"$out"
check imds_unreachable_quick "took $ms ms" [ "$ms" -lt 3000 ]

# ---------------------------------------------------------------- expiry
# credentials valid 4 s; restores over 14 s: refreshed before expiry
start_fake --ttl 4
prov_env imds
tctl mkdir /creds/big >/dev/null 2>&1
start_ost --s3-readahead 0 || failed expiry_ost "$(tail -n 3 "$work/ost.log")"
PROV=(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER)
hsm import s3://creds/big /creds/big >"$work/import.out" 2>&1 ||
	failed expiry_import "$(cat "$work/import.out")"
n0=$(count "via imds" "$work/fake.log")
bad=0
for i in $(seq 0 13); do
	off=$((i << 20))
	want=$(dd if="$work/src/big/b.dat" bs=4096 skip=$((off / 4096)) count=1 2>/dev/null | sha256sum | cut -c1-64)
	got=$(aws_env timeout -k 2 30 "$bin/hsm_read" /creds/big/b.dat "$off" 4096 2>&1)
	grep -q "^ok 4096 sha256 $want " <<<"$got" || { bad=$((bad + 1)); echo "creds: read at $off: $got"; }
	sleep 1
done
n1=$(count "via imds" "$work/fake.log")
echo "creds: 14 restores over 14 s with 4 s credentials: $((n1 - n0)) refreshes, $bad failed reads"
check refresh_reads "$bad of 14 reads failed" [ "$bad" = 0 ]
check refresh_before_expiry "$((n1 - n0)) credentials issued in 14 s" [ $((n1 - n0)) -ge 3 ]
check refresh_no_expired "the front refused: $(grep ExpiredToken "$work/s3rver.log" | head -n 2)" \
	[ "$(count ExpiredToken "$work/s3rver.log")" = 0 ]

# credentials that claim an hour but are refused after 3 s: ExpiredToken,
# refresh, the same request again
start_fake --ttl 3 --lie 3600
prov_env container
start_ost --s3-readahead 0 || failed expired_ost "$(tail -n 3 "$work/ost.log")"
n0=$(count "via container" "$work/fake.log")
bad=0
for i in 0 1 2; do
	off=$(((28 + i) << 19))
	want=$(dd if="$work/src/big/b.dat" bs=4096 skip=$((off / 4096)) count=1 2>/dev/null | sha256sum | cut -c1-64)
	sleep 4
	got=$(aws_env timeout -k 2 30 "$bin/hsm_read" /creds/big/b.dat "$off" 4096 2>&1)
	grep -q "^ok 4096 sha256 $want " <<<"$got" || { bad=$((bad + 1)); echo "creds: read at $off: $got"; }
done
n1=$(count "via container" "$work/fake.log")
e=$(count ExpiredToken "$work/s3rver.log")
echo "creds: 3 restores with credentials refused after 3 s: $e ExpiredToken answers, $((n1 - n0)) refreshes, $bad failed reads"
check expired_token_seen "no ExpiredToken at the front" [ "$e" -ge 1 ]
check expired_token_reads "$bad of 3 reads failed" [ "$bad" = 0 ]
check expired_token_refreshed "$((n1 - n0)) credentials issued" [ $((n1 - n0)) -ge 2 ]

# the hsm tool: web identity credentials dead on arrival
start_fake --ttl 60 --lie 3600 --dead 1
prov_env webid
e0=$(count ExpiredToken "$work/s3rver.log")
tctl mkdir /creds/dead >/dev/null 2>&1
out=$(hsm import s3://creds/env /creds/dead 2>&1)
e1=$(count ExpiredToken "$work/s3rver.log")
check tool_expired_retried "exit: $out" grep -q "1 created" <<<"$out"
check tool_expired_seen "$((e1 - e0)) ExpiredToken answers" [ $((e1 - e0)) = 1 ]
head -c 4096 /dev/urandom >"$work/dead.new"
tctl put "$work/dead.new" /creds/dead/f.dat >/dev/null
wait_until 10 is_dirty /creds/dead/f.dat
start_fake --ttl 60 --lie 3600 --dead 1
out=$(hsm archive /creds/dead/f.dat 2>&1)
check tool_expired_archive "S3 has $(s3sha env/f.dat): $out" \
	[ "$(s3sha env/f.dat)" = "$(sha "$work/dead.new")" ]

exit $fail
