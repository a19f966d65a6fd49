// SPDX-License-Identifier: GPL-2.0
/*
 * file.c - Tessera regular files: open/close consistency, read/write,
 * O_DIRECT, fsync, mmap.
 *
 * Consistency is close-to-open, as in NFS: open sends OPEN to the MDS,
 * which answers with the attributes and keeps the file's objects while
 * any client holds it open (an unlinked open file stays readable and
 * writable until its last close, which sends CLOSE); open drops cached
 * pages if the file's data_version moved since they were read; close (and fsync) writes the dirty pages to the
 * OSTs and then tells the MDS about the new size and mtime with a
 * SETATTR TESS_SA_SIZE_EXTEND (the MDS keeps the larger of its size and
 * ours, so concurrent appenders never shrink a file).  fsync, and a close
 * that grew the file, first make the written objects stable (OBJ_SYNC,
 * checking the OSTs' write verifiers, osc.c): the MDS size never covers
 * data an OST crash could take, and data an OST restart took is EIO.
 *
 * Data moves in addr.c (page cache, O_DIRECT) and osc.c (object RPCs).
 *
 * Locks are not distributed yet: fcntl and flock locks fail with ENOLCK,
 * unless the mount has localflock, which makes them local to this client
 * (as Lustre's localflock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/xattr.h>

#include "tess_fs.h"

/* file->private_data of a regular file */
struct tess_file_info {
	unsigned long flags;
	u32 open_flags;			/* TESS_OPEN_* sent in OPEN */
};

#define TESS_FI_WRITTEN		0	/* data changed since the last flush */
#define TESS_FI_RA		1	/* tess_file_set_ra done */

static void tess_file_written(struct file *file)
{
	struct tess_file_info *fi = file->private_data;

	if (fi && !test_bit(TESS_FI_WRITTEN, &fi->flags))
		set_bit(TESS_FI_WRITTEN, &fi->flags);
}

/*
 * The readahead window of a file: two full stripe rows, so that every
 * object of a row has an RPC in flight and the next row is on its way
 * while this one is read (TESS_RA_MIN..TESS_RA_MAX); rasize= instead if
 * given.  Set at the first read, as do_dentry_open() resets f_ra after
 * ->open; left alone if fadvise changed it already.
 */
static void tess_file_set_ra(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_file_info *fi = file->private_data;
	u64 ra = sbi->rasize, row = 0;

	if (!fi || test_bit(TESS_FI_RA, &fi->flags))
		return;
	if (ra == TESS_RASIZE_AUTO) {
		row = tess_layout_row(inode);
		if (!row)
			return;		/* no layout yet: the next read */
		ra = clamp_t(u64, 2 * row, TESS_RA_MIN, TESS_RA_MAX);
	}
	spin_lock(&file->f_lock);
	if (file->f_ra.ra_pages == inode->i_sb->s_bdi->ra_pages)
		file->f_ra.ra_pages = ra >> PAGE_SHIFT;
	spin_unlock(&file->f_lock);
	set_bit(TESS_FI_RA, &fi->flags);
}

/**
 * tess_file_open_flags - the TESS_OPEN_* of an open of @file
 * @sbi: the mount
 * @file: being opened (f_mode and f_flags set; not yet f_inode in
 *	->atomic_open)
 * @sent: what its OPEN carries
 *
 * Return: the flags its CLOSE carries.  The open of a file this open(2)
 * created gets the access it asks for whatever the new mode (the VFS
 * checked none): the MDS, which checks our caller's credentials, must
 * know (only one that agreed TESS_FEAT_CRED knows the flag; the CLOSE
 * does not need it).
 */
u32 tess_file_open_flags(struct tess_sb_info *sbi, struct file *file, u32 *sent)
{
	u32 oflags = 0;

	if (file->f_mode & FMODE_READ)
		oflags |= TESS_OPEN_READ;
	if (file->f_mode & FMODE_WRITE)
		oflags |= TESS_OPEN_WRITE;
	if (!oflags)
		oflags = TESS_OPEN_READ;
	*sent = oflags;
	if (tnet_client_features(sbi->mds) & TESS_FEAT_CRED) {
		/* execve(2) needs execute permission, not read */
		if (file->f_flags & __FMODE_EXEC)
			oflags |= TESS_OPEN_EXEC;
		*sent = oflags;
		if (file->f_mode & FMODE_CREATED)
			*sent |= TESS_OPEN_CREATED;
	}
	return oflags;
}

