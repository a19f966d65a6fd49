// SPDX-License-Identifier: GPL-2.0
/*
 * inode.c - Tessera inodes: instantiation from MDS replies, the attribute
 * cache, getattr/setattr and symlinks.
 *
 * The MDS is the authority for every attribute.  A reply that carries a
 * tess_inode_rep refreshes the inode (tess_update_inode) and restarts its
 * attribute cache time, which runs from acregmin/acdirmin and doubles,
 * up to acregmax/acdirmax, while nothing changes.  The one attribute a
 * client may know better is the size of a file it is writing: dirty or
 * unflushed data beyond the MDS size keeps the local i_size.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/namei.h>
#include <linux/xattr.h>
#include <linux/kdev_t.h>
#include <linux/jiffies.h>

#include "tess_fs.h"

struct kmem_cache *tess_inode_cachep;

/* ---- inode life cycle ---- */

struct inode *tess_alloc_inode(struct super_block *sb)
{
	struct tess_inode_info *ii;

	ii = alloc_inode_sb(sb, tess_inode_cachep, GFP_KERNEL);
	if (!ii)
		return NULL;
	ii->data_version = 0;
	ii->hsm_state = 0;
	ii->attr_time = jiffies;
	ii->attr_valid = 0;
	RCU_INIT_POINTER(ii->layout, NULL);
	ii->mds_size = 0;
	atomic_set(&ii->wb_runs, 0);
	atomic_set(&ii->opens, 0);
	atomic_set(&ii->preopened, 0);
	atomic_set(&ii->late_closes, 0);
	ii->wverf = NULL;
	ii->wverf_n = 0;
	ii->no_sec_xattr = false;
	return &ii->vfs_inode;
}

/* after an RCU grace period: nobody walks the inode any more */
void tess_free_inode(struct inode *inode)
{
	struct tess_inode_info *ii = TESS_I(inode);

	kfree(rcu_dereference_protected(ii->layout, 1));
	kfree(ii->wverf);
	if (S_ISLNK(inode->i_mode))
		kfree(inode->i_link);
	kmem_cache_free(tess_inode_cachep, ii);
}

void tess_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

/* ---- layouts ---- */

struct tess_layout_info *tess_layout_decode(const void *buf, u32 len)
{
	const struct tess_layout *w = buf;
	struct tess_layout_info *lo;
	struct tess_ost_obj o;
	u32 i, n;

	if (len < sizeof(*w) || tess_layout_check(w, len))
		return ERR_PTR(-EPROTO);
	n = (len - sizeof(*w)) / sizeof(struct tess_ost_obj);
	lo = kzalloc(struct_size(lo, objs, n), GFP_NOFS);
	if (!lo)
		return ERR_PTR(-ENOMEM);
	lo->pattern = le32_to_cpu(w->pattern);
	lo->geom.stripe_size = le32_to_cpu(w->stripe_size);
	lo->geom.stripe_count = le16_to_cpu(w->stripe_count);
	lo->stripe_offset = le16_to_cpu(w->stripe_offset);
	lo->nobjs = n;
	for (i = 0; i < n; i++) {
		memcpy(&o, (const u8 *)buf + sizeof(*w) + i * sizeof(o),
		       sizeof(o));
		lo->objs[i].ost_idx = le32_to_cpu(o.ost_idx);
		lo->objs[i].oid = le64_to_cpu(o.oid);
		if (lo->objs[i].ost_idx >= TESS_MAX_OSTS) {
			kfree(lo);
			return ERR_PTR(-EPROTO);
		}
	}
	return lo;
}

static bool tess_layout_same(const struct tess_layout_info *a,
			     const struct tess_layout_info *b)
{
	u32 i;

	if (a->pattern != b->pattern ||
	    a->geom.stripe_size != b->geom.stripe_size ||
	    a->geom.stripe_count != b->geom.stripe_count ||
	    a->stripe_offset != b->stripe_offset || a->nobjs != b->nobjs)
		return false;
	for (i = 0; i < a->nobjs; i++)
		if (a->objs[i].ost_idx != b->objs[i].ost_idx ||
		    a->objs[i].oid != b->objs[i].oid)
			return false;
	return true;
}

