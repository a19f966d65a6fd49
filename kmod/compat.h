/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where Tessera's modules deal with differences
 * between kernel versions.
 *
 * Each difference is detected by a feature probe in kmod/probes.mk, run
 * by Kbuild against the headers of the kernel being built for, which
 * defines a TESS_HAVE_* macro.  Distribution kernels backport features,
 * so code here asks "is it there", never "which version is this".
 *
 * Probes in use (the version that brought each upstream; Debian's 6.1
 * and 6.12 headers are what the dkms tier builds against):
 *   TESS_HAVE_SK_USE_TASK_FRAG   struct sock::sk_use_task_frag (6.2,
 *                                backported to Debian's 6.1)
 *   TESS_HAVE_SOCKADDR_UNSIZED   kernel_connect() takes a
 *                                struct sockaddr_unsized * (6.19)
 *   TESS_HAVE_MNT_IDMAP          inode, xattr and ownership operations
 *                                take a struct mnt_idmap *, not a
 *                                struct user_namespace * (6.3)
 *   TESS_HAVE_FILLATTR_REQUEST_MASK  generic_fillattr() takes the
 *                                statx request mask (6.6)
 *   TESS_HAVE_INODE_CTIME_ACCESSORS  inode_get_ctime() and friends (6.6,
 *                                backported to Debian's 6.1)
 *   TESS_HAVE_INODE_GET_MTIME    inode_get_mtime() and friends; i_atime
 *                                and i_mtime are gone (6.7)
 *   TESS_HAVE_WRITE_BEGIN_FOLIO  aops->write_begin/write_end pass a
 *                                folio, not a page (6.12)
 *   TESS_HAVE_WRITEPAGE_FOLIO    write_cache_pages() calls back with a
 *                                folio, not a page (6.3)
 *   TESS_HAVE_FOLIO_SET_ERROR    the folio error flag (gone in 6.12)
 *   TESS_HAVE_FILELOCK_H         <linux/filelock.h> (6.3)
 *   TESS_HAVE_LOCK_IS_UNLOCK     lock_is_unlock(); struct file_lock's
 *                                fields are in file_lock_core (6.9)
 *   TESS_HAVE_GENERIC_FILE_SPLICE_READ  generic_file_splice_read()
 *                                (replaced by filemap_splice_read(), 6.5)
 *   TESS_HAVE_GENL_DUMPIT_INFO_INFO  the attributes of a dump request
 *                                are in genl_dumpit_info::info (6.2)
 *   TESS_HAVE_KERNEL_SENDPAGE    kernel_sendpage() (gone in 6.5, where
 *                                sendmsg() with MSG_SPLICE_PAGES took
 *                                its place; Debian's 6.1 defines
 *                                MSG_SPLICE_PAGES, but its TCP ignores
 *                                it, so that flag is no probe)
 */
#ifndef _TESSERA_COMPAT_H
#define _TESSERA_COMPAT_H

#include <linux/bvec.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/writeback.h>
#include <net/genetlink.h>
#include <net/sock.h>
#ifdef TESS_HAVE_FILELOCK_H
#include <linux/filelock.h>
#endif

/*
 * A socket used from a path that may reclaim memory must not use the
 * calling task's page fragment (see sk_page_frag()).
 */
static inline void tess_sock_no_task_frag(struct sock *sk)
{
#ifdef TESS_HAVE_SK_USE_TASK_FRAG
	sk->sk_use_task_frag = false;
#endif
}

static inline int tess_kernel_connect(struct socket *sock,
				      struct sockaddr *addr, int addrlen,
				      int flags)
{
#ifdef TESS_HAVE_SOCKADDR_UNSIZED
	return kernel_connect(sock, (struct sockaddr_unsized *)addr, addrlen,
			      flags);
#else
	return kernel_connect(sock, addr, addrlen, flags);
#endif
}

/*
 * The idmapping of a mount, as inode_operations, xattr handlers and
 * setattr_prepare()/from_vfsuid() take it: struct tess_idmap *.
 */
#ifdef TESS_HAVE_MNT_IDMAP
#define tess_idmap mnt_idmap
#define tess_file_idmap(file)	file_mnt_idmap(file)
#else
#define tess_idmap user_namespace
#define tess_file_idmap(file)	file_mnt_user_ns(file)
#endif

static inline void tess_generic_fillattr(struct tess_idmap *idmap,
					 u32 request_mask,
					 struct inode *inode,
					 struct kstat *stat)
{
#ifdef TESS_HAVE_FILLATTR_REQUEST_MASK
	generic_fillattr(idmap, request_mask, inode, stat);
#else
	generic_fillattr(idmap, inode, stat);
#endif
}

/* inode timestamps */
static inline bool tess_inode_ctime_equal(const struct inode *inode,
					  const struct timespec64 *ts)
{
#ifdef TESS_HAVE_INODE_CTIME_ACCESSORS
	struct timespec64 ctime = inode_get_ctime(inode);

	return timespec64_equal(&ctime, ts);
#else
	return timespec64_equal(&inode->i_ctime, ts);
#endif
}

static inline void tess_inode_set_ctime(struct inode *inode,
					struct timespec64 ts)
{
#ifdef TESS_HAVE_INODE_CTIME_ACCESSORS
	inode_set_ctime_to_ts(inode, ts);
#else
	inode->i_ctime = ts;
#endif
}

static inline void tess_inode_set_ctime_current(struct inode *inode)
{
#ifdef TESS_HAVE_INODE_CTIME_ACCESSORS
	inode_set_ctime_current(inode);
#else
	inode->i_ctime = current_time(inode);
#endif
}

static inline bool tess_inode_mtime_equal(const struct inode *inode,
					  const struct timespec64 *ts)
{
#ifdef TESS_HAVE_INODE_GET_MTIME
	struct timespec64 mtime = inode_get_mtime(inode);

	return timespec64_equal(&mtime, ts);
#else
	return timespec64_equal(&inode->i_mtime, ts);
#endif
}

static inline void tess_inode_set_mtime(struct inode *inode,
					struct timespec64 ts)
{
#ifdef TESS_HAVE_INODE_GET_MTIME
	inode_set_mtime_to_ts(inode, ts);
#else
	inode->i_mtime = ts;
#endif
}

static inline void tess_inode_set_atime(struct inode *inode,
					struct timespec64 ts)
{
#ifdef TESS_HAVE_INODE_GET_MTIME
	inode_set_atime_to_ts(inode, ts);
#else
	inode->i_atime = ts;
#endif
}

/*
 * What aops->write_begin hands back and write_end receives: a
 * struct tess_aops_page *, a folio or a page.
 */
#ifdef TESS_HAVE_WRITE_BEGIN_FOLIO
#define tess_aops_page folio
static inline struct folio *tess_aops_folio(struct folio *folio)
{
	return folio;
}

static inline struct folio *tess_aops_page_of(struct folio *folio)
{
	return folio;
}
#else
#define tess_aops_page page
static inline struct folio *tess_aops_folio(struct page *page)
{
	return page_folio(page);
}

static inline struct page *tess_aops_page_of(struct folio *folio)
{
	return &folio->page;
}
#endif

/* What write_cache_pages() calls back with: a struct tess_wcp_page * */
#ifdef TESS_HAVE_WRITEPAGE_FOLIO
#define tess_wcp_page folio
static inline struct folio *tess_wcp_folio(struct folio *folio)
{
	return folio;
}
#else
#define tess_wcp_page page
static inline struct folio *tess_wcp_folio(struct page *page)
{
	return page_folio(page);
}
#endif

/*
 * __filemap_get_folio() returns NULL when it finds or makes no folio
 * before 6.3 and an ERR_PTR() since; tess_filemap_get_folio() returns
 * NULL on either (no probe: either is checked at run time).
 */
static inline struct folio *tess_folio_or_null(struct folio *folio)
{
	return IS_ERR(folio) ? NULL : folio;
}

#define tess_filemap_get_folio(mapping, index, fgp, gfp) \
	tess_folio_or_null(__filemap_get_folio(mapping, index, fgp, gfp))

/* a read that failed: the folio stays !uptodate, flagged where it can be */
static inline void tess_folio_set_error(struct folio *folio)
{
#ifdef TESS_HAVE_FOLIO_SET_ERROR
	folio_set_error(folio);
#endif
}

static inline bool tess_lock_is_unlock(struct file_lock *fl)
{
#ifdef TESS_HAVE_LOCK_IS_UNLOCK
	return lock_is_unlock(fl);
#else
	return fl->fl_type == F_UNLCK;
#endif
}

/* file_operations::splice_read of a file read through the page cache */
#ifdef TESS_HAVE_GENERIC_FILE_SPLICE_READ
#define tess_splice_read generic_file_splice_read
#else
#define tess_splice_read filemap_splice_read
#endif

/* the attributes of a generic netlink dump request (may be NULL) */
static inline struct nlattr **
tess_genl_dumpit_attrs(const struct genl_dumpit_info *info)
{
#ifdef TESS_HAVE_GENL_DUMPIT_INFO_INFO
	return info->info.attrs;
#else
	return info->attrs;
#endif
}

/*
 * Hand @len bytes of @page at @offset to a stream socket without copying
 * them (the skb takes a page reference): kernel_sendpage() where it
 * exists, else sendmsg() with MSG_SPLICE_PAGES.  The page must pass
 * sendpage_ok().  MSG_MORE in @flags: more follows, do not push yet.
 * Returns the bytes queued or a negative errno, as sendmsg() does.
 */
static inline int tess_sock_sendpage(struct socket *sock, struct page *page,
				     size_t offset, size_t len, int flags)
{
#ifdef TESS_HAVE_KERNEL_SENDPAGE
	if (flags & MSG_MORE)
		flags |= MSG_SENDPAGE_NOTLAST;
	return kernel_sendpage(sock, page, offset, len, flags);
#else
	struct bio_vec bv = {
		.bv_page = page, .bv_offset = offset, .bv_len = len,
	};
	struct msghdr msg = { .msg_flags = flags | MSG_SPLICE_PAGES };

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bv, 1, len);
	return sock_sendmsg(sock, &msg);
#endif
}

#endif /* _TESSERA_COMPAT_H */
