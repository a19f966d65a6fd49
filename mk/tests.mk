# Test entry points (the tiers themselves live in tests/check.sh).

.PHONY: deps check check-unit check-integ demo

deps:
	@bash scripts/install-deps.sh

check: deps
	@bash tests/check.sh

check-unit: deps
	@bash tests/check.sh build unit fuzz

check-integ: deps
	@bash tests/check.sh build integ

# the fuzzers of the fuzz tier for long runs: FUZZ_SECONDS each (600)
.PHONY: fuzz
fuzz:
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-600} bash tests/fuzz/run.sh

demo: deps all
	@bash scripts/demo.sh

# benchmarks in one VM run (4 GiB guest); figures on lines "BENCH:", issue
# #11's table at the end; bench-meta is P4's metadata loop (the guest builds
# it itself if this one is missing or older than its source)
.PHONY: bench
bench: deps all
	@mkdir -p build/vm && gcc -O2 -Wall -Werror -o build/vm/bench-meta tests/vm/bench-meta.c
	@TESS_VM_MEM=4G TESS_VM_TIMEOUT=3600 $(MAKE) --no-print-directory check-vm SUITE=bench | grep -E '^(BENCH|FAIL)'
