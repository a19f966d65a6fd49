# Installing Tessera like a file system (included by the top-level Makefile).
#
#   make man                      man pages from man/*.scd into build/man (scdoc)
#   make install   [DESTDIR=] [PREFIX=/usr]
#   make uninstall [DESTDIR=] [PREFIX=/usr]
#   make install NO_MODULES=1     all but the kernel modules (no kernel
#                                 headers needed; the Debian packages, whose
#                                 modules come from tessera-dkms)
#   make deb       [DEB_DIR=build/deb]  tessera-dkms, tessera-client and
#                                 tessera-server .debs (debian/), built by
#                                 dpkg-buildpackage from a copy of the tree
#
# Where things go:
#   /lib/modules/$(KVER)/updates/  tessera.ko tessera_lnet.ko tessera_lnet_tcp.ko
#                                  tessera_lnet_rdma.ko (where built)
#   /sbin/                         mount.tessera (mount(8) looks there)
#   $(PREFIX)/sbin/                tessera-mds tessera-ost
#   $(PREFIX)/bin/                 tessctl hsm
#   $(PREFIX)/share/man/manN/      one page per man/NAME.N.scd
#   $(PREFIX)/share/bash-completion/completions/  tessctl hsm
#   /lib/systemd/system/           tessera-mds.service tessera-ost@.service
#   /etc/tessera/                  mds.conf ost-0.conf, the commented examples
#                                  (tessera.conf(5)); for the real root an
#                                  existing one is kept, and uninstall
#                                  removes one only if it is still the example
#
# depmod runs only for the real root; with DESTDIR (a package, a test) it is
# left to whoever installs the tree (dpkg's trigger, dkms, or
# `depmod -b DIR KVER`).  tests/install/check.sh checks the file list.

PREFIX ?= /usr

MAN_SRCS := $(wildcard man/*.scd)
MAN_PAGES := $(patsubst man/%.scd,$(B)/man/%,$(MAN_SRCS))
MAN_SECTIONS := $(sort $(foreach p,$(MAN_PAGES),$(subst .,,$(suffix $(p)))))
COMPLETIONS := $(wildcard utils/completion/*)

INST_MODDIR := /lib/modules/$(KVER)/updates
INST_MODS   := $(notdir $(K_MODS))
INST_SBIN   := tessera-mds tessera-ost
INST_BIN    := tessctl hsm
INST_ROOTSBIN := mount.tessera
INST_UNITDIR := /lib/systemd/system
INST_UNITS  := $(wildcard systemd/*.service)
INST_CONFDIR := /etc/tessera
INST_CONFS  := $(wildcard etc/tessera/*.conf)

.PHONY: man install uninstall

man: $(MAN_PAGES)

$(B)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp && mv $@.tmp $@

install: $(PROGS) $(if $(NO_MODULES),,modules) man
	@test -n "$(NO_MODULES)$(KVER)" || { echo "install: no KVER (kernel headers: set KDIR=)" >&2; exit 1; }
	install -d $(if $(NO_MODULES),,$(DESTDIR)$(INST_MODDIR)) $(DESTDIR)/sbin \
		$(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(foreach s,$(MAN_SECTIONS),$(DESTDIR)$(PREFIX)/share/man/man$(s))
	$(if $(NO_MODULES),,install -m 644 $(addprefix $(K_OUT)/,$(INST_MODS)) $(DESTDIR)$(INST_MODDIR)/)
	$(if $(NO_MODULES),,for m in $(notdir $(K_OPT_MODS)); do \
		if [ -f $(K_OUT)/$$m ]; then install -m 644 $(K_OUT)/$$m $(DESTDIR)$(INST_MODDIR)/; fi; done)
	install -m 755 $(addprefix $(BIN)/,$(INST_ROOTSBIN)) $(DESTDIR)/sbin/
	install -m 755 $(addprefix $(BIN)/,$(INST_SBIN)) $(DESTDIR)$(PREFIX)/sbin/
	install -m 755 $(addprefix $(BIN)/,$(INST_BIN)) $(DESTDIR)$(PREFIX)/bin/
	$(foreach p,$(MAN_PAGES),install -m 644 $(p) \
		$(DESTDIR)$(PREFIX)/share/man/man$(subst .,,$(suffix $(p)))/ &&) true
	install -m 644 $(COMPLETIONS) $(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -d $(DESTDIR)$(INST_UNITDIR) $(DESTDIR)$(INST_CONFDIR)
	install -m 644 $(INST_UNITS) $(DESTDIR)$(INST_UNITDIR)/
	$(foreach c,$(INST_CONFS),$(if $(DESTDIR),,test -e $(INST_CONFDIR)/$(notdir $(c)) ||) \
		install -m 644 $(c) $(DESTDIR)$(INST_CONFDIR)/ &&) true
	$(if $(DESTDIR)$(NO_MODULES),,depmod -a $(KVER))
	$(if $(DESTDIR),,test ! -d /run/systemd/system || systemctl daemon-reload)

uninstall:
	@test -n "$(KVER)" || { echo "uninstall: no KVER (kernel headers: set KDIR=)" >&2; exit 1; }
	rm -f $(addprefix $(DESTDIR)$(INST_MODDIR)/,$(INST_MODS) $(notdir $(K_OPT_MODS))) \
		$(addprefix $(DESTDIR)/sbin/,$(INST_ROOTSBIN)) \
		$(addprefix $(DESTDIR)$(PREFIX)/sbin/,$(INST_SBIN)) \
		$(addprefix $(DESTDIR)$(PREFIX)/bin/,$(INST_BIN)) \
		$(foreach p,$(MAN_PAGES),$(DESTDIR)$(PREFIX)/share/man/man$(subst .,,$(suffix $(p)))/$(notdir $(p))) \
		$(addprefix $(DESTDIR)$(PREFIX)/share/bash-completion/completions/,$(notdir $(COMPLETIONS))) \
		$(addprefix $(DESTDIR)$(INST_UNITDIR)/,$(notdir $(INST_UNITS)))
	$(foreach c,$(INST_CONFS),! cmp -s $(c) $(DESTDIR)$(INST_CONFDIR)/$(notdir $(c)) || \
		rm -f $(DESTDIR)$(INST_CONFDIR)/$(notdir $(c)) &&) true
	$(if $(DESTDIR),,depmod -a $(KVER))
	$(if $(DESTDIR),,test ! -d /run/systemd/system || systemctl daemon-reload)

# make deb: the tracked and new (not ignored) files of the work tree, build/
# excepted, copied to $(DEB_DIR)/src/tessera; dpkg-buildpackage -b there;
# the .debs, .buildinfo and .changes moved up to $(DEB_DIR).
DEB_DIR ?= $(B)/deb
DEB_ABS := $(abspath $(DEB_DIR))

.PHONY: deb
deb:
	rm -rf $(DEB_ABS)/src $(addprefix $(DEB_ABS)/*.,deb buildinfo changes)
	mkdir -p $(DEB_ABS)/src/tessera
	git ls-files -z -c -o --exclude-standard -- . ':!build' | \
		tar --null -T - --ignore-failed-read -cf - | tar -xf - -C $(DEB_ABS)/src/tessera
	cd $(DEB_ABS)/src/tessera && dpkg-buildpackage -b -us -uc
	mv -f $(DEB_ABS)/src/*.deb $(DEB_ABS)/src/*.buildinfo $(DEB_ABS)/src/*.changes $(DEB_ABS)/
	@ls $(DEB_ABS)/*.deb