static int tess_file_open(struct inode *inode, struct file *file)
{
	struct tess_inode_info *ti = TESS_I(inode);
	struct address_space *mapping = inode->i_mapping;
	struct tess_file_info *fi;
	u32 oflags;
	u64 dv;
	int err;

	err = generic_file_open(inode, file);
	if (err)
		return err;
	fi = kzalloc(sizeof(*fi), GFP_KERNEL);
	if (!fi)
		return -ENOMEM;
	fi->open_flags = tess_file_open_flags(TESS_SB(inode->i_sb), file,
					      &oflags);
	/*
	 * close-to-open: the MDS's size, mtime and data_version now, from an
	 * OPEN; or the open of the file tess_atomic_open created, which the
	 * CREATE_OPEN counted on the MDS (its reply set the attributes).
	 */
	if ((file->f_mode & FMODE_CREATED) &&
	    atomic_add_unless(&ti->preopened, -1, 0))
		err = 0;
	else
		err = tess_open_revalidate(inode, oflags);
	if (err) {
		kfree(fi);
		return err;
	}
	dv = READ_ONCE(ti->data_version);
	if (mapping->nrpages && READ_ONCE(ti->cache_version) != dv) {
		/*
		 * Changed elsewhere since we cached it: drop even mapped
		 * pages.  A write error stays in the mapping for its writer;
		 * a page that cannot go (-EBUSY) is left as NFS does.
		 */
		if (!tess_write_and_wait(inode, 0, LLONG_MAX))
			filemap_write_and_wait(mapping);
		invalidate_inode_pages2(mapping);
	}
	WRITE_ONCE(ti->cache_version, dv);

	file->private_data = fi;
	atomic_inc(&ti->opens);
	return 0;
}

/*
 * OBJ_SYNC of every object (all: fsync) or of those written since their
 * last sync (close).  When an OST lost writes it had acknowledged (it
 * restarted: osc.c), -EIO; the size those writes made is dropped here
 * too, so that no later close puts it on the MDS over bytes that are not
 * there.
 */
static int tess_file_sync_data(struct inode *inode, bool all)
{
	bool lost;
	int err = tess_sync_objects(inode, all, &lost);

	if (lost) {
		loff_t keep = READ_ONCE(TESS_I(inode)->mds_size);

		inode_lock(inode);
		if (i_size_read(inode) > keep)
			truncate_setsize(inode, keep);
		inode_unlock(inode);
	}
	return err;
}

/*
 * After the dirty pages went to the OSTs: the size and mtime to the MDS
 * when this file grew or was written through.  A size that grows goes
 * only after the data under it is stable (as ext4's data=ordered): the
 * objects written since their last sync are synced first, and if that
 * fails, the MDS keeps the old size.  @size is i_size from before the
 * writeback: a page another writer dirtied since is not on the OSTs, and
 * a size read now would cover it.
 */
static int tess_file_flush_size(struct file *file, loff_t size, u32 seq)
{
	struct inode *inode = file_inode(file);
	struct tess_inode_info *ti = TESS_I(inode);
	struct tess_file_info *fi = file->private_data;
	bool written = fi && test_and_clear_bit(TESS_FI_WRITTEN, &fi->flags);
	u64 dv;
	int err;

	size = min_t(loff_t, size, i_size_read(inode));	/* truncated since */
	if (!written && size <= READ_ONCE(ti->mds_size))
		return 0;
	if (size > READ_ONCE(ti->mds_size) && tess_has_unstable(inode)) {
		err = tess_file_sync_data(inode, false);
		if (err) {
			if (written)
				tess_file_written(file);
			return err;
		}
		if (!written && size <= READ_ONCE(ti->mds_size))
			return 0;
	}
	/* killable: a truncate may hold it while the MDS is away */
	if (mutex_lock_killable(&ti->io_lock)) {
		if (written)
			tess_file_written(file);
		return -EINTR;
	}
	if (READ_ONCE(ti->trunc_seq) != seq) {
		/* truncated since @size was taken: the truncate set it */
		mutex_unlock(&ti->io_lock);
		if (written)
			tess_file_written(file);
		return 0;
	}
	dv = READ_ONCE(ti->data_version);
	err = tess_mds_size_extend(inode, size);
	mutex_unlock(&ti->io_lock);
	/* our own change: the cache still holds the current data */
	if (!err && READ_ONCE(ti->cache_version) == dv)
		WRITE_ONCE(ti->cache_version, READ_ONCE(ti->data_version));
	if (err && written)
		tess_file_written(file);	/* try again next time */
	return err;
}

