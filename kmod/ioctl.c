// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl.c - the Tessera ioctls of include/tessera.h:
 *
 *   TESS_IOC_SETSTRIPE   the default layout of a directory, or the layout
 *                        of an empty regular file (owner or CAP_FOWNER)
 *   TESS_IOC_GETSTRIPE   the layout (or directory default) from the MDS
 *   TESS_IOC_OST_STATFS  state and usage of one OST
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/mount.h>
#include <linux/pagemap.h>

#include "tess_fs.h"

#define TESS_LAYOUT_CAP		TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)

/* the input part of struct tess_ioc_stripe (objs[] is GETSTRIPE's output) */
struct tess_ioc_stripe_head {
	__u32 stripe_size;
	__u16 stripe_count;
	__u16 stripe_offset;
	__u16 count_out;
	__u16 pad[3];
};

static int tess_stripe_args_ok(const struct tess_ioc_stripe_head *s)
{
	u32 size = s->stripe_size;
	unsigned int i;

	if (size && (size < TESS_STRIPE_SIZE_MIN ||
		     size > TESS_STRIPE_SIZE_MAX ||
		     size % TESS_STRIPE_SIZE_MIN))
		return -EINVAL;
	if (s->stripe_count > TESS_MAX_STRIPES)
		return -EINVAL;
	if (s->stripe_offset != TESS_OST_ANY &&
	    s->stripe_offset >= TESS_MAX_OSTS)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(s->pad); i++)
		if (s->pad[i])
			return -EINVAL;
	return 0;
}

