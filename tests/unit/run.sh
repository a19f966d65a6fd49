#!/bin/bash
# Run every userspace unit test program (build/bin/test_*).
cd "$(dirname "$0")/../.."
rc=0
for t in build/bin/test_*; do
	[ -x "$t" ] || continue
	"$t" || rc=1
done
exit $rc