/*
 * i_size now, and the truncate count it goes with: a size extend sent
 * later for it is dropped if a truncate came in between (the file may
 * have grown again since, over bytes not yet written back).  -EINTR if
 * the task was killed while a truncate held io_lock (it holds it while
 * it waits for the MDS, for ever on a hard mount).
 */
static int tess_size_snap(struct inode *inode, loff_t *size, u32 *seq)
{
	struct tess_inode_info *ti = TESS_I(inode);

	/* not halfway through a truncate */
	if (mutex_lock_killable(&ti->io_lock))
		return -EINTR;
	*seq = ti->trunc_seq;
	*size = i_size_read(inode);
	mutex_unlock(&ti->io_lock);
	return 0;
}

/*
 * The close of a task that is exiting (killed while it waited for a
 * server, say): nobody reads its status, and its SIGKILL is no longer
 * pending, so no wait of ours could be ended.  Start writeback and hand
 * the wait and the size update to a worker (tess_size_work); a hard
 * mount thus still delivers the data and then the size.
 */
static bool tess_file_flush_exiting(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct tess_file_info *fi = file->private_data;

	if (!(current->flags & PF_EXITING))
		return false;
	filemap_flush(file->f_mapping);
	if ((fi && test_and_clear_bit(TESS_FI_WRITTEN, &fi->flags)) ||
	    i_size_read(inode) > READ_ONCE(TESS_I(inode)->mds_size)) {
		ihold(inode);
		if (!queue_work(tess_wq, &TESS_I(inode)->size_work))
			iput(inode);	/* one is queued already */
	}
	return true;
}

/**
 * tess_size_work - the size of a file closed by an exiting task, to the
 * MDS once its write runs are done; then the CLOSEs that waited for it
 * (tess_file_close_late)
 * @work: tess_inode_info.size_work; holds an inode reference
 */
void tess_size_work(struct work_struct *work)
{
	struct tess_inode_info *ti = container_of(work, struct tess_inode_info,
						  size_work);
	struct inode *inode = &ti->vfs_inode;
	u32 seq;
	loff_t size;
	int err, n;

	/* a worker: no signal ends the wait, the truncate ends it */
	mutex_lock(&ti->io_lock);
	seq = ti->trunc_seq;
	size = i_size_read(inode);	/* before the writeback */
	mutex_unlock(&ti->io_lock);

	wait_event(TESS_SB(inode->i_sb)->wb_wait, !atomic_read(&ti->wb_runs));
	err = filemap_write_and_wait(inode->i_mapping);
	size = min_t(loff_t, size, i_size_read(inode));
	/* the data stable before the size that exposes it */
	if (!err && size > READ_ONCE(ti->mds_size))
		err = tess_file_sync_data(inode, false);
	mutex_lock(&ti->io_lock);
	if (!err && seq == READ_ONCE(ti->trunc_seq) &&
	    size > READ_ONCE(ti->mds_size))
		err = tess_mds_size_extend(inode, size);
	mutex_unlock(&ti->io_lock);
	if (err)
		pr_warn_ratelimited("ino %lu: size after an exiting writer: %d\n",
				    inode->i_ino, err);
	/* the MDS may cut what lies past the size once the last is closed */
	for (n = atomic_xchg(&ti->late_closes, 0); n > 0; n--)
		tess_mds_close(TESS_SB(inode->i_sb), inode->i_ino,
			       TESS_OPEN_WRITE);
	iput(inode);
}

