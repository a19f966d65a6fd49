#!/bin/bash
# make demo: boot Debian's 6.1 kernel in a VM, start an MDS and 4 OSTs,
# mount Tessera, write a striped file and show where its bytes went
# (tests/vm/suites/demo.sh).  scripts/demo-library.sh does the same on
# the host through the userspace client library, without a VM.
set -eu
cd "$(dirname "$0")/.."
exec make --no-print-directory check-vm SUITE=demo
