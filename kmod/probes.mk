# SPDX-License-Identifier: GPL-2.0
#
# Feature probes for kmod/compat.h, included by the top-level Kbuild.
# Each probe looks for a declaration in the headers of the kernel being
# built for ($(srctree) is that kernel's source or headers tree) and adds
# -DTESS_HAVE_<FEATURE> to the flags of every Tessera object.

# $(call tess-probe,HEADER,EXTENDED-REGEX,FEATURE)
tess-probe = $(if $(shell grep -qsE '$(2)' $(srctree)/$(1) && echo y),-DTESS_HAVE_$(3))

tess-re-task-frag := \bsk_use_task_frag;
tess-re-unsized := kernel_connect\(struct socket \*[a-z]*, struct sockaddr_unsized

tess-compat-flags := \
	$(call tess-probe,include/net/sock.h,$(tess-re-task-frag),SK_USE_TASK_FRAG) \
	$(call tess-probe,include/linux/net.h,$(tess-re-unsized),SOCKADDR_UNSIZED)
