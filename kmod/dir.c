// SPDX-License-Identifier: GPL-2.0
/*
 * dir.c - Tessera directories: lookup, the namespace operations, readdir
 * and dentry revalidation.
 *
 * Every operation is one MDS request.  A dentry remembers when the MDS
 * last confirmed it (d_time); within acdirmin it is trusted, after that
 * d_revalidate looks the name up again, so a rename or unlink made by
 * another client is seen at the latest acdirmin later (at once with
 * acdirmin=0).  Negative dentries are cached the same way.
 *
 * Readdir positions are the MDS cookies: ctx->pos is the cookie of the
 * last entry handed to the caller ("." is 1 and ".." is 2), and the next
 * READDIR asks for the entries after it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/cred.h>
#include <linux/compat.h>
#include <linux/dcache.h>
#include <linux/stringhash.h>
#include <linux/wait.h>

#include "tess_fs.h"

#define TESS_READDIR_BUF	(32 * 1024)

static void tess_dentry_verified(struct dentry *dentry)
{
	dentry->d_time = jiffies;
}

static bool tess_dentry_fresh(struct dentry *dentry)
{
	struct tess_sb_info *sbi = TESS_SB(dentry->d_sb);

	return time_before(jiffies, READ_ONCE(dentry->d_time) + sbi->acdirmin);
}

/* ---- lookup ---- */

static struct dentry *tess_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	struct tess_sb_info *sbi = TESS_SB(dir->i_sb);
	struct inode *inode = NULL;
	struct tess_irep *ir;
	int err;

	if (dentry->d_name.len > TESS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	ir = tess_irep_alloc();
	if (!ir)
		return ERR_PTR(-ENOMEM);
	err = tess_mds_lookup(sbi, dir->i_ino, &dentry->d_name, ir);
	if (!err)
		inode = tess_iget(dir->i_sb, &ir->rep, ir->len);
	else if (err != -ENOENT)
		inode = ERR_PTR(err);
	kfree(ir);
	tess_dentry_verified(dentry);
	return d_splice_alias(inode, dentry);
}

static int tess_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct tess_sb_info *sbi = TESS_SB(dentry->d_sb);
	struct dentry *parent;
	struct tess_irep *ir;
	struct inode *inode;
	int err, ret;

	if (IS_ROOT(dentry))
		return 1;
	/*
	 * The name -> inode binding is trusted for acdirmin; the inode's own
	 * attributes have their own cache time (tess_revalidate).  A retry
	 * after ESTALE (LOOKUP_REVAL) always asks the MDS.
	 */
	if (!(flags & LOOKUP_REVAL) && tess_dentry_fresh(dentry))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;

	inode = d_inode(dentry);
	/*
	 * A negative dentry about to be created (open(O_CREAT), mkdir, ...)
	 * needs no LOOKUP: the CREATE says EEXIST if another client made
	 * the name, and tess_atomic_open then looks it up (as NFS does).
	 */
	if (!inode && (flags & LOOKUP_CREATE) && !(flags & LOOKUP_REVAL))
		return 1;

	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	parent = dget_parent(dentry);
	err = tess_mds_lookup(sbi, d_inode(parent)->i_ino, &dentry->d_name, ir);
	dput(parent);
	if (err == -ENOENT) {
		/* gone: a negative dentry stays right, a positive one not */
		ret = inode ? 0 : 1;
	} else if (err) {
		ret = err;
	} else if (!inode) {
		ret = 0;		/* created by someone else */
	} else if (le64_to_cpu(ir->rep.attr.ino) != inode->i_ino ||
		   le32_to_cpu(ir->rep.attr.gen) != inode->i_generation ||
		   ((le32_to_cpu(ir->rep.attr.mode) ^ inode->i_mode) & S_IFMT)) {
		ret = 0;		/* the name now means another inode */
	} else {
		tess_update_inode(inode, &ir->rep, ir->len);
		ret = 1;
	}
	kfree(ir);
	if (ret == 1)
		tess_dentry_verified(dentry);
	return ret;
}