/* install lo (owned by the inode from now on) */
void tess_set_layout(struct inode *inode, struct tess_layout_info *lo)
{
	struct tess_inode_info *ii = TESS_I(inode);
	struct tess_layout_info *old;

	spin_lock(&inode->i_lock);
	old = rcu_dereference_protected(ii->layout,
					lockdep_is_held(&inode->i_lock));
	if (old && lo && tess_layout_same(old, lo)) {
		spin_unlock(&inode->i_lock);
		kfree(lo);
		return;
	}
	rcu_assign_pointer(ii->layout, lo);
	spin_unlock(&inode->i_lock);
	if (old)
		kfree_rcu(old, rcu);
}

/* the bytes of one full stripe row of a file, 0 without a layout */
u64 tess_layout_row(struct inode *inode)
{
	struct tess_layout_info *lo;
	u64 row = 0;

	rcu_read_lock();
	lo = rcu_dereference(TESS_I(inode)->layout);
	if (lo)
		row = (u64)lo->geom.stripe_size * lo->geom.stripe_count;
	rcu_read_unlock();
	return row;
}

struct tess_layout_info *tess_layout_copy(struct inode *inode)
{
	struct tess_inode_info *ii = TESS_I(inode);
	struct tess_layout_info *lo, *copy = NULL;
	u32 n;

	for (;;) {
		rcu_read_lock();
		lo = rcu_dereference(ii->layout);
		n = lo ? lo->nobjs : 0;
		rcu_read_unlock();
		if (!lo)
			break;
		copy = kmalloc(struct_size(copy, objs, n), GFP_NOFS);
		if (!copy)
			return NULL;
		rcu_read_lock();
		lo = rcu_dereference(ii->layout);
		if (lo && lo->nobjs == n) {
			memcpy(copy, lo, struct_size(lo, objs, n));
			rcu_read_unlock();
			return copy;
		}
		rcu_read_unlock();
		kfree(copy);
		copy = NULL;
	}
	return copy;
}

/* ---- attributes ---- */

static unsigned long tess_ac_min(struct inode *inode)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);

	return S_ISDIR(inode->i_mode) ? sbi->acdirmin : sbi->acregmin;
}

static unsigned long tess_ac_max(struct inode *inode)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);

	return S_ISDIR(inode->i_mode) ? sbi->acdirmax : sbi->acregmax;
}

static struct timespec64 tess_ts(__le64 sec, __le32 nsec)
{
	struct timespec64 ts;
	u32 ns = le32_to_cpu(nsec);

	ts.tv_sec = (time64_t)le64_to_cpu(sec);
	ts.tv_nsec = ns < NSEC_PER_SEC ? ns : 0;
	return ts;
}

/* writes of this client that the MDS size does not reflect yet */
static bool tess_writes_pending(struct inode *inode)
{
	struct address_space *mapping = inode->i_mapping;

	return mapping_tagged(mapping, PAGECACHE_TAG_DIRTY) ||
	       mapping_tagged(mapping, PAGECACHE_TAG_WRITEBACK) ||
	       i_size_read(inode) > TESS_I(inode)->mds_size;
}

