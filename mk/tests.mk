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

demo: deps all
	@bash scripts/demo.sh
