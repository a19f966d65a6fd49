#!/bin/bash
# make demo: an MDS and 4 OSTs on loopback, a 4-stripe file written and
# read back through the client library, and where its bytes went.
set -eu -o pipefail
cd "$(dirname "$0")/.."
bin=$(pwd)/build/bin
work=$(pwd)/build/demo
rm -rf "$work"
mkdir -p "$work"
export TESS_MDS=127.0.0.1:7430@tcp TESS_KEY=$work/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TESS_KEY"
chmod 600 "$TESS_KEY"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "start tessera-mds and 4 x tessera-ost on 127.0.0.1 (logs in $work)"
"$bin/tessera-mds" --dir "$work/mds" --key "$TESS_KEY" --listen "$TESS_MDS" \
	>"$work/mds.log" 2>&1 & pids+=($!)
for i in 0 1 2 3; do
	"$bin/tessera-ost" --mds "$TESS_MDS" --index $i --dir "$work/ost$i" --key "$TESS_KEY" \
		--listen "127.0.0.1:$((7431 + i))@tcp" >"$work/ost$i.log" 2>&1 & pids+=($!)
done
for _ in $(seq 1 100); do
	[ "$("$bin/tessctl" df 2>/dev/null | grep -c ' UP$' || true)" = 4 ] && break
	sleep 0.1
done

step "tessctl df"
"$bin/tessctl" df

step "write a 48 MiB file striped over 4 OSTs in 1 MiB units"
head -c $((48 << 20)) /dev/urandom > "$work/sample"
"$bin/tessctl" mkdir /data
"$bin/tessctl" put -c 4 -S 1M "$work/sample" /data/sample.bin
"$bin/tessctl" stat /data/sample.bin

step "tessctl getstripe /data/sample.bin"
"$bin/tessctl" getstripe /data/sample.bin

step "bytes per OST object (each holds a quarter)"
for i in 0 1 2 3; do
	f=$(find "$work/ost$i/O" -type f | head -n1)
	printf 'OST%04d  %s  %s bytes\n' $i "${f#$work/}" "$(stat -c %s "$f")"
done

step "read it back through the client library and compare"
"$bin/tessctl" get /data/sample.bin "$work/sample.back"
sha256sum "$work/sample" "$work/sample.back" | sed "s|$work/||"
cmp "$work/sample" "$work/sample.back" && echo "identical"