static long tess_ioc_setstripe(struct file *file, void __user *arg)
{
	struct inode *inode = file_inode(file);
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_ioc_stripe_head head;
	struct tess_layout lo;
	struct tess_layout_info *li;
	void *rep;
	u32 len;
	long err;

	BUILD_BUG_ON(sizeof(head) != offsetof(struct tess_ioc_stripe, objs));
	if (copy_from_user(&head, arg, sizeof(head)))
		return -EFAULT;
	err = tess_stripe_args_ok(&head);
	if (err)
		return err;
	if (!S_ISDIR(inode->i_mode) && !S_ISREG(inode->i_mode))
		return -EINVAL;
	if (!inode_owner_or_capable(tess_file_idmap(file), inode))
		return -EPERM;

	memset(&lo, 0, sizeof(lo));
	lo.pattern = cpu_to_le32(TESS_LAYOUT_RAID0);
	lo.stripe_size = cpu_to_le32(head.stripe_size);
	lo.stripe_count = cpu_to_le16(head.stripe_count);
	lo.stripe_offset = cpu_to_le16(head.stripe_offset);

	rep = kmalloc(TESS_LAYOUT_CAP, GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	err = mnt_want_write_file(file);
	if (err)
		goto out_free;
	inode_lock(inode);
	if (S_ISREG(inode->i_mode) &&
	    (i_size_read(inode) || inode->i_mapping->nrpages)) {
		err = -EBUSY;		/* only an empty file changes layout */
		goto out_unlock;
	}
	err = tess_mds_set_layout(sbi, inode->i_ino, &lo, sizeof(lo), rep,
				  TESS_LAYOUT_CAP, &len);
	if (err)
		goto out_unlock;
	if (S_ISREG(inode->i_mode)) {
		li = len ? tess_layout_decode(rep, len) : ERR_PTR(-EPROTO);
		if (IS_ERR(li) || li->pattern != TESS_LAYOUT_RAID0 ||
		    !li->nobjs || li->nobjs != li->geom.stripe_count ||
		    tess_stripe_geom_check(&li->geom)) {
			if (!IS_ERR(li))
				kfree(li);
			err = -EPROTO;
			goto out_unlock;
		}
		tess_set_layout(inode, li);
	}
	tess_invalidate_attr(inode);
out_unlock:
	inode_unlock(inode);
	mnt_drop_write_file(file);
out_free:
	kfree(rep);
	return err;
}

static long tess_ioc_getstripe(struct file *file, void __user *arg)
{
	struct inode *inode = file_inode(file);
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_ioc_stripe *s;
	struct tess_layout_info *li = NULL;
	void *rep;
	u32 len, i;
	long err;

	if (!S_ISDIR(inode->i_mode) && !S_ISREG(inode->i_mode))
		return -EINVAL;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	rep = kmalloc(TESS_LAYOUT_CAP, GFP_KERNEL);
	if (!s || !rep) {
		err = -ENOMEM;
		goto out;
	}
	err = tess_mds_get_layout(sbi, inode->i_ino, rep, TESS_LAYOUT_CAP,
				  &len);
	if (err)
		goto out;
	s->stripe_offset = TESS_OST_ANY;
	if (len) {
		li = tess_layout_decode(rep, len);
		if (IS_ERR(li)) {
			err = PTR_ERR(li);
			li = NULL;
			goto out;
		}
		s->stripe_size = li->geom.stripe_size;
		s->stripe_count = li->geom.stripe_count;
		s->stripe_offset = li->stripe_offset;
		s->count_out = li->nobjs;
		for (i = 0; i < li->nobjs; i++) {
			s->objs[i].ost_idx = li->objs[i].ost_idx;
			s->objs[i].oid = li->objs[i].oid;
		}
	}
	if (copy_to_user(arg, s, sizeof(*s)))
		err = -EFAULT;
out:
	kfree(li);
	kfree(rep);
	kfree(s);
	return err;
}

static long tess_ioc_ost_statfs(struct file *file, void __user *arg)
{
	struct tess_sb_info *sbi = TESS_SB(file_inode(file)->i_sb);
	const struct tess_ost_list_rep *lr;
	const struct tess_ost_info *oi, *best = NULL;
	struct tess_ioc_ost_statfs st;
	struct tess_statfs_rep sr;
	struct tnet_client *cl;
	struct tnet_req *req;
	u32 cap, len, i, n;
	void *buf;
	long err;

	if (copy_from_user(&st, arg, sizeof(st)))
		return -EFAULT;
	cap = sizeof(*lr) + TESS_MAX_OSTS * sizeof(*oi);
	buf = kvmalloc(cap, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = tess_mds_ost_list(sbi, buf, cap, &len);
	if (err)
		goto out;
	lr = buf;
	n = le32_to_cpu(lr->count);
	oi = (const void *)(lr + 1);
	for (i = 0; i < n; i++) {
		u32 idx = le32_to_cpu(oi[i].index);

		if (idx >= st.index && idx < TESS_MAX_OSTS &&
		    (!best || idx < le32_to_cpu(best->index)))
			best = &oi[i];
	}
	if (!best) {
		err = -ENODEV;
		goto out;
	}
	memset(&st, 0, sizeof(st));
	st.index = le32_to_cpu(best->index);
	st.state = le32_to_cpu(best->state) == TESS_OST_UP ?
		   TESS_OST_UP : TESS_OST_DOWN;
	strscpy(st.addr, best->addr, sizeof(st.addr));

	if (st.state == TESS_OST_UP) {
		cl = tess_ost_client(sbi, st.index);
		req = IS_ERR(cl) ? NULL : tnet_req_alloc(GFP_KERNEL);
		if (req) {
			req->opcode = TESS_OP_OBJ_STATFS;
			req->flags = TNET_REQ_SOFT;	/* df never hangs */
			req->reply_buf = &sr;
			req->reply_cap = sizeof(sr);
			if (tnet_call(cl, req) == 0 &&
			    req->reply_len == sizeof(sr)) {
				st.blocks = le64_to_cpu(sr.blocks);
				st.bfree = le64_to_cpu(sr.bfree);
				st.bavail = le64_to_cpu(sr.bavail);
				st.files = le64_to_cpu(sr.files);
				st.ffree = le64_to_cpu(sr.ffree);
				st.bsize = le32_to_cpu(sr.bsize);
			} else {
				st.state = TESS_OST_DOWN;
			}
			tnet_req_put(req);
		} else {
			st.state = TESS_OST_DOWN;
		}
	}
	if (copy_to_user(arg, &st, sizeof(st)))
		err = -EFAULT;
out:
	kvfree(buf);
	return err;
}

long tess_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case TESS_IOC_SETSTRIPE:
		return tess_ioc_setstripe(file, argp);
	case TESS_IOC_GETSTRIPE:
		return tess_ioc_getstripe(file, argp);
	case TESS_IOC_OST_STATFS:
		return tess_ioc_ost_statfs(file, argp);
	}
	return -ENOTTY;
}