const struct dentry_operations tess_dentry_ops = {
	.d_revalidate	= tess_d_revalidate,
};

/* ---- creating ---- */

static kgid_t tess_new_gid(struct inode *dir, umode_t *mode)
{
	if (dir->i_mode & S_ISGID) {
		if (S_ISDIR(*mode))
			*mode |= S_ISGID;
		return dir->i_gid;
	}
	return current_fsgid();
}

static int tess_instantiate(struct inode *dir, struct dentry *dentry,
			    struct tess_irep *ir)
{
	struct inode *inode;

	inode = tess_iget(dir->i_sb, &ir->rep, ir->len);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate(dentry, inode);
	tess_dentry_verified(dentry);
	return 0;
}

static int tess_do_create(struct inode *dir, struct dentry *dentry, u16 op,
			  umode_t mode, dev_t rdev, u32 flags)
{
	struct tess_sb_info *sbi = TESS_SB(dir->i_sb);
	struct tess_irep *ir;
	kgid_t gid;
	int err;

	if (dentry->d_name.len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	gid = tess_new_gid(dir, &mode);
	err = tess_mds_create(sbi, op, dir->i_ino, &dentry->d_name, mode,
			      current_fsuid(), gid, rdev, flags, ir);
	if (!err && op == TESS_OP_MKDIR &&
	    !S_ISDIR(le32_to_cpu(ir->rep.attr.mode)))
		err = -EPROTO;
	if (!err)
		err = tess_instantiate(dir, dentry, ir);
	else if (err == -EEXIST)
		d_drop(dentry);		/* our negative dentry was stale */
	kfree(ir);
	tess_invalidate_attr(dir);
	return err;
}

static int tess_create(struct tess_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, bool excl)
{
	return tess_do_create(dir, dentry, TESS_OP_CREATE, S_IFREG | mode, 0,
			      excl ? TESS_CREATE_EXCL : 0);
}

/*
 * ->atomic_open (issue #11): an open(O_CREAT) of a name the dcache does
 * not hold (or holds negative) sends the CREATE at once, not a LOOKUP
 * first, as fs/nfs and fs/fuse do.  The VFS has applied the umask and,
 * for a create, checked write and search permission on the directory
 * (may_o_create); without that permission it calls us without O_CREAT.
 * A created file is opened through finish_open() and tess_file_open(),
 * with FMODE_CREATED set so that the VFS checks no access and truncates
 * nothing: an MDS that agreed TESS_FEAT_CREATE_OPEN opened it with the
 * CREATE (one request), any other gets an OPEN with TESS_OPEN_CREATED.
 * The CREATE is always exclusive; on EEXIST without O_EXCL the existing
 * file is looked up and left to the VFS's own open
 * (finish_no_open), which checks access and does O_TRUNC as for any open
 * of an existing file.  Positive dentries do not get here on 6.1 and
 * 6.12 (lookup_open() leaves them to f_op->open; should one come, it is
 * left to it too); the signatures of ->atomic_open, finish_open and
 * finish_no_open are the same in both, so compat.h has nothing for them.
 *
 * The directory is locked exclusively when O_CREAT is set, shared
 * otherwise; the dentry is either in lookup (d_in_lookup) or a hashed
 * negative one.
 */

/* 0 if the negative @dentry is right; -EOPENSTALE (dropped) if not */
static int tess_negative_still(struct inode *dir, struct dentry *dentry)
{
	struct tess_irep *ir;
	int err;

	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	err = tess_mds_lookup(TESS_SB(dir->i_sb), dir->i_ino, &dentry->d_name,
			      ir);
	kfree(ir);
	if (err == -ENOENT) {
		tess_dentry_verified(dentry);
		return 0;
	}
	if (!err) {
		d_drop(dentry);
		return -EOPENSTALE;
	}
	return err;
}

/* look the name up again after a CREATE found it: finish_no_open */
static int tess_atomic_open_existing(struct inode *dir, struct dentry *dentry,
				     struct file *file)
{
	struct dentry *res;

	if (!d_in_lookup(dentry))
		d_drop(dentry);	/* exclusive dir lock: nobody re-adds it */
	res = tess_lookup(dir, dentry, 0);
	if (IS_ERR(res))
		return PTR_ERR(res);
	if (!res && d_really_is_negative(dentry))
		return -EOPENSTALE;	/* unlinked meanwhile: try again */
	return finish_no_open(file, res);
}

static int tess_atomic_open(struct inode *dir, struct dentry *dentry,
			    struct file *file, unsigned int open_flags,
			    umode_t mode)
{
	struct tess_sb_info *sbi = TESS_SB(dir->i_sb);
	struct dentry *res = NULL;
	struct tess_irep *ir;
	struct inode *inode;
	bool create_open;
	u32 oflags = 0;
	kgid_t gid;
	u64 ino;
	int err;

	if (d_really_is_positive(dentry))
		return finish_no_open(file, NULL);	/* f_op->open does it */
	if (dentry->d_name.len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!(open_flags & O_CREAT)) {
		if (d_in_lookup(dentry)) {
			res = tess_lookup(dir, dentry, 0);
			if (IS_ERR(res))
				return PTR_ERR(res);
		} else if (file->f_flags & O_CREAT) {
			/*
			 * An O_CREAT open the VFS refused to create for
			 * (may_o_create), on a negative dentry d_revalidate
			 * passed unasked: if the name exists after all, open
			 * it on a retry (a new dentry, looked up).
			 */
			err = tess_negative_still(dir, dentry);
			if (err)
				return err;
		}
		return finish_no_open(file, res);
	}

	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	mode = S_IFREG | (mode & S_IALLUGO);
	gid = tess_new_gid(dir, &mode);
	/*
	 * Always exclusive: without it the MDS answers a CREATE of an
	 * existing regular file with that file, and FMODE_CREATED would
	 * then skip the access check and O_TRUNC of a file we did not make.
	 * An MDS that agreed TESS_FEAT_CREATE_OPEN opens the file it made
	 * in the same request (one RPC, as NFSv4's OPEN with create):
	 * tess_file_open takes that open over (preopened) instead of
	 * sending an OPEN; any other MDS gets the CREATE, then the OPEN.
	 */
	create_open = tnet_client_features(sbi->mds) & TESS_FEAT_CREATE_OPEN;
	if (create_open) {
		tess_file_open_flags(sbi, file, &oflags);
		err = tess_mds_create_open(sbi, dir->i_ino, &dentry->d_name,
					   mode, current_fsuid(), gid,
					   TESS_CREATE_EXCL, oflags, ir);
	} else {
		err = tess_mds_create(sbi, TESS_OP_CREATE, dir->i_ino,
				      &dentry->d_name, mode, current_fsuid(),
				      gid, 0, TESS_CREATE_EXCL, ir);
	}
	tess_invalidate_attr(dir);
	if (err == -EEXIST) {
		kfree(ir);
		if (open_flags & O_EXCL) {
			if (!d_in_lookup(dentry))
				d_drop(dentry);	/* our negative was stale */
			return -EEXIST;
		}
		return tess_atomic_open_existing(dir, dentry, file);
	}
	if (err) {
		kfree(ir);
		return err;
	}
	/* from here on, a counted open that does not reach a file is closed */
	ino = le64_to_cpu(ir->rep.attr.ino);
	if (!S_ISREG(le32_to_cpu(ir->rep.attr.mode)))
		inode = ERR_PTR(-EPROTO);
	else
		inode = tess_iget(dir->i_sb, &ir->rep, ir->len);
	kfree(ir);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out_close;
	}
	if (d_in_lookup(dentry)) {
		res = d_splice_alias(inode, dentry);
		if (IS_ERR(res)) {
			err = PTR_ERR(res);
			goto out_close;
		}
		if (res)
			dentry = res;
	} else {
		d_instantiate(dentry, inode);
	}
	tess_dentry_verified(dentry);
	file->f_mode |= FMODE_CREATED;
	inode = d_inode(dentry);
	if (create_open)
		atomic_inc(&TESS_I(inode)->preopened);
	err = finish_open(file, dentry, NULL);	/* tess_file_open */
	/* finish_open failed before tess_file_open took the open over */
	if (create_open && atomic_add_unless(&TESS_I(inode)->preopened, -1, 0))
		tess_mds_close(sbi, inode->i_ino, oflags);
	dput(res);
	return err;

out_close:
	if (create_open)
		tess_mds_close(sbi, ino, oflags);
	return err;
}