static int tess_file_flush(struct file *file, fl_owner_t id)
{
	loff_t size;
	u32 seq;
	int err, err2;

	if (!(file->f_mode & FMODE_WRITE))
		return 0;
	if (tess_file_flush_exiting(file))
		return 0;
	err = tess_size_snap(file_inode(file), &size, &seq);
	if (err)
		return err;	/* killed: release hands it to size_work */
	err = tess_write_and_wait(file_inode(file), 0, LLONG_MAX);
	if (err == -EINTR)
		return err;
	err = filemap_write_and_wait(file->f_mapping);
	err2 = tess_file_flush_size(file, size, seq);
	return err ? err : err2;
}

/*
 * A writer's CLOSE while its pages may still be going out (an exiting or
 * killed task): size_work sends it once they are out and the size is on
 * the MDS.  Sent now, it could let the MDS cut those bytes (store.h:
 * trims) before the size covered them.
 */
static bool tess_file_close_late(struct inode *inode, struct file *file)
{
	struct tess_inode_info *ti = TESS_I(inode);

	if (!(file->f_mode & FMODE_WRITE) ||
	    (!(current->flags & PF_EXITING) && !fatal_signal_pending(current) &&
	     !mapping_tagged(file->f_mapping, PAGECACHE_TAG_DIRTY) &&
	     !mapping_tagged(file->f_mapping, PAGECACHE_TAG_WRITEBACK) &&
	     !atomic_read(&ti->wb_runs)))
		return false;
	atomic_inc(&ti->late_closes);	/* before the queueing it rides on */
	ihold(inode);
	if (!queue_work(tess_wq, &ti->size_work))
		iput(inode);		/* queued, not started: it sends ours */
	return true;
}

static int tess_file_release(struct inode *inode, struct file *file)
{
	struct tess_file_info *fi = file->private_data;
	const struct cred *old;

	/*
	 * The size and the CLOSE go to the MDS as from the opener (the last
	 * fput may be a kernel thread's, or a task's that is not the opener)
	 */
	old = override_creds(file->f_cred);
	/* the last close of a shared writable mmap may come here only */
	if ((file->f_mode & FMODE_WRITE) && !tess_file_flush_exiting(file)) {
		u32 seq;
		loff_t size;

		/*
		 * Killed while a truncate held io_lock: the size and the
		 * CLOSE go to size_work (tess_file_close_late, below).
		 */
		if (!tess_size_snap(inode, &size, &seq)) {
			if (!tess_write_and_wait(inode, 0, LLONG_MAX))
				filemap_write_and_wait(file->f_mapping);
			tess_file_flush_size(file, size, seq);
		}
	}
	if (fi) {
		atomic_dec(&TESS_I(inode)->opens);
		if (!tess_file_close_late(inode, file))
			tess_mds_close(TESS_SB(inode->i_sb), inode->i_ino,
				       fi->open_flags);
	}
	revert_creds(old);
	kfree(fi);
	file->private_data = NULL;
	return 0;
}

static int tess_file_fsync(struct file *file, loff_t start, loff_t end,
			   int datasync)
{
	u32 seq;
	loff_t size;
	int err = tess_size_snap(file_inode(file), &size, &seq); /* before writeback */

	if (err)
		return err;
	if (end < size)		/* a range (O_DSYNC): only what it wrote */
		size = end + 1;
	/* killable: a hard mount waits for an OST that is away */
	err = tess_write_and_wait(file_inode(file), start, end);
	if (err == -EINTR)
		return err;
	err = file_write_and_wait_range(file, start, end);
	if (err)
		return err;
	/* what the OSTs acknowledged, on their disks; then the size */
	err = tess_file_sync_data(file_inode(file), true);
	if (err) {
		/* reported here: this file does not see it again */
		if (file_check_and_advance_wb_err(file) && !err)
			err = -EIO;
		return err;
	}
	return tess_file_flush_size(file, size, seq);
}

static ssize_t tess_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct address_space *mapping = file->f_mapping;
	size_t count = iov_iter_count(to);
	ssize_t ret;

	if (!(iocb->ki_flags & IOCB_DIRECT)) {
		tess_file_set_ra(file);
		return generic_file_read_iter(iocb, to);
	}
	if (!count)
		return 0;
	/* data still in the page cache goes out first */
	ret = filemap_write_and_wait_range(mapping, iocb->ki_pos,
					   iocb->ki_pos + count - 1);
	if (ret)
		return ret;
	ret = tess_direct_io(iocb, to, false);
	if (ret > 0)
		iocb->ki_pos += ret;
	file_accessed(file);
	return ret;
}

