# Tessera: one `make` builds the userspace programs and the kernel modules.
#
#   make              programs (build/bin) and modules (*.ko)
#   make check        install dependencies, build, run every test tier
#   make check-unit   userspace unit tests and the fuzz smoke only
#   make check-vm SUITE=smoke   one VM suite
#   make fuzz         each fuzzer for FUZZ_SECONDS (default 600)
#   make demo         MDS + 4 OSTs on loopback, a striped file
#   make bench        benchmarks (figures, not pass/fail)
#   make install      modules, programs, man pages, completions (DESTDIR=, PREFIX=/usr)

CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread \
	   -Iinclude -Icommon -Iuser/lib
LDLIBS  += -pthread -lcrypto -lrdmacm -libverbs

B       := build
BIN     := $(B)/bin
OBJ     := $(B)/obj

COMMON_SRCS := common/tess_stripe.c common/tess_wire.c
# the S3 client (libcurl, libxml2, json-c) is linked only where it is used
S3_SRCS     := user/lib/s3.c user/lib/s3_creds.c
LIB_SRCS    := $(COMMON_SRCS) $(filter-out $(S3_SRCS),$(wildcard user/lib/*.c))
MDS_SRCS    := $(wildcard user/mds/*.c)
OST_SRCS    := $(wildcard user/ost/*.c)

obj = $(patsubst %.c,$(OBJ)/%.o,$(1))

LIBTESS := $(B)/libtess.a
PROGS   := $(BIN)/tessera-mds $(BIN)/tessera-ost $(BIN)/tessctl $(BIN)/mount.tessera \
	   $(BIN)/hsm
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
S3_LIBS    := -lcurl -lxml2 -ljson-c
S3_OBJS    := $(call obj,$(S3_SRCS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BIN)/%,$(wildcard tests/unit/test_*.c))
INTEG_PROGS := $(patsubst tests/integ/%.c,$(BIN)/%,$(wildcard tests/integ/*.c))

.PHONY: all user check check-unit check-integ check-fuzz demo bench clean deps
all: user modules

user: $(PROGS) $(UNIT_TESTS) $(INTEG_PROGS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/user/lib/s3.o $(OBJ)/user/lib/s3_creds.o: CFLAGS += $(XML_CFLAGS)

$(LIBTESS): $(call obj,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# the daemons tell systemd they serve (sd_notify, Type=notify units)
SD_CFLAGS := $(shell pkg-config --cflags libsystemd 2>/dev/null)
SD_LIBS   := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
$(OBJ)/user/mds/main.o $(OBJ)/user/ost/main.o: CFLAGS += $(SD_CFLAGS)

$(BIN)/tessera-mds: $(call obj,$(MDS_SRCS)) $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -llmdb $(SD_LIBS) $(LDLIBS)

$(BIN)/tessera-ost: $(call obj,$(OST_SRCS)) $(S3_OBJS) $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(S3_LIBS) $(SD_LIBS) $(LDLIBS)

# the HSM tool: import from / archive to S3 (utils/hsm*.c)
$(BIN)/hsm: $(call obj,$(wildcard utils/hsm*.c)) $(S3_OBJS) $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(S3_LIBS) $(LDLIBS)

# tessctl net/peer: generic netlink to tessera_lnet.ko (libnl-genl-3)
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null || echo -I/usr/include/libnl3)
NL_LIBS   := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null || echo -lnl-genl-3 -lnl-3)
$(OBJ)/utils/tessctl_net.o: CFLAGS += $(NL_CFLAGS)

$(BIN)/tessctl: $(call obj,$(wildcard utils/tessctl*.c)) $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) -lkmod $(LDLIBS)

$(BIN)/mount.tessera: $(OBJ)/utils/mount_tessera.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lkmod

# unit tests link the library and, for the MDS store, its non-main objects
MDS_LIB_OBJS := $(call obj,$(filter-out user/mds/main.c,$(MDS_SRCS)))
OST_LIB_OBJS := $(call obj,$(filter-out user/ost/main.c,$(OST_SRCS)))

$(BIN)/test_mds_%: $(OBJ)/tests/unit/test_mds_%.o $(MDS_LIB_OBJS) $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -llmdb $(LDLIBS)

$(BIN)/test_ost_%: $(OBJ)/tests/unit/test_ost_%.o $(OST_LIB_OBJS) $(S3_OBJS) $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(S3_LIBS) $(LDLIBS)

# the S3 client's retry policy and part sizes; its credential chain
$(BIN)/test_s3 $(BIN)/test_s3_creds: $(BIN)/%: $(OBJ)/tests/unit/%.o $(S3_OBJS) $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(S3_LIBS) $(LDLIBS)

$(BIN)/test_%: $(OBJ)/tests/unit/test_%.o $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/%: $(OBJ)/tests/integ/%.o $(LIBTESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
-include mk/kernel.mk
-include mk/tests.mk
-include mk/model.mk
-include mk/debug-kernel.mk

clean: modules-clean
	rm -rf $(OBJ) $(BIN) $(LIBTESS) $(B)/man

# make install / uninstall [DESTDIR=] [PREFIX=/usr], make man
-include mk/install.mk
