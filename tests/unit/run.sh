#!/bin/bash
# Run every userspace unit test program (build/bin/test_*), then the
# install check (make install/uninstall into a DESTDIR, man pages,
# completions: tests/install/check.sh).
cd "$(dirname "$0")/../.."
rc=0
for t in build/bin/test_*; do
	[ -x "$t" ] || continue
	"$t" || rc=1
done
bash tests/install/check.sh || rc=1
exit $rc
