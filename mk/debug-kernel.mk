# The debug kernel tier (issue #8): KASAN, lockdep, atomic-sleep,
# kmemleak, KFENCE, DEBUG_LIST and hung-task checks on a kernel built from
# linux-source-6.1 with tests/vm/debug-kernel.config, cached in
# /var/cache/tessera/debug-kernel (scripts/debug-kernel.sh).
#
#   debug-kernel                 build the debug kernel unless cached (cold: see
#                                scripts/debug-kernel.sh; the stamp records the time)
#   check-debug SUITE=smoke      our modules built against it, VM suite SUITE on it;
#                                fails on any suite failure, kernel report or
#                                kmemleak leak (tests/vm/suites/debug.sh)
#   debug-kernel-prune           drop cached debug kernels other than the current one

TESS_DKTOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

.PHONY: debug-kernel check-debug debug-kernel-prune

debug-kernel:
	@bash $(TESS_DKTOP)/scripts/debug-kernel.sh build >/dev/null

check-debug:
	@bash $(TESS_DKTOP)/scripts/debug-kernel.sh check $(or $(SUITE),smoke)

debug-kernel-prune:
	@bash $(TESS_DKTOP)/scripts/debug-kernel.sh prune
