# Soak of the model checkers (make soak): tests/vm/suites/model.sh, then
# rounds of fsx (every mode) and nsstress with random seeds, each seed
# printed on a "SEED:" line, until TESS_SOAK_SECONDS (from
# build/vm/model-soak.env, written by `make soak SOAK_SECONDS=N`; default
# 600) have passed or something failed.

TESS_SOAK_SECONDS=600
[ -r "$TESS_REPO/build/vm/model-soak.env" ] && . "$TESS_REPO/build/vm/model-soak.env"
TESS_MODEL_SOAK=$TESS_SOAK_SECONDS
# the fixed-seed part first, its fsx phase held to 260 s (make soak gives
# the VM SOAK_SECONDS + 1300 s: this part, the rounds, one round's overrun)
FSX_TIMEOUT=300
. "$TESS_REPO/tests/vm/suites/model.sh"
