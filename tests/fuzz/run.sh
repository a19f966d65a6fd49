#!/bin/bash
# Build the libFuzzer targets with ASan + UBSan, replay every regression
# input of tests/fuzz/regress/NAME/, then run each target from its seeds
# (seeds.py) and the corpus it grew before (build/fuzz/corpus/NAME):
#   frame   the frame decoder (fuzz_frame.c)
#   mds     the MDS request handlers on a temporary store (fuzz_mds.c)
#   ost     the OST request handlers on a temporary store (fuzz_ost.c)
#   s3list  the S3 ListObjectsV2 page parser (fuzz_s3list.c)
# FUZZ_SECONDS per target (default: 20 s for frame, 60 s for the others,
# as issue 12 asks of the handlers and the listing parser;
# make fuzz: 600).  One line per target: "PASS: fuzz: NAME: N runs, 0
# crashes" or "FAIL: fuzz: NAME: ...".  A crash leaves its input in
# build/fuzz/NAME-crash-*: once the bug is fixed, it goes into
# tests/fuzz/regress/NAME/.  The stores go to $FUZZ_TMPDIR: /dev/shm
# when it is writable (several times faster than a disk), else /tmp.
set -u
cd "$(dirname "$0")/../.."
out=build/fuzz
mkdir -p "$out"

if [ -z "${FUZZ_TMPDIR:-}" ]; then
	FUZZ_TMPDIR=/tmp
	[ -d /dev/shm ] && [ -w /dev/shm ] && FUZZ_TMPDIR=/dev/shm
fi
export FUZZ_TMPDIR

CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Icommon -Iuser/lib)
XML_CFLAGS=$(pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
SD_LIBS=$(pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
# the library as the Makefile's LIB_SRCS: everything but the S3 client
LIB=(common/tess_wire.c common/tess_stripe.c
     $(ls user/lib/*.c | grep -v -e /s3.c -e /s3_creds.c))
NET_LIBS=(-lcrypto -lrdmacm -libverbs -lpthread)
S3=(user/lib/s3.c user/lib/s3_creds.c)
S3_LIBS=(-lcurl -lxml2 -ljson-c)

# build NAME SOURCES... -- LIBS...: build/fuzz/fuzz_NAME, unless it is
# newer than every source and header
build() {
	local name=$1 bin=$out/fuzz_$1 srcs=() libs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do srcs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	libs=("$@")
	if [ -x "$bin" ] && [ -z "$(find include common user tests/fuzz \
		\( -name '*.[ch]' -o -name run.sh \) -newer "$bin" | head -1)" ]; then
		return 0
	fi
	if ! clang "${CFLAGS[@]}" $XML_CFLAGS "${srcs[@]}" -o "$bin" \
		"${libs[@]}" > "$out/build-$name.log" 2>&1; then
		echo "FAIL: fuzz: $name: build (see $out/build-$name.log)"
		tail -n 20 "$out/build-$name.log"
		return 1
	fi
}

# run NAME SECONDS MAX_LEN: regression inputs, then the fuzzing
run() {
	local name=$1 secs=$2 maxlen=$3 bin=$out/fuzz_$1
	local corpus=$out/corpus/$name log=$out/$name.log
	local regress=() runs

	mkdir -p "$corpus"
	if ! python3 tests/fuzz/seeds.py "$name" "$corpus"; then
		echo "FAIL: fuzz: $name: seeds.py"
		return 1
	fi
	[ -d "tests/fuzz/regress/$name" ] &&
		mapfile -t regress < <(find "tests/fuzz/regress/$name" -type f | sort)
	if [ ${#regress[@]} -gt 0 ] &&
	   ! "$bin" -runs=1 "${regress[@]}" > "$out/$name-regress.log" 2>&1; then
		echo "FAIL: fuzz: $name: a regression input crashes again (see $out/$name-regress.log)"
		tail -n 40 "$out/$name-regress.log"
		return 1
	fi
	if ! "$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=25 \
		-print_final_stats=1 -artifact_prefix="$out/$name-" \
		"$corpus" > "$log" 2>&1; then
		echo "FAIL: fuzz: $name: crashed (input in $out/$name-crash-* or" \
		     "-timeout-*, log $log)"
		tail -n 40 "$log"
		return 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "PASS: fuzz: $name: ${runs:-?} runs, 0 crashes"
}

# target NAME DEFAULT_SECONDS MAX_LEN SOURCES... -- LIBS...: queued,
# then run FUZZ_JOBS at a time (default 2: libFuzzer keeps one core
# busy), longest first
. tests/lanes.sh
lanes_reset
fuzz_one() {
	local name=$1 secs=${FUZZ_SECONDS:-$2} maxlen=$3

	shift 3
	build "$name" "$@" && run "$name" "$secs" "$maxlen"
}
target() {
	lanes_add "$1" fuzz_one "$@"
}

target mds 60 8192 tests/fuzz/fuzz_mds.c \
	$(ls user/mds/*.c | grep -v /main.c) "${LIB[@]}" -- \
	-llmdb $SD_LIBS "${NET_LIBS[@]}"
target ost 60 8192 tests/fuzz/fuzz_ost.c \
	$(ls user/ost/*.c | grep -v /main.c) "${S3[@]}" "${LIB[@]}" -- \
	"${S3_LIBS[@]}" $SD_LIBS "${NET_LIBS[@]}"
target s3list 60 8192 tests/fuzz/fuzz_s3list.c "${S3[@]}" user/lib/sigv4.c \
	user/lib/log.c -- "${S3_LIBS[@]}" -lcrypto -lpthread
target frame 20 4096 tests/fuzz/fuzz_frame.c common/tess_wire.c \
	user/lib/crc32c.c user/lib/tnet_cred.c -- -lpthread
lanes_run "${FUZZ_JOBS:-2}" "$out/lanes"