void tess_update_inode_flags(struct inode *inode,
			     const struct tess_inode_rep *rep, u32 rep_len,
			     unsigned int flags)
{
	struct tess_inode_info *ii = TESS_I(inode);
	const struct tess_attr *a = &rep->attr;
	struct tess_layout_info *lo = NULL;
	struct timespec64 mtime, ctime;
	u32 mode = le32_to_cpu(a->mode);
	u64 dv = le64_to_cpu(a->data_version);
	loff_t size = min_t(u64, le64_to_cpu(a->size), inode->i_sb->s_maxbytes);
	bool changed, pending = false, invalidate = false;
	u32 llen;

	if (rep_len < sizeof(*rep))
		return;
	if ((inode->i_mode ^ mode) & S_IFMT && !(flags & TESS_UPD_NEW)) {
		pr_warn_ratelimited("inode %lu changed type on the MDS\n",
				    inode->i_ino);
		return;
	}
	llen = le32_to_cpu(rep->layout_len);
	if (S_ISREG(mode) && llen && llen <= rep_len - sizeof(*rep)) {
		lo = tess_layout_decode(rep + 1, llen);
		if (IS_ERR(lo)) {
			pr_warn_ratelimited("inode %lu: bad layout from the MDS\n",
					    inode->i_ino);
			lo = NULL;
		}
	}

	mtime = tess_ts(a->mtime_sec, a->mtime_nsec);
	ctime = tess_ts(a->ctime_sec, a->ctime_nsec);

	spin_lock(&inode->i_lock);
	/*
	 * A reply older than one applied already (a GETATTR answered before
	 * our SIZE_EXTEND, applied after it): every size and data change
	 * bumps data_version on the MDS, so it shows.  Its size would cut
	 * off appends written since; drop it whole.
	 */
	if (!(flags & TESS_UPD_NEW) && dv < ii->data_version) {
		ii->no_sec_xattr = false;
		spin_unlock(&inode->i_lock);
		kfree(lo);
		return;
	}
	/* only a READDIRPLUS entry tells that there is no security.* */
	ii->no_sec_xattr = !!(flags & TESS_UPD_NOSEC);
	changed = !tess_inode_mtime_equal(inode, &mtime) ||
		  !tess_inode_ctime_equal(inode, &ctime) ||
		  ii->data_version != dv;
	/* another client may have set suid bits or security.capability */
	if (!tess_inode_ctime_equal(inode, &ctime))
		inode->i_flags &= ~S_NOSEC;
	inode->i_mode = (inode->i_mode & S_IFMT) | (mode & 07777);
	if (flags & TESS_UPD_NEW)
		inode->i_mode = mode;
	i_uid_write(inode, le32_to_cpu(a->uid));
	i_gid_write(inode, le32_to_cpu(a->gid));
	set_nlink(inode, le32_to_cpu(a->nlink));
	tess_inode_set_atime(inode, tess_ts(a->atime_sec, a->atime_nsec));
	tess_inode_set_mtime(inode, mtime);
	tess_inode_set_ctime(inode, ctime);
	inode->i_blocks = le64_to_cpu(a->blocks);
	if (S_ISREG(inode->i_mode)) {
		if (!(flags & (TESS_UPD_NEW | TESS_UPD_SIZE)))
			pending = tess_writes_pending(inode);
		/* never cut off data written here that the MDS has not seen */
		if (!pending || size >= i_size_read(inode))
			i_size_write(inode, size);
		ii->mds_size = size;
		if (!(flags & (TESS_UPD_NEW | TESS_UPD_OWN)) &&
		    ii->data_version != dv && !pending)
			invalidate = true;
	} else {
		i_size_write(inode, size);
	}
	ii->data_version = dv;
	ii->hsm_state = le32_to_cpu(a->hsm_state);
	if (changed || (flags & TESS_UPD_NEW))
		ii->attr_valid = tess_ac_min(inode);
	else
		ii->attr_valid = min(ii->attr_valid * 2, tess_ac_max(inode));
	ii->attr_time = jiffies;
	spin_unlock(&inode->i_lock);

	if (lo)
		tess_set_layout(inode, lo);
	/* another client changed the data: drop what we cached (clean only) */
	if (invalidate && inode->i_mapping->nrpages)
		invalidate_mapping_pages(inode->i_mapping, 0, -1);
}

void tess_update_inode(struct inode *inode, const struct tess_inode_rep *rep,
		       u32 rep_len)
{
	tess_update_inode_flags(inode, rep, rep_len, 0);
}

void tess_invalidate_attr(struct inode *inode)
{
	struct tess_inode_info *ii = TESS_I(inode);

	spin_lock(&inode->i_lock);
	ii->attr_valid = 0;
	ii->attr_time = jiffies - 1;
	ii->no_sec_xattr = false;
	spin_unlock(&inode->i_lock);
}

