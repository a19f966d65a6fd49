# Model checkers (issue #8, tests/model): included by the top-level Makefile.
#
#   model            build/bin/fsx (one file against an in-memory model of its
#                    contents: buffered, O_APPEND, truncate, mmap, O_DIRECT,
#                    reopen, drop_caches) and build/bin/nsstress (processes on
#                    several mounts doing namespace operations against a model);
#                    also part of `make all`
#   check-model-host both on this host's /tmp and /dev/shm, and their self-tests
#                    (an injected fault must be caught); no VM, no Tessera
#   powerfail-soak   the power-fail suite (tests/vm/suites/powerfail.sh, with
#                    build/bin/pfload, tests/model/pfload.c) with PF_CUTS
#                    (default 300) cuts; PF_SEED=N replays a seed
#   soak             both in the VM against Tessera for SOAK_SECONDS (default
#                    600) with random seeds, each printed; a failure names its
#                    seed and keeps the op log in build/vm/model-soak.out
#
# The VM suite itself: make check-vm SUITE=model (tests/vm/suites/model.sh).
# The guest sees the host root, so the binaries built here run there.

MODEL_PROGS := $(BIN)/fsx $(BIN)/nsstress $(BIN)/pfload

.PHONY: model check-model-host soak powerfail-soak

user: $(MODEL_PROGS)
model: $(MODEL_PROGS)

$(BIN)/fsx: $(OBJ)/tests/model/fsx.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# the power-fail workload and checker (tests/vm/suites/powerfail.sh)
$(BIN)/pfload: $(OBJ)/tests/model/pfload.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# nsstress reads the MDS's view of the tree through the client library
$(BIN)/nsstress: $(OBJ)/tests/model/nsstress.o $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

check-model-host: $(MODEL_PROGS)
	@bash tests/model/host.sh

SOAK_SECONDS ?= 600

soak: $(MODEL_PROGS) modules
	@mkdir -p $(B)/vm
	@echo "TESS_SOAK_SECONDS=$(SOAK_SECONDS)" > $(B)/vm/model-soak.env
	@KDIR=$(KDIR) KVER=$(KVER) TESS_MODDIR=$(K_OUT) \
		TESS_VM_TIMEOUT=$$(( $(SOAK_SECONDS) + 1300 )) \
		tests/vm/run model-soak

# a long power-fail run: about 8 s a cut on 2 cores under TCG
PF_CUTS ?= 300

powerfail-soak: $(MODEL_PROGS) modules
	@KDIR=$(KDIR) KVER=$(KVER) TESS_MODDIR=$(K_OUT) PF_CUTS=$(PF_CUTS) \
		TESS_VM_TIMEOUT=$$(( $(PF_CUTS) * 20 + 600 )) \
		tests/vm/run powerfail