static int tess_mknod(struct tess_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, dev_t rdev)
{
	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return -EINVAL;
	}
	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		rdev = 0;
	return tess_do_create(dir, dentry, TESS_OP_CREATE, mode, rdev,
			      TESS_CREATE_EXCL);
}

static int tess_mkdir(struct tess_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode)
{
	return tess_do_create(dir, dentry, TESS_OP_MKDIR, S_IFDIR | mode, 0, 0);
}

static int tess_symlink(struct tess_idmap *idmap, struct inode *dir,
			struct dentry *dentry, const char *target)
{
	struct tess_sb_info *sbi = TESS_SB(dir->i_sb);
	struct tess_irep *ir;
	umode_t mode = S_IFLNK;
	struct inode *inode;
	char *link;
	int err;

	if (dentry->d_name.len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	if (strlen(target) > TESS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	err = tess_mds_symlink(sbi, dir->i_ino, &dentry->d_name, target,
			       current_fsuid(), tess_new_gid(dir, &mode), ir);
	if (!err && !S_ISLNK(le32_to_cpu(ir->rep.attr.mode)))
		err = -EPROTO;
	if (err) {
		if (err == -EEXIST)
			d_drop(dentry);
		goto out;
	}
	inode = tess_iget(dir->i_sb, &ir->rep, ir->len);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out;
	}
	/* we know the target: cache it now */
	link = kstrdup(target, GFP_KERNEL);
	if (link && cmpxchg(&inode->i_link, NULL, link))
		kfree(link);
	d_instantiate(dentry, inode);
	tess_dentry_verified(dentry);
out:
	kfree(ir);
	tess_invalidate_attr(dir);
	return err;
}

static int tess_link(struct dentry *old_dentry, struct inode *dir,
		     struct dentry *dentry)
{
	struct tess_sb_info *sbi = TESS_SB(dir->i_sb);
	struct inode *inode = d_inode(old_dentry);
	struct tess_irep *ir;
	int err;

