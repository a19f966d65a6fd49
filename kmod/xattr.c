// SPDX-License-Identifier: GPL-2.0
/*
 * xattr.c - extended attributes, kept by the MDS under their full name
 * ("user.x", "trusted.y", "security.z").
 *
 * The VFS checks the permissions (trusted.* needs CAP_SYS_ADMIN, user.*
 * only on regular files and directories); listxattr hides trusted.*
 * from others and names of no known namespace.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/xattr.h>
#include <linux/capability.h>

#include "tess_fs.h"

static int tess_xattr_get(const struct xattr_handler *handler,
			  struct dentry *dentry, struct inode *inode,
			  const char *name, void *buffer, size_t size)
{
	const char *full = xattr_full_name(handler, name);

	if (size > TESS_XATTR_SIZE_MAX)
		size = TESS_XATTR_SIZE_MAX;
	return tess_mds_getxattr(TESS_SB(inode->i_sb), inode->i_ino, full,
				 buffer, size);
}

/*
 * security.*: GNU ls -l asks every file for security.selinux.  An inode
 * whose attributes came from a READDIRPLUS entry that said "no security.*
 * xattr" answers ENODATA without asking the MDS while those attributes
 * are fresh; one set by another client is seen once they expire, as a
 * change of any other attribute is.
 */
static int tess_xattr_get_security(const struct xattr_handler *handler,
				   struct dentry *dentry, struct inode *inode,
				   const char *name, void *buffer, size_t size)
{
	if (READ_ONCE(TESS_I(inode)->no_sec_xattr) && tess_attr_fresh(inode))
		return -ENODATA;
	return tess_xattr_get(handler, dentry, inode, name, buffer, size);
}

static int tess_xattr_set(const struct xattr_handler *handler,
			  struct tess_idmap *idmap,
			  struct dentry *dentry, struct inode *inode,
			  const char *name, const void *value, size_t size,
			  int flags)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	const char *full = xattr_full_name(handler, name);
	u32 tflags = 0;
	int err;

	if (flags & XATTR_CREATE)
		tflags |= TESS_XATTR_CREATE;
	if (flags & XATTR_REPLACE)
		tflags |= TESS_XATTR_REPLACE;
	tess_forget_no_sec_xattr(inode);
	if (!value)
		err = tess_mds_removexattr(sbi, inode->i_ino, full);
	else
		err = tess_mds_setxattr(sbi, inode->i_ino, full, value, size,
					tflags);
	if (!err)
		tess_invalidate_attr(inode);	/* ctime moved */
	/* a READDIRPLUS reply that raced with the RPC may have set it */
	tess_forget_no_sec_xattr(inode);
	return err;
}

static const struct xattr_handler tess_user_handler = {
	.prefix	= XATTR_USER_PREFIX,
	.get	= tess_xattr_get,
	.set	= tess_xattr_set,
};

static const struct xattr_handler tess_trusted_handler = {
	.prefix	= XATTR_TRUSTED_PREFIX,
	.get	= tess_xattr_get,
	.set	= tess_xattr_set,
};

static const struct xattr_handler tess_security_handler = {
	.prefix	= XATTR_SECURITY_PREFIX,
	.get	= tess_xattr_get_security,
	.set	= tess_xattr_set,
};

const struct xattr_handler *tess_xattr_handlers[] = {
	&tess_user_handler,
	&tess_trusted_handler,
	&tess_security_handler,
	NULL
};

static bool tess_xattr_listed(const char *name, size_t len)
{
	if (len > XATTR_USER_PREFIX_LEN &&
	    !strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN))
		return true;
	if (len > XATTR_SECURITY_PREFIX_LEN &&
	    !strncmp(name, XATTR_SECURITY_PREFIX, XATTR_SECURITY_PREFIX_LEN))
		return true;
	if (len > XATTR_TRUSTED_PREFIX_LEN &&
	    !strncmp(name, XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN))
		return capable(CAP_SYS_ADMIN);
	return false;
}

ssize_t tess_listxattr(struct dentry *dentry, char *buf, size_t size)
{
	struct inode *inode = d_inode(dentry);
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	size_t off, out = 0, n;
	ssize_t len;
	char *list;

	/* the whole list, filtered here, so the sizes we report add up */
	list = kvmalloc(TESS_XATTR_LIST_MAX, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	len = tess_mds_listxattr(sbi, inode->i_ino, list, TESS_XATTR_LIST_MAX);
	if (len < 0)
		goto out;
	if (len && list[len - 1] != '\0') {
		len = -EPROTO;
		goto out;
	}
	for (off = 0; off < len; off += n + 1) {
		n = strlen(list + off);
		if (!tess_xattr_listed(list + off, n))
			continue;
		if (size) {
			if (out + n + 1 > size) {
				len = -ERANGE;
				goto out;
			}
			memcpy(buf + out, list + off, n + 1);
		}
		out += n + 1;
	}
	len = out;
out:
	kvfree(list);
	return len;
}
