# SPDX-License-Identifier: GPL-2.0
#
# Feature probes for kmod/compat.h, included by the top-level Kbuild.
# Each probe looks for a declaration in the headers of the kernel being
# built for ($(srctree) is that kernel's source or headers tree) and adds
# -DTESS_HAVE_<FEATURE> to the flags of every Tessera object.
# compat.h lists what each one means.

# $(call tess-probe,HEADER,EXTENDED-REGEX,FEATURE)
tess-probe = $(if $(shell grep -qsE '$(2)' $(srctree)/$(1) && echo y),-DTESS_HAVE_$(3))

tess-re-task-frag := \bsk_use_task_frag;
tess-re-unsized := kernel_connect\(struct socket \*[a-z]*, struct sockaddr_unsized
tess-re-idmap := \(\*setattr\) ?\(struct mnt_idmap \*
tess-re-fillattr := void generic_fillattr\(struct mnt_idmap \*, u32
tess-re-ctime := inode_set_ctime_to_ts\(
tess-re-mtime := inode_get_mtime\(
tess-re-wb-folio := struct folio \*\*foliop, void \*\*fsdata\);
tess-re-wcp-folio := typedef int \(\*writepage_t\)\(struct folio \*
tess-re-folio-error := PAGEFLAG\(Error, error
tess-re-filelock := ^struct file_lock \{
tess-re-unlock := bool lock_is_unlock\(
tess-re-splice := generic_file_splice_read\(
tess-re-dumpit := ^[[:space:]]*struct genl_info[[:space:]]+info;
tess-re-sendpage := ^int kernel_sendpage\(struct socket \*

tess-compat-flags := \
	$(call tess-probe,include/net/sock.h,$(tess-re-task-frag),SK_USE_TASK_FRAG) \
	$(call tess-probe,include/linux/net.h,$(tess-re-unsized),SOCKADDR_UNSIZED) \
	$(call tess-probe,include/linux/fs.h,$(tess-re-idmap),MNT_IDMAP) \
	$(call tess-probe,include/linux/fs.h,$(tess-re-fillattr),FILLATTR_REQUEST_MASK) \
	$(call tess-probe,include/linux/fs.h,$(tess-re-ctime),INODE_CTIME_ACCESSORS) \
	$(call tess-probe,include/linux/fs.h,$(tess-re-mtime),INODE_GET_MTIME) \
	$(call tess-probe,include/linux/fs.h,$(tess-re-wb-folio),WRITE_BEGIN_FOLIO) \
	$(call tess-probe,include/linux/writeback.h,$(tess-re-wcp-folio),WRITEPAGE_FOLIO) \
	$(call tess-probe,include/linux/page-flags.h,$(tess-re-folio-error),FOLIO_SET_ERROR) \
	$(call tess-probe,include/linux/filelock.h,$(tess-re-filelock),FILELOCK_H) \
	$(call tess-probe,include/linux/filelock.h,$(tess-re-unlock),LOCK_IS_UNLOCK) \
	$(call tess-probe,include/linux/fs.h,$(tess-re-splice),GENERIC_FILE_SPLICE_READ) \
	$(call tess-probe,include/net/genetlink.h,$(tess-re-dumpit),GENL_DUMPIT_INFO_INFO) \
	$(call tess-probe,include/linux/net.h,$(tess-re-sendpage),KERNEL_SENDPAGE)
