#!/bin/bash
# tests/lint/checkpatch.sh - the kernel sources (kmod/, lnet/, common/) are
# checkpatch clean: one PASS/FAIL line per file.  checkpatch.pl comes from
# Debian's linux-source-6.1 (the tree tests/kunit/run extracts, or just its
# three files taken from the tarball).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TREE=$REPO/build/kunit/linux-source-6.1
LINT=$REPO/build/lint
TARBALL=${KUNIT_SOURCE:-/usr/src/linux-source-6.1.tar.xz}

if [ -f "$TREE/scripts/checkpatch.pl" ]; then
	CP=$TREE/scripts/checkpatch.pl
else
	CP=$LINT/linux-source-6.1/scripts/checkpatch.pl
	if [ ! -f "$CP" ]; then
		mkdir -p "$LINT"
		tar -xJf "$TARBALL" -C "$LINT" linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch 2>/dev/null ||
			{ echo "FAIL: lint: checkpatch: cannot extract it from $TARBALL"; exit 1; }
	fi
fi

rc=0
for f in "$REPO"/kmod/*.[ch] "$REPO"/lnet/*.[ch] "$REPO"/common/*.[ch]; do
	rel=${f#"$REPO"/}
	# exit status 0: no error and no warning
	if out=$(perl "$CP" --no-tree --terse -f "$f" 2>&1); then
		echo "PASS: lint: checkpatch $rel"
	else
		echo "FAIL: lint: checkpatch $rel: $(echo "$out" | head -n 3 | tr '\n' ' ')"
		rc=1
	fi
done
exit $rc