void tess_forget_no_sec_xattr(struct inode *inode)
{
	spin_lock(&inode->i_lock);
	TESS_I(inode)->no_sec_xattr = false;
	spin_unlock(&inode->i_lock);
}

bool tess_attr_fresh(struct inode *inode)
{
	struct tess_inode_info *ii = TESS_I(inode);

	return time_before(jiffies, READ_ONCE(ii->attr_time) +
			   READ_ONCE(ii->attr_valid));
}

/* GETATTR, or OPEN (@open_flags non-zero), and take the attributes */
static int tess_refresh(struct inode *inode, u32 open_flags)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_irep *ir;
	int err;

	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	if (open_flags)
		err = tess_mds_open(sbi, inode->i_ino, open_flags, ir);
	else
		err = tess_mds_getattr(sbi, inode->i_ino, ir);
	if (err == -ENOENT) {
		err = -ESTALE;
	} else if (!err) {
		if (le32_to_cpu(ir->rep.attr.gen) != inode->i_generation ||
		    ((le32_to_cpu(ir->rep.attr.mode) ^ inode->i_mode) & S_IFMT))
			err = -ESTALE;
		else
			tess_update_inode(inode, &ir->rep, ir->len);
	}
	kfree(ir);
	return err;
}

int tess_revalidate(struct inode *inode, bool force)
{
	if (!force && tess_attr_fresh(inode))
		return 0;
	return tess_refresh(inode, 0);
}

/**
 * tess_open_revalidate - OPEN on the MDS: the attributes now, and the MDS
 * keeps the file's objects while we hold it open (even once unlinked)
 * @inode: regular file
 * @flags: TESS_OPEN_READ and/or TESS_OPEN_WRITE
 *
 * Return: 0 (a tess_mds_close() must follow), or -errno (-ESTALE when
 * the inode is gone or was replaced).
 */
int tess_open_revalidate(struct inode *inode, u32 flags)
{
	return tess_refresh(inode, flags);
}

/* ---- instantiation ---- */

struct tess_iget_key {
	u64 ino;
	u32 gen;
};

static int tess_iget_test(struct inode *inode, void *data)
{
	const struct tess_iget_key *k = data;

	return inode->i_ino == k->ino && inode->i_generation == k->gen;
}

static int tess_iget_set(struct inode *inode, void *data)
{
	const struct tess_iget_key *k = data;

	inode->i_ino = k->ino;
	inode->i_generation = k->gen;
	return 0;
}

static const struct inode_operations tess_special_iops = {
	.getattr	= tess_getattr,
	.setattr	= tess_setattr,
	.listxattr	= tess_listxattr,
};

struct inode *tess_iget_flags(struct super_block *sb,
			      const struct tess_inode_rep *rep, u32 rep_len,
			      unsigned int upd_flags)
{
	struct tess_iget_key key = {
		.ino = le64_to_cpu(rep->attr.ino),
		.gen = le32_to_cpu(rep->attr.gen),
	};
	u32 mode = le32_to_cpu(rep->attr.mode);
	struct inode *inode;

	if (rep_len < sizeof(*rep) || !key.ino)
		return ERR_PTR(-EPROTO);
	inode = iget5_locked(sb, (unsigned long)key.ino, tess_iget_test,
			     tess_iget_set, &key);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW)) {
		if ((inode->i_mode ^ mode) & S_IFMT) {
			iput(inode);
			return ERR_PTR(-ESTALE);
		}
		tess_update_inode_flags(inode, rep, rep_len,
					upd_flags & TESS_UPD_NOSEC);
		return inode;
	}

	inode->i_mode = mode;
	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &tess_file_iops;
		inode->i_fop = &tess_file_fops;
		inode->i_mapping->a_ops = &tess_aops;
		break;
	case S_IFDIR:
		inode->i_op = &tess_dir_iops;
		inode->i_fop = &tess_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &tess_symlink_iops;
		inode->i_link = NULL;
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		inode->i_op = &tess_special_iops;
		init_special_inode(inode, mode,
				   new_decode_dev(le32_to_cpu(rep->attr.rdev)));
		break;
	default:
		iget_failed(inode);
		return ERR_PTR(-EPROTO);
	}
	tess_update_inode_flags(inode, rep, rep_len,
				TESS_UPD_NEW | (upd_flags & TESS_UPD_NOSEC));
	unlock_new_inode(inode);
	return inode;
}