	if (dentry->d_name.len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	err = tess_mds_link(sbi, inode->i_ino, dir->i_ino, &dentry->d_name, ir);
	if (!err && le64_to_cpu(ir->rep.attr.ino) != inode->i_ino)
		err = -EPROTO;
	if (!err) {
		tess_update_inode(inode, &ir->rep, ir->len);
		ihold(inode);
		d_instantiate(dentry, inode);
		tess_dentry_verified(dentry);
	} else if (err == -EEXIST) {
		d_drop(dentry);
	} else if (err == -ENOENT) {
		d_drop(old_dentry);
	}
	kfree(ir);
	tess_invalidate_attr(dir);
	return err;
}

/* ---- removing ---- */

static int tess_unlink(struct inode *dir, struct dentry *dentry)
{
	struct tess_sb_info *sbi = TESS_SB(dir->i_sb);
	struct inode *inode = d_inode(dentry);
	int err;

	err = tess_mds_unlink(sbi, TESS_OP_UNLINK, dir->i_ino, &dentry->d_name);
	if (!err) {
		if (inode->i_nlink)
			drop_nlink(inode);
		tess_inode_set_ctime_current(inode);
		tess_invalidate_attr(inode);
	} else if (err == -ENOENT) {
		d_drop(dentry);
	}
	tess_invalidate_attr(dir);
	return err;
}

static int tess_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct tess_sb_info *sbi = TESS_SB(dir->i_sb);
	struct inode *inode = d_inode(dentry);
	int err;

