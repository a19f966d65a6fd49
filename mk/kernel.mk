# Kernel side of the Tessera build: modules and their test tiers.
#
# Included by the top-level Makefile; also usable alone:
#   make -f mk/kernel.mk modules
#
#   modules          build lnet/tessera_lnet.ko, lnet/tessera_lnet_tcp.ko,
#                    kmod/tessera.ko and, where the kernel has rdma_cm,
#                    lnet/tessera_lnet_rdma.ko against $(KDIR) (out of
#                    tree, in build/)
#   modules-clean    remove what `modules` built
#   check-kunit      KUnit suites of common/ on a UML kernel (tests/kunit)
#   check-vm         a VM suite under QEMU: SUITE=smoke by default (tests/vm)
#   check-dkms       dkms build and install of dkms.conf for every installed
#                    Debian kernel (6.1, 6.12), in a throwaway tree (tests/dkms)
#
# KDIR defaults to the newest installed Debian 6.1 amd64 headers; KVER is
# read from them.  Everything generated goes under build/.

TESS_KTOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

KDIR ?= $(or \
	$(shell ls -d /lib/modules/6.1.0-*-amd64/build 2>/dev/null | sort -V | tail -n 1), \
	$(shell ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1))
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	  $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

K_BUILD := $(TESS_KTOP)/build/kmod/$(KVER)
K_SRC   := $(K_BUILD)/src
K_OUT   := $(K_BUILD)/modules
K_MODS  := lnet/tessera_lnet.ko lnet/tessera_lnet_tcp.ko kmod/tessera.ko
# built only where the kernel has rdma_cm (lnet/Kbuild)
K_OPT_MODS := lnet/tessera_lnet_rdma.ko
K_INPUT := Kbuild kmod lnet common include

SUITE ?= smoke

.PHONY: modules modules-clean check-kunit check-vm check-dkms kernel-info

kernel-info:
	@echo "KDIR=$(KDIR)"
	@echo "KVER=$(KVER)"
	@echo "modules in $(K_OUT)"

# Kbuild writes objects next to the sources; build from a copy in build/
# so the work tree stays clean.  cp -u keeps timestamps, so only what
# changed is rebuilt.
modules:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no kernel headers: set KDIR= (e.g. apt-get install linux-headers-amd64)" >&2; exit 1; }
	@test -n "$(KVER)" || { echo "cannot read KVER from $(KDIR)" >&2; exit 1; }
	@mkdir -p $(K_SRC) $(K_OUT)
	@cd $(TESS_KTOP) && cp -a -u --parents \
		$$(find $(K_INPUT) -type f \( -name '*.[ch]' -o -name Kbuild -o -name '*.mk' \)) \
		$(K_SRC)/
	$(MAKE) -C $(KDIR) M=$(K_SRC) modules
	@cp -p -u $(addprefix $(K_SRC)/,$(K_MODS)) $(K_OUT)/
	@for m in $(K_OPT_MODS); do \
		if [ -f $(K_SRC)/$$m ]; then cp -p -u $(K_SRC)/$$m $(K_OUT)/; \
		else rm -f $(K_OUT)/$${m##*/}; fi; \
	done
	@echo "modules for $(KVER): $(notdir $(K_MODS)) $$(cd $(K_OUT) && ls $(notdir $(K_OPT_MODS)) 2>/dev/null | tr '\n' ' ')in $(K_OUT)"

modules-clean:
	rm -rf $(TESS_KTOP)/build/kmod

check-kunit:
	@$(TESS_KTOP)/tests/kunit/run

check-vm: modules
	@KDIR=$(KDIR) KVER=$(KVER) TESS_MODDIR=$(K_OUT) \
		$(TESS_KTOP)/tests/vm/run $(SUITE)

# every installed Debian kernel (6.1 and 6.12), or KDIR= given to make alone
check-dkms:
	@$(if $(filter command line environment,$(origin KDIR)),KDIR=$(KDIR) KVER=$(KVER)) \
		$(TESS_KTOP)/tests/dkms/run