struct inode *tess_iget(struct super_block *sb, const struct tess_inode_rep *rep,
			u32 rep_len)
{
	return tess_iget_flags(sb, rep, rep_len, 0);
}

/* ---- getattr / setattr ---- */

int tess_getattr(struct tess_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct tess_layout_info *lo;
	int err = 0;

	switch (flags & AT_STATX_SYNC_TYPE) {
	case AT_STATX_DONT_SYNC:
		break;
	case AT_STATX_FORCE_SYNC:
		err = tess_revalidate(inode, true);
		break;
	default:
		err = tess_revalidate(inode, false);
		break;
	}
	if (err)
		return err;
	tess_generic_fillattr(idmap, request_mask, inode, stat);
	if (S_ISREG(inode->i_mode)) {
		rcu_read_lock();
		lo = rcu_dereference(TESS_I(inode)->layout);
		if (lo && lo->geom.stripe_size)
			stat->blksize = lo->geom.stripe_size;
		rcu_read_unlock();
	}
	return 0;
}

static void tess_set_time(struct tess_setattr_req *req, u32 *valid,
			  const struct iattr *attr, bool mtime)
{
	unsigned int set = mtime ? ATTR_MTIME_SET : ATTR_ATIME_SET;
	const struct timespec64 *ts = mtime ? &attr->ia_mtime : &attr->ia_atime;

	if (!(attr->ia_valid & set)) {
		*valid |= mtime ? TESS_SA_MTIME_NOW : TESS_SA_ATIME_NOW;
		return;
	}
	if (mtime) {
		*valid |= TESS_SA_MTIME;
		req->mtime_sec = cpu_to_le64(ts->tv_sec);
		req->mtime_nsec = cpu_to_le32(ts->tv_nsec);
	} else {
		*valid |= TESS_SA_ATIME;
		req->atime_sec = cpu_to_le64(ts->tv_sec);
		req->atime_nsec = cpu_to_le32(ts->tv_nsec);
	}
}

/*
 * A size set above the one the MDS has exposes data this client wrote:
 * as for close and fsync (file.c), that data is made stable first (ext4's
 * data=ordered), or an OST power cut leaves the new size over zeros.  An
 * OST that lost writes it acknowledged: -EIO, the cached size back to the
 * MDS's, no SETATTR.  Called with i_rwsem held.
 */
static int tess_setattr_sync_data(struct inode *inode, loff_t size)
{
	loff_t keep = READ_ONCE(TESS_I(inode)->mds_size);
	bool lost = false;
	int err;

	if (size <= keep || !tess_has_unstable(inode))
		return 0;
	err = tess_sync_objects(inode, false, &lost);
	if (lost && i_size_read(inode) > keep)
		truncate_setsize(inode, keep);
	return err;
}