	err = tess_mds_unlink(sbi, TESS_OP_RMDIR, dir->i_ino, &dentry->d_name);
	if (!err) {
		clear_nlink(inode);
		if (dir->i_nlink > 2)
			drop_nlink(dir);
	} else if (err == -ENOENT) {
		d_drop(dentry);
	}
	tess_invalidate_attr(dir);
	return err;
}

static int tess_rename(struct tess_idmap *idmap,
		       struct inode *old_dir, struct dentry *old_dentry,
		       struct inode *new_dir, struct dentry *new_dentry,
		       unsigned int flags)
{
	struct tess_sb_info *sbi = TESS_SB(old_dir->i_sb);
	struct inode *target = d_inode(new_dentry);
	u32 tflags = 0;
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;		/* RENAME_EXCHANGE, RENAME_WHITEOUT */
	if (flags & RENAME_NOREPLACE)
		tflags |= TESS_RENAME_NOREPLACE;
	if (new_dentry->d_name.len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	err = tess_mds_rename(sbi, old_dir->i_ino, &old_dentry->d_name,
			      new_dir->i_ino, &new_dentry->d_name, tflags);
	if (!err) {
		if (target) {
			if (S_ISDIR(target->i_mode))
				clear_nlink(target);
			else if (target->i_nlink)
				drop_nlink(target);
			tess_invalidate_attr(target);
		}
		tess_invalidate_attr(d_inode(old_dentry));
		tess_dentry_verified(old_dentry);
	} else if (err == -ENOENT) {
		d_drop(old_dentry);
	} else if (err == -EEXIST && !target) {
		d_drop(new_dentry);
	}
	tess_invalidate_attr(old_dir);
	if (new_dir != old_dir)
		tess_invalidate_attr(new_dir);
	return err;
}

/* ---- readdir ---- */

/* READDIRPLUS entries are 104 bytes longer: more of them per request */
#define TESS_READDIR_PLUS_BUF	(96 * 1024)
static_assert(TESS_READDIR_PLUS_BUF <= TESS_MAX_BODY);

/* a DT_* the entry says and the type of the mode it carries agree */
static bool tess_dplus_type_ok(u32 mode, u32 dtype)
{
	return tess_mode_ok(mode) && S_DT(mode) == dtype;
}

/*
 * READDIRPLUS: a name the dcache has no dentry for gets one now, bound to
 * the inode made (or, if cached, refreshed) from the entry's attributes,
 * as a LOOKUP would have done, so that the lstat(2) and getxattr(2) of
 * `ls -l` that follow need no MDS request.  The way of fs/nfs/dir.c's
 * nfs_prime_dcache: the name is claimed with d_alloc_parallel (the
 * directory is locked shared, as for a lookup), instantiated by
 * d_splice_alias, and marked verified as tess_lookup does.  Best effort:
 * an entry that does not hold together, a name being looked up at the
 * same time, an error, leave the name to a later LOOKUP; readdir goes on.
 */
static void tess_prime_dcache(struct dentry *parent, const char *name,
			      u32 nlen, const struct tess_dirent *d,
			      const struct tess_dirent_plus *p)
{
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq);
	struct tess_inode_rep rep = {};
	struct qstr q = QSTR_INIT(name, nlen);
	struct dentry *dentry, *alias;
	struct inode *inode;
	u64 ino = le64_to_cpu(d->ino);
	u32 mode = le32_to_cpu(p->attr.mode);
	unsigned int upd = 0;

	if (!ino || le64_to_cpu(p->attr.ino) != ino ||
	    !tess_dplus_type_ok(mode, le32_to_cpu(d->type)))
		return;
	if (name[0] == '.' && (nlen == 1 || (nlen == 2 && name[1] == '.')))
		return;
	q.hash = full_name_hash(parent, name, nlen);
	dentry = d_lookup(parent, &q);
	if (dentry) {
		dput(dentry);		/* d_revalidate keeps it right */
		return;
	}
	dentry = d_alloc_parallel(parent, &q, &wq);
	if (IS_ERR(dentry))
		return;
	if (!d_in_lookup(dentry)) {
		dput(dentry);		/* a lookup made it meanwhile */
		return;
	}
	rep.attr = p->attr;
	if (!(le32_to_cpu(p->xflags) & TESS_DPLUS_SEC))
		upd = TESS_UPD_NOSEC;
	inode = tess_iget_flags(parent->d_sb, &rep, sizeof(rep), upd);
	if (IS_ERR(inode)) {
		d_lookup_done(dentry);
		dput(dentry);
		return;
	}
	tess_dentry_verified(dentry);
	alias = d_splice_alias(inode, dentry);
	d_lookup_done(dentry);
	if (IS_ERR(alias)) {
		dput(dentry);
		return;
	}
	if (alias) {
		dput(dentry);
		dentry = alias;
		tess_dentry_verified(dentry);
	}
	dput(dentry);
}

static int tess_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	const struct tess_readdir_rep *rr;
	struct tess_cursor cur;
	u32 len, count, i, flags = 0, cap = TESS_READDIR_BUF;
	bool eof, plus;
	void *buf;
	int err = 0;