static ssize_t tess_file_direct_write(struct kiocb *iocb,
				      struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct address_space *mapping = file->f_mapping;
	loff_t pos, end;
	ssize_t ret;

	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (ret)
		goto out;
	ret = file_update_time(file);
	if (ret)
		goto out;
	pos = iocb->ki_pos;
	end = pos + iov_iter_count(from) - 1;
	ret = filemap_write_and_wait_range(mapping, pos, end);
	if (!ret)
		ret = invalidate_inode_pages2_range(mapping, pos >> PAGE_SHIFT,
						    end >> PAGE_SHIFT);
	if (ret)
		goto out;
	ret = tess_direct_io(iocb, from, true);
	/* pages read in meanwhile (mmap) hold old data */
	invalidate_inode_pages2_range(mapping, pos >> PAGE_SHIFT,
				      end >> PAGE_SHIFT);
	if (ret > 0) {
		iocb->ki_pos += ret;
		tess_i_size_extend(inode, iocb->ki_pos);
		tess_file_written(file);
	}
out:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

static ssize_t tess_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	ssize_t ret;

	if (iocb->ki_flags & IOCB_DIRECT)
		return tess_file_direct_write(iocb, from);
	ret = generic_file_write_iter(iocb, from);
	if (ret > 0)
		tess_file_written(iocb->ki_filp);
	return ret;
}

static loff_t tess_file_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	int err;

	switch (whence) {
	case SEEK_END:
	case SEEK_DATA:
	case SEEK_HOLE:
		/* the size other clients made; ours is kept if larger */
		err = tess_revalidate(inode, true);
		if (err)
			return err;
		break;
	}
	return generic_file_llseek(file, offset, whence);
}

static vm_fault_t tess_page_mkwrite(struct vm_fault *vmf)
{
	struct file *file = vmf->vma->vm_file;
	vm_fault_t ret;

	tess_file_written(file);
	ret = filemap_page_mkwrite(vmf);
	/* no change to a page whose bytes are on the wire (bulk checksum) */
	if (ret & VM_FAULT_LOCKED)
		folio_wait_writeback(page_folio(vmf->page));
	return ret;
}

/*
 * fcntl locks: not distributed yet, so refused (ENOLCK) rather than
 * silently local; with localflock, local to this client.
 */
static int tess_file_lock(struct file *file, int cmd, struct file_lock *fl)
{
	if (!TESS_SB(file_inode(file)->i_sb)->localflock)
		return tess_lock_is_unlock(fl) ? 0 : -ENOLCK;
	if (IS_GETLK(cmd)) {
		posix_test_lock(file, fl);
		return 0;
	}
	return locks_lock_file_wait(file, fl);
}

static int tess_file_flock(struct file *file, int cmd, struct file_lock *fl)
{
	if (!TESS_SB(file_inode(file)->i_sb)->localflock)
		return tess_lock_is_unlock(fl) ? 0 : -ENOLCK;
	return locks_lock_file_wait(file, fl);
}

static const struct vm_operations_struct tess_file_vm_ops = {
	.fault		= filemap_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= tess_page_mkwrite,
};

static int tess_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct address_space *mapping = file->f_mapping;

	if (!mapping->a_ops->read_folio)
		return -ENOEXEC;
	file_accessed(file);
	tess_file_set_ra(file);
	vma->vm_ops = &tess_file_vm_ops;
	return 0;
}

const struct file_operations tess_file_fops = {
	.owner		= THIS_MODULE,
	.open		= tess_file_open,
	.flush		= tess_file_flush,
	.release	= tess_file_release,
	.llseek		= tess_file_llseek,
	.read_iter	= tess_file_read_iter,
	.write_iter	= tess_file_write_iter,
	.fsync		= tess_file_fsync,
	.mmap		= tess_file_mmap,
	.lock		= tess_file_lock,
	.flock		= tess_file_flock,
	.unlocked_ioctl	= tess_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.splice_read	= tess_splice_read,
	.splice_write	= iter_file_splice_write,
};

const struct inode_operations tess_file_iops = {
	.getattr	= tess_getattr,
	.setattr	= tess_setattr,
	.listxattr	= tess_listxattr,
};
