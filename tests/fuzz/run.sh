#!/bin/bash
# Build the frame-decoder fuzzer with libFuzzer + ASan + UBSan and run it
# briefly (FUZZ_SECONDS, default 20) from a small seed corpus.
set -u
cd "$(dirname "$0")/../.."
out=build/fuzz
mkdir -p "$out/corpus"
secs=${FUZZ_SECONDS:-20}

if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -Iinclude -Icommon -Iuser/lib \
	tests/fuzz/fuzz_frame.c common/tess_wire.c user/lib/crc32c.c \
	user/lib/tnet_cred.c \
	-o "$out/fuzz_frame" -lpthread; then
	echo "FAIL: fuzz: build fuzz_frame"
	exit 1
fi
# seeds: valid requests the fuzzer can mutate
"$out/../bin/test_wire" >/dev/null 2>&1 || true
printf 'TSRA' > /dev/null
python3 - "$out/corpus" <<'P'
import struct, sys, os
d = sys.argv[1]
def frame(op, body, flags=1, xid=1):
    h = struct.pack('<IHHQIIIIIIQ', 0x41525354, 1, op, xid, flags, 0, len(body), 0, 0, 0, 0)
    return h + body
seeds = {
  'lookup': frame(16, struct.pack('<QII', 1, 3, 0) + b'abc'),
  'create': frame(19, struct.pack('<QIIIIIIII', 1, 0o100644, 0, 0, 0, 0, 1, 16, 0) +
                  struct.pack('<IIHHI', 1, 1 << 20, 4, 0xffff, 0) + b'f'),
  'rename': frame(23, struct.pack('<QQIIII', 1, 1, 0, 1, 1, 0) + b'ab'),
  'readdir_rep': frame(27, struct.pack('<II', 1, 1) + struct.pack('<QQII', 2, 3, 8, 1) + b'x' + b'\0'*7, flags=2, xid=3),
  'write': frame(65, struct.pack('<QQII', 1, 0, 0, 0)),
  'lookup_cred': frame(16, struct.pack('<QII', 1, 3, 0) + b'abc' +
                       struct.pack('<4I16I', 0x44455243, 1000, 100, 2,
                                   *([100, 2000] + [0] * 14)), flags=0x11),
  'ostlist_rep': frame(36, struct.pack('<II', 1, 0) + struct.pack('<II', 0, 1) + b'127.0.0.1:7431@tcp'.ljust(64, b'\0'), flags=2, xid=5),
}
for k, v in seeds.items():
    open(os.path.join(d, k), 'wb').write(v)
P
if "$out/fuzz_frame" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/" \
	"$out/corpus" > "$out/fuzz.log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
	echo "PASS: fuzz: frame decoder, ${secs}s, ${runs:-?} inputs, no crash"
else
	echo "FAIL: fuzz: frame decoder crashed (see $out/fuzz.log and crash-* files)"
	tail -n 40 "$out/fuzz.log"
	exit 1
fi