int tess_setattr(struct tess_idmap *idmap, struct dentry *dentry,
		 struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	unsigned int ia = attr->ia_valid;
	struct tess_setattr_req req;
	struct tess_irep *ir;
	loff_t old_size = 0;
	u32 valid = 0;
	int err;

	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;

	memset(&req, 0, sizeof(req));
	req.ino = cpu_to_le64(inode->i_ino);
	if (ia & ATTR_MODE) {
		valid |= TESS_SA_MODE;
		req.mode = cpu_to_le32(attr->ia_mode & 07777);
	}
	if (ia & ATTR_UID) {
		kuid_t uid = from_vfsuid(idmap, i_user_ns(inode),
					 attr->ia_vfsuid);

		valid |= TESS_SA_UID;
		req.uid = cpu_to_le32(from_kuid(&init_user_ns, uid));
	}
	if (ia & ATTR_GID) {
		kgid_t gid = from_vfsgid(idmap, i_user_ns(inode),
					 attr->ia_vfsgid);

		valid |= TESS_SA_GID;
		req.gid = cpu_to_le32(from_kgid(&init_user_ns, gid));
	}
	if (ia & ATTR_ATIME)
		tess_set_time(&req, &valid, attr, false);
	if (ia & ATTR_MTIME)
		tess_set_time(&req, &valid, attr, true);

	if (ia & ATTR_SIZE) {
		if (!S_ISREG(inode->i_mode))
			return S_ISDIR(inode->i_mode) ? -EISDIR : -EINVAL;
		valid |= TESS_SA_SIZE;
		req.size = cpu_to_le64(attr->ia_size);
		/* no writeback may put old bytes back behind the punch */
		err = tess_write_and_wait(inode, 0, LLONG_MAX);
		if (!err)
			err = filemap_write_and_wait(inode->i_mapping);
		if (!err)
			err = tess_setattr_sync_data(inode, attr->ia_size);
		if (err)
			return err;
		/*
		 * Truncate up: what the objects hold past the old size (a
		 * writer that died before it extended the size, a punch the
		 * OST lost) is cut first, stable on the OSTs, so that the
		 * new range reads as zeros.
		 */
		old_size = i_size_read(inode);
		if (attr->ia_size > old_size) {
			err = tess_truncate_objects(inode, old_size,
						    TESS_IO_SYNC);
			if (err)
				return err;
		}
	}
	if (!valid)
		return 0;

	/*
	 * Truncate: the size on the MDS first, then the objects.  A failed
	 * SETATTR changes nothing.  Down, the punch is stable on the OSTs
	 * before truncate returns; should it fail (soft mount, umount -f)
	 * or be lost (a power cut before it), the bytes past the new size
	 * are hidden by it, and the MDS, which recorded the truncate with
	 * the size, cuts them once the file is closed everywhere (store.h:
	 * trims).  The other order left the old size over punched data.
	 */
	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	req.valid = cpu_to_le32(valid);
	/*
	 * A size extend whose size was taken before this truncate must not
	 * reach the MDS after it (tess_file_flush_size): it would put the
	 * old size back over bytes the file no longer has.
	 */
	if (ia & ATTR_SIZE) {
		/*
		 * Killable: its holder may wait for the MDS for ever on a
		 * hard mount (a size extend, or size_work after a killed
		 * writer).
		 */
		if (mutex_lock_killable(&TESS_I(inode)->io_lock)) {
			err = -EINTR;
			goto out;
		}
		WRITE_ONCE(TESS_I(inode)->trunc_seq,
			   TESS_I(inode)->trunc_seq + 1);
	}
	err = tess_mds_setattr(sbi, &req, ir);
	if (err) {
		if (ia & ATTR_SIZE)
			mutex_unlock(&TESS_I(inode)->io_lock);
		tess_invalidate_attr(inode);
		goto out;
	}
	if (ia & ATTR_SIZE) {
		truncate_setsize(inode, attr->ia_size);
		mutex_unlock(&TESS_I(inode)->io_lock);
		err = tess_truncate_objects(inode, attr->ia_size,
					    attr->ia_size > old_size ?
					    0 : TESS_IO_SYNC);
		if (err)
			pr_warn_ratelimited("%s: truncate of ino %lu to %lld: size set, objects not punched: %d\n",
					    sbi->source, inode->i_ino,
					    attr->ia_size, err);
	}
	tess_update_inode_flags(inode, &ir->rep, ir->len,
				(ia & ATTR_SIZE) ? TESS_UPD_SIZE : 0);
out:
	kfree(ir);
	return err;
}

/* ---- symlinks ---- */

static const char *tess_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	char *link, *old;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	link = tess_mds_readlink(TESS_SB(inode->i_sb), inode->i_ino);
	if (IS_ERR(link))
		return link;
	/* a symlink never changes: keep the first target read (freed with the inode) */
	old = cmpxchg(&inode->i_link, NULL, link);
	if (old) {
		kfree(link);
		link = old;
	}
	return link;
}

const struct inode_operations tess_symlink_iops = {
	.get_link	= tess_get_link,
	.getattr	= tess_getattr,
	.setattr	= tess_setattr,
	.listxattr	= tess_listxattr,
};