	if (ctx->pos < 0)
		return -EINVAL;
	if (tnet_client_features(sbi->mds) & TESS_FEAT_READDIRPLUS) {
		flags = TESS_READDIR_PLUS;
		cap = TESS_READDIR_PLUS_BUF;
	}
	buf = kvmalloc(cap, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		err = tess_mds_readdir(sbi, inode->i_ino, ctx->pos, flags, buf,
				       cap, &len);
		if (err)
			break;
		tess_cursor_init(&cur, buf, len);
		rr = tess_pull(&cur, sizeof(*rr));
		if (!rr) {
			err = -EPROTO;
			break;
		}
		count = le32_to_cpu(rr->count);
		eof = le32_to_cpu(rr->eof) & TESS_READDIR_EOF;
		plus = le32_to_cpu(rr->eof) & TESS_READDIR_PLUS;
		/* attributes we did not ask for: not what we asked */
		if (plus && !(flags & TESS_READDIR_PLUS)) {
			err = -EPROTO;
			break;
		}
		for (i = 0; i < count; i++) {
			const struct tess_dirent *d = tess_pull(&cur, sizeof(*d));
			const struct tess_dirent_plus *p = NULL;
			const char *name;
			u32 nlen;
			u64 cookie;

			if (!d) {
				err = -EPROTO;
				goto out;
			}
			nlen = le32_to_cpu(d->name_len);
			cookie = le64_to_cpu(d->cookie);
			if (!nlen || nlen > TESS_NAME_MAX) {
				err = -EPROTO;
				goto out;
			}
			name = tess_pull(&cur, TESS_DIRENT_BYTES(nlen) - sizeof(*d));
			if (name && plus) {
				p = tess_pull(&cur, sizeof(*p));
				if (!p)
					name = NULL;
			}
			/* cookies only grow: a server cannot make us loop */
			if (!name || cookie <= (u64)ctx->pos || cookie > S64_MAX) {
				err = -EPROTO;
				goto out;
			}
			if (p)
				tess_prime_dcache(file->f_path.dentry, name,
						  nlen, d, p);
			if (!dir_emit(ctx, name, nlen, le64_to_cpu(d->ino),
				      le32_to_cpu(d->type) & 15))
				goto out;
			ctx->pos = cookie;
		}
		if (eof || !count)
			break;
	}
out:
	if (err == -EPROTO)
		pr_warn_ratelimited("%s: bad READDIR reply for dir %lu\n",
				    sbi->source, inode->i_ino);
	kvfree(buf);
	return err;
}

const struct file_operations tess_dir_fops = {
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= tess_readdir,
	.unlocked_ioctl	= tess_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.fsync		= noop_fsync,
};

const struct inode_operations tess_dir_iops = {
	.lookup		= tess_lookup,
	.create		= tess_create,
	.atomic_open	= tess_atomic_open,
	.link		= tess_link,
	.unlink		= tess_unlink,
	.symlink	= tess_symlink,
	.mkdir		= tess_mkdir,
	.rmdir		= tess_rmdir,
	.mknod		= tess_mknod,
	.rename		= tess_rename,
	.getattr	= tess_getattr,
	.setattr	= tess_setattr,
	.listxattr	= tess_listxattr,
};
